"""The result cache: a re-scan reuses the results of the files whose inputs did not change, and
its report is the one a scan without the cache gives, byte for byte."""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aiscan import Config, __version__, load_rules, scan, scan_source
from aiscan.cli import main
from aiscan.engine.cache import (
    CACHE_DIR_NAME,
    FORMAT,
    _unpack,
    result_from_data,
    result_to_data,
)
from aiscan.engine.scanner import FileResult
from aiscan.loader import RuleSet
from aiscan.model import (
    CacheStats,
    Finding,
    FlowStep,
    Location,
    ScanError,
    ScanResult,
    Suppression,
)

REPO = Path(__file__).resolve().parents[1]

# --- stored results read back as they were ---------------------------------------------------

_text = st.text(max_size=30)
_locations = st.builds(
    Location,
    _text,
    st.integers(0, 10**6),
    st.integers(0, 10**4),
    st.integers(0, 10**6),
    st.integers(0, 10**4),
)
_findings = st.builds(
    Finding,
    rule_id=_text,
    rule_name=_text,
    category=_text,
    cwe=st.lists(st.integers(0, 10**5), max_size=3).map(tuple),
    severity=st.sampled_from(["error", "warning", "note"]),
    confidence=st.sampled_from(["high", "medium", "low"]),
    message=_text,
    location=_locations,
    flow=st.lists(st.builds(FlowStep, _locations, _text), max_size=3).map(tuple),
    suppression=st.none()
    | st.builds(Suppression, st.lists(_text, max_size=3).map(tuple), _text, st.integers(0, 999)),
)
_errors = st.builds(
    ScanError,
    st.sampled_from(["syntax-error", "analysis-error", "budget-exceeded", "bad-suppression"]),
    _text,
    _text,
    st.integers(0, 10**5),
    st.integers(0, 10**3),
    st.booleans(),
)
_results = st.builds(
    FileResult,
    findings=st.lists(_findings, max_size=3).map(tuple),
    suppressed=st.lists(_findings, max_size=2).map(tuple),
    errors=st.lists(_errors, max_size=2).map(tuple),
    analysed=st.booleans(),
    imports=st.lists(_text, max_size=3).map(tuple),
    observed=st.lists(_text, max_size=2).map(tuple),
)


@given(_results)
def test_a_stored_result_reads_back_equal(result: FileResult) -> None:
    stored = json.dumps(result_to_data(result))
    assert result_from_data(json.loads(stored)) == result


@given(st.binary(max_size=200))
def test_damaged_bytes_never_read_as_a_result(data: bytes) -> None:
    # A damaged entry is a miss: reading it raises ValueError, and nothing else.
    try:
        result_from_data(_unpack(data))
    except ValueError:
        return
    pytest.fail("garbage was read as a result")  # pragma: no cover


@given(_results, st.data())
@settings(suppress_health_check=[HealthCheck.too_slow])
def test_a_changed_stored_value_is_rejected_or_read_as_written(
    result: FileResult, data: st.DataObject
) -> None:
    # Whatever one value is replaced by, the entry reads back as exactly that, or is refused.
    stored = result_to_data(result)
    key = data.draw(st.sampled_from(sorted(stored)))
    stored[key] = data.draw(st.none() | st.integers() | st.text(max_size=5) | st.just([[1]]))
    try:
        back = result_from_data(json.loads(json.dumps(stored)))
    except ValueError:
        return
    assert result_to_data(back) == json.loads(json.dumps(stored))


_import_lines = st.lists(
    st.sampled_from(
        [
            "import a.b.c",
            "import a as x",
            "from . import y",
            "from ..pkg.mod import name as other, more",
            "from pkg import *",
            "def f():\n    import late",
            "x = 1",
            "if TYPE_CHECKING:\n    from t import T",
            "def broken(:",
        ]
    ),
    max_size=6,
)


@given(_import_lines)
def test_the_import_facts_of_any_text_have_their_stored_shape(lines: list[str]) -> None:
    from aiscan.engine.cache import _is_facts, file_facts

    facts = file_facts("\n".join(lines).encode())
    assert _is_facts(json.loads(json.dumps(facts)))
    if "def broken(:" in lines:
        assert facts == []  # nothing imports through a file that does not parse


