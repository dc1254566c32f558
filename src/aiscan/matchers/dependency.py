"""``mode: dependency``: imports of third-party distributions that the project does not declare."""

from __future__ import annotations

import ast
import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from astroid import nodes
from packaging.markers import InvalidMarker, Marker, UndefinedComparison, UndefinedEnvironmentName
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from aiscan.engine import environment, observe
from aiscan.engine.context import FileContext, imported_tops, last_name, spelled
from aiscan.engine.discovery import SKIP_DIRS
from aiscan.engine.environment import Environment
from aiscan.engine.manifests import (
    CONSTRAINT,
    DEV,
    EXTRA,
    RUNTIME,
    Declaration,
    Manifest,
    has_manifest,
    has_package_manifest,
    read_manifest,
)
from aiscan.matchers.base import Prefilter, make_finding
from aiscan.model import Finding, Location, Rule

_IMPORT_ERRORS = frozenset({"ImportError", "ModuleNotFoundError", "Exception", "BaseException"})
_PRODUCTION_KINDS = (RUNTIME, EXTRA)
_ALL_KINDS = (RUNTIME, EXTRA, DEV)
_OWN_SCAN_LIMIT = 2000


@dataclass
class Project:
    """A project root, what its manifests declare, and the modules that are its own."""

    root: Path
    manifest: Manifest
    own: frozenset[str]
    #: Scanned files of this project, relative to its root, in a fixed order.
    files: list[tuple[str, Path]] = field(default_factory=list)


@dataclass(frozen=True)
class _Import:
    node: nodes.Import | nodes.ImportFrom
    module: str
    guarded: bool


