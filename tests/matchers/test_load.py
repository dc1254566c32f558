"""``mode: load``: a loading call is reported when every use of its result iterates it once (or,
for ``consumed-by: write``, writes it out whole), and not when the load is bounded or the whole
value is needed."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from aiscan import load_rules, scan, scan_source
from aiscan.loader import RuleError, RuleSet

RULE_FILE = (
    Path(__file__).resolve().parents[2] / "rules" / "scale" / "unbounded-collection-load.yaml"
)

HEADER = """\
id: TST403
name: load
category: unbounded-collection-load
cwe: [770]
severity: warning
confidence: medium
message: "{load} via {library}; {use}; use {streaming}"
summary: A test rule.
docs: {why: w, bad: b, good: g}
since: 0.3.0
mode: load
"""

QUERIES = """\
loads:
  - library: orm
    method: [all]
    chain: [query]
    streaming: yield_per
    bounded:
      methods: [limit, first]
      key-attribute-regex: '^id$'
      key-keyword-regex: '^id$'
    consumers: [writerows]
    wrappers: [enumerate]
  - library: dbapi
    method: [fetchall]
    chain: [execute]
    streaming: fetchmany
    bounded:
      sql-regex: '(?i)\\blimit\\b'
"""

FILES = """\
loads:
  - library: file
    method: [read, readlines]
    origin: [open, io.open]
    source:
      qname: [sys.stdin]
      path-regex: '(?i)log'
    streaming: for line in f
    iterate-through: [splitlines]
"""

DOWNLOADS = """\
loads:
  - library: requests
    attribute: [content]
    origin: [requests.get]
    origin-args: [{keyword: stream, present: false}]
    consumed-by: write
    write-methods: [write]
    streaming: iter_content
