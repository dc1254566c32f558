"""Load rule and model YAML files, validate them, and resolve model references."""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiscan import usercache
from aiscan.model import Rule, RuleDocs
from aiscan.resources import builtin_rules_dir, load_schema, taxonomy

if TYPE_CHECKING:
    # PyYAML, jsonschema and referencing are imported where a rule file is parsed or
    # validated: a run served from the compiled-pack cache (usercache) needs none of them.
    import jsonschema
    import yaml
    from referencing import Registry

_NAME_LIST_KEYS = frozenset({"call", "attribute", "import", "decorator", "qname"})
_TAINT_LIST_KEYS = {"sources": "sources", "sinks": "sinks", "sanitizers": "sanitizers"}


class RuleError(Exception):
    """A rule or model file that cannot be used: names the file, line and field."""

    def __init__(self, path: str, line: int, field_path: str, message: str) -> None:
        self.path = path
        self.line = line
        self.field = field_path
        self.message = message
        super().__init__(str(self))

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        fld = f" [{self.field}]" if self.field else ""
        return f"{where}:{fld} {self.message}"


@dataclass(frozen=True)
class Model:
    """A named shared list (names, sources, sinks, sanitizers or propagators)."""

    name: str
    kind: str
    description: str
    items: tuple[Any, ...]
    source: str


@dataclass(frozen=True)
class RuleSet:
    """Validated rules (ordered by id) and the models they were resolved against."""

    rules: tuple[Rule, ...]
    models: Mapping[str, Model] = field(default_factory=dict)

    def by_id(self) -> dict[str, Rule]:
        return {r.id: r for r in self.rules}

    def select(self, select: Sequence[str] = (), ignore: Sequence[str] = ()) -> RuleSet:
        """Keep rules whose id, name or category is selected (all when empty) and not ignored."""

        def hit(rule: Rule, keys: Sequence[str]) -> bool:
            return any(k in (rule.id, rule.name, rule.category) for k in keys)

        kept = tuple(r for r in self.rules if (not select or hit(r, select)) and not hit(r, ignore))
        return RuleSet(kept, self.models)

    def unknown_selectors(self, keys: Iterable[str]) -> list[str]:
        known = {k for r in self.rules for k in (r.id, r.name, r.category)}
        return [k for k in keys if k not in known]


@dataclass
class _Doc:
    path: str
    data: Any
    node: yaml.Node


def _parse_yaml(path: Path) -> _Doc:
    import yaml

    shown = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        line = exc.object[: exc.start].count(b"\n") + 1
        raise RuleError(shown, line, "", f"not UTF-8 text ({exc.reason})") from exc
    except OSError as exc:
        raise RuleError(shown, 0, "", f"cannot read: {exc.strerror or exc}") from exc
    if yaml.__with_libyaml__:
        # libyaml parses the pack ten times faster than PyYAML's pure-Python parser and builds
        # the same nodes and data. A file it rejects is parsed again below, so that the message
        # (PyYAML's wording, the line, the field) is the one it has always been.
        try:
            return _compose(shown, text, yaml.CSafeLoader(text))
        except yaml.YAMLError:
            pass
    try:
        # The reader checks for unprintable characters as it is built, so this is in the try.
        loader = yaml.SafeLoader(text)
    except yaml.reader.ReaderError as exc:
        line = text[: exc.position].count("\n") + 1
        what = (
            f"unacceptable character #x{exc.character:04x}"
            if isinstance(exc.character, int)
            else ""
        )
        reason = _one_line(f"{what}: {exc.reason}" if what else exc.reason)
        raise RuleError(shown, line, "", f"invalid YAML: {reason}") from exc
    try:
        return _compose(shown, text, loader)
    except yaml.MarkedYAMLError as exc:
        raise _yaml_error(shown, text, exc) from exc
    except yaml.YAMLError as exc:
        raise RuleError(shown, 0, "", f"invalid YAML: {_one_line(str(exc))}") from exc


