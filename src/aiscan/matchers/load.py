"""``mode: load``: a whole result set, file or download loaded into memory, then only iterated."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import astroid
from astroid import nodes

from aiscan.engine import observe
from aiscan.engine.context import (
    FileContext,
    call_sites,
    enclosing_function,
    last_name,
    spelled,
)
from aiscan.engine.names import NameIndex, names_of, resolve
from aiscan.engine.nodeindex import module_nodes
from aiscan.engine.project import module_name
from aiscan.matchers.base import ContextCondition, Prefilter, make_finding
from aiscan.matchers.pattern import ArgCondition, source_text
from aiscan.matchers.values import resolved_value, walk
from aiscan.model import Finding, Rule

log = logging.getLogger(__name__)

# How far the analysis follows a value: names bound to names, and functions returning it.
_MAX_BINDINGS = 4
_MAX_CALLERS = 3


@dataclass
class ChainFacts:
    """What a query chain says about itself: the methods and attributes along it, the calls,
    keywords, strings and compared attributes of the statements it runs."""

    names: set[str] = field(default_factory=set)
    keywords: set[str] = field(default_factory=set)
    strings: list[str] = field(default_factory=list)
    compared: set[str] = field(default_factory=set)
    sliced: bool = False


class Bounds:
    """``bounded:``: what makes a chain bounded (a limit, a key lookup, pagination) or
    streamed, so that loading it whole is fine."""

    def __init__(self, spec: Mapping[str, Any]) -> None:
        self.methods = frozenset(spec.get("methods", ()))
        self.keywords = frozenset(spec.get("keywords", ()))
        self.key_keyword_re = _opt_re(spec.get("key-keyword-regex"))
        self.key_attribute_re = _opt_re(spec.get("key-attribute-regex"))
        self.sql_re = _opt_re(spec.get("sql-regex"))
        self.slicing = bool(spec.get("slicing", True))

    def holds(self, facts: ChainFacts) -> bool:
        if facts.names & self.methods or facts.keywords & self.keywords:
            return True
        if self.slicing and facts.sliced:
            return True
        if self.key_keyword_re is not None and any(
            self.key_keyword_re.search(k) for k in facts.keywords
        ):
            return True
        if self.key_attribute_re is not None and any(
            self.key_attribute_re.search(a) for a in facts.compared
        ):
            return True
        return self.sql_re is not None and any(self.sql_re.search(s) for s in facts.strings)


class Source:
    """``source:``: a file, path or stream whose size nobody bounds (an upload, stdin, a path
    from the command line, a log or export file)."""

    def __init__(self, spec: Mapping[str, Any]) -> None:
        self.qnames = NameIndex(spec["qname"]) if "qname" in spec else None
        self.path_re = _opt_re(spec.get("path-regex"))

    def qname_in(self, exprs: Iterable[nodes.NodeNG]) -> bool:
        """Some part of these expressions (names followed to their values) is a listed name."""
        if self.qnames is None:
            return False
        for node in _parts(exprs):
            target = node.func if isinstance(node, nodes.Call) else node
            if isinstance(target, (nodes.Name, nodes.Attribute)):
                if resolve(target, self.qnames, infer=False) is not None:
                    return True
        return False

    def path_in(self, exprs: Iterable[nodes.NodeNG]) -> bool:
        """A name or string in these expressions reads like an unbounded file."""
        if self.path_re is None:
            return False
        for node in _parts(exprs):
            text = spelled(node)
            if text is not None and self.path_re.search(text):
                return True
        return False


def _parts(exprs: Iterable[nodes.NodeNG]) -> Iterator[nodes.NodeNG]:
    """Every node of the expressions, names followed to their single value."""
    todo = list(exprs)
    seen: set[int] = set()
    while todo:
        expr = todo.pop()
        if id(expr) in seen or len(seen) > 500:
            continue
        seen.add(id(expr))
        for node in walk(expr):
            yield node
            if isinstance(node, nodes.Name):
                value = resolved_value(node)
                if value is not node:
                    todo.append(value)


class Loader:
    """One ``loads:`` entry: a loading call, and what makes it bounded or safe."""

    def __init__(self, spec: Mapping[str, Any]) -> None:
        self.spec = spec
        self.library: str = spec.get("library", "")
        self.streaming: str = spec.get("streaming", "")
        self.methods = frozenset(spec.get("method", ()))
        self.attributes = frozenset(spec.get("attribute", ()))
        self.calls = NameIndex(spec["call"]) if "call" in spec else None
        self.chain = frozenset(spec.get("chain", ()))
        self.origin = NameIndex(spec["origin"]) if "origin" in spec else None
        self.origin_args = [ArgCondition(a) for a in spec.get("origin-args", ())]
        self.args = [ArgCondition(a) for a in spec.get("args", ())]
        self.source = Source(spec["source"]) if "source" in spec else None
        self.bounded = Bounds(spec.get("bounded") or {})
        self.through = frozenset(spec.get("iterate-through", ()))
        self.consumers = frozenset(spec.get("consumers", ()))
        self.wrappers = frozenset(spec.get("wrappers", ()))
        self.write_methods = frozenset(spec.get("write-methods", ()))
        self.consumed_by: str = spec.get("consumed-by", "iteration")
        self.message: str | None = spec.get("message")

    def words(self) -> set[str]:
        words = set(self.methods) | set(self.attributes)
        if self.calls is not None:
            words |= {n.rsplit(".", 1)[-1] for n in self.spec["call"]}
        return words

    def loading_name(self, node: nodes.NodeNG) -> str | None:
        """The name by which ``node`` loads, when it is one of this entry's loading calls."""
        if isinstance(node, nodes.Call):
            func = node.func
            if self.calls is not None:
                found = resolve(func, self.calls)
                if found is not None:
                    return found
            if isinstance(func, nodes.Attribute) and func.attrname in self.methods:
                parent = node.parent
                if not _continues(node) or (
                    isinstance(parent, nodes.Attribute) and parent.attrname in self.through
                ):
                    return str(func.attrname)
            return None
        if isinstance(node, nodes.Attribute) and node.attrname in self.attributes:
            parent = node.parent
            if isinstance(parent, nodes.Call) and parent.func is node:
                return None
            return str(node.attrname)
        return None


