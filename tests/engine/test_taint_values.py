"""Unit-level contracts of the taint values and compiled taint rules in aiscan.engine.taint.

A ``Taint`` records, for each origin of a value, the guard kinds that held on each path it took;
a rule reports the origins whose guards do not make the value safe *for that rule*
(docs/writing-rules.md, "Sanitizers and guards").
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from aiscan import load_rules
from aiscan.engine.taint import (
    ALLOW_LISTED,
    BUILTIN_GUARD_KINDS,
    CONSTANT_COMPARED,
    LENGTH_CHECKED,
    REGEX_VALIDATED,
    SANITIZER_PREFIX,
    ArgSpec,
    Origin,
    Taint,
    TaintRuleSpec,
    compile_taint_rule,
    merge,
    sanitizing,
    source_label,
)
from aiscan.model import Rule

NODE_A = ("/p/app.py", 3, 4, 3, 20, "request.args['a']")
NODE_B = ("/p/app.py", 5, 4, 5, 20, "request.args['b']")
NODE_SINK = ("/p/app.py", 9, 4, 9, 30, "os.system(command)")
WEB = Origin("source", "web", NODE_A)
CLI = Origin("source", "cli", NODE_B)
PARAM = Origin("param", "command", NODE_B)
TAG = SANITIZER_PREFIX + "AIS201"

BASE_RULE: Rule = load_rules().select(["AIS201"]).rules[0]


def rule_with(spec: dict[str, Any], rule_id: str = "AIS201") -> Rule:
    return dataclasses.replace(BASE_RULE, id=rule_id, spec=spec)


MINIMAL: dict[str, Any] = {
    "sources": [{"call": ["input"]}],
    "sinks": [{"call": ["os.system"], "taint": [0]}],
}

# --- Taint values -----------------------------------------------------------------------------


def test_of_gives_every_origin_the_same_guards() -> None:
    taint = Taint.of([WEB, CLI], frozenset({ALLOW_LISTED}), frozenset({NODE_A}))
    assert taint.facts == frozenset(
        {(WEB, frozenset({ALLOW_LISTED})), (CLI, frozenset({ALLOW_LISTED}))}
    )
    assert taint.at == frozenset({NODE_A})
    assert taint.origins == frozenset({WEB, CLI})


def test_of_defaults_to_no_guards_and_no_nodes() -> None:
    taint = Taint.of([WEB])
    assert taint.facts == frozenset({(WEB, frozenset())})
    assert taint.at == frozenset()


def test_with_guard_adds_to_every_origin_and_keeps_the_nodes() -> None:
    taint = Taint(
        frozenset({(WEB, frozenset()), (CLI, frozenset({LENGTH_CHECKED}))}), frozenset({NODE_A})
    )
    guarded = taint.with_guard(ALLOW_LISTED)
    assert guarded.facts == frozenset(
        {(WEB, frozenset({ALLOW_LISTED})), (CLI, frozenset({LENGTH_CHECKED, ALLOW_LISTED}))}
    )
    assert guarded.at == frozenset({NODE_A})


def test_with_guards_adds_every_kind() -> None:
    taint = Taint.of([WEB], frozenset({LENGTH_CHECKED}), frozenset({NODE_A}))
    guarded = taint.with_guards(frozenset({ALLOW_LISTED, REGEX_VALIDATED}))
    assert guarded.facts == frozenset(
        {(WEB, frozenset({LENGTH_CHECKED, ALLOW_LISTED, REGEX_VALIDATED}))}
    )
    assert guarded.at == frozenset({NODE_A})
    assert taint.with_guards(frozenset()) == taint


def test_moved_and_at_nodes_replace_the_nodes_only() -> None:
    taint = Taint.of([WEB], frozenset({ALLOW_LISTED}), frozenset({NODE_A, NODE_B}))
    moved = taint.moved(NODE_SINK)
    assert moved.at == frozenset({NODE_SINK})
    assert moved.facts == taint.facts
    there = taint.at_nodes(frozenset({NODE_B}))
    assert there.at == frozenset({NODE_B})
    assert there.facts == taint.facts


def test_guards_of_lists_each_path_of_one_origin() -> None:
    taint = Taint(
        frozenset(
            {
                (WEB, frozenset({REGEX_VALIDATED})),
                (WEB, frozenset()),
                (CLI, frozenset({ALLOW_LISTED})),
            }
        )
    )
    assert taint.guards_of(WEB) == [frozenset(), frozenset({REGEX_VALIDATED})]
    assert taint.guards_of(CLI) == [frozenset({ALLOW_LISTED})]
    assert taint.guards_of(PARAM) == []


def test_live_keeps_the_paths_no_guard_made_safe_in_a_stable_order() -> None:
    taint = Taint(
        frozenset(
            {
                (WEB, frozenset({ALLOW_LISTED})),
                (WEB, frozenset({LENGTH_CHECKED})),
                (CLI, frozenset()),
                (CLI, frozenset({CONSTANT_COMPARED})),
            }
        )
    )
    assert taint.live(frozenset(), TAG) == [
        (CLI, frozenset()),
        (WEB, frozenset({LENGTH_CHECKED})),
    ]
    assert taint.live(frozenset({CONSTANT_COMPARED}), TAG) == [
        (CLI, frozenset()),
        (CLI, frozenset({CONSTANT_COMPARED})),
        (WEB, frozenset({LENGTH_CHECKED})),
    ]


def test_guards_of_and_live_do_not_depend_on_set_order() -> None:
    """Findings are built from these lists: their order must not depend on the hash seed.

    Guard sets that are not subsets of one another have no order of their own, so both
    lists are sorted by the sorted kinds of each set.
    """
    kinds = [SANITIZER_PREFIX + f"AIS9{i:02d}" for i in range(8)]
    taint = Taint(frozenset((WEB, frozenset({kind})) for kind in reversed(kinds)))
    assert taint.guards_of(WEB) == [frozenset({kind}) for kind in kinds]
    assert taint.live(frozenset(), TAG) == [(WEB, frozenset({kind})) for kind in kinds]


# --- sanitizing -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("guards", "ignore", "safe"),
    [
        (set(), set(), False),
        ({ALLOW_LISTED}, set(), True),
        ({REGEX_VALIDATED}, set(), True),
        # A length check records that a check happened; it does not vet the content.
        ({LENGTH_CHECKED}, set(), False),
        ({LENGTH_CHECKED}, {ALLOW_LISTED}, False),
        # A rule may say a kind does not make data safe for it.
        ({CONSTANT_COMPARED}, {CONSTANT_COMPARED}, False),
        ({CONSTANT_COMPARED, ALLOW_LISTED}, {CONSTANT_COMPARED}, True),
        ({LENGTH_CHECKED, CONSTANT_COMPARED}, {CONSTANT_COMPARED}, False),
        # A sanitizer call is clean for the rule that lists it, and only for that rule.
        ({TAG}, set(), True),
        ({SANITIZER_PREFIX + "AIS202"}, set(), False),
        ({SANITIZER_PREFIX + "AIS202", TAG}, set(), True),
        ({SANITIZER_PREFIX + "AIS202", LENGTH_CHECKED}, set(), False),
        ({SANITIZER_PREFIX + "AIS202", ALLOW_LISTED}, set(), True),
    ],
)
def test_sanitizing(guards: set[str], ignore: set[str], safe: bool) -> None:
    assert sanitizing(frozenset(guards), frozenset(ignore), TAG) is safe


# --- merge ------------------------------------------------------------------------------------


def test_merge_of_nothing_is_nothing() -> None:
    assert merge([]) is None
    assert merge([None, None]) is None


def test_merge_of_one_value_is_that_value() -> None:
    taint = Taint.of([WEB], frozenset({ALLOW_LISTED}), frozenset({NODE_A}))
    assert merge([None, taint, None]) is taint


def test_merge_keeps_every_origin_with_every_paths_guards_and_nodes() -> None:
    guarded = Taint.of([WEB], frozenset({ALLOW_LISTED}), frozenset({NODE_A}))
    raw = Taint.of([WEB, CLI], frozenset(), frozenset({NODE_B}))
    merged = merge([guarded, None, raw])
    assert merged == Taint(
        frozenset({(WEB, frozenset({ALLOW_LISTED})), (WEB, frozenset()), (CLI, frozenset())}),
        frozenset({NODE_A, NODE_B}),
    )
    # The unguarded path of WEB keeps it live after the join.
    assert [o for o, _ in merged.live(frozenset(), TAG)] == [CLI, WEB]


# --- ArgSpec ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "spec"),
    [
        (0, ArgSpec(position=0)),
        (2, ArgSpec(position=2)),
        ("1", ArgSpec(position=1)),
        ("args", ArgSpec(keyword="args")),
        ("receiver", ArgSpec(receiver=True)),
        ("0[0]", ArgSpec(position=0, item=0)),
        ("12[3]", ArgSpec(position=12, item=3)),
        ("args[1]", ArgSpec(keyword="args", item=1)),
        ("receiver[2]", ArgSpec(receiver=True, item=2)),
    ],
)
def test_arg_spec_parse(raw: object, spec: ArgSpec) -> None:
    assert ArgSpec.parse(raw) == spec


# --- source labels ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("item", "label"),
    [
        ({"label": "web input", "call": ["input"]}, "web input"),
        ({"call": ["input", "sys.stdin.read"]}, "call:input,sys.stdin.read"),
        ({"attribute": ["sys.argv"]}, "attribute:sys.argv"),
        ({"parameter": {"framework": "flask"}}, "parameter:flask"),
        ({"parameter": {}}, "parameter:any"),
        ({}, "parameter:any"),
    ],
)
def test_source_label(item: dict[str, Any], label: str) -> None:
    assert source_label(item) == label


# --- compile_taint_rule -----------------------------------------------------------------------


def test_compile_sources() -> None:
    spec = compile_taint_rule(
        rule_with(
            {
                "sources": [
                    {"call": ["input", "sys.stdin.read"]},
                    {"attribute": ["sys.argv"], "label": "argv"},
                    {"parameter": {"framework": "fastapi"}},
                    {"parameter": {}},
                ],
                "sinks": MINIMAL["sinks"],
            }
        )
    )
    call, attribute, fastapi, anything = spec.sources
    assert (call.kind, call.label, call.raw_names) == (
        "call",
        "call:input,sys.stdin.read",
        ("input", "sys.stdin.read"),
    )
    assert call.names is not None
    assert call.names.exact == {"input", "sys.stdin.read"}
    assert (attribute.kind, attribute.label, attribute.raw_names) == (
        "attribute",
        "argv",
        ("sys.argv",),
    )
    assert attribute.names is not None
    assert attribute.names.exact == {"sys.argv"}
    assert (fastapi.kind, fastapi.label, fastapi.framework, fastapi.names) == (
        "parameter",
        "parameter:fastapi",
        "fastapi",
        None,
    )
    assert (anything.kind, anything.framework) == ("parameter", "any")


def test_compile_sinks() -> None:
    spec = compile_taint_rule(
        rule_with(
            {
                "sources": MINIMAL["sources"],
                "sinks": [
                    {"call": ["os.system", "os.popen"], "taint": [0]},
                    {
                        "call": ["subprocess.run"],
                        "taint": ["0[0]", "args"],
                        "args": [{"keyword": "shell", "value": {"equals": True}}],
                        "label": "shell run",
                    },
                    {"call": ["eval"]},
                ],
            }
        )
    )
    system, run, evaluate = spec.sinks
    assert system.names.exact == {"os.system", "os.popen"}
    assert system.taint == (ArgSpec(position=0),)
    assert system.label == "os.system"
    assert system.args == []
    assert system.raw["call"] == ["os.system", "os.popen"]
    assert run.taint == (ArgSpec(position=0, item=0), ArgSpec(keyword="args"))
    assert run.label == "shell run"
    assert [a.keyword for a in run.args] == ["shell"]
    assert evaluate.taint == ()
    assert evaluate.label == "eval"


def test_compile_sanitizers_and_guards() -> None:
    spec = compile_taint_rule(
        rule_with(
            {
                **MINIMAL,
                "sanitizers": [{"call": ["shlex.quote"]}, {"call": ["pipes.quote", "q"]}],
                "guards": {
                    "builtin": False,
                    "ignore-kinds": ["constant-compared", "allow-listed"],
                    "require-kind": "length-checked",
                },
            }
        )
    )
    assert spec.sanitizers is not None
    assert spec.sanitizers.exact == {"shlex.quote", "pipes.quote", "q"}
    # builtin: false means no built-in guard kind makes a value safe for this rule.
    assert spec.ignore_kinds >= frozenset({CONSTANT_COMPARED, ALLOW_LISTED})
    assert spec.ignore_kinds >= BUILTIN_GUARD_KINDS
    assert spec.require_kind == LENGTH_CHECKED
    assert spec.builtin_guards is False


def test_compile_defaults() -> None:
    spec = compile_taint_rule(rule_with(MINIMAL, rule_id="AIS999"))
    assert spec.sanitizers is None
    assert spec.ignore_kinds == frozenset()
    assert spec.require_kind is None
    assert spec.builtin_guards is True
    assert spec.sanitizer_tag == SANITIZER_PREFIX + "AIS999"
    assert spec.rule.id == "AIS999"


# --- TaintRuleSpec.accepts --------------------------------------------------------------------


def spec_for(guards: dict[str, Any] | None = None) -> TaintRuleSpec:
    body: dict[str, Any] = {
        "sources": [{"call": ["input"], "label": "web"}],
        "sinks": MINIMAL["sinks"],
    }
    if guards is not None:
        body["guards"] = guards
    return compile_taint_rule(rule_with(body))


def test_accepts_only_the_rules_own_unguarded_sources() -> None:
    spec = spec_for()
    taint = Taint(
        frozenset(
            {
                (WEB, frozenset()),
                (WEB, frozenset({ALLOW_LISTED})),
                (CLI, frozenset()),  # another rule's source
                (PARAM, frozenset()),  # a parameter of a summarised function, not a source
            }
        )
    )
    assert spec.accepts(taint) == [(WEB, frozenset())]
    assert spec.accepts(Taint.of([WEB], frozenset({TAG}))) == []
    assert spec.accepts(Taint.of([WEB], frozenset({LENGTH_CHECKED}))) == [
        (WEB, frozenset({LENGTH_CHECKED}))
    ]


def test_accepts_with_ignored_kinds() -> None:
    spec = spec_for({"ignore-kinds": [CONSTANT_COMPARED]})
    taint = Taint.of([WEB], frozenset({CONSTANT_COMPARED}))
    assert spec.accepts(taint) == [(WEB, frozenset({CONSTANT_COMPARED}))]
    assert spec.accepts(taint.with_guard(ALLOW_LISTED)) == []


def test_accepts_with_a_required_kind() -> None:
    """``require-kind: length-checked`` reports input checked only for its length."""
    spec = spec_for({"require-kind": LENGTH_CHECKED})
    assert spec.accepts(Taint.of([WEB])) == []
    assert spec.accepts(Taint.of([WEB], frozenset({LENGTH_CHECKED}))) == [
        (WEB, frozenset({LENGTH_CHECKED}))
    ]
    assert spec.accepts(Taint.of([WEB], frozenset({LENGTH_CHECKED, ALLOW_LISTED}))) == []


def test_an_origin_seen_along_many_paths_keeps_few_facts() -> None:
    """Text interpolated at many places (and guards on many paths) must not multiply an origin's
    facts without bound: past the bound they become one fact with the guards every path had."""
    from aiscan.engine.taint import MAX_FACTS_PER_ORIGIN, text_tag

    paths = [
        Taint.of([WEB], frozenset({ALLOW_LISTED, text_tag(f"p{i} ", "")}), frozenset({NODE_A}))
        for i in range(3 * MAX_FACTS_PER_ORIGIN)
    ]
    paths.append(Taint.of([WEB], frozenset({text_tag("unguarded ", "")}), frozenset({NODE_A})))
    paths.append(Taint.of([CLI], frozenset({ALLOW_LISTED}), frozenset({NODE_B})))
    joined = merge(paths)
    assert joined is not None
    web = joined.guards_of(WEB)
    assert len(web) == 1
    # One path had no allow-list: the joined fact is not safe.
    assert ALLOW_LISTED not in web[0]
    assert joined.live(frozenset(), "sanitizer:X") != []
    # Origins under the bound keep their own facts.
    assert joined.guards_of(CLI) == [frozenset({ALLOW_LISTED})]
