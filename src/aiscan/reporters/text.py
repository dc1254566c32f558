"""The text reporter: findings by file with a code frame, then errors, then a one-line summary."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

from aiscan.engine.source import SourceError, decode_source
from aiscan.model import Finding, ScanError, ScanResult
from aiscan.reporters._common import read_scanned_file

TAB_WIDTH = 4

_RESET = "\x1b[0m"
_BOLD = "\x1b[1m"
_DIM = "\x1b[2m"
_SEVERITY_STYLE = {"error": "\x1b[1;31m", "warning": "\x1b[1;33m", "note": "\x1b[1;36m"}

# Control characters from a message, a path or a source line would act on the terminal (or
# break a line in two), and bidirectional controls would reorder what a reviewer sees (Trojan
# Source, CVE-2021-42574); all are shown escaped instead. Tabs are handled by _display.
_CONTROLS = {c: f"\\x{c:02x}" for c in (*range(0x20), *range(0x7F, 0xA0)) if c != 0x09}
_CONTROLS.update(
    {c: f"\\u{c:04x}" for c in (0x2028, 0x2029, *range(0x202A, 0x202F), *range(0x2066, 0x206A))}
)


def render_text(result: ScanResult, *, color: bool = False, show_suppressed: bool = False) -> str:
    """``result`` for a person to read; the last line is always a one-line summary."""
    style = _Style(color)
    sources = _Sources(result.root)
    out: list[str] = []

    shown = list(result.findings)
    if show_suppressed:
        shown.extend(result.suppressed)
    by_path: dict[str, list[Finding]] = {}
    for finding in shown:
        by_path.setdefault(finding.path, []).append(finding)
    for path in sorted(by_path):
        out.append(style(_BOLD, _clean(path)))
        for finding in sorted(by_path[path], key=Finding.sort_key):
            out.extend(_finding(finding, sources, style))
        out.append("")

    if result.errors:
        out.append(style(_BOLD, "Problems with the input:"))
        for error in result.errors:
            out.append(_error(error, style))
        out.append("")

    target = environment_line(result)
    if target:
        out.append(target)
    out.append(summary_line(result))
    return "\n".join(out) + "\n"


def environment_line(result: ScanResult, limit: int = 8) -> str:
    """E.g. ``Analysed against Python 3.11.7 (.venv at the project root: /p/.venv/bin/python);
    imports resolved in: PyJWT 2.8.0, requests 2.32.3``."""
    target = result.target
    if not target:
        return ""
    text = (
        f"Analysed against Python {target.get('python_version', '?')} "
        f"({target.get('origin', '?')}: {_clean(str(target.get('python', '?')))})"
    )
    dists = target.get("distributions")
    if isinstance(dists, dict) and dists:
        items = [f"{_clean(str(name))} {_clean(str(version))}" for name, version in dists.items()]
        shown = ", ".join(items[:limit])
        if len(items) > limit:
            shown += f" and {len(items) - limit} more"
        text += f"; installed packages it imports: {shown}"
    return text


def summary_line(result: ScanResult) -> str:
    """E.g. ``3 findings (1 error, 2 warnings) in 12 files; 1 suppressed; 2 files not analysed``."""
    counts = {"error": 0, "warning": 0, "note": 0}
    for finding in result.findings:
        counts[finding.severity] += 1
    text = _plural(len(result.findings), "finding")
    detail = ", ".join(_plural(n, severity) for severity, n in counts.items() if n)
    if detail:
        text += f" ({detail})"
    text += f" in {_plural(result.files_scanned, 'file')}"
    if result.suppressed:
        text += f"; {len(result.suppressed)} suppressed"
    not_analysed = len({e.path for e in result.errors if e.fatal})
    if not_analysed:
        text += f"; {_plural(not_analysed, 'file')} not analysed"
    input_warnings = sum(1 for e in result.errors if not e.fatal)
    if input_warnings:
        text += f"; {_plural(input_warnings, 'input warning')}"
    return text


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


class _Style:
    def __init__(self, color: bool) -> None:
        self.color = color

    def __call__(self, code: str, text: str) -> str:
        return f"{code}{text}{_RESET}" if self.color else text


class _Sources:
    """The lines of each scanned file as the engine numbered them, read once; None if unreadable."""

    def __init__(self, root: str) -> None:
        self._root = root
        self._files: dict[str, tuple[str, ...] | None] = {}

    def line(self, path: str, number: int) -> str | None:
        if path not in self._files:
            self._files[path] = self._read(path)
        lines = self._files[path]
        if lines is None or not 1 <= number <= len(lines):
            return None
        return lines[number - 1]

    def _read(self, path: str) -> tuple[str, ...] | None:
        data = read_scanned_file(self._root, path)
        if data is None:
            return None
        try:
            # The engine's own decoding (coding cookie, BOM, newlines), so that line and column
            # numbers mean here what they meant to the rule that reported them.
            return decode_source(data).lines
        except SourceError:
            return None


def _finding(finding: Finding, sources: _Sources, style: _Style) -> Iterable[str]:
    severity = style(_SEVERITY_STYLE[finding.severity], f"{finding.severity:<7}")
    where = f"{finding.line}:{finding.column}"
    suppressed = ""
    if finding.suppression is not None:
        reason = finding.suppression.reason
        suppressed = style(_DIM, f"  (suppressed{': ' + _clean(reason) if reason else ''})")
    yield (
        f"  {where}  {severity}  {style(_DIM, finding.rule_id)}  "
        f"{_clean(finding.message)}{suppressed}"
    )
    yield from _code_frame(finding, sources, style)
    for i, step in enumerate(finding.flow, start=1):
        label = "    flow: " if i == 1 else "          "
        at = f"{step.location.path}:{step.location.line}"
        yield f"{label}{i}. {_clean(at)} {_clean(step.message)}".rstrip()


def _code_frame(finding: Finding, sources: _Sources, style: _Style) -> Iterable[str]:
    line = sources.line(finding.path, finding.line)
    if line is None:
        return
    start = max(1, finding.column) - 1
    if finding.end_line == finding.line:
        end = max(finding.end_column - 1, start + 1)
    else:
        end = max(len(line), start + 1)  # a span over several lines: underline to the end
    before = _display(line[:start])
    span = _display(line[start:end])
    marks = "^" * max(1, _width(span))
    gutter = str(finding.line)
    underline = style(_SEVERITY_STYLE[finding.severity], marks)
    yield f"    {gutter} | {_display(line)}".rstrip()
    yield f"    {' ' * len(gutter)} | {' ' * _width(before)}{underline}"


def _display(text: str) -> str:
    """``text`` as the terminal will show it: tabs expanded, control characters escaped."""
    return _clean(text.replace("\t", " " * TAB_WIDTH))


def _width(text: str) -> int:
    """Terminal cells ``text`` takes: wide East Asian characters 2, combining marks 0."""
    width = 0
    for char in text:
        if unicodedata.category(char) in ("Mn", "Me", "Cf"):  # combining marks, format chars
            continue
        width += 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
    return width


def _clean(text: str) -> str:
    return text.translate(_CONTROLS)


def _error(error: ScanError, style: _Style) -> str:
    label = "error" if error.fatal else "warning"
    return f"  {style(_SEVERITY_STYLE[label], f'{label:<7}')}  {_clean(str(error))}"
