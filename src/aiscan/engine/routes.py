"""The web endpoints of a module and the authentication guards each one is behind.

An endpoint is a Flask view (``@app.route``, ``@bp.get`` ...), a FastAPI path operation
(``@router.post`` ...), or a Django view (a function in a views module taking ``request``, an
HTTP-method handler of a class-based view). Its guards are read from the code that runs before
it and can refuse the request:

- decorators on the view (``@login_required``, ``@jwt_required()``, ``@roles_required("admin")``);
- FastAPI dependencies: ``Depends(...)``/``Security(...)`` parameters, ``dependencies=[...]`` on
  the operation, on its ``APIRouter(...)``, on ``include_router(...)`` or on ``FastAPI(...)``;
- a ``before_request`` hook registered on the same Flask app or blueprint;
- Django mixins (``LoginRequiredMixin``) and DRF ``permission_classes`` (``AllowAny`` is an
  explicit decision that the view is public).

Which names count as authentication is the caller's choice (a regular expression), so that a
rule can say it, and a project can extend it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from astroid import nodes

from aiscan.engine.context import def_line
from aiscan.engine.names import names_of
from aiscan.engine.nodeindex import module_nodes

_ROUTE_METHODS = frozenset({"get", "post", "put", "patch", "delete", "head", "options"})
_ROUTE_ATTRS = _ROUTE_METHODS | {"route", "api_route", "websocket"}
_HTTP_METHOD_HANDLERS = frozenset({"get", "post", "put", "patch", "delete"})
_DJANGO_VIEW_BASES = frozenset(
    {
        "View",
        "TemplateView",
        "DetailView",
        "ListView",
        "CreateView",
        "UpdateView",
        "DeleteView",
        "FormView",
        "APIView",
        "GenericAPIView",
        "ViewSet",
        "ModelViewSet",
        "ReadOnlyModelViewSet",
        "GenericViewSet",
    }
)
_PUBLIC_MARKERS = frozenset({"AllowAny", "csrf_exempt_public"})


@dataclass(frozen=True)
class Endpoint:
    """One endpoint: where it is, what it answers, and the guards in front of it."""

    framework: str
    function: str
    node: nodes.FunctionDef = field(compare=False, repr=False)
    line: int
    path: str
    methods: tuple[str, ...]
    group: str
    guards: tuple[str, ...]
    public_marker: str | None = None

    def is_public(self, public_regex: re.Pattern[str] | None) -> bool:
        """Public by design: marked so (AllowAny), or its path or name says so."""
        if self.public_marker:
            return True
        if public_regex is None:
            return False
        return bool(public_regex.search(self.path) or public_regex.search(str(self.node.name)))

    def describe(self) -> str:
        methods = "/".join(self.methods) if self.methods else "ANY"
        return f"{methods} {self.path}" if self.path else self.function


def endpoints(module: nodes.Module, guard_regex: re.Pattern[str]) -> list[Endpoint]:
    """The endpoints defined in ``module``, with the guards that ``guard_regex`` recognises."""
    framework = _framework(module)
    hooks = _before_request_guards(module, guard_regex)
    router_guards = _router_guards(module, guard_regex)
    out: list[Endpoint] = []
    for func in module_nodes(module, nodes.FunctionDef):
        found = _route(func, framework)
        if found is not None:
            group, path, methods, deco = found
            guards = [*_decorator_guards(func, guard_regex, skip=deco)]
            if framework == "fastapi":
                guards += _dependency_guards(func, deco, guard_regex)
                guards += router_guards.get(group, [])
            guards += hooks.get(group, [])
            out.append(
                Endpoint(
                    framework,
                    str(func.qname()),
                    func,
                    def_line(func),
                    path,
                    methods,
                    group,
                    tuple(dict.fromkeys(guards)),
                )
            )
            continue
        django = _django_view(func, module)
        if django is not None:
            group, methods, guards, marker = django
            guards = [*_decorator_guards(func, guard_regex), *guards]
            out.append(
                Endpoint(
                    "django",
                    str(func.qname()),
                    func,
                    def_line(func),
                    "",
                    methods,
                    group,
                    tuple(dict.fromkeys(g for g in guards if guard_regex.search(g))),
                    marker,
                )
            )
    return out


def _framework(module: nodes.Module) -> str:
    for imp in module_nodes(module, (nodes.Import, nodes.ImportFrom)):
        names = (
            [imp.modname or ""] if isinstance(imp, nodes.ImportFrom) else [n for n, _ in imp.names]
        )
        for name in names:
            top = name.split(".")[0]
            if top in ("fastapi", "starlette"):
                return "fastapi"
    return "flask"


def _route(
    func: nodes.FunctionDef, framework: str
) -> tuple[str, str, tuple[str, ...], nodes.Call] | None:
    """(group, path, methods, decorator) of a Flask or FastAPI route decorator."""
    for deco in func.decorators.nodes if func.decorators else []:
        if not isinstance(deco, nodes.Call) or not isinstance(deco.func, nodes.Attribute):
            continue
        attr = deco.func.attrname
        if attr not in _ROUTE_ATTRS or not (deco.args or deco.keywords):
            continue
        group = _src(deco.func.expr)
        path = ""
        if deco.args and isinstance(deco.args[0], nodes.Const):
            path = str(deco.args[0].value)
        for kw in deco.keywords or []:
            if kw.arg in ("rule", "path") and isinstance(kw.value, nodes.Const):
                path = str(kw.value.value)
        if attr in _ROUTE_METHODS:
            methods: tuple[str, ...] = (attr.upper(),)
        else:
            methods = ("GET",) if framework == "flask" and attr == "route" else ()
            for kw in deco.keywords or []:
                if kw.arg == "methods" and isinstance(kw.value, (nodes.List, nodes.Tuple)):
                    methods = tuple(
                        str(e.value).upper() for e in kw.value.elts if isinstance(e, nodes.Const)
                    )
        return group, path, methods, deco
    return None


def _decorator_guards(
    func: nodes.FunctionDef, guard_regex: re.Pattern[str], skip: nodes.NodeNG | None = None
) -> Iterator[str]:
    for deco in func.decorators.nodes if func.decorators else []:
        if deco is skip:
            continue
        target = deco.func if isinstance(deco, nodes.Call) else deco
        if _is_guard(target, guard_regex):
            yield f"@{_src(target)}"


def _dependency_guards(
    func: nodes.FunctionDef, deco: nodes.Call, guard_regex: re.Pattern[str]
) -> list[str]:
    """Depends(x)/Security(x) in the signature or in the operation's dependencies=[...]."""
    found: list[str] = []
    for kw in deco.keywords or []:
        if kw.arg == "dependencies":
            found += _depends_in(kw.value, guard_regex)
    for call in _depends_in_signature(func):
        found += _depends_in(call, guard_regex)
    return found