class DependencyMatcher:
    """Finds, per import, the distribution it needs and whether the project declares it."""

    def __init__(self, rule: Rule, root: Path | None, files: Sequence[Path]) -> None:
        self.rule = rule
        spec: Mapping[str, Any] = rule.spec["dependency"]
        self.table: dict[str, tuple[str, ...]] = {}
        for name, dists in (spec.get("import-names") or {}).items():
            values = [dists] if isinstance(dists, str) else list(dists)
            self.table[str(name)] = tuple(str(d) for d in values)
        self.ignore = frozenset(spec.get("ignore-modules", ()))
        self.dev_files_re = _opt_re(spec.get("development-files-regex"))
        self.skip_files_re = _opt_re(spec.get("skip-files-regex"))
        self.dev_requirements_regex: str | None = spec.get("development-requirements-regex")
        self.messages: Mapping[str, str] = spec.get("messages") or {}
        self.root = Path(os.path.abspath(root or Path.cwd()))
        self.files = sorted({Path(os.path.abspath(f)) for f in files})
        self._projects: dict[Path, Project | None] = {}
        self._by_root: dict[Path, Project] = {}
        self._file_imports: dict[Path, tuple[str, ...]] = {}
        self._assigned = False
        self._pins: dict[tuple[Path, int], dict[str, tuple[Declaration, str]]] = {}

    def prefilter(self) -> Prefilter:
        return Prefilter(regexes=(r"\bimport\b",))

    # --- projects -----------------------------------------------------------------------------

    def project_for(self, folder: Path) -> Project | None:
        """The project a file in ``folder`` belongs to: the nearest folder upward (within the
        scan root) with a pyproject.toml, setup.py or setup.cfg, else with a requirements file.
        Requirements files in folders on the way (tests/requirements.txt) add to it."""
        folder = Path(os.path.abspath(folder))
        if folder in self._projects:
            return self._projects[folder]
        chain: list[Path] = []
        current = folder
        while True:
            if not _is_within(current, self.root):
                break
            chain.append(current)
            if current in (self.root, current.parent):
                break
            current = current.parent
        with_manifest = [f for f in chain if has_manifest(f)]
        project: Project | None = None
        if with_manifest:
            nearest = with_manifest[0]
            package = next((f for f in with_manifest if has_package_manifest(f)), None)
            root = nearest
            if package is not None and package != nearest:
                # Requirements-only folders for development (tests/, docs/, ci/) belong to
                # the enclosing project; others (examples/shop/) are projects of their own.
                inside = nearest.relative_to(package).as_posix()
                if _dev_folder(self.dev_requirements_regex, inside):
                    root = package
            project = self._by_root.get(root)
            if project is None:
                inner = [
                    f
                    for f in _requirement_folders(root)
                    if _dev_folder(self.dev_requirements_regex, f.relative_to(root).as_posix())
                ]
                project = self._make_project(root, inner)
                self._by_root[root] = project
        self._projects[folder] = project
        return project

    def _make_project(self, root: Path, inner: list[Path]) -> Project:
        manifest = read_manifest(root, self.dev_requirements_regex)
        own: set[str] = set(_project_names(root) | _top_level_names(root))
        for base in [root / "src", root / "lib", *(root / d for d in manifest.package_dirs)]:
            own |= _top_level_names(base)
        for folder in inner:
            # Requirements beside code in a sub-folder (tests/requirements.txt): read them
            # relative to the project root, so that their path decides runtime or dev.
            extra = read_manifest(folder, self.dev_requirements_regex)
            prefix = folder.relative_to(root).as_posix()
            for decl in extra.declarations:
                kind = decl.kind
                if kind == RUNTIME and _matches(self.dev_requirements_regex, prefix):
                    kind = DEV
                manifest.declarations.append(
                    replace(decl, kind=kind, source=f"{prefix}/{decl.source}")
                )
            manifest.files.extend(f"{prefix}/{f}" for f in extra.files)
            own |= _top_level_names(folder)
        if manifest.project_name:
            own.add(manifest.project_name.replace("-", "_"))
        return Project(root, manifest, frozenset(own))

    def _assign_files(self) -> None:
        """Sort the scanned files into their projects (for the once-per-scan pin notes)."""
        if self._assigned:
            return
        self._assigned = True
        for path in self.files:
            project = self.project_for(path.parent)
            if project is not None:
                project.files.append((path.relative_to(project.root).as_posix(), path))
        for project in self._by_root.values():
            project.files.sort()

    # --- imports ------------------------------------------------------------------------------

    def candidates(self, module: str, env: Environment) -> tuple[str, ...]:
        """The distributions that may provide ``module``: the environment's metadata, then
        the rule's table of import names, then the import name itself (canonical)."""
        out: list[str] = [canonicalize_name(d) for d in env.distributions_of(module)]
        listed = self._listed(module)
        if listed:
            out.extend(canonicalize_name(d) for d in listed[1])
        out.append(canonicalize_name(module.split(".", 1)[0]))
        return tuple(dict.fromkeys(out))

    def _listed(self, module: str) -> tuple[str, tuple[str, ...]] | None:
        """The longest dotted prefix of ``module`` in the rule's table, with its distributions."""
        parts = module.split(".")
        for size in range(len(parts), 0, -1):
            key = ".".join(parts[:size])
            if key in self.table:
                return key, self.table[key]
        return None

    def is_third_party(self, module: str, project: Project, folder: Path, env: Environment) -> bool:
        top = module.split(".", 1)[0]
        if not top or env.is_stdlib(top) or top in self.ignore or module in self.ignore:
            return False
        if top in project.own:
            return False
        # A script's folder is on sys.path when it runs: its sibling modules are its own.
        return not (not (folder / "__init__.py").is_file() and top in _top_level_names(folder))

    def check(self, ctx: FileContext) -> Iterable[Finding]:
        observe.note(observe.MANIFESTS)
        path = Path(os.path.abspath(self.root / ctx.path))
        project = self.project_for(path.parent)
        if project is None or not project.manifest.known:
            return []
        rel = path.relative_to(project.root).as_posix()
        if self._skipped(rel):
            return []
        env = environment.current()
        development = ctx.is_test or (
            self.dev_files_re is not None and bool(self.dev_files_re.search(rel))
        )
        manifest = project.manifest
        if development and not manifest.declared([DEV]):
            # A project that declares no test or development dependencies at all keeps them
            # somewhere aiscan does not read (tox.ini, a noxfile, CI configuration, a file left
            # out of the sdist): its tests' imports cannot be judged.
            return []
        usable = manifest.declared(_ALL_KINDS if development else _PRODUCTION_KINDS)
        everything = manifest.declared(_ALL_KINDS)
        pins = self._pins.get((project.root, id(env)))
        if pins is None:
            pins = self._unsatisfied_pins(manifest, env)
            self._pins[(project.root, id(env))] = pins
        out: list[Finding] = []
        noted: set[str] = set()
        for imp in _imports(ctx.module, env.version):
            if not self.is_third_party(imp.module, project, path.parent, env):
                continue
            dists = self.candidates(imp.module, env)
            for dist in dists:
                if dist in pins and dist not in noted:
                    noted.add(dist)
                    if self._first_import_of(dist, project, rel, env):
                        out.append(self._pin_finding(ctx, imp, dist, pins[dist], env))
            if imp.guarded or any(d in usable for d in dists):
                continue
            if ctx.is_test and _in_function(imp.node) and not env.is_installed(imp.module):
                # Tests import modules they write at run time (into tmp_path, on sys.path).
                continue
            out.append(self._undeclared(ctx, imp, dists, everything, manifest, env, development))
        return out

    def _skipped(self, path: str) -> bool:
        return self.skip_files_re is not None and bool(self.skip_files_re.search(path))

    # --- findings -----------------------------------------------------------------------------

    def _undeclared(
        self,
        ctx: FileContext,
        imp: _Import,
        dists: tuple[str, ...],
        everything: Mapping[str, list[Declaration]],
        manifest: Manifest,
        env: Environment,
        development: bool,
    ) -> Finding:
        installed = env.is_installed(imp.module)
        env_dists = env.distributions_of(imp.module)
        listed = self._listed(imp.module)
        if listed and (not env_dists or "." in listed[0]):
            distribution = listed[1][0]
        else:
            distribution = env_dists[0] if env_dists else dists[0]
        version = env.version_of(distribution)
        dev_only = next((everything[d][0] for d in dists if d in everything), None)
        values = {
            "module": imp.module,
            "top": imp.module.split(".", 1)[0],
            "distribution": distribution,
            "installed": f"{distribution} {version}" if version else distribution,
            "manifest": ", ".join(manifest.files) or "the project's manifests",
            "declare": manifest.dev_home if development else manifest.runtime_home,
            "declared_at": dev_only.source if dev_only is not None else "",
            "group": dev_only.group if dev_only is not None else "",
        }
        severity = self.rule.severity
        key = "undeclared"
        if dev_only is not None:
            key = "development-only"
        elif not installed and (not development or _dev_environment(manifest, env)):
            # Not installed: a name nobody vetted. For test and tool code that is only telling
            # in an environment that has the project's development dependencies at all.
            key, severity = "not-installed", "error"
        finding = make_finding(
            self.rule, _module_location(ctx, imp), values, message=self.messages.get(key)
        )
        return replace(finding, severity=severity) if severity != finding.severity else finding

    def _pin_finding(
        self,
        ctx: FileContext,
        imp: _Import,
        dist: str,
        decl_version: tuple[Declaration, str],
        env: Environment,
    ) -> Finding:
        decl, version = decl_version
        values = {
            "module": imp.module,
            "top": imp.module.split(".", 1)[0],
            "distribution": dist,
            "installed": f"{dist} {version}",
            "specifier": decl.specifier,
            "declared_at": decl.source,
            "python": env.python,
        }
        finding = make_finding(
            self.rule, ctx.location(imp.node), values, message=self.messages.get("pin")
        )
        return replace(finding, severity="note")

    # --- pins ---------------------------------------------------------------------------------

    def _unsatisfied_pins(
        self, manifest: Manifest, env: Environment
    ) -> dict[str, tuple[Declaration, str]]:
        """Distribution -> (the first declaration whose specifier its installed version does
        not meet, that version). Markers that do not hold for the environment are skipped."""
        out: dict[str, tuple[Declaration, str]] = {}
        marker_env = _marker_environment(env)
        for decl in manifest.declarations:
            if decl.name in out or not decl.specifier:
                continue
            if decl.kind not in (*_ALL_KINDS, CONSTRAINT):
                continue
            version = env.version_of(decl.name)
            if not version:
                continue
            if decl.marker:
                try:
                    if not Marker(decl.marker).evaluate(marker_env):
                        continue
                except (InvalidMarker, UndefinedComparison, UndefinedEnvironmentName):
                    continue
            try:
                if not SpecifierSet(decl.specifier).contains(Version(version), prereleases=True):
                    out[decl.name] = (decl, version)
            except (InvalidSpecifier, InvalidVersion):
                continue
        return out

    def _first_import_of(self, dist: str, project: Project, rel: str, env: Environment) -> bool:
        """Whether no scanned file of the project sorted before ``rel`` imports ``dist``: the
        note goes to the first file's first import, however files are split between workers."""
        observe.note(observe.IMPORT_ORDER)
        self._assign_files()
        for other_rel, other in project.files:
            if other_rel >= rel:
                return True
            if self._skipped(other_rel):
                continue
            for module in self._imports_of_file(other):
                if self.is_third_party(module, project, other.parent, env) and (
                    dist in self.candidates(module, env)
                ):
                    return False
        return True

    def _imports_of_file(self, path: Path) -> tuple[str, ...]:
        cached = self._file_imports.get(path)
        if cached is None:
            cached = _absolute_imports_of(path)
            self._file_imports[path] = cached
        return cached


