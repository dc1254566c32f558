"""Intra-procedural taint analysis of one function (or module body) over astroid nodes.

A forward, flow-sensitive walk over statements keeps an environment from variable keys
(``x``, ``self.x``, ``obj.field``) to taints. Branches are analysed separately and joined;
guards in ``if`` tests refine the environment of the branch they dominate, and a branch that
always exits (return, raise, abort ...) does not flow into what follows. Every propagation
adds an edge to a networkx flow graph, from which a finding's path is read.
"""

from __future__ import annotations

import itertools
import re
import string
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import networkx as nx
from astroid import nodes

from aiscan.engine.consts import UNKNOWN, case_matches, decided, evaluate
from aiscan.engine.guards import (
    GuardFacts,
    guard_facts,
    is_constant_mapping,
    terminates,
    var_key,
)
from aiscan.engine.names import names_of
from aiscan.engine.sqltext import HOLE
from aiscan.engine.taint import (
    ALLOW_LISTED,
    CONVERTED,
    HOST_ALLOW_LISTED,
    ArgSpec,
    NodeKey,
    Origin,
    Taint,
    merge,
    work_done,
)

if TYPE_CHECKING:
    from aiscan.engine.summaries import Summary, TaintEngine

Env = dict[str, Taint]

# Environment keys "=name" hold the constant a variable is known to hold (see consts.py).
CONST_KEY = "="


@dataclass(frozen=True)
class Known(Taint):
    """Not a taint: the constant value of a variable, kept in the environment so that it is
    copied, joined and dropped with the variable's other facts."""

    value: Any = None


MAX_STEPS = 40_000
# Taint facts one function's own walk may join (callees it summarises count for themselves).
# On OWASP BenchmarkPython and the rule fixtures no function joins more than 170; on Open WebUI
# 99% of functions join under 8,000 and the largest 1.3 million (seven seconds).
MAX_WORK = 250_000


class BudgetExceeded(Exception):
    """The function is too large to analyse within the budget."""


def node_key(path: str, node: nodes.NodeNG, text: str) -> NodeKey:
    line = int(node.lineno or 0)
    col = int(node.col_offset or 0)
    end_line = int(node.end_lineno if node.end_lineno is not None else line)
    end_col = int(node.end_col_offset if node.end_col_offset is not None else col + 1)
    return (path, line, col, end_line, end_col, text)


def short(node: nodes.NodeNG, limit: int = 60) -> str:
    try:
        text = " ".join(str(node.as_string()).split())
    except (AttributeError, RecursionError, ValueError):
        text = type(node).__name__
    return text if len(text) <= limit else text[: limit - 3] + "..."


class FlowGraph(nx.DiGraph):  # type: ignore[misc]
    """The flow graph of one analysis; ``version`` counts the edges added (networkx counts
    edges by summing degrees, too slow to ask at every report)."""

    def __init__(self) -> None:
        super().__init__()
        self.version = 0

    def add_edge(self, u_of_edge: Any, v_of_edge: Any, **attr: Any) -> None:
        self.version += 1
        super().add_edge(u_of_edge, v_of_edge, **attr)


def flow_path(
    graph: nx.DiGraph[NodeKey],
    start: NodeKey,
    ends: Iterable[NodeKey],
    final: NodeKey | None = None,
) -> tuple[NodeKey, ...]:
    best: list[NodeKey] | None = None
    for end in sorted(ends):
        if start == end:
            candidate = [start]
        else:
            try:
                candidate = list(nx.shortest_path(graph, start, end))
            except (nx.NetworkXNoPath, nx.NodeNotFound):
                continue
        if best is None or len(candidate) < len(best):
            best = candidate
    if best is None:
        best = [start]
    if final is not None and best[-1] != final:
        best.append(final)
    return tuple(best)


@dataclass
class CallEffect:
    """What a call did, for the statement that holds it (fields set on a constructed object)."""

    fields: dict[str, Taint] = field(default_factory=dict)


