"""Parsers of the DDL statements Ignite supports: CREATE/DROP TABLE, CREATE/DROP INDEX and
ALTER TABLE ... ADD COLUMN, into plain descriptions the engine carries out."""

from __future__ import annotations

import decimal
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

from .errors import SqlError
from .lexer import Token, render
from .types import SqlType, parse_type_name

__all__ = [
    "ColumnDef", "CreateTable", "DropTable", "CreateIndex", "DropIndex", "AddColumn",
    "parse_ddl", "syntax_error",
]

#: normalised WITH option names (case and underscores ignored when matching)
_OPTIONS = {
    name.replace("_", ""): name
    for name in ("AFFINITY_KEY", "CACHE_NAME", "KEY_TYPE", "VALUE_TYPE", "TEMPLATE", "BACKUPS",
                 "ATOMICITY", "WRITE_SYNCHRONIZATION_MODE", "CACHE_GROUP", "DATA_REGION",
                 "WRAP_KEY", "WRAP_VALUE", "ENCRYPTED", "PARALLELISM")
}


@dataclass
class ColumnDef:
    name: str
    sql_type: SqlType
    not_null: bool = False
    primary_key: bool = False
    default: Any = None


@dataclass
class CreateTable:
    schema: Optional[str]
    name: str
    if_not_exists: bool
    columns: List[ColumnDef]
    primary_key: List[str]
    options: Dict[str, str] = field(default_factory=dict)


@dataclass
class DropTable:
    schema: Optional[str]
    name: str
    if_exists: bool


@dataclass
class CreateIndex:
    schema: Optional[str]
    name: str
    table: str
    if_not_exists: bool
    fields: List[Tuple[str, bool]]
    inline_size: int = -1


@dataclass
class DropIndex:
    schema: Optional[str]
    name: str
    if_exists: bool


@dataclass
class AddColumn:
    schema: Optional[str]
    table: str
    if_table_exists: bool
    if_not_exists: bool
    columns: List[ColumnDef]


def syntax_error(sql: str) -> SqlError:
    """H2's error for a statement it cannot parse."""
    return SqlError(f'Failed to parse query. Syntax error in SQL statement "{sql}"; '
                    f"SQL statement:\n{sql} [42000-197]", sql_state="42000")


class _Cursor:
    """Reads tokens one by one."""

    def __init__(self, tokens: List[Token], sql: str) -> None:
        self.tokens = tokens
        self.pos = 0
        self.sql = sql

    def peek(self, ahead: int = 0) -> Optional[Token]:
        index = self.pos + ahead
        return self.tokens[index] if index < len(self.tokens) else None

    def next(self) -> Token:
        token = self.peek()
        if token is None:
            raise syntax_error(self.sql)
        self.pos += 1
        return token

    def accept(self, *words: str) -> bool:
        """Consume the words if the next tokens are exactly them."""
        for ahead, word in enumerate(words):
            token = self.peek(ahead)
            if token is None or not (token.is_word(word) or token.is_op(word)):
                return False
        self.pos += len(words)
        return True

    def expect(self, *words: str) -> None:
        if not self.accept(*words):
            raise syntax_error(self.sql)

    def name(self) -> str:
        token = self.next()
        if token.name is None:
            raise syntax_error(self.sql)
        return token.name

    def qualified_name(self) -> Tuple[Optional[str], str]:
        first = self.name()
        if self.accept("."):
            return first, self.name()
        return None, first

    def integer(self) -> int:
        token = self.next()
        if token.kind != "number" or not token.text.isdigit():
            raise syntax_error(self.sql)
        return int(token.text)

    def done(self) -> bool:
        return self.pos >= len(self.tokens)

    def end(self) -> None:
        if not self.done():
            raise syntax_error(self.sql)


def parse_ddl(tokens: List[Token], sql: str) -> Any:
    """The description of a DDL statement; SqlError for syntax errors and unsupported DDL."""
    cursor = _Cursor(tokens, sql)
    if cursor.accept("CREATE"):
        if cursor.accept("TABLE"):
            return _create_table(cursor)
        cursor.accept("UNIQUE") or cursor.accept("SPATIAL") or cursor.accept("HASH")
        if cursor.accept("INDEX"):
            return _create_index(cursor)
    elif cursor.accept("DROP"):
        if cursor.accept("TABLE"):
            return _drop_table(cursor)
        if cursor.accept("INDEX"):
            return _drop_index(cursor)
    elif cursor.accept("ALTER", "TABLE"):
        return _alter_table(cursor)
    raise SqlError(f"Unsupported DDL statement: {sql}", sql_state="0A000")


def _create_table(cursor: _Cursor) -> CreateTable:
    if_not_exists = cursor.accept("IF", "NOT", "EXISTS")
    schema, name = cursor.qualified_name()
    cursor.expect("(")
    columns: List[ColumnDef] = []
    primary_key: List[str] = []
    while True:
        if cursor.accept("CONSTRAINT"):
            cursor.name()
        if cursor.accept("PRIMARY", "KEY"):
            if primary_key:
                raise SqlError("Attempting to add a second primary key", sql_state="42000")
            primary_key = _name_list(cursor)
        else:
            columns.append(_column_def(cursor))
        if cursor.accept(")"):
            break
        cursor.expect(",")
    inline = [column.name for column in columns if column.primary_key]
    if inline:
        if primary_key or len(inline) > 1:
            raise SqlError("Attempting to add a second primary key", sql_state="42000")
        primary_key = inline
    options: Dict[str, str] = {}
    if cursor.accept("WITH"):
        token = cursor.next()
        if token.kind not in ("qident", "string"):
            raise syntax_error(cursor.sql)
        options = _parse_options(token.text[1:-1])
    cursor.end()
    return CreateTable(schema, name, if_not_exists, columns, primary_key, options)


