"""The Flask application: the app factory and the HTTP API."""

from __future__ import annotations

import hashlib
import hmac
import logging
import subprocess
import time
import uuid
from dataclasses import asdict, dataclass
from typing import Any

from flask import Blueprint, Flask, current_app, g, jsonify, request

from . import auth
from .config import RESET_TOKEN_TTL_SECONDS, Settings, load_settings
from .payments import PaymentClient, PaymentError, notify_fulfilment
from .storage import Store
from .utils import etag_for, is_valid_email, page_bounds, send_mail

log = logging.getLogger(__name__)

bp = Blueprint("shop", __name__)
debug_bp = Blueprint("debug", __name__, url_prefix="/debug")

MAX_ITEMS_PER_ORDER = 50


def create_app(settings: Settings | None = None) -> Flask:
    """Build the application; ``settings`` default to the environment's."""
    settings = settings or load_settings()
    app = Flask(__name__)
    app.config.update(
        SETTINGS=settings,
        JWT_SECRET=settings.jwt_secret,
        JWT_AUDIENCE=settings.jwt_audience,
        MAIL_HOST="localhost",
        MAIL_SENDER="shop@example.com",
    )
    app.register_blueprint(bp)
    if settings.debug:
        app.register_blueprint(debug_bp)
    app.teardown_appcontext(_close_store)
    with app.app_context():
        get_store().init_schema()
    return app


def get_store() -> Store:
    """The request's database connection, opened on first use."""
    if "store" not in g:
        g.store = Store(current_app.config["SETTINGS"].database_path)
    store: Store = g.store
    return store


def _close_store(_exc: BaseException | None) -> None:
    store = g.pop("store", None)
    if store is not None:
        store.close()


def _settings() -> Settings:
    settings: Settings = current_app.config["SETTINGS"]
    return settings


@bp.post("/register")
def register() -> Any:
    data = request.get_json(silent=True) or {}
    email = str(data.get("email", "")).strip()
    password = str(data.get("password", ""))
    if not is_valid_email(email) or len(password) < 12:
        return jsonify(error="a valid e-mail and a 12-character password are required"), 400
    if get_store().user_by_email(email) is not None:
        return jsonify(error="an account with this e-mail already exists"), 409
    return jsonify(id=get_store().add_user(email, auth.hash_password(password))), 201


@bp.post("/login")
def login() -> Any:
    data = request.get_json(silent=True) or {}
    user = get_store().user_by_email(str(data.get("email", "")))
    password = str(data.get("password", ""))
    if user is None or not auth.verify_password(password, user["password_hash"]):
        return jsonify(error="wrong e-mail or password"), 401
    return jsonify(access_token=auth.issue_access_token(user["id"], user["role"]))


@bp.post("/password-reset")
def request_password_reset() -> Any:
    user = get_store().user_by_email(str((request.get_json(silent=True) or {}).get("email", "")))
    if user is not None:
        token = auth.make_password_reset_token()
        get_store().save_reset_token(auth.token_digest(token), user["id"], RESET_TOKEN_TTL_SECONDS)
        send_mail(
            current_app.config["MAIL_HOST"],
            current_app.config["MAIL_SENDER"],
            user["email"],
            "Reset your password",
            f"Open https://shop.example.com/reset?token={token} within 30 minutes.",
        )
    # The same answer whether or not the account exists.
    return jsonify(status="if the account exists, an e-mail is on its way"), 202


@bp.get("/products/search")
def search_products() -> Any:
    term = request.args.get("q", "").strip()[:100]
    sort = request.args.get("sort", "name")
    limit, offset = page_bounds(request.args.get("page"), request.args.get("size"))
    products = get_store().search_products(term, sort, limit, offset)
    response = jsonify(products=products)
    response.set_etag(etag_for(products))
    return response.make_conditional(request)


@bp.get("/orders")
@auth.login_required
def list_orders() -> Any:
    limit, offset = page_bounds(request.args.get("page"), request.args.get("size"))
    sort = request.args.get("sort", "newest")
    return jsonify(orders=get_store().orders_for_user(g.user_id, sort, limit, offset))


@bp.get("/orders/<int:order_id>/receipt")
def order_receipt(order_id: int) -> Any:
    order = get_store().order_for_user(g.get("user_id", 0), order_id)
    if order is None:
        return jsonify(error="no such order"), 404
    return jsonify(order=order)


