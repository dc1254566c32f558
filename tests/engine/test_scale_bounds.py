"""What bounds the taint engine's work and memory on large real code: a function's summary holds
each (rule, parameter, sink, guards) once however often it is reached, guard sets and sinks are
capped with a note, and long flow paths keep both ends."""

from __future__ import annotations

import textwrap
from pathlib import Path

import astroid
import pytest
from astroid.builder import AstroidBuilder

from aiscan import load_rules
from aiscan.engine import dataflow
from aiscan.engine.summaries import (
    MAX_GUARD_SETS_PER_SINK,
    MAX_PATH_STEPS,
    MAX_SINKS_PER_SUMMARY,
    Summary,
    SummarySink,
    TaintEngine,
    _joined,
)
from aiscan.engine.taint import (
    LENGTH_AT,
    LENGTH_CHECKED,
    MAX_LENGTH_LINES,
    Origin,
    Taint,
    compile_taint_rule,
    merge,
    work_done,
)
from aiscan.model import Finding, FlowStep, Location


def key(line: int, text: str = "x") -> tuple[str, int, int, int, int, str]:
    return ("/p/app.py", line, 0, line, 1, text)


def sink(guards: frozenset[str], path_len: int = 2, line: int = 9, param: str = "x") -> SummarySink:
    path = (*(key(i) for i in range(1, path_len)), key(line, "sink"))
    return SummarySink("AIS201", param, guards, path, "os.system")


def test_the_same_sink_reached_again_is_kept_once_with_its_shortest_path() -> None:
    summary = Summary(params=["x"], is_method=False)
    summary.add_sink(sink(frozenset(), path_len=5))
    summary.add_sink(sink(frozenset(), path_len=3))
    summary.add_sink(sink(frozenset(), path_len=4))
    assert len(summary.sinks) == 1
    assert len(summary.sinks[0].path) == 3


def test_different_guards_at_one_sink_are_kept_apart_up_to_the_bound_then_folded() -> None:
    summary = Summary(params=["x"], is_method=False)
    for i in range(MAX_GUARD_SETS_PER_SINK):
        summary.add_sink(sink(frozenset({LENGTH_CHECKED, f"kind-{i}"})))
    assert len(summary.sinks) == MAX_GUARD_SETS_PER_SINK
    summary.add_sink(sink(frozenset({LENGTH_CHECKED, f"{LENGTH_AT}12"})))
    # One entry: only what held on every path survives, so no path's guard makes it safe.
    assert [s.guards for s in summary.sinks] == [frozenset({LENGTH_CHECKED, f"{LENGTH_AT}12"})]
    # Another sink of the same parameter is still its own entry.
    summary.add_sink(sink(frozenset(), line=20))
    assert len(summary.sinks) == 2


def test_a_summary_keeps_at_most_its_bound_of_sinks_and_says_so() -> None:
    summary = Summary(params=["x"], is_method=False)
    for line in range(MAX_SINKS_PER_SUMMARY + 5):
        summary.add_sink(sink(frozenset(), line=100 + line))
    assert len(summary.sinks) == MAX_SINKS_PER_SUMMARY
    assert summary.truncated is not None and str(MAX_SINKS_PER_SUMMARY) in summary.truncated


def finding(flow_len: int) -> Finding:
    loc = Location("app.py", 9, 1, 9, 5)
    flow = tuple(FlowStep(Location("app.py", i, 1, i, 2), f"step {i}") for i in range(flow_len))
    return Finding("AIS201", "command-injection", "c", (78,), "error", "high", "m", loc, flow=flow)


def test_a_finding_found_again_keeps_the_shortest_flow() -> None:
    summary = Summary(params=[], is_method=False)
    summary.add_findings([finding(4), finding(2), finding(3)])
    assert [len(f.flow) for f in summary.findings] == [2]


def test_a_long_path_keeps_both_ends() -> None:
    caller = tuple(key(i) for i in range(30))
    callee = tuple(key(i) for i in range(100, 130))
    joined = _joined(caller, callee)
    assert len(joined) == MAX_PATH_STEPS
    assert joined[0] == caller[0] and joined[-1] == callee[-1]
    assert _joined(caller[:3], callee[:3]) == caller[:3] + callee[:3]


