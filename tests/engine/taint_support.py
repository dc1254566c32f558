"""Shared helpers for the taint-engine tests: scan small programs, read the expected findings."""

from __future__ import annotations

import re
import textwrap
from collections.abc import Mapping
from pathlib import Path

from aiscan import load_rules, scan, scan_source
from aiscan.config import Config
from aiscan.model import Finding, ScanResult

TAINT_IDS = ("AIS201", "AIS202")
TAINT_RULES = load_rules().select(list(TAINT_IDS))

# A trailing ``# AIS201`` on a line says: the scanner reports AIS201 on this line (the sink
# call). A program without any marker must produce no taint finding at all.
_MARK = re.compile(r"#\s*(AIS20[12])\b")

PRELUDE = """\
import functools
import os
import re
import shlex
import subprocess
import sys
import uuid

from flask import Flask, abort, request

app = Flask(__name__)
ALLOWED = ("size", "time", "version")
COLUMNS = {"name": "name", "date": "created_at"}
"""


def program(body: str) -> str:
    """A Flask module: the shared imports and constants, then ``body``."""
    return PRELUDE + "\n" + textwrap.dedent(body).lstrip("\n")


def marked(code: str, path: str | None = None) -> set[tuple[str, ...]]:
    """The (rule, line) pairs (or (rule, path, line) when ``path`` is given) marked in ``code``."""
    out: set[tuple[str, ...]] = set()
    for number, line in enumerate(code.splitlines(), start=1):
        for match in _MARK.finditer(line):
            key = (match.group(1), number) if path is None else (match.group(1), path, number)
            out.add(key)  # type: ignore[arg-type]
    return out


def _checked(result: ScanResult) -> ScanResult:
    assert not result.errors, f"the scan reported errors: {result.errors}"
    return result


def scan_snippet(code: str, filename: str = "app.py") -> ScanResult:
    return _checked(scan_source(code, filename=filename, rules=TAINT_RULES))


def taint_findings(result: ScanResult) -> list[Finding]:
    return [f for f in result.findings if f.rule_id in TAINT_IDS]


def found_lines(code: str, filename: str = "app.py") -> set[tuple[str, int]]:
    """The (rule, line) pairs the scanner reports for ``code``."""
    return {(f.rule_id, f.line) for f in taint_findings(scan_snippet(code, filename))}


def write_tree(root: Path, files: Mapping[str, str]) -> None:
    for rel, text in files.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")


def scan_tree(root: Path, files: Mapping[str, str]) -> ScanResult:
    """Write ``files`` (relative path -> source) under ``root`` and scan them together."""
    write_tree(root, files)
    return _checked(scan([root], rules=TAINT_RULES, config=Config(), jobs=1, root=root))


def tree_marked(files: Mapping[str, str]) -> set[tuple[str, ...]]:
    out: set[tuple[str, ...]] = set()
    for rel, text in files.items():
        out |= marked(textwrap.dedent(text).lstrip("\n"), rel)
    return out


def tree_found(result: ScanResult) -> set[tuple[str, ...]]:
    return {(f.rule_id, f.path, f.line) for f in taint_findings(result)}
