"""The route inventory: each endpoint of an app and the authentication guards in front of it,
and the ``aiscan routes`` command that prints it."""

from __future__ import annotations

import json
import re
import textwrap
from collections.abc import Iterator
from pathlib import Path

import astroid
import pytest

from aiscan.cli import main
from aiscan.engine.routes import endpoints

GUARDS = re.compile(r"(?i)login_required|auth|current_user|api_key|IsAuthenticated|Mixin")


@pytest.fixture(autouse=True)
def _astroid_cache_left_as_found() -> Iterator[None]:
    """astroid.parse caches modules by name: the tests' "app" and "shop.views" must not shadow
    modules of later tests."""
    yield
    for name in ("app", "shop.views", "tokens_app"):
        astroid.MANAGER.astroid_cache.pop(name, None)


def inventory(code: str, name: str = "app") -> dict[str, tuple[str, tuple[str, ...]]]:
    module = astroid.parse(textwrap.dedent(code), module_name=name)
    return {e.node.name: (e.describe(), e.guards) for e in endpoints(module, GUARDS)}


def test_flask_decorators_methods_and_before_request_hooks() -> None:
    found = inventory(
        """
        from flask import Blueprint, Flask, abort, g
        from flask_login import login_required

        app = Flask(__name__)
        admin = Blueprint("admin", __name__)

        @app.route("/orders", methods=["GET", "POST"])
        @login_required
        def orders():
            return ""

        @app.delete("/orders/<int:oid>")
        def delete(oid):
            return ""

        @admin.before_request
        def check_auth():
            if not g.user:
                abort(401)

        @admin.get("/admin")
        def dashboard():
            return ""

        def helper():
            return ""
        """
    )
    assert found == {
        "orders": ("GET/POST /orders", ("@login_required",)),
        "delete": ("DELETE /orders/<int:oid>", ()),
        "dashboard": ("GET /admin", ("before_request:check_auth",)),
    }


def test_fastapi_dependencies_on_signature_operation_router_and_include() -> None:
    found = inventory(
        """
        from typing import Annotated
        from fastapi import APIRouter, Depends, FastAPI

        app = FastAPI()
        users = APIRouter(dependencies=[Depends(verify_api_key)])
        items = APIRouter()

        @users.get("/users")
        def list_users():
            return []

        @items.get("/items/{item_id}")
        def read_item(item_id: int, user=Depends(get_current_user)):
            return {}

        @items.put("/items/{item_id}")
        def put_item(item_id: int, user: Annotated[dict, Depends(get_current_user)]):
            return {}

        @items.delete("/items/{item_id}", dependencies=[Depends(require_auth)])
        def delete_item(item_id: int):
            return {}

        @items.post("/items")
        def create_item(payload: dict, db=Depends(get_db)):
            return {}

        app.include_router(items)
        """
    )
    assert found == {
        "list_users": ("GET /users", ("Depends(verify_api_key)",)),
        "read_item": ("GET /items/{item_id}", ("Depends(get_current_user)",)),
        "put_item": ("PUT /items/{item_id}", ("Depends(get_current_user)",)),
        "delete_item": ("DELETE /items/{item_id}", ("Depends(require_auth)",)),
        "create_item": ("POST /items", ()),
    }


DJANGO = """
        from django.contrib.auth.decorators import login_required
        from django.contrib.auth.mixins import LoginRequiredMixin
        from django.views import View
        from rest_framework.permissions import AllowAny, IsAuthenticated
        from rest_framework.views import APIView

        @login_required
        def profile(request):
            return None

        def export(request):
            return None

        def _private(request):
            return None

        class Orders(LoginRequiredMixin, View):
            def get(self, request):
                return None

            def helper(self):
                return None

        class Prices(APIView):
            permission_classes = [AllowAny]

            def get(self, request):
                return None

        class Invoices(APIView):
            permission_classes = [IsAuthenticated]

            def post(self, request):
                return None
        """


