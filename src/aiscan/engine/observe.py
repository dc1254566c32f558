"""What a file's analysis read beyond the modules it imports, for the result cache."""

from __future__ import annotations

# A matcher whose answer for one file depends on other files in a way the file's import closure
# does not show (the texts of the whole project, the files that call into it, the manifests)
# says so here; the scanner attaches the notes to the file's result, and the cache checks those
# inputs before it reuses the result.

#: The texts of every scanned file (hallucinated-api's "is it assigned anywhere" questions).
PROJECT_TEXTS = "project-texts"
#: The scanned files that import this one (call sites in other modules).
IMPORTERS = "importers"
#: The manifests and the layout of the project (which names are its own).
MANIFESTS = "manifests"
#: The absolute imports of every scanned file (the first file to import a distribution).
IMPORT_ORDER = "import-order"

KINDS = frozenset({PROJECT_TEXTS, IMPORTERS, MANIFESTS, IMPORT_ORDER})

_SEEN: set[str] = set()


def note(kind: str) -> None:
    """The file being analysed depends on ``kind`` (one of KINDS)."""
    _SEEN.add(kind)


def take() -> tuple[str, ...]:
    """What was noted since the last call (sorted), and forget it."""
    out = tuple(sorted(_SEEN))
    _SEEN.clear()
    return out
