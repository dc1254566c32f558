"""The path of a taint finding: source first, sink last, the steps between in program order,
and the finding's primary location on the sink call."""

from __future__ import annotations

from pathlib import Path

from taint_support import program, scan_snippet, scan_tree, taint_findings

from aiscan.model import Finding


def line_of(code: str, needle: str) -> int:
    """The 1-based number of the only line of ``code`` that contains ``needle``."""
    hits = [n for n, text in enumerate(code.splitlines(), start=1) if needle in text]
    assert len(hits) == 1, f"{needle!r} is on lines {hits}"
    return hits[0]


def column_of(code: str, line: int, needle: str) -> int:
    """The 1-based character column of ``needle`` on ``line``."""
    return code.splitlines()[line - 1].index(needle) + 1


def only_finding(findings: list[Finding]) -> Finding:
    assert len(findings) == 1, [(f.rule_id, f.path, f.line) for f in findings]
    return findings[0]


def is_subsequence(wanted: list[object], seen: list[object]) -> bool:
    rest = iter(seen)
    return all(any(item == got for got in rest) for item in wanted)


def test_straight_line_path() -> None:
    code = program(
        """
        @app.route("/thumb")
        def thumb():
            name = request.args["file"]
            base = name.strip()
            command = f"convert {base} thumb.png"
            os.system(command)
        """
    )
    finding = only_finding(taint_findings(scan_snippet(code)))
    source = line_of(code, 'name = request.args["file"]')
    strip = line_of(code, "base = name.strip()")
    fstring = line_of(code, "command = f")
    sink = line_of(code, "os.system(command)")

    assert finding.rule_id == "AIS201"
    assert (finding.line, finding.column) == (sink, column_of(code, sink, "os.system"))
    assert finding.end_line == sink
    assert finding.end_column == column_of(code, sink, "os.system(command)") + len(
        "os.system(command)"
    )
    steps = [s.location for s in finding.flow]
    assert steps[0].line == source
    assert steps[0].column == column_of(code, source, "request.args")
    assert steps[-1] == finding.location
    lines = [loc.line for loc in steps]
    assert lines == sorted(lines), "a straight-line flow is reported in program order"
    assert is_subsequence([source, strip, fstring, sink], lines)
    assert all(s.message.strip() for s in finding.flow)
    assert all(s.location.path == finding.path for s in finding.flow)
    assert f"(line {source})" in finding.message
    assert "os.system" in finding.message


def test_path_through_helper_calls() -> None:
    code = program(
        """
        def build(host):
            command = "ping -c 1 " + host
            return command

        def run(command):
            os.system(command)

        @app.route("/ping")
        def ping():
            host = request.args["host"]
            full = build(host)
            run(full)
        """
    )
    finding = only_finding(taint_findings(scan_snippet(code)))
    source = line_of(code, 'host = request.args["host"]')
    inside_build = line_of(code, 'command = "ping -c 1 " + host')
    returned = line_of(code, "return command")
    call_build = line_of(code, "full = build(host)")
    call_run = line_of(code, "run(full)")
    sink = line_of(code, "os.system(command)")

    assert (finding.line, finding.column) == (sink, column_of(code, sink, "os.system"))
    lines = [s.location.line for s in finding.flow]
    assert lines[0] == source
    assert finding.flow[-1].location == finding.location
    assert is_subsequence([source, inside_build, returned, call_build, call_run, sink], lines)


def test_path_through_class_attribute() -> None:
    code = program(
        """
        class Deployer:
            def __init__(self, branch):
                self.branch = branch

            def deploy(self):
                os.system("git checkout " + self.branch)

        @app.route("/deploy")
        def deploy():
            deployer = Deployer(request.args["branch"])
            deployer.deploy()
        """
    )
    finding = only_finding(taint_findings(scan_snippet(code)))
    source = line_of(code, 'Deployer(request.args["branch"])')
    store = line_of(code, "self.branch = branch")
    call = line_of(code, "deployer.deploy()")
    sink = line_of(code, 'os.system("git checkout " + self.branch)')

    assert finding.line == sink
    lines = [s.location.line for s in finding.flow]
    assert lines[0] == source
    assert finding.flow[0].location.column == column_of(code, source, "request.args")
    assert finding.flow[-1].location == finding.location
    assert is_subsequence([source, store, call, sink], lines)


def test_path_across_modules(tmp_path: Path) -> None:
    files = {
        "ops/__init__.py": "",
        "ops/shell.py": """
            import subprocess

            def disk_usage(folder):
                line = "du -sh " + folder
                return subprocess.getoutput(line)
            """,
        "ops/views.py": """
            from flask import request

            from .shell import disk_usage

            def du():
                folder = request.args.get("folder", "/srv")
                return disk_usage(folder)
            """,
    }
    finding = only_finding(taint_findings(scan_tree(tmp_path, files)))
    assert finding.path == "ops/shell.py"
    assert (finding.line, finding.column) == (5, 12)
    first, last = finding.flow[0].location, finding.flow[-1].location
    assert (first.path, first.line, first.column) == ("ops/views.py", 6, 14)
    assert last == finding.location
    where = [(s.location.path, s.location.line) for s in finding.flow]
    assert is_subsequence(
        [("ops/views.py", 6), ("ops/views.py", 7), ("ops/shell.py", 4), ("ops/shell.py", 5)],
        where,
    )


def test_columns_count_characters_and_multiline_sinks() -> None:
    code = program(
        """
        @app.route("/caf\u00e9")
        def cafe():
            name = request.args["name"]
            label = "caf\u00e9\u00e9\u00e9"; os.system("echo " + name)
            subprocess.run(
                "echo " + name,
                shell=True,
            )
        """
    )
    findings = sorted(taint_findings(scan_snippet(code)), key=lambda f: f.line)
    assert len(findings) == 2
    one_line, multi = findings
    same_line = line_of(code, "os.system(")
    assert (one_line.line, one_line.column) == (same_line, column_of(code, same_line, "os.system"))
    start = line_of(code, "subprocess.run(")
    assert (multi.line, multi.column) == (start, column_of(code, start, "subprocess.run"))
    assert multi.end_line == start + 3
    assert multi.flow[-1].location == multi.location


def test_each_sink_gets_its_own_path() -> None:
    code = program(
        """
        @app.route("/two")
        def two():
            first = request.args["a"]
            second = request.form["b"]
            os.system("echo " + first)
            os.system("echo " + second)
        """
    )
    findings = sorted(taint_findings(scan_snippet(code)), key=lambda f: f.line)
    assert [f.line for f in findings] == [
        line_of(code, 'os.system("echo " + first)'),
        line_of(code, 'os.system("echo " + second)'),
    ]
    assert findings[0].flow[0].location.line == line_of(code, 'first = request.args["a"]')
    assert findings[1].flow[0].location.line == line_of(code, 'second = request.form["b"]')
    for finding in findings:
        assert finding.flow[-1].location == finding.location


def test_augmented_assignment_step_reads_as_written() -> None:
    code = program(
        """
        @app.route("/grep")
        def grep():
            command = "grep -rn "
            command += request.args["pattern"]
            command += " /var/log/app"
            os.system(command)
        """
    )
    finding = only_finding(taint_findings(scan_snippet(code)))
    added = line_of(code, 'command += request.args["pattern"]')
    suffix = line_of(code, 'command += " /var/log/app"')
    messages = {s.location.line: s.message for s in finding.flow}
    # A step on ``x += y`` must not read as ``x = y``: that would tell the reviewer the
    # variable was overwritten (with a constant, on the second line).
    assert "+=" in messages[added], messages
    assert "+=" in messages[suffix], messages