TRICKY = """\
import a.b.c
from . import x as y
try:
    import fast as impl
except ImportError as missing:
    impl = None
if (found := impl) is not None:
    pass
for i, (j, k) in enumerate([]):
    pass
with open("f") as (fh):
    del fh
match i:
    case {"k": v, **rest}:
        pass
    case [first, *others] as whole:
        pass
def f(a=(dflt := 1)):
    global later
    later = a
class C(base := object):
    global inside
    def m(self):
        global deep
        import lazy
values = [w for w in range(3)]
"""


def _astroid_locals(text: str) -> set[str]:
    """The module's locals as aiscan builds the project's modules: without astroid's brain
    transforms (engine.project)."""
    import astroid
    from astroid.builder import AstroidBuilder

    return set(AstroidBuilder(astroid.MANAGER, apply_transforms=False).string_build(text).locals)


@pytest.mark.parametrize(
    "folder", ["examples", "tests/fixtures/rules", "src/aiscan"], ids=["examples", "rules", "src"]
)
def test_the_names_a_module_binds_include_all_astroid_sees(folder: str) -> None:
    """A package's __init__.py is followed only when it binds a name imported from it: the
    names found must include every one astroid puts in the module's locals; and the imports
    found must be every import statement in the file."""
    from aiscan.engine.cache import _bound, file_facts

    checked = 0
    sources = [("TRICKY", TRICKY)] if folder == "examples" else []
    sources += [(str(p), p.read_text()) for p in sorted((REPO / folder).rglob("*.py"))]
    for name, text in sources:
        facts = file_facts(text.encode())
        if not facts:
            continue  # does not parse
        bound = _bound(facts)
        if bound is not None:
            assert _astroid_locals(text) <= bound, name
        every = [
            n for n in ast.walk(ast.parse(text)) if isinstance(n, (ast.Import, ast.ImportFrom))
        ]
        expected = sum(len(n.names) if isinstance(n, ast.Import) else 1 for n in every)
        assert len([s for s in facts if s[0] in ("i", "f")]) == expected, name
        checked += 1
    assert checked >= 8
    if folder == "examples":
        tricky = _bound(file_facts(TRICKY.encode()))
        assert tricky is not None
        for expected_name in ["later", "inside", "deep", "found", "dflt", "base", "rest", "whole"]:
            assert expected_name in tricky
        assert "lazy" not in tricky and "m" not in tricky


# --- the project used by most tests -----------------------------------------------------------

APP = """\
from flask import Flask, request

from helpers import run_shell

app = Flask(__name__)


@app.route("/run")
def run():
    run_shell(request.args["cmd"])
    return ""
"""

HELPERS_UNSAFE = """\
import subprocess


def run_shell(command):
    subprocess.run(command, shell=True)
"""

HELPERS_SAFE = """\
import subprocess


def run_shell(command):
    subprocess.run(["echo", command])
"""

CLIENT = """\
import requests


def fetch(url):
    return requests.get(url, verify=False, timeout=5)
"""

