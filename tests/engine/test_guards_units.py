"""Unit-level contracts of the guard functions in aiscan.engine.guards."""

from __future__ import annotations
