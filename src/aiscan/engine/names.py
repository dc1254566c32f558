"""Qualified-name resolution: what fully qualified name an expression refers to.

Resolution is syntactic first (imports, aliases, assignments of constructed instances), which is
cheap and exact, and falls back on astroid inference only where a caller asks for it. Names of
instances are written ``Class.attr``: ``s = requests.Session(); s.get`` is
``requests.Session.get``.
"""

from __future__ import annotations

import builtins
import fnmatch
import functools
import logging
import os
import re
import warnings
from collections.abc import Iterable

import astroid
from astroid import nodes, util
from astroid.util import safe_infer

log = logging.getLogger(__name__)

_BUILTIN_NAMES = frozenset(dir(builtins))
_MAX_DEPTH = 8


def import_target(stmt: nodes.Import | nodes.ImportFrom, name: str) -> str | None:
    if isinstance(stmt, nodes.Import):
        for modname, alias in stmt.names:
            if alias == name:
                return str(modname)
            if alias is None and (modname == name or modname.startswith(name + ".")):
                return name
        return None
    modname = stmt.modname or ""
    if stmt.level:
        try:
            modname = stmt.root().relative_to_absolute_name(modname, stmt.level)
        except astroid.TooManyLevelsError:
            return None
    for imported, alias in stmt.names:
        if (alias or imported) == name:
            return f"{modname}.{imported}" if modname else str(imported)
    return None


def _scope_qname(defn: nodes.FunctionDef | nodes.ClassDef) -> str:
    return str(defn.qname())


# Per-file memo of names_of for the nodes rules ask about (several rules ask about every call).
_MEMO: dict[int, tuple[nodes.NodeNG, frozenset[str]]] = {}
_INFER_MEMO: dict[tuple[int, str], frozenset[str]] = {}


def clear_memo() -> None:
    """Forget memoised resolutions (called between files, whose nodes are discarded)."""
    _MEMO.clear()
    _INFER_MEMO.clear()


def names_of(node: nodes.NodeNG, depth: int = 0) -> frozenset[str]:
    """Every qualified name ``node`` may refer to, resolved without inference."""
    if depth == 0:
        hit = _MEMO.get(id(node))
        if hit is not None and hit[0] is node:
            return hit[1]
        result = _names_of(node, 0)
        _MEMO[id(node)] = (node, result)
        return result
    return _names_of(node, depth)


def _names_of(node: nodes.NodeNG, depth: int) -> frozenset[str]:
    if depth > _MAX_DEPTH:
        return frozenset()
    if isinstance(node, nodes.Name):
        return _names_of_name(node, node.name, depth)
    if isinstance(node, nodes.Attribute):
        bases = names_of(node.expr, depth + 1)
        if not bases and isinstance(node.expr, nodes.Name) and node.expr.name == "self":
            return _self_attribute_names(node, depth)
        return frozenset(f"{base}.{node.attrname}" for base in bases)
    if isinstance(node, nodes.Call):
        # Calling a class (CapWords, by convention) makes an instance of it, written as the
        # class's name so that attributes read on it resolve (requests.Session().get); calling
        # a function makes a value the syntax cannot type, written ``name()``, which no rule
        # names and which tells resolve() that inference is needed.
        return frozenset(
            n if n.rsplit(".", 1)[-1][:1].isupper() else f"{n}()"
            for n in names_of(node.func, depth + 1)
        )
    if isinstance(node, nodes.BinOp) and node.op == "/":
        # BASE / name is a path when BASE is one (pathlib's / operator).
        return frozenset(
            n for n in names_of(node.left, depth + 1) if n.rsplit(".", 1)[-1].endswith("Path")
        )
    if isinstance(node, nodes.Subscript):
        return frozenset()
    return frozenset()