def _parse_options(text: str) -> Dict[str, str]:
    options: Dict[str, str] = {}
    for part in text.split(","):
        if not part.strip():
            continue
        key, sep, value = part.partition("=")
        canonical = _OPTIONS.get(key.strip().replace("_", "").upper())
        if canonical is None or not sep:
            raise SqlError(f"Unsupported parameter: {key.strip()}", sql_state="42000")
        options[canonical] = value.strip()
    return options


def _column_def(cursor: _Cursor) -> ColumnDef:
    name = cursor.name()
    type_token = cursor.next()
    if type_token.kind != "ident":
        raise syntax_error(cursor.sql)
    type_name = type_token.text
    follower = cursor.peek()
    if follower is not None and follower.is_word("PRECISION", "VARYING"):
        type_name += " " + cursor.next().text
    precision = scale = -1
    if cursor.accept("("):
        precision = cursor.integer()
        if cursor.accept(","):
            scale = cursor.integer()
        cursor.expect(")")
    column = ColumnDef(name, parse_type_name(type_name, precision, scale))
    while True:
        if cursor.accept("NOT", "NULL"):
            column.not_null = True
        elif cursor.accept("NULL"):
            column.not_null = False
        elif cursor.accept("PRIMARY", "KEY"):
            column.primary_key = True
        elif cursor.accept("DEFAULT"):
            column.default = _literal(cursor)
        else:
            return column


def _literal(cursor: _Cursor) -> Any:
    """A DEFAULT value: a number, string, TRUE/FALSE or NULL (possibly negated)."""
    negative = cursor.accept("-")
    token = cursor.next()
    if token.kind == "number":
        number = decimal.Decimal(token.text)
        value: Any = int(number) if number == number.to_integral_value() and "." not in \
            token.text and "e" not in token.text.lower() else float(number)
        return -value if negative else value
    if negative:
        raise syntax_error(cursor.sql)
    if token.kind == "string" and token.text.startswith("'"):
        return token.text[1:-1].replace("''", "'")
    if token.is_word("TRUE", "FALSE"):
        return token.upper == "TRUE"
    if token.is_word("NULL"):
        return None
    raise SqlError(f"Unsupported DEFAULT expression: {render([token])}", sql_state="0A000")


def _name_list(cursor: _Cursor) -> List[str]:
    return [name for name, _ in _ordered_names(cursor)]


def _ordered_names(cursor: _Cursor) -> List[Tuple[str, bool]]:
    cursor.expect("(")
    names: List[Tuple[str, bool]] = []
    while True:
        name = cursor.name()
        descending = False
        if cursor.accept("DESC"):
            descending = True
        else:
            cursor.accept("ASC")
        names.append((name, descending))
        if cursor.accept(")"):
            return names
        cursor.expect(",")


def _drop_table(cursor: _Cursor) -> DropTable:
    if_exists = cursor.accept("IF", "EXISTS")
    schema, name = cursor.qualified_name()
    if cursor.accept("IF", "EXISTS"):
        if_exists = True
    cursor.accept("CASCADE") or cursor.accept("RESTRICT")
    cursor.end()
    return DropTable(schema, name, if_exists)


def _create_index(cursor: _Cursor) -> CreateIndex:
    if_not_exists = cursor.accept("IF", "NOT", "EXISTS")
    index_schema, name = cursor.qualified_name()
    cursor.expect("ON")
    table_schema, table = cursor.qualified_name()
    fields = _ordered_names(cursor)
    inline_size = -1
    while not cursor.done():
        if cursor.accept("INLINE_SIZE"):
            inline_size = cursor.integer()
        elif cursor.accept("PARALLEL"):
            cursor.integer()
        else:
            raise syntax_error(cursor.sql)
    return CreateIndex(table_schema or index_schema, name, table, if_not_exists, fields,
                       inline_size)


def _drop_index(cursor: _Cursor) -> DropIndex:
    if_exists = cursor.accept("IF", "EXISTS")
    schema, name = cursor.qualified_name()
    if cursor.accept("IF", "EXISTS"):
        if_exists = True
    cursor.end()
    return DropIndex(schema, name, if_exists)


def _alter_table(cursor: _Cursor) -> AddColumn:
    if_table_exists = cursor.accept("IF", "EXISTS")
    schema, table = cursor.qualified_name()
    if not cursor.accept("ADD"):
        raise SqlError("Unsupported ALTER TABLE operation (only ADD COLUMN is supported)",
                       sql_state="0A000")
    cursor.accept("COLUMN")
    if_not_exists = cursor.accept("IF", "NOT", "EXISTS")
    if cursor.accept("("):
        columns = [_column_def(cursor)]
        while cursor.accept(","):
            columns.append(_column_def(cursor))
        cursor.expect(")")
    else:
        columns = [_column_def(cursor)]
    cursor.end()
    for column in columns:
        if column.primary_key:
            raise SqlError("Cannot add a PRIMARY KEY column", sql_state="0A000")
    return AddColumn(schema, table, if_table_exists, if_not_exists, columns)
