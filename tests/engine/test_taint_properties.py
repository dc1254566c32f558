"""Properties of the taint engine that must hold for every program, checked with Hypothesis.

Programs come from a small template grammar: a source, a chain of assignments and helper calls,
a sink. Names are drawn at random, guards and dead code are inserted, independent statements are
reordered; arbitrary programs (hypothesmith's grammar-based ones when it is installed, and this
file's own generator) must never crash the engine.
"""

from __future__ import annotations

import ast
import builtins
import keyword
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from taint_support import PRELUDE, TAINT_RULES, scan_snippet, taint_findings

from aiscan import scan_source
from aiscan.model import ScanResult

SETTINGS = settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)

# --- the template grammar -------------------------------------------------------------------

# Each step turns the previous value into the next one and keeps its data.
STEP_KINDS = (
    "assign",
    "fstring",
    "concat",
    "percent",
    "format",
    "method",
    "join",
    "tuple",
    "dict",
    "helper",
    "helper-fstring",
    "lambda",
    "method",
)
SINK_KINDS = ("os.system", "subprocess-shell", "getoutput", "helper-sink")
_RESERVED = (
    set(keyword.kwlist)
    | set(keyword.softkwlist)
    | set(dir(builtins))
    | {"os", "re", "shlex", "subprocess", "sys", "uuid", "functools", "app", "request"}
    | {"abort", "Flask", "ALLOWED", "COLUMNS", "self", "cls"}
)
identifiers = st.from_regex(r"[a-z][a-z0-9_]{1,10}", fullmatch=True).filter(
    lambda name: name not in _RESERVED
)


@dataclass(frozen=True)
class Chain:
    """source -> steps -> sink, inside one route."""

    steps: tuple[str, ...]
    sink: str

    @property
    def helpers(self) -> int:
        return sum(1 for s in self.steps if s.startswith("helper") or s in ("lambda", "method"))

    def name_count(self) -> int:
        # route, one variable per step plus the source's, a spare per tuple step, a helper (a
        # function, a lambda or a class) and its parameter per helper step, the sink helper and
        # its parameter.
        return 1 + (len(self.steps) + 1) + self.steps.count("tuple") + 2 * self.helpers + 2


chains = st.builds(
    Chain,
    steps=st.lists(st.sampled_from(STEP_KINDS), max_size=5).map(tuple),
    sink=st.sampled_from(SINK_KINDS),
)


def canonical_names(chain: Chain) -> list[str]:
    return [f"name{i}" for i in range(chain.name_count())]


@dataclass
class Rendered:
    code: str
    sink_line: int


def render(
    chain: Chain,
    names: list[str],
    *,
    guard: str = "",
    dead_code: bool = False,
) -> Rendered:
    """The module for ``chain`` with identifiers taken from ``names`` in order."""
    pool = iter(names)
    route = next(pool)
    helpers: list[str] = []
    body: list[str] = []
    prev = next(pool)
    body.append(f'{prev} = request.args["q"]')
    for kind in chain.steps:
        var = next(pool)
        if kind == "assign":
            body.append(f"{var} = {prev}")
        elif kind == "fstring":
            body.append(f'{var} = f"--opt={{{prev}}}"')
        elif kind == "concat":
            body.append(f'{var} = "echo " + {prev}')
        elif kind == "percent":
            body.append(f'{var} = "echo %s" % {prev}')
        elif kind == "format":
            body.append(f'{var} = "echo {{}}".format({prev})')
        elif kind == "method":
            body.append(f"{var} = {prev}.strip().lower()")
        elif kind == "join":
            body.append(f'{var} = " ".join(["echo", {prev}])')
        elif kind == "tuple":
            spare = next(pool)
            body.append(f'{var}, {spare} = {prev}, "fixed"')
        elif kind == "dict":
            body.append(f'{var} = {{"value": {prev}}}["value"]')
        elif kind == "lambda":
            func, param = next(pool), next(pool)
            body.append(f'{func} = lambda {param}: "echo " + {param}')
            body.append(f"{var} = {func}({prev})")
        elif kind == "method":
            klass, param = next(pool), next(pool)
            helpers += [
                f"class K{klass}:",
                f"    def build(self, {param}):",
                f'        return "echo " + {param}',
                "",
            ]
            body.append(f"{var} = K{klass}().build({prev})")
        else:
            func, param = next(pool), next(pool)
            if kind == "helper":
                helpers += [f"def {func}({param}):", f'    return "echo " + {param}', ""]
            else:
                helpers += [f"def {func}({param}):", f'    return f"--opt={{{param}}}"', ""]
            body.append(f"{var} = {func}({prev})")
        prev = var
    sink_func, sink_param = next(pool), next(pool)
    sink_in_helper = chain.sink == "helper-sink"
    if sink_in_helper:
        helpers += [f"def {sink_func}({sink_param}):", f"    os.system({sink_param})", ""]
        sink_stmt = f"{sink_func}({prev})"
    elif chain.sink == "os.system":
        sink_stmt = f"os.system({prev})"
    elif chain.sink == "subprocess-shell":
        sink_stmt = f"subprocess.run({prev}, shell=True, check=True)"
    else:
        sink_stmt = f"subprocess.getoutput({prev})"
    if guard:
        body += guard.format(v=prev).splitlines()
    body.append(sink_stmt)
    body.append('return ""')
    if dead_code:
        body.append(f"os.system({prev})")
        body.append(f'subprocess.run("echo " + {prev}, shell=True)')
    lines = [PRELUDE, "", *helpers, "", f'@app.route("/{route}")', f"def {route}():"]
    lines += [f"    {line}" for line in body]
    code = "\n".join(lines) + "\n"
    text = code.splitlines()
    if sink_in_helper:
        target = f"    os.system({sink_param})"
    else:
        target = f"    {sink_stmt}"
    sink_line = text.index(target) + 1
    return Rendered(code, sink_line)


