"""``mode: taint``: untrusted data flowing from sources to sinks, across functions and modules."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from pathlib import Path

from astroid import nodes

from aiscan.engine.context import FileContext, is_test_path
from aiscan.engine.nodeindex import module_nodes
from aiscan.engine.summaries import FileBudgetExceeded, TaintEngine
from aiscan.engine.taint import TaintRuleSpec, compile_taint_rule
from aiscan.matchers.base import Prefilter
from aiscan.model import Finding, Rule

# Words that mark a file where framework parameters may carry request data, and the shape of
# a route decorator (@app.get("/x"), @router.post(...), @bp.route(...)).
_HANDLER_WORDS = frozenset(
    {"route", "request", "api_view", "APIRouter", "FastAPI", "Blueprint", "View"}
)
HANDLER_REGEX = (
    r"@\s*[\w.]+\.(?:route|get|post|put|patch|delete|head|options|api_route|websocket)\s*\("
)


def source_words(spec: TaintRuleSpec) -> set[str]:
    """Words whose absence from a text proves it holds none of the rule's sources."""
    words: set[str] = set()
    for source in spec.sources:
        if source.kind == "parameter":
            words |= {"click"} if source.framework == "click" else _HANDLER_WORDS
        else:
            for name in source.raw_names:
                # The object users import (``request`` of ``flask.request.args``) or, for a
                # two-part name (``sys.argv``) or a builtin (``input``), the last component.
                # An import alias (``from flask import request as r``) spells the object
                # differently, so the module's own name counts too.
                parts = name.split(".")
                words.add(parts[1] if len(parts) >= 3 else parts[-1])
                if len(parts) >= 3:
                    words.add(parts[0])
    return words


class SharedTaint:
    """One engine for all taint rules of a process; each file is analysed once for all of them."""

    def __init__(self, rules: Sequence[Rule], root: Path, files: Sequence[Path]) -> None:
        self.specs = [compile_taint_rule(r) for r in rules]
        self.engine = TaintEngine(self.specs, root, files)
        words: set[str] = set()
        for spec in self.specs:
            words |= source_words(spec)
            for source in spec.sources:
                # A function registered as an error handler gets the exception as a parameter.
                words |= source.handlers
        parts = [r"\b(?:" + "|".join(sorted(map(re.escape, words))) + r")\b"] if words else []
        # A handler whose return value is a sink must be analysed even when the data comes
        # from a helper it calls (return build_error_page()).
        if any(s.kind == "parameter" for spec in self.specs for s in spec.sources) or any(
            sink.returns == "any" for spec in self.specs for sink in spec.sinks
        ):
            parts.append(HANDLER_REGEX)
        self.roots_regex = re.compile("|".join(parts)) if parts else None
        self.engine.source_text_regex = self.roots_regex
        self._cache_ctx: FileContext | None = None
        self._cache: list[Finding] = []
        self._error: str | None = None

    def findings(self, ctx: FileContext) -> list[Finding]:
        # Keyed by the context object itself, held here: an id() alone can be reused by the
        # next file's context once this one is freed, which would hand it this file's findings.
        if self._cache_ctx is not ctx:
            self._cache_ctx = ctx
            self._error = None
            self.engine.truncated.clear()
            try:
                self._cache = self.engine.analyse_module(
                    ctx.module, ctx.source.lines, self.roots_regex
                )
            except FileBudgetExceeded:
                self._cache = []
                self._error = (
                    "taint analysis ran out of its time budget; "
                    "flows from this file were not all followed"
                )
            if self.engine.truncated and self._error is None:
                self._error = "; ".join(self.engine.truncated[:3])
        return self._cache

    def error(self) -> str | None:
        return self._error


class TaintMatcher:
    """The view of one taint rule on the shared analysis."""

    def __init__(self, rule: Rule, shared: SharedTaint, spec: TaintRuleSpec) -> None:
        self.rule = rule
        self.shared = shared
        self.spec = spec
        where = rule.spec.get("where", {})
        self.test_file: bool | None = where.get("test-file")
        self.file_regex = re.compile(where["file-regex"]) if "file-regex" in where else None
        self.not_function_regex = (
            re.compile(where["not-function-regex"]) if "not-function-regex" in where else None
        )

    def prefilter(self) -> Prefilter:
        """A file can start a flow only if it holds a source: the source's module and object
        both spelled (``flask`` and ``request``), or a web handler whose parameters are
        request data (a route decorator, a Django or DRF view)."""
        combined = Prefilter()
        for source in self.spec.sources:
            if source.kind == "parameter" and source.framework == "click":
                combined = combined.merged(Prefilter(words=frozenset({"click"})))
                continue
            if source.kind == "parameter":
                combined = combined.merged(
                    Prefilter(
                        words=frozenset({"api_view"}),
                        regexes=(HANDLER_REGEX,),
                        all_of=(frozenset({"django", "request"}), frozenset({"View", "request"})),
                    )
                )
                continue
            clauses = []
            words = set()
            for name in source.raw_names:
                parts = name.split(".")
                if len(parts) == 1:
                    words.add(parts[0])
                else:
                    clauses.append(frozenset(parts[:2]))
            combined = combined.merged(Prefilter(words=frozenset(words), all_of=tuple(clauses)))
        return combined

    def check(self, ctx: FileContext) -> Iterator[Finding]:
        for finding in self.shared.findings(ctx):
            if finding.rule_id != self.rule.id:
                continue
            # The rule's file conditions apply to where the flow ends (the sink's file).
            if self.test_file is not None and is_test_path(finding.path) != self.test_file:
                continue
            if self.file_regex is not None and not self.file_regex.search(finding.path):
                continue
            if self.not_function_regex is not None and finding.path == ctx.path:
                func = _function_at(ctx, finding.line)
                if func is not None and self.not_function_regex.search(str(func.name)):
                    continue
            yield finding

    def budget_note(self) -> str | None:
        return self.shared.error()


def _function_at(ctx: FileContext, line: int) -> nodes.FunctionDef | None:
    """The innermost function whose body holds ``line``."""
    best: nodes.FunctionDef | None = None
    for func in module_nodes(ctx.module, nodes.FunctionDef):
        start, end = int(func.fromlineno or 0), int(func.tolineno or 0)
        if start <= line <= end and (best is None or start >= int(best.fromlineno or 0)):
            best = func
    return best


def build_taint_matchers(
    rules: Sequence[Rule], root: Path, files: Sequence[Path]
) -> list[TaintMatcher]:
    if not rules:
        return []
    shared = SharedTaint(rules, root, files)
    return [
        TaintMatcher(rule, shared, spec) for rule, spec in zip(rules, shared.specs, strict=True)
    ]
