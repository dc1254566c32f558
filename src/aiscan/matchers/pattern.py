"""``mode: pattern``: calls, attribute reads, imports, decorators, assignments and strings,
matched by fully qualified name with conditions on arguments, values and context."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from astroid import nodes

from aiscan.engine.context import FileContext
from aiscan.engine.names import NameIndex, resolve
from aiscan.engine.routes import Endpoint, endpoints, token_use
from aiscan.matchers.base import ContextCondition, Prefilter, make_finding
from aiscan.matchers.values import ValueCondition, resolved_value, walk
from aiscan.model import Finding, Location, Rule

_UNKNOWN = object()


def source_text(node: nodes.NodeNG, limit: int = 60) -> str:
    """A short rendering of ``node`` for messages."""
    try:
        text = str(node.as_string())
    except (AttributeError, RecursionError, ValueError):
        text = type(node).__name__
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


class ArgCondition:
    """One ``args:`` entry: locate an argument by keyword or position, then test it."""

    def __init__(self, spec: Mapping[str, Any]) -> None:
        self.position: int | None = spec.get("position")
        self.keyword: str | None = spec.get("keyword")
        self.present: bool | None = spec.get("present")
        self.value = ValueCondition(spec["value"]) if "value" in spec else None

    def find(self, call: nodes.Call) -> nodes.NodeNG | object | None:
        """The argument's expression, None when surely absent, _UNKNOWN when unpacking hides it."""
        if self.keyword is not None:
            for kw in call.keywords or ():
                if kw.arg == self.keyword:
                    value: nodes.NodeNG = kw.value
                    return value
        args = call.args or []
        starred_before = False
        if self.position is not None:
            for index, arg in enumerate(args):
                if isinstance(arg, nodes.Starred):
                    starred_before = True
                    break
                if index == self.position:
                    return arg
        if starred_before:
            return _UNKNOWN
        if any(kw.arg is None for kw in call.keywords or ()):
            return _UNKNOWN
        return None

    def holds(self, call: nodes.Call) -> tuple[bool, nodes.NodeNG | None]:
        found = self.find(call)
        if found is _UNKNOWN:
            return False, None
        arg = found if isinstance(found, nodes.NodeNG) else None
        if self.present is not None and (arg is not None) != self.present:
            return False, None
        if self.value is not None:
            if arg is None or not self.value.matches(arg):
                return False, None
        return True, arg


_KINDS = (
    "call",
    "attribute",
    "import",
    "decorator",
    "assign",
    "string",
    "compare",
    "assert",
    "endpoint",
)