# --- helpers ----------------------------------------------------------------------------------


def _opt_re(pattern: str | None) -> re.Pattern[str] | None:
    return re.compile(pattern) if pattern else None


def _matches(pattern: str | None, text: str) -> bool:
    return bool(pattern and re.search(pattern, text))


def _is_within(path: Path, base: Path) -> bool:
    return path == base or base in path.parents


_TOP_CACHE: dict[Path, frozenset[str]] = {}


def _top_level_names(base: Path) -> frozenset[str]:
    """Modules and packages importable from ``base``: ``*.py`` files and folders holding
    Python files (regular or namespace packages)."""
    cached = _TOP_CACHE.get(base)
    if cached is not None:
        return cached
    names: set[str] = set()
    try:
        entries = list(os.scandir(base))
    except OSError:
        entries = []
    for entry in entries:
        name = entry.name
        if name.startswith(".") or name in SKIP_DIRS:
            continue
        if entry.is_file():
            stem, _, suffix = name.partition(".")
            if suffix in ("py", "pyi", "pyx") or suffix.endswith(("so", "pyd")):
                if stem.isidentifier():
                    names.add(stem)
        elif entry.is_dir() and name.isidentifier() and _holds_python(Path(entry.path)):
            names.add(name)
    result = frozenset(names)
    _TOP_CACHE[base] = result
    return result


