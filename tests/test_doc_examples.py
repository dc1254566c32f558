"""Every rule's documented examples are true: the `bad` example makes the rule report, the
`good` one (the fix the page recommends) does not."""

from __future__ import annotations

import pytest

from aiscan import load_rules, scan_source
from aiscan.model import Rule

RULES = load_rules()
# Rules that look only at some files: the example is scanned as such a file.
FILENAMES = {"test-without-assertion": "tests/test_example.py"}
# Rules whose example needs more than one file: their pages say so, and their matcher tests
# write the whole project out (tests/matchers/test_dependency.py).
NEEDS_A_PROJECT = {"undeclared-dependency"}


def _findings(rule: Rule, code: str) -> list[int]:
    result = scan_source(
        code, filename=FILENAMES.get(rule.name, "example.py"), rules=RULES.select([rule.id])
    )
    assert not [e for e in result.errors if e.fatal], result.errors
    return [f.line for f in result.findings if f.rule_id == rule.id]


CHECKED = list(RULES.rules)


@pytest.mark.parametrize("rule", CHECKED, ids=lambda r: r.name)
def test_the_bad_example_is_reported(rule: Rule) -> None:
    if rule.name in NEEDS_A_PROJECT:
        pytest.skip("the example is a whole project (see the rule's matcher tests)")
    assert _findings(rule, rule.docs.bad), f"{rule.id} does not report its own bad example"


@pytest.mark.parametrize("rule", CHECKED, ids=lambda r: r.name)
def test_the_good_example_is_clean(rule: Rule) -> None:
    if rule.name in NEEDS_A_PROJECT:
        pytest.skip("the example is a whole project (see the rule's matcher tests)")
    assert _findings(rule, rule.docs.good) == [], f"{rule.id} reports its own good example"