MAIN = """\
from app import app

if __name__ == "__main__":
    app.run()
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    root.mkdir()
    (root / "app.py").write_text(APP)
    (root / "helpers.py").write_text(HELPERS_UNSAFE)
    (root / "client.py").write_text(CLIENT)
    (root / "main.py").write_text(MAIN)
    return root


@pytest.fixture(scope="module")
def rules() -> RuleSet:
    # command-injection (taint, across modules), insecure-tls (pattern).
    return load_rules().select(["AIS201", "AIS101"])


def run(
    root: Path,
    cache: Path | bool,
    rules: RuleSet | None = None,
    *,
    jobs: int = 1,
    venv: Path | None = None,
) -> ScanResult:
    return scan([root], rules=rules, config=Config(), jobs=jobs, root=root, cache=cache, venv=venv)


def same_report(cached: ScanResult, uncached: ScanResult) -> None:
    assert cached.to_json() == uncached.to_json()
    assert cached.to_sarif() == uncached.to_sarif()
    assert cached.to_text() == uncached.to_text()


def test_an_unchanged_rescan_reuses_every_file(
    project: Path, tmp_path: Path, rules: RuleSet
) -> None:
    cache = tmp_path / "cache"
    first = run(project, cache, rules)
    assert first.cache is not None
    assert (first.cache.hits, first.cache.misses) == (0, 4)
    again = run(project, cache, rules)
    assert again.cache is not None
    assert (again.cache.hits, again.cache.misses) == (4, 0)
    same_report(again, run(project, False, rules))
    assert again.findings  # there is something to compare
    assert run(project, False, rules).cache is None


def test_a_changed_file_is_analysed_again_with_the_files_that_import_it(
    project: Path, tmp_path: Path, rules: RuleSet
) -> None:
    cache = tmp_path / "cache"
    run(project, cache, rules)
    # client.py: imported by nobody, imports nothing of the project.
    (project / "client.py").write_text(CLIENT.replace("timeout=5", "timeout=6"))
    after = run(project, cache, rules)
    assert after.cache is not None and (after.cache.hits, after.cache.misses) == (3, 1)
    same_report(after, run(project, False, rules))
    # helpers.py: imported by app.py, which main.py imports.
    (project / "helpers.py").write_text(HELPERS_UNSAFE + "\n# a comment\n")
    after = run(project, cache, rules)
    assert after.cache is not None and (after.cache.hits, after.cache.misses) == (1, 3)
    same_report(after, run(project, False, rules))


def test_a_changed_dependency_changes_the_finding_that_flows_into_it(
    project: Path, tmp_path: Path, rules: RuleSet
) -> None:
    cache = tmp_path / "cache"

    def command_injection(result: ScanResult) -> list[tuple[str, int]]:
        return [(f.path, f.line) for f in result.findings if f.rule_id == "AIS201"]

    before = run(project, cache, rules)
    assert command_injection(before) == [("helpers.py", 5)]
    (project / "helpers.py").write_text(HELPERS_SAFE)
    safe = run(project, cache, rules)
    assert command_injection(safe) == []
    assert safe.cache is not None and safe.cache.misses == 3  # helpers, app and main
    same_report(safe, run(project, False, rules))
    (project / "helpers.py").write_text(HELPERS_UNSAFE)
    back = run(project, cache, rules)
    assert command_injection(back) == [("helpers.py", 5)]
    assert back.cache is not None and back.cache.misses == 0  # as it was at first: stored
    same_report(back, before)


RULE = """\
id: CUS900
name: danger-call
category: insecure-tls
cwe: [295]
severity: warning
confidence: high
message: "{message}"
summary: A custom rule.
docs: {{why: w, bad: b, good: g}}
since: 0.1.0
mode: pattern
patterns:
  - call: [requests.get]
