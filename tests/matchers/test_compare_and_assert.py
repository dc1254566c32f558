"""Pattern kinds ``compare`` (a comparison one of whose operands matches) and ``assert``."""

from __future__ import annotations

import textwrap
from pathlib import Path

from aiscan import load_rules, scan_source
from aiscan.loader import RuleSet

HEADER = """\
id: TST910
name: {name}
category: timing-unsafe-compare
cwe: [208]
severity: warning
confidence: high
message: "{{value}} {{op}} {{other}}"
summary: A test rule.
docs: {{why: w, bad: b, good: g}}
since: 0.1.0
mode: pattern
"""


def ruleset(tmp_path: Path, name: str, patterns: str) -> RuleSet:
    path = tmp_path / f"{name}.yaml"
    path.write_text(HEADER.format(name=name) + "patterns:\n" + patterns, encoding="utf-8")
    return load_rules([path], builtin=False)


def lines(rules: RuleSet, code: str) -> list[tuple[int, str]]:
    result = scan_source(textwrap.dedent(code), "app.py", rules=rules)
    assert not result.errors
    return [(f.line, f.message) for f in result.findings]


def test_compare_matches_either_side(tmp_path: Path) -> None:
    rules = ruleset(
        tmp_path,
        "compare-secret",
        "  - compare: {side: {names-regex: '(?i)signature'}, other-side: {literal: false}}\n",
    )
    code = """\
        def check(signature, expected, sig_len):
            if signature == expected:
                return True
            if expected != signature:
                return True
            if signature == "":
                return False
            if expected == other:
                return True
            return signature < expected
        """
    assert lines(rules, code) == [
        (2, "signature == expected"),
        (4, "signature != expected"),
    ]


def test_compare_operators(tmp_path: Path) -> None:
    rules = ruleset(
        tmp_path,
        "compare-in",
        "  - compare: {ops: [in], side: {names-regex: '^token$'}}\n",
    )
    assert [line for line, _ in lines(rules, "ok = token in issued\nsame = token == x\n")] == [1]


def test_assert_kind(tmp_path: Path) -> None:
    rules = ruleset(
        tmp_path,
        "assert-user",
        "  - assert: {test: {names-regex: '(?i)is_admin|role'}}\n",
    )
    code = """\
        def delete(user, rows):
            assert user.is_admin
            assert rows, "nothing to delete"
            assert user.role == "owner", "owners only"
        """
    assert [line for line, _ in lines(rules, code)] == [2, 4]


def test_any_assert(tmp_path: Path) -> None:
    rules = ruleset(tmp_path, "any-assert", "  - assert: {}\n")
    assert [line for line, _ in lines(rules, "assert a\nx = 1\nassert b\n")] == [1, 3]


CALL_RULE = """\
id: TST911
name: {name}
category: missing-authorization
cwe: [639]
severity: warning
confidence: high
message: "{{callee}}"
summary: A test rule.
docs: {{why: w, bad: b, good: g}}
since: 0.1.0
mode: pattern
patterns:
  - call: [store.load]
{extra}
"""


def call_rules(tmp_path: Path, name: str, extra: str) -> RuleSet:
    path = tmp_path / f"{name}.yaml"
    path.write_text(CALL_RULE.format(name=name, extra=extra), encoding="utf-8")
    return load_rules([path], builtin=False)


FUNCS = """\
import store

def plain(oid):
    return store.load(oid)

def checked(oid, user):
    obj = store.load(oid)
    # owner is only mentioned in this comment
    return obj

def owned(oid, user):
    obj = store.load(oid)
    if obj.owner != user:
        return None
    return obj
"""


def test_function_text_conditions_read_code_not_comments(tmp_path: Path) -> None:
    rules = call_rules(tmp_path, "text-cond", "    where: {not-function-text-regex: 'owner'}\n")
    assert [line for line, _ in lines(rules, FUNCS)] == [4, 7]
    rules = call_rules(tmp_path, "text-cond2", "    where: {function-text-regex: 'owner'}\n")
    assert [line for line, _ in lines(rules, FUNCS)] == [12]


def test_report_at_function(tmp_path: Path) -> None:
    rules = call_rules(tmp_path, "report-at", "    report-at: function\n")
    code = "import store\n\n\n@decorator\ndef view(oid):\n    x = 1\n    return store.load(oid)\n"
    assert [line for line, _ in lines(rules, code)] == [5]


def test_anchored_target_regex_prefilters_on_words() -> None:
    """An assign pattern's target-regex is matched against a name; as a prefilter on the whole
    file its anchors become word boundaries, so the file that holds the name is not skipped."""
    import re

    from aiscan.matchers.pattern import _name_regex_in_text

    text = re.compile(_name_regex_in_text("^fields$") or "(?!)")
    assert text.search('class Meta:\n    fields = "__all__"\n')
    assert not text.search("myfields = 1\nfields_x = 2\n")
    secret = re.compile(_name_regex_in_text("(?i)(api_?key|token)$") or "(?!)")
    assert secret.search("API_KEY = 'x'") and not secret.search("tokens = []")
    assert _name_regex_in_text("a^b") is None