class FunctionAnalysis:
    """Analyse one function body; results: return taint, sink hits, field writes, flow graph."""

    def __init__(
        self,
        engine: TaintEngine,
        scope: nodes.FunctionDef | nodes.Module | nodes.Lambda,
        path: str,
        *,
        initial: Env | None = None,
        globals_env: Env | None = None,
    ) -> None:
        self.engine = engine
        self.scope = scope
        self.path = path
        self.graph: FlowGraph = FlowGraph()
        self.env: Env = dict(initial or {})
        self.globals_env = globals_env or {}
        self.returns: list[Taint] = []
        self.field_writes: dict[str, Taint] = {}
        # Handler parameters that are request objects, and request models (name -> class).
        self.request_params: set[str] = set()
        self.model_params: dict[str, nodes.ClassDef] = {}
        self.return_fields: dict[str, Taint] = {}
        self.local_funcs: dict[str, tuple[Summary, nodes.FunctionDef]] = {}
        self.steps = 0
        self.work_start = work_done()
        #: Work done by the analyses of callees summarised during this one (not its own).
        self.nested_work = 0
        self.param_names: list[str] = []
        self._pending: CallEffect | None = None
        self._breaks: list[list[Env]] = []
        # Paths read from the graph, each with the graph's edge count when it was read: the
        # graph only grows, so an answer stands until an edge is added.
        self._paths: dict[tuple[object, ...], tuple[int, tuple[NodeKey, ...]]] = {}

    def flow_path(
        self, start: NodeKey, ends: frozenset[NodeKey], final: NodeKey | None = None
    ) -> tuple[NodeKey, ...]:
        """The shortest recorded path from ``start`` to one of ``ends`` (then ``final``)."""
        key = (start, ends, final)
        edges = self.graph.version
        known = self._paths.get(key)
        if known is not None and known[0] == edges:
            return known[1]
        path = flow_path(self.graph, start, ends, final)
        self._paths[key] = (edges, path)
        return path

    # -- entry points -------------------------------------------------------------------------

    def run(self) -> None:
        scope = self.scope
        if isinstance(scope, (nodes.FunctionDef, nodes.Lambda)):
            self._bind_params(scope)
        body = scope.body if isinstance(scope, (nodes.FunctionDef, nodes.Module)) else None
        if body is None:
            assert isinstance(scope, nodes.Lambda)
            value = self.eval(scope.body)
            if value is not None:
                self.returns.append(value)
            return
        self.exec_block(body, self.env)

    def _bind_params(self, func: nodes.FunctionDef | nodes.Lambda) -> None:
        args = func.args
        params = list(args.posonlyargs or []) + list(args.args or [])
        params += list(args.kwonlyargs or [])
        vararg = [args.vararg] if args.vararg else []
        kwarg = [args.kwarg] if args.kwarg else []
        annotations = list(args.annotations or [])
        for index, param in enumerate(params):
            name = str(param.name)
            self.param_names.append(name)
            ann = annotations[index] if index < len(annotations) else None
            taint = self.engine.parameter_taint(self, func, param, ann)
            if taint is not None:
                self.env[name] = taint
        for name in (*vararg, *kwarg):
            self.param_names.append(str(name))
            key = node_key(self.path, func, f"parameter {name}")
            self.graph.add_node(key)
            self.env[str(name)] = Taint.of([Origin("param", str(name), key)], at=frozenset({key}))

    def param_taint(self, func: nodes.NodeNG, name: str) -> Taint:
        key = node_key(self.path, func, f"parameter {name}")
        self.graph.add_node(key)
        return Taint.of([Origin("param", name, key)], at=frozenset({key}))

    # -- graph --------------------------------------------------------------------------------

    def step(self, taint: Taint | None, node: nodes.NodeNG, text: str) -> Taint | None:
        """Record that ``taint`` flowed into a new program point at ``node``."""
        if taint is None:
            return None
        key = node_key(self.path, node, text)
        self.graph.add_node(key)
        for src in taint.at:
            if src != key:
                self.graph.add_edge(src, key)
        return taint.moved(key)

    def tick(self) -> None:
        self.steps += 1
        self.engine.file_steps += 1
        if self.steps > MAX_STEPS:
            raise BudgetExceeded
        if work_done() - self.work_start - self.nested_work > MAX_WORK:
            raise BudgetExceeded

    # -- statements ---------------------------------------------------------------------------

    def exec_block(self, body: Iterable[nodes.NodeNG], env: Env) -> bool:
        """Run statements on ``env`` in place; True when the block always exits early."""
        saved = self.env
        self.env = env
        try:
            return any(self.exec_stmt(stmt) for stmt in body)
        finally:
            self.env = saved

    def exec_stmt(self, stmt: nodes.NodeNG) -> bool:  # noqa: C901 - one case per statement
        self.tick()
        env = self.env
        if isinstance(stmt, nodes.Assign):
            value = self.eval(stmt.value)
            effect = self._take_pending()
            for target in stmt.targets:
                self.bind(target, value, stmt.value, effect)
            if len(stmt.targets) == 1:
                if value is None:
                    self._record_const(stmt.targets[0], stmt.value)
                self._record_shape(stmt.targets[0], stmt.value)
            return False
        if isinstance(stmt, nodes.AnnAssign):
            if stmt.value is not None:
                value = self.eval(stmt.value)
                self.bind(stmt.target, value, stmt.value, self._take_pending())
            return False
        if isinstance(stmt, nodes.AugAssign):
            value = merge([self._read_target(stmt.target), self.eval(stmt.value)])
            key = _target_key(stmt.target)
            text = f"{key} {stmt.op} {short(stmt.value)}" if key else None
            self.bind(stmt.target, value, stmt.value, None, text=text)
            return False
        if isinstance(stmt, nodes.Expr):
            self.eval(stmt.value)
            self._take_pending()
            return isinstance(stmt.value, nodes.Call) and terminates([stmt])
        if isinstance(stmt, nodes.Return):
            if stmt.value is not None:
                value = self.eval(stmt.value)
                self._record_return_fields(stmt.value, self._take_pending())
                if value is not None:
                    self.engine.check_return(self, stmt, value)
                value = self.step(value, stmt, f"return {short(stmt.value)}")
                if value is not None:
                    self.returns.append(value)
            return True
        if isinstance(stmt, nodes.Raise):
            if stmt.exc is not None:
                self.eval(stmt.exc)
            return True
        if isinstance(stmt, nodes.Break):
            # What holds at a break holds after the loop.
            if self._breaks:
                self._breaks[-1].append(dict(env))
            return True
        if isinstance(stmt, nodes.Continue):
            return True
        if isinstance(stmt, nodes.If):
            return self._exec_if(stmt.test, stmt.body, stmt.orelse)
        if isinstance(stmt, (nodes.For, nodes.AsyncFor)):
            return self._exec_loop(stmt)
        if isinstance(stmt, nodes.While):
            self.eval(stmt.test)
            facts = guard_facts(stmt.test)
            self._breaks.append([])
            try:
                for _ in range(2):
                    body_env = self._refined(dict(env), facts.when_true)
                    self.exec_block(stmt.body, body_env)
                    self._join_into(env, [env, body_env])
            finally:
                broken = self._breaks.pop()
            self.exec_block(stmt.orelse, env)
            if broken:
                self._join_into(env, [env, *broken])
            return False
        if isinstance(stmt, (nodes.With, nodes.AsyncWith)):
            for ctx_expr, var in stmt.items:
                value = self.eval(ctx_expr)
                if var is not None:
                    self.bind(var, value, ctx_expr, None)
            return self.exec_block(stmt.body, env)
        if isinstance(stmt, (nodes.Try, nodes.TryStar)):
            return self._exec_try(stmt)
        if isinstance(stmt, nodes.Assert):
            facts = guard_facts(stmt.test)
            self.eval(stmt.test)
            self._apply(env, facts.when_true)
            return False
        if isinstance(stmt, (nodes.FunctionDef, nodes.AsyncFunctionDef)):
            # Module-level functions are summarised bottom-up over the call graph; only
            # functions defined inside a function close over its variables.
            if not isinstance(self.scope, nodes.Module):
                self.engine.nested_function(self, stmt)
            return False
        if isinstance(stmt, nodes.ClassDef):
            return False
        if isinstance(stmt, nodes.Match):
            subject = self.eval(stmt.subject)
            branch_envs = []
            subject_key = var_key(stmt.subject)
            subject_value = evaluate(stmt.subject, self.constants())
            cases = list(stmt.cases)
            if subject_value is not UNKNOWN:
                # match on a known value: the first case that surely matches is the only one
                # that runs; cases that surely do not match never run.
                outcomes = [
                    None if c.guard is not None else case_matches(c.pattern, subject_value)
                    for c in cases
                ]
                kept = []
                for case, outcome in zip(cases, outcomes, strict=True):
                    if outcome is False:
                        continue
                    kept.append(case)
                    if outcome is True:
                        break
                if kept and outcomes[cases.index(kept[-1])] is True:
                    cases = kept
                    if len(kept) == 1:
                        return self.exec_block(kept[0].body, env)
            for case in cases:
                case_env = dict(env)
                if subject is not None and case.pattern is not None:
                    pattern = case.pattern
                    for sub in pattern.nodes_of_class(nodes.AssignName):
                        case_env[str(sub.name)] = subject
                    if (
                        isinstance(pattern, nodes.MatchAs)
                        and pattern.name is not None
                        and pattern.pattern is not None
                        and case.guard is None
                        and _literal_pattern(pattern.pattern)
                    ):
                        # case "asc" | "desc" as direction: direction is one of the literals.
                        case_env[str(pattern.name.name)] = subject.with_guard(ALLOW_LISTED)
                    if subject_key and case.guard is None and _literal_pattern(case.pattern):
                        # case "png" | "jpg": the subject is one of the literals here.
                        current = case_env.get(subject_key)
                        if current is not None:
                            case_env[subject_key] = current.with_guard(ALLOW_LISTED)
                if not self.exec_block(case.body, case_env):
                    branch_envs.append(case_env)
            branch_envs.append(dict(env))
            self._join_into(env, branch_envs)
            return False
        if isinstance(stmt, nodes.Delete):
            for target in stmt.targets:
                key = var_key(target)
                if key:
                    env.pop(key, None)
            return False
        if isinstance(stmt, nodes.ImportFrom) and isinstance(self.scope, nodes.Module):
            # from .settings import TARGET: the module's globals include tainted imports.
            for name, alias in stmt.names:
                if name == "*":
                    continue
                target = nodes.Name(
                    name=alias or name,
                    lineno=stmt.lineno,
                    col_offset=stmt.col_offset,
                    parent=stmt,
                    end_lineno=stmt.end_lineno,
                    end_col_offset=stmt.end_col_offset,
                )
                taint = self.engine.imported_global(self, target)
                if taint is not None:
                    env[alias or name] = taint
            return False
        if isinstance(
            stmt, (nodes.Global, nodes.Nonlocal, nodes.Pass, nodes.Import, nodes.ImportFrom)
        ):
            return False
        for child in stmt.get_children():
            if isinstance(child, nodes.NodeNG) and not child.is_statement:
                self.eval(child)
        return False

    def _record_return_fields(self, value: nodes.NodeNG, effect: CallEffect | None) -> None:
        """An object returned with known fields (``return cls(x)``, ``return job``)."""
        fields: dict[str, Taint] = dict(effect.fields) if effect is not None else {}
        if isinstance(value, nodes.Name):
            prefix = f"{value.name}."
            for key, taint in self.env.items():
                if key.startswith(prefix):
                    fields[key[len(prefix) :]] = taint
        for name, taint in fields.items():
            self.return_fields[name] = merge([self.return_fields.get(name), taint]) or taint

    def guard_facts(self, test: nodes.NodeNG) -> GuardFacts:
        """The guards of a test, worked out only when it reads a tainted variable (most tests
        do not, and telling an allow-list apart can need inference)."""
        for node in test.nodes_of_class((nodes.Name, nodes.Attribute, nodes.AssignName)):
            key = var_key(node)
            if key is None:
                continue
            if key in self.env or key in self.globals_env or key.startswith("self."):
                return self.engine.guard_facts(self, test)
        return GuardFacts()

    def _take_pending(self) -> CallEffect | None:
        effect, self._pending = self._pending, None
        return effect

    def _exec_if(
        self, test: nodes.NodeNG, body: list[nodes.NodeNG], orelse: list[nodes.NodeNG]
    ) -> bool:
        env = self.env
        self.eval(test)
        facts = self.guard_facts(test)
        known = decided(test, self.constants())
        if known is not None:
            # A test with a known value: the other branch never runs.
            taken = self._refined(env, facts.when_true if known else facts.when_false)
            return self.exec_block(body if known else orelse, taken)
        true_env = self._refined(dict(env), facts.when_true)
        false_env = self._refined(dict(env), facts.when_false)
        true_exit = self.exec_block(body, true_env)
        false_exit = self.exec_block(orelse, false_env)
        live = [e for e, exited in ((true_env, true_exit), (false_env, false_exit)) if not exited]
        if not live:
            return True
        self._join_into(env, live)
        return False

    def _exec_loop(self, stmt: nodes.For | nodes.AsyncFor) -> bool:
        env = self.env
        iterable = self.eval(stmt.iter)
        target = stmt.target
        iter_node = stmt.iter
        if (
            isinstance(iter_node, nodes.Call)
            and isinstance(iter_node.func, nodes.Name)
            and iter_node.func.name == "enumerate"
            and iter_node.args
            and isinstance(target, nodes.Tuple)
            and len(target.elts) == 2
        ):
            # for i, item in enumerate(xs): i is a counter, item carries xs.
            self.bind(target.elts[0], None, iter_node, None, env=env)
            target = target.elts[1]
            iter_node = iter_node.args[0]
        self._breaks.append([])
        try:
            for _ in range(2):
                body_env = dict(env)
                self.bind(target, iterable, iter_node, None, env=body_env)
                self.exec_block(stmt.body, body_env)
                self._join_into(env, [env, body_env])
        finally:
            broken = self._breaks.pop()
        self.exec_block(stmt.orelse, env)
        if broken:
            self._join_into(env, [env, *broken])
        return False

    def _exec_try(self, stmt: nodes.Try | nodes.TryStar) -> bool:
        env = self.env
        before = dict(env)
        body_exit = self.exec_block(stmt.body, env)
        outs = [] if body_exit else [env]
        if not body_exit:
            else_exit = self.exec_block(stmt.orelse, env)
            if else_exit:
                outs = []
        for handler in stmt.handlers:
            handler_env = self._joined([before, env])
            if handler.name is not None:
                handler_env.pop(str(handler.name.name), None)
                exc_taint = self.engine.exception_taint(self, handler)
                if exc_taint is not None:
                    handler_env[str(handler.name.name)] = exc_taint
            if not self.exec_block(handler.body, handler_env):
                outs.append(handler_env)
        exits = not outs
        if outs:
            self._join_into(env, outs)
        if stmt.finalbody:
            if self.exec_block(stmt.finalbody, env):
                return True
        return exits

    def constants(self) -> dict[str, Any]:
        """The variables known to hold a constant here, and their values."""
        return {
            k[len(CONST_KEY) :]: v.value
            for k, v in self.env.items()
            if k.startswith(CONST_KEY) and isinstance(v, Known)
        }

    def _record_const(self, target: nodes.NodeNG, value_node: nodes.NodeNG) -> None:
        if not isinstance(target, nodes.AssignName):
            return
        value = evaluate(value_node, self.constants())
        if value is not UNKNOWN:
            self.env[CONST_KEY + str(target.name)] = Known(frozenset(), frozenset(), value)

    def _joined(self, envs: list[Env]) -> Env:
        keys = set().union(*envs) if envs else set()
        out: Env = {}
        for key in keys:
            if key.startswith(CONST_KEY):
                # A constant survives a join only if every path holds the same one.
                values = [e.get(key) for e in envs]
                first = values[0]
                if key.endswith(LIST_SHAPE):
                    joined_items = _join_items(values)
                    if joined_items is not None:
                        out[key] = Known(frozenset(), frozenset(), joined_items)
                    continue
                if isinstance(first, Known) and all(_same_known(v, first) for v in values):
                    out[key] = first
                continue
            value = merge(e.get(key) for e in envs)
            if value is not None:
                out[key] = value
        return out

    def _join_into(self, target: Env, envs: list[Env]) -> None:
        joined = self._joined(envs)
        target.clear()
        target.update(joined)

    def _refined(self, env: Env, facts: Iterable[tuple[str, str]]) -> Env:
        self._apply(env, facts)
        return env

    def _apply(self, env: Env, facts: Iterable[tuple[str, str]]) -> None:
        facts = list(facts)
        facts += self._host_facts(facts)
        for key, kind in facts:
            current = env.get(key)
            if current is None and key.startswith("self.") and self.engine.field_owner(self):
                # A field checked before its first read: the check applies to what callers
                # put there, so the field's input is materialised here.
                current = self.engine.field_taint(self, key)
            if current is None:
                current = self.globals_env.get(key)
            if current is not None:
                env[key] = current.with_guard(kind)

    def _host_facts(self, facts: list[tuple[str, str]]) -> list[tuple[str, str]]:
        """``parts = urlparse(url)`` then ``parts.netloc in ALLOWED``: url's host is checked.
        (Not ``parts.netloc == ""``: browsers read ``/\\evil.example`` as a host.)"""
        out: list[tuple[str, str]] = []
        for key, kind in facts:
            if kind != ALLOW_LISTED or key.count(".") != 1:
                continue
            base, attr = key.split(".")
            if attr not in ("netloc", "hostname"):
                continue
            parsed = _parsed_url_of(self.scope, base)
            if parsed is not None:
                out.append((parsed, HOST_ALLOW_LISTED))
        return out

    # -- binding ------------------------------------------------------------------------------

    def bind(
        self,
        target: nodes.NodeNG,
        value: Taint | None,
        value_node: nodes.NodeNG,
        effect: CallEffect | None,
        env: Env | None = None,
        text: str | None = None,
    ) -> None:
        env = self.env if env is None else env
        if isinstance(target, (nodes.Tuple, nodes.List)):
            elements = (
                value_node.elts if isinstance(value_node, (nodes.Tuple, nodes.List)) else None
            )
            for index, elt in enumerate(target.elts):
                if elements is not None and len(elements) == len(target.elts):
                    sub = self.eval(elements[index])
                    self.bind(elt, sub, elements[index], None, env)
                else:
                    self.bind(elt, value, value_node, None, env)
            return
        if isinstance(target, nodes.Starred):
            self.bind(target.value, value, value_node, None, env)
            return
        key = _target_key(target)
        if key is not None:
            for suffix in ("", DICT_SHAPE, LIST_SHAPE):
                env.pop(CONST_KEY + key + suffix, None)
        if isinstance(target, nodes.Subscript):
            self.engine.check_store(self, target, target.value, target.slice, value)
        elif isinstance(target, nodes.AssignAttr):
            self.engine.check_store(self, target, target.expr, target.attrname, value)
        if isinstance(target, nodes.Subscript):
            # d[k] = v / lst[i] = v: the container now holds the value.
            container = var_key(target.value)
            if container:
                self._store_item(env, container, target.slice, value)
            if container and "." not in container:
                env[f"{container}[]"] = env.get(f"{container}[]") or Taint(frozenset())
            if container and value is not None:
                stepped = self.step(value, target, f"{short(target)} = {short(value_node)}")
                env[container] = merge([env.get(container), stepped]) or stepped  # type: ignore[assignment]
            return
        if key is None:
            return
        if value is None:
            env.pop(key, None)
        else:
            stepped = self.step(value, target, text or f"{key} = {short(value_node)}")
            assert stepped is not None
            env[key] = stepped
            if key.startswith("self."):
                self.field_writes[key] = merge([self.field_writes.get(key), stepped]) or stepped
        if effect is not None and effect.fields:
            for fname, ftaint in effect.fields.items():
                env[f"{key}.{fname}"] = ftaint
        for stale in [k for k in env if k.startswith(key + ".") and not (effect and effect.fields)]:
            env.pop(stale, None)

    def _read_target(self, target: nodes.NodeNG) -> Taint | None:
        key = _target_key(target)
        if key is None:
            return None
        return self.env.get(key)

    # -- expressions --------------------------------------------------------------------------

    def eval(self, node: nodes.NodeNG) -> Taint | None:
        self.tick()
        if isinstance(node, nodes.Const):
            return None
        if isinstance(node, nodes.Name):
            return self.read_name(node)
        if isinstance(node, nodes.Attribute):
            return self.read_attribute(node)
        if isinstance(node, nodes.Call):
            return self.engine.eval_call(self, node)
        if isinstance(node, nodes.JoinedStr):
            return self.eval_fstring(node)
        if isinstance(node, nodes.FormattedValue):
            return self.eval(node.value)
        if isinstance(node, nodes.BinOp):
            if node.op == "+":
                return self.eval_text_parts(_concat_operands(node))
            if node.op == "%" and str_literal(node.left) is not None:
                return self.eval_printf(node)
            return merge([self.eval(node.left), self.eval(node.right)])
        if isinstance(node, nodes.BoolOp):
            return merge(self.eval(v) for v in node.values)
        if isinstance(node, nodes.UnaryOp):
            self.eval(node.operand)
            return None
        if isinstance(node, nodes.Compare):
            self.eval(node.left)
            for _, right in node.ops:
                self.eval(right)
            return None
        if isinstance(node, nodes.IfExp):
            self.eval(node.test)
            known = decided(node.test, self.constants())
            if known is not None:
                return self.eval(node.body if known else node.orelse)
            facts = self.guard_facts(node.test)
            saved = self.env
            try:
                self.env = self._refined(dict(saved), facts.when_true)
                body = self.eval(node.body)
                self.env = self._refined(dict(saved), facts.when_false)
                orelse = self.eval(node.orelse)
            finally:
                self.env = saved
            return merge([body, orelse])
        if isinstance(node, (nodes.List, nodes.Tuple, nodes.Set)):
            return merge(self.eval(e) for e in node.elts)
        if isinstance(node, nodes.Dict):
            return merge(self.eval(v) for pair in node.items for v in pair)
        if isinstance(node, nodes.Starred):
            return self.eval(node.value)
        if isinstance(node, nodes.Subscript):
            return self.read_subscript(node)
        if isinstance(node, (nodes.ListComp, nodes.SetComp, nodes.GeneratorExp, nodes.DictComp)):
            return self.eval_comprehension(node)
        if isinstance(node, nodes.NamedExpr):
            value = self.eval(node.value)
            self.bind(node.target, value, node.value, None)
            return value
        if isinstance(node, nodes.Await):
            return self.eval(node.value)
        if isinstance(node, (nodes.Yield, nodes.YieldFrom)):
            if node.value is not None:
                value = self.eval(node.value)
                if value is not None:
                    self.returns.append(value)
            return None
        if isinstance(node, nodes.Lambda):
            return None
        if isinstance(node, nodes.Slice):
            for part in (node.lower, node.upper, node.step):
                if part is not None:
                    self.eval(part)
            return None
        return None

    # -- strings built from literal text ---------------------------------------------------------

    def eval_fstring(self, node: nodes.JoinedStr) -> Taint | None:
        parts: list[str | nodes.NodeNG] = []
        numeric: set[int] = set()
        for value in node.values:
            if isinstance(value, nodes.Const):
                parts.append(str(value.value))
            elif isinstance(value, nodes.FormattedValue):
                if _numeric_spec(value.format_spec):
                    numeric.add(len(parts))
                parts.append(value.value)
        return self.eval_text_parts(parts, numeric)

    def eval_printf(self, node: nodes.BinOp) -> Taint | None:
        """``"... WHERE a = '%s'" % value``: each value at its conversion in the text."""
        text = str_literal(node.left)
        assert text is not None
        self.eval(node.left)
        parts = _printf_parts(text, node.right)
        if parts is None:
            value = self.eval(node.right)
            return value.within_text(text, "") if value is not None and text else value
        items, numeric = parts
        return self.eval_text_parts(items, numeric)

    def eval_text_parts(
        self, parts: list[str | nodes.NodeNG], numeric: set[int] | None = None
    ) -> Taint | None:
        """A string made of literal text and values: each value's taint records the literal
        text around it (the other values become holes), so that a rule can tell which part of,
        say, a SQL statement it went into."""
        taints: list[Taint | None] = [None if isinstance(p, str) else self.eval(p) for p in parts]
        if all(t is None for t in taints):
            return None
        texts: list[str | None] = []
        for part, taint in zip(parts, taints, strict=True):
            if isinstance(part, str):
                texts.append(part)
            elif taint is None:
                texts.append(str_literal(part))
            else:
                texts.append(None)
        return with_text(texts, taints, numeric)

    def eval_format(
        self,
        template: str,
        positional: list[Taint | None],
        keywords: dict[str, Taint | None],
    ) -> Taint | None:
        """``"... ORDER BY {}".format(col)``: each argument at its field in the text."""
        try:
            fields = list(string.Formatter().parse(template))
        except ValueError:
            return merge([*positional, *keywords.values()])
        texts: list[str | None] = []
        taints: list[Taint | None] = []
        numeric: set[int] = set()
        auto = 0
        for literal, name, spec, _conversion in fields:
            if literal:
                texts.append(literal)
                taints.append(None)
            if name is None:
                continue
            base = re.split(r"[.\[]", name, maxsplit=1)[0]
            if base == "":
                taint = positional[auto] if auto < len(positional) else None
                auto += 1
            elif base.isdigit():
                index = int(base)
                taint = positional[index] if index < len(positional) else None
            else:
                taint = keywords.get(base, keywords.get("**"))
            if spec and spec[-1] in "dbxXoneEfFgG%" and "{" not in spec:
                numeric.add(len(texts))
            texts.append(None if taint is not None else HOLE)
            taints.append(taint)
        return with_text(texts, taints, numeric)

    def read_name(self, node: nodes.Name) -> Taint | None:
        name = str(node.name)
        if name in self.env:
            return self.env[name]
        source = self.engine.source_for_expr(self, node)
        if source is not None:
            return source
        if name in self.globals_env:
            return self.globals_env[name]
        return self.engine.imported_global(self, node)

    def read_attribute(self, node: nodes.Attribute) -> Taint | None:
        field_kind = self.engine.model_field_kind(self, node)
        if field_kind == "safe":
            return None
        source = self.engine.source_for_expr(self, node)
        if source is not None:
            return source
        key = var_key(node)
        if key is not None and key in self.env:
            return self.env[key]
        if key is not None and key.startswith("self.") and key not in self.env:
            owner = self.engine.field_owner(self)
            if owner is not None:
                return self.engine.field_taint(self, key)
        base = self.eval(node.expr)
        if base is None:
            return None
        return self.engine.attribute_of_tainted(self, node, base)

    # -- containers whose items are known one by one ------------------------------------------

    def _shape(self, name: str, kind: str) -> tuple[Any, ...] | None:
        known = self.env.get(CONST_KEY + name + kind)
        return known.value if isinstance(known, Known) else None

    def _set_shape(self, env: Env, name: str, kind: str, items: tuple[Any, ...] | None) -> None:
        if items is None or len(items) > _MAX_ITEMS:
            env.pop(CONST_KEY + name + kind, None)
        else:
            env[CONST_KEY + name + kind] = Known(frozenset(), frozenset(), items)

    def _record_shape(self, target: nodes.NodeNG, value_node: nodes.NodeNG) -> None:
        """``d = {}`` / ``{"k": v}`` / ``ConfigParser()``; ``lst = []`` / ``[a, b]``: from here the
        analysis knows each item's taint, until the container is used in a way it does not
        follow (passed to a call, updated in bulk)."""
        if not isinstance(target, nodes.AssignName):
            return
        name = str(target.name)
        if isinstance(value_node, nodes.Dict):
            if not all(isinstance(k, nodes.Const) for k, _ in value_node.items):
                return
            if not all(_simple(v) for _, v in value_node.items):
                return
            items = tuple((k.value, self.eval(v)) for k, v in value_node.items)
            self._set_shape(self.env, name, DICT_SHAPE, items)
        elif isinstance(value_node, nodes.List) and all(_simple(e) for e in value_node.elts):
            self._set_shape(
                self.env,
                name,
                LIST_SHAPE,
                tuple((self.eval(e), self._const_set(e)) for e in value_node.elts),
            )
        elif isinstance(value_node, nodes.Call) and not value_node.args:
            called = names_of(value_node.func)
            if called & _EMPTY_MAPPINGS:
                self._set_shape(self.env, name, DICT_SHAPE, ())

    def _const_set(self, node: nodes.NodeNG) -> frozenset[Any] | None:
        value = evaluate(node, self.constants())
        return frozenset({value}) if isinstance(value, (str, int)) else None

    def argv_variants(self, call: nodes.Call) -> list[nodes.Call]:
        """``subprocess.run(argv)`` where ``argv`` was built by appends: the call with the list
        written out, once per combination of the constants its items may hold (``"sh"`` on one
        branch, ``"bash"`` on another), so that conditions on the list's items can be checked."""
        args = call.args or []
        if not args or not isinstance(args[0], nodes.Name):
            return []
        items = self._shape(str(args[0].name), LIST_SHAPE)
        if not items:
            return []
        choices: list[list[Any]] = []
        for _, consts in items:
            choices.append(sorted(consts, key=repr) if consts else [_NO_KEY])
        variants: list[nodes.Call] = []
        for combo in itertools.islice(itertools.product(*choices), _MAX_VARIANTS):
            fake = nodes.Call(
                lineno=call.lineno,
                col_offset=call.col_offset,
                parent=call.parent,
                end_lineno=call.end_lineno,
                end_col_offset=call.end_col_offset,
            )
            display = nodes.List(
                lineno=args[0].lineno,
                col_offset=args[0].col_offset,
                parent=fake,
                end_lineno=args[0].end_lineno,
                end_col_offset=args[0].end_col_offset,
            )
            elts: list[nodes.NodeNG] = []
            for value in combo:
                if value is _NO_KEY:
                    hole = nodes.Name(
                        name="\x00item",
                        lineno=args[0].lineno,
                        col_offset=args[0].col_offset,
                        parent=display,
                        end_lineno=args[0].end_lineno,
                        end_col_offset=args[0].end_col_offset,
                    )
                    elts.append(hole)
                else:
                    elts.append(
                        nodes.Const(
                            value,
                            lineno=args[0].lineno,
                            col_offset=args[0].col_offset,
                            parent=display,
                            end_lineno=args[0].end_lineno,
                            end_col_offset=args[0].end_col_offset,
                        )
                    )
            display.postinit(elts=elts)
            fake.postinit(func=call.func, args=[display, *args[1:]], keywords=call.keywords)
            variants.append(fake)
        return variants

    def item_taint(self, name: str, index: int) -> tuple[bool, Taint | None]:
        """The taint of item ``index`` of list ``name`` when its items are known."""
        items = self._shape(name, LIST_SHAPE)
        if items is None or not -len(items) <= index < len(items):
            return False, None
        return True, items[index][0]

    def _store_item(
        self, env: Env, container: str, index: nodes.NodeNG, value: Taint | None
    ) -> None:
        dict_items = self._shape(container, DICT_SHAPE)
        list_items = self._shape(container, LIST_SHAPE)
        key = index.value if isinstance(index, nodes.Const) else _NO_KEY
        if dict_items is not None:
            if key is _NO_KEY:
                self._set_shape(env, container, DICT_SHAPE, None)
            else:
                kept = tuple((k, t) for k, t in dict_items if k != key)
                self._set_shape(env, container, DICT_SHAPE, (*kept, (key, value)))
        if list_items is not None:
            if isinstance(key, int) and -len(list_items) <= key < len(list_items):
                items = list(list_items)
                items[key] = (value, None)
                self._set_shape(env, container, LIST_SHAPE, tuple(items))
            else:
                self._set_shape(env, container, LIST_SHAPE, None)

    def _known_item(self, container: nodes.NodeNG, index: nodes.NodeNG) -> tuple[bool, Any]:
        """(True, taint) when ``container[index]`` is an item the analysis knows."""
        if not isinstance(container, nodes.Name) or not isinstance(index, nodes.Const):
            return False, None
        name = str(container.name)
        dict_items = self._shape(name, DICT_SHAPE)
        if dict_items is not None:
            for k, taint in dict_items:
                if k == index.value:
                    return True, taint
            return True, None
        list_items = self._shape(name, LIST_SHAPE)
        if (
            list_items is not None
            and isinstance(index.value, int)
            and not isinstance(index.value, bool)
        ):
            if -len(list_items) <= index.value < len(list_items):
                return True, list_items[index.value][0]
        return False, None

    def container_call(
        self, call: nodes.Call, positional: list[Taint | None]
    ) -> tuple[bool, Taint | None]:
        """Methods of a container whose items are known: ``lst.append(x)``, ``lst.pop(0)``,
        ``d.get("k")``, a ConfigParser's ``set(section, key, value)`` and ``get(section, key)``.
        (True, result) when handled here; other uses forget the items."""
        func = call.func
        if not isinstance(func, nodes.Attribute) or not isinstance(func.expr, nodes.Name):
            return False, None
        name = str(func.expr.name)
        method = func.attrname
        args = call.args or []
        consts = [a.value if isinstance(a, nodes.Const) else _NO_KEY for a in args]
        list_items = self._shape(name, LIST_SHAPE)
        if list_items is not None:
            if method == "append" and len(args) == 1:
                item = (positional[0], self._const_set(args[0]))
                self._set_shape(self.env, name, LIST_SHAPE, (*list_items, item))
                return False, None  # the container's own taint is still updated
            if method == "pop" and len(args) <= 1 and not call.keywords:
                index = consts[0] if args else -1
                if isinstance(index, int) and -len(list_items) <= index < len(list_items):
                    items = list(list_items)
                    taken = items.pop(index)[0]
                    self._set_shape(self.env, name, LIST_SHAPE, tuple(items))
                    return True, taken
            if method == "insert" and len(args) == 2 and isinstance(consts[0], int):
                items = list(list_items)
                items.insert(consts[0], (positional[1], self._const_set(args[1])))
                self._set_shape(self.env, name, LIST_SHAPE, tuple(items))
                return False, None
            if method not in _READING_METHODS:
                self._set_shape(self.env, name, LIST_SHAPE, None)
            return False, None
        dict_items = self._shape(name, DICT_SHAPE)
        if dict_items is None:
            return False, None
        if method in ("get", "getint", "getfloat", "getboolean") and not call.keywords:
            # d.get(key[, default]); config.get(section, option)
            key: Any = _NO_KEY
            default: Taint | None = None
            if (
                len(args) == 2
                and all(isinstance(a, nodes.Const) for a in args)
                and any(isinstance(k, tuple) for k, _ in dict_items)
            ):
                key = (consts[0], consts[1])
            elif args and consts[0] is not _NO_KEY:
                key = consts[0]
                default = positional[1] if len(positional) > 1 else None
            if key is not _NO_KEY:
                found = next((t for k, t in dict_items if k == key), default)
                if method != "get" and found is not None:
                    return True, None  # getint/getfloat/getboolean convert
                return True, found
        if method == "set" and len(args) == 3 and consts[0] is not _NO_KEY:
            if consts[1] is not _NO_KEY:
                key = (consts[0], consts[1])
                kept = tuple((k, t) for k, t in dict_items if k != key)
                self._set_shape(self.env, name, DICT_SHAPE, (*kept, (key, positional[2])))
                return False, None
        if method not in _READING_METHODS:
            self._set_shape(self.env, name, DICT_SHAPE, None)
        return False, None

    def forget_items(self, call: nodes.Call) -> None:
        """A container passed to a call: what the callee does to its items is not followed."""
        for arg in [*(call.args or []), *(kw.value for kw in call.keywords or [])]:
            if isinstance(arg, nodes.Name):
                for kind in (DICT_SHAPE, LIST_SHAPE):
                    self.env.pop(CONST_KEY + str(arg.name) + kind, None)

    def read_subscript(self, node: nodes.Subscript) -> Taint | None:
        known, item = self._known_item(node.value, node.slice)
        if known:
            self.eval(node.value)
            return item if isinstance(item, Taint) else None
        keyed = self._dict_entry(node)
        if keyed is not None:
            return self.eval(keyed) if isinstance(keyed, nodes.NodeNG) else None
        index = self.eval(node.slice)
        container = self.eval(node.value)
        if index is not None and is_constant_mapping(node.value):
            # COLUMNS[key]: the result is one of the mapping's constant values.
            return None if container is None else container
        source = self.engine.source_for_expr(self, node)
        if source is not None:
            return source
        return container

    def _dict_entry(self, node: nodes.Subscript) -> nodes.NodeNG | bool | None:
        """``options["dir"]`` where ``options = {"dir": ..., "user": ...}`` and nothing else
        is stored into it: the entry's own expression (False when the key is absent)."""
        container = node.value
        key = node.slice
        if not (isinstance(container, nodes.Name) and isinstance(key, nodes.Const)):
            return None
        if f"{container.name}[]" in self.env:
            return None  # written through a subscript since: keys are no longer known
        from aiscan.matchers.values import single_binding

        bound = single_binding(container)
        if not isinstance(bound, nodes.Dict) or not bound.items:
            return None
        if not all(isinstance(k, nodes.Const) for k, _ in bound.items):
            return None
        for k, v in bound.items:
            if k.value == key.value:
                return v
        return False

    def eval_comprehension(self, node: nodes.ComprehensionScope) -> Taint | None:
        saved = self.env
        self.env = dict(saved)
        try:
            for gen in node.generators:
                iterable = self.eval(gen.iter)
                self.bind(gen.target, iterable, gen.iter, None)
                for cond in gen.ifs:
                    self.eval(cond)
                    self._apply(self.env, guard_facts(cond).when_true)
            if isinstance(node, nodes.DictComp):
                return merge([self.eval(node.key), self.eval(node.value)])
            return self.eval(node.elt)
        finally:
            self.env = saved

    # -- helpers for the engine ---------------------------------------------------------------

    def arg_taints(self, call: nodes.Call) -> tuple[list[Taint | None], dict[str, Taint | None]]:
        positional = [self.eval(a) for a in call.args or []]
        keywords: dict[str, Taint | None] = {}
        for kw in call.keywords or []:
            value = self.eval(kw.value)
            keywords[kw.arg if kw.arg is not None else "**"] = value
        return positional, keywords

    def take_pending(self) -> CallEffect | None:
        return self._take_pending()

    def set_pending(self, effect: CallEffect) -> None:
        self._pending = effect


