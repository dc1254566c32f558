"""``mode: api``: attributes, keywords and imports that do not exist in the installed library."""

from __future__ import annotations

import difflib
import functools
import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

import astroid
from astroid import bases, nodes, util
from astroid.exceptions import AstroidError

from aiscan.engine import environment, observe
from aiscan.engine.context import FileContext, enclosing_function
from aiscan.engine.names import inside_scan
from aiscan.engine.nodeindex import module_nodes
from aiscan.matchers.base import Prefilter, make_finding
from aiscan.model import Finding, Location, Rule

_MAX_DEPTH = 4
_MAX_INFERRED = 8


class State(Enum):
    """What is known about a name: it exists, it is missing, or it cannot be told."""

    EXISTS = "exists"
    MISSING = "missing"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Owner:
    """What a receiver certainly is: a module, a class, or an instance of a class.

    ``exact`` is false when the instance's class was inferred through a function's return value
    (a subclass may be what really comes back); it is true for a constructor call or a
    ``returns`` hint.
    """

    value: nodes.Module | nodes.ClassDef | bases.Instance
    exact: bool = True


@dataclass(frozen=True)
class Forward:
    """A ``forwards`` hint: ``function``'s ``**kwargs`` go to ``target`` unless one of
    ``unless`` is passed (``json.loads(s, cls=...)`` sends them elsewhere)."""

    target: str
    unless: frozenset[str]


def _last(name: str) -> str:
    return name.rsplit(".", 1)[-1]


# Inference results of the file being checked, by node (a name is asked about at every use).
_INFERRED: dict[int, tuple[nodes.NodeNG, list[Any] | None]] = {}


def _infer_all(node: nodes.NodeNG) -> list[Any] | None:
    """Every value astroid infers for ``node``, or None when any is Uninferable or it fails."""
    hit = _INFERRED.get(id(node))
    if hit is not None and hit[0] is node:
        return hit[1]
    result = _infer_uncached(node)
    _INFERRED[id(node)] = (node, result)
    return result


def _infer_uncached(node: nodes.NodeNG) -> list[Any] | None:
    return _certain(node.infer)


def _certain(values: Callable[[], Iterable[Any]]) -> list[Any] | None:
    """Every value ``values()`` yields, or None when one is Uninferable, there are too many,
    or astroid fails."""
    out: list[Any] = []
    try:
        for value in values():
            if isinstance(value, util.UninferableBase) or len(out) >= _MAX_INFERRED:
                return None
            out.append(value)
    except (AstroidError, RecursionError, TypeError, ValueError, AttributeError):
        return None
    return out or None


def _one(values: list[Any] | None) -> Any | None:
    """The single value all of ``values`` agree on (the same node), else None."""
    if not values:
        return None
    first = values[0]
    for other in values[1:]:
        if not _same(first, other):
            return None
    return first


def _same(a: Any, b: Any) -> bool:
    if a is b:
        return True
    if type(a) is not type(b):
        return False
    if isinstance(a, (bases.BoundMethod, bases.UnboundMethod)):
        return _function_of(a) is _function_of(b) and _function_of(a) is not None
    if isinstance(a, bases.Instance) and not isinstance(a, nodes.Const):
        return bool(a._proxied is b._proxied)
    return False


def _function_of(value: Any) -> nodes.FunctionDef | None:
    while isinstance(value, (bases.BoundMethod, bases.UnboundMethod)):
        value = value._proxied
    if isinstance(value, nodes.FunctionDef) and type(value).__name__ == "FunctionDef":
        return value
    return None


class _Texts:
    """Source texts of the scanned project and of library packages, read once, for the
    "is this name ever assigned or defined there" questions asked about a candidate."""

    def __init__(self, files: Sequence[Path]) -> None:
        self.files = [Path(f) for f in files]
        self._project: list[str] | None = None
        self._packages: dict[str, list[str]] = {}
        self._files: dict[str, list[tuple[str, str]]] = {}

    def project(self) -> list[str]:
        observe.note(observe.PROJECT_TEXTS)
        if self._project is None:
            self._project = [_read(p) for p in self.files]
        return self._project

    def package_files(self, module: nodes.Module) -> list[tuple[str, str]]:
        """(path, text) of the top-level package (or single-file module) of ``module``."""
        self.package(module)
        return self._files.get(self._key(module), [])

    def _key(self, module: nodes.Module) -> str:
        file = module.file or ""
        top = Path(file).parent
        if Path(file).name != "__init__.py" and not (top / "__init__.py").is_file():
            return file
        while (top.parent / "__init__.py").is_file():
            top = top.parent
        return str(top)

    def package(self, module: nodes.Module) -> list[str]:
        """The texts of the top-level package (or single-file module) ``module`` belongs to."""
        file = module.file
        if not file or not file.endswith(".py"):
            return []
        key = self._key(module)
        texts = self._packages.get(key)
        if texts is None:
            paths = [Path(file)] if key == file else sorted(Path(key).rglob("*.py"))
            files = [(str(p), _read(p)) for p in paths]
            self._files[key] = files
            texts = [t for _, t in files]
            self._packages[key] = texts
        return texts


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def _assigned_re(name: str) -> re.Pattern[str]:
    """``x.name = ...``, ``x.name: T = ...`` or ``setattr(x, "name", ...)``."""
    n = re.escape(name)
    return re.compile(rf"\.\s*{n}\s*(?::[^=\n]*)?(?:[-+*/|&]?=)(?!=)|setattr\([^)\n]*['\"]{n}['\"]")