def taint_set(code: str) -> set[tuple[str, int]]:
    return {(f.rule_id, f.line) for f in taint_findings(scan_snippet(code))}


@st.composite
def chain_and_names(draw: st.DrawFn) -> tuple[Chain, list[str]]:
    chain = draw(chains)
    names = draw(
        st.lists(identifiers, min_size=chain.name_count(), max_size=chain.name_count(), unique=True)
    )
    return chain, names


# --- (a) names do not matter ------------------------------------------------------------------


@SETTINGS
@given(chain_and_names())
def test_every_chain_reaches_its_sink(drawn: tuple[Chain, list[str]]) -> None:
    chain, names = drawn
    rendered = render(chain, names)
    assert taint_set(rendered.code) == {("AIS201", rendered.sink_line)}, rendered.code


@SETTINGS
@given(chain_and_names())
def test_renaming_does_not_change_findings(drawn: tuple[Chain, list[str]]) -> None:
    chain, names = drawn
    original = render(chain, canonical_names(chain))
    renamed = render(chain, names)
    assert original.sink_line == renamed.sink_line
    assert taint_set(renamed.code) == taint_set(original.code), renamed.code


# --- (b) guards ----------------------------------------------------------------------------------

SANITIZING_GUARDS = (
    "if {v} not in ALLOWED:\n    abort(400)",
    'if {v} not in ("size", "time"):\n    return "bad request", 400',
    "if {v} not in ALLOWED:\n    raise ValueError({v})",
    'if not re.fullmatch(r"[a-z0-9-]+", {v}):\n    abort(400)',
    "if not {v}.isalnum():\n    abort(400)",
    '{v} = COLUMNS.get({v}, "name")',
    "{v} = shlex.quote({v})",
)
LENGTH_ONLY_GUARDS = (
    "if len({v}) > 64:\n    abort(400)",
    "if not {v}:\n    abort(400)",
    'if len({v}) < 2 or len({v}) >= 200:\n    return "bad request", 400',
    'if re.match(r"[a-z0-9-]+", {v}) is None:\n    abort(400)',
)


@SETTINGS
@given(chain_and_names(), st.sampled_from(SANITIZING_GUARDS))
def test_allow_list_guard_with_early_exit_removes_the_finding(
    drawn: tuple[Chain, list[str]], guard: str
) -> None:
    chain, names = drawn
    guarded = render(chain, names, guard=guard)
    assert taint_set(guarded.code) == set(), guarded.code


@SETTINGS
@given(chain_and_names(), st.sampled_from(LENGTH_ONLY_GUARDS))
def test_length_only_check_keeps_the_finding(drawn: tuple[Chain, list[str]], guard: str) -> None:
    chain, names = drawn
    checked = render(chain, names, guard=guard)
    assert taint_set(checked.code) == {("AIS201", checked.sink_line)}, checked.code


# --- (c) dead code and independent statements ---------------------------------------------------


@SETTINGS
@given(chain_and_names())
def test_dead_code_after_return_adds_no_finding(drawn: tuple[Chain, list[str]]) -> None:
    chain, names = drawn
    plain = render(chain, names)
    with_dead = render(chain, names, dead_code=True)
    assert taint_set(with_dead.code) == taint_set(plain.code), with_dead.code


