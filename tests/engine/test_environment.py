"""The target environment: which interpreter's packages a scan is analysed against."""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path

import astroid
import pytest

from aiscan import scan
from aiscan.api import UsageError
from aiscan.cli import main
from aiscan.config import Config
from aiscan.engine import environment
from aiscan.engine.environment import EnvironmentProblem, activated, canonical, probe, resolve
from conftest import MakeVenv


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory, make_venv: MakeVenv) -> Path:
    return make_venv(tmp_path_factory.mktemp("env") / "venv")


def test_the_running_interpreter_knows_its_own_packages() -> None:
    env = environment.running()
    assert env.is_running
    assert Path(env.python) == Path(sys.executable)
    assert env.version == tuple(sys.version_info[:3])
    assert env.is_stdlib("json") and env.is_stdlib("os.path") and env.is_stdlib("__future__")
    assert not env.is_stdlib("yaml")
    # Import names that differ from distribution names come from the metadata.
    assert env.distributions_of("yaml") == ("PyYAML",)
    assert env.distributions_of("jwt.algorithms") == ("PyJWT",)
    assert env.version_of("pyyaml") == env.distributions["PyYAML"]
    assert env.is_installed("astroid") and not env.is_installed("surely_not_installed_xyz")


def test_a_virtual_environment_is_asked_for_its_packages(venv: Path) -> None:
    env = resolve(None, venv=venv)
    assert not env.is_running and env.origin == "--venv"
    assert env.distributions_of("fakemod") == ("fake-dist",)
    assert env.version_of("Fake_Dist") == "1.2.3"
    assert env.describe("fakemod.sub") == "fake-dist 1.2.3"
    assert env.describe("json") == f"Python {env.version_text}"
    # aiscan's own packages are not in it.
    assert not env.distributions_of("astroid") and not env.is_installed("astroid")
    assert env.is_installed("fakemod")
    assert env.facts(["fakemod", "json", "astroid"])["distributions"] == {"fake-dist": "1.2.3"}


def test_python_and_venv_name_the_same_environment(venv: Path) -> None:
    by_python = resolve(None, python=venv / "bin" / "python")
    assert by_python.origin == "--python"
    assert by_python.distributions == resolve(None, venv=venv).distributions


def test_a_venv_at_the_project_root_is_the_default(tmp_path: Path, make_venv: MakeVenv) -> None:
    project = tmp_path / "proj"
    project.mkdir()
    assert resolve(project).is_running
    make_venv(project / ".venv")
    env = resolve(project)
    assert env.origin == ".venv at the project root"
    assert env.distributions_of("fakemod") == ("fake-dist",)


def test_bad_targets_are_one_clear_message(tmp_path: Path, venv: Path) -> None:
    with pytest.raises(EnvironmentProblem, match="no such interpreter"):
        probe(tmp_path / "nope" / "python", "--python")
    with pytest.raises(EnvironmentProblem, match="is a folder"):
        probe(tmp_path, "--python")
    with pytest.raises(EnvironmentProblem, match="not a virtual environment"):
        resolve(None, venv=tmp_path)
    with pytest.raises(EnvironmentProblem, match="not both"):
        resolve(None, python=venv / "bin" / "python", venv=venv)
    broken = tmp_path / "python"
    broken.write_text("#!/bin/sh\necho boom >&2\nexit 3\n")
    broken.chmod(0o755)
    with pytest.raises(EnvironmentProblem, match=r"failed \(exit 3\): boom"):
        probe(broken, "--python")


def test_astroid_finds_third_party_modules_in_the_target_only_while_active(venv: Path) -> None:
    env = resolve(None, venv=venv)
    with activated(env):
        assert environment.current() is env
        module = astroid.MANAGER.ast_from_module_name("fakemod")
        assert module.file is not None and module.file.startswith(str(venv))
        assert "real" in module.locals
        # aiscan's own site-packages are not searched for the target's code.
        with pytest.raises(astroid.AstroidBuildingError):
            astroid.MANAGER.ast_from_module_name("networkx")
    assert environment.current().is_running
    with pytest.raises(astroid.AstroidBuildingError):
        astroid.MANAGER.ast_from_module_name("fakemod")


def _project(tmp_path: Path) -> Path:
    project = tmp_path / "app"
    project.mkdir()
    (project / "main.py").write_text(
        textwrap.dedent(
            """\
            import json
            import fakemod
            import yaml

            print(fakemod.real(json.dumps({})), yaml)
            """
        )
    )
    return project