DICT_SHAPE = "{}"
LIST_SHAPE = "[#]"
_MAX_ITEMS = 64
_NO_KEY: Any = object()
_EMPTY_MAPPINGS = frozenset(
    {"dict", "configparser.ConfigParser", "configparser.RawConfigParser", "collections.OrderedDict"}
)
_READING_METHODS = frozenset(
    {
        "get",
        "keys",
        "values",
        "items",
        "copy",
        "count",
        "index",
        "has_section",
        "has_option",
        "sections",
        "options",
        "add_section",
    }
)


_MAX_VARIANTS = 8


def _join_items(values: list[Taint | None]) -> tuple[Any, ...] | None:
    """List items known on every path, with the same length: each item's taints merged and
    its possible constants united (None where any path's is unknown)."""
    shapes = [v.value for v in values if isinstance(v, Known)]
    if len(shapes) != len(values) or not shapes:
        return None
    length = len(shapes[0])
    if any(len(shape) != length for shape in shapes):
        return None
    out = []
    for index in range(length):
        taints = [shape[index][0] for shape in shapes]
        consts = [shape[index][1] for shape in shapes]
        joined_consts = None if any(c is None for c in consts) else frozenset().union(*consts)
        out.append((merge(taints), joined_consts))
    return tuple(out)


