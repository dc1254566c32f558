"""Unit-level contracts of the guard functions in aiscan.engine.guards.

A guard is a check written in an ``if``/``while``/``assert`` test. ``guard_facts`` says which
variable it vets, with which guard kind, on the branch where the test holds (``when_true``) and
where it fails (``when_false``). The kinds and the forms that produce them are documented in
docs/writing-rules.md ("Sanitizers and guards"). ``terminates`` says whether a block never falls
through, which is what lets a guard whose other branch exits protect the code after the ``if``.
"""

from __future__ import annotations

import textwrap

import astroid
import pytest
from astroid import nodes

from aiscan.engine.guards import (
    GuardFacts,
    anchored_pattern,
    guard_facts,
    is_constant_collection,
    is_constant_mapping,
    terminates,
    var_key,
)
from aiscan.engine.taint import (
    ALLOW_LISTED,
    CHAR_CLASS,
    CONSTANT_COMPARED,
    CONVERTED,
    LENGTH_AT,
    LENGTH_CHECKED,
    PATH_CONFINED,
    REGEX_VALIDATED,
)

# Names the snippets below can use, bound as a module would bind them.
PRELUDE = """\
import enum
import os
import re
import sys
import uuid
from decimal import Decimal
from pathlib import Path

from flask import abort

BASE = "/srv/data"
ALLOWED = ("asc", "desc")
ALLOWED_LIST = ["asc", "desc"]
ALLOWED_SET = {"asc", "desc"}
ALLOWED_FROZEN = frozenset({"asc", "desc"})
NOT_CONSTANT = (os.sep, "desc")
EMPTY = ()
COLUMNS = {"name": "name", "date": "created_at"}
PAIRS = {"name": ("name", "asc"), "date": ("created_at", "desc")}
CALLS = {"name": str.lower}
NUMBER = 5
ANCHORED = re.compile(r"[a-z]+$")
UNANCHORED = re.compile(r"[a-z]+")
ANCHORED_TEXT = r"[a-z]+$"


class Order(enum.Enum):
    ASC = "asc"
    DESC = "desc"


class Plain:
    ASC = "asc"


class Settings:
    CHOICES = ("asc", "desc")
    EMPTY_CHOICES = ()
    MIXED = (os.sep, "desc")
    TABLE = {"name": "name"}
    BAD_TABLE = {os.sep: "name"}
"""


def expr(code: str) -> nodes.NodeNG:
    """The expression ``code``, parsed as the last statement of a module after the prelude."""
    module = astroid.parse(PRELUDE + "\n" + textwrap.dedent(code).strip() + "\n")
    last = module.body[-1]
    assert isinstance(last, nodes.Expr), f"not an expression: {code!r}"
    return last.value


def facts(test: str) -> GuardFacts:
    """The guard facts of ``test``, without the line annotations of length checks (which
    test_length_checks_record_their_line covers)."""
    found = guard_facts(expr(test))
    return GuardFacts(
        tuple(f for f in found.when_true if not f[1].startswith(LENGTH_AT)),
        tuple(f for f in found.when_false if not f[1].startswith(LENGTH_AT)),
    )


def when_true(test: str) -> set[tuple[str, str]]:
    return set(facts(test).when_true)


def when_false(test: str) -> set[tuple[str, str]]:
    return set(facts(test).when_false)


def body_of(code: str) -> list[nodes.NodeNG]:
    """The body of the function ``f`` defined by ``code`` (after the prelude)."""
    module = astroid.parse(PRELUDE + "\n" + textwrap.dedent(code).strip() + "\n")
    func = module.body[-1]
    assert isinstance(func, nodes.FunctionDef)
    return list(func.body)


# --- var_key: which variable a check speaks about --------------------------------------------


@pytest.mark.parametrize(
    ("code", "key"),
    [
        ("name", "name"),
        ("self.name", "self.name"),
        ("name.lower()", "name"),
        ("name.strip().casefold()", "name"),
        ("self.name.upper()", "self.name"),
        ("(name := get())", "name"),
        # Not one variable, or not the variable itself.
        ("name.lower(locale)", None),
        ("name.split()", None),
        ("get(name)", None),
        ("a.b.c", None),
        ("items[0]", None),
        ("'text'", None),
    ],
)
def test_var_key(code: str, key: str | None) -> None:
    assert var_key(expr(code)) == key


# --- constant collections and mappings --------------------------------------------------------


