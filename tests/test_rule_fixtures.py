"""Every built-in rule against its strict, line-exact fixture."""

from __future__ import annotations

from pathlib import Path

import pytest

from aiscan import load_rules
from aiscan.testing.harness import fixture_units, run_fixture

FIXTURES = Path(__file__).parent / "fixtures" / "rules"
RULES = load_rules()
UNITS = list(fixture_units(FIXTURES))


@pytest.mark.parametrize("unit", UNITS, ids=lambda p: p.relative_to(FIXTURES).as_posix())
def test_fixture(unit: Path) -> None:
    outcome = run_fixture(unit, RULES)
    assert outcome.ok, "\n".join(outcome.problems)


def _fixture_dir(rule_source: str) -> Path:
    rules_root = Path(rule_source).parents[1]
    rel = Path(rule_source).relative_to(rules_root)
    return FIXTURES / rel.parent


@pytest.mark.parametrize("rule", [r for r in RULES.rules], ids=lambda r: r.name)
def test_every_rule_has_expect_and_clean_cases(rule) -> None:  # type: ignore[no-untyped-def]
    kinds: dict[str, int] = {}
    from aiscan.engine.source import decode_source
    from aiscan.testing.annotations import parse_annotations

    for unit in UNITS:
        files = [unit] if unit.is_file() else sorted(unit.rglob("*.py"))
        for file in files:
            text = decode_source(file.read_bytes()).text
            for a in parse_annotations(text, file.name):
                if a.rule_id == rule.id:
                    kinds[a.kind] = kinds.get(a.kind, 0) + 1
    assert kinds.get("expect", 0) >= 1, f"{rule.id} {rule.name} has no 'expect' case"
    assert kinds.get("clean", 0) >= 1, f"{rule.id} {rule.name} has no 'clean' (safe twin) case"


def test_fixture_folder_mirrors_rules() -> None:
    """Each rule's fixture lives at tests/fixtures/rules/<family>/<name>.py or <name>/."""
    for rule in RULES.rules:
        family = Path(rule.source).parent.name
        base = FIXTURES / family
        assert (base / f"{rule.name}.py").is_file() or (base / rule.name).is_dir(), (
            f"no fixture for {rule.id} {rule.name} under {base}"
        )
