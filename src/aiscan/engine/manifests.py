"""What a project declares it depends on: pyproject.toml, requirements files, setup.cfg/.py."""

from __future__ import annotations

import ast
import configparser
import contextlib
import logging
import re
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]

log = logging.getLogger(__name__)

#: Files whose presence makes a folder a project root.
PACKAGE_MANIFESTS = ("pyproject.toml", "setup.py", "setup.cfg")

RUNTIME = "runtime"
EXTRA = "extra"
DEV = "dev"
CONSTRAINT = "constraint"

_REQ_FILE = re.compile(r"(?i)^(?:.*[-_.])?requirements(?:[-_.].*)?\.(?:txt|in)$")
_EGG = re.compile(r"[#&]egg=([A-Za-z0-9][A-Za-z0-9._-]*)")
_OPTION_TAIL = re.compile(r"\s--?[A-Za-z]")
_DEFAULT_DEV_FILES = r"(?i)(dev|test|lint|doc|ci\b|tox|typing|mypy|check|style|bench|format)"


@dataclass(frozen=True)
class Declaration:
    """One requirement a manifest states."""

    #: The distribution's canonical name (PEP 503).
    name: str
    #: ``>=2.31,<3`` (PEP 440) as written; ``^1.2`` for Poetry; empty when unpinned.
    specifier: str
    #: The environment marker as written, empty when there is none.
    marker: str
    #: RUNTIME, EXTRA, DEV or CONSTRAINT.
    kind: str
    #: The extra or group name (empty for RUNTIME).
    group: str
    #: ``pyproject.toml:12``: the manifest (relative to the project root) and line.
    source: str


@dataclass
class Manifest:
    """Everything a project root's manifests declare."""

    root: Path
    declarations: list[Declaration] = field(default_factory=list)
    #: Manifest files read, relative to the root.
    files: list[str] = field(default_factory=list)
    #: Whether the runtime dependencies (and extras) are fully known. When they are not (no
    #: manifest names them, or one computes them), nothing may be called undeclared.
    known: bool = False
    #: Why ``known`` is False.
    unknown_reason: str = "no manifest declares the project's dependencies"
    #: The project's own distribution name (canonical), when a manifest names it.
    project_name: str | None = None
    #: Folders (relative to the root) that hold the project's own packages, besides the root.
    package_dirs: list[str] = field(default_factory=list)
    #: Where runtime dependencies are declared, for messages: "[project] dependencies in ...".
    runtime_home: str = "requirements.txt"
    #: Where test and development dependencies are declared, for messages.
    dev_home: str = "requirements-dev.txt"

    def declared(self, kinds: Iterable[str]) -> dict[str, list[Declaration]]:
        """Canonical distribution name -> its declarations of the given kinds."""
        wanted = set(kinds)
        out: dict[str, list[Declaration]] = {}
        for decl in self.declarations:
            if decl.kind in wanted:
                out.setdefault(decl.name, []).append(decl)
        return out


def is_requirements_file(name: str) -> bool:
    """requirements.txt, requirements-dev.txt, dev-requirements.txt, requirements.in ..."""
    return bool(_REQ_FILE.match(name))


def requirement_files(root: Path) -> list[Path]:
    """The requirements files of a root: requirements*.txt / *.in beside it and in requirements/."""
    found: list[Path] = []
    try:
        found.extend(p for p in root.iterdir() if p.is_file() and is_requirements_file(p.name))
    except OSError:
        return []
    sub = root / "requirements"
    if sub.is_dir():
        with contextlib.suppress(OSError):
            found.extend(
                p for p in sub.iterdir() if p.is_file() and p.suffix.lower() in (".txt", ".in")
            )
    return sorted(found)


def has_manifest(folder: Path) -> bool:
    """The folder holds a package manifest or a requirements file."""
    if any((folder / name).is_file() for name in PACKAGE_MANIFESTS):
        return True
    return bool(requirement_files(folder))


def has_package_manifest(folder: Path) -> bool:
    return any((folder / name).is_file() for name in PACKAGE_MANIFESTS)


# --- requirement strings ----------------------------------------------------------------------


def parse_requirement(text: str) -> tuple[str, str, str] | None:
    """(canonical name, specifier, marker) of a PEP 508 string, None when it is not one."""
    try:
        req = Requirement(text.strip())
    except InvalidRequirement:
        return None
    return (
        canonicalize_name(req.name),
        str(req.specifier),
        str(req.marker) if req.marker is not None else "",
    )


def _line_of(text: str, needle: str, default: int = 1) -> int:
    index = text.find(needle)
    if index < 0:
        return default
    return text.count("\n", 0, index) + 1


