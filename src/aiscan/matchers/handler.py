"""``mode: handler``: broad exception handlers and suppressors that swallow the error."""

from __future__ import annotations

import builtins
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import astroid
from astroid import bases, nodes
from astroid.util import safe_infer

from aiscan.engine.context import FileContext, enclosing_function, last_name
from aiscan.engine.names import NameIndex, inside_scan, names_of, resolve
from aiscan.matchers.base import ContextCondition, Prefilter, make_finding
from aiscan.matchers.pattern import node_index, source_text
from aiscan.matchers.values import resolved_value
from aiscan.model import Finding, Rule

# Code in these does not run when the statements around it do.
_SCOPES = (nodes.FunctionDef, nodes.ClassDef, nodes.Lambda)
# Called with no argument, these builtins make an empty value: a default like {} or "".
_EMPTY_CONSTRUCTORS = frozenset({"dict", "list", "set", "tuple", "frozenset", "str", "bytes"})
_BUILTIN_NAMES = frozenset(dir(builtins))
# How far a default is followed through names, parameters and helper functions.
_MAX_DEPTH = 3
# How many error classes a message suggests at most.
_MAX_NARROWERS = 3
_INFER_ERRORS = (astroid.AstroidError, RecursionError, TypeError, ValueError, AttributeError)


def body_nodes(stmts: Iterable[nodes.NodeNG]) -> Iterator[nodes.NodeNG]:
    """Every node of ``stmts``, depth first in source order, without entering nested functions,
    classes or lambdas (their code does not run when the statements do)."""
    stack = list(stmts)
    stack.reverse()
    while stack:
        current = stack.pop()
        yield current
        if isinstance(current, _SCOPES):
            continue
        children = list(current.get_children())
        children.reverse()
        stack.extend(children)


def _statement_call(stmt: nodes.NodeNG) -> nodes.Call | None:
    """The call that an expression statement makes (``f()`` or ``await f()``)."""
    if not isinstance(stmt, nodes.Expr):
        return None
    value = stmt.value
    if isinstance(value, nodes.Await):
        value = value.value
    return value if isinstance(value, nodes.Call) else None


def _is_comment_like(stmt: nodes.NodeNG) -> bool:
    """``pass``, ``...`` or a bare string: statements that do nothing."""
    if isinstance(stmt, nodes.Pass):
        return True
    return isinstance(stmt, nodes.Expr) and isinstance(stmt.value, nodes.Const)


@dataclass(frozen=True)
class Caught:
    """What a handler (or a suppressor) catches that makes it broad."""

    text: str  # how the code spells the clause, for messages
    broad: str  # the rule's name for the broad class that matched ("Exception")
    interrupts: bool  # it also catches KeyboardInterrupt and SystemExit


@dataclass
class _Facts:
    """What a function of the scanned project does, as far as a handler that calls it cares."""

    returned: nodes.NodeNG | None = None  # the value, when the body is only ``return value``
    always_raises: bool = False  # the body ends in raise (or an exit call)
    only_reports: bool = False  # the body only makes reporting calls (logging, print)
    only_cleans: bool = False  # the body only makes cleanup calls (close, unlink)


@dataclass(frozen=True)
class _Narrower:
    index: NameIndex
    catch: str


