"""The JSON reporter: aiscan's own stable format, described by schemas/results.schema.json."""

from __future__ import annotations

from typing import Any

from aiscan.model import Finding, Location, Rule, ScanError, ScanResult
from aiscan.reporters._common import dump_json

#: Bumped on any change a consumer could notice (a removed or renamed key, a changed meaning).
SCHEMA_VERSION = "1"


def render_json(result: ScanResult) -> str:
    """``result`` as JSON valid against schemas/results.schema.json."""
    return dump_json(to_json_value(result))


def to_json_value(result: ScanResult) -> dict[str, Any]:
    """``result`` as JSON-ready data, in the shape of schemas/results.schema.json."""
    from aiscan._version import __version__

    by_severity = {"error": 0, "warning": 0, "note": 0}
    for finding in result.findings:
        by_severity[finding.severity] += 1
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "aiscan", "version": __version__},
        "root": result.root,
        "files_scanned": result.files_scanned,
        "incomplete": result.incomplete,
        "summary": {
            "findings": len(result.findings),
            "suppressed": len(result.suppressed),
            "errors": len(result.errors),
            "by_severity": by_severity,
        },
        "findings": [_finding(f) for f in result.findings],
        "suppressed": [_finding(f) for f in result.suppressed],
        "errors": [_error(e) for e in result.errors],
        "rules": [_rule(r) for r in result.rules],
        "environment": dict(result.environment),
        "target_environment": dict(result.target),
    }


def _span(where: Location) -> dict[str, Any]:
    return {
        "path": where.path,
        "line": where.line,
        "column": where.column,
        "end_line": where.end_line,
        "end_column": where.end_column,
    }


def _finding(finding: Finding) -> dict[str, Any]:
    sup = finding.suppression
    return {
        "rule_id": finding.rule_id,
        "rule_name": finding.rule_name,
        "category": finding.category,
        "cwe": list(finding.cwe),
        "severity": finding.severity,
        "confidence": finding.confidence,
        "message": finding.message,
        **_span(finding.location),
        "flow": [{**_span(step.location), "message": step.message} for step in finding.flow],
        "suppression": None
        if sup is None
        else {"rule_ids": list(sup.rule_ids), "reason": sup.reason, "line": sup.line},
    }


def _error(error: ScanError) -> dict[str, Any]:
    return {
        "kind": error.kind,
        "path": error.path,
        "line": error.line,
        "column": error.column,
        "message": error.message,
        "fatal": error.fatal,
    }


def _rule(rule: Rule) -> dict[str, Any]:
    return {
        "id": rule.id,
        "name": rule.name,
        "category": rule.category,
        "severity": rule.severity,
        "confidence": rule.confidence,
        "cwe": list(rule.cwe),
    }
