"""The ``caller-purpose-regex`` / ``not-caller-purpose-regex`` context conditions: what a
returned value is for where its function is called in the same file."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from aiscan import load_rules, scan_source
from aiscan.loader import RuleError, RuleSet

HEADER = """\
id: TST901
name: caller-purpose
category: insecure-randomness
cwe: [330]
severity: warning
confidence: high
message: "{callee} matched"
summary: A test rule.
docs: {why: w, bad: b, good: g}
since: 0.1.0
mode: pattern
"""

CALLER_TOKEN = """\
patterns:
  - call: [random.choice]
    where:
      caller-purpose-regex: token
"""


def ruleset(tmp_path: Path, patterns: str) -> RuleSet:
    path = tmp_path / "caller-purpose.yaml"
    path.write_text(HEADER + textwrap.dedent(patterns), encoding="utf-8")
    return load_rules([path], builtin=False)


def lines(rules: RuleSet, code: str) -> list[int]:
    result = scan_source(textwrap.dedent(code), rules=rules)
    assert not result.errors, result.errors
    return sorted(f.line for f in result.findings)


def test_helper_result_stored_under_a_matching_name(tmp_path: Path) -> None:
    code = """\
        import random

        def random_string(n):
            return "".join(random.choice("ab") for _ in range(n))

        def invite():
            invite_token = random_string(24)
            return invite_token
        """
    assert lines(ruleset(tmp_path, CALLER_TOKEN), code) == [4]


def test_helper_whose_callers_name_something_else(tmp_path: Path) -> None:
    code = """\
        import random

        def random_string(n):
            return "".join(random.choice("ab") for _ in range(n))

        filename = random_string(8) + ".png"
        """
    assert lines(ruleset(tmp_path, CALLER_TOKEN), code) == []


def test_value_not_returned_has_no_callers(tmp_path: Path) -> None:
    # The random value is a local of the helper, not what it returns.
    code = """\
        import random

        def pick():
            colour = random.choice("rgb")
            print(colour)
            return "done"

        token = pick()
        """
    assert lines(ruleset(tmp_path, CALLER_TOKEN), code) == []


def test_any_call_site_is_enough_and_keywords_count(tmp_path: Path) -> None:
    code = """\
        import random

        def chars(n):
            return "".join(random.choice("ab") for _ in range(n))

        def render(**kw): ...

        label = chars(4)
        render(csrf_token=chars(32))
        """
    assert lines(ruleset(tmp_path, CALLER_TOKEN), code) == [4]


def test_methods_called_on_self_cls_or_the_class(tmp_path: Path) -> None:
    code = """\
        import random

        class Tokens:
            def _chars(self, n):
                return "".join(random.choice("ab") for _ in range(n))

            @classmethod
            def _digits(cls, n):
                return "".join(random.choice("01") for _ in range(n))

            @staticmethod
            def _letters(n):
                return "".join(random.choice("xy") for _ in range(n))

            def issue(self):
                self.refresh_token = self._chars(40)
                self.reset_token = type(self)._digits(6)

        access_token = Tokens._letters(20)
        """
    # _digits is called on type(self), which is not read: only _chars and _letters count.
    assert lines(ruleset(tmp_path, CALLER_TOKEN), code) == [5, 13]


def test_same_method_name_on_another_object_is_not_a_call_site(tmp_path: Path) -> None:
    code = """\
        import random

        class Tokens:
            def make(self, n):
                return "".join(random.choice("ab") for _ in range(n))

        def issue(client):
            session_token = client.make(32)
            return session_token
        """
    assert lines(ruleset(tmp_path, CALLER_TOKEN), code) == []


def test_shadowed_function_name_is_not_a_call_site(tmp_path: Path) -> None:
    code = """\
        import random

        def chars(n):
            return "".join(random.choice("ab") for _ in range(n))

        def issue(chars):
            api_token = chars(32)
            return api_token
        """
    assert lines(ruleset(tmp_path, CALLER_TOKEN), code) == []


def test_not_caller_purpose_vetoes_any_matching_call_site(tmp_path: Path) -> None:
    rules = ruleset(
        tmp_path,
        """\
        patterns:
          - call: [random.choice]
            where:
              caller-purpose-regex: token
              not-caller-purpose-regex: ^next_token$
        """,
    )
    code = """\
        import random

        def sample(vocab):
            return random.choice(vocab)

        def decode(vocab):
            next_token = sample(vocab)
            reset_token = sample(vocab)
            return next_token, reset_token
        """
    assert lines(rules, code) == []


def test_rule_file_with_a_bad_caller_regex_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "caller-purpose.yaml"
    path.write_text(
        HEADER + "patterns:\n  - call: [random.choice]\n    where: {caller-purpose-regex: '('}\n",
        encoding="utf-8",
    )
    with pytest.raises(RuleError, match="caller-purpose-regex"):
        load_rules([path], builtin=False)
