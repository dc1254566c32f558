"""The SARIF 2.1.0 reporter, shaped for GitHub code scanning."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

import attrs
import sarif_om as om

from aiscan.model import (
    SEVERITY_ORDER,
    Finding,
    FlowStep,
    Location,
    Rule,
    RuleDocs,
    ScanError,
    ScanResult,
)
from aiscan.reporters._common import dump_json, read_scanned_file
from aiscan.reporters.fingerprint import EMPTY_FILE_HASH, decode_for_hash, line_hash, line_hashes

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"
TOOL_NAME = "aiscan"
INFORMATION_URI = "https://github.com/aiscan/aiscan"
SRCROOT = "%SRCROOT%"

# GitHub code scanning limits (../shared/spec/github-code-scanning-constraints.json).
MAX_RESULTS = 25_000
MAX_THREAD_FLOW_LOCATIONS = 10_000
MAX_TAGS = 10  # GitHub accepts 20 and shows 10
MAX_NAME = 255
MAX_DESCRIPTION = 1024

_PRECISION = {"high": "high", "medium": "medium", "low": "low"}
_PROBLEM_SEVERITY = {"error": "error", "warning": "warning", "note": "recommendation"}


def render_sarif(result: ScanResult) -> str:
    """``result`` as a SARIF 2.1.0 log: valid against the OASIS schema and GitHub's limits."""
    return dump_json(serialize_om(build_log(result)))


def build_log(result: ScanResult) -> Any:
    """``result`` as a ``sarif_om.SarifLog`` (serialise it with :func:`serialize_om`)."""
    rules = _rule_table(result)
    index = {rule.id: i for i, rule in enumerate(rules)}
    hashes = _LineHashes(result.root)
    notifications = [_error_notification(error) for error in result.errors]

    chosen, dropped = _within_result_limit(result)
    results = []
    for finding, suppressed in chosen:
        sarif_result, flow_cut = _result(finding, suppressed, rules, index, hashes)
        results.append(sarif_result)
        if flow_cut:
            notifications.append(
                _notification(
                    "thread-flow-truncated",
                    f"{finding.path}:{finding.line}: {finding.rule_id}: the data-flow path has "
                    f"{len(finding.flow)} steps; GitHub code scanning accepts at most "
                    f"{MAX_THREAD_FLOW_LOCATIONS}, so only the first "
                    f"{MAX_THREAD_FLOW_LOCATIONS - 1} and the last are kept",
                    level="warning",
                    location=_location(finding.location),
                )
            )
    if dropped:
        total = len(results) + dropped
        notifications.append(
            _notification(
                "results-truncated",
                f"{dropped} of {total} results were left out: GitHub code scanning accepts at "
                f"most {MAX_RESULTS} results per run, so the most severe were kept",
                level="warning",
            )
        )

    driver = _om(
        om.ToolComponent,
        name=TOOL_NAME,
        semantic_version=_version(),
        information_uri=INFORMATION_URI,
        rules=[_descriptor(rule) for rule in rules],
    )
    invocation = _om(
        om.Invocation,
        execution_successful=not result.incomplete,
        tool_execution_notifications=notifications or None,
    )
    run = _om(
        om.Run,
        tool=_om(om.Tool, driver=driver),
        invocations=[invocation],
        original_uri_base_ids={SRCROOT: _om(om.ArtifactLocation, uri=_root_uri(result.root))},
        column_kind="unicodeCodePoints",
        results=results,
        # run.properties is a property bag: free keys, which sarif_om's PropertyBag (tags only)
        # cannot hold, so it is a dict; serialize_om writes mappings as they are.
        properties={
            "environment": dict(result.environment),
            **({"targetEnvironment": dict(result.target)} if result.target else {}),
            "filesScanned": result.files_scanned,
            "suppressedCount": len(result.suppressed),
        },
    )
    return _om(om.SarifLog, schema_uri=SCHEMA_URI, version=SARIF_VERSION, runs=[run])


# --- serialising sarif_om objects -------------------------------------------------------------
#
# sarif_om's own serializer (jschema_to_python) drops every field equal to its schema default,
# so a result's explicit level "warning" would vanish. Here a field is left out only when it was
# never given: _om() builds objects with every field not passed set to None, and serialize_om()
# skips None. Defaults such as Result.kind "fail" or Region.charOffset -1 are therefore not
# written unless passed.

_FIRST_KEYS = ("$schema", "version")  # so that a reader sniffing the head sees what this is


def _om(cls: Any, **values: Any) -> Any:
    unset = {f.name: None for f in attrs.fields(cls) if f.name not in values}
    return cls(**values, **unset)