def _depends_in(node: nodes.NodeNG, guard_regex: re.Pattern[str]) -> list[str]:
    """The guards among the Depends(x)/Security(x) calls in ``node``, as ``Depends(x)``."""
    found: list[str] = []
    for call in _depends_calls(node):
        first = call.args[0]
        target = first.func if isinstance(first, nodes.Call) else first
        if _is_guard(target, guard_regex):
            found.append(f"{_src(call.func).rsplit('.', 1)[-1]}({_src(target)})")
    return found


def _router_guards(module: nodes.Module, guard_regex: re.Pattern[str]) -> dict[str, list[str]]:
    """dependencies=[...] given to APIRouter(...)/FastAPI(...) or to include_router(router)."""
    out: dict[str, list[str]] = {}
    for assign in module_nodes(module, nodes.Assign):
        value = assign.value
        if not isinstance(value, nodes.Call) or len(assign.targets) != 1:
            continue
        if _src(value.func).rsplit(".", 1)[-1] not in ("APIRouter", "FastAPI"):
            continue
        for kw in value.keywords or []:
            if kw.arg == "dependencies":
                out.setdefault(_src(assign.targets[0]), []).extend(
                    _depends_in(kw.value, guard_regex)
                )
    for call in module_nodes(module, nodes.Call):
        if isinstance(call.func, nodes.Attribute) and call.func.attrname == "include_router":
            if not call.args:
                continue
            for kw in call.keywords or []:
                if kw.arg == "dependencies":
                    out.setdefault(_src(call.args[0]), []).extend(
                        _depends_in(kw.value, guard_regex)
                    )
    return out


