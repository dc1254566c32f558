"""``mode: test``: tests that check nothing (no assertion, a tautology, only their own mock)."""

from __future__ import annotations

import builtins
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import astroid
from astroid import nodes
from astroid.util import safe_infer

from aiscan.engine.context import FileContext, def_line, is_test_path, last_name
from aiscan.engine.names import NameIndex, import_target, inside_scan, resolve
from aiscan.matchers.base import ContextCondition, Prefilter, make_finding
from aiscan.matchers.pattern import source_text
from aiscan.matchers.values import walk
from aiscan.model import Finding, Rule

_BUILTINS = frozenset(dir(builtins))
_MAX_DEPTH = 12
_ASTROID_ERRORS = (astroid.AstroidError, RecursionError, AttributeError, TypeError, ValueError)
# Comparisons that always hold between an expression and itself.
_REFLEXIVE_OPS = frozenset({"==", "is", "<=", ">="})
_MOCK_MODULES = frozenset({"unittest.mock", "mock", "mock.mock"})
# Only names like these are compared with the mock assertions, letter by letter.
_ASSERTION_LIKE = re.compile(r"cal|await|as+e?r?t")
_UNSEEN = object()


def _opt_re(pattern: str | None) -> re.Pattern[str] | None:
    return re.compile(pattern) if pattern else None


def _last(names: Iterable[str]) -> frozenset[str]:
    return frozenset(n.rsplit(".", 1)[-1] for n in names)


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance (insertions, deletions and substitutions)."""
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


class TestSpec:
    """The ``test:`` block of a rule, compiled."""

    __test__ = False  # not a pytest test class

    def __init__(self, spec: Mapping[str, Any]) -> None:
        tests = spec.get("tests") or {}
        self.function_re = re.compile(tests.get("function-regex", "^test"))
        self.class_re = re.compile(tests.get("class-regex", "^Test"))
        self.class_base_re = _opt_re(tests.get("class-base-regex"))
        self.not_decorators = NameIndex(tests.get("not-decorators", ()))
        checks = spec.get("checks") or {}
        self.check_calls = NameIndex(checks.get("calls", ()))
        self.check_call_re = _opt_re(checks.get("call-regex"))
        intentional = spec.get("intentional") or {}
        self.skip_decorators = NameIndex(intentional.get("decorators", ()))
        self.skip_calls = NameIndex(intentional.get("calls", ()))
        self.intentional_name_re = _opt_re(intentional.get("name-regex"))
        self.intentional_text_re = _opt_re(intentional.get("text-regex"))
        self.benchmark_params = frozenset(intentional.get("parameters", ()))
        mocks = spec.get("mocks") or {}
        self.mock_factories = NameIndex(mocks.get("factories", ()))
        self.mock_factory_last = _last(mocks.get("factories", ()))
        self.mock_fixtures = frozenset(mocks.get("fixtures", ()))
        self.mock_assertions = frozenset(mocks.get("assertions", ()))
        self.mock_attributes = frozenset(mocks.get("attributes", ()))
        self.strict_prefixes = tuple(mocks.get("strict-prefixes", ()))
        self.mock_helpers = NameIndex(mocks.get("helpers", ()))
        self.pure_calls = frozenset(spec.get("pure-calls", ()))
        self.truth_assertions = frozenset(spec.get("truth-assertions", ()))
        self.equality_assertions = frozenset(spec.get("equality-assertions", ()))
        self.messages: dict[str, str] = dict(spec.get("messages") or {})
        self.prefilter_regex: str | None = spec.get("prefilter-regex")
        self._suggestions: dict[str, object] = {}

    def suggestion(self, attr: str) -> str | None:
        """The mock assertion that ``attr`` misspells, or None when it is no misspelling:
        the name without ``assert_`` (``called_once_with``), in camelCase, or within two
        edits of one (``assert_called_one_with``)."""
        cached = self._suggestions.get(attr, _UNSEEN)
        if cached is not _UNSEEN:
            return cached if isinstance(cached, str) else None
        found = self._suggest(attr)
        self._suggestions[attr] = found
        return found

    def _suggest(self, attr: str) -> str | None:
        real = self.mock_assertions
        if not real or attr in real or attr in self.mock_attributes:
            return None
        if "_" in attr and "assert_" + attr in real:
            return "assert_" + attr
        snake = _snake(attr)
        if snake in real:
            return snake
        if len(snake) < 10 or not _ASSERTION_LIKE.search(snake):
            return None
        close = [r for r in sorted(real) if abs(len(r) - len(snake)) <= 2]
        scored = sorted((edit_distance(snake, r), r) for r in close)
        return scored[0][1] if scored and scored[0][0] <= 2 else None


@dataclass
class _Problem:
    kind: str
    node: nodes.NodeNG
    values: dict[str, str] = field(default_factory=dict)


@dataclass
class _Facts:
    """What one test's body checks."""

    genuine: bool = False
    problems: list[_Problem] = field(default_factory=list)  # always reported
    tautologies: list[nodes.NodeNG] = field(default_factory=list)
    self_comparisons: list[nodes.NodeNG] = field(default_factory=list)
    own_mock_checks: list[nodes.NodeNG] = field(default_factory=list)
    helper_calls: list[nodes.Call] = field(default_factory=list)