def _dev_environment(manifest: Manifest, env: Environment) -> bool:
    """The environment has every declared test and development distribution installed."""
    return all(env.version_of(name) is not None for name in manifest.declared([DEV]))


def _dev_folder(regex: str | None, inside: str) -> bool:
    """A requirements-only folder that belongs to the enclosing project's development set:
    one or two levels down (tests/, ci/, tests/integration/) in a folder the regex names.
    Deeper folders (tests/fixtures/sample_project/) are projects of their own."""
    return inside.count("/") <= 1 and _matches(regex, inside)


def _requirement_folders(root: Path) -> list[Path]:
    """Folders below ``root`` with requirements files (tests/requirements.txt, docs/...), not
    counting nested projects (a folder with its own pyproject.toml, setup.py or setup.cfg)."""
    out: list[Path] = []
    for seen, (current, dirs, _) in enumerate(os.walk(root)):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in SKIP_DIRS)
        folder = Path(current)
        if folder != root:
            if has_package_manifest(folder):
                dirs[:] = []
                continue
            if has_manifest(folder):
                out.append(folder)
        if seen > _OWN_SCAN_LIMIT:
            break
    return out


def _project_names(root: Path) -> frozenset[str]:
    """The project's own importable names: what every folder of the project that is not a
    regular package (the root, src/, tests/test_apps/, vendor/ ...) holds, since any of them
    may be put on sys.path (by a src layout, pytest's rootdir, a script or a test)."""
    names: set[str] = set()
    for seen, (current, dirs, files) in enumerate(os.walk(root)):
        dirs[:] = [d for d in dirs if not d.startswith(".") and d not in SKIP_DIRS]
        if "__init__.py" not in files:
            names |= _top_level_names(Path(current))
        if seen > _OWN_SCAN_LIMIT:
            break
    return frozenset(names)


