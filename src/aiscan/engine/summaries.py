"""Inter-procedural taint: call resolution, the call graph, and function summaries computed
bottom-up over its strongly connected components."""

from __future__ import annotations

import functools
import linecache
import logging
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import astroid
import networkx as nx
from astroid import nodes

from aiscan.engine.consts import evaluate
from aiscan.engine.context import is_django_view, route_decorated
from aiscan.engine.dataflow import (
    CONST_KEY,
    BudgetExceeded,
    CallEffect,
    FunctionAnalysis,
    iter_calls,
    node_key,
    short,
    str_literal,
    taint_of_arg,
)
from aiscan.engine.frameworks import (
    REQUEST_DATA_ATTRS,
    REQUEST_DATA_METHODS,
    annotation_kind,
    click_command,
    field_annotation,
    handler_parameter_role,
    html_view,
    model_class,
    returned_text,
)
from aiscan.engine.guards import (
    GuardFacts,
    guard_facts,
    is_constant_collection,
    is_constant_mapping,
    var_key,
)
from aiscan.engine.names import NameIndex, names_of
from aiscan.engine.nodeindex import module_nodes
from aiscan.engine.project import module_name
from aiscan.engine.sqltext import DESCRIPTIONS as SQL_CLAUSE_TEXT
from aiscan.engine.taint import (
    CHAR_CLASS,
    CONVERTED,
    EXCLUDES_PREFIX,
    LENGTH_CHECKED,
    NodeKey,
    Origin,
    Taint,
    TaintRuleSpec,
    is_annotation,
    length_check_lines,
    merge,
    shown_guards,
    sql_clause,
    work_done,
)
from aiscan.model import Finding, FlowStep, Location

log = logging.getLogger(__name__)

MAX_CALL_DEPTH = 6
MAX_FUNCTIONS_PER_ROOT = 400
# Work allowed for the analysis started from one file, counted in statements and expressions
# evaluated (not seconds, so that the result never depends on how busy the machine is).
FILE_STEP_BUDGET = 1_500_000
_CLEAN_RESULT = frozenset(
    {
        "len",
        "bool",
        "isinstance",
        "issubclass",
        "hasattr",
        "callable",
        "id",
        "hash",
        "type",
        "any",
        "all",
        "ord",
        "abs",
        "round",
        "range",
        "os.path.exists",
        "os.path.isfile",
        "os.path.isdir",
        "os.path.getsize",
        "hmac.compare_digest",
        "secrets.compare_digest",
        "print",
        "logging.info",
        "logging.debug",
        "logging.warning",
        "logging.error",
    }
)
_CONVERTERS = frozenset(
    {
        "int",
        "float",
        "complex",
        "bool",
        "uuid.UUID",
        "decimal.Decimal",
        "datetime.date.fromisoformat",
        "datetime.datetime.fromisoformat",
        "ipaddress.ip_address",
        "ipaddress.ip_network",
    }
)
_MUTATORS = frozenset(
    {
        "append",
        "extend",
        "insert",
        "add",
        "update",
        "setdefault",
        "put",
        "put_nowait",
        "appendleft",
        "extendleft",
    }
)
_PARTIAL = frozenset({"functools.partial", "partial"})
# Methods whose result carries no text of the receiver: numbers, booleans, digests.
_CLEAN_METHODS = frozenset(
    {
        "hexdigest",
        "digest",
        "startswith",
        "endswith",
        "count",
        "find",
        "rfind",
        "index",
        "rindex",
        "isdigit",
        "isalnum",
        "isalpha",
        "isdecimal",
        "isnumeric",
        "isidentifier",
        "islower",
        "isupper",
        "isspace",
        "isascii",
        "bit_length",
    }
)
_MODULE_ASSIGNMENT = re.compile(r"(?m)^([^\W\d]\w*)\s*(?::[^=\n]*)?=")
_STRIP_TO_SAFE = re.compile(r"^\[\^[A-Za-z0-9_.\\ -]*\][+*]?$")


class FileBudgetExceeded(Exception):
    """Analysis of one file took longer than its budget."""


@dataclass(frozen=True)
class ParamFlow:
    """A parameter reaches something (the return value, a field); each of ``guard_sets`` is
    what held on one of the paths it took."""

    guard_sets: tuple[frozenset[str], ...]
    path: tuple[NodeKey, ...]

    @staticmethod
    def of(taint: Taint, origin: Origin, path: tuple[NodeKey, ...]) -> ParamFlow:
        return ParamFlow(tuple(taint.guards_of(origin)) or (frozenset(),), path)


@dataclass(frozen=True)
class SummarySink:
    """Parameter ``param`` of a function reaches a sink of ``rule_id``."""

    rule_id: str
    param: str
    guards: frozenset[str]
    path: tuple[NodeKey, ...]
    callee: str
    text: str | None = None


# A summary keeps one entry per (rule, parameter, sink, guards); the guard sets that reach one
# sink from one parameter are folded into one past this many (the guards common to all of them:
# the sink stays reported unless every path was safe), and a summary keeps at most this many
# sinks. Without these bounds the entries multiply at every level of a call chain (each loop
# iteration and each call site re-reports the callee's sinks).
MAX_GUARD_SETS_PER_SINK = 8
MAX_SINKS_PER_SUMMARY = 2_000
# A flow path longer than this keeps its first and last steps (a report shows both ends).
MAX_PATH_STEPS = 40

_SinkGroup = tuple[str, str, NodeKey, str, str | None]


@dataclass
class Summary:
    """What a function does with its inputs, reused at every call site."""

    params: list[str]
    is_method: bool
    returns: dict[str, ParamFlow] = field(default_factory=dict)
    return_sources: Taint | None = None
    return_source_paths: dict[Origin, tuple[NodeKey, ...]] = field(default_factory=dict)
    field_writes: dict[str, dict[str, ParamFlow]] = field(default_factory=dict)
    # Fields of the object returned (a factory: ``return cls(form["x"])``).
    return_fields: dict[str, dict[str, ParamFlow]] = field(default_factory=dict)
    return_field_sources: dict[str, Taint] = field(default_factory=dict)
    validator_of: dict[str, str] = field(default_factory=dict)  # param -> guard kind when True
    # (rule, param, sink node, callee, text) -> guards -> the sink with the shortest path.
    _sinks: dict[_SinkGroup, dict[frozenset[str], SummarySink]] = field(default_factory=dict)
    _sink_count: int = 0
    # (rule id, location) -> the finding with the flow that sorts first (as the scanner keeps).
    _findings: dict[tuple[str, object], Finding] = field(default_factory=dict)
    #: Set when a bound dropped sinks: the bound's description, for the scan's notifications.
    truncated: str | None = None

    @property
    def sinks(self) -> list[SummarySink]:
        return [s for group in self._sinks.values() for s in group.values()]

    @property
    def findings(self) -> list[Finding]:
        return list(self._findings.values())

    def add_finding(self, finding: Finding) -> None:
        key = (finding.rule_id, finding.location)
        current = self._findings.get(key)
        if current is None or finding.flow_order() < current.flow_order():
            self._findings[key] = finding

    def add_findings(self, findings: Iterable[Finding]) -> None:
        for finding in findings:
            self.add_finding(finding)

    def add_sink(self, sink: SummarySink) -> None:
        group_key: _SinkGroup = (sink.rule_id, sink.param, sink.path[-1], sink.callee, sink.text)
        group = self._sinks.get(group_key)
        if group is None:
            if self._sink_count >= MAX_SINKS_PER_SUMMARY:
                self.truncated = f"more than {MAX_SINKS_PER_SUMMARY} sinks reached"
                return
            group = self._sinks[group_key] = {}
        current = group.get(sink.guards)
        if current is not None:
            if _path_order(sink.path) < _path_order(current.path):
                group[sink.guards] = sink
            return
        if len(group) < MAX_GUARD_SETS_PER_SINK:
            group[sink.guards] = sink
            self._sink_count += 1
            return
        # Fold: one entry whose guards held on every path, with the shortest path.
        sinks = [*group.values(), sink]
        common = frozenset.intersection(
            *(frozenset(g for g in s.guards if not is_annotation(g)) for s in sinks)
        )
        notes = sorted({g for s in sinks for g in s.guards if is_annotation(g)})
        guards = common | frozenset(notes[:MAX_GUARD_SETS_PER_SINK])
        best = min(sinks, key=lambda s: _path_order(s.path))
        self._sink_count -= len(group) - 1
        self._sinks[group_key] = {
            guards: SummarySink(sink.rule_id, sink.param, guards, best.path, sink.callee, sink.text)
        }

    def signature(self) -> tuple[object, ...]:
        return (
            tuple(sorted(self.returns)),
            tuple(sorted({(k[0], k[1]) for k in self._sinks})),
            tuple(sorted(self.field_writes)),
            self.return_sources is not None,
            tuple(sorted(self.validator_of.items())),
        )


@dataclass
class ResolvedCall:
    func: nodes.FunctionDef | nodes.Lambda
    bound: bool  # self/cls is filled by the call
    constructor: bool = False
    klass: nodes.ClassDef | None = None
    extra_args: tuple[nodes.NodeNG, ...] = ()


def _path_order(path: tuple[NodeKey, ...]) -> tuple[int, tuple[NodeKey, ...]]:
    return (len(path), path)


def _func_key(func: nodes.NodeNG) -> tuple[str, int, int, str]:
    root = func.root()
    return (
        str(getattr(root, "file", "") or root.name),
        int(func.lineno or 0),
        int(func.col_offset or 0),
        str(getattr(func, "name", "<lambda>")),
    )


