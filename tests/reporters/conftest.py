"""Validators for the reporter tests: the official SARIF schema and aiscan's results schema."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from aiscan.resources import load_schema

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
SPEC = SHARED / "spec"

# --- RFC 3986 (Appendix A), for the "uri" and "uri-reference" formats --------------------------
# jsonschema checks these formats only when rfc3987 or rfc3986-validator is installed, and
# neither is; without a checker the formats would silently pass, so they are spelled out here.

_UNRESERVED = r"A-Za-z0-9\-._~"
_SUB_DELIMS = r"!$&'()*+,;="
_PCT = r"%[0-9A-Fa-f]{2}"
_PCHAR = rf"(?:[{_UNRESERVED}{_SUB_DELIMS}:@]|{_PCT})"
_SEGMENT = rf"{_PCHAR}*"
_SEGMENT_NZ = rf"{_PCHAR}+"
_SEGMENT_NZ_NC = rf"(?:[{_UNRESERVED}{_SUB_DELIMS}@]|{_PCT})+"
_QUERY = rf"(?:{_PCHAR}|[/?])*"
_SCHEME = r"[A-Za-z][A-Za-z0-9+\-.]*"
_USERINFO = rf"(?:[{_UNRESERVED}{_SUB_DELIMS}:]|{_PCT})*"
_IP_LITERAL = rf"\[(?:[0-9A-Fa-f:.]+|v[0-9A-Fa-f]+\.[{_UNRESERVED}{_SUB_DELIMS}:]+)\]"
_REG_NAME = rf"(?:[{_UNRESERVED}{_SUB_DELIMS}]|{_PCT})*"
_AUTHORITY = rf"(?:{_USERINFO}@)?(?:{_IP_LITERAL}|{_REG_NAME})(?::[0-9]*)?"
_PATH_ABEMPTY = rf"(?:/{_SEGMENT})*"
_PATH_ABSOLUTE = rf"/(?:{_SEGMENT_NZ}(?:/{_SEGMENT})*)?"
_PATH_ROOTLESS = rf"{_SEGMENT_NZ}(?:/{_SEGMENT})*"
_PATH_NOSCHEME = rf"{_SEGMENT_NZ_NC}(?:/{_SEGMENT})*"
_TAIL = rf"(?:\?{_QUERY})?(?:#{_QUERY})?"
_HIER = rf"(?://{_AUTHORITY}{_PATH_ABEMPTY}|{_PATH_ABSOLUTE}|{_PATH_ROOTLESS}|)"
_RELATIVE = rf"(?://{_AUTHORITY}{_PATH_ABEMPTY}|{_PATH_ABSOLUTE}|{_PATH_NOSCHEME}|)"
URI = re.compile(rf"{_SCHEME}:{_HIER}{_TAIL}")
RELATIVE_REF = re.compile(rf"{_RELATIVE}{_TAIL}")


def is_uri(value: object) -> bool:
    return not isinstance(value, str) or URI.fullmatch(value) is not None


def is_uri_reference(value: object) -> bool:
    if not isinstance(value, str):
        return True
    return URI.fullmatch(value) is not None or RELATIVE_REF.fullmatch(value) is not None


def strict_format_checker() -> jsonschema.FormatChecker:
    checker = jsonschema.FormatChecker()
    checker.checks("uri")(is_uri)
    checker.checks("uri-reference")(is_uri_reference)
    return checker


def _validator(schema: dict[str, Any]) -> Any:
    cls = jsonschema.validators.validator_for(schema)  # the draft the schema declares
    cls.check_schema(schema)
    return cls(schema, format_checker=strict_format_checker())


@pytest.fixture(scope="session")
def sarif_validator() -> Any:
    path = SPEC / "sarif-schema-2.1.0.json"
    if not path.is_file():
        pytest.skip(f"the official SARIF schema is not at {path} (../shared beside the repo)")
    return _validator(json.loads(path.read_text(encoding="utf-8")))


@pytest.fixture(scope="session")
def results_validator() -> Any:
    return _validator(load_schema("results.schema.json"))
