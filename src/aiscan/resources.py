"""Locate the data that ships with aiscan: the built-in rules, the schemas and the taxonomy."""

from __future__ import annotations

import functools
import json
from importlib import resources
from pathlib import Path
from typing import Any

_PACKAGE_DIR = Path(__file__).resolve().parent


def _data_dir(name: str) -> Path:
    """The folder ``name`` inside the installed package, or beside src/ in a source checkout."""
    packaged = Path(str(resources.files("aiscan"))) / name
    if packaged.is_dir():
        return packaged
    checkout = _PACKAGE_DIR.parent.parent / name
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError(f"aiscan is installed without its {name}/ folder ({packaged})")


def builtin_rules_dir() -> Path:
    return _data_dir("rules")


def schemas_dir() -> Path:
    return _data_dir("schemas")


@functools.cache
def load_schema(name: str) -> dict[str, Any]:
    with (schemas_dir() / name).open(encoding="utf-8") as fh:
        data: dict[str, Any] = json.load(fh)
    return data


@functools.cache
def taxonomy() -> dict[str, dict[str, Any]]:
    """The finding categories: id -> {cwe, where, means}."""
    import yaml  # not at the top: a rule pack served from the cache never needs PyYAML

    text = (_PACKAGE_DIR / "data" / "taxonomy.yaml").read_text(encoding="utf-8")
    loader = yaml.CSafeLoader if yaml.__with_libyaml__ else yaml.SafeLoader
    data = yaml.load(text, Loader=loader)
    categories: dict[str, dict[str, Any]] = data["categories"]
    return categories
