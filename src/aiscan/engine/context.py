"""Per-file analysis context: the tree, the text, locations and facts about where code sits."""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from pathlib import PurePosixPath

import astroid
from astroid import nodes

from aiscan.engine.source import SourceText
from aiscan.model import Location

_ROUTE_DECORATOR_ATTRS = frozenset(
    {"route", "get", "post", "put", "patch", "delete", "head", "options", "api_route", "websocket"}
)
_DJANGO_VIEW_BASES = frozenset({"View", "APIView", "GenericAPIView", "ViewSet", "ModelViewSet"})
_HTTP_METHOD_NAMES = frozenset({"get", "post", "put", "patch", "delete", "head", "options"})


def def_line(node: nodes.NodeNG) -> int:
    """The ``def``/``class`` line of a function or class, after its decorators (astroid's
    ``lineno`` is the first decorator's line)."""
    position = getattr(node, "position", None)
    return int(position.lineno) if position is not None else int(node.lineno or 1)


def is_test_path(relpath: str) -> bool:
    """test_*.py, *_test.py, conftest.py, or anything under a tests/ or test/ folder."""
    path = PurePosixPath(relpath)
    name = path.name
    if name.startswith("test_") or name.endswith("_test.py") or name == "conftest.py":
        return True
    return any(part in ("tests", "test", "testing") for part in path.parts[:-1])


@dataclass
class FileContext:
    """What a matcher needs to know about the file it is looking at."""

    path: str  # relative to the scan root, with '/'
    source: SourceText
    module: nodes.Module
    is_test: bool = False
    _route_cache: dict[int, bool] = field(default_factory=dict)

    def location(self, node: nodes.NodeNG) -> Location:
        """The span of ``node`` as 1-based line and character columns (end exclusive)."""
        line = int(node.lineno or 1)
        col = int(node.col_offset or 0)
        end_line = int(node.end_lineno if node.end_lineno is not None else line)
        end_col = node.end_col_offset
        start_c = self.source.char_column(line, col)
        if end_col is None:
            end_c = len(self.source.line(end_line)) + 1
        else:
            end_c = self.source.char_column(end_line, int(end_col))
        if end_line == line and end_c <= start_c:
            end_c = start_c + 1
        return Location(self.path, line, start_c, end_line, end_c)

    def line_location(self, node: nodes.NodeNG) -> Location:
        """The span of ``node``'s first line only (for def and except lines)."""
        line = int(node.lineno or 1)
        text = self.source.line(line)
        start = len(text) - len(text.lstrip()) + 1
        return Location(self.path, line, start, line, max(len(text.rstrip()) + 1, start + 1))

    def def_location(self, node: nodes.NodeNG) -> Location:
        """The ``def name`` line of a function or class (after its decorators)."""
        line = def_line(node)
        text = self.source.line(line)
        start = len(text) - len(text.lstrip()) + 1
        return Location(self.path, line, start, line, max(len(text.rstrip()) + 1, start + 1))

    def is_route_handler(self, func: nodes.FunctionDef | None) -> bool:
        if func is None:
            return False
        key = id(func)
        cached = self._route_cache.get(key)
        if cached is None:
            cached = route_decorated(func) or self._is_django_view(func)
            self._route_cache[key] = cached
        return cached

    def _is_django_view(self, func: nodes.FunctionDef) -> bool:
        return is_django_view(func, self.path)


def is_django_view(func: nodes.FunctionDef, path: str) -> bool:
    """A method named for an HTTP verb on a Django/DRF view class, or a function in a views.py
    (or api.py) module whose first parameter is ``request``."""
    parent = func.parent
    if isinstance(parent, nodes.ClassDef):
        if func.name not in _HTTP_METHOD_NAMES:
            return False
        return any(last_name(b) in _DJANGO_VIEW_BASES for b in parent.bases)
    args = func.args.args or []
    is_views_module = PurePosixPath(path).name in ("views.py", "api.py")
    return bool(is_views_module and args and args[0].name == "request")


def last_name(node: nodes.NodeNG) -> str:
    """The name a Name or Attribute ends with (``app.route`` -> ``route``); "" for others."""
    if isinstance(node, nodes.Name):
        return str(node.name)
    if isinstance(node, nodes.Attribute):
        return str(node.attrname)
    return ""


