"""Small helpers shared by the routes: validation, paging, ETags, retries and e-mail."""

from __future__ import annotations

import hashlib
import json
import logging
import random
import re
import smtplib
import ssl
import time
from collections.abc import Callable
from email.message import EmailMessage
from typing import Any, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
MAX_PAGE_SIZE = 100


def is_valid_email(address: str) -> bool:
    """A light syntactic check; the confirmation e-mail is the real test."""
    return len(address) <= 254 and _EMAIL.match(address) is not None


def page_bounds(page: str | None, size: str | None) -> tuple[int, int]:
    """(limit, offset) from ``?page=&size=`` query values, clamped to sane bounds."""
    try:
        page_no = max(1, int(page or 1))
        page_size = min(MAX_PAGE_SIZE, max(1, int(size or 20)))
    except ValueError:
        page_no, page_size = 1, 20
    return page_size, (page_no - 1) * page_size


def etag_for(payload: Any) -> str:
    """A cache validator for a JSON payload: equal payloads give equal ETags."""
    body = json.dumps(payload, sort_keys=True, separators=(",", ":")).encode("utf-8")
    return hashlib.md5(body).hexdigest()


def with_retries(
    action: Callable[[], T],
    *,
    attempts: int = 3,
    base_delay: float = 0.25,
    retry_on: tuple[type[Exception], ...] = (ConnectionError,),
) -> T:
    """Run ``action``, retrying transient failures with exponential backoff and jitter."""
    for attempt in range(1, attempts + 1):
        try:
            return action()
        except retry_on as exc:
            if attempt == attempts:
                raise
            delay = base_delay * 2 ** (attempt - 1) + random.uniform(0, base_delay)
            log.warning("attempt %d/%d failed (%s); retry in %.2fs", attempt, attempts, exc, delay)
            time.sleep(delay)
    raise AssertionError("unreachable")


def send_mail(host: str, sender: str, to: str, subject: str, body: str) -> None:
    """Send a plain-text e-mail through the relay at ``host`` (STARTTLS on port 587)."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    with smtplib.SMTP(host, 587, timeout=15) as smtp:
        smtp.starttls(context=ssl.create_default_context())
        smtp.send_message(message)


def display_price(price_cents: int) -> str:
    """A product's price for the storefront: "19.99 EUR"."""
    return f"{price_cents / 100:.2f} EUR"


def feed_price(price_cents: int, vat_rate: float = 0.19) -> float:
    """The gross price in euros, for the shopping feed export."""
    return price_cents / 100 * (1 + vat_rate)


def catalogue_yaml(products: list[dict[str, Any]]) -> str:
    """The catalogue as YAML, for the partner feed."""
    import yaml

    return yaml.safe_dump(products, sort_keys=True)


def catalogue_json(products: list[dict[str, Any]]) -> str:
    """The catalogue as JSON, with orjson when it happens to be installed."""
    try:
        import orjson
    except ImportError:
        return json.dumps(products, sort_keys=True)
    return orjson.dumps(products, option=orjson.OPT_SORT_KEYS).decode()
