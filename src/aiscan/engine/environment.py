"""The target environment: the interpreter whose packages the scanned code runs against."""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)

# Run in the target interpreter (``python -I -c``), or in this one: what it imports from, its
# standard library's module names, and which distribution provides which top-level module.
# Written for every Python from 3.8 on.
_PROBE = r"""
import json, sys
try:
    from importlib import metadata
except ImportError:
    metadata = None

def _tops(dist):
    text = dist.read_text("top_level.txt")
    if text:
        return [line.strip() for line in text.splitlines() if line.strip()]
    out = []
    for f in dist.files or ():
        parts = f.parts
        if not parts or parts[0] in ("..", "__pycache__"):
            continue
        if parts[0].endswith((".dist-info", ".egg-info")):
            continue
        top = parts[0]
        if len(parts) == 1:
            if not top.endswith((".py", ".pyi", ".so", ".pyd")):
                continue
            top = top.split(".", 1)[0]
        if top.isidentifier() and top not in out:
            out.append(top)
    return out

dists = {}
modules = {}
if metadata is not None:
    for dist in metadata.distributions():
        try:
            name = dist.metadata["Name"]
        except Exception:
            name = None
        if not name or name in dists:
            continue
        dists[name] = dist.version or ""
        try:
            tops = _tops(dist)
        except Exception:
            tops = []
        for top in tops:
            modules.setdefault(top, [])
            if name not in modules[top]:
                modules[top].append(name)
stdlib = sorted(getattr(sys, "stdlib_module_names", ()) or sys.builtin_module_names)
print(json.dumps({
    "executable": sys.executable,
    "version": list(sys.version_info[:3]),
    "path": [p for p in sys.path if p],
    "stdlib": stdlib,
    "stdlib_complete": hasattr(sys, "stdlib_module_names"),
    "distributions": dists,
    "modules": modules,
}))
"""


class EnvironmentProblem(Exception):
    """The target environment cannot be used (no interpreter there, or it does not run)."""


def canonical(name: str) -> str:
    """A distribution name as PEP 503 compares them: ``PyYAML`` and ``pyyaml`` are one."""
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass(frozen=True)
class Environment:
    """What the target interpreter has installed, as plain data (sent to worker processes)."""

    python: str
    origin: str
    version: tuple[int, int, int]
    search_path: tuple[str, ...]
    stdlib: frozenset[str]
    #: Distribution display name -> installed version.
    distributions: Mapping[str, str] = field(default_factory=dict)
    #: Top-level import name -> the distributions that install it.
    modules: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: True when this is the interpreter aiscan runs in (its sys.path is already the search path).
    is_running: bool = True
    #: Answers of is_installed, by top-level name (asked at every import of every file).
    _installed: dict[str, bool] = field(default_factory=dict, compare=False, repr=False)

    @property
    def version_text(self) -> str:
        return ".".join(str(p) for p in self.version)

    def is_stdlib(self, module: str) -> bool:
        top = module.split(".", 1)[0]
        return top in self.stdlib or top == "__future__"

    def distributions_of(self, module: str) -> tuple[str, ...]:
        """The distributions that install the top-level package of ``module``."""
        return tuple(self.modules.get(module.split(".", 1)[0], ()))

    def version_of(self, distribution: str) -> str | None:
        wanted = canonical(distribution)
        for name, version in self.distributions.items():
            if canonical(name) == wanted:
                return version
        return None

    def is_installed(self, module: str) -> bool:
        """Whether the top-level package of ``module`` can be found in the environment."""
        top = module.split(".", 1)[0]
        known = self._installed.get(top)
        if known is None:
            known = self._find(top)
            self._installed[top] = known
        return known

    def _find(self, top: str) -> bool:
        if top in self.modules or self.is_stdlib(top):
            return True
        for entry in self.search_path:
            base = Path(entry)
            if (base / top).is_dir() or any(base.glob(f"{top}.*")):
                return True
        return False

    def describe(self, module: str) -> str:
        """``requests 2.32.3`` for a module of an installed distribution, ``Python 3.11.4`` for
        the standard library, the bare module name otherwise (used in messages)."""
        if self.is_stdlib(module):
            return f"Python {self.version_text}"
        for dist in self.distributions_of(module):
            version = self.distributions.get(dist)
            if version:
                return f"{dist} {version}"
        return module.split(".", 1)[0]

    def facts(self, modules: Sequence[str] = ()) -> dict[str, object]:
        """For reports: the interpreter, and the versions of the distributions ``modules``
        (top-level names the scanned code imports) come from."""
        used: dict[str, str] = {}
        for module in sorted(set(modules)):
            if self.is_stdlib(module):
                continue
            for dist in self.distributions_of(module):
                if dist in self.distributions:
                    used[dist] = self.distributions[dist]
        return {
            "python": self.python,
            "python_version": self.version_text,
            "origin": self.origin,
            "distributions": dict(sorted(used.items(), key=lambda kv: canonical(kv[0]))),
        }


