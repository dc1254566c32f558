"""The matcher protocol, context conditions shared by matcher kinds, and finding construction."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from astroid import nodes

from aiscan.engine.context import (
    FileContext,
    caller_purpose_names,
    enclosing_function,
    is_whole_value,
    purpose_names,
)
from aiscan.engine.names import NameIndex, resolve
from aiscan.matchers.values import walk
from aiscan.model import Finding, FlowStep, Location, Rule

_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


class Matcher(Protocol):
    """What every matcher kind provides to the engine."""

    rule: Rule

    def prefilter(self) -> Prefilter:
        """What a file's text must contain for this matcher to possibly report in it."""
        ...

    def check(self, ctx: FileContext) -> Iterable[Finding]:
        """Every finding of this rule in the file."""
        ...


def rule_applies_to(rule: Rule, relpath: str) -> bool:
    """The rule-level ``where`` conditions that depend only on the file (test-file,
    file-regex): checked before a file is parsed, so that excluded files cost nothing."""
    from aiscan.engine.context import is_test_path

    where = rule.spec.get("where") or {}
    if "test-file" in where and is_test_path(relpath) != where["test-file"]:
        return False
    pattern = where.get("file-regex")
    return not (pattern and not re.search(pattern, relpath))


_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def words_in(text: str) -> frozenset[str]:
    """The identifiers (and identifier-like words) of a text, computed once per file."""
    return frozenset(_WORD.findall(text))


@dataclass(frozen=True)
class Prefilter:
    """A necessary condition on a file's raw text. It holds when any of ``words`` occurs,
    when every word of any clause in ``all_of`` occurs, or when any regex matches.

    ``always`` means the matcher must see every file.
    """

    words: frozenset[str] = frozenset()
    regexes: tuple[str, ...] = ()
    always: bool = False
    all_of: tuple[frozenset[str], ...] = ()

    @staticmethod
    def for_names(names: Iterable[str]) -> Prefilter:
        """A file that uses ``pkg.mod.name`` spells ``name`` (at the use, or in the import
        that aliases it) and ``pkg`` (in its imports). A builtin spells its own name.

        One case escapes: a method called on an object whose type only inference reveals,
        in a file that never names the package (a session built by a factory in another
        module). Those files are not parsed for the rule: the price of not parsing most of a
        code base for every rule.
        """
        words: set[str] = set()
        clauses: set[frozenset[str]] = set()
        for name in names:
            if "*" in name:
                return Prefilter(always=True)
            head, _, rest = name.partition(".")
            if not rest:
                words.add(head)
            else:
                clauses.add(frozenset({head, name.rsplit(".", 1)[-1]}))
        return Prefilter(words=frozenset(words), all_of=tuple(sorted(clauses, key=sorted)))

    def merged(self, other: Prefilter) -> Prefilter:
        return Prefilter(
            words=self.words | other.words,
            regexes=self.regexes + other.regexes,
            always=self.always or other.always,
            all_of=self.all_of + other.all_of,
        )

    def compile(self) -> Callable[[str, frozenset[str]], bool]:
        """A test on (text, words of the text)."""
        if self.always:
            return lambda text, present: True
        words = self.words
        clauses = self.all_of
        regex = re.compile("|".join(f"(?:{r})" for r in self.regexes)) if self.regexes else None

        def test(text: str, present: frozenset[str]) -> bool:
            if words and not words.isdisjoint(present):
                return True
            if any(clause <= present for clause in clauses):
                return True
            return regex is not None and regex.search(text) is not None

        return test


def render_message(template: str, values: Mapping[str, str]) -> str:
    """Fill ``{placeholders}``; unknown ones are left as written."""

    def sub(match: re.Match[str]) -> str:
        return values.get(match.group(1), match.group(0))

    return _PLACEHOLDER.sub(sub, template)


def make_finding(
    rule: Rule,
    location: Location,
    values: Mapping[str, str],
    *,
    message: str | None = None,
    flow: tuple[FlowStep, ...] = (),
) -> Finding:
    return Finding(
        rule_id=rule.id,
        rule_name=rule.name,
        category=rule.category,
        cwe=rule.cwe,
        severity=rule.severity,
        confidence=rule.confidence,
        message=render_message(message or rule.message, values),
        location=location,
        flow=flow,
    )


