"""Constant values of expressions, as far as the analysis of one function knows them.

The data-flow walk keeps, beside the taint of each variable, the constant a variable holds when
every path to the current point assigned it the same literal (``num = 86``, ``guess = "ABC"[0]``).
With them a test such as ``if (7 * 42) - num > 200`` or ``if "should" in bar`` is decided, and
the branch that cannot run is not analysed: data that only flows on a dead branch is not a
finding. Only plain Python values are computed (numbers, strings, booleans, None, tuples of
them), with bounded size; anything else is unknown.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from typing import Any

from astroid import nodes

UNKNOWN: Any = object()
_MAX_STR = 4096
_MAX_DEPTH = 12

_BINOPS: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "//": operator.floordiv,
    "%": operator.mod,
    "/": operator.truediv,
}
_COMPARE: dict[str, Callable[[Any, Any], Any]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "in": lambda a, b: a in b,
    "not in": lambda a, b: a not in b,
    "is": lambda a, b: a is b,
    "is not": lambda a, b: a is not b,
}
_PLAIN = (str, int, float, bool, type(None))
_STR_METHODS = frozenset({"upper", "lower", "strip", "lstrip", "rstrip", "title", "casefold"})


def _plain(value: Any) -> bool:
    if isinstance(value, tuple):
        return len(value) <= 64 and all(_plain(v) for v in value)
    if isinstance(value, str):
        return len(value) <= _MAX_STR
    return isinstance(value, _PLAIN) and not (isinstance(value, int) and abs(value) > 10**18)


def evaluate(node: nodes.NodeNG, known: Mapping[str, Any], depth: int = 0) -> Any:
    """The value of ``node`` given the constants ``known`` by variable name, or UNKNOWN."""
    if depth > _MAX_DEPTH:
        return UNKNOWN
    try:
        value = _evaluate(node, known, depth)
    except (ArithmeticError, TypeError, ValueError, IndexError, KeyError, RecursionError):
        return UNKNOWN
    if value is UNKNOWN or not _plain(value):
        return UNKNOWN
    return value


def _evaluate(node: nodes.NodeNG, known: Mapping[str, Any], depth: int) -> Any:
    def sub(child: nodes.NodeNG) -> Any:
        return evaluate(child, known, depth + 1)

    if isinstance(node, nodes.Const):
        return node.value if isinstance(node.value, _PLAIN) else UNKNOWN
    if isinstance(node, nodes.Name):
        return known.get(str(node.name), UNKNOWN)
    if isinstance(node, nodes.Tuple):  # not lists: a list can change after it is assigned
        items = [sub(e) for e in node.elts]
        return UNKNOWN if any(i is UNKNOWN for i in items) else tuple(items)
    if isinstance(node, nodes.BinOp):
        func = _BINOPS.get(node.op)
        left, right = sub(node.left), sub(node.right)
        if func is None or left is UNKNOWN or right is UNKNOWN:
            return UNKNOWN
        repeats = isinstance(left, (str, tuple)) or isinstance(right, (str, tuple))
        if node.op == "*" and repeats:
            count = right if isinstance(left, (str, tuple)) else left
            if not isinstance(count, int) or count > _MAX_STR:
                return UNKNOWN
        if node.op == "%" and isinstance(left, str):
            return UNKNOWN  # printf formatting: not worth modelling here
        return func(left, right)
    if isinstance(node, nodes.UnaryOp):
        operand = sub(node.operand)
        if operand is UNKNOWN:
            return UNKNOWN
        if node.op == "not":
            return not operand
        if node.op == "-" and isinstance(operand, (int, float)):
            return -operand
        if node.op == "+" and isinstance(operand, (int, float)):
            return operand
        return UNKNOWN
    if isinstance(node, nodes.BoolOp):
        result: Any = UNKNOWN
        for value_node in node.values:
            result = sub(value_node)
            if result is UNKNOWN:
                return UNKNOWN
            if (node.op == "and") != bool(result):
                return result
        return result
    if isinstance(node, nodes.Compare):
        left = sub(node.left)
        if left is UNKNOWN:
            return UNKNOWN
        for op, right_node in node.ops:
            right = sub(right_node)
            func = _COMPARE.get(op)
            if right is UNKNOWN or func is None:
                return UNKNOWN
            if not func(left, right):
                return False
            left = right
        return True
    if isinstance(node, nodes.Subscript):
        container = sub(node.value)
        if not isinstance(container, (str, tuple)):
            return UNKNOWN
        index = node.slice
        if isinstance(index, nodes.Slice):
            parts = [None if p is None else sub(p) for p in (index.lower, index.upper, index.step)]
            if any(p is UNKNOWN or not (p is None or isinstance(p, int)) for p in parts):
                return UNKNOWN
            return container[slice(*parts)]
        position = sub(index)
        return container[position] if isinstance(position, int) else UNKNOWN
    if isinstance(node, nodes.IfExp):
        test = sub(node.test)
        if test is UNKNOWN:
            return UNKNOWN
        return sub(node.body) if test else sub(node.orelse)
    if isinstance(node, nodes.JoinedStr):
        pieces = []
        for value_node in node.values:
            if isinstance(value_node, nodes.FormattedValue):
                if value_node.format_spec is not None or value_node.conversion not in (-1, None):
                    return UNKNOWN
                piece = sub(value_node.value)
                if not isinstance(piece, (str, int)) or isinstance(piece, bool):
                    return UNKNOWN
                pieces.append(str(piece))
            else:
                piece = sub(value_node)
                if not isinstance(piece, str):
                    return UNKNOWN
                pieces.append(piece)
        return "".join(pieces)
    if isinstance(node, nodes.Call) and not node.keywords:
        func = node.func
        if isinstance(func, nodes.Attribute) and func.attrname in _STR_METHODS and not node.args:
            receiver = sub(func.expr)
            return getattr(receiver, func.attrname)() if isinstance(receiver, str) else UNKNOWN
        if isinstance(func, nodes.Name) and func.name == "len" and len(node.args) == 1:
            value = sub(node.args[0])
            return len(value) if isinstance(value, (str, tuple)) else UNKNOWN
    return UNKNOWN


def decided(test: nodes.NodeNG, known: Mapping[str, Any]) -> bool | None:
    """True or False when ``test`` has a known truth value, else None."""
    value = evaluate(test, known)
    if value is UNKNOWN:
        return None
    return bool(value)


def case_matches(pattern: nodes.NodeNG | None, subject: Any) -> bool | None:
    """Whether a ``case`` pattern matches a known subject: True, False, or None (unknown)."""
    if pattern is None:
        return None
    if isinstance(pattern, nodes.MatchAs):
        return True if pattern.pattern is None else case_matches(pattern.pattern, subject)
    if isinstance(pattern, nodes.MatchValue):
        value = evaluate(pattern.value, {})
        return None if value is UNKNOWN else bool(value == subject)
    if isinstance(pattern, nodes.MatchSingleton):
        return bool(pattern.value is subject)
    if isinstance(pattern, nodes.MatchOr):
        results = [case_matches(p, subject) for p in pattern.patterns]
        if any(r is True for r in results):
            return True
        return False if all(r is False for r in results) else None
    return None


__all__ = ["UNKNOWN", "case_matches", "decided", "evaluate"]
