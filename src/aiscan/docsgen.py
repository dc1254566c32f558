"""Generate docs/rules/ from rule metadata; ``--check`` fails when the pages are stale."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from aiscan.cli import rule_markdown
from aiscan.loader import RuleSet, load_rules


def render_pages(ruleset: RuleSet) -> dict[str, str]:
    """File name -> contents for docs/rules/: one page per rule and an index table."""
    pages = {f"{rule.name}.md": rule_markdown(rule) for rule in ruleset.rules}
    rows = [
        f"| [{r.id}]({r.name}.md) | {r.name} | {r.category} | {r.severity} | {r.confidence} "
        f"| {r.mode} | {r.summary} |"
        for r in ruleset.rules
    ]
    pages["README.md"] = (
        "# Built-in rules\n\n"
        "Generated from the rule files by `python -m aiscan.docsgen`; do not edit by hand.\n\n"
        "| id | name | category | severity | confidence | mode | summary |\n"
        "|---|---|---|---|---|---|---|\n" + "\n".join(rows) + "\n"
    )
    return pages


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m aiscan.docsgen", description=__doc__)
    parser.add_argument("--out", default="docs/rules", help="folder to write (default docs/rules)")
    parser.add_argument("--check", action="store_true", help="exit 1 when the folder is stale")
    args = parser.parse_args(argv)
    out = Path(args.out)
    pages = render_pages(load_rules())
    existing = (
        {p.name: p.read_text(encoding="utf-8") for p in out.glob("*.md")} if out.is_dir() else {}
    )
    if args.check:
        stale = sorted(
            {n for n in pages if existing.get(n) != pages[n]} | (set(existing) - set(pages))
        )
        if stale:
            print(f"docs/rules is stale: {', '.join(stale)} (run python -m aiscan.docsgen)")
            return 1
        return 0
    out.mkdir(parents=True, exist_ok=True)
    for name in set(existing) - set(pages):
        (out / name).unlink()
    for name, text in pages.items():
        (out / name).write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