class _TestBody:
    """One test function: its names, its own mocks and its literal values."""

    def __init__(self, spec: TestSpec, func: nodes.FunctionDef) -> None:
        self.spec = spec
        self.func = func
        self.loads: dict[str, list[nodes.Name]] = {}
        for stmt in func.body:
            for node in walk(stmt):
                if isinstance(node, nodes.Name):
                    self.loads.setdefault(str(node.name), []).append(node)
        self.own_mocks = frozenset(
            name for name in self.loads if self._is_mock_binding(name) and not self._escapes(name)
        )
        self._literal: dict[str, tuple[bool, frozenset[str]]] = {}

    # --- bindings -------------------------------------------------------------------------

    def single_value(self, name: str) -> nodes.NodeNG | None:
        """The value of ``name`` when the test binds it exactly once, by a plain assignment."""
        bound = self.func.locals.get(name, [])
        if len(bound) != 1 or not isinstance(bound[0], nodes.AssignName):
            return None
        parent = bound[0].parent
        if (
            isinstance(parent, nodes.Assign)
            and len(parent.targets) == 1
            and parent.targets[0] is bound[0]
        ):
            value: nodes.NodeNG = parent.value
            return value
        return None

    def _is_mock_binding(self, name: str) -> bool:
        value = self.single_value(name)
        if not isinstance(value, nodes.Call):
            return False
        func = value.func
        if (
            isinstance(func, nodes.Attribute)
            and isinstance(func.expr, nodes.Name)
            and func.expr.name in self.spec.mock_fixtures
            and func.attrname in self.spec.mock_factory_last
        ):
            return True
        return resolve(func, self.spec.mock_factories) is not None

    def _escapes(self, name: str) -> bool:
        """The mock may reach the code under test: it is passed, stored, returned or captured.

        Calling it, configuring it (``m.return_value = 3``) and reading it in a check stay in
        the test.
        """
        for load in self.loads.get(name, ()):
            if load.scope() is not self.func:
                return True
            top: nodes.NodeNG = load
            steps: list[nodes.NodeNG] = []
            while True:
                parent = top.parent
                if (
                    (isinstance(parent, nodes.Attribute) and parent.expr is top)
                    or (isinstance(parent, nodes.Subscript) and parent.value is top)
                    or (isinstance(parent, nodes.Call) and parent.func is top)
                    or isinstance(parent, nodes.Await)
                ):
                    steps.append(parent)
                    top = parent
                    continue
                break
            parent = top.parent
            if isinstance(parent, (nodes.AssignAttr, nodes.Expr)):
                continue
            if self.in_check(top):
                continue
            if isinstance(parent, nodes.Assign) and parent.value is top and steps:
                # ``result = m(1)`` keeps a call's result; ``x = m.call_args`` reads a record.
                last = steps[-1]
                if isinstance(last, nodes.Call) or (
                    isinstance(last, nodes.Attribute) and last.attrname in self.spec.mock_attributes
                ):
                    continue
            return True
        return False

    def in_check(self, node: nodes.NodeNG) -> bool:
        """``node`` is inside the test of an ``assert`` or the arguments of an assertion call."""
        child, parent = node, node.parent
        while parent is not None and parent is not self.func:
            if isinstance(parent, nodes.Assert):
                return parent.test is child
            if isinstance(parent, nodes.Call) and child is not parent.func:
                callee = _callee_name(parent)
                if callee in self.spec.truth_assertions or callee in self.spec.equality_assertions:
                    return True
            if parent.is_statement:
                return False
            child, parent = parent, parent.parent
        return False

    def mock_root(self, node: nodes.NodeNG) -> str | None:
        """The test's own mock that ``node`` (``m``, ``m.x``, ``m.x(1).y``) is rooted at."""
        current = node
        while True:
            if isinstance(current, nodes.Attribute):
                current = current.expr
            elif isinstance(current, nodes.Subscript):
                current = current.value
            elif isinstance(current, nodes.Call):
                current = current.func
            elif isinstance(current, nodes.Await):
                current = current.value
            else:
                break
        if isinstance(current, nodes.Name) and current.name in self.own_mocks:
            if current.scope() is self.func:
                return str(current.name)
        return None

    # --- values that check nothing ------------------------------------------------------------

    def evident(self, node: nodes.NodeNG, used: set[str], depth: int = 0) -> bool:
        """``node``'s value follows from the test's own code: constants, literal values the test
        bound and only checks, pure builtins of those, and the test's own mocks."""
        if depth > _MAX_DEPTH:
            return False
        step = depth + 1
        if isinstance(node, nodes.Const):
            return True
        if isinstance(node, nodes.Name):
            return self._evident_name(node, used, step)
        if isinstance(node, nodes.Attribute):
            return self.evident(node.expr, used, step)
        if isinstance(node, nodes.Subscript):
            return self.evident(node.value, used, step) and self.evident(node.slice, used, step)
        if isinstance(node, nodes.Call):
            func = node.func
            args = [*(node.args or []), *(kw.value for kw in node.keywords or [])]
            if not all(self.evident(a, used, step) for a in args):
                return False
            if isinstance(func, nodes.Name):
                if func.name in self.spec.pure_calls and not _bound(func):
                    return True
                if func.name in self.own_mocks:
                    return self._evident_name(func, used, step)
                return self._is_mock_helper(func)
            return isinstance(func, nodes.Attribute) and self.evident(func.expr, used, step)
        if isinstance(node, nodes.Dict):
            return all(
                (k is None or isinstance(k, nodes.DictUnpack) or self.evident(k, used, step))
                and self.evident(v, used, step)
                for k, v in node.items
            )
        parts = _value_parts(node)
        if parts is None:
            return False
        return all(self.evident(p, used, step) for p in parts)

    def _evident_name(self, node: nodes.Name, used: set[str], depth: int) -> bool:
        name = str(node.name)
        if name in self.own_mocks and node.scope() is self.func:
            used.add(name)
            return True
        if self._is_literal(name, used, depth):
            return True
        if self._is_mock_helper(node):
            return True
        return name in _BUILTINS and not _bound(node)

    def _is_literal(self, name: str, used: set[str], depth: int) -> bool:
        """``name`` is bound once to an evident value and only read in checks."""
        known = self._literal.get(name)
        if known is None:
            self._literal[name] = (False, frozenset())  # a self-reference is no literal
            value = self.single_value(name)
            mocks: set[str] = set()
            result = (
                value is not None
                and all(
                    load.scope() is self.func and self.in_check(load)
                    for load in self.loads.get(name, ())
                )
                and self.evident(value, mocks, depth)
            )
            known = (result, frozenset(mocks))
            self._literal[name] = known
        if known[0]:
            used.update(known[1])
        return known[0]

    def _is_mock_helper(self, node: nodes.NodeNG) -> bool:
        return resolve(node, self.spec.mock_helpers, infer=False) is not None


