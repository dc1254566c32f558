"""A broken rule or model file gives one message naming its file, the line and the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from aiscan.loader import RuleError, load_rules

RULE = """\
id: CUS001
name: {name}
category: insecure-tls
cwe: [295]
severity: error
confidence: high
message: "{{callee}} is called"
summary: A custom rule for the loader tests.
docs:
  why: Because it is dangerous.
  bad: |
    mylib.danger()
  good: |
    mylib.safe()
since: 0.1.0
mode: pattern
patterns:
  - call: [mylib.danger]
"""


def rule_text(name: str = "danger-call", **replace: str) -> str:
    """The rule above with top-level keys replaced (with their indented lines), as in
    ``severity="severity: fatal"``."""
    lines = RULE.format(name=name).splitlines()
    for key, new in replace.items():
        start = next(i for i, line in enumerate(lines) if line.startswith(f"{key}:"))
        end = start + 1
        while end < len(lines) and lines[end].startswith(" "):
            end += 1
        lines[start:end] = [new]
    return "\n".join(lines) + "\n"


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def line_of(text: str, needle: str) -> int:
    """The 1-based line of the first line containing ``needle``."""
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def load_error(*paths: Path) -> RuleError:
    with pytest.raises(RuleError) as info:
        load_rules(list(paths), builtin=False)
    err = info.value
    message = str(err)
    assert "\n" not in message, message
    assert "Traceback" not in message
    return err


def assert_names(err: RuleError, path: Path, line: int, field: str) -> None:
    message = str(err)
    assert err.path == str(path)
    assert err.line == line, message
    assert err.field == field, message
    assert message.startswith(f"{path}:{line}:"), message
    if field:
        assert f"[{field}]" in message, message


# --- a valid rule --------------------------------------------------------------------------------


def test_a_valid_custom_rule_loads(tmp_path: Path) -> None:
    path = write(tmp_path, "danger-call.yaml", rule_text())
    ruleset = load_rules([path], builtin=False)
    (rule,) = ruleset.rules
    assert (rule.id, rule.name, rule.category, rule.severity) == (
        "CUS001",
        "danger-call",
        "insecure-tls",
        "error",
    )
    assert rule.source == str(path)


def test_a_folder_of_rules_is_searched_recursively(tmp_path: Path) -> None:
    write(tmp_path / "a" / "b", "danger-call.yaml", rule_text())
    assert [r.id for r in load_rules([tmp_path], builtin=False).rules] == ["CUS001"]


# --- each kind of broken rule file ---------------------------------------------------------------


def test_yaml_syntax_error_names_file_line_and_field(tmp_path: Path) -> None:
    text = rule_text(since="since: [0.1.0")  # an unclosed flow sequence
    path = write(tmp_path, "danger-call.yaml", text)
    err = load_error(path)
    # The parser notices on the next line, and says where the sequence began.
    assert err.line == line_of(text, "since:") + 1
    assert err.field.startswith("since")
    assert "invalid YAML" in str(err)
    assert f"started on line {line_of(text, 'since:')}" in str(err)


def test_yaml_bad_indentation_names_the_line(tmp_path: Path) -> None:
    text = rule_text(docs="docs:\n  why: x\n bad: y")
    path = write(tmp_path, "danger-call.yaml", text)
    err = load_error(path)
    assert_names(err, path, line_of(text, " bad: y"), "docs")


def test_yaml_tab_indentation_names_the_line(tmp_path: Path) -> None:
    text = rule_text(cwe="cwe:\n\t- 295")
    path = write(tmp_path, "danger-call.yaml", text)
    err = load_error(path)
    assert_names(err, path, line_of(text, "\t- 295"), "cwe")


def test_unprintable_character_is_one_line_with_its_line(tmp_path: Path) -> None:
    text = rule_text(summary="summary: bell \x07 here")
    path = write(tmp_path, "danger-call.yaml", text)
    err = load_error(path)
    assert err.line == line_of(text, "summary:")
    assert "#x0007" in str(err)


def test_not_utf8_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "danger-call.yaml"
    path.write_bytes(rule_text().replace("Because", "Caf\xe9").encode("latin-1"))
    err = load_error(path)
    assert err.line == line_of(rule_text(), "Because")
    assert "not UTF-8" in str(err)


def test_duplicate_yaml_key_is_an_error_not_the_last_one_wins(tmp_path: Path) -> None:
    text = rule_text(mode="mode: pattern\nseverity: note")
    path = write(tmp_path, "danger-call.yaml", text)
    err = load_error(path)
    assert_names(err, path, line_of(text, "severity: note"), "severity")
    assert f"first on line {line_of(text, 'severity: error')}" in str(err)


def test_empty_file(tmp_path: Path) -> None:
    path = write(tmp_path, "danger-call.yaml", "")
    err = load_error(path)
    assert err.path == str(path)
    assert "empty" in str(err)


def test_a_list_is_not_a_rule(tmp_path: Path) -> None:
    path = write(tmp_path, "danger-call.yaml", "- id: CUS001\n")
    err = load_error(path)
    assert_names(err, path, 1, "")
    assert "mapping" in str(err)


def test_two_documents_in_one_file(tmp_path: Path) -> None:
    text = rule_text() + "---\nid: CUS002\n"
    path = write(tmp_path, "danger-call.yaml", text)
    err = load_error(path)
    assert err.line == line_of(text, "---")
    assert "single document" in str(err)


def test_schema_violation_wrong_enum_value(tmp_path: Path) -> None:
    text = rule_text(severity="severity: fatal")
    path = write(tmp_path, "danger-call.yaml", text)
    err = load_error(path)
    assert_names(err, path, line_of(text, "severity:"), "severity")
    assert "'fatal'" in str(err)


def test_schema_violation_unknown_field_points_at_the_key(tmp_path: Path) -> None:
    text = rule_text(mode="mode: pattern\nbogus: 1")
    path = write(tmp_path, "danger-call.yaml", text)
    err = load_error(path)
    assert_names(err, path, line_of(text, "bogus:"), "bogus")
    assert "unknown field 'bogus'" in str(err)


def test_schema_violation_unknown_nested_field(tmp_path: Path) -> None:
    text = rule_text(docs="docs:\n  why: x\n  bad: y\n  good: z\n  extra: w")
    path = write(tmp_path, "danger-call.yaml", text)
    err = load_error(path)
    assert_names(err, path, line_of(text, "extra: w"), "docs.extra")


def test_schema_violation_missing_required_field(tmp_path: Path) -> None:
    text = rule_text().replace("summary: A custom rule for the loader tests.\n", "")
    path = write(tmp_path, "danger-call.yaml", text)
    err = load_error(path)
    assert_names(err, path, 1, "summary")
    assert "required" in str(err)


def test_schema_violation_wrong_type_deep_inside(tmp_path: Path) -> None:
    text = rule_text(cwe="cwe: [CWE-295]")
    path = write(tmp_path, "danger-call.yaml", text)
    err = load_error(path)
    assert_names(err, path, line_of(text, "cwe:"), "cwe[0]")


def test_unknown_category(tmp_path: Path) -> None:
    text = rule_text(category="category: no-such-category")
    path = write(tmp_path, "danger-call.yaml", text)
    err = load_error(path)
    assert_names(err, path, line_of(text, "category:"), "category")
    assert "no-such-category" in str(err)


def test_duplicate_id_names_both_files(tmp_path: Path) -> None:
    first = write(tmp_path, "a-rule.yaml", rule_text("a-rule"))
    second = write(tmp_path, "b-rule.yaml", rule_text("b-rule"))
    err = load_error(tmp_path)
    assert_names(err, second, line_of(rule_text(), "id:"), "id")
    assert "duplicate id 'CUS001'" in str(err)
    assert str(first) in str(err)


def test_duplicate_of_a_builtin_id(tmp_path: Path) -> None:
    path = write(tmp_path, "danger-call.yaml", rule_text(id="id: AIS101"))
    with pytest.raises(RuleError) as info:
        load_rules([path])
    assert_names(info.value, path, 1, "id")
    assert "AIS101" in str(info.value)


def test_name_must_equal_file_name(tmp_path: Path) -> None:
    text = rule_text()
    path = write(tmp_path, "other-name.yaml", text)
    err = load_error(path)
    assert_names(err, path, line_of(text, "name:"), "name")


def test_regex_that_does_not_compile(tmp_path: Path) -> None:
    text = rule_text() + (
        "  - call: [mylib.fetch]\n"
        "    args:\n"
        "      - keyword: url\n"
        '        value: {regex: "([a-z"}\n'
    )
    path = write(tmp_path, "danger-call.yaml", text)
    err = load_error(path)
    assert_names(err, path, line_of(text, "regex:"), "patterns[1].args[0].value.regex")
    assert "does not compile" in str(err)


def test_reference_to_an_unknown_model(tmp_path: Path) -> None:
    text = rule_text().replace("call: [mylib.danger]", "call: [mylib.danger, $no-such-model]")
    path = write(tmp_path, "danger-call.yaml", text)
    err = load_error(path)
    assert_names(err, path, line_of(text, "$no-such-model"), "patterns[0].call[1]")
    assert "unknown model $no-such-model" in str(err)


def test_reference_to_a_model_of_the_wrong_kind(tmp_path: Path) -> None:
    model = "model: my-sinks\nkind: sinks\ndescription: Sinks.\nitems:\n  - {call: [mylib.run]}\n"
    write(tmp_path / "models", "my-sinks.yaml", model)
    text = rule_text().replace("call: [mylib.danger]", "call: [$my-sinks]")
    path = write(tmp_path, "danger-call.yaml", text)
    with pytest.raises(RuleError) as info:
        load_rules([tmp_path], builtin=False)
    assert_names(info.value, path, line_of(text, "$my-sinks"), "patterns[0].call[0]")
    assert "holds sinks, not names" in str(info.value)


def test_broken_model_file(tmp_path: Path) -> None:
    text = "model: my-names\nkind: nonsense\ndescription: Names.\nitems: [a.b]\n"
    path = write(tmp_path, "my-names.yaml", text)
    err = load_error(path)
    assert_names(err, path, 2, "kind")


def test_rule_path_that_does_not_exist(tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    err = load_error(missing)
    assert str(missing) in str(err)
    assert "does not exist" in str(err)


def test_first_broken_file_is_reported_and_nothing_else_is_raised(tmp_path: Path) -> None:
    """Several broken files: one clean RuleError naming one of them, no other exception."""
    first = write(tmp_path, "a-rule.yaml", rule_text("a-rule", severity="severity: fatal"))
    second = write(tmp_path, "b-rule.yaml", "id: [\n")
    err = load_error(tmp_path)
    assert err.path in (str(first), str(second))
