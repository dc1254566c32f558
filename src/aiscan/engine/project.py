"""Turn files into astroid modules that resolve each other: module names, search roots, parsing."""

from __future__ import annotations

import ast
import collections
import logging
import os
import sys
import warnings
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import astroid
from astroid import nodes
from astroid.builder import AstroidBuilder
from astroid.manager import AstroidManager

from aiscan.engine.source import SourceText

log = logging.getLogger(__name__)

# Project modules kept parsed at once; older ones are dropped and re-parsed when needed again,
# so memory stays flat however large the scanned tree is.
_PROJECT_CACHE_LIMIT = 256


def module_name(path: Path) -> tuple[str, Path]:
    """The dotted module name of ``path`` and the folder it is importable from.

    Walks up while the folder is a regular package (has ``__init__.py``).
    """
    parts = [path.stem] if path.stem != "__init__" else []
    folder = path.parent
    while (folder / "__init__.py").is_file() and folder.parent != folder:
        parts.insert(0, folder.name)
        folder = folder.parent
    return ".".join(parts) or path.parent.name, folder


def search_roots(files: Iterable[Path]) -> list[str]:
    """The folders to put on the import path so that the scanned modules import each other."""
    roots: dict[str, None] = {}
    for path in files:
        _, root = module_name(path)
        roots[str(root)] = None
        src = root / "src"
        if src.is_dir():
            roots[str(src)] = None
    return list(roots)


@contextmanager
def import_path(roots: list[str]) -> Iterator[None]:
    """Put the scanned project's roots first on sys.path while analysing, then restore it."""
    from aiscan.engine.names import set_scan_roots

    saved = list(sys.path)
    set_scan_roots(roots)
    sys.path[:0] = [r for r in roots if r not in sys.path]
    try:
        yield
    finally:
        sys.path[:] = saved
        set_scan_roots([])


def _syntactic_assattr(self: AstroidBuilder, node: nodes.AssignAttr) -> None:
    """Record ``self.x = ...`` on the class without inference.

    astroid's own version infers the receiver of every attribute assignment while a module is
    built, which imports and builds base classes' modules, whose builds infer again: on a web
    framework that cascade is most of the scan's time. The receivers that matter for our
    analyses are ``self`` and ``cls`` in methods, which are known from the syntax.
    """
    expr = node.expr
    if not isinstance(expr, nodes.Name):
        return
    func = node.scope()
    if not isinstance(func, nodes.FunctionDef) or not isinstance(func.parent, nodes.ClassDef):
        return
    params = func.args.args or []
    if not params or params[0].name != expr.name:
        return
    klass = func.parent
    is_classmethod = func.type == "classmethod"
    table = klass.locals if is_classmethod else klass.instance_attrs
    values = table.setdefault(node.attrname, [])
    if node not in values:
        values.append(node)


def forget_project_modules(roots: Iterable[str]) -> None:
    """Drop the scanned project's modules from astroid's caches.

    An in-process scan must not see the modules of an earlier scan (a different temporary
    project may reuse the same module names), nor keep them alive afterwards.
    """
    manager = astroid.MANAGER
    prefixes = tuple(str(Path(r).resolve()) + "/" for r in roots)
    for name, module in list(manager.astroid_cache.items()):
        file = getattr(module, "file", None)
        if file and str(Path(file).resolve()).startswith(prefixes):
            del manager.astroid_cache[name]
    manager._mod_file_cache.clear()
    _clear_lookup_caches()


def _clear_lookup_caches() -> None:
    """astroid memoises where modules are found and what names look up to; after a scan those
    answers point into a project that may be gone (a temporary folder) or shadowed by the next
    one. The library modules already parsed stay cached: rebuilding them is the costly part.
    These are astroid internals (the ones its own clear_cache() resets), so each is optional."""
    from astroid import context, modutils
    from astroid.interpreter._import import spec, util
    from astroid.nodes._base_nodes import LookupMixIn

    caches: list[object] = [
        getattr(spec, "_find_spec", None),
        getattr(spec, "_is_setuptools_namespace", None),
        getattr(modutils, "_cache_normalize_path_", None),
        getattr(modutils, "_has_init", None),
        getattr(modutils, "cached_os_path_isfile", None),
        getattr(util, "is_namespace", None),
        getattr(LookupMixIn, "lookup", None),
    ]
    caches.extend(
        getattr(finder, "find_module", None) for finder in getattr(spec, "_SPEC_FINDERS", ())
    )
    for cache in caches:
        clear = getattr(cache, "cache_clear", None)
        if callable(clear):
            clear()
    invalidate = getattr(context, "_invalidate_cache", None)
    if callable(invalidate):
        invalidate()


