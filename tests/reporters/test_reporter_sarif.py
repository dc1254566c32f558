"""The SARIF reporter: valid against the OASIS schema, and what GitHub code scanning requires."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

import pytest

import aiscan
from aiscan.model import (
    Finding,
    FlowStep,
    Location,
    Rule,
    RuleDocs,
    ScanError,
    ScanResult,
    Suppression,
)
from aiscan.reporters import sarif
from aiscan.reporters.fingerprint import EMPTY_FILE_HASH, line_hashes

APP = 'import os\nname = "héllo"; os.system(name)\n'
ODD_PATH = "src dir/ünï cödé #1%?.py"


def make_rule(rule_id: str = "AIS101", **changes: Any) -> Rule:
    rule = Rule(
        id=rule_id,
        name="os-command-injection",
        category="injection",
        cwe=(78, 88),
        severity="error",
        confidence="high",
        message="Shell command built from {source}",
        summary="A shell command is built from user input",
        docs=RuleDocs(
            why="A shell runs whatever the input says.",
            bad="os.system(name)",
            good='subprocess.run(["ls", name])',
            references=("https://cwe.mitre.org/data/definitions/78.html",),
        ),
        since="0.1.0",
        mode="taint",
        spec={},
        tags=("injection", "security"),
    )
    return replace(rule, **changes)


def make_finding(rule: Rule, where: Location, **changes: Any) -> Finding:
    finding = Finding(
        rule_id=rule.id,
        rule_name=rule.name,
        category=rule.category,
        cwe=rule.cwe,
        severity=rule.severity,
        confidence=rule.confidence,
        message="Shell command built from name",
        location=where,
    )
    return replace(finding, **changes)


def sink(path: str = "app.py") -> Location:
    # 'os.system(name)' on line 2 of APP: columns are code points, so "é" counts one.
    return Location(path, 2, 17, 2, 32)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "app.py").write_text(APP, encoding="utf-8")
    odd = tmp_path / ODD_PATH
    odd.parent.mkdir(parents=True)
    odd.write_text(APP, encoding="utf-8")
    return tmp_path


@pytest.fixture
def result(root: Path) -> ScanResult:
    command = make_rule()
    weak = make_rule(
        "AIS200",
        name="weak-hash",
        category="crypto",
        cwe=(327,),
        severity="warning",
        confidence="medium",
        summary="A weak hash",
        tags=(),
    )
    flow = (
        FlowStep(Location("app.py", 2, 1, 2, 5), "name is assigned user input"),
        FlowStep(sink(), "name reaches os.system"),
    )
    return ScanResult(
        findings=(
            make_finding(command, sink(), flow=flow),  # severity equals the rule default
            make_finding(
                weak,
                Location(ODD_PATH, 1, 1, 1, 10),
                severity="error",  # differs from the rule's default
                message="Schwacher Hash für größere Daten",
            ),
            make_finding(command, sink("gone.py"), severity="note"),  # file not on disk
        ),
        suppressed=(
            make_finding(
                command,
                Location("app.py", 1, 1, 1, 10),
                suppression=Suppression(("AIS101",), "reviewed: constant input", 1),
            ),
        ),
        errors=(
            ScanError("syntax-error", "broken.py", "invalid syntax", 3, 7),
            ScanError("bad-suppression", "app.py", "unknown rule AIS999", 0, 0, fatal=False),
        ),
        rules=(command, weak),
        files_scanned=4,
        root=str(root),
        environment={"python": "3.11.9", "platform": "linux"},
    )


def _log(result: ScanResult) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(sarif.render_sarif(result))
    return data


def _run(result: ScanResult) -> dict[str, Any]:
    run: dict[str, Any] = _log(result)["runs"][0]
    return run


def _region(sarif_result: dict[str, Any]) -> dict[str, Any]:
    region: dict[str, Any] = sarif_result["locations"][0]["physicalLocation"]["region"]
    return region


def _uri(sarif_result: dict[str, Any]) -> str:
    uri: str = sarif_result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    return uri


# --- validity ---------------------------------------------------------------------------------


def test_output_validates_against_the_official_schema(
    result: ScanResult, sarif_validator: Any
) -> None:
    text = sarif.render_sarif(result)
    sarif_validator.validate(json.loads(text.encode("utf-8")))


def test_the_validator_checks_uri_formats(sarif_validator: Any) -> None:
    # The format checks are hand-written (no rfc3987 installed); prove they are not a no-op.
    bad = {"version": "2.1.0", "runs": [], "$schema": "not a uri"}
    assert not sarif_validator.is_valid(bad)
    tool = {"driver": {"name": "x"}}
    for uri in ("a b.py", "ü.py", "%zz.py", "a#b#c", "x\\y.py", "[x].py"):
        location = {"physicalLocation": {"artifactLocation": {"uri": uri}}}
        run = {"tool": tool, "results": [{"message": {"text": "m"}, "locations": [location]}]}
        assert not sarif_validator.is_valid({"version": "2.1.0", "runs": [run]}), uri


def test_output_is_deterministic_and_keeps_non_ascii(result: ScanResult) -> None:
    first = sarif.render_sarif(result)
    assert first == sarif.render_sarif(result)
    assert first.endswith("}\n")
    assert "héllo" not in first  # source text is never copied into the log ...
    assert "reviewed: constant input" in first
    assert '"python": "3.11.9"' in first
    assert "Schwacher Hash für größere Daten" in first  # not \u-escaped


# --- GitHub's checklist (../shared/spec/github-code-scanning-constraints.json) ------------------


def test_every_property_github_requires_is_present_and_non_empty(result: ScanResult) -> None:
    log = _log(result)
    assert log["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json"
    assert log["version"] == "2.1.0"
    assert len(log["runs"]) == 1
    run = log["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["name"] == "aiscan"
    assert driver["semanticVersion"] == aiscan.__version__
    assert driver["informationUri"] == "https://github.com/aiscan/aiscan"
    assert [rule["id"] for rule in driver["rules"]] == ["AIS101", "AIS200"]
    for rule in driver["rules"]:
        for key in ("shortDescription", "fullDescription", "help"):
            assert rule[key]["text"].strip(), (rule["id"], key)
        assert "helpUri" not in rule
    assert len(run["results"]) == 4
    for res in run["results"]:
        assert res["message"]["text"].strip()
        assert len(res["locations"]) == 1
        physical = res["locations"][0]["physicalLocation"]
        assert physical["artifactLocation"]["uri"]
        assert physical["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
        for key in ("startLine", "startColumn", "endLine", "endColumn"):
            assert physical["region"][key] >= 1, key
        assert res["partialFingerprints"]["primaryLocationLineHash"]


def test_level_is_written_on_every_result_even_when_it_is_the_default(result: ScanResult) -> None:
    run = _run(result)
    levels = [res["level"] for res in run["results"]]
    assert levels == ["error", "error", "note", "error"]
    rules = run["tool"]["driver"]["rules"]
    same, differs = run["results"][0], run["results"][1]
    assert rules[same["ruleIndex"]]["defaultConfiguration"]["level"] == same["level"] == "error"
    assert rules[differs["ruleIndex"]]["defaultConfiguration"]["level"] == "warning"
    assert differs["level"] == "error"


def test_a_warning_result_keeps_its_level_although_sarif_defaults_to_warning(
    result: ScanResult,
) -> None:
    # sarif_om's own serializer drops fields equal to the schema default; this one must not.
    findings = (replace(result.findings[0], severity="warning"),)
    res = _run(replace(result, findings=findings, suppressed=()))["results"][0]
    assert res["level"] == "warning"


def test_fields_that_were_never_set_are_not_written(result: ScanResult) -> None:
    run = _run(result)
    res = run["results"][0]
    for key in ("kind", "rank", "rule", "fingerprints", "relatedLocations"):
        assert key not in res
    assert "charOffset" not in _region(res) and "byteOffset" not in _region(res)
    assert "index" not in res["locations"][0]["physicalLocation"]["artifactLocation"]
    assert "id" not in res["locations"][0]
    for key in ("language", "newlineSequences"):
        assert key not in run
    assert "contents" not in run["tool"]["driver"]
    assert "rank" not in run["tool"]["driver"]["rules"][0]["defaultConfiguration"]


def test_rule_metadata_for_github(result: ScanResult) -> None:
    rules = _run(result)["tool"]["driver"]["rules"]
    command = rules[0]
    props = command["properties"]
    assert props["tags"] == [
        "security",
        "external/cwe/cwe-78",
        "external/cwe/cwe-88",
        "injection",
    ]
    assert props["precision"] == "high"
    assert props["problem.severity"] == "error"
    assert props["category"] == "injection"
    assert command["name"] == "os-command-injection"
    assert command["shortDescription"]["text"] == "A shell command is built from user input"
    assert command["fullDescription"]["text"] == "A shell runs whatever the input says."
    markdown = command["help"]["markdown"]
    assert "```python\nos.system(name)\n```" in markdown
    assert '```python\nsubprocess.run(["ls", name])\n```' in markdown
    assert "https://cwe.mitre.org/data/definitions/78.html" in markdown
    assert "os.system(name)" in command["help"]["text"]
    weak = rules[1]
    assert weak["properties"]["problem.severity"] == "warning"
    assert weak["properties"]["precision"] == "medium"
    for rule in rules:
        severity = float(rule["properties"]["security-severity"])
        assert 0.0 < severity <= 10.0


def test_note_severity_is_a_recommendation_for_github(result: ScanResult) -> None:
    note = make_rule("AIS300", severity="note", confidence="low")
    run = _run(replace(result, rules=(note,), findings=(), suppressed=()))
    props = run["tool"]["driver"]["rules"][0]["properties"]
    assert props["problem.severity"] == "recommendation"
    assert props["precision"] == "low"
    assert run["tool"]["driver"]["rules"][0]["defaultConfiguration"]["level"] == "note"


def test_an_example_with_backticks_gets_a_longer_fence(result: ScanResult) -> None:
    docs = RuleDocs(why="w", bad='s = """```"""', good="s = '`'")
    rule = make_rule(docs=docs)
    markdown = _run(replace(result, rules=(rule,)))["tool"]["driver"]["rules"][0]["help"]
    assert '````python\ns = """```"""\n````' in markdown["markdown"]
    assert "```python\ns = '`'\n```" in markdown["markdown"]


