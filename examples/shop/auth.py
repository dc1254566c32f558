"""Passwords, access tokens (JWT) and one-time tokens for password resets."""

from __future__ import annotations

import functools
import hashlib
import hmac
import os
import random
import secrets
import string
import time
from collections.abc import Callable
from typing import Any, TypeVar

import jwt
from flask import abort, current_app, g, request

from .config import ACCESS_TOKEN_TTL_SECONDS

F = TypeVar("F", bound=Callable[..., Any])

PBKDF2_ITERATIONS = 600_000
_RESET_ALPHABET = string.ascii_letters + string.digits


def hash_password(password: str) -> str:
    """A salted PBKDF2-SHA256 hash in ``pbkdf2_sha256$<iterations>$<salt>$<hash>`` form."""
    salt = os.urandom(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, PBKDF2_ITERATIONS)
    return f"pbkdf2_sha256${PBKDF2_ITERATIONS}${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    """True when ``password`` matches a hash made by :func:`hash_password`."""
    try:
        scheme, iterations, salt_hex, digest_hex = stored.split("$")
    except ValueError:
        return False
    if scheme != "pbkdf2_sha256":
        return False
    digest = hashlib.pbkdf2_hmac(
        "sha256", password.encode("utf-8"), bytes.fromhex(salt_hex), int(iterations)
    )
    return hmac.compare_digest(digest.hex(), digest_hex)


def issue_access_token(user_id: int, role: str) -> str:
    """A short-lived HS256 token for the API."""
    now = int(time.time())
    claims = {
        "sub": str(user_id),
        "role": role,
        "aud": current_app.config["JWT_AUDIENCE"],
        "iat": now,
        "exp": now + ACCESS_TOKEN_TTL_SECONDS,
    }
    return jwt.encode(claims, current_app.config["JWT_SECRET"], algorithm="HS256")


def decode_access_token(token: str) -> dict[str, Any]:
    """The claims of a valid token; raises jwt.InvalidTokenError otherwise."""
    claims: dict[str, Any] = jwt.decode(
        token,
        current_app.config["JWT_SECRET"],
        algorithms=["HS256"],
        audience=current_app.config["JWT_AUDIENCE"],
        options={"require": ["exp", "sub", "aud"]},
    )
    return claims


def debug_token_claims(token: str) -> dict[str, Any]:
    """Show what a token carries, even an expired one, to help support staff debug logins."""
    claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return claims


def _bearer_token() -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        abort(401)
    return token


def login_required(view: F) -> F:
    """Reject requests without a valid access token; sets ``g.user_id`` and ``g.role``."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            claims = decode_access_token(_bearer_token())
        except jwt.InvalidTokenError:
            abort(401)
        g.user_id = int(claims["sub"])
        g.role = claims.get("role", "customer")
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def admin_required(view: F) -> F:
    """Like :func:`login_required`, and the token must carry the admin role."""

    @functools.wraps(view)
    @login_required
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if g.role != "admin":
            abort(403)
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def service_token_required(view: F) -> F:
    """For calls from the warehouse and support tools: a valid access token of any client."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            g.service = decode_access_token(_bearer_token())["sub"]
        except jwt.InvalidTokenError:
            abort(401)
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def make_password_reset_token() -> str:
    """A 32-character token for the password-reset link."""
    return "".join(random.choices(_RESET_ALPHABET, k=32))


def make_email_verification_token() -> str:
    """A URL-safe token for the e-mail confirmation link."""
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """What the database stores for a one-time token, so a leaked table reveals no live links."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