def _simple(node: nodes.NodeNG) -> bool:
    """An item expression that is cheap and safe to evaluate a second time."""
    return isinstance(
        node, (nodes.Const, nodes.Name, nodes.Attribute, nodes.Subscript, nodes.JoinedStr)
    )


_URL_PARSERS = frozenset({"urllib.parse.urlparse", "urllib.parse.urlsplit", "urlparse.urlparse"})


def _parsed_url_of(scope: nodes.NodeNG, name: str) -> str | None:
    """The variable ``name = urlparse(var)`` parses, when that is its only assignment."""
    assigns = scope.locals.get(name, []) if hasattr(scope, "locals") else []
    if len(assigns) != 1:
        return None
    parent = assigns[0].parent
    value = parent.value if isinstance(parent, nodes.Assign) else None
    if not isinstance(value, nodes.Call) or not value.args:
        return None
    if not names_of(value.func) & _URL_PARSERS:
        return None
    return var_key(value.args[0])


def _same_known(value: Taint | None, first: Known) -> bool:
    return (
        isinstance(value, Known)
        and type(value.value) is type(first.value)
        and value.value == first.value
    )


def with_text(
    texts: list[str | None], taints: list[Taint | None], numeric: set[int] | None = None
) -> Taint | None:
    """Join the parts of a string: ``texts`` holds the literal text of each part (None for a
    tainted value, which becomes a hole in the others' text)."""
    if all(t is None for t in taints):
        return None
    if not any(texts):
        return merge(taints)
    flat = [HOLE if t is None else t for t in texts]
    out: list[Taint | None] = []
    for index, taint in enumerate(taints):
        if taint is None:
            continue
        value = taint.with_guard(CONVERTED) if numeric and index in numeric else taint
        out.append(value.within_text("".join(flat[:index]), "".join(flat[index + 1 :])))
    return merge(out)


