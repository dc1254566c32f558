"""The JSON reporter: aiscan's own format, held to schemas/results.schema.json."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, get_args

import pytest

import aiscan
from aiscan.model import (
    Confidence,
    ErrorKind,
    Finding,
    FlowStep,
    Location,
    Rule,
    RuleDocs,
    ScanError,
    ScanResult,
    Severity,
    Suppression,
)
from aiscan.reporters.json import render_json
from aiscan.resources import load_schema

RULE = Rule(
    id="AIS101",
    name="os-command-injection",
    category="injection",
    cwe=(78,),
    severity="error",
    confidence="high",
    message="m",
    summary="A shell command is built from user input",
    docs=RuleDocs(why="w", bad="b", good="g"),
    since="0.1.0",
    mode="taint",
    spec={},
)


def finding(path: str, line: int, severity: Severity, **extra: Any) -> Finding:
    return Finding(
        rule_id="AIS101",
        rule_name="os-command-injection",
        category="injection",
        cwe=(78,),
        severity=severity,
        confidence="high",
        message=f"größe at {line}",
        location=Location(path, line, 5, line, 9),
        **extra,
    )


@pytest.fixture
def result(tmp_path: Path) -> ScanResult:
    flow = (
        FlowStep(Location("a.py", 1, 1, 1, 4), "source"),
        FlowStep(Location("b dir/ü.py", 3, 5, 3, 9), "sink"),
    )
    return ScanResult(
        findings=(
            finding("a.py", 2, "error"),
            finding("b dir/ü.py", 3, "warning", flow=flow),
            finding("b dir/ü.py", 4, "warning"),
        ),
        suppressed=(
            finding("a.py", 7, "note", suppression=Suppression(("AIS101", "injection"), "ok", 6)),
        ),
        errors=(
            ScanError("syntax-error", "c.py", "invalid syntax", 2, 3),
            ScanError("bad-suppression", "a.py", "unknown rule", 5, 0, fatal=False),
        ),
        rules=(RULE,),
        files_scanned=3,
        root=str(tmp_path),
        environment={"python": "3.11.9"},
    )


def test_output_validates_against_results_schema(
    result: ScanResult, results_validator: Any
) -> None:
    results_validator.validate(json.loads(render_json(result)))


def test_the_schema_is_draft_2020_12_with_its_id() -> None:
    schema = load_schema("results.schema.json")
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == "https://aiscan.dev/schemas/results.schema.json"


def test_the_schema_enums_follow_the_model() -> None:
    defs = load_schema("results.schema.json")["$defs"]
    assert defs["severity"]["enum"] == list(get_args(Severity))
    assert defs["confidence"]["enum"] == list(get_args(Confidence))
    assert defs["error"]["properties"]["kind"]["enum"] == list(get_args(ErrorKind))


def test_the_schema_rejects_what_the_format_forbids(
    result: ScanResult, results_validator: Any
) -> None:
    good = json.loads(render_json(result))
    for path, value in (
        (("findings", 0, "line"), 0),
        (("findings", 0, "severity"), "fatal"),
        (("findings", 0, "surprise"), 1),
        (("findings", 1, "flow", 0, "surprise"), 1),
        (("suppressed", 0, "suppression", "line"), "6"),
        (("schema_version",), "2"),
        (("environment", "python"), 3),
    ):
        data = json.loads(json.dumps(good))
        target = data
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
        assert not results_validator.is_valid(data), path


def test_the_document(result: ScanResult, tmp_path: Path) -> None:
    data = json.loads(render_json(result))
    assert list(data) == [
        "schema_version",
        "tool",
        "root",
        "files_scanned",
        "incomplete",
        "summary",
        "findings",
        "suppressed",
        "errors",
        "rules",
        "environment",
        "target_environment",
    ]
    assert data["schema_version"] == "1"
    assert data["tool"] == {"name": "aiscan", "version": aiscan.__version__}
    assert data["root"] == str(tmp_path)
    assert data["files_scanned"] == 3
    assert data["incomplete"] is True
    assert data["summary"] == {
        "findings": 3,
        "suppressed": 1,
        "errors": 2,
        "by_severity": {"error": 1, "warning": 2, "note": 0},
    }
    assert data["rules"] == [
        {
            "id": "AIS101",
            "name": "os-command-injection",
            "category": "injection",
            "severity": "error",
            "confidence": "high",
            "cwe": [78],
        }
    ]
    assert data["environment"] == {"python": "3.11.9"}


def test_a_finding(result: ScanResult) -> None:
    data = json.loads(render_json(result))
    assert data["findings"][1] == {
        "rule_id": "AIS101",
        "rule_name": "os-command-injection",
        "category": "injection",
        "cwe": [78],
        "severity": "warning",
        "confidence": "high",
        "message": "größe at 3",
        "path": "b dir/ü.py",
        "line": 3,
        "column": 5,
        "end_line": 3,
        "end_column": 9,
        "flow": [
            {
                "path": "a.py",
                "line": 1,
                "column": 1,
                "end_line": 1,
                "end_column": 4,
                "message": "source",
            },
            {
                "path": "b dir/ü.py",
                "line": 3,
                "column": 5,
                "end_line": 3,
                "end_column": 9,
                "message": "sink",
            },
        ],
        "suppression": None,
    }
    assert data["suppressed"][0]["suppression"] == {
        "rule_ids": ["AIS101", "injection"],
        "reason": "ok",
        "line": 6,
    }
    assert data["suppressed"][0]["severity"] == "note"


def test_errors(result: ScanResult) -> None:
    data = json.loads(render_json(result))
    assert data["errors"] == [
        {
            "kind": "syntax-error",
            "path": "c.py",
            "line": 2,
            "column": 3,
            "message": "invalid syntax",
            "fatal": True,
        },
        {
            "kind": "bad-suppression",
            "path": "a.py",
            "line": 5,
            "column": 0,
            "message": "unknown rule",
            "fatal": False,
        },
    ]


def test_output_is_deterministic_indented_utf8(result: ScanResult) -> None:
    text = render_json(result)
    assert text == render_json(result)
    assert text.startswith('{\n  "schema_version": "1",')
    assert text.endswith("}\n")
    assert "größe" in text  # not \u-escaped


def test_a_file_name_that_is_not_utf8_still_gives_writable_json(
    result: ScanResult, results_validator: Any
) -> None:
    path = "caf\udce9.py"  # os.fsdecode(b"caf\xe9.py")
    odd = ScanResult(
        findings=(finding(path, 1, "error"),),
        suppressed=(),
        errors=(),
        rules=(),
        files_scanned=1,
        root=result.root,
    )
    text = render_json(odd)
    text.encode("utf-8")
    data = json.loads(text)
    results_validator.validate(data)
    assert data["findings"][0]["path"] == path


def test_scan_result_to_json_uses_this_reporter(result: ScanResult) -> None:
    assert result.to_json() == render_json(result)