class HandlerMatcher:
    """Reports broad ``except`` clauses that swallow the error, and broad suppressors."""

    def __init__(self, rule: Rule) -> None:
        self.rule = rule
        spec: Mapping[str, Any] = rule.spec["handler"]
        self.broad = NameIndex(spec["broad"])
        self.interrupts = NameIndex(spec.get("catches-interrupts", ()))
        self.interrupt_classes = NameIndex(spec.get("interrupt-classes", ()))
        self.exception_readers = NameIndex(spec.get("exception-readers", ()))
        acknowledged = spec.get("acknowledged-regex")
        self.acknowledged = re.compile(acknowledged) if acknowledged else None
        self.reporting = NameIndex(spec.get("reporting-calls", ()))
        self.exits = NameIndex(spec.get("raising-calls", ()))
        self.cleanup_calls = frozenset(spec.get("cleanup-calls", ()))
        cleanup_re = spec.get("cleanup-functions-regex")
        self.cleanup_functions = re.compile(cleanup_re) if cleanup_re else None
        self.suppressor_names: list[str] = list(spec.get("suppressors", ()))
        self.suppressors = NameIndex(self.suppressor_names)
        narrower = spec.get("narrower") or {}
        self.narrower_default: str = narrower.get("default", "only the exceptions you expect")
        self.narrowers = [
            _Narrower(NameIndex(entry["calls"]), str(entry["catch"]))
            for entry in narrower.get("by-call", ())
        ]
        self.interrupts_message: str | None = spec.get("interrupts-message")
        self.suppressor_message: str | None = spec.get("suppressor-message")
        where = rule.spec.get("where")
        self.where = ContextCondition(where) if where else None
        self.unless = ContextCondition(spec["unless"]) if spec.get("unless") else None
        self._facts: dict[int, tuple[nodes.NodeNG, _Facts]] = {}

    def prefilter(self) -> Prefilter:
        words = {"except"} | {name.rsplit(".", 1)[-1] for name in self.suppressor_names}
        return Prefilter(words=frozenset(words))

    def check(self, ctx: FileContext) -> Iterator[Finding]:
        self._facts.clear()
        index = node_index(ctx)
        for handler in index.get(nodes.ExceptHandler, []):
            assert isinstance(handler, nodes.ExceptHandler)
            finding = self._check_handler(ctx, handler)
            if finding is not None:
                yield finding
        if self.suppressor_names:
            for with_node in index.get(nodes.With, []) + index.get(nodes.AsyncWith, []):
                assert isinstance(with_node, nodes.With)
                finding = self._check_with(ctx, with_node)
                if finding is not None:
                    yield finding

    # -- the two shapes ---------------------------------------------------------------------

    def _check_handler(self, ctx: FileContext, handler: nodes.ExceptHandler) -> Finding | None:
        caught = self._caught_by_handler(handler)
        if caught is None or not self._context_ok(ctx, handler):
            return None
        if self._acknowledged(ctx, handler):
            return None
        if caught.interrupts and self._interrupts_handled_before(handler):
            # except KeyboardInterrupt: ... above it: judged as an Exception handler.
            caught = Caught(caught.text, caught.broad, False)
        bound = str(handler.name.name) if handler.name is not None else None
        tried = list(getattr(handler.parent, "body", ()))
        if caught.interrupts:
            if self._propagates(handler.body, bound):
                return None
            outcome = self._swallow_outcome(handler.body, bound) or "keeps running after Ctrl-C"
            message = self.interrupts_message
        else:
            if self._best_effort_cleanup(handler, tried):
                return None
            swallowed = self._swallow_outcome(handler.body, bound)
            if swallowed is None:
                return None
            outcome = swallowed
            message = None
        values = {
            "caught": caught.text,
            "broad": caught.broad,
            "outcome": outcome,
            "instead": self._instead(tried),
        }
        return make_finding(self.rule, ctx.line_location(handler), values, message=message)

    def _check_with(self, ctx: FileContext, with_node: nodes.With) -> Finding | None:
        for expr, _ in with_node.items:
            if not isinstance(expr, nodes.Call):
                continue
            if resolve(expr.func, self.suppressors) is None:
                continue
            found = [c for arg in expr.args for c in self._caught_by_expression(arg)]
            if not found or not self._context_ok(ctx, with_node):
                continue
            if self._acknowledged(ctx, with_node):
                continue
            interrupts = any(c.interrupts for c in found)
            if not interrupts and self._best_effort_cleanup(with_node, with_node.body):
                continue
            values = {
                "suppressor": source_text(expr),
                "caught": source_text(expr),
                "broad": found[0].broad,
                "instead": self._instead(with_node.body),
                "outcome": "discards the error",
            }
            message = self.suppressor_message
            return make_finding(self.rule, ctx.line_location(with_node), values, message=message)
        return None

    def _acknowledged(self, ctx: FileContext, node: nodes.NodeNG) -> bool:
        """A comment on the except (or with) line acknowledges the broad catch for another
        linter (``# noqa: BLE001``, ``# pylint: disable=broad-except``)."""
        if self.acknowledged is None:
            return False
        text = ctx.source.line(int(node.lineno or 0))
        _, hash_sign, comment = text.partition("#")
        return bool(hash_sign) and self.acknowledged.search(comment) is not None

    def _interrupts_handled_before(self, handler: nodes.ExceptHandler) -> bool:
        """An earlier handler of the same try catches KeyboardInterrupt or SystemExit."""
        for sibling in getattr(handler.parent, "handlers", ()):
            if sibling is handler:
                return False
            if sibling.type is None:
                continue
            for elt in self._exception_elements(sibling.type):
                if resolve(elt, self.interrupt_classes, infer=False) is not None:
                    return True
        return False

    def _exception_elements(self, expr: nodes.NodeNG, depth: int = 0) -> Iterator[nodes.NodeNG]:
        """The classes an ``except`` expression names: itself, or a tuple's elements (also
        through a name bound to a tuple)."""
        if isinstance(expr, nodes.Name) and depth <= _MAX_DEPTH:
            value = resolved_value(expr)
            if value is not expr and isinstance(value, nodes.Tuple):
                expr = value
        if isinstance(expr, nodes.Tuple) and depth <= _MAX_DEPTH:
            for elt in expr.elts:
                yield from self._exception_elements(elt, depth + 1)
            return
        yield expr

    def _context_ok(self, ctx: FileContext, node: nodes.NodeNG) -> bool:
        if self.where is not None and not self.where.holds(ctx, node):
            return False
        return not (self.unless is not None and self.unless.holds(ctx, node))

    def _best_effort_cleanup(self, node: nodes.NodeNG, tried: list[nodes.NodeNG]) -> bool:
        """The guarded code only cleans up, or sits in a cleanup function (close, __exit__)."""
        if tried and all(self._cleanup_statement(s) for s in tried):
            return True
        if self.cleanup_functions is None:
            return False
        func = enclosing_function(node)
        return func is not None and self.cleanup_functions.search(str(func.name)) is not None

    def _cleanup_statement(self, stmt: nodes.NodeNG) -> bool:
        if _is_comment_like(stmt):
            return True
        call = _statement_call(stmt)
        if call is not None:
            return self._is_cleanup_call(call)
        if isinstance(stmt, (nodes.If, nodes.For)):
            inner = list(stmt.body) + list(stmt.orelse)
            return all(self._cleanup_statement(s) for s in inner)
        return False

    def _is_cleanup_call(self, call: nodes.Call) -> bool:
        """``conn.close()``, ``os.remove(tmp)``, or a project function that only cleans up."""
        if (last_name(call.func) or None) in self.cleanup_calls:
            return resolve(call.func, self.exits) is None  # quit() ends the process
        target = self._project_function(call)
        return target is not None and self._facts_of(target).only_cleans

    # -- what is caught ---------------------------------------------------------------------

    def _caught_by_handler(self, handler: nodes.ExceptHandler) -> Caught | None:
        if handler.type is None:
            return Caught("bare except", "BaseException", True)
        found = self._caught_by_expression(handler.type)
        if not found:
            return None
        text = f"except {source_text(handler.type)}"
        interrupts = any(c.interrupts for c in found)
        broad = next((c.broad for c in found if c.interrupts), found[0].broad)
        return Caught(text, broad, interrupts)

    def _caught_by_expression(self, expr: nodes.NodeNG, depth: int = 0) -> list[Caught]:
        """The broad classes among those an ``except`` expression (a class, a tuple of them,
        or a name bound to either) names."""
        if depth > _MAX_DEPTH:
            return []
        if isinstance(expr, nodes.Tuple):
            return [c for elt in expr.elts for c in self._caught_by_expression(elt, depth + 1)]
        if isinstance(expr, nodes.Name):
            value = resolved_value(expr)
            if value is not expr and isinstance(value, nodes.Tuple):
                return self._caught_by_expression(value, depth + 1)
        name = resolve(expr, self.broad, infer=False)
        if name is None and self._defined_in_project(expr):
            name, tuple_value = self._inferred_broad(expr)
            if tuple_value is not None:
                return self._caught_by_expression(tuple_value, depth + 1)
        if name is None:
            return []
        text = source_text(expr)
        return [Caught(text, name, self.interrupts.match([name]) is not None)]

    @staticmethod
    def _defined_in_project(expr: nodes.NodeNG) -> bool:
        """A name whose origin the syntax does not show (a name of the scanned package, or
        none at all): only inference can tell what it is (``from .errors import BROAD``)."""
        if not isinstance(expr, (nodes.Name, nodes.Attribute)):
            return False
        candidates = names_of(expr)
        if not candidates:
            return True
        package = str(expr.root().name).split(".", 1)[0]
        return any(c == package or c.startswith(package + ".") for c in candidates)

    def _inferred_broad(self, expr: nodes.NodeNG) -> tuple[str | None, nodes.Tuple | None]:
        try:
            value = safe_infer(expr)
        except _INFER_ERRORS:
            return None, None
        if isinstance(value, nodes.Tuple):
            return None, value
        if isinstance(value, nodes.ClassDef):
            qname = str(value.qname())
            return self.broad.match([qname, qname.removeprefix("builtins.")]), None
        return None, None

    # -- what the handler does --------------------------------------------------------------

    def _swallow_outcome(self, body: list[nodes.NodeNG], bound: str | None) -> str | None:
        """How the handler swallows the error ("returns None"), or None when it acts on it."""
        parts = self._inert_parts(body, bound)
        if parts is None:
            return None
        return ", then ".join(parts) if parts else "does nothing (pass)"

    def _inert_parts(self, body: list[nodes.NodeNG], bound: str | None) -> list[str] | None:
        parts: list[str] = []
        for stmt in body:
            part = self._inert(stmt, bound)
            if part is None:
                return None
            if part and part not in parts:
                parts.append(part)
        return parts

    def _inert(self, stmt: nodes.NodeNG, bound: str | None) -> str | None:
        """What a statement of the handler does to the error: "" for nothing, a phrase for a
        way of swallowing it, None for acting on it (anything not listed here)."""
        if _is_comment_like(stmt) or isinstance(stmt, (nodes.Global, nodes.Nonlocal)):
            return ""
        if isinstance(stmt, nodes.Continue):
            return "skips to the next iteration (continue)"
        if isinstance(stmt, nodes.Break):
            return "leaves the loop (break)"
        if isinstance(stmt, nodes.Return):
            if stmt.value is None:
                return "returns None"
            if self._is_default(stmt.value, allow_bool=True):
                return f"returns {source_text(stmt.value, 40)}"
            return None
        if isinstance(stmt, (nodes.Assign, nodes.AnnAssign)):
            return self._inert_assignment(stmt)
        call = _statement_call(stmt)
        if call is not None:
            if not self._is_cleanup_call(call):
                return None
            if bound is not None and self._reads(call, bound):
                return None
            return f"calls {source_text(call, 40)}"
        if isinstance(stmt, nodes.If):
            if any(isinstance(n, nodes.Call) for n in body_nodes([stmt.test])):
                return None  # if retry_later(job): ... decides something about the error
            branches = []
            for branch in (stmt.body, stmt.orelse):
                parts = self._inert_parts(list(branch), bound)
                if parts is None:
                    return None
                branches.append(", then ".join(parts))
            return " or ".join(b for b in branches if b)
        return None

    def _inert_assignment(self, stmt: nodes.Assign | nodes.AnnAssign) -> str | None:
        """Storing a default (``result = None``) swallows like returning it; storing anything
        else, a flag (``ok = False``) included, records the failure for later code."""
        value = stmt.value
        if value is None:
            return ""
        targets = list(stmt.targets) if isinstance(stmt, nodes.Assign) else [stmt.target]
        simple = (nodes.AssignName, nodes.AssignAttr, nodes.Subscript)
        if not all(isinstance(t, simple) for t in targets):
            return None
        if not self._is_default(value, allow_bool=False):
            return None
        return f"sets {source_text(targets[0], 30)} to {source_text(value, 20)}"

    def _is_default(self, node: nodes.NodeNG, *, allow_bool: bool, depth: int = 0) -> bool:
        """A value that tells nothing about the error: None, a boolean (when ``allow_bool``),
        zero, an empty string or container, a tuple of such, a name bound to one, the result
        of a project function that only returns one, or a parameter (the caller's own
        fallback)."""
        if depth > _MAX_DEPTH:
            return False
        if isinstance(node, nodes.Const):
            value = node.value
            if value is None:
                return True
            if isinstance(value, bool):
                return allow_bool
            if isinstance(value, (int, float, complex, str, bytes)):
                return not value
            return False
        if isinstance(node, (nodes.List, nodes.Set)):
            return not node.elts
        if isinstance(node, nodes.Dict):
            return not node.items
        if isinstance(node, nodes.Tuple):
            return all(self._is_default(e, allow_bool=allow_bool, depth=depth) for e in node.elts)
        if isinstance(node, nodes.Call):
            func = node.func
            if (
                not node.args
                and not node.keywords
                and isinstance(func, nodes.Name)
                and func.name in _EMPTY_CONSTRUCTORS
                and names_of(func) == frozenset({func.name})
            ):
                return True
            target = self._project_function(node)
            if target is None:
                return False
            returned = self._facts_of(target).returned
            return returned is not None and self._is_default(
                returned, allow_bool=allow_bool, depth=depth + 1
            )
        if isinstance(node, nodes.Name):
            value = resolved_value(node)
            if value is not node:
                return self._is_default(value, allow_bool=allow_bool, depth=depth + 1)
            # A parameter is the caller's fallback (``return default``): it tells nothing either.
            return _is_parameter(node)
        return False

    def _propagates(self, body: list[nodes.NodeNG], bound: str | None) -> bool:
        """The handler lets the error go on: it raises, ends the process, calls a project
        function that always raises, or passes the bound exception on (to anything but a
        reporting call such as logging)."""
        for node in body_nodes(body):
            if isinstance(node, nodes.Raise):
                return True
            if isinstance(node, nodes.Call):
                if resolve(node.func, self.reporting) is not None:
                    continue
                if resolve(node.func, self.exits) is not None:
                    return True
                if resolve(node.func, self.exception_readers) is not None:
                    # sys.exc_info() outside a reporting call: the exception is passed on.
                    if not self._inside_reporting_call(node, body):
                        return True
                    continue
                target = self._project_function(node)
                if target is not None and self._facts_of(target).always_raises:
                    return True
            if (
                bound is not None
                and isinstance(node, nodes.Name)
                and node.name == bound
                and not self._inside_reporting_call(node, body)
            ):
                return True
        return False

    def _inside_reporting_call(self, node: nodes.NodeNG, body: list[nodes.NodeNG]) -> bool:
        """``node`` is (part of) an argument of a reporting call within the handler."""
        stops = {id(s) for s in body}
        current = node
        while current.parent is not None and id(current) not in stops:
            parent = current.parent
            if isinstance(parent, nodes.Call) and current is not parent.func:
                if self._is_reporting_call(parent):
                    return True
            current = parent
        return False

    def _is_reporting_call(self, call: nodes.Call) -> bool:
        if resolve(call.func, self.reporting) is not None:
            return True
        target = self._project_function(call)
        return target is not None and self._facts_of(target).only_reports

    @staticmethod
    def _reads(node: nodes.NodeNG, name: str) -> bool:
        return any(isinstance(n, nodes.Name) and n.name == name for n in body_nodes([node]))

    # -- helpers of the scanned project -----------------------------------------------------

    @staticmethod
    def _project_function(call: nodes.Call) -> nodes.FunctionDef | None:
        """The function of the scanned project that ``call`` calls, when inference finds it."""
        if not isinstance(call.func, (nodes.Name, nodes.Attribute)):
            return None
        try:
            target: Any = safe_infer(call.func)
        except _INFER_ERRORS:
            return None
        while isinstance(target, bases.UnboundMethod):
            target = target._proxied
        if not isinstance(target, nodes.FunctionDef):
            return None
        return target if inside_scan(target.root().file) else None

    def _facts_of(self, func: nodes.FunctionDef) -> _Facts:
        hit = self._facts.get(id(func))
        if hit is not None and hit[0] is func:
            return hit[1]
        facts = _Facts()
        self._facts[id(func)] = (func, facts)  # a recursive helper sees "nothing known"
        body = [s for s in func.body if not _is_comment_like(s)]
        if len(body) == 1 and isinstance(body[0], nodes.Return):
            facts.returned = body[0].value
        if body:
            last = body[-1]
            call = _statement_call(last)
            if isinstance(last, nodes.Raise):
                facts.always_raises = True
            elif call is not None:
                if resolve(call.func, self.exits) is not None:
                    facts.always_raises = True
                else:
                    target = self._project_function(call)
                    facts.always_raises = (
                        target is not None and self._facts_of(target).always_raises
                    )
            facts.only_cleans = all(self._cleanup_statement(s) for s in body)
            facts.only_reports = all(
                (c := _statement_call(s)) is not None
                and resolve(c.func, self.reporting) is not None
                for s in body
            )
        return facts

    # -- the message ------------------------------------------------------------------------

    def _instead(self, tried: list[nodes.NodeNG]) -> str:
        """What to catch instead: the error classes of the calls in the guarded code that the
        rule knows (at most three), else the rule's general advice."""
        found: list[str] = []
        catches: set[str] = set()
        if self.narrowers:
            for node in body_nodes(tried):
                if not isinstance(node, nodes.Call):
                    continue
                func = node.func
                if isinstance(func, nodes.Attribute) and isinstance(func.expr, nodes.Call):
                    continue  # requests.get(url).json(): the inner call names the library
                for narrower in self.narrowers:
                    callee = resolve(func, narrower.index, infer=False)
                    if callee is not None and narrower.catch not in catches:
                        catches.add(narrower.catch)
                        found.append(f"{narrower.catch} (what {_shown(func, callee)} raises)")
                        break
                if len(found) == _MAX_NARROWERS:
                    break
        if not found:
            return self.narrower_default
        if len(found) == 1:
            return found[0]
        return ", ".join(found[:-1]) + " and " + found[-1]


def _shown(func: nodes.NodeNG, callee: str) -> str:
    """A builtin as written (``open``, which resolves to ``io.open``), else the qualified name."""
    if isinstance(func, nodes.Name) and func.name in _BUILTIN_NAMES:
        if callee == func.name or callee.endswith("." + func.name):
            return str(func.name)
    return callee


def _is_parameter(node: nodes.Name) -> bool:
    """``node`` reads a parameter of its function that nothing rebinds."""
    try:
        _, assignments = node.lookup(node.name)
    except _INFER_ERRORS:
        return False
    return len(assignments) == 1 and isinstance(assignments[0].parent, nodes.Arguments)
