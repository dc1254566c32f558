"""Development tasks: `nox` runs tests (Python 3.10-3.13), lint, typecheck and docs-check;
`nox -s bench -- --slice small` runs the benchmark."""

from __future__ import annotations

import os
from pathlib import Path

import nox

PYTHONS = ["3.10", "3.11", "3.12", "3.13"]
nox.options.sessions = ["tests", "lint", "typecheck", "docs-check"]
nox.options.error_on_missing_interpreters = True


def _use_pyenv_interpreters() -> None:
    """Put pyenv's installed interpreters on PATH ahead of its shims.

    A pyenv shim such as python3.10 fails unless that version is selected, so nox would not find
    it; the interpreters themselves live in $PYENV_ROOT/versions/X.Y.Z/bin.
    """
    root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    found = sorted((root / "versions").glob("3.*/bin"), reverse=True)
    if found:
        os.environ["PATH"] = os.pathsep.join([*(str(p) for p in found), os.environ["PATH"]])


_use_pyenv_interpreters()


@nox.session(python=PYTHONS)
def tests(session: nox.Session) -> None:
    """The test suite; arguments after -- go to pytest."""
    session.install("-e", ".[test]")
    session.run("pytest", "-q", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff check and ruff format --check."""
    session.install("ruff>=0.6")
    session.run("ruff", "check", "src", "tests", "benchmarks", "noxfile.py")
    session.run("ruff", "format", "--check", "src", "tests", "benchmarks", "noxfile.py")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy --strict on src/ (configuration in pyproject.toml)."""
    session.install("-e", ".[test]")
    session.run("mypy", "--strict", "src/")


@nox.session(name="docs-check")
def docs_check(session: nox.Session) -> None:
    """docs/rules/ must match the rule files (regenerate with python -m aiscan.docsgen)."""
    session.install("-e", ".")
    session.run("python", "-m", "aiscan.docsgen", "--check")


@nox.session
def bench(session: nox.Session) -> None:
    """aiscan against Bandit on the pinned corpus; arguments after -- go to benchmarks/bench.py."""
    session.install("-e", ".[bench]")
    session.run("python", "benchmarks/bench.py", *session.posargs)