def test_a_blank_message_falls_back_to_the_rule_summary(result: ScanResult) -> None:
    finding = replace(result.findings[0], message=" ")
    res = _run(replace(result, findings=(finding,)))["results"][0]
    assert res["message"]["text"] == "A shell command is built from user input"


def test_tags_are_unique_and_at_most_ten(result: ScanResult) -> None:
    many = make_rule(cwe=tuple(range(1, 13)), tags=("security", "a", "a", ""))
    tags = _run(replace(result, rules=(many,)))["tool"]["driver"]["rules"][0]["properties"]["tags"]
    assert len(tags) == 10
    assert len(set(tags)) == 10
    assert tags[:3] == ["security", "external/cwe/cwe-1", "external/cwe/cwe-2"]


def test_descriptions_are_cut_to_githubs_limit(result: ScanResult, sarif_validator: Any) -> None:
    long_rule = make_rule(
        summary="s" * 2000, docs=RuleDocs(why="é" * 2000, bad="", good=""), name="n" * 300
    )
    log = _log(replace(result, rules=(long_rule,)))
    sarif_validator.validate(log)
    rule = log["runs"][0]["tool"]["driver"]["rules"][0]
    for key in ("shortDescription", "fullDescription"):
        text = rule[key]["text"]
        assert len(text.encode("utf-8")) <= 1024
        assert text.endswith("\u2026")
    assert len(rule["name"].encode("utf-8")) <= 255
    assert "Example" not in rule["help"]["text"]  # empty examples are left out