def _names_of_name(node: nodes.NodeNG, name: str, depth: int) -> frozenset[str]:
    try:
        _, assignments = node.lookup(name)
    except (AttributeError, astroid.AstroidError):
        return frozenset()
    out: set[str] = set()
    if not assignments:
        if name in _BUILTIN_NAMES:
            out.add(name)
        return frozenset(out)
    for assign in assignments:
        if isinstance(assign, (nodes.Import, nodes.ImportFrom)):
            target = import_target(assign, name)
            if target:
                out.add(target)
        elif isinstance(assign, (nodes.FunctionDef, nodes.ClassDef)):
            qname = _scope_qname(assign)
            out.add(qname.removeprefix("builtins."))
        elif isinstance(assign, nodes.AssignName):
            parent = assign.parent
            value: nodes.NodeNG | None = None
            if isinstance(parent, (nodes.Assign, nodes.AnnAssign)) and parent.value is not None:
                targets = parent.targets if isinstance(parent, nodes.Assign) else [parent.target]
                if any(t is assign for t in targets):
                    value = parent.value
            elif isinstance(parent, nodes.NamedExpr):
                value = parent.value
            elif isinstance(parent, nodes.Arguments):
                out.update(_names_of_annotation(parent, assign, depth))
            elif isinstance(parent, nodes.With) or (
                isinstance(parent, nodes.NodeNG) and isinstance(parent.parent, nodes.With)
            ):
                with_node = parent if isinstance(parent, nodes.With) else parent.parent
                for ctx_expr, var in with_node.items:
                    if var is assign:
                        value = ctx_expr
            if value is not None and isinstance(value, (nodes.Name, nodes.Attribute, nodes.Call)):
                out.update(names_of(value, depth + 1))
    return frozenset(out)


def _self_attribute_names(node: nodes.Attribute, depth: int) -> frozenset[str]:
    """``self.request`` in a method: the class declares the attribute's type
    (``request: flask.Request`` in its body) or every assignment to it in the class is from a
    name whose type is known (``self.request = request`` with ``request: flask.Request``)."""
    scope = node.scope()
    klass = scope.parent.frame() if isinstance(scope, nodes.FunctionDef) and scope.parent else None
    if not isinstance(klass, nodes.ClassDef):
        return frozenset()
    attr = str(node.attrname)
    for stmt in klass.body:
        if (
            isinstance(stmt, nodes.AnnAssign)
            and isinstance(stmt.target, nodes.AssignName)
            and stmt.target.name == attr
        ):
            return frozenset(n for n in names_of(stmt.annotation, depth + 1) if n[:1].isalpha())
    assigns = klass.instance_attrs.get(attr, [])
    if not assigns or len(assigns) > 3:
        return frozenset()
    found: set[str] = set()
    for assign in assigns:
        parent = assign.parent
        value = getattr(parent, "value", None)
        if not isinstance(value, nodes.Name):
            return frozenset()
        names = names_of(value, depth + 1)
        if not names:
            return frozenset()
        found |= names
    return frozenset(found)


def _names_of_annotation(
    args: nodes.Arguments, assign: nodes.AssignName, depth: int
) -> frozenset[str]:
    """A parameter annotated with a class is an instance of it (``s: requests.Session``)."""
    try:
        index = args.args.index(assign)
    except ValueError:
        return frozenset()
    annotations = args.annotations
    if index < len(annotations) and annotations[index] is not None:
        return names_of(annotations[index], depth + 1)
    return frozenset()


def inferred_names(node: nodes.NodeNG) -> frozenset[str]:
    """Qualified names that astroid inference gives for ``node`` (definitions only).

    Memoised per scope and expression text: ``self.client.get`` is inferred once per method,
    however many times the method calls it.
    """
    key = (id(node.scope()), node.as_string())
    hit = _INFER_MEMO.get(key)
    if hit is not None:
        return hit
    result = _inferred_names(node)
    _INFER_MEMO[key] = result
    return result


def _inferred_names(node: nodes.NodeNG) -> frozenset[str]:
    try:
        value = safe_infer(node)
    except (astroid.AstroidError, RecursionError, TypeError, ValueError, AttributeError):
        return frozenset()
    if value is None:
        return frozenset()
    if isinstance(value, astroid.BoundMethod):
        return frozenset({str(value.qname())})
    if isinstance(value, (nodes.FunctionDef, nodes.ClassDef, nodes.Module)):
        return frozenset({str(value.qname())})
    return frozenset()


@functools.cache
def canonical_name(qname: str) -> str | None:
    """Where astroid finds the public name ``qname`` defined (``requests.get`` ->
    ``requests.api.get``), or None when it cannot be resolved in this environment."""
    return _astroid_canonical(qname)