_ORIGINAL_AST_FROM_FILE = AstroidManager.ast_from_file


def _project_ast_from_file(
    self: AstroidManager,
    filepath: str,
    modname: str | None = None,
    fallback: bool = True,
    source: bool = False,
) -> nodes.Module:
    """Modules of the scanned project, imported while analysing another one, are built like
    the files themselves: without astroid's brain transforms, which infer while building and
    cost more than the analysis. Library modules keep them."""
    from aiscan.engine.names import inside_scan

    if filepath.endswith(".py") and inside_scan(filepath):
        if modname is None:
            modname = module_name(Path(filepath))[0]
        cached = self.astroid_cache.get(modname)
        if cached is not None and cached.file == filepath:
            return cached
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return AstroidBuilder(self, apply_transforms=False).file_build(filepath, modname)
    return _ORIGINAL_AST_FROM_FILE(self, filepath, modname, fallback, source)


@contextmanager
def fast_astroid() -> Iterator[None]:
    """Build modules the fast way (see the two functions above) for the duration of a scan."""
    original = AstroidBuilder.delayed_assattr
    AstroidBuilder.delayed_assattr = _syntactic_assattr
    AstroidManager.ast_from_file = _project_ast_from_file
    try:
        yield
    finally:
        AstroidBuilder.delayed_assattr = original
        AstroidManager.ast_from_file = _ORIGINAL_AST_FROM_FILE


def install_fast_astroid() -> None:
    """The same, for the whole life of a worker process."""
    AstroidBuilder.delayed_assattr = _syntactic_assattr
    AstroidManager.ast_from_file = _project_ast_from_file


class ParseFailure(Exception):
    """The file is not valid Python for the running interpreter."""

    def __init__(self, message: str, line: int, column: int) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


def syntax_message(exc: SyntaxError) -> str:
    msg = exc.msg or "invalid syntax"
    running = f"{sys.version_info.major}.{sys.version_info.minor}"
    return (
        f"{msg} (not valid Python {running}; if the file targets a newer Python, "
        "run aiscan with that interpreter)"
    )


def check_syntax(source: SourceText, filename: str) -> None:
    """Raise ParseFailure when the running Python cannot parse ``source``.

    Cheap (the stdlib parser), so every file is checked even when no rule needs its tree.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(source.text, filename=filename)
    except SyntaxError as exc:
        raise ParseFailure(syntax_message(exc), exc.lineno or 1, exc.offset or 0) from exc
    except (ValueError, MemoryError) as exc:
        raise ParseFailure(f"cannot parse: {exc}", 1, 0) from exc
    except RecursionError as exc:
        raise ParseFailure("too deeply nested for the Python parser", 1, 0) from exc


@dataclass
class ModuleCache:
    """Tracks the project modules this process built, evicting the oldest beyond a limit."""

    limit: int = _PROJECT_CACHE_LIMIT

    def __post_init__(self) -> None:
        self._order: collections.OrderedDict[str, None] = collections.OrderedDict()

    def build(self, source: SourceText, path: Path) -> nodes.Module:
        modname, _ = module_name(path)
        manager = astroid.MANAGER
        known = manager.astroid_cache.get(modname)
        if known is not None and _same_file(known.file, path):
            # Built already when another file imported it, the same way (project modules are
            # built without transforms, from the same text): building it again cost a second
            # parse of nearly every module of a project.
            module = known
        else:
            module = self._parse(source, path, modname)
        self._order[modname] = None
        self._order.move_to_end(modname)
        while len(self._order) > self.limit:
            old, _ = self._order.popitem(last=False)
            manager.astroid_cache.pop(old, None)
        return module

    @staticmethod
    def _parse(source: SourceText, path: Path, modname: str) -> nodes.Module:
        manager = astroid.MANAGER
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                # The file's own tree skips astroid's brain transforms (they infer while
                # building and cost more than the analysis); modules it imports get them.
                module = AstroidBuilder(manager, apply_transforms=False).string_build(
                    source.text, modname, str(path)
                )
            except astroid.AstroidSyntaxError as exc:
                error = exc.error
                if isinstance(error, SyntaxError):
                    raise ParseFailure(
                        syntax_message(error), error.lineno or 1, error.offset or 0
                    ) from exc
                raise ParseFailure(f"cannot parse: {error}", 1, 0) from exc
        return module


def _same_file(file: str | None, path: Path) -> bool:
    if not file:
        return False
    try:
        return os.path.samefile(file, path)
    except OSError:
        return False
