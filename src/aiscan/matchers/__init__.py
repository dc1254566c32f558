"""Matcher kinds: one module per ``mode`` a rule can use."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from aiscan.matchers.base import Matcher
from aiscan.matchers.pattern import PatternMatcher
from aiscan.model import Rule

MODES = ("pattern", "taint")


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
        out.append(taint[rule.id] if rule.mode == "taint" else PatternMatcher(rule))
    return out