def _continues(node: nodes.NodeNG) -> bool:
    """Another method is applied to ``node``'s value (``q.filter(...).count()``)."""
    parent = node.parent
    return isinstance(parent, nodes.Attribute) and parent.expr is node


def _receiver(node: nodes.NodeNG) -> nodes.NodeNG | None:
    if isinstance(node, nodes.Call) and isinstance(node.func, nodes.Attribute):
        return node.func.expr
    if isinstance(node, nodes.Attribute):
        return node.expr
    return None


def _bindings(name: nodes.Name) -> list[nodes.NodeNG]:
    """The values assigned to ``name`` in its scope (plain, annotated and ``with ... as``)."""
    try:
        _, assigns = name.lookup(name.name)
    except (AttributeError, astroid.AstroidError):
        return []
    out: list[nodes.NodeNG] = []
    for assign in assigns:
        if not isinstance(assign, nodes.AssignName):
            continue
        parent = assign.parent
        plain = isinstance(parent, nodes.Assign) and parent.targets == [assign]
        annotated = isinstance(parent, nodes.AnnAssign) and parent.value is not None
        if plain or annotated:
            out.append(parent.value)
        elif isinstance(parent, nodes.With):
            out.extend(expr for expr, var in parent.items if var is assign)
    return out


def _origins(expr: nodes.NodeNG) -> list[nodes.NodeNG]:
    """``expr`` and, for a name, what it was bound from (a few levels)."""
    out = [expr]
    current = expr
    for _ in range(_MAX_BINDINGS):
        if not isinstance(current, nodes.Name):
            break
        values = _bindings(current)
        if len(values) != 1:
            break
        current = values[0]
        out.append(current)
    return out


