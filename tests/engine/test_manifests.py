"""Reading what a project declares: pyproject.toml, requirements files, setup.cfg, setup.py."""

from __future__ import annotations

import textwrap
from pathlib import Path

from aiscan.engine.manifests import (
    CONSTRAINT,
    DEV,
    EXTRA,
    RUNTIME,
    Manifest,
    is_requirements_file,
    read_manifest,
)


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return root


def kinds(manifest: Manifest) -> dict[str, set[tuple[str, str]]]:
    """Distribution -> {(kind, group)}."""
    out: dict[str, set[tuple[str, str]]] = {}
    for decl in manifest.declarations:
        out.setdefault(decl.name, set()).add((decl.kind, decl.group))
    return out


def test_pep621_dependencies_extras_and_dependency_groups(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "pyproject.toml": """
            [project]
            name = "Shop_App"
            dependencies = ["requests[socks]>=2.31; python_version >= '3.8'", "PyYAML"]
            [project.optional-dependencies]
            jwt = ["PyJWT>=2", "shop-app[extra2]"]
            [dependency-groups]
            lint = ["ruff"]
            test = ["pytest>=8", {include-group = "lint"}]
            """
        },
    )
    manifest = read_manifest(tmp_path)
    assert manifest.known
    assert manifest.project_name == "shop-app"
    assert kinds(manifest) == {
        "requests": {(RUNTIME, "")},
        "pyyaml": {(RUNTIME, "")},
        "pyjwt": {(EXTRA, "jwt")},
        "ruff": {(DEV, "lint"), (DEV, "test")},
        "pytest": {(DEV, "test")},
    }
    requests = next(d for d in manifest.declarations if d.name == "requests")
    assert requests.specifier == ">=2.31"
    assert "python_version" in requests.marker
    assert requests.source == "pyproject.toml:4"


def test_a_project_without_dependencies_declares_none_and_is_known(tmp_path: Path) -> None:
    write(tmp_path, {"pyproject.toml": '[project]\nname = "x"\n'})
    manifest = read_manifest(tmp_path)
    assert manifest.known and manifest.declarations == []


def test_a_pyproject_with_only_tool_settings_says_nothing(tmp_path: Path) -> None:
    write(tmp_path, {"pyproject.toml": "[tool.ruff]\nline-length = 100\n"})
    assert not read_manifest(tmp_path).known


def test_poetry_dependencies_groups_and_dev_dependencies(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "pyproject.toml": """
            [tool.poetry]
            name = "poetry-app"
            [tool.poetry.dependencies]
            python = "^3.10"
            requests = "^2.31"
            PyJWT = { version = "^2.8", extras = ["crypto"] }
            anything = "*"
            [tool.poetry.group.test.dependencies]
            pytest = "^8"
            [tool.poetry.dev-dependencies]
            hypothesis = "*"
            """
        },
    )
    manifest = read_manifest(tmp_path)
    assert manifest.known
    assert kinds(manifest) == {
        "requests": {(RUNTIME, "")},
        "pyjwt": {(RUNTIME, "")},
        "anything": {(RUNTIME, "")},
        "pytest": {(DEV, "test")},
        "hypothesis": {(DEV, "dev")},
    }
    spec = {d.name: d.specifier for d in manifest.declarations}
    assert spec["requests"] == "^2.31" and spec["anything"] == ""


def test_pdm_uv_and_hatch_development_dependencies(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "pyproject.toml": """
            [project]
            name = "x"
            [tool.pdm.dev-dependencies]
            lint = ["flake8"]
            [tool.uv]
            dev-dependencies = ["coverage"]
            [tool.hatch.envs.default]
            dependencies = ["pytest"]
            extra-dependencies = ["pytest-cov"]
            """
        },
    )
    assert kinds(read_manifest(tmp_path)) == {
        "flake8": {(DEV, "lint")},
        "coverage": {(DEV, "dev")},
        "pytest": {(DEV, "default")},
        "pytest-cov": {(DEV, "default")},
    }


