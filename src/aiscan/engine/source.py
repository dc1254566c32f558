"""Read a source file as Python does: coding cookie, BOM, any newline convention."""

from __future__ import annotations

import io
import re
import tokenize
from dataclasses import dataclass


class SourceError(Exception):
    """The bytes of a file cannot be turned into text; carries a line when one is known."""

    def __init__(self, kind: str, message: str, line: int = 0) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.line = line


@dataclass(frozen=True)
class SourceText:
    """Decoded text of a file, with its lines (no newline characters) as Python numbers them."""

    text: str
    encoding: str
    lines: tuple[str, ...]

    def line(self, number: int) -> str:
        """Line ``number`` (1-based) without its newline, or '' past the end."""
        if 1 <= number <= len(self.lines):
            return self.lines[number - 1]
        return ""

    def char_column(self, line: int, byte_offset: int) -> int:
        """Convert a 0-based UTF-8 byte offset on ``line`` into a 1-based character column."""
        text = self.line(line)
        if byte_offset <= 0:
            return 1
        raw = text.encode("utf-8")
        return len(raw[:byte_offset].decode("utf-8", errors="ignore")) + 1


_COOKIE = re.compile(rb"^[ \t\f]*#.*?coding[:=]")


def _cookie_line(data: bytes) -> int:
    """The line (1 or 2) of the coding cookie that detect_encoding rejected; 1 if none."""
    for number, line in enumerate(data.splitlines()[:2], start=1):
        if _COOKIE.match(line):
            return number
    return 1


def decode_source(data: bytes) -> SourceText:
    """Decode ``data`` as Python source: PEP 263 cookie, UTF-8 BOM, default UTF-8.

    Newlines are normalised to ``\\n`` (as the compiler sees them); CR-only files included.
    """
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as exc:
        line = getattr(exc, "lineno", 0) or _cookie_line(data)
        raise SourceError("decode-error", exc.msg or str(exc), line) from exc
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise SourceError(
            "decode-error",
            f"cannot decode as {encoding} (byte {data[exc.start]:#04x}); "
            "declare the file's encoding with a coding cookie",
            line,
        ) from exc
    except LookupError as exc:
        raise SourceError("decode-error", f"unknown encoding {encoding!r}", 1) from exc
    if text.startswith("\ufeff"):
        text = text[1:]
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    # Only "\n" ends a line for Python (str.splitlines would also split on \x0c, \u2028 ...).
    return SourceText(text, encoding, tuple(text.split("\n")))