class Pattern:
    """One entry of ``patterns:``."""

    def __init__(self, spec: Mapping[str, Any], rule_where: ContextCondition | None) -> None:
        self.spec = spec
        self.kind = next(k for k in _KINDS if k in spec)
        self.names = NameIndex(spec[self.kind]) if self.kind in _NAME_KINDS else None
        self.args = [ArgCondition(a) for a in spec.get("args", ())]
        self.where = ContextCondition(spec["where"]) if "where" in spec else None
        self.unless = ContextCondition(spec["unless"]) if "unless" in spec else None
        self.rule_where = rule_where
        self.message: str | None = spec.get("message")
        self.report_at: str = spec.get("report-at", "match")
        assign = spec.get("assign") or {}
        self.target_re = re.compile(assign["target-regex"]) if "target-regex" in assign else None
        self.not_target_re = (
            re.compile(assign["not-target-regex"]) if "not-target-regex" in assign else None
        )
        self.target_attr: str | None = assign.get("attribute")
        self.target_object = ValueCondition(assign["object"]) if "object" in assign else None
        self.receiver = ValueCondition(spec["receiver"]) if "receiver" in spec else None
        self.not_receiver = ValueCondition(spec["not-receiver"]) if "not-receiver" in spec else None
        value_spec = assign.get("value") if self.kind == "assign" else spec.get("string")
        self.value = ValueCondition(value_spec) if value_spec else None
        compare = spec.get("compare") or {}
        self.compare_ops = frozenset(compare.get("ops", ("==", "!=")))
        self.side = ValueCondition(compare["side"]) if "side" in compare else None
        self.other_side = ValueCondition(compare["other-side"]) if "other-side" in compare else None
        test = (spec.get("assert") or {}).get("test")
        self.assert_test = ValueCondition(test) if test else None
        endpoint = spec.get("endpoint") or {}
        self.guard_re = re.compile(endpoint.get("guard-regex", "(?!)"))
        self.public_re = (
            re.compile(endpoint["public-regex"]) if "public-regex" in endpoint else None
        )
        token = endpoint.get("token-claims-unchecked")
        self.token_claims_re = re.compile(token["claims-regex"]) if token else None
        self.privileged_re = re.compile(token["privileged-regex"]) if token else None
        siblings = endpoint.get("unguarded-among-siblings") or {}
        self.min_guarded = int(siblings.get("min-guarded", 2))
        self.min_share = float(siblings.get("min-share", 0.5))

    def prefilter(self) -> Prefilter:
        explicit = self.spec.get("prefilter-regex")
        if explicit:
            return Prefilter(regexes=(explicit,))
        if self.kind == "call":
            # A keyword the call must be given (verify=False) is itself a necessary word,
            # and a far rarer one than the package name.
            required = sorted(
                a.keyword
                for a in self.args
                if a.keyword
                and a.present is not False
                and (a.present or a.value is not None)
                and a.position is None
            )
            if required:
                return Prefilter(words=frozenset(required[:1]))
        if self.names is not None:
            return Prefilter.for_names(self.spec[self.kind])
        if self.kind == "assign":
            if self.target_attr:
                return Prefilter(words=frozenset({self.target_attr}))
            if self.target_re is not None:
                words = _name_regex_in_text(self.target_re.pattern)
                if words is not None:
                    return Prefilter(regexes=(words,))
            if self.value is not None and self.value.qnames is not None:
                return Prefilter.for_names(self.value.spec["qname"])
        if self.kind == "string" and self.value is not None and self.value.regex is not None:
            return Prefilter(regexes=(self.value.regex.pattern,))
        if self.kind == "assert":
            return Prefilter(words=frozenset({"assert"}))
        if self.kind == "endpoint":
            return Prefilter(
                regexes=(r"\.(route|get|post|put|patch|delete|api_route)\(|\brequest\b",)
            )
        return Prefilter(always=True)

    def context_ok(self, ctx: FileContext, node: nodes.NodeNG, value: nodes.NodeNG | None) -> bool:
        for cond in (self.rule_where, self.where):
            if cond is not None and not cond.holds(ctx, node, value):
                return False
        return not (self.unless is not None and self.unless.holds(ctx, node, value))


_NAME_KINDS = frozenset({"call", "attribute", "import", "decorator"})


def _name_regex_in_text(pattern: str) -> str | None:
    """A regex for file text that a target-name regex implies: anchors on the name become word
    boundaries in the text (``^fields$`` -> the word ``fields``). None when anchors appear
    anywhere else (no safe text regex can be derived)."""
    flags = ""
    body = pattern
    match = re.match(r"^\(\?[aiLmsux]+\)", body)
    if match:
        flags, body = match.group(), body[match.end() :]
    start = body.startswith("^")
    end = body.endswith("$") and not body.endswith("\\$")
    core = body[1 if start else 0 : len(body) - 1 if end else len(body)]
    if "^" in core.replace("[^", "") or re.search(r"(?<!\\)\$", core):
        return None
    left = r"(?<![A-Za-z0-9_])" if start else ""
    right = r"(?![A-Za-z0-9_])" if end else ""
    return f"{flags}{left}(?:{core}){right}"


class PatternMatcher:
    """Runs all of a rule's patterns over one file."""

    def __init__(self, rule: Rule) -> None:
        self.rule = rule
        where = rule.spec.get("where")
        rule_where = ContextCondition(where) if where else None
        self.patterns = [Pattern(p, rule_where) for p in rule.spec["patterns"]]

    def prefilter(self) -> Prefilter:
        combined = Prefilter()
        for pattern in self.patterns:
            combined = combined.merged(pattern.prefilter())
        return combined

    def check(self, ctx: FileContext) -> Iterator[Finding]:
        seen: set[tuple[Location, str]] = set()
        index = node_index(ctx)
        for pattern in self.patterns:
            for node, values in _KIND_RUNNERS[pattern.kind](pattern, ctx, index):
                location = _location(pattern, ctx, node)
                finding = make_finding(self.rule, location, values, message=pattern.message)
                key = (location, finding.message)
                if key not in seen:
                    seen.add(key)
                    yield finding