def _flow_statements(prefix: str, tainted: bool, steps: int, marker: str) -> list[str]:
    source = f'request.form["{marker}"]' if tainted else f'"{marker}"'
    out = [f"{prefix}0 = {source}"]
    for i in range(1, steps + 1):
        out.append(f'{prefix}{i} = "{marker} " + {prefix}{i - 1}.strip()')
    out.append(f'os.system("{marker}: " + {prefix}{steps})')
    return out


@st.composite
def interleavings(draw: st.DrawFn) -> tuple[list[str], list[str]]:
    """Two independent flows (the second maybe constant), in sequence and interleaved."""
    first = _flow_statements("alpha", True, draw(st.integers(0, 3)), "first")
    second = _flow_statements("beta", draw(st.booleans()), draw(st.integers(0, 3)), "second")
    picks = draw(st.permutations([0] * len(first) + [1] * len(second)))
    queues = [list(first), list(second)]
    mixed = [queues[p].pop(0) for p in picks]
    return first + second, mixed


def _route(statements: list[str]) -> str:
    body = "\n".join(f"    {s}" for s in statements)
    return f'{PRELUDE}\n@app.route("/r")\ndef route():\n{body}\n    return ""\n'


def _by_text(code: str) -> set[tuple[str, str]]:
    lines = code.splitlines()
    return {(f.rule_id, lines[f.line - 1].strip()) for f in taint_findings(scan_snippet(code))}


@SETTINGS
@given(interleavings())
def test_reordering_independent_statements_keeps_findings(
    orders: tuple[list[str], list[str]],
) -> None:
    sequential, mixed = orders
    expected = _by_text(_route(sequential))
    assert any(text.startswith('os.system("first: "') for _, text in expected)
    assert _by_text(_route(mixed)) == expected, _route(mixed)


# --- (d) arbitrary programs: no crash, termination ----------------------------------------------

TIME_LIMIT = 20.0


def _scan_anything(code: str) -> ScanResult:
    started = time.monotonic()
    result = scan_source(code, filename="fuzzed.py", rules=TAINT_RULES)
    assert time.monotonic() - started < TIME_LIMIT, "the scan did not finish in time"
    # A syntax error, a budget note or a recursion-limit note is an honest answer; an exception
    # escaping the analysis (analysis-error) is a crash.
    crashes = [e for e in result.errors if e.kind == "analysis-error"]
    assert not crashes, crashes
    return result


def _parses(code: str) -> bool:
    try:
        ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


VARS = ("a", "b", "c", "items")
FUNCS = ("f", "g", "h")
ATOMS = (
    'request.args["x"]',
    'request.form.get("y", "")',
    "sys.argv[1]",
    'input("> ")',
    '"constant"',
    "(42)",
    "None",
    *VARS,
)


@st.composite
def expressions(draw: st.DrawFn, depth: int = 0) -> str:
    atom = draw(st.sampled_from(ATOMS))
    if depth >= 2 or draw(st.booleans()):
        return atom
    inner = draw(expressions(depth + 1))
    other = draw(expressions(depth + 1))
    form = draw(st.integers(0, 16))
    return [
        f"{inner}.strip()",
        f'f"x {{{draw(st.sampled_from(VARS))}}} y"',
        f"{inner} + {other}",
        f'"%s" % ({inner},)',
        f'"{{}}".format({inner})',
        f"[{inner}, {other}]",
        f'{{"k": {inner}}}["k"]',
        f"({inner} if {other} else {inner})",
        f"{draw(st.sampled_from(FUNCS))}({inner})",
        f"[w for w in {inner} if w]",
        f"(lambda q: q + {inner})({other})",
        f"shlex.quote({inner})",
        f"int({inner})",
        f"COLUMNS.get({inner}, {other})",
        f"(_w := {inner})",
        f"{inner}[0]",
        f"{{k: v for k, v in {inner}}}",
    ][form]


@st.composite
def blocks(
    draw: st.DrawFn, depth: int = 0, in_func: bool = False, in_loop: bool = False
) -> list[str]:
    out: list[str] = []
    for _ in range(draw(st.integers(1, 3))):
        out += draw(statement(depth, in_func, in_loop))
    return out


def _indent(lines: list[str]) -> list[str]:
    return [f"    {line}" for line in lines]