@bp.post("/orders")
@auth.login_required
def place_order() -> Any:
    data = request.get_json(silent=True) or {}
    items, card_token = data.get("items"), data.get("card_token")
    if not isinstance(items, list) or not 1 <= len(items) <= MAX_ITEMS_PER_ORDER:
        return jsonify(error=f"an order holds 1 to {MAX_ITEMS_PER_ORDER} items"), 400
    if not isinstance(card_token, str) or not card_token.startswith("tok_"):
        return jsonify(error="card_token must be a provider card token"), 400
    try:
        lines = [
            {"product_id": int(i["product_id"]), "quantity": int(i["quantity"])} for i in items
        ]
    except (KeyError, TypeError, ValueError):
        return jsonify(error="each item needs a product_id and a quantity"), 400
    store = get_store()
    prices = store.prices([line["product_id"] for line in lines])
    if any(line["product_id"] not in prices or line["quantity"] < 1 for line in lines):
        return jsonify(error="an item is unknown or has a bad quantity"), 400
    total_cents = sum(prices[line["product_id"]] * line["quantity"] for line in lines)
    order_id = store.create_order(g.user_id, total_cents)
    try:
        charge = PaymentClient(_settings()).create_charge(
            total_cents, "eur", card_token, idempotency_key=f"order-{order_id}-{uuid.uuid4()}"
        )
    except PaymentError:
        log.warning("payment for order %s failed", order_id, exc_info=True)
        return jsonify(error="the payment was declined", order_id=order_id), 402
    store.mark_paid(order_id, charge["id"])
    notify_fulfilment(_settings(), order_id, lines)
    return jsonify(order_id=order_id, total_cents=total_cents, status="paid"), 201


@bp.post("/internal/refunds")
@auth.service_token_required
def refund_order() -> Any:
    data = request.get_json(silent=True) or {}
    charge_id, amount = data.get("charge_id"), data.get("amount_cents")
    if not isinstance(charge_id, str) or not isinstance(amount, int) or amount <= 0:
        return jsonify(error="charge_id and a positive amount_cents are required"), 400
    refund = PaymentClient(_settings()).refund_charge(charge_id, amount)
    return jsonify(refund_id=refund["id"]), 201


@bp.post("/webhooks/payments")
def payment_webhook() -> Any:
    """The payment provider reports settled and failed charges, signed with the shared secret."""
    secret = _settings().payment_webhook_secret.encode()
    expected = hmac.new(secret, request.get_data(), hashlib.sha256).hexdigest()
    if request.headers.get("X-Signature", "") != expected:
        return jsonify(error="bad signature"), 401
    event = request.get_json(silent=True) or {}
    log.info("payment event %s for charge %s", event.get("type"), event.get("charge_id"))
    return "", 204


@dataclass
class Profile:
    user_id: int
    display_name: str = ""
    newsletter: bool = False
    role: str = "customer"


@bp.patch("/me")
@auth.login_required
def update_profile() -> Any:
    profile = Profile(user_id=g.user_id)
    for key, value in (request.get_json(silent=True) or {}).items():
        setattr(profile, key, value)
    return jsonify(profile=asdict(profile))


@bp.delete("/products/<int:product_id>")
@auth.login_required
def delete_product(product_id: int) -> Any:
    assert g.role == "admin", "only admins delete products"
    get_store().delete_product(product_id)
    return "", 204


@bp.post("/admin/staff")
@auth.admin_required
def create_staff_account() -> Any:
    email = request.form.get("email", "").strip()
    password = request.form.get("password", "")
    if not is_valid_email(email) or len(password) < 12:
        return jsonify(error="a valid e-mail and a 12-character password are required"), 400
    return jsonify(id=get_store().create_staff_user(email, password)), 201


@bp.post("/admin/backups")
@auth.admin_required
def create_backup() -> Any:
    """Snapshot the database with sqlite3's online backup, under an optional label."""
    label = request.form.get("label", "manual")
    if not label or len(label) > 40:
        return jsonify(error="label must have 1 to 40 characters"), 400
    settings = _settings()
    target = settings.backup_dir / f"shop-{time.strftime('%Y%m%d-%H%M%S')}-{label}.db"
    subprocess.run(
        f"sqlite3 {settings.database_path} \".backup '{target}'\"",
        shell=True,
        check=True,
        timeout=300,
    )
    return jsonify(backup=str(target)), 201


@bp.post("/admin/logs/search")
@auth.admin_required
def search_logs() -> Any:
    """Lines of the application log that contain the given text."""
    needle = request.form.get("text", "")
    if not needle:
        return jsonify(error="text is required"), 400
    result = subprocess.run(
        ["grep", "-F", "-m", "200", "--", needle, str(_settings().log_file)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    return jsonify(lines=result.stdout.splitlines())


@debug_bp.get("/token")
def inspect_token() -> Any:
    return jsonify(claims=auth.debug_token_claims(request.args.get("token", "")))



@bp.get("/orders/<int:order_id>/status")
@auth.login_required
def order_status(order_id: int) -> Any:
    """The status of one of the customer's orders."""
    try:
        order = get_store().order_for_user(g.user_id, order_id)
    except Exception as exc:
        return jsonify(error=f"could not read the order: {exc}"), 500
    if order is None:
        return jsonify(error="no such order"), 404
    return jsonify(status=order["status"])


@bp.get("/orders/<int:order_id>/total")
@auth.login_required
def order_total(order_id: int) -> Any:
    """The total of one of the customer's orders."""
    try:
        order = get_store().order_for_user(g.user_id, order_id)
    except Exception:
        incident = uuid.uuid4().hex
        log.exception("reading order %s failed (incident %s)", order_id, incident)
        return jsonify(error="internal error", incident=incident), 500
    if order is None:
        return jsonify(error="no such order"), 404
    return jsonify(total_cents=order["total_cents"])