@dataclass
class _Reader:
    """Collects declarations for one root."""

    manifest: Manifest
    dev_files: re.Pattern[str]
    texts: dict[Path, str] = field(default_factory=dict)
    visited: set[tuple[Path, str, str]] = field(default_factory=set)

    @property
    def root(self) -> Path:
        return self.manifest.root

    def rel(self, path: Path) -> str:
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return path.as_posix()

    def read_if_file(self, path: Path) -> str | None:
        """The text of ``path``; None when it is not a file or cannot be read."""
        return self.read(path) if path.is_file() else None

    def read(self, path: Path) -> str | None:
        if path not in self.texts:
            try:
                self.texts[path] = path.read_text(encoding="utf-8", errors="replace")
            except OSError:
                return None
            rel = self.rel(path)
            if rel not in self.manifest.files:
                self.manifest.files.append(rel)
        return self.texts[path]

    def add(self, text: str, kind: str, group: str, source: str) -> bool:
        parsed = parse_requirement(text)
        if parsed is None:
            return False
        name, spec, marker = parsed
        if kind == EXTRA and name == self.manifest.project_name:
            return True  # myproj[extra] inside an extra: a reference to the project's extras
        self.manifest.declarations.append(Declaration(name, spec, marker, kind, group, source))
        return True

    def add_strings(self, items: object, kind: str, group: str, path: Path) -> None:
        text = self.texts.get(path, "")
        if not isinstance(items, list):
            return
        for item in items:
            if isinstance(item, str):
                line = _line_of(text, item)
                self.add(item, kind, group, f"{self.rel(path)}:{line}")

    # requirements files

    def requirements(self, path: Path, kind: str, group: str) -> bool:
        """Read a requirements file (following -r and -c); False when it cannot be read."""
        key = (path.resolve(), kind, group)
        if key in self.visited:
            return True
        self.visited.add(key)
        text = self.read(path)
        if text is None:
            return False
        rel = self.rel(path)
        for number, line in _logical_lines(text):
            if line.startswith("-"):
                option, _, value = _split_option(line)
                if option in ("-r", "--requirement", "-c", "--constraint"):
                    target = (path.parent / value).resolve()
                    sub_kind = CONSTRAINT if option in ("-c", "--constraint") else kind
                    self.requirements(target, sub_kind, group)
                elif option in ("-e", "--editable"):
                    egg = _EGG.search(value)
                    if egg:
                        self.add(egg.group(1), kind, group, f"{rel}:{number}")
                continue
            requirement = _OPTION_TAIL.split(line, maxsplit=1)[0].strip()
            egg = _EGG.search(requirement)
            if egg and "://" in requirement and " @ " not in requirement:
                self.add(egg.group(1), kind, group, f"{rel}:{number}")
                continue
            self.add(requirement, kind, group, f"{rel}:{number}")
        return True

    def requirement_kind(self, path: Path) -> tuple[str, str]:
        rel = self.rel(path)
        if self.dev_files.search(rel):
            return DEV, rel
        return RUNTIME, ""


def _logical_lines(text: str) -> Iterator[tuple[int, str]]:
    """(first line number, text) of each requirement line: continuations joined, comments
    and blank lines dropped."""
    pending = ""
    start = 0
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw
        if line.lstrip().startswith("#"):
            line = ""
        else:
            line = re.sub(r"(^|\s)#.*$", "", line)
        if not pending:
            start = number
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        full = (pending + line).strip()
        pending = ""
        if full:
            yield start, full
    if pending.strip():
        yield start, pending.strip()


def _split_option(line: str) -> tuple[str, str, str]:
    match = re.match(r"(--?[A-Za-z-]+)(?:\s*=\s*|\s+)?(.*)$", line)
    if not match:
        return line, "", ""
    return match.group(1), "", match.group(2).strip()


# --- pyproject.toml ---------------------------------------------------------------------------


def _table(data: Mapping[str, Any], *keys: str) -> Mapping[str, Any]:
    current: Any = data
    for key in keys:
        if not isinstance(current, Mapping):
            return {}
        current = current.get(key, {})
    return current if isinstance(current, Mapping) else {}


def _files_of(value: object) -> list[str]:
    """``{file = "a.txt"}`` / ``{file = ["a.txt", "b.txt"]}``: the file names."""
    if isinstance(value, Mapping):
        value = value.get("file", value.get("files"))
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


@dataclass
class _Status:
    """What the package manifests said about the runtime dependencies."""

    sources: int = 0
    unknowable: list[str] = field(default_factory=list)
    defer_to_setup: bool = False