class TaintEngine:
    """All taint rules of a scan, compiled into one analysis that runs once per file."""

    def __init__(
        self, specs: Sequence[TaintRuleSpec], root: Path, project_files: Iterable[Path]
    ) -> None:
        self.specs = list(specs)
        self.root = root
        self.source_calls = NameIndex(
            n for s in specs for src in s.sources if src.kind == "call" for n in src.raw_names
        )
        self.source_attrs = NameIndex(
            n for s in specs for src in s.sources if src.kind == "attribute" for n in src.raw_names
        )
        self.call_source_labels = {
            n: src.label
            for s in specs
            for src in s.sources
            if src.kind == "call"
            for n in src.raw_names
        }
        self.attr_source_labels = {
            n: src.label
            for s in specs
            for src in s.sources
            if src.kind == "attribute"
            for n in src.raw_names
        }
        self.param_source_labels = sorted(
            {
                src.label
                for s in specs
                for src in s.sources
                if src.kind == "parameter" and src.framework != "click"
            }
        )
        self.click_source_labels = sorted(
            {
                src.label
                for s in specs
                for src in s.sources
                if src.kind == "parameter" and src.framework == "click"
            }
        )
        # Exception sources: the caught types, the source's label, the registering methods.
        self.exception_sources = [
            (src.names, src.label, src.handlers)
            for s in specs
            for src in s.sources
            if src.kind == "exception" and src.names is not None
        ]
        self._error_handler_memo: dict[int, tuple[nodes.FunctionDef, frozenset[str]]] = {}
        # The sinks that are not calls, checked at every return and store.
        self._return_sinks = [(sp, sk) for sp in self.specs for sk in sp.sinks if sk.returns]
        self._store_sinks = [(sp, sk) for sp in self.specs for sk in sp.sinks if sk.stores]
        self._relative_paths: dict[str, str | None] = {}
        self._root_resolved = root.resolve()
        self.project_modules: dict[str, Path] = {}
        self._project_files = [p.resolve() for p in project_files]
        root_dir = root.resolve()
        for path in self._project_files:
            modname, base = module_name(path)
            self.project_modules.setdefault(modname, path)
            # A module whose folders up to the project root have no __init__.py is also
            # importable from the root as a namespace package (helpers/utils.py: helpers.utils).
            try:
                rel = base.relative_to(root_dir)
            except ValueError:
                continue
            if rel.parts and all(p.isidentifier() for p in rel.parts):
                self.project_modules.setdefault(".".join([*rel.parts, modname]), path)
        self.summaries: dict[tuple[str, int, int, str], Summary] = {}
        self.in_progress: set[tuple[str, int, int, str]] = set()
        self._resolved: dict[int, ResolvedCall | None] = {}
        self.file_steps = 0
        self._module: nodes.Module | None = None
        self._module_envs: dict[str, dict[str, Taint]] = {}
        self._source_modules: dict[str, bool] = {}
        self._demand_depth = 0
        self._module_assigned: dict[str, frozenset[str]] = {}
        # Set by the matcher: what a module's text must contain to hold a source.
        self.source_text_regex: re.Pattern[str] | None = None
        self.globals_env: dict[str, Taint] = {}
        self._current: list[Summary] = []
        self.truncated: list[str] = []
        self._locations: dict[NodeKey, Location | None] = {}
        # The function analyses under way, innermost last (for their work budgets).
        self._analyses: list[FunctionAnalysis] = []

    # -- file entry point ----------------------------------------------------------------------

    def analyse_module(
        self,
        module: nodes.Module,
        lines: Sequence[str] = (),
        roots_regex: re.Pattern[str] | None = None,
    ) -> list[Finding]:
        """Findings of flows whose source is in ``module``.

        Only functions whose text can hold a source (``roots_regex``) are analysed as roots;
        the functions they call are summarised on demand. A function with no source cannot
        start a flow, and its summary matters only to callers that have one.
        """
        self.file_steps = 0
        self._resolved.clear()
        self._locations.clear()
        self._module = module
        self.globals_env = {}
        path = str(Path(module.file).resolve()) if module.file else module.name
        module_analysis = FunctionAnalysis(self, module, path)
        module_summary = Summary(params=[], is_method=False)
        self._current = [module_summary]
        try:
            self._run(module_analysis)
        except BudgetExceeded:
            self.truncated.append(f"module body of {module.name} is too large; analysed in part")
        self._current.pop()
        self.globals_env = dict(module_analysis.env)
        functions = [f for f in module_nodes(module, nodes.FunctionDef) if not _nested(f)]
        if roots_regex is not None and lines:
            # Functions that read a tainted module global (TARGET = sys.argv[1]) start flows too.
            tainted_globals = sorted(
                k
                for k in self.globals_env
                if "." not in k and "[" not in k and not k.startswith(CONST_KEY)
            )
            regex = roots_regex
            if tainted_globals:
                regex = re.compile(
                    roots_regex.pattern
                    + r"|\b(?:"
                    + "|".join(map(re.escape, tainted_globals))
                    + r")\b"
                )
            methods = self._handler_methods() if self.exception_sources else frozenset()
            functions = [
                f
                for f in functions
                if _text_matches(f, lines, regex)
                # An error handler registered by a call elsewhere in the module
                # (app.register_error_handler(Exception, on_error)) is given the exception.
                or (methods and _error_registrations(f, methods, any_type=True))
            ]
        self.ensure_summaries(functions)
        findings = list(module_summary.findings)
        for func in functions:
            summary = self.summaries.get(_func_key(func))
            if summary is not None:
                findings.extend(summary.findings)
        return findings

    # -- call graph and summaries ---------------------------------------------------------------

    def ensure_summaries(self, roots: Sequence[nodes.FunctionDef]) -> None:
        graph: nx.DiGraph[tuple[str, int, int, str]] = nx.DiGraph()
        by_key: dict[tuple[str, int, int, str], nodes.FunctionDef | nodes.Lambda] = {}
        frontier = [(f, 0) for f in roots]
        for f in roots:
            by_key[_func_key(f)] = f
            graph.add_node(_func_key(f))
        while frontier and len(by_key) < MAX_FUNCTIONS_PER_ROOT:
            func, depth = frontier.pop()
            fkey = _func_key(func)
            if fkey in self.summaries and fkey not in {_func_key(r) for r in roots}:
                continue
            for call in iter_calls(func):
                if not self._cheap_to_resolve(call):
                    continue  # resolved on demand, if tainted data reaches it
                resolved = self.resolve_call(call)
                if resolved is None:
                    continue
                if isinstance(resolved.func, nodes.Lambda) and not isinstance(
                    resolved.func, nodes.FunctionDef
                ):
                    continue  # closures are analysed where they are defined, with their scope
                if _nested(resolved.func):
                    continue
                ckey = _func_key(resolved.func)
                graph.add_edge(fkey, ckey)
                if ckey not in by_key:
                    by_key[ckey] = resolved.func
                    if depth + 1 < MAX_CALL_DEPTH and ckey not in self.summaries:
                        frontier.append((resolved.func, depth + 1))
        condensed = nx.condensation(graph)
        for scc in reversed(list(nx.topological_sort(condensed))):
            members = sorted(condensed.nodes[scc]["members"])
            # A function being summarised further up the stack (a recursion reached on
            # demand) is not started again: its callers use what is known so far.
            todo = [m for m in members if m not in self.summaries and m not in self.in_progress]
            if not todo:
                continue
            recursive = len(members) > 1 or graph.has_edge(members[0], members[0])
            rounds = 3 if recursive else 1
            for _ in range(rounds):
                before = {m: self.summaries[m].signature() for m in todo if m in self.summaries}
                for member in todo:
                    self.summarise(by_key[member])
                after = {m: self.summaries[m].signature() for m in todo if m in self.summaries}
                if before == after:
                    break

    def summarise(
        self, func: nodes.FunctionDef | nodes.Lambda, initial: dict[str, Taint] | None = None
    ) -> Summary:
        key = _func_key(func)
        if self.file_steps > FILE_STEP_BUDGET:
            raise FileBudgetExceeded
        root = func.root()
        path = str(Path(root.file).resolve()) if getattr(root, "file", None) else str(root.name)
        analysis = FunctionAnalysis(
            self, func, path, initial=initial, globals_env=self._globals_for(root)
        )
        summary = Summary(params=[], is_method=_is_method(func))
        self._current.append(summary)
        self.in_progress.add(key)
        try:
            self._run(analysis)
        except BudgetExceeded:
            self.truncated.append(
                f"{getattr(func, 'name', 'lambda')} at {Path(path).name}:{func.lineno} "
                "is too large; analysed in part"
            )
        finally:
            self.in_progress.discard(key)
            self._current.pop()
        if summary.truncated:
            self.truncated.append(
                f"{getattr(func, 'name', 'lambda')} at {Path(path).name}:{func.lineno}: "
                f"{summary.truncated}; analysed in part"
            )
        summary.params = analysis.param_names
        returned = merge(analysis.returns)
        if returned is not None:
            for origin in sorted(returned.origins):
                if origin.kind == "param":
                    summary.returns[origin.label] = ParamFlow.of(
                        returned, origin, analysis.flow_path(origin.node, returned.at)
                    )
            sources = frozenset(f for f in returned.facts if f[0].kind == "source")
            if sources:
                summary.return_sources = Taint(sources, returned.at)
                for origin, _ in sources:
                    summary.return_source_paths[origin] = analysis.flow_path(
                        origin.node, returned.at
                    )
        for fname, taint in analysis.field_writes.items():
            flows = _param_flows(analysis, taint)
            if flows:
                summary.field_writes[fname] = flows
        for fname, taint in analysis.return_fields.items():
            flows = _param_flows(analysis, taint)
            if flows:
                summary.return_fields[fname] = flows
            sourced = frozenset(f for f in taint.facts if f[0].kind == "source")
            if sourced:
                summary.return_field_sources[fname] = Taint(sourced, taint.at)
        summary.validator_of = _validator_facts(func)
        if not isinstance(func, nodes.Lambda) or initial is None:
            self.summaries[key] = summary
        return summary

    def _run(self, analysis: FunctionAnalysis) -> None:
        """Run ``analysis``; the work it does counts against its own budget, not against the
        budget of the analysis that is waiting for it (its caller's)."""
        parent = self._analyses[-1] if self._analyses else None
        self._analyses.append(analysis)
        try:
            analysis.run()
        finally:
            self._analyses.pop()
            if parent is not None:
                parent.nested_work += work_done() - analysis.work_start

    def _globals_for(self, module: nodes.Module) -> dict[str, Taint]:
        """Module-level taint (``CMD = sys.argv[1]``) is visible to the root module's functions."""
        return self.globals_env if module is self._module else {}

    # -- resolution -------------------------------------------------------------------------------

    def is_project(self, node: nodes.NodeNG) -> bool:
        root = node.root()
        file = getattr(root, "file", None)
        if not file:
            return False
        try:
            resolved = Path(file).resolve()
        except OSError:
            return False
        return resolved in self._project_set

    @property
    def _project_set(self) -> set[Path]:
        cached: set[Path] | None = getattr(self, "_pset", None)
        if cached is None:
            cached = set(self._project_files)
            self._pset = cached
        return cached

    def resolve_call(self, call: nodes.Call) -> ResolvedCall | None:
        cache_key = id(call)
        if cache_key in self._resolved:
            return self._resolved[cache_key]
        try:
            result = self._resolve(call)
        except (
            astroid.AstroidError,
            RecursionError,
            AttributeError,
            TypeError,
            ValueError,
            IndexError,
        ):
            result = None
        self._resolved[cache_key] = result
        return result

    def _resolve(self, call: nodes.Call) -> ResolvedCall | None:
        func = call.func
        if isinstance(func, nodes.Name):
            if func.name == "cls":
                klass = _enclosing_class(call)
                if klass is not None:
                    return self._constructor(klass)
            try:
                _, assigns = func.lookup(func.name)
            except (AttributeError, astroid.AstroidError):
                assigns = []
            for assign in assigns:
                if isinstance(assign, nodes.FunctionDef):
                    return ResolvedCall(assign, bound=False) if self.is_project(assign) else None
                if isinstance(assign, nodes.ClassDef):
                    return self._constructor(assign)
                if isinstance(assign, nodes.AssignName) and isinstance(assign.parent, nodes.Assign):
                    value = assign.parent.value
                    if isinstance(value, nodes.Lambda):
                        return ResolvedCall(value, bound=False)
                    if isinstance(value, nodes.Attribute):
                        # execute = Runner().execute; execute(cmd): a bound method by alias.
                        for qname in sorted(names_of(value)):
                            found = self._project_lookup(qname)
                            if found is not None:
                                return found
                    if (
                        isinstance(value, nodes.Call)
                        and names_of(value.func) & _PARTIAL
                        and value.args
                    ):
                        resolved = self._resolve(_fake_call(value.args[0], value))
                        if resolved is not None:
                            return ResolvedCall(
                                resolved.func,
                                resolved.bound,
                                resolved.constructor,
                                resolved.klass,
                                tuple(value.args[1:]),
                            )
                if isinstance(assign, (nodes.ImportFrom, nodes.Import)):
                    for qname in names_of(func):
                        found = self._project_lookup(qname)
                        if found is not None:
                            return found
        if isinstance(func, nodes.Attribute):
            if isinstance(func.expr, nodes.Name) and func.expr.name in ("self", "cls"):
                klass = _enclosing_class(call)
                if klass is not None:
                    method = _class_method(klass, func.attrname)
                    if method is not None and self.is_project(method):
                        return ResolvedCall(method, bound=not _is_static(method))
                    return None
            for qname in sorted(names_of(func)):
                found = self._project_lookup(qname)
                if found is not None:
                    return found
            via_field = self._resolve_field_receiver(func)
            if via_field is not None:
                return via_field
            if isinstance(func.expr, nodes.Call):
                return self._resolve_returned_receiver(func.expr, func.attrname)
        return None

    def _resolve_returned_receiver(self, inner: nodes.Call, attr: str) -> ResolvedCall | None:
        """``get_store().search(x)`` where ``def get_store() -> Store``: the method of the class
        the project function says it returns."""
        made = self.resolve_call(inner)
        if made is None or not isinstance(made.func, nodes.FunctionDef) or made.constructor:
            return None
        returns = made.func.returns
        if returns is None:
            return None
        for qname in sorted(names_of(returns)):
            found = self._project_lookup(f"{qname}.{attr}")
            if found is not None:
                return found
        return None

    def _resolve_field_receiver(self, func: nodes.Attribute) -> ResolvedCall | None:
        """``self.repo.find(x)`` where ``self.repo = Repo(...)`` in the class: the method of
        the class that the field was built from, found from the syntax alone."""
        expr = func.expr
        if not (
            isinstance(expr, nodes.Attribute)
            and isinstance(expr.expr, nodes.Name)
            and expr.expr.name == "self"
        ):
            return None
        klass = _enclosing_class(func)
        if klass is None:
            return None
        for assign in klass.instance_attrs.get(expr.attrname, []):
            parent = assign.parent
            value = getattr(parent, "value", None)
            if isinstance(value, nodes.Call):
                for qname in sorted(names_of(value.func)):
                    found = self._project_lookup(f"{qname}.{func.attrname}")
                    if found is not None:
                        return found
        return None

    def _cheap_to_resolve(self, call: nodes.Call) -> bool:
        """The callee is in a module already parsed, or in one whose text holds a source."""
        func = call.func
        if isinstance(func, nodes.Name):
            try:
                _, assigns = func.lookup(func.name)
            except (AttributeError, astroid.AstroidError):
                return False
            if not any(isinstance(a, (nodes.Import, nodes.ImportFrom)) for a in assigns):
                return True  # defined in this module (or a local): nothing to parse
        if isinstance(func, nodes.Attribute) and isinstance(func.expr, nodes.Name):
            if func.expr.name in ("self", "cls"):
                return True
        cache = astroid.MANAGER.astroid_cache
        for qname in names_of(func):
            parts = qname.replace("()", "").split(".")
            for cut in range(len(parts) - 1, 0, -1):
                modname = ".".join(parts[:cut])
                if modname in self.project_modules:
                    return modname in cache or self._may_hold_source(modname)
        return False

    def _record_class(self, call: nodes.Call) -> list[str] | None:
        """The field names of a project dataclass or pydantic model built by ``call``."""
        klass = self._project_class(call.func)
        if klass is None:
            return None
        init = _class_method(klass, "__init__")
        if init is not None and init in klass.body:
            return None  # a written __init__ is summarised like any method
        decorated = klass.decorators is not None and any(
            "dataclass" in d.as_string() for d in klass.decorators.nodes
        )
        bases = {n.rsplit(".", 1)[-1] for b in klass.bases for n in names_of(b)}
        if not decorated and not bases & {"BaseModel", "SQLModel", "NamedTuple"}:
            return None
        return [
            str(stmt.target.name)
            for stmt in klass.body
            if isinstance(stmt, nodes.AnnAssign)
            and isinstance(stmt.target, nodes.AssignName)
            and "ClassVar" not in stmt.annotation.as_string()
        ]

    def _project_class(self, func: nodes.NodeNG) -> nodes.ClassDef | None:
        if isinstance(func, nodes.Name):
            try:
                _, assigns = func.lookup(func.name)
            except (AttributeError, astroid.AstroidError):
                return None
            for assign in assigns:
                if isinstance(assign, nodes.ClassDef):
                    return assign if self.is_project(assign) else None
        for qname in sorted(names_of(func)):
            modname, _, attr = qname.rpartition(".")
            if modname in self.project_modules:
                try:
                    module = astroid.MANAGER.ast_from_module_name(modname)
                    found = module.getattr(attr)[0]
                except (astroid.AstroidError, AttributeError, IndexError, SyntaxError, OSError):
                    return None
                return found if isinstance(found, nodes.ClassDef) else None
        return None

    def _constructor(self, klass: nodes.ClassDef) -> ResolvedCall | None:
        if not self.is_project(klass):
            return None
        init = _class_method(klass, "__init__")
        if init is not None and init not in klass.body and init.parent is klass:
            return None  # an __init__ astroid synthesised (dataclass): see _record_class
        if init is not None and self.is_project(init):
            return ResolvedCall(init, bound=True, constructor=True, klass=klass)
        return None

    def _project_lookup(self, qname: str) -> ResolvedCall | None:
        parts = qname.split(".")
        for cut in range(len(parts) - 1, 0, -1):
            modname = ".".join(parts[:cut])
            if modname not in self.project_modules:
                continue
            try:
                module = astroid.MANAGER.ast_from_module_name(modname)
            except (astroid.AstroidError, SyntaxError, OSError):
                return None
            obj: nodes.NodeNG = module
            rest = parts[cut:]
            for index, part in enumerate(rest):
                # Wrapper().method: an instance of a project class, whatever its name's case.
                attr = part.removesuffix("()")
                try:
                    found = obj.getattr(attr)[0]
                except (astroid.AstroidError, AttributeError, IndexError):
                    return None
                if part != attr and not isinstance(found, nodes.ClassDef):
                    return None
                if isinstance(found, (nodes.ImportFrom, nodes.Import)):
                    # A re-export (``from .impl import run`` in a package): follow it.
                    for target in names_of_import(found, attr):
                        res = self._project_lookup(".".join([target, *rest[index + 1 :]]))
                        if res is not None:
                            return res
                    return None
                obj = found
            if isinstance(obj, nodes.FunctionDef):
                klass = obj.parent if isinstance(obj.parent, nodes.ClassDef) else None
                bound = klass is not None and not _is_static(obj)
                return ResolvedCall(obj, bound=bound)
            if isinstance(obj, nodes.ClassDef):
                return self._constructor(obj)
            return None
        return None

    # -- hooks used by FunctionAnalysis ------------------------------------------------------

    def parameter_taint(
        self,
        analysis: FunctionAnalysis,
        func: nodes.FunctionDef | nodes.Lambda,
        param: nodes.AssignName,
        annotation: nodes.NodeNG | None,
    ) -> Taint | None:
        name = str(param.name)
        index = analysis.param_names.index(name)
        if index == 0 and _is_method(func):
            return None
        origin_taint = analysis.param_taint(func, name)
        if not isinstance(func, nodes.FunctionDef):
            return origin_taint
        if self.exception_sources and index == len(analysis.param_names) - 1:
            labels = self.error_handler_labels(func)
            if labels:
                # The exception an error handler is given is its last parameter (Flask passes
                # only it; Starlette passes the request first).
                key = node_key(analysis.path, param, f"the exception {name}")
                analysis.graph.add_node(key)
                origins = [Origin("source", label, key) for label in sorted(labels)]
                return merge([Taint.of(origins, at=frozenset({key})), origin_taint]) or origin_taint
        if self.click_source_labels and click_command(func):
            key = node_key(analysis.path, param, f"command-line parameter {name}")
            analysis.graph.add_node(key)
            origins = [Origin("source", label, key) for label in self.click_source_labels]
            return merge([Taint.of(origins, at=frozenset({key})), origin_taint]) or origin_taint
        if not self.param_source_labels:
            return origin_taint
        role = handler_parameter_role(func, param, annotation, index)
        if role == "request":
            analysis.request_params.add(name)
            return origin_taint
        if role == "model":
            klass = model_class(annotation)
            if klass is not None:
                analysis.model_params[name] = klass
            return origin_taint
        if role == "data":
            key = node_key(analysis.path, param, f"request parameter {name}")
            analysis.graph.add_node(key)
            web = [Origin("source", label, key) for label in self.param_source_labels]
            return merge([Taint.of(web, at=frozenset({key})), origin_taint]) or origin_taint
        return origin_taint

    def imported_global(self, analysis: FunctionAnalysis, node: nodes.Name) -> Taint | None:
        """A name imported from a project module whose body binds it to tainted data
        (``from .settings import TARGET`` where ``TARGET = sys.argv[1]``)."""
        for qname in sorted(names_of(node)):
            modname, _, attr = qname.rpartition(".")
            if modname not in self.project_modules or not self._may_hold_source(modname):
                continue
            if not self._assigned_at_module_level(modname, attr):
                continue  # a function or class, not a value computed when the module loads
            env = self._module_env(modname)
            taint = env.get(attr)
            if taint is not None:
                return taint
        return None

    def _assigned_at_module_level(self, modname: str, name: str) -> bool:
        names = self._module_assigned.get(modname)
        if names is None:
            try:
                text = self.project_modules[modname].read_text(encoding="utf-8", errors="replace")
            except OSError:
                text = ""
            # Read once per module: the names a line of its body assigns (``NAME = ...``,
            # ``NAME: T = ...``), not the text itself, asked again at every imported name.
            names = self._module_assigned[modname] = frozenset(_MODULE_ASSIGNMENT.findall(text))
        return name in names

    def _may_hold_source(self, modname: str) -> bool:
        """Whether a project module's text mentions a source at all (cheap; no parse)."""
        cached = self._source_modules.get(modname)
        if cached is None:
            cached = False
            if self.source_text_regex is not None:
                try:
                    text = self.project_modules[modname].read_text(
                        encoding="utf-8", errors="replace"
                    )
                except OSError:
                    text = ""
                cached = self.source_text_regex.search(text) is not None
            self._source_modules[modname] = cached
        return cached

    def _module_env(self, modname: str) -> dict[str, Taint]:
        cached = self._module_envs.get(modname)
        if cached is not None:
            return cached
        self._module_envs[modname] = {}
        try:
            module = astroid.MANAGER.ast_from_module_name(modname)
        except (astroid.AstroidError, SyntaxError, OSError):
            return {}
        path = str(Path(module.file).resolve()) if module.file else modname
        analysis = FunctionAnalysis(self, module, path)
        self._current.append(Summary(params=[], is_method=False))
        try:
            self._run(analysis)
        except BudgetExceeded:
            pass
        finally:
            self._current.pop()
        env = {k: v for k, v in analysis.env.items() if "." not in k and "[" not in k}
        self._module_envs[modname] = env
        return env

    def model_field_kind(self, analysis: FunctionAnalysis, node: nodes.Attribute) -> str | None:
        """For ``job.source`` where ``job`` is a request model parameter: 'data' when the
        field is a string-like value the client chose, 'safe' when validation made it a number,
        an enum, a literal or a UUID."""
        models: dict[str, nodes.ClassDef] = analysis.model_params
        if not models or not isinstance(node.expr, nodes.Name) or node.expr.name not in models:
            return None
        annotation = field_annotation(models[node.expr.name], node.attrname)
        if annotation is None:
            return None
        kind = annotation_kind(annotation)
        return "data" if kind == "data" else "safe"

    def source_for_expr(self, analysis: FunctionAnalysis, node: nodes.NodeNG) -> Taint | None:
        if isinstance(node, nodes.Attribute) and self.param_source_labels:
            if self.model_field_kind(analysis, node) == "data":
                return self._source(
                    analysis, node, self.param_source_labels, f"request field {short(node)}"
                )
        if isinstance(node, nodes.Attribute) and _reads_request(analysis, node, REQUEST_DATA_ATTRS):
            return self._source(
                analysis, node, self.param_source_labels, f"request data {short(node)}"
            )
        if not self.source_attrs.exact and not self.source_attrs.wild:
            return None
        if isinstance(node, (nodes.Name, nodes.Attribute)):
            found = self.source_attrs.match(names_of(node))
            if found is not None:
                return self._source(
                    analysis, node, [self.attr_source_labels.get(found, found)], short(node)
                )
        return None

    def _source(
        self, analysis: FunctionAnalysis, node: nodes.NodeNG, labels: Sequence[str], text: str
    ) -> Taint:
        key = node_key(analysis.path, node, f"source: {text}")
        analysis.graph.add_node(key)
        return Taint.of([Origin("source", label, key) for label in labels], at=frozenset({key}))

    def attribute_of_tainted(
        self, analysis: FunctionAnalysis, node: nodes.Attribute, base: Taint
    ) -> Taint | None:
        if _argparse_typed(node):
            return None
        for spec in self.specs:
            if node.attrname in spec.clean_attributes:
                base = base.with_guard(spec.sanitizer_tag)
        return base

    def field_owner(self, analysis: FunctionAnalysis) -> nodes.ClassDef | None:
        scope = analysis.scope
        if isinstance(scope, nodes.FunctionDef) and isinstance(scope.parent, nodes.ClassDef):
            return scope.parent
        return None

    def field_taint(self, analysis: FunctionAnalysis, key: str) -> Taint:
        cached = analysis.env.get(key)
        if cached is not None:
            return cached
        taint = analysis.param_taint(analysis.scope, key)
        analysis.env[key] = taint
        return taint

    def exception_taint(
        self, analysis: FunctionAnalysis, handler: nodes.ExceptHandler
    ) -> Taint | None:
        """``except Exception as e``: ``e`` is a source for the rules whose exception
        sources list a type the clause catches (directly or in a tuple)."""
        if not self.exception_sources or handler.type is None or handler.name is None:
            return None
        labels = self._exception_labels(handler.type)
        if not labels:
            return None
        name = str(handler.name.name)
        key = node_key(analysis.path, handler.name, f"the exception {name}")
        analysis.graph.add_node(key)
        origins = [Origin("source", label, key) for label in labels]
        return Taint.of(origins, at=frozenset({key}))

    def _exception_labels(self, caught: nodes.NodeNG) -> list[str]:
        types = caught.elts if isinstance(caught, nodes.Tuple) else [caught]
        labels: list[str] = []
        for index, label, _ in self.exception_sources:
            if any(index.match(names_of(t)) is not None for t in types) and label not in labels:
                labels.append(label)
        return labels

    def error_handler_labels(self, func: nodes.FunctionDef) -> frozenset[str]:
        """The exception-source labels ``func`` is registered as an error handler for
        (``@app.errorhandler(Exception)``, ``app.add_exception_handler(Exception, func)``);
        an empty set for any other function, or one registered for other errors only."""
        memo = self._error_handler_memo.get(id(func))
        if memo is not None and memo[0] is func:
            return memo[1]
        labels: set[str] = set()
        if self.exception_sources:
            for registered in _error_registrations(func, self._handler_methods()):
                labels.update(self._exception_labels(registered))
        result = frozenset(labels)
        self._error_handler_memo[id(func)] = (func, result)
        return result

    def _handler_methods(self) -> frozenset[str]:
        return frozenset(m for _, _, methods in self.exception_sources for m in methods)

    def guard_facts(self, analysis: FunctionAnalysis, test: nodes.NodeNG) -> GuardFacts:
        return guard_facts(test, self._validator_call_facts)

    def _validator_call_facts(self, call: nodes.Call) -> GuardFacts | None:
        """``valid_username(name)``: a project function whose body is ``return <guard on a
        parameter>`` guards the argument passed for that parameter."""
        resolved = self.resolve_call(call)
        if resolved is None:
            return None
        summary = self.summaries.get(_func_key(resolved.func))
        if summary is None or not summary.validator_of:
            return None
        offset = 1 if resolved.bound else 0
        true_facts = []
        for i, arg in enumerate(call.args):
            pindex = i + offset
            if pindex < len(summary.params):
                kind = summary.validator_of.get(summary.params[pindex])
                vkey = var_key(arg)
                if kind and vkey:
                    true_facts.append((vkey, kind))
        return GuardFacts(when_true=tuple(true_facts)) if true_facts else None

    def nested_function(self, analysis: FunctionAnalysis, func: nodes.FunctionDef) -> None:
        summary = self.summarise(func, initial=dict(analysis.env))
        analysis.local_funcs[str(func.name)] = (summary, func)
        if self._current:
            self._current[-1].add_findings(summary.findings)

    # -- calls ------------------------------------------------------------------------------------

    def eval_call(self, analysis: FunctionAnalysis, call: nodes.Call) -> Taint | None:
        expanded = _expand_partial(call)
        if expanded is not None:
            # sh = functools.partial(subprocess.run, shell=True); sh(cmd) is
            # subprocess.run(cmd, shell=True) for sinks, sources and summaries alike.
            call = expanded
        func = call.func
        receiver: Taint | None = None
        receiver_fields: dict[str, Taint] = {}
        if isinstance(func, nodes.Attribute):
            receiver = analysis.eval(func.expr)
            if isinstance(func.expr, nodes.Call):
                # Task(cmd).run(): the fields of the object just built.
                built = analysis.take_pending()
                if built is not None:
                    receiver_fields = built.fields
        positional, keywords = analysis.arg_taints(call)
        args_taint = merge([*positional, *keywords.values()])
        handled, item = analysis.container_call(call, positional)
        if handled:
            return analysis.step(item, call, short(call)) if item is not None else None
        if isinstance(func, nodes.Attribute) and func.attrname == "format":
            template = str_literal(func.expr)
            if template is not None:
                text = analysis.eval_format(template, positional, keywords)
                return analysis.step(text, call, short(call)) if text is not None else None
        names = names_of(func)
        label = short(call)

        # Inference only where the syntax says nothing about the callee (a receiver whose type
        # is not visible from assignments and imports): it is the engine's costliest step.
        inferred: frozenset[str] | None = None

        def by_inference(index: NameIndex) -> str | None:
            nonlocal inferred
            if names or not isinstance(func, nodes.Attribute):
                return None
            if not index.could_match_last(func.attrname):
                return None
            if inferred is None:
                inferred = _inferred(func)
            return index.match(inferred, inferred=True)

        # Sinks first: the call's own arguments. Data a rule reported here is not reported
        # again by that rule where the call's result goes (text() then execute()).
        reported = self._check_sinks(
            analysis, call, names, positional, keywords, receiver, by_inference
        )
        # Containers passed to a call: what the callee does to their items is not followed.
        analysis.forget_items(call)

        # Sources.
        found = self.source_calls.match(names) if names else by_inference(self.source_calls)
        if found is not None:
            # requests.get(url).text is a response (a source) that also carries what the
            # arguments carried.
            made = self._source(analysis, call, [self.call_source_labels.get(found, found)], label)
            return merge([made, analysis.step(args_taint, call, label)])
        if isinstance(func, nodes.Attribute) and _reads_request(
            analysis, func, REQUEST_DATA_METHODS
        ):
            return self._source(analysis, call, self.param_source_labels, f"request data {label}")

        # Sanitizers and conversions.
        tags = [
            spec.sanitizer_tag
            for spec in self.specs
            if spec.sanitizers is not None and spec.sanitizers.match(names)
        ]
        if tags:
            value = merge([*positional, *keywords.values()])
            if value is None:
                return None
            # A sanitizer for one rule may be a sink of another (jsonify escapes HTML and
            # sends exception text): the rules that reported here keep their tags too.
            for tag in sorted({*tags, *reported}):
                value = value.with_guard(tag)
            return analysis.step(value, call, label)
        if names & _CONVERTERS:
            value = merge(positional)
            return (
                None if value is None else analysis.step(value.with_guard(CONVERTED), call, label)
            )
        if names & _CLEAN_RESULT or _reads_stored_data(call):
            return None
        removed = _removed_text(call)
        if removed is not None and receiver is not None:
            # name.replace("'", "&apos;"): the result holds no '.
            guarded = receiver.with_guard(EXCLUDES_PREFIX + removed)
            return analysis.step(guarded, call, label)
        handled, value = self._library_semantics(
            analysis, call, names, positional, keywords, args_taint, label
        )
        if handled:
            return value
        propagated = self._propagate(analysis, call, names, positional, keywords, receiver)
        if propagated is not None:
            handled, value = propagated
            if handled:
                return value

        # Project functions: apply their summaries. A call that passes nothing tainted can only
        # matter if the callee reads a source itself; when its module cannot hold one, the
        # callee is not even looked up (looking it up parses its module).
        tainted_input = args_taint is not None or receiver is not None or bool(receiver_fields)
        if not tainted_input and not self._cheap_to_resolve(call):
            return None
        resolved = self.resolve_call(call)
        if resolved is None:
            record = self._record_class(call)
            if record is not None:
                # Task(request.args["cmd"]) of a dataclass or model: each argument becomes the
                # field it fills, in declaration order or by keyword.
                effect = CallEffect()
                for fname, taint in zip(record, positional, strict=False):
                    if taint is not None:
                        effect.fields[fname] = analysis.step(taint, call, label) or taint
                for kname, taint in keywords.items():
                    if taint is not None and kname in record:
                        effect.fields[kname] = analysis.step(taint, call, label) or taint
                if effect.fields:
                    analysis.set_pending(effect)
                return None
        if resolved is None and isinstance(func, nodes.Name) and func.name in analysis.local_funcs:
            local_summary, local_def = analysis.local_funcs[func.name]
            return self.apply_summary(
                analysis,
                call,
                local_summary,
                ResolvedCall(local_def, bound=False),
                positional,
                keywords,
                receiver,
            )
        if resolved is not None:
            key = _func_key(resolved.func)
            summary = self.summaries.get(key)
            if summary is None and key not in self.in_progress:
                # Summaries are made bottom-up over the call graph (ensure_summaries) for what
                # is known before the walk; a callee reached with tainted data that was not
                # known then is summarised now, within the same depth bound.
                if (
                    not isinstance(resolved.func, nodes.Lambda)
                    and not _nested(resolved.func)
                    and self._demand_depth < MAX_CALL_DEPTH
                ):
                    self._demand_depth += 1
                    try:
                        self.ensure_summaries([resolved.func])
                    finally:
                        self._demand_depth -= 1
                    summary = self.summaries.get(key)
                elif isinstance(resolved.func, nodes.Lambda):
                    summary = self.summarise(resolved.func, initial=dict(analysis.env))
                    # Flows from the closure's sources are this function's findings.
                    if self._current:
                        self._current[-1].add_findings(summary.findings)
            if summary is not None:
                extra = [analysis.eval(a) for a in resolved.extra_args]
                return self.apply_summary(
                    analysis,
                    call,
                    summary,
                    resolved,
                    [*extra, *positional],
                    keywords,
                    receiver,
                    receiver_fields,
                )
        # Unknown (library) call: the result carries its inputs' data.
        value = merge([receiver, args_taint])
        if value is not None and reported:
            value = value.with_guards(reported)
        return analysis.step(value, call, label) if value is not None else None

    def _check_sinks(
        self,
        analysis: FunctionAnalysis,
        call: nodes.Call,
        names: frozenset[str],
        positional: list[Taint | None],
        keywords: dict[str, Taint | None],
        receiver: Taint | None,
        by_inference: Callable[[NameIndex], str | None],
    ) -> frozenset[str]:
        """Report tainted arguments of a sink; the sanitizer tags of the rules that did."""
        reported: set[str] = set()
        # A name can only match a sink whose names end in the same component (aliases and the
        # defining module's names keep it too), or a wildcard: a cheap test before match().
        lasts = {n.rsplit(".", 1)[-1] for n in names}
        for spec in self.specs:
            for sink in spec.sinks:
                callee = None
                if names and ("*" in sink.names.last or not sink.names.last.isdisjoint(lasts)):
                    callee = sink.names.match(names)
                if callee is None:
                    callee = by_inference(sink.names)
                if callee is None and sink.methods:
                    callee = self._method_sink(call, names, sink.methods)
                if callee is None and sink.constructs is not None:
                    callee = self._constructs(call, sink.constructs)
                if callee is None:
                    continue
                if not all(cond.holds(call)[0] for cond in sink.args) and not any(
                    all(cond.holds(variant)[0] for cond in sink.args)
                    for variant in (analysis.argv_variants(call) if sink.args else [])
                ):
                    continue
                checks = sink.taint or None
                parts: list[Taint | None] = []
                if checks is None:
                    parts = [*positional, *keywords.values()]
                else:
                    for arg_spec in checks:
                        taint, _ = taint_of_arg(
                            arg_spec, call, positional, keywords, receiver, analysis
                        )
                        parts.append(taint)
                value = merge(parts)
                if value is not None and self.report(
                    spec, analysis, call, value, callee, text=sink.text
                ):
                    reported.add(spec.sanitizer_tag)
        return frozenset(reported)

    def check_return(self, analysis: FunctionAnalysis, stmt: nodes.Return, value: Taint) -> None:
        """``return body`` from a web handler whose return value is the response body."""
        sinks = self._return_sinks
        if not sinks or stmt.value is None:
            return
        func = analysis.scope
        if not isinstance(func, nodes.FunctionDef):
            return
        html = [(spec, sink) for spec, sink in sinks if sink.returns == "html"]
        if html and html_view(func):
            body = returned_text(stmt.value)
            taint = None
            if body is not None:
                taint = value if body is stmt.value else analysis.eval(body)
            if taint is not None:
                for spec, sink in html:
                    self.report(spec, analysis, stmt, taint, sink.label, text=sink.text)
        whole = [(spec, sink) for spec, sink in sinks if sink.returns == "any"]
        if whole and value is not None and self._responds(analysis, func):
            content: Taint | None = value
            if isinstance(stmt.value, nodes.Tuple) and stmt.value.elts:
                # (body, status) or (body, status, headers): the status is not content.
                content = analysis.eval(stmt.value.elts[0])
            if content is None:
                return
            for spec, sink in whole:
                self.report(spec, analysis, stmt, content, sink.label, text=sink.text)

    def _responds(self, analysis: FunctionAnalysis, func: nodes.FunctionDef) -> bool:
        """What ``func`` returns is sent to the client: a route handler, a Django view, or an
        error handler the app registered."""
        if route_decorated(func) or is_django_view(func, analysis.path):
            return True
        if self.exception_sources:
            return bool(_error_registrations(func, self._handler_methods(), any_type=True))
        return False

    def check_store(
        self,
        analysis: FunctionAnalysis,
        target: nodes.NodeNG,
        container: nodes.NodeNG,
        key: nodes.NodeNG | str,
        value: Taint | None,
    ) -> None:
        """``session["user_id"] = v`` / ``g.is_admin = v``: a store into a sink object."""
        sinks = self._store_sinks
        if not sinks:
            return
        names = names_of(container)
        if not names:
            return
        key_text: str | None
        key_taint: Taint | None = None
        if isinstance(key, str):
            key_text = key
        else:
            known = evaluate(key, analysis.constants())
            key_text = str(known) if isinstance(known, (str, int)) else None
            if key_text is None:
                key_taint = analysis.eval(key)
        for spec, sink in sinks:
            assert sink.stores is not None
            callee = sink.stores.match(names)
            if callee is None:
                continue
            wanted = {a.keyword for a in sink.taint} or {"value", "key"}
            if "key" in wanted and key_taint is not None:
                self.report(spec, analysis, target, key_taint, sink.label, text=sink.text)
            if "value" in wanted and value is not None:
                regex = sink.key_regex
                if regex is None or (key_text is not None and regex.search(key_text)):
                    self.report(spec, analysis, target, value, sink.label, text=sink.text)

    def _constructs(self, call: nodes.Call, bases: NameIndex) -> str | None:
        """``User(**data)`` where ``class User(db.Model)``: the project class built by the call,
        when it derives (through project classes, a few levels) from one of ``bases``."""
        klass = self._project_class(call.func)
        seen: set[int] = set()
        todo = [klass] if klass is not None else []
        for _ in range(4):
            following: list[nodes.ClassDef] = []
            for current in todo:
                if id(current) in seen:
                    continue
                seen.add(id(current))
                for base in current.bases:
                    if bases.match(names_of(base)) is not None:
                        assert klass is not None
                        return str(klass.qname())
                    parent = self._project_class(base)
                    if parent is not None:
                        following.append(parent)
            todo = following
        return None

    def _method_sink(
        self, call: nodes.Call, names: frozenset[str], methods: frozenset[str]
    ) -> str | None:
        """``cur.execute(...)`` on a receiver whose type is not known (a parameter, an
        attribute): a method sink, unless the call is to a function of the project."""
        func = call.func
        if not isinstance(func, nodes.Attribute) or func.attrname not in methods:
            return None
        package = str(call.root().name).split(".", 1)[0]
        if names and not all(
            "()" in n or n.startswith(("self.", "cls.", package + ".")) for n in names
        ):
            return None  # a library receiver of a known type: the named sinks decide
        if self.resolve_call(call) is not None:
            return None
        return f"{short(func.expr, 30)}.{func.attrname}"

    def _propagate(
        self,
        analysis: FunctionAnalysis,
        call: nodes.Call,
        names: frozenset[str],
        positional: list[Taint | None],
        keywords: dict[str, Taint | None],
        receiver: Taint | None,
    ) -> tuple[bool, Taint | None] | None:
        """Rule propagators (``from``/``to``): data moved between argument, receiver, result."""
        if not names or not any(spec.propagators for spec in self.specs):
            return None
        result: Taint | None = None
        to_result = False
        for spec in self.specs:
            for prop in spec.propagators:
                if prop.names.match(names) is None:
                    continue
                to_result = to_result or prop.target is None
                value, _ = taint_of_arg(prop.source, call, positional, keywords, receiver, analysis)
                if value is None:
                    continue
                value = analysis.step(value, call, short(call)) or value
                if prop.target is None:
                    result = merge([result, value])
                    continue
                _, target_node = taint_of_arg(
                    prop.target, call, positional, keywords, receiver, analysis
                )
                key = var_key(target_node) if target_node is not None else None
                if key:
                    analysis.env[key] = merge([analysis.env.get(key), value]) or value
        return (True, result) if to_result else None

    def _library_semantics(
        self,
        analysis: FunctionAnalysis,
        call: nodes.Call,
        names: frozenset[str],
        positional: list[Taint | None],
        keywords: dict[str, Taint | None],
        args_taint: Taint | None,
        label: str,
    ) -> tuple[bool, Taint | None]:
        """What well-known Python and library calls do to taint (True when decided here)."""
        func = call.func
        if isinstance(func, nodes.Attribute) and func.attrname in _CLEAN_METHODS:
            return True, None
        if _strips_to_safe_characters(call, names):
            value = merge(positional[2:3] or [keywords.get("string")])
            return True, None if value is None else value.with_guard(CHAR_CLASS)
        if _is_enum_construction(call):
            return True, None if args_taint is None else args_taint.with_guard(CONVERTED)
        if isinstance(func, nodes.Attribute) and func.attrname == "get":
            for kw in call.keywords or []:
                # request.args.get("n", type=int): werkzeug converts (or drops) the value.
                if kw.arg == "type" and names_of(kw.value) & _CONVERTERS:
                    value = merge(positional)
                    return True, None if value is None else value.with_guard(CONVERTED)
        if isinstance(func, nodes.Attribute):
            if func.attrname == "get" and is_constant_mapping(func.expr):
                # COLUMNS.get(key, "id") is one of the mapping's values or the default.
                default = positional[1] if len(positional) > 1 else keywords.get("default")
                return True, None if default is None else analysis.step(default, call, label)
            if func.attrname in _MUTATORS:
                target = var_key(func.expr)
                if target and args_taint is not None:
                    stepped = analysis.step(args_taint, call, label)
                    assert stepped is not None
                    analysis.env[target] = merge([analysis.env.get(target), stepped]) or stepped
                return True, None

        return False, None

    def apply_summary(
        self,
        analysis: FunctionAnalysis,
        call: nodes.Call,
        summary: Summary,
        resolved: ResolvedCall,
        positional: list[Taint | None],
        keywords: dict[str, Taint | None],
        receiver: Taint | None,
        receiver_fields: dict[str, Taint] | None = None,
    ) -> Taint | None:
        params = summary.params
        offset = 1 if (summary.is_method and resolved.bound) else 0
        bound: dict[str, Taint] = {}
        for i, taint in enumerate(positional):
            if taint is not None and i + offset < len(params):
                bound[params[i + offset]] = taint
        for name, taint in keywords.items():
            if taint is not None and name in params:
                bound[name] = taint
        for fname, taint in (receiver_fields or {}).items():
            bound[f"self.{fname}"] = taint
        recv_key: str | None = None
        if resolved.bound and isinstance(call.func, nodes.Attribute):
            recv_key = var_key(call.func.expr)
            if recv_key is not None:
                prefix = recv_key + "."
                for key, taint in list(analysis.env.items()):
                    if key.startswith(prefix):
                        bound["self." + key[len(prefix) :]] = taint
                if recv_key == "self":
                    for key, taint in list(analysis.env.items()):
                        if key.startswith("self."):
                            bound[key] = taint
                    if self.field_owner(analysis) is not None:
                        # Fields the callee reads that this method has not touched: they
                        # carry whatever this method's own callers put there.
                        for key in _field_inputs(summary):
                            if key not in bound:
                                bound[key] = self.field_taint(analysis, key)
        call_key = node_key(analysis.path, call, short(call))
        for sink in summary.sinks:
            taint = bound.get(sink.param)
            if taint is None:
                continue
            spec = next((s for s in self.specs if s.rule.id == sink.rule_id), None)
            if spec is None:
                continue
            combined = taint.through(sink.guards)
            self.report(
                spec,
                analysis,
                call,
                combined,
                sink.callee,
                callee_path=sink.path,
                via=call_key,
                text=sink.text,
            )
        parts: list[Taint | None] = []
        for param, flow in summary.returns.items():
            taint = bound.get(param)
            if taint is None:
                continue
            parts.append(self._through(analysis, taint, flow, call_key))
        if summary.return_sources is not None:
            for _, path in sorted(summary.return_source_paths.items()):
                _add_chain(analysis.graph, path, call_key)
            parts.append(summary.return_sources.at_nodes(frozenset({call_key})))
        effect = CallEffect()
        for fname, flows in summary.field_writes.items():
            for param, flow in flows.items():
                taint = bound.get(param)
                if taint is None:
                    continue
                moved = self._through(analysis, taint, flow, call_key)
                short_name = fname[len("self.") :]
                if resolved.constructor:
                    effect.fields[short_name] = (
                        merge([effect.fields.get(short_name), moved]) or moved
                    )
                elif recv_key is not None:
                    target = f"{recv_key}.{short_name}"
                    analysis.env[target] = merge([analysis.env.get(target), moved]) or moved
        if resolved.constructor:
            if effect.fields:
                analysis.set_pending(effect)
            return None
        returned = CallEffect()
        for fname, flows in summary.return_fields.items():
            for param, flow in flows.items():
                taint = bound.get(param)
                if taint is not None:
                    moved = self._through(analysis, taint, flow, call_key)
                    returned.fields[fname] = merge([returned.fields.get(fname), moved]) or moved
        for fname, taint in summary.return_field_sources.items():
            moved = taint.at_nodes(frozenset({call_key}))
            returned.fields[fname] = merge([returned.fields.get(fname), moved]) or moved
        if returned.fields:
            analysis.set_pending(returned)
        return merge(parts)

    def _through(
        self, analysis: FunctionAnalysis, taint: Taint, flow: ParamFlow, call_key: NodeKey
    ) -> Taint:
        graph = analysis.graph
        graph.add_node(call_key)
        if flow.path:
            for src in taint.at:
                graph.add_edge(src, flow.path[0])
            _add_chain(graph, flow.path, call_key)
        else:
            for src in taint.at:
                graph.add_edge(src, call_key)
        variants = [taint.through(g) for g in flow.guard_sets]
        joined = merge(variants) or taint
        return joined.at_nodes(frozenset({call_key}))

    # -- reporting -----------------------------------------------------------------------------

    def report(
        self,
        spec: TaintRuleSpec,
        analysis: FunctionAnalysis,
        call: nodes.NodeNG,
        taint: Taint,
        callee: str,
        *,
        callee_path: tuple[NodeKey, ...] = (),
        via: NodeKey | None = None,
        text: str | None = None,
    ) -> bool:
        """Record the flows of ``taint`` into a sink; True when one made a finding (or will,
        through the summary, at a caller)."""
        summary = self._current[-1] if self._current else None
        if summary is None:
            return False
        made = False
        sink_key = (
            callee_path[-1]
            if callee_path
            else node_key(analysis.path, call, f"sink: {short(call)}")
        )
        analysis.graph.add_node(sink_key)
        here = via or sink_key
        for origin, guards in spec.accepts(taint, text):
            caller_path = analysis.flow_path(origin.node, taint.at, here)
            full = _joined(caller_path, callee_path)
            finding = self.make_finding(spec, full, origin, callee, guards)
            if finding is not None:
                summary.add_finding(finding)
                made = True
        # A parameter's flow is kept whatever its text so far: the caller may interpolate it.
        for origin, guards in taint.live(spec.ignore_kinds, spec.sanitizer_tag, spec.accept_kinds):
            if origin.kind != "param":
                continue
            caller_path = analysis.flow_path(origin.node, taint.at, here)
            full = _joined(caller_path, callee_path)
            summary.add_sink(SummarySink(spec.rule.id, origin.label, guards, full, callee, text))
            made = True
        return made

    def make_finding(
        self,
        spec: TaintRuleSpec,
        path: tuple[NodeKey, ...],
        origin: Origin,
        callee: str,
        guards: frozenset[str],
    ) -> Finding | None:
        if not path:
            return None
        sink = path[-1]
        location = self._location(sink)
        if location is None:
            return None
        steps: list[FlowStep] = []
        for key in path:
            loc = self._location(key)
            if loc is not None:
                steps.append(FlowStep(loc, key[5]))
        source_loc = self._location(origin.node)
        values = {
            "sink": callee,
            "callee": callee,
            "source": origin.node[5].removeprefix("source: "),
            "source_line": str(source_loc.line) if source_loc else "?",
            "source_path": source_loc.path if source_loc else "?",
            "guards": ", ".join(shown_guards(guards)) or "none",
            "clause": SQL_CLAUSE_TEXT[sql_clause(guards)],
            "check_line": ", ".join(str(n) for n in length_check_lines(guards)) or "?",
        }
        from aiscan.matchers.base import make_finding

        return make_finding(spec.rule, location, values, flow=tuple(steps))

    def _relative(self, path: str) -> str | None:
        """``path`` relative to the scan root (memoised: every flow step asks)."""
        if path in self._relative_paths:
            return self._relative_paths[path]
        try:
            rel: str | None = Path(path).resolve().relative_to(self._root_resolved).as_posix()
        except (ValueError, OSError):
            rel = None
        self._relative_paths[path] = rel
        return rel

    def _location(self, key: NodeKey) -> Location | None:
        """Memoised for the file being analysed: a flow's steps are asked for at every report."""
        try:
            return self._locations[key]
        except KeyError:
            location = self._locations[key] = self._compute_location(key)
            return location

    def _compute_location(self, key: NodeKey) -> Location | None:
        path, line, col, end_line, end_col, _ = key
        rel = self._relative(path)
        if rel is None:
            return None
        start = _char_col(path, line, col)
        end = _char_col(path, end_line, end_col)
        if end_line == line and end <= start:
            end = start + 1
        return Location(rel, max(1, line), start, max(line, end_line), end)