def _from_probe(data: Mapping[str, object], origin: str, *, is_running: bool) -> Environment:
    dists = data.get("distributions") or {}
    modules = data.get("modules") or {}
    version = data.get("version") or [0, 0, 0]
    assert isinstance(dists, dict) and isinstance(modules, dict) and isinstance(version, list)
    path = data.get("path") or []
    stdlib = data.get("stdlib") or []
    assert isinstance(path, list) and isinstance(stdlib, list)
    major, minor, micro = (int(v) for v in [*version, 0, 0, 0][:3])
    names = {str(s) for s in stdlib}
    if not data.get("stdlib_complete"):
        # Before 3.10 an interpreter cannot list its standard library; this one's list (plus
        # what the older one has built in) stands in for it.
        names |= set(getattr(sys, "stdlib_module_names", ()))
    return Environment(
        python=str(data.get("executable") or ""),
        origin=origin,
        version=(major, minor, micro),
        search_path=tuple(str(p) for p in path),
        stdlib=frozenset(names),
        distributions={str(k): str(v) for k, v in dists.items()},
        modules={str(k): tuple(str(d) for d in v) for k, v in modules.items()},
        is_running=is_running,
    )


def _probe_running() -> dict[str, object]:
    def ask() -> dict[str, object]:
        import contextlib
        import io

        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(_PROBE, "<aiscan environment probe>", "exec"), {"__name__": "__probe__"})
        answer = json.loads(out.getvalue())
        assert isinstance(answer, dict)
        return answer

    # Its distributions are looked for on the live sys.path ("" is the current folder).
    live = [p or os.getcwd() for p in sys.path]
    data = _cached_probe(["running", sys.executable, sys.prefix], ask, lambda _: live)
    # The running interpreter's sys.path may hold the scanned project's folders already.
    data["path"] = [p for p in sys.path if p and p != os.getcwd()]
    return data


def _cached_probe(
    identity: list[str],
    ask: Callable[[], dict[str, object]],
    searched: Callable[[dict[str, object]], Sequence[str]],
) -> dict[str, object]:
    """An interpreter's answer to the probe, from the per-user cache while nothing it depends
    on has changed: the interpreter's file, its pyvenv.cfg, and the folders it searches for
    distributions (``searched(answer)``) with the metadata folders and .pth files in them,
    which installing, upgrading or removing a distribution adds, replaces or deletes."""
    from aiscan import usercache

    stored = usercache.read_json("probe", identity)
    if isinstance(stored, dict) and isinstance(stored.get("answer"), dict):
        answer: dict[str, object] = stored["answer"]
        if stored.get("stamp") == _probe_stamp(identity[1], searched(answer)):
            return answer
    answer = ask()
    usercache.write_json(
        "probe", identity, {"stamp": _probe_stamp(identity[1], searched(answer)), "answer": answer}
    )
    return answer


def _probe_stamp(python: str, searched: Sequence[str]) -> list[object]:
    def stat(path: str | os.PathLike[str]) -> list[int] | None:
        try:
            st = os.stat(path)
        except OSError:
            return None
        return [st.st_size, st.st_mtime_ns]

    exe = Path(python)
    stamp: list[object] = [str(exe.resolve()), stat(exe), stat(exe.parent.parent / "pyvenv.cfg")]
    for entry in searched:
        where: list[object] = [entry, stat(entry)]
        if os.path.isdir(entry):
            try:
                with os.scandir(entry) as items:
                    where.extend(
                        sorted(
                            [item.name, stat(item.path)]
                            for item in items
                            if item.name.endswith(_METADATA_SUFFIXES)
                        )
                    )
            except OSError:
                pass
        stamp.append(where)
    return stamp


_METADATA_SUFFIXES = (".dist-info", ".egg-info", ".egg-link", ".pth", ".egg")