class ContextCondition:
    """A compiled ``where:`` / ``unless:`` block: every property given must hold."""

    def __init__(self, spec: Mapping[str, Any]) -> None:
        self.spec = dict(spec)
        self.function_re = _opt_re(spec.get("function-regex"))
        self.not_function_re = _opt_re(spec.get("not-function-regex"))
        self.purpose_re = _opt_re(spec.get("purpose-regex"))
        self.not_purpose_re = _opt_re(spec.get("not-purpose-regex"))
        self.caller_purpose_re = _opt_re(spec.get("caller-purpose-regex"))
        self.not_caller_purpose_re = _opt_re(spec.get("not-caller-purpose-regex"))
        self.file_re = _opt_re(spec.get("file-regex"))
        self.body_re = _opt_re(spec.get("function-text-regex"))
        self.not_body_re = _opt_re(spec.get("not-function-text-regex"))
        followed = spec.get("followed-by-call")
        self.followed_by = NameIndex(followed) if followed else None

    def holds(
        self, ctx: FileContext, node: nodes.NodeNG, value: nodes.NodeNG | None = None
    ) -> bool:
        spec = self.spec
        if "test-file" in spec and ctx.is_test != spec["test-file"]:
            return False
        if self.file_re is not None and not self.file_re.search(ctx.path):
            return False
        func = None
        if (
            "route-handler" in spec
            or self.function_re is not None
            or self.not_function_re is not None
            or self.body_re is not None
            or self.not_body_re is not None
        ):
            func = enclosing_function(node)
        if "route-handler" in spec and ctx.is_route_handler(func) != spec["route-handler"]:
            return False
        if self.function_re is not None:
            if func is None or not self.function_re.search(str(func.name)):
                return False
        if self.not_function_re is not None:
            if func is not None and self.not_function_re.search(str(func.name)):
                return False
        if self.body_re is not None or self.not_body_re is not None:
            # The enclosing function's code, decorators included, comments left out.
            body = _code_of(func) if func is not None else ""
            if self.body_re is not None and not self.body_re.search(body):
                return False
            if self.not_body_re is not None and self.not_body_re.search(body):
                return False
        if self.purpose_re is not None or self.not_purpose_re is not None:
            names = purpose_names(value if value is not None else node)
            if self.purpose_re is not None and not any(self.purpose_re.search(n) for n in names):
                return False
            if self.not_purpose_re is not None and any(
                self.not_purpose_re.search(n) for n in names
            ):
                return False
        if self.caller_purpose_re is not None or self.not_caller_purpose_re is not None:
            names = caller_purpose_names(value if value is not None else node)
            if self.caller_purpose_re is not None and not any(
                self.caller_purpose_re.search(n) for n in names
            ):
                return False
            if self.not_caller_purpose_re is not None and any(
                self.not_caller_purpose_re.search(n) for n in names
            ):
                return False
        if self.followed_by is not None and not _followed_by_call(node, self.followed_by):
            return False
        if "whole-value" in spec:
            whole = is_whole_value(value if value is not None else node)
            if whole != bool(spec["whole-value"]):
                return False
        return True


def _code_of(func: nodes.FunctionDef) -> str:
    try:
        return str(func.as_string())
    except (AttributeError, RecursionError, ValueError):
        return ""


def _followed_by_call(node: nodes.NodeNG, names: NameIndex) -> bool:
    """The enclosing function (the module, at top level) calls one of ``names`` after ``node``
    ends, later in the source."""
    scope: nodes.NodeNG = enclosing_function(node) or node.root()
    end = (node.end_lineno or node.lineno or 0, node.end_col_offset or 0)
    for sub in walk(scope):
        if not isinstance(sub, nodes.Call):
            continue
        if (sub.lineno or 0, sub.col_offset or 0) < end:
            continue
        if resolve(sub.func, names) is not None:
            return True
    return False


def _opt_re(pattern: str | None) -> re.Pattern[str] | None:
    return re.compile(pattern) if pattern else None