_ARGPARSE_SAFE_TYPES = frozenset({"int", "float", "bool", "pathlib.Path.exists"})
_ARGPARSE_SAFE_ACTIONS = frozenset({"store_true", "store_false", "count", "store_const"})


def _field_inputs(summary: Summary) -> list[str]:
    keys = {s.param for s in summary.sinks} | set(summary.returns)
    for flows in summary.field_writes.values():
        keys |= set(flows)
    return sorted(k for k in keys if k.startswith("self."))


def _argparse_typed(node: nodes.Attribute) -> bool:
    """``args.count`` where ``parser.add_argument("--count", type=int)`` (or ``choices=`` of
    constants, or a flag action) declared it: argparse has already refused anything else."""
    expr = node.expr
    if not isinstance(expr, nodes.Name):
        return False
    from aiscan.matchers.values import resolved_value

    bound = resolved_value(expr)
    if not (
        isinstance(bound, nodes.Call)
        and isinstance(bound.func, nodes.Attribute)
        and bound.func.attrname in ("parse_args", "parse_known_args")
    ):
        return False
    parser = bound.func.expr
    if not isinstance(parser, nodes.Name):
        return False
    scope = bound.scope()
    for call in scope.nodes_of_class(nodes.Call):
        func = call.func
        if not (
            isinstance(func, nodes.Attribute)
            and func.attrname == "add_argument"
            and isinstance(func.expr, nodes.Name)
            and func.expr.name == parser.name
        ):
            continue
        if _argparse_dest(call) != node.attrname:
            continue
        for kw in call.keywords or []:
            if kw.arg == "type" and names_of(kw.value) & _ARGPARSE_SAFE_TYPES:
                return True
            if kw.arg == "choices" and is_constant_collection(kw.value):
                return True
            if kw.arg == "action" and isinstance(kw.value, nodes.Const):
                if kw.value.value in _ARGPARSE_SAFE_ACTIONS:
                    return True
        return False
    return False


