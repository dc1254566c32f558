#!/usr/bin/env python3
"""Time aiscan against Bandit (and Semgrep, when installed) on the pinned corpus and on apps.

Every tool scans the same code, N times; the tables give the median wall time, CPU time and
peak memory of each, and the ratios to Bandit and Semgrep.

    .venv/bin/python benchmarks/bench.py                      # medium slice, 3 runs each
    .venv/bin/python benchmarks/bench.py --slice small --runs 1
    .venv/bin/python benchmarks/bench.py --slice apps --runs 1 --json apps.json
    .venv/bin/python benchmarks/bench.py --jobs 2 --json bench.json --write-doc docs/performance.md

What is measured:

- a slice of the corpus (../shared/bench/corpus.sh, unpacked into .bench/): one row per tool
  over all of the slice's projects together;
- ``--slice apps``: real applications (APPS below) fetched from PyPI by pinned version into
  .bench/_apps/ and unpacked into .bench/apps/NAME-VERSION/; each project is its own pair of
  rows, aiscan and Bandit, scanned from inside the project folder;
- the start-up row: aiscan and Bandit on one small file, the median of ``--startup-runs`` runs
  (after one warm-up run each), as an editor or a pre-commit hook calls them.

aiscan's rows have a warm column: the same command again right after each cold run, with the
incremental cache the cold run filled (``--cache-dir``, a fresh folder for every cold run, so
that a cold run is really cold); "n/a" when ``aiscan scan --help`` has no ``--cache-dir``.
aiscan's per-user cache (the compiled rule pack and interpreter probes, AISCAN_CACHE_DIR) is a
folder of the benchmark's own, filled by the first aiscan run.

Memory is measured two ways: the largest single process (the ru_maxrss that os.wait4 reports,
as /usr/bin/time's %M), and the sum of the resident set sizes of the whole process tree (worker
processes and their children included), sampled from /proc every 50 ms on Linux. Shared pages
(a forked worker's copy-on-write memory) count once per process, so the tree figure is an upper
bound. Each tool runs in a process group of its own; when the tree passes ``--max-tree-mib``
the whole group is killed and the row says so. CPU seconds (user + system, workers included)
are printed too: on a busy machine they say more than wall time. The load average before and
after is part of the report.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import zipfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CORPUS_SCRIPT = REPO.parent / "shared" / "bench" / "corpus.sh"
BIN = Path(sys.executable).parent

#: The apps slice: (distribution, pinned version).
APPS: tuple[tuple[str, str], ...] = (
    ("open-webui", "0.12.4"),
    ("litellm", "1.110.2"),
    ("mlflow", "3.18.0"),
    ("label-studio", "1.23.2"),
)

#: The file of the start-up row: small, but with an import and a call that rules look at.
STARTUP_FILE = """\
import requests


def fetch(url):
    return requests.get(url, timeout=5).json()