def _location(pattern: Pattern, ctx: FileContext, node: nodes.NodeNG) -> Location:
    if pattern.kind == "endpoint":
        return ctx.def_location(node)
    if pattern.report_at == "function":
        from aiscan.engine.context import enclosing_function

        func = enclosing_function(node)
        if func is not None:
            return ctx.def_location(func)
    return ctx.location(node)


def node_index(ctx: FileContext) -> dict[type, list[nodes.NodeNG]]:
    """The file's nodes grouped by class, built once per file and shared by all rules."""
    cached: dict[type, list[nodes.NodeNG]] | None = getattr(ctx, "_node_index", None)
    if cached is not None:
        return cached
    index: dict[type, list[nodes.NodeNG]] = {}
    for node in walk(ctx.module):
        index.setdefault(type(node), []).append(node)
    ctx._node_index = index  # type: ignore[attr-defined]
    return index


Hit = tuple[nodes.NodeNG, dict[str, str]]


def _run_call(
    pattern: Pattern, ctx: FileContext, index: dict[type, list[nodes.NodeNG]]
) -> Iterator[Hit]:
    assert pattern.names is not None
    for call in index.get(nodes.Call, []):
        assert isinstance(call, nodes.Call)
        callee = resolve(call.func, pattern.names)
        if callee is None:
            continue
        if pattern.receiver is not None and not _receiver_ok(pattern.receiver, call):
            continue
        if pattern.not_receiver is not None and _receiver_ok(pattern.not_receiver, call):
            continue
        values = {"callee": callee, "name": callee.rsplit(".", 1)[-1]}
        ok = True
        last_arg: nodes.NodeNG | None = None
        for cond in pattern.args:
            holds, arg = cond.holds(call)
            if not holds:
                ok = False
                break
            if arg is not None:
                last_arg = arg
                values["arg"] = source_text(arg)
                if cond.keyword:
                    values["keyword"] = cond.keyword
        if ok and pattern.context_ok(ctx, call, call):
            yield (last_arg if _report_arg(pattern) and last_arg is not None else call), values


def _receiver_ok(condition: ValueCondition, call: nodes.Call) -> bool:
    """The object a method is called on matches; a call with no such object does not."""
    func = call.func
    return isinstance(func, nodes.Attribute) and condition.matches(func.expr)


def _report_arg(pattern: Pattern) -> bool:
    return bool(pattern.spec.get("report-argument"))


def _run_attribute(
    pattern: Pattern, ctx: FileContext, index: dict[type, list[nodes.NodeNG]]
) -> Iterator[Hit]:
    assert pattern.names is not None
    for cls in (nodes.Attribute, nodes.Name):
        for node in index.get(cls, ()):
            parent = node.parent
            if isinstance(parent, nodes.Call) and parent.func is node:
                continue
            if isinstance(node, nodes.Name) and isinstance(resolved_value(node), nodes.Call):
                # ``ctx = ssl._create_unverified_context()``: ``ctx`` holds the call's result;
                # name resolution writes it as the callee, but reading it is no read of that.
                continue
            found = resolve(node, pattern.names, infer=False)
            if found is not None and pattern.context_ok(ctx, node, node):
                yield node, {"name": found, "callee": found}


def _run_import(
    pattern: Pattern, ctx: FileContext, index: dict[type, list[nodes.NodeNG]]
) -> Iterator[Hit]:
    assert pattern.names is not None
    for node in index.get(nodes.Import, []) + index.get(nodes.ImportFrom, []):
        if isinstance(node, nodes.Import):
            modules = [name for name, _ in node.names]
        else:
            assert isinstance(node, nodes.ImportFrom)
            modname = node.modname or ""
            modules = [modname] + [f"{modname}.{name}" for name, _ in node.names]
        for module in modules:
            parts = module.split(".")
            candidates = [".".join(parts[: i + 1]) for i in range(len(parts))]
            found = pattern.names.match(candidates)
            if found is not None and pattern.context_ok(ctx, node, None):
                yield node, {"name": found, "module": module}
                break