def _argparse_dest(call: nodes.Call) -> str | None:
    for kw in call.keywords or []:
        if kw.arg == "dest" and isinstance(kw.value, nodes.Const):
            return str(kw.value.value)
    options = [
        a.value for a in call.args if isinstance(a, nodes.Const) and isinstance(a.value, str)
    ]
    longs = [o for o in options if o.startswith("--")]
    chosen = longs[0] if longs else (options[0] if options else None)
    if chosen is None:
        return None
    return chosen.lstrip("-").replace("-", "_")


def _param_flows(analysis: FunctionAnalysis, taint: Taint) -> dict[str, ParamFlow]:
    """For each parameter origin of ``taint``: its guards and its path in the flow graph."""
    return {
        o.label: ParamFlow.of(taint, o, analysis.flow_path(o.node, taint.at))
        for o in taint.origins
        if o.kind == "param"
    }


def _text_matches(func: nodes.FunctionDef, lines: Sequence[str], regex: re.Pattern[str]) -> bool:
    start = int(func.fromlineno or func.lineno or 1)
    end = int(func.tolineno or start)
    if func.decorators is not None:
        start = min(start, int(func.decorators.fromlineno or start))
    return regex.search("\n".join(lines[start - 1 : end])) is not None


def _char_col(path: str, line: int, byte_col: int) -> int:
    text = linecache.getline(path, line)
    if not text:
        return byte_col + 1
    raw = text.encode("utf-8")
    return len(raw[:byte_col].decode("utf-8", errors="ignore")) + 1


