"""The SQL engine of the embedded Ignite server: Ignite's H2 dialect run on stdlib ``sqlite3``.

It is independent of the wire codec: statements take and give plain Python values, each result
column with the Ignite type code the server must encode it with.

* :class:`SqlEngine` -- ``execute(sql, args, schema=, statement_type=, max_rows=)`` returning a
  :class:`SqlResult`; the cache view of SQL tables (``tables()``, ``table_for_cache()``,
  ``create_table_from_query_entity()``, ``put_row()``/``get_row()``/``remove_row()``/
  ``scan_rows()``/``count_rows()``...).
* :class:`SqlError` -- every failure, with an Ignite-like message (status 1 on the wire).
* :class:`TableInfo` / :class:`ColumnInfo` -- a table's columns, key layout and Ignite names;
  ``TableInfo.query_entity()`` gives pyignite's ``PROP_QUERY_ENTITIES`` shape.
* :class:`SqlObject` -- a ``_KEY``/``_VAL`` binary object in a query result (type code 103).
"""

from __future__ import annotations

from .catalog import ColumnInfo, IndexInfo, TableInfo
from .engine import STATEMENT_ANY, STATEMENT_SELECT, STATEMENT_UPDATE, SqlEngine
from .errors import SqlError
from .result import UPDATED, SqlObject, SqlResult
from .types import TC_INFER, SqlType

__all__ = [
    "SqlEngine",
    "SqlError",
    "SqlResult",
    "SqlObject",
    "SqlType",
    "TableInfo",
    "ColumnInfo",
    "IndexInfo",
    "STATEMENT_ANY",
    "STATEMENT_SELECT",
    "STATEMENT_UPDATE",
    "TC_INFER",
    "UPDATED",
]
