"""Exception objects as taint sources, handler returns as sinks, attribute-name sanitizers,
``not-function-regex`` and patterns in a taint rule: what a custom rule author relies on."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from aiscan import load_rules, scan_source
from aiscan.loader import RuleSet

RULE = """\
id: CUS910
name: leak
category: error-detail-exposure
cwe: [209]
severity: warning
confidence: high
message: "{source} (line {source_line}) reaches {sink}"
summary: test rule
docs: {why: w, bad: b, good: g}
since: 0.3.0
where:
  not-function-regex: "(?i)debug"
mode: taint
sources:
  - exception:
      types: [Exception, sqlite3.Error]
      handlers: [errorhandler, register_error_handler]
    label: the exception
  - call: [traceback.format_exc]
    label: the traceback
sanitizers:
  - attribute-name: [code, __class__]
sinks:
  - return: {response: any}
    label: the response
  - call: [flask.jsonify]
    label: jsonify
patterns:
  - call: [flask.Flask.run]
    args:
      - keyword: debug
        value: {equals: true}
    message: debug mode
"""


@pytest.fixture(scope="module")
def rules(tmp_path_factory: pytest.TempPathFactory) -> RuleSet:
    folder = tmp_path_factory.mktemp("rules")
    (folder / "leak.yaml").write_text(RULE)
    return load_rules([folder], builtin=False)


def found(rules: RuleSet, code: str) -> list[tuple[int, str]]:
    result = scan_source(textwrap.dedent(code), filename="app.py", rules=rules)
    assert not result.errors, result.errors
    return sorted((f.line, f.message) for f in result.findings)


HEAD = """\
import sqlite3
import traceback
from flask import Flask, jsonify
app = Flask(__name__)
"""


def test_the_name_an_except_clause_binds_is_a_source(rules: RuleSet) -> None:
    code = HEAD + textwrap.dedent(
        """\
        @app.get("/a")
        def a():
            try:
                return {"ok": 1}
            except (ValueError, sqlite3.Error) as err:
                return {"error": str(err)}
        """
    )
    assert found(rules, code) == [(10, "the exception err (line 9) reaches the response")]


def test_narrow_types_and_project_classes_are_not_sources(rules: RuleSet) -> None:
    code = HEAD + textwrap.dedent(
        """\
        class Declined(Exception):
            pass

        @app.get("/a")
        def a():
            try:
                return {"ok": 1}
            except ValueError as err:
                return {"error": str(err)}
            except Declined as err:
                return {"error": str(err)}
        """
    )
    assert found(rules, code) == []


def test_only_handlers_returns_are_responses(rules: RuleSet) -> None:
    code = HEAD + textwrap.dedent(
        """\
        def helper():
            try:
                return 1
            except Exception as err:
                return str(err)
        """
    )
    assert found(rules, code) == []


def test_the_status_of_a_returned_tuple_is_not_content(rules: RuleSet) -> None:
    code = HEAD + textwrap.dedent(
        """\
        @app.get("/a")
        def a():
            try:
                return {"ok": 1}
            except Exception as err:
                return {"error": "failed"}, err.code

        @app.get("/b")
        def b():
            try:
                return {"ok": 1}
            except Exception as err:
                return {"error": "failed", "kind": err.__class__.__name__}, 500

        @app.get("/c")
        def c():
            try:
                return {"ok": 1}
            except Exception as err:
                return {"error": err.args}, 500
        """
    )
    assert found(rules, code) == [(24, "the exception err (line 23) reaches the response")]


def test_registered_error_handlers_get_the_exception(rules: RuleSet) -> None:
    code = HEAD + textwrap.dedent(
        """\
        @app.errorhandler(Exception)
        def on_error(e):
            return {"error": repr(e)}, 500

        @app.errorhandler(404)
        def not_found(e):
            return {"error": str(e)}, 404

        def on_db_error(e):
            return {"error": f"db: {e}"}, 500

        app.register_error_handler(sqlite3.Error, on_db_error)
        """
    )
    assert found(rules, code) == [
        (7, "the exception e (line 6) reaches the response"),
        (14, "the exception e (line 13) reaches the response"),
    ]


def test_a_helper_that_builds_the_response_is_followed(rules: RuleSet) -> None:
    code = HEAD + textwrap.dedent(
        """\
        def error_page(err):
            return jsonify(error=str(err)), 500

        def trace_page():
            return {"trace": traceback.format_exc()}

        @app.get("/a")
        def a():
            try:
                return {"ok": 1}
            except Exception as err:
                return error_page(err)

        @app.get("/b")
        def b():
            return trace_page()
        """
    )
    # Reported once where the data reaches jsonify, not again at the handler's return.
    assert found(rules, code) == [
        (6, "the exception err (line 15) reaches flask.jsonify"),
        (20, "traceback.format_exc() (line 9) reaches the response"),
    ]


def test_a_function_named_for_debugging_is_left_alone(rules: RuleSet) -> None:
    code = HEAD + textwrap.dedent(
        """\
        def debug_page():
            return jsonify(trace=traceback.format_exc())

        def error_page():
            return jsonify(trace=traceback.format_exc())
        """
    )
    assert found(rules, code) == [(9, "traceback.format_exc() (line 9) reaches flask.jsonify")]


def test_patterns_report_beside_the_flows(rules: RuleSet) -> None:
    code = HEAD + "app.run(debug=True)\napp.run(debug=False)\n"
    assert found(rules, code) == [(5, "debug mode")]


def test_a_sink_of_one_rule_that_sanitizes_for_another_reports_once(tmp_path: Path) -> None:
    # xss (AIS207) treats jsonify as escaping; error-detail-exposure (AIS402) reports at it.
    rules = load_rules().select(["AIS207", "AIS402"])
    code = HEAD + textwrap.dedent(
        """\
        @app.get("/a")
        def a():
            try:
                return {"ok": 1}
            except Exception as exc:
                return jsonify(error=f"failed: {exc}"), 500
        """
    )
    result = scan_source(code, filename="app.py", rules=rules)
    assert [(f.rule_id, f.line, f.column) for f in result.findings] == [("AIS402", 10, 16)]