def _read_pyproject(reader: _Reader, status: _Status) -> bool:
    """Read pyproject.toml; True when it has a ``[project]`` or Poetry table."""
    path = reader.root / "pyproject.toml"
    text = reader.read_if_file(path)
    if text is None:
        return False
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        status.unknowable.append(f"pyproject.toml does not parse: {exc}")
        return True
    manifest = reader.manifest
    project = _table(data, "project")
    poetry = _table(data, "tool", "poetry")
    name = project.get("name") or poetry.get("name")
    if isinstance(name, str):
        manifest.project_name = canonicalize_name(name)
    setuptools = _table(data, "tool", "setuptools")
    package_dir = setuptools.get("package-dir")
    if isinstance(package_dir, Mapping):
        manifest.package_dirs.extend(v for v in package_dir.values() if isinstance(v, str))
    for entry in poetry.get("packages", ()) if isinstance(poetry.get("packages"), list) else ():
        if isinstance(entry, Mapping) and isinstance(entry.get("from"), str):
            manifest.package_dirs.append(entry["from"])
    has_project = bool(project)
    if has_project:
        _read_pep621(reader, status, project, data, path)
        manifest.runtime_home = "[project] dependencies in pyproject.toml"
    if poetry:
        _read_poetry(reader, status, poetry, path)
        if not has_project:
            manifest.runtime_home = "[tool.poetry.dependencies] in pyproject.toml"
    if has_project or poetry:
        manifest.dev_home = "a [dependency-groups] group in pyproject.toml"
        if poetry and not has_project:
            manifest.dev_home = "a [tool.poetry.group.<name>.dependencies] group in pyproject.toml"
    _read_groups(reader, data, path)
    return has_project or bool(poetry)


def _read_pep621(
    reader: _Reader,
    status: _Status,
    project: Mapping[str, Any],
    data: Mapping[str, Any],
    path: Path,
) -> None:
    dynamic = project.get("dynamic") or []
    dynamic = set(dynamic) if isinstance(dynamic, list) else set()
    setuptools_dynamic = _table(data, "tool", "setuptools", "dynamic")
    hatch_req = _table(data, "tool", "hatch", "metadata", "hooks", "requirements_txt")
    has_setup = (reader.root / "setup.py").is_file() or (reader.root / "setup.cfg").is_file()
    if "dependencies" in dynamic:
        files = _files_of(setuptools_dynamic.get("dependencies")) or _files_of(
            hatch_req.get("files")
        )
        if files:
            status.sources += 1
            for name in files:
                if not reader.requirements(reader.root / name, RUNTIME, ""):
                    status.unknowable.append(f"{name} (named by pyproject.toml) cannot be read")
        elif has_setup:
            status.defer_to_setup = True
        else:
            status.unknowable.append("pyproject.toml declares its dependencies dynamic")
    else:
        status.sources += 1
        reader.add_strings(project.get("dependencies", []), RUNTIME, "", path)
    if "optional-dependencies" in dynamic:
        extras = setuptools_dynamic.get("optional-dependencies")
        hatch_extras = hatch_req.get("optional-dependencies")
        table = extras if isinstance(extras, Mapping) else hatch_extras
        if isinstance(table, Mapping):
            for extra, value in table.items():
                for name in _files_of(value):
                    if not reader.requirements(reader.root / name, EXTRA, str(extra)):
                        status.unknowable.append(f"{name} (named by pyproject.toml) cannot be read")
        elif has_setup:
            status.defer_to_setup = True
        else:
            status.unknowable.append("pyproject.toml declares its optional dependencies dynamic")
    optional = project.get("optional-dependencies")
    if isinstance(optional, Mapping):
        for extra, items in optional.items():
            reader.add_strings(items, EXTRA, str(extra), path)


def _poetry_entries(
    reader: _Reader, table: object, kind: str, group: str, path: Path, text: str
) -> None:
    if not isinstance(table, Mapping):
        return
    for name, value in table.items():
        if not isinstance(name, str) or name.lower() == "python":
            continue
        spec = ""
        if isinstance(value, str):
            spec = value
        elif isinstance(value, Mapping) and isinstance(value.get("version"), str):
            spec = value["version"]
        spec = "" if spec.strip() == "*" else spec.strip()
        line = _line_of(text, f"\n{name}", 0) + 1 if f"\n{name}" in text else 1
        reader.manifest.declarations.append(
            Declaration(
                canonicalize_name(name), spec, "", kind, group, f"{reader.rel(path)}:{line}"
            )
        )