def _bound(node: nodes.Name) -> bool:
    """The name is assigned or imported somewhere in reach (so it is not the builtin)."""
    try:
        _, assignments = node.lookup(node.name)
    except _ASTROID_ERRORS:
        return True
    return any(a.root().name != "builtins" for a in assignments)


def _value_parts(node: nodes.NodeNG) -> list[nodes.NodeNG] | None:
    """The operands of an expression that only combines its parts, or None."""
    if isinstance(node, (nodes.List, nodes.Tuple, nodes.Set)):
        return list(node.elts)
    if isinstance(node, nodes.Starred):
        return [node.value]
    if isinstance(node, nodes.UnaryOp):
        return [node.operand]
    if isinstance(node, nodes.BinOp):
        return [node.left, node.right]
    if isinstance(node, nodes.BoolOp):
        return list(node.values)
    if isinstance(node, nodes.Compare):
        return [node.left, *(right for _, right in node.ops)]
    if isinstance(node, nodes.JoinedStr):
        return list(node.values)
    if isinstance(node, nodes.FormattedValue):
        return [node.value] + ([node.format_spec] if node.format_spec is not None else [])
    if isinstance(node, nodes.IfExp):
        return [node.test, node.body, node.orelse]
    if isinstance(node, nodes.Slice):
        return [p for p in (node.lower, node.upper, node.step) if p is not None]
    return None