def _defined_re(name: str) -> re.Pattern[str]:
    """``def name``, or ``name = ...`` / ``name: T`` at the start of a line (a class body)."""
    n = re.escape(name)
    return re.compile(rf"\bdef\s+{n}\b|^[ \t]*{n}\s*(?::|=(?!=))", re.MULTILINE)


class ApiMatcher:
    """Reports attribute reads, keyword arguments and imports of names that certainly do not
    exist in the library version installed in the target environment."""

    def __init__(self, rule: Rule, files: Sequence[Path] = ()) -> None:
        self.rule = rule
        spec: Mapping[str, Any] = rule.spec["api"]
        self.check_attributes = bool(spec.get("attributes", True))
        self.check_keywords = bool(spec.get("keywords", True))
        self.check_imports = bool(spec.get("imports", True))
        self.skip_types = frozenset(spec.get("skip-types", ()))
        self.closed_metaclasses = frozenset(spec.get("closed-metaclasses", ("builtins.type",)))
        self.preserving = frozenset(
            _last(d) for d in spec.get("signature-preserving-decorators", ())
        )
        self.unknowable = tuple(spec.get("unknowable-modules", ()))
        guards: Mapping[str, Sequence[str]] = spec.get("guard-exceptions", {})
        self.guard_exceptions = {k: frozenset(_last(n) for n in v) for k, v in guards.items()}
        self.guard_test_re = re.compile(spec.get("guard-test-regex", "(?!)"))
        self.unknown_function_re = re.compile(spec.get("unknown-in-function-regex", "(?!)"))
        self.dynamic_module_re = re.compile(spec.get("dynamic-module-regex", "(?!)"))
        self.dynamic_class_re = re.compile(spec.get("dynamic-class-regex", "(?!)"))
        self.exempt_methods = frozenset(spec.get("dynamic-exempt-methods", ()))
        self.returns: dict[str, str] = dict(spec.get("returns", {}))
        self.forwards = {
            str(entry["function"]): Forward(
                str(entry["to"]), frozenset(entry.get("unless-keywords", ()))
            )
            for entry in spec.get("forwards", ())
        }
        self.suggest: dict[str, list[str]] = {
            str(k): [str(x) for x in v] for k, v in spec.get("suggest", {}).items()
        }
        self.messages: dict[str, str] = dict(spec.get("messages", {}))
        self.texts = _Texts(files)
        self._closed: dict[int, bool] = {}
        self._module_dynamic: dict[int, frozenset[str] | None] = {}

    def prefilter(self) -> Prefilter:
        return Prefilter(words=frozenset({"import"}))

    # --- the three checks ---------------------------------------------------------------

    def check(self, ctx: FileContext) -> Iterator[Finding]:
        _INFERRED.clear()
        seen: set[tuple[int, int, str]] = set()
        for node in ctx.module.nodes_of_class(
            (nodes.Attribute, nodes.Call, nodes.Import, nodes.ImportFrom)
        ):
            if _in_signature(node):
                continue  # astroid looks names of a signature up in the function's own scope
            found: Iterator[tuple[Location, str, dict[str, str]]]
            if isinstance(node, nodes.Attribute):
                if not self.check_attributes:
                    continue
                found = self._attribute(ctx, node)
            elif isinstance(node, nodes.Call):
                if not self.check_keywords or not node.keywords:
                    continue
                found = self._keywords(ctx, node)
            else:
                if not self.check_imports:
                    continue
                found = self._import(ctx, node)
            for location, kind, values in found:
                key = (location.line, location.column, values["name"])
                if key in seen:
                    continue
                seen.add(key)
                template = self.messages.get(kind)
                yield make_finding(self.rule, location, values, message=template)

    def _attribute(
        self, ctx: FileContext, node: nodes.Attribute
    ) -> Iterator[tuple[Location, str, dict[str, str]]]:
        name = str(node.attrname)
        if name.startswith("__") and name.endswith("__"):
            return
        if not isinstance(node.expr, (nodes.Name, nodes.Attribute, nodes.Call)):
            return
        owner = self._owner(node.expr, 0)
        if owner is None:
            return
        state, where, candidates = self._member(owner, name, node)
        if state is not State.MISSING or self._guarded(node, name, "attribute"):
            return
        kind = "module-attribute" if isinstance(owner.value, nodes.Module) else "attribute"
        yield (
            _name_location(ctx, node, name),
            kind,
            self._values(where, name, candidates, owner.value),
        )

    def _keywords(
        self, ctx: FileContext, call: nodes.Call
    ) -> Iterator[tuple[Location, str, dict[str, str]]]:
        callee = self._callee(call.func)
        if callee is None:
            return
        passed = frozenset(str(k.arg) for k in call.keywords if k.arg is not None)
        accepted = self._accepted(callee, 0, passed)
        if accepted is None:
            return
        for keyword in call.keywords:
            name = keyword.arg
            if name is None or name in accepted:
                continue
            if self._guarded(call, name, "keyword"):
                continue
            where = _callable_name(callee)
            root = callee.root() if isinstance(callee, nodes.NodeNG) else None
            values = self._values(where, str(name), sorted(accepted), root)
            yield ctx.location(keyword), "keyword", values

    def _import(
        self, ctx: FileContext, node: nodes.Import | nodes.ImportFrom
    ) -> Iterator[tuple[Location, str, dict[str, str]]]:
        if isinstance(node, nodes.ImportFrom):
            if node.level or not node.modname:
                return
            module = self._library_module(str(node.modname))
            if module is None:
                return
            for imported, _alias in node.names:
                if imported == "*":
                    continue
                state, candidates = self._module_member(module, str(imported))
                if state is not State.MISSING or self._guarded(node, str(imported), "import"):
                    continue
                values = self._values(str(module.name), str(imported), candidates, module)
                yield _import_location(ctx, node, str(imported)), "import", values
            return
        for dotted, _alias in node.names:
            parts = str(dotted).split(".")
            if len(parts) < 2:
                continue
            parent = self._library_module(parts[0])
            if parent is None:
                continue
            for depth in range(1, len(parts)):
                child = ".".join(parts[: depth + 1])
                found = self._import_module(child)
                if found is not None:
                    parent = found
                    continue
                sub = parts[depth]
                state, candidates = self._module_member(parent, sub, submodule_only=True)
                if state is State.MISSING and not self._guarded(node, sub, "import"):
                    values = self._values(str(parent.name), sub, candidates, parent)
                    yield _import_location(ctx, node, sub), "submodule", values
                break

    # --- receivers and callees --------------------------------------------------------------

    def _owner(self, expr: nodes.NodeNG, depth: int) -> Owner | None:
        """What ``expr`` certainly is, when that is a library module, class or instance."""
        if depth > _MAX_DEPTH:
            return None
        if isinstance(expr, nodes.Call):
            callee = self._callee(expr.func, depth + 1)
            if callee is None:
                project = self._project_function(expr.func)
                return self._returned_owner(project, depth) if project is not None else None
            if isinstance(callee, nodes.ClassDef):
                if not self._is_library(callee.root()):
                    return None
                return Owner(bases.Instance(callee), exact=True)
            func = _function_of(callee)
            if func is None:
                return None
            hinted = self.returns.get(str(func.qname()))
            if hinted is not None:
                klass = self._class_named(hinted)
                return Owner(bases.Instance(klass), exact=True) if klass is not None else None
            value = _one(_infer_all(expr))
            if (
                isinstance(value, bases.Instance)
                and not isinstance(value, nodes.Const)
                and type(value) is bases.Instance
                and self._is_library(value._proxied.root())
            ):
                return Owner(value, exact=False)
            return None
        if isinstance(expr, nodes.Name):
            binding = _single_binding(expr)
            if binding is None:
                return None
            if isinstance(binding, (nodes.Import, nodes.ImportFrom)):
                return self._import_owner(expr)
            if isinstance(binding, nodes.AssignName):
                parent = binding.parent
                if (
                    isinstance(parent, nodes.Assign)
                    and len(parent.targets) == 1
                    and parent.targets[0] is binding
                ):
                    return self._owner(parent.value, depth + 1)
                if isinstance(parent, nodes.With):
                    return self._inferred_instance(expr)
                if isinstance(parent, nodes.Arguments):
                    return self._self_owner(binding)
            return None
        if isinstance(expr, nodes.Attribute):
            base = self._owner(expr.expr, depth + 1)
            if base is None or isinstance(base.value, bases.Instance):
                return None
            value = _one(self._member_values(base.value, str(expr.attrname)))
            if isinstance(value, nodes.Module) and self._is_library(value):
                return Owner(value)
            if isinstance(value, nodes.ClassDef) and self._is_library(value.root()):
                return Owner(value)
            return None
        return None

    def _project_function(self, func: nodes.NodeNG) -> nodes.FunctionDef | None:
        """A plain function of the scanned project that a call certainly calls."""
        if not isinstance(func, nodes.Name):
            return None
        binding = _single_binding(func)
        if not isinstance(binding, (nodes.Import, nodes.ImportFrom, nodes.FunctionDef)):
            return None
        value = _one(_infer_all(func))
        if (
            isinstance(value, nodes.FunctionDef)
            and type(value) is nodes.FunctionDef
            and value.decorators is None
            and not value.is_generator()
            and not self._is_library(value.root())
        ):
            return value
        return None

    def _returned_owner(self, func: nodes.FunctionDef, depth: int) -> Owner | None:
        """What a project function certainly returns: every ``return`` gives the same library
        class's instance (``return requests.get(url)`` through a helper, in any module)."""
        owners: list[Owner] = []
        for ret in func.nodes_of_class(nodes.Return):
            if ret.frame() is not func:
                continue
            if ret.value is None:
                return None
            owner = self._owner(ret.value, depth + 1)
            if owner is None or not isinstance(owner.value, bases.Instance):
                return None
            owners.append(owner)
        if not owners:
            return None
        klass = owners[0].value._proxied
        if any(o.value._proxied is not klass for o in owners[1:]):
            return None
        return Owner(owners[0].value, exact=all(o.exact for o in owners))

    def _inferred_instance(self, expr: nodes.NodeNG) -> Owner | None:
        value = _one(_infer_all(expr))
        if (
            isinstance(value, bases.Instance)
            and type(value) is bases.Instance
            and isinstance(value._proxied, nodes.ClassDef)
            and self._is_library(value._proxied.root())
        ):
            return Owner(value, exact=False)
        return None

    def _self_owner(self, param: nodes.AssignName) -> Owner | None:
        """``self`` (or ``cls``) in a method of a library class: that class."""
        func = param.parent.parent
        if not isinstance(func, nodes.FunctionDef) or not func.args.args:
            return None
        if func.args.args[0] is not param or func.type not in ("method", "classmethod"):
            return None
        klass = func.parent
        if not isinstance(klass, nodes.ClassDef) or not self._is_library(klass.root()):
            return None
        if func.type == "classmethod":
            return Owner(klass, exact=False)
        return Owner(bases.Instance(klass), exact=False)

    def _import_owner(self, expr: nodes.Name) -> Owner | None:
        value = _one(_infer_all(expr))
        if isinstance(value, nodes.Module) and self._is_library(value):
            return Owner(value)
        if isinstance(value, nodes.ClassDef) and self._is_library(value.root()):
            return Owner(value)
        return None

    def _member_values(self, owner: Any, name: str) -> list[Any] | None:
        return _certain(lambda: owner.igetattr(name))

    def _callee(self, func: nodes.NodeNG, depth: int = 0) -> Any | None:
        """The one library function, method or class a call certainly calls (``depth``: how
        deep in a receiver chain or a project function's returns this look-up is)."""
        if isinstance(func, nodes.Name):
            binding = _single_binding(func)
            if not isinstance(
                binding, (nodes.Import, nodes.ImportFrom, nodes.FunctionDef, nodes.ClassDef)
            ):
                return None
            value = _one(_infer_all(func))
        elif isinstance(func, nodes.Attribute):
            owner = self._owner(func.expr, depth)
            if owner is None:
                return None
            value = _one(self._member_values(owner.value, str(func.attrname)))
        else:
            return None
        if isinstance(value, nodes.ClassDef) and self._is_library(value.root()):
            return value
        function = _function_of(value)
        if function is not None and self._is_library(function.root()):
            return value
        return None

    # --- existence --------------------------------------------------------------------------

    def _member(self, owner: Owner, name: str, node: nodes.NodeNG) -> tuple[State, str, list[str]]:
        value = owner.value
        if isinstance(value, nodes.Module):
            state, candidates = self._module_member(value, name)
            return state, str(value.name), candidates
        klass = value if isinstance(value, nodes.ClassDef) else value._proxied
        where = str(klass.qname())
        if not isinstance(klass, nodes.ClassDef):
            return State.UNKNOWN, where, []
        try:
            value.getattr(name)
            return State.EXISTS, where, []
        except (AstroidError, RecursionError, TypeError, ValueError, AttributeError):
            pass
        mro = self._closed_mro(klass)
        if mro is None:
            return State.UNKNOWN, where, []
        members: set[str] = set()
        for cls in mro:
            if "__slots__" in cls.locals:
                slots = _slot_names(cls)
                if slots is None or name in slots:
                    return State.UNKNOWN, where, []
                members |= slots
            if name in cls.locals or name in cls.instance_attrs:
                return State.EXISTS, where, []
            members |= set(cls.locals) | set(cls.instance_attrs)
        if not self._version_ok(klass.root()):
            return State.UNKNOWN, where, []
        if self._set_in_library(name, klass, exact=owner.exact):
            return State.UNKNOWN, where, []
        if any(_assigned_re(name).search(t) for t in self.texts.project()):
            return State.UNKNOWN, where, []
        if not owner.exact and self._subclassed_in_project(klass):
            return State.UNKNOWN, where, []
        return State.MISSING, where, sorted(members)

    def _module_member(
        self, module: nodes.Module, name: str, *, submodule_only: bool = False
    ) -> tuple[State, list[str]]:
        if not self._is_library(module) or not self._version_ok(module) or not module.file:
            return State.UNKNOWN, []  # a namespace package may be spread over many folders
        if not submodule_only:
            if name in module.locals:
                return State.EXISTS, []
            try:
                module.getattr(name)
                return State.EXISTS, []
            except (AstroidError, RecursionError, TypeError, ValueError, AttributeError):
                pass
        if module.package and self._import_module(f"{module.name}.{name}") is not None:
            return State.EXISTS, []
        if _submodule_file_exists(module, name):
            return State.EXISTS, []
        if submodule_only and name in module.locals:
            # Set by the package itself (os.path is put in sys.modules by os).
            return State.UNKNOWN, []
        extra = self._dynamic_names(module)
        if extra is None or name in extra:
            return State.UNKNOWN, []
        if any(
            str(module.name) == m or str(module.name).startswith(m + ".") for m in self.unknowable
        ):
            return State.UNKNOWN, []
        if self._named_elsewhere(name, module, defined=False):
            return State.UNKNOWN, []
        candidates = set(module.locals)
        if module.package and module.file:
            folder = Path(module.file).parent
            for child in folder.iterdir():
                stem = child.name.split(".", 1)[0]
                if child.suffix == ".py" or (child / "__init__.py").is_file():
                    candidates.add(stem)
        return State.MISSING, sorted(candidates)

    def _dynamic_names(self, module: nodes.Module) -> frozenset[str] | None:
        """The names a module answers beyond its locals (a closed ``__getattr__`` that answers
        only constant names), or None when it may answer anything."""
        key = id(module)
        if key in self._module_dynamic:
            return self._module_dynamic[key]
        result: frozenset[str] | None = frozenset()
        if not module.pure_python:
            # Built by introspecting the running interpreter: its platform, its implementation.
            result = None
        elif module.file and module.file.endswith(".py"):
            text = _read(Path(module.file))
            if self.dynamic_module_re.search(text):
                result = None
        if result is not None and "__getattr__" in module.locals:
            result = _closed_getattr_names(module)
        if result is not None:
            for stmt in module_nodes(module, nodes.ImportFrom):
                if stmt.names and stmt.names[0][0] == "*":
                    target = stmt.modname
                    if stmt.level:
                        try:
                            target = module.relative_to_absolute_name(stmt.modname, stmt.level)
                        except AstroidError:
                            result = None
                            break
                    if self._import_module(str(target)) is None:
                        result = None
                        break
        self._module_dynamic[key] = result
        return result

    def _closed_mro(self, klass: nodes.ClassDef) -> list[nodes.ClassDef] | None:
        """The classes of ``klass``'s MRO, when every one of them is known and none can answer
        arbitrary attribute names; None otherwise."""
        try:
            mro = list(klass.mro())
        except (AstroidError, RecursionError, TypeError, ValueError, AttributeError):
            return None
        for cls in mro:
            if not self._class_closed(cls):
                return None
        try:
            meta = klass.metaclass()
        except (AstroidError, RecursionError, TypeError, ValueError, AttributeError):
            return None
        if meta is not None and str(meta.qname()) not in self.closed_metaclasses:
            return None
        return mro

    def _class_closed(self, cls: nodes.ClassDef) -> bool:
        key = id(cls)
        cached = self._closed.get(key)
        if cached is not None:
            return cached
        self._closed[key] = False
        result = self._compute_class_closed(cls)
        self._closed[key] = result
        return result

    def _compute_class_closed(self, cls: nodes.ClassDef) -> bool:
        root = cls.root()
        if str(cls.qname()) in self.skip_types:
            return False
        if str(root.name) == "builtins":
            return True
        if not root.pure_python:
            return False
        if cls.decorators is not None:
            return False
        if "__getattr__" in cls.locals or "__getattribute__" in cls.locals:
            return False
        for base in cls.bases:
            value = _one(_infer_all(base))
            if not isinstance(value, nodes.ClassDef):
                return False
        if cls.keywords:
            return False
        for stmt in cls.body:
            if isinstance(stmt, nodes.FunctionDef) and stmt.name in self.exempt_methods:
                continue  # __setstate__ restores the attributes the instance had
            if self.dynamic_class_re.search(_text(stmt)):
                return False
        return True

    # --- keywords ---------------------------------------------------------------------------

    def _accepted(self, callee: Any, depth: int, passed: frozenset[str]) -> set[str] | None:
        """The keyword names ``callee`` accepts, or None when that cannot be told."""
        if depth > 3:
            return None
        if isinstance(callee, nodes.ClassDef):
            return self._constructor_keywords(callee, depth, passed)
        func = _function_of(callee)
        if func is None or not self._is_library(func.root()) or not self._version_ok(func.root()):
            return None
        if not func.root().pure_python:
            return None
        if func.decorators is not None:
            for deco in func.decorators.nodes:
                if _decorator_name(deco) not in self.preserving:
                    return None
        scope = func.parent.frame() if func.parent is not None else None
        if scope is not None and len(scope.locals.get(func.name, ())) > 1:
            return None  # overloads, or a definition chosen at import time
        args = func.args
        if args.args is None:
            return None
        names = {str(a.name) for a in args.args} | {str(a.name) for a in args.kwonlyargs}
        if args.kwarg is None:
            return names
        forwarded = self._forwarded(func, str(args.kwarg), depth, passed)
        if forwarded is None:
            return None
        return names | forwarded

    def _constructor_keywords(
        self, klass: nodes.ClassDef, depth: int, passed: frozenset[str]
    ) -> set[str] | None:
        if not self._is_library(klass.root()) or self._closed_mro(klass) is None:
            return None
        try:
            mro = list(klass.mro())
        except (AstroidError, RecursionError, TypeError, ValueError, AttributeError):
            return None
        for cls in mro:
            if str(cls.root().name) == "builtins":
                return None
            if "__new__" in cls.locals:
                return None
            if "__init__" in cls.locals:
                init = cls.locals["__init__"]
                if len(init) != 1 or not isinstance(init[0], nodes.FunctionDef):
                    return None
                return self._accepted(init[0], depth, passed)
        return None

    def _forwarded(
        self, func: nodes.FunctionDef, kwarg: str, depth: int, passed: frozenset[str]
    ) -> set[str] | None:
        """The keywords a function's ``**kwarg`` accepts: the constant keys it takes out of it,
        plus what the one call it forwards ``**kwarg`` to accepts."""
        consumed: set[str] = set()
        forwarding: list[nodes.Call] = []
        hint = self.forwards.get(str(func.qname()))
        for name in func.nodes_of_class(nodes.Name):
            if name.name != kwarg:
                continue
            if name.scope() is not func:
                return None  # a closure: the keywords are used later, somewhere else
            parent = name.parent
            if isinstance(parent, nodes.Keyword) and parent.arg is None:
                call = parent.parent
                if not isinstance(call, nodes.Call):
                    return None
                forwarding.append(call)
                continue
            key = _consumed_key(name)
            if key is None:
                if hint is None:
                    return None
                continue
            consumed.add(key)
        if hint is not None:
            if hint.unless & passed:
                return None
            target = self._named(hint.target)
        elif len(forwarding) == 1:
            target = self._callee(forwarding[0].func)
        else:
            return None
        if target is None:
            return None
        accepted = self._accepted(target, depth + 1, passed)
        if accepted is None:
            return None
        return consumed | accepted

    # --- helpers ---------------------------------------------------------------------------

    def _guarded(self, node: nodes.NodeNG, name: str, kind: str) -> bool:
        """A guard makes the name unknown: a try that catches the error it would raise, a
        version or feature check around it, hasattr/getattr of the name in the function."""
        exceptions = self.guard_exceptions.get(kind, frozenset())
        child: nodes.NodeNG = node
        parent = node.parent
        while parent is not None:
            if isinstance(parent, nodes.Try) and child in parent.body:
                for handler in parent.handlers:
                    if handler.type is None or _handler_names(handler.type) & exceptions:
                        return True
            if isinstance(parent, (nodes.If, nodes.IfExp, nodes.While)):
                test = parent.test
                if child is not test and self.guard_test_re.search(_text(test)):
                    return True
            if isinstance(parent, nodes.BoolOp) and self.guard_test_re.search(_text(parent)):
                return True
            if isinstance(parent, (nodes.FunctionDef, nodes.ClassDef)) and parent.decorators:
                if self.unknown_function_re.search(_text(parent.decorators)):
                    return True
            child, parent = parent, parent.parent
        func = enclosing_function(node)
        scope_text = _text(func) if func is not None else _text(node.root())
        if self.unknown_function_re.search(scope_text):
            return True
        feature = re.compile(rf"(?:hasattr|getattr)\([^)\n]*['\"]{re.escape(name)}['\"]")
        return bool(feature.search(scope_text))

    def _named_elsewhere(self, name: str, module: nodes.Module, *, defined: bool) -> bool:
        """The name is assigned as an attribute (or defined, when ``defined``) in the library
        package the owner comes from, or assigned as an attribute in the scanned project."""
        assigned = _assigned_re(name)
        library = self.texts.package(module)
        if any(assigned.search(t) for t in library):
            return True
        if defined:
            definition = _defined_re(name)
            if any(definition.search(t) for t in library):
                return True
        return any(assigned.search(t) for t in self.texts.project())

    def _set_in_library(self, name: str, klass: nodes.ClassDef, *, exact: bool) -> bool:
        """The library that defines ``klass`` sets ``name`` on an instance of it from outside
        the class (``response.connection = self``), with setattr, or (when the instance's
        class was inferred, not constructed) defines it in a subclass."""
        assigned = _assigned_re(name)
        defined = _defined_re(name)
        setattr_re = re.compile(rf"setattr\([^)\n]*['\"]{re.escape(name)}['\"]")
        for path, text in self.texts.package_files(klass.root()):
            if setattr_re.search(text):
                return True
            is_assigned = assigned.search(text) is not None
            is_defined = not exact and defined.search(text) is not None
            if not is_assigned and not is_defined:
                continue
            module = self._module_from_file(path)
            if module is None:
                return True
            if is_assigned and self._assigns_on(module, name, klass):
                return True
            if is_defined:
                for cls in module_nodes(module, nodes.ClassDef):
                    if cls is klass or not (name in cls.locals or name in cls.instance_attrs):
                        continue
                    if _related(cls, klass):
                        return True
        return False

    def _assigns_on(self, module: nodes.Module, name: str, klass: nodes.ClassDef) -> bool:
        """``x.name = ...`` in ``module`` where ``x`` may be an instance of ``klass`` (or of a
        class related to it)."""
        for node in module_nodes(module, nodes.AssignAttr):
            if node.attrname != name:
                continue
            owner: Owner | None = None
            if isinstance(node.expr, nodes.Name):
                binding = _single_binding(node.expr)
                if isinstance(binding, nodes.AssignName) and isinstance(
                    binding.parent, nodes.Arguments
                ):
                    owner = self._self_owner(binding)
            if owner is None:
                owner = self._inferred_instance(node.expr)
            if owner is None:
                return True
            value = owner.value
            other = value if isinstance(value, nodes.ClassDef) else value._proxied
            if not isinstance(other, nodes.ClassDef) or _related(other, klass):
                return True
        return False

    def _module_from_file(self, path: str) -> nodes.Module | None:
        try:
            return astroid.MANAGER.ast_from_file(path)
        except (AstroidError, RecursionError, SyntaxError, ImportError, ValueError, OSError):
            return None

    def _subclassed_in_project(self, klass: nodes.ClassDef) -> bool:
        pattern = re.compile(rf"^\s*class\s+\w+\s*\([^)]*\b{re.escape(str(klass.name))}\b", re.M)
        return any(pattern.search(t) for t in self.texts.project())

    def _is_library(self, module: nodes.Module) -> bool:
        if not isinstance(module, nodes.Module):
            return False
        return not inside_scan(module.file) and str(module.name) != "builtins"

    def _version_ok(self, module: nodes.Module) -> bool:
        """The standard library astroid reads is the running interpreter's: it answers for the
        target only when the target runs the same Python version."""
        env = environment.current()
        if env.is_running or not env.is_stdlib(str(module.name)):
            return True
        return tuple(env.version[:2]) == tuple(sys.version_info[:2])

    def _library_module(self, name: str) -> nodes.Module | None:
        if not environment.current().is_installed(name):
            return None  # not installed: the undeclared-dependency rule's concern
        module = self._import_module(name)
        if module is None or not self._is_library(module):
            return None
        return module

    def _import_module(self, name: str) -> nodes.Module | None:
        try:
            module = astroid.MANAGER.ast_from_module_name(name)
        except (AstroidError, RecursionError, SyntaxError, ImportError, ValueError, OSError):
            return None
        return module if isinstance(module, nodes.Module) else None

    def _named(self, qname: str) -> Any | None:
        """The class or function a qualified name in the rule's data stands for."""
        parts = qname.split(".")
        for cut in range(len(parts) - 1, 0, -1):
            module = self._import_module(".".join(parts[:cut]))
            if module is None:
                continue
            value: Any = module
            for attr in parts[cut:]:
                value = _one(self._member_values(value, attr))
                if value is None:
                    return None
            return value
        return None

    def _class_named(self, qname: str) -> nodes.ClassDef | None:
        value = self._named(qname)
        return value if isinstance(value, nodes.ClassDef) else None

    def _values(
        self, where: str, name: str, candidates: Sequence[str], root: Any
    ) -> dict[str, str]:
        module = str(root.name) if isinstance(root, nodes.Module) else where.split(".", 1)[0]
        public = sorted({c for c in candidates if not c.startswith("_") and c != name})
        suggestions = _close(name, public)
        for extra in self.suggest.get(name, ()):
            if extra in public and extra not in suggestions:
                suggestions.append(extra)
        suggestion = ""
        if suggestions:
            suggestion = " (did you mean " + ", ".join(f"'{s}'" for s in suggestions[:4]) + "?)"
        return {
            "name": name,
            "owner": where,
            "module": module,
            "version": environment.current().describe(module),
            "suggestion": suggestion,
        }


