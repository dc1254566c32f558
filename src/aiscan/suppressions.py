"""Inline suppressions: ``# aiscan: ignore[AIS102] -- reason`` on the reported line."""

from __future__ import annotations

import io
import re
import tokenize
from dataclasses import dataclass

from aiscan.model import Suppression

_MARKER = re.compile(r"#\s*aiscan\s*:\s*ignore\b(?P<rest>.*)$", re.IGNORECASE)
_FULL = re.compile(
    r"^\[(?P<ids>[^\]]*)\]\s*(?:--\s*(?P<reason>.*))?$",
)
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")


@dataclass(frozen=True)
class BadSuppression:
    """A suppression comment that is not honoured, and why."""

    line: int
    column: int
    message: str


def parse_suppressions(text: str) -> tuple[dict[int, Suppression], list[BadSuppression]]:
    """Read suppression comments from real comments (tokenize, not a regex over the text)."""
    found: dict[int, Suppression] = {}
    bad: list[BadSuppression] = []
    if "aiscan" not in text:
        return found, bad
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return found, bad
    for tok in tokens:
        if tok.type != tokenize.COMMENT:
            continue
        match = _MARKER.search(tok.string)
        if match is None:
            continue
        line, col = tok.start
        rest = match.group("rest").strip()
        full = _FULL.match(rest)
        if full is None:
            bad.append(
                BadSuppression(
                    line,
                    col + 1,
                    "suppression needs rule ids and a reason: "
                    "# aiscan: ignore[AIS102] -- why this is safe",
                )
            )
            continue
        ids = tuple(i.strip() for i in full.group("ids").split(",") if i.strip())
        reason = (full.group("reason") or "").strip()
        if not ids or not all(_ID.match(i) for i in ids):
            bad.append(BadSuppression(line, col + 1, "suppression names no valid rule id"))
            continue
        if not reason:
            bad.append(
                BadSuppression(
                    line,
                    col + 1,
                    f"suppression of {', '.join(ids)} gives no reason (add ' -- why this is safe')",
                )
            )
            continue
        found[line] = Suppression(ids, reason, line)
    return found, bad
