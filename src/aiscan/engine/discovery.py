"""Find the Python files to scan: given files and folders, minus what should not be scanned."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pathspec

SKIP_DIRS = frozenset(
    {
        ".git", ".hg", ".svn", ".tox", ".nox", ".venv", "venv", "env", ".env", "virtualenv",
        "__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache", ".hypothesis",
        "node_modules", "build", "dist", "site-packages", ".eggs", ".bench",
    }
)


class DiscoveryError(Exception):
    """A path the user named cannot be scanned (does not exist, or is not a Python file)."""


@dataclass
class Discovered:
    """The files to scan (absolute, sorted, unique) and the notes about what was passed over."""

    files: list[Path] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)


def _is_venv(folder: Path) -> bool:
    return (folder / "pyvenv.cfg").is_file()


def _gitignore(folder: Path) -> pathspec.PathSpec | None:
    ignore = folder / ".gitignore"
    if not ignore.is_file():
        return None
    try:
        lines = ignore.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    return pathspec.PathSpec.from_lines("gitwildmatch", lines)


def discover(
    paths: Sequence[str | Path],
    *,
    root: Path,
    exclude: Iterable[str] = (),
    include: Iterable[str] = (),
) -> Discovered:
    """Expand ``paths`` into Python files.

    Folders are walked without following symlinked folders (so no loops); ``.gitignore`` files
    met on the way and the ``exclude`` patterns (gitignore syntax, relative to ``root``) prune the
    walk. A file named explicitly is scanned whatever its name, unless it is excluded.
    """
    excluded = pathspec.PathSpec.from_lines("gitwildmatch", list(exclude))
    included = pathspec.PathSpec.from_lines("gitwildmatch", list(include)) if include else None
    out = Discovered()
    seen: set[Path] = set()

    def rel(path: Path) -> str:
        try:
            return path.relative_to(root).as_posix()
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
            raise DiscoveryError(f"{raw}: no such file or directory")
        if path.is_file():
            if excluded.match_file(rel(path)):
                out.skipped.append((rel(path), "excluded by configuration"))
                continue
            if path.suffix not in (".py", ".pyi") and not _has_python_shebang(path):
                raise DiscoveryError(f"{raw}: not a Python file (expected .py)")
            add(path)
            continue
        ignores: list[tuple[Path, pathspec.PathSpec]] = []
        for parent in [path, *path.parents]:
            spec = _gitignore(parent)
            if spec is not None:
                ignores.append((parent, spec))
            if (parent / ".git").exists():
                break
        _walk(path, root, excluded, included, ignores, add, out, rel)
    out.files.sort(key=lambda p: rel(p))
    return out


def _has_python_shebang(path: Path) -> bool:
    try:
        with path.open("rb") as fh:
            first = fh.readline(200)
    except OSError:
        return False
    return first.startswith(b"#!") and b"python" in first


def _ignored(path: Path, is_dir: bool, ignores: list[tuple[Path, pathspec.PathSpec]]) -> bool:
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
    excluded: pathspec.PathSpec,
    included: pathspec.PathSpec | None,
    ignores: list[tuple[Path, pathspec.PathSpec]],
    add: object,
    out: Discovered,
    rel: object,
) -> None:
    assert callable(add) and callable(rel)
    visited: set[tuple[int, int]] = set()
    # Each folder sees the .gitignore files of its own ancestors only, not of its siblings.
    inherited: dict[Path, list[tuple[Path, pathspec.PathSpec]]] = {top: ignores}
    for dirpath, dirnames, filenames in os.walk(top, followlinks=False):
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
            if excluded.match_file(rel(child) + "/") or _ignored(child, True, ignores):
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
            if excluded.match_file(relpath) or _ignored(child, False, ignores):
                continue
            if included is not None and not included.match_file(relpath):
                continue
            if child.is_symlink() and not child.exists():
                out.skipped.append((relpath, "broken symlink"))
                continue
            add(child)