def _in_signature(node: nodes.NodeNG) -> bool:
    """``node`` is in a function's parameters (annotations, defaults) or return annotation."""
    child, parent = node, node.parent
    while parent is not None and not isinstance(parent, (nodes.Module, nodes.ClassDef)):
        if isinstance(parent, nodes.Arguments):
            return True
        if isinstance(parent, nodes.FunctionDef) and child is parent.returns:
            return True
        if isinstance(parent, nodes.Lambda):
            return False
        child, parent = parent, parent.parent
    return False


def _related(a: nodes.ClassDef, b: nodes.ClassDef) -> bool:
    """One of the two classes derives from the other (or they cannot be told apart)."""
    try:
        return a is b or b in a.mro() or a in b.mro()
    except (AstroidError, RecursionError, TypeError, ValueError, AttributeError):
        return True


def _close(name: str, candidates: Sequence[str]) -> list[str]:
    by_lower: dict[str, str] = {}
    for c in candidates:
        by_lower.setdefault(c.lower().replace("_", ""), c)
    found = difflib.get_close_matches(
        name.lower().replace("_", ""), list(by_lower), n=3, cutoff=0.6
    )
    return [by_lower[f] for f in found]


def _single_binding(name: nodes.Name) -> nodes.NodeNG | None:
    """The one statement that binds ``name`` where it is read, or None when there are several
    (or it is a parameter, a loop variable, a global rebound elsewhere)."""
    try:
        scope, assignments = name.lookup(name.name)
    except (AstroidError, RecursionError, TypeError, ValueError, AttributeError):
        return None
    if not assignments:
        return None
    binding = assignments[0]
    if isinstance(binding, (nodes.Import, nodes.ImportFrom)):
        bound = scope.locals.get(name.name, ())
        if all(_imports_top(b, str(name.name)) for b in (*assignments, *bound)):
            return binding  # import a; import a.b: both bind the module a
        return binding if len(assignments) == 1 and len(bound) == 1 else None
    if len(assignments) != 1:
        return None
    if isinstance(binding, nodes.AssignName):
        frame = binding.scope()
        if len(frame.locals.get(name.name, ())) != 1:
            return None
        if frame is not scope:
            return None
        if isinstance(frame, nodes.Module) and _declared_global(frame, str(name.name)):
            return None
        return binding
    if isinstance(binding, (nodes.FunctionDef, nodes.ClassDef)):
        return binding if len(scope.locals.get(name.name, ())) == 1 else None
    return None


