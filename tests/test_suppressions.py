"""``# aiscan: ignore[ID] -- reason`` on the reported line; a malformed one is reported instead."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aiscan.api import scan
from aiscan.cli import main
from aiscan.config import Config
from aiscan.loader import RuleSet, load_rules
from aiscan.model import ScanResult
from aiscan.suppressions import parse_suppressions

RULE = """\
id: CUS001
name: danger-call
category: insecure-tls
cwe: [295]
severity: error
confidence: high
message: "{callee} is called"
summary: A custom rule for the suppression tests.
docs:
  why: Because it is dangerous.
  bad: mylib.danger()
  good: mylib.safe()
since: 0.1.0
mode: pattern
patterns:
  - call: [mylib.danger]
"""
OTHER = RULE.replace("CUS001", "CUS002").replace("danger-call", "fetch-call")
OTHER = OTHER.replace("mylib.danger]", "mylib.fetch]")


@pytest.fixture(scope="module")
def rules(tmp_path_factory: pytest.TempPathFactory) -> RuleSet:
    folder = tmp_path_factory.mktemp("rules")
    (folder / "danger-call.yaml").write_text(RULE)
    (folder / "fetch-call.yaml").write_text(OTHER)
    return load_rules([folder], builtin=False)


def run(tmp_path: Path, rules: RuleSet, code: str, name: str = "mod.py") -> ScanResult:
    (tmp_path / name).write_text(code, encoding="utf-8")
    return scan([tmp_path / name], rules=rules, config=Config(), jobs=1, root=tmp_path)


# --- the parser ----------------------------------------------------------------------------------


def test_a_well_formed_suppression_keeps_ids_and_reason() -> None:
    table, bad = parse_suppressions("x()  # aiscan: ignore[AIS101, AIS104] -- test host only\n")
    assert bad == []
    sup = table[1]
    assert sup.rule_ids == ("AIS101", "AIS104")
    assert sup.reason == "test host only"
    assert sup.line == 1


@pytest.mark.parametrize(
    ("comment", "says"),
    [
        ("# aiscan: ignore", "needs rule ids and a reason"),
        ("# aiscan: ignore -- a reason but no id", "needs rule ids and a reason"),
        ("# aiscan: ignore[] -- empty", "no valid rule id"),
        ("# aiscan: ignore[AIS 101] -- a space", "no valid rule id"),
        ("# aiscan: ignore[AIS101]", "gives no reason"),
        ("# aiscan: ignore[AIS101] --", "gives no reason"),
        ("# aiscan: ignore[AIS101] --   ", "gives no reason"),
    ],
)
def test_a_malformed_suppression_is_reported_with_its_position(comment: str, says: str) -> None:
    table, bad = parse_suppressions(f"x = 1\ny()  {comment}\n")
    assert table == {}
    assert [(b.line, b.column) for b in bad] == [(2, 6)]
    assert says in bad[0].message


def test_only_real_comments_count() -> None:
    code = 's = "# aiscan: ignore[AIS101] -- in a string"\n"""\n# aiscan: ignore\n"""\n'
    assert parse_suppressions(code) == ({}, [])


# --- in a scan -----------------------------------------------------------------------------------


def test_a_suppression_silences_that_rule_on_that_line_and_keeps_the_reason(
    tmp_path: Path, rules: RuleSet
) -> None:
    result = run(
        tmp_path,
        rules,
        "import mylib\n"
        "mylib.danger()  # aiscan: ignore[CUS001] -- the sandbox allows it\n"
        "mylib.danger()\n",
    )
    assert [f.line for f in result.findings] == [3]
    (sup,) = result.suppressed
    assert sup.line == 2
    assert sup.suppression is not None
    assert sup.suppression.reason == "the sandbox allows it"
    assert sup.suppression.rule_ids == ("CUS001",)
    assert result.errors == ()


