"""SQLite data access: users, products, orders and one-time tokens."""

from __future__ import annotations

import hashlib
import sqlite3
import time
from pathlib import Path
from typing import IO, Any

# The only columns a client may sort orders by, mapped to their SQL.
ORDER_SORT_COLUMNS = {
    "newest": "created_at DESC",
    "oldest": "created_at ASC",
    "total": "total_cents DESC",
    "status": "status ASC, created_at DESC",
}


class Store:
    """One connection to the shop database, used for the length of a request."""

    def __init__(self, path: Path | str) -> None:
        self.conn = sqlite3.connect(str(path))
        self.conn.row_factory = sqlite3.Row
        self.conn.execute("PRAGMA foreign_keys = ON")

    def close(self) -> None:
        self.conn.close()

    def init_schema(self) -> None:
        """Create the tables that do not exist yet."""
        self.conn.executescript((Path(__file__).parent / "schema.sql").read_text("utf-8"))

    # --- users -------------------------------------------------------------------------------

    def add_user(self, email: str, password_hash: str, role: str = "customer") -> int:
        with self.conn as conn:
            cur = conn.execute(
                "INSERT INTO users (email, password_hash, role, created_at) VALUES (?, ?, ?, ?)",
                (email.lower(), password_hash, role, int(time.time())),
            )
        return int(cur.lastrowid or 0)

    def create_staff_user(self, email: str, password: str) -> int:
        """Create a back-office account for a member of staff."""
        password_hash = hashlib.sha256(password.encode("utf-8")).hexdigest()
        return self.add_user(email, password_hash, role="staff")

    def user_by_email(self, email: str) -> dict[str, Any] | None:
        row = self.conn.execute(
            "SELECT id, email, password_hash, role FROM users WHERE email = ?", (email.lower(),)
        ).fetchone()
        return dict(row) if row else None

    # --- products ----------------------------------------------------------------------------

    def search_products(
        self, term: str, sort: str, limit: int, offset: int
    ) -> list[dict[str, Any]]:
        """Active products whose name contains ``term``, sorted by the ``sort`` column."""
        rows = self.conn.execute(
            f"SELECT id, name, price_cents, stock FROM products "
            f"WHERE active = 1 AND name LIKE ? ORDER BY {sort} LIMIT ? OFFSET ?",
            (f"%{term}%", limit, offset),
        ).fetchall()
        return [dict(r) for r in rows]

    def delete_product(self, product_id: int) -> None:
        with self.conn as conn:
            conn.execute("UPDATE products SET active = 0 WHERE id = ?", (product_id,))

    def prices(self, product_ids: list[int]) -> dict[int, int]:
        """Price in cents of each active product among ``product_ids``."""
        marks = ", ".join("?" for _ in product_ids)
        rows = self.conn.execute(
            f"SELECT id, price_cents FROM products WHERE active = 1 AND id IN ({marks})",
            product_ids,
        ).fetchall()
        return {int(r["id"]): int(r["price_cents"]) for r in rows}

    # --- orders ------------------------------------------------------------------------------

    def create_order(self, user_id: int, total_cents: int) -> int:
        with self.conn as conn:
            cur = conn.execute(
                "INSERT INTO orders (user_id, total_cents, status, created_at) "
                "VALUES (?, ?, 'pending', ?)",
                (user_id, total_cents, int(time.time())),
            )
        return int(cur.lastrowid or 0)

    def mark_paid(self, order_id: int, charge_id: str) -> None:
        with self.conn as conn:
            conn.execute(
                "UPDATE orders SET status = 'paid', charge_id = ? WHERE id = ?",
                (charge_id, order_id),
            )

    def orders_for_user(
        self, user_id: int, sort: str, limit: int, offset: int
    ) -> list[dict[str, Any]]:
        """One page of a customer's orders; unknown sort keys fall back to newest first."""
        order_by = ORDER_SORT_COLUMNS.get(sort, ORDER_SORT_COLUMNS["newest"])
        rows = self.conn.execute(
            f"SELECT id, total_cents, status, created_at FROM orders "
            f"WHERE user_id = ? ORDER BY {order_by} LIMIT ? OFFSET ?",
            (user_id, limit, offset),
        ).fetchall()
        return [dict(r) for r in rows]

    def order_for_user(self, user_id: int, order_id: int) -> dict[str, Any] | None:
        """One of the customer's orders (None when it is not theirs)."""
        row = self.conn.execute(
            "SELECT id, total_cents, status, created_at FROM orders WHERE id = ? AND user_id = ?",
            (order_id, user_id),
        ).fetchone()
        return dict(row) if row else None

    # --- one-time tokens ---------------------------------------------------------------------

    def save_reset_token(self, digest: str, user_id: int, ttl_seconds: int) -> None:
        with self.conn as conn:
            conn.execute(
                "INSERT INTO reset_tokens (digest, user_id, expires_at) VALUES (?, ?, ?)",
                (digest, user_id, int(time.time()) + ttl_seconds),
            )

    # --- exports -----------------------------------------------------------------------------

    def export_paid_orders(self, out: IO[str]) -> None:
        """Every paid order as CSV lines, for the accountants' monthly export."""
        cur = self.conn.execute(
            "SELECT id, user_id, total_cents, created_at FROM orders WHERE status = 'paid'"
        )
        for row in cur.fetchall():
            out.write(f"{row['id']},{row['user_id']},{row['total_cents']},{row['created_at']}\n")

    def export_refunded_orders(self, out: IO[str]) -> None:
        """Every refunded order as CSV lines, streamed from the cursor row by row."""
        cur = self.conn.execute(
            "SELECT id, user_id, total_cents, created_at FROM orders WHERE status = 'refunded'"
        )
        for row in cur:
            out.write(f"{row['id']},{row['user_id']},{row['total_cents']},{row['created_at']}\n")
