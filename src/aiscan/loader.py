"""Load rule and model YAML files, validate them, and resolve model references."""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
import yaml
from referencing import Registry, Resource

from aiscan.model import Rule, RuleDocs
from aiscan.resources import builtin_rules_dir, load_schema, taxonomy

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

        kept = tuple(
            r for r in self.rules if (not select or hit(r, select)) and not hit(r, ignore)
        )
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
    shown = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise RuleError(shown, 0, "", f"not UTF-8 text ({exc.reason})") from exc
    except OSError as exc:
        raise RuleError(shown, 0, "", f"cannot read: {exc.strerror or exc}") from exc
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise RuleError(shown, 1, "", "empty file")
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 0
        raise RuleError(shown, line, "", f"invalid YAML: {exc.problem or exc}") from exc
    except yaml.YAMLError as exc:
        raise RuleError(shown, 0, "", f"invalid YAML: {exc}") from exc
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        raise RuleError(shown, node.start_mark.line + 1, "", "a rule file must be a mapping")
    return _Doc(shown, data, node)


def _line_of(node: yaml.Node, path: Sequence[str | int]) -> int:
    """The 1-based line of the YAML node at ``path`` (or of its deepest existing parent)."""
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
    resources = [
        (s["$id"], Resource.from_contents(s))
        for s in (load_schema("rule.schema.json"), load_schema("model.schema.json"))
    ]
    registry: Registry[Any] = Registry().with_resources(resources)
    return registry


def _validate(doc: _Doc, schema_name: str) -> None:
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
    path = list(best.absolute_path)
    raise RuleError(doc.path, _line_of(doc.node, path), _field(path), _schema_message(best))


def _schema_message(err: jsonschema.ValidationError) -> str:
    if err.validator == "additionalProperties":
        return f"unknown field: {err.message.split('(')[-1].rstrip(')')}"
    if err.validator == "oneOf" and isinstance(err.instance, dict):
        return f"needs exactly one of the allowed kinds: {err.message}"
    return str(err.message)


def _walk(data: Any, path: tuple[str | int, ...] = ()) -> Iterator[tuple[tuple[str | int, ...], Any]]:
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
                    doc.path, _line_of(doc.node, path), _field(path), f"regex does not compile: {exc}"
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


def load_rules(paths: Iterable[str | Path] = (), *, builtin: bool = True) -> RuleSet:
    """Load, validate and resolve rules and models.

    ``paths`` are YAML files or folders (searched recursively); the built-in pack comes first
    unless ``builtin`` is false. Raises :class:`RuleError` for the first unusable file.
    """
    roots = ([builtin_rules_dir()] if builtin else []) + [Path(p) for p in paths]
    docs = [_parse_yaml(p) for p in _discover(roots)]
    models: dict[str, Model] = {}
    rule_docs: list[_Doc] = []
    for doc in docs:
        if "model" in doc.data:
            _validate(doc, "model.schema.json")
            name = doc.data["model"]
            if name in models:
                raise RuleError(
                    doc.path, _line_of(doc.node, ["model"]), "model",
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
                doc.path, _line_of(doc.node, ["category"]), "category",
                f"unknown category {data['category']!r} (not in the taxonomy)",
            )
        stem = Path(doc.path).stem
        if data["name"] != stem:
            raise RuleError(
                doc.path, _line_of(doc.node, ["name"]), "name",
                f"name {data['name']!r} must equal the file name {stem!r}",
            )
        for key, seen in (("id", by_id), ("name", by_name)):
            other = seen.get(data[key])
            if other is not None:
                raise RuleError(
                    doc.path, _line_of(doc.node, [key]), key,
                    f"duplicate {key} {data[key]!r} (also in {other.source})",
                )
        spec = _expand(doc, models, data, (), None)
        rule = _rule_from(doc, spec)
        by_id[rule.id] = rule
        by_name[rule.name] = rule
    return RuleSet(tuple(sorted(by_id.values(), key=lambda r: r.id)), models)