def test_the_report_names_the_environment_and_the_versions_that_mattered(
    tmp_path: Path, venv: Path
) -> None:
    project = _project(tmp_path)
    result = scan([project], config=Config(), venv=venv)
    assert result.target["origin"] == "--venv"
    assert result.target["python"] == str((venv / "bin" / "python").absolute())
    # Only what the code imports, and only what the environment has.
    assert result.target["distributions"] == {"fake-dist": "1.2.3"}
    sarif = json.loads(result.to_sarif())
    assert sarif["runs"][0]["properties"]["targetEnvironment"] == dict(result.target)
    assert json.loads(result.to_json())["target_environment"] == dict(result.target)
    # The same with worker processes.
    for name in ("a.py", "b.py", "c.py", "d.py"):
        (project / name).write_text("import fakemod\n")
    assert scan([project], config=Config(), venv=venv, jobs=2).target == result.target


def test_the_configuration_can_name_the_target(tmp_path: Path, venv: Path) -> None:
    project = _project(tmp_path)
    (project / "pyproject.toml").write_text(f'[tool.aiscan]\nvenv = "{venv}"\n')
    assert scan([project]).target["origin"] == "--venv"
    with pytest.raises(UsageError, match="not a virtual environment"):
        scan([project], venv=tmp_path)


_RULE = """\
id: CUS900
name: fake-call
category: insecure-tls
cwe: [295]
severity: note
confidence: high
message: "{callee} is called"
summary: A custom rule for the environment tests.
docs:
  why: Because.
  bad: fakemod.real(1)
  good: fakemod.other(1)
since: 0.1.0
mode: pattern
patterns:
  - call: [fakemod.real]
"""


