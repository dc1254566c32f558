"""The ``aiscan`` command line: its commands, options, output streams and exit codes."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from pathlib import Path

import pytest

from aiscan._version import __version__
from aiscan.cli import EXIT_ERROR, EXIT_FINDINGS, EXIT_OK, main

RULE = """\
id: CUS001
name: danger-call
category: insecure-tls
cwe: [295]
severity: {severity}
confidence: high
message: "{{callee}} is called"
summary: A custom rule for the CLI tests.
docs:
  why: Because it is dangerous.
  bad: mylib.danger()
  good: mylib.safe()
since: 0.1.0
mode: pattern
patterns:
  - call: [mylib.danger]
"""
NOTE_RULE = (
    RULE.format(severity="note")
    .replace("CUS001", "CUS002")
    .replace("danger-call", "fetch-call")
    .replace("mylib.danger]", "mylib.fetch]")
)
CODE = "import mylib\n\nmylib.danger()\nmylib.fetch()\n"
VENV_AISCAN = Path(sys.executable).with_name("aiscan")


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / ".git").mkdir()
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "danger-call.yaml").write_text(RULE.format(severity="warning"))
    (rules / "fetch-call.yaml").write_text(NOTE_RULE)
    (tmp_path / "app.py").write_text(CODE)
    (tmp_path / "clean.py").write_text("x = 1\n")
    monkeypatch.chdir(tmp_path)
    return tmp_path


RULES = ["--rules", "rules", "--no-builtin-rules"]
# The projects here have no virtual environment of their own: aiscan's interpreter is the target.
ENV_LINE = (
    f"Analysed against Python {platform.python_version()} (running interpreter: {sys.executable})\n"
)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# --- version, help, arguments --------------------------------------------------------------------


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out == f"aiscan {__version__}\n"


def test_no_command_prints_help_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == EXIT_ERROR
    assert "scan" in capsys.readouterr().out


def test_scan_without_paths_is_a_one_line_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["scan"])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err == "aiscan: error: the following arguments are required: PATH\n"


def test_an_unknown_option_is_a_one_line_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["scan", ".", "--frobnicate"])
    assert info.value.code == 2
    assert capsys.readouterr().err == "aiscan: error: unrecognized arguments: --frobnicate\n"


# --- scan: exit codes ----------------------------------------------------------------------------


def test_findings_exit_1_and_the_text_report(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "scan", ".", *RULES)
    assert code == EXIT_FINDINGS
    assert err == ""
    assert out == (
        "app.py\n"
        "  3:1  warning  CUS001  mylib.danger is called\n"
        "    3 | mylib.danger()\n"
        "      | ^^^^^^^^^^^^^^\n"
        "  4:1  note     CUS002  mylib.fetch is called\n"
        "    4 | mylib.fetch()\n"
        "      | ^^^^^^^^^^^^^\n"
        "\n"
        f"{ENV_LINE}"
        "2 findings (1 warning, 1 note) in 2 files\n"
    )


def test_no_findings_exit_0(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "scan", "clean.py", *RULES)
    assert code == EXIT_OK
    assert out == f"{ENV_LINE}0 findings in 1 file\n"


@pytest.mark.parametrize(
    ("fail_on", "expected"),
    [("note", EXIT_FINDINGS), ("warning", EXIT_FINDINGS), ("error", EXIT_OK)],
)
def test_fail_on(
    project: Path, capsys: pytest.CaptureFixture[str], fail_on: str, expected: int
) -> None:
    code, _, _ = run(capsys, "scan", ".", *RULES, "--fail-on", fail_on)
    assert code == expected


def test_fail_on_warning_ignores_notes(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, _ = run(capsys, "scan", ".", *RULES, "--select", "CUS002", "--fail-on", "warning")
    assert code == EXIT_OK


def test_exit_zero(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "scan", ".", *RULES, "--exit-zero")
    assert code == EXIT_OK
    assert "2 findings" in out


def test_exit_zero_does_not_hide_an_incomplete_scan(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "broken.py").write_text("def f(:\n")
    code, _, _ = run(capsys, "scan", ".", *RULES, "--exit-zero")
    assert code == EXIT_ERROR


# --- scan: select, ignore, formats, output -------------------------------------------------------


@pytest.mark.parametrize(
    ("option", "expected"),
    [
        (["--select", "CUS001"], ["CUS001"]),
        (["--select", "fetch-call"], ["CUS002"]),
        (["--select", "insecure-tls"], ["CUS001", "CUS002"]),
        (["--ignore", "CUS001"], ["CUS002"]),
        (["--select", "insecure-tls", "--ignore", "fetch-call"], ["CUS001"]),
        (["--select", "CUS001", "--select", "CUS002"], ["CUS001", "CUS002"]),
    ],
)
def test_select_and_ignore(
    project: Path, capsys: pytest.CaptureFixture[str], option: list[str], expected: list[str]
) -> None:
    _, out, _ = run(capsys, "scan", ".", *RULES, "-f", "json", *option)
    assert [f["rule_id"] for f in json.loads(out)["findings"]] == expected


def test_json_format(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "scan", ".", *RULES, "-f", "json")
    assert code == EXIT_FINDINGS
    assert err == ""
    data = json.loads(out)
    assert data["files_scanned"] == 2
    assert data["incomplete"] is False
    assert [(f["path"], f["line"], f["column"]) for f in data["findings"]] == [
        ("app.py", 3, 1),
        ("app.py", 4, 1),
    ]


def test_sarif_format_to_a_file(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "scan", ".", *RULES, "-f", "sarif", "-o", "out.sarif")
    assert code == EXIT_FINDINGS
    assert out == ""
    assert err == "2 findings (1 warning, 1 note) in 2 files\n"
    sarif = json.loads((project / "out.sarif").read_text())
    run_ = sarif["runs"][0]
    assert [r["ruleId"] for r in run_["results"]] == ["CUS001", "CUS002"]
    assert run_["invocations"][0]["executionSuccessful"] is True


def test_errors_go_to_stderr_for_machine_formats(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "broken.py").write_text("x = (\n")
    code, out, err = run(capsys, "scan", ".", *RULES, "-f", "json")
    assert code == EXIT_ERROR
    json.loads(out)  # stdout stays valid JSON
    assert err.startswith("aiscan: broken.py:1:5: syntax-error: ")
    assert err.count("\n") == 1


def test_text_report_counts_unanalysed_files(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "broken.py").write_text("x = (\n")
    code, out, _ = run(capsys, "scan", ".", *RULES)
    assert code == EXIT_ERROR
    assert "Problems with the input:\n  error    broken.py:1:5: syntax-error: " in out
    assert out.endswith("2 findings (1 warning, 1 note) in 3 files; 1 file not analysed\n")


def test_show_suppressed(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "app.py").write_text(
        "import mylib\n\nmylib.danger()  # aiscan: ignore[CUS001] -- sandboxed\n"
    )
    code, out, _ = run(capsys, "scan", ".", *RULES)
    assert code == EXIT_OK
    assert out == f"{ENV_LINE}0 findings in 2 files; 1 suppressed\n"
    code, out, _ = run(capsys, "scan", ".", *RULES, "--show-suppressed")
    assert "(suppressed: sandboxed)" in out


# --- rules, rule, test-rules ---------------------------------------------------------------------


def test_rules_lists_the_rules(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "rules", *RULES)
    assert code == EXIT_OK
    lines = out.splitlines()
    assert lines[0].split() == ["ID", "NAME", "CATEGORY", "SEVERITY", "CONFIDENCE", "MODE"]
    assert lines[1].split() == [
        "CUS001",
        "danger-call",
        "insecure-tls",
        "warning",
        "high",
        "pattern",
    ]
    assert lines[-1] == "2 rules"


def test_rules_lists_the_builtin_pack(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "rules")
    assert code == EXIT_OK
    assert any(line.startswith("AIS101") and "insecure-tls" in line for line in out.splitlines())


@pytest.mark.parametrize("key", ["AIS101", "insecure-tls"])
def test_rule_shows_one_rule(capsys: pytest.CaptureFixture[str], key: str) -> None:
    code, out, _ = run(capsys, "rule", key)
    assert code == EXIT_OK
    assert out.startswith("# AIS101 insecure-tls\n")
    for heading in ("## Why is this bad?", "## Example", "## Use instead", "## References"):
        assert heading in out


def test_rule_of_an_unknown_id(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "rule", "AIS999")
    assert code == EXIT_ERROR
    assert out == ""
    assert err == "aiscan: error: no rule 'AIS999' (see 'aiscan rules')\n"


def test_rules_with_a_broken_rule_file(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "rules" / "danger-call.yaml").write_text(
        RULE.format(severity="warning").replace("confidence: high", "confidence: total")
    )
    code, out, err = run(capsys, "rules", *RULES)
    assert code == EXIT_ERROR
    assert out == ""
    assert err.startswith(f"aiscan: error: {Path('rules/danger-call.yaml')}:6: [confidence] ")
    assert err.count("\n") == 1


def test_test_rules_passes_and_fails(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fixtures = project / "fixtures"
    fixtures.mkdir()
    (fixtures / "ok.py").write_text(
        "import mylib\n\nmylib.danger()  # expect: CUS001\nmylib.safe()  # clean: CUS001\n"
    )
    code, out, _ = run(capsys, "test-rules", str(fixtures), *RULES)
    assert code == EXIT_OK
    assert out.splitlines()[-1] == "1 fixtures passed, 0 failed"

    (fixtures / "bad.py").write_text("import mylib\n\nmylib.danger()\n# expect+1: CUS001\nx = 1\n")
    code, out, _ = run(capsys, "test-rules", str(fixtures), *RULES)
    assert code == EXIT_FINDINGS
    assert "bad.py:3: unexpected CUS001" in out
    assert "bad.py:5: missing CUS001" in out
    assert out.splitlines()[-1] == "1 fixtures passed, 1 failed"


def test_test_rules_of_a_missing_path(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "test-rules", "no/such/fixtures")
    assert code == EXIT_ERROR
    assert err == "aiscan: error: no/such/fixtures: no such file or directory\n"


# --- the real executable -------------------------------------------------------------------------


def _command() -> list[str]:
    if VENV_AISCAN.is_file():
        return [str(VENV_AISCAN)]
    return [sys.executable, "-m", "aiscan"]


def test_the_installed_command_end_to_end(project: Path) -> None:
    """A real process: a finding, a file that does not parse, a missing path; exit 2, the
    report on stdout, one line per problem on stderr, no traceback anywhere."""
    (project / "broken.py").write_text("def f(:\n")
    proc = subprocess.run(
        [*_command(), "scan", ".", "missing.py", *RULES, "-f", "json", "--jobs", "1"],
        capture_output=True,
        text=True,
        env={**os.environ, "NO_COLOR": "1"},
        timeout=300,
        check=False,
    )
    assert proc.returncode == EXIT_ERROR, proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    data = json.loads(proc.stdout)
    assert [(f["path"], f["line"]) for f in data["findings"]] == [("app.py", 3), ("app.py", 4)]
    assert proc.stderr.splitlines() == [
        "aiscan: broken.py:1:7: syntax-error: invalid syntax (not valid Python "
        f"{sys.version_info.major}.{sys.version_info.minor}; if the file targets a newer "
        "Python, run aiscan with that interpreter)",
        "aiscan: missing.py: read-error: no such file or directory",
    ]


def test_python_dash_m_aiscan(project: Path) -> None:
    (project / "rules" / "danger-call.yaml").write_text("id: [\n")
    proc = subprocess.run(
        [sys.executable, "-m", "aiscan", "rules", *RULES],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == EXIT_ERROR
    assert proc.stdout == ""
    assert "Traceback" not in proc.stderr
    (line,) = proc.stderr.splitlines()
    assert line.startswith(f"aiscan: error: {Path('rules/danger-call.yaml')}:2: [id] invalid YAML")