def _imports_top(node: nodes.NodeNG, name: str) -> bool:
    """``node`` is ``import name`` or ``import name.sub`` (no alias): it binds the top module."""
    if not isinstance(node, nodes.Import):
        return False
    return any(
        alias is None and (dotted == name or dotted.startswith(name + "."))
        for dotted, alias in node.names
    ) and not any(alias == name for _dotted, alias in node.names)


def _declared_global(module: nodes.Module, name: str) -> bool:
    return name in _global_names(module)


@functools.lru_cache(maxsize=4)
def _global_names(module: nodes.Module) -> frozenset[str]:
    """The names any ``global`` statement of ``module`` declares (one walk per module)."""
    return frozenset(n for g in module_nodes(module, nodes.Global) for n in g.names)


def _consumed_key(name: nodes.Name) -> str | None:
    """``kw.pop("x")``, ``kw.get("x")``, ``kw.setdefault("x", ...)``, ``kw["x"]``, ``"x" in kw``:
    the constant key a use of ``**kw`` takes out of it."""
    parent = name.parent
    if isinstance(parent, nodes.Attribute) and parent.attrname in ("pop", "get", "setdefault"):
        call = parent.parent
        if isinstance(call, nodes.Call) and call.func is parent and call.args:
            first = call.args[0]
            if isinstance(first, nodes.Const) and isinstance(first.value, str):
                return str(first.value)
        return None
    if isinstance(parent, nodes.Subscript) and parent.value is name:
        key = parent.slice
        if isinstance(key, nodes.Const) and isinstance(key.value, str):
            return str(key.value)
        return None
    if isinstance(parent, nodes.Compare) and parent.ops and parent.ops[0][1] is name:
        left = parent.left
        if parent.ops[0][0] in ("in", "not in") and isinstance(left, nodes.Const):
            return str(left.value)
    return None


