"""The library API: scan paths or source text with the built-in pack or your own rules."""

from __future__ import annotations

import os
import platform
import sys
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path

from aiscan._version import __version__
from aiscan.config import Config, find_config
from aiscan.loader import RuleSet, load_rules
from aiscan.model import ScanError, ScanResult

# The engine (astroid, networkx, pathspec ...) is imported by scan() itself, so that importing
# aiscan, `aiscan --version` and `aiscan rules` do not pay for it.


class UsageError(Exception):
    """The request cannot be carried out as given (unknown rule selector, missing path ...)."""


def _common_root(paths: Sequence[Path]) -> Path:
    cwd = Path.cwd()
    resolved = [p if p.is_absolute() else cwd / p for p in paths]
    if all(_is_under(p, cwd) for p in resolved):
        return cwd
    folders = [p if p.is_dir() else p.parent for p in resolved]
    return Path(os.path.commonpath([str(f) for f in folders]))


def _is_under(path: Path, base: Path) -> bool:
    try:
        path.resolve().relative_to(base.resolve())
    except ValueError:
        return False
    return True


def environment_facts() -> dict[str, str]:
    """What the scan ran on, for reports."""
    return {
        "python": platform.python_version(),
        "python_executable": sys.executable,
        "aiscan": __version__,
    }


def scan(
    paths: Iterable[str | os.PathLike[str]],
    *,
    rules: RuleSet | None = None,
    config: Config | None = None,
    jobs: int | None = None,
    root: str | os.PathLike[str] | None = None,
    python: str | os.PathLike[str] | None = None,
    venv: str | os.PathLike[str] | None = None,
    cache: bool | str | os.PathLike[str] = False,
) -> ScanResult:
    """Scan files and folders.

    ``rules`` defaults to the built-in pack plus the configuration's extra rule paths;
    ``config`` defaults to ``[tool.aiscan]`` of the nearest pyproject.toml. Third-party modules
    are looked up in the target environment: the interpreter ``python``, else the virtual
    environment ``venv``, else the configuration's, else a ``.venv``/``venv`` at the root, else
    the running interpreter. Findings are in a deterministic order whatever ``jobs`` is.

    ``cache`` reuses the results of unchanged files from a result cache: ``True`` for the
    configuration's ``cache-dir`` (default ``.aiscan_cache`` at the root), or the cache folder.
    Off by default; the result is the same either way.
    """
    from aiscan.engine.cache import cache_notes, open_store, run_cached
    from aiscan.engine.discovery import discover
    from aiscan.engine.environment import EnvironmentProblem
    from aiscan.engine.environment import resolve as resolve_environment
    from aiscan.engine.scanner import PerPathIgnore

    path_list = [Path(p) for p in paths]
    if not path_list:
        raise UsageError("no paths to scan")
    base = Path(root) if root is not None else _common_root(path_list)
    base = base.resolve() if base.exists() else base
    cfg = config if config is not None else find_config(base)
    ruleset = rules if rules is not None else load_rules(cfg.rules, builtin=cfg.builtin_rules)
    per_path = [key for keys in cfg.per_path_ignores.values() for key in keys]
    unknown = ruleset.unknown_selectors([*cfg.select, *cfg.ignore, *per_path])
    if unknown:
        raise UsageError(f"unknown rule or category in select/ignore: {', '.join(unknown)}")
    ruleset = ruleset.select(cfg.select, cfg.ignore)
    # Patterns in a configuration file are relative to that file's folder, as in .gitignore.
    cfg_dir = Path(os.path.abspath(cfg.source)).parent if cfg.source else None
    found = discover(
        path_list, root=base, exclude=cfg.exclude, include=cfg.include, pattern_root=cfg_dir
    )
    ppi = [
        PerPathIgnore(glob, ids, str(cfg_dir) if cfg_dir else "")
        for glob, ids in cfg.per_path_ignores.items()
    ]
    if python is None and venv is None:
        python, venv = (cfg.python or None), (cfg.venv or None)
    try:
        target = resolve_environment(base, python=python, venv=venv)
    except EnvironmentProblem as exc:
        raise UsageError(str(exc)) from exc
    store = open_store(cache, cfg.cache_dir, base)
    out, stats = run_cached(
        store,
        found.files,
        ruleset,
        base,
        jobs=jobs if jobs is not None else cfg.jobs,
        per_path_ignores=ppi,
        environment=target,
    )
    errors = [*out.errors, *cache_notes(store, base)]
    # A named path that cannot be scanned is reported and the rest of the scan goes on.
    errors.extend(ScanError("read-error", path, why) for path, why in found.errors)
    errors.extend(ScanError("skipped", path, why, fatal=False) for path, why in found.skipped)
    errors.sort(key=ScanError.sort_key)
    if cfg.allow_parse_errors:
        errors = [
            ScanError(e.kind, e.path, e.message, e.line, e.column, fatal=False)
            if e.kind == "syntax-error"
            else e
            for e in errors
        ]
    return ScanResult(
        findings=out.findings,
        suppressed=out.suppressed,
        errors=tuple(errors),
        rules=ruleset.rules,
        files_scanned=len(found.files),
        root=str(base),
        environment=environment_facts(),
        target=target.facts(out.imports),
        cache=stats,
    )


def scan_source(
    code: str,
    filename: str = "snippet.py",
    *,
    rules: RuleSet | None = None,
) -> ScanResult:
    """Scan one piece of source text as if it were the file ``filename``."""
    name = Path(filename)
    if name.is_absolute() or ".." in name.parts:
        raise UsageError("filename must be a relative path inside the snippet's project")
    with tempfile.TemporaryDirectory(prefix="aiscan-") as tmp:
        target = Path(tmp) / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(code, encoding="utf-8")
        return scan([target], rules=rules, config=Config(), jobs=1, root=tmp, cache=False)
