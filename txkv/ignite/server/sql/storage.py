"""sqlite DDL for the engine's tables, sqlite error translation and extra SQL functions."""

from __future__ import annotations

import math
import re
import sqlite3
import uuid
from typing import Any, List, Optional

from .catalog import ColumnInfo, TableInfo
from .ddl import syntax_error
from .errors import SqlError
from .lexer import quote_ident
from .types import coerce

__all__ = ["create_table_sql", "column_sql", "sql_error", "install_functions"]

_INT_BOUNDS = {
    "TINYINT": (-(1 << 7), (1 << 7) - 1),
    "SMALLINT": (-(1 << 15), (1 << 15) - 1),
    "INT": (-(1 << 31), (1 << 31) - 1),
    "BIGINT": (-(1 << 63), (1 << 63) - 1),
}
_CHECK_PREFIX = "CK "


def _literal(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, bytes):
        return "X'" + value.hex() + "'"
    return "'" + str(value).replace("'", "''") + "'"


def column_sql(column: ColumnInfo) -> str:
    """The sqlite definition of one column, with checks standing in for H2's typing."""
    name = quote_ident(column.name)
    parts = [name, column.sql_type.decltype]
    if column.is_key or column.not_null:
        parts.append("NOT NULL")
    if column.default is not None:
        parts.append("DEFAULT " + _literal(coerce(column.sql_type, column.default, column.name)))
    family = column.sql_type.name
    check: Optional[str] = None
    if family in _INT_BOUNDS:
        low, high = _INT_BOUNDS[family]
        check = f"typeof({name}) = 'integer' AND {name} BETWEEN {low} AND {high}"
    elif family == "BOOLEAN":
        check = f"{name} IN (0, 1)"
    elif family in ("REAL", "DOUBLE"):
        check = f"typeof({name}) IN ('real', 'integer')"
    elif family == "DECIMAL":
        check = (f"typeof({name}) IN ('real', 'integer') OR (typeof({name}) = 'text' AND "
                 f"{name} NOT GLOB '*[^0-9.-]*' AND {name} GLOB '*[0-9]*')")
    if check is not None:
        constraint = quote_ident(_CHECK_PREFIX + column.name)
        parts.append(f"CONSTRAINT {constraint} CHECK ({name} IS NULL OR ({check}))")
    return " ".join(parts)


def create_table_sql(table: TableInfo) -> str:
    """``CREATE TABLE`` for ``table`` (a rowid table: ``_KEY``/``_VAL`` objects use the rowid)."""
    definitions = [column_sql(column) for column in table.columns]
    keys = ", ".join(quote_ident(name) for name in table.key_columns)
    definitions.append(f"PRIMARY KEY ({keys})")
    return f"CREATE TABLE {table.quoted} ({', '.join(definitions)})"


_NOT_NULL = re.compile(r"NOT NULL constraint failed: .*\.([^.]+)$")
_CHECK = re.compile(r"CHECK constraint failed: " + _CHECK_PREFIX + r"(.+)$")
_NO_COLUMN = re.compile(r"no such column: (.+)$")
_AMBIGUOUS = re.compile(r"ambiguous column name: (.+)$")
_NO_TABLE = re.compile(r"no such table: (.+)$")


def sql_error(exc: sqlite3.Error, sql: str, duplicate_key: str = "") -> SqlError:
    """The Ignite-like SqlError for a sqlite error raised by ``sql``."""
    message = str(exc)
    if isinstance(exc, sqlite3.IntegrityError):
        if message.startswith("UNIQUE constraint failed"):
            return SqlError(f"Duplicate key during INSERT [key={duplicate_key}]",
                            sql_state="23000")
        match = _NOT_NULL.search(message)
        if match:
            return SqlError(f"Null value is not allowed for column '{match.group(1)}'",
                            sql_state="23502")
        match = _CHECK.search(message)
        if match:
            return SqlError(f'Data conversion error converting value for column '
                            f'"{match.group(1)}"; SQL statement:\n{sql} [22018-197]',
                            sql_state="22018")
        return SqlError(f"Constraint violation: {message}", sql_state="23000")
    if isinstance(exc, (sqlite3.ProgrammingError, sqlite3.InterfaceError)):
        if "binding" in message.lower():
            return SqlError(f"Invalid number of query parameters or unsupported parameter "
                            f"type ({message}); SQL statement:\n{sql} [90012-197]",
                            sql_state="07001")
    match = _NO_COLUMN.search(message)
    if match:
        name = match.group(1).rsplit(".", 1)[-1]
        return SqlError(f'Failed to parse query. Column "{name}" not found; SQL statement:\n'
                        f"{sql} [42122-197]", sql_state="42S22")
    match = _AMBIGUOUS.search(message)
    if match:
        return SqlError(f'Failed to parse query. Ambiguous column name "{match.group(1)}"; '
                        f"SQL statement:\n{sql} [90059-197]", sql_state="42000")
    match = _NO_TABLE.search(message)
    if match:
        return SqlError(f'Failed to parse query. Table "{match.group(1)}" not found; '
                        f"SQL statement:\n{sql} [42102-197]", sql_state="42S02")
    if "syntax error" in message or "incomplete input" in message:
        return syntax_error(sql)
    return SqlError(f'General error: "{message}"; SQL statement:\n{sql} [50000-197]')


# -- functions H2 has and sqlite lacks -------------------------------------------------------------


def _concat(*values: Any) -> str:
    return "".join("" if value is None else str(value) for value in values)


def _left(text: Optional[str], count: Optional[int]) -> Optional[str]:
    return None if text is None or count is None else str(text)[:max(count, 0)]


def _right(text: Optional[str], count: Optional[int]) -> Optional[str]:
    if text is None or count is None:
        return None
    return str(text)[-count:] if count > 0 else ""


def _locate(search: Optional[str], text: Optional[str], start: int = 1) -> Optional[int]:
    if search is None or text is None:
        return None
    return str(text).find(str(search), max(start, 1) - 1) + 1


def _numeric(function: Any) -> Any:
    def wrapper(*values: Any) -> Any:
        if any(value is None for value in values):
            return None
        try:
            return function(*(float(value) for value in values))
        except (ValueError, OverflowError):
            return None
    return wrapper


def install_functions(connection: sqlite3.Connection) -> None:
    """Register the H2 functions sqlite does not have (CONCAT, NVL, POWER, SQRT...)."""
    functions: List[Any] = [
        ("CONCAT", -1, _concat),
        ("NVL", 2, lambda a, b: b if a is None else a),
        ("LCASE", 1, lambda a: None if a is None else str(a).lower()),
        ("UCASE", 1, lambda a: None if a is None else str(a).upper()),
        ("LEFT", 2, _left),
        ("RIGHT", 2, _right),
        ("LOCATE", 2, _locate),
        ("LOCATE", 3, _locate),
        ("POWER", 2, _numeric(math.pow)),
        ("SQRT", 1, _numeric(math.sqrt)),
        ("EXP", 1, _numeric(math.exp)),
        ("LN", 1, _numeric(math.log)),
        ("LOG10", 1, _numeric(math.log10)),
        ("FLOOR", 1, _numeric(math.floor)),
        ("CEIL", 1, _numeric(math.ceil)),
        ("CEILING", 1, _numeric(math.ceil)),
        ("MOD", 2, lambda a, b: None if a is None or not b else a % b),
        ("RANDOM_UUID", 0, lambda: str(uuid.uuid4())),
    ]
    for name, arity, function in functions:
        connection.create_function(name, arity, function, deterministic=name != "RANDOM_UUID")