def _compose(shown: str, text: str, loader: yaml.SafeLoader | yaml.CSafeLoader) -> _Doc:
    """The document ``loader`` reads from ``text``: its node tree and its data (raises
    yaml.YAMLError for a syntax error, RuleError for a file that is not one rule mapping)."""
    try:
        node = loader.get_single_node()
        if node is None:
            raise RuleError(shown, 1, "", "empty file")
        # Before the data is built: building merges ``<<`` keys into the nodes themselves.
        _check_duplicate_keys(shown, node)
        data = loader.construct_document(node)
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        raise RuleError(shown, node.start_mark.line + 1, "", "a rule file must be a mapping")
    return _Doc(shown, data, node)


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _yaml_error(shown: str, text: str, exc: yaml.MarkedYAMLError) -> RuleError:
    """A YAML syntax error as one line: where the parser stopped, what it was reading, and the
    line where the construct it could not finish began."""
    mark = exc.problem_mark or exc.context_mark
    line = mark.line + 1 if mark else 0
    message = _one_line(exc.problem or exc.context or str(exc))
    if exc.context and exc.problem and exc.context_mark is not None:
        started = exc.context_mark.line + 1
        message += f" ({_one_line(exc.context)}" + (
            f" started on line {started})" if started != line else ")"
        )
    return RuleError(shown, line, _field(_yaml_path_at_error(text)), f"invalid YAML: {message}")


def _yaml_path_at_error(text: str) -> list[str | int]:
    """The key path the YAML parser was inside when it failed (empty when unknown)."""
    import yaml

    @dataclass
    class Open:
        mapping: bool
        key: Any = None
        key_next: bool = True
        index: int = -1

    stack: list[Open] = []

    def child(value: Any = None) -> None:
        if not stack:
            return
        top = stack[-1]
        if not top.mapping:
            top.index += 1
        elif top.key_next:
            top.key, top.key_next = value, False
        else:
            top.key_next = True

    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            if isinstance(event, yaml.ScalarEvent):
                child(event.value)
            elif isinstance(event, yaml.AliasEvent):
                child()
            elif isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                child()
                stack.append(Open(isinstance(event, yaml.MappingStartEvent)))
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)) and stack:
                stack.pop()
    except yaml.YAMLError:
        return [
            o.key if o.mapping else o.index
            for o in stack
            if (o.mapping and isinstance(o.key, str)) or (not o.mapping and o.index >= 0)
        ]
    return []


def _check_duplicate_keys(shown: str, root: yaml.Node) -> None:
    """PyYAML keeps the last of two equal keys silently; a rule file must not say two things."""
    import yaml

    todo: list[tuple[yaml.Node, tuple[str | int, ...]]] = [(root, ())]
    while todo:
        node, path = todo.pop()
        if isinstance(node, yaml.MappingNode):
            seen: dict[object, int] = {}
            for key_node, value_node in node.value:
                key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
                line = key_node.start_mark.line + 1
                if key is not None and key in seen:
                    raise RuleError(
                        shown,
                        line,
                        _field((*path, key)),
                        f"duplicate key {key!r} (first on line {seen[key]})",
                    )
                if key is not None:
                    seen[key] = line
                todo.append((value_node, (*path, key if key is not None else "?")))
        elif isinstance(node, yaml.SequenceNode):
            todo.extend((child, (*path, i)) for i, child in enumerate(node.value))


def _line_of(node: yaml.Node, path: Sequence[str | int]) -> int:
    """The 1-based line of the YAML node at ``path`` (or of its deepest existing parent)."""
    import yaml

    current = node
    for step in path:
        if isinstance(current, yaml.MappingNode):
            for key_node, value_node in current.value:
                if key_node.value == step:
                    current = value_node
                    break
            else:
                break
        elif isinstance(current, yaml.SequenceNode) and isinstance(step, int):
            if step >= len(current.value):
                break
            current = current.value[step]
        else:
            break
    return int(current.start_mark.line) + 1


def _field(path: Iterable[str | int]) -> str:
    out = ""
    for step in path:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else str(step))
    return out


def _registry() -> Registry[Any]:
    from referencing import Registry, Resource

    resources = [
        (s["$id"], Resource.from_contents(s))
        for s in (load_schema("rule.schema.json"), load_schema("model.schema.json"))
    ]
    registry: Registry[Any] = Registry().with_resources(resources)
    return registry


