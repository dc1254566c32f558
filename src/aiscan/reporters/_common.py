"""Helpers the reporters share: reading the scanned files and writing JSON."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

log = logging.getLogger(__name__)

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def read_scanned_file(root: str, path: str) -> bytes | None:
    """The bytes of ``path`` (relative to the scan root), or None when it cannot be read."""
    try:
        return (Path(root) / path).read_bytes()
    except (OSError, ValueError) as exc:  # ValueError: a NUL in the path
        log.debug("cannot read %s for the report: %s", path, exc)
        return None


def dump_json(data: object) -> str:
    """``data`` as indented JSON (non-ASCII kept as is), ending with a newline.

    A file name that is not valid UTF-8 reaches us as a str with lone surrogates
    (``os.fsdecode``); those cannot be encoded to UTF-8, so they are written as ``\\u``
    escapes, which keeps the output both valid JSON and encodable.
    """
    text = json.dumps(data, indent=2, sort_keys=False, ensure_ascii=False)
    return _LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text) + "\n"