def _closed_getattr_names(module: nodes.Module) -> frozenset[str] | None:
    """A module ``__getattr__`` that only answers constant names (``if name == "x"`` /
    ``if name in (...)``) and ends with ``raise AttributeError``: those names."""
    defs = module.locals.get("__getattr__", [])
    if len(defs) != 1 or not isinstance(defs[0], nodes.FunctionDef):
        return None
    func = defs[0]
    params = func.args.args or []
    if len(params) != 1:
        return None
    param = str(params[0].name)
    names: set[str] = set()
    body = list(func.body)
    if body and isinstance(body[0], nodes.Expr) and isinstance(body[0].value, nodes.Const):
        body = body[1:]
    if not body or not isinstance(body[-1], nodes.Raise):
        return None
    raised = body[-1].exc
    target = raised.func if isinstance(raised, nodes.Call) else raised
    if not (isinstance(target, nodes.Name) and target.name == "AttributeError"):
        return None
    for stmt in body[:-1]:
        if isinstance(stmt, (nodes.Import, nodes.ImportFrom)):
            continue
        if not isinstance(stmt, nodes.If) or stmt.orelse:
            return None
        test = stmt.test
        if not (
            isinstance(test, nodes.Compare)
            and isinstance(test.left, nodes.Name)
            and test.left.name == param
            and len(test.ops) == 1
        ):
            return None
        op, right = test.ops[0]
        if op == "==" and isinstance(right, nodes.Const) and isinstance(right.value, str):
            names.add(right.value)
        elif op == "in" and isinstance(right, (nodes.Tuple, nodes.List, nodes.Set)):
            for elt in right.elts:
                if not (isinstance(elt, nodes.Const) and isinstance(elt.value, str)):
                    return None
                names.add(elt.value)
        else:
            return None
    return frozenset(names)


