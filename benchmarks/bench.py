#!/usr/bin/env python3
"""Time aiscan against Bandit (and Semgrep, when installed) on the pinned corpus.

Every tool scans the same slice of real projects (../shared/bench/corpus.sh, unpacked into
.bench/), N times; the table gives the median wall time and peak memory of each, and the
ratios to Bandit and Semgrep.

    .venv/bin/python benchmarks/bench.py                      # medium slice, 3 runs each
    .venv/bin/python benchmarks/bench.py --slice small --runs 1
    .venv/bin/python benchmarks/bench.py --jobs 2 --json bench.json

Memory is measured two ways: the largest single process (the ru_maxrss that os.wait4 reports,
as /usr/bin/time's %M), and the sum over the whole process tree (worker processes included),
sampled from /proc every 50 ms on Linux. CPU seconds (user + system, workers included) are
printed too: on a busy machine they say more than wall time.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CORPUS_SCRIPT = REPO.parent / "shared" / "bench" / "corpus.sh"
BIN = Path(sys.executable).parent


@dataclass
class Run:
    wall_s: float
    cpu_s: float  # user + system time of the tool and its (waited-for) worker processes
    peak_mib: float  # the largest single process
    tree_mib: float | None  # all processes of the tool together (sampled), None off Linux
    exit_code: int


@dataclass
class ToolResult:
    tool: str
    command: list[str]
    runs: list[Run] = field(default_factory=list)
    files: int | None = None
    findings: int | None = None
    note: str = ""

    def median(self, attr: str) -> float | None:
        values = [getattr(r, attr) for r in self.runs if getattr(r, attr) is not None]
        return statistics.median(values) if values else None


def build_corpus(dest: Path, slice_name: str) -> list[Path]:
    """Run corpus.sh (re-runnable: it keeps what is already there) and read the slice's folders."""
    if not CORPUS_SCRIPT.is_file():
        sys.exit(f"bench: {CORPUS_SCRIPT} not found (../shared must sit beside the repository)")
    subprocess.run(
        ["bash", str(CORPUS_SCRIPT), str(dest), slice_name],
        check=True,
        env={**os.environ, "PYTHON": sys.executable},
    )
    listing = dest / f"slice-{slice_name}.txt"
    folders = [Path(line) for line in listing.read_text(encoding="utf-8").split()]
    folders = [f if f.is_absolute() else Path.cwd() / f for f in folders]
    missing = [str(f) for f in folders if not f.is_dir()]
    if missing:
        sys.exit(f"bench: corpus folders missing: {', '.join(missing)}")
    return folders


def count_source(folders: list[Path]) -> tuple[int, int]:
    """Python files and non-blank lines, counted as corpus.sh counts them."""
    files = lines = 0
    for root in folders:
        for dirpath, _, names in os.walk(root):
            for name in names:
                if name.endswith(".py"):
                    files += 1
                    with open(os.path.join(dirpath, name), "rb") as fh:
                        lines += sum(1 for line in fh if line.strip())
    return files, lines


def _children(pid: int) -> list[int]:
    out: list[int] = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/children", encoding="ascii") as fh:
                out.extend(int(c) for c in fh.read().split())
    except OSError:
        pass
    return out


def _rss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


class TreeSampler(threading.Thread):
    """Samples the summed RSS of a process and all its descendants."""

    def __init__(self, pid: int, interval: float = 0.05) -> None:
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.peak_kib = 0
        self.done = threading.Event()
        self.available = Path(f"/proc/{pid}/task").is_dir()

    def run(self) -> None:
        while not self.done.is_set():
            stack, total, seen = [self.pid], 0, set()
            while stack:
                pid = stack.pop()
                if pid in seen:
                    continue
                seen.add(pid)
                total += _rss_kib(pid)
                stack.extend(_children(pid))
            self.peak_kib = max(self.peak_kib, total)
            self.done.wait(self.interval)