def _validate(doc: _Doc, schema_name: str) -> None:
    import jsonschema

    schema = load_schema(schema_name)
    validator = jsonschema.Draft202012Validator(
        schema,
        registry=_registry(),
        format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER,
    )
    errors = sorted(validator.iter_errors(doc.data), key=lambda e: list(map(str, e.path)))
    if not errors:
        return
    best = jsonschema.exceptions.best_match(errors)
    path: list[str | int] = list(best.absolute_path)
    if best.validator == "additionalProperties" and isinstance(best.instance, dict):
        # Point at the first unknown key itself, not at the mapping that holds it.
        allowed = best.schema.get("properties", {}) if isinstance(best.schema, dict) else {}
        extra = [k for k in best.instance if k not in allowed]
        if extra:
            path.append(str(extra[0]))
            message = f"unknown field {extra[0]!r}"
            raise RuleError(doc.path, _line_of_key(doc.node, path), _field(path), message)
    if best.validator == "required" and isinstance(best.instance, dict):
        missing = [k for k in best.validator_value if k not in best.instance]
        if missing:
            where = _field([*path, missing[0]])
            raise RuleError(
                doc.path,
                _line_of(doc.node, path),
                where,
                f"required field {missing[0]!r} is missing",
            )
    raise RuleError(
        doc.path, _line_of(doc.node, path), _field(path), _one_line(_schema_message(best))
    )


def _line_of_key(node: yaml.Node, path: Sequence[str | int]) -> int:
    """The line of the last key of ``path`` (for a key whose value may span several lines)."""
    import yaml

    parent = node
    for step in path[:-1]:
        found = None
        if isinstance(parent, yaml.MappingNode):
            found = next((v for k, v in parent.value if k.value == step), None)
        elif isinstance(parent, yaml.SequenceNode) and isinstance(step, int):
            found = parent.value[step] if step < len(parent.value) else None
        if found is None:
            return _line_of(node, path)
        parent = found
    if isinstance(parent, yaml.MappingNode):
        for key_node, _ in parent.value:
            if key_node.value == path[-1]:
                return int(key_node.start_mark.line) + 1
    return _line_of(node, path)


def _schema_message(err: jsonschema.ValidationError) -> str:
    if err.validator == "additionalProperties":
        return f"unknown field: {err.message.split('(')[-1].rstrip(')')}"
    if err.validator == "oneOf" and isinstance(err.instance, dict):
        return f"needs exactly one of the allowed kinds: {err.message}"
    return str(err.message)