def _read_poetry(reader: _Reader, status: _Status, poetry: Mapping[str, Any], path: Path) -> None:
    text = reader.texts.get(path, "")
    if "dependencies" in poetry:
        status.sources += 1
    _poetry_entries(reader, poetry.get("dependencies"), RUNTIME, "", path, text)
    _poetry_entries(reader, poetry.get("dev-dependencies"), DEV, "dev", path, text)
    groups = poetry.get("group")
    if isinstance(groups, Mapping):
        for group, body in groups.items():
            if isinstance(body, Mapping):
                _poetry_entries(reader, body.get("dependencies"), DEV, str(group), path, text)


def _read_groups(reader: _Reader, data: Mapping[str, Any], path: Path) -> None:
    """PEP 735 [dependency-groups], PDM and uv dev-dependencies, Hatch environments."""
    groups = data.get("dependency-groups")
    if isinstance(groups, Mapping):
        for group in groups:
            for item in _expand_group(groups, str(group), ()):
                reader.add_strings([item], DEV, str(group), path)
    pdm = _table(data, "tool", "pdm", "dev-dependencies")
    for group, items in pdm.items():
        reader.add_strings(items, DEV, str(group), path)
    uv = _table(data, "tool", "uv")
    reader.add_strings(uv.get("dev-dependencies", []), DEV, "dev", path)
    envs = _table(data, "tool", "hatch", "envs")
    for env_name, env in envs.items():
        if isinstance(env, Mapping):
            for key in ("dependencies", "extra-dependencies"):
                reader.add_strings(env.get(key, []), DEV, str(env_name), path)


def _expand_group(groups: Mapping[str, Any], name: str, seen: tuple[str, ...]) -> list[str]:
    if name in seen:
        return []
    items = groups.get(name)
    if not isinstance(items, list):
        return []
    out: list[str] = []
    for item in items:
        if isinstance(item, str):
            out.append(item)
        elif isinstance(item, Mapping) and isinstance(item.get("include-group"), str):
            out.extend(_expand_group(groups, item["include-group"], (*seen, name)))
    return out


# --- setup.cfg / setup.py ---------------------------------------------------------------------


def _cfg_lines(value: str) -> list[str]:
    out = []
    for raw in value.splitlines():
        line = re.sub(r"(^|\s)[#;].*$", "", raw).strip()
        if line:
            out.append(line)
    return out


def _read_setup_cfg(reader: _Reader, status: _Status) -> bool:
    """Read setup.cfg; True when it declares install_requires."""
    path = reader.root / "setup.cfg"
    text = reader.read_if_file(path)
    if text is None:
        return False
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(text)
    except configparser.Error as exc:
        status.unknowable.append(f"setup.cfg does not parse: {exc}")
        return True
    if parser.has_option("metadata", "name") and reader.manifest.project_name is None:
        reader.manifest.project_name = canonicalize_name(parser.get("metadata", "name"))
    declares = False
    sections = (
        ("options", "install_requires", RUNTIME),
        ("options", "tests_require", DEV),
    )
    for section, option, kind in sections:
        if not parser.has_option(section, option):
            continue
        value = parser.get(section, option)
        if kind == RUNTIME:
            declares = True
        _cfg_requirements(reader, status, value, kind, "" if kind == RUNTIME else "tests", path)
    if parser.has_section("options.extras_require"):
        for extra, value in parser.items("options.extras_require"):
            _cfg_requirements(reader, status, value, EXTRA, extra, path)
    if declares:
        reader.manifest.runtime_home = "install_requires in setup.cfg"
        return True
    return False


def _cfg_requirements(
    reader: _Reader, status: _Status, value: str, kind: str, group: str, path: Path
) -> None:
    text = reader.texts.get(path, "")
    stripped = value.strip()
    if stripped.startswith("file:"):
        for name in stripped[len("file:") :].split(","):
            if name.strip() and not reader.requirements(reader.root / name.strip(), kind, group):
                status.unknowable.append(f"{name.strip()} (named by setup.cfg) cannot be read")
        return
    for line in _cfg_lines(value):
        reader.add(line, kind, group, f"{reader.rel(path)}:{_line_of(text, line)}")


def _literal_strings(
    node: ast.expr, names: Mapping[str, ast.expr], depth: int = 0
) -> list[str] | None:
    """The strings of a literal list/tuple (or a module-level name bound to one, or a sum of
    such); None when the value is computed."""
    if depth > 5:
        return None
    if isinstance(node, (ast.List, ast.Tuple)):
        out = []
        for elt in node.elts:
            if not (isinstance(elt, ast.Constant) and isinstance(elt.value, str)):
                return None
            out.append(elt.value)
        return out
    if isinstance(node, ast.Name) and node.id in names:
        return _literal_strings(names[node.id], names, depth + 1)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left = _literal_strings(node.left, names, depth + 1)
        right = _literal_strings(node.right, names, depth + 1)
        return None if left is None or right is None else left + right
    return None