def measure(command: list[str], cwd: Path, log: Path) -> Run:
    """Run ``command`` once; wall time, peak memory and exit code."""
    with log.open("wb") as err:
        started = time.perf_counter()
        proc = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=err)
        sampler = TreeSampler(proc.pid)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        sampler.done.set()
        sampler.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    # ru_maxrss is in KiB on Linux (bytes on macOS).
    scale = 1024 * 1024 if sys.platform == "darwin" else 1024
    tree = sampler.peak_kib / 1024 if sampler.available and sampler.peak_kib else None
    return Run(
        wall_s=round(wall, 2),
        cpu_s=round(usage.ru_utime + usage.ru_stime, 2),
        peak_mib=round(usage.ru_maxrss / scale, 1),
        tree_mib=tree and round(tree, 1),
        exit_code=proc.returncode,
    )


def ensure_bandit() -> Path:
    bandit = BIN / "bandit"
    if bandit.exists():
        return bandit
    spec = "bandit"
    try:
        import tomllib

        with (REPO / "pyproject.toml").open("rb") as fh:
            spec = tomllib.load(fh)["project"]["optional-dependencies"]["bench"][0]
    except (ImportError, KeyError, IndexError, OSError):
        pass
    print(f"bench: installing {spec} into {sys.prefix}", file=sys.stderr)
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", spec], check=True)
    return bandit


def _tool(name: str) -> str | None:
    local = BIN / name
    return str(local) if local.exists() else shutil.which(name)


def run_tool(result: ToolResult, runs: int, cwd: Path, out: Path, logs: Path) -> None:
    for index in range(runs):
        log = logs / f"{result.tool}-{index}.log"
        run = measure(result.command, cwd, log)
        result.runs.append(run)
        print(
            f"  {result.tool} run {index + 1}/{runs}: {run.wall_s:.2f} s ({run.cpu_s:.1f} s CPU), "
            f"{run.peak_mib:.0f} MiB"
            f" (tree {run.tree_mib or 0:.0f} MiB), exit {run.exit_code}",
            file=sys.stderr,
        )
    stderr = (logs / f"{result.tool}-0.log").read_text(errors="replace").strip().splitlines()
    try:
        data = json.loads(out.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        result.note = stderr[-1][:200] if stderr else "no report written"
        return
    if result.tool == "aiscan":
        result.files = data.get("files_scanned")
        result.findings = len(data.get("findings", []))
        errors = data.get("errors", [])
        kinds = Counter(
            f"{e['kind']}{'' if e.get('fatal', True) else ' (not fatal)'}" for e in errors
        )
        if errors:
            result.note = "scan errors: " + ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))
    elif result.tool == "bandit":
        result.files = len([k for k in data.get("metrics", {}) if k != "_totals"])
        result.findings = len(data.get("results", []))
        if data.get("errors"):
            result.note = f"{len(data['errors'])} files bandit could not scan"
    elif result.tool == "semgrep":
        result.files = len(data.get("paths", {}).get("scanned", []))
        result.findings = len(data.get("results", []))
        if data.get("errors"):
            result.note = f"{len(data['errors'])} semgrep errors"


