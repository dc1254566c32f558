"""A small Flask shop: catalogue, accounts, orders and card payments.

``create_app()`` in :mod:`shop.app` builds the application; run it with
``flask --app "shop.app:create_app()" run``.

This is aiscan's demo app. It contains deliberate security defects beside their safe twins
(tests/test_examples.py lists them): do not deploy it or copy from it.
"""

from __future__ import annotations

__all__ = ["create_app"]

from .app import create_app
