"""Settings for the shop, read from the environment once at start-up."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

# Payment provider account used by the nightly reconciliation job.
RECONCILIATION_API_KEY = "sk_live_f0GPd9Ejok7GLHMdoWJyVCgR"

PAYMENT_API_BASE = "https://api.payments.example.com"
ACCESS_TOKEN_TTL_SECONDS = 15 * 60
RESET_TOKEN_TTL_SECONDS = 30 * 60


@dataclass(frozen=True)
class Settings:
    """Everything the application needs to know about its surroundings."""

    database_path: Path
    jwt_secret: str
    jwt_audience: str
    payment_api_key: str
    payment_webhook_secret: str
    payment_api_base: str = PAYMENT_API_BASE
    fulfilment_url: str = "https://fulfilment.internal.example.com/v1/shipments"
    http_timeout: float = 10.0
    backup_dir: Path = Path("/var/backups/shop")
    log_file: Path = Path("/var/log/shop/app.log")
    debug: bool = False


def load_settings() -> Settings:
    """Read the settings from environment variables; secrets have no defaults."""
    return Settings(
        database_path=Path(os.environ.get("SHOP_DATABASE", "shop.db")),
        jwt_secret=os.environ["SHOP_JWT_SECRET"],
        jwt_audience=os.environ.get("SHOP_JWT_AUDIENCE", "shop-api"),
        payment_api_key=os.environ["PAYMENT_API_KEY"],
        payment_webhook_secret=os.environ["PAYMENT_WEBHOOK_SECRET"],
        payment_api_base=os.environ.get("PAYMENT_API_BASE", PAYMENT_API_BASE),
        http_timeout=float(os.environ.get("SHOP_HTTP_TIMEOUT", "10")),
        backup_dir=Path(os.environ.get("SHOP_BACKUP_DIR", "/var/backups/shop")),
        log_file=Path(os.environ.get("SHOP_LOG_FILE", "/var/log/shop/app.log")),
        debug=os.environ.get("SHOP_DEBUG") == "1",
    )
