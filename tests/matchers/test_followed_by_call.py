"""The ``followed-by-call`` context condition: the enclosing function (the module, at top
level) calls one of the given names later in the source than the match."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from aiscan import load_rules, scan_source
from aiscan.loader import RuleError, RuleSet

HEADER = """\
id: TST902
name: followed-by-call
category: token-verification-disabled
cwe: [347]
severity: error
confidence: high
message: "{callee} matched"
summary: A test rule.
docs: {why: w, bad: b, good: g}
since: 0.1.0
mode: pattern
"""

UNVERIFIED_UNLESS_VERIFIED_LATER = """\
patterns:
  - call: [jose.jwt.get_unverified_claims]
    unless:
      followed-by-call: [jose.jwt.decode]
"""

UNVERIFIED_WHERE_VERIFIED_LATER = """\
patterns:
  - call: [jose.jwt.get_unverified_claims]
    where:
      followed-by-call: [jose.jwt.decode]
"""


def ruleset(tmp_path: Path, patterns: str) -> RuleSet:
    path = tmp_path / "followed-by-call.yaml"
    path.write_text(HEADER + textwrap.dedent(patterns), encoding="utf-8")
    return load_rules([path], builtin=False)


def lines(rules: RuleSet, code: str) -> list[int]:
    result = scan_source(textwrap.dedent(code), rules=rules)
    assert not result.errors, result.errors
    return sorted(f.line for f in result.findings)


def test_a_later_call_in_the_same_function_holds(tmp_path: Path) -> None:
    code = """\
        from jose import jwt

        def claims(token, keys):
            unverified = jwt.get_unverified_claims(token)
            key = keys[unverified["iss"]]
            return jwt.decode(token, key, algorithms=["RS256"])
        """
    assert lines(ruleset(tmp_path, UNVERIFIED_UNLESS_VERIFIED_LATER), code) == []
    assert lines(ruleset(tmp_path, UNVERIFIED_WHERE_VERIFIED_LATER), code) == [4]


def test_an_earlier_call_does_not_hold(tmp_path: Path) -> None:
    code = """\
        from jose import jwt

        def claims(token, key):
            try:
                return jwt.decode(token, key, algorithms=["RS256"])
            except jwt.JWTError:
                return jwt.get_unverified_claims(token)
        """
    assert lines(ruleset(tmp_path, UNVERIFIED_UNLESS_VERIFIED_LATER), code) == [7]


def test_a_call_in_another_function_does_not_hold(tmp_path: Path) -> None:
    code = """\
        from jose import jwt

        def peek(token):
            return jwt.get_unverified_claims(token)

        def verify(token, key):
            return jwt.decode(token, key, algorithms=["RS256"])
        """
    assert lines(ruleset(tmp_path, UNVERIFIED_UNLESS_VERIFIED_LATER), code) == [4]


def test_the_matched_call_itself_and_calls_inside_it_do_not_count(tmp_path: Path) -> None:
    rules = ruleset(
        tmp_path,
        """\
        patterns:
          - call: [jose.jwt.decode]
            args:
              - keyword: options
                present: true
            unless:
              followed-by-call: [jose.jwt.decode, keystore.key_for]
        """,
    )
    code = """\
        from jose import jwt
        from keystore import key_for

        def claims(token):
            return jwt.decode(token, key_for(token), options={"verify_signature": False})
        """
    assert lines(rules, code) == [5]


def test_names_resolve_through_imports_and_aliases(tmp_path: Path) -> None:
    code = """\
        from jose.jwt import decode as verify_token
        from jose.jwt import get_unverified_claims as peek

        def claims(token, keys):
            issuer = peek(token)["iss"]
            return verify_token(token, keys[issuer], algorithms=["RS256"])
        """
    assert lines(ruleset(tmp_path, UNVERIFIED_UNLESS_VERIFIED_LATER), code) == []


def test_at_module_level_the_rest_of_the_module_counts(tmp_path: Path) -> None:
    code = """\
        from jose import jwt

        TOKEN = open("token.txt").read()
        CLAIMS = jwt.get_unverified_claims(TOKEN)
        VERIFIED = jwt.decode(TOKEN, "k" * 32, algorithms=["HS256"])
        PEEK = jwt.get_unverified_claims(TOKEN)
        """
    assert lines(ruleset(tmp_path, UNVERIFIED_UNLESS_VERIFIED_LATER), code) == [6]


def test_model_references_are_rejected_by_the_schema(tmp_path: Path) -> None:
    with pytest.raises(RuleError):
        ruleset(
            tmp_path,
            """\
            patterns:
              - call: [jose.jwt.get_unverified_claims]
                unless:
                  followed-by-call: [$jwt-decode-calls]
            """,
        )
