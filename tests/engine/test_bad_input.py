"""Bad input: each is one clear line with the file (and line), the right exit code, and nothing
else lost: the other files are still scanned and reported."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from aiscan.cli import main
from aiscan.engine import scanner

RULE = """\
id: CUS001
name: danger-call
category: insecure-tls
cwe: [295]
severity: error
confidence: high
message: "{callee} is called"
summary: A custom rule for the bad-input tests.
docs:
  why: Because it is dangerous.
  bad: mylib.danger()
  good: mylib.safe()
since: 0.1.0
mode: pattern
patterns:
  - call: [mylib.danger]
"""
GOOD = "import mylib\n\nmylib.danger()\n"  # one finding, line 3
# PEP 701 (Python 3.12): the same quotes nested inside an f-string's replacement field.
PEP701 = 'import mylib\nx = 1\ny = f"{x!r:{">"}10}"\nmylib.danger()\n'


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / ".git").mkdir()
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "danger-call.yaml").write_text(RULE)
    (tmp_path / "good.py").write_text(GOOD)
    monkeypatch.chdir(tmp_path)
    return tmp_path


class Run:
    def __init__(self, code: int, out: str, err: str) -> None:
        self.code, self.out, self.err = code, out, err

    @property
    def report(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.out)
        return data

    def found(self) -> list[tuple[str, int]]:
        return [(f["path"], f["line"]) for f in self.report["findings"]]

    def errors(self) -> list[tuple[str, str, int, bool]]:
        return [(e["path"], e["kind"], e["line"], e["fatal"]) for e in self.report["errors"]]


def scan(capsys: pytest.CaptureFixture[str], *args: str, fmt: str = "json") -> Run:
    argv = ["scan", *args, "--rules", "rules", "--no-builtin-rules", "--jobs", "1"]
    if fmt:
        argv += ["-f", fmt]
    code = main(argv)
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
    return Run(code, captured.out, captured.err)


def assert_one_line_each(err: str) -> list[str]:
    """Every message on stderr is one line starting 'aiscan: ', and there is one at least."""
    lines = err.splitlines()
    assert lines, "expected a message on stderr"
    for line in lines:
        assert line.startswith("aiscan: "), line
    return lines


def _is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def message_for(err: str, path: str) -> str:
    (line,) = [m for m in assert_one_line_each(err) if path in m]
    return line


# --- inputs to the scan: the message, exit 2, and the good file still reported -------------------


def test_a_path_that_does_not_exist(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = scan(capsys, "good.py", "missing.py")
    assert run.code == 2
    assert run.found() == [("good.py", 3)]
    assert run.errors() == [("missing.py", "read-error", 0, True)]
    assert message_for(run.err, "missing.py") == (
        "aiscan: missing.py: read-error: no such file or directory"
    )


def test_a_folder_that_does_not_exist_in_text_output(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = scan(capsys, "nodir", "good.py", fmt="text")
    assert run.code == 2
    assert "good.py\n  3:1  error    CUS001" in run.out
    assert "  error    nodir: read-error: no such file or directory\n" in run.out
    assert run.out.endswith("1 finding (1 error) in 1 file; 1 file not analysed\n")


def test_a_file_that_is_not_python(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "notes.txt").write_text("mylib.danger()\n")
    run = scan(capsys, "notes.txt", "good.py")
    assert run.code == 2
    assert run.found() == [("good.py", 3)]
    assert run.errors() == [("notes.txt", "read-error", 0, True)]
    assert "notes.txt: read-error: not a Python file" in message_for(run.err, "notes.txt")


def test_an_unreadable_file(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (project / "secret.py").write_text(GOOD)
    real = Path.read_bytes

    def read_bytes(self: Path) -> bytes:
        if self.name == "secret.py":
            raise PermissionError(13, "Permission denied", str(self))
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    run = scan(capsys, ".")
    assert run.code == 2
    assert run.found() == [("good.py", 3)]
    assert run.errors() == [("secret.py", "read-error", 0, True)]
    assert message_for(run.err, "secret.py") == (
        "aiscan: secret.py: read-error: cannot read: Permission denied"
    )


@pytest.mark.skipif(sys.platform == "win32" or _is_root(), reason="root reads everything")
def test_an_unreadable_file_for_real(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    secret = project / "secret.py"
    secret.write_text(GOOD)
    secret.chmod(0)
    run = scan(capsys, ".")
    assert run.code == 2
    assert run.found() == [("good.py", 3)]
    assert "secret.py: read-error: cannot read" in message_for(run.err, "secret.py")


def test_a_syntax_error(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "broken.py").write_text("import mylib\ndef f(:\n    mylib.danger()\n")
    run = scan(capsys, ".")
    assert run.code == 2
    assert run.found() == [("good.py", 3)]
    assert run.errors() == [("broken.py", "syntax-error", 2, True)]
    message = message_for(run.err, "broken.py")
    assert message.startswith("aiscan: broken.py:2:7: syntax-error: invalid syntax")
    assert run.report["incomplete"] is True


def test_allow_parse_errors_still_reports_but_does_not_fail(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "broken.py").write_text("def f(:\n")
    run = scan(capsys, ".", "--allow-parse-errors")
    assert run.code == 1  # the finding in good.py; the scan counts as complete
    assert run.errors() == [("broken.py", "syntax-error", 1, False)]
    assert "broken.py:1:7: syntax-error" in message_for(run.err, "broken.py")

    run = scan(capsys, "broken.py", "--allow-parse-errors")
    assert run.code == 0


def test_a_syntax_error_in_sarif(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "broken.py").write_text("x = (\n")
    run = scan(capsys, ".", fmt="sarif")
    assert run.code == 2
    invocation = json.loads(run.out)["runs"][0]["invocations"][0]
    assert invocation["executionSuccessful"] is False
    (note,) = invocation["toolExecutionNotifications"]
    assert note["level"] == "error"
    assert note["descriptor"]["id"] == "syntax-error"
    location = note["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "broken.py"
    assert location["region"]["startLine"] == 1
    assert len(json.loads(run.out)["runs"][0]["results"]) == 1  # good.py's finding


def test_python_312_syntax(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "new.py").write_text(PEP701)
    run = scan(capsys, ".")
    if sys.version_info >= (3, 12):
        assert run.code == 1
        assert run.found() == [("good.py", 3), ("new.py", 4)]
        assert run.errors() == []
    else:
        running = f"{sys.version_info.major}.{sys.version_info.minor}"
        assert run.code == 2
        assert run.found() == [("good.py", 3)]
        assert run.errors() == [("new.py", "syntax-error", 3, True)]
        message = message_for(run.err, "new.py")
        assert message.startswith("aiscan: new.py:3:")
        assert f"not valid Python {running}" in message


def test_a_file_that_makes_astroid_recurse_too_deep(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A 3000-term sum: Python 3.11's parser takes it and astroid's tree builder then recurses
    # once per term; 3.12's parser itself gives up. Either way: reported, and not a syntax error.
    deep = "import mylib\nx = " + " + ".join(["1"] * 3000) + "\nmylib.danger()\n"
    (project / "deep.py").write_text(deep)
    run = scan(capsys, ".", "--allow-parse-errors")
    assert run.code == 2  # the file was not analysed: incomplete, whatever parse errors allow
    assert run.found() == [("good.py", 3)]
    assert run.errors() == [("deep.py", "recursion-limit", 0, True)]
    assert "deep.py: recursion-limit: too deeply nested" in message_for(run.err, "deep.py")


@pytest.mark.parametrize(
    ("data", "kind", "line"),
    [
        (b"x = 1\ny = '\xff'\n", "decode-error", 2),
        (b"# coding: klingon\nx = 1\n", "decode-error", 1),
        (b"x = 1\ny = '\x00'\n", "syntax-error", 1),
    ],
    ids=["not-utf8", "unknown-encoding", "null-byte"],
)
def test_a_file_that_cannot_be_decoded(
    project: Path, capsys: pytest.CaptureFixture[str], data: bytes, kind: str, line: int
) -> None:
    (project / "odd.py").write_bytes(data)
    run = scan(capsys, ".")
    assert run.code == 2
    assert run.found() == [("good.py", 3)]
    (error,) = run.errors()
    assert error[:2] == ("odd.py", kind)
    if kind == "decode-error":
        assert error[2] == line
    message_for(run.err, "odd.py")


def test_a_very_large_file(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(scanner, "_MAX_FILE_BYTES", 1000)
    (project / "big.py").write_text("x = 1\n" * 200)
    run = scan(capsys, ".")
    assert run.code == 2
    assert run.found() == [("good.py", 3)]
    assert run.errors() == [("big.py", "read-error", 0, True)]
    assert "not analysed" in message_for(run.err, "big.py")


def test_an_empty_file_is_fine(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "empty.py").write_text("")
    run = scan(capsys, ".")
    assert run.code == 1
    assert run.report["files_scanned"] == 2
    assert run.errors() == []


def test_all_problems_at_once_and_the_good_file_survives(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "broken.py").write_text("def f(:\n")
    deep = "import mylib\nx = " + "+".join(["1"] * 3000) + "\nmylib.danger()\n"
    (project / "deep.py").write_text(deep)
    (project / "odd.py").write_bytes(b"x = '\xff'\n")
    run = scan(capsys, ".", "missing.py")
    assert run.code == 2
    assert run.found() == [("good.py", 3)]
    assert [e[:2] for e in run.errors()] == [
        ("broken.py", "syntax-error"),
        ("deep.py", "recursion-limit"),
        ("missing.py", "read-error"),
        ("odd.py", "decode-error"),
    ]
    assert len(assert_one_line_each(run.err)) == 4


# --- configuration and usage: one line on stderr, exit 2, no partial report ----------------------


def _broken_rules() -> dict[str, tuple[str, int, str]]:
    """kind -> (rule text, line the message must name, field it must name)."""
    lines = RULE.splitlines(keepends=True)
    at = {line.split(":")[0]: i + 1 for i, line in enumerate(lines) if not line[0].isspace()}
    return {
        "yaml-syntax": (RULE.replace("cwe: [295]", "cwe: [295"), at["cwe"] + 1, "cwe"),
        "schema": (RULE.replace("severity: error", "severity: fatal"), at["severity"], "severity"),
        "unknown-category": (
            RULE.replace("category: insecure-tls", "category: nonsense"),
            at["category"],
            "category",
        ),
        "regex": (
            RULE + "    args:\n      - keyword: url\n        value: {regex: '(['}\n",
            len(lines) + 3,
            "patterns[0].args[0].value.regex",
        ),
        "unknown-model": (
            RULE.replace("[mylib.danger]", "[$nonsense]"),
            len(lines),
            "patterns[0].call[0]",
        ),
    }


@pytest.mark.parametrize("kind", sorted(_broken_rules()))
def test_a_broken_rule_file(project: Path, capsys: pytest.CaptureFixture[str], kind: str) -> None:
    text, line, field = _broken_rules()[kind]
    path = project / "rules" / "danger-call.yaml"
    path.write_text(text)
    run = scan(capsys, ".")
    assert run.code == 2
    assert run.out == ""
    (message,) = assert_one_line_each(run.err)
    assert message.startswith(f"aiscan: error: {Path('rules/danger-call.yaml')}:{line}: [{field}")


def test_a_duplicate_rule_id(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "rules" / "fetch-call.yaml").write_text(RULE.replace("danger-call", "fetch-call"))
    run = scan(capsys, ".")
    assert run.code == 2
    assert run.out == ""
    (message,) = assert_one_line_each(run.err)
    assert message.startswith(f"aiscan: error: {Path('rules/fetch-call.yaml')}:1: [id] ")
    assert "duplicate id 'CUS001'" in message


def test_select_of_an_unknown_id(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = scan(capsys, ".", "--select", "CUS999")
    assert run.code == 2
    assert run.out == ""
    (message,) = assert_one_line_each(run.err)
    assert message.startswith("aiscan: error: --select CUS999: no rule id, name or category")


def test_ignore_of_an_unknown_id(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = scan(capsys, ".", "--ignore", "CUS001", "--ignore", "nonsense")
    assert run.code == 2
    (message,) = assert_one_line_each(run.err)
    assert "--ignore nonsense" in message


def test_an_output_path_in_a_missing_folder(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = scan(capsys, ".", "-o", "out/report.json")
    assert run.code == 2
    assert run.out == ""
    (message,) = assert_one_line_each(run.err)
    assert message == "aiscan: error: out/report.json: output folder out does not exist"
    assert not (project / "out").exists()


def test_an_output_path_that_is_a_folder(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "out").mkdir()
    run = scan(capsys, ".", "-o", "out")
    assert run.code == 2
    (message,) = assert_one_line_each(run.err)
    assert "out: is a folder" in message


def test_an_output_file_is_written_and_the_summary_goes_to_stderr(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = scan(capsys, ".", "-o", "report.json")
    assert run.code == 1
    assert run.out == ""
    assert run.err == "1 finding (1 error) in 1 file\n"
    assert json.loads((project / "report.json").read_text())["summary"]["findings"] == 1


def test_a_bad_option_value(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["scan", ".", "--format", "xml"])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("aiscan: error: argument -f/--format: invalid choice: 'xml'")
    assert err.count("\n") == 1


def test_negative_jobs(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", ".", "--jobs", "-1"]) == 2
    (message,) = assert_one_line_each(capsys.readouterr().err)
    assert message == "aiscan: error: --jobs must be 0 or more"


def test_an_internal_error_is_one_line_too(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError("something\nunexpected")

    monkeypatch.setattr("aiscan.cli.scan", explode)
    run = scan(capsys, ".")
    assert run.code == 2
    (message,) = assert_one_line_each(run.err)
    assert message.startswith("aiscan: internal error: RuntimeError: something unexpected")