@pytest.mark.parametrize(
    "code",
    [
        "('asc', 'desc')",
        "['asc', 'desc']",
        "{'asc', 'desc'}",
        "{'asc': 1, 'desc': 2}",
        "frozenset({'asc', 'desc'})",
        "set(['asc', 'desc'])",
        "tuple(['asc', 'desc'])",
        "list(('asc', 'desc'))",
        "ALLOWED",
        "ALLOWED_LIST",
        "ALLOWED_SET",
        "ALLOWED_FROZEN",
        "COLUMNS",
        "Settings.CHOICES",
        "Settings.TABLE",
        "Order",
    ],
)
def test_constant_collections(code: str) -> None:
    assert is_constant_collection(expr(code))


@pytest.mark.parametrize(
    "code",
    [
        "()",
        "[]",
        "{}",
        "EMPTY",
        "Settings.EMPTY_CHOICES",
        "('asc', os.sep)",
        "NOT_CONSTANT",
        "Settings.MIXED",
        "{os.sep: 1}",
        "Settings.BAD_TABLE",
        # A call is only looked through for the builtin collection constructors.
        "sorted(('asc', 'desc'))",
        "frozenset()",
        "Plain",
        "NUMBER",
        "request.args",
    ],
)
def test_not_constant_collections(code: str) -> None:
    assert not is_constant_collection(expr(code))


@pytest.mark.parametrize(
    "code", ["COLUMNS", "PAIRS", "{'a': 'x', 'b': ('y', 1)}", "Settings.TABLE"]
)
def test_constant_mappings(code: str) -> None:
    assert is_constant_mapping(expr(code))


@pytest.mark.parametrize(
    "code",
    ["{}", "CALLS", "{'a': name}", "{'a': ('y', name)}", "{name: 'x'}", "ALLOWED", "NUMBER"],
)
def test_not_constant_mappings(code: str) -> None:
    assert not is_constant_mapping(expr(code))


# --- regular expressions ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "full", "anchored"),
    [
        ("r'[a-z]+'", True, True),
        ("r'[a-z]+'", False, False),
        ("r'[a-z]+$'", False, True),
        (r"r'[a-z]+\Z'", False, True),
        (r"r'([a-z]+\Z)'", False, True),
        # An escaped dollar is a literal character, not an anchor.
        (r"r'[a-z]+\$'", False, False),
        ("ANCHORED", False, True),
        ("UNANCHORED", False, False),
        ("UNANCHORED", True, True),
        ("ANCHORED_TEXT", False, True),
        ("NUMBER", True, False),
        ("pattern", True, False),
        # A pattern that is not known text does not anchor anything.
        ("get_pattern()", True, False),
        ("b'[a-z]+'", True, False),
    ],
)
def test_anchored_pattern(code: str, full: bool, anchored: bool) -> None:
    assert anchored_pattern(expr(code), full) is anchored


@pytest.mark.parametrize(
    "test",
    [
        "re.fullmatch(r'[a-z]+', name)",
        "re.fullmatch(r'[a-z]+', name, re.I)",
        "re.match(r'[a-z]+$', name)",
        r"re.match(r'[a-z]+\Z', name.lower())",
        "ANCHORED.match(name)",
        "ANCHORED.fullmatch(name)",
        "UNANCHORED.fullmatch(name)",
    ],
)
def test_regex_validation(test: str) -> None:
    assert facts(test) == GuardFacts(when_true=(("name", REGEX_VALIDATED),))


@pytest.mark.parametrize(
    "test",
    [
        # Not anchored at the end: "abc;reboot" matches.
        "re.match(r'[a-z]+', name)",
        "UNANCHORED.match(name)",
        "re.search(r'^[a-z]+$', name)",
        "ANCHORED.search(name)",
        # The pattern is not known.
        "re.fullmatch(pattern, name)",
        "re.fullmatch(get_pattern(), name)",
        "compiled.fullmatch(name)",
        "re.compile(pattern).fullmatch(name)",
        # No subject, or a subject that is not a variable.
        "re.fullmatch(r'[a-z]+')",
        "ANCHORED.match()",
        "re.fullmatch(r'[a-z]+', get(name))",
    ],
)
def test_not_regex_validation(test: str) -> None:
    assert facts(test) == GuardFacts()