"""


def test_editing_a_custom_rule_analyses_every_file_again(project: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    rule = tmp_path / "rules" / "danger-call.yaml"
    rule.parent.mkdir()
    rule.write_text(RULE.format(message="first wording"))
    first = run(project, cache, load_rules([rule], builtin=False))
    assert [f.message for f in first.findings] == ["first wording"]
    rule.write_text(RULE.format(message="second wording"))
    second = run(project, cache, load_rules([rule], builtin=False))
    assert second.cache is not None and (second.cache.hits, second.cache.misses) == (0, 4)
    assert [f.message for f in second.findings] == ["second wording"]


def test_another_target_environment_is_a_miss(
    project: Path, tmp_path: Path, rules: RuleSet, make_venv: Callable[..., Path]
) -> None:
    cache = tmp_path / "cache"
    venv = make_venv(tmp_path / "venv")
    run(project, cache, rules, venv=venv)
    assert run(project, cache, rules, venv=venv).cache == CacheStats(str(cache), hits=4, misses=0)
    other = run(project, cache, rules)  # the running interpreter
    assert other.cache is not None and (other.cache.hits, other.cache.misses) == (0, 4)
    # A distribution installed into the venv changes what it answers: its probe is not reused.
    site = next(venv.glob("lib/python*/site-packages"))
    info = site / "extra_dist-2.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: extra-dist\nVersion: 2.0\n")
    os.utime(site, (0, 0))  # file times may be coarse: make the change visible
    changed = run(project, cache, rules, venv=venv)
    assert changed.cache is not None and (changed.cache.hits, changed.cache.misses) == (0, 4)


# --- what a matcher reads beyond the file's imports --------------------------------------------


def test_callers_in_other_modules_are_checked_again(tmp_path: Path) -> None:
    """unbounded-collection-load follows a returned load to its callers in other modules: the
    module that returns it depends on the modules that import it."""
    root = tmp_path / "proj"
    (root / "app").mkdir(parents=True)
    (root / "app" / "__init__.py").write_text("")
    (root / "app" / "repo.py").write_text(
        "def everything(session):\n    return session.query(Row).all()\n"
    )
    iterating = "from app.repo import everything\n\ndef a(session, out):\n"
    iterating += "    for row in everything(session):\n        out.write(row)\n"
    (root / "app" / "views.py").write_text(iterating)
    rules = load_rules().select(["unbounded-collection-load"])
    cache = tmp_path / "cache"
    first = run(root, cache, rules)
    assert [(f.path, f.line) for f in first.findings] == [("app/repo.py", 2)]
    # The caller now needs the whole list: the load is not a finding any more.
    (root / "app" / "views.py").write_text(
        "from app.repo import everything\n\ndef a(session):\n    return everything(session)[0]\n"
    )
    second = run(root, cache, rules)
    assert second.findings == ()
    assert second.cache is not None and second.cache.misses == 2
    same_report(second, run(root, False, rules))


def test_an_assignment_anywhere_in_the_project_is_checked_again(tmp_path: Path) -> None:
    """hallucinated-api does not report an attribute the project assigns somewhere."""
    root = tmp_path / "proj"
    root.mkdir()
    (root / "status.py").write_text(
        "import requests\n\n\ndef status(url):\n"
        "    resp = requests.get(url, timeout=5)\n    return resp.statusText\n"
    )
    (root / "other.py").write_text("def patch(resp):\n    return resp\n")
    rules = load_rules().select(["hallucinated-api"])
    cache = tmp_path / "cache"
    first = run(root, cache, rules)
    assert [(f.path, f.line) for f in first.findings] == [("status.py", 6)]
    (root / "other.py").write_text("def patch(resp):\n    resp.statusText = resp.reason\n")
    second = run(root, cache, rules)
    assert second.findings == ()
    same_report(second, run(root, False, rules))


def test_a_manifest_edit_is_checked_again(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    (root / "src" / "acme").mkdir(parents=True)
    (root / "src" / "acme" / "__init__.py").write_text("")
    (root / "src" / "acme" / "net.py").write_text("import requests\n")
    pyproject = '[project]\nname = "acme"\nversion = "1"\ndependencies = [{deps}]\n'
    (root / "pyproject.toml").write_text(pyproject.format(deps='"requests"'))
    rules = load_rules().select(["undeclared-dependency"])
    cache = tmp_path / "cache"
    assert run(root, cache, rules).findings == ()
    (root / "pyproject.toml").write_text(pyproject.format(deps=""))
    second = run(root, cache, rules)
    assert [(f.path, f.line) for f in second.findings] == [("src/acme/net.py", 1)]
    same_report(second, run(root, False, rules))
    # A new module inside a package changes no project's own names: nothing else is redone.
    (root / "src" / "acme" / "extra.py").write_text("X = 1\n")
    third = run(root, cache, rules)
    assert third.cache is not None and (third.cache.hits, third.cache.misses) == (2, 1)
    same_report(third, run(root, False, rules))


# --- a damaged cache ---------------------------------------------------------------------------


def _entries(cache: Path) -> list[Path]:
    return sorted(p for p in (cache / "results").glob("*/*") if not p.name.startswith("."))


@pytest.mark.parametrize(
    "damage",
    ["garbage", "truncated", "empty", "other-key", "description", "foreign-version", "facts"],
)
def test_a_damaged_cache_is_noted_and_rebuilt(
    project: Path, tmp_path: Path, rules: RuleSet, damage: str
) -> None:
    cache = tmp_path / "cache"
    run(project, cache, rules)
    entries = _entries(cache)
    assert len(entries) == 4
    if damage == "garbage":
        entries[0].write_bytes(os.urandom(300))
    elif damage == "truncated":
        entries[0].write_bytes(entries[0].read_bytes()[:20])
    elif damage == "empty":
        entries[0].write_bytes(b"")
    elif damage == "other-key":
        entries[0].write_bytes(entries[1].read_bytes())
    elif damage == "description":
        (cache / "aiscan-cache.json").write_bytes(b"\x00\xff not json")
    elif damage == "foreign-version":
        (cache / "aiscan-cache.json").write_text('{"format": 0, "aiscan": "0.0.1"}')
    else:
        (cache / "facts").write_bytes(b"garbage")
    result = run(project, cache, rules)
    notes = [e for e in result.errors if e.kind == "cache"]
    assert len(notes) == 1 and not notes[0].fatal
    assert notes[0].path == str(cache)
    clean = run(project, False, rules)
    assert result.findings == clean.findings
    assert [e for e in result.errors if e.kind != "cache"] == list(clean.errors)
    assert not result.incomplete
    # Rebuilt: the next scan reuses everything, without a note.
    again = run(project, cache, rules)
    assert again.cache is not None and again.cache.misses == 0
    same_report(again, clean)


def test_a_file_whose_worker_died_is_analysed_again(
    project: Path, tmp_path: Path, rules: RuleSet, monkeypatch: pytest.MonkeyPatch
) -> None:
    from aiscan.engine import scanner

    analyse = scanner._analyse

    def dying(analyzer: scanner.Analyzer, path: Path) -> FileResult:
        if path.name == "client.py":
            return scanner._lost_file(str(path), project, -9)
        return analyse(analyzer, path)

    cache = tmp_path / "cache"
    monkeypatch.setattr(scanner, "_analyse", dying)
    lost = run(project, cache, rules)
    assert [e.kind for e in lost.errors] == ["analysis-error"] and lost.incomplete
    monkeypatch.setattr(scanner, "_analyse", analyse)
    again = run(project, cache, rules)
    assert again.cache is not None and (again.cache.hits, again.cache.misses) == (3, 1)
    same_report(again, run(project, False, rules))


def test_a_cache_path_that_is_not_a_folder_is_noted(
    project: Path, tmp_path: Path, rules: RuleSet
) -> None:
    cache = tmp_path / "cache"
    cache.write_text("a file")
    result = run(project, cache, rules)
    assert [(e.kind, e.fatal) for e in result.errors] == [("cache", False)]
    assert result.findings == run(project, False, rules).findings
    assert cache.read_text() == "a file"


def test_clearing_leaves_what_aiscan_did_not_write(tmp_path: Path, project: Path) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "mine.txt").write_text("keep")
    run(project, cache, load_rules().select(["AIS101"]))
    assert main(["cache", "clear", str(project), "--cache-dir", str(cache)]) == 0
    assert sorted(p.name for p in cache.iterdir()) == ["mine.txt"]


# --- two scans at once ---------------------------------------------------------------------------


def test_two_scans_at_once_share_one_cache(project: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    for i in range(8):  # enough files that both scans write while the other reads
        (project / f"mod{i}.py").write_text(CLIENT.replace("fetch", f"fetch{i}"))
    scan_command = [sys.executable, "-m", "aiscan", "scan", str(project), "-f", "json", "-j", "1"]
    scan_command += ["--select", "AIS101"]
    command = [*scan_command, "--cache-dir", str(cache)]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    scans = [
        subprocess.Popen(command, stdout=subprocess.PIPE, cwd=tmp_path, env=env) for _ in range(2)
    ]
    outputs = [p.communicate(timeout=600)[0] for p in scans]
    assert [p.returncode for p in scans] == [1, 1]
    uncached = subprocess.run(
        [*scan_command, "--no-cache"], capture_output=True, cwd=tmp_path, env=env, check=False
    ).stdout
    assert outputs == [uncached, uncached]
    # The cache is whole: a third scan reuses every file and says the same.
    third = subprocess.run(
        [command[0], "-m", "aiscan", "-v", *command[3:]],
        capture_output=True,
        cwd=tmp_path,
        env=env,
        check=False,
        text=True,
    )
    assert third.stdout == uncached.decode()
    assert "12 of 12 files reused, 0 analysed" in third.stderr
    assert "cache:" not in third.stdout


# --- with and without the cache: the same report ------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("folder", ["examples", "tests/fixtures/rules"])
def test_reports_with_and_without_the_cache_are_identical(folder: str, tmp_path: Path) -> None:
    target = tmp_path / "copy"
    shutil.copytree(REPO / folder, target)
    rules = load_rules()
    uncached = run(target, False, rules, jobs=2)
    cold = run(target, tmp_path / "cache", rules, jobs=2)
    warm = run(target, tmp_path / "cache", rules, jobs=2)
    assert cold.cache is not None and cold.cache.hits == 0
    assert warm.cache is not None and warm.cache.misses == 0
    assert uncached.findings
    same_report(cold, uncached)
    same_report(warm, uncached)


def _imported_modules(folder: Path) -> list[Path]:
    """The modules of ``folder`` that another module of it imports (by name)."""
    texts = {p: p.read_text() for p in sorted(folder.rglob("*.py"))}
    out = []
    for module, text in texts.items():
        name = module.parent.name if module.name == "__init__.py" else module.stem
        pattern = re.compile(rf"^\s*(from|import)\b[^\n]*\b{re.escape(name)}\b", re.M)
        if text.strip() and any(pattern.search(t) for p, t in texts.items() if p != module):
            out.append(module)
    return out


@pytest.mark.slow
def test_every_edit_reaches_the_results_that_depend_on_it(tmp_path: Path) -> None:
    """In each rule fixture of several modules, empty in turn each module another one imports:
    the cached scan says what a scan without the cache says. A result that depended on the
    module and was reused anyway would differ."""
    base = REPO / "tests" / "fixtures" / "rules"
    folders = [f for f in sorted(base.glob("*/*")) if f.is_dir() and _imported_modules(f)]
    assert len(folders) >= 15
    checked = 0
    for folder in folders:
        rules = load_rules().select([folder.name])
        target = tmp_path / folder.name
        shutil.copytree(folder, target)
        cache = tmp_path / f"{folder.name}-cache"
        original = run(target, cache, rules)
        for module in _imported_modules(target):
            text = module.read_text()
            module.write_text("")
            cached = run(target, cache, rules)
            assert cached.cache is not None and cached.cache.misses >= 1
            assert cached.to_json() == run(target, False, rules).to_json(), module
            module.write_text(text)
            checked += 1
        assert run(target, cache, rules).to_json() == original.to_json()
    assert checked >= 30


# --- the command line and the configuration ------------------------------------------------------


def at_the_root(monkeypatch: pytest.MonkeyPatch) -> None:
    """Undo conftest's redirection of the default cache folder (for the tests of it)."""
    from aiscan.engine import cache

    monkeypatch.setattr(cache, "default_location", lambda root: root / CACHE_DIR_NAME)


