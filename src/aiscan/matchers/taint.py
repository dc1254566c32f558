"""``mode: taint``: untrusted data flowing from sources to sinks, across functions and modules."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

from aiscan.engine.context import FileContext
from aiscan.engine.summaries import FileBudgetExceeded, TaintEngine
from aiscan.engine.taint import TaintRuleSpec, compile_taint_rule
from aiscan.matchers.base import Prefilter
from aiscan.model import Finding, Rule

# Words that mark a file where framework parameters may carry request data.
_HANDLER_WORDS = frozenset({"route", "request", "api_view", "APIRouter", "FastAPI", "Blueprint", "View"})


class TaintBudgetError(Exception):
    """Raised through ``check`` so the scanner reports a file whose analysis was cut short."""


class SharedTaint:
    """One engine for all taint rules of a process; each file is analysed once for all of them."""

    def __init__(self, rules: Sequence[Rule], root: Path, files: Sequence[Path]) -> None:
        self.specs = [compile_taint_rule(r) for r in rules]
        self.engine = TaintEngine(self.specs, root, files)
        self._cache_key: int | None = None
        self._cache: list[Finding] = []
        self._error: str | None = None

    def findings(self, ctx: FileContext) -> list[Finding]:
        key = id(ctx)
        if self._cache_key != key:
            self._cache_key = key
            self._error = None
            self.engine.truncated.clear()
            try:
                self._cache = self.engine.analyse_module(ctx.module)
            except FileBudgetExceeded:
                self._cache = []
                self._error = "taint analysis ran out of its time budget; flows from this file were not all followed"
            if self.engine.truncated and self._error is None:
                self._error = "; ".join(self.engine.truncated[:3])
        return self._cache

    def error(self) -> str | None:
        return self._error


class TaintMatcher:
    """The view of one taint rule on the shared analysis."""

    def __init__(self, rule: Rule, shared: SharedTaint, spec: TaintRuleSpec) -> None:
        self.rule = rule
        self.shared = shared
        self.spec = spec

    def prefilter(self) -> Prefilter:
        words: set[str] = set()
        regexes: list[str] = []
        for source in self.spec.sources:
            if source.kind == "parameter":
                words |= _HANDLER_WORDS
            else:
                words |= Prefilter.for_names(source.raw_names).words
        return Prefilter(words=frozenset(words), regexes=tuple(regexes))

    def check(self, ctx: FileContext) -> Iterator[Finding]:
        for finding in self.shared.findings(ctx):
            if finding.rule_id == self.rule.id:
                yield finding

    def budget_note(self) -> str | None:
        return self.shared.error()


def build_taint_matchers(rules: Sequence[Rule], root: Path, files: Sequence[Path]) -> list[TaintMatcher]:
    if not rules:
        return []
    shared = SharedTaint(rules, root, files)
    return [TaintMatcher(rule, shared, spec) for rule, spec in zip(rules, shared.specs, strict=True)]
