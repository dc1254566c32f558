"""Unit-level contracts of the taint values and compiled taint rules in aiscan.engine.taint."""

from __future__ import annotations
