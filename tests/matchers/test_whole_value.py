"""The ``whole-value`` context condition: a matched value that is named as it is, against one
that is a part of a larger value built from it."""

from __future__ import annotations

import textwrap
from pathlib import Path

from aiscan import load_rules, scan_source
from aiscan.loader import RuleSet

HEADER = """\
id: TST903
name: whole-value
category: insecure-randomness
cwe: [330]
severity: warning
confidence: high
message: "{callee} matched"
summary: A test rule.
docs: {why: w, bad: b, good: g}
since: 0.1.0
mode: pattern
"""


def ruleset(tmp_path: Path, whole: bool) -> RuleSet:
    path = tmp_path / "whole-value.yaml"
    text = HEADER + f"patterns:\n  - call: [random.choice]\n    where: {{whole-value: {whole}}}\n"
    path.write_text(text.replace("True", "true").replace("False", "false"), encoding="utf-8")
    return load_rules([path], builtin=False)


CODE = """\
    import random

    def f(keys, alphabet, send):
        a = random.choice(keys)
        b: str = random.choice(keys)
        if (c := random.choice(keys)):
            pass
        send(key=random.choice(keys))
        d = {"key": random.choice(keys)}
        e = "".join(random.choice(alphabet) for _ in range(8))
        g = "k-" + random.choice(keys)
        h = f"{random.choice(keys)}"
        i = str(random.choice(keys))
        j = ""
        j += random.choice(alphabet)
        send(random.choice(keys))
        k = [random.choice(alphabet) for _ in range(8)]
        return random.choice(keys)
    """


def lines(rules: RuleSet) -> list[int]:
    result = scan_source(textwrap.dedent(CODE), rules=rules)
    assert not result.errors, result.errors
    return sorted(f.line for f in result.findings)


def test_whole_values_are_named_as_they_are(tmp_path: Path) -> None:
    # assignment, annotated assignment, walrus, keyword, dict value, return
    assert lines(ruleset(tmp_path, True)) == [4, 5, 6, 8, 9, 18]


def test_parts_of_a_built_value_are_not_whole(tmp_path: Path) -> None:
    # joined, concatenated, formatted, converted, +=, passed positionally, in a comprehension
    assert lines(ruleset(tmp_path, False)) == [10, 11, 12, 13, 15, 16, 17]
