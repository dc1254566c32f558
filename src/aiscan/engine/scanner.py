"""Run the matchers over files, in this process or in worker processes, deterministically."""

from __future__ import annotations

import gc
import logging
import os
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from aiscan.engine import observe
from aiscan.engine.context import FileContext, imported_tops, is_test_path
from aiscan.engine.environment import Environment, activate, activated
from aiscan.engine.names import clear_memo, set_scan_roots
from aiscan.engine.project import (
    ModuleCache,
    ParseFailure,
    check_syntax,
    fast_astroid,
    forget_project_modules,
    import_path,
    install_fast_astroid,
    search_roots,
)
from aiscan.engine.source import SourceError, SourceText, decode_source
from aiscan.loader import RuleSet
from aiscan.matchers import build_matchers
from aiscan.matchers.base import Matcher, rule_applies_to, words_in
from aiscan.model import Finding, ScanError
from aiscan.suppressions import parse_suppressions

log = logging.getLogger(__name__)

_RECURSION_LIMIT = 6000
_MAX_FILE_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class FileResult:
    """What one file produced."""

    findings: tuple[Finding, ...] = ()
    suppressed: tuple[Finding, ...] = ()
    errors: tuple[ScanError, ...] = ()
    analysed: bool = True
    #: Top-level modules the file imports (absolute imports), for the environment report.
    imports: tuple[str, ...] = ()
    #: What the analysis read beyond the file's import closure (engine.observe kinds).
    observed: tuple[str, ...] = ()


@dataclass(frozen=True)
class PerPathIgnore:
    """``per-path-ignores``: rules (ids, names or categories) that do not apply under a glob."""

    pattern: str
    rules: tuple[str, ...]
    #: The folder the pattern is relative to (the configuration file's); the scan root if empty.
    base: str = ""


@dataclass
class Analyzer:
    """Per-process state: compiled matchers, the text prefilter and the module cache."""

    ruleset: RuleSet
    root: Path
    per_path_ignores: Sequence[PerPathIgnore] = ()
    files: Sequence[Path] = ()
    matchers: list[Matcher] = field(init=False)
    cache: ModuleCache = field(init=False)

    def __post_init__(self) -> None:
        self.matchers = build_matchers(self.ruleset.rules, root=self.root, files=self.files)
        self.cache = ModuleCache()
        self._prefilters = [(m, m.prefilter().compile()) for m in self.matchers]

    def relpath(self, path: Path) -> str:
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return path.as_posix()

    def analyse(self, path: Path) -> FileResult:
        rel = self.relpath(path)
        try:
            size = path.stat().st_size
            if size > _MAX_FILE_BYTES:
                return FileResult(
                    errors=(
                        ScanError(
                            "read-error",
                            rel,
                            f"file is larger than {_MAX_FILE_BYTES >> 20} MiB; not analysed",
                        ),
                    ),
                    analysed=False,
                )
            data = path.read_bytes()
        except OSError as exc:
            return FileResult(
                errors=(ScanError("read-error", rel, f"cannot read: {exc.strerror or exc}"),),
                analysed=False,
            )
        try:
            source = decode_source(data)
        except SourceError as exc:
            return FileResult(
                errors=(ScanError("decode-error", rel, exc.message, exc.line),), analysed=False
            )
        try:
            check_syntax(source, rel)
        except ParseFailure as exc:
            if isinstance(exc.__cause__, RecursionError):
                # Valid Python nested deeper than the parser goes (3.12+ stops at ~3000 levels):
                # not a syntax error, and --allow-parse-errors does not waive it.
                error = ScanError("recursion-limit", rel, exc.message)
            else:
                error = ScanError("syntax-error", rel, exc.message, exc.line, exc.column)
            return FileResult(errors=(error,), analysed=False)
        present = words_in(source.text)
        active = [
            m
            for m, pre in self._prefilters
            if rule_applies_to(m.rule, rel) and pre(source.text, present)
        ]
        if not active:
            # No rule looks at this file, but a malformed suppression in it is still reported.
            _, _, bad = _apply_suppressions(rel, source.text, [])
            return FileResult(errors=tuple(bad))
        return self._run(path, rel, source, active)

    def _run(self, path: Path, rel: str, source: SourceText, active: list[Matcher]) -> FileResult:
        clear_memo()
        try:
            module = self.cache.build(source, path)
        except ParseFailure as exc:
            return FileResult(
                errors=(ScanError("syntax-error", rel, exc.message, exc.line, exc.column),),
                analysed=False,
            )
        except RecursionError:
            return FileResult(
                errors=(ScanError("recursion-limit", rel, "too deeply nested to analyse"),),
                analysed=False,
            )
        ctx = FileContext(rel, source, module, is_test=is_test_path(rel))
        findings: list[Finding] = []
        errors: list[ScanError] = []
        ignored = self._ignored_rules(rel, path)
        for matcher in active:
            rule = matcher.rule
            if ignored and ignored & {rule.id, rule.name, rule.category}:
                continue
            started = time.perf_counter()
            try:
                findings.extend(matcher.check(ctx))
            except RecursionError:
                errors.append(
                    ScanError(
                        "recursion-limit",
                        rel,
                        f"rule {rule.id} stopped: code too deeply nested to analyse",
                        fatal=False,
                    )
                )
            except Exception as exc:
                log.debug("rule %s failed on %s", rule.id, rel, exc_info=True)
                errors.append(
                    ScanError(
                        "analysis-error",
                        rel,
                        f"rule {rule.id} failed: {type(exc).__name__}: {exc}",
                        fatal=False,
                    )
                )
            log.debug("%s %s %.3fs", rule.id, rel, time.perf_counter() - started)
            note_fn = getattr(matcher, "budget_note", None)
            note = note_fn() if note_fn is not None else None
            if note and not any(e.kind == "budget-exceeded" for e in errors):
                errors.append(ScanError("budget-exceeded", rel, note, fatal=False))
        kept, suppressed, bad = _apply_suppressions(rel, source.text, findings)
        return FileResult(
            tuple(kept),
            tuple(suppressed),
            tuple(errors) + tuple(bad),
            imports=tuple(sorted(imported_tops(module))),
        )

    def _ignored_rules(self, rel: str, path: Path) -> set[str]:
        out: set[str] = set()
        for ppi in self.per_path_ignores:
            target = rel
            if ppi.base:
                try:
                    target = path.relative_to(ppi.base).as_posix()
                except ValueError:
                    continue
            if _glob_match(ppi.pattern, target):
                out.update(ppi.rules)
        return out


