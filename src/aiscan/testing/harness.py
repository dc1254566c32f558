"""Run annotated fixtures against rules, strictly and line-exactly (``aiscan test-rules``)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from aiscan.api import scan
from aiscan.config import Config
from aiscan.engine.discovery import SKIP_DIRS
from aiscan.engine.source import SourceError, decode_source
from aiscan.loader import RuleSet
from aiscan.model import Finding
from aiscan.testing.annotations import Annotation, AnnotationError, parse_annotations


@dataclass
class FixtureOutcome:
    """What one fixture (a file, or a package folder) showed."""

    unit: Path
    problems: list[str] = field(default_factory=list)
    annotations: list[Annotation] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def fixture_units(path: Path) -> Iterator[Path]:
    """Fixture files and fixture packages under ``path``.

    A folder holding ``__init__.py`` is one multi-module fixture (its modules import each
    other); other folders are searched for ``.py`` fixtures.
    """
    if path.is_file():
        yield path
        return
    if (path / "__init__.py").is_file():
        yield path
        return
    for child in sorted(path.iterdir()):
        if child.name in SKIP_DIRS or child.name.startswith("."):
            continue
        if child.is_dir():
            yield from fixture_units(child)
        elif child.suffix == ".py":
            yield child


def _unit_files(unit: Path) -> list[Path]:
    if unit.is_file():
        return [unit]
    return sorted(p for p in unit.rglob("*.py") if "__pycache__" not in p.parts)


def run_fixture(unit: Path, ruleset: RuleSet) -> FixtureOutcome:
    """Scan ``unit`` with ``ruleset`` and compare with its annotations."""
    outcome = FixtureOutcome(unit)
    root = unit.parent
    for file in _unit_files(unit):
        rel = file.relative_to(root).as_posix()
        try:
            text = decode_source(file.read_bytes()).text
            outcome.annotations.extend(parse_annotations(text, rel))
        except (AnnotationError, SourceError, OSError) as exc:
            outcome.problems.append(f"{rel}: {exc}")
    known = {r.id for r in ruleset.rules}
    tested = {a.rule_id for a in outcome.annotations}
    for rule_id in sorted(tested - known):
        where = next(a for a in outcome.annotations if a.rule_id == rule_id)
        outcome.problems.append(f"{where.path}:{where.comment_line}: unknown rule {rule_id}")
    subset = RuleSet(tuple(r for r in ruleset.rules if r.id in tested), ruleset.models)
    if not subset.rules:
        if not outcome.problems:
            outcome.problems.append(f"{unit}: no annotations name a rule: nothing is tested")
        return outcome
    result = scan([unit], rules=subset, config=Config(), jobs=1, root=root)
    outcome.findings = list(result.findings) + list(result.suppressed)
    for err in result.errors:
        outcome.problems.append(f"scan error: {err}")
    outcome.problems.extend(compare(outcome.annotations, outcome.findings))
    return outcome


def compare(annotations: Iterable[Annotation], findings: Iterable[Finding]) -> list[str]:
    """The differences between what the annotations say and what the scanner reported."""
    problems: list[str] = []
    by_kind: dict[str, set[tuple[str, str, int]]] = {
        k: set() for k in ("expect", "clean", "source", "missing", "spurious")
    }
    for a in annotations:
        by_kind[a.kind].add((a.rule_id, a.path, a.line))
    found: dict[tuple[str, str, int], Finding] = {}
    for f in findings:
        found.setdefault((f.rule_id, f.path, f.line), f)
    expect, clean = by_kind["expect"], by_kind["clean"]
    missing, spurious = by_kind["missing"], by_kind["spurious"]
    for key in sorted(found):
        rule_id, path, line = key
        if key in expect or key in spurious:
            continue
        f = found[key]
        if key in missing:
            problems.append(
                f"{path}:{line}: {rule_id} is now reported where a 'missing' marker stands: "
                "the gap is fixed, change the marker to 'expect'"
            )
        elif key in clean:
            problems.append(
                f"{path}:{line}: {rule_id} reported on a line marked clean: {f.message}"
            )
        else:
            problems.append(f"{path}:{line}: unexpected {rule_id}: {f.message}")
    for key in sorted(expect - set(found)):
        rule_id, path, line = key
        problems.append(f"{path}:{line}: missing {rule_id} (annotated expect)")
    for key in sorted(spurious - set(found)):
        rule_id, path, line = key
        problems.append(
            f"{path}:{line}: {rule_id} is no longer reported where a 'spurious' marker stands: "
            "the false positive is fixed, change the marker to 'clean'"
        )
    starts = {
        (f.rule_id, f.flow[0].location.path, f.flow[0].location.line) for f in findings if f.flow
    }
    for key in sorted(by_kind["source"] - starts):
        rule_id, path, line = key
        problems.append(f"{path}:{line}: no {rule_id} flow starts here (annotated source)")
    return problems
