"""The SARIF and JSON written for the example app: valid, and what GitHub code scanning needs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import aiscan

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture(scope="module")
def result() -> aiscan.ScanResult:
    return aiscan.scan([EXAMPLES], jobs=1, root=EXAMPLES)


@pytest.fixture(scope="module")
def log(result: aiscan.ScanResult) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(result.to_sarif())
    return data


def test_the_example_app_has_findings_to_report(result: aiscan.ScanResult) -> None:
    assert result.findings, "the example app exists to show findings"
    assert any(f.flow for f in result.findings), "a taint finding with its path is expected"
    assert not result.errors


def test_sarif_validates_against_the_official_schema(
    log: dict[str, Any], sarif_validator: Any
) -> None:
    errors = sorted(sarif_validator.iter_errors(log), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:10])


def test_json_validates_against_the_results_schema(
    result: aiscan.ScanResult, results_validator: Any
) -> None:
    data = json.loads(result.to_json())
    errors = list(results_validator.iter_errors(data))
    assert not errors, errors[:3]
    assert len(data["findings"]) == len(result.findings)


def test_github_code_scanning_checklist(log: dict[str, Any], result: aiscan.ScanResult) -> None:
    assert log["$schema"] and log["version"] == "2.1.0"
    (run,) = log["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "aiscan" and driver["semanticVersion"] and driver["informationUri"]
    rules = driver["rules"]
    assert {r["id"] for r in rules} >= {f.rule_id for f in result.findings}
    for rule in rules:
        for key in ("id", "name"):
            assert rule[key]
        assert rule["shortDescription"]["text"] and rule["fullDescription"]["text"]
        assert rule["help"]["text"] and rule["help"]["markdown"]
        assert rule["defaultConfiguration"]["level"] in ("error", "warning", "note")
        props = rule["properties"]
        assert "security" in props["tags"]
        severity = float(props["security-severity"])
        assert 0.0 < severity <= 10.0
        assert props["precision"] in ("very-high", "high", "medium", "low")
        assert props["problem.severity"] in ("error", "warning", "recommendation")
        assert props["category"] == next(r for r in result.rules if r.id == rule["id"]).category
    results = run["results"]
    assert len(results) == len(result.findings)
    for res in results:
        assert rules[res["ruleIndex"]]["id"] == res["ruleId"]
        assert res["level"] in ("error", "warning", "note")
        assert res["message"]["text"]
        (loc,) = res["locations"]
        physical = loc["physicalLocation"]
        artifact = physical["artifactLocation"]
        assert artifact["uriBaseId"] == "%SRCROOT%"
        assert not artifact["uri"].startswith(("/", "file:"))
        region = physical["region"]
        assert region["startLine"] >= 1 and region["startColumn"] >= 1
        assert region["endLine"] >= region["startLine"]
        assert res["partialFingerprints"]["primaryLocationLineHash"]
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"].endswith("/")


def test_code_flows_run_from_source_to_sink(log: dict[str, Any], result: aiscan.ScanResult) -> None:
    (run,) = log["runs"]
    flowed = [f for f in result.findings if f.flow]
    with_flows = [r for r in run["results"] if "codeFlows" in r]
    assert len(with_flows) == len(flowed)
    for res, finding in zip(with_flows, flowed, strict=True):
        steps = res["codeFlows"][0]["threadFlows"][0]["locations"]
        first = steps[0]["location"]["physicalLocation"]["region"]["startLine"]
        last = steps[-1]["location"]["physicalLocation"]["region"]["startLine"]
        assert first == finding.flow[0].location.line
        assert last == finding.flow[-1].location.line
        # The primary location is the sink: the last step.
        assert res["locations"][0]["physicalLocation"]["region"]["startLine"] == last
