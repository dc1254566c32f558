"""Web-framework knowledge: which handler parameters carry request data, and of what type."""

from __future__ import annotations

import re

from astroid import nodes

from aiscan.engine.context import route_decorated
from aiscan.engine.names import names_of
from aiscan.engine.nodeindex import module_nodes

# Attributes of a request object that hold client-controlled data (Django, DRF, Starlette).
REQUEST_DATA_ATTRS = frozenset(
    {
        "GET",
        "POST",
        "body",
        "COOKIES",
        "META",
        "FILES",
        "headers",
        "data",
        "query_params",
        "path_params",
        "cookies",
        "args",
        "form",
        "values",
        "json",
        "path",
        "path_info",
        "query_string",
        "url",
        "full_path",
        "raw_post_data",
        "stream",
    }
)
REQUEST_DATA_METHODS = frozenset({"json", "form", "body", "get_json", "get_data", "stream"})

# Annotations that make a FastAPI parameter a non-string value after validation.
_SAFE_ANNOTATIONS = frozenset(
    {
        "int",
        "float",
        "bool",
        "complex",
        "uuid.UUID",
        "UUID",
        "datetime.datetime",
        "datetime",
        "datetime.date",
        "date",
        "datetime.time",
        "decimal.Decimal",
        "Decimal",
        "pydantic.types.PositiveInt",
        "pydantic.PositiveInt",
        "pydantic.conint",
        "ipaddress.IPv4Address",
        "ipaddress.IPv6Address",
    }
)
_NOT_DATA_ANNOTATIONS = frozenset(
    {
        "fastapi.BackgroundTasks",
        "BackgroundTasks",
        "fastapi.Response",
        "Response",
        "starlette.responses.Response",
        "sqlalchemy.orm.Session",
        "Session",
        "sqlalchemy.orm.session.Session",
        "fastapi.security.HTTPAuthorizationCredentials",
        "fastapi.WebSocket",
        "WebSocket",
    }
)
_REQUEST_ANNOTATIONS = frozenset(
    {
        "fastapi.Request",
        "Request",
        "starlette.requests.Request",
        "django.http.HttpRequest",
        "HttpRequest",
        "rest_framework.request.Request",
    }
)
_FLASK_PARAM = re.compile(
    r"<(?:(?P<conv>[a-zA-Z_]+)(?:\([^)]*\))?:)?(?P<name>[A-Za-z_][A-Za-z0-9_]*)>"
)
_SAFE_FLASK_CONVERTERS = frozenset({"int", "float", "uuid"})


def _route_paths(func: nodes.FunctionDef) -> list[str]:
    out: list[str] = []
    if func.decorators is None:
        return out
    for deco in func.decorators.nodes:
        if isinstance(deco, nodes.Call) and deco.args and isinstance(deco.args[0], nodes.Const):
            value = deco.args[0].value
            if isinstance(value, str):
                out.append(value)
    return out


def _is_fastapi_style(func: nodes.FunctionDef) -> bool:
    """FastAPI/Starlette decorators are @app.get/@router.post...; Flask uses @app.route mostly.

    Both register path parameters; what differs is that FastAPI binds query parameters too.
    """
    if func.decorators is None:
        return False
    for deco in func.decorators.nodes:
        target = deco.func if isinstance(deco, nodes.Call) else deco
        if isinstance(target, nodes.Attribute) and target.attrname in (
            "get",
            "post",
            "put",
            "patch",
            "delete",
            "api_route",
            "websocket",
        ):
            return _module_uses(func, "fastapi") or _module_uses(func, "starlette")
    return False


def _module_uses(node: nodes.NodeNG, package: str) -> bool:
    root = node.root()
    for imp in module_nodes(root, (nodes.Import, nodes.ImportFrom)):
        if isinstance(imp, nodes.ImportFrom):
            if (imp.modname or "").split(".")[0] == package:
                return True
        elif any(name.split(".")[0] == package for name, _ in imp.names):
            return True
    return False