def _glob_match(pattern: str, rel: str) -> bool:
    import pathspec

    return bool(pathspec.GitIgnoreSpec.from_lines([pattern]).match_file(rel))


def _apply_suppressions(
    rel: str, text: str, findings: list[Finding]
) -> tuple[list[Finding], list[Finding], list[ScanError]]:
    if not findings and "aiscan" not in text:
        return findings, [], []
    table, bad = parse_suppressions(text)
    errors = [
        ScanError("bad-suppression", rel, b.message, b.line, b.column, fatal=False) for b in bad
    ]
    kept: list[Finding] = []
    suppressed: list[Finding] = []
    for finding in findings:
        sup = None
        for line in range(finding.line, finding.end_line + 1):
            candidate = table.get(line)
            if candidate and set(candidate.rule_ids) & {
                finding.rule_id,
                finding.rule_name,
                finding.category,
            }:
                sup = candidate
                break
        if sup is None:
            kept.append(finding)
        else:
            from dataclasses import replace

            suppressed.append(replace(finding, suppression=sup))
    return kept, suppressed, errors


def _dedupe(findings: list[Finding]) -> list[Finding]:
    """One finding per rule and location. A sink reached from several sources (or found from
    several files' analyses) keeps the flow that sorts first."""
    best: dict[tuple[str, object], Finding] = {}
    for f in findings:
        key = (f.rule_id, f.location)
        current = best.get(key)
        if current is None or f.flow_order() < current.flow_order():
            best[key] = f
    return sorted(best.values(), key=Finding.sort_key)


# --- worker processes -------------------------------------------------------------------------

# The cyclic garbage collector's first threshold while analysing. Building astroid trees and
# taint facts allocates millions of objects that live for the whole file; at the default (700)
# the collector ran ~10,000 times on open-webui and took a quarter of the CPU time. The trees'
# cycles (parent links) are still collected, in fewer, larger passes; workers are recycled on
# memory regardless.
_GC_THRESHOLD = 100_000


@contextmanager
def _gc_tuned() -> Iterator[None]:
    """Raise the collector's threshold for the duration of an in-process scan, then restore
    it (the host program's settings are its own)."""
    saved = gc.get_threshold()
    gc.set_threshold(_GC_THRESHOLD, saved[1], saved[2])
    try:
        yield
    finally:
        gc.set_threshold(*saved)


