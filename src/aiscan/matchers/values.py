"""Conditions on expressions (the ``value:`` blocks of rules), evaluated on astroid nodes."""

from __future__ import annotations

import contextlib
import math
import re
from collections import Counter
from collections.abc import Iterator, Mapping
from typing import Any

import astroid
from astroid import bases, nodes
from astroid.util import safe_infer

from aiscan.engine.names import NameIndex, names_of, resolve

_MISSING = object()
_STRING_BUILDERS = frozenset({"format", "join", "format_map"})


def walk(node: nodes.NodeNG) -> Iterator[nodes.NodeNG]:
    """Every node below ``node`` (itself included), depth first, without recursion."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        children = list(current.get_children())
        children.reverse()
        stack.extend(children)


def single_binding(node: nodes.Name) -> nodes.NodeNG | None:
    """The value of ``node`` when its name has exactly one plain assignment in scope."""
    try:
        _, assignments = node.lookup(node.name)
    except Exception:  # noqa: BLE001 - astroid lookups raise many kinds; unknown means no value
        return None
    if len(assignments) != 1:
        return None
    assign = assignments[0]
    parent = assign.parent
    if (
        isinstance(parent, nodes.Assign)
        and len(parent.targets) == 1
        and parent.targets[0] is assign
    ):
        value: nodes.NodeNG = parent.value
        return value
    if isinstance(parent, nodes.AnnAssign) and parent.target is assign and parent.value is not None:
        ann_value: nodes.NodeNG = parent.value
        return ann_value
    return None


def resolved_value(node: nodes.NodeNG, depth: int = 0) -> nodes.NodeNG:
    """Follow a name to its single assigned value (a few levels), else the node itself."""
    while isinstance(node, nodes.Name) and depth < 4:
        bound = single_binding(node)
        if bound is None:
            break
        node = bound
        depth += 1
    return node


def const_value(node: nodes.NodeNG) -> Any:
    """The constant ``node`` stands for, or the _MISSING sentinel."""
    node = resolved_value(node)
    if isinstance(node, nodes.Const):
        return node.value
    if isinstance(node, nodes.UnaryOp) and node.op == "-" and isinstance(node.operand, nodes.Const):
        value = node.operand.value
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return -value
    return _MISSING


def has_const(node: nodes.NodeNG) -> bool:
    return const_value(node) is not _MISSING


def same_const(a: Any, b: Any) -> bool:
    """Equality that does not confuse True with 1 or False with 0."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a is b
    return bool(a == b) and (type(a) is type(b) or {type(a), type(b)} <= {int, float})


def is_literal(node: nodes.NodeNG) -> bool:
    node = resolved_value(node)
    if isinstance(node, nodes.Const):
        return True
    if isinstance(node, (nodes.List, nodes.Tuple, nodes.Set)):
        return all(is_literal(e) for e in node.elts)
    if isinstance(node, nodes.Dict):
        return all(is_literal(k) and is_literal(v) for k, v in node.items)
    return False


def is_interpolated(node: nodes.NodeNG, depth: int = 0) -> bool:
    """A string built at run time from parts: f-string, %, .format, + or join."""
    if depth > 6:
        return False
    if isinstance(node, nodes.Name):
        bound = single_binding(node)
        return bound is not None and is_interpolated(bound, depth + 1)
    if isinstance(node, nodes.JoinedStr):
        return any(isinstance(v, nodes.FormattedValue) for v in node.values)
    if isinstance(node, nodes.BinOp):
        if node.op == "%":
            return _is_str_like(node.left)
        if node.op == "+":
            return _is_str_like(node.left) or _is_str_like(node.right)
        return False
    if isinstance(node, nodes.Call) and isinstance(node.func, nodes.Attribute):
        if node.func.attrname in _STRING_BUILDERS and _is_str_like(node.func.expr):
            return True
    return False


def _is_str_like(node: nodes.NodeNG) -> bool:
    if isinstance(node, nodes.Const):
        return isinstance(node.value, str)
    return isinstance(node, nodes.JoinedStr) or is_interpolated(node, 5)


