"""The ``not-receiver:`` call condition: drop a method call whose object matches, keep plain
calls (``f(...)``) and method calls on anything else."""

from __future__ import annotations

import textwrap
from pathlib import Path

from aiscan import load_rules, scan_source
from aiscan.loader import RuleSet

HEADER = """\
id: TST902
name: not-receiver
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


def ruleset(tmp_path: Path, patterns: str) -> RuleSet:
    path = tmp_path / "not-receiver.yaml"
    path.write_text(HEADER + textwrap.dedent(patterns), encoding="utf-8")
    return load_rules([path], builtin=False)


def lines(rules: RuleSet, code: str) -> list[int]:
    result = scan_source(textwrap.dedent(code), rules=rules)
    assert not result.errors, result.errors
    return sorted(f.line for f in result.findings)


ONLY_ON_THE_MODULE = """\
patterns:
  - call: [random.choice]
    not-receiver: {not: {qname: [random]}}
"""


def test_module_function_called_on_the_module_or_by_name(tmp_path: Path) -> None:
    code = """\
        import random
        from random import choice
        import random as rnd

        a = random.choice("ab")
        b = choice("ab")
        c = rnd.choice("ab")
        """
    assert lines(ruleset(tmp_path, ONLY_ON_THE_MODULE), code) == [5, 6, 7]


def test_same_definition_reached_through_another_object_is_dropped(tmp_path: Path) -> None:
    # secrets.choice is SystemRandom().choice, and SystemRandom inherits Random.choice: by
    # definition the same function as random.choice, but not the module's generator.
    code = """\
        import random
        import secrets

        a = secrets.choice("ab")
        sysrand = random.SystemRandom()
        b = sysrand.choice("ab")
        c = random.SystemRandom().choice("ab")
        """
    assert lines(ruleset(tmp_path, ONLY_ON_THE_MODULE), code) == []


def test_not_receiver_with_a_positive_condition(tmp_path: Path) -> None:
    rules = ruleset(
        tmp_path,
        """\
        patterns:
          - call: [requests.Session.get]
            not-receiver: {names-regex: ^trusted}
        """,
    )
    code = """\
        import requests

        trusted_session = requests.Session()
        other = requests.Session()
        trusted_session.get("https://a.example")
        other.get("https://b.example")
        """
    assert lines(rules, code) == [6]