#: A worker whose resident memory passes this after a file is replaced by a fresh one (what it
#: holds, parsed library modules and summaries, is a cache: the next worker rebuilds what it
#: needs). Override with AISCAN_WORKER_MAX_RSS_MIB.
WORKER_MAX_RSS_MIB = 768


@dataclass(frozen=True)
class _WorkerInit:
    ruleset: RuleSet
    root: str
    roots: list[str]
    ppi: Sequence[PerPathIgnore]
    files: list[str]
    environment: Environment | None


def _worker_main(init: _WorkerInit, conn: Any, max_rss: int) -> None:
    """Analyse the files the parent sends until told to stop (None), or until this process
    holds more than ``max_rss`` bytes after a file: then it says so and exits."""
    _die_with_parent()
    sys.setrecursionlimit(max(sys.getrecursionlimit(), _RECURSION_LIMIT))
    set_scan_roots(init.roots)
    sys.path[:0] = [r for r in init.roots if r not in sys.path]
    install_fast_astroid()
    activate(init.environment, init.roots)
    analyzer = Analyzer(init.ruleset, Path(init.root), init.ppi, [Path(f) for f in init.files])
    # What the worker holds from here on (rules, matchers, the parent's modules) is never
    # garbage: the collector need not walk it again.
    gc.freeze()
    gc.set_threshold(_GC_THRESHOLD, *gc.get_threshold()[1:])
    while True:
        path = conn.recv()
        if path is None:
            return
        result = _analyse(analyzer, Path(path))
        recycle = _rss_bytes() > max_rss
        conn.send((result, recycle))
        if recycle:
            return


def _analyse(analyzer: Analyzer, path: Path) -> FileResult:
    """``analyzer.analyse(path)``, with what the matchers noted about its inputs."""
    observe.take()
    result = analyzer.analyse(path)
    seen = observe.take()
    return replace(result, observed=seen) if seen else result


def _rss_bytes() -> int:
    """This process's resident memory now (Linux), else its peak so far."""
    try:
        with open("/proc/self/statm", "rb") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        import resource

        return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) * 1024