def test_cli_options(tmp_path: Path, venv: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = _project(tmp_path)
    rule = tmp_path / "fake-call.yaml"
    rule.write_text(_RULE)
    args = ["--no-builtin-rules", "--rules", str(rule), "--exit-zero"]
    code = main(["scan", str(project), "--venv", str(venv), *args])
    out = capsys.readouterr().out
    assert code == 0
    assert "CUS900  fakemod.real is called" in out
    assert "Analysed against Python " in out and "(--venv: " in out
    assert "installed packages it imports: fake-dist 1.2.3" in out
    code = main(["scan", str(project), "--python", str(tmp_path / "missing")])
    assert code == 2
    assert "no such interpreter" in capsys.readouterr().err
    with pytest.raises(SystemExit) as info:
        main(["scan", str(project), "--python", "x", "--venv", "y"])
    assert info.value.code == 2


def test_canonical_names() -> None:
    assert canonical("PyYAML") == canonical("pyyaml") == "pyyaml"
    assert canonical("python_dateutil") == canonical("Python.Dateutil") == "python-dateutil"


def test_a_virtual_environment_inside_the_project_is_not_project_code(tmp_path: Path) -> None:
    from aiscan.engine.names import inside_scan, set_scan_roots

    lib = tmp_path / ".venv" / "lib" / "python3.11" / "site-packages" / "requests" / "api.py"
    own = tmp_path / "app" / "views.py"
    for path in (lib, own):
        path.parent.mkdir(parents=True)
        path.write_text("")
    set_scan_roots([str(tmp_path)])
    try:
        assert inside_scan(str(own))
        assert not inside_scan(str(lib))
    finally:
        set_scan_roots([])


def test_the_running_interpreter_named_by_path_is_not_asked_twice() -> None:
    env = probe(sys.executable, "--python")
    assert env.is_running and env.origin == "--python"
    assert env.distributions == environment.running().distributions


def test_what_an_interpreter_answers_is_read_as_data() -> None:
    from aiscan.engine.environment import _from_probe

    answer = {
        "executable": "/opt/py/bin/python",
        "version": [3, 12],
        "path": ["/opt/py/lib/python3.12", "/opt/py/lib/python3.12/site-packages"],
        "stdlib": ["json", "os"],
        "stdlib_complete": True,
        "distributions": {"PyYAML": "6.0.1"},
        "modules": {"yaml": ["PyYAML"], "_yaml": ["PyYAML"]},
    }
    env = _from_probe(answer, "--python", is_running=False)
    assert (env.python, env.origin, env.version, env.version_text) == (
        "/opt/py/bin/python",
        "--python",
        (3, 12, 0),
        "3.12.0",
    )
    assert env.search_path == tuple(answer["path"])  # type: ignore[arg-type]
    assert env.stdlib == {"json", "os"} and not env.is_running
    assert env.distributions_of("yaml.loader") == ("PyYAML",)
    assert env.version_of("pyyaml") == "6.0.1" and env.version_of("PyJWT") is None
    assert env.describe("yaml") == "PyYAML 6.0.1" and env.describe("nothing.here") == "nothing"
    assert env.describe("os.path") == "Python 3.12.0"
    assert env.facts(["yaml", "os", "nothing"]) == {
        "python": "/opt/py/bin/python",
        "python_version": "3.12.0",
        "origin": "--python",
        "distributions": {"PyYAML": "6.0.1"},
    }
    # Before 3.10 an interpreter cannot list its standard library: this one's list stands in.
    older = _from_probe({**answer, "stdlib_complete": False}, "--python", is_running=False)
    assert {"json", "os", "asyncio", "tomllib"} <= older.stdlib
    # An answer that lacks fields is still an environment (nothing installed, version 0).
    empty = _from_probe({}, "x", is_running=False)
    assert empty.version == (0, 0, 0) and empty.python == "" and not empty.distributions


def test_is_installed_looks_at_metadata_the_standard_library_and_the_path(
    tmp_path: Path,
) -> None:
    from aiscan.engine.environment import _from_probe

    (tmp_path / "loosepkg").mkdir()
    (tmp_path / "single.py").write_text("")
    env = _from_probe(
        {
            "path": [str(tmp_path)],
            "stdlib": ["json"],
            "stdlib_complete": True,
            "modules": {"yaml": ["PyYAML"]},
        },
        "x",
        is_running=False,
    )
    assert env.is_installed("yaml.loader") and env.is_installed("json.decoder")
    assert env.is_installed("loosepkg.sub") and env.is_installed("single")
    assert not env.is_installed("absent") and not env.is_installed("__future__x")
    assert env.is_stdlib("__future__") and not env.is_stdlib("jsonx")


def test_the_probe_is_isolated_from_the_callers_python_path(
    tmp_path: Path, venv: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A json.py on PYTHONPATH would shadow the probe's own imports if it were honoured.
    (tmp_path / "json.py").write_text("raise SystemExit('shadowed')\n")
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    monkeypatch.setenv("AISCAN_CACHE_DIR", str(tmp_path / "cache"))  # really ask it
    env = probe(venv / "bin" / "python", "--python")
    assert env.distributions_of("fakemod") == ("fake-dist",)
    assert str(tmp_path) not in env.search_path


def test_a_venv_folder_without_the_dot_and_a_broken_one(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, make_venv: MakeVenv
) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    make_venv(plain / "venv")
    assert resolve(plain).origin == "venv at the project root"
    # A .venv whose interpreter does not run is skipped with a warning, not an error.
    broken = tmp_path / "broken"
    (broken / ".venv" / "bin").mkdir(parents=True)
    (broken / ".venv" / "pyvenv.cfg").write_text("home = /nowhere\n")
    python = broken / ".venv" / "bin" / "python"
    python.write_text("#!/bin/sh\nexit 1\n")
    python.chmod(0o755)
    assert resolve(broken).is_running
    assert "ignoring" in caplog.text and ".venv" in caplog.text
    # A folder named .venv that is not a virtual environment (no pyvenv.cfg) is not one.
    stray = tmp_path / "stray"
    (stray / ".venv" / "bin").mkdir(parents=True)
    assert resolve(stray).is_running


def _install(site: Path, name: str, version: str) -> None:
    info = site / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    (info / "top_level.txt").write_text("fakemod\n")


def test_an_interpreters_answer_is_kept_until_its_packages_change(
    tmp_path: Path, make_venv: MakeVenv, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AISCAN_CACHE_DIR", str(tmp_path / "cache"))
    venv = make_venv(tmp_path / "venv")
    python = venv / "bin" / "python"
    site = next(venv.glob("lib/python*/site-packages"))
    asked: list[object] = []
    real_run = environment.subprocess.run

    def run(*args: object, **kwargs: object) -> object:
        asked.append(args)
        return real_run(*args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(environment.subprocess, "run", run)
    assert probe(python, "--python").version_of("fake-dist") == "1.2.3"
    assert probe(python, "--venv").origin == "--venv"
    assert len(asked) == 1  # the second answer came from the cache
    # An upgrade replaces the metadata folder: the interpreter is asked again.
    for old in site.glob("fake_dist-*.dist-info"):
        for item in old.iterdir():
            item.unlink()
        old.rmdir()
    _install(site, "fake-dist", "1.3.0")
    assert probe(python, "--python").version_of("fake-dist") == "1.3.0"
    assert len(asked) == 2
    # A corrupt entry is asked again, and rewritten.
    for entry in (tmp_path / "cache").glob("probe-*.json"):
        entry.write_text("{not json")
    assert probe(python, "--python").version_of("fake-dist") == "1.3.0"
    assert probe(python, "--python").version_of("fake-dist") == "1.3.0"
    assert len(asked) == 3


def test_an_interpreter_that_fails_is_not_remembered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AISCAN_CACHE_DIR", str(tmp_path / "cache"))
    python = tmp_path / "python"
    python.write_text("#!/bin/sh\nexit 3\n")
    python.chmod(0o755)
    for _ in range(2):
        with pytest.raises(EnvironmentProblem, match="exit 3"):
            probe(python, "--python")
    assert not list((tmp_path / "cache").glob("probe-*"))


def test_the_running_interpreters_answer_is_the_same_from_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AISCAN_CACHE_DIR", str(tmp_path / "cache"))
    fresh = environment._probe_running()
    assert len(list((tmp_path / "cache").glob("probe-*.json"))) == 1
    monkeypatch.setattr(environment, "_PROBE", "raise SystemExit('asked again')")
    assert environment._probe_running() == fresh