def serialize_om(value: object) -> object:
    """A sarif_om object tree as JSON-ready data, keyed by the SARIF property names."""
    cls: Any = type(value)
    if attrs.has(cls):
        out: dict[str, object] = {}
        for f in attrs.fields(cls):
            item = getattr(value, f.name)
            if item is not None:
                out[f.metadata["schema_property_name"]] = serialize_om(item)
        first = {key: out.pop(key) for key in _FIRST_KEYS if key in out}
        return {**first, **out}
    if isinstance(value, Mapping):
        return {str(key): serialize_om(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [serialize_om(item) for item in value]
    return value


# --- rules ------------------------------------------------------------------------------------


def _rule_table(result: ScanResult) -> list[Rule]:
    """The run's rules, one per id, then a stand-in for any rule a finding names but the
    result does not carry (so that every result has a ruleIndex and GitHub its metadata)."""
    table: dict[str, Rule] = {}
    for rule in result.rules:
        table.setdefault(rule.id, rule)
    for finding in (*result.findings, *result.suppressed):
        if finding.rule_id not in table:
            table[finding.rule_id] = _stand_in_rule(finding)
    return list(table.values())


def _stand_in_rule(finding: Finding) -> Rule:
    label = finding.rule_name or finding.rule_id
    return Rule(
        id=finding.rule_id,
        name=finding.rule_name,
        category=finding.category,
        cwe=finding.cwe,
        severity=finding.severity,
        confidence=finding.confidence,
        message=finding.message,
        summary=label,
        docs=RuleDocs(why=label, bad="", good=""),
        since="",
        mode="",
        spec={},
    )


def _descriptor(rule: Rule) -> Any:
    summary = _clip(rule.summary.strip() or rule.name or rule.id, MAX_DESCRIPTION)
    why = rule.docs.why.strip() or summary
    text, markdown = _help(rule)
    tags = _unique(["security", *(f"external/cwe/cwe-{n}" for n in rule.cwe), *rule.tags])
    return _om(
        om.ReportingDescriptor,
        id=rule.id,
        name=_clip(rule.name, MAX_NAME) if rule.name else None,
        short_description=_om(om.MultiformatMessageString, text=summary),
        full_description=_om(om.MultiformatMessageString, text=_clip(why, MAX_DESCRIPTION)),
        help=_om(om.MultiformatMessageString, text=text, markdown=markdown),
        default_configuration=_om(om.ReportingConfiguration, level=rule.severity),
        # Free keys in a property bag: a dict (see run.properties).
        properties={
            "tags": tags[:MAX_TAGS],
            "precision": _PRECISION[rule.confidence],
            "problem.severity": _PROBLEM_SEVERITY[rule.severity],
            "security-severity": rule.security_severity,
            "category": rule.category,
        },
    )


def _help(rule: Rule) -> tuple[str, str]:
    """The rule's documentation as plain text and as Markdown."""
    docs = rule.docs
    why = docs.why.strip() or rule.summary.strip() or rule.name or rule.id
    text = [why]
    markdown = [why]
    for heading, example in (("Example", docs.bad), ("Use instead", docs.good)):
        code = example.strip("\n")
        if not code.strip():
            continue
        # A fence longer than any run of backticks in the example, so the example cannot end it.
        fence = "`" * max([3, *(len(run) + 1 for run in re.findall("`+", code))])
        text.append(f"{heading}:\n\n" + "\n".join(f"    {line}" for line in code.split("\n")))
        markdown.append(f"## {heading}\n\n{fence}python\n{code}\n{fence}")
    if docs.references:
        refs = "\n".join(f"- {ref}" for ref in docs.references)
        text.append(f"References:\n\n{refs}")
        markdown.append(f"## References\n\n{refs}")
    return "\n\n".join(text), "\n\n".join(markdown)


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(item for item in items if item))


def _clip(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` UTF-8 bytes (so within the limit however GitHub
    counts: bytes, UTF-16 units or characters), marked with an ellipsis when cut."""
    data = text.encode("utf-8", "surrogatepass")
    if len(data) <= limit:
        return text
    ellipsis = "\u2026"
    room = limit - len(ellipsis.encode("utf-8"))
    return data[:room].decode("utf-8", "ignore") + ellipsis


# --- results ----------------------------------------------------------------------------------


def _within_result_limit(result: ScanResult) -> tuple[list[tuple[Finding, bool]], int]:
    """The results to write, in the result's order, and how many were left out.

    Past MAX_RESULTS, the kept ones are the reported findings before the suppressed ones, then
    errors before warnings before notes, then the result's own (deterministic) order.
    """
    entries = [(f, False) for f in result.findings] + [(f, True) for f in result.suppressed]
    if len(entries) <= MAX_RESULTS:
        return entries, 0
    ranked = sorted(
        range(len(entries)),
        key=lambda i: (entries[i][1], -SEVERITY_ORDER[entries[i][0].severity], i),
    )
    keep = sorted(ranked[:MAX_RESULTS])
    return [entries[i] for i in keep], len(entries) - len(keep)


class _LineHashes:
    """primaryLocationLineHash values, computed once per file."""

    def __init__(self, root: str) -> None:
        self._root = root
        self._files: dict[str, list[str] | None] = {}

    def get(self, path: str, line: int) -> str:
        if path not in self._files:
            data = read_scanned_file(self._root, path)
            self._files[path] = None if data is None else line_hashes(decode_for_hash(data))
        hashes = self._files[path]
        # An unreadable file still needs a value (GitHub requires partialFingerprints on every
        # result); the empty file's line-1 hash is fixed, so it is at least stable.
        return EMPTY_FILE_HASH if hashes is None else line_hash(hashes, line)


def _result(
    finding: Finding,
    suppressed: bool,
    rules: Sequence[Rule],
    index: Mapping[str, int],
    hashes: _LineHashes,
) -> tuple[Any, bool]:
    """The SARIF result for ``finding``, and whether its flow had to be cut."""
    rule_index = index[finding.rule_id]
    rule = rules[rule_index]
    # GitHub rejects an empty message; a blank one falls back to the rule's own words.
    text = (
        finding.message if finding.message.strip() else rule.summary.strip() or rule.name or rule.id
    )
    steps, flow_cut = _flow_within_limit(finding.flow)
    code_flows = None
    if steps:
        thread_flow = _om(om.ThreadFlow, locations=[_thread_flow_location(s) for s in steps])
        code_flows = [_om(om.CodeFlow, thread_flows=[thread_flow])]
    suppressions = None
    if suppressed:
        sup = finding.suppression
        suppressions = [
            _om(om.Suppression, kind="inSource", justification=sup.reason or None)
            if sup is not None
            else _om(om.Suppression, kind="external")
        ]
    sarif_result = _om(
        om.Result,
        rule_id=finding.rule_id,
        rule_index=rule_index,
        level=finding.severity,  # always written, even when it equals the rule's default
        message=_om(om.Message, text=text),
        locations=[_location(finding.location)],
        partial_fingerprints={
            "primaryLocationLineHash": hashes.get(finding.path, _region_lines(finding.location)[0])
        },
        code_flows=code_flows,
        suppressions=suppressions,
    )
    return sarif_result, flow_cut


def _flow_within_limit(flow: Sequence[FlowStep]) -> tuple[Sequence[FlowStep], bool]:
    """The flow, or past the limit its first steps and its last (the sink end)."""
    if len(flow) <= MAX_THREAD_FLOW_LOCATIONS:
        return flow, False
    return (*flow[: MAX_THREAD_FLOW_LOCATIONS - 1], flow[-1]), True


def _thread_flow_location(step: FlowStep) -> Any:
    message = _om(om.Message, text=step.message) if step.message else None
    return _om(om.ThreadFlowLocation, location=_location(step.location, message))


def _location(where: Location, message: Any = None) -> Any:
    start_line, end_line = _region_lines(where)
    start_column = max(1, where.column)
    end_column = max(1, where.end_column)
    if end_line == start_line:
        end_column = max(end_column, start_column)
    region = _om(
        om.Region,
        start_line=start_line,
        start_column=start_column,
        end_line=end_line,
        end_column=end_column,
    )
    physical = _om(om.PhysicalLocation, artifact_location=_artifact(where.path), region=region)
    return _om(om.Location, physical_location=physical, message=message)


def _region_lines(where: Location) -> tuple[int, int]:
    """Start and end line, kept within what SARIF allows (1-based, end not before start)."""
    start = max(1, where.line)
    return start, max(start, where.end_line)


def _artifact(path: str) -> Any:
    # quote() keeps letters, digits, "_.-~" and "/" and percent-encodes the rest as UTF-8, so
    # spaces, "%", "#", "?" and ":" (a scheme look-alike in a relative URI) are all safe.
    # surrogateescape turns a file name that is not UTF-8 back into its own bytes.
    uri = quote(path, safe="/", encoding="utf-8", errors="surrogateescape")
    return _om(om.ArtifactLocation, uri=uri, uri_base_id=SRCROOT)


def _root_uri(root: str) -> str:
    uri = Path(root).absolute().as_uri()
    return uri if uri.endswith("/") else uri + "/"


# --- notifications ----------------------------------------------------------------------------


def _error_notification(error: ScanError) -> Any:
    location = None
    if error.path:
        region = None
        if error.line > 0:
            column = error.column if error.column > 0 else None
            region = _om(om.Region, start_line=error.line, start_column=column)
        physical = _om(om.PhysicalLocation, artifact_location=_artifact(error.path), region=region)
        location = _om(om.Location, physical_location=physical)
    level = "error" if error.fatal else "warning"
    return _notification(error.kind, str(error), level=level, location=location)


def _notification(kind: str, text: str, *, level: str, location: Any = None) -> Any:
    return _om(
        om.Notification,
        descriptor=_om(om.ReportingDescriptorReference, id=kind),
        level=level,
        message=_om(om.Message, text=text),
        locations=[location] if location is not None else None,
    )


def _version() -> str:
    from aiscan._version import __version__

    return __version__