def _joined(caller: tuple[NodeKey, ...], callee: tuple[NodeKey, ...]) -> tuple[NodeKey, ...]:
    """The caller's path, then the callee's steps it does not already hold; past
    MAX_PATH_STEPS the middle is dropped (a chain through many calls keeps both ends)."""
    seen = set(caller)
    full = caller + tuple(k for k in callee if k not in seen)
    if len(full) <= MAX_PATH_STEPS:
        return full
    half = MAX_PATH_STEPS // 2
    return full[:half] + full[-half:]


def _add_chain(graph: nx.DiGraph[NodeKey], path: Sequence[NodeKey], end: NodeKey) -> None:
    previous: NodeKey | None = None
    for key in (*path, end):
        graph.add_node(key)
        if previous is not None and previous != key:
            graph.add_edge(previous, key)
        previous = key


def _inferred(func: nodes.Attribute) -> frozenset[str]:
    from aiscan.engine.names import inferred_names

    return inferred_names(func)


def _nested(func: nodes.FunctionDef) -> bool:
    parent = func.parent
    while parent is not None and not isinstance(parent, nodes.Module):
        if isinstance(parent, (nodes.FunctionDef, nodes.Lambda)):
            return True
        parent = parent.parent
    return False


def _error_registrations(
    func: nodes.FunctionDef, methods: frozenset[str], *, any_type: bool = False
) -> list[nodes.NodeNG]:
    """The exception types ``func`` is registered to handle: ``@app.errorhandler(T)`` /
    ``@app.exception_handler(T)`` on it, or ``app.register_error_handler(T, func)`` /
    ``app.add_exception_handler(T, func)`` in its module. With ``any_type``, a registration
    for a status code counts too (its value is still a response)."""
    found: list[nodes.NodeNG] = []
    if not methods:
        return found
    for deco in func.decorators.nodes if func.decorators is not None else ():
        if (
            isinstance(deco, nodes.Call)
            and isinstance(deco.func, nodes.Attribute)
            and deco.func.attrname in methods
            and deco.args
        ):
            found.append(deco.args[0])
    if isinstance(func.parent, nodes.Module):
        for call in _registration_calls(func.parent, methods):
            if (
                len(call.args) >= 2
                and isinstance(call.args[1], nodes.Name)
                and call.args[1].name == func.name
            ):
                found.append(call.args[0])
    if any_type:
        return found
    return [t for t in found if not isinstance(t, nodes.Const)]


