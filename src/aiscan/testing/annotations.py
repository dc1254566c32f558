"""Fixture annotations: ``# expect: AIS102`` and friends, read from real comments."""

from __future__ import annotations

import io
import re
import tokenize
from dataclasses import dataclass

KINDS = ("expect", "clean", "source", "missing", "spurious")

_ANNOTATION = re.compile(
    r"(?P<kind>expect|clean|source|missing|spurious)(?P<offset>[+-]\d+)?\s*:\s*"
    r"(?P<ids>[A-Za-z][A-Za-z0-9_-]*(?:\s*,\s*[A-Za-z][A-Za-z0-9_-]*)*)"
)


class AnnotationError(Exception):
    """A comment that looks like an annotation but cannot be read."""


@dataclass(frozen=True)
class Annotation:
    """One annotation: ``kind`` of ``rule_id`` on ``line`` of ``path`` (the line it refers to)."""

    kind: str
    rule_id: str
    path: str
    line: int
    comment_line: int


def parse_annotations(text: str, path: str) -> list[Annotation]:
    """Annotations in the comments of ``text``; ``+N`` refers N lines below the comment.

    Several annotations may share a comment, separated by ``;``:
    ``# expect: AIS102; source: AIS101``.
    """
    out: list[Annotation] = []
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        # A fixture that does not tokenize (for instance a syntax-error fixture) carries no
        # annotations that tokenize can see; read none rather than guess.
        return out
    for tok in tokens:
        if tok.type != tokenize.COMMENT:
            continue
        body = tok.string.lstrip("#").strip()
        for part in (p.strip() for p in body.split(";")):
            match = _ANNOTATION.fullmatch(part)
            if match is None:
                if re.match(r"(expect|clean|source|missing|spurious)[+-]?\d*\s*:", part):
                    raise AnnotationError(f"{path}:{tok.start[0]}: cannot read annotation {part!r}")
                continue
            offset = int(match.group("offset") or 0)
            line = tok.start[0] + offset
            for rule_id in (i.strip() for i in match.group("ids").split(",")):
                out.append(Annotation(match.group("kind"), rule_id, path, line, tok.start[0]))
    return out
