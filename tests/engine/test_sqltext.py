"""The SQL clause an interpolated value sits in, as a reviewer reads the query text."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aiscan.engine.sqltext import (
    CLAUSES,
    COLUMN_LIST,
    HOLE,
    IDENTIFIER,
    LIMIT,
    ORDER_BY,
    OTHER,
    SORT_DIRECTION,
    TABLE,
    VALUE,
    WHOLE,
    classify,
    looks_like_sql,
)


def split(query: str) -> tuple[str, str]:
    prefix, _, suffix = query.partition("{}")
    return prefix, suffix


@pytest.mark.parametrize(
    ("query", "clause"),
    [
        # Values: where a bound parameter would have worked.
        ("SELECT * FROM users WHERE name = '{}'", VALUE),
        ("SELECT * FROM users WHERE name = {}", VALUE),
        ("SELECT * FROM users WHERE id IN ({})", VALUE),
        ("SELECT * FROM users WHERE id IN (1, 2, {})", VALUE),
        ("INSERT INTO t (a, b) VALUES (?, {})", VALUE),
        ("SELECT * FROM users WHERE name LIKE '%{}%'", VALUE),
        ("UPDATE users SET name = '{}' WHERE id = ?", VALUE),
        ("SELECT * FROM t WHERE a > {} ORDER BY id", VALUE),
        ("SELECT * FROM t WHERE note = 'it''s {}'", VALUE),
        # Identifiers and clauses: parameters cannot bind these.
        ("SELECT * FROM orders WHERE user_id = ? ORDER BY {}", ORDER_BY),
        ("SELECT * FROM orders WHERE user_id = ? ORDER BY {} DESC", ORDER_BY),
        ("SELECT * FROM orders ORDER BY created_at, {}", ORDER_BY),
        ("SELECT kind, count(*) FROM t GROUP BY {}", ORDER_BY),
        ("SELECT * FROM orders WHERE user_id = ? ORDER BY created_at {}", SORT_DIRECTION),
        ('SELECT * FROM orders ORDER BY "created_at" {}', SORT_DIRECTION),
        ("SELECT * FROM orders WHERE user_id = ? LIMIT {}", LIMIT),
        ("SELECT * FROM orders LIMIT 20 OFFSET {}", LIMIT),
        ("SELECT {} FROM orders WHERE id = ?", COLUMN_LIST),
        ("SELECT id, {} FROM orders WHERE id = ?", COLUMN_LIST),
        ("SELECT * FROM {} WHERE id = ?", TABLE),
        ("DELETE FROM {} WHERE id = %s", TABLE),
        ("INSERT INTO {} (a) VALUES (?)", TABLE),
        ("UPDATE {} SET a = ?", TABLE),
        ("SELECT * FROM a JOIN {} ON a.id = b.id", TABLE),
        ("SELECT * FROM t WHERE {} = ?", IDENTIFIER),
        ("SELECT * FROM t WHERE a = ? AND {} LIKE ?", IDENTIFIER),
        ('SELECT * FROM t WHERE "{}" = ?', IDENTIFIER),
        ("UPDATE t SET {} = ? WHERE id = ?", IDENTIFIER),
        ("INSERT INTO t (a, {}) VALUES (?, ?)", COLUMN_LIST),
        ("{} = %s", IDENTIFIER),
        ("{} DESC", ORDER_BY),
        # Whole statements or conditions: not a single identifier.
        ("{}", WHOLE),
        ("SELECT * FROM t WHERE {}", OTHER),
        ("SELECT * FROM t WHERE a = 1 AND {}", OTHER),
        ("SELECT * FROM t -- {}", OTHER),
    ],
)
def test_clause_of_interpolation(query: str, clause: str) -> None:
    assert classify(*split(query)) == clause


def test_other_holes_in_the_prefix_do_not_confuse_the_clause() -> None:
    prefix = f"SELECT * FROM t WHERE a = '{HOLE}' AND b = {HOLE} ORDER BY "
    assert classify(prefix, "") == ORDER_BY
    assert classify(f"SELECT * FROM t WHERE a = '{HOLE}' AND b = '", "'") == VALUE


def test_keywords_inside_string_literals_are_not_clauses() -> None:
    assert classify("SELECT * FROM t WHERE note = 'ORDER BY ", "'") == VALUE
    assert classify("SELECT * FROM t WHERE note = 'ORDER BY x' ORDER BY ", "") == ORDER_BY


@pytest.mark.parametrize(
    ("prefix", "suffix", "sql"),
    [
        ("SELECT * FROM users WHERE name = '", "'", True),
        ("select id from t order by ", "", True),
        ("DELETE FROM t WHERE id = ", "", True),
        ("", " ORDER BY id", True),
        (" WHERE name = '", "'", True),
        ("Where is ", "?", False),
        ("Hello ", ", welcome back", False),
        ("Select an option: ", "", False),
        ("Update available: ", "", False),
        ("/api/users/", "/orders", False),
        ("", "", False),
    ],
)
def test_what_reads_as_sql(prefix: str, suffix: str, sql: bool) -> None:
    assert looks_like_sql(prefix, suffix) is sql


@given(st.text(max_size=80), st.text(max_size=40))
def test_classify_is_total(prefix: str, suffix: str) -> None:
    assert classify(prefix, suffix) in CLAUSES
    looks_like_sql(prefix, suffix)


@pytest.mark.parametrize(
    ("query", "clause"),
    [
        # Parentheses: a subquery's clauses do not count outside it, and the other way round.
        ("SELECT * FROM t WHERE id IN (SELECT id FROM u WHERE x = ?) ORDER BY {}", ORDER_BY),
        ("SELECT * FROM (SELECT a FROM t) s ORDER BY {}", ORDER_BY),
        ("SELECT * FROM t WHERE id IN (SELECT id FROM u ORDER BY {})", ORDER_BY),
        ("SELECT * FROM t WHERE id IN (SELECT id FROM u) AND {} = ?", IDENTIFIER),
        # Lists after a comma: what the comma separates.
        ("SELECT a, b, {} FROM t", COLUMN_LIST),
        ("SELECT * FROM t ORDER BY a DESC, {}", ORDER_BY),
        ("SELECT * FROM a, {} WHERE a.id = ?", TABLE),
        ("UPDATE t SET a = ?, {} = ? WHERE id = ?", IDENTIFIER),
        ("UPDATE t SET a = ?, {}", OTHER),
        ("SELECT coalesce(a, {}) FROM t", VALUE),
        ("SELECT * FROM t WHERE (a, {}) = (?, ?)", VALUE),
        ("INSERT INTO t (a, b, {}) VALUES (?, ?, ?)", COLUMN_LIST),
        ("INSERT INTO t VALUES (1, 'x', {})", VALUE),
        ("SELECT * FROM t GROUP BY a, {}", ORDER_BY),
        ("({})", OTHER),
        ("SELECT max({}) FROM t", VALUE),
        # Quoted identifiers, strings and comments the prefix ends inside.
        ("SELECT `{}` FROM t", IDENTIFIER),
        ("SELECT [{}] FROM t", IDENTIFIER),
        ("SELECT * FROM t WHERE a = E'{}'", VALUE),
        ("SELECT * FROM t WHERE a = 'it''s {}'", VALUE),
        ("SELECT * FROM t WHERE a = 'x' AND b = {}", VALUE),
        ("SELECT * FROM t /* {} */", OTHER),
        ('SELECT "a" FROM t ORDER BY {}', ORDER_BY),
        # Comparisons after the hole.
        ("SELECT * FROM t WHERE {} IN (?, ?)", IDENTIFIER),
        ("SELECT * FROM t WHERE {} BETWEEN ? AND ?", IDENTIFIER),
        ("SELECT * FROM t WHERE {} IS NULL", IDENTIFIER),
        ("SELECT * FROM t WHERE {} NOT LIKE ?", IDENTIFIER),
        ("SELECT * FROM t WHERE a = ? AND {}", OTHER),
        # LIMIT forms.
        ("SELECT TOP {} * FROM t", LIMIT),
        ("SELECT * FROM t OFFSET 10 ROWS FETCH NEXT {} ROWS ONLY", LIMIT),
        ("SELECT * FROM t LIMIT ?, {}", OTHER),
        # The select list ends at FROM or goes on with a comma.
        ("SELECT DISTINCT {} FROM t", COLUMN_LIST),
        ("SELECT {}, id FROM t", COLUMN_LIST),
        ("SELECT {} AS x FROM t", OTHER),
        ("SELECT a AS {} FROM t", IDENTIFIER),
        ("SELECT t.{} FROM t", IDENTIFIER),
    ],
)
def test_clause_in_nested_and_listed_positions(query: str, clause: str) -> None:
    assert classify(*split(query)) == clause


@pytest.mark.parametrize(
    ("prefix", "suffix", "sql"),
    [
        ("WITH recent AS (SELECT * FROM orders) SELECT * FROM recent WHERE id = ", "", True),
        ("INSERT OR REPLACE INTO cache (k, v) VALUES (", ")", True),
        ("UPDATE users SET name = ", " WHERE id = ?", True),
        ("PRAGMA table_info(", ")", True),
        ("DROP TABLE ", "", True),
        ("select ", " from t", True),
        ("Dear ", ", your order from us is ready", False),
        ("Update ", " set of files", False),
        ("limit reached for ", "", False),
    ],
)
def test_more_statement_shapes(prefix: str, suffix: str, sql: bool) -> None:
    assert looks_like_sql(prefix, suffix) is sql


@pytest.mark.parametrize(
    ("query", "clause"),
    [
        # A literal or quoted name closed just before the hole: the hole is not inside it.
        ("SELECT * FROM t WHERE a = 'x'{}", OTHER),
        ("SELECT * FROM t WHERE a = 'it''s'{}", OTHER),
        ("SELECT * FROM t WHERE a = ''{}", OTHER),
        ('SELECT "col"{} FROM t', OTHER),
        ("SELECT * FROM t ORDER BY `col`{}", SORT_DIRECTION),
        ("SELECT * FROM t ORDER BY [col]{}", SORT_DIRECTION),
        # Comments that end before the hole do not hide the clause.
        ("SELECT * FROM t -- newest first\nORDER BY {}", ORDER_BY),
        ("SELECT * FROM t /* newest first */ ORDER BY {}", ORDER_BY),
        ("SELECT * FROM [t] WHERE {} = ?", IDENTIFIER),
        # Inside a quoted name or a dollar-quoted string.
        ('SELECT * FROM t WHERE "{}" = ?', IDENTIFIER),
        ("SELECT * FROM t WHERE a = $${}$$", OTHER),
    ],
)
def test_closed_literals_and_comments_before_the_hole(query: str, clause: str) -> None:
    assert classify(*split(query)) == clause