@functools.lru_cache(maxsize=8)
def _registration_calls(module: nodes.Module, methods: frozenset[str]) -> list[nodes.Call]:
    return [
        node
        for node in module_nodes(module, nodes.Call)
        if isinstance(node.func, nodes.Attribute) and node.func.attrname in methods
    ]


def _is_method(func: nodes.NodeNG) -> bool:
    return (
        isinstance(func, nodes.FunctionDef)
        and isinstance(func.parent, nodes.ClassDef)
        and not _is_static(func)
    )


def _is_static(func: nodes.FunctionDef) -> bool:
    if func.decorators is None:
        return False
    return any(
        isinstance(d, nodes.Name) and d.name == "staticmethod" for d in func.decorators.nodes
    )


def _enclosing_class(node: nodes.NodeNG) -> nodes.ClassDef | None:
    scope = node.scope()
    while scope is not None and not isinstance(scope, nodes.Module):
        if isinstance(scope, nodes.FunctionDef) and isinstance(scope.parent, nodes.ClassDef):
            return scope.parent
        scope = scope.parent.scope() if scope.parent is not None else None
    return None


def _class_method(klass: nodes.ClassDef, name: str) -> nodes.FunctionDef | None:
    try:
        for found in klass.getattr(name):
            if isinstance(found, nodes.FunctionDef):
                return found
    except (astroid.AstroidError, AttributeError):
        return None
    return None