def is_instance_of(node: nodes.NodeNG, index: NameIndex, *, subclasses: bool = True) -> bool:
    """``node`` is an instance of one of ``index``'s classes (or, with ``subclasses``, of a
    class derived from one).

    Read syntactically first (a constructor call, a name bound to one, an annotated
    parameter, a ``with`` target), then by astroid inference (a factory's return value,
    ``self.attr`` set in ``__init__``, ``self`` in a subclass).
    """
    target = resolved_value(node)
    syntactic = names_of(target.func) if isinstance(target, nodes.Call) else names_of(target)
    if index.match(syntactic) is not None:
        return True
    try:
        value = safe_infer(node)
    except (astroid.AstroidError, RecursionError, TypeError, ValueError, AttributeError):
        return False
    if not isinstance(value, bases.Instance) or isinstance(value, nodes.Const):
        return False
    cls = value._proxied
    if not isinstance(cls, nodes.ClassDef):
        return False
    names = [str(cls.qname())]
    if subclasses:
        with contextlib.suppress(astroid.AstroidError, RecursionError):
            names.extend(str(base.qname()) for base in cls.ancestors())
    return index.match(names) is not None


def _calls_method_on(scope: nodes.NodeNG, methods: frozenset[str], receiver: str | None) -> bool:
    """A call ``<receiver>.<method>(...)`` somewhere in ``scope`` (any receiver when None)."""
    for sub in walk(scope):
        if not isinstance(sub, nodes.Call) or not isinstance(sub.func, nodes.Attribute):
            continue
        if sub.func.attrname not in methods:
            continue
        if receiver is None or sub.func.expr.as_string() == receiver:
            return True
    return False


def has_method_called(node: nodes.NodeNG, methods: frozenset[str], depth: int = 0) -> bool:
    """One of ``methods`` is called on the object ``node`` stands for.

    A variable: on the same name in the scope that binds it (then, if it is bound once to a
    call, as below). ``x.attr``: on ``x.attr`` in the enclosing class (``self.session`` set up
    in ``__init__``), or the module. A call of a function defined in source: on anything in
    that function's body (a factory that configures what it returns).
    """
    if depth > 3:
        return False
    if isinstance(node, nodes.Name):
        try:
            scope, _ = node.lookup(node.name)
        except (AttributeError, astroid.AstroidError):
            return False
        if _calls_method_on(scope, methods, str(node.name)):
            return True
        bound = single_binding(node)
        return bound is not None and has_method_called(bound, methods, depth + 1)
    if isinstance(node, nodes.Attribute):
        frame = node.frame()
        klass = frame.parent.frame() if isinstance(frame, nodes.FunctionDef) else None
        scope = klass if isinstance(klass, nodes.ClassDef) else node.root()
        return _calls_method_on(scope, methods, node.as_string())
    if isinstance(node, nodes.Call):
        try:
            callee = safe_infer(node.func)
        except (astroid.AstroidError, RecursionError, TypeError, ValueError, AttributeError):
            return False
        if isinstance(callee, nodes.FunctionDef):
            return _calls_method_on(callee, methods, None)
    return False


def shannon_entropy(text: str) -> float:
    """Bits per character."""
    if not text:
        return 0.0
    counts = Counter(text)
    total = len(text)
    return -sum(c / total * math.log2(c / total) for c in counts.values())


def read_names(node: nodes.NodeNG) -> Iterator[str]:
    for sub in walk(node):
        if isinstance(sub, nodes.Name):
            yield str(sub.name)
        elif isinstance(sub, nodes.Attribute):
            yield str(sub.attrname)


