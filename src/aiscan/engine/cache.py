"""The persistent result cache: each file's analysis, kept under a key of everything it read."""

from __future__ import annotations

import ast
import contextlib
import hashlib
import json
import logging
import os
import shutil
import stat
import sys
import tempfile
import time
import warnings
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiscan._version import __version__
from aiscan.engine import observe
from aiscan.engine.environment import Environment
from aiscan.engine.scanner import FileResult, PerPathIgnore, RunOutput, run_files
from aiscan.loader import RuleSet
from aiscan.model import (
    CONFIDENCE_ORDER,
    SEVERITY_ORDER,
    CacheStats,
    Finding,
    FlowStep,
    Location,
    ScanError,
    Suppression,
)

log = logging.getLogger(__name__)

# A file's result is reused when nothing it can depend on has changed:
#
# - the scan as a whole (the global key): aiscan's version and source, the Python running it
#   and its packages, the target environment, the rules' full content, the per-path ignores,
#   the scan root and the import roots;
# - the file's text, its module name, and the texts of every project file it can reach through
#   imports, transitively (found with a cheap ``ast`` pass over import statements, including
#   relative imports, ``from pkg import mod`` and the packages a dotted import runs). A change
#   anywhere in that closure changes the key; a file outside it cannot reach the analysis,
#   which follows the project only through its imports;
# - what a matcher said it read beyond that (engine.observe): the texts of all scanned files,
#   the files that import this one, the manifests and the project's layout, the imports of the
#   other files. Those are checked when the result is looked up.
#
# Results are stored one file per entry, written to a temporary name and renamed into place,
# so two scans at once never leave a half-written entry; a damaged, truncated or foreign entry
# is a miss, noted in the report and rebuilt.

#: The folder name of the cache at the scan root.
CACHE_DIR_NAME = ".aiscan_cache"
#: Bumped whenever what is stored, or how keys are made, changes.
FORMAT = 2

_META = "aiscan-cache.json"
_RESULTS = "results"
_FACTS = "facts"
_TAG = "CACHEDIR.TAG"
_IGNORE = ".gitignore"
_TAG_TEXT = (
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# This file is a cache directory tag created by aiscan.\n"
    "# For information about cache directory tags see https://bford.info/cachedir/\n"
)
_IGNORE_TEXT = "# Created by aiscan: the result cache is not to be committed.\n*\n"
#: Entries kept at least; beyond max(this, 10 per scanned file) the least recently used go.
_MIN_KEPT = 20_000


def default_location(root: Path) -> Path:
    """The cache folder of a scan rooted at ``root``."""
    return root / CACHE_DIR_NAME


def _digest(value: object) -> str:
    return hashlib.blake2b(
        json.dumps(value, sort_keys=True, separators=(",", ":"), default=repr).encode(),
        digest_size=20,
    ).hexdigest()


# --- FileResult as JSON ------------------------------------------------------------------------


class _Malformed(ValueError):
    """Stored data that does not have the shape of a result."""


def _str(value: object) -> str:
    if not isinstance(value, str):
        raise _Malformed(f"expected a string, got {type(value).__name__}")
    return value


