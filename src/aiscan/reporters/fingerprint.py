"""GitHub code scanning's primaryLocationLineHash, computed exactly as codeql-action does."""

from __future__ import annotations

import sys
from array import array

# The algorithm of github/codeql-action src/fingerprints.ts, checked against the vectors in
# ../shared/spec/github-primaryLocationLineHash-vectors.json:
#
# - the text is read as UTF-16 code units (after decoding the file as UTF-8);
# - spaces and tabs are skipped everywhere, CR becomes LF, and an LF right after a CR is skipped;
# - the hash of a line is the polynomial hash (base 37, unsigned 64-bit wraparound) of the
#   WINDOW units that start at the line's first kept unit, running on into the following
#   lines; after the last unit come one EOF sentinel (65535) and then zeros;
# - the value is the hash in lowercase hex without leading zeros, ':', and the 1-based count of
#   lines so far in the file (this one included) with the same hex value.
#
# codeql-action rolls the hash one unit at a time; a prefix hash gives the same numbers because
# hash(window starting at p) = prefix[p + WINDOW] - prefix[p] * BASE**WINDOW  (mod 2**64).

WINDOW = 100
BASE = 37
EOF = 0xFFFF
_MASK = (1 << 64) - 1
_LF = 0x0A
_BASE_POW_WINDOW = pow(BASE, WINDOW, 1 << 64)


def line_hashes(text: str) -> list[str]:
    """The primaryLocationLineHash of every line of ``text``; item ``i`` is line ``i + 1``.

    A trailing newline yields one more (empty) line, as in codeql-action.
    """
    # The order matters: only an LF *directly* after a CR is dropped (" \r \n" is two lines),
    # so CRLF pairs are merged before the blanks between a CR and an LF disappear.
    kept = text.replace("\r\n", "\n").replace("\r", "\n").replace(" ", "").replace("\t", "")
    units = array("H")
    # surrogatepass: a lone surrogate in a str is one UTF-16 unit, as in a JavaScript string.
    units.frombytes(kept.encode("utf-16-le", "surrogatepass"))
    if sys.byteorder == "big":
        units.byteswap()
    units.append(EOF)

    prefix = [0] * (len(units) + WINDOW + 1)
    starts = [0]
    value = 0
    for i, unit in enumerate(units):
        value = (value * BASE + unit) & _MASK
        prefix[i + 1] = value
        if unit == _LF:
            starts.append(i + 1)  # never past the EOF unit, which is not an LF
    for i in range(len(units), len(units) + WINDOW):
        value = (value * BASE) & _MASK
        prefix[i + 1] = value

    counts: dict[str, int] = {}
    out: list[str] = []
    for start in starts:
        digest = format((prefix[start + WINDOW] - prefix[start] * _BASE_POW_WINDOW) & _MASK, "x")
        counts[digest] = counts.get(digest, 0) + 1
        out.append(f"{digest}:{counts[digest]}")
    return out


#: The value for line 1 of an empty file; what a result gets when its file cannot be read.
EMPTY_FILE_HASH = line_hashes("")[0]


def line_hash(hashes: list[str], line: int) -> str:
    """The hash of 1-based ``line`` in ``hashes`` (from :func:`line_hashes`).

    A line outside the file gets :data:`EMPTY_FILE_HASH`: GitHub requires a value on every
    result, and a fixed one is stable from run to run (codeql-action would add none).
    """
    if 1 <= line <= len(hashes):
        return hashes[line - 1]
    return EMPTY_FILE_HASH


def decode_for_hash(data: bytes) -> str:
    """The text codeql-action hashes: the file's bytes read as UTF-8, bad bytes as U+FFFD.

    Deliberately not Python's decoding (coding cookie, BOM): GitHub reads every file as UTF-8.
    """
    return data.decode("utf-8", errors="replace")