# Folders of the project being scanned: nothing is ever imported from them.
_SCAN_ROOTS: list[str] = []


def set_scan_roots(roots: Iterable[str]) -> None:
    """Record the scanned project's folders (see _runtime_canonical)."""
    _SCAN_ROOTS[:] = [os.path.realpath(r) for r in roots]
    _runtime_canonical.cache_clear()
    inside_scan.cache_clear()


@functools.lru_cache(maxsize=4096)
def inside_scan(path: str | None) -> bool:
    """Whether ``path`` is a file of the scanned project: under a scan root, and not a library
    installed in a virtual environment inside it."""
    if not path:
        return False
    real = os.path.realpath(path)
    for root in _SCAN_ROOTS:
        if real == root or real.startswith(root + os.sep):
            # A virtual environment inside the project (.venv/lib/python3.x/site-packages)
            # holds libraries, not the project's code.
            inner = real[len(root) :].split(os.sep)
            return not any(part in _LIBRARY_FOLDERS for part in inner)
    return False


_LIBRARY_FOLDERS = frozenset({"site-packages", "dist-packages"})


@functools.cache
def _runtime_canonical(qname: str) -> str | None:
    """The interpreter's view of where ``qname`` is defined.

    Imports the library module a rule names, from aiscan's own environment only: the scanned
    project's folders (and the working directory) are taken off the import path first, so a
    project file that shadows a library name (a ``jinja2.py`` in the repository) is never run.
    """
    import importlib
    import sys

    parts = qname.split(".")
    for cut in range(len(parts), 0, -1):
        modname = ".".join(parts[:cut])
        module = sys.modules.get(modname)
        if module is not None and inside_scan(getattr(module, "__file__", None)):
            return None
        if module is None:
            saved = list(sys.path)
            sys.path[:] = [p for p in saved if p and not inside_scan(p) and p != os.getcwd()]
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    module = importlib.import_module(modname)
            except Exception:  # noqa: BLE001 - a module that fails to import is "unknown"
                continue
            finally:
                sys.path[:] = saved
        obj: object = module
        try:
            for attr in parts[cut:]:
                obj = getattr(obj, attr)
            return _defined_at(obj)
        except Exception:  # noqa: BLE001 - proxies (flask.g, flask.request) raise anything on access
            return None
    return None


def _defined_at(obj: object) -> str | None:
    """Where ``obj`` is defined (module.qualname), for what the interpreter imported."""
    import sys

    bound_to = getattr(obj, "__self__", None)
    if bound_to is not None and not isinstance(bound_to, (type(sys), type)):
        # random.choice is the method of one hidden Random instance: it does not stand for
        # every Random.choice (secrets.choice is SystemRandom's).
        return None
    mod = getattr(obj, "__module__", None)
    qual = getattr(obj, "__qualname__", None)
    if isinstance(obj, type(sys)):
        return str(obj.__name__)
    if isinstance(mod, str) and isinstance(qual, str) and "<" not in qual:
        return f"{mod}.{qual}"
    return None


@functools.cache
def _astroid_canonical(qname: str) -> str | None:
    parts = qname.split(".")
    for cut in range(len(parts), 0, -1):
        modname = ".".join(parts[:cut])
        try:
            obj: nodes.NodeNG = astroid.MANAGER.ast_from_module_name(modname)
        except (astroid.AstroidError, ImportError, SyntaxError, RecursionError, OSError):
            continue
        try:
            for attr in parts[cut:]:
                found = obj.getattr(attr)
                target = found[0]
                if isinstance(target, (nodes.ImportFrom, nodes.Import, nodes.AssignName)):
                    # A re-export (``from .sessions import Session``): an import node cannot
                    # be inferred without the name it binds, so infer the attribute itself.
                    inferred = next(obj.igetattr(attr), None)
                    if inferred is None or isinstance(inferred, util.UninferableBase):
                        return None
                    target = inferred
                obj = target
        except (astroid.AstroidError, AttributeError, IndexError, RecursionError):
            return None
        if isinstance(obj, (nodes.FunctionDef, nodes.ClassDef, nodes.Module)):
            resolved = str(obj.qname())
            return resolved if resolved != qname else None
        return None
    return None


