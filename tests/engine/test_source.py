"""Files are read as Python reads them: cookie, BOM, any newline; lines and columns stay right."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from aiscan.api import scan
from aiscan.config import Config
from aiscan.engine.source import SourceError, decode_source
from aiscan.loader import RuleSet, load_rules
from aiscan.model import Finding

# The finding (AIS101) starts after a non-ASCII character, so a byte offset would be off by one
# (latin-1 is one byte, UTF-8 two): the column is 10 in characters whatever the encoding.
LINE = 'x = "é"; requests.get(u, verify=False, timeout=5)'
CALL = "requests.get(u, verify=False, timeout=5)"
COLUMN = LINE.index(CALL) + 1
END_COLUMN = COLUMN + len(CALL)


@pytest.fixture(scope="module")
def rules() -> RuleSet:
    return load_rules().select(["AIS101"])


def scan_bytes(tmp_path: Path, rules: RuleSet, data: bytes) -> list[Finding]:
    path = tmp_path / "mod.py"
    path.write_bytes(data)
    result = scan([path], rules=rules, config=Config(), jobs=1, root=tmp_path)
    assert result.errors == (), result.errors
    return list(result.findings)


def assert_one_finding(findings: list[Finding], line: int) -> None:
    assert [(f.rule_id, f.line, f.column, f.end_line, f.end_column) for f in findings] == [
        ("AIS101", line, COLUMN, line, END_COLUMN)
    ]


# --- decode_source -------------------------------------------------------------------------------


def test_utf8_by_default() -> None:
    src = decode_source("é = 1\n".encode())
    assert (src.encoding, src.text, src.lines) == ("utf-8", "é = 1\n", ("é = 1", ""))


def test_a_coding_cookie_is_honoured() -> None:
    src = decode_source("# -*- coding: latin-1 -*-\nx = 'é'\n".encode("latin-1"))
    assert src.encoding == "iso-8859-1"
    assert src.line(2) == "x = 'é'"


def test_a_bom_is_dropped() -> None:
    src = decode_source(b"\xef\xbb\xbfx = 1\n")
    assert src.encoding == "utf-8-sig"
    assert src.line(1) == "x = 1"


@pytest.mark.parametrize("newline", ["\r\n", "\r", "\n"])
def test_every_newline_convention_numbers_lines_alike(newline: str) -> None:
    src = decode_source(newline.join(["a = 1", "", "b = 2", ""]).encode())
    assert src.lines == ("a = 1", "", "b = 2", "")
    assert "\r" not in src.text


def test_form_feed_and_unicode_line_separators_do_not_end_lines() -> None:
    """str.splitlines() would split on these; Python's tokenizer does not."""
    text = "a = 1\n\x0c\nb = 'x\u2028y\x85z'\nc = 3\n"
    src = decode_source(text.encode())
    assert len(src.lines) == 5
    assert src.line(4) == "c = 3"
    tree = ast.parse(src.text)
    assert [node.lineno for node in tree.body] == [1, 3, 4]


def test_empty_file() -> None:
    src = decode_source(b"")
    assert src.text == ""
    assert src.line(1) == ""


def test_undecodable_bytes_name_their_line() -> None:
    with pytest.raises(SourceError) as info:
        decode_source(b"x = 1\ny = 2\nz = '\xff'\n")
    assert info.value.line == 3
    assert "coding cookie" in info.value.message


def test_an_unknown_encoding_names_the_cookie_line() -> None:
    with pytest.raises(SourceError) as info:
        decode_source(b"#!/usr/bin/env python\n# coding: klingon\nx = 1\n")
    assert info.value.line == 2
    assert "klingon" in info.value.message


def test_char_column_converts_utf8_byte_offsets() -> None:
    src = decode_source("s = 'é'; f()\n".encode())
    assert src.char_column(1, len("s = 'é'; ".encode())) == len("s = 'é'; ") + 1


# --- a finding's line and column in a scan -------------------------------------------------------


def test_latin1_with_cookie(tmp_path: Path, rules: RuleSet) -> None:
    data = ("# -*- coding: latin-1 -*-\nimport requests\n" + LINE + "\n").encode("latin-1")
    assert_one_finding(scan_bytes(tmp_path, rules, data), 3)


def test_utf8_bom(tmp_path: Path, rules: RuleSet) -> None:
    data = b"\xef\xbb\xbf" + ("import requests\n" + LINE + "\n").encode()
    assert_one_finding(scan_bytes(tmp_path, rules, data), 2)


def test_crlf(tmp_path: Path, rules: RuleSet) -> None:
    data = ("import requests\r\n\r\n" + LINE + "\r\n").encode()
    assert_one_finding(scan_bytes(tmp_path, rules, data), 3)


def test_cr_only(tmp_path: Path, rules: RuleSet) -> None:
    data = ("import requests\r\r\r" + LINE + "\r").encode()
    assert_one_finding(scan_bytes(tmp_path, rules, data), 4)


def test_form_feed_and_line_separator_inside_a_string(tmp_path: Path, rules: RuleSet) -> None:
    code = "import requests\n\x0c\ns = 'a\u2028b\u2029c\x1cd'\n" + LINE + "\n"
    assert_one_finding(scan_bytes(tmp_path, rules, code.encode()), 4)


def test_tabs_are_one_column(tmp_path: Path, rules: RuleSet) -> None:
    code = "import requests\nif True:\n\t" + CALL + "\n"
    (finding,) = scan_bytes(tmp_path, rules, code.encode())
    assert (finding.line, finding.column) == (3, 2)


def test_empty_file_is_scanned_without_complaint(tmp_path: Path, rules: RuleSet) -> None:
    assert scan_bytes(tmp_path, rules, b"") == []


def test_no_newline_at_end_of_file(tmp_path: Path, rules: RuleSet) -> None:
    assert_one_finding(scan_bytes(tmp_path, rules, ("import requests\n" + LINE).encode()), 2)