def _walk(
    data: Any, path: tuple[str | int, ...] = ()
) -> Iterator[tuple[tuple[str | int, ...], Any]]:
    yield path, data
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _walk(value, (*path, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from _walk(value, (*path, index))


def _check_regexes(doc: _Doc) -> None:
    for path, value in _walk(doc.data):
        if path and isinstance(path[-1], str) and path[-1].endswith("regex"):
            try:
                re.compile(value)
            except (re.error, TypeError) as exc:
                raise RuleError(
                    doc.path,
                    _line_of(doc.node, path),
                    _field(path),
                    f"regex does not compile: {exc}",
                ) from exc


def _discover(paths: Iterable[Path]) -> list[Path]:
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(
                sorted(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())
            )
        elif path.exists():
            found.append(path)
        else:
            raise RuleError(str(path), 0, "", "rule path does not exist")
    return found


def _expand(
    doc: _Doc, models: Mapping[str, Model], data: Any, path: tuple[str | int, ...], want: str | None
) -> Any:
    """Replace ``$model`` references inside ``data`` with the model's items."""
    if isinstance(data, dict):
        out: dict[str, Any] = {}
        for key, value in data.items():
            if key in _NAME_LIST_KEYS:
                child_want: str | None = "names"
            elif key in _TAINT_LIST_KEYS:
                child_want = _TAINT_LIST_KEYS[key]
            elif key == "propagators":
                child_want = "propagators"
            else:
                child_want = None
            out[key] = _expand(doc, models, value, (*path, key), child_want)
        return out
    if isinstance(data, list):
        items: list[Any] = []
        for index, value in enumerate(data):
            if isinstance(value, str) and value.startswith("$") and want is not None:
                ref = value[1:]
                model = models.get(ref)
                where = (*path, index)
                if model is None:
                    raise RuleError(
                        doc.path, _line_of(doc.node, where), _field(where), f"unknown model ${ref}"
                    )
                if model.kind != want:
                    raise RuleError(
                        doc.path,
                        _line_of(doc.node, where),
                        _field(where),
                        f"model ${ref} holds {model.kind}, not {want}",
                    )
                items.extend(copy.deepcopy(list(model.items)))
            else:
                items.append(_expand(doc, models, value, (*path, index), None))
        return items
    return data


def _rule_from(doc: _Doc, spec: dict[str, Any]) -> Rule:
    d = spec["docs"]
    tags = tuple(spec.get("tags", ()))
    return Rule(
        id=spec["id"],
        name=spec["name"],
        category=spec["category"],
        cwe=tuple(spec["cwe"]),
        severity=spec["severity"],
        confidence=spec["confidence"],
        message=spec["message"],
        summary=spec["summary"],
        docs=RuleDocs(d["why"], d["bad"], d["good"], tuple(d.get("references", ()))),
        since=spec["since"],
        mode=spec["mode"],
        spec=spec,
        source=doc.path,
        tags=tags,
    )


def load_rules(
    paths: Iterable[str | Path] = (), *, builtin: bool = True, cache: bool = True
) -> RuleSet:
    """Load, validate and resolve rules and models.

    ``paths`` are YAML files or folders (searched recursively); the built-in pack comes first
    unless ``builtin`` is false. Raises :class:`RuleError` for the first unusable file.

    A set of files loaded before, unchanged since (same paths, sizes, modification times and
    contents, same aiscan), comes from the per-user compiled-pack cache (see
    :mod:`aiscan.usercache`) unless ``cache`` is false; only sets that loaded without an error
    are stored there.
    """
    roots = ([builtin_rules_dir()] if builtin else []) + [Path(p) for p in paths]
    files = _discover(roots)
    if not cache or not files:
        return _load(files)
    entry = usercache.rule_pack_entry(roots, files)
    cached = entry.read() if entry is not None else None
    if isinstance(cached, RuleSet):
        return cached
    ruleset = _load(files)
    if entry is not None:
        entry.write(ruleset)
    return ruleset


def _load(files: Sequence[Path]) -> RuleSet:
    docs = [_parse_yaml(p) for p in files]
    models: dict[str, Model] = {}
    rule_docs: list[_Doc] = []
    for doc in docs:
        if "model" in doc.data:
            _validate(doc, "model.schema.json")
            name = doc.data["model"]
            if name in models:
                raise RuleError(
                    doc.path,
                    _line_of(doc.node, ["model"]),
                    "model",
                    f"duplicate model ${name} (also in {models[name].source})",
                )
            models[name] = Model(
                name, doc.data["kind"], doc.data["description"], tuple(doc.data["items"]), doc.path
            )
            _check_regexes(doc)
        else:
            rule_docs.append(doc)
    categories = taxonomy()
    by_id: dict[str, Rule] = {}
    by_name: dict[str, Rule] = {}
    for doc in rule_docs:
        _validate(doc, "rule.schema.json")
        _check_regexes(doc)
        data = doc.data
        if data["category"] not in categories:
            raise RuleError(
                doc.path,
                _line_of(doc.node, ["category"]),
                "category",
                f"unknown category {data['category']!r} (not in the taxonomy)",
            )
        stem = Path(doc.path).stem
        if data["name"] != stem:
            raise RuleError(
                doc.path,
                _line_of(doc.node, ["name"]),
                "name",
                f"name {data['name']!r} must equal the file name {stem!r}",
            )
        for key, seen in (("id", by_id), ("name", by_name)):
            other = seen.get(data[key])
            if other is not None:
                raise RuleError(
                    doc.path,
                    _line_of(doc.node, [key]),
                    key,
                    f"duplicate {key} {data[key]!r} (also in {other.source})",
                )
        spec = _expand(doc, models, data, (), None)
        rule = _rule_from(doc, spec)
        by_id[rule.id] = rule
        by_name[rule.name] = rule
    return RuleSet(tuple(sorted(by_id.values(), key=lambda r: r.id)), models)