def _slot_names(cls: nodes.ClassDef) -> set[str] | None:
    assigns = cls.locals.get("__slots__", [])
    if len(assigns) != 1:
        return None
    parent = assigns[0].parent
    value = getattr(parent, "value", None)
    if isinstance(value, nodes.Const) and isinstance(value.value, str):
        return {value.value}
    if isinstance(value, (nodes.Tuple, nodes.List, nodes.Set)):
        out: set[str] = set()
        for elt in value.elts:
            if not (isinstance(elt, nodes.Const) and isinstance(elt.value, str)):
                return None
            out.add(elt.value)
        return out
    return None


def _submodule_file_exists(module: nodes.Module, name: str) -> bool:
    if not module.package or not module.file:
        return False
    for folder in getattr(module, "path", None) or [os.path.dirname(module.file)]:
        base = Path(folder)
        if (base / name).is_dir() or any(base.glob(f"{name}.*")):
            return True
    return False


def _handler_names(node: nodes.NodeNG) -> frozenset[str]:
    if isinstance(node, nodes.Tuple):
        out: set[str] = set()
        for elt in node.elts:
            out |= _handler_names(elt)
        return frozenset(out)
    if isinstance(node, nodes.Name):
        return frozenset({str(node.name)})
    if isinstance(node, nodes.Attribute):
        return frozenset({str(node.attrname)})
    return frozenset({"?"})