def _holds_python(folder: Path) -> bool:
    for seen, (_, dirs, files) in enumerate(os.walk(folder)):
        dirs[:] = [d for d in dirs if not d.startswith(".") and d not in SKIP_DIRS]
        if any(f.endswith((".py", ".pyi", ".pyx")) for f in files):
            return True
        if seen > _OWN_SCAN_LIMIT:
            break
    return False


def _imports(module: nodes.Module, version: tuple[int, ...] = ()) -> Iterator[_Import]:
    """Absolute imports in source order, and whether each sits where a missing module is
    expected (see ``_is_guarded``). A module guarded once in the file is optional there: its
    other imports inside functions run after the guarded one (a helper that raises a clear
    error first) and are not findings either."""
    found = sorted(
        module.nodes_of_class((nodes.Import, nodes.ImportFrom)),
        key=lambda n: (n.lineno or 0, n.col_offset or 0),
    )
    out: list[_Import] = []
    for node in found:
        if isinstance(node, nodes.Import):
            names = [name for name, _ in node.names]
        elif not node.level and node.modname:
            names = [node.modname]
        else:
            continue
        for name in names:
            top = name.split(".", 1)[0]
            out.append(_Import(node, name, _is_guarded(node, top, version)))
    optional = {imp.module.split(".", 1)[0] for imp in out if imp.guarded}
    for imp in out:
        if not imp.guarded and imp.module.split(".", 1)[0] in optional and _in_function(imp.node):
            yield replace(imp, guarded=True)
        else:
            yield imp


def _is_guarded(node: nodes.NodeNG, top: str, version: tuple[int, ...] = ()) -> bool:
    """The import of ``top`` runs only where the module may be missing:

    - in the body of ``try: ... except ImportError:`` (or a broader handler) whose handlers
      do not import ``top`` again, or in that try's ``else:``;
    - in such a handler, as the fallback for another module (``except ImportError: import
      BaseHTTPServer``);
    - under ``if TYPE_CHECKING:``, or an ``if`` whose test names the module (``if HAS_YAML:``,
      ``if is_running_trio():``, ``if find_spec("numpy"):``);
    - under ``with contextlib.suppress(ImportError):``;
    - in a branch of ``if sys.version_info >= (3, 14):`` that never runs on the target
      interpreter's ``version``.
    """
    child = node
    parent = node.parent
    while parent is not None:
        if isinstance(parent, nodes.If) and version:
            holds = _version_test(parent.test, version)
            branch = parent.body if holds is False else parent.orelse if holds else []
            if any(child is stmt for stmt in branch):
                return True
        if isinstance(parent, (nodes.Try, nodes.TryStar)):
            handlers = [h for h in parent.handlers if _catches_import_error(h)]
            if handlers:
                in_body = any(child is stmt for stmt in parent.body)
                if in_body and not any(top in imported_tops(h) for h in handlers):
                    return True
                if any(child is stmt for stmt in parent.orelse):
                    return True
                if child in handlers and not _import_tops_of(parent.body) & {top}:
                    if _import_tops_of(parent.body):
                        return True
        if isinstance(parent, nodes.If) and _names_module(parent.test, top):
            if any(child is stmt for stmt in parent.body):
                return True
        if isinstance(parent, nodes.If) and any(child is stmt for stmt in parent.body):
            if _is_type_checking(parent.test):
                return True
        if isinstance(parent, nodes.With) and any(
            _suppresses_import_error(e) for e, _ in parent.items
        ):
            return True
        child = parent
        parent = parent.parent
    return False


_COMPARE: dict[str, Callable[[tuple[int, ...], tuple[int, ...]], bool]] = {
    ">=": lambda a, b: a >= b,
    ">": lambda a, b: a > b,
    "<=": lambda a, b: a <= b,
    "<": lambda a, b: a < b,
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
}