def test_the_cli_caches_at_the_scan_root_and_git_ignores_it(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    at_the_root(monkeypatch)
    monkeypatch.chdir(project)
    assert main(["scan", ".", "--select", "AIS101", "-f", "json"]) == 1
    first = capsys.readouterr().out
    cache = project / CACHE_DIR_NAME
    assert cache.is_dir()
    assert "*" in (cache / ".gitignore").read_text().splitlines()
    assert main(["scan", ".", "--select", "AIS101", "-f", "json"]) == 1
    assert capsys.readouterr().out == first
    assert main(["cache", "info"]) == 0
    info = capsys.readouterr().out
    assert f"location: {cache}" in info
    assert "entries:  4" in info
    assert f"written:  aiscan {__version__} (format {FORMAT})" in info
    assert main(["cache", "clear"]) == 0
    assert "removed 4 cached results" in capsys.readouterr().out
    assert not cache.exists()
    assert main(["cache", "info"]) == 0
    assert "no cache there yet" in capsys.readouterr().out


def test_no_cache_writes_nothing(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at_the_root(monkeypatch)
    monkeypatch.chdir(project)
    assert main(["scan", ".", "--select", "AIS101", "--no-cache"]) == 1
    assert not (project / CACHE_DIR_NAME).exists()


def test_the_option_moves_the_cache(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at_the_root(monkeypatch)
    monkeypatch.chdir(project)
    assert main(["scan", ".", "--select", "AIS101", "--cache-dir", str(tmp_path / "opt")]) == 1
    assert len(_entries(tmp_path / "opt")) == 4
    assert not (project / CACHE_DIR_NAME).exists()
    with pytest.raises(SystemExit) as exited:  # one or the other
        main(["scan", ".", "--no-cache", "--cache-dir", "x"])
    assert exited.value.code == 2


def test_the_configuration_turns_the_cache_off_or_moves_it(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at_the_root(monkeypatch)
    monkeypatch.chdir(project)
    (project / "pyproject.toml").write_text("[tool.aiscan]\ncache = false\n")
    assert main(["scan", ".", "--select", "AIS101"]) == 1
    assert not (project / CACHE_DIR_NAME).exists()
    (project / "pyproject.toml").write_text('[tool.aiscan]\ncache-dir = "build/aiscan"\n')
    assert main(["scan", ".", "--select", "AIS101"]) == 1
    assert len(_entries(project / "build" / "aiscan")) == 4
    assert main(["cache", "info"]) == 0
    (project / "pyproject.toml").write_text("[tool.aiscan]\ncache = 1\n")
    assert main(["scan", ".", "--select", "AIS101"]) == 2


def test_the_library_writes_no_cache_unless_asked(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at_the_root(monkeypatch)
    scan([project], root=project, config=Config(), jobs=1)
    assert not (project / CACHE_DIR_NAME).exists()
    result = scan([project], root=project, config=Config(), jobs=1, cache=True)
    assert result.cache is not None and result.cache.location == str(project / CACHE_DIR_NAME)
    moved = Config(cache_dir=str(tmp_path / "elsewhere"))
    result = scan([project], root=project, config=moved, jobs=1, cache=True)
    assert result.cache is not None and result.cache.location == str(tmp_path / "elsewhere")


def test_scan_source_never_writes_a_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    at_the_root(monkeypatch)
    monkeypatch.chdir(tmp_path)
    result = scan_source("import requests\nrequests.get(u, verify=False, timeout=5)\n")
    assert result.cache is None
    assert list(tmp_path.iterdir()) == []


# --- the pieces -----------------------------------------------------------------------------------


def test_the_layout_reads_importable_names_as_undeclared_dependency_does(tmp_path: Path) -> None:
    from aiscan.engine.cache import _Names
    from aiscan.engine.discovery import SKIP_DIRS
    from aiscan.matchers import dependency

    tree = {
        "mod.py": "",
        "ext.cpython-311-x86_64-linux-gnu.so": "",
        "stub.pyi": "",
        "not-an-identifier.py": "",
        "README.md": "",
        "pkg/__init__.py": "",
        "ns/deep/er/m.py": "",
        "docs/conf.txt": "",
        "hidden/.dot/x.py": "",
        "skipped/node_modules/x.py": "",
        ".private/x.py": "",
        "build/x.py": "",
        "data/nested/empty/readme.txt": "",
    }
    for rel, text in tree.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    (tmp_path / "linked").symlink_to(tmp_path / "ns", target_is_directory=True)
    (tmp_path / "outer").mkdir()
    (tmp_path / "outer" / "inner").symlink_to(tmp_path / "ns", target_is_directory=True)
    names = _Names(frozenset(SKIP_DIRS))
    dependency._TOP_CACHE.clear()
    for folder in [tmp_path, *sorted(p for p in tmp_path.rglob("*") if p.is_dir())]:
        expected = sorted(dependency._top_level_names(folder))
        assert names.importable(str(folder)) == expected, folder
    assert names.importable(str(tmp_path)) == ["ext", "linked", "mod", "ns", "pkg", "stub"]
