"""Reporters turn a ScanResult into text: one module per format, one function each."""

from __future__ import annotations

from typing import Protocol

from aiscan.model import ScanResult
from aiscan.reporters.json import render_json
from aiscan.reporters.sarif import render_sarif
from aiscan.reporters.text import render_text


class Reporter(Protocol):
    """``render(result) -> str``: the whole report, ending with a newline."""

    def __call__(self, result: ScanResult, /) -> str: ...


#: The formats ``aiscan scan --format`` offers, by name.
REPORTERS: dict[str, Reporter] = {
    "text": render_text,
    "json": render_json,
    "sarif": render_sarif,
}

__all__ = ["REPORTERS", "Reporter", "render_json", "render_sarif", "render_text"]