"""


def ruleset(tmp_path: Path, body: str) -> RuleSet:
    path = tmp_path / "load.yaml"
    path.write_text(HEADER + textwrap.dedent(body), encoding="utf-8")
    return load_rules([path], builtin=False)


def lines(rules: RuleSet, code: str) -> list[int]:
    result = scan_source(textwrap.dedent(code), rules=rules)
    assert not result.errors, result.errors
    return sorted(f.line for f in result.findings)


@pytest.fixture
def queries(tmp_path: Path) -> RuleSet:
    return ruleset(tmp_path, QUERIES)


def test_a_load_iterated_by_a_for_loop_is_reported_at_the_loading_call(queries: RuleSet) -> None:
    code = """\
        def export(session, out):
            for row in session.query(Row).all():
                out.write(row)
        """
    assert lines(queries, code) == [2]


def test_the_message_names_the_load_the_library_and_the_streaming_alternative(
    queries: RuleSet,
) -> None:
    code = """\
        def export(session, out):
            for row in session.query(Row).all():
                out.write(row)
        """
    result = scan_source(textwrap.dedent(code), rules=queries)
    assert [f.message for f in result.findings] == [
        "session.query(Row).all() via orm; is only iterated; use yield_per"
    ]


@pytest.mark.parametrize(
    "use",
    [
        "[r.id for r in rows]",
        "sum(r.total for r in rows)",
        "writer.writerows(rows)",
        "[r for i, r in enumerate(rows)]",
    ],
)
def test_a_named_result_used_once_by_iteration_is_reported(queries: RuleSet, use: str) -> None:
    code = f"""\
        def export(session, writer):
            rows = session.query(Row).all()
            return {use}
        """
    assert lines(queries, code) == [2]


@pytest.mark.parametrize(
    "use",
    [
        "return len(rows)",
        "return rows[0]",
        "return rows[:10]",
        "return sorted(rows)",
        "return rows",
        "return json.dumps(rows)",
        "return list(rows)",
        "rows.append(None)",
        "return bool(rows)",
        "print(rows)",
    ],
)
def test_a_result_needed_whole_is_not_reported(queries: RuleSet, use: str) -> None:
    code = f"""\
        import json

        def whole(session):
            rows = session.query(Row).all()
            {use}
        """
    assert lines(queries, code) == []


def test_a_result_iterated_twice_is_not_reported(queries: RuleSet) -> None:
    code = """\
        def twice(session, out):
            rows = session.query(Row).all()
            for row in rows:
                out.write(row)
            for row in rows:
                out.write(row)
        """
    assert lines(queries, code) == []


def test_an_unused_or_rebound_result_is_not_reported(queries: RuleSet) -> None:
    code = """\
        def unused(session):
            rows = session.query(Row).all()

        def rebound(session, out):
            rows = session.query(Row).all()
            rows = []
            for row in rows:
                out.write(row)
        """
    assert lines(queries, code) == []


@pytest.mark.parametrize(
    "chain",
    [
        "session.query(Row).limit(10).all()",
        "session.query(Row).filter(Row.id == key).all()",
        "session.query(Row).filter_by(id=key).all()",
        "session.query(Row)[0:10]",
        "q.all()",
    ],
)
def test_a_bounded_chain_is_not_reported(queries: RuleSet, chain: str) -> None:
    code = f"""\
        def bounded(session, key, out):
            q = session.query(Row).limit(5)
            for row in {chain}:
                out.write(row)
        """
    assert lines(queries, code) == []


def test_a_filter_on_another_column_bounds_nothing(queries: RuleSet) -> None:
    code = """\
        def by_owner(session, owner, out):
            for row in session.query(Row).filter(Row.owner_id == owner.get("id")).all():
                out.write(row)
        """
    assert lines(queries, code) == [2]


def test_a_load_without_the_chain_marker_is_not_reported(queries: RuleSet) -> None:
    code = """\
        def other(registry, out):
            for item in registry.items.all():
                out.write(item)
        """
    assert lines(queries, code) == []


def test_a_query_built_in_a_name_is_followed(queries: RuleSet) -> None:
    code = """\
        def built(session, out):
            q = session.query(Row)
            for row in q.all():
                out.write(row)
        """
    assert lines(queries, code) == [3]


def test_fetchall_reads_the_query_of_the_previous_execute(queries: RuleSet) -> None:
    code = """\
        def unbounded(cur, out):
            cur.execute("SELECT * FROM t")
            for row in cur.fetchall():
                out.write(row)

        def bounded(cur, out):
            cur.execute("SELECT * FROM t LIMIT 10")
            for row in cur.fetchall():
                out.write(row)
        """
    assert lines(queries, code) == [3]


def test_a_returned_load_is_reported_when_every_caller_only_iterates_it(
    queries: RuleSet,
) -> None:
    code = """\
        def everything(session):
            return session.query(Row).all()

        def report(session, out):
            for row in everything(session):
                out.write(row)

        class Repo:
            def rows(self):
                return self.session.query(Row).all()

            def dump(self, out):
                for row in self.rows():
                    out.write(row)
        """
    assert lines(queries, code) == [2, 10]


def test_a_returned_load_is_quiet_when_one_caller_needs_it_whole_or_there_is_none(
    queries: RuleSet,
) -> None:
    code = """\
        def everything(session):
            return session.query(Row).all()

        def report(session, out):
            for row in everything(session):
                out.write(row)

        def count(session):
            return len(everything(session))

        def uncalled(session):
            return session.query(Row).all()
        """
    assert lines(queries, code) == []


def test_callers_in_other_modules_are_followed(queries: RuleSet, tmp_path: Path) -> None:
    pkg = tmp_path / "proj" / "app"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("", encoding="utf-8")
    (pkg / "repo.py").write_text(
        textwrap.dedent(
            """\
            def iterated(session):
                return session.query(Row).all()

            def indexed(session):
                return session.query(Row).all()
            """
        ),
        encoding="utf-8",
    )
    (pkg / "views.py").write_text(
        textwrap.dedent(
            """\
            from app.repo import iterated
            from . import repo

            def a(session, out):
                for row in iterated(session):
                    out.write(row)

            def b(session):
                return repo.indexed(session)[0]
            """
        ),
        encoding="utf-8",
    )
    result = scan([tmp_path / "proj"], rules=queries, root=tmp_path / "proj", jobs=1)
    assert not result.errors, result.errors
    assert [(f.path, f.line) for f in result.findings] == [("app/repo.py", 2)]


def test_files_are_reported_only_from_unbounded_sources(tmp_path: Path) -> None:
    rules = ruleset(tmp_path, FILES)
    code = """\
        import sys

        def logs(out):
            with open("/var/log/app.log") as fh:
                for line in fh.read().splitlines():
                    out.write(line)

        def stdin(out):
            for line in sys.stdin.readlines():
                out.write(line)

        def config(out):
            with open("settings.ini") as fh:
                for line in fh.read().splitlines():
                    out.write(line)

        def logs_streamed(out):
            with open("/var/log/app.log") as fh:
                for line in fh:
                    out.write(line)

        def some_reader(log_reader, out):
            for line in log_reader.read():
                out.write(line)
        """
    assert lines(rules, code) == [5, 9]


def test_downloads_are_reported_when_written_out_whole(tmp_path: Path) -> None:
    rules = ruleset(tmp_path, DOWNLOADS)
    code = """\
        import requests

        def save(url, fh):
            resp = requests.get(url, timeout=5)
            fh.write(resp.content)

        def save_streamed(url, fh):
            resp = requests.get(url, timeout=5, stream=True)
            fh.write(resp.content)

        def parse(url):
            resp = requests.get(url, timeout=5)
            return resp.content.decode()

        def save_other(client, fh):
            fh.write(client.fetch().content)
        """
    assert lines(rules, code) == [5]


def test_the_rule_where_applies(tmp_path: Path) -> None:
    rules = ruleset(tmp_path, "where: {test-file: false}\n" + QUERIES)
    code = """\
        def test_export(session, out):
            for row in session.query(Row).all():
                out.write(row)
        """
    result = scan_source(textwrap.dedent(code), "tests/test_x.py", rules=rules)
    assert result.findings == ()


def test_a_load_rule_without_loads_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "load.yaml"
    path.write_text(HEADER, encoding="utf-8")
    with pytest.raises(RuleError, match="loads"):
        load_rules([path], builtin=False)


def test_an_unknown_field_in_a_load_entry_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(RuleError, match="unknown field 'methods'"):
        ruleset(tmp_path, "loads:\n  - {library: x, streaming: y, methods: [all]}\n")


# --- the built-in rule's documentation examples ---------------------------------------------


@pytest.fixture(scope="module")
def builtin_rule() -> RuleSet:
    return load_rules([RULE_FILE], builtin=False)


def test_the_docs_bad_example_is_reported(builtin_rule: RuleSet) -> None:
    rule = builtin_rule.rules[0]
    result = scan_source(rule.docs.bad, "shop/export.py", rules=builtin_rule)
    assert not result.errors, result.errors
    assert len(result.findings) == 1


def test_the_docs_good_example_is_not_reported(builtin_rule: RuleSet) -> None:
    rule = builtin_rule.rules[0]
    result = scan_source(rule.docs.good, "shop/export.py", rules=builtin_rule)
    assert not result.errors, result.errors
    assert result.findings == ()