def annotation_kind(annotation: nodes.NodeNG | None) -> str:
    """'safe' (validated non-string), 'request', 'other' (not request data) or 'data'."""
    if annotation is None:
        return "data"
    if isinstance(annotation, nodes.Subscript):
        head = names_of(annotation.value)
        base = {n.rsplit(".", 1)[-1] for n in head}
        if base & {"Annotated"}:
            inner = annotation.slice
            first = inner.elts[0] if isinstance(inner, nodes.Tuple) and inner.elts else inner
            return annotation_kind(first)
        if base & {"Optional"}:
            return annotation_kind(annotation.slice)
        if base & {"Literal"}:
            return "safe"
        if base & {"List", "list", "Sequence", "Set", "set", "Tuple", "tuple"}:
            inner = annotation.slice
            first = inner.elts[0] if isinstance(inner, nodes.Tuple) and inner.elts else inner
            return annotation_kind(first)
        return "data"
    if isinstance(annotation, nodes.BinOp) and annotation.op == "|":
        kinds = {annotation_kind(annotation.left), annotation_kind(annotation.right)}
        kinds.discard("none")
        return "data" if "data" in kinds or not kinds else kinds.pop()
    if isinstance(annotation, nodes.Const) and annotation.value is None:
        return "none"
    names = names_of(annotation)
    if names & _SAFE_ANNOTATIONS:
        return "safe"
    if names & _REQUEST_ANNOTATIONS:
        return "request"
    if names & _NOT_DATA_ANNOTATIONS:
        return "other"
    if _is_enum(annotation):
        return "safe"
    return "data"


def _is_enum(annotation: nodes.NodeNG) -> bool:
    try:
        from astroid.util import safe_infer

        inferred = safe_infer(annotation)
    except Exception:  # noqa: BLE001 - inference failing means "unknown", treated as data
        return False
    if isinstance(inferred, nodes.ClassDef):
        try:
            return any(
                a.qname() in ("enum.Enum", "enum.IntEnum", "enum.StrEnum")
                for a in inferred.ancestors()
            )
        except Exception:  # noqa: BLE001
            return False
    return False


_VALIDATING_PARAMS = frozenset({"Query", "Path", "Header", "Cookie", "Form", "Body"})
_ANCHORED = re.compile(r"^\^.*\$$|^\\A.*\\Z$", re.DOTALL)


def validated_by_pattern(node: nodes.NodeNG | None) -> bool:
    """``Query(pattern=r"^[a-z]+$")``: FastAPI rejects values the anchored pattern refuses."""
    if not isinstance(node, nodes.Call):
        return False
    if not {n.rsplit(".", 1)[-1] for n in names_of(node.func)} & _VALIDATING_PARAMS:
        return False
    for kw in node.keywords or []:
        if kw.arg in ("pattern", "regex") and isinstance(kw.value, nodes.Const):
            value = kw.value.value
            if isinstance(value, str) and _ANCHORED.match(value):
                return True
    return False


def model_class(annotation: nodes.NodeNG | None) -> nodes.ClassDef | None:
    """The class of a parameter annotated with a pydantic model or a dataclass."""
    if annotation is None or not isinstance(annotation, (nodes.Name, nodes.Attribute)):
        return None
    try:
        from astroid.util import safe_infer

        inferred = safe_infer(annotation)
    except Exception:  # noqa: BLE001 - unknown annotation: not a model
        return None
    if not isinstance(inferred, nodes.ClassDef):
        return None
    model_bases = {"pydantic.main.BaseModel", "pydantic.BaseModel", "sqlmodel.SQLModel"}
    # The bases as written (pydantic need not be installed where aiscan runs), then the
    # ancestors astroid can see (a project base class deriving from BaseModel).
    written = {n for base in inferred.bases for n in names_of(base)}
    if written & model_bases:
        return inferred
    try:
        ancestors = {a.qname() for a in inferred.ancestors()}
    except Exception:  # noqa: BLE001
        ancestors = set()
    if ancestors & model_bases:
        return inferred
    if inferred.decorators is not None and any(
        "dataclass" in n.as_string() for n in inferred.decorators.nodes
    ):
        return inferred
    return None


def field_annotation(klass: nodes.ClassDef, name: str) -> nodes.NodeNG | None:
    """The annotation of field ``name`` in a model class (or its bases)."""
    try:
        classes = [klass, *klass.ancestors()]
    except Exception:  # noqa: BLE001
        classes = [klass]
    for cls in classes:
        for stmt in cls.body:
            if (
                isinstance(stmt, nodes.AnnAssign)
                and isinstance(stmt.target, nodes.AssignName)
                and stmt.target.name == name
            ):
                annotation: nodes.NodeNG = stmt.annotation
                return annotation
    return None


def click_command(func: nodes.FunctionDef) -> bool:
    """Decorated as a click command, or with click options and arguments."""
    if func.decorators is None:
        return False
    for deco in func.decorators.nodes:
        target = deco.func if isinstance(deco, nodes.Call) else deco
        if any(n.split(".", 1)[0] == "click" for n in names_of(target)):
            return True
    return False


