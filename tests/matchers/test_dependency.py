"""``mode: dependency``: what a reviewer expects AIS502 to say about a project's imports."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from aiscan import load_rules, scan
from aiscan.config import Config
from aiscan.model import Finding
from conftest import MakeVenv

RULES = load_rules().select(["AIS502"])
RULE = RULES.by_id()["AIS502"]


def project(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip())
    return root


def run(root: Path, *, jobs: int = 1, venv: Path | None = None) -> list[Finding]:
    result = scan([root], rules=RULES, config=Config(), jobs=jobs, root=root, venv=venv)
    assert not result.errors, result.errors
    return list(result.findings)


def where(findings: list[Finding]) -> list[tuple[str, int, str]]:
    return [(f.path, f.line, f.severity) for f in findings]


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory, make_venv: MakeVenv) -> Path:
    """A target environment with one distribution, ``fake-dist`` 1.2.3, installing ``fakemod``
    (its import name differs from its name) and nothing else: no PyYAML, no requests."""
    return make_venv(tmp_path_factory.mktemp("env") / "venv", "VALUE = 1\n")


def test_an_installed_but_undeclared_distribution_is_a_warning_at_the_module_name(
    tmp_path: Path, venv: Path
) -> None:
    project(
        tmp_path,
        {
            "pyproject.toml": '[project]\nname = "app"\ndependencies = ["requests"]\n',
            "app.py": "import os, fakemod\n",
        },
    )
    [finding] = run(tmp_path, venv=venv)
    assert (finding.line, finding.column, finding.end_column) == (1, 12, 19)
    assert finding.severity == "warning"
    assert "fake-dist 1.2.3 is not declared" in finding.message
    assert "[project] dependencies in pyproject.toml" in finding.message


def test_a_module_neither_declared_nor_installed_is_an_error_about_the_name(
    tmp_path: Path, venv: Path
) -> None:
    project(
        tmp_path,
        {"requirements.txt": "requests\n", "app.py": "import reqeusts_helper.sub\n"},
    )
    [finding] = run(tmp_path, venv=venv)
    assert finding.severity == "error"
    assert "not installed" in finding.message and "attacker" in finding.message
    assert "pip install reqeusts_helper" in finding.message
    assert "requirements.txt" in finding.message


def test_import_names_map_to_distributions_through_metadata_then_the_table(
    tmp_path: Path, venv: Path
) -> None:
    # fakemod is fake-dist (environment metadata); yaml is PyYAML (the rule's table, since
    # PyYAML is not installed in this environment); flask_cors is Flask-Cors (canonical form).
    project(
        tmp_path,
        {
            "pyproject.toml": """
            [project]
            name = "app"
            dependencies = ["Fake_Dist", "pyyaml", "Flask-Cors"]
            """,
            "app.py": "import fakemod\nimport yaml\nimport flask_cors\nfrom PIL import Image\n",
        },
    )
    [finding] = run(tmp_path, venv=venv)
    assert finding.line == 4 and finding.severity == "error"
    assert "Pillow" not in finding.message or "PIL" in finding.message


def test_each_module_of_one_statement_gets_its_own_finding(tmp_path: Path, venv: Path) -> None:
    project(
        tmp_path,
        {"requirements.txt": "requests\n", "app.py": "import aaa_missing, bbb_missing\n"},
    )
    findings = run(tmp_path, venv=venv)
    assert [(f.line, f.column) for f in findings] == [(1, 8), (1, 21)]


def test_production_code_may_use_runtime_and_extras_tests_may_use_groups_too(
    tmp_path: Path,
) -> None:
    project(
        tmp_path,
        {
            "pyproject.toml": """
            [project]
            name = "app"
            dependencies = ["requests"]
            [project.optional-dependencies]
            fast = ["PyYAML"]
            [dependency-groups]
            test = ["pytest", "hypothesis"]
            """,
            "src/app/__init__.py": "import requests\nimport yaml\nimport pytest\n",
            "tests/test_app.py": "import requests\nimport yaml\nimport pytest\nimport app\n",
            "tests/conftest.py": "import hypothesis\n",
            "docs/example.py": "import hypothesis\n",
        },
    )
    findings = run(tmp_path)
    assert where(findings) == [("src/app/__init__.py", 3, "warning")]
    assert "declared only as a development dependency" in findings[0].message
    assert "pyproject.toml:7, group test" in findings[0].message


def test_the_standard_library_own_packages_and_relative_imports_are_not_findings(
    tmp_path: Path,
) -> None:
    project(
        tmp_path,
        {
            "pyproject.toml": '[project]\nname = "my-app"\n',
            "src/my_app/__init__.py": "from . import core\nfrom .core import x\n",
            "src/my_app/core.py": (
                "from __future__ import annotations\nimport json, os.path\nimport my_app.core\n"
                "import plugins.extra\nimport helper\nx = 1\n"
            ),
            "src/plugins/extra.py": "",
            "src/helper.py": "",
            "tests/test_core.py": "import my_app\nimport testing_utils\n",
            "tests/testing_utils.py": "",
        },
    )
    assert run(tmp_path) == []


def test_imports_where_the_module_may_be_missing_are_not_findings(tmp_path: Path) -> None:
    project(
        tmp_path,
        {
            "requirements.txt": "requests\n",
            "app.py": """
            import contextlib
            from typing import TYPE_CHECKING
            try:
                import opt_a
            except ImportError:
                opt_a = None
            try:
                import opt_b
            except (ValueError, ModuleNotFoundError):
                opt_b = None
            else:
                import opt_b_extra
            if TYPE_CHECKING:
                import opt_c
            with contextlib.suppress(ImportError):
                import opt_d
            try:
                import json
            except ImportError:
                import simplejson_fallback
            if HAS_OPT_E:
                import opt_e
            """,
        },
    )
    assert run(tmp_path) == []


def test_an_import_the_fallback_needs_too_is_reported(tmp_path: Path) -> None:
    project(
        tmp_path,
        {
            "requirements.txt": "requests\n",
            "app.py": """
            try:
                from needed_mod import Fast as Impl
            except ImportError:
                from needed_mod import Slow as Impl
            """,
        },
    )
    assert [f.line for f in run(tmp_path)] == [2, 4]


def test_nothing_is_said_when_the_dependencies_cannot_be_known(tmp_path: Path) -> None:
    project(tmp_path / "none", {"app.py": "import surely_missing_mod\n"})
    project(
        tmp_path / "dynamic",
        {
            "pyproject.toml": '[project]\nname = "x"\ndynamic = ["dependencies"]\n',
            "app.py": "import surely_missing_mod\n",
        },
    )
    project(
        tmp_path / "computed",
        {
            "setup.py": "from setuptools import setup\nsetup(install_requires=reqs())\n",
            "app.py": "import surely_missing_mod\n",
        },
    )
    for case in ("none", "dynamic", "computed"):
        assert run(tmp_path / case) == [], case


def test_requirements_in_a_tests_folder_are_development_dependencies(tmp_path: Path) -> None:
    project(
        tmp_path,
        {
            "pyproject.toml": '[project]\nname = "app"\ndependencies = []\n',
            "tests/requirements.txt": "pytest\n",
            "tests/test_a.py": "import pytest\n",
            "app.py": "import pytest\n",
        },
    )
    findings = run(tmp_path)
    assert where(findings) == [("app.py", 1, "warning")]
    assert "tests/requirements.txt:1" in findings[0].message


def test_a_pin_the_environment_misses_is_one_note_at_the_first_import(
    tmp_path: Path, venv: Path
) -> None:
    project(
        tmp_path,
        {
            "pyproject.toml": '[project]\nname = "app"\ndependencies = ["fake-dist>=2,<3"]\n',
            "pkg/__init__.py": "",
            "pkg/a.py": "import json\n\nimport fakemod\nimport fakemod\n",
            "pkg/b.py": "from fakemod import VALUE\n",
            "pkg/c.py": "import fakemod\n",
            "pkg/d.py": "import fakemod\n",
        },
    )
    for jobs in (1, 2):
        findings = run(tmp_path, jobs=jobs, venv=venv)
        assert where(findings) == [("pkg/a.py", 3, "note")], jobs
        message = findings[0].message
        assert "fake-dist 1.2.3 is installed" in message
        assert "pyproject.toml:1" not in message and "pyproject.toml:" in message
        assert ">=2,<3" in message or "<3,>=2" in message


def test_a_pin_that_holds_or_whose_marker_does_not_apply_is_not_noted(
    tmp_path: Path, venv: Path
) -> None:
    project(
        tmp_path,
        {
            "requirements.txt": (
                "fake-dist>=1.2,<2\nfake-dist>=9 ; python_version < '3.0'\nabsent-dist==1\n"
            ),
            "app.py": "import fakemod\n",
        },
    )
    assert run(tmp_path, venv=venv) == []


def _example(text: str) -> tuple[str, str]:
    """A docs example is a commented pyproject.toml followed by the code."""
    toml = []
    code = []
    for line in text.splitlines():
        if line.startswith("#   ") or line.startswith("# pyproject"):
            toml.append(line[4:] if line.startswith("#   ") else "")
        else:
            code.append(line)
    return "\n".join(toml) + "\n", "\n".join(code) + "\n"


@pytest.mark.parametrize("which", ["bad", "good"])
def test_the_documented_examples(tmp_path: Path, which: str) -> None:
    toml, code = _example(getattr(RULE.docs, which))
    assert re.search(r"\[project\]", toml)
    project(tmp_path, {"pyproject.toml": toml, "app.py": code})
    findings = run(tmp_path)
    if which == "bad":
        assert [(f.line, f.severity) for f in findings] == [(2, "warning")]  # import yaml
    else:
        assert findings == []


def test_tests_are_judged_only_against_declared_test_dependencies(
    tmp_path: Path, venv: Path
) -> None:
    # No test dependencies declared anywhere aiscan reads: the tests' imports are not judged.
    project(
        tmp_path / "a",
        {
            "pyproject.toml": '[project]\nname = "a"\ndependencies = []\n',
            "tests/test_a.py": "import fakemod\nimport nosuchlib\n",
        },
    )
    assert run(tmp_path / "a", venv=venv) == []


def test_a_missing_test_import_is_an_error_only_in_a_development_environment(
    tmp_path: Path, venv: Path
) -> None:
    files = {
        "tests/test_b.py": "import nosuchlib\n",
        "src/b/__init__.py": "import nosuchlib\n",
    }
    # fake-dist, the only declared test dependency, is installed: this is a development
    # environment, so a module nobody declared and nobody installed is the invented-name error.
    project(
        tmp_path / "dev",
        {
            "pyproject.toml": '[project]\nname = "b"\ndependencies = []\n'
            '[dependency-groups]\ntest = ["fake-dist"]\n',
            **files,
        },
    )
    assert where(run(tmp_path / "dev", venv=venv)) == [
        ("src/b/__init__.py", 1, "error"),
        ("tests/test_b.py", 1, "error"),
    ]
    # pytest is declared but not installed: the environment holds the runtime dependencies
    # only, so a test import it lacks says nothing about the name; production code still does.
    project(
        tmp_path / "runtime",
        {
            "pyproject.toml": '[project]\nname = "b"\ndependencies = []\n'
            '[dependency-groups]\ntest = ["fake-dist", "pytest"]\n',
            **files,
        },
    )
    assert where(run(tmp_path / "runtime", venv=venv)) == [
        ("src/b/__init__.py", 1, "error"),
        ("tests/test_b.py", 1, "warning"),
    ]