def _die_with_parent() -> None:
    """Ask Linux to end this worker when the process that started it ends, however it ends
    (a supervisor's SIGTERM to the main process must not leave workers behind)."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes
    import signal

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGTERM, 0, 0, 0)
    except (OSError, AttributeError):
        return
    if os.getppid() == 1:  # the parent ended before the request took effect
        os._exit(1)


def run_pool(init: _WorkerInit, paths: list[str], workers: int, root: Path) -> list[FileResult]:
    """Analyse ``paths`` in ``workers`` processes; results in the order of ``paths``.

    Each worker is handed one file at a time. A worker that grows past its memory limit is
    replaced after the file it finished; one that dies (killed, out of memory) costs only the
    file it was analysing, which is reported."""
    import multiprocessing
    from multiprocessing.connection import wait

    max_rss = int(os.environ.get("AISCAN_WORKER_MAX_RSS_MIB", WORKER_MAX_RSS_MIB)) << 20
    ctx: Any = multiprocessing.get_context("fork" if sys.platform.startswith("linux") else "spawn")
    out: list[FileResult | None] = [None] * len(paths)
    # Largest files first (popped from the end): the longest analyses start early instead of
    # leaving one worker busy at the end while the others wait.
    todo = sorted(range(len(paths)), key=lambda i: (_size(paths[i]), -i))
    # connection -> (process, index of the file it is analysing, or None when idle)
    live: dict[Any, tuple[Any, int | None]] = {}

    def start() -> None:
        parent_end, child_end = ctx.Pipe()
        proc = ctx.Process(target=_worker_main, args=(init, child_end, max_rss), daemon=True)
        proc.start()
        child_end.close()
        live[parent_end] = (proc, None)
        hand_out(parent_end)

    def hand_out(conn: Any) -> None:
        proc, _ = live[conn]
        if todo:
            index = todo.pop()
            live[conn] = (proc, index)
            conn.send(paths[index])
        else:
            live[conn] = (proc, None)

    def retire(conn: Any) -> None:
        proc, _ = live.pop(conn)
        conn.close()
        proc.join()

    try:
        for _ in range(min(workers, len(paths))):
            start()
        while any(index is not None for _, index in live.values()):
            by_sentinel = {proc.sentinel: conn for conn, (proc, _) in live.items()}
            for ready in wait([*live, *by_sentinel]):
                conn = by_sentinel.get(ready, ready)
                if conn not in live:
                    continue
                proc, index = live[conn]
                try:
                    result, recycle = conn.recv()
                except (EOFError, OSError):
                    # The worker ended without an answer: killed or crashed on this file.
                    retire(conn)
                    if index is not None:
                        out[index] = _lost_file(paths[index], root, proc.exitcode)
                    if todo:
                        start()
                    continue
                if index is not None:
                    out[index] = result
                if recycle:
                    log.debug("a worker passed %d MiB; replaced", max_rss >> 20)
                    retire(conn)
                    if todo:
                        start()
                else:
                    hand_out(conn)
        for conn in list(live):
            conn.send(None)
            retire(conn)
    finally:
        for conn, (proc, _) in list(live.items()):
            if proc.is_alive():
                proc.terminate()
            proc.join()
            conn.close()
    return [r if r is not None else FileResult() for r in out]


def _size(path: str) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0


def _lost_file(path: str, root: Path, exitcode: int | None) -> FileResult:
    try:
        rel = Path(path).relative_to(root).as_posix()
    except ValueError:
        rel = Path(path).as_posix()
    how = f"signal {-exitcode}" if exitcode is not None and exitcode < 0 else f"exit {exitcode}"
    return FileResult(
        errors=(
            ScanError(
                "analysis-error",
                rel,
                f"the worker process analysing this file ended ({how}); not analysed",
            ),
        ),
        analysed=False,
    )


@dataclass(frozen=True)
class RunOutput:
    findings: tuple[Finding, ...]
    suppressed: tuple[Finding, ...]
    errors: tuple[ScanError, ...]
    analysed: int
    imports: tuple[str, ...] = ()


def run_files(
    files: Sequence[Path],
    ruleset: RuleSet,
    root: Path,
    *,
    jobs: int = 0,
    per_path_ignores: Sequence[PerPathIgnore] = (),
    environment: Environment | None = None,
    cached: Mapping[Path, FileResult] | None = None,
    on_result: Callable[[Path, FileResult], None] | None = None,
) -> RunOutput:
    """Analyse ``files`` against ``environment`` (default: the running interpreter's
    packages); the result does not depend on ``jobs``.

    ``cached`` holds results already known (from the result cache): those files are not
    analysed again, but stay part of the project the others are analysed in. ``on_result``
    is given each file analysed here and its result.
    """
    jobs = jobs or (os.cpu_count() or 1)
    known = cached or {}
    todo = [p for p in files if p not in known]
    # The project root too: folders without __init__.py under it import as namespace
    # packages (import helpers.utils from a sibling folder).
    roots = search_roots(files)
    if str(root) not in roots:
        roots.append(str(root))
    results: Iterable[FileResult]
    if not todo:
        results = []
    elif jobs <= 1 or len(todo) < 4:
        saved = sys.getrecursionlimit()
        sys.setrecursionlimit(max(saved, _RECURSION_LIMIT))
        forget_project_modules(roots)
        try:
            with import_path(roots), fast_astroid(), activated(environment, roots), _gc_tuned():
                analyzer = Analyzer(ruleset, root, per_path_ignores, files)
                results = [_analyse(analyzer, p) for p in todo]
        finally:
            sys.setrecursionlimit(saved)
            forget_project_modules(roots)
    else:
        init = _WorkerInit(
            ruleset,
            str(root),
            roots,
            tuple(per_path_ignores),
            [str(f) for f in files],
            environment,
        )
        results = run_pool(init, [str(p) for p in todo], min(jobs, len(todo)), root)
    if on_result is not None or known:
        fresh = dict(zip(todo, results, strict=True))
        if on_result is not None:
            for path, res in fresh.items():
                on_result(path, res)
        # In the order of ``files``, as without a cache: the merge below keeps the first of
        # equal errors.
        results = [known[p] if p in known else fresh[p] for p in files]
    findings: list[Finding] = []
    suppressed: list[Finding] = []
    errors: list[ScanError] = []
    analysed = 0
    imports: set[str] = set()
    for res in results:
        imports.update(res.imports)
        findings.extend(res.findings)
        suppressed.extend(res.suppressed)
        errors.extend(res.errors)
        analysed += int(res.analysed)
    findings = _dedupe(findings)
    suppressed = _dedupe(suppressed)
    errors.sort(key=ScanError.sort_key)
    return RunOutput(
        tuple(findings), tuple(suppressed), tuple(errors), analysed, tuple(sorted(imports))
    )