def _run_decorator(
    pattern: Pattern, ctx: FileContext, index: dict[type, list[nodes.NodeNG]]
) -> Iterator[Hit]:
    assert pattern.names is not None
    for cls in (nodes.FunctionDef, nodes.AsyncFunctionDef, nodes.ClassDef):
        for node in index.get(cls, ()):
            decorators = getattr(node, "decorators", None)
            if decorators is None:
                continue
            for deco in decorators.nodes:
                target = deco.func if isinstance(deco, nodes.Call) else deco
                found = resolve(target, pattern.names)
                if found is not None and pattern.context_ok(ctx, node, None):
                    yield deco, {"name": found, "callee": found, "function": str(node.name)}


def _assignments(
    index: dict[type, list[nodes.NodeNG]],
) -> Iterator[tuple[str, nodes.NodeNG, nodes.NodeNG, bool]]:
    """(target name, value, anchor node, target is an attribute) for every named value."""
    for node in index.get(nodes.Assign, []) + index.get(nodes.AnnAssign, []):
        targets = node.targets if isinstance(node, nodes.Assign) else [node.target]
        value = node.value
        if value is None:
            continue
        for target in targets:
            if isinstance(target, nodes.AssignName):
                yield str(target.name), value, target, False
            elif isinstance(target, nodes.AssignAttr):
                yield str(target.attrname), value, target, True
            elif isinstance(target, nodes.Subscript) and isinstance(target.slice, nodes.Const):
                if isinstance(target.slice.value, str):
                    yield target.slice.value, value, target, False
            elif (
                isinstance(target, (nodes.Tuple, nodes.List))
                and isinstance(value, (nodes.Tuple, nodes.List))
                and len(target.elts) == len(value.elts)
            ):
                for t, v in zip(target.elts, value.elts, strict=True):
                    if isinstance(t, nodes.AssignName):
                        yield str(t.name), v, t, False
    for kw in index.get(nodes.Keyword, []):
        assert isinstance(kw, nodes.Keyword)
        if kw.arg:
            yield str(kw.arg), kw.value, kw, False
    for dct in index.get(nodes.Dict, []):
        assert isinstance(dct, nodes.Dict)
        for key, value in dct.items:
            if isinstance(key, nodes.Const) and isinstance(key.value, str):
                yield key.value, value, key, False
    for args in index.get(nodes.Arguments, []):
        assert isinstance(args, nodes.Arguments)
        positional = list(args.posonlyargs or []) + list(args.args or [])
        defaults = list(args.defaults or [])
        for param, default in zip(
            positional[len(positional) - len(defaults) :], defaults, strict=True
        ):
            yield str(param.name), default, param, False
        for param, kw_default in zip(args.kwonlyargs or [], args.kw_defaults or [], strict=True):
            if kw_default is not None:
                yield str(param.name), kw_default, param, False


def _run_assign(
    pattern: Pattern, ctx: FileContext, index: dict[type, list[nodes.NodeNG]]
) -> Iterator[Hit]:
    for name, value, anchor, is_attr in _assignments(index):
        if pattern.target_attr is not None and not (is_attr and name == pattern.target_attr):
            continue
        if pattern.target_object is not None and not (
            isinstance(anchor, nodes.AssignAttr) and pattern.target_object.matches(anchor.expr)
        ):
            continue
        if pattern.target_re is not None and not pattern.target_re.search(name):
            continue
        if pattern.not_target_re is not None and pattern.not_target_re.search(name):
            continue
        if pattern.value is not None and not pattern.value.matches(value):
            continue
        if pattern.context_ok(ctx, anchor, value):
            yield value, {"name": name, "value": source_text(value)}


def _is_docstring(node: nodes.Const) -> bool:
    parent = node.parent
    if isinstance(parent, nodes.Expr):
        return True  # a bare string statement: a docstring or a comment-like literal
    return False


def _run_string(
    pattern: Pattern, ctx: FileContext, index: dict[type, list[nodes.NodeNG]]
) -> Iterator[Hit]:
    for node in index.get(nodes.Const, []):
        assert isinstance(node, nodes.Const)
        if not isinstance(node.value, str) or _is_docstring(node):
            continue
        if pattern.value is not None and not pattern.value.matches(node):
            continue
        if pattern.context_ok(ctx, node, node):
            yield node, {"value": source_text(node, 24)}


