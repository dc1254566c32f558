"""Constant evaluation of expressions: what a reviewer can read off the code without running it."""

from __future__ import annotations

import astroid
import pytest
from hypothesis import given
from hypothesis import strategies as st

from aiscan.engine.consts import UNKNOWN, case_matches, decided, evaluate


def value_of(code: str, **known: object) -> object:
    return evaluate(astroid.extract_node(code), known)


@pytest.mark.parametrize(
    ("code", "known", "expected"),
    [
        ("(7 * 42) - num > 200", {"num": 86}, True),
        ("7 * 18 + num > 200", {"num": 106}, True),
        ("'should' in bar", {"bar": "This should never happen"}, True),
        ("possible[0]", {"possible": "ABC"}, "A"),
        ("s[4:-17]", {"s": "helpXsnapes on a plane"}, "X"),
        ("'a' if x else 'b'", {"x": 0}, "b"),
        ("not flag", {"flag": False}, True),
        ("a and b", {"a": 1, "b": 0}, 0),
        ("a or b", {"a": 0, "b": "x"}, "x"),
        ("1 < n <= 3", {"n": 3}, True),
        ("f'{a}-{b}'", {"a": "x", "b": 2}, "x-2"),
        ("len(s)", {"s": "abc"}, 3),
        ("s.upper()", {"s": "abc"}, "ABC"),
        ("(1, 2)[1]", {}, 2),
        ("'ab' + c", {"c": "cd"}, "abcd"),
        ("'ab' * 2", {}, "abab"),
    ],
)
def test_known_values(code: str, known: dict[str, object], expected: object) -> None:
    assert value_of(code, **known) == expected


@pytest.mark.parametrize(
    ("code", "known"),
    [
        ("x > 3", {}),  # x unknown
        ("request.args['a']", {}),
        ("1 / 0", {}),
        ("'%s' % x", {"x": "a"}),
        ("'a' * 10**9", {}),
        ("s[i]", {"s": "abc", "i": "1"}),
        ("f'{x!r}'", {"x": "a"}),
        ("open('f')", {}),
        ("[1, 2][5]", {}),
        ("[1, 2]", {}),  # a list can change after it is assigned
    ],
)
def test_unknown_values(code: str, known: dict[str, object]) -> None:
    assert value_of(code, **known) is UNKNOWN


def test_decided() -> None:
    assert decided(astroid.extract_node("n > 1"), {"n": 2}) is True
    assert decided(astroid.extract_node("n > 1"), {"n": 0}) is False
    assert decided(astroid.extract_node("n > 1"), {}) is None


def match_patterns(code: str) -> list[object]:
    node = astroid.extract_node(code)
    return [c.pattern for c in node.cases]


def test_case_matches() -> None:
    patterns = match_patterns(
        """
match x:  #@
    case "A":
        pass
    case "B" | "C":
        pass
    case None:
        pass
    case y:
        pass
    case [a, b]:
        pass
"""
    )
    assert [case_matches(p, "A") for p in patterns] == [True, False, False, True, None]
    assert [case_matches(p, "C") for p in patterns] == [False, True, False, True, None]
    assert case_matches(patterns[2], None) is True


_ints = st.integers(min_value=-1000, max_value=1000)
_ops = st.sampled_from(["+", "-", "*", "//", "%"])


@given(_ints, _ops, _ints, st.sampled_from(["<", ">", "==", "!=", "<=", ">="]), _ints)
def test_arithmetic_agrees_with_python(a: int, op: str, b: int, cmp: str, c: int) -> None:
    code = f"({a} {op} {b}) {cmp} {c}"
    try:
        expected = eval(code)  # the test's own integer arithmetic
    except ZeroDivisionError:
        assert value_of(code) is UNKNOWN
        return
    assert value_of(code) == expected


@given(st.text(max_size=20), st.integers(-25, 25), st.integers(-25, 25))
def test_string_slices_agree_with_python(text: str, lo: int, hi: int) -> None:
    assert value_of(f"s[{lo}:{hi}]", s=text) == text[lo:hi]


def test_an_unknown_name_is_not_none() -> None:
    # A variable the analysis knows nothing about is unknown, not None.
    assert decided(astroid.extract_node("x is None"), {}) is None
    assert decided(astroid.extract_node("x is None"), {"x": None}) is True


def test_deep_expressions_are_unknown() -> None:
    deep = "-" * 30 + "1"
    assert value_of(deep) is UNKNOWN
    assert value_of("-" * 4 + "1") == 1
