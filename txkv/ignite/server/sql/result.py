"""Query results and their column types.

sqlite does not say what type a result column has, so the engine asks it indirectly: the query
becomes a temporary view, whose columns carry the declared type of the table column they come
from.  Aggregates are typed by probing their argument the same way and applying H2's rules:

* ``COUNT`` -> BIGINT (Long);
* ``MAX``/``MIN`` -> the argument's type;
* ``SUM`` of TINYINT/SMALLINT/INT -> BIGINT, of BIGINT or DECIMAL -> DECIMAL, of REAL/DOUBLE ->
  DOUBLE;
* ``AVG`` -> the argument's type (H2 averages integers with integer division);
* ``CAST(x AS type)`` -> that type.

Anything else without a declared type is typed from its values: int -> Long, float -> Double,
str -> String, bytes -> byte[], all NULL -> Null.
"""

from __future__ import annotations

import sqlite3
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

from .lexer import Token, render
from .translate import select_items
from .types import TC_NULL, SqlType, infer_type_code, type_from_decltype

__all__ = ["SqlObject", "SqlResult", "ResultTyper", "UPDATED"]

#: the one column of a DML/DDL result, as Ignite names it
UPDATED = "UPDATED"
_PROBE_VIEW = "__TXKV_PROBE"
_AGGREGATES = ("MAX", "MIN", "SUM", "AVG")


@dataclass
class SqlObject:
    """A key or value binary object of an SQL table (``_KEY``/``_VAL`` results): the binary type
    name and its fields as ``(name, type code, value)`` in column order."""

    type_name: str
    fields: List[Tuple[str, int, Any]]

    def as_dict(self) -> Dict[str, Any]:
        return {name: value for name, _, value in self.fields}


@dataclass
class SqlResult:
    """The outcome of :meth:`SqlEngine.execute`.

    Queries give their column names, one Ignite type code per column and the rows (lists of
    Python values).  DML and DDL give Ignite's cursor shape: one ``UPDATED`` column of type Long
    (code 4) with one row holding :attr:`update_count` (0 for DDL).
    """

    columns: List[str]
    type_codes: List[int]
    rows: List[List[Any]] = field(default_factory=list)
    is_query: bool = True
    update_count: Optional[int] = None

    @classmethod
    def updated(cls, count: int) -> SqlResult:
        return cls([UPDATED], [4], [[count]], is_query=False, update_count=count)


#: a column's typing: a SqlType, ("infer",) for unknown, or ("object", name) for _KEY/_VAL
ColumnKind = Any


class ResultTyper:
    """Works out (and caches) the type of every result column of a query."""

    def __init__(self, connection: sqlite3.Connection, cache_size: int = 256) -> None:
        self._db = connection
        self._cache: OrderedDict[Tuple[int, str], List[Optional[SqlType]]] = OrderedDict()
        self._cache_size = cache_size

    def column_types(self, version: int, tokens: List[Token],
                     count: int) -> List[Optional[SqlType]]:
        """The SqlType of each of the ``count`` result columns of the query ``tokens`` (None
        where it must be inferred from the values)."""
        key = (version, render(tokens))
        found = self._cache.get(key)
        if found is None:
            found = self._compute(tokens, count)
            self._cache[key] = found
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(key)
        return found

    def _probe(self, tokens: List[Token], count: int) -> List[Optional[SqlType]]:
        probe = [Token("ident", "NULL", t.space) if t.kind == "param" else t for t in tokens]
        try:
            self._db.execute(f'CREATE TEMP VIEW "{_PROBE_VIEW}" AS {render(probe)}')
        except sqlite3.Error:
            return [None] * count
        try:
            rows = self._db.execute(f'PRAGMA temp.table_info("{_PROBE_VIEW}")').fetchall()
        finally:
            self._db.execute(f'DROP VIEW IF EXISTS temp."{_PROBE_VIEW}"')
        types = [type_from_decltype(row[2]) for row in rows]
        return types if len(types) == count else [None] * count

    def _compute(self, tokens: List[Token], count: int) -> List[Optional[SqlType]]:
        types = self._probe(tokens, count)
        spans = _aligned_spans(tokens, count)
        if spans is None:
            return types
        rules: Dict[int, str] = {}
        replaced = list(tokens)
        # walk right to left so earlier spans keep their positions
        for column in sorted(range(count), reverse=True):
            span = spans[column]
            if span is None or types[column] is not None:
                continue
            start, stop = span
            item = tokens[start:stop]
            if len(item) >= 3 and item[0].is_word("COUNT") and item[1].is_op("("):
                types[column] = SqlType("BIGINT")
            elif len(item) >= 3 and item[0].is_word("CAST") and item[-1].is_op(")"):
                types[column] = type_from_decltype(item[-2].text)
            elif (len(item) >= 4 and item[0].is_word(*_AGGREGATES) and item[1].is_op("(")
                  and item[-1].is_op(")")):
                inner = item[2:-1]
                while inner and inner[0].is_word("DISTINCT", "ALL"):
                    inner = inner[1:]
                if inner:
                    rules[column] = item[0].upper
                    replaced[start:stop] = [Token(inner[0].kind, inner[0].text, item[0].space),
                                            *inner[1:]]
        if rules:
            inner_types = self._probe(replaced, count)
            for column, rule in rules.items():
                types[column] = _aggregate_type(rule, inner_types[column])
        return types


def _aligned_spans(tokens: List[Token], count: int) -> Optional[List[Optional[Tuple[int, int]]]]:
    """The select item span behind each result column (None for ``*`` expansions)."""
    spans = select_items(tokens)
    if not spans:
        return None
    stars = [i for i, (start, stop) in enumerate(spans) if tokens[stop - 1].is_op("*")
             and (stop - start == 1 or tokens[stop - 2].is_op("."))]
    if not stars:
        return list(spans) if len(spans) == count else None
    if len(stars) > 1:
        return None
    star = stars[0]
    width = count - (len(spans) - 1)
    if width < 0:
        return None
    return [*spans[:star], *([None] * width), *spans[star + 1:]]


def _aggregate_type(rule: str, inner: Optional[SqlType]) -> Optional[SqlType]:
    if inner is None:
        return None
    if rule in ("MAX", "MIN", "AVG"):
        return inner
    if inner.name in ("TINYINT", "SMALLINT", "INT"):
        return SqlType("BIGINT")
    if inner.name in ("BIGINT", "DECIMAL"):
        return SqlType("DECIMAL", -1, inner.scale if inner.name == "DECIMAL" else 0)
    if inner.name in ("REAL", "DOUBLE"):
        return SqlType("DOUBLE")
    return None


def inferred_code(rows: List[List[Any]], column: int) -> int:
    """The type code of a column of unknown type: that of its first non-NULL value."""
    for row in rows:
        if row[column] is not None:
            return infer_type_code(row[column])
    return TC_NULL
