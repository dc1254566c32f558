"""primaryLocationLineHash: GitHub's vectors, and agreement with a literal port of its code."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aiscan.reporters.fingerprint import (
    EMPTY_FILE_HASH,
    decode_for_hash,
    line_hash,
    line_hashes,
)

VECTORS = (
    Path(__file__).resolve().parents[2].parent
    / "shared"
    / "spec"
    / "github-primaryLocationLineHash-vectors.json"
)


def _vector_cases() -> list[Any]:
    if not VECTORS.is_file():
        reason = f"GitHub's primaryLocationLineHash vectors are not at {VECTORS}"
        return [pytest.param(None, marks=pytest.mark.skip(reason=reason), id="no-vectors")]
    data = json.loads(VECTORS.read_text(encoding="utf-8"))
    return [pytest.param(case, id=f"case{i}") for i, case in enumerate(data["cases"])]


@pytest.mark.parametrize("case", _vector_cases())
def test_every_github_vector_hashes_exactly(case: dict[str, Any]) -> None:
    assert line_hashes(case["input"]) == case["expected"]


def test_vectors_describe_the_algorithm_implemented() -> None:
    if not VECTORS.is_file():
        pytest.skip(f"GitHub's primaryLocationLineHash vectors are not at {VECTORS}")
    algorithm = json.loads(VECTORS.read_text(encoding="utf-8"))["algorithm"]
    assert (algorithm["window"], algorithm["base"]) == (100, 37)
    assert algorithm["modulus"] == "2^64 (unsigned 64-bit wraparound)"


def test_the_empty_file_value_is_the_vector_for_an_empty_file() -> None:
    assert EMPTY_FILE_HASH == "c129715d7a2bc9a3:1"


def test_a_line_outside_the_file_gets_the_empty_file_value() -> None:
    hashes = line_hashes("a = 1\nb = 2")
    assert line_hash(hashes, 2) == hashes[1]
    assert line_hash(hashes, 0) == EMPTY_FILE_HASH
    assert line_hash(hashes, 3) == EMPTY_FILE_HASH


def test_invalid_utf8_becomes_replacement_characters_as_in_node() -> None:
    assert decode_for_hash(b"a\xffb\n") == "a\ufffdb\n"
    # A BOM is part of the text for codeql-action (Node keeps it), so it changes line 1.
    assert decode_for_hash(b"\xef\xbb\xbfx") == "\ufeffx"


# --- a line-by-line port of codeql-action src/fingerprints.ts (hash()), as the reference -------

_MOD = 1 << 64


def _reference(text: str) -> list[str]:
    window = [0] * 100
    line_numbers = [-1] * 100
    state = {"hash": 0, "index": 0, "line": 0, "line_start": True, "prev_cr": False}
    first_mod = pow(37, 100, _MOD)
    counts: dict[str, int] = {}
    out: dict[int, str] = {}

    def output_hash() -> None:
        value = format(state["hash"], "x")
        counts[value] = counts.get(value, 0) + 1
        out[line_numbers[state["index"]]] = f"{value}:{counts[value]}"
        line_numbers[state["index"]] = -1

    def update_hash(current: int) -> None:
        begin = window[state["index"]]
        window[state["index"]] = current
        state["hash"] = (37 * state["hash"] + current - first_mod * begin) % _MOD
        state["index"] = (state["index"] + 1) % 100

    def process(current: int) -> None:
        if current in (0x20, 0x09) or (state["prev_cr"] and current == 0x0A):
            state["prev_cr"] = False
            return
        if current == 0x0D:
            current = 0x0A
            state["prev_cr"] = True
        else:
            state["prev_cr"] = False
        if line_numbers[state["index"]] != -1:
            output_hash()
        if state["line_start"]:
            state["line_start"] = False
            state["line"] += 1
            line_numbers[state["index"]] = state["line"]
        if current == 0x0A:
            state["line_start"] = True
        update_hash(current)

    data = text.encode("utf-16-le", "surrogatepass")
    for i in range(0, len(data), 2):
        process(int.from_bytes(data[i : i + 2], "little"))
    process(65535)
    for _ in range(100):
        if line_numbers[state["index"]] != -1:
            output_hash()
        update_hash(0)
    return [out[n] for n in sorted(out)]


def test_the_reference_port_agrees_with_the_vectors() -> None:
    if not VECTORS.is_file():
        pytest.skip(f"GitHub's primaryLocationLineHash vectors are not at {VECTORS}")
    for case in json.loads(VECTORS.read_text(encoding="utf-8"))["cases"]:
        assert _reference(case["input"]) == case["expected"]


_TRICKY = st.sampled_from([" ", "\t", "\r", "\n", "\r\n", "x", "é", "名", "😀", "\ud800", "\uffff"])


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(_TRICKY, st.text(max_size=30)), max_size=60).map("".join))
def test_matches_the_port_on_any_text(text: str) -> None:
    # Non-ASCII (two UTF-16 units for an astral character), a lone surrogate, blank runs,
    # CR / LF / CRLF mixes, lines longer than the window: the vectors cover none of these.
    assert line_hashes(text) == _reference(text)
