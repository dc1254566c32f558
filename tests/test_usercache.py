"""The per-user cache: a rule set that loaded cleanly is reused until one of its files changes;
a broken or foreign entry is ignored; an error is never stored; libyaml reads as PyYAML does."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from aiscan import loader, usercache
from aiscan.loader import RuleError, RuleSet, load_rules

RULE = """\
id: CUS001
name: danger-call
category: insecure-tls
cwe: [295]
severity: {severity}
confidence: high
message: "{{callee}} is called"
summary: A custom rule for the cache tests.
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


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv(usercache.ENV_VAR, str(folder))
    return folder


@pytest.fixture
def rules(tmp_path: Path) -> Path:
    folder = tmp_path / "rules"
    folder.mkdir()
    (folder / "danger-call.yaml").write_text(RULE.format(severity="error"), encoding="utf-8")
    return folder


def entries(folder: Path) -> list[Path]:
    return sorted(folder.glob("rules-*.pickle"))


def severities(ruleset: RuleSet) -> list[str]:
    return [r.severity for r in ruleset.rules]


def test_a_loaded_rule_set_is_served_from_the_cache(
    cache: Path, rules: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = load_rules([rules], builtin=False)
    assert len(entries(cache)) == 1
    refused: list[Path] = []
    monkeypatch.setattr(loader, "_parse_yaml", refused.append)
    again = load_rules([rules], builtin=False)
    assert refused == []
    assert again == first
    assert [(r.spec, r.source) for r in again.rules] == [(r.spec, r.source) for r in first.rules]


def test_the_built_in_pack_is_served_from_the_cache(cache: Path) -> None:
    fresh = load_rules(cache=False)
    assert entries(cache) == []
    load_rules()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(loader, "_parse_yaml", None)  # calling it would fail
        cached = load_rules()
    assert cached == fresh and cached.models == fresh.models
    assert [r.spec for r in cached.rules] == [r.spec for r in fresh.rules]


def test_a_changed_rule_file_is_loaded_again(cache: Path, rules: Path) -> None:
    path = rules / "danger-call.yaml"
    assert severities(load_rules([rules], builtin=False)) == ["error"]
    path.write_text(RULE.format(severity="note"), encoding="utf-8")
    assert severities(load_rules([rules], builtin=False)) == ["note"]
    # Same size, same modification time, other content: the content digest tells.
    before = path.stat()
    path.write_text(path.read_text(encoding="utf-8").replace("is called", "is CALLED"))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = path.stat()
    assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    assert load_rules([rules], builtin=False).rules[0].message == "{callee} is CALLED"
    assert len(entries(cache)) == 1  # one entry per set of rule paths, rewritten


def test_a_rule_file_added_to_a_folder_is_loaded(cache: Path, rules: Path) -> None:
    assert [r.id for r in load_rules([rules], builtin=False).rules] == ["CUS001"]
    other = RULE.format(severity="note").replace("CUS001", "CUS002").replace("danger", "risky")
    (rules / "sub").mkdir()
    (rules / "sub" / "risky-call.yaml").write_text(other, encoding="utf-8")
    assert [r.id for r in load_rules([rules], builtin=False).rules] == ["CUS001", "CUS002"]


def test_a_corrupt_entry_is_ignored_and_rewritten(
    cache: Path, rules: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    good = load_rules([rules], builtin=False)
    (entry,) = entries(cache)
    for garbage in (b"", b"not a pickle", entry.read_bytes()[:100], b"\x80\x05N."):
        entry.write_bytes(garbage)
        assert load_rules([rules], builtin=False) == good
        assert entry.read_bytes() != garbage  # written again, whole
    # ... and what was written is used.
    monkeypatch.setattr(loader, "_parse_yaml", None)
    assert load_rules([rules], builtin=False) == good


def test_an_error_is_never_cached(cache: Path, rules: Path) -> None:
    load_rules([rules], builtin=False)
    stored = {p: p.read_bytes() for p in entries(cache)}
    path = rules / "danger-call.yaml"
    path.write_text(RULE.format(severity="fatal"), encoding="utf-8")
    messages = set()
    for _ in range(2):
        with pytest.raises(RuleError) as info:
            load_rules([rules], builtin=False)
        messages.add(str(info.value))
    (message,) = messages
    assert f"{path}:5: [severity]" in message
    assert {p: p.read_bytes() for p in entries(cache)} == stored


def test_an_entry_of_another_user_is_not_trusted(
    cache: Path, rules: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not hasattr(os, "getuid"):
        pytest.skip("no user ids here")
    load_rules([rules], builtin=False)
    real_getuid = os.getuid
    monkeypatch.setattr(os, "getuid", lambda: real_getuid() + 1)
    parsed: list[Path] = []
    original = loader._parse_yaml

    def counting(path: Path) -> object:
        parsed.append(path)
        return original(path)

    monkeypatch.setattr(loader, "_parse_yaml", counting)
    load_rules([rules], builtin=False)
    assert parsed == [rules / "danger-call.yaml"]


def test_a_folder_that_cannot_hold_the_cache_only_costs_time(
    tmp_path: Path, rules: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv(usercache.ENV_VAR, str(blocker / "cache"))
    assert [r.id for r in load_rules([rules], builtin=False).rules] == ["CUS001"]


def test_cache_false_leaves_the_cache_alone(cache: Path, rules: Path) -> None:
    load_rules([rules], builtin=False, cache=False)
    assert not cache.exists()


def test_old_entries_are_pruned(cache: Path, tmp_path: Path) -> None:
    for index in range(usercache.MAX_ENTRIES + 3):
        folder = tmp_path / f"set{index}"
        folder.mkdir()
        (folder / "danger-call.yaml").write_text(RULE.format(severity="note"), encoding="utf-8")
        load_rules([folder], builtin=False)
    assert len(entries(cache)) == usercache.MAX_ENTRIES


def test_where_the_cache_lives(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(usercache.ENV_VAR, str(tmp_path / "explicit"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert usercache.cache_dir() == tmp_path / "explicit"
    monkeypatch.delenv(usercache.ENV_VAR)
    assert usercache.cache_dir() == tmp_path / "xdg" / "aiscan"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/is/ignored")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    if sys.platform != "win32":
        assert usercache.cache_dir() == tmp_path / "home" / ".cache" / "aiscan"


# --- libyaml ---------------------------------------------------------------------------------

needs_libyaml = pytest.mark.skipif(not yaml.__with_libyaml__, reason="PyYAML without libyaml")


@needs_libyaml
def test_libyaml_reads_the_built_in_pack_as_pyyaml_does(monkeypatch: pytest.MonkeyPatch) -> None:
    fast = load_rules(cache=False)
    monkeypatch.setattr(yaml, "__with_libyaml__", False)
    slow = load_rules(cache=False)
    assert fast == slow and fast.models == slow.models
    assert [r.spec for r in fast.rules] == [r.spec for r in slow.rules]


GOOD = RULE.format(severity="error")
BROKEN = {
    "unclosed flow sequence": GOOD.replace("since: 0.1.0", "since: [0.1.0"),
    "bad indentation": GOOD.replace("  bad: |", " bad: |"),
    "tab": GOOD.replace("cwe: [295]", "cwe:\n\t- 295"),
    "unprintable": GOOD.replace("A custom", "A \x07 custom"),
    "duplicate key": GOOD.replace("mode: pattern", "mode: pattern\nseverity: note"),
    "duplicate key beside a merge": "a: &a {x: 1}\nb:\n  <<: *a\n  x: 2\n  x: 3\n",
    "empty": "",
    "a list": "- 1\n- 2\n",
    "two documents": GOOD + "---\n" + GOOD,
    "unknown tag": GOOD.replace("since: 0.1.0", "since: !!python/name:os.system ''"),
    "undefined alias": GOOD.replace("[mylib.danger]", "[*nothing]"),
}


@needs_libyaml
@pytest.mark.parametrize("case", sorted(BROKEN))
def test_a_broken_file_has_the_same_message_with_libyaml(
    case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "danger-call.yaml"
    path.write_text(BROKEN[case], encoding="utf-8")

    def message() -> str:
        with pytest.raises(RuleError) as info:
            load_rules([path], builtin=False, cache=False)
        return str(info.value)

    fast = message()
    monkeypatch.setattr(yaml, "__with_libyaml__", False)
    assert fast == message()


# --- start-up --------------------------------------------------------------------------------


def test_version_and_rules_do_not_import_the_engine(cache: Path) -> None:
    load_rules()  # the built-in pack is in the cache
    script = (
        "import contextlib, io, sys\n"
        "from aiscan.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try:\n"
        "        main(['--version'])\n"
        "    except SystemExit:\n"
        "        pass\n"
        "    assert main(['rules']) == 0\n"
        "heavy = ('astroid', 'networkx', 'jsonschema', 'referencing', 'yaml', 'pathspec')\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120
    )
    assert done.stdout.strip() == "[]", done.stderr