def _decorator_name(node: nodes.NodeNG) -> str:
    target = node.func if isinstance(node, nodes.Call) else node
    if isinstance(target, nodes.Name):
        return str(target.name)
    if isinstance(target, nodes.Attribute):
        return str(target.attrname)
    return ""


def _callable_name(callee: Any) -> str:
    if isinstance(callee, nodes.ClassDef):
        return str(callee.qname())
    func = _function_of(callee)
    return str(func.qname()) if func is not None else "?"


def _text(node: nodes.NodeNG) -> str:
    try:
        return str(node.as_string())
    except (AstroidError, RecursionError, TypeError, ValueError, AttributeError):
        return ""


def _name_location(ctx: FileContext, node: nodes.Attribute, name: str) -> Location:
    """The attribute name itself: on the last line of the expression, just before its end."""
    line = int(node.end_lineno or node.lineno or 1)
    end = node.end_col_offset
    if end is None:
        return ctx.location(node)
    end_c = ctx.source.char_column(line, int(end))
    return Location(ctx.path, line, max(1, end_c - len(name)), line, end_c)


def _import_location(
    ctx: FileContext, node: nodes.Import | nodes.ImportFrom, name: str
) -> Location:
    """The line of an import statement that spells ``name`` (a parenthesised import may span
    several lines)."""
    first = int(node.lineno or 1)
    last = int(node.end_lineno or first)
    word = re.compile(rf"\b{re.escape(name)}\b")
    for line in range(first, last + 1):
        text = ctx.source.line(line)
        found = word.search(
            text,
            text.find("import") + 6 if line == first and isinstance(node, nodes.ImportFrom) else 0,
        )
        if found:
            return Location(ctx.path, line, found.start() + 1, line, found.end() + 1)
    return ctx.location(node)