def probe(python: str | os.PathLike[str], origin: str) -> Environment:
    """Ask the interpreter ``python`` what it has installed."""
    exe = Path(python).absolute()
    if not exe.exists():
        raise EnvironmentProblem(f"{exe}: no such interpreter")
    if exe.is_dir():
        raise EnvironmentProblem(f"{exe}: is a folder; --python takes an interpreter's path")
    try:
        same = exe.resolve() == Path(sys.executable).resolve() and Path(
            exe.absolute()
        ).parent.parent == Path(sys.prefix)
    except OSError:
        same = False
    if same:
        return _from_probe(_probe_running(), origin, is_running=True)

    def ask() -> dict[str, object]:
        try:
            done = subprocess.run(
                [str(exe), "-I", "-c", _PROBE],
                capture_output=True,
                text=True,
                timeout=120,
                cwd=Path(exe).absolute().anchor or "/",
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise EnvironmentProblem(f"{exe}: cannot run it: {exc}") from exc
        if done.returncode != 0:
            tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
            raise EnvironmentProblem(
                f"{exe}: the interpreter failed (exit {done.returncode}): {tail}"
            )
        try:
            data = json.loads(done.stdout.strip().splitlines()[-1])
        except (ValueError, IndexError) as exc:
            raise EnvironmentProblem(f"{exe}: unexpected answer from the interpreter") from exc
        if not isinstance(data, dict):
            raise EnvironmentProblem(f"{exe}: unexpected answer from the interpreter")
        return data

    def searched(answer: dict[str, object]) -> list[str]:
        path = answer.get("path")
        return [str(p) for p in path] if isinstance(path, list) else []

    return _from_probe(_cached_probe(["probe", str(exe)], ask, searched), origin, is_running=False)


def venv_python(venv: str | os.PathLike[str]) -> Path | None:
    """The interpreter of a virtual environment folder, or None when it has none."""
    base = Path(venv)
    for candidate in (base / "bin" / "python", base / "Scripts" / "python.exe"):
        if candidate.exists():
            return candidate
    return None


def resolve(
    root: str | os.PathLike[str] | None,
    *,
    python: str | os.PathLike[str] | None = None,
    venv: str | os.PathLike[str] | None = None,
) -> Environment:
    """The environment to analyse against: ``python``, else ``venv``, else a ``.venv`` or
    ``venv`` folder at the project root, else the running interpreter."""
    if python is not None and venv is not None:
        raise EnvironmentProblem("give --python or --venv, not both")
    if python is not None:
        return probe(python, "--python")
    if venv is not None:
        exe = venv_python(venv)
        if exe is None:
            raise EnvironmentProblem(f"{venv}: not a virtual environment (no bin/python in it)")
        return probe(exe, "--venv")
    if root is not None:
        for name in (".venv", "venv"):
            folder = Path(root) / name
            if (folder / "pyvenv.cfg").is_file():
                exe = venv_python(folder)
                if exe is not None:
                    try:
                        return probe(exe, f"{name} at the project root")
                    except EnvironmentProblem as exc:
                        log.warning("ignoring %s: %s", folder, exc)
    return running()


_RUNNING: Environment | None = None


def running() -> Environment:
    """The interpreter aiscan runs in."""
    global _RUNNING
    if _RUNNING is None:
        _RUNNING = _from_probe(_probe_running(), "running interpreter", is_running=True)
    return _RUNNING


_CURRENT: Environment | None = None


def current() -> Environment:
    """The environment of the scan in progress (the running interpreter outside a scan)."""
    return _CURRENT if _CURRENT is not None else running()


@contextmanager
def activated(env: Environment | None, roots: Sequence[str] = ()) -> Iterator[None]:
    """Make ``env`` current, and make astroid find third-party modules in it, for a scan."""
    global _CURRENT
    saved = _CURRENT
    restore = activate(env, roots)
    try:
        yield
    finally:
        restore()
        _CURRENT = saved


def activate(env: Environment | None, roots: Sequence[str] = ()) -> _Restore:
    """Make ``env`` current for the life of this process (a worker) or until the returned
    callable is called. A foreign environment replaces sys.path for astroid's module look-ups
    only: aiscan's own imports keep using its own."""
    global _CURRENT
    _CURRENT = env
    if env is None or env.is_running:
        return _Restore(None)
    from astroid import manager

    original = manager.file_info_from_modpath
    search = [*roots, *env.search_path]

    def lookup(
        modpath: list[str], path: Sequence[str] | None = None, context_file: str | None = None
    ) -> object:
        return original(modpath, path if path is not None else search, context_file)

    manager.file_info_from_modpath = lookup
    _forget_library_modules()
    return _Restore(original)


class _Restore:
    def __init__(self, original: object) -> None:
        self.original = original

    def __call__(self) -> None:
        if self.original is None:
            return
        from astroid import manager

        manager.file_info_from_modpath = self.original
        _forget_library_modules()


def _forget_library_modules() -> None:
    """Drop the modules astroid built from another environment's files (site-packages), so that
    a scan against one environment never answers from another's. The standard library stays."""
    import astroid

    cache = astroid.MANAGER.astroid_cache
    for name, module in list(cache.items()):
        file = getattr(module, "file", None) or ""
        if "site-packages" in file or "dist-packages" in file:
            del cache[name]
    astroid.MANAGER._mod_file_cache.clear()