# --- path confinement ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "test",
    [
        "Path(name).resolve().is_relative_to(BASE)",
        "Path(name).absolute().is_relative_to(BASE)",
        "(Path(BASE) / name).resolve().is_relative_to(BASE)",
        "str((Path(BASE) / name).resolve()).startswith(str(BASE))",
        "name.resolve().is_relative_to(BASE)",
        "os.path.realpath(name).startswith(BASE)",
        "os.path.abspath(name).startswith(BASE)",
        "os.path.normpath(name).startswith(BASE)",
        "os.path.realpath(os.path.abspath(name)).startswith(BASE)",
        "Path(os.path.abspath(name)).resolve().is_relative_to(BASE)",
        "os.path.commonpath([BASE, os.path.realpath(name)]) == BASE",
        "BASE == os.path.commonpath((BASE, os.path.realpath(name)))",
    ],
)
def test_path_confinement(test: str) -> None:
    assert facts(test) == GuardFacts(when_true=(("name", PATH_CONFINED),))


def test_path_confinement_of_a_name_bound_to_a_resolved_path() -> None:
    """``real = os.path.realpath(name)``: the check on ``real`` confines ``real`` (what is then
    opened) and ``name``."""
    module = astroid.parse(
        PRELUDE + "\ndef f(name):\n    real = os.path.realpath(name)\n"
        "    if real.startswith(BASE):\n        pass\n"
    )
    test = next(module.nodes_of_class(nodes.If)).test
    assert guard_facts(test) == GuardFacts(
        when_true=(("real", PATH_CONFINED), ("name", PATH_CONFINED))
    )


@pytest.mark.parametrize(
    "test",
    [
        "os.path.realpath(os.path.join(BASE, name)).startswith(BASE + os.sep)",
        "Path(BASE, name).resolve().is_relative_to(BASE)",
        "(Path(BASE) / name).resolve().is_relative_to(BASE)",
        "str((Path(BASE) / name).resolve()).startswith(str(BASE))",
        "os.path.commonpath([BASE, os.path.realpath(os.path.join(BASE, name))]) == BASE",
    ],
)
def test_path_confinement_of_a_path_joined_to_the_base(test: str) -> None:
    assert facts(test) == GuardFacts(when_true=(("name", PATH_CONFINED),))


@pytest.mark.parametrize(
    "test",
    [
        # Not normalised first: "/srv/data/../etc/passwd" starts with BASE.
        "name.startswith(BASE)",
        "os.path.join(BASE, name).startswith(BASE)",
        "os.path.commonpath([BASE, name]) == BASE",
        "Path(name).is_relative_to(BASE)",
        # Only commonpath() compared with the base confines; any other call does not.
        "min([BASE, os.path.realpath(name)]) == BASE",
        # What get_path() returns for name is not known.
        "get_path(name).resolve().is_relative_to(BASE)",
    ],
)
def test_not_path_confinement(test: str) -> None:
    assert PATH_CONFINED not in {kind for _, kind in facts(test).when_true}


def test_commonpath_compared_with_something_else_is_not_confinement() -> None:
    test = "os.path.commonpath([BASE, os.path.realpath(name)]) == other"
    assert facts(test) == GuardFacts()


def test_path_confinement_negated_compare() -> None:
    assert facts("os.path.commonpath([BASE, os.path.realpath(name)]) != BASE") == GuardFacts(
        when_false=(("name", PATH_CONFINED),)
    )


# --- comparisons ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("test", "expected"),
    [
        ("name in ALLOWED", GuardFacts(when_true=(("name", ALLOW_LISTED),))),
        ("name in {'asc', 'desc'}", GuardFacts(when_true=(("name", ALLOW_LISTED),))),
        ("name.lower() in COLUMNS", GuardFacts(when_true=(("name", ALLOW_LISTED),))),
        ("name in Order", GuardFacts(when_true=(("name", ALLOW_LISTED),))),
        ("name not in ALLOWED", GuardFacts(when_false=(("name", ALLOW_LISTED),))),
        ("name in allowed_now", GuardFacts()),
        ("name in NOT_CONSTANT", GuardFacts()),
        ("get(name) in ALLOWED", GuardFacts()),
        ("name == 'asc'", GuardFacts(when_true=(("name", CONSTANT_COMPARED),))),
        ("'asc' == name", GuardFacts(when_true=(("name", CONSTANT_COMPARED),))),
        ("name is True", GuardFacts(when_true=(("name", CONSTANT_COMPARED),))),
        ("name == NUMBER", GuardFacts(when_true=(("name", CONSTANT_COMPARED),))),
        ("name != 'asc'", GuardFacts(when_false=(("name", CONSTANT_COMPARED),))),
        ("name is not False", GuardFacts(when_false=(("name", CONSTANT_COMPARED),))),
        # None says nothing about the content of a value that is not None.
        ("name is None", GuardFacts()),
        ("name is not None", GuardFacts()),
        ("name == None", GuardFacts()),
        ("name == other", GuardFacts()),
        ("name < 'b'", GuardFacts()),
        ("'a' == name == other", GuardFacts()),
    ],
)
def test_comparisons(test: str, expected: GuardFacts) -> None:
    assert facts(test) == expected