def test_a_finding_whose_rule_is_missing_gets_a_stand_in_rule(
    result: ScanResult, sarif_validator: Any
) -> None:
    orphan = make_finding(make_rule("AIS999", name="orphan-rule"), sink(), message="")
    log = _log(replace(result, findings=(*result.findings, orphan)))
    sarif_validator.validate(log)
    run = log["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    res = run["results"][3]
    assert rules[res["ruleIndex"]]["id"] == "AIS999"
    assert rules[res["ruleIndex"]]["shortDescription"]["text"] == "orphan-rule"
    assert res["message"]["text"] == "orphan-rule"  # never an empty message


def test_rule_index_points_at_the_rule_of_the_result(result: ScanResult) -> None:
    run = _run(result)
    rules = run["tool"]["driver"]["rules"]
    assert [res["ruleId"] for res in run["results"]] == ["AIS101", "AIS200", "AIS101", "AIS101"]
    for res in run["results"]:
        assert rules[res["ruleIndex"]]["id"] == res["ruleId"]


def test_duplicate_rules_are_written_once(result: ScanResult, sarif_validator: Any) -> None:
    log = _log(replace(result, rules=(*result.rules, result.rules[0])))
    sarif_validator.validate(log)  # toolComponent.rules must be unique
    assert len(log["runs"][0]["tool"]["driver"]["rules"]) == 2


def test_columns_are_one_based_code_points(result: ScanResult) -> None:
    run = _run(result)
    assert run["columnKind"] == "unicodeCodePoints"
    region = _region(run["results"][0])
    assert region == {"startLine": 2, "startColumn": 17, "endLine": 2, "endColumn": 32}
    line = APP.split("\n")[region["startLine"] - 1]
    assert line[region["startColumn"] - 1 : region["endColumn"] - 1] == "os.system(name)"


def test_a_path_with_spaces_and_non_ascii_is_a_percent_encoded_relative_uri(
    result: ScanResult, root: Path
) -> None:
    run = _run(result)
    uri = _uri(run["results"][1])
    assert uri == "src%20dir/%C3%BCn%C3%AF%20c%C3%B6d%C3%A9%20%231%25%3F.py"
    assert uri.isascii()
    assert urlsplit(uri).scheme == ""
    assert unquote(uri) == ODD_PATH
    base = run["originalUriBaseIds"]["%SRCROOT%"]["uri"]
    assert base == root.as_uri() + "/"
    assert urljoin(base, uri) == (root / ODD_PATH).as_uri()


def test_a_colon_in_the_first_segment_is_not_read_as_a_scheme(result: ScanResult) -> None:
    finding = replace(result.findings[0], location=Location("c:odd.py", 1, 1, 1, 2), flow=())
    res = _run(replace(result, findings=(finding,)))["results"][0]
    assert _uri(res) == "c%3Aodd.py"
    assert urlsplit(_uri(res)).scheme == ""


def test_code_flows_run_source_first(result: ScanResult) -> None:
    res = _run(result)["results"][0]
    assert len(res["codeFlows"]) == 1
    assert len(res["codeFlows"][0]["threadFlows"]) == 1
    steps = res["codeFlows"][0]["threadFlows"][0]["locations"]
    assert [s["location"]["message"]["text"] for s in steps] == [
        "name is assigned user input",
        "name reaches os.system",
    ]
    first = steps[0]["location"]["physicalLocation"]
    assert first["region"] == {"startLine": 2, "startColumn": 1, "endLine": 2, "endColumn": 5}
    assert first["artifactLocation"] == {"uri": "app.py", "uriBaseId": "%SRCROOT%"}
    assert "codeFlows" not in _run(result)["results"][1]


def test_fingerprint_is_githubs_hash_of_the_start_line(result: ScanResult, root: Path) -> None:
    results = _run(result)["results"]
    expected = line_hashes((root / "app.py").read_text(encoding="utf-8"))
    assert results[0]["partialFingerprints"] == {"primaryLocationLineHash": expected[1]}
    assert results[3]["partialFingerprints"]["primaryLocationLineHash"] == expected[0]


def test_an_unreadable_file_still_gets_a_stable_fingerprint(result: ScanResult) -> None:
    res = _run(result)["results"][2]
    assert _uri(res) == "gone.py"
    assert res["partialFingerprints"]["primaryLocationLineHash"] == EMPTY_FILE_HASH


def test_suppressed_findings_carry_an_in_source_suppression(result: ScanResult) -> None:
    run = _run(result)
    res = run["results"][3]
    assert res["suppressions"] == [
        {"kind": "inSource", "justification": "reviewed: constant input"}
    ]
    for active in run["results"][:3]:
        assert "suppressions" not in active
    assert run["properties"]["suppressedCount"] == 1


def test_run_properties_and_root(result: ScanResult, root: Path) -> None:
    run = _run(result)
    assert run["properties"] == {
        "environment": {"python": "3.11.9", "platform": "linux"},
        "filesScanned": 4,
        "suppressedCount": 1,
    }
    assert run["originalUriBaseIds"] == {"%SRCROOT%": {"uri": root.as_uri() + "/"}}


def test_scan_errors_become_notifications(result: ScanResult) -> None:
    invocation = _run(result)["invocations"][0]
    assert invocation["executionSuccessful"] is False  # a fatal error: the scan is incomplete
    fatal, warning = invocation["toolExecutionNotifications"]
    assert fatal["level"] == "error"
    assert fatal["descriptor"] == {"id": "syntax-error"}
    assert fatal["message"]["text"] == "broken.py:3:7: syntax-error: invalid syntax"
    assert fatal["locations"] == [
        {
            "physicalLocation": {
                "artifactLocation": {"uri": "broken.py", "uriBaseId": "%SRCROOT%"},
                "region": {"startLine": 3, "startColumn": 7},
            }
        }
    ]
    assert warning["level"] == "warning"
    assert warning["descriptor"] == {"id": "bad-suppression"}
    assert "region" not in warning["locations"][0]["physicalLocation"]


def test_execution_is_successful_with_only_non_fatal_errors(result: ScanResult) -> None:
    invocation = _run(replace(result, errors=result.errors[1:]))["invocations"][0]
    assert invocation["executionSuccessful"] is True
    clean = _run(replace(result, errors=()))["invocations"][0]
    assert clean == {"executionSuccessful": True}


def test_an_empty_scan_is_valid(tmp_path: Path, sarif_validator: Any) -> None:
    empty = ScanResult((), (), (), (), 0, str(tmp_path))
    log = _log(empty)
    sarif_validator.validate(log)
    run = log["runs"][0]
    assert run["results"] == []
    assert run["tool"]["driver"]["rules"] == []


# --- GitHub's size limits ---------------------------------------------------------------------


def test_the_limits_are_githubs() -> None:
    assert sarif.MAX_RESULTS == 25_000
    assert sarif.MAX_THREAD_FLOW_LOCATIONS == 10_000


def test_results_past_the_limit_are_dropped_least_severe_first(
    result: ScanResult, monkeypatch: pytest.MonkeyPatch, sarif_validator: Any
) -> None:
    monkeypatch.setattr(sarif, "MAX_RESULTS", 3)
    rule = result.rules[0]
    findings = tuple(
        make_finding(rule, Location("app.py", line, 1, line, 2), severity=severity)
        for line, severity in enumerate(["note", "error", "warning", "note", "error"], start=1)
    )
    log = _log(replace(result, findings=findings))
    sarif_validator.validate(log)
    run = log["runs"][0]
    # The kept ones stay in the result's order; the suppressed one goes before any active one.
    assert [(_region(r)["startLine"], r["level"]) for r in run["results"]] == [
        (2, "error"),
        (3, "warning"),
        (5, "error"),
    ]
    notes = run["invocations"][0]["toolExecutionNotifications"]
    dropped = [n for n in notes if n["descriptor"]["id"] == "results-truncated"]
    assert len(dropped) == 1
    assert dropped[0]["level"] == "warning"
    assert dropped[0]["message"]["text"].startswith("3 of 6 results were left out")


def test_flows_past_the_limit_keep_their_start_and_their_sink(
    result: ScanResult, monkeypatch: pytest.MonkeyPatch, sarif_validator: Any
) -> None:
    monkeypatch.setattr(sarif, "MAX_THREAD_FLOW_LOCATIONS", 3)
    flow = tuple(FlowStep(Location("app.py", n, 1, n, 2), f"step {n}") for n in range(1, 6))
    finding = replace(result.findings[0], flow=flow)
    log = _log(replace(result, findings=(finding,)))
    sarif_validator.validate(log)
    run = log["runs"][0]
    steps = run["results"][0]["codeFlows"][0]["threadFlows"][0]["locations"]
    assert [s["location"]["message"]["text"] for s in steps] == ["step 1", "step 2", "step 5"]
    notes = run["invocations"][0]["toolExecutionNotifications"]
    cut = [n for n in notes if n["descriptor"]["id"] == "thread-flow-truncated"]
    assert len(cut) == 1
    assert "5 steps" in cut[0]["message"]["text"]
    assert cut[0]["locations"][0]["physicalLocation"]["region"]["startLine"] == 2


def test_a_lone_surrogate_in_a_file_name_is_written_as_its_bytes(
    result: ScanResult, sarif_validator: Any
) -> None:
    # os.fsdecode(b"caf\xe9.py") on a UTF-8 system: not valid UTF-8, kept as a surrogate escape.
    path = "caf\udce9.py"
    finding = replace(result.findings[0], location=Location(path, 1, 1, 1, 2), flow=())
    text = sarif.render_sarif(replace(result, findings=(finding,)))
    text.encode("utf-8")  # writable
    log = json.loads(text)
    sarif_validator.validate(log)
    assert _uri(log["runs"][0]["results"][0]) == "caf%E9.py"
