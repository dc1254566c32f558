"""Properties of every reporter, for any scan result: valid, GitHub-ready, deterministic."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any, get_args

from hypothesis import given, settings
from hypothesis import strategies as st

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
from aiscan.reporters import REPORTERS
from aiscan.reporters.json import render_json
from aiscan.reporters.sarif import render_sarif
from aiscan.reporters.text import render_text, summary_line

SEVERITIES: tuple[Severity, ...] = get_args(Severity)
CONFIDENCES: tuple[Confidence, ...] = get_args(Confidence)

# File names: any character a POSIX file name may hold ("/" separates, NUL is impossible),
# with the ones that need percent-encoding in a URI drawn often.
_name_chars = st.one_of(
    st.sampled_from(list(" %#?:;@&=+$,[]{}'\"\\!~*()é名😀")),
    st.characters(exclude_characters="/\x00", exclude_categories=("Cs",)),
)
_segment = st.text(_name_chars, min_size=1, max_size=8).filter(lambda s: s not in {".", ".."})
_paths = st.lists(_segment, min_size=1, max_size=3).map("/".join)
_text = st.text(max_size=40)


@st.composite
def _locations(draw: st.DrawFn, paths: list[str]) -> Location:
    line = draw(st.integers(1, 40))
    column = draw(st.integers(1, 90))
    end_line = draw(st.integers(line, line + 3))
    low = column if end_line == line else 1
    return Location(
        draw(st.sampled_from(paths)), line, column, end_line, draw(st.integers(low, 120))
    )


@st.composite
def _rules(draw: st.DrawFn) -> list[Rule]:
    numbers = draw(st.lists(st.integers(100, 999), min_size=1, max_size=4, unique=True))
    return [
        Rule(
            id=f"AIS{n}",
            name=draw(st.from_regex(r"[a-z][a-z0-9]{0,8}(-[a-z0-9]{1,6}){0,2}", fullmatch=True)),
            category=draw(st.sampled_from(["injection", "crypto", "secrets"])),
            cwe=tuple(draw(st.lists(st.integers(1, 1500), max_size=12))),
            severity=draw(st.sampled_from(SEVERITIES)),
            confidence=draw(st.sampled_from(CONFIDENCES)),
            message=draw(_text),
            summary=draw(_text),
            docs=RuleDocs(
                why=draw(st.text(max_size=1500)),
                bad=draw(_text),
                good=draw(_text),
                references=tuple(draw(st.lists(_text, max_size=2))),
            ),
            since="0.1.0",
            mode="pattern",
            spec={},
            tags=tuple(draw(st.lists(_text, max_size=12))),
        )
        for n in numbers
    ]


@st.composite
def _findings(
    draw: st.DrawFn, rules: list[Rule], paths: list[str], suppressed: bool
) -> list[Finding]:
    out = []
    ids = [rule.id for rule in rules]
    for _ in range(draw(st.integers(0, 5))):
        rule_id = draw(st.sampled_from([*ids, "AIS001"]))  # AIS001: a rule not in the result
        flow = tuple(
            FlowStep(draw(_locations(paths)), draw(_text)) for _ in range(draw(st.integers(0, 4)))
        )
        suppression = None
        if suppressed:
            suppression = Suppression(tuple(draw(st.lists(_text, max_size=2))), draw(_text), 1)
        out.append(
            Finding(
                rule_id=rule_id,
                rule_name=draw(st.sampled_from(["", "some-rule"])),
                category="injection",
                cwe=tuple(draw(st.lists(st.integers(1, 1500), max_size=3))),
                severity=draw(st.sampled_from(SEVERITIES)),
                confidence=draw(st.sampled_from(CONFIDENCES)),
                message=draw(_text),
                location=draw(_locations(paths)),
                flow=flow,
                suppression=suppression,
            )
        )
    return out


@st.composite
def scan_inputs(draw: st.DrawFn) -> tuple[dict[str, bytes | None], dict[str, Any]]:
    """File contents by path (None: not on disk) and the ScanResult fields but root."""
    paths = draw(st.lists(_paths, min_size=1, max_size=4, unique=True))
    contents = {
        path: draw(st.one_of(st.none(), st.binary(max_size=300), _text.map(str.encode)))
        for path in paths
    }
    rules = draw(_rules())
    errors = [
        ScanError(
            kind=draw(st.sampled_from(get_args(ErrorKind))),
            path=draw(st.sampled_from(["", *paths])),
            message=draw(_text),
            line=draw(st.integers(0, 40)),
            column=draw(st.integers(0, 40)),
            fatal=draw(st.booleans()),
        )
        for _ in range(draw(st.integers(0, 3)))
    ]
    fields = {
        "findings": tuple(draw(_findings(rules, paths, suppressed=False))),
        "suppressed": tuple(draw(_findings(rules, paths, suppressed=True))),
        "errors": tuple(errors),
        "rules": tuple(rules),
        "files_scanned": draw(st.integers(0, 10_000)),
        "environment": draw(st.dictionaries(_text, _text, max_size=3)),
    }
    return contents, fields


def _write(root: Path, contents: dict[str, bytes | None]) -> None:
    for path, data in contents.items():
        if data is None:
            continue
        target = root / path
        try:  # "a" may be drawn as a file and as a folder ("a/b"): then one is missing
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        except OSError:
            pass


@settings(max_examples=60, deadline=None)
@given(inputs=scan_inputs())
def test_every_report_is_valid_and_deterministic(
    inputs: tuple[dict[str, bytes | None], dict[str, Any]],
    sarif_validator: Any,
    results_validator: Any,
) -> None:
    contents, fields = inputs
    with tempfile.TemporaryDirectory() as tmp:
        _write(Path(tmp), contents)
        result = ScanResult(root=tmp, **fields)

        sarif_text = render_sarif(result)
        assert sarif_text == render_sarif(result)
        log = json.loads(sarif_text.encode("utf-8"))
        sarif_validator.validate(log)
        _assert_github_ready(log, result)

        json_text = render_json(result)
        assert json_text == render_json(result)
        results_validator.validate(json.loads(json_text.encode("utf-8")))

        text = render_text(result, show_suppressed=True)
        assert text == render_text(result, show_suppressed=True)
        text.encode("utf-8")
        assert "\x1b" not in text
        assert text.endswith("\n")
        assert text[:-1].split("\n")[-1] == summary_line(result)


def _assert_github_ready(log: dict[str, Any], result: ScanResult) -> None:
    run = log["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert len({rule["id"] for rule in rules}) == len(rules)
    for rule in rules:
        for key in ("shortDescription", "fullDescription", "help"):
            assert rule[key]["text"]
        assert len(rule["shortDescription"]["text"].encode("utf-8")) <= 1024
        assert len(rule["fullDescription"]["text"].encode("utf-8")) <= 1024
        assert 0 < float(rule["properties"]["security-severity"]) <= 10
        tags = rule["properties"]["tags"]
        assert len(tags) <= 10
        assert len(set(tags)) == len(tags)
    shown = (*result.findings, *result.suppressed)
    assert len(run["results"]) == len(shown)
    for res, finding in zip(run["results"], shown, strict=True):
        assert res["ruleId"] == finding.rule_id
        assert rules[res["ruleIndex"]]["id"] == finding.rule_id
        assert res["level"] == finding.severity
        assert res["message"]["text"]
        assert res["partialFingerprints"]["primaryLocationLineHash"]
        (location,) = res["locations"]
        region = location["physicalLocation"]["region"]
        assert (region["startLine"], region["startColumn"]) == (finding.line, finding.column)
        steps = res.get("codeFlows", [{"threadFlows": [{"locations": []}]}])
        assert len(steps[0]["threadFlows"][0]["locations"]) == len(finding.flow)
    assert run["invocations"][0]["executionSuccessful"] is not result.incomplete


def test_the_registry_names_each_format() -> None:
    assert dict(REPORTERS) == {"text": render_text, "json": render_json, "sarif": render_sarif}


def test_scan_result_to_sarif_uses_this_reporter(tmp_path: Path) -> None:
    result = ScanResult((), (), (), (), 0, str(tmp_path))
    assert result.to_sarif() == render_sarif(result)