def names_of_import(stmt: nodes.Import | nodes.ImportFrom, name: str) -> list[str]:
    from aiscan.engine.names import import_target

    target = import_target(stmt, name)
    return [target] if target else []


def _reads_request(
    analysis: FunctionAnalysis, node: nodes.Attribute, names: frozenset[str]
) -> bool:
    """``request.GET`` (or ``await request.json()``) on a handler's request-object parameter."""
    return (
        isinstance(node.expr, nodes.Name)
        and node.expr.name in analysis.request_params
        and node.attrname in names
        and bool(analysis.engine.param_source_labels)
    )


def _strips_to_safe_characters(call: nodes.Call, names: frozenset[str]) -> bool:
    """``re.sub(r"[^A-Za-z0-9_.-]", "", x)``: what is left holds only those characters."""
    if "re.sub" not in names or len(call.args) < 3:
        return False
    pattern, replacement = call.args[0], call.args[1]
    return (
        isinstance(pattern, nodes.Const)
        and isinstance(pattern.value, str)
        and _STRIP_TO_SAFE.match(pattern.value) is not None
        and isinstance(replacement, nodes.Const)
        and replacement.value == ""
    )


# What a database query returns is the server's stored data: the request's value only chose
# the row (user = db.execute("... WHERE name = ?", (name,)).fetchone()).
_STORED_DATA_METHODS = frozenset(
    {
        "fetchone",
        "fetchall",
        "fetchmany",
        "first",
        "one",
        "one_or_none",
        "scalar",
        "scalar_one",
        "scalar_one_or_none",
        "scalars",
    }
)
_STORED_DATA_CALLS = frozenset(
    {"django.shortcuts.get_object_or_404", "django.shortcuts.get_list_or_404"}
)