def test_django_views_mixins_and_permission_classes() -> None:
    module = astroid.parse(textwrap.dedent(DJANGO), module_name="shop.views")
    by_name = {e.function: e for e in endpoints(module, GUARDS)}
    assert {name: e.guards for name, e in by_name.items()} == {
        "shop.views.profile": ("@login_required",),
        "shop.views.export": (),
        "shop.views.Orders.get": ("LoginRequiredMixin",),
        "shop.views.Prices.get": (),
        "shop.views.Invoices.post": ("IsAuthenticated",),
    }
    assert by_name["shop.views.Prices.get"].public_marker == "AllowAny"
    assert by_name["shop.views.Invoices.post"].methods == ("POST",)


def test_django_allow_any_is_a_public_marker() -> None:
    module = astroid.parse(
        "from rest_framework.views import APIView\n"
        "from rest_framework.permissions import AllowAny\n"
        "class Prices(APIView):\n    permission_classes = [AllowAny]\n"
        "    def get(self, request):\n        return None\n",
        module_name="shop.views",
    )
    (prices,) = endpoints(module, GUARDS)
    assert prices.guards == () and prices.public_marker == "AllowAny"


def test_routes_command_text_and_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "app.py").write_text(
        "from flask import Flask\nfrom flask_login import login_required\n"
        "app = Flask(__name__)\n\n"
        "@app.get('/orders')\n@login_required\ndef orders():\n    return ''\n\n"
        "@app.post('/login')\ndef login():\n    return ''\n\n"
        "@app.delete('/orders/<int:oid>')\ndef delete(oid):\n    return ''\n"
    )
    assert main(["routes", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "GET /orders" in out and "@login_required" in out
    assert "public by design" in out and "NO GUARD" in out
    assert out.rstrip().endswith("3 endpoints, 1 without a guard")
    assert main(["routes", str(tmp_path), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    rows = {r["function"]: r for r in data["endpoints"]}
    assert rows["orders"]["guards"] == ["@login_required"] and rows["orders"]["line"] == 7
    assert rows["login"]["public"] is True and rows["delete"]["guards"] == []
    assert data["errors"] == []


def test_routes_command_reports_bad_files_and_paths(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "broken.py").write_text("def f(:\n")
    (tmp_path / "ok.py").write_text("x = 1\n")
    assert main(["routes", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "broken.py" in err
    assert main(["routes", str(tmp_path / "missing")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_token_use_follows_dependencies_and_ignores_unverified_decodes() -> None:
    from aiscan.engine.routes import token_use

    module = astroid.parse(
        textwrap.dedent(
            """
            import jwt
            from fastapi import APIRouter, Depends

            router = APIRouter()

            def claims(token: str = ""):
                return jwt.decode(token, "k", algorithms=["HS256"])

            def peek(token: str = ""):
                return jwt.decode(token, options={"verify_signature": False})

            def admin(c=Depends(claims)):
                return c["roles"]

            @router.post("/a")
            def a(c=Depends(claims)):
                return c["sub"]

            @router.post("/b")
            def b(c=Depends(peek)):
                return c

            @router.post("/c")
            def c(r=Depends(admin)):
                return r
            """
        ),
        module_name="tokens_app",
    )
    uses = {e.node.name: token_use(e) for e in endpoints(module, GUARDS)}
    assert uses["a"].decodes == (("jwt.decode", 8),) and "sub" in uses["a"].claims
    assert "roles" not in uses["a"].claims
    assert uses["b"].decodes == ()
    assert uses["c"].decodes == (("jwt.decode", 8),) and "roles" in uses["c"].claims


def test_routes_command_uses_missing_authorizations_regexes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The inventory shows what AIS302 sees: a /token endpoint is not public by design there
    (only token-scope-unchecked's own regex calls it public)."""
    (tmp_path / "app.py").write_text(
        "from flask import Flask\n"
        "app = Flask(__name__)\n\n"
        "@app.post('/token/rotate')\ndef rotate():\n    return ''\n"
    )
    assert main(["routes", str(tmp_path), "--format", "json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)["endpoints"]
    assert row["public"] is False
