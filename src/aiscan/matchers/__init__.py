"""Matcher kinds: one module per ``mode`` a rule can use."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from aiscan.engine.context import FileContext
from aiscan.matchers.base import Matcher, Prefilter
from aiscan.matchers.pattern import PatternMatcher
from aiscan.model import Finding, Rule

MODES = ("pattern", "taint", "handler", "load", "money", "test", "api", "dependency")


def build_matchers(
    rules: Iterable[Rule], *, root: Path | None = None, files: Sequence[Path] = ()
) -> list[Matcher]:
    """Compiled matchers in rule order. Taint rules share one engine per process."""
    from aiscan.matchers.taint import build_taint_matchers

    rule_list = list(rules)
    unknown = [r for r in rule_list if r.mode not in MODES]
    if unknown:
        r = unknown[0]
        raise ValueError(f"{r.source}: rule {r.id}: no matcher for mode {r.mode!r}")
    taint_rules = [r for r in rule_list if r.mode == "taint"]
    taint = {m.rule.id: m for m in build_taint_matchers(taint_rules, root or Path.cwd(), files)}
    out: list[Matcher] = []
    for rule in rule_list:
        if rule.mode == "api":
            from aiscan.matchers.api import ApiMatcher

            out.append(ApiMatcher(rule, files))
            continue
        if rule.mode == "load":
            from aiscan.matchers.load import LoadMatcher

            out.append(LoadMatcher(rule, files))
            continue
        if rule.mode == "handler":
            from aiscan.matchers.handler import HandlerMatcher

            out.append(HandlerMatcher(rule))
            continue
        if rule.mode == "dependency":
            from aiscan.matchers.dependency import DependencyMatcher

            out.append(DependencyMatcher(rule, root, files))
            continue
        if rule.mode == "money":
            from aiscan.matchers.money import MoneyMatcher

            out.append(MoneyMatcher(rule))
            continue
        if rule.mode == "test":
            from aiscan.matchers.test import TestFunctionMatcher

            out.append(TestFunctionMatcher(rule))
            continue
        if rule.mode == "taint" and "patterns" in rule.spec:
            out.append(CombinedMatcher(rule, (taint[rule.id], PatternMatcher(rule))))
            continue
        out.append(taint[rule.id] if rule.mode == "taint" else PatternMatcher(rule))
    return out


class CombinedMatcher:
    """A taint rule with ``patterns`` too: both matchers' findings, as one rule's."""

    def __init__(self, rule: Rule, parts: Sequence[Matcher]) -> None:
        self.rule = rule
        self.parts = tuple(parts)

    def prefilter(self) -> Prefilter:
        combined = Prefilter()
        for part in self.parts:
            combined = combined.merged(part.prefilter())
        return combined

    def check(self, ctx: FileContext) -> Iterator[Finding]:
        for part in self.parts:
            yield from part.check(ctx)

    def budget_note(self) -> str | None:
        for part in self.parts:
            note_fn = getattr(part, "budget_note", None)
            note = note_fn() if note_fn is not None else None
            if note:
                return str(note)
        return None
