"""``[tool.aiscan]``: each key does what it says, and a wrong one is named with its file."""

from __future__ import annotations

from pathlib import Path

import pytest

from aiscan.api import UsageError, scan
from aiscan.cli import main
from aiscan.config import Config, ConfigError, find_config, load_config_file, parse_config
from aiscan.loader import RuleSet, load_rules

RULE = """\
id: CUS001
name: danger-call
category: insecure-tls
cwe: [295]
severity: {severity}
confidence: high
message: "{{callee}} is called"
summary: A custom rule for the configuration tests.
docs:
  why: Because it is dangerous.
  bad: mylib.danger()
  good: mylib.safe()
since: 0.1.0
mode: pattern
patterns:
  - call: [mylib.danger]
"""
CALL = "import mylib\n\nmylib.danger()\n"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project folder (the cwd) with a .git marker, a custom rule and a few files."""
    (tmp_path / ".git").mkdir()
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "danger-call.yaml").write_text(RULE.format(severity="warning"))
    for rel in ("app/main.py", "app/gen/generated.py", "tests/test_main.py", "scripts/tool.py"):
        target = tmp_path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(CALL)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def pyproject(folder: Path, body: str) -> Path:
    path = folder / "pyproject.toml"
    path.write_text("[project]\nname = 'x'\n\n[tool.aiscan]\n" + body, encoding="utf-8")
    return path


def custom_rules(folder: Path) -> RuleSet:
    return load_rules([folder / "rules"], builtin=False)


def flagged(folder: Path, **kwargs: object) -> list[str]:
    result = scan(["."], rules=custom_rules(folder), jobs=1, **kwargs)  # type: ignore[arg-type]
    return sorted({f.path for f in result.findings})


# --- parsing -------------------------------------------------------------------------------------


def test_every_key_is_read(tmp_path: Path) -> None:
    path = pyproject(
        tmp_path,
        'include = ["src/"]\n'
        'exclude = "gen/"\n'
        'select = ["AIS101", "injection"]\n'
        'ignore = ["AIS104"]\n'
        'fail-on = "warning"\n'
        'rules = ["my-rules"]\n'
        "builtin-rules = false\n"
        "jobs = 3\n"
        "allow-parse-errors = true\n"
        '[tool.aiscan.per-path-ignores]\n"tests/**" = ["AIS101"]\n',
    )
    cfg = load_config_file(path)
    assert cfg.include == ("src/",)
    assert cfg.exclude == ("gen/",)
    assert cfg.select == ("AIS101", "injection")
    assert cfg.ignore == ("AIS104",)
    assert cfg.fail_on == "warning"
    assert cfg.rules == (str(tmp_path / "my-rules"),)  # relative to the file's folder
    assert cfg.builtin_rules is False
    assert cfg.jobs == 3
    assert cfg.allow_parse_errors is True
    assert dict(cfg.per_path_ignores) == {"tests/**": ("AIS101",)}
    assert cfg.source == str(path)


def test_a_pyproject_without_the_table_is_the_defaults(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text("[project]\nname = 'x'\n")
    assert load_config_file(path) == Config(source=str(path))


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ("colour = 1\n", "unknown key 'colour'"),
        ('fail-on = "fatal"\n', "fail-on must be error, warning or note"),
        ("select = [1, 2]\n", "select must be a string or a list of strings"),
        ('builtin-rules = "no"\n', "builtin-rules must be true or false"),
        ("jobs = -1\n", "jobs must be a whole number >= 0"),
        ("jobs = true\n", "jobs must be a whole number >= 0"),
        ('per-path-ignores = "x"\n', "per-path-ignores must be a table"),
    ],
)
def test_a_wrong_value_names_the_file_and_the_key(tmp_path: Path, body: str, says: str) -> None:
    path = pyproject(tmp_path, body)
    with pytest.raises(ConfigError) as info:
        load_config_file(path)
    message = str(info.value)
    assert message.startswith(f"{path}: ")
    assert says in message
    assert "\n" not in message


def test_invalid_toml_names_the_file_and_the_line(tmp_path: Path) -> None:
    path = pyproject(tmp_path, 'select = ["AIS101"\nfail-on = "error"\n')
    with pytest.raises(ConfigError) as info:
        load_config_file(path)
    message = str(info.value)
    assert message.startswith(f"{path}: invalid TOML")
    assert "line" in message
    assert "\n" not in message


def test_a_config_file_that_cannot_be_read(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_config_file(tmp_path / "nope.toml")


def test_find_config_walks_up_and_stops_at_the_repository_root(tmp_path: Path) -> None:
    outer = pyproject(tmp_path, 'fail-on = "error"\n')
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "pkg").mkdir()
    # Above the repository root: not used.
    assert find_config(repo / "pkg") == Config()
    inner = pyproject(repo, 'fail-on = "warning"\n')
    assert find_config(repo / "pkg").source == str(inner)
    assert find_config(repo / "pkg").fail_on == "warning"
    assert outer.exists()


def test_merged_keeps_what_the_command_line_does_not_set() -> None:
    cfg = parse_config({"fail-on": "error", "select": ["AIS101"]}, "pyproject.toml")
    merged = cfg.merged(select=None, fail_on="warning", jobs=None)
    assert merged.select == ("AIS101",)
    assert merged.fail_on == "warning"


# --- what each key does in a scan ----------------------------------------------------------------


def test_exclude_prunes_the_walk(project: Path) -> None:
    pyproject(project, 'exclude = ["app/gen/", "scripts"]\n')
    assert flagged(project) == ["app/main.py", "tests/test_main.py"]


def test_exclude_is_relative_to_the_config_file_not_the_cwd(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pyproject(project, 'exclude = ["/app/gen/"]\n')
    monkeypatch.chdir(project / "app")
    assert flagged(project) == ["main.py"]


def test_include_keeps_only_matching_files(project: Path) -> None:
    pyproject(project, 'include = ["app/"]\n')
    assert flagged(project) == ["app/gen/generated.py", "app/main.py"]


def test_select_and_ignore(project: Path) -> None:
    pyproject(project, 'select = ["insecure-tls"]\n')
    assert len(flagged(project)) == 4
    pyproject(project, 'ignore = ["CUS001"]\n')
    assert flagged(project) == []


def test_unknown_selector_in_the_api_is_a_usage_error(project: Path) -> None:
    pyproject(project, 'select = ["AIS999"]\n')
    with pytest.raises(UsageError, match="AIS999"):
        flagged(project)


def test_per_path_ignores(project: Path) -> None:
    pyproject(project, '[tool.aiscan.per-path-ignores]\n"tests/**" = ["CUS001"]\n')
    assert "tests/test_main.py" not in flagged(project)
    assert "app/main.py" in flagged(project)


def test_per_path_ignores_are_relative_to_the_config_file(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pyproject(project, '[tool.aiscan.per-path-ignores]\n"/app/gen/*.py" = ["danger-call"]\n')
    monkeypatch.chdir(project / "app")
    assert flagged(project) == ["main.py"]


def test_extra_rule_paths_are_relative_to_the_config_file(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    pyproject(project, 'rules = ["rules"]\nbuiltin-rules = false\n')
    monkeypatch.chdir(project / "app")
    assert main(["scan", ".", "-f", "json"]) == 1
    assert '"rule_id": "CUS001"' in capsys.readouterr().out


def test_fail_on_from_the_config_and_the_command_line(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pyproject(project, 'rules = ["rules"]\nbuiltin-rules = false\nfail-on = "error"\n')
    assert main(["scan", "app/main.py"]) == 0  # the rule is a warning
    assert main(["scan", "app/main.py", "--fail-on", "warning"]) == 1
    capsys.readouterr()


@pytest.mark.parametrize(
    ("body", "key"),
    [
        ('select = ["AIS999"]\n', "select"),
        ('ignore = ["AIS999"]\n', "ignore"),
        ('[tool.aiscan.per-path-ignores]\n"tests/**" = ["AIS999"]\n', "per-path-ignores"),
    ],
)
def test_an_unknown_rule_in_the_config_names_the_file(
    project: Path, capsys: pytest.CaptureFixture[str], body: str, key: str
) -> None:
    path = pyproject(project, 'rules = ["rules"]\nbuiltin-rules = false\n' + body)
    assert main(["scan", "app"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"aiscan: error: {path}: [tool.aiscan] {key}")
    assert "AIS999" in err
    assert "\n" not in err


def test_a_broken_config_is_exit_2_with_one_line(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = pyproject(project, "fail-on = 3\n")
    assert main(["scan", "app"]) == 2
    captured = capsys.readouterr()
    assert captured.err == f"aiscan: error: {path}: [tool.aiscan] fail-on must be error, " + (
        "warning or note\n"
    )
    assert captured.out == ""


def test_config_option_reads_another_file(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = project / "aiscan.toml"
    other.write_text('rules = ["rules"]\nbuiltin-rules = false\nexclude = ["app/"]\n')
    assert main(["scan", ".", "--config", str(other), "-f", "json"]) == 1
    out = capsys.readouterr().out
    assert "tests/test_main.py" in out
    assert "app/main.py" not in out


def test_the_config_of_the_scanned_project_is_used_from_elsewhere(
    project: Path,
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    pyproject(project, 'rules = ["rules"]\nbuiltin-rules = false\nexclude = ["app/"]\n')
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    monkeypatch.chdir(elsewhere)
    assert main(["scan", str(project), "-f", "json"]) == 1
    out = capsys.readouterr().out
    assert "tests/test_main.py" in out
    assert "app/main.py" not in out
