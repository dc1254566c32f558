"""``[tool.aiscan]`` configuration from pyproject.toml (or a file given with --config)."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]

from aiscan.model import SEVERITY_ORDER

_KNOWN_KEYS = frozenset(
    {
        "include",
        "exclude",
        "select",
        "ignore",
        "fail-on",
        "rules",
        "builtin-rules",
        "per-path-ignores",
        "jobs",
        "allow-parse-errors",
        "python",
        "venv",
        "cache",
        "cache-dir",
    }
)


class ConfigError(Exception):
    """A configuration the user wrote cannot be used; the message names the file and key."""


@dataclass(frozen=True)
class Config:
    """Scan settings. Paths in ``rules`` are relative to the configuration file's folder."""

    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    fail_on: str = "note"
    rules: tuple[str, ...] = ()
    builtin_rules: bool = True
    per_path_ignores: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    jobs: int = 0
    allow_parse_errors: bool = False
    #: The target environment: an interpreter, or a virtual environment folder (relative paths
    #: are relative to the configuration file's folder).
    python: str = ""
    venv: str = ""
    #: The result cache of ``aiscan scan``: on or off, and its folder (default
    #: ``.aiscan_cache`` at the scan root; relative to the configuration file's folder).
    cache: bool = True
    cache_dir: str = ""
    source: str = ""

    def merged(self, **overrides: Any) -> Config:
        """A copy with the given non-None values replaced (command-line options win)."""
        clean = {k: v for k, v in overrides.items() if v is not None}
        return replace(self, **clean)


def _strings(path: str, key: str, value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise ConfigError(f"{path}: [tool.aiscan] {key} must be a string or a list of strings")


def parse_config(data: Mapping[str, Any], path: str) -> Config:
    """Validate a ``[tool.aiscan]`` table."""
    unknown = sorted(set(data) - _KNOWN_KEYS)
    if unknown:
        raise ConfigError(f"{path}: [tool.aiscan] unknown key {unknown[0]!r}")
    base = Path(path).parent
    kwargs: dict[str, Any] = {"source": path}
    for key in ("include", "exclude", "select", "ignore"):
        if key in data:
            kwargs[key] = _strings(path, key, data[key])
    if "rules" in data:
        kwargs["rules"] = tuple(str(base / p) for p in _strings(path, "rules", data["rules"]))
    if "fail-on" in data:
        if data["fail-on"] not in SEVERITY_ORDER:
            raise ConfigError(f"{path}: [tool.aiscan] fail-on must be error, warning or note")
        kwargs["fail_on"] = data["fail-on"]
    for key, attr in (
        ("builtin-rules", "builtin_rules"),
        ("allow-parse-errors", "allow_parse_errors"),
        ("cache", "cache"),
    ):
        if key in data:
            if not isinstance(data[key], bool):
                raise ConfigError(f"{path}: [tool.aiscan] {key} must be true or false")
            kwargs[attr] = data[key]
    if "jobs" in data:
        if not isinstance(data["jobs"], int) or isinstance(data["jobs"], bool) or data["jobs"] < 0:
            raise ConfigError(f"{path}: [tool.aiscan] jobs must be a whole number >= 0")
        kwargs["jobs"] = data["jobs"]
    for key, attr in (("python", "python"), ("venv", "venv"), ("cache-dir", "cache_dir")):
        if key in data:
            if not isinstance(data[key], str) or not data[key]:
                raise ConfigError(f"{path}: [tool.aiscan] {key} must be a path")
            base = Path(path).parent if path else Path.cwd()
            kwargs[attr] = str(base / data[key])
    if "python" in kwargs and "venv" in kwargs:
        raise ConfigError(f"{path}: [tool.aiscan] give python or venv, not both")
    if "per-path-ignores" in data:
        table = data["per-path-ignores"]
        if not isinstance(table, dict):
            raise ConfigError(f"{path}: [tool.aiscan] per-path-ignores must be a table")
        kwargs["per_path_ignores"] = {
            str(glob): _strings(path, f"per-path-ignores.{glob}", ids)
            for glob, ids in table.items()
        }
    return Config(**kwargs)


def load_config_file(path: Path) -> Config:
    """Read ``[tool.aiscan]`` from a pyproject.toml-style file (or a file whose top level is it)."""
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from exc
    table = data.get("tool", {}).get("aiscan")
    if table is None:
        table = {} if path.name == "pyproject.toml" else data
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.aiscan] must be a table")
    return parse_config(table, str(path))


def find_config(start: Path) -> Config:
    """The ``[tool.aiscan]`` of the nearest pyproject.toml at or above ``start``; defaults else."""
    folder = start if start.is_dir() else start.parent
    for candidate in (folder, *folder.parents):
        pyproject = candidate / "pyproject.toml"
        if pyproject.is_file():
            return load_config_file(pyproject)
        if (candidate / ".git").exists():
            break
    return Config()