class NameIndex:
    """A set of qualified names (exact or with ``*`` wildcards) that matches either the public
    path users write or the path where the name is defined.

    Names written in the code are compared with the public path and with the interpreter's
    view of the definition (cheap); names that came from astroid inference are compared with
    astroid's view of the definition, computed only once inference has been needed.
    """

    def __init__(self, names: Iterable[str], *, canonicalize: bool = True) -> None:
        self.exact: set[str] = set()
        self.wild: list[str] = []
        self.last: set[str] = set()
        for name in names:
            if "*" in name:
                self.wild.append(name)
            else:
                self.exact.add(name)
            self.last.add(name.rsplit(".", 1)[-1])
        self._canonicalize = canonicalize
        self._runtime: dict[str, str] | None = None
        # All wildcard names as one regex (fnmatch's "*" spans dots too).
        self._wild_re = (
            re.compile("|".join(fnmatch.translate(w) for w in self.wild)) if self.wild else None
        )

    def _aliases(self) -> dict[str, str]:
        if not self._canonicalize:
            return {}
        if self._runtime is None:
            self._runtime = {}
            for name in sorted(self.exact):
                resolved = _runtime_canonical(name)
                if resolved and resolved != name and resolved not in self.exact:
                    self._runtime.setdefault(resolved, name)
        return self._runtime

    def could_match_last(self, last: str) -> bool:
        """A cheap pre-check on the final name component."""
        return last in self.last or "*" in self.last

    def match(self, candidates: Iterable[str], *, inferred: bool = False) -> str | None:
        """The public name of the first candidate in the index, or None."""
        cands = sorted(set(candidates))
        if not cands:
            return None
        wild = self._wild_re
        for cand in cands:
            if cand in self.exact or (wild is not None and wild.match(cand)):
                return cand
        aliases = self._aliases()
        for cand in cands:
            public = aliases.get(cand)
            if public is not None:
                return public
        if inferred:
            # astroid names a definition by the module that holds it
            # (requests.sessions.Session.get for requests.Session.get): same package, same
            # class and attribute, deeper module.
            for cand in cands:
                for public in sorted(self.exact):
                    if _same_definition(public, cand):
                        return public
        return None


def _same_definition(public: str, defined: str) -> bool:
    pub = public.split(".")
    dfn = defined.split(".")
    if len(pub) < 2 or len(dfn) <= len(pub) or pub[0] != dfn[0]:
        return False
    # The tail that names the object inside its module: Class.attr, or a function's name.
    tail = pub[-2:] if pub[-2][:1].isupper() else pub[-1:]
    return dfn[-len(tail) :] == tail and dfn[-len(tail) - 1][:1].islower()


def resolve(node: nodes.NodeNG, index: NameIndex, *, infer: bool = True) -> str | None:
    """The qualified name of ``node`` if it is one of ``index``'s names."""
    last = _last_component(node)
    if last is not None and not index.could_match_last(last):
        return None
    candidates = names_of(node)
    found = index.match(candidates)
    if found or not infer or last is None:
        # A plain name is resolved from the syntax (imports, aliases, assignments); only an
        # attribute of a receiver whose type the syntax does not show needs inference.
        return found
    if candidates and not _needs_inference(node, candidates):
        # The syntax already says what the receiver is (a library object that is not one of
        # the rule's names): inference would only confirm it, at a high price.
        return None
    return index.match(inferred_names(node), inferred=True)


def _needs_inference(node: nodes.NodeNG, candidates: frozenset[str]) -> bool:
    """The syntax cannot type the receiver: a function's result (``build_opener().open``), or
    a name of the scanned project's own package, whose objects only inference can follow."""
    if any("()" in c for c in candidates):
        return True
    package = str(node.root().name).split(".", 1)[0]
    return any(c == package or c.startswith(package + ".") for c in candidates)


def _last_component(node: nodes.NodeNG) -> str | None:
    if isinstance(node, nodes.Attribute):
        return str(node.attrname)
    if isinstance(node, nodes.Name):
        return None  # aliases (from x import y as z) change the last name
    return None
