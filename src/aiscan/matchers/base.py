"""The matcher protocol, context conditions shared by matcher kinds, and finding construction."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from astroid import nodes

from aiscan.engine.context import (
    FileContext,
    caller_purpose_names,
    enclosing_function,
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


@dataclass(frozen=True)
class Prefilter:
    """A necessary condition on a file's raw text: any word (whole identifier) or any regex.

    ``always`` means the matcher must see every file.
    """

    words: frozenset[str] = frozenset()
    regexes: tuple[str, ...] = ()
    always: bool = False

    @staticmethod
    def for_names(names: Iterable[str]) -> Prefilter:
        words = set()
        for name in names:
            head = name.split(".", 1)[0]
            if head and head != "*":
                words.add(head)
            tail = name.rsplit(".", 1)[-1]
            if tail != "*":
                words.add(tail)
        return Prefilter(words=frozenset(words))


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
        self.purpose_re = _opt_re(spec.get("purpose-regex"))
        self.not_purpose_re = _opt_re(spec.get("not-purpose-regex"))
        self.caller_purpose_re = _opt_re(spec.get("caller-purpose-regex"))
        self.not_caller_purpose_re = _opt_re(spec.get("not-caller-purpose-regex"))
        self.file_re = _opt_re(spec.get("file-regex"))
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
        if "route-handler" in spec or self.function_re is not None:
            func = enclosing_function(node)
        if "route-handler" in spec and ctx.is_route_handler(func) != spec["route-handler"]:
            return False
        if self.function_re is not None:
            if func is None or not self.function_re.search(str(func.name)):
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
        return True


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