def _fmt(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _ratio(a: float | None, b: float | None) -> str:
    return "-" if a is None or not b else f"{a / b:.2f}x"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--slice", choices=("small", "medium", "full"), default="medium")
    parser.add_argument("--runs", type=int, default=3, help="runs per tool (median taken)")
    parser.add_argument(
        "--jobs",
        type=int,
        default=None,
        help="aiscan --jobs and semgrep -j (default: aiscan's own default)",
    )
    parser.add_argument("--json", metavar="OUT", help="also write the results here as JSON")
    parser.add_argument("--dest", default=str(REPO / ".bench"), help="corpus folder")
    parser.add_argument(
        "--semgrep-config",
        default="p/python",
        help="semgrep --config (default p/python, which needs semgrep.dev)",
    )
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be 1 or more")

    folders = build_corpus(Path(args.dest).resolve(), args.slice)
    files, lines = count_source(folders)
    aiscan = _tool("aiscan")
    if aiscan is None:
        sys.exit("bench: aiscan is not installed (pip install -e .)")
    bandit = ensure_bandit()
    semgrep = _tool("semgrep")

    with tempfile.TemporaryDirectory(prefix="aiscan-bench-") as tmp:
        work = Path(tmp)
        targets = [str(p) for p in folders]
        outs = {name: work / f"{name}.json" for name in ("aiscan", "bandit", "semgrep")}
        jobs = ["--jobs", str(args.jobs)] if args.jobs else []
        results = [
            ToolResult(
                "aiscan",
                [
                    aiscan,
                    "scan",
                    *targets,
                    "-f",
                    "json",
                    "-o",
                    str(outs["aiscan"]),
                    "--exit-zero",
                    *jobs,
                ],
            ),
            ToolResult(
                "bandit",
                [str(bandit), "-r", *targets, "-q", "-f", "json", "-o", str(outs["bandit"])],
            ),
        ]
        skipped = ""
        if semgrep:
            results.append(
                ToolResult(
                    "semgrep",
                    [
                        semgrep,
                        "scan",
                        "--config",
                        args.semgrep_config,
                        "--json",
                        "-o",
                        str(outs["semgrep"]),
                        "--metrics",
                        "off",
                        "--quiet",
                        *(["-j", str(args.jobs)] if args.jobs else []),
                        *targets,
                    ],
                )
            )
        else:
            skipped = "semgrep: not installed, skipped"
        print(
            f"bench: {args.slice} slice, {files} files, {lines} non-blank lines, "
            f"{args.runs} run(s) per tool, {os.cpu_count()} cores",
            file=sys.stderr,
        )
        for result in results:
            run_tool(result, args.runs, REPO, outs[result.tool], work)

    by_tool = {r.tool: r for r in results}
    print(
        f"\n{args.slice} slice: {files} .py files, {lines} non-blank lines; "
        f"median of {args.runs} run(s); {os.cpu_count()} cores\n"
    )
    print(
        "| tool | wall s | CPU s | peak MiB (largest process) | peak MiB (process tree) "
        "| files | findings | exit |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for r in results:
        exits = ",".join(sorted({str(run.exit_code) for run in r.runs}))
        print(
            f"| {r.tool} | {_fmt(r.median('wall_s'))} | {_fmt(r.median('cpu_s'))} "
            f"| {_fmt(r.median('peak_mib'), 0)} "
            f"| {_fmt(r.median('tree_mib'), 0)} | {r.files if r.files is not None else '-'} "
            f"| {r.findings if r.findings is not None else '-'} | {exits} |"
        )
    ratios: dict[str, dict[str, str]] = {}
    for other in ("bandit", "semgrep"):
        if other in by_tool:
            a, b = by_tool["aiscan"], by_tool[other]
            ratios[other] = {
                "wall": _ratio(a.median("wall_s"), b.median("wall_s")),
                "cpu": _ratio(a.median("cpu_s"), b.median("cpu_s")),
                "peak": _ratio(a.median("peak_mib"), b.median("peak_mib")),
                "tree": _ratio(a.median("tree_mib"), b.median("tree_mib")),
            }
            print(
                f"\naiscan/{other}: wall {ratios[other]['wall']}, CPU {ratios[other]['cpu']}, "
                f"peak memory "
                f"{ratios[other]['peak']} (largest process), {ratios[other]['tree']} (tree)"
            )
    if skipped:
        print(f"\n{skipped}")
    for r in results:
        if r.note:
            print(f"\n{r.tool}: {r.note}")
        if any(run.exit_code not in (0, 1) for run in r.runs) or not r.files:
            print(f"warning: {r.tool} exited {r.runs[0].exit_code} and scanned {r.files} files")

    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {
                    "slice": args.slice,
                    "files": files,
                    "lines": lines,
                    "runs": args.runs,
                    "jobs": args.jobs,
                    "cores": os.cpu_count(),
                    "python": sys.version.split()[0],
                    "tools": [asdict(r) for r in results],
                    "ratios": ratios,
                    "skipped": skipped,
                },
                indent=2,
            )
            + "\n",
            encoding="utf-8",
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