def _before_request_guards(
    module: nodes.Module, guard_regex: re.Pattern[str]
) -> dict[str, list[str]]:
    """``@bp.before_request`` hooks that can refuse a request, by app/blueprint name."""
    out: dict[str, list[str]] = {}
    for func in module_nodes(module, nodes.FunctionDef):
        for deco in func.decorators.nodes if func.decorators else []:
            target = deco.func if isinstance(deco, nodes.Call) else deco
            if not isinstance(target, nodes.Attribute) or target.attrname != "before_request":
                continue
            text = func.as_string()
            if guard_regex.search(str(func.name)) or guard_regex.search(text):
                out.setdefault(_src(target.expr), []).append(f"before_request:{func.name}")
    return out


def _django_view(
    func: nodes.FunctionDef, module: nodes.Module
) -> tuple[str, tuple[str, ...], list[str], str | None] | None:
    """(group, methods, guards, public marker) of a Django/DRF view."""
    parent = func.parent
    if isinstance(parent, nodes.ClassDef):
        if func.name not in _HTTP_METHOD_HANDLERS:
            return None
        bases = [_text(b).rsplit(".", 1)[-1] for b in parent.bases]
        if not any(b in _DJANGO_VIEW_BASES or b.endswith("Mixin") for b in bases):
            return None
        guards = [b for b in bases if b.endswith("Mixin")]
        marker = None
        for stmt in parent.body:
            if (
                isinstance(stmt, nodes.Assign)
                and any(_text(t) == "permission_classes" for t in stmt.targets)
                and isinstance(stmt.value, (nodes.List, nodes.Tuple))
            ):
                names = [_text(e).rsplit(".", 1)[-1] for e in stmt.value.elts]
                guards += [n for n in names if n not in _PUBLIC_MARKERS]
                marker = next((n for n in names if n in _PUBLIC_MARKERS), None)
        return str(module.name), (func.name.upper(),), guards, marker
    if not isinstance(parent, nodes.Module):
        return None
    if str(module.name).rsplit(".", 1)[-1] not in ("views", "api", "viewsets"):
        return None
    args = func.args.args or []
    if not args or args[0].name != "request" or func.name.startswith("_"):
        return None
    if not any(
        "django" in _text(imp) or "rest_framework" in _text(imp) for imp in _imports(module)
    ):
        return None
    marker = None
    classes: list[str] = []
    for deco in func.decorators.nodes if func.decorators else []:
        if isinstance(deco, nodes.Call) and _text(deco.func).endswith("permission_classes"):
            for arg in deco.args:
                if isinstance(arg, (nodes.List, nodes.Tuple)):
                    names = [_text(e).rsplit(".", 1)[-1] for e in arg.elts]
                    classes += [n for n in names if n not in _PUBLIC_MARKERS]
                    marker = next((n for n in names if n in _PUBLIC_MARKERS), marker)
    return str(module.name), (), classes, marker


def _imports(module: nodes.Module) -> Iterator[nodes.NodeNG]:
    yield from module_nodes(module, (nodes.Import, nodes.ImportFrom))


def _src(node: nodes.NodeNG) -> str:
    """The source text of ``node``, on one line."""
    try:
        return " ".join(str(node.as_string()).split())
    except (AttributeError, RecursionError, ValueError):
        return type(node).__name__


def _is_guard(node: nodes.NodeNG, guard_regex: re.Pattern[str]) -> bool:
    """The guard regex finds the name as written or its qualified name."""
    return bool(guard_regex.search(_src(node))) or any(
        guard_regex.search(n) for n in names_of(node)
    )


def _text(node: nodes.NodeNG) -> str:
    if isinstance(node, nodes.ImportFrom):
        return str(node.modname or "")
    if isinstance(node, nodes.Import):
        return " ".join(n for n, _ in node.names)
    names = names_of(node)
    return sorted(names)[0] if names else _src(node)


_JWT_DECODES = frozenset(
    {
        "jwt.decode",
        "jwt.api_jwt.decode",
        "jwt.PyJWT.decode",
        "jwt.api_jwt.PyJWT.decode",
        "jose.jwt.decode",
        "authlib.jose.jwt.decode",
        "authlib.jose.JsonWebToken.decode",
    }
)
_MAX_FRONT = 24


@dataclass(frozen=True)
class TokenUse:
    """What the code in front of an endpoint does with a bearer token: the verifying decode
    calls it makes (qualified name, line) and every claim name it reads."""

    decodes: tuple[tuple[str, int], ...]
    claims: frozenset[str]
    # DRF permission classes that decide more than "a token was sent" (IsAdminUser, TokenHasScope).
    authorizers: tuple[str, ...] = ()


