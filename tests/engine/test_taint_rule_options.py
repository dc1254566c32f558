"""Taint-rule options a custom rule author relies on: propagators, guards.builtin, sources by
framework (click). Each test states what a reviewer expects the scanner to report."""

from __future__ import annotations

import textwrap
from pathlib import Path

from aiscan import load_rules, scan_source

RULE = """\
id: CUS900
name: {name}
category: command-injection
cwe: [78]
severity: error
confidence: high
message: "{{source}} reaches {{sink}}"
summary: test rule
docs: {{why: w, bad: b, good: g}}
since: 0.1.0
mode: taint
sources:
  - attribute: [flask.request.args]
    label: HTTP request data
  - parameter: {{framework: click}}
    label: command-line input
sinks:
  - call: [os.system]
    taint: [0]
{extra}
"""


def _rules(tmp_path: Path, extra: str = "", name: str = "custom-taint"):  # type: ignore[no-untyped-def]
    path = tmp_path / "rules" / f"{name}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(RULE.format(name=name, extra=textwrap.dedent(extra)))
    return load_rules([path.parent], builtin=False)


def _lines(code: str, rules) -> list[int]:  # type: ignore[no-untyped-def]
    result = scan_source(textwrap.dedent(code), "app.py", rules=rules)
    assert not result.errors, result.errors
    return sorted(f.line for f in result.findings)


BUFFER = """\
    import os
    import mylib
    from flask import request

    def handler():
        buf = mylib.Buffer()
        buf.write(request.args["x"])
        os.system(buf.getvalue())
"""


def test_without_a_propagator_an_unknown_write_does_not_taint_its_receiver(tmp_path: Path) -> None:
    assert _lines(BUFFER, _rules(tmp_path)) == []


def test_a_propagator_to_the_receiver_carries_the_argument_into_the_object(tmp_path: Path) -> None:
    extra = """\
    propagators:
      - call: [mylib.Buffer.write]
        from: 0
        to: receiver
    """
    assert _lines(BUFFER, _rules(tmp_path, extra)) == [8]


def test_a_propagator_to_the_result_replaces_the_default(tmp_path: Path) -> None:
    code = """\
        import os
        import mylib
        from flask import request

        def handler():
            # The library returns its second argument's data, not its first one's.
            os.system(mylib.pick(request.args["x"], "ls"))
            os.system(mylib.pick("ls", request.args["x"]))
    """
    extra = """\
    propagators:
      - call: [mylib.pick]
        from: 1
        to: result
    """
    assert _lines(code, _rules(tmp_path, extra)) == [8]


GUARDED = """\
    import os
    from flask import request

    ALLOWED = {"a", "b"}

    def handler():
        name = request.args["x"]
        if name not in ALLOWED:
            return
        os.system("ls " + name)
"""


def test_builtin_guards_apply_by_default(tmp_path: Path) -> None:
    assert _lines(GUARDED, _rules(tmp_path)) == []


def test_builtin_guards_can_be_turned_off(tmp_path: Path) -> None:
    extra = """\
    guards:
      builtin: false
    """
    assert _lines(GUARDED, _rules(tmp_path, extra)) == [10]


def test_click_command_parameters_are_command_line_input(tmp_path: Path) -> None:
    code = """\
        import os
        import click

        @click.command()
        @click.argument("host")
        def ping(host):
            os.system("ping -c 1 " + host)

        def helper(host):
            os.system("ping -c 1 " + host)
    """
    assert _lines(code, _rules(tmp_path)) == [7]
