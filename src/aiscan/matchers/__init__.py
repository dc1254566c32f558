"""Matcher kinds: one module per ``mode`` a rule can use."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from aiscan.matchers.base import Matcher
from aiscan.matchers.pattern import PatternMatcher
from aiscan.model import Rule

MATCHER_KINDS: dict[str, Callable[[Rule], Matcher]] = {
    "pattern": PatternMatcher,
}


def build_matchers(rules: Iterable[Rule]) -> list[Matcher]:
    """One compiled matcher per rule, in rule order."""
    out: list[Matcher] = []
    for rule in rules:
        factory = MATCHER_KINDS.get(rule.mode)
        if factory is None:
            raise ValueError(f"{rule.source}: rule {rule.id}: no matcher for mode {rule.mode!r}")
        out.append(factory(rule))
    return out