def _concat_operands(node: nodes.NodeNG) -> list[str | nodes.NodeNG]:
    """The operands of ``a + b + c`` in order (string constants as their text)."""
    out: list[str | nodes.NodeNG] = []
    stack: list[nodes.NodeNG] = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, nodes.BinOp) and current.op == "+":
            stack.append(current.right)
            stack.append(current.left)
        elif isinstance(current, nodes.Const) and isinstance(current.value, str):
            out.append(current.value)
        else:
            out.append(current)
    return out


def str_literal(node: nodes.NodeNG) -> str | None:
    """The text of a string constant, or of a name bound once to one."""
    if isinstance(node, nodes.Const):
        return node.value if isinstance(node.value, str) else None
    if isinstance(node, nodes.Name):
        from aiscan.matchers.values import const_value

        value = const_value(node)
        return value if isinstance(value, str) else None
    return None


_PRINTF = re.compile(
    r"%(?:\((?P<name>[^)]*)\))?[-#0 +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?(?P<conv>[a-zA-Z%])"
)
_NUMERIC_CONVERSIONS = frozenset("diouxXeEfFgGn%b")


def _printf_parts(
    text: str, right: nodes.NodeNG
) -> tuple[list[str | nodes.NodeNG], set[int]] | None:
    """``text % right`` as literal text and the values at each conversion; None when the
    values cannot be told apart (a tuple held in a variable)."""
    specs = [m for m in _PRINTF.finditer(text) if m.group("conv") != "%"]
    if not specs:
        return None
    if all(m.group("name") is not None for m in specs):
        if not isinstance(right, nodes.Dict):
            return None
        by_key = {
            k.value: v
            for k, v in right.items
            if isinstance(k, nodes.Const) and isinstance(k.value, str)
        }
        values: list[nodes.NodeNG | None] = [by_key.get(m.group("name")) for m in specs]
    elif isinstance(right, nodes.Tuple):
        if len(right.elts) != len(specs) or any(isinstance(e, nodes.Starred) for e in right.elts):
            return None
        values = list(right.elts)
    elif len(specs) == 1:
        values = [right]
    else:
        return None
    parts: list[str | nodes.NodeNG] = []
    numeric: set[int] = set()
    pos = 0
    for match, value in zip(specs, values, strict=True):
        parts.append(text[pos : match.start()].replace("%%", "%"))
        if value is None:
            parts.append(HOLE)
        else:
            if match.group("conv") in _NUMERIC_CONVERSIONS:
                numeric.add(len(parts))
            parts.append(value)
        pos = match.end()
    parts.append(text[pos:].replace("%%", "%"))
    return parts, numeric


