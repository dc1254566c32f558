"""The text reporter: findings by file with a code frame, errors, and a summary as last line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from aiscan.model import (
    Finding,
    FlowStep,
    Location,
    ScanError,
    ScanResult,
    Severity,
    Suppression,
)
from aiscan.reporters.text import render_text, summary_line


def finding(
    where: Location, severity: Severity = "error", rule_id: str = "AIS101", **extra: Any
) -> Finding:
    return Finding(
        rule_id=rule_id,
        rule_name="some-rule",
        category="injection",
        cwe=(94,),
        severity=severity,
        confidence="high",
        message=extra.pop("message", "eval of user input"),
        location=where,
        **extra,
    )


def scan(root: Path, *findings: Finding, **extra: Any) -> ScanResult:
    fields: dict[str, Any] = {
        "findings": findings,
        "suppressed": (),
        "errors": (),
        "rules": (),
        "files_scanned": len({f.path for f in findings}),
        "root": str(root),
    }
    fields.update(extra)
    return ScanResult(**fields)


def frame(root: Path, source: str | bytes, column: int, end_column: int) -> tuple[str, str]:
    """The source row and the caret row shown for a finding on line 1 of ``source``."""
    data = source.encode("utf-8") if isinstance(source, str) else source
    (root / "m.py").write_bytes(data)
    line = 2 if data.startswith(b"# -*-") else 1
    text = render_text(scan(root, finding(Location("m.py", line, column, line, end_column))))
    lines = text.split("\n")
    return lines[2], lines[3]


def test_findings_grouped_by_file_with_frames_and_flows(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("y = input()\nx = eval(y)\n", encoding="utf-8")
    (tmp_path / "b.py").write_text("import pickle\n", encoding="utf-8")
    flow = (
        FlowStep(Location("a.py", 1, 1, 1, 2), "y comes from input()"),
        FlowStep(Location("a.py", 2, 5, 2, 12), "y reaches eval"),
    )
    result = scan(
        tmp_path,
        finding(Location("b.py", 1, 1, 1, 7), "warning", "AIS200", message="pickle imported"),
        finding(Location("a.py", 2, 5, 2, 12), flow=flow),
    )
    assert render_text(result) == (
        "a.py\n"
        "  2:5  error    AIS101  eval of user input\n"
        "    2 | x = eval(y)\n"
        "      |     ^^^^^^^\n"
        "    flow: 1. a.py:1 y comes from input()\n"
        "          2. a.py:2 y reaches eval\n"
        "\n"
        "b.py\n"
        "  1:1  warning  AIS200  pickle imported\n"
        "    1 | import pickle\n"
        "      | ^^^^^^\n"
        "\n"
        "2 findings (1 error, 1 warning) in 2 files\n"
    )


def test_findings_in_a_file_are_in_line_order(tmp_path: Path) -> None:
    result = scan(
        tmp_path,
        finding(Location("a.py", 9, 1, 9, 2), message="second"),
        finding(Location("a.py", 3, 1, 3, 2), message="first"),
    )
    text = render_text(result)
    assert text.count("a.py\n") == 1
    assert text.index("first") < text.index("second")


def test_caret_counts_code_points_before_the_span(tmp_path: Path) -> None:
    source, carets = frame(tmp_path, 's = "héllo"; eval(s)\n', 14, 21)
    assert source == '    1 | s = "héllo"; eval(s)'
    assert carets.index("^") == source.index("eval")
    assert carets.count("^") == len("eval(s)")


def test_caret_under_wide_and_combining_characters(tmp_path: Path) -> None:
    source, carets = frame(tmp_path, "名前 = eval(x)\n", 6, 13)
    assert carets.index("^") == source.index("eval") + 2  # two wide characters: 2 cells each
    source, carets = frame(tmp_path, 's = "he\u0301llo"; eval(s)\n', 15, 22)
    assert carets.index("^") == source.index("eval") - 1  # the combining accent takes no cell


def test_tabs_and_control_characters_in_the_source_line(tmp_path: Path) -> None:
    source, carets = frame(tmp_path, "\tx = eval(y)\n", 6, 13)
    assert source == "    1 |     x = eval(y)"
    assert carets.index("^") == source.index("eval")
    source, carets = frame(tmp_path, "\x1b[2Jx = eval(y)\n", 9, 16)
    assert "\x1b" not in source
    assert carets.index("^") == source.index("eval")


def test_bidirectional_controls_are_shown_escaped(tmp_path: Path) -> None:
    # Trojan Source: U+202E would display the rest of the line reversed.
    source, carets = frame(tmp_path, 'x = "\u202e"; eval(y)\n', 10, 17)
    assert source == '    1 | x = "\\u202e"; eval(y)'
    assert carets.index("^") == source.index("eval")


def test_frame_decodes_the_file_as_python_does(tmp_path: Path) -> None:
    data = '# -*- coding: latin-1 -*-\ns = "é"; eval(s)\n'.encode("latin-1")
    source, carets = frame(tmp_path, data, 10, 17)
    assert source == '    2 | s = "é"; eval(s)'
    assert carets.index("^") == source.index("eval")


def test_a_span_over_several_lines_is_underlined_to_the_end_of_its_first(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_text("x = call(\n    a)\n", encoding="utf-8")
    text = render_text(scan(tmp_path, finding(Location("m.py", 1, 5, 2, 7))))
    assert "    1 | x = call(\n      |     ^^^^^\n" in text


def test_an_unreadable_file_has_no_frame(tmp_path: Path) -> None:
    text = render_text(scan(tmp_path, finding(Location("missing.py", 3, 1, 3, 2))))
    assert text.split("\n")[:3] == ["missing.py", "  3:1  error    AIS101  eval of user input", ""]


def test_the_last_line_is_the_one_line_summary(tmp_path: Path) -> None:
    result = scan(
        tmp_path,
        finding(Location("a.py", 1, 1, 1, 2)),
        finding(Location("a.py", 2, 1, 2, 2), "warning"),
        finding(Location("b.py", 1, 1, 1, 2), "warning"),
        suppressed=(finding(Location("b.py", 5, 1, 5, 2), suppression=Suppression((), "", 5)),),
        errors=(
            ScanError("syntax-error", "c.py", "invalid syntax", 1, 1),
            ScanError("recursion-limit", "c.py", "too deep", 9, 0),
            ScanError("read-error", "d.py", "permission denied"),
        ),
        files_scanned=12,
    )
    text = render_text(result)
    assert text.endswith("\n")
    assert text.rstrip("\n").split("\n")[-1] == (
        "3 findings (1 error, 2 warnings) in 12 files; 1 suppressed; 2 files not analysed"
    )
    assert text.rstrip("\n").split("\n")[-1] == summary_line(result)
    coloured = render_text(result, color=True)
    assert coloured.rstrip("\n").split("\n")[-1] == summary_line(result)


@pytest.mark.parametrize(
    ("extra", "summary"),
    [
        ({}, "0 findings in 0 files"),
        ({"files_scanned": 1}, "0 findings in 1 file"),
        (
            {"errors": (ScanError("bad-suppression", "a.py", "x", 1, 1, fatal=False),)},
            "0 findings in 0 files; 1 input warning",
        ),
    ],
)
def test_summary_wording(tmp_path: Path, extra: dict[str, Any], summary: str) -> None:
    assert render_text(scan(tmp_path, **extra)).split("\n")[-2] == summary


def test_one_finding_is_singular(tmp_path: Path) -> None:
    result = scan(tmp_path, finding(Location("a.py", 1, 1, 1, 2), "note"))
    assert summary_line(result) == "1 finding (1 note) in 1 file"


def test_newlines_in_a_message_cannot_displace_the_summary(tmp_path: Path) -> None:
    result = scan(tmp_path, finding(Location("a\nb.py", 1, 1, 1, 2), message="x\n9 findings"))
    text = render_text(result)
    assert text.split("\n")[-2] == "1 finding (1 error) in 1 file"
    assert "x\\x0a9 findings" in text
    assert "a\\x0ab.py" in text


def test_errors_section(tmp_path: Path) -> None:
    result = scan(
        tmp_path,
        errors=(
            ScanError("syntax-error", "c.py", "invalid syntax", 4, 2),
            ScanError("bad-suppression", "a.py", "no reason given", 3, 1, fatal=False),
        ),
    )
    lines = render_text(result).split("\n")
    assert lines[:4] == [
        "Problems with the input:",
        "  error    c.py:4:2: syntax-error: invalid syntax",
        "  warning  a.py:3:1: bad-suppression: no reason given",
        "",
    ]


def test_suppressed_findings_only_on_request(tmp_path: Path) -> None:
    hidden = finding(
        Location("a.py", 4, 1, 4, 2), suppression=Suppression(("AIS101",), "trusted input", 4)
    )
    result = scan(tmp_path, finding(Location("a.py", 1, 1, 1, 2)), suppressed=(hidden,))
    assert "trusted input" not in render_text(result)
    shown = render_text(result, show_suppressed=True)
    assert "  4:1  error    AIS101  eval of user input  (suppressed: trusted input)" in shown
    assert shown.split("\n")[-2] == "1 finding (1 error) in 1 file; 1 suppressed"


def test_colour_only_when_asked(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("x = eval(y)\n", encoding="utf-8")
    result = scan(
        tmp_path,
        finding(Location("a.py", 1, 5, 1, 12)),
        errors=(ScanError("syntax-error", "c.py", "bad", 1, 1),),
    )
    assert "\x1b" not in render_text(result)
    assert "\x1b" not in render_text(result, show_suppressed=True)
    coloured = render_text(result, color=True)
    assert "\x1b[1;31merror  \x1b[0m" in coloured
    assert "\x1b[1;31m^^^^^^^\x1b[0m" in coloured


def test_scan_result_to_text_uses_this_reporter(tmp_path: Path) -> None:
    result = scan(tmp_path, finding(Location("a.py", 1, 1, 1, 2)))
    assert result.to_text() == render_text(result)
    assert result.to_text(color=True, show_suppressed=True) == render_text(
        result, color=True, show_suppressed=True
    )