@st.composite
def statement(draw: st.DrawFn, depth: int, in_func: bool, in_loop: bool) -> list[str]:
    var = draw(st.sampled_from(VARS))
    expr = draw(expressions())
    simple = [
        [f"{var} = {expr}"],
        [f"{var} += {expr}"],
        [f"os.system({expr})"],
        [f"subprocess.run({expr}, shell=True)"],
        [f"eval({expr})"],
        [f"{draw(st.sampled_from(FUNCS))}({expr})"],
        [f"{var}, *rest = {expr}"],
        [f"{var}.append({expr})"],
        [f"del {var}"],
        ["pass"],
    ]
    if in_func:
        simple += [[f"return {expr}"], [f"yield {expr}"], [f"global {var}"]]
    if in_loop:
        simple += [["break"], ["continue"]]
    if depth >= 2:
        return draw(st.sampled_from(simple))
    nested = draw(st.integers(0, 8))
    inner = blocks(depth + 1, in_func, in_loop)
    loop_inner = blocks(depth + 1, in_func, True)
    func_inner = blocks(depth + 1, True, False)
    if nested == 0:
        return [f"if {expr}:", *_indent(draw(inner)), "else:", *_indent(draw(inner))]
    if nested == 1:
        return [f"for {var} in {expr}:", *_indent(draw(loop_inner))]
    if nested == 2:
        return [f"while {var}:", *_indent(draw(loop_inner))]
    if nested == 3:
        return [
            "try:",
            *_indent(draw(inner)),
            "except Exception as err:",
            *_indent(draw(inner)),
            "finally:",
            *_indent(draw(inner)),
        ]
    if nested == 4:
        return [f"with open({expr}) as {var}:", *_indent(draw(inner))]
    if nested == 5:
        name = draw(st.sampled_from(FUNCS))
        return [f"def {name}(p, *args, k=None, **kw):", *_indent(draw(func_inner))]
    if nested == 6:
        return [
            "class Box:",
            "    def __init__(self, v):",
            "        self.v = v",
            "    def run(self):",
            *_indent(_indent(draw(func_inner))),
            f"Box({expr}).run()",
        ]
    if nested == 7:
        return [
            f"match {expr}:",
            "    case [x, *_]:",
            *_indent(_indent(draw(inner))),
            "    case _:",
            "        pass",
        ]
    return draw(st.sampled_from(simple))


@st.composite
def generated_programs(draw: st.DrawFn) -> str:
    lines = [
        "def f(p):",
        "    return g(p)",
        "def g(p):",
        "    return f(p) if p else os.system(p)",
        "def h(p):",
        "    return h(p)",
    ]
    lines += draw(blocks())
    route = draw(blocks(in_func=True))
    lines += ['@app.route("/fuzz")', "def fuzz():", *_indent(route)]
    return PRELUDE + "\n" + "\n".join(lines) + "\n"


@SETTINGS
@given(generated_programs())
def test_engine_survives_generated_programs(code: str) -> None:
    assert _parses(code), code
    _scan_anything(code)


try:
    import hypothesmith
except ImportError:  # pragma: no cover - hypothesmith is an optional test dependency
    hypothesmith = None

# Built once: constructing hypothesmith's grammar strategy takes seconds.
GRAMMAR_PROGRAMS = (
    st.one_of(hypothesmith.from_grammar(), hypothesmith.from_node())
    if hypothesmith is not None
    else st.nothing()
)


@pytest.mark.skipif(hypothesmith is None, reason="hypothesmith is not installed")
@settings(max_examples=50, deadline=None, suppress_health_check=list(HealthCheck))
@given(GRAMMAR_PROGRAMS)
def test_engine_survives_grammar_generated_programs(code: str) -> None:
    assume(_parses(code))
    _scan_anything(code)
    # The same code inside a module that has sources and sinks in scope.
    wrapped = f"{PRELUDE}\n{code}\n{AFTER}"
    if _parses(wrapped):
        _scan_anything(wrapped)


AFTER = """
@app.route("/after")
def after():
    os.system(request.args["x"])
"""


def test_scanning_never_runs_the_scanned_code(tmp_path: Path) -> None:
    """A module of the scanned project named like a library the rules mention (jinja2) must not
    be imported by the scanner: that would run untrusted code on the machine that scans it."""
    marker = tmp_path / "RAN"
    (tmp_path / "jinja2.py").write_text(
        f"open({str(marker)!r}, 'w').write('the scanner imported me')\n"
        "def Template(source):\n    return source\n",
        encoding="utf-8",
    )
    (tmp_path / "views.py").write_text(
        "import jinja2\nfrom flask import request\n\n"
        "def preview():\n    return jinja2.Template(request.args['t'])\n",
        encoding="utf-8",
    )
    script = "import sys, aiscan; aiscan.scan([sys.argv[1]], jobs=1, root=sys.argv[1])"
    # A fresh interpreter: in this one the real jinja2 may already be imported.
    subprocess.run([sys.executable, "-c", script, str(tmp_path)], check=True, timeout=120)
    assert not marker.exists(), "scanning imported (ran) a module of the scanned project"
