"""benchmarks/bench.py: the process-tree memory it reports, its watchdog, and the apps slice's
archive handling (no timing is asserted here)."""

from __future__ import annotations

import importlib.util
import json
import os
import sys
import time
import zipfile
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench.py"
linux_proc = pytest.mark.skipif(
    not Path("/proc/self/task").is_dir() or not hasattr(os, "killpg"),
    reason="needs Linux /proc and process groups",
)


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def _nest(tmp_path: Path, depth: int, mib: int, then: str = "time.sleep(60)") -> str:
    """A program that writes pid-LEVEL, holds ``mib`` MiB, starts a copy of itself one level
    deeper (down to ``depth``), writes ready-LEVEL, then runs ``then``."""
    script = tmp_path / "nest.py"
    lines = [
        "import os, subprocess, sys, time",
        "level = int(sys.argv[1])",
        f"where = {str(tmp_path)!r}",
        "open(f'{where}/pid-{level}', 'w').write(str(os.getpid()))",
        "def hold(mib):",
        "    block = bytearray(mib * 1024 * 1024)",
        "    for i in range(0, len(block), 4096):",
        "        block[i] = 1",
        "    return block",
        f"held = hold({mib})",
        f"if level < {depth}:",
        "    child = subprocess.Popen([sys.executable, __file__, str(level + 1)])",
        "open(f'{where}/ready-{level}', 'w').close()",
        then,
    ]
    script.write_text("\n".join(lines) + "\n")
    return str(script)