def spelled(node: nodes.NodeNG) -> str | None:
    """The word a node spells: a Name's or Attribute's last name, a string constant's text;
    None for anything else."""
    if isinstance(node, nodes.Const):
        return node.value if isinstance(node.value, str) else None
    return last_name(node) or None


def imported_tops(node: nodes.NodeNG) -> frozenset[str]:
    """The top-level modules that the absolute imports in ``node`` (a module, a statement)
    name: ``import a.b`` and ``from a.c import d`` give ``a``."""
    out: set[str] = set()
    for sub in node.nodes_of_class((nodes.Import, nodes.ImportFrom)):
        if isinstance(sub, nodes.Import):
            out.update(name.split(".", 1)[0] for name, _ in sub.names)
        elif not sub.level and sub.modname:
            out.add(sub.modname.split(".", 1)[0])
    return frozenset(out)


def route_decorated(func: nodes.FunctionDef) -> bool:
    """Decorated like a web route: @app.route(...), @router.get(...), @bp.post(...), @api_view."""
    if func.decorators is None:
        return False
    for deco in func.decorators.nodes:
        target = deco.func if isinstance(deco, nodes.Call) else deco
        if isinstance(target, nodes.Attribute) and target.attrname in _ROUTE_DECORATOR_ATTRS:
            if isinstance(deco, nodes.Call) and (deco.args or deco.keywords):
                return True
        if last_name(target) == "api_view":
            return True
    return False


def enclosing_function(node: nodes.NodeNG) -> nodes.FunctionDef | None:
    scope = node.scope()
    while scope is not None and not isinstance(scope, nodes.FunctionDef):
        if isinstance(scope, nodes.Module):
            return None
        parent = scope.parent
        scope = parent.scope() if parent is not None else None
    return scope


_PASS_THROUGH = (
    nodes.BinOp,
    nodes.JoinedStr,
    nodes.FormattedValue,
    nodes.BoolOp,
    nodes.IfExp,
    nodes.Starred,
    nodes.List,
    nodes.Tuple,
    nodes.Set,
    nodes.Comprehension,
    nodes.ListComp,
    nodes.SetComp,
    nodes.GeneratorExp,
    nodes.Await,
    nodes.Subscript,
    nodes.Attribute,
)


def is_whole_value(node: nodes.NodeNG) -> bool:
    """``node`` is itself the value that is named: the whole right-hand side of an assignment
    (not ``+=``), the returned value, a keyword argument or a dict entry's value. A positional
    argument is not: the call may build a larger value from it (``"".join(...)``, ``str(...)``).
    """
    parent = node.parent
    if isinstance(parent, (nodes.Assign, nodes.AnnAssign, nodes.NamedExpr, nodes.Return)):
        return parent.value is node
    if isinstance(parent, nodes.Keyword):
        return parent.value is node
    if isinstance(parent, nodes.Dict):
        return any(value is node for _, value in parent.items)
    return False


def purpose_names(node: nodes.NodeNG, max_up: int = 8) -> list[str]:
    """What a value is for: the names it is assigned to, passed as, or returned from.

    Walks up through the expressions that build a value from this one (string building,
    containers, calls that wrap it such as ``"".join(...)`` or ``str(...)``) and stops at the
    statement or binding that names it.
    """
    return _purpose_walk(node, max_up)[0]


def caller_purpose_names(node: nodes.NodeNG, max_up: int = 8) -> list[str]:
    """What a returned value is for where its function is called in the same module.

    When ``node`` becomes the return value of a function (through the same expressions
    ``purpose_names`` walks), these are the purpose names of each call of that function in
    its module: ``token = random_string(32)`` says what ``random_string`` returns is for.
    """
    func = _purpose_walk(node, max_up)[1]
    if func is None:
        return []
    out: list[str] = []
    for call in call_sites(func):
        out.extend(purpose_names(call, max_up))
    return out