@pytest.mark.parametrize(
    "test",
    [
        "len(name) > 40",
        "len(name) == 3",
        "0 < len(name) <= 40",
        "40 >= len(name)",
        "name",
        "len(name)",
        "bool(name)",
    ],
)
def test_length_checks_hold_on_both_branches(test: str) -> None:
    assert facts(test) == GuardFacts((("name", LENGTH_CHECKED),), (("name", LENGTH_CHECKED),))


def test_length_checks_record_their_line() -> None:
    module = astroid.parse("name = input()\n\nif not name or len(name) > 40:\n    pass\n")
    test = module.body[-1].test
    found = guard_facts(test)
    assert ("name", f"{LENGTH_AT}3") in found.when_true
    assert ("name", f"{LENGTH_AT}3") in found.when_false


@pytest.mark.parametrize("test", ["len(name, other) > 3", "count(name) > 3", "len(get()) > 3"])
def test_not_length_checks(test: str) -> None:
    assert facts(test) == GuardFacts()


# --- calls ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("test", "expected"),
    [
        ("name.isdigit()", GuardFacts(when_true=(("name", CHAR_CLASS),))),
        ("name.strip().isalnum()", GuardFacts(when_true=(("name", CHAR_CLASS),))),
        ("self.name.isidentifier()", GuardFacts(when_true=(("self.name", CHAR_CLASS),))),
        ("name.isprintable()", GuardFacts()),
        ("get(name).isdigit()", GuardFacts()),
        ("isinstance(name, int)", GuardFacts(when_true=(("name", CONVERTED),))),
        ("isinstance(name, uuid.UUID)", GuardFacts(when_true=(("name", CONVERTED),))),
        ("isinstance(name, (int, Decimal))", GuardFacts(when_true=(("name", CONVERTED),))),
        ("isinstance(name, str)", GuardFacts()),
        ("isinstance(name, (int, str))", GuardFacts()),
        ("isinstance(name, ())", GuardFacts()),
        ("isinstance(name)", GuardFacts()),
        ("isinstance(get(name), int)", GuardFacts()),
        ("check(name)", GuardFacts()),
        ("len()", GuardFacts()),
        ("bool(get())", GuardFacts()),
    ],
)
def test_calls(test: str, expected: GuardFacts) -> None:
    assert facts(test) == expected


# --- not, and, or -----------------------------------------------------------------------------


def test_not_swaps_the_branches() -> None:
    assert facts("not name.isdigit()") == GuardFacts(when_false=(("name", CHAR_CLASS),))
    assert facts("not name not in ALLOWED") == GuardFacts(when_true=(("name", ALLOW_LISTED),))


def test_negated_swaps_the_branches() -> None:
    a, b = ("a", ALLOW_LISTED), ("b", CHAR_CLASS)
    assert GuardFacts((a,), (b,)).negated() == GuardFacts((b,), (a,))


def test_and_holds_every_part_when_true() -> None:
    assert when_true("name in ALLOWED and other.isdigit()") == {
        ("name", ALLOW_LISTED),
        ("other", CHAR_CLASS),
    }
    assert when_false("name in ALLOWED and other.isdigit()") == set()


def test_and_when_false_keeps_a_variable_every_part_vetted() -> None:
    # Both parts false-vet name: when the whole is false, one of them failed, so name passed
    # one of the checks.
    test = "name not in ALLOWED and name != 'auto'"
    assert facts(test) == GuardFacts(when_false=(("name", ALLOW_LISTED),))
    assert when_false("name not in ALLOWED and other != 'auto'") == set()


def test_or_of_constant_comparisons_allow_lists() -> None:
    assert facts("fmt == 'png' or fmt == 'jpg'") == GuardFacts(when_true=(("fmt", ALLOW_LISTED),))
    assert facts("fmt == 'png' or fmt == 'jpg' or fmt.isdigit()") == GuardFacts(
        when_true=(("fmt", ALLOW_LISTED),)
    )


def test_or_of_checks_on_different_variables_vets_nothing_when_true() -> None:
    assert facts("fmt == 'png' or other == 'jpg'") == GuardFacts()
    assert facts("fmt == 'png' or check(fmt)") == GuardFacts()