def handler_parameter_role(
    func: nodes.FunctionDef, param: nodes.AssignName, annotation: nodes.NodeNG | None, index: int
) -> str | None:
    """'data' when the parameter carries client data, 'request' for a request object, else None."""
    name = str(param.name)
    default = _default_of(func, param)
    if default is not None and isinstance(default, nodes.Call):
        if {n.rsplit(".", 1)[-1] for n in names_of(default.func)} & {"Depends", "Security"}:
            return None
    if route_decorated(func):
        if validated_by_pattern(default) or _annotated_with_pattern(annotation):
            return None
        kind = annotation_kind(annotation)
        if kind == "request":
            return "request"
        if kind in ("safe", "other"):
            return None
        if _is_fastapi_style(func) and model_class(annotation) is not None:
            return "model"
        if _is_fastapi_style(func):
            return "data"
        for path in _route_paths(func):
            for match in _FLASK_PARAM.finditer(path):
                if match.group("name") == name:
                    conv = match.group("conv") or "string"
                    return None if conv in _SAFE_FLASK_CONVERTERS else "data"
        if index == 0 and name == "request":
            return "request"
        return None
    if index == 0 and name == "request" and _module_uses(func, "django"):
        return "request"
    if isinstance(func.parent, nodes.ClassDef) and index == 1 and name == "request":
        return "request"
    return None


def _annotated_with_pattern(annotation: nodes.NodeNG | None) -> bool:
    if isinstance(annotation, nodes.Subscript) and isinstance(annotation.slice, nodes.Tuple):
        head = {n.rsplit(".", 1)[-1] for n in names_of(annotation.value)}
        if "Annotated" in head:
            return any(validated_by_pattern(e) for e in annotation.slice.elts[1:])
    return False


def _default_of(func: nodes.FunctionDef, param: nodes.AssignName) -> nodes.NodeNG | None:
    args = func.args
    positional = list(args.posonlyargs or []) + list(args.args or [])
    defaults = list(args.defaults or [])
    offset = len(positional) - len(defaults)
    for i, p in enumerate(positional):
        if p is param and i >= offset:
            return defaults[i - offset]
    for p, d in zip(args.kwonlyargs or [], args.kw_defaults or [], strict=False):
        if p is param:
            return d
    return None


_HTML_RESPONSE_CLASSES = frozenset(
    {"fastapi.responses.HTMLResponse", "starlette.responses.HTMLResponse", "HTMLResponse"}
)


def html_view(func: nodes.FunctionDef) -> bool:
    """A handler whose returned string is sent as an HTML page: a Flask view (Flask sends a
    returned str as text/html), or a FastAPI route declared with response_class=HTMLResponse
    (FastAPI otherwise sends a returned str as JSON)."""
    if not route_decorated(func) or func.decorators is None:
        return False
    fastapi = _module_uses(func, "fastapi") or _module_uses(func, "starlette")
    for deco in func.decorators.nodes:
        if not isinstance(deco, nodes.Call):
            continue
        for kw in deco.keywords or []:
            if kw.arg == "response_class":
                return bool(names_of(kw.value) & _HTML_RESPONSE_CLASSES)
    return not fastapi and _module_uses(func, "flask")


_NOT_TEXT_CALLS = frozenset({"str", "format", "join", "replace", "strip", "lower", "upper"})


def returned_text(value: nodes.NodeNG) -> nodes.NodeNG | None:
    """The part of a handler's ``return`` that is the response's text, or None when it is not
    text (a dict or list, which Flask sends as JSON, a response object or another call): a
    string display or a variable only ever assigned strings; ``(body, status)`` gives body."""
    if isinstance(value, nodes.Tuple):
        return returned_text(value.elts[0]) if value.elts else None
    if isinstance(value, (nodes.JoinedStr, nodes.BinOp)):
        return value
    if isinstance(value, nodes.Const):
        return value if isinstance(value.value, str) else None
    if isinstance(value, nodes.Call):
        func = value.func
        if isinstance(func, nodes.Attribute) and func.attrname in _NOT_TEXT_CALLS:
            return value
        if isinstance(func, nodes.Name) and func.name == "str":
            return value
        return None
    if isinstance(value, nodes.Name):
        try:
            _, assigns = value.lookup(value.name)
        except Exception:  # noqa: BLE001 - astroid lookups raise many kinds; unknown is not text
            return None
        if not assigns:
            return None
        for assign in assigns:
            parent = assign.parent
            if isinstance(parent, nodes.AugAssign):
                continue
            if isinstance(parent, (nodes.Assign, nodes.AnnAssign)) and parent.value is not None:
                if returned_text(parent.value) is None:
                    return None
                continue
            return None
        return value
    return None