def test_length_check_lines_are_kept_to_the_first_few() -> None:
    origin = Origin("source", "request data", key(1))
    taint = Taint.of([origin])
    for line in range(50, 40, -1):
        taint = taint.with_guard(f"{LENGTH_AT}{line}")
    ((_, guards),) = taint.facts
    assert sorted(g for g in guards if g.startswith(LENGTH_AT)) == [
        f"{LENGTH_AT}{n}" for n in range(41, 41 + MAX_LENGTH_LINES)
    ]
    # Folding many paths' facts keeps the bound too.
    variants = [Taint.of([origin], frozenset({f"k{i}", f"{LENGTH_AT}{i}"})) for i in range(20)]
    merged = merge(variants)
    assert merged is not None
    ((_, folded),) = merged.facts
    assert len([g for g in folded if g.startswith(LENGTH_AT)]) == MAX_LENGTH_LINES


CHAIN = """
    import os

    from flask import request


    def level0(x):
        for _ in range(3):
            os.system("a " + x)
            os.system("b " + x)
    {levels}

    def view():
        return level{top}(request.args["cmd"])
"""

LEVEL = """
    def level{n}(x):
        for _ in range(3):
            if len(x) > {n}:
                level{m}(x)
            level{m}(x)
            level{m}(x)
"""


def test_sinks_reached_through_a_deep_call_chain_do_not_multiply(tmp_path: Path) -> None:
    """Each level calls the next three times in a loop: before summaries were deduplicated,
    the top function's summary held 3**depth copies of every sink."""
    depth = 8
    levels = "".join(LEVEL.format(n=n, m=n - 1) for n in range(1, depth + 1))
    source = textwrap.dedent(CHAIN).format(levels=textwrap.dedent(levels), top=depth)
    path = tmp_path / "app.py"
    path.write_text(source)
    # Built apart from astroid's module cache, which other tests' "app" modules share.
    module = AstroidBuilder(astroid.MANAGER).string_build(source, "scale_chain", str(path))
    astroid.MANAGER.astroid_cache.pop("scale_chain", None)
    specs = [compile_taint_rule(r) for r in load_rules().select(["AIS201"]).rules]
    engine = TaintEngine(specs, tmp_path, [path])
    findings = engine.analyse_module(module, source.splitlines())
    assert sorted({f.line for f in findings}) == [9, 10]
    largest = max(len(s.sinks) for s in engine.summaries.values())
    # Two sinks, each with or without the length check (and the lines of a few checks).
    assert largest <= 2 * MAX_GUARD_SETS_PER_SINK


HEAVY = """
    import os

    from flask import request


    def heavy(x):
        text = x
        for key in ("a", "b", "c", "d", "e", "f", "g", "h"):
            if request.args.get(key):
                text = text + request.args[key]
            else:
                text = text + request.form[key]
        return text


    def view():
        os.system(heavy(request.args["cmd"]))
"""


def analyse(tmp_path: Path, source: str, name: str) -> TaintEngine:
    path = tmp_path / "app.py"
    path.write_text(source)
    module = AstroidBuilder(astroid.MANAGER).string_build(source, name, str(path))
    astroid.MANAGER.astroid_cache.pop(name, None)
    specs = [compile_taint_rule(r) for r in load_rules().select(["AIS201"]).rules]
    engine = TaintEngine(specs, tmp_path, [path])
    engine.analyse_module(module, source.splitlines())
    return engine


def own_work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Each function's own work (facts joined), read from an unbounded analysis."""
    seen: dict[str, int] = {}
    original = TaintEngine._run

    def run(self: TaintEngine, analysis: dataflow.FunctionAnalysis) -> None:
        original(self, analysis)
        name = str(getattr(analysis.scope, "name", "?"))
        seen[name] = work_done() - analysis.work_start - analysis.nested_work

    monkeypatch.setattr(TaintEngine, "_run", run)
    analyse(tmp_path, textwrap.dedent(HEAVY), "scale_heavy_measure")
    monkeypatch.undo()
    return seen


def test_a_function_past_its_work_budget_is_analysed_in_part_and_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    work = own_work(tmp_path, monkeypatch)
    assert work["heavy"] > work["view"]
    # A budget between the two: heavy() is cut short, view() (which waits for it) is not.
    monkeypatch.setattr(dataflow, "MAX_WORK", (work["heavy"] + work["view"]) // 2)
    engine = analyse(tmp_path, textwrap.dedent(HEAVY), "scale_heavy")
    assert [t for t in engine.truncated if "too large" in t] == [
        "heavy at app.py:7 is too large; analysed in part"
    ]


def test_within_its_budget_the_same_program_is_analysed_whole(tmp_path: Path) -> None:
    engine = analyse(tmp_path, textwrap.dedent(HEAVY), "scale_heavy_whole")
    assert engine.truncated == []