def _int(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise _Malformed(f"expected an integer, got {type(value).__name__}")
    return value


def _bool(value: object) -> bool:
    if not isinstance(value, bool):
        raise _Malformed(f"expected true or false, got {type(value).__name__}")
    return value


def _list(value: object) -> list[Any]:
    if not isinstance(value, list):
        raise _Malformed(f"expected a list, got {type(value).__name__}")
    return value


def _dict(value: object) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _Malformed(f"expected an object, got {type(value).__name__}")
    return value


def _location_data(where: Location) -> list[object]:
    return [where.path, where.line, where.column, where.end_line, where.end_column]


def _location(data: object) -> Location:
    path, line, column, end_line, end_column = _list(data)
    return Location(_str(path), _int(line), _int(column), _int(end_line), _int(end_column))


def _finding_data(finding: Finding) -> dict[str, object]:
    sup = finding.suppression
    return {
        "rule_id": finding.rule_id,
        "rule_name": finding.rule_name,
        "category": finding.category,
        "cwe": list(finding.cwe),
        "severity": finding.severity,
        "confidence": finding.confidence,
        "message": finding.message,
        "location": _location_data(finding.location),
        "flow": [[_location_data(s.location), s.message] for s in finding.flow],
        "suppression": None
        if sup is None
        else {"rule_ids": list(sup.rule_ids), "reason": sup.reason, "line": sup.line},
    }


def _finding(data: object) -> Finding:
    d = _dict(data)
    severity = _str(d["severity"])
    confidence = _str(d["confidence"])
    if severity not in SEVERITY_ORDER or confidence not in CONFIDENCE_ORDER:
        raise _Malformed(f"unknown severity or confidence {severity!r}, {confidence!r}")
    flow = []
    for step in _list(d["flow"]):
        where, message = _list(step)
        flow.append(FlowStep(_location(where), _str(message)))
    sup_data = d["suppression"]
    suppression = None
    if sup_data is not None:
        s = _dict(sup_data)
        suppression = Suppression(
            tuple(_str(r) for r in _list(s["rule_ids"])), _str(s["reason"]), _int(s["line"])
        )
    return Finding(
        rule_id=_str(d["rule_id"]),
        rule_name=_str(d["rule_name"]),
        category=_str(d["category"]),
        cwe=tuple(_int(c) for c in _list(d["cwe"])),
        severity=severity,  # type: ignore[arg-type]
        confidence=confidence,  # type: ignore[arg-type]
        message=_str(d["message"]),
        location=_location(d["location"]),
        flow=tuple(flow),
        suppression=suppression,
    )


def _error_data(error: ScanError) -> list[object]:
    return [error.kind, error.path, error.message, error.line, error.column, error.fatal]


def _error(data: object) -> ScanError:
    kind, path, message, line, column, fatal = _list(data)
    return ScanError(
        _str(kind),  # type: ignore[arg-type]
        _str(path),
        _str(message),
        _int(line),
        _int(column),
        _bool(fatal),
    )


def result_to_data(result: FileResult) -> dict[str, object]:
    """``result`` as JSON-ready data (result_from_data reads it back)."""
    return {
        "findings": [_finding_data(f) for f in result.findings],
        "suppressed": [_finding_data(f) for f in result.suppressed],
        "errors": [_error_data(e) for e in result.errors],
        "analysed": result.analysed,
        "imports": list(result.imports),
        "observed": list(result.observed),
    }


def result_from_data(data: object) -> FileResult:
    """The FileResult that result_to_data gave ``data`` for; ValueError when ``data`` is not
    one (a damaged or foreign entry)."""
    try:
        d = _dict(data)
        return FileResult(
            findings=tuple(_finding(f) for f in _list(d["findings"])),
            suppressed=tuple(_finding(f) for f in _list(d["suppressed"])),
            errors=tuple(_error(e) for e in _list(d["errors"])),
            analysed=_bool(d["analysed"]),
            imports=tuple(_str(i) for i in _list(d["imports"])),
            observed=tuple(_str(o) for o in _list(d["observed"])),
        )
    except (KeyError, TypeError) as exc:
        raise _Malformed(f"not a stored result: {exc!r}") from exc


# --- the folder ----------------------------------------------------------------------------------


def _pack(value: object) -> bytes:
    return zlib.compress(json.dumps(value, separators=(",", ":")).encode(), 1)


def _unpack(data: bytes) -> Any:
    """JSON from _pack; ValueError when the bytes are damaged (zlib checks their sum)."""
    try:
        return json.loads(zlib.decompress(data))
    except (zlib.error, UnicodeDecodeError, RecursionError) as exc:
        raise ValueError(str(exc)) from exc


def _write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that no reader ever sees part of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


@dataclass(frozen=True)
class CacheInfo:
    """What ``aiscan cache info`` shows."""

    location: str
    exists: bool
    entries: int = 0
    size: int = 0
    aiscan: str | None = None
    format: int | None = None


class Store:
    """The cache folder: results and the import facts of file texts, with a note for the report
    whenever something in it could not be used."""

    def __init__(self, location: Path) -> None:
        self.location = location
        self.notes: list[str] = []
        self.usable = True
        self.corrupt = 0
        self._write_failed = False
        self._open()

    # -- the folder itself --

    def _open(self) -> None:
        loc = self.location
        if loc.exists() and not loc.is_dir():
            self._give_up(f"{loc} is not a folder")
            return
        meta_path = loc / _META
        if meta_path.is_file():
            try:
                meta = json.loads(meta_path.read_text(encoding="utf-8"))
                fmt, version = meta["format"], meta["aiscan"]
            except (OSError, ValueError, KeyError, TypeError):
                self.notes.append("the cache's description was unreadable; it was rebuilt")
                self._reset()
            else:
                if fmt != FORMAT or version != __version__:
                    self.notes.append(
                        f"the cache was written by aiscan {version} (format {fmt}); "
                        "it was rebuilt for this version"
                    )
                    self._reset()
        elif loc.is_dir() and (loc / _RESULTS).exists():
            self.notes.append("the cache had no description; it was rebuilt")
            self._reset()
        try:
            self._create()
        except OSError as exc:
            self._give_up(f"cannot create it: {exc.strerror or exc}")

    def _create(self) -> None:
        loc = self.location
        loc.mkdir(parents=True, exist_ok=True)
        for name, text in ((_IGNORE, _IGNORE_TEXT), (_TAG, _TAG_TEXT)):
            if not (loc / name).is_file():
                _write_atomic(loc / name, text.encode())
        meta = {"format": FORMAT, "aiscan": __version__}
        if not (loc / _META).is_file():
            _write_atomic(loc / _META, json.dumps(meta).encode())

    def _reset(self) -> None:
        """Remove what aiscan keeps in the folder (and nothing else)."""
        _remove_ours(self.location)

    def _give_up(self, why: str) -> None:
        self.usable = False
        self.notes.append(f"the cache cannot be used ({why}); the scan ran without it")

    # -- results --

    def _entry_path(self, key: str) -> Path:
        return self.location / _RESULTS / key[:2] / key

    def get(self, key: str) -> tuple[FileResult, dict[str, str]] | None:
        """The result stored under ``key`` and the checks it was stored with; None when there
        is none or it is damaged."""
        if not self.usable:
            return None
        path = self._entry_path(key)
        data = _read_own(path)
        if data is None:
            return None
        try:
            entry = _dict(_unpack(data))
            if entry.get("key") != key:
                raise _Malformed("stored under another key")
            result = result_from_data(entry["result"])
            checks = {_str(k): _str(v) for k, v in _dict(entry["checks"]).items()}
        except (ValueError, KeyError) as exc:
            log.debug("cache entry %s is damaged: %s", path, exc)
            self.corrupt += 1
            return None
        with contextlib.suppress(OSError):
            if time.time() - path.stat().st_mtime > 3600:
                # The least recently used entries go first when the cache is pruned.
                os.utime(path)
        return result, checks

    def put(self, key: str, path: str, result: FileResult, checks: Mapping[str, str]) -> None:
        if not self.usable or self._write_failed:
            return
        entry = {"key": key, "path": path, "result": result_to_data(result), "checks": checks}
        try:
            _write_atomic(self._entry_path(key), _pack(entry))
        except OSError as exc:
            self._write_failed = True
            log.warning("cannot write to the cache at %s: %s", self.location, exc.strerror or exc)

    def prune(self, keep: int) -> None:
        """Remove the least recently used entries beyond ``keep``, and temporary files left
        behind by a scan that was killed."""
        folder = self.location / _RESULTS
        entries: list[tuple[float, str]] = []
        now = time.time()
        for sub in _listdir(folder):
            for name in _listdir(folder / sub):
                path = folder / sub / name
                try:
                    mtime = path.stat().st_mtime
                except OSError:
                    continue
                if name.startswith(".tmp-"):
                    if now - mtime > 3600:
                        _unlink(path)
                    continue
                entries.append((mtime, str(path)))
        if len(entries) <= keep:
            return
        entries.sort()
        for _, path_text in entries[: len(entries) - keep]:
            _unlink(Path(path_text))

    # -- facts of file texts (their import statements), by content hash --

    def load_facts(self) -> dict[str, list[Any]]:
        if not self.usable:
            return {}
        raw = _read_own(self.location / _FACTS)
        if raw is None:
            return {}
        try:
            data = _dict(_unpack(raw))
            if data.get("python") != sys.version or data.get("format") != FORMAT:
                return {}
            facts = _dict(data["facts"])
            if all(_is_facts(v) for v in facts.values()):
                return facts
        except (ValueError, KeyError):
            pass
        self.corrupt += 1
        return {}

    def save_facts(self, facts: Mapping[str, list[Any]]) -> None:
        if not self.usable or self._write_failed:
            return
        data = {"format": FORMAT, "python": sys.version, "facts": dict(facts)}
        try:
            _write_atomic(self.location / _FACTS, _pack(data))
        except OSError as exc:
            self._write_failed = True
            log.warning("cannot write to the cache at %s: %s", self.location, exc.strerror or exc)

    def note_corrupt(self) -> None:
        if self.corrupt:
            what = "entry" if self.corrupt == 1 else "entries"
            self.notes.append(
                f"{self.corrupt} cache {what} could not be read (damaged or truncated); "
                "the files were analysed again"
            )
            self.corrupt = 0


def _read_own(path: Path) -> bytes | None:
    """The bytes of ``path``; None when it is missing, unreadable, or written by another user
    (whoever can write to the folder must not be able to hide findings from this one)."""
    try:
        with path.open("rb") as fh:
            owner = os.fstat(fh.fileno()).st_uid
            if hasattr(os, "getuid") and owner != os.getuid():
                return None
            return fh.read()
    except OSError:
        return None


def _is_facts(value: object) -> bool:
    """The shape file_facts gives."""
    if not isinstance(value, list):
        return False
    for stmt in value:
        if not isinstance(stmt, list) or not stmt:
            return False
        if stmt[0] == "i":
            ok = len(stmt) == 3 and isinstance(stmt[1], str) and isinstance(stmt[2], bool)
        elif stmt[0] == "b":
            ok = len(stmt) == 2 and isinstance(stmt[1], list)
            ok = ok and all(isinstance(n, str) for n in stmt[1])
        else:
            ok = (
                stmt[0] == "f"
                and len(stmt) == 4
                and isinstance(stmt[1], int)
                and isinstance(stmt[2], str)
                and isinstance(stmt[3], list)
                and all(isinstance(n, str) for n in stmt[3])
            )
        if not ok:
            return False
    return True


def _listdir(folder: Path) -> list[str]:
    try:
        return os.listdir(folder)
    except OSError:
        return []


def _unlink(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink()


def _remove_ours(location: Path) -> int:
    """Remove the entries aiscan keeps in ``location`` (nothing else in it); how many."""

    removed = 0
    for sub in _listdir(location / _RESULTS):
        removed += len(_listdir(location / _RESULTS / sub))
    shutil.rmtree(location / _RESULTS, ignore_errors=True)
    for name in (_FACTS, _META):
        _unlink(location / name)
    return removed


def cache_info(location: Path) -> CacheInfo:
    """How many entries the cache at ``location`` holds, their size and the writing version."""
    if not location.is_dir():
        return CacheInfo(str(location), exists=False)
    entries = size = 0
    for dirpath, _, filenames in os.walk(location):
        for name in filenames:
            try:
                size += os.stat(os.path.join(dirpath, name)).st_size
            except OSError:
                continue
            if Path(dirpath).parent == location / _RESULTS and not name.startswith(".tmp-"):
                entries += 1
    version: str | None = None
    fmt: int | None = None
    try:
        meta = json.loads((location / _META).read_text(encoding="utf-8"))
        version, fmt = str(meta["aiscan"]), int(meta["format"])
    except (OSError, ValueError, KeyError, TypeError):
        pass
    return CacheInfo(str(location), True, entries, size, version, fmt)


def clear_cache(location: Path) -> int:
    """Empty the cache at ``location``: remove what aiscan put there, then the folder itself
    when nothing else is left in it. Returns the number of results removed."""
    if not location.is_dir():
        return 0
    removed = _remove_ours(location)
    for name in (_TAG, _IGNORE):
        _unlink(location / name)
    with contextlib.suppress(OSError):
        location.rmdir()
    return removed


# --- what a file's text imports ------------------------------------------------------------------


def file_facts(data: bytes) -> list[Any]:
    """The import statements of a file's bytes, as ``["i", "a.b", aliased]`` (``import a.b``,
    ``import a.b as x``) and ``["f", level, "a.b", [names]]`` (``from ..a.b import n``),
    wherever they are in the file, then ``["b", [names]]``: the names the module may bind at
    its top level, as astroid's Module.locals has them (more, never fewer; ``"*"`` among them
    after a star import). Empty for a file that does not parse (nothing imports through it)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(data)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    out: list[Any] = []
    bound: set[str] = set()
    # Only statements are walked: expressions bind names at the top level only through :=.
    try:
        _statements(tree.body, out, bound, top=True, walrus=b":=" in data)
    except RecursionError:
        bound.add("*")
    out.append(["b", sorted(bound)])
    return out


_BODIES = ("body", "orelse", "finalbody", "handlers", "cases")


def _statements(
    body: list[ast.stmt], out: list[Any], bound: set[str], *, top: bool, walrus: bool
) -> None:
    for stmt in body:
        if isinstance(stmt, ast.Import):
            out.extend(["i", a.name, a.asname is not None] for a in stmt.names)
            if top:
                bound.update(a.asname or a.name.split(".", 1)[0] for a in stmt.names)
            continue
        if isinstance(stmt, ast.ImportFrom):
            out.append(["f", stmt.level or 0, stmt.module or "", [a.name for a in stmt.names]])
            if top:
                bound.update(a.asname or a.name for a in stmt.names)
            continue
        if isinstance(stmt, ast.Global):
            bound.update(stmt.names)
            continue
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            if top:
                bound.add(stmt.name)
                if walrus:
                    _stores([*stmt.decorator_list, *_signature_parts(stmt)], bound)
            _statements(stmt.body, out, bound, top=False, walrus=walrus)
            continue
        if top:
            _stores(_targets(stmt, walrus), bound)
        for name in ("body", "orelse", "finalbody"):
            inner = getattr(stmt, name, None)
            if isinstance(inner, list):
                _statements(inner, out, bound, top=top, walrus=walrus)
        for handler in getattr(stmt, "handlers", ()):
            if top and handler.name:
                bound.add(handler.name)
            _statements(handler.body, out, bound, top=top, walrus=walrus)
        for case in getattr(stmt, "cases", ()):
            if top:
                _stores([case.pattern], bound)
            _statements(case.body, out, bound, top=top, walrus=walrus)


def _targets(stmt: ast.stmt, walrus: bool) -> list[ast.AST]:
    """The parts of a top-level statement that can bind a name (all of it but the statements
    it holds, with :=)."""
    if walrus:
        parts: list[ast.AST] = []
        for name, value in ast.iter_fields(stmt):
            if name in _BODIES:
                continue
            if isinstance(value, ast.AST):
                parts.append(value)
            elif isinstance(value, list):
                parts.extend(v for v in value if isinstance(v, ast.AST))
        return parts
    if isinstance(stmt, ast.Assign):
        return list(stmt.targets)
    if isinstance(stmt, (ast.AugAssign, ast.AnnAssign, ast.For, ast.AsyncFor)):
        return [stmt.target]
    if isinstance(stmt, (ast.With, ast.AsyncWith)):
        return [item.optional_vars for item in stmt.items if item.optional_vars is not None]
    if isinstance(stmt, ast.Delete):
        return list(stmt.targets)
    alias = getattr(stmt, "name", None)  # Python 3.12's type X = ...
    return [alias] if isinstance(alias, ast.Name) else []


def _signature_parts(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> list[ast.AST]:
    if isinstance(node, ast.ClassDef):
        return [*node.bases, *node.keywords]
    parts: list[ast.AST] = [node.args]
    if node.returns is not None:
        parts.append(node.returns)
    return parts


def _stores(nodes: list[ast.AST], bound: set[str]) -> None:
    """The names ``nodes`` bind: targets, patterns, and := anywhere in them."""
    for node in nodes:
        for sub in ast.walk(node):
            if isinstance(sub, ast.Name) and not isinstance(sub.ctx, ast.Load):
                bound.add(sub.id)
            elif isinstance(sub, ast.pattern):
                for attr in ("name", "rest"):
                    value = getattr(sub, attr, None)
                    if isinstance(value, str):
                        bound.add(value)


def _absolute_imports(facts: list[Any]) -> list[str]:
    out: list[str] = []
    for stmt in facts:
        if stmt[0] == "i":
            out.append(stmt[1])
        elif stmt[0] == "f" and not stmt[1] and stmt[2]:
            out.append(stmt[2])
    return out


def _bound(facts: list[Any]) -> frozenset[str] | None:
    """The names a module binds at its top level; None when any name may be (a star import,
    or facts without them)."""
    for stmt in facts:
        if stmt[0] == "b":
            names = frozenset(stmt[1])
            return None if "*" in names else names
    return None


# --- the project: texts, import graph, keys ------------------------------------------------------


#: Marks a file in the import graph whose text counts, but not its imports.
_TEXT_ONLY = "\0"


@dataclass(frozen=True)
class _Found:
    """Where an import leads: the packages on the way, and the module (None for a namespace)."""

    packages: list[str]
    module: str | None


def _here(folder: str, listing: frozenset[str] | None) -> _Found | None:
    """The package ``from . import x`` reads: the folder's own __init__.py."""
    if listing is None or "__init__.py" not in listing:
        return None
    return _Found([], os.path.join(folder, "__init__.py"))


class _Project:
    """The scanned files and every project file they reach, each read once. Paths are
    strings here: the import graph of a large project is walked many times."""

    def __init__(
        self,
        files: Sequence[Path],
        root: Path,
        roots: Sequence[str],
        facts: dict[str, list[Any]],
        cache: Path | None = None,
    ) -> None:
        self.files = [str(f) for f in files]
        self.root = root
        self.cache = cache
        self.facts = facts
        self.new_facts = 0
        self._roots = [str(r) for r in roots]
        self._scanned = set(self.files)
        self._hashes: dict[str, str] = {}
        self._edges: dict[str, list[str]] = {}
        self._listings: dict[str, frozenset[str] | None] = {}
        self._modules: dict[str, list[_Found]] = {}
        self._names: dict[str, tuple[str, Path]] = {}
        self._node_ids: dict[str, str] = {}
        self._closure: dict[str, str] = {}
        self._reverse: dict[str, list[str]] | None = None
        self._checks: dict[tuple[str, str], str] = {}

    def used_facts(self) -> dict[str, list[Any]]:
        """The facts of the texts read, and those of others (another version of a file,
        another project sharing the folder) while they are not the bulk of the file."""
        used = set(self._hashes.values())
        out = {h: f for h, f in self.facts.items() if h not in used}
        if len(out) > max(5000, 3 * len(used)):
            out = {}
        out.update((h, self.facts[h]) for h in used if h in self.facts)
        return out

    # -- texts --

    def content_hash(self, path: str) -> str:
        known = self._hashes.get(path)
        if known is None:
            try:
                with open(path, "rb") as fh:
                    data = fh.read()
            except OSError as exc:
                known = f"unreadable:{exc.errno}"
                self._hashes[path] = known
                return known
            known = hashlib.blake2b(data, digest_size=20).hexdigest()
            self._hashes[path] = known
            if known not in self.facts:
                self.facts[known] = file_facts(data)
                self.new_facts += 1
        return known

    def imports(self, path: str) -> list[Any]:
        return self.facts.get(self.content_hash(path), [])

    # -- the import graph --

    def _listing(self, folder: str) -> frozenset[str] | None:
        """The names in ``folder``; None when it is not a folder."""
        if folder in self._listings:
            return self._listings[folder]
        try:
            known: frozenset[str] | None = frozenset(os.listdir(folder))
        except OSError:
            known = None
        self._listings[folder] = known
        return known

    def _walk(self, base: str, parts: Sequence[str]) -> _Found | None:
        """The files importing ``parts`` (a dotted name) below ``base`` runs: each regular
        package's __init__.py on the way, and the module itself (None for a namespace
        package); None when it is not there. As Python's path finder: a package before a
        module of the same name, a module before a namespace."""
        current = base
        inits: list[str] = []
        last = len(parts) - 1
        for i, part in enumerate(parts):
            names = self._listing(current)
            if names is None:
                return None
            package = os.path.join(current, part)
            inside = self._listing(package) if part in names else None
            if inside is not None and "__init__.py" in inside:
                inits.append(os.path.join(package, "__init__.py"))
                current = package
                continue
            if i == last and f"{part}.py" in names:
                return _Found(inits, os.path.join(current, f"{part}.py"))
            if inside is None:
                return None
            current = package  # a namespace package
            if i == last:
                return _Found(inits, None)
        if not inits:
            return None
        return _Found(inits[:-1], inits[-1])

    def modules(self, dotted: str) -> list[_Found]:
        """For each import root where ``dotted`` is a project module or package, the files
        importing it runs (every root's: the first one shadows the rest, either may be it)."""
        known = self._modules.get(dotted)
        if known is None:
            known = []
            parts = dotted.split(".")
            if all(p.isidentifier() for p in parts):
                first = {parts[0], f"{parts[0]}.py"}
                for base in self._roots:
                    names = self._listing(base)
                    if names is None or names.isdisjoint(first):
                        continue
                    found = self._walk(base, parts)
                    if found:
                        known.append(found)
            self._modules[dotted] = known
        return known

    def edges(self, path: str) -> list[str]:
        """The project files ``path``'s import statements can make the analysis read: the
        modules imported, whose own imports count in turn, and (written ``\0`` + path) the
        packages above them, whose text astroid reads on the way to them but whose imports it
        follows only when the package itself is used (``import a.b`` binds ``a``)."""
        known = self._edges.get(path)
        if known is not None:
            return known
        if path.startswith(_TEXT_ONLY):
            return []
        out: set[str] = set()

        def add(found: _Found | None, *, whole: bool = False, names: Sequence[str] = ()) -> None:
            """``whole``: the import binds the top package (``import a.b``). ``names``: what a
            ``from`` import takes from it; a package's __init__.py that binds none of them
            is read for that, and the submodules of those names are imported instead."""
            if found is None:
                return
            for init in found.packages:
                out.add(init if whole else _TEXT_ONLY + init)
            module = found.module
            if module is None:
                return
            if names and os.path.basename(module) == "__init__.py" and "*" not in names:
                bound = _bound(self.imports(module))
                if bound is not None and bound.isdisjoint(names):
                    out.add(_TEXT_ONLY + module)
                    return
            out.add(module)

        for stmt in self.imports(path):
            if stmt[0] == "i":
                _, dotted, aliased = stmt
                for found in self.modules(dotted):
                    add(found, whole=not aliased)
                continue
            if stmt[0] != "f":
                continue
            _, level, module, names = stmt
            absolute = module
            if level:
                # astroid turns the import into an absolute name from the module's own name
                # and looks that up on the path, then tries the name as it is written; Python
                # looks beside the file. All three.
                package = self._package_of(path, level)
                absolute = (
                    ".".join(p for p in (package, module) if p) if package is not None else ""
                )
                for found in self.modules(module) if module else []:
                    add(found, names=names)
                folder = os.path.dirname(path)
                for _ in range(level - 1):
                    folder = os.path.dirname(folder)
                parts = module.split(".") if module else []
                add(
                    self._walk(folder, parts) if parts else _here(folder, self._listing(folder)),
                    names=names,
                )
                for name in names:
                    if name != "*":
                        add(self._walk(folder, [*parts, name]))
            if absolute:
                for found in self.modules(absolute):
                    add(found, names=names)
                for name in names:
                    if name != "*":
                        for found in self.modules(f"{absolute}.{name}"):
                            add(found)
        out.discard(path)
        result = sorted(out)
        self._edges[path] = result
        return result

    def module_name(self, path: str) -> tuple[str, Path]:
        known = self._names.get(path)
        if known is None:
            from aiscan.engine.project import module_name

            known = module_name(Path(path))
            self._names[path] = known
        return known

    def _package_of(self, path: str, level: int) -> str | None:
        """The package a relative import of ``level`` starts from, by module name."""
        modname, _ = self.module_name(path)
        parts = modname.split(".")
        if os.path.basename(path) != "__init__.py":
            parts = parts[:-1]
        if level - 1 > len(parts):
            return None
        return ".".join(parts[: len(parts) - (level - 1)])

    def node_id(self, path: str) -> str:
        """The file's identity in keys: its path, text, module name and whether it is
        scanned (the taint engine treats a module it reaches as the project's only then)."""
        known = self._node_ids.get(path)
        if known is None and path.startswith(_TEXT_ONLY):
            known = _digest(["text", path, self.content_hash(path[1:])])
            self._node_ids[path] = known
        if known is None:
            modname, base = self.module_name(path)
            known = _digest(
                [path, self.content_hash(path), modname, str(base), path in self._scanned]
            )
            self._node_ids[path] = known
        return known

    def closure_digests(self) -> dict[str, str]:
        """For every file reachable from the scanned ones, a digest of the files it reaches
        (itself included): a Merkle digest over the strongly connected components of the
        import graph (Tarjan's algorithm), one pass however large the closures are."""
        if self._closure:
            return self._closure
        index: dict[str, int] = {}
        low: dict[str, int] = {}
        stack: list[str] = []
        on_stack: set[str] = set()
        component: dict[str, int] = {}
        digests: list[str] = []
        for start in self.files:
            if start in index:
                continue
            index[start] = low[start] = len(index)
            stack.append(start)
            on_stack.add(start)
            work: list[tuple[str, Iterator[str]]] = [(start, iter(self.edges(start)))]
            while work:
                node, successors = work[-1]
                pushed = False
                for succ in successors:
                    if succ not in index:
                        index[succ] = low[succ] = len(index)
                        stack.append(succ)
                        on_stack.add(succ)
                        work.append((succ, iter(self.edges(succ))))
                        pushed = True
                        break
                    if succ in on_stack:
                        low[node] = min(low[node], index[succ])
                if pushed:
                    continue
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] != index[node]:
                    continue
                members: list[str] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    members.append(member)
                    if member == node:
                        break
                number = len(digests)
                for member in members:
                    component[member] = number
                below = {
                    digests[component[succ]]
                    for member in members
                    for succ in self.edges(member)
                    if component[succ] != number
                }
                digests.append(_digest([sorted(self.node_id(m) for m in members), sorted(below)]))
        self._closure = {path: digests[number] for path, number in component.items()}
        return self._closure

    def key(self, base: str, path: Path) -> str:
        name = str(path)
        return _digest([base, self.node_id(name), self.closure_digests()[name]])

    # -- what matchers noted (engine.observe) --

    def _ancestors(self, path: str) -> list[str]:
        if self._reverse is None:
            reverse: dict[str, list[str]] = {}
            for node in self.closure_digests():
                for succ in self.edges(node):
                    reverse.setdefault(succ, []).append(node)
            self._reverse = reverse
        seen = {path}
        todo = [path]
        while todo:
            for prev in self._reverse.get(todo.pop(), ()):
                if prev not in seen:
                    seen.add(prev)
                    todo.append(prev)
        seen.discard(path)
        return sorted(seen)

    def check(self, kind: str, path: Path) -> str:
        """A digest of what ``kind`` (an engine.observe kind) reads for ``path``."""
        name = str(path) if kind == observe.IMPORTERS else ""
        known = self._checks.get((kind, name))
        if known is not None:
            return known
        if kind == observe.PROJECT_TEXTS:
            value = _digest([[p, self.content_hash(p)] for p in self.files])
        elif kind == observe.IMPORT_ORDER:
            value = _digest([[p, _absolute_imports(self.imports(p))] for p in self.files])
        elif kind == observe.IMPORTERS:
            value = _digest([self.node_id(p) for p in self._ancestors(name)])
        elif kind == observe.MANIFESTS:
            value = _layout_digest(self.root, self.files, self.cache)
        else:
            # A kind this version does not know: never equal, so never reused.
            value = f"unknown:{kind}:{time.time()}"
        self._checks[(kind, name)] = value
        return value


# --- the project's layout, as undeclared-dependency reads it ------------------------------------


class _Names:
    """dependency._top_level_names and _holds_python, the same answers (without their scan
    limit), each folder listed once."""

    def __init__(self, skip: frozenset[str]) -> None:
        self.skip = skip
        self._holds: dict[str, bool] = {}
        self._names: dict[str, list[str]] = {}

    def importable(self, base: str) -> list[str]:
        """What is importable from ``base``: ``*.py`` files and folders holding Python."""
        known = self._names.get(base)
        if known is not None:
            return known
        names: set[str] = set()
        try:
            entries = list(os.scandir(base))
        except OSError:
            entries = []
        for entry in entries:
            name = entry.name
            if name.startswith(".") or name in self.skip:
                continue
            if entry.is_file():
                stem, _, suffix = name.partition(".")
                if suffix in ("py", "pyi", "pyx") or suffix.endswith(("so", "pyd")):
                    if stem.isidentifier():
                        names.add(stem)
            elif entry.is_dir() and name.isidentifier() and self.holds_python(entry.path):
                names.add(name)
        known = sorted(names)
        self._names[base] = known
        return known

    def holds_python(self, folder: str) -> bool:
        """A Python file in ``folder`` or below (not below symlinked folders, as os.walk)."""
        known = self._holds.get(folder)
        if known is not None:
            return known
        self._holds[folder] = False
        found = False
        subfolders: list[str] = []
        try:
            with os.scandir(folder) as listing:
                for entry in listing:
                    try:
                        is_dir = entry.is_dir()
                    except OSError:
                        continue
                    if not is_dir:
                        if entry.name.endswith((".py", ".pyi", ".pyx")):
                            found = True
                            break
                    elif (
                        not entry.name.startswith(".")
                        and entry.name not in self.skip
                        and not entry.is_symlink()
                    ):
                        subfolders.append(entry.path)
        except OSError:
            pass
        if not found:
            found = any(self.holds_python(sub) for sub in subfolders)
        self._holds[folder] = found
        return found


def _layout_digest(root: Path, files: Sequence[str], cache: Path | None) -> str:
    """What undeclared-dependency reads besides the file itself, as of now. For the folder of
    each scanned file: whether it is a package, and if not, what is importable from it. For the
    folders from there up to its project roots (the nearest with a manifest, the nearest with a
    package manifest): their manifests by content. Below each project root: the manifests of
    every folder and the files they include, and the importable names of the folders that are
    not packages, or are a manifest's own, src/, lib/ or package folders. A new module inside
    a package, a folder without Python, a file beside the project, change none of that."""
    from aiscan.engine.discovery import SKIP_DIRS
    from aiscan.engine.manifests import (
        PACKAGE_MANIFESTS,
        has_package_manifest,
        read_manifest,
        requirement_files,
    )

    skip = frozenset(SKIP_DIRS)
    python = _Names(skip)
    top = str(root)

    def content(path: Path) -> str | None:
        try:
            return hashlib.blake2b(path.read_bytes(), digest_size=20).hexdigest()
        except OSError:
            return None

    manifests: dict[str, list[Path]] = {}

    def manifests_of(folder: str) -> list[Path]:
        known = manifests.get(folder)
        if known is None:
            here = Path(folder)
            known = [here / n for n in PACKAGE_MANIFESTS if (here / n).is_file()]
            known += requirement_files(here)
            manifests[folder] = known
        return known

    out: list[object] = []
    found: set[str] = set()
    for parent in sorted({os.path.dirname(f) for f in files}):
        is_package = os.path.isfile(os.path.join(parent, "__init__.py"))
        out.append([parent, is_package, [] if is_package else python.importable(parent)])
        # As DependencyMatcher.project_for: up to the scan root.
        nearest = package = None
        up = parent
        while up == top or up.startswith(top + os.sep):
            if manifests_of(up):
                nearest = nearest or up
                if package is None and has_package_manifest(Path(up)):
                    package = up
            if (nearest and package) or up == top:
                break
            up = os.path.dirname(up)
        found.update(p for p in (nearest, package) if p)
    out.extend([f, [[m.name, content(m)] for m in ms]] for f, ms in sorted(manifests.items()))
    projects: list[str] = []
    for candidate in sorted(found):
        if not any(candidate.startswith(p + os.sep) for p in projects):
            projects.append(candidate)
    for project in projects:
        for dirpath, dirnames, filenames in os.walk(project):
            dirnames[:] = sorted(
                d
                for d in dirnames
                if d not in skip and d != CACHE_DIR_NAME and Path(dirpath, d) != cache
            )
            folder = Path(dirpath)
            is_package = "__init__.py" in filenames
            names = python.importable(dirpath)
            listed = manifests_of(dirpath)
            if listed:
                manifest = read_manifest(folder)
                out.append(
                    [
                        dirpath,
                        is_package,
                        names,
                        [[m.name, content(m)] for m in listed],
                        [[f, content(folder / f)] for f in sorted(manifest.files)],
                        [
                            [d, python.importable(str(folder / d))]
                            for d in sorted(manifest.package_dirs)
                        ],
                    ]
                )
            elif names and (not is_package or folder.name in ("src", "lib")):
                out.append([dirpath, is_package, names])
    return _digest(out)


# --- the global key ---------------------------------------------------------------------------


_SOURCE_STAMP: str | None = None


def _source_stamp() -> str:
    """aiscan's own code, by file time and size: a development checkout changes without a new
    version number."""
    global _SOURCE_STAMP
    if _SOURCE_STAMP is None:
        package = Path(__file__).resolve().parent.parent
        parts: list[object] = []
        for dirpath, dirnames, filenames in os.walk(package):
            dirnames.sort()
            for name in sorted(filenames):
                if name.endswith(".py"):
                    try:
                        info = os.stat(os.path.join(dirpath, name))
                    except OSError:
                        continue
                    parts.append([dirpath, name, info.st_size, info.st_mtime_ns])
        _SOURCE_STAMP = _digest(parts)
    return _SOURCE_STAMP


def rules_digest(ruleset: RuleSet) -> str:
    """The loaded rules' whole content (their models included), wherever the files are."""
    return _digest(
        [
            [
                r.id,
                r.name,
                r.category,
                list(r.cwe),
                r.severity,
                r.confidence,
                r.message,
                r.summary,
                [r.docs.why, r.docs.bad, r.docs.good, list(r.docs.references)],
                r.since,
                r.mode,
                list(r.tags),
                r.spec,
            ]
            for r in ruleset.rules
        ]
    )


def environment_digest(env: Environment | None) -> str:
    if env is None:
        return "running"
    return _digest(
        [
            env.python,
            env.origin,
            list(env.version),
            list(env.search_path),
            sorted(env.stdlib),
            sorted(env.distributions.items()),
            sorted((k, list(v)) for k, v in env.modules.items()),
            env.is_running,
        ]
    )


def _folders_stamp(entries: Iterable[str]) -> list[object]:
    """What changes when a distribution is installed into or removed from these import-path
    entries: each one's time, and the time and size of the metadata folders and .pth files
    in it."""
    out: list[object] = []
    for entry in entries:
        try:
            info = os.stat(entry)
        except OSError:
            out.append([entry, None])
            continue
        item: list[object] = [entry, info.st_mtime_ns]
        if stat.S_ISDIR(info.st_mode):
            try:
                with os.scandir(entry) as listing:
                    for child in listing:
                        if child.name.endswith((".dist-info", ".egg-info", ".egg-link", ".pth")):
                            try:
                                sub = child.stat()
                                item.append([child.name, sub.st_mtime_ns, sub.st_size])
                            except OSError:
                                item.append([child.name])
            except OSError:
                pass
        out.append(item)
    return out


def _own_path(root: Path) -> list[str]:
    """aiscan's own import path, whose packages it runs with: without the working folder
    (``python -m`` puts it first, and files come and go there) and the scanned project."""
    cwd = os.getcwd()
    top = str(root)
    out = []
    for entry in sys.path:
        full = os.path.abspath(entry) if entry else ""
        if full and full not in (cwd, top) and not full.startswith(top + os.sep):
            out.append(entry)
    return out


def global_key(
    ruleset: RuleSet,
    root: Path,
    roots: Sequence[str],
    per_path_ignores: Sequence[PerPathIgnore],
    environment: Environment | None,
) -> str:
    """What every file's result depends on."""
    return _digest(
        [
            FORMAT,
            __version__,
            _source_stamp(),
            sys.version,
            sys.executable,
            _folders_stamp(_own_path(root)),
            environment_digest(environment),
            rules_digest(ruleset),
            [[p.pattern, list(p.rules), p.base] for p in per_path_ignores],
            str(root),
            list(roots),
        ]
    )


# --- a scan through the cache ------------------------------------------------------------------


def scan_roots(files: Sequence[Path], root: Path) -> list[str]:
    """The import roots run_files puts first on the path (the same computation)."""
    from aiscan.engine.project import search_roots

    roots = search_roots(files)
    if str(root) not in roots:
        roots.append(str(root))
    return roots


def open_store(cache: bool | str | os.PathLike[str], configured: str, root: Path) -> Store | None:
    """The result cache of a scan rooted at ``root``: None for ``cache=False``; for True, the
    configuration's ``cache-dir`` (``configured``) or .aiscan_cache at the root; else the
    folder ``cache``."""
    if cache is False:
        return None
    if cache is True:
        location = Path(configured) if configured else default_location(root)
    else:
        location = Path(cache)
    return Store(location if location.is_absolute() else Path.cwd() / location)


def run_cached(
    store: Store | None,
    files: Sequence[Path],
    ruleset: RuleSet,
    root: Path,
    *,
    jobs: int = 0,
    per_path_ignores: Sequence[PerPathIgnore] = (),
    environment: Environment | None = None,
) -> tuple[RunOutput, CacheStats | None]:
    """run_files, reusing the stored result of every file whose inputs are unchanged and
    storing the others'. The output is the one run_files gives. Without a usable ``store``,
    run_files itself (and no statistics)."""
    if store is None or not store.usable:
        out = run_files(
            files,
            ruleset,
            root,
            jobs=jobs,
            per_path_ignores=per_path_ignores,
            environment=environment,
        )
        return out, None
    roots = scan_roots(files, root)
    base = global_key(ruleset, root, roots, per_path_ignores, environment)
    facts = store.load_facts()
    before = _Project(files, root, roots, facts, store.location)
    keys = {path: before.key(base, path) for path in files}
    hits: dict[Path, FileResult] = {}
    for path in files:
        found = store.get(keys[path])
        if found is None:
            continue
        result, checks = found
        if set(checks) != set(result.observed):
            continue
        if all(before.check(kind, path) == digest for kind, digest in checks.items()):
            hits[path] = result
    fresh: dict[Path, FileResult] = {}

    def keep(path: Path, result: FileResult) -> None:
        fresh[path] = result

    out = run_files(
        files,
        ruleset,
        root,
        jobs=jobs,
        per_path_ignores=per_path_ignores,
        environment=environment,
        cached=hits,
        on_result=keep,
    )
    if fresh:
        # Read everything again: a file edited while the scan ran must not be stored with the
        # result of another version of it.
        after = _Project(files, root, roots, facts, store.location)
        for path, result in fresh.items():
            if _transient(result):
                continue
            checks = {kind: after.check(kind, path) for kind in result.observed}
            if after.key(base, path) != keys[path] or any(
                before.check(kind, path) != digest for kind, digest in checks.items()
            ):
                log.info("not caching %s: a file it depends on changed during the scan", path)
                continue
            store.put(keys[path], _relative(path, root), result, checks)
        store.prune(max(_MIN_KEPT, 10 * len(files)))
    if before.new_facts:
        store.save_facts(before.used_facts())
    store.note_corrupt()
    stats = CacheStats(str(store.location), hits=len(hits), misses=len(files) - len(hits))
    log.info(
        "cache %s: %d of %d files reused, %d analysed",
        store.location,
        stats.hits,
        len(files),
        stats.misses,
    )
    return out, stats


def _transient(result: FileResult) -> bool:
    """A file left unanalysed because its worker process died (killed, out of memory): the
    next scan tries it again rather than reusing that."""
    return not result.analysed and any(e.kind == "analysis-error" for e in result.errors)


def _relative(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def cache_notes(store: Store | None, root: Path) -> list[ScanError]:
    """The store's notes as non-fatal errors for the report."""
    if store is None:
        return []
    where = _relative(store.location, root)
    return [ScanError("cache", where, note, fatal=False) for note in store.notes]