def token_use(endpoint: Endpoint) -> TokenUse:
    """The verified token decodes and the claims read by the endpoint and by the functions in
    front of it: its decorators and FastAPI dependencies, and what those call (two levels)."""
    from astroid.util import safe_infer

    func = endpoint.node
    front: list[nodes.NodeNG] = [func]
    for expr in _front_expressions(func):
        target = expr.func if isinstance(expr, nodes.Call) else expr
        try:
            found = safe_infer(target)
        except Exception:  # noqa: BLE001 - inference failing means "not known"
            found = None
        if isinstance(found, (nodes.FunctionDef, nodes.Lambda)):
            front.append(found)
    seen: set[int] = set()
    decodes: list[tuple[str, int]] = []
    claims: set[str] = set()
    frontier = front
    for _ in range(3):
        following: list[nodes.NodeNG] = []
        for scope in frontier:
            if id(scope) in seen or len(seen) >= _MAX_FRONT:
                continue
            seen.add(id(scope))
            if scope is not func and isinstance(scope, nodes.FunctionDef):
                # A dependency's own dependencies (admin(claims=Depends(token_claims))).
                for expr in (
                    c.args[0] for d in _depends_in_signature(scope) for c in _depends_calls(d)
                ):
                    try:
                        found = safe_infer(expr)
                    except Exception:  # noqa: BLE001 - not known
                        found = None
                    if isinstance(found, nodes.FunctionDef):
                        following.append(found)
            for node in scope.nodes_of_class((nodes.Call, nodes.Subscript, nodes.Attribute)):
                if isinstance(node, nodes.Subscript):
                    if isinstance(node.slice, nodes.Const) and isinstance(node.slice.value, str):
                        claims.add(node.slice.value)
                    continue
                if isinstance(node, nodes.Attribute):
                    claims.add(str(node.attrname))
                    continue
                names = names_of(node.func)
                if names & _JWT_DECODES and _verifies(node):
                    decodes.append((sorted(names & _JWT_DECODES)[0], int(node.lineno or 0)))
                if (
                    isinstance(node.func, nodes.Attribute)
                    and node.func.attrname == "get"
                    and node.args
                    and isinstance(node.args[0], nodes.Const)
                    and isinstance(node.args[0].value, str)
                ):
                    claims.add(node.args[0].value)
                try:
                    callee = safe_infer(node.func)
                except Exception:  # noqa: BLE001 - not known
                    callee = None
                if isinstance(callee, nodes.FunctionDef) and _in_project(callee, func):
                    following.append(callee)
        frontier = following
    authorizers: tuple[str, ...] = ()
    klass = func.parent
    if isinstance(klass, nodes.ClassDef):
        # DRF: authentication_classes = [JWTAuthentication] verifies the token in the library;
        # permission_classes says whether anything beyond "authenticated" is checked.
        auth = _class_list(klass, "authentication_classes")
        if any(re.search(r"(?i)jwt|token|bearer|oauth", name) for name in auth):
            line = _class_attr_line(klass, "authentication_classes")
            decodes.append((auth[0], line))
            authorizers = tuple(
                p for p in _class_list(klass, "permission_classes") if p not in _AUTHENTICATED_ONLY
            )
    return TokenUse(tuple(sorted(set(decodes))), frozenset(claims), authorizers)


_AUTHENTICATED_ONLY = frozenset({"IsAuthenticated", "IsAuthenticatedOrReadOnly", "AllowAny"})


def _class_list(klass: nodes.ClassDef, attr: str) -> list[str]:
    for stmt in klass.body:
        if (
            isinstance(stmt, nodes.Assign)
            and any(_src(t) == attr for t in stmt.targets)
            and isinstance(stmt.value, (nodes.List, nodes.Tuple))
        ):
            return [_src(e).rsplit(".", 1)[-1] for e in stmt.value.elts]
    return []


def _class_attr_line(klass: nodes.ClassDef, attr: str) -> int:
    for stmt in klass.body:
        if isinstance(stmt, nodes.Assign) and any(_src(t) == attr for t in stmt.targets):
            return int(stmt.lineno or 0)
    return int(klass.lineno or 0)


def _front_expressions(func: nodes.FunctionDef) -> Iterator[nodes.NodeNG]:
    """Decorators, and the targets of Depends(...)/Security(...) in the signature and in the
    operation's dependencies=[...]."""
    for deco in func.decorators.nodes if func.decorators else []:
        yield deco
        if isinstance(deco, nodes.Call):
            for kw in deco.keywords or []:
                if kw.arg == "dependencies":
                    yield from (c.args[0] for c in _depends_calls(kw.value))
    yield from (c.args[0] for call in _depends_in_signature(func) for c in _depends_calls(call))