def call_sites(func: nodes.FunctionDef) -> list[nodes.Call]:
    """Calls of ``func`` in its module: by name where the name resolves to it, and as
    ``self.name(...)`` / ``cls.name(...)`` / ``Class.name(...)`` for methods."""
    name = str(func.name)
    owner = func.parent
    out: list[nodes.Call] = []
    for call in _calls_by_callee_name(func.root()).get(name, ()):
        target = call.func
        if isinstance(target, nodes.Name) and target.name == name:
            try:
                _, bound = target.lookup(name)
            except (AttributeError, astroid.AstroidError):
                continue
            if any(b is func for b in bound):
                out.append(call)
        elif (
            isinstance(target, nodes.Attribute)
            and target.attrname == name
            and isinstance(owner, nodes.ClassDef)
            and isinstance(target.expr, nodes.Name)
        ):
            receiver = target.expr.name
            if receiver == owner.name or (
                receiver in ("self", "cls") and enclosing_class(call) is owner
            ):
                out.append(call)
    return out


_CALLS_BY_NAME: weakref.WeakKeyDictionary[nodes.NodeNG, dict[str, list[nodes.Call]]] = (
    weakref.WeakKeyDictionary()
)


def _calls_by_callee_name(module: nodes.NodeNG) -> dict[str, list[nodes.Call]]:
    """The module's calls of ``name(...)`` and ``x.name(...)``, by ``name``; built once."""
    cached = _CALLS_BY_NAME.get(module)
    if cached is None:
        cached = {}
        for call in module.nodes_of_class(nodes.Call):
            target = call.func
            if isinstance(target, nodes.Name):
                cached.setdefault(str(target.name), []).append(call)
            elif isinstance(target, nodes.Attribute):
                cached.setdefault(str(target.attrname), []).append(call)
        _CALLS_BY_NAME[module] = cached
    return cached


def enclosing_class(node: nodes.NodeNG) -> nodes.ClassDef | None:
    """The class whose body (or method bodies) holds ``node``."""
    current = node.parent
    while current is not None and not isinstance(current, nodes.ClassDef):
        current = current.parent
    return current


def _purpose_walk(node: nodes.NodeNG, max_up: int) -> tuple[list[str], nodes.FunctionDef | None]:
    """Purpose names, and the function ``node`` is returned from when the walk ends there."""
    out: list[str] = []
    returned_from: nodes.FunctionDef | None = None
    current = node
    for _ in range(max_up):
        parent = current.parent
        if parent is None:
            break
        if isinstance(parent, nodes.Keyword):
            if parent.arg:
                out.append(parent.arg)
            current = parent.parent
            if isinstance(current, nodes.Call):
                out.extend(_callee_words(current))
            break
        if isinstance(parent, (nodes.Assign, nodes.AnnAssign, nodes.AugAssign)):
            targets = parent.targets if isinstance(parent, nodes.Assign) else [parent.target]
            for target in targets:
                out.extend(_target_names(target))
            break
        if isinstance(parent, nodes.NamedExpr):
            out.extend(_target_names(parent.target))
            break
        if isinstance(parent, nodes.Return):
            func = enclosing_function(parent)
            if func is not None:
                out.append(str(func.name))
                returned_from = func
            break
        if isinstance(parent, nodes.Dict):
            for key, value in parent.items:
                if value is current and isinstance(key, nodes.Const) and isinstance(key.value, str):
                    out.append(key.value)
            current = parent
            continue
        if isinstance(parent, nodes.Call):
            if current is parent.func:
                current = parent
                continue
            out.extend(_callee_words(parent))
            current = parent
            continue
        if isinstance(parent, _PASS_THROUGH):
            current = parent
            continue
        break
    return out, returned_from


def _callee_words(call: nodes.Call) -> list[str]:
    func = call.func
    if isinstance(func, nodes.Attribute):
        return [str(func.attrname)]
    if isinstance(func, nodes.Name):
        return [str(func.name)]
    return []


def _target_names(target: nodes.NodeNG) -> list[str]:
    if isinstance(target, nodes.AssignName):
        return [str(target.name)]
    if isinstance(target, nodes.AssignAttr):
        return [str(target.attrname)]
    if isinstance(target, nodes.Subscript):
        sl = target.slice
        if isinstance(sl, nodes.Const) and isinstance(sl.value, str):
            return [sl.value]
        return _target_names(target.value) if isinstance(target.value, nodes.NodeNG) else []
    if isinstance(target, (nodes.Tuple, nodes.List)):
        return [n for elt in target.elts for n in _target_names(elt)]
    if isinstance(target, nodes.Name):
        return [str(target.name)]
    return []
