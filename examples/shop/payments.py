"""Card payments through the provider's REST API, and shipment notifications."""

from __future__ import annotations

import logging
from typing import Any

import requests

from .config import PAYMENT_API_BASE, RECONCILIATION_API_KEY, Settings
from .utils import with_retries

log = logging.getLogger(__name__)


class PaymentError(Exception):
    """The provider refused the operation or could not be reached."""


class PaymentClient:
    """A thin client for the provider's charges and refunds endpoints."""

    def __init__(self, settings: Settings) -> None:
        self.base_url = settings.payment_api_base.rstrip("/")
        self.timeout = settings.http_timeout
        self.session = requests.Session()
        self.session.auth = (settings.payment_api_key, "")
        self.session.headers["User-Agent"] = "shop/1.4"

    def create_charge(
        self, amount_cents: int, currency: str, card_token: str, idempotency_key: str
    ) -> dict[str, Any]:
        """Charge a tokenised card; retried safely thanks to the idempotency key."""

        def send() -> requests.Response:
            return self.session.post(
                f"{self.base_url}/v1/charges",
                data={"amount": amount_cents, "currency": currency, "source": card_token},
                headers={"Idempotency-Key": idempotency_key},
                timeout=self.timeout,
            )

        try:
            response = with_retries(send, retry_on=(requests.ConnectionError, requests.Timeout))
        except requests.RequestException as exc:
            raise PaymentError("payment provider unreachable") from exc
        if response.status_code == 402:
            raise PaymentError(response.json().get("error", {}).get("message", "card declined"))
        response.raise_for_status()
        charge: dict[str, Any] = response.json()
        return charge

    def refund_charge(self, charge_id: str, amount_cents: int) -> dict[str, Any]:
        """Refund all or part of a charge."""
        response = requests.post(
            f"{self.base_url}/v1/refunds",
            data={"charge": charge_id, "amount": amount_cents},
            auth=self.session.auth,
            verify=False,
        )
        if not response.ok:
            raise PaymentError(f"refund of {charge_id} failed with HTTP {response.status_code}")
        refund: dict[str, Any] = response.json()
        return refund


def fetch_settled_payouts(since: int) -> list[dict[str, Any]]:
    """Payouts settled since ``since`` (unix time), for the nightly reconciliation."""
    response = requests.get(
        f"{PAYMENT_API_BASE}/v1/payouts",
        params={"created[gte]": str(since), "status": "paid", "limit": "100"},
        auth=(RECONCILIATION_API_KEY, ""),
        timeout=30,
    )
    response.raise_for_status()
    payouts: list[dict[str, Any]] = response.json()["data"]
    return payouts


def notify_fulfilment(settings: Settings, order_id: int, items: list[dict[str, Any]]) -> None:
    """Tell the warehouse that a paid order is ready to ship."""
    response = requests.post(settings.fulfilment_url, json={"order_id": order_id, "items": items})
    if response.status_code >= 400:
        log.error("fulfilment rejected order %s: HTTP %s", order_id, response.status_code)
        response.raise_for_status()


def charge_status(settings: Settings, charge_id: str) -> str | None:
    """The provider's status of a charge ("succeeded", "pending", "failed"), or None."""
    try:
        response = requests.get(
            f"{settings.payment_api_base}/v1/charges/{charge_id}",
            auth=(settings.payment_api_key, ""),
            timeout=settings.http_timeout,
        )
        response.raise_for_status()
        status: str = response.json()["status"]
        return status
    except Exception:
        return None


def refund_status(settings: Settings, refund_id: str) -> str | None:
    """The provider's status of a refund, or None when the provider cannot say."""
    try:
        response = requests.get(
            f"{settings.payment_api_base}/v1/refunds/{refund_id}",
            auth=(settings.payment_api_key, ""),
            timeout=settings.http_timeout,
        )
        response.raise_for_status()
        status: str = response.json()["status"]
        return status
    except requests.RequestException:
        log.warning("status of refund %s unavailable", refund_id, exc_info=True)
        return None


def payout_failure_reason(settings: Settings, payout_id: str) -> str:
    """Why the provider turned a payout down, in the words of its HTTP status."""
    response = requests.get(
        f"{settings.payment_api_base}/v1/payouts/{payout_id}", timeout=settings.http_timeout
    )
    if response.ok:
        return ""
    return response.statusText


def refund_failure_reason(settings: Settings, refund_id: str) -> str:
    """Why the provider turned a refund down, in the words of its HTTP status."""
    response = requests.get(
        f"{settings.payment_api_base}/v1/refunds/{refund_id}", timeout=settings.http_timeout
    )
    if response.ok:
        return ""
    return response.reason