def test_or_when_false_holds_every_part() -> None:
    test = "name not in ALLOWED or other != 'x'"
    assert when_false(test) == {("name", ALLOW_LISTED), ("other", CONSTANT_COMPARED)}
    assert when_true(test) == set()


def test_length_checks_are_kept_through_and_and_or() -> None:
    """An empty-or-unknown check (``if not name or name not in ALLOWED: abort()``)."""
    test = "not name or name not in ALLOWED"
    assert when_true(test) == {("name", LENGTH_CHECKED)}
    assert when_false(test) == {("name", LENGTH_CHECKED), ("name", ALLOW_LISTED)}
    test = "name and len(other) < 10"
    assert when_true(test) == {("name", LENGTH_CHECKED), ("other", LENGTH_CHECKED)}
    assert when_false(test) == {("name", LENGTH_CHECKED), ("other", LENGTH_CHECKED)}


def test_a_length_check_is_not_a_content_check_in_an_or() -> None:
    # len(fmt) < 5 does not vet fmt's content: only the length fact survives the or.
    assert when_true("fmt == 'png' or len(fmt) < 5") == {("fmt", LENGTH_CHECKED)}


def test_unknown_tests_vet_nothing() -> None:
    assert facts("check(name)") == GuardFacts()
    assert facts("name + 1") == GuardFacts()
    assert facts("self.name") == GuardFacts()


# --- terminates -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        "return None",
        "raise ValueError(name)",
        "abort(403)",
        "sys.exit(1)",
        "os._exit(1)",
        "log(name)\nreturn",
        """
        if name:
            return 1
        else:
            raise ValueError
        """,
        """
        try:
            return int(name)
        except ValueError:
            abort(400)
        """,
    ],
)
def test_terminates(body: str) -> None:
    code = "def f(name):\n" + textwrap.indent(textwrap.dedent(body).strip(), "    ")
    assert terminates(body_of(code))


@pytest.mark.parametrize(
    "body",
    [
        "pass",
        "log(name)",
        "name = 1",
        "return\nlog(name)",
        """
        if name:
            return 1
        """,
        """
        if name:
            return 1
        else:
            log(name)
        """,
        """
        try:
            return int(name)
        except ValueError:
            log(name)
        """,
        """
        try:
            log(name)
        except ValueError:
            return
        """,
        """
        for item in name:
            return item
        """,
    ],
)
def test_does_not_terminate(body: str) -> None:
    code = "def f(name):\n" + textwrap.indent(textwrap.dedent(body).strip(), "    ")
    assert not terminates(body_of(code))


def test_loop_exits_terminate_the_block() -> None:
    module = astroid.parse("for x in y:\n    if x:\n        continue\n    if x:\n        break\n")
    loop = module.body[0]
    assert isinstance(loop, nodes.For)
    first, second = loop.body
    assert terminates(first.body)
    assert terminates(second.body)


def test_an_empty_block_does_not_terminate() -> None:
    assert not terminates([])


def test_excluded_quote() -> None:
    assert when_false('"\'" in name') == {("name", "excludes:'")}
    assert when_true('"\'" not in name') == {("name", "excludes:'")}
    assert when_true('"\'" in name') == set()


@pytest.mark.parametrize(
    ("test", "branch"),
    [
        ('name.startswith("\'") and name.endswith("\'") and "\'" not in name[1:-1]', True),
        ('not name.startswith("\'") or not name.endswith("\'") or "\'" in name[1:-1]', False),
    ],
)
def test_quoted_literal(test: str, branch: bool) -> None:
    facts_found = when_true(test) if branch else when_false(test)
    assert facts_found == {("name", "quoted-literal")}
    assert (when_false(test) if branch else when_true(test)) == set()


@pytest.mark.parametrize(
    "test",
    [
        # A quote inside is allowed: not one literal.
        'name.startswith("\'") and name.endswith("\'")',
        # Different quotes at the two ends.
        'name.startswith("\'") and name.endswith(\'"\') and "\'" not in name[1:-1]',
        # The inner check on the wrong slice.
        'name.startswith("\'") and name.endswith("\'") and "\'" not in name[1:]',
    ],
)
def test_not_quoted_literal(test: str) -> None:
    assert ("name", "quoted-literal") not in when_true(test)


def test_parent_directory_excluded() -> None:
    assert when_false("'../' in name") == {("name", "dot-dot-free")}
    assert when_true("'..' not in name") == {("name", "dot-dot-free")}
