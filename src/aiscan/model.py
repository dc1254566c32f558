"""The data model shared by the engine, the matchers, the reporters and the public API."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Severity = Literal["error", "warning", "note"]
Confidence = Literal["high", "medium", "low"]

SEVERITY_ORDER: Mapping[str, int] = {"note": 0, "warning": 1, "error": 2}
CONFIDENCE_ORDER: Mapping[str, int] = {"low": 0, "medium": 1, "high": 2}


@dataclass(frozen=True)
class RuleDocs:
    """The human documentation of a rule: why it matters, a bad and a good example."""

    why: str
    bad: str
    good: str
    references: tuple[str, ...] = ()


@dataclass(frozen=True)
class Rule:
    """One rule of the pack, as loaded and validated from its YAML file."""

    id: str
    name: str
    category: str
    cwe: tuple[int, ...]
    severity: Severity
    confidence: Confidence
    message: str
    summary: str
    docs: RuleDocs
    since: str
    mode: str
    spec: Mapping[str, Any] = field(repr=False, compare=False, hash=False)
    source: str = ""
    tags: tuple[str, ...] = ()

    @property
    def security_severity(self) -> str:
        """GitHub's numeric security-severity, derived from severity and confidence."""
        base = {"error": 8.0, "warning": 5.5, "note": 2.5}[self.severity]
        adjust = {"high": 0.8, "medium": 0.0, "low": -1.0}[self.confidence]
        return f"{max(0.1, min(10.0, base + adjust)):.1f}"


@dataclass(frozen=True)
class Location:
    """A span in a file: 1-based lines and 1-based columns counted in characters.

    ``end_column`` is exclusive, as in SARIF.
    """

    path: str
    line: int
    column: int
    end_line: int
    end_column: int


@dataclass(frozen=True)
class FlowStep:
    """One step of a data-flow path: where the value was, and what happened to it."""

    location: Location
    message: str


@dataclass(frozen=True)
class Suppression:
    """An inline ``# aiscan: ignore[ID] -- reason`` that silenced a finding."""

    rule_ids: tuple[str, ...]
    reason: str
    line: int


@dataclass(frozen=True)
class Finding:
    """One result: a rule matched at a location."""

    rule_id: str
    rule_name: str
    category: str
    cwe: tuple[int, ...]
    severity: Severity
    confidence: Confidence
    message: str
    location: Location
    flow: tuple[FlowStep, ...] = ()
    suppression: Suppression | None = None

    @property
    def path(self) -> str:
        return self.location.path

    @property
    def line(self) -> int:
        return self.location.line

    @property
    def column(self) -> int:
        return self.location.column

    @property
    def end_line(self) -> int:
        return self.location.end_line

    @property
    def end_column(self) -> int:
        return self.location.end_column

    def sort_key(self) -> tuple[str, int, int, str, str]:
        return (self.path, self.line, self.column, self.rule_id, self.message)

    def flow_order(self) -> tuple[object, ...]:
        """Of two findings of one rule at one place, the one kept is the one whose flow sorts
        first (the shortest, then by its steps): a choice that never depends on how files
        were split between workers or in which order they were analysed."""
        return (
            len(self.flow),
            tuple(
                (s.location.path, s.location.line, s.location.column, s.message) for s in self.flow
            ),
            self.message,
        )


ErrorKind = Literal[
    "syntax-error",
    "read-error",
    "decode-error",
    "analysis-error",
    "recursion-limit",
    "budget-exceeded",
    "bad-suppression",
    "skipped",
    "cache",
]


@dataclass(frozen=True)
class ScanError:
    """A problem with one input file that the user should know about.

    ``fatal`` errors mean the file (or part of it) was not analysed, so the scan is incomplete.
    """

    kind: ErrorKind
    path: str
    message: str
    line: int = 0
    column: int = 0
    fatal: bool = True

    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.path, self.line, self.column, self.kind)

    def __str__(self) -> str:
        where = self.path if not self.line else f"{self.path}:{self.line}"
        if self.line and self.column:
            where += f":{self.column}"
        return f"{where}: {self.kind}: {self.message}"


@dataclass(frozen=True)
class CacheStats:
    """How a scan used the result cache: where it is, and how many files' results it reused
    (``hits``) or had to compute (``misses``)."""

    location: str
    hits: int = 0
    misses: int = 0


@dataclass(frozen=True)
class ScanResult:
    """Everything a scan produced, in a deterministic order."""

    findings: tuple[Finding, ...]
    suppressed: tuple[Finding, ...]
    errors: tuple[ScanError, ...]
    rules: tuple[Rule, ...]
    files_scanned: int
    root: str
    environment: Mapping[str, str] = field(default_factory=dict)
    #: The environment the code was analysed against: ``python``, ``python_version``,
    #: ``origin`` (how it was chosen) and ``distributions`` (name -> version of the installed
    #: distributions the scanned code imports).
    target: Mapping[str, object] = field(default_factory=dict)
    #: How the result cache was used; None when the scan ran without it.
    cache: CacheStats | None = None

    @property
    def incomplete(self) -> bool:
        """True when some input could not be analysed (a parse error, an unreadable file)."""
        return any(e.fatal for e in self.errors)

    def to_sarif(self) -> str:
        """The result as a SARIF 2.1.0 log (a JSON string)."""
        from aiscan.reporters.sarif import render_sarif

        return render_sarif(self)

    def to_json(self) -> str:
        """The result in aiscan's JSON format (schemas/results.schema.json)."""
        from aiscan.reporters.json import render_json

        return render_json(self)

    def to_text(self, *, color: bool = False, show_suppressed: bool = False) -> str:
        """The result as human-readable text."""
        from aiscan.reporters.text import render_text

        return render_text(self, color=color, show_suppressed=show_suppressed)