class LoadMatcher:
    """Finds loading calls whose result is only iterated (or only written out), following the
    value through names, wrappers, and functions that return it to their callers."""

    def __init__(self, rule: Rule, files: Sequence[Path] = ()) -> None:
        self.rule = rule
        spec = rule.spec
        self.loaders = [Loader(s) for s in spec.get("loads", ())]
        self.where = ContextCondition(spec["where"]) if "where" in spec else None
        self.files = [Path(f) for f in files]
        self._texts: dict[Path, str] = {}

    def prefilter(self) -> Prefilter:
        words: set[str] = set()
        for loader in self.loaders:
            words |= loader.words()
        return Prefilter(words=frozenset(words))

    def check(self, ctx: FileContext) -> Iterator[Finding]:
        seen: set[int] = set()
        for node in walk(ctx.module):
            if not isinstance(node, (nodes.Call, nodes.Attribute)):
                continue
            for loader in self.loaders:
                name = loader.loading_name(node)
                if name is None or id(node) in seen:
                    continue
                if self.where is not None and not self.where.holds(ctx, node, node):
                    continue
                use = self._match(ctx, loader, node)
                if use is None:
                    continue
                seen.add(id(node))
                values = {
                    "library": loader.library,
                    "streaming": loader.streaming,
                    "load": source_text(node),
                    "callee": name,
                    "use": use,
                }
                yield make_finding(self.rule, ctx.location(node), values, message=loader.message)
                break

    # -- is it a load of unbounded data? --------------------------------------------------------

    def _match(self, ctx: FileContext, loader: Loader, node: nodes.NodeNG) -> str | None:
        """How the loaded value is used (for the message), when this is a finding."""
        if isinstance(node, nodes.Call):
            for cond in loader.args:
                if not cond.holds(node)[0]:
                    return None
        if not self._unbounded(loader, node):
            return None
        return self._uses(ctx, loader, node)

    def _unbounded(self, loader: Loader, node: nodes.NodeNG) -> bool:
        receiver = _receiver(node)
        by_call = (
            isinstance(node, nodes.Call)
            and loader.calls is not None
            and (resolve(node.func, loader.calls) is not None)
        )
        if loader.origin is not None or (loader.source is not None and not by_call):
            # A file or response: it must come from a listed opener (or be a listed stream).
            if receiver is None:
                return False
            return self._from_origin(loader, receiver)
        if by_call and loader.source is not None:
            assert isinstance(node, nodes.Call)
            exprs = list(node.args) + [k.value for k in node.keywords or ()]
            opened = [o for e in exprs for o in _origins(e)]
            args = [a for o in opened if isinstance(o, nodes.Call) for a in o.args]
            if not (loader.source.qname_in(opened) or loader.source.path_in(opened + args)):
                return False
        facts = ChainFacts()
        if isinstance(node, nodes.Call):
            self._call_facts(node, facts, 0)
        if receiver is not None:
            self._chain_facts(receiver, facts, 0)
            if "execute" not in facts.names and isinstance(receiver, nodes.Name):
                self._previous_execute(receiver, node, facts)
        if loader.chain and not facts.names & loader.chain:
            return False
        return not loader.bounded.holds(facts)

    def _from_origin(self, loader: Loader, receiver: nodes.NodeNG) -> bool:
        origins = _origins(receiver)
        source = loader.source
        for origin in origins:
            if (
                loader.origin is not None
                and isinstance(origin, nodes.Call)
                and resolve(origin.func, loader.origin) is not None
            ):
                if not all(cond.holds(origin)[0] for cond in loader.origin_args):
                    return False
                if source is None:
                    return True
                args = list(origin.args) + [k.value for k in origin.keywords or ()]
                path_parts = args + (
                    [origin.func.expr] if isinstance(origin.func, nodes.Attribute) else []
                )
                return source.qname_in(path_parts) or source.path_in(path_parts)
        return source is not None and source.qname_in(origins[-1:])

    def _chain_facts(self, expr: nodes.NodeNG, facts: ChainFacts, depth: int) -> None:
        """Walk down a chain (``a.b(...).c(...)``) collecting the names along its spine; names
        are followed to their values, and positional arguments that are chains themselves (the
        statement of ``session.execute(select(...).limit(5))``) are walked the same way."""
        current: nodes.NodeNG | None = expr
        while current is not None:
            if isinstance(current, nodes.Call):
                self._call_facts(current, facts, depth)
                if isinstance(current.func, nodes.Name):
                    facts.names.add(str(current.func.name))  # select(...), text(...)
                current = current.func
            elif isinstance(current, nodes.Attribute):
                facts.names.add(str(current.attrname))
                current = current.expr
            elif isinstance(current, nodes.Subscript):
                facts.sliced = facts.sliced or isinstance(current.slice, nodes.Slice)
                current = current.value
            elif isinstance(current, nodes.Name):
                if depth >= _MAX_BINDINGS:
                    return
                # Every value the name is given (a query refined in branches): any bound
                # one makes the load bounded, which keeps the rule quiet when unsure.
                for value in _bindings(current):
                    self._chain_facts(value, facts, depth + 1)
                return
            else:
                return

    def _call_facts(self, call: nodes.Call, facts: ChainFacts, depth: int) -> None:
        """A call on the spine: its keywords, the strings and key comparisons anywhere in its
        arguments, and the chains among its positional arguments."""
        for kw in call.keywords or ():
            if kw.arg:
                facts.keywords.add(str(kw.arg))
        exprs = list(call.args) + [k.value for k in call.keywords or ()]
        for node in _parts(exprs):
            if isinstance(node, nodes.Const) and isinstance(node.value, str):
                facts.strings.append(node.value)
            elif isinstance(node, nodes.Compare):
                if all(op == "==" for op, _ in node.ops):
                    for side in [node.left] + [right for _, right in node.ops]:
                        if isinstance(side, nodes.Attribute):
                            facts.compared.add(str(side.attrname))
            elif isinstance(node, nodes.Call):
                func = node.func
                if (
                    isinstance(func, nodes.Attribute)
                    and func.attrname == "in_"
                    and isinstance(func.expr, nodes.Attribute)
                ):
                    facts.compared.add(str(func.expr.attrname))
        if depth >= _MAX_BINDINGS:
            return
        for arg in call.args or ():
            if isinstance(arg, (nodes.Call, nodes.Attribute, nodes.Name)):
                self._chain_facts(arg, facts, depth + 1)

    def _previous_execute(
        self, receiver: nodes.Name, load: nodes.NodeNG, facts: ChainFacts
    ) -> None:
        """DB-API: ``cur.execute(sql)`` earlier in the same scope runs the fetched query."""
        scope = load.scope()
        line = load.lineno or 0
        latest: nodes.Call | None = None
        for call in scope.nodes_of_class(nodes.Call):
            func = call.func
            if (
                isinstance(func, nodes.Attribute)
                and func.attrname == "execute"
                and isinstance(func.expr, nodes.Name)
                and func.expr.name == receiver.name
                and (call.lineno or 0) <= line
                and call is not load
            ):
                if latest is None or (call.lineno or 0) >= (latest.lineno or 0):
                    latest = call
        if latest is not None:
            facts.names.add("execute")
            self._call_facts(latest, facts, 0)

    # -- is its value only iterated? -----------------------------------------------------------

    def _uses(self, ctx: FileContext, loader: Loader, node: nodes.NodeNG) -> str | None:
        uses: list[str] = []
        if self._consumed(ctx, loader, node, 0, uses):
            return uses[0] if uses else "is only iterated"
        return None

    def _consumed(
        self, ctx: FileContext, loader: Loader, expr: nodes.NodeNG, depth: int, how: list[str]
    ) -> bool:
        parent = expr.parent
        if parent is None:
            return False
        if isinstance(parent, nodes.Await):
            return self._consumed(ctx, loader, parent, depth, how)
        if loader.consumed_by == "iteration":
            if isinstance(parent, (nodes.For, nodes.Comprehension)) and parent.iter is expr:
                return True
            if isinstance(parent, nodes.YieldFrom):
                return True
            if (
                isinstance(parent, nodes.Attribute)
                and parent.expr is expr
                and parent.attrname in loader.through
                and isinstance(parent.parent, nodes.Call)
                and parent.parent.func is parent
            ):
                return self._consumed(ctx, loader, parent.parent, depth, how)
            if isinstance(parent, nodes.Call) and expr in (parent.args or ()):
                callee = last_name(parent.func) or None
                if callee in loader.consumers:
                    return True
                if callee in loader.wrappers:
                    return self._consumed(ctx, loader, parent, depth, how)
                return False
        elif loader.consumed_by == "write":
            if isinstance(parent, nodes.Call) and expr in (parent.args or ()):
                func = parent.func
                return isinstance(func, nodes.Attribute) and func.attrname in loader.write_methods
        if isinstance(parent, (nodes.Assign, nodes.AnnAssign)) and parent.value is expr:
            return self._name_consumed(ctx, loader, parent, depth, how)
        if isinstance(parent, nodes.Return) and parent.value is expr:
            return self._callers_consume(ctx, loader, parent, depth, how)
        return False

    def _name_consumed(
        self,
        ctx: FileContext,
        loader: Loader,
        stmt: nodes.Assign | nodes.AnnAssign,
        depth: int,
        how: list[str],
    ) -> bool:
        """``rows = <load>``: the name's one use consumes it."""
        targets = stmt.targets if isinstance(stmt, nodes.Assign) else [stmt.target]
        if len(targets) != 1 or not isinstance(targets[0], nodes.AssignName):
            return False
        target = targets[0]
        name = str(target.name)
        scope = target.scope()
        if not isinstance(scope, (nodes.FunctionDef, nodes.AsyncFunctionDef)):
            return False
        if len(scope.locals.get(name, ())) != 1:
            return False
        uses: list[nodes.Name] = []
        for use in scope.nodes_of_class(nodes.Name):
            if use.name != name:
                continue
            try:
                _, found = use.lookup(name)
            except (AttributeError, astroid.AstroidError):
                return False
            if any(f is target for f in found):
                uses.append(use)
        if len(uses) != 1:
            return False
        return self._consumed(ctx, loader, uses[0], depth, how)

    def _callers_consume(
        self, ctx: FileContext, loader: Loader, ret: nodes.Return, depth: int, how: list[str]
    ) -> bool:
        """A function that returns the loaded value: every caller in the project consumes it."""
        func = enclosing_function(ret)
        if func is None or ret.scope() is not func or depth >= _MAX_CALLERS:
            return False
        if any(isinstance(n, nodes.Yield) for n in func.nodes_of_class(nodes.Yield)):
            return False
        sites = list(call_sites(func)) + self._sites_elsewhere(ctx, func)
        if not sites:
            return False
        for site in sites:
            if not self._consumed(ctx, loader, site, depth + 1, []):
                return False
        if not how:
            how.append(f"is returned by {func.name}(), whose callers only iterate it")
        return True

    def _sites_elsewhere(self, ctx: FileContext, func: nodes.FunctionDef) -> list[nodes.Call]:
        """Calls of ``func`` in the other project modules (by what their names resolve to)."""
        observe.note(observe.IMPORTERS)
        qname = str(func.qname())
        fname = str(func.name)
        here = getattr(ctx.module, "file", None)
        out: list[nodes.Call] = []
        for path in self.files:
            if here and str(path) == str(here):
                continue
            text = self._text(path)
            if fname not in text:
                continue
            module = _module_of(path)
            if module is None or module is ctx.module:
                continue
            for call in module_nodes(module, nodes.Call):
                target = call.func
                last = (
                    target.attrname
                    if isinstance(target, nodes.Attribute)
                    else getattr(target, "name", None)
                )
                if last != fname:
                    continue
                if qname in names_of(target):
                    out.append(call)
        return out

    def _text(self, path: Path) -> str:
        text = self._texts.get(path)
        if text is None:
            try:
                text = path.read_text(encoding="utf-8", errors="replace")
            except OSError:
                text = ""
            self._texts[path] = text
        return text


def _module_of(path: Path) -> nodes.Module | None:
    modname = module_name(path)[0]
    try:
        module = astroid.MANAGER.ast_from_file(str(path), modname)
    except (astroid.AstroidError, SyntaxError, OSError, RecursionError):
        log.debug("cannot load %s for its call sites", path, exc_info=True)
        return None
    return module


def _opt_re(pattern: str | None) -> re.Pattern[str] | None:
    return re.compile(pattern) if pattern else None
