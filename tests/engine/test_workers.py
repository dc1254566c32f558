"""Worker processes: replaced when they pass their memory limit, a dead one costs only the file
it held (reported), and none outlives the process that started it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from aiscan.api import scan
from aiscan.config import Config
from aiscan.engine import scanner

pytestmark = pytest.mark.slow  # starts worker processes

MODULE = """\
import requests


def get_{i}(url):
    return requests.get(url, verify=False, timeout=5)
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    for i in range(8):
        (tmp_path / f"m{i}.py").write_text(MODULE.format(i=i))
    return tmp_path


def summary(result: object) -> list[tuple[str, int, str]]:
    return sorted((f.path, f.line, f.rule_id) for f in result.findings)  # type: ignore[attr-defined]


def test_workers_replaced_after_every_file_give_the_same_findings(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    single = scan([project], config=Config(), jobs=1, root=project)
    # A limit every worker passes after its first file: each file gets a fresh worker.
    monkeypatch.setenv("AISCAN_WORKER_MAX_RSS_MIB", "1")
    recycled = scan([project], config=Config(), jobs=2, root=project)
    assert summary(recycled) == summary(single)
    assert len(summary(single)) == 8
    assert recycled.errors == single.errors == ()


def test_a_worker_that_dies_costs_only_its_file_which_is_reported(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (project / "boom.py").write_text(MODULE.format(i="boom"))
    original = scanner.Analyzer.analyse

    def analyse(self: scanner.Analyzer, path: Path) -> scanner.FileResult:
        if path.name == "boom.py":
            os._exit(3)  # as an out-of-memory kill would end it, mid-file
        return original(self, path)

    # Workers are forked, so they inherit the patched method.
    monkeypatch.setattr(scanner.Analyzer, "analyse", analyse)
    result = scan([project], config=Config(), jobs=2, root=project)
    assert len(summary(result)) == 8
    assert {f.path for f in result.findings} == {f"m{i}.py" for i in range(8)}
    (error,) = result.errors
    assert (error.kind, error.path, error.fatal) == ("analysis-error", "boom.py", True)
    assert "exit 3" in error.message


SLOW_SCAN = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from aiscan.api import scan
    from aiscan.config import Config
    from aiscan.engine import scanner

    def analyse(self, path):
        time.sleep(600)

    scanner.Analyzer.analyse = analyse
    scan([sys.argv[1]], config=Config(), jobs=2, root=sys.argv[1])
    """
)


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The parent pid is the second field after the command name (in parentheses).
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return found


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_workers_end_when_the_main_process_is_terminated(project: Path) -> None:
    proc = subprocess.Popen([sys.executable, "-c", SLOW_SCAN, str(project)])
    try:
        deadline = time.monotonic() + 60
        workers: list[int] = []
        while time.monotonic() < deadline and len(workers) < 2:
            time.sleep(0.2)
            workers = children_of(proc.pid)
        assert len(workers) >= 2, "the workers did not start"
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
        deadline = time.monotonic() + 30
        alive = workers
        while alive and time.monotonic() < deadline:
            time.sleep(0.2)
            alive = [w for w in workers if Path(f"/proc/{w}").exists() and not _zombie(w)]
        assert alive == []
    finally:
        if proc.poll() is None:
            proc.kill()


def _zombie(pid: int) -> bool:
    try:
        return (Path(f"/proc/{pid}") / "stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return False
