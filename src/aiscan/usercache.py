"""The per-user cache: compiled rule packs and interpreter probes, reused while unchanged."""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import pickle
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from aiscan._version import __version__

log = logging.getLogger(__name__)

#: Bumped whenever what an entry holds changes shape.
FORMAT = 1
#: The environment variable that names the cache folder.
ENV_VAR = "AISCAN_CACHE_DIR"
#: Entries kept of each kind: the least recently used go first.
MAX_ENTRIES = 32
_RULES = "rules-"
_STALE_TEMP_SECONDS = 3600

#: (path as given, absolute path, size, mtime_ns, content digest) of one file.
FileStamp = tuple[str, str, int, int, str]


def cache_dir() -> Path | None:
    """Where entries live: ``$AISCAN_CACHE_DIR``, else ``$XDG_CACHE_HOME/aiscan``, else
    ``%LOCALAPPDATA%\\aiscan`` on Windows, else ``~/.cache/aiscan``; None without a home."""
    explicit = os.environ.get(ENV_VAR)
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg and os.path.isabs(xdg):
        return Path(xdg) / "aiscan"
    local = os.environ.get("LOCALAPPDATA")
    if sys.platform == "win32" and local:
        return Path(local) / "aiscan"
    try:
        return Path.home() / ".cache" / "aiscan"
    except RuntimeError:  # no home folder to be found
        return None


def _name(prefix: str, identity: object, suffix: str) -> str:
    text = repr((FORMAT, __version__, sys.implementation.cache_tag, identity))
    return f"{prefix}{hashlib.blake2b(text.encode('utf-8'), digest_size=12).hexdigest()}{suffix}"


def _read_own(path: Path) -> bytes | None:
    """The bytes of ``path`` when it exists and belongs to this user (a cache entry written by
    someone else is never trusted)."""
    try:
        with path.open("rb") as fh:
            owner = os.fstat(fh.fileno()).st_uid
            if hasattr(os, "getuid") and owner != os.getuid():
                log.debug("cache entry %s: not ours (uid %d); ignored", path, owner)
                return None
            return fh.read()
    except OSError:
        return None


def _write_atomic(path: Path, blob: bytes) -> bool:
    """Write ``blob`` to ``path`` through a temp file and a rename: a reader sees the old
    entry or the new one, never half of one. False when it cannot be written."""
    import tempfile

    folder = path.parent
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, temp = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(blob)
            os.replace(temp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temp)
            raise
    except OSError as exc:
        log.debug("cache entry %s not written: %s", path, exc)
        return False
    _prune(folder, path.name[: path.name.index("-") + 1])
    return True


def _touch(path: Path) -> None:
    with contextlib.suppress(OSError):
        os.utime(path)  # recently used: pruned last


def _prune(folder: Path, prefix: str) -> None:
    """Keep the MAX_ENTRIES most recently used entries of one kind; drop temp files that a
    crashed writer left behind."""
    try:
        found = list(os.scandir(folder))
    except OSError:
        return
    entries: list[tuple[float, str]] = []
    now = time.time()
    for item in found:
        try:
            mtime = item.stat().st_mtime
        except OSError:
            continue
        if item.name.startswith(prefix):
            entries.append((mtime, item.path))
        elif item.name.startswith(f".{prefix}") and now - mtime > _STALE_TEMP_SECONDS:
            with contextlib.suppress(OSError):
                os.unlink(item.path)
    entries.sort(reverse=True)
    for _, path in entries[MAX_ENTRIES:]:
        with contextlib.suppress(OSError):
            os.unlink(path)


# --- compiled rule packs ----------------------------------------------------------------------


def _stamp(path: Path) -> FileStamp:
    with path.open("rb") as fh:
        st = os.fstat(fh.fileno())
        digest = hashlib.blake2b(fh.read(), digest_size=16).hexdigest()
    return (str(path), os.path.abspath(path), st.st_size, st.st_mtime_ns, digest)


def _code_files() -> list[Path]:
    """What else decides the loaded result: the loader, the model, the schemas and the taxonomy
    (they change without a version bump in a source checkout)."""
    from aiscan.resources import schemas_dir

    package = Path(__file__).resolve().parent
    schemas = schemas_dir()
    return [
        package / "loader.py",
        package / "model.py",
        package / "data" / "taxonomy.yaml",
        schemas / "rule.schema.json",
        schemas / "model.schema.json",
    ]


@dataclass(frozen=True)
class RulePackEntry:
    """The cache file for one set of rule paths, and the stamps its contents must match."""

    path: Path
    stamps: tuple[FileStamp, ...]

    def read(self) -> object | None:
        """The stored rule set, or None when there is none, or it is stale, foreign or corrupt."""
        blob = _read_own(self.path)
        if blob is None:
            return None
        try:
            stored = pickle.loads(blob)
        except Exception as exc:  # noqa: BLE001 - a truncated or foreign file fails in any way
            log.debug("cache entry %s: unreadable (%s); ignored", self.path, exc)
            return None
        if not (isinstance(stored, tuple) and len(stored) == 2 and stored[0] == self.stamps):
            return None
        _touch(self.path)
        result: object = stored[1]
        return result

    def write(self, ruleset: object) -> None:
        """Store ``ruleset`` (a rule set that loaded without an error); failing costs only time."""
        try:
            blob = pickle.dumps((self.stamps, ruleset), protocol=pickle.HIGHEST_PROTOCOL)
        except (pickle.PicklingError, TypeError, AttributeError) as exc:
            log.debug("cache entry %s not written: %s", self.path, exc)
            return
        _write_atomic(self.path, blob)


def rule_pack_entry(roots: Sequence[Path], files: Sequence[Path]) -> RulePackEntry | None:
    """The entry for loading ``files`` (found under ``roots``), or None when there is no cache
    folder or a file cannot be read (the loader then reports it)."""
    folder = cache_dir()
    if folder is None:
        return None
    name = _name(_RULES, [(str(r), os.path.abspath(r)) for r in roots], ".pickle")
    try:
        stamps = tuple(_stamp(p) for p in [*_code_files(), *files])
    except OSError:
        return None
    return RulePackEntry(folder / name, stamps)


# --- interpreter probes -----------------------------------------------------------------------


def read_json(kind: str, identity: object) -> object | None:
    """The JSON value stored for ``identity`` (None when absent, foreign or corrupt)."""
    folder = cache_dir()
    if folder is None:
        return None
    path = folder / _name(f"{kind}-", identity, ".json")
    blob = _read_own(path)
    if blob is None:
        return None
    try:
        value: object = json.loads(blob)
    except ValueError as exc:
        log.debug("cache entry %s: unreadable (%s); ignored", path, exc)
        return None
    _touch(path)
    return value


def write_json(kind: str, identity: object, value: object) -> None:
    folder = cache_dir()
    if folder is not None:
        path = folder / _name(f"{kind}-", identity, ".json")
        _write_atomic(path, json.dumps(value).encode("utf-8"))
