"""docs/rules/ is generated from rule metadata and must not be stale."""

from __future__ import annotations

from pathlib import Path

from aiscan.docsgen import render_pages
from aiscan.loader import load_rules

DOCS = Path(__file__).resolve().parents[1] / "docs" / "rules"


def test_rule_docs_are_current() -> None:
    pages = render_pages(load_rules())
    existing = {p.name: p.read_text(encoding="utf-8") for p in DOCS.glob("*.md")}
    stale = sorted({n for n in pages if existing.get(n) != pages[n]} | (set(existing) - set(pages)))
    assert not stale, f"regenerate with `python -m aiscan.docsgen`: {stale}"


def test_every_rule_page_has_the_fixed_headings() -> None:
    for name, text in render_pages(load_rules()).items():
        if name == "README.md":
            continue
        for heading in ("## What it does", "## Why is this bad?", "## Example", "## Use instead"):
            assert heading in text, f"{name} lacks {heading}"
