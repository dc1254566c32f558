"""Guards: the checks in an ``if`` test that make a value safe on one branch."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from astroid import nodes
from astroid.util import safe_infer

from aiscan.engine.names import names_of
from aiscan.engine.taint import (
    ALLOW_LISTED,
    CHAR_CLASS,
    CONSTANT_COMPARED,
    CONVERTED,
    DOT_DOT_FREE,
    EXCLUDES_PREFIX,
    LENGTH_AT,
    LENGTH_CHECKED,
    PATH_CONFINED,
    QUOTED_LITERAL,
    REGEX_VALIDATED,
)
from aiscan.matchers.values import const_value, has_const, resolved_value

Fact = tuple[str, str]  # (variable key, guard kind)

_CHAR_CLASS_METHODS = frozenset(
    {"isdigit", "isdecimal", "isnumeric", "isalnum", "isalpha", "isidentifier", "isascii_alnum"}
)
_NORMALISERS = frozenset({"lower", "upper", "casefold", "strip", "lstrip", "rstrip", "title"})
_SAFE_TYPES = frozenset({"int", "float", "bool", "uuid.UUID", "UUID", "decimal.Decimal", "Decimal"})
_END_ANCHOR = re.compile(r"(?<!\\)(\$|\\Z|\\z)\)?$")
_TERMINATING_CALLS = frozenset(
    {
        "abort",
        "flask.abort",
        "werkzeug.exceptions.abort",
        "sys.exit",
        "exit",
        "quit",
        "os._exit",
        "os.abort",
        "pytest.fail",
        "pytest.skip",
    }
)


@dataclass(frozen=True)
class GuardFacts:
    """What holds when the test is true, and when it is false."""

    when_true: tuple[Fact, ...] = ()
    when_false: tuple[Fact, ...] = ()

    def negated(self) -> GuardFacts:
        return GuardFacts(self.when_false, self.when_true)


def var_key(node: nodes.NodeNG) -> str | None:
    """The variable a guard speaks about: ``x``, ``self.x``, or ``x`` under ``x.lower()``."""
    if isinstance(node, nodes.Name):
        return str(node.name)
    if isinstance(node, nodes.NamedExpr):
        return var_key(node.target)
    if isinstance(node, nodes.AssignName):
        return str(node.name)
    if isinstance(node, nodes.Attribute) and isinstance(node.expr, nodes.Name):
        return f"{node.expr.name}.{node.attrname}"
    if (
        isinstance(node, nodes.Call)
        and isinstance(node.func, nodes.Attribute)
        and node.func.attrname in _NORMALISERS
        and not node.args
    ):
        return var_key(node.func.expr)
    return None


def is_constant_collection(node: nodes.NodeNG) -> bool:
    """A literal set of allowed values: a display of constants, a frozenset() of one, a name or
    attribute bound to one, a dict display (membership tests its keys), or an Enum."""
    target = resolved_value(node)
    if isinstance(target, nodes.Call) and isinstance(target.func, nodes.Name):
        if target.func.name in ("frozenset", "set", "tuple", "list") and len(target.args) == 1:
            target = resolved_value(target.args[0])
    if isinstance(target, (nodes.List, nodes.Tuple, nodes.Set)):
        return bool(target.elts) and all(has_const(e) for e in target.elts)
    if isinstance(target, nodes.Dict):
        return bool(target.items) and all(has_const(k) for k, _ in target.items)
    if isinstance(target, (nodes.Attribute, nodes.Name)):
        inferred = _infer(target)
        if isinstance(inferred, (nodes.List, nodes.Tuple, nodes.Set)):
            return bool(inferred.elts) and all(isinstance(e, nodes.Const) for e in inferred.elts)
        if isinstance(inferred, nodes.Dict):
            return bool(inferred.items) and all(
                isinstance(k, nodes.Const) for k, _ in inferred.items
            )
        if isinstance(inferred, nodes.ClassDef):
            return any(str(a).endswith("Enum") for a in _ancestor_names(inferred))
    return False


def is_constant_mapping(node: nodes.NodeNG) -> bool:
    """A dict display whose values are all constants (so a look-up yields a known value)."""
    target = resolved_value(node)
    if isinstance(target, (nodes.Attribute, nodes.Name)):
        inferred = _infer(target)
        if isinstance(inferred, nodes.Dict):
            target = inferred
    if not isinstance(target, nodes.Dict) or not target.items:
        return False
    return all(has_const(k) and _is_const_like(v) for k, v in target.items)


def _is_const_like(node: nodes.NodeNG) -> bool:
    if has_const(node):
        return True
    target = resolved_value(node)
    if isinstance(target, (nodes.Tuple, nodes.List)):
        return all(_is_const_like(e) for e in target.elts)
    return False


def _infer(node: nodes.NodeNG) -> nodes.NodeNG | None:
    try:
        value = safe_infer(node)
    except (RecursionError, Exception):  # noqa: BLE001 - inference failing means "unknown"
        return None
    return value if isinstance(value, nodes.NodeNG) else None


def _ancestor_names(cls: nodes.ClassDef) -> list[str]:
    try:
        return [str(a.qname()) for a in cls.ancestors()]
    except Exception:  # noqa: BLE001 - an MRO astroid cannot build means "unknown"
        return []


def anchored_pattern(node: nodes.NodeNG, full: bool) -> bool:
    """A regex that must match the whole value: fullmatch, or match with an end anchor."""
    pattern = const_value(node)
    if isinstance(node, (nodes.Name, nodes.Attribute)) and not isinstance(pattern, str):
        compiled = _compiled_pattern(node)
        if compiled is None:
            return False
        pattern = compiled
    if not isinstance(pattern, str):
        return False
    if full:
        return True
    return bool(_END_ANCHOR.search(pattern))


def _compiled_pattern(node: nodes.NodeNG) -> str | None:
    """The pattern text of ``NAME`` when ``NAME = re.compile("...")``."""
    target = resolved_value(node)
    if isinstance(target, nodes.Call) and "re.compile" in names_of(target.func) and target.args:
        value = const_value(target.args[0])
        return value if isinstance(value, str) else None
    return None


def _regex_fact(call: nodes.Call) -> Fact | None:
    func = call.func
    names = names_of(func)
    if names & {"re.fullmatch", "re.match"} and len(call.args) >= 2:
        key = var_key(call.args[1])
        full = "re.fullmatch" in names
        if key and anchored_pattern(call.args[0], full):
            return key, REGEX_VALIDATED
        return None
    if isinstance(func, nodes.Attribute) and func.attrname in ("fullmatch", "match") and call.args:
        compiled = _compiled_pattern(func.expr)
        if compiled is None:
            return None
        full = func.attrname == "fullmatch"
        if full or _END_ANCHOR.search(compiled):
            key = var_key(call.args[0])
            if key:
                return key, REGEX_VALIDATED
    return None


def _confinement(node: nodes.NodeNG) -> GuardFacts | None:
    """``Path(p).resolve().is_relative_to(base)``, ``realpath(p).startswith(base)``,
    ``commonpath([base, realpath(p)]) == base`` (``!=`` then exit): the path is confined.

    The facts name both the normalised path when it is a variable (``real``, which is what is
    then opened) and the variable it was built from (``name``)."""
    if isinstance(node, nodes.Call) and isinstance(node.func, nodes.Attribute):
        if node.func.attrname in ("is_relative_to", "startswith"):
            keys = _path_vars(_unwrap_str(node.func.expr))
            if keys:
                return GuardFacts(when_true=tuple((k, PATH_CONFINED) for k in keys))
    if isinstance(node, nodes.Compare) and len(node.ops) == 1 and node.ops[0][0] in ("==", "!="):
        op, right = node.ops[0]
        for side, other in ((node.left, right), (right, node.left)):
            if not (isinstance(side, nodes.Call) and names_of(side.func) & {"os.path.commonpath"}):
                continue
            for arg in side.args:
                if not isinstance(arg, (nodes.List, nodes.Tuple)) or len(arg.elts) != 2:
                    continue
                for index, elt in enumerate(arg.elts):
                    keys = _path_vars(elt)
                    base = arg.elts[1 - index]
                    # Only compared with the base itself: commonpath([BASE, real]) == real
                    # holds for real == "/".
                    if keys and base.as_string() == other.as_string():
                        facts = tuple((k, PATH_CONFINED) for k in keys)
                        return (
                            GuardFacts(when_true=facts)
                            if op == "=="
                            else GuardFacts(when_false=facts)
                        )
            return GuardFacts()
    return None


_RESOLVERS = frozenset({"os.path.realpath", "os.path.abspath", "os.path.normpath"})
_JOINERS = frozenset({"os.path.join", "posixpath.join"})


def _path_vars(node: nodes.NodeNG) -> tuple[str, ...]:
    """The variables a normalised path expression stands for: a name bound to one (itself),
    and the variable inside it (``realpath(name)``, ``realpath(join(BASE, name))``,
    ``(BASE / name).resolve()``, ``Path(BASE, name).resolve()``)."""
    out: list[str] = []
    if isinstance(node, nodes.Name) and _normalised_name(node):
        out.append(str(node.name))
    inner = _path_var(node)
    if inner and inner not in out:
        out.append(inner)
    return tuple(out)


def _unwrap_str(node: nodes.NodeNG) -> nodes.NodeNG:
    """``str(p)`` / ``os.fspath(p)`` of a path is the same path as text."""
    if (
        isinstance(node, nodes.Call)
        and len(node.args) == 1
        and not node.keywords
        and names_of(node.func) & {"str", "os.fspath"}
    ):
        return node.args[0]
    return node


def _last_part(node: nodes.NodeNG) -> str | None:
    """The variable a path is built from: ``name`` of ``join(BASE, name)``, ``BASE / name``."""
    if isinstance(node, nodes.Call) and names_of(node.func) & _JOINERS and node.args:
        return var_key(node.args[-1]) or _last_part(node.args[-1])
    if isinstance(node, nodes.BinOp) and node.op == "/":
        return var_key(node.right)
    return var_key(node)


def _path_var(node: nodes.NodeNG) -> str | None:
    """The variable inside a normalised path expression, or a name bound to one."""
    for _ in range(6):
        if isinstance(node, nodes.Name):
            bound = resolved_value(node)
            if bound is node or not isinstance(bound, nodes.Call):
                return str(node.name) if _normalised_name(node) else None
            node = bound
            continue
        if isinstance(node, nodes.Call):
            names = names_of(node.func)
            if names & _RESOLVERS and node.args:
                return _last_part(node.args[0]) or _path_var(node.args[0])
            if isinstance(node.func, nodes.Attribute) and node.func.attrname in (
                "resolve",
                "absolute",
            ):
                inner = node.func.expr
                if (
                    isinstance(inner, nodes.Call)
                    and inner.args
                    and names_of(inner.func) & {"pathlib.Path", "Path"}
                ):
                    return _last_part(inner.args[-1]) or _path_var(inner.args[-1])
                if isinstance(inner, nodes.BinOp) and inner.op == "/":
                    return var_key(inner.right)
                return var_key(inner)
            return None
        return None
    return None


def _normalised_name(node: nodes.Name) -> bool:
    """Bound to ``os.path.realpath(...)`` (or abspath/normpath) or ``<path>.resolve()``."""
    bound = resolved_value(node)
    if not isinstance(bound, nodes.Call):
        return False
    if names_of(bound.func) & _RESOLVERS:
        return True
    return isinstance(bound.func, nodes.Attribute) and bound.func.attrname == "resolve"


CallFacts = Callable[[nodes.Call], "GuardFacts | None"]


def guard_facts(test: nodes.NodeNG, call_facts: CallFacts | None = None) -> GuardFacts:
    """The guard facts of an ``if``/``while``/``assert`` test; ``call_facts`` tells those of a
    call this module does not know (a project's validator function)."""
    if isinstance(test, nodes.UnaryOp) and test.op == "not":
        return guard_facts(test.operand, call_facts).negated()
    if isinstance(test, nodes.BoolOp):
        quoted = _quoted_literal_check(test)
        if quoted is not None:
            return quoted
        parts = [guard_facts(v, call_facts) for v in test.values]
        if test.op == "and":
            return GuardFacts(
                when_true=tuple(f for p in parts for f in p.when_true),
                when_false=_length_only(parts) + _on_every_branch([p.when_false for p in parts]),
            )
        # fmt == "png" or fmt == "jpg": when true, fmt passed one of the checks.
        return GuardFacts(
            when_true=_length_only(parts) + _on_every_branch([p.when_true for p in parts]),
            when_false=tuple(f for p in parts for f in p.when_false),
        )
    if isinstance(test, nodes.Name):
        facts = _length_facts([str(test.name)], test)
        return GuardFacts(facts, facts)
    if isinstance(test, nodes.Compare) and len(test.ops) >= 1:
        confined = _confinement(test)
        if confined is not None:
            return confined
        op, right = test.ops[0]
        left = test.left
        if (
            len(test.ops) == 1
            and op in ("is not", "is")
            and isinstance(left, nodes.Call)
            and isinstance(right, nodes.Const)
            and right.value is None
        ):
            # PATTERN.fullmatch(x) is not None: the call's own guard.
            inner = guard_facts(left, call_facts)
            return inner if op == "is not" else inner.negated()
        if (
            len(test.ops) == 1
            and op in ("in", "not in")
            and isinstance(left, nodes.Const)
            and isinstance(left.value, str)
            and 0 < len(left.value) <= 3
        ):
            # if "'" in name: abort(400): after it, name holds no quote.
            key = var_key(right)
            if key:
                kind = DOT_DOT_FREE if left.value in ("..", "../") else EXCLUDES_PREFIX + left.value
                fact = ((key, kind),)
                return GuardFacts(when_false=fact) if op == "in" else GuardFacts(when_true=fact)
            return GuardFacts()
        if len(test.ops) == 1 and op in ("in", "not in"):
            key = var_key(left)
            if key and is_constant_collection(right):
                fact = ((key, ALLOW_LISTED),)
                return GuardFacts(when_true=fact) if op == "in" else GuardFacts(when_false=fact)
            return GuardFacts()
        if len(test.ops) == 1 and op in ("==", "!=", "is", "is not"):
            for a, b in ((left, right), (right, left)):
                key = var_key(a)
                value = const_value(b) if key else None
                if key and has_const(b) and value is not None:
                    fact = ((key, CONSTANT_COMPARED),)
                    return (
                        GuardFacts(when_true=fact)
                        if op in ("==", "is")
                        else GuardFacts(when_false=fact)
                    )
        lengths = [_len_var(n) for n in (left, *(r for _, r in test.ops))]
        keys = [k for k in lengths if k]
        if keys:
            facts = _length_facts(keys, test)
            return GuardFacts(facts, facts)
        return GuardFacts()
    if isinstance(test, nodes.Call):
        regex = _regex_fact(test)
        if regex:
            return GuardFacts(when_true=(regex,))
        confined = _confinement(test)
        if confined is not None:
            return confined
        func = test.func
        if isinstance(func, nodes.Attribute) and func.attrname in _CHAR_CLASS_METHODS:
            key = var_key(func.expr)
            if key:
                return GuardFacts(when_true=((key, CHAR_CLASS),))
        if isinstance(func, nodes.Name) and func.name == "isinstance" and len(test.args) == 2:
            key = var_key(test.args[0])
            if key and _safe_type(test.args[1]):
                return GuardFacts(when_true=((key, CONVERTED),))
        if isinstance(func, nodes.Name) and func.name in ("len", "bool") and test.args:
            key = var_key(test.args[0])
            if key:
                facts = _length_facts([key], test)
                return GuardFacts(facts, facts)
        if call_facts is not None:
            found = call_facts(test)
            if found is not None:
                return found
    return GuardFacts()


def _quoted_literal_check(test: nodes.BoolOp) -> GuardFacts | None:
    """``x.startswith("'") and x.endswith("'") and "'" not in x[1:-1]`` (or its negation with
    or): when it holds, x is exactly one quoted literal."""
    want_negated = test.op == "or"
    seen: dict[str, set[str]] = {}
    for value in test.values:
        negated = isinstance(value, nodes.UnaryOp) and value.op == "not"
        inner = value.operand if negated else value
        if isinstance(inner, nodes.Call) and isinstance(inner.func, nodes.Attribute):
            method = inner.func.attrname
            if method not in ("startswith", "endswith") or negated != want_negated:
                return None
            if len(inner.args) != 1 or not isinstance(inner.args[0], nodes.Const):
                return None
            key = var_key(inner.func.expr)
            quote = inner.args[0].value
            if key is None or quote not in ("'", '"'):
                return None
            seen.setdefault(key, set()).add(f"{method}{quote}")
            continue
        if isinstance(inner, nodes.Compare) and len(inner.ops) == 1 and not negated:
            op, right = inner.ops[0]
            if op != ("in" if want_negated else "not in"):
                return None
            if not (isinstance(inner.left, nodes.Const) and inner.left.value in ("'", '"')):
                return None
            if not (
                isinstance(right, nodes.Subscript)
                and isinstance(right.slice, nodes.Slice)
                and const_value(right.slice.lower) == 1
                and const_value(right.slice.upper) == -1
                and right.slice.step is None
            ):
                return None
            key = var_key(right.value)
            if key is None:
                return None
            seen.setdefault(key, set()).add(f"inner{inner.left.value}")
            continue
        return None
    for key, checks in seen.items():
        for quote in ("'", '"'):
            if {f"startswith{quote}", f"endswith{quote}", f"inner{quote}"} <= checks:
                fact = ((key, QUOTED_LITERAL),)
                return GuardFacts(when_false=fact) if want_negated else GuardFacts(when_true=fact)
    return None


def _on_every_branch(branches: list[tuple[Fact, ...]]) -> tuple[Fact, ...]:
    """Variables that a content check covers on every branch of an or (or not-and)."""
    keysets = [
        {key for key, kind in branch if not kind.startswith(LENGTH_CHECKED)} for branch in branches
    ]
    if not keysets:
        return ()
    common = set.intersection(*keysets)
    return tuple((key, ALLOW_LISTED) for key in sorted(common))


def _length_only(parts: list[GuardFacts]) -> tuple[Fact, ...]:
    """Length checks hold on every branch of an and/or (they record that a check happened)."""
    return tuple(
        f for p in parts for f in (*p.when_true, *p.when_false) if f[1].startswith(LENGTH_CHECKED)
    )


def _length_facts(keys: list[str], test: nodes.NodeNG) -> tuple[Fact, ...]:
    """A length or emptiness check of ``keys``, and the line it is on (for messages)."""
    at = f"{LENGTH_AT}{int(test.lineno or 0)}"
    return tuple(fact for key in keys for fact in ((key, LENGTH_CHECKED), (key, at)))


def _len_var(node: nodes.NodeNG) -> str | None:
    if isinstance(node, nodes.Call) and isinstance(node.func, nodes.Name):
        if node.func.name == "len" and len(node.args) == 1:
            return var_key(node.args[0])
    return None


def _safe_type(node: nodes.NodeNG) -> bool:
    if isinstance(node, nodes.Tuple):
        return bool(node.elts) and all(_safe_type(e) for e in node.elts)
    return bool(names_of(node) & _SAFE_TYPES)


def terminates(body: list[nodes.NodeNG]) -> bool:
    """The block never falls through: it ends in return, raise, continue, break, abort() ..."""
    if not body:
        return False
    last = body[-1]
    if isinstance(last, (nodes.Return, nodes.Raise, nodes.Continue, nodes.Break)):
        return True
    if isinstance(last, nodes.Expr) and isinstance(last.value, nodes.Call):
        return bool(names_of(last.value.func) & _TERMINATING_CALLS)
    if isinstance(last, nodes.If):
        return terminates(last.body) and terminates(last.orelse)
    if isinstance(last, nodes.Try):
        return terminates(last.body) and all(terminates(h.body) for h in last.handlers)
    return False
