"""aiscan: static analysis for the defects AI coding assistants leave in Python code."""

from __future__ import annotations

from aiscan._version import __version__
from aiscan.api import UsageError, scan, scan_source
from aiscan.config import Config, ConfigError
from aiscan.loader import RuleError, RuleSet, load_rules
from aiscan.model import (
    CacheStats,
    Finding,
    FlowStep,
    Location,
    Rule,
    ScanError,
    ScanResult,
    Suppression,
)

__all__ = [
    "CacheStats",
    "Config",
    "ConfigError",
    "Finding",
    "FlowStep",
    "Location",
    "Rule",
    "RuleError",
    "RuleSet",
    "ScanError",
    "ScanResult",
    "Suppression",
    "UsageError",
    "__version__",
    "load_rules",
    "scan",
    "scan_source",
]