def test_requirements_files_follow_includes_and_constraints(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "requirements.txt": """
            # comment
            -r requirements/base.txt
            -c constraints.txt
            flask @ https://example.invalid/flask-3.0.0-py3-none-any.whl
            -e .
            -e git+https://example.invalid/repo.git#egg=mylib
            --index-url https://pypi.org/simple
            jsonschema>=4 \\
                --hash=sha256:00
            requests>=2 ; python_version >= "3.8"  # trailing comment
            ./local/path
            """,
            "requirements/base.txt": "click>=8\n",
            "constraints.txt": "PyYAML==6.0.1\n",
            "requirements-dev.txt": "-r requirements.txt\npytest\n",
            "requirements/docs.txt": "sphinx\n",
        },
    )
    manifest = read_manifest(tmp_path)
    assert manifest.known
    got = kinds(manifest)
    assert got["click"] == {(RUNTIME, ""), (DEV, "requirements-dev.txt")}
    assert got["flask"] >= {(RUNTIME, "")}
    assert got["mylib"] >= {(RUNTIME, "")}
    assert got["jsonschema"] >= {(RUNTIME, "")}
    assert got["pyyaml"] >= {(CONSTRAINT, "")}
    assert (RUNTIME, "") not in got["pyyaml"]
    assert got["pytest"] == {(DEV, "requirements-dev.txt")}
    assert got["sphinx"] == {(DEV, "requirements/docs.txt")}
    jsonschema = next(d for d in manifest.declarations if d.name == "jsonschema")
    assert jsonschema.specifier == ">=4" and jsonschema.source == "requirements.txt:9"


def test_only_development_requirements_leave_the_runtime_unknown(tmp_path: Path) -> None:
    write(tmp_path, {"requirements-dev.txt": "pytest\n"})
    assert not read_manifest(tmp_path).known


def test_an_include_cycle_ends(tmp_path: Path) -> None:
    write(
        tmp_path, {"requirements.txt": "-r other.txt\na\n", "other.txt": "-r requirements.txt\nb\n"}
    )
    assert set(kinds(read_manifest(tmp_path))) == {"a", "b"}


def test_requirement_file_names() -> None:
    for name in (
        "requirements.txt",
        "requirements-dev.txt",
        "dev-requirements.txt",
        "requirements.in",
    ):
        assert is_requirements_file(name), name
    for name in ("requirement.txt", "requirements.py", "README.txt"):
        assert not is_requirements_file(name), name


def test_setup_cfg_install_requires_extras_and_file_directive(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "setup.cfg": """
            [metadata]
            name = cfg-app
            [options]
            install_requires =
                requests>=2
                # a comment
                click ; python_version >= "3.8"
            tests_require = pytest
            [options.extras_require]
            yaml = PyYAML>=6
            """,
        },
    )
    manifest = read_manifest(tmp_path)
    assert manifest.known and manifest.project_name == "cfg-app"
    assert kinds(manifest) == {
        "requests": {(RUNTIME, "")},
        "click": {(RUNTIME, "")},
        "pytest": {(DEV, "tests")},
        "pyyaml": {(EXTRA, "yaml")},
    }
    write(
        tmp_path,
        {"setup.cfg": "[options]\ninstall_requires = file: reqs.txt\n", "reqs.txt": "httpx\n"},
    )
    assert kinds(read_manifest(tmp_path)) == {"httpx": {(RUNTIME, "")}}


def test_setup_py_literal_install_requires_is_read_not_run(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "setup.py": """
            import sys
            from setuptools import setup
            BASE = ["requests>=2"]
            sys.exit("setup.py must never run")
            setup(
                name="legacy",
                install_requires=BASE + ["click"],
                extras_require={"yaml": ["PyYAML"]},
                tests_require=["pytest"],
            )
            """
        },
    )
    manifest = read_manifest(tmp_path)
    assert manifest.known
    assert kinds(manifest) == {
        "requests": {(RUNTIME, "")},
        "click": {(RUNTIME, "")},
        "pyyaml": {(EXTRA, "yaml")},
        "pytest": {(DEV, "tests")},
    }