def _numeric_spec(spec: nodes.NodeNG | None) -> bool:
    """``f"{n:d}"``, ``f"{n:.2f}"``: the format spec only accepts numbers."""
    if not isinstance(spec, nodes.JoinedStr) or not spec.values:
        return False
    if not all(isinstance(v, nodes.Const) for v in spec.values):
        return False
    text = "".join(str(v.value) for v in spec.values)
    return bool(text) and text[-1] in "dbcoxXneEfFgG%" and text[-1] != "c"


def _literal_pattern(pattern: nodes.NodeNG) -> bool:
    if isinstance(pattern, nodes.MatchValue):
        return isinstance(pattern.value, (nodes.Const, nodes.Attribute))
    if isinstance(pattern, nodes.MatchSingleton):
        return True
    if isinstance(pattern, nodes.MatchOr):
        return all(_literal_pattern(p) for p in pattern.patterns)
    return False


def _target_key(target: nodes.NodeNG) -> str | None:
    if isinstance(target, nodes.AssignName):
        return str(target.name)
    if isinstance(target, nodes.AssignAttr) and isinstance(target.expr, nodes.Name):
        return f"{target.expr.name}.{target.attrname}"
    if isinstance(target, (nodes.Name, nodes.Attribute)):
        return var_key(target)
    return None