def _depends_in_signature(func: nodes.FunctionDef) -> Iterator[nodes.NodeNG]:
    """The parameter defaults and annotations, where FastAPI dependencies are declared."""
    args = func.args
    yield from (d for d in [*(args.defaults or []), *(args.kw_defaults or [])] if d is not None)
    yield from (
        a
        for a in [*(args.annotations or []), *(args.kwonlyargs_annotations or [])]
        if a is not None
    )


def _depends_calls(node: nodes.NodeNG) -> Iterator[nodes.Call]:
    """The Depends(...)/Security(...) calls in ``node`` (itself included) that name a target."""
    for call in [node, *node.nodes_of_class(nodes.Call)]:
        if isinstance(call, nodes.Call) and call.args:
            if _src(call.func).rsplit(".", 1)[-1] in ("Depends", "Security"):
                yield call


def _verifies(call: nodes.Call) -> bool:
    """A decode given a key that does not turn signature checking off."""
    has_key = len(call.args or []) >= 2 or any(
        kw.arg in ("key", "jwk") for kw in call.keywords or []
    )
    for kw in call.keywords or []:
        if kw.arg == "options" and "verify_signature" in _src(kw.value):
            if "False" in _src(kw.value):
                return False
        if kw.arg == "verify" and _src(kw.value) == "False":
            return False
    return has_key


def _in_project(callee: nodes.FunctionDef, anchor: nodes.NodeNG) -> bool:
    """A function of the scanned code (not a library's): defined in a file under the folder
    that holds the endpoint's package."""
    file = callee.root().file
    home = anchor.root().file
    if not file or not home:
        return False
    base = Path(home).resolve().parent
    while (base / "__init__.py").is_file() and base.parent != base:
        base = base.parent
    try:
        Path(file).resolve().relative_to(base)
    except ValueError:
        return False
    return "site-packages" not in file


def route_inventory(
    paths: Sequence[str | Path], guard_regex: re.Pattern[str], public_regex: re.Pattern[str] | None
) -> tuple[list[dict[str, Any]], list[tuple[str, str]]]:
    """Every endpoint under ``paths`` as a dict (for text and JSON), and the files that could
    not be read or parsed (path, why)."""
    import astroid

    from aiscan.engine.discovery import discover
    from aiscan.engine.project import module_name
    from aiscan.engine.source import SourceError, decode_source

    root = Path(os.path.commonpath([str(Path(p).resolve()) for p in paths])) if paths else Path()
    if root.is_file():
        root = root.parent
    found = discover(paths, root=root)
    problems = list(found.errors)
    rows: list[dict[str, Any]] = []
    for path in found.files:
        rel = os.path.relpath(path, root).replace(os.sep, "/")
        try:
            text = decode_source(path.read_bytes()).text
            module = _parse(text, module_name(path)[0], str(path))
        except (OSError, SourceError, astroid.AstroidSyntaxError, ValueError) as exc:
            problems.append((rel, one_line_error(exc)))
            continue
        for endpoint in endpoints(module, guard_regex):
            rows.append(
                {
                    "file": rel,
                    "line": endpoint.line,
                    "framework": endpoint.framework,
                    "group": endpoint.group,
                    "methods": list(endpoint.methods),
                    "path": endpoint.path,
                    "function": _short_name(endpoint.node),
                    "guards": list(endpoint.guards),
                    "public": endpoint.is_public(public_regex),
                }
            )
    return rows, problems


def _parse(text: str, name: str, path: str) -> nodes.Module:
    """Parse without leaving the module in astroid's cache (astroid.parse caches it by name,
    which would shadow the real module of that name for a later analysis in this process)."""
    import astroid

    cache = astroid.MANAGER.astroid_cache
    before = cache.get(name)
    try:
        return astroid.parse(text, module_name=name, path=path)
    finally:
        if before is None:
            cache.pop(name, None)
        else:
            cache[name] = before


def _short_name(func: nodes.FunctionDef) -> str:
    parent = func.parent
    if isinstance(parent, nodes.ClassDef):
        return f"{parent.name}.{func.name}"
    return str(func.name)


def one_line_error(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


__all__ = ["Endpoint", "TokenUse", "endpoints", "route_inventory", "token_use"]