def _callee_name(call: nodes.Call) -> str:
    func = call.func
    if isinstance(func, nodes.Attribute):
        return str(func.attrname)
    if isinstance(func, nodes.Name):
        return str(func.name)
    return ""


def _decorator_targets(node: nodes.FunctionDef | nodes.ClassDef) -> list[nodes.NodeNG]:
    if node.decorators is None:
        return []
    return [d.func if isinstance(d, nodes.Call) else d for d in node.decorators.nodes]


def _call_free(node: nodes.NodeNG) -> bool:
    return not any(isinstance(n, nodes.Call) for n in walk(node))


def _same_expression(left: nodes.NodeNG, right: nodes.NodeNG) -> bool:
    """Both sides are the same expression, which no call can make differ."""
    if isinstance(left, nodes.Const) or not (_call_free(left) and _call_free(right)):
        return False
    try:
        return bool(left.as_string() == right.as_string())
    except _ASTROID_ERRORS:
        return False


def _doc_and_comments(ctx: FileContext, func: nodes.FunctionDef) -> str:
    """The test's docstring and the comments in its body, whitespace collapsed."""
    parts: list[str] = []
    doc = func.doc_node
    if doc is not None and isinstance(doc.value, str):
        parts.append(doc.value)
    first = def_line(func)
    last = int(func.end_lineno or first)
    for line in range(first, last + 1):
        # A "#" inside a string only reads as a comment here: it can only exempt a test.
        text = ctx.source.line(line)
        if "#" in text:
            parts.append(text.split("#", 1)[1])
    return " ".join(" ".join(parts).split())


def _has_base(klass: nodes.ClassDef, base_re: re.Pattern[str], depth: int) -> bool:
    """A base of ``klass``, or of its bases in the test code (this file, test modules), has a
    name that ``base_re`` finds. Library classes are not inferred: that would load them."""
    if depth > 5:
        return False
    for base in klass.bases:
        if base_re.search(last_name(base)):
            return True
        if not isinstance(base, nodes.Name) or not _bound_to_test_code(base, classes=True):
            continue
        try:
            found = safe_infer(base)
        except _ASTROID_ERRORS:
            continue
        if isinstance(found, nodes.ClassDef) and _has_base(found, base_re, depth + 1):
            return True
    return False


def _may_be_test_helper(func: nodes.NodeNG) -> bool:
    """Without inference: the callee may be a helper of the test code. A function of this file
    or one imported from a test module (``helper(x)``, ``helpers.place(x)``), or a method of
    the test's class (``self.place(x)``); not a library function (``nx.path_graph(3)``)."""
    if isinstance(func, nodes.Attribute):
        receiver = func.expr
        if isinstance(receiver, nodes.Name) and receiver.name in ("self", "cls"):
            return True
        if not isinstance(receiver, nodes.Name):
            return False
        return _bound_to_test_code(receiver, module_only=True)
    return isinstance(func, nodes.Name) and _bound_to_test_code(func, module_only=False)


def _bound_to_test_code(
    name: nodes.Name, *, module_only: bool = False, classes: bool = False
) -> bool:
    """``name`` is defined in this file (a function, or a class with ``classes``) or imported
    from a test module; with ``module_only``, only imports count."""
    kinds = (nodes.ClassDef,) if classes else (nodes.FunctionDef,)
    try:
        _, assignments = name.lookup(name.name)
    except _ASTROID_ERRORS:
        return False
    for bound in assignments:
        if isinstance(bound, kinds) and not module_only:
            return bound.root() is name.root()
        if isinstance(bound, (nodes.Import, nodes.ImportFrom)):
            target = import_target(bound, str(name.name))
            return target is not None and is_test_path(target.replace(".", "/") + ".py")
    return False


