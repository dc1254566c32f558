"""Taint values and the compiled form of taint rules (sources, sinks, sanitizers, propagators)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from aiscan.engine.names import NameIndex
from aiscan.model import Rule

# Guard kinds recorded on a taint when a check dominates its use. All but LENGTH_CHECKED make a
# value safe for every rule, unless a rule says a kind does not sanitize it (guards.ignore-kinds).
ALLOW_LISTED = "allow-listed"
MAPPED = "mapped"
CONVERTED = "converted"
REGEX_VALIDATED = "regex-validated"
CHAR_CLASS = "char-class-validated"
CONSTANT_COMPARED = "constant-compared"
PATH_CONFINED = "path-confined"
LENGTH_CHECKED = "length-checked"
# The whole value is one quoted literal: it starts and ends with a quote and holds none inside.
QUOTED_LITERAL = "quoted-literal"
# "excludes:'": the value holds no '. Safe only where it sits inside '-quoted text.
EXCLUDES = "excludes"
EXCLUDES_PREFIX = EXCLUDES + ":"
SANITIZER_PREFIX = "sanitizer:"
# The URL's host was checked against an allow-list (urlparse(u).netloc in ALLOWED): safe for
# a redirect or an outgoing request, not for what the rest of the URL holds. Rules opt in
# (guards.accept-kinds).
HOST_ALLOW_LISTED = "host-allow-listed"
# 'if "../" in name: abort()': the value holds no parent-directory step. Safe for a path only
# where it is appended to a base folder in a string (f"{BASE}/{name}"): os.path.join(BASE, name)
# still takes an absolute name. Rules opt in (guards.accept-kinds).
DOT_DOT_FREE = "dot-dot-free"
NON_SANITIZING = frozenset({LENGTH_CHECKED, HOST_ALLOW_LISTED, DOT_DOT_FREE})
# Annotations kept beside the guards of an origin; they never make a value safe:
# "length-checked@LINE" says where a length check was, "in-text:PREFIX<US>SUFFIX" the literal text
# around the place the value was interpolated into a string.
LENGTH_AT = LENGTH_CHECKED + "@"
TEXT_PREFIX = "in-text:"
_ANNOTATION_PREFIXES = (TEXT_PREFIX, LENGTH_AT)
_TEXT_SEP = "\x1f"
_MAX_PREFIX = 240
_MAX_SUFFIX = 80
BUILTIN_GUARD_KINDS = frozenset(
    {
        ALLOW_LISTED,
        MAPPED,
        CONVERTED,
        REGEX_VALIDATED,
        CHAR_CLASS,
        CONSTANT_COMPARED,
        PATH_CONFINED,
        QUOTED_LITERAL,
        EXCLUDES,
    }
)

# A flow-graph node: (absolute file path, line, byte column, end line, end byte column, text).
NodeKey = tuple[str, int, int, int, int, str]


@dataclass(frozen=True, order=True)
class Origin:
    """Where a taint came from: a source (label, graph node) or a parameter of the function
    being summarised (``param`` is the parameter's name, or ``self.<field>``)."""

    kind: str  # "source" | "param"
    label: str
    node: NodeKey


Fact = tuple[Origin, frozenset[str]]


@dataclass(frozen=True)
class Taint:
    """A possibly-tainted value: for each origin, the guard kinds that hold on a path it took
    (an origin may come with several guard sets, one per path), and the flow-graph nodes that
    produced the value.

    Guards belong to an origin, not to the value: in ``f"{prefix}.{name}"`` an allow-listed
    ``name`` stays safe whatever ``prefix`` is.
    """

    facts: frozenset[Fact]
    at: frozenset[NodeKey] = frozenset()

    @staticmethod
    def of(
        origins: Iterable[Origin],
        guards: frozenset[str] = frozenset(),
        at: frozenset[NodeKey] = frozenset(),
    ) -> Taint:
        return Taint(frozenset((o, guards) for o in origins), at)

    @property
    def origins(self) -> frozenset[Origin]:
        return frozenset(o for o, _ in self.facts)

    def with_guard(self, kind: str) -> Taint:
        if kind.startswith(LENGTH_AT):
            return self.with_guards(frozenset({kind}))
        return Taint(frozenset((o, g | {kind}) for o, g in self.facts), self.at)

    def with_guards(self, kinds: frozenset[str]) -> Taint:
        if not kinds:
            return self
        if any(k.startswith(LENGTH_AT) for k in kinds):
            return Taint(
                frozenset((o, _few_length_lines(g | kinds)) for o, g in self.facts), self.at
            )
        return Taint(frozenset((o, g | kinds) for o, g in self.facts), self.at)

    def moved(self, node: NodeKey) -> Taint:
        return Taint(self.facts, frozenset({node}))

    def at_nodes(self, nodes: frozenset[NodeKey]) -> Taint:
        return Taint(self.facts, nodes)

    def within_text(self, prefix: str, suffix: str) -> Taint:
        """The value was interpolated between literal ``prefix`` and ``suffix``: each origin
        records that text (around the text it already sat in, for a string built in steps)."""
        if not prefix and not suffix:
            return self
        facts: set[Fact] = set()
        for origin, guards in self.facts:
            inner = [g for g in guards if g.startswith(TEXT_PREFIX)]
            if inner:
                kept = guards.difference(inner)
                tags = {
                    text_tag(prefix + p, s + suffix) for p, s in (parse_text_tag(g) for g in inner)
                }
            else:
                kept, tags = guards, {text_tag(prefix, suffix)}
            facts.add((origin, kept | tags))
        return Taint(frozenset(facts), self.at)

    def through(self, guards: frozenset[str]) -> Taint:
        """The value went through a callee on a path where ``guards`` held: its guards join
        the value's, and text the callee interpolated it into wraps the text it already had."""
        texts = [g for g in guards if g.startswith(TEXT_PREFIX)]
        base = self.with_guards(guards.difference(texts) if texts else guards)
        if not texts:
            return base
        return merge([base.within_text(*parse_text_tag(t)) for t in sorted(texts)]) or base

    def guards_of(self, origin: Origin) -> list[frozenset[str]]:
        return sorted((g for o, g in self.facts if o == origin), key=sorted)

    def live(
        self,
        ignore_kinds: frozenset[str],
        sanitizer_tag: str,
        accept_kinds: frozenset[str] = frozenset(),
    ) -> list[Fact]:
        """The (origin, guards) facts that no guard made safe for a rule."""
        return sorted(
            (
                f
                for f in self.facts
                if not sanitizing(f[1], ignore_kinds, sanitizer_tag, accept_kinds)
            ),
            key=lambda f: (f[0], sorted(f[1])),
        )


def text_tag(prefix: str, suffix: str) -> str:
    return TEXT_PREFIX + prefix[-_MAX_PREFIX:] + _TEXT_SEP + suffix[:_MAX_SUFFIX]


def parse_text_tag(tag: str) -> tuple[str, str]:
    prefix, _, suffix = tag[len(TEXT_PREFIX) :].partition(_TEXT_SEP)
    return prefix, suffix


def text_contexts(guards: Iterable[str]) -> list[tuple[str, str]]:
    """The literal text around each place an origin's data was interpolated."""
    return sorted(parse_text_tag(g) for g in guards if g.startswith(TEXT_PREFIX))


def is_annotation(kind: str) -> bool:
    """A recorded fact about a flow that is not a guard (never makes a value safe)."""
    return kind.startswith(_ANNOTATION_PREFIXES)


# The lines of length checks a flow passed are kept for its message: the first few of them.
MAX_LENGTH_LINES = 3


def _few_length_lines(guards: frozenset[str]) -> frozenset[str]:
    lines = [g for g in guards if g.startswith(LENGTH_AT)]
    if len(lines) <= MAX_LENGTH_LINES:
        return guards
    lines.sort(key=lambda g: int(g[len(LENGTH_AT) :]))
    return guards.difference(lines[MAX_LENGTH_LINES:])


def length_check_lines(guards: Iterable[str]) -> list[int]:
    return sorted(int(g[len(LENGTH_AT) :]) for g in guards if g.startswith(LENGTH_AT))


def shown_guards(guards: Iterable[str]) -> list[str]:
    """The guard kinds a message names: no sanitizer tags, no annotations."""
    return sorted(g for g in guards if not g.startswith(SANITIZER_PREFIX) and not is_annotation(g))


def sanitizing(
    guards: frozenset[str],
    ignore_kinds: frozenset[str],
    sanitizer_tag: str,
    accept_kinds: frozenset[str] = frozenset(),
) -> bool:
    """True when some guard kind in ``guards`` makes a value safe for the rule."""
    for kind in guards:
        if kind == DOT_DOT_FREE:
            if kind in accept_kinds and _under_a_folder(guards):
                return True
            continue
        if kind in accept_kinds:
            return True
        if is_annotation(kind):
            continue
        if kind.startswith(EXCLUDES_PREFIX):
            if EXCLUDES not in ignore_kinds and _inside_quotes(
                guards, kind[len(EXCLUDES_PREFIX) :]
            ):
                return True
            continue
        if kind.startswith(SANITIZER_PREFIX):
            if kind == sanitizer_tag:
                return True
            continue
        if kind not in NON_SANITIZING and kind not in ignore_kinds:
            return True
    return False


def _under_a_folder(guards: frozenset[str]) -> bool:
    """Every place the value was interpolated follows literal text ending in a slash."""
    contexts = text_contexts(guards)
    return bool(contexts) and all(prefix.endswith("/") for prefix, _ in contexts)


def _inside_quotes(guards: frozenset[str], quote: str) -> bool:
    """Every place the value was interpolated is inside text quoted with ``quote`` (an odd
    number of them before it), so a value without that character cannot close the quotes."""
    if quote not in ("'", '"'):
        return False
    contexts = text_contexts(guards)
    return bool(contexts) and all(prefix.count(quote) % 2 == 1 for prefix, _ in contexts)


# Facts joined so far in this process: the measure of taint work that a function's budget is
# counted in (steps alone miss it: one step can join hundreds of facts).
_WORK = [0]


def work_done() -> int:
    """Facts joined so far in this process (only differences between two readings matter)."""
    return _WORK[0]


def merge(values: Iterable[Taint | None]) -> Taint | None:
    """Join of taints from several paths or parts: every origin with every path's guards."""
    present = [v for v in values if v is not None]
    if not present:
        return None
    if len(present) == 1:
        return present[0]
    _WORK[0] += sum(len(v.facts) for v in present)
    facts: frozenset[Fact] = frozenset().union(*(v.facts for v in present))
    at: frozenset[NodeKey] = frozenset().union(*(v.at for v in present))
    return Taint(_bounded(facts), at)


# An origin seen along more distinct paths than this keeps one fact for all of them.
MAX_FACTS_PER_ORIGIN = 8
MAX_TEXTS_PER_FACT = 8


def _bounded(facts: frozenset[Fact]) -> frozenset[Fact]:
    """Keep the facts of each origin few: a value built in many ways (text interpolated at many
    places, guards on many paths) would otherwise multiply its facts at every call it goes
    through. Past the bound, an origin's facts become one: the guards that held on every path
    (so it is safe only if every path was) and the annotations of all of them."""
    counts: dict[Origin, int] = {}
    for origin, _ in facts:
        counts[origin] = counts.get(origin, 0) + 1
    if all(n <= MAX_FACTS_PER_ORIGIN for n in counts.values()):
        return facts
    out: set[Fact] = set()
    grouped: dict[Origin, list[frozenset[str]]] = {}
    for origin, guards in facts:
        if counts[origin] <= MAX_FACTS_PER_ORIGIN:
            out.add((origin, guards))
        else:
            grouped.setdefault(origin, []).append(guards)
    for origin, sets in grouped.items():
        common: set[str] | None = None
        notes: set[str] = set()
        for guards in sets:
            kinds = set()
            for g in guards:
                if g.startswith(_ANNOTATION_PREFIXES):
                    notes.add(g)
                else:
                    kinds.add(g)
            common = kinds if common is None else common & kinds
        ordered = sorted(notes)
        texts = [g for g in ordered if g.startswith(TEXT_PREFIX)][:MAX_TEXTS_PER_FACT]
        others = [g for g in ordered if not g.startswith(TEXT_PREFIX)]
        kept = frozenset(common or ()) | frozenset(texts) | frozenset(others)
        out.add((origin, _few_length_lines(kept)))
    return frozenset(out)


@dataclass(frozen=True)
class ArgSpec:
    """Which argument a sink's taint is checked in: a position and/or keyword, or the receiver;
    ``item`` narrows to one element of a list or tuple display (argv[0])."""

    position: int | None = None
    keyword: str | None = None
    receiver: bool = False
    item: int | None = None

    @staticmethod
    def parse(raw: Any) -> ArgSpec:
        if isinstance(raw, int):
            return ArgSpec(position=raw)
        text = str(raw)
        item = None
        if text.endswith("]") and "[" in text:
            text, _, rest = text.partition("[")
            item = int(rest.rstrip("]"))
        if text == "receiver":
            return ArgSpec(receiver=True, item=item)
        if text.isdigit():
            return ArgSpec(position=int(text), item=item)
        return ArgSpec(keyword=text, item=item)


@dataclass
class SinkSpec:
    names: NameIndex
    raw: Mapping[str, Any]
    taint: tuple[ArgSpec, ...]
    label: str
    args: list[Any] = field(default_factory=list)  # compiled ArgConditions (pattern module)
    # Methods called on a receiver of unknown type, and the text the data must have been
    # interpolated into for such a sink (or any sink) to count.
    methods: frozenset[str] = frozenset()
    text: str | None = None
    # return: {response: html|any}: what a web handler returns as its response body.
    returns: str | None = None
    # store: assignments into these objects (obj[key] = value, obj.key = value).
    stores: NameIndex | None = None
    key_regex: re.Pattern[str] | None = None
    # constructs: calls building an instance of a project class derived from these bases.
    constructs: NameIndex | None = None


@dataclass
class SourceSpec:
    kind: str  # "call" | "attribute" | "parameter" | "exception"
    names: NameIndex | None
    label: str
    framework: str = "any"
    raw_names: tuple[str, ...] = ()
    # exception: the methods that register an error handler (errorhandler, exception_handler).
    handlers: frozenset[str] = frozenset()


@dataclass
class PropagatorSpec:
    """A library call that moves data between its arguments, receiver and result."""

    names: NameIndex
    source: ArgSpec  # "from"
    target: ArgSpec | None  # "to"; None means the call's result


@dataclass
class TaintRuleSpec:
    """One taint rule, compiled."""

    rule: Rule
    sources: list[SourceSpec]
    sinks: list[SinkSpec]
    sanitizers: NameIndex | None
    ignore_kinds: frozenset[str]
    require_kind: str | None
    builtin_guards: bool
    propagators: list[PropagatorSpec] = field(default_factory=list)
    # interpolation: report only data interpolated into these clauses of SQL text.
    clauses: frozenset[str] | None = None
    # Guard kinds that are not safe in general but are for this rule (guards.accept-kinds).
    accept_kinds: frozenset[str] = frozenset()
    # Attribute names whose value is clean for this rule (sanitizers: attribute-name).
    clean_attributes: frozenset[str] = frozenset()

    @property
    def sanitizer_tag(self) -> str:
        return SANITIZER_PREFIX + self.rule.id

    def accepts(self, taint: Taint, text: str | None = None) -> list[Fact]:
        """The (source origin, guards) facts of ``taint`` that make a finding for this rule,
        at a sink that requires ``text`` (the language the data was interpolated into)."""
        labels = {s.label for s in self.sources}
        return [
            (origin, guards)
            for origin, guards in self.live(taint, text)
            if origin.kind == "source" and origin.label in labels
        ]

    def live(self, taint: Taint, text: str | None = None) -> list[Fact]:
        """The facts no guard made safe, that pass the rule's and the sink's text conditions."""
        return [
            (origin, guards)
            for origin, guards in taint.live(
                self.ignore_kinds, self.sanitizer_tag, self.accept_kinds
            )
            if (self.require_kind is None or self.require_kind in guards)
            and (text is None or in_text_of(guards, text))
            and (self.clauses is None or sql_clause(guards) in self.clauses)
        ]


def in_text_of(guards: Iterable[str], language: str) -> bool:
    """The data was interpolated into text that reads as ``language``."""
    from aiscan.engine.sqltext import looks_like_sql

    return language == "sql" and any(looks_like_sql(p, s) for p, s in text_contexts(guards))


def sql_clause(guards: Iterable[str]) -> str:
    """The SQL clause data went into, over every place it was interpolated: a value or an
    unknown clause anywhere wins over identifiers (one injectable value is enough)."""
    from aiscan.engine.sqltext import IDENTIFIER_CLAUSES, WHOLE, classify

    found = [classify(p, s) for p, s in text_contexts(guards)]
    if not found:
        return WHOLE
    worst = [c for c in found if c not in IDENTIFIER_CLAUSES]
    return worst[0] if worst else found[0]


def _names(items: Sequence[str]) -> NameIndex:
    return NameIndex(items)


def source_label(item: Mapping[str, Any]) -> str:
    if "label" in item:
        return str(item["label"])
    for key in ("call", "attribute"):
        if key in item:
            return f"{key}:{','.join(item[key])}"
    if "exception" in item:
        return f"exception:{','.join(item['exception']['types'])}"
    return f"parameter:{item.get('parameter', {}).get('framework', 'any')}"


def compile_taint_rule(rule: Rule) -> TaintRuleSpec:
    from aiscan.matchers.pattern import ArgCondition

    spec = rule.spec
    sources: list[SourceSpec] = []
    for item in spec["sources"]:
        label = source_label(item)
        if "call" in item:
            sources.append(
                SourceSpec("call", _names(item["call"]), label, raw_names=tuple(item["call"]))
            )
        elif "attribute" in item:
            sources.append(
                SourceSpec(
                    "attribute",
                    _names(item["attribute"]),
                    label,
                    raw_names=tuple(item["attribute"]),
                )
            )
        elif "exception" in item:
            types = list(item["exception"]["types"])
            sources.append(
                SourceSpec(
                    "exception",
                    _names(types),
                    label,
                    raw_names=tuple(types),
                    handlers=frozenset(item["exception"].get("handlers", ())),
                )
            )
        else:
            framework = item.get("parameter", {}).get("framework", "any")
            sources.append(SourceSpec("parameter", None, label, framework=framework))
    sinks: list[SinkSpec] = []
    for item in spec["sinks"]:
        taint = tuple(ArgSpec.parse(t) for t in item.get("taint", ()))
        calls = list(item.get("call", ()))
        methods = frozenset(item.get("method", ()))
        returned = item.get("return", {}).get("response")
        stores = list(item.get("store", ()))
        bases = list(item.get("constructs", ()))
        if calls:
            default_label = calls[0]
        elif bases:
            default_label = f"a {bases[0].rsplit('.', 1)[-1]} constructor"
        elif stores:
            default_label = stores[0]
        elif methods:
            default_label = f".{sorted(methods)[0]}()"
        else:
            default_label = f"the {returned} response body"
        sinks.append(
            SinkSpec(
                names=_names(calls),
                raw=item,
                taint=taint,
                label=str(item.get("label", default_label)),
                args=[ArgCondition(a) for a in item.get("args", ())],
                methods=methods,
                text=item.get("text"),
                returns=returned,
                stores=_names(stores) if stores else None,
                key_regex=re.compile(item["key"]) if "key" in item else None,
                constructs=_names(bases) if bases else None,
            )
        )
    sanitizer_names = [n for item in spec.get("sanitizers", ()) for n in item.get("call", ())]
    guards = spec.get("guards", {})
    builtin = bool(guards.get("builtin", True))
    ignore = frozenset(guards.get("ignore-kinds", ()))
    if not builtin:
        # Only the rule's own sanitizers make a value safe.
        ignore |= BUILTIN_GUARD_KINDS
    propagators = [
        PropagatorSpec(
            names=_names(item["call"]),
            source=ArgSpec.parse(item["from"]),
            target=None if str(item["to"]) == "result" else ArgSpec.parse(item["to"]),
        )
        for item in spec.get("propagators", ())
    ]
    return TaintRuleSpec(
        rule=rule,
        sources=sources,
        sinks=sinks,
        sanitizers=_names(sanitizer_names) if sanitizer_names else None,
        ignore_kinds=ignore,
        require_kind=guards.get("require-kind"),
        builtin_guards=builtin,
        propagators=propagators,
        clauses=frozenset(spec["interpolation"]["clauses"]) if "interpolation" in spec else None,
        accept_kinds=frozenset(guards.get("accept-kinds", ())),
        clean_attributes=frozenset(
            n for item in spec.get("sanitizers", ()) for n in item.get("attribute-name", ())
        ),
    )
