"""Which files a scan reads: the Python files named or found below the folders named, minus
what is not the project's own code; nothing passed over without a word."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import pytest

from aiscan.engine.discovery import Discovered, discover


def touch(root: Path, *rels: str, text: str = "x = 1\n") -> None:
    for rel in rels:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def run(root: Path, paths: Iterable[str | Path] = (".",), **kwargs: object) -> Discovered:
    return discover(list(paths), root=root, **kwargs)  # type: ignore[arg-type]


def names(found: Discovered, root: Path) -> list[str]:
    return [p.relative_to(root).as_posix() for p in found.files]


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_python_files_below_a_folder_sorted(repo: Path) -> None:
    touch(repo, "b.py", "a.py", "pkg/__init__.py", "pkg/z.py", "pkg/sub/y.py", "notes.txt")
    touch(repo, "stubs/mod.pyi")
    found = run(repo)
    assert names(found, repo) == ["a.py", "b.py", "pkg/__init__.py", "pkg/sub/y.py", "pkg/z.py"]
    assert found.errors == []


def test_tool_and_build_folders_are_skipped(repo: Path) -> None:
    skipped = [
        ".git/hooks/h.py",
        ".venv/lib/x.py",
        "venv/lib/x.py",
        ".tox/py/x.py",
        "build/lib/x.py",
        "dist/x.py",
        "node_modules/pkg/x.py",
        "__pycache__/x.py",
        "pkg.egg-info/x.py",
    ]
    touch(repo, "keep.py", *skipped)
    assert names(run(repo), repo) == ["keep.py"]


def test_a_virtualenv_under_any_name_is_skipped(repo: Path) -> None:
    touch(repo, "keep.py", "py311/lib/python3.11/site.py", "py311/bin/activate_this.py")
    (repo / "py311" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    touch(repo, "py312/not_a_venv.py")
    assert names(run(repo), repo) == ["keep.py", "py312/not_a_venv.py"]


def test_gitignore_at_the_root(repo: Path) -> None:
    (repo / ".gitignore").write_text("generated/\n*_pb2.py\n!keep_pb2.py\n")
    touch(repo, "a.py", "generated/g.py", "api_pb2.py", "keep_pb2.py", "sub/x_pb2.py")
    assert names(run(repo), repo) == ["a.py", "keep_pb2.py"]


def test_nested_gitignore_applies_only_below_its_folder(repo: Path) -> None:
    (repo / "pkg").mkdir()
    (repo / "pkg" / ".gitignore").write_text("local.py\n/anchored.py\n")
    touch(
        repo,
        "local.py",
        "anchored.py",
        "pkg/local.py",
        "pkg/anchored.py",
        "pkg/deep/local.py",
        "pkg/deep/anchored.py",
        "other/local.py",
    )
    assert names(run(repo), repo) == [
        "anchored.py",
        "local.py",
        "other/local.py",
        "pkg/deep/anchored.py",
    ]


def test_gitignore_of_a_sibling_does_not_leak(repo: Path) -> None:
    (repo / "a").mkdir()
    (repo / "a" / ".gitignore").write_text("*.py\n")
    touch(repo, "a/x.py", "b/x.py")
    assert names(run(repo), repo) == ["b/x.py"]


def test_gitignore_above_the_repository_root_is_not_read(tmp_path: Path) -> None:
    (tmp_path / ".gitignore").write_text("*.py\n")
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    touch(repo, "a.py")
    assert names(run(repo, [repo]), repo) == ["a.py"]


def test_gitignore_applies_when_a_subfolder_is_named(repo: Path) -> None:
    (repo / ".gitignore").write_text("gen.py\n")
    touch(repo, "pkg/gen.py", "pkg/a.py")
    assert names(run(repo, ["pkg"]), repo) == ["pkg/a.py"]


def test_exclude_patterns(repo: Path) -> None:
    touch(repo, "a.py", "migrations/0001.py", "pkg/migrations/0002.py", "tests/test_a.py")
    found = run(repo, exclude=["migrations/", "/tests"])
    assert names(found, repo) == ["a.py"]


def test_exclude_of_a_named_file_is_noted(repo: Path) -> None:
    touch(repo, "gen.py", "a.py")
    found = run(repo, ["gen.py", "a.py"], exclude=["gen.py"])
    assert names(found, repo) == ["a.py"]
    assert found.skipped == [("gen.py", "excluded by configuration")]


def test_include_keeps_only_matching_files(repo: Path) -> None:
    touch(repo, "src/a.py", "scripts/b.py")
    assert names(run(repo, include=["src/"]), repo) == ["src/a.py"]


def test_a_named_file_is_scanned_whatever_gitignore_says(repo: Path) -> None:
    (repo / ".gitignore").write_text("gen.py\n")
    touch(repo, "gen.py")
    assert names(run(repo, ["gen.py"]), repo) == ["gen.py"]


def test_a_file_named_twice_is_scanned_once(repo: Path) -> None:
    touch(repo, "pkg/a.py")
    assert names(run(repo, ["pkg/a.py", "pkg", "./pkg/a.py"]), repo) == ["pkg/a.py"]


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_a_symlink_loop_terminates(repo: Path) -> None:
    touch(repo, "pkg/a.py")
    (repo / "pkg" / "loop").symlink_to("..", target_is_directory=True)
    (repo / "pkg" / "self").symlink_to(".", target_is_directory=True)
    (repo / "pkg" / "alias.py").symlink_to("a.py")
    found = run(repo)
    assert names(found, repo) == ["pkg/a.py"]  # the file symlink is the same file
    assert found.errors == []


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_a_broken_symlink_is_reported(repo: Path) -> None:
    touch(repo, "a.py")
    (repo / "dangling.py").symlink_to("nowhere.py")
    found = run(repo)
    assert names(found, repo) == ["a.py"]
    assert ("dangling.py", "broken symlink") in found.skipped


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_a_named_broken_symlink_is_an_error(repo: Path) -> None:
    touch(repo, "a.py")
    (repo / "dangling.py").symlink_to("nowhere.py")
    found = run(repo, ["dangling.py", "a.py"])
    assert names(found, repo) == ["a.py"]
    assert found.errors == [("dangling.py", "broken symlink")]


def test_a_named_path_that_does_not_exist_is_an_error_and_the_rest_is_found(repo: Path) -> None:
    touch(repo, "a.py")
    found = run(repo, ["missing.py", "a.py", "nodir/"])
    assert names(found, repo) == ["a.py"]
    assert found.errors == [
        ("missing.py", "no such file or directory"),
        ("nodir", "no such file or directory"),
    ]


def test_a_named_file_that_is_not_python_is_an_error(repo: Path) -> None:
    touch(repo, "a.py", "README.md")
    touch(repo, "tool", text="#!/usr/bin/env python3\nprint(1)\n")
    touch(repo, "run.sh", text="#!/bin/sh\necho\n")
    found = run(repo, ["README.md", "tool", "run.sh", "a.py"])
    assert names(found, repo) == ["a.py", "tool"]  # a python shebang counts
    assert found.errors == [
        ("README.md", "not a Python file (expected .py)"),
        ("run.sh", "not a Python file (expected .py)"),
    ]


def test_a_folder_that_cannot_be_listed_is_an_error(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    touch(repo, "a.py", "locked/b.py", "open/c.py")
    real_scandir = os.scandir

    def scandir(path: str) -> object:
        if Path(path).name == "locked":
            raise PermissionError(13, "Permission denied", path)
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    found = run(repo)
    assert names(found, repo) == ["a.py", "open/c.py"]
    assert found.errors == [("locked", "cannot read folder: Permission denied")]


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads everything")
def test_a_folder_without_permissions_is_an_error(repo: Path) -> None:
    touch(repo, "a.py", "locked/b.py")
    (repo / "locked").chmod(0)
    try:
        found = run(repo)
    finally:
        (repo / "locked").chmod(0o755)
    assert names(found, repo) == ["a.py"]
    assert [path for path, _ in found.errors] == ["locked"]


def test_a_folder_without_python_files_is_noted(repo: Path) -> None:
    touch(repo, "docs/index.md")
    found = run(repo, ["docs"])
    assert found.files == []
    assert found.skipped == [("docs", "no Python files found")]