def taint_of_arg(
    spec: ArgSpec,
    call: nodes.Call,
    positional: list[Taint | None],
    keywords: dict[str, Taint | None],
    receiver: Taint | None,
    analysis: FunctionAnalysis,
) -> tuple[Taint | None, nodes.NodeNG | None]:
    """The taint of the argument a sink spec points at (and its node)."""
    if spec.receiver:
        expr = call.func.expr if isinstance(call.func, nodes.Attribute) else None
        return receiver, expr
    arg_node: nodes.NodeNG | None = None
    taint: Taint | None = None
    if spec.keyword is not None:
        for kw in call.keywords or []:
            # "**" names the mapping unpacked into the keywords (Model(**data)).
            if kw.arg == spec.keyword or (kw.arg is None and spec.keyword == "**"):
                arg_node, taint = kw.value, keywords.get(spec.keyword)
    if arg_node is None and spec.position is not None:
        args = call.args or []
        if spec.position < len(args) and not any(
            isinstance(a, nodes.Starred) for a in args[: spec.position + 1]
        ):
            arg_node, taint = args[spec.position], positional[spec.position]
    if arg_node is None or spec.item is None:
        return taint, arg_node
    if isinstance(arg_node, nodes.Name):
        known, item = analysis.item_taint(str(arg_node.name), spec.item)
        if known:
            # argv built by appends: the item the analysis followed.
            return item, arg_node
        # argv = ["convert", name, ...]; subprocess.run(argv): the display it was built from.
        from aiscan.matchers.values import resolved_value

        bound = resolved_value(arg_node)
        if isinstance(bound, (nodes.List, nodes.Tuple)):
            arg_node = bound
    if isinstance(arg_node, (nodes.List, nodes.Tuple)):
        if spec.item < len(arg_node.elts):
            element = arg_node.elts[spec.item]
            return analysis.eval(element), element
        return None, arg_node
    return taint, arg_node


def iter_calls(scope: nodes.NodeNG) -> Iterator[nodes.Call]:
    """Calls in ``scope``'s own body (not in nested functions or classes)."""
    stack: list[Any] = list(scope.get_children())
    while stack:
        node = stack.pop()
        if isinstance(node, (nodes.FunctionDef, nodes.ClassDef, nodes.Lambda)):
            continue
        if isinstance(node, nodes.Call):
            yield node
        stack.extend(node.get_children())


__all__ = [
    "MAX_STEPS",
    "BudgetExceeded",
    "CallEffect",
    "Env",
    "FunctionAnalysis",
    "GuardFacts",
    "iter_calls",
    "node_key",
    "short",
    "str_literal",
    "taint_of_arg",
    "with_text",
]