def _explicit_failure(values: list[nodes.NodeNG]) -> bool:
    """Inference shows that one value is false (``assert False``), or that two values differ
    (``assertEqual(False, "not raised")``): the check is a deliberate failure."""
    try:
        found = [safe_infer(v) for v in values]
    except _ASTROID_ERRORS:
        return False
    if len(found) == 1:
        return isinstance(found[0], nodes.NodeNG) and found[0].bool_value() is False
    first, second = found[0], found[1]
    if isinstance(first, nodes.Const) and isinstance(second, nodes.Const):
        return type(first.value) is not type(second.value) or first.value != second.value
    return False


def _receiver_root(node: nodes.NodeNG) -> tuple[nodes.NodeNG, int]:
    """The innermost object of an attribute chain and the chain's length."""
    current, length = node, 0
    while True:
        if isinstance(current, nodes.Attribute):
            current, length = current.expr, length + 1
        elif isinstance(current, nodes.Call):
            current = current.func
        elif isinstance(current, nodes.Subscript):
            current = current.value
        else:
            return current, length


class TestFunctionMatcher:
    """Runs a ``mode: test`` rule over one file: each test, reported at its ``def`` line."""

    __test__ = False  # not a pytest test class

    def __init__(self, rule: Rule) -> None:
        self.rule = rule
        self.spec = TestSpec(rule.spec["test"])
        where = rule.spec.get("where")
        self.where = ContextCondition(where) if where else None

    def prefilter(self) -> Prefilter:
        if self.spec.prefilter_regex:
            return Prefilter(regexes=(self.spec.prefilter_regex,))
        return Prefilter(always=True)

    def check(self, ctx: FileContext) -> Iterator[Finding]:
        for func, in_skipped_class in self.tests(ctx.module):
            if self.where is not None and not self.where.holds(ctx, func):
                continue
            verdict = self.judge(ctx, func, in_skipped_class)
            if verdict is None:
                continue
            kind, values = verdict
            message = self.spec.messages.get(kind) if kind != "no-check" else None
            yield make_finding(self.rule, ctx.def_location(func), values, message=message)

    # --- which functions are tests -----------------------------------------------------------

    def tests(self, module: nodes.Module) -> Iterator[tuple[nodes.FunctionDef, bool]]:
        """(test function, its class is marked skip) in source order."""
        for node in module.body:
            if isinstance(node, nodes.FunctionDef) and self._is_test_function(node):
                yield node, False
            elif isinstance(node, nodes.ClassDef):
                yield from self._class_tests(node, False)

    def _class_tests(
        self, klass: nodes.ClassDef, skipped: bool
    ) -> Iterator[tuple[nodes.FunctionDef, bool]]:
        if not self._is_test_class(klass):
            return
        skipped = skipped or self._has_decorator(klass, self.spec.skip_decorators)
        for node in klass.body:
            if isinstance(node, nodes.FunctionDef) and self._is_test_function(node):
                yield node, skipped
            elif isinstance(node, nodes.ClassDef):
                yield from self._class_tests(node, skipped)

    def _is_test_function(self, func: nodes.FunctionDef) -> bool:
        if not self.spec.function_re.search(str(func.name)):
            return False
        return not self._has_decorator(func, self.spec.not_decorators)

    def _is_test_class(self, klass: nodes.ClassDef) -> bool:
        """A Test* class without __init__ (what pytest collects), or a class with a base or
        ancestor whose name the base regex finds (a unittest.TestCase, through project bases)."""
        if self.spec.class_re.search(str(klass.name)) and "__init__" not in klass.locals:
            return True
        base_re = self.spec.class_base_re
        if base_re is None or not klass.bases:
            return False
        return _has_base(klass, base_re, 0)

    def _has_decorator(self, node: nodes.FunctionDef | nodes.ClassDef, index: NameIndex) -> bool:
        return any(resolve(t, index) is not None for t in _decorator_targets(node))

    # --- what a test checks ----------------------------------------------------------------

    def judge(
        self, ctx: FileContext, func: nodes.FunctionDef, in_skipped_class: bool
    ) -> tuple[str, dict[str, str]] | None:
        """What is wrong with one test (the first problem, in source order), or None.

        A misspelt or uncalled mock assertion and an asserted tuple are reported whatever
        else the test checks. A test with no genuine check (checks of its own mock, of an
        expression against itself and of its own constants are none) is reported unless it
        is skipped or says that not raising is its point.
        """
        body = _TestBody(self.spec, func)
        facts = self._facts(body)
        name = {"function": str(func.name)}
        if facts.problems:
            first = min(facts.problems, key=lambda p: (p.node.lineno or 0, p.node.col_offset or 0))
            return first.kind, {**name, **first.values}
        if facts.genuine or in_skipped_class or self._intentional(ctx, func):
            return None
        if any(self._helper_checks(ctx, call) for call in facts.helper_calls):
            return None
        for kind, found in (
            ("own-mock", facts.own_mock_checks),
            ("same-expression", facts.self_comparisons),
            ("tautology", facts.tautologies),
        ):
            if found:
                return kind, {**name, "value": source_text(found[0])}
        return "no-check", name

    def _facts(self, body: _TestBody) -> _Facts:
        facts = _Facts()
        for stmt in body.func.body:
            for node in walk(stmt):
                if isinstance(node, nodes.Raise):
                    facts.genuine = True
                elif isinstance(node, nodes.Assert):
                    self._judge_assert(body, node, facts)
                elif isinstance(node, nodes.Call):
                    self._judge_call(body, node, facts)
                elif isinstance(node, nodes.Attribute):
                    self._judge_attribute(body, node, facts)
        return facts

    def _judge_assert(self, body: _TestBody, node: nodes.Assert, facts: _Facts) -> None:
        test = node.test
        if isinstance(test, nodes.Tuple) and test.elts:
            facts.problems.append(_Problem("tuple", node, {"value": source_text(test)[1:-1]}))
            return
        if isinstance(test, nodes.Attribute) and self._uncalled_assertion(body, test):
            return  # reported by _judge_attribute
        if (
            isinstance(test, nodes.Compare)
            and len(test.ops) == 1
            and test.ops[0][0] in _REFLEXIVE_OPS
            and _same_expression(test.left, test.ops[0][1])
        ):
            # Mostly a typo for another name; a reflexivity check of __eq__ when others follow.
            facts.self_comparisons.append(test)
            return
        self._judge_value(body, [test], test, facts)

    def _judge_value(
        self, body: _TestBody, values: list[nodes.NodeNG], check: nodes.NodeNG, facts: _Facts
    ) -> None:
        """One value (``assert v``) or two (``assertEqual(a, b)``) that a check tests."""
        used: set[str] = set()
        if not all(body.evident(v, used) for v in values):
            facts.genuine = True
        elif used:
            facts.own_mock_checks.append(check)
        elif _explicit_failure(values):
            facts.genuine = True  # assert False, assertEqual(False, "not raised"): a failure
        else:
            facts.tautologies.append(check)

    def _judge_call(self, body: _TestBody, call: nodes.Call, facts: _Facts) -> None:
        func = call.func
        spec = self.spec
        callee = _callee_name(call)
        if isinstance(func, nodes.Attribute):
            if spec.suggestion(callee) is not None and self._mock_like_receiver(func.expr):
                return  # a misspelt mock assertion: reported by _judge_attribute
        if body.mock_root(func) is not None:
            # The test calls its own mock: that is no check; asserting on it checks the test.
            if isinstance(func, nodes.Attribute) and (
                callee in spec.mock_assertions or self._name_checks(callee)
            ):
                facts.own_mock_checks.append(call)
            return
        if resolve(func, spec.check_calls) is not None:
            facts.genuine = True
            return
        if not self._name_checks(callee):
            if callee:
                facts.helper_calls.append(call)
            return
        args = list(call.args or [])
        if callee in spec.equality_assertions and len(args) >= 2:
            if _same_expression(args[0], args[1]):
                facts.self_comparisons.append(call)
                return
            self._judge_value(body, args[:2], call, facts)
            return
        if callee in spec.truth_assertions and args:
            self._judge_value(body, args[:1], call, facts)
            return
        facts.genuine = True

    def _name_checks(self, name: str) -> bool:
        return self.spec.check_call_re is not None and bool(self.spec.check_call_re.search(name))

    def _judge_attribute(self, body: _TestBody, node: nodes.Attribute, facts: _Facts) -> None:
        attr = str(node.attrname)
        if self._uncalled_assertion(body, node):
            facts.problems.append(_Problem("uncalled", node, {"value": source_text(node)}))
            return
        suggest = self.spec.suggestion(attr)
        if suggest is None or not self._mock_like_receiver(node.expr):
            return
        parent = node.parent
        shown = parent if isinstance(parent, nodes.Call) and parent.func is node else node
        strict = attr.startswith(self.spec.strict_prefixes) if self.spec.strict_prefixes else False
        facts.problems.append(
            _Problem(
                "misspelt-strict" if strict else "misspelt",
                node,
                {
                    "value": source_text(shown),
                    "name": attr,
                    "suggest": suggest,
                    "receiver": source_text(node.expr),
                },
            )
        )

    def _uncalled_assertion(self, body: _TestBody, node: nodes.Attribute) -> bool:
        """``m.assert_called_once`` read as a statement or asserted, never called."""
        if node.attrname not in self.spec.mock_assertions:
            return False
        if not self._mock_like_receiver(node.expr):
            return False
        parent = node.parent
        return isinstance(parent, nodes.Expr) or (
            isinstance(parent, nodes.Assert) and parent.test is node
        )

    def _mock_like_receiver(self, receiver: nodes.NodeNG) -> bool:
        """The object may be a mock: not a module, class, function or ``self``, and not an
        object whose class (found by inference) defines no such mock."""
        root, length = _receiver_root(receiver)
        if isinstance(root, nodes.Name):
            if root.name in ("self", "cls") and length == 0:
                return False
            try:
                _, assignments = root.lookup(root.name)
            except _ASTROID_ERRORS:
                return False
            if length == 0 and any(
                isinstance(a, (nodes.Import, nodes.ImportFrom, nodes.ClassDef, nodes.FunctionDef))
                for a in assignments
            ):
                return False
            if length > 0 and any(
                isinstance(a, (nodes.Import, nodes.ImportFrom)) for a in assignments
            ):
                return False
        try:
            value = safe_infer(receiver)
        except _ASTROID_ERRORS:
            return True
        if isinstance(value, nodes.Module):
            return False
        if isinstance(value, astroid.Instance):
            # An object of a known class: a mock only when the class is unittest.mock's (a
            # project class either has the method or fails loudly without it).
            module = str(value._proxied.root().name)
            return module in _MOCK_MODULES
        return True

    # --- what the test does not need to check -------------------------------------------------

    def _intentional(self, ctx: FileContext, func: nodes.FunctionDef) -> bool:
        spec = self.spec
        if self._has_decorator(func, spec.skip_decorators):
            return True
        if spec.intentional_name_re is not None and spec.intentional_name_re.search(str(func.name)):
            return True
        if spec.intentional_text_re is not None and spec.intentional_text_re.search(
            _doc_and_comments(ctx, func)
        ):
            return True
        params = [*func.args.posonlyargs, *func.args.args, *func.args.kwonlyargs]
        if any(p.name in spec.benchmark_params for p in params):
            return True
        statements = [s for s in func.body if not isinstance(s, nodes.Pass)]
        if statements and all(isinstance(s, (nodes.Import, nodes.ImportFrom)) for s in statements):
            return True
        return any(
            isinstance(s, nodes.Expr)
            and isinstance(s.value, nodes.Call)
            and resolve(s.value.func, spec.skip_calls) is not None
            for s in func.body
        )

    def _helper_checks(self, ctx: FileContext, call: nodes.Call) -> bool:
        """The call runs a helper of the test code (this file or another test module) whose own
        body asserts: one level deep."""
        if not _may_be_test_helper(call.func):
            return False  # inference would only load library code
        try:
            target = safe_infer(call.func)
        except _ASTROID_ERRORS:
            return False
        while isinstance(target, astroid.UnboundMethod):  # BoundMethod too
            target = target._proxied
        if not isinstance(target, nodes.FunctionDef):
            return False
        module = target.root()
        if module is not ctx.module:
            if not isinstance(module, nodes.Module) or not inside_scan(module.file):
                return False
            rel = str(module.name).replace(".", "/") + ("/__init__.py" if module.package else ".py")
            if not is_test_path(rel):
                return False
        for stmt in target.body:
            for node in walk(stmt):
                if isinstance(node, (nodes.Assert, nodes.Raise)):
                    return True
                if isinstance(node, nodes.Call) and (
                    self._name_checks(_callee_name(node))
                    or resolve(node.func, self.spec.check_calls, infer=False) is not None
                ):
                    return True
        return False