def _reads_stored_data(call: nodes.Call) -> bool:
    func = call.func
    if isinstance(func, nodes.Attribute):
        if func.attrname in _STORED_DATA_METHODS:
            return True
        # Model.objects.get(...), .filter(...).get(...) on a Django manager or queryset.
        if func.attrname in ("get", "get_or_create", "filter", "exclude") and any(
            n.rsplit(".", 1)[0].endswith(".objects") for n in names_of(func)
        ):
            return True
    return bool(names_of(func) & _STORED_DATA_CALLS)


def _removed_text(call: nodes.Call) -> str | None:
    """``x.replace("'", "&apos;")``: the short text the call removes from its receiver."""
    func = call.func
    if not isinstance(func, nodes.Attribute) or func.attrname != "replace":
        return None
    if len(call.args) < 2 or len(call.args) > 2 or call.keywords:
        return None
    old, new = call.args
    if not (isinstance(old, nodes.Const) and isinstance(new, nodes.Const)):
        return None
    if not (isinstance(old.value, str) and isinstance(new.value, str)):
        return None
    if not 0 < len(old.value) <= 3 or old.value in new.value:
        return None
    return old.value


def _is_enum_construction(call: nodes.Call) -> bool:
    """``Mode(value)`` for an Enum class: the result is a member, or the call raises."""
    func = call.func
    if not isinstance(func, nodes.Name):
        return False
    try:
        _, assigns = func.lookup(func.name)
    except (AttributeError, astroid.AstroidError):
        return False
    for assign in assigns:
        if isinstance(assign, nodes.ClassDef):
            bases = {n.rsplit(".", 1)[-1] for b in assign.bases for n in names_of(b)}
            return bool(bases & {"Enum", "IntEnum", "StrEnum", "Flag", "IntFlag"})
    return False


def _expand_partial(call: nodes.Call) -> nodes.Call | None:
    """``name(...)`` where ``name = functools.partial(f, *a, **kw)``: the call of ``f``."""
    func = call.func
    if not isinstance(func, nodes.Name):
        return None
    from aiscan.matchers.values import single_binding

    bound = single_binding(func)
    if not (isinstance(bound, nodes.Call) and names_of(bound.func) & _PARTIAL and bound.args):
        return None
    fake = nodes.Call(
        lineno=call.lineno,
        col_offset=call.col_offset,
        parent=call.parent,
        end_lineno=call.end_lineno,
        end_col_offset=call.end_col_offset,
    )
    fake.postinit(
        func=bound.args[0],
        args=[*bound.args[1:], *(call.args or [])],
        keywords=[*(bound.keywords or []), *(call.keywords or [])],
    )
    return fake


def _fake_call(func_expr: nodes.NodeNG, parent: nodes.Call) -> nodes.Call:
    """A call node standing for ``func_expr(...)`` so a partial's target resolves like a call."""
    fake = nodes.Call(
        lineno=parent.lineno,
        col_offset=parent.col_offset,
        parent=parent.parent,
        end_lineno=parent.end_lineno,
        end_col_offset=parent.end_col_offset,
    )
    fake.postinit(func=func_expr, args=[], keywords=[])
    return fake


def _validator_facts(func: nodes.NodeNG) -> dict[str, str]:
    """A function whose body is ``return <guard on a parameter>`` validates that parameter."""
    if not isinstance(func, nodes.FunctionDef):
        return {}
    body = [
        s
        for s in func.body
        if not isinstance(s, nodes.Expr) or not isinstance(s.value, nodes.Const)
    ]
    if len(body) != 1 or not isinstance(body[0], nodes.Return) or body[0].value is None:
        return {}
    facts = guard_facts(body[0].value)
    params = {str(a.name) for a in func.args.args or []}
    return {
        key: kind
        for key, kind in facts.when_true
        if key in params and not kind.startswith(LENGTH_CHECKED)
    }
