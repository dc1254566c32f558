"""Find the Python files to scan: given files and folders, minus what should not be scanned."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pathspec

SKIP_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        ".tox",
        ".nox",
        ".venv",
        "venv",
        "env",
        ".env",
        "virtualenv",
        "__pycache__",
        ".mypy_cache",
        ".ruff_cache",
        ".pytest_cache",
        ".hypothesis",
        "node_modules",
        "build",
        "dist",
        "site-packages",
        ".eggs",
        ".bench",
    }
)


@dataclass
class Discovered:
    """The files to scan (absolute, sorted, unique) and the notes about what was passed over."""

    files: list[Path] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    #: Paths that should have been scanned and could not be (a named path that does not exist
    #: or is not Python, a folder that cannot be listed): (path, why). The scan is incomplete.
    errors: list[tuple[str, str]] = field(default_factory=list)


def _is_venv(folder: Path) -> bool:
    return (folder / "pyvenv.cfg").is_file()


def _gitignore(folder: Path) -> pathspec.PathSpec[Any] | None:
    ignore = folder / ".gitignore"
    if not ignore.is_file():
        return None
    try:
        lines = ignore.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    return pathspec.GitIgnoreSpec.from_lines(lines)


def discover(
    paths: Sequence[str | Path],
    *,
    root: Path,
    exclude: Iterable[str] = (),
    include: Iterable[str] = (),
    pattern_root: Path | None = None,
) -> Discovered:
    """Expand ``paths`` into Python files.

    Folders are walked without following symlinked folders (so no loops); ``.gitignore`` files
    met on the way and the ``exclude`` patterns (gitignore syntax, relative to ``pattern_root``,
    the configuration file's folder, or else to ``root``) prune the walk. A file named explicitly
    is scanned whatever its name, unless it is excluded. A named path that does not exist or is
    not Python, and a folder that cannot be listed, are recorded in ``errors`` and the rest is
    still discovered.
    """
    excluded = pathspec.GitIgnoreSpec.from_lines(list(exclude))
    included = pathspec.GitIgnoreSpec.from_lines(list(include)) if include else None
    out = Discovered()
    seen: set[Path] = set()

    def rel(path: Path) -> str:
        try:
            return path.relative_to(root).as_posix()
        except ValueError:
            return path.as_posix()

    def prel(path: Path) -> str:
        if pattern_root is None:
            return str(rel(path))
        try:
            return path.relative_to(pattern_root).as_posix()
        except ValueError:
            return path.as_posix()

    def add(path: Path) -> None:
        real = path.resolve()
        if real in seen:
            return
        seen.add(real)
        out.files.append(path)

    for raw in paths:
        given = Path(raw)
        path = given if given.is_absolute() else (Path.cwd() / given)
        path = Path(os.path.normpath(path))
        if not path.exists():
            why = "broken symlink" if path.is_symlink() else "no such file or directory"
            out.errors.append((rel(path), why))
            continue
        if path.is_file():
            if excluded.match_file(prel(path)):
                out.skipped.append((rel(path), "excluded by configuration"))
                continue
            if path.suffix not in (".py", ".pyi") and not _has_python_shebang(path):
                out.errors.append((rel(path), "not a Python file (expected .py)"))
                continue
            add(path)
            continue
        if not path.is_dir():
            out.errors.append((rel(path), "not a regular file or a folder"))
            continue
        ignores: list[tuple[Path, pathspec.PathSpec[Any]]] = []
        for parent in [path, *path.parents]:
            spec = _gitignore(parent)
            # An ancestor .gitignore that ignores the folder itself is overridden by naming the
            # folder explicitly; its other patterns still apply below it.
            if spec is not None and (parent == path or not _ignored(path, True, [(parent, spec)])):
                ignores.append((parent, spec))
            if (parent / ".git").exists():
                break
        before = len(out.files)
        _walk(path, root, excluded, included, ignores, add, out, rel, prel)
        if len(out.files) == before:
            out.skipped.append((rel(path), "no Python files found"))
    out.files.sort(key=rel)
    return out


def _has_python_shebang(path: Path) -> bool:
    try:
        with path.open("rb") as fh:
            first = fh.readline(200)
    except OSError:
        return False
    return first.startswith(b"#!") and b"python" in first


def _ignored(path: Path, is_dir: bool, ignores: list[tuple[Path, pathspec.PathSpec[Any]]]) -> bool:
    for base, spec in ignores:
        try:
            relpath = path.relative_to(base).as_posix()
        except ValueError:
            continue
        if spec.match_file(relpath + ("/" if is_dir else "")):
            return True
    return False


def _walk(
    top: Path,
    root: Path,
    excluded: pathspec.PathSpec[Any],
    included: pathspec.PathSpec[Any] | None,
    ignores: list[tuple[Path, pathspec.PathSpec[Any]]],
    add: object,
    out: Discovered,
    rel: object,
    prel: object,
) -> None:
    assert callable(add) and callable(rel) and callable(prel)

    def unreadable(exc: OSError) -> None:
        # os.walk would otherwise pass over a folder it cannot list without a word.
        where = Path(exc.filename) if exc.filename else top
        out.errors.append((rel(where), f"cannot read folder: {exc.strerror or exc}"))

    visited: set[tuple[int, int]] = set()
    # Each folder sees the .gitignore files of its own ancestors only, not of its siblings.
    inherited: dict[Path, list[tuple[Path, pathspec.PathSpec[Any]]]] = {top: ignores}
    for dirpath, dirnames, filenames in os.walk(top, onerror=unreadable, followlinks=False):
        folder = Path(dirpath)
        try:
            st = folder.stat()
        except OSError:
            continue
        key = (st.st_dev, st.st_ino)
        if key in visited:
            dirnames[:] = []
            continue
        visited.add(key)
        ignores = inherited.pop(folder, [])
        local = _gitignore(folder) if folder != top else None
        if local is not None:
            ignores = [*ignores, (folder, local)]
        keep = []
        for name in sorted(dirnames):
            child = folder / name
            if name in SKIP_DIRS or name.endswith(".egg-info") or _is_venv(child):
                continue
            if child.is_symlink():
                continue
            if excluded.match_file(prel(child) + "/") or _ignored(child, True, ignores):
                continue
            keep.append(name)
        dirnames[:] = keep
        for name in keep:
            inherited[folder / name] = ignores
        for name in sorted(filenames):
            if not name.endswith(".py"):
                continue
            child = folder / name
            relpath = rel(child)
            if excluded.match_file(prel(child)) or _ignored(child, False, ignores):
                continue
            if included is not None and not included.match_file(prel(child)):
                continue
            if child.is_symlink() and not child.exists():
                out.skipped.append((relpath, "broken symlink"))
                continue
            add(child)