def test_a_suppression_by_name_or_category(tmp_path: Path, rules: RuleSet) -> None:
    result = run(
        tmp_path,
        rules,
        "import mylib\n"
        "mylib.danger()  # aiscan: ignore[danger-call] -- by name\n"
        "mylib.danger()  # aiscan: ignore[insecure-tls] -- by category\n",
    )
    assert result.findings == ()
    assert [f.line for f in result.suppressed] == [2, 3]


def test_a_suppression_of_another_rule_does_not_silence(tmp_path: Path, rules: RuleSet) -> None:
    result = run(
        tmp_path,
        rules,
        "import mylib\nmylib.danger()  # aiscan: ignore[CUS002] -- the other rule\n",
    )
    assert [f.line for f in result.findings] == [2]
    assert result.suppressed == ()


def test_a_suppression_on_another_line_does_not_silence(tmp_path: Path, rules: RuleSet) -> None:
    result = run(
        tmp_path,
        rules,
        "import mylib\n# aiscan: ignore[CUS001] -- the line above the finding\nmylib.danger()\n",
    )
    assert [f.line for f in result.findings] == [3]


def test_one_comment_for_two_rules_on_one_line(tmp_path: Path, rules: RuleSet) -> None:
    result = run(
        tmp_path,
        rules,
        "import mylib\n"
        "mylib.danger(mylib.fetch())  # aiscan: ignore[CUS001, CUS002] -- both known\n",
    )
    assert result.findings == ()
    assert sorted(f.rule_id for f in result.suppressed) == ["CUS001", "CUS002"]


@pytest.mark.parametrize(
    "comment",
    ["# aiscan: ignore", "# aiscan: ignore[CUS001]", "# aiscan: ignore -- no rule id"],
)
def test_a_malformed_suppression_is_not_honoured_and_is_reported(
    tmp_path: Path, rules: RuleSet, comment: str
) -> None:
    result = run(tmp_path, rules, f"import mylib\nmylib.danger()  {comment}\n")
    assert [f.line for f in result.findings] == [2]
    assert result.suppressed == ()
    (err,) = result.errors
    assert (err.kind, err.path, err.line, err.column) == ("bad-suppression", "mod.py", 2, 17)
    assert not err.fatal  # reported, but the file was analysed


def test_a_malformed_suppression_where_no_rule_looks_is_still_reported(
    tmp_path: Path, rules: RuleSet
) -> None:
    """No rule's prefilter matches this file; its bad suppression must not go unreported."""
    result = run(tmp_path, rules, "x = 1  # aiscan: ignore\n")
    assert [(e.kind, e.line) for e in result.errors] == [("bad-suppression", 1)]


def test_suppressed_findings_are_counted_and_listed_on_request(
    tmp_path: Path,
    rules: RuleSet,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "danger-call.yaml").write_text(RULE)
    (tmp_path / "mod.py").write_text(
        "import mylib\nmylib.danger()  # aiscan: ignore[CUS001] -- reviewed in PR 12\n"
    )
    monkeypatch.chdir(tmp_path)
    base = ["scan", "mod.py", "--rules", "rules", "--no-builtin-rules"]

    assert main(base) == 0  # the only finding is suppressed
    out = capsys.readouterr().out
    assert "0 findings in 1 file; 1 suppressed" in out
    assert "reviewed in PR 12" not in out

    assert main([*base, "--show-suppressed"]) == 0
    out = capsys.readouterr().out
    assert "2:1" in out
    assert "suppressed: reviewed in PR 12" in out

    assert main([*base, "-f", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["summary"]["suppressed"] == 1
    assert data["suppressed"][0]["suppression"]["reason"] == "reviewed in PR 12"

    assert main([*base, "-f", "sarif"]) == 0
    sarif = json.loads(capsys.readouterr().out)
    (res,) = sarif["runs"][0]["results"]
    assert res["suppressions"][0]["justification"] == "reviewed in PR 12"