def test_setup_py_that_computes_install_requires_is_unknown(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "setup.py": (
                "from setuptools import setup\nsetup(install_requires=open('r').read().split())\n"
            )
        },
    )
    manifest = read_manifest(tmp_path)
    assert not manifest.known and "computes" in manifest.unknown_reason
    write(tmp_path, {"setup.py": "from setuptools import setup\nsetup(**KWARGS)\n"})
    assert not read_manifest(tmp_path).known
    # ... unless a runtime requirements file says what it reads.
    write(tmp_path, {"requirements.txt": "requests\n"})
    assert read_manifest(tmp_path).known


def test_setup_py_that_only_calls_setup_leaves_it_to_setup_cfg(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "setup.py": "from setuptools import setup\nsetup()\n",
            "setup.cfg": "[options]\ninstall_requires =\n    requests\n",
        },
    )
    manifest = read_manifest(tmp_path)
    assert manifest.known and set(kinds(manifest)) == {"requests"}


def test_dynamic_dependencies_from_files(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "pyproject.toml": """
            [project]
            name = "dyn"
            dynamic = ["dependencies", "optional-dependencies"]
            [tool.setuptools.dynamic]
            dependencies = {file = ["deps.in"]}
            optional-dependencies.yaml = {file = "yaml.in"}
            """,
            "deps.in": "requests\n",
            "yaml.in": "PyYAML\n",
        },
    )
    manifest = read_manifest(tmp_path)
    assert manifest.known
    assert kinds(manifest) == {"requests": {(RUNTIME, "")}, "pyyaml": {(EXTRA, "yaml")}}


def test_dynamic_dependencies_nobody_can_read_are_unknown(tmp_path: Path) -> None:
    write(tmp_path, {"pyproject.toml": '[project]\nname = "x"\ndynamic = ["dependencies"]\n'})
    manifest = read_manifest(tmp_path)
    assert not manifest.known and "dynamic" in manifest.unknown_reason
    # Dynamic, left to a setup.py with a literal install_requires: known.
    write(
        tmp_path,
        {"setup.py": "from setuptools import setup\nsetup(install_requires=['requests'])\n"},
    )
    assert read_manifest(tmp_path).known


def test_a_malformed_pyproject_is_unknown_not_an_exception(tmp_path: Path) -> None:
    write(tmp_path, {"pyproject.toml": "[project\nname = "})
    assert not read_manifest(tmp_path).known


def test_no_manifest_is_unknown(tmp_path: Path) -> None:
    assert not read_manifest(tmp_path).known


def test_sources_name_the_line_and_requirement_folders_hold_in_files(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "requirements/base.in": "requests>=2.31\n",
            "requirements/notes.md": "flask\n",
            "requirements.txt": "# pinned\n\nPyYAML==6.0.1\nrequests\n",
        },
    )
    (tmp_path / "requirements" / "dev.in").write_bytes(b"pytest  # caf\xe9 tests\n")
    manifest = read_manifest(tmp_path)
    assert manifest.known
    sources = {(d.name, d.source) for d in manifest.declarations}
    assert ("pyyaml", "requirements.txt:3") in sources
    assert ("requests", "requirements.txt:4") in sources
    assert ("requests", "requirements/base.in:1") in sources
    # A file that is not UTF-8 is still read; a non-requirements file in the folder is not.
    assert "pytest" in kinds(manifest)
    assert "flask" not in kinds(manifest)


def test_an_extra_that_names_the_project_itself_adds_nothing_new(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "pyproject.toml": """\
                [project]
                name = "My_Proj"
                dependencies = ["requests"]

                [project.optional-dependencies]
                fast = ["orjson"]
                all = ["my-proj[fast]"]
                """,
        },
    )
    found = kinds(read_manifest(tmp_path))
    assert found["orjson"] == {(EXTRA, "fast")}
    assert "my-proj" not in found