def _run_compare(
    pattern: Pattern, ctx: FileContext, index: dict[type, list[nodes.NodeNG]]
) -> Iterator[Hit]:
    assert pattern.side is not None
    for node in index.get(nodes.Compare, []):
        assert isinstance(node, nodes.Compare)
        if len(node.ops) != 1 or node.ops[0][0] not in pattern.compare_ops:
            continue
        left, right = node.left, node.ops[0][1]
        for side, other in ((left, right), (right, left)):
            if not pattern.side.matches(side):
                continue
            if pattern.other_side is not None and not pattern.other_side.matches(other):
                continue
            if pattern.context_ok(ctx, node, side):
                yield (
                    node,
                    {
                        "value": source_text(side),
                        "other": source_text(other),
                        "op": node.ops[0][0],
                    },
                )
                break


def _run_assert(
    pattern: Pattern, ctx: FileContext, index: dict[type, list[nodes.NodeNG]]
) -> Iterator[Hit]:
    for node in index.get(nodes.Assert, []):
        assert isinstance(node, nodes.Assert)
        if pattern.assert_test is not None and not pattern.assert_test.matches(node.test):
            continue
        if pattern.context_ok(ctx, node, node.test):
            yield node, {"value": source_text(node.test)}


def _run_endpoint(
    pattern: Pattern, ctx: FileContext, index: dict[type, list[nodes.NodeNG]]
) -> Iterator[Hit]:
    """Endpoints with no authentication guard where most of their siblings (the endpoints of
    the same app, blueprint, router or views module) have one; endpoints that are public by
    design (the public regex finds their path or name, or they say AllowAny) do not count."""
    if pattern.token_claims_re is not None:
        yield from _run_token_claims(pattern, ctx)
        return
    groups: dict[str, list[Endpoint]] = {}
    for endpoint in endpoints(ctx.module, pattern.guard_re):
        groups.setdefault(endpoint.group, []).append(endpoint)
    for members in groups.values():
        candidates = [e for e in members if not e.is_public(pattern.public_re)]
        guarded = [e for e in candidates if e.guards]
        if len(guarded) < pattern.min_guarded or not candidates:
            continue
        if len(guarded) / len(candidates) < pattern.min_share:
            continue
        usual = ", ".join(
            g for g, _ in Counter(g for e in guarded for g in e.guards).most_common(2)
        )
        for endpoint in candidates:
            if endpoint.guards or not pattern.context_ok(ctx, endpoint.node, endpoint.node):
                continue
            yield (
                endpoint.node,
                {
                    "endpoint": endpoint.describe(),
                    "function": str(endpoint.node.name),
                    "guard": usual,
                    "guarded": str(len(guarded)),
                    "siblings": str(len(candidates) - 1),
                },
            )


_WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _run_token_claims(pattern: Pattern, ctx: FileContext) -> Iterator[Hit]:
    """A privileged endpoint (a write, or a path or name that says admin, refund, delete ...)
    behind a token that is verified, where nothing in front of it reads an authorizing claim."""
    assert pattern.token_claims_re is not None and pattern.privileged_re is not None
    for endpoint in endpoints(ctx.module, pattern.guard_re):
        if endpoint.is_public(pattern.public_re):
            continue
        privileged = bool(set(endpoint.methods) & _WRITE_METHODS) or bool(
            pattern.privileged_re.search(endpoint.path)
            or pattern.privileged_re.search(str(endpoint.node.name))
        )
        if not privileged:
            continue
        use = token_use(endpoint)
        if not use.decodes:
            continue
        if any(pattern.token_claims_re.search(c) for c in use.claims):
            continue
        if use.authorizers:
            continue
        if not pattern.context_ok(ctx, endpoint.node, endpoint.node):
            continue
        name, line = use.decodes[0]
        yield (
            endpoint.node,
            {
                "endpoint": endpoint.describe(),
                "function": str(endpoint.node.name),
                "decode": name,
                "decode_line": str(line),
            },
        )


_KIND_RUNNERS = {
    "endpoint": _run_endpoint,
    "compare": _run_compare,
    "assert": _run_assert,
    "call": _run_call,
    "attribute": _run_attribute,
    "import": _run_import,
    "decorator": _run_decorator,
    "assign": _run_assign,
    "string": _run_string,
}


def compile_patterns(rules: Iterable[Rule]) -> list[PatternMatcher]:
    return [PatternMatcher(r) for r in rules if r.mode == "pattern"]