class ValueCondition:
    """A compiled ``value:`` block."""

    def __init__(self, spec: Mapping[str, Any]) -> None:
        self.spec = dict(spec)
        self.regex = re.compile(spec["regex"]) if "regex" in spec else None
        self.names_regex = re.compile(spec["names-regex"]) if "names-regex" in spec else None
        self.qnames = NameIndex(spec["qname"]) if "qname" in spec else None
        self.not_ = ValueCondition(spec["not"]) if "not" in spec else None
        self.any_of = [ValueCondition(s) for s in spec.get("any-of", ())]
        dict_key = spec.get("dict-key")
        self.dict_key: str | None = dict_key["key"] if dict_key else None
        self.dict_value = (
            ValueCondition(dict_key["value"]) if dict_key and "value" in dict_key else None
        )
        self.contains = ValueCondition(spec["contains"]) if "contains" in spec else None
        element = spec.get("element")
        self.element_index: int | None = element["index"] if element else None
        self.element = ValueCondition(element["value"]) if element else None
        self.instance_of = NameIndex(spec["instance-of"]) if "instance-of" in spec else None
        self.exact_instance_of = (
            NameIndex(spec["exact-instance-of"]) if "exact-instance-of" in spec else None
        )
        self.method_called = frozenset(spec.get("method-called", ()))

    def matches(self, node: nodes.NodeNG) -> bool:
        spec = self.spec
        if "equals" in spec or "in" in spec:
            value = const_value(node)
            if value is _MISSING:
                return False
            options = spec["in"] if "in" in spec else [spec["equals"]]
            if not any(same_const(value, o) for o in options):
                return False
        if (
            self.regex is not None
            or "string" in spec
            or "min-length" in spec
            or ("min-entropy" in spec)
        ):
            value = const_value(node)
            is_str = isinstance(value, str)
            if "string" in spec and spec["string"] != is_str:
                return False
            if self.regex is not None and not (is_str and self.regex.search(value)):
                return False
            if "min-length" in spec and not (is_str and len(value) >= spec["min-length"]):
                return False
            if "min-entropy" in spec and not (
                is_str and shannon_entropy(value) >= spec["min-entropy"]
            ):
                return False
        if "literal" in spec and is_literal(node) != spec["literal"]:
            return False
        if "interpolated" in spec and is_interpolated(node) != spec["interpolated"]:
            return False
        if self.qnames is not None and resolve(resolved_value(node), self.qnames) is None:
            return False
        if self.names_regex is not None:
            pattern = self.names_regex
            if not any(pattern.search(n) for n in read_names(node)):
                return False
        if self.dict_key is not None and not self._dict_has(node):
            return False
        if self.element is not None and self.element_index is not None:
            target = resolved_value(node)
            if not isinstance(target, (nodes.List, nodes.Tuple)):
                return False
            if self.element_index >= len(target.elts):
                return False
            if not self.element.matches(target.elts[self.element_index]):
                return False
        if self.contains is not None:
            target = resolved_value(node)
            if not isinstance(target, (nodes.List, nodes.Tuple, nodes.Set)):
                return False
            if not any(self.contains.matches(e) for e in target.elts):
                return False
        if self.instance_of is not None and not is_instance_of(node, self.instance_of):
            return False
        if self.exact_instance_of is not None and not is_instance_of(
            node, self.exact_instance_of, subclasses=False
        ):
            return False
        if self.method_called and not has_method_called(node, self.method_called):
            return False
        if self.not_ is not None and self.not_.matches(node):
            return False
        if self.any_of and not any(c.matches(node) for c in self.any_of):
            return False
        return True

    def _dict_has(self, node: nodes.NodeNG) -> bool:
        target = resolved_value(node)
        if isinstance(target, nodes.Call) and isinstance(target.func, nodes.Name):
            if target.func.name == "dict" and not target.args:
                for kw in target.keywords:
                    if kw.arg == self.dict_key:
                        return self.dict_value is None or self.dict_value.matches(kw.value)
            return False
        if not isinstance(target, nodes.Dict):
            return False
        for key, value in target.items:
            if isinstance(key, nodes.Const) and key.value == self.dict_key:
                return self.dict_value is None or self.dict_value.matches(value)
        return False
