"""Which part of a SQL statement a value was interpolated into, read from the text around it.

The taint engine records, for data that went into a string built from literal text (f-string,
``+``, ``%``, ``.format``), the literal text before and after it. This module reads that text as
SQL: a small lexer that knows string literals, quoted identifiers, comments and placeholders, and
a classifier that names the clause the interpolation sits in. Parameters (``?``, ``%s``,
``:name``) can bind values, never identifiers or keywords, which is why the clause matters.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

# The clause kinds, and what a message calls them.
VALUE = "value"
ORDER_BY = "order-by"
SORT_DIRECTION = "sort-direction"
LIMIT = "limit"
COLUMN_LIST = "column-list"
TABLE = "table"
IDENTIFIER = "identifier"
WHOLE = "whole"
OTHER = "other"

CLAUSES = (VALUE, ORDER_BY, SORT_DIRECTION, LIMIT, COLUMN_LIST, TABLE, IDENTIFIER, WHOLE, OTHER)
IDENTIFIER_CLAUSES = frozenset({ORDER_BY, SORT_DIRECTION, LIMIT, COLUMN_LIST, TABLE, IDENTIFIER})

DESCRIPTIONS = {
    VALUE: "a value in the SQL text",
    ORDER_BY: "the ORDER BY / GROUP BY column",
    SORT_DIRECTION: "the sort direction (ASC/DESC)",
    LIMIT: "the LIMIT/OFFSET count",
    COLUMN_LIST: "the selected column list",
    TABLE: "the table name",
    IDENTIFIER: "a column name",
    WHOLE: "the SQL text",
    OTHER: "a clause of the SQL text",
}

# The placeholder the engine writes into the text for other interpolated parts.
HOLE = "\x1e"

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<comment>--[^\n]*(?:\n|$)|/\*.*?(?:\*/|$))
  | (?P<string>[EeNnBbXx]?'(?:[^']|'')*(?:'|$))
  | (?P<dollar>\$\$.*?(?:\$\$|$))
  | (?P<qident>"(?:[^"]|"")*(?:"|$)|`[^`]*(?:`|$)|\[[^\]]*(?:\]|$))
  | (?P<param>\?|%s|%\(\w+\)s|:\w+|\$\d+|%d)
  | (?P<hole>\x1e)
  | (?P<number>\d+(?:\.\d+)?)
  | (?P<word>[A-Za-z_][\w$]*(?:\.[A-Za-z_*][\w$]*)*)
  | (?P<op><>|!=|<=|>=|==|\|\||::|[=<>+\-*/%(),;.])
  | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)

_STATEMENT = frozenset(
    {"select", "insert", "update", "delete", "with", "replace", "merge", "upsert", "pragma"}
)
_COMPARISON = frozenset({"=", "<>", "!=", "<", ">", "<=", ">=", "==", "like", "ilike", "glob"})
_VALUE_AFTER = frozenset({"in", "between", "values", "is", "not", "escape", "regexp", "similar"})
_CONDITION = frozenset({"where", "and", "or", "on", "having", "when", "then", "else", "set"})
_TABLE_AFTER = frozenset({"from", "join", "into", "update", "table", "describe", "truncate"})
_LIMIT_AFTER = frozenset({"limit", "offset", "top", "fetch", "first", "next"})
_DIRECTIONS = frozenset({"asc", "desc"})


@dataclass(frozen=True)
class Token:
    kind: str
    text: str

    @property
    def word(self) -> str:
        return self.text.lower() if self.kind == "word" else ""


def tokens(text: str) -> list[Token]:
    """The significant tokens of ``text`` (whitespace and comments dropped)."""
    out: list[Token] = []
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup or "other"
        if kind in ("ws", "comment"):
            continue
        out.append(Token(kind, match.group()))
    return out


def _open_quote(text: str) -> str | None:
    """The quote character ``text`` ends inside of (``'`` or ``"``/backtick), if any."""
    last = None
    for match in _TOKEN.finditer(text):
        last = match
    if last is None:
        return None
    group = last.lastgroup
    chunk = last.group()
    if group == "string":
        # After the opening quote, an odd run of quotes at the end closes the literal ('' is an
        # escaped quote inside it).
        inner = chunk[chunk.index("'") + 1 :]
        closed = (len(inner) - len(inner.rstrip("'"))) % 2 == 1
        return None if closed else "'"
    if group == "qident":
        closer = {'"': '"', "`": "`", "[": "]"}[chunk[0]]
        return None if len(chunk) >= 2 and chunk.endswith(closer) else chunk[0]
    if group == "comment" and chunk.startswith("--") and not chunk.endswith("\n"):
        return "--"
    if group == "comment" and chunk.startswith("/*") and not chunk.endswith("*/"):
        return "/*"
    return None


@functools.lru_cache(maxsize=4096)
def looks_like_sql(prefix: str, suffix: str) -> bool:
    """The literal text reads as SQL: a statement's shape (``SELECT ... FROM``, ``INSERT INTO``,
    ``UPDATE t SET``, ``DELETE FROM``) or a fragment that only SQL writes (``ORDER BY``,
    ``WHERE col =``, ``LIMIT``)."""
    parts = []
    for token in tokens(prefix + " " + HOLE + " " + suffix):
        if token.kind == "word":
            parts.append(token.word)
        elif token.kind in ("string", "param", "number", "hole", "qident"):
            parts.append("?")
        else:
            parts.append(token.text)
    text = " ".join(parts)
    return any(pattern.search(text) for pattern in _SQL_SHAPES)


_SQL_SHAPES = (
    re.compile(r"^(\( )*select\b.*\bfrom\b"),
    re.compile(r"^(insert|replace|merge) (or \w+ )?into\b"),
    re.compile(r"^update \S+ set\b"),
    re.compile(r"^delete from\b"),
    re.compile(r"^with \S+ as \("),
    re.compile(r"^(pragma|truncate table|drop table|create table|alter table)\b"),
    re.compile(r"\b(order|group) by\b"),
    re.compile(r"\bwhere \S+ (=|<>|!=|<=|>=|<|>|like|ilike|in|is|between)( |$)"),
    re.compile(r"\b(limit|offset) \?"),
)


@functools.lru_cache(maxsize=4096)
def classify(prefix: str, suffix: str) -> str:
    """The clause a value interpolated between ``prefix`` and ``suffix`` sits in."""
    quote = _open_quote(prefix)
    if quote == "'":
        return VALUE
    if quote in ('"', "`", "["):
        return IDENTIFIER
    if quote in ("--", "/*"):
        return OTHER
    before = tokens(prefix)
    after = tokens(suffix)
    if not before:
        return _lead(after)
    last = before[-1]
    if last.kind in ("op",) and (last.text in _COMPARISON or last.text in "+-*/%||"):
        return VALUE
    if last.word in _COMPARISON or last.word in _VALUE_AFTER:
        return VALUE
    if last.text in ("(", ","):
        return _in_list(before, after)
    clause = _clause_of(before)
    if last.word in _LIMIT_AFTER or (clause in _LIMIT_AFTER and last.word == "rows"):
        return LIMIT
    if last.word in _TABLE_AFTER:
        return TABLE
    if last.word == "by":
        return ORDER_BY if clause in ("order", "group", "partition") else OTHER
    if last.word in ("select", "distinct"):
        return COLUMN_LIST if _continues_columns(after) else OTHER
    if last.word in _CONDITION:
        return IDENTIFIER if _starts_comparison(after) else OTHER
    if last.word == "as":
        return IDENTIFIER
    if last.kind in ("word", "qident", "hole") and clause in ("order", "group"):
        # ORDER BY name {direction}
        return SORT_DIRECTION if last.word not in _DIRECTIONS else OTHER
    if last.kind == "op" and last.text == ".":
        return IDENTIFIER
    return OTHER


def _lead(after: list[Token]) -> str:
    """Nothing before: the text after tells (``{col} = ?`` is a column, else the whole SQL)."""
    if _starts_comparison(after):
        return IDENTIFIER
    if after and after[0].word in _DIRECTIONS:
        return ORDER_BY
    return WHOLE


def _clause_of(before: list[Token]) -> str:
    """The last clause keyword in ``before`` at the outermost parenthesis level."""
    depth = 0
    for token in reversed(before):
        if token.text == ")":
            depth += 1
        elif token.text == "(":
            if depth == 0:
                return "("
            depth -= 1
        elif depth == 0 and token.word in (
            "select",
            "from",
            "where",
            "order",
            "group",
            "having",
            "limit",
            "offset",
            "set",
            "values",
            "into",
            "join",
            "on",
            "update",
            "partition",
            "fetch",
        ):
            return token.word
    return ""


def _in_list(before: list[Token], after: list[Token]) -> str:
    """After ``(`` or ``,``: a value list (IN, VALUES, a function's arguments) or a list of
    names (SELECT columns, ORDER BY columns, INSERT's column list)."""
    clause = _clause_of(before[:-1]) if before[-1].text == "," else ""
    if before[-1].text == "(":
        prior = before[-2] if len(before) >= 2 else None
        if prior is None:
            return OTHER
        if len(before) >= 3 and before[-3].word == "into":
            return COLUMN_LIST  # INSERT INTO t ({cols}) ...
        if prior.word in ("in", "values") or prior.kind == "word":
            return VALUE  # IN (...), VALUES (...), coalesce(...)
        return OTHER
    # After a comma: what the comma separates.
    if clause in ("select",):
        return COLUMN_LIST
    if clause in ("order", "group"):
        return ORDER_BY
    if clause == "(":
        # Inside parentheses: IN (a, b, {x}) or VALUES (?, {x}) are values; (col, {x}) after
        # INSERT INTO t is a column list.
        opener = _opener(before[:-1])
        if opener is not None and opener >= 1:
            prior = before[opener - 1]
            if opener >= 2 and before[opener - 2].word == "into":
                return COLUMN_LIST
            if prior.word in ("in", "values") or prior.kind == "word":
                return VALUE
        return OTHER
    if clause == "from":
        return TABLE
    if clause == "set":
        return IDENTIFIER if _starts_comparison(after) else OTHER
    return OTHER


def _opener(before: list[Token]) -> int | None:
    depth = 0
    for index in range(len(before) - 1, -1, -1):
        text = before[index].text
        if text == ")":
            depth += 1
        elif text == "(":
            if depth == 0:
                return index
            depth -= 1
    return None


def _starts_comparison(after: list[Token]) -> bool:
    if not after:
        return False
    first = after[0]
    if first.text in _COMPARISON or first.word in _COMPARISON:
        return True
    if first.word in ("in", "between", "is", "not"):
        return True
    return False


def _continues_columns(after: list[Token]) -> bool:
    """``SELECT {cols} FROM t``: the text after the hole goes on with FROM or a comma."""
    return not after or after[0].word == "from" or after[0].text == ","


__all__ = [
    "CLAUSES",
    "DESCRIPTIONS",
    "HOLE",
    "IDENTIFIER_CLAUSES",
    "classify",
    "looks_like_sql",
    "tokens",
]