def _setup_call(tree: ast.Module) -> ast.Call | None:
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            if name == "setup":
                return node
    return None


def _read_setup_py(reader: _Reader, status: _Status) -> bool:
    """Read a literal ``install_requires=[...]`` from setup.py with ``ast`` (never run it).
    True when setup.py states the runtime dependencies; a computed value is unknowable."""
    path = reader.root / "setup.py"
    text = reader.read_if_file(path)
    if text is None:
        return False
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        status.unknowable.append("setup.py does not parse")
        return False
    names: dict[str, ast.expr] = {}
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
            target = stmt.targets[0]
            if isinstance(target, ast.Name):
                names[target.id] = stmt.value
    call = _setup_call(tree)
    if call is None:
        status.unknowable.append("setup.py has no setup() call aiscan can read")
        return False
    keywords = {kw.arg: kw.value for kw in call.keywords if kw.arg is not None}
    rel = reader.rel(path)
    computed = False
    for key, kind, group in (
        ("install_requires", RUNTIME, ""),
        ("tests_require", DEV, "tests"),
    ):
        node = keywords.get(key)
        if node is None:
            continue
        values = _literal_strings(node, names)
        if values is None:
            if kind == RUNTIME:
                computed = True
            continue
        for value in values:
            reader.add(value, kind, group, f"{rel}:{_line_of(text, value, node.lineno)}")
    extras = keywords.get("extras_require")
    if extras is not None:
        if isinstance(extras, ast.Name) and extras.id in names:
            extras = names[extras.id]
        if isinstance(extras, ast.Dict):
            for key_node, value_node in zip(extras.keys, extras.values, strict=True):
                values = _literal_strings(value_node, names)
                if not isinstance(key_node, ast.Constant) or values is None:
                    computed = True
                    continue
                for value in values:
                    reader.add(value, EXTRA, str(key_node.value), f"{rel}:{_line_of(text, value)}")
        else:
            computed = True
    if computed:
        status.unknowable.append("setup.py computes its install_requires or extras_require")
        return False
    if "install_requires" not in keywords and any(kw.arg is None for kw in call.keywords):
        status.unknowable.append("setup.py passes its arguments through **kwargs")
        return False
    reader.manifest.runtime_home = "install_requires in setup.py"
    return True


# --- the whole root ---------------------------------------------------------------------------


def read_manifest(root: Path, dev_files_regex: str | None = None) -> Manifest:
    """Read every manifest at ``root``. Never raises for a malformed file: what cannot be
    read makes the dependencies unknown."""
    manifest = Manifest(root=root)
    reader = _Reader(manifest, re.compile(dev_files_regex or _DEFAULT_DEV_FILES))
    status = _Status()
    try:
        has_pyproject = _read_pyproject(reader, status)
        if not has_pyproject or status.defer_to_setup:
            # setup.cfg and setup.py state the dependencies (together: setup.py may only
            # call setup() and leave the rest to setup.cfg).
            cfg_declares = _read_setup_cfg(reader, status)
            if cfg_declares:
                status.sources += 1
            if (root / "setup.py").is_file():
                before = len(status.unknowable)
                if _read_setup_py(reader, status):
                    status.sources += 1
                elif cfg_declares:
                    del status.unknowable[before:]
            elif status.defer_to_setup and not cfg_declares:
                status.unknowable.append("pyproject.toml leaves its dependencies to setup.py")
        runtime_files = 0
        for path in requirement_files(root):
            kind, group = reader.requirement_kind(path)
            if not reader.requirements(path, kind, group):
                continue
            if kind == RUNTIME:
                runtime_files += 1
                if not status.sources:
                    manifest.runtime_home = reader.rel(path)
            elif not (has_pyproject or status.sources):
                manifest.dev_home = reader.rel(path)
    except (OSError, RecursionError, ValueError) as exc:  # a manifest aiscan cannot follow
        log.debug("cannot read the manifests of %s", root, exc_info=True)
        manifest.known = False
        manifest.unknown_reason = f"the manifests cannot be read: {exc}"
        return manifest
    if status.unknowable and not runtime_files:
        manifest.known = False
        manifest.unknown_reason = status.unknowable[0]
    elif status.sources or runtime_files:
        manifest.known = True
        manifest.unknown_reason = ""
    return manifest
