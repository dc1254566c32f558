"""``mode: money``: money amounts held or computed in binary floating point."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import astroid
from astroid import nodes

from aiscan.engine.context import (
    FileContext,
    caller_purpose_names,
    enclosing_function,
    purpose_names,
)
from aiscan.engine.names import NameIndex, names_of, resolve
from aiscan.engine.nodeindex import module_nodes
from aiscan.matchers.base import Prefilter, make_finding, words_in
from aiscan.matchers.pattern import ArgCondition, node_index, source_text
from aiscan.matchers.values import single_binding
from aiscan.model import Finding, Location, Rule

_MAX_DEPTH = 4
# Builtins a money value passes through unchanged in kind (the chain goes on through them).
_PASS_CALLS = frozenset({"float", "round", "abs", "min", "max", "sum"})
_ARITHMETIC = frozenset({"+", "-", "*", "/", "//", "%", "**"})
# How a value is known to be a float. STRONG: this expression makes it one (a float literal,
# float(), cents divided with /, a float model field). COVERED: it already was one, and that is
# reported where it happened, in the same function (a float-annotated money parameter, a local
# name bound to a reported expression).
_STRONG = 2
_COVERED = 1


def split_words(identifier: str) -> list[str]:
    """The lower-case words of an identifier: snake_case and camelCase are both split."""
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", identifier)
    text = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", text)
    return [w.lower() for w in re.split(r"[^A-Za-z0-9]+", text) if w]


class Vocabulary:
    """Which identifiers say money, minor units (cents) or a non-money quantity."""

    def __init__(self, spec: Mapping[str, Any]) -> None:
        self.money_re = re.compile(spec["money-words-regex"])
        self.minor_re = re.compile(spec.get("minor-units-words-regex", "(?!)"))
        self.not_money_re = re.compile(spec.get("not-money-words-regex", "(?!)"))
        self.ambiguous_re = re.compile(spec.get("ambiguous-words-regex", "(?!)"))
        # Whether the file being checked speaks of money unambiguously somewhere, which lets
        # the ambiguous words (total, balance, cost) count as money in it.
        self.money_file = True

    def excluded(self, identifier: str) -> bool:
        return any(self.not_money_re.search(w) for w in split_words(identifier))

    def money(self, identifier: str) -> bool:
        words = split_words(identifier)
        if any(self.not_money_re.search(w) for w in words):
            return False
        for w in words:
            if self.minor_re.search(w):
                return True
            if self.money_re.search(w) and (self.money_file or not self.ambiguous_re.search(w)):
                return True
        return False

    def unambiguous(self, identifier: str) -> bool:
        words = split_words(identifier)
        if any(self.not_money_re.search(w) for w in words):
            return False
        return any(
            self.minor_re.search(w) or (self.money_re.search(w) and not self.ambiguous_re.search(w))
            for w in words
        )

    def minor(self, identifier: str) -> bool:
        words = split_words(identifier)
        if any(self.not_money_re.search(w) for w in words):
            return False
        return any(self.minor_re.search(w) for w in words)


@dataclass(frozen=True)
class FieldType:
    """One ``fields:`` entry: column or field types that hold floats, with their message."""

    types: NameIndex
    args: tuple[ArgCondition, ...]
    unless_args: tuple[ArgCondition, ...]
    message: str | None

    def accepts(self, call: nodes.Call | None) -> bool:
        """The type's own call (``Float(asdecimal=True)``) meets the argument conditions; a bare
        type name (``Column(Float)``) has no arguments."""
        if call is None:
            return not self.args
        if not all(cond.holds(call)[0] for cond in self.args):
            return False
        return not any(cond.holds(call)[0] for cond in self.unless_args)


@dataclass
class Chain:
    """What the leaves of an expression chain say: a money name, a float source."""

    money: str | None = None
    excluded: bool = False
    float_level: int = 0


class MoneyMatcher:
    """Finds float conversions, float arithmetic and round() on money values, and money fields,
    parameters and attributes declared float."""

    def __init__(self, rule: Rule) -> None:
        self.rule = rule
        spec: Mapping[str, Any] = rule.spec["money"]
        self.spec = spec
        self.vocab = Vocabulary(spec)
        self.decimal_types = NameIndex(spec.get("decimal-types", ["decimal.Decimal"]))
        self.to_integer = NameIndex(spec.get("to-integer", ["int"]))
        self.skip_imports = frozenset(spec.get("skip-files-importing", ()))
        messages: Mapping[str, str] = spec.get("messages", {})
        self.messages = dict(messages)
        self.fields = [
            FieldType(
                NameIndex(entry["types"]),
                tuple(ArgCondition(a) for a in entry.get("args", ())),
                tuple(ArgCondition(a) for a in entry.get("unless-args", ())),
                entry.get("message"),
            )
            for entry in spec.get("fields", ())
        ]
        self.wrappers = [
            (NameIndex(entry["types"]), entry.get("message"))
            for entry in spec.get("annotation-wrappers", ())
        ]
        self._module_fields: dict[int, tuple[nodes.Module, frozenset[str]]] = {}

    def prefilter(self) -> Prefilter:
        explicit = self.spec.get("prefilter-regex")
        return Prefilter(regexes=(explicit,)) if explicit else Prefilter(always=True)

    # -- the file ------------------------------------------------------------------------

    def check(self, ctx: FileContext) -> Iterator[Finding]:
        if self._skipped(ctx.module):
            return
        self.vocab.money_file = any(self.vocab.unambiguous(w) for w in words_in(ctx.source.text))
        seen: set[tuple[Location, str]] = set()
        for node, kind, values, message in self._hits(ctx):
            location = ctx.location(node)
            finding = make_finding(
                self.rule, location, values, message=message or self.messages.get(kind)
            )
            key = (location, finding.message)
            if key not in seen:
                seen.add(key)
                yield finding

    def _skipped(self, module: nodes.Module) -> bool:
        """Files that import numerical or machine-learning libraries work in floats by design
        (a ``cost`` there is a loss function)."""
        if not self.skip_imports:
            return False
        for node in module_nodes(module, (nodes.Import, nodes.ImportFrom)):
            if isinstance(node, nodes.Import):
                mods = [name for name, _ in node.names]
            else:
                mods = [node.modname or ""] if not node.level else []
            if any(m.split(".", 1)[0] in self.skip_imports for m in mods):
                return True
        return False

    def _hits(
        self, ctx: FileContext
    ) -> Iterator[tuple[nodes.NodeNG, str, dict[str, str], str | None]]:
        index = node_index(ctx)
        fields = self._float_fields(ctx.module)
        declared: set[int] = set()
        yield from self._declarations(index, declared)
        tops: dict[int, nodes.NodeNG] = {}
        for cls in (nodes.BinOp, nodes.AugAssign, nodes.Call):
            for node in index.get(cls, ()):
                if isinstance(node, nodes.Call) and not _starts_chain(node):
                    continue
                if isinstance(node, nodes.BinOp) and not _is_arithmetic(node):
                    continue
                top = self._top(node)
                tops.setdefault(id(top), top)
        for top in sorted(tops.values(), key=lambda n: (n.lineno or 0, n.col_offset or 0)):
            hit = self._chain_hit(top, fields)
            if hit is not None:
                yield hit

    # -- declarations: fields, annotations ---------------------------------------------------

    def _declarations(
        self, index: dict[type, list[nodes.NodeNG]], declared: set[int]
    ) -> Iterator[tuple[nodes.NodeNG, str, dict[str, str], str | None]]:
        for node in index.get(nodes.Assign, []) + index.get(nodes.AnnAssign, []):
            assert isinstance(node, (nodes.Assign, nodes.AnnAssign))
            targets = node.targets if isinstance(node, nodes.Assign) else [node.target]
            names = [_target_name(t) for t in targets]
            name = next((n for n in names if n and self.vocab.money(n)), None)
            if name is None:
                continue
            value = node.value
            if isinstance(value, nodes.Call):
                found = self._field_type(value)
                if found is not None:
                    entry, typename = found
                    values = {"name": name, "value": source_text(value), "type": typename}
                    yield value, "field", values, entry.message
                    continue
            if isinstance(node, nodes.AnnAssign):
                if isinstance(value, nodes.Call) and value.args and self.wrappers:
                    # Mapped[float] = mapped_column(Numeric(12, 2)): the column type decides.
                    if self._wrapper_of(node.annotation) is not None:
                        continue
                kind = self._float_annotation(node.annotation)
                if kind is not None:
                    values = {"name": name, "value": source_text(node.annotation)}
                    yield node.annotation, "annotation", values, kind or None
        for call in index.get(nodes.Call, []):
            # Table("products", metadata, Column("price", Float)): the column names itself.
            assert isinstance(call, nodes.Call)
            first = (call.args or [None])[0]
            if isinstance(first, nodes.Const) and isinstance(first.value, str):
                if self.vocab.money(first.value):
                    found = self._field_type(call)
                    if found is not None:
                        entry, typename = found
                        values = {"name": first.value, "value": source_text(call), "type": typename}
                        yield call, "field", values, entry.message
        for args in index.get(nodes.Arguments, []):
            assert isinstance(args, nodes.Arguments)
            for param, ann in _annotated_params(args):
                name = str(param.name)
                if not self.vocab.money(name):
                    continue
                kind = self._float_annotation(ann)
                if kind is not None:
                    values = {"name": name, "value": source_text(ann)}
                    yield ann, "annotation", values, kind or None

    def _field_type(self, call: nodes.Call) -> tuple[FieldType, str] | None:
        """The float field or column type this call declares: ``FloatField()``, or a float type
        passed to a column (``Column(Float)``, ``mapped_column(Float(precision=2))``,
        ``db.Column("price", db.Float)``, ``type_=Float``)."""
        candidates: list[tuple[nodes.NodeNG, nodes.Call | None]] = [(call.func, call)]
        for arg in list(call.args or []) + [k.value for k in call.keywords or () if k.arg]:
            if isinstance(arg, nodes.Call):
                candidates.append((arg.func, arg))
            elif isinstance(arg, (nodes.Name, nodes.Attribute)):
                candidates.append((arg, None))
        for target, own_call in candidates:
            for entry in self.fields:
                found = resolve(target, entry.types)
                if found is not None and entry.accepts(own_call):
                    return entry, found
        return None

    def _wrapper_of(self, ann: nodes.NodeNG) -> str | None:
        if isinstance(ann, nodes.Subscript):
            for wrapper, message in self.wrappers:
                if resolve(ann.value, wrapper) is not None:
                    return message or ""
        return None

    def _float_annotation(self, ann: nodes.NodeNG | None, depth: int = 0) -> str | None:
        """None when ``ann`` does not say float; else the message for it ("" for the rule's)."""
        if ann is None or depth > _MAX_DEPTH:
            return None
        if isinstance(ann, nodes.Name) and ann.name == "float":
            return ""
        if isinstance(ann, nodes.Const) and ann.value == "float":
            return ""
        if isinstance(ann, nodes.BinOp) and ann.op == "|":
            sides = [self._float_annotation(s, depth + 1) for s in (ann.left, ann.right)]
            return next((s for s in sides if s is not None), None)
        if isinstance(ann, nodes.Subscript):
            wrapped = self._wrapper_of(ann)
            if wrapped is not None:
                inner = self._float_annotation(ann.slice, depth + 1)
                return wrapped if inner is not None else None
            base = ann.value
            base_name = (
                base.attrname if isinstance(base, nodes.Attribute) else getattr(base, "name", "")
            )
            if base_name in ("Optional", "Union", "Annotated"):
                parts = ann.slice.elts if isinstance(ann.slice, nodes.Tuple) else [ann.slice]
                if base_name == "Annotated":
                    parts = parts[:1]
                found = [self._float_annotation(p, depth + 1) for p in parts]
                return next((f for f in found if f is not None), None)
        return None

    def _float_fields(self, module: nodes.Module) -> frozenset[str]:
        """Money attributes declared float in this module's classes and in the project modules
        it imports from: ``price = models.FloatField()``, ``total: float``."""
        names = set(self._own_float_fields(module))
        package = str(module.name).split(".", 1)[0]
        for node in module_nodes(module, nodes.ImportFrom):
            if not node.level and (node.modname or "").split(".", 1)[0] != package:
                continue
            try:
                imported = node.do_import_module()
            except (astroid.AstroidError, ImportError, SyntaxError, RecursionError, OSError):
                continue
            if imported is not module:
                names |= self._own_float_fields(imported)
        return frozenset(names)

    def _own_float_fields(self, module: nodes.Module) -> frozenset[str]:
        cached = self._module_fields.get(id(module))
        if cached is not None and cached[0] is module:
            return cached[1]
        found: set[str] = set()
        for klass in module_nodes(module, nodes.ClassDef):
            for stmt in klass.body:
                if isinstance(stmt, nodes.Assign):
                    targets: list[nodes.NodeNG] = list(stmt.targets)
                elif isinstance(stmt, nodes.AnnAssign):
                    targets = [stmt.target]
                else:
                    continue
                for target in targets:
                    name = _target_name(target)
                    if not name or not self.vocab.money(name):
                        continue
                    value = stmt.value
                    column = isinstance(value, nodes.Call) and self._field_type(value) is not None
                    annotated = isinstance(stmt, nodes.AnnAssign) and (
                        self._float_annotation(stmt.annotation) is not None
                    )
                    if column or annotated:
                        found.add(name)
        result = frozenset(found)
        self._module_fields[id(module)] = (module, result)
        return result

    # -- chains of arithmetic and conversions -----------------------------------------------

    def _top(self, node: nodes.NodeNG) -> nodes.NodeNG:
        """The outermost expression of the chain ``node`` belongs to."""
        current = node
        while True:
            parent = current.parent
            if isinstance(parent, nodes.AugAssign) and parent.value is current:
                return parent
            if not _continues_chain(current, parent):
                return current
            current = parent

    def _chain_hit(
        self, top: nodes.NodeNG, fields: frozenset[str]
    ) -> tuple[nodes.NodeNG, str, dict[str, str], str | None] | None:
        if self._not_holding(top):
            return None
        chain = self._evaluate(top, fields, 0)
        if chain.excluded:
            return None
        # arithmetic (sum, min, max and abs included), a float() conversion, float() of a
        # Decimal, or round(x, n).
        kind = "arithmetic"
        builtin = _builtin(top) if isinstance(top, nodes.Call) else None
        if isinstance(top, nodes.Call) and builtin == "round" and len(top.args or []) >= 2:
            kind = "round"
        elif isinstance(top, nodes.Call) and builtin == "float" and top.args:
            kind = "decimal" if self._is_decimal(top.args[0], 0) else "conversion"
        # round() is reported on any float, even one reported where it was made: rounding a
        # binary float to cents is a defect of its own. Arithmetic needs a float made here.
        needed = _COVERED if kind == "round" else _STRONG
        if kind not in ("conversion", "decimal") and chain.float_level < needed:
            return None
        money = chain.money or self._purpose_money(top)
        if money is None and (kind != "decimal" or not self.vocab.money_file):
            # A Decimal turned into a float is money only where the code deals in money: a
            # generic JSON encoder's float(dec_value) is not.
            return None
        if self._purpose_excluded(top):
            return None
        if money is None and isinstance(top, nodes.Call) and top.args:
            money = source_text(top.args[0])
        values = {"name": money or source_text(top), "value": source_text(top)}
        return top, kind, values, None

    def _purpose_money(self, top: nodes.NodeNG) -> str | None:
        for name in purpose_names(top) + caller_purpose_names(top):
            if self.vocab.money(name):
                return name
        return None

    def _purpose_excluded(self, top: nodes.NodeNG) -> bool:
        return any(self.vocab.excluded(n) for n in purpose_names(top))

    def _not_holding(self, top: nodes.NodeNG) -> bool:
        """The chain's value is only displayed, compared or turned into whole minor units."""
        parent = top.parent
        if isinstance(parent, (nodes.FormattedValue, nodes.Compare)):
            return True
        if isinstance(parent, nodes.BinOp) and parent.op == "%" and _is_str_const(parent.left):
            return True
        if isinstance(parent, nodes.Call) and top is not parent.func:
            func = parent.func
            if isinstance(func, nodes.Attribute) and func.attrname == "format":
                return _is_str_const(func.expr)
            builtin = _builtin(parent)
            if builtin in ("format", "str"):
                return True
            if builtin == "round" and len(parent.args or []) < 2:
                return True
            if resolve(func, self.to_integer) is not None:
                return True
            args = parent.args or []
            if args and top is not args[0] and _is_str_const(args[0]):
                # log.info("total %.2f", cents / 100): a format string and its arguments.
                first = args[0]
                assert isinstance(first, nodes.Const)
                return "%" in str(first.value) or "{" in str(first.value)
        return False

    def _evaluate(self, node: nodes.NodeNG, fields: frozenset[str], depth: int) -> Chain:
        """Walk the leaves of a chain: what names them, and what makes them floats."""
        out = Chain()
        if isinstance(node, nodes.AugAssign) and node.op == "/=":
            # total_cents /= 100: minor units divided into a float.
            target = _identifier(node.target)
            if target is not None and self.vocab.minor(target):
                out.float_level = _STRONG
        for leaf in self._leaves(node):
            if isinstance(leaf, nodes.Const):
                if isinstance(leaf.value, float):
                    out.float_level = _STRONG
                continue
            if isinstance(leaf, nodes.BinOp) and leaf.op == "/":
                # A division: money / money is a ratio, minor units / anything is a float.
                left = self._evaluate(leaf.left, fields, depth)
                right = self._evaluate(leaf.right, fields, depth)
                out.excluded = out.excluded or left.excluded
                if left.money and right.money:
                    continue
                if left.money:
                    out.money = out.money or left.money
                if self._minor_in(leaf.left) or left.float_level == _STRONG:
                    out.float_level = _STRONG
                else:
                    out.float_level = max(out.float_level, left.float_level, right.float_level)
                continue
            if isinstance(leaf, nodes.Call) and _builtin(leaf) == "float":
                out.float_level = _STRONG
                inner = self._evaluate(leaf.args[0], fields, depth) if leaf.args else Chain()
                out.money = out.money or inner.money
                out.excluded = out.excluded or inner.excluded
                continue
            ident = _identifier(leaf)
            if ident is not None:
                if self.vocab.excluded(ident):
                    out.excluded = out.excluded or _is_whole_chain(leaf, node)
                elif self.vocab.money(ident):
                    out.money = out.money or ident
            level = self._float_level(leaf, fields, depth)
            out.float_level = max(out.float_level, level)
        return out

    def _leaves(self, node: nodes.NodeNG) -> Iterator[nodes.NodeNG]:
        """The operands of a chain, through arithmetic and the builtins it passes through;
        a division is a leaf of its own (see _evaluate)."""
        stack: list[nodes.NodeNG] = [node]
        while stack:
            current = stack.pop()
            if isinstance(current, nodes.AugAssign):
                stack.extend([current.value, current.target])
                continue
            if isinstance(current, nodes.BinOp) and _is_arithmetic(current):
                if current.op == "/":
                    yield current
                    continue
                stack.extend([current.right, current.left])
            elif isinstance(current, nodes.UnaryOp):
                stack.append(current.operand)
            elif isinstance(current, nodes.IfExp):
                stack.extend([current.orelse, current.body])
            elif isinstance(current, nodes.Call) and _builtin(current) in _PASS_CALLS - {"float"}:
                args = list(current.args or [])
                if _builtin(current) == "round":
                    args = args[:1]
                for arg in reversed(args):
                    if isinstance(arg, (nodes.GeneratorExp, nodes.ListComp)):
                        stack.append(arg.elt)
                    elif isinstance(arg, nodes.Const) and _builtin(current) in ("min", "max"):
                        continue  # max(fee, 0.5): a bound, no arithmetic
                    else:
                        stack.append(arg)
            else:
                yield current

    def _minor_in(self, node: nodes.NodeNG) -> bool:
        return any(
            (ident := _identifier(leaf)) is not None and self.vocab.minor(ident)
            for leaf in self._leaves(node)
        )

    def _float_level(self, leaf: nodes.NodeNG, fields: frozenset[str], depth: int) -> int:
        if isinstance(leaf, nodes.Attribute) and leaf.attrname in fields:
            return _STRONG
        if isinstance(leaf, (nodes.Name, nodes.AssignName)) and depth < _MAX_DEPTH:
            name = str(leaf.name)
            ann = _param_annotation(leaf, name)
            if ann is not None:
                if self._float_annotation(ann) is None:
                    return 0
                return _COVERED if self.vocab.money(name) else _STRONG
            if isinstance(leaf, nodes.Name):
                bound = single_binding(leaf)
                if bound is None or enclosing_function(bound) is not enclosing_function(leaf):
                    return 0
                if isinstance(bound, nodes.Const):
                    return _STRONG if isinstance(bound.value, float) else 0
                chain = self._evaluate(bound, fields, depth + 1)
                if chain.float_level == 0:
                    return 0
                reported = chain.float_level == _STRONG and (
                    chain.money is not None or self._purpose_money(bound) is not None
                )
                return _COVERED if reported else _STRONG
        return 0

    def _is_decimal(self, node: nodes.NodeNG, depth: int) -> bool:
        if depth > _MAX_DEPTH:
            return False
        if isinstance(node, nodes.Call):
            func = node.func
            if isinstance(func, nodes.Attribute) and func.attrname == "quantize":
                return True
            return resolve(func, self.decimal_types) is not None
        if isinstance(node, nodes.Name):
            ann = _param_annotation(node, str(node.name))
            if ann is not None:
                return resolve(ann, self.decimal_types) is not None
            bound = single_binding(node)
            return bound is not None and self._is_decimal(bound, depth + 1)
        return False


def _starts_chain(call: nodes.Call) -> bool:
    """A builtin call that computes on money: float(), sum(), min(), max(), abs(), and round()
    with digits (round(x) alone makes a whole number)."""
    builtin = _builtin(call)
    if builtin == "round":
        return len(call.args or []) >= 2
    return builtin in _PASS_CALLS


def _continues_chain(current: nodes.NodeNG, parent: nodes.NodeNG | None) -> bool:
    """``parent`` computes on ``current`` and stays the same kind of value: arithmetic, a
    sign, or a builtin it passes through (round with digits, which keeps a float)."""
    if isinstance(parent, nodes.BinOp):
        return _is_arithmetic(parent)
    if isinstance(parent, nodes.UnaryOp):
        return True
    if isinstance(parent, nodes.Call) and current is not parent.func:
        return _starts_chain(parent)
    return False


def _identifier(node: nodes.NodeNG) -> str | None:
    """The name a leaf goes by: ``price``, ``order.total``, ``item["price"]``,
    ``item.get("price")``, ``get_price()``."""
    if isinstance(node, (nodes.Name, nodes.AssignName)):
        return str(node.name)
    if isinstance(node, (nodes.Attribute, nodes.AssignAttr)):
        return str(node.attrname)
    if isinstance(node, nodes.Subscript):
        key = node.slice
        if isinstance(key, nodes.Const) and isinstance(key.value, str):
            return key.value
        return _identifier(node.value)
    if isinstance(node, nodes.Call):
        func = node.func
        args = node.args or []
        if (
            isinstance(func, nodes.Attribute)
            and func.attrname == "get"
            and args
            and isinstance(args[0], nodes.Const)
            and isinstance(args[0].value, str)
        ):
            return args[0].value
        if isinstance(func, nodes.Attribute):
            return str(func.attrname)
        if isinstance(func, nodes.Name):
            return str(func.name)
    return None


def _is_whole_chain(leaf: nodes.NodeNG, top: nodes.NodeNG) -> bool:
    """An excluded name vetoes the chain only when it is the chain itself (float(ratio));
    ``amount * tax_rate`` stays money."""
    return leaf is top or (isinstance(top, nodes.Call) and leaf in (top.args or []))


def _target_name(target: nodes.NodeNG) -> str | None:
    if isinstance(target, nodes.AssignName):
        return str(target.name)
    if isinstance(target, nodes.AssignAttr):
        return str(target.attrname)
    if isinstance(target, nodes.Subscript):
        key = target.slice
        if isinstance(key, nodes.Const) and isinstance(key.value, str):
            return key.value
    return None


def _annotated_params(args: nodes.Arguments) -> Iterator[tuple[nodes.AssignName, nodes.NodeNG]]:
    groups: Sequence[tuple[list[nodes.AssignName] | None, list[nodes.NodeNG | None]]] = (
        (args.posonlyargs, args.posonlyargs_annotations),
        (args.args, args.annotations),
        (args.kwonlyargs, args.kwonlyargs_annotations),
    )
    for params, anns in groups:
        for param, ann in zip(params or [], anns or [], strict=False):
            if ann is not None:
                yield param, ann


def _param_annotation(node: nodes.NodeNG, name: str) -> nodes.NodeNG | None:
    """The annotation of the parameter ``node`` names, when it names one."""
    try:
        _, assignments = node.lookup(name)
    except (AttributeError, astroid.AstroidError):
        return None
    if len(assignments) != 1:
        return None
    param = assignments[0]
    args = param.parent
    if not isinstance(args, nodes.Arguments):
        return None
    for p, ann in _annotated_params(args):
        if p is param:
            return ann
    return None


def _builtin(call: nodes.Call) -> str | None:
    """The builtin a call calls (``float``, ``round`` ...), unless the name is rebound."""
    func = call.func
    if not isinstance(func, nodes.Name):
        return None
    name = str(func.name)
    return name if name in names_of(func) else None


def _is_arithmetic(node: nodes.BinOp) -> bool:
    """Arithmetic, not string formatting (``"%.2f" % x``) or concatenation."""
    if node.op not in _ARITHMETIC:
        return False
    return not (_is_str_const(node.left) or _is_str_const(node.right))


def _is_str_const(node: nodes.NodeNG) -> bool:
    return isinstance(node, nodes.Const) and isinstance(node.value, str)