"""


@dataclass
class Run:
    wall_s: float
    cpu_s: float  # user + system time of the tool and its (waited-for) worker processes
    peak_mib: float  # the largest single process
    tree_mib: float | None  # all processes of the tool together (sampled), None off Linux
    exit_code: int
    killed_at_mib: float | None = None  # the tree's size when the watchdog killed it


@dataclass
class ToolResult:
    tool: str
    command: list[str]
    runs: list[Run] = field(default_factory=list)
    #: The same command again right after each cold run, with the cache that run filled.
    warm_runs: list[Run] = field(default_factory=list)
    files: int | None = None
    findings: int | None = None
    #: Non-fatal problems the tool reported (aiscan: errors with fatal false; Bandit: errors).
    notifications: int | None = None
    note: str = ""

    def median(self, attr: str, warm: bool = False) -> float | None:
        runs = self.warm_runs if warm else self.runs
        values = [getattr(r, attr) for r in runs if getattr(r, attr) is not None]
        return statistics.median(values) if values else None

    @property
    def killed(self) -> float | None:
        """The largest tree size at which a run was killed, None when none was."""
        sizes = [r.killed_at_mib for r in [*self.runs, *self.warm_runs] if r.killed_at_mib]
        return max(sizes) if sizes else None


@dataclass
class AppResult:
    name: str
    version: str
    folder: str
    archive: str
    files: int
    lines: int
    tools: list[ToolResult] = field(default_factory=list)
    ratios: dict[str, str] = field(default_factory=dict)
    note: str = ""


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


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _archive_release(path: Path) -> tuple[str, str] | None:
    """(distribution, version) of a wheel or sdist file name, None for anything else."""
    name = path.name
    if name.endswith(".whl"):
        parts = name[: -len(".whl")].split("-")
        return (parts[0], parts[1]) if len(parts) >= 5 else None
    for suffix in (".tar.gz", ".zip", ".tar.bz2", ".tgz"):
        if name.endswith(suffix):
            stem = name[: -len(suffix)]
            if "-" in stem:
                dist, version = stem.rsplit("-", 1)
                return dist, version
    return None


def find_archive(folder: Path, name: str, version: str) -> Path | None:
    """An already downloaded wheel or sdist of ``name==version`` in ``folder`` (wheel first)."""
    if not folder.is_dir():
        return None
    found = [
        p
        for p in sorted(folder.iterdir())
        if (release := _archive_release(p)) is not None
        and _canonical(release[0]) == _canonical(name)
        and release[1] == version
    ]
    found.sort(key=lambda p: not p.name.endswith(".whl"))
    return found[0] if found else None


def download_app(folder: Path, name: str, version: str) -> Path:
    """``pip download --no-deps`` of the pinned release: a wheel when there is one (no build
    step), else the sdist."""
    folder.mkdir(parents=True, exist_ok=True)
    spec = f"{name}=={version}"
    for kind in ("--only-binary", "--no-binary"):
        print(f"bench: pip download {spec} ({kind} :all:)", file=sys.stderr)
        pip = [sys.executable, "-m", "pip", "download", "--no-deps", "-q"]
        done = subprocess.run([*pip, kind, ":all:", "-d", str(folder), spec], check=False)
        archive = find_archive(folder, name, version)
        if done.returncode == 0 and archive is not None:
            return archive
    sys.exit(f"bench: pip download {spec} failed")


def unpack(archive: Path, target: Path) -> None:
    """Unpack a wheel (a zip) or an sdist into ``target``, atomically (a half-unpacked tree is
    never taken for a whole one)."""
    partial = target.with_name(target.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    if archive.name.endswith((".whl", ".zip")):
        with zipfile.ZipFile(archive) as zf:
            zf.extractall(partial)  # zipfile drops absolute paths and ".." parts
    else:
        with tarfile.open(archive) as tf:
            if hasattr(tarfile, "data_filter"):
                tf.extractall(partial, filter="data")
            else:  # pragma: no cover - Python before 3.10.12 / 3.11.4
                tf.extractall(partial)
    partial.rename(target)


def fetch_app(dest: Path, name: str, version: str) -> tuple[Path, Path]:
    """The unpacked project (.bench/apps/NAME-VERSION) and the archive it came from."""
    archives = dest / "_apps"
    target = dest / "apps" / f"{name}-{version}"
    archive = find_archive(archives, name, version) or download_app(archives, name, version)
    if not target.is_dir():
        print(f"bench: unpacking {archive.name} into {target}", file=sys.stderr)
        unpack(archive, target)
    return target, archive


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
    """The child processes of every thread of ``pid`` (a worker pool's threads fork too)."""
    out: list[int] = []
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return out
    for tid in tids:
        # Each thread on its own: one that ends between listdir and open loses only itself.
        try:
            with open(f"/proc/{pid}/task/{tid}/children", encoding="ascii") as fh:
                out.extend(int(c) for c in fh.read().split())
        except (OSError, ValueError):
            continue
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


def tree_rss_kib(root: int) -> int:
    """The summed RSS of ``root`` and all its descendants (children, grandchildren ...)."""
    stack, total, seen = [root], 0, set()
    while stack:
        pid = stack.pop()
        if pid in seen:
            continue
        seen.add(pid)
        total += _rss_kib(pid)
        stack.extend(_children(pid))
    return total


class TreeSampler(threading.Thread):
    """Samples the summed RSS of a process and all its descendants; past ``limit_kib`` it kills
    the process group ``pgid`` (the tool and every process it started) once."""

    def __init__(
        self, pid: int, interval: float = 0.05, limit_kib: int = 0, pgid: int | None = None
    ) -> None:
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.limit_kib, self.pgid = limit_kib, pgid
        self.peak_kib = 0
        self.killed_at_kib: int | None = None
        self.done = threading.Event()
        self.available = Path(f"/proc/{pid}/task").is_dir()

    def run(self) -> None:
        while not self.done.is_set():
            total = tree_rss_kib(self.pid)
            self.peak_kib = max(self.peak_kib, total)
            if self.limit_kib and total > self.limit_kib and self.killed_at_kib is None:
                self.killed_at_kib = total
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(self.pgid if self.pgid is not None else self.pid, signal.SIGKILL)
            self.done.wait(self.interval)


def measure(
    command: list[str],
    cwd: Path,
    log: Path,
    *,
    max_tree_mib: int = 0,
    env: dict[str, str] | None = None,
) -> Run:
    """Run ``command`` once, in a process group of its own; wall time, CPU time, peak memory
    and exit code. ``max_tree_mib`` > 0 kills the group when the tree grows past it."""
    with log.open("wb") as err:
        started = time.perf_counter()
        proc = subprocess.Popen(
            command,
            cwd=cwd,
            stdout=subprocess.DEVNULL,
            stderr=err,
            env=env,
            start_new_session=True,
        )
        sampler = TreeSampler(proc.pid, limit_kib=max_tree_mib * 1024, pgid=proc.pid)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        sampler.done.set()
        sampler.join()
    if sampler.killed_at_kib is not None:
        # The workers may outlive the parent by a moment: make sure nothing stays behind.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
    proc.returncode = os.waitstatus_to_exitcode(status)
    # ru_maxrss is in KiB on Linux (bytes on macOS).
    scale = 1024 * 1024 if sys.platform == "darwin" else 1024
    tree = sampler.peak_kib / 1024 if sampler.available and sampler.peak_kib else None
    killed = sampler.killed_at_kib
    return Run(
        wall_s=round(wall, 2),
        cpu_s=round(usage.ru_utime + usage.ru_stime, 2),
        peak_mib=round(usage.ru_maxrss / scale, 1),
        tree_mib=tree and round(tree, 1),
        exit_code=proc.returncode,
        killed_at_mib=round(killed / 1024) if killed is not None else None,
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


def supports_cache_dir(aiscan: str) -> bool:
    """Whether this aiscan has the incremental cache (``scan --cache-dir``)."""
    done = subprocess.run(
        [aiscan, "scan", "--help"], capture_output=True, text=True, check=False, timeout=120
    )
    return "--cache-dir" in done.stdout


@dataclass
class Bench:
    """What every measurement shares: where logs go, the aiscan environment, the limits."""

    work: Path
    env: dict[str, str]
    max_tree_mib: int
    warm: bool  # aiscan has --cache-dir: run each aiscan command again, warm

    def cache_dir(self) -> Path:
        return Path(tempfile.mkdtemp(prefix="aiscan-cache-", dir=self.work))


def report_to(out: Path) -> list[str]:
    return ["-f", "json", "-o", str(out)]


def _cached(command: list[str], cache: Path | None) -> list[str]:
    return [*command, "--cache-dir", str(cache)] if cache is not None else command


def run_tool(
    result: ToolResult, runs: int, cwd: Path, out: Path, bench: Bench, label: str = ""
) -> None:
    """Run ``result.command`` ``runs`` times from ``cwd`` (aiscan: each cold run followed by a
    warm one), then read the tool's report ``out``."""
    label = label or result.tool
    warm = bench.warm and result.tool == "aiscan"
    differ: list[str] = []
    for index in range(runs):
        cache = bench.cache_dir() if warm else None
        log = bench.work / f"{label}-{index}.log"
        out.unlink(missing_ok=True)  # a run that writes no report leaves none behind
        run = measure(
            _cached(result.command, cache),
            cwd,
            log,
            max_tree_mib=bench.max_tree_mib,
            env=bench.env,
        )
        result.runs.append(run)
        _show(result.tool, "cold" if warm else "run", index, runs, run)
        if warm and run.killed_at_mib is None:
            cold_findings = _findings(out)
            out.unlink(missing_ok=True)
            again = measure(
                _cached(result.command, cache),
                cwd,
                bench.work / f"{label}-{index}-warm.log",
                max_tree_mib=bench.max_tree_mib,
                env=bench.env,
            )
            result.warm_runs.append(again)
            _show(result.tool, "warm", index, runs, again)
            warm_findings = _findings(out)
            if warm_findings != cold_findings:
                differ.append(f"run {index + 1}: {cold_findings} cold, {warm_findings} warm")
    read_report(result, out, (bench.work / f"{label}-0.log"))
    if differ:
        result.note = "; ".join([*filter(None, [result.note]), "findings differ", *differ])


def _findings(out: Path) -> int | None:
    try:
        return len(json.loads(out.read_text(encoding="utf-8")).get("findings", []))
    except (OSError, ValueError, AttributeError):
        return None


def _show(tool: str, what: str, index: int, runs: int, run: Run) -> None:
    killed = f", KILLED at {run.killed_at_mib} MiB" if run.killed_at_mib else ""
    print(
        f"  {tool} {what} {index + 1}/{runs}: {run.wall_s:.2f} s ({run.cpu_s:.1f} s CPU), "
        f"{run.peak_mib:.0f} MiB (tree {run.tree_mib or 0:.0f} MiB), exit {run.exit_code}"
        f"{killed}",
        file=sys.stderr,
    )


def read_report(result: ToolResult, out: Path, log: Path) -> None:
    """Files, findings and notifications from the tool's JSON report (of its last run)."""
    stderr = log.read_text(errors="replace").strip().splitlines() if log.exists() else []
    if result.killed is not None:
        result.note = f"killed at {result.killed:.0f} MiB (--max-tree-mib)"
    try:
        data = json.loads(out.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        if not result.note:
            result.note = stderr[-1][:200] if stderr else "no report written"
        return
    if result.tool == "aiscan":
        result.files = data.get("files_scanned")
        result.findings = len(data.get("findings", []))
        errors = data.get("errors", [])
        result.notifications = sum(1 for e in errors if not e.get("fatal", True))
        kinds: dict[str, int] = {}
        for e in errors:
            kind = f"{e['kind']}{'' if e.get('fatal', True) else ' (not fatal)'}"
            kinds[kind] = kinds.get(kind, 0) + 1
        if errors and not result.note:
            result.note = "scan errors: " + ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))
    elif result.tool == "bandit":
        result.files = len([k for k in data.get("metrics", {}) if k != "_totals"])
        result.findings = len(data.get("results", []))
        result.notifications = len(data.get("errors", []))
        if data.get("errors") and not result.note:
            result.note = f"{len(data['errors'])} files bandit could not scan"
    elif result.tool == "semgrep":
        result.files = len(data.get("paths", {}).get("scanned", []))
        result.findings = len(data.get("results", []))
        result.notifications = len(data.get("errors", []))
        if data.get("errors") and not result.note:
            result.note = f"{len(data['errors'])} semgrep errors"


def _fmt(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _ratio(a: float | None, b: float | None) -> str:
    return "-" if a is None or not b else f"{a / b:.2f}x"


def ratios_of(a: ToolResult, b: ToolResult) -> dict[str, str]:
    if a.killed is not None or b.killed is not None:
        return dict.fromkeys(("wall", "warm_wall", "cpu", "peak", "tree"), "- (killed)")
    return {
        "wall": _ratio(a.median("wall_s"), b.median("wall_s")),
        "warm_wall": _ratio(a.median("wall_s", warm=True), b.median("wall_s")),
        "cpu": _ratio(a.median("cpu_s"), b.median("cpu_s")),
        "peak": _ratio(a.median("peak_mib"), b.median("peak_mib")),
        "tree": _ratio(a.median("tree_mib"), b.median("tree_mib")),
    }


def _count(value: int | None) -> str:
    return "-" if value is None else str(value)


def _warm_cell(r: ToolResult, warm: bool) -> str:
    if r.tool != "aiscan":
        return ""
    return _fmt(r.median("wall_s", warm=True)) if warm else "n/a"


def table_head(project: bool = False) -> list[str]:
    lead = "| project " if project else ""
    return [
        f"{lead}| tool | wall s | warm wall s | CPU s | peak MiB (largest process) "
        "| peak MiB (process tree) | files | findings | notifications | exit |",
        f"{'|---' if project else ''}|---|---|---|---|---|---|---|---|---|---|",
    ]


def tool_rows(results: Sequence[ToolResult], warm: bool, first: str = "") -> list[str]:
    """Markdown rows: one per tool (``first`` is a leading cell, e.g. the project)."""
    lines = []
    for r in results:
        exits = ",".join(sorted({str(run.exit_code) for run in r.runs}))
        if r.killed is not None:
            exits = f"killed at {r.killed:.0f} MiB"
        cell = f"| {first} " if first else ""
        lines.append(
            f"{cell}| {r.tool} | {_fmt(r.median('wall_s'))} | {_warm_cell(r, warm)} "
            f"| {_fmt(r.median('cpu_s'))} | {_fmt(r.median('peak_mib'), 0)} "
            f"| {_fmt(r.median('tree_mib'), 0)} | {_count(r.files)} | {_count(r.findings)} "
            f"| {_count(r.notifications)} | {exits} |"
        )
    return lines


def ratio_line(other: str, ratios: dict[str, str]) -> str:
    return (
        f"aiscan/{other}: wall {ratios['wall']} (warm {ratios['warm_wall']}), "
        f"CPU {ratios['cpu']}, peak memory {ratios['peak']} (largest process), "
        f"{ratios['tree']} (tree)"
    )


def run_slice(
    args: argparse.Namespace, bench: Bench, aiscan: str, bandit: Path
) -> dict[str, object]:
    folders = build_corpus(Path(args.dest).resolve(), args.slice)
    files, lines = count_source(folders)
    semgrep = _tool("semgrep")
    targets = [str(p) for p in folders]
    outs = {name: bench.work / f"{name}.json" for name in ("aiscan", "bandit", "semgrep")}
    jobs = ["--jobs", str(args.jobs)] if args.jobs else []
    results = [
        ToolResult(
            "aiscan",
            [aiscan, "scan", *targets, *report_to(outs["aiscan"]), "--exit-zero", *jobs],
        ),
        ToolResult(
            "bandit", [str(bandit), "-r", *targets, "-q", "-f", "json", "-o", str(outs["bandit"])]
        ),
    ]
    skipped = ""
    if semgrep:
        results.append(
            ToolResult(
                "semgrep",
                [semgrep, "scan", "--config", args.semgrep_config, "--json"]
                + ["-o", str(outs["semgrep"]), "--metrics", "off", "--quiet"]
                + (["-j", str(args.jobs)] if args.jobs else [])
                + targets,
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
        run_tool(result, args.runs, REPO, outs[result.tool], bench)
    by_tool = {r.tool: r for r in results}
    ratios = {
        other: ratios_of(by_tool["aiscan"], by_tool[other])
        for other in ("bandit", "semgrep")
        if other in by_tool
    }
    return {
        "slice": args.slice,
        "files": files,
        "lines": lines,
        "tools": results,
        "ratios": ratios,
        "skipped": skipped,
    }


def run_apps(args: argparse.Namespace, bench: Bench, aiscan: str, bandit: Path) -> list[AppResult]:
    dest = Path(args.dest).resolve()
    wanted = set(args.app or ())
    unknown = wanted - {name for name, _ in APPS}
    if unknown:
        sys.exit(
            f"bench: unknown app {sorted(unknown)[0]} (one of {', '.join(n for n, _ in APPS)})"
        )
    apps: list[AppResult] = []
    jobs = ["--jobs", str(args.jobs)] if args.jobs else []
    for name, version in APPS:
        if wanted and name not in wanted:
            continue
        folder, archive = fetch_app(dest, name, version)
        files, lines = count_source([folder])
        app = AppResult(name, version, str(folder), archive.name, files, lines)
        print(f"bench: {name} {version}: {files} files, {lines} non-blank lines", file=sys.stderr)
        out_a = bench.work / f"{name}-aiscan.json"
        out_b = bench.work / f"{name}-bandit.json"
        app.tools = [
            ToolResult(
                "aiscan",
                [aiscan, "scan", ".", "-f", "json", "-o", str(out_a), "--exit-zero", *jobs],
            ),
            ToolResult("bandit", [str(bandit), "-r", ".", "-q", "-f", "json", "-o", str(out_b)]),
        ]
        for result, out in zip(app.tools, (out_a, out_b), strict=True):
            run_tool(result, args.runs, folder, out, bench, label=f"{name}-{result.tool}")
        app.ratios = ratios_of(app.tools[0], app.tools[1])
        apps.append(app)
    return apps


def run_startup(
    args: argparse.Namespace, bench: Bench, aiscan: str, bandit: Path
) -> dict[str, object]:
    """aiscan and Bandit on one small file: one warm-up run each, then the median of N. Each
    aiscan run gets a fresh --cache-dir when it has one (the file is really analysed); the
    per-user cache is warm, as it is for every call after the first. The first-ever call (an
    empty per-user cache too) is measured once on its own."""
    folder = Path(tempfile.mkdtemp(prefix="startup-", dir=bench.work))
    (folder / "one.py").write_text(STARTUP_FILE, encoding="utf-8")
    out = bench.work / "startup.json"
    tools = {
        "aiscan": [aiscan, "scan", "one.py", "-f", "json", "-o", str(out), "--exit-zero"],
        "bandit": [str(bandit), "one.py", "-q", "-f", "json", "-o", str(out)],
    }
    results: dict[str, object] = {
        "file_lines": STARTUP_FILE.count("\n"),
        "runs": args.startup_runs,
    }
    for tool, command in tools.items():
        runs: list[Run] = []
        for index in range(args.startup_runs + 1):
            cache = bench.cache_dir() if bench.warm and tool == "aiscan" else None
            run = measure(
                _cached(command, cache), folder, bench.work / f"startup-{tool}.log", env=bench.env
            )
            if index:  # the first is the warm-up
                runs.append(run)
        wall = statistics.median(r.wall_s for r in runs)
        results[tool] = {
            "wall_s": wall,
            "wall_min_s": min(r.wall_s for r in runs),
            "cpu_s": statistics.median(r.cpu_s for r in runs),
            "peak_mib": statistics.median(r.peak_mib for r in runs),
            "exit_codes": sorted({r.exit_code for r in runs}),
        }
        print(f"  start-up {tool}: median {wall:.2f} s of {len(runs)} runs", file=sys.stderr)
    # After the warm-up (which also filled a bytecode cache, when there is one to fill).
    first = measure(
        _cached(tools["aiscan"], bench.cache_dir() if bench.warm else None),
        folder,
        bench.work / "startup-first.log",
        env={**bench.env, "AISCAN_CACHE_DIR": str(bench.cache_dir())},
    )
    results["aiscan_first_run_s"] = first.wall_s
    return results


def startup_table(startup: dict[str, object]) -> list[str]:
    a, b = startup["aiscan"], startup["bandit"]
    assert isinstance(a, dict) and isinstance(b, dict)
    lines = [
        f"One file of {startup['file_lines']} lines; median of {startup['runs']} runs after one "
        "warm-up run each.",
        "",
        "| tool | wall s (median) | wall s (min) | CPU s | peak MiB | exit |",
        "|---|---|---|---|---|---|",
    ]
    for tool, row in (("aiscan", a), ("bandit", b)):
        lines.append(
            f"| {tool} | {row['wall_s']:.2f} | {row['wall_min_s']:.2f} | {row['cpu_s']:.2f} "
            f"| {row['peak_mib']:.0f} | {','.join(map(str, row['exit_codes']))} |"
        )
    lines += [
        "",
        f"aiscan/bandit: wall {_ratio(a['wall_s'], b['wall_s'])}, CPU "
        f"{_ratio(a['cpu_s'], b['cpu_s'])}. aiscan's very first run (empty per-user cache): "
        f"{startup['aiscan_first_run_s']:.2f} s.",
    ]
    return lines


def apps_table(apps: Sequence[AppResult], warm: bool) -> list[str]:
    rows = [
        "| project | files | non-blank lines |",
        "|---|---|---|",
        *[f"| {a.name} {a.version} | {a.files} | {a.lines} |" for a in apps],
        "",
    ]
    rows += table_head(project=True)
    for app in apps:
        rows += tool_rows(app.tools, warm, first=f"{app.name} {app.version}")
    rows.append("")
    for app in apps:
        rows.append(f"- {app.name}: {ratio_line('bandit', app.ratios)}")
        for tool in app.tools:
            if tool.note:
                rows.append(f"  - {tool.tool}: {tool.note}")
    return rows


def write_doc(path: Path, sections: dict[str, list[str]]) -> None:
    """Replace the text between ``<!-- bench:NAME -->`` and ``<!-- /bench:NAME -->`` in
    ``path`` for each measured section (the rest of the page is left as written)."""
    text = path.read_text(encoding="utf-8")
    for name, lines in sections.items():
        start, end = f"<!-- bench:{name} -->", f"<!-- /bench:{name} -->"
        if start not in text or end not in text:
            print(f"bench: {path} has no {start} section; not written", file=sys.stderr)
            continue
        head, rest = text.split(start, 1)
        _, tail = rest.split(end, 1)
        text = f"{head}{start}\n" + "\n".join(lines) + f"\n{end}{tail}"
    path.write_text(text, encoding="utf-8")


def _load() -> list[float]:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return []


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--slice",
        choices=("small", "medium", "full", "apps", "none"),
        default="medium",
        help="a corpus slice, the apps (one row pair per project), or none (start-up row only)",
    )
    parser.add_argument(
        "--app", action="append", metavar="NAME", help="with --slice apps: only these projects"
    )
    parser.add_argument("--runs", type=int, default=3, help="runs per tool (median taken)")
    parser.add_argument(
        "--startup-runs",
        type=int,
        default=10,
        metavar="N",
        help="runs of the one-file start-up row (median taken; 0 skips it)",
    )
    parser.add_argument(
        "--max-tree-mib",
        type=int,
        default=6000,
        metavar="MIB",
        help="kill a tool's whole process group when its tree passes this (0: no limit)",
    )
    parser.add_argument(
        "--jobs",
        type=int,
        default=None,
        help="aiscan --jobs and semgrep -j (default: aiscan's own default)",
    )
    parser.add_argument("--json", metavar="OUT", help="also write the results here as JSON")
    parser.add_argument(
        "--write-doc",
        metavar="FILE",
        help="fill the <!-- bench:... --> sections of this page (docs/performance.md)",
    )
    parser.add_argument("--dest", default=str(REPO / ".bench"), help="corpus folder")
    parser.add_argument(
        "--semgrep-config",
        default="p/python",
        help="semgrep --config (default p/python, which needs semgrep.dev)",
    )
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be 1 or more")
    if args.startup_runs < 0:
        parser.error("--startup-runs must be 0 or more")

    aiscan = _tool("aiscan")
    if aiscan is None:
        sys.exit("bench: aiscan is not installed (pip install -e .)")
    bandit = ensure_bandit()
    load_before = _load()
    started = time.time()
    report: dict[str, object] = {
        "slice": args.slice,
        "runs": args.runs,
        "jobs": args.jobs,
        "cores": os.cpu_count(),
        "python": sys.version.split()[0],
        "max_tree_mib": args.max_tree_mib,
        "load_average_before": load_before,
    }
    sections: dict[str, list[str]] = {}
    with tempfile.TemporaryDirectory(prefix="aiscan-bench-") as tmp:
        work = Path(tmp)
        user_cache = work / "user-cache"
        bench = Bench(
            work,
            {**os.environ, "AISCAN_CACHE_DIR": str(user_cache)},
            args.max_tree_mib,
            supports_cache_dir(aiscan),
        )
        report["warm_supported"] = bench.warm
        if not bench.warm:
            print("bench: aiscan has no --cache-dir: warm runs are n/a", file=sys.stderr)
        if args.startup_runs:
            startup = run_startup(args, bench, aiscan, bandit)
            report["startup"] = startup
            sections["startup"] = startup_table(startup)
        corpus: dict[str, object] | None = None
        apps: list[AppResult] = []
        if args.slice == "apps":
            apps = run_apps(args, bench, aiscan, bandit)
            report["apps"] = [asdict(a) for a in apps]
            sections["apps"] = apps_table(apps, bench.warm)
        elif args.slice != "none":
            corpus = run_slice(args, bench, aiscan, bandit)
            tools = corpus["tools"]
            assert isinstance(tools, list)
            report.update(corpus, tools=[asdict(r) for r in tools])
            table = table_head() + tool_rows(tools, bench.warm)
            ratios = corpus["ratios"]
            assert isinstance(ratios, dict)
            table += ["", *[ratio_line(o, r) for o, r in ratios.items()]]
            sections[f"slice-{args.slice}"] = [
                f"{args.slice} slice: {corpus['files']} .py files, {corpus['lines']} non-blank "
                f"lines; median of {args.runs} run(s); {os.cpu_count()} cores.",
                "",
                *table,
            ]

    report["load_average_after"] = _load()
    report["elapsed_s"] = round(time.time() - started, 1)
    no_pyc = bool(os.environ.get("PYTHONDONTWRITEBYTECODE"))
    report["bytecode_cache"] = not no_pyc
    busy = (
        f"load average before {load_before or '-'}, after {report['load_average_after'] or '-'} "
        f"({os.cpu_count()} cores)"
        + ("; PYTHONDONTWRITEBYTECODE was set (no .pyc for aiscan's own modules)" if no_pyc else "")
    )
    for lines in sections.values():
        lines.append("")
        lines.append(f"Measured {time.strftime('%Y-%m-%d')}; {busy}.")
    print()
    for name, lines in sections.items():
        print(f"## {name}\n")
        print("\n".join(lines))
        print()
    if corpus is not None:
        if corpus["skipped"]:
            print(corpus["skipped"])
        tools = corpus["tools"]
        assert isinstance(tools, list)
        for r in tools:
            if r.note:
                print(f"{r.tool}: {r.note}")
            if any(run.exit_code not in (0, 1) for run in r.runs) or not r.files:
                print(f"warning: {r.tool} exited {r.runs[0].exit_code} and scanned {r.files} files")
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    if args.write_doc:
        write_doc(Path(args.write_doc), sections)
    return 0


if __name__ == "__main__":
    sys.exit(main())