def _wait_for(paths: list[Path], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not all(p.exists() for p in paths):
        assert time.monotonic() < deadline, "the process tree did not come up"
        time.sleep(0.05)


@linux_proc
def test_the_tree_sum_counts_children_and_grandchildren(bench: ModuleType, tmp_path: Path) -> None:
    import subprocess

    script = _nest(tmp_path, depth=2, mib=40)
    proc = subprocess.Popen([sys.executable, script, "0"], start_new_session=True)
    try:
        _wait_for([tmp_path / f"ready-{n}" for n in range(3)])
        time.sleep(0.2)
        total_mib = bench.tree_rss_kib(proc.pid) / 1024
        alone_mib = bench._rss_kib(proc.pid) / 1024
        # Three processes of at least 40 MiB each: the parent, its child and its grandchild.
        assert alone_mib >= 40
        assert total_mib >= 3 * 40
        assert total_mib >= 2.5 * alone_mib
    finally:
        os.killpg(proc.pid, 9)
        proc.wait()


@linux_proc
def test_the_watchdog_kills_the_whole_tree(bench: ModuleType, tmp_path: Path) -> None:
    # The grandchild grows to 300 MiB more; the limit is 150 MiB.
    then = "more = hold(300) if level == 2 else None\ntime.sleep(60)"
    script = _nest(tmp_path, depth=2, mib=10, then=then)
    started = time.monotonic()
    run = bench.measure([sys.executable, script, "0"], tmp_path, tmp_path / "log", max_tree_mib=150)
    assert time.monotonic() - started < 50, "killed by the watchdog, not by the sleep ending"
    assert run.killed_at_mib is not None and run.killed_at_mib >= 150
    assert run.exit_code == -9
    for level in range(3):
        pid = int((tmp_path / f"pid-{level}").read_text())
        deadline = time.monotonic() + 10
        while _alive(pid):
            assert time.monotonic() < deadline, f"level {level} survived the watchdog"
            time.sleep(0.05)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as fh:
            return not any(line.startswith("State:\tZ") for line in fh)
    except OSError:
        return False


@linux_proc
def test_a_run_under_the_limit_is_measured_whole(bench: ModuleType, tmp_path: Path) -> None:
    script = _nest(tmp_path, depth=1, mib=30, then="pass")
    run = bench.measure([sys.executable, script, "0"], tmp_path, tmp_path / "log", max_tree_mib=0)
    assert run.killed_at_mib is None and run.exit_code == 0
    assert run.peak_mib >= 30


def test_archives_are_found_by_release(bench: ModuleType, tmp_path: Path) -> None:
    for name in (
        "open_webui-0.12.4-py3-none-any.whl",
        "label_studio-1.23.2.tar.gz",
        "label_studio-1.23.1-py3-none-any.whl",
        "mlflow-3.18.0.tar.gz",
        "mlflow-3.18.0-py3-none-any.whl",
        "notes.txt",
    ):
        (tmp_path / name).write_bytes(b"")
    assert bench.find_archive(tmp_path, "open-webui", "0.12.4").name.endswith(".whl")
    assert bench.find_archive(tmp_path, "label-studio", "1.23.2").name.endswith(".tar.gz")
    # A wheel is preferred to the sdist of the same release.
    assert bench.find_archive(tmp_path, "MLflow", "3.18.0").name.endswith(".whl")
    assert bench.find_archive(tmp_path, "litellm", "1.110.2") is None


def test_a_wheel_is_unpacked_whole_or_not_at_all(bench: ModuleType, tmp_path: Path) -> None:
    wheel = tmp_path / "demo-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.writestr("demo/__init__.py", "x = 1\n")
        zf.writestr("demo-1.0.dist-info/METADATA", "Name: demo\n")
    target = tmp_path / "apps" / "demo-1.0"
    target.parent.mkdir()
    bench.unpack(wheel, target)
    assert (target / "demo" / "__init__.py").read_text() == "x = 1\n"
    assert not target.with_name("demo-1.0.partial").exists()


def test_the_doc_sections_are_filled_and_the_rest_is_kept(
    bench: ModuleType, tmp_path: Path
) -> None:
    page = tmp_path / "performance.md"
    page.write_text(
        "# Title\n\nprose\n\n<!-- bench:apps -->\nold\n<!-- /bench:apps -->\n\nmore prose\n"
    )
    bench.write_doc(page, {"apps": ["| a | b |", "|---|---|"], "startup": ["ignored"]})
    assert page.read_text() == (
        "# Title\n\nprose\n\n<!-- bench:apps -->\n| a | b |\n|---|---|\n<!-- /bench:apps -->"
        "\n\nmore prose\n"
    )


FAKE_AISCAN = """\
import json, os, sys
args = sys.argv[1:]
if args[:2] == ["scan", "--help"]:
    print("usage: aiscan scan [--cache-dir DIR] PATH...")
    sys.exit(0)
cache = args[args.index("--cache-dir") + 1] if "--cache-dir" in args else None
with open(os.environ["FAKE_LOG"], "a") as fh:
    fh.write(json.dumps(cache) + "\\n")
warm = cache is not None and os.path.exists(os.path.join(cache, "filled"))
if cache is not None:
    open(os.path.join(cache, "filled"), "w").close()
errors = [{"kind": "budget-exceeded", "fatal": False}, {"kind": "syntax-error", "fatal": True}]
report = {"files_scanned": 3, "findings": [{}] * (4 if warm else 5), "errors": errors}
with open(args[args.index("-o") + 1], "w") as fh:
    json.dump(report, fh)
"""


def test_aiscan_runs_cold_then_warm_with_a_fresh_cache_each_time(
    bench: ModuleType, tmp_path: Path
) -> None:
    fake = tmp_path / "aiscan"
    fake.write_text(f"#!{sys.executable}\n{FAKE_AISCAN}")
    fake.chmod(0o755)
    assert bench.supports_cache_dir(str(fake))
    log = tmp_path / "calls"
    env = {**os.environ, "FAKE_LOG": str(log)}
    work = tmp_path / "work"
    work.mkdir()
    out = work / "out.json"
    result = bench.ToolResult("aiscan", [str(fake), "scan", ".", "-f", "json", "-o", str(out)])
    bench.run_tool(result, 2, tmp_path, out, bench.Bench(work, env, 0, True))
    caches = [json.loads(line) for line in log.read_text().splitlines()]
    # cold, warm (same folder), cold (a new folder), warm (that folder).
    assert caches[0] == caches[1] and caches[2] == caches[3] and caches[0] != caches[2]
    assert len(result.runs) == 2 and len(result.warm_runs) == 2
    assert (result.files, result.findings, result.notifications) == (3, 4, 1)
    assert "findings differ" in result.note and "5 cold, 4 warm" in result.note
    table = "\n".join(bench.table_head() + bench.tool_rows([result], True))
    assert "| aiscan |" in table and "n/a" not in table
    # Without --cache-dir, one run each and the warm column says n/a.
    plain = bench.ToolResult("aiscan", [str(fake), "scan", ".", "-f", "json", "-o", str(out)])
    bench.run_tool(plain, 1, tmp_path, out, bench.Bench(work, env, 0, False))
    assert json.loads(log.read_text().splitlines()[-1]) is None
    assert plain.warm_runs == [] and "n/a" in "\n".join(bench.tool_rows([plain], False))