def _version_test(test: nodes.NodeNG, version: tuple[int, ...]) -> bool | None:
    """The value of ``sys.version_info >= (3, 11)`` (or ``sys.version_info[:2] < (3, 8)``,
    ``sys.version_info[0] == 2``) on ``version``; None for any other test."""
    if not isinstance(test, nodes.Compare) or len(test.ops) != 1:
        return None
    left = test.left
    width: int | None = None
    if isinstance(left, nodes.Subscript):
        index = left.slice
        if isinstance(index, nodes.Const) and isinstance(index.value, int):
            width = 1
        elif isinstance(index, nodes.Slice) and index.lower is None and index.step is None:
            upper = index.upper
            width = upper.value if isinstance(upper, nodes.Const) else None
        else:
            return None
        left = left.value
    if last_name(left) != "version_info":
        return None
    op, right = test.ops[0]
    if isinstance(right, nodes.Tuple):
        values = [e.value for e in right.elts if isinstance(e, nodes.Const)]
    elif isinstance(right, nodes.Const):
        values = [right.value]
    else:
        return None
    if not values or not all(isinstance(v, int) for v in values) or op not in _COMPARE:
        return None
    mine = tuple(version[:width]) if width is not None else tuple(version)
    return _COMPARE[op](mine, tuple(values))


def _import_tops_of(statements: Iterable[nodes.NodeNG]) -> frozenset[str]:
    out: frozenset[str] = frozenset()
    for stmt in statements:
        out |= imported_tops(stmt)
    return out


def _names_module(test: nodes.NodeNG, top: str) -> bool:
    """The condition mentions the module by name: in an identifier or a string."""
    wanted = re.compile(r"(^|[^a-z0-9])" + re.escape(top.lower()) + r"($|[^a-z0-9])")
    for sub in [test, *test.nodes_of_class((nodes.Name, nodes.Attribute, nodes.Const))]:
        text = spelled(sub)
        if text is not None and wanted.search(text.lower()):
            return True
    return False


def _in_function(node: nodes.NodeNG) -> bool:
    scope = node.scope()
    return isinstance(scope, (nodes.FunctionDef, nodes.AsyncFunctionDef, nodes.Lambda))


def _catches_import_error(handler: nodes.ExceptHandler) -> bool:
    kind = handler.type
    if kind is None:
        return True
    if isinstance(kind, nodes.Tuple):
        return any(last_name(e) in _IMPORT_ERRORS for e in kind.elts)
    return last_name(kind) in _IMPORT_ERRORS


def _is_type_checking(test: nodes.NodeNG) -> bool:
    if last_name(test) == "TYPE_CHECKING":
        return True
    if isinstance(test, nodes.BoolOp) and test.op == "or":
        return any(last_name(v) == "TYPE_CHECKING" for v in test.values)
    return False


def _suppresses_import_error(expr: nodes.NodeNG) -> bool:
    if not isinstance(expr, nodes.Call) or last_name(expr.func) != "suppress":
        return False
    return any(last_name(a) in _IMPORT_ERRORS for a in expr.args)


def _module_location(ctx: FileContext, imp: _Import) -> Location:
    """The span of the module's dotted name in the import statement (several modules of one
    ``import a, b`` statement each get their own location)."""
    node = imp.node
    pattern = re.compile(r"(?<![\w.])" + re.escape(imp.module) + r"(?![\w])")
    first = int(node.lineno or 1)
    last = int(node.end_lineno or first)
    for number in range(first, last + 1):
        text = ctx.source.line(number)
        start = (
            ctx.source.char_column(number, int(node.col_offset or 0)) - 1 if number == first else 0
        )
        keyword = re.compile(r"\s*(import|from)\s").match(text, start) if number == first else None
        match = pattern.search(text, keyword.end() if keyword else start)
        if match:
            return Location(ctx.path, number, match.start() + 1, number, match.end() + 1)
    return ctx.location(node)


def _absolute_imports_of(path: Path) -> tuple[str, ...]:
    """The modules a file imports absolutely, read with ``ast`` (for files not being checked)."""
    try:
        tree = ast.parse(path.read_bytes())
    except (OSError, SyntaxError, ValueError, RecursionError):
        return ()
    out: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            out.append(node.module)
    return tuple(dict.fromkeys(out))


def _marker_environment(env: Environment) -> dict[str, str]:
    """PEP 508 marker values of the target environment (the running platform's for what the
    environment does not record)."""
    from packaging.markers import default_environment

    values = {k: str(v) for k, v in default_environment().items()}
    values["python_version"] = f"{env.version[0]}.{env.version[1]}"
    values["python_full_version"] = env.version_text
    values["extra"] = ""
    return values
