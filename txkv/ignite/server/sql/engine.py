"""The SQL engine: H2-dialect statements run on sqlite, plus the cache view of SQL tables."""

from __future__ import annotations

import re
import sqlite3
from contextlib import contextmanager
from typing import Any, Callable, Dict, Iterator, List, Mapping, Optional, Sequence, Tuple

from twisted.logger import Logger

from .catalog import Catalog, ColumnInfo, IndexInfo, TableInfo, make_column, new_type_names
from .ddl import (
    AddColumn,
    CreateIndex,
    CreateTable,
    DropIndex,
    DropTable,
    parse_ddl,
    syntax_error,
)
from .errors import SqlError
from .lexer import quote_ident, split_statements, tokenize
from .result import ResultTyper, SqlObject, SqlResult, inferred_code
from .storage import column_sql, create_table_sql, install_functions, sql_error
from .translate import Translation, translate
from .types import (
    TC_COMPLEX,
    SqlType,
    coerce,
    from_storage,
    to_storage,
    type_from_decltype,
    type_from_java,
)

__all__ = ["SqlEngine", "STATEMENT_ANY", "STATEMENT_SELECT", "STATEMENT_UPDATE"]

_log = Logger()

STATEMENT_ANY = 0
STATEMENT_SELECT = 1
STATEMENT_UPDATE = 2

#: a declared type the translator put into a CAST, as it shows in a result column name
_DECLTYPE_IN_NAME = re.compile(r"X_[A-Z]+(?:_TEXT|_INT|_BLOB)?_P(?:N|\d+)_S(?:N|\d+)")


def _h2_type_name(match: re.Match[str]) -> str:
    sql_type = type_from_decltype(match.group())
    return match.group() if sql_type is None else sql_type.sql()


_TYPE_MISMATCH = "Given statement type does not match that declared by JDBC driver"


class SqlEngine:
    """Runs Ignite (H2-dialect) SQL on an sqlite database and exposes SQL tables as caches.

    :param path: the sqlite file (tables, indexes, the catalog and rows survive a restart), or
        None for an in-memory database.

    Not thread-safe: use it from one thread (the reactor's).
    """

    def __init__(self, path: Optional[str] = None) -> None:
        self._db = sqlite3.connect(path or ":memory:", isolation_level=None,
                                   check_same_thread=False)
        if path:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA case_sensitive_like = ON")
        install_functions(self._db)
        self._catalog = Catalog(self._db)
        self._typer = ResultTyper(self._db)
        #: set by the server: True when a cache of that name exists outside the engine
        self.cache_name_taken: Optional[Callable[[str], bool]] = None

    def close(self) -> None:
        """Close the database (everything is already committed)."""
        self._db.close()

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        self._db.execute("BEGIN")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def atomic(self) -> Any:
        """A context manager making the row changes inside it (``put_row``, ``remove_row``...)
        one all-or-nothing sqlite transaction (used for committed key-value transactions)."""
        return self._transaction()

    # -- statements ---------------------------------------------------------------------------

    def execute(self, sql: str, args: Sequence[Any] = (), *, schema: Optional[str] = "PUBLIC",
                statement_type: int = STATEMENT_ANY, max_rows: int = -1) -> SqlResult:
        """Run one statement.

        :param args: the values of the ``?`` parameters, in order.
        :param schema: the default schema of unqualified table names.
        :param statement_type: 0 any, 1 must be a query, 2 must not be a query (Ignite's check).
        :param max_rows: at most this many rows are returned (<= 0: all).
        :raises SqlError: for every failure, with an Ignite-like message.
        """
        statements = split_statements(tokenize(sql))
        if not statements:
            raise syntax_error(sql)
        if len(statements) > 1:
            raise SqlError("Multiple statements queries are not supported", sql_state="0A000")
        tokens = statements[0]
        default_schema = self._catalog.resolve_schema(schema or "PUBLIC")
        if default_schema is None:
            raise SqlError(f"Failed to set schema for DB connection for thread [schema={schema}]",
                           sql_state="3F000")
        if tokens[0].is_word("CREATE", "DROP", "ALTER"):
            if statement_type == STATEMENT_SELECT:
                raise SqlError(_TYPE_MISMATCH, sql_state="0A000")
            self._run_ddl(parse_ddl(tokens, sql), default_schema)
            return SqlResult.updated(0)
        translation = translate(tokens, sql, self._resolver(default_schema))
        if (statement_type == STATEMENT_SELECT and not translation.is_query) or (
                statement_type == STATEMENT_UPDATE and translation.is_query):
            raise SqlError(_TYPE_MISMATCH, sql_state="0A000")
        values = self._bind(translation, args)
        if translation.is_query:
            return self._query(translation, values, sql, max_rows)
        return self._update(translation, values, sql)

    def _resolver(self, default_schema: str) -> Callable[[Optional[str], str],
                                                          Optional[TableInfo]]:
        def resolve(schema: Optional[str], name: str) -> Optional[TableInfo]:
            if schema is None:
                return self._catalog.table(default_schema, name)
            known = self._catalog.resolve_schema(schema)
            return None if known is None else self._catalog.table(known, name)
        return resolve

    def _bind(self, translation: Translation, args: Sequence[Any]) -> List[Any]:
        values = []
        for index, value in enumerate(args):
            target = translation.arg_types.get(index)
            if target is None:
                values.append(to_storage(value))
            else:
                values.append(coerce(target[0], value, target[1]))
        return values

    def _query(self, translation: Translation, values: List[Any], sql: str,
               max_rows: int) -> SqlResult:
        try:
            cursor = self._db.execute(translation.sql, values)
            raw_rows = cursor.fetchmany(max_rows) if max_rows > 0 else cursor.fetchall()
            cursor.close()
        except sqlite3.Error as exc:
            raise sql_error(exc, sql) from None
        names = [_DECLTYPE_IN_NAME.sub(_h2_type_name, description[0])
                 for description in cursor.description]
        types = self._typer.column_types(self._catalog.version, translation.tokens, len(names))
        objects = {position: translation.objects[name] for position, name in enumerate(names)
                   if name in translation.objects}
        rows = []
        for raw in raw_rows:
            row = [from_storage(types[position], value) for position, value in enumerate(raw)]
            for position, (table, kind) in objects.items():
                row[position] = self._row_object(table, kind, raw[position])
            rows.append(row)
        codes = []
        for position, column_type in enumerate(types):
            if position in objects:
                codes.append(TC_COMPLEX)
            elif column_type is not None and column_type.name != "OTHER":
                codes.append(column_type.type_code)
            else:
                codes.append(inferred_code(rows, position))
        return SqlResult(names, codes, rows)

    def _update(self, translation: Translation, values: List[Any], sql: str) -> SqlResult:
        try:
            cursor = self._db.execute(translation.sql, values)
        except sqlite3.Error as exc:
            raise sql_error(exc, sql, self._duplicate_key(translation, values)) from None
        return SqlResult.updated(max(cursor.rowcount, 0))

    def _duplicate_key(self, translation: Translation, values: List[Any]) -> str:
        """The key of a failed single-row INSERT, for the error message (best effort)."""
        table = translation.target
        if table is None:
            return "?"
        bound = {name: values[index] for index, (_, name) in translation.arg_types.items()
                 if index < len(values)}
        parts = []
        for name in table.key_columns:
            if name not in bound:
                return table.key_type_name
            parts.append(f"{name}={bound[name]}")
        if table.scalar_key_column is not None:
            return str(bound[table.scalar_key_column])
        return f"{table.key_type_name} [{', '.join(parts)}]"

    def _row_object(self, table: TableInfo, kind: str, rowid: Any) -> Optional[SqlObject]:
        if rowid is None:
            return None
        columns = [c for c in table.columns if c.is_key == (kind == "key")]
        names = ", ".join(quote_ident(c.name) for c in columns)
        raw = self._db.execute(f"SELECT {names} FROM {table.quoted} WHERE ROWID = ?",
                               (rowid,)).fetchone()
        if raw is None:
            return None
        type_name = table.key_type_name if kind == "key" else table.value_type_name
        return SqlObject(type_name, [(c.name, c.type_code, from_storage(c.sql_type, value))
                                     for c, value in zip(columns, raw)])

    # -- DDL ---------------------------------------------------------------------------------

    def _run_ddl(self, statement: Any, default_schema: str) -> None:
        if isinstance(statement, CreateTable):
            self._create_table(statement, default_schema)
        elif isinstance(statement, DropTable):
            self._drop_table(statement, default_schema)
        elif isinstance(statement, CreateIndex):
            self._create_index(statement, default_schema)
        elif isinstance(statement, DropIndex):
            self._drop_index(statement, default_schema)
        elif isinstance(statement, AddColumn):
            self._add_column(statement, default_schema)

    def _schema_of(self, schema: Optional[str], default_schema: str) -> str:
        if schema is None:
            return default_schema
        return self._catalog.resolve_schema(schema) or schema

    def _create_table(self, statement: CreateTable, default_schema: str) -> None:
        schema = self._schema_of(statement.schema, default_schema)
        name = statement.name
        if self._catalog.table(schema, name) is not None:
            if statement.if_not_exists:
                return
            raise SqlError(f"Table already exists: {name}", sql_state="42000")
        names = [column.name for column in statement.columns]
        for position, column_name in enumerate(names):
            if column_name in names[:position]:
                raise SqlError(f'Duplicate column name "{column_name}"', sql_state="42000")
        if not statement.primary_key:
            raise SqlError("No PRIMARY KEY defined for CREATE TABLE", sql_state="42000")
        for key in statement.primary_key:
            if key not in names:
                raise SqlError(f"PRIMARY KEY column is not defined: {key}", sql_state="42000")
        if len(statement.primary_key) == len(names):
            raise SqlError("Table must have at least one non PRIMARY KEY column.",
                           sql_state="42000")
        options = statement.options
        cache_name = options.get("CACHE_NAME") or f"SQL_{schema}_{name}"
        self._check_cache_name(cache_name)
        columns = [make_column(c.name, c.sql_type, c.name in statement.primary_key, c.not_null,
                               c.default) for c in statement.columns]
        key_type, value_type = new_type_names(schema, name)
        key_columns = [c for c in columns if c.is_key]
        value_columns = [c for c in columns if not c.is_key]
        scalar_key = None
        if len(key_columns) == 1 and options.get("WRAP_KEY", "").lower() != "true":
            scalar_key = key_columns[0].name
            key_type = key_columns[0].sql_type.java_name
        scalar_value = None
        if len(value_columns) == 1 and options.get("WRAP_VALUE", "").lower() == "false":
            scalar_value = value_columns[0].name
            value_type = value_columns[0].sql_type.java_name
        key_type = options.get("KEY_TYPE") or key_type
        value_type = options.get("VALUE_TYPE") or value_type
        affinity = self._affinity_column(options.get("AFFINITY_KEY"), columns)
        table = TableInfo(schema, name, cache_name, key_type, value_type, columns,
                          affinity_key=affinity, created_by_ddl=True,
                          scalar_key_column=scalar_key, scalar_value_column=scalar_value,
                          options=dict(options))
        self._install_table(table)
        _log.debug("Created SQL table {schema}.{table} (cache {cache})", schema=schema,
                   table=name, cache=cache_name)

    def _check_cache_name(self, cache_name: str) -> None:
        taken = self._catalog.table_for_cache(cache_name) is not None or (
            self.cache_name_taken is not None and self.cache_name_taken(cache_name))
        if taken:
            raise SqlError(f"Cache already exists: {cache_name}", sql_state="42000")

    @staticmethod
    def _affinity_column(option: Optional[str], columns: List[ColumnInfo]) -> Optional[str]:
        if not option:
            return None
        quoted = option.startswith('"') and option.endswith('"')
        wanted = option[1:-1] if quoted else option.upper()
        for column in columns:
            if column.name == wanted or (not quoted and column.name.upper() == wanted):
                if not column.is_key:
                    raise SqlError(f"Affinity key column must be one of key columns: {wanted}",
                                   sql_state="42000")
                return column.name
        raise SqlError(f"Affinity key column with given name not found: {wanted}",
                       sql_state="42000")

    def _install_table(self, table: TableInfo) -> None:
        try:
            with self._transaction():
                self._db.execute(create_table_sql(table))
                self._catalog.add_schema(table.schema)
                self._catalog.add_table(table)
        except sqlite3.Error as exc:
            raise sql_error(exc, create_table_sql(table)) from None

    def _drop_table(self, statement: DropTable, default_schema: str) -> None:
        schema = self._schema_of(statement.schema, default_schema)
        table = self._catalog.table(schema, statement.name)
        if table is None:
            if statement.if_exists:
                return
            raise SqlError(f"Table doesn't exist: {statement.name}", sql_state="42S02")
        if not table.created_by_ddl:
            raise SqlError(
                "class org.apache.ignite.IgniteCheckedException: Only cache created with CREATE "
                f"TABLE may be removed with DROP TABLE [cacheName={table.cache_name}]",
                sql_state="0A000")
        self._remove_table(table)

    def _remove_table(self, table: TableInfo) -> None:
        with self._transaction():
            self._db.execute(f"DROP TABLE IF EXISTS {table.quoted}")
            self._catalog.remove_table(table)

    def _create_index(self, statement: CreateIndex, default_schema: str) -> None:
        schema = self._schema_of(statement.schema, default_schema)
        table = self._catalog.table(schema, statement.table)
        if table is None:
            raise SqlError(f"Table doesn't exist: {statement.table}", sql_state="42S02")
        if self._catalog.index(schema, statement.name) is not None:
            if statement.if_not_exists:
                return
            raise SqlError(f"Index already exists: {statement.name}", sql_state="42S11")
        for column_name, _ in statement.fields:
            if table.column(column_name) is None:
                raise SqlError(f"Column doesn't exist: {column_name}", sql_state="42S22")
        index = IndexInfo(schema, statement.name, table.table, statement.fields,
                          statement.inline_size)
        fields = ", ".join(quote_ident(name) + (" DESC" if descending else " ASC")
                           for name, descending in statement.fields)
        with self._transaction():
            self._db.execute(f"CREATE INDEX {quote_ident(index.sqlite_name)} ON {table.quoted} "
                             f"({fields})")
            self._catalog.add_index(index)

    def _drop_index(self, statement: DropIndex, default_schema: str) -> None:
        schema = self._schema_of(statement.schema, default_schema)
        index = self._catalog.index(schema, statement.name)
        if index is None:
            if statement.if_exists:
                return
            raise SqlError(f"Index doesn't exist: {statement.name}", sql_state="42S12")
        with self._transaction():
            self._db.execute(f"DROP INDEX IF EXISTS {quote_ident(index.sqlite_name)}")
            self._catalog.remove_index(index)

    def _add_column(self, statement: AddColumn, default_schema: str) -> None:
        schema = self._schema_of(statement.schema, default_schema)
        table = self._catalog.table(schema, statement.table)
        if table is None:
            if statement.if_table_exists:
                return
            raise SqlError(f"Table doesn't exist: {statement.table}", sql_state="42S02")
        added = []
        for definition in statement.columns:
            if table.column(definition.name) is not None:
                if statement.if_not_exists:
                    continue
                raise SqlError(f"Column already exists: {definition.name}", sql_state="42S21")
            added.append(make_column(definition.name, definition.sql_type, False,
                                     definition.not_null, definition.default))
        if not added:
            return
        with self._transaction():
            for column in added:
                self._db.execute(f"ALTER TABLE {table.quoted} ADD COLUMN {column_sql(column)}")
            table.columns.extend(added)
            if table.entity is not None:
                table.entity.setdefault("query_fields", []).extend(
                    {"name": c.name, "type_name": c.sql_type.java_name, "is_key_field": False,
                     "is_notnull_constraint_field": c.not_null, "default_value": c.default,
                     "precision": c.precision, "scale": c.scale} for c in added)
            self._catalog.add_table(table)

    # -- the cache view --------------------------------------------------------------------------

    def tables(self) -> List[TableInfo]:
        """Every SQL table (each one is a cache for the server)."""
        return self._catalog.tables()

    def table(self, schema: str, name: str) -> Optional[TableInfo]:
        return self._catalog.table(schema, name)

    def table_for_cache(self, cache_name: str) -> Optional[TableInfo]:
        return self._catalog.table_for_cache(cache_name)

    def schemas(self) -> List[str]:
        return list(self._catalog.schemas())

    def add_schema(self, schema: str) -> None:
        """Make ``schema`` known (e.g. a cache's ``SQL_SCHEMA``), even without tables."""
        with self._transaction():
            self._catalog.add_schema(schema)

    def create_table_from_query_entity(self, cache_name: str, schema: str,
                                       entity: Mapping[str, Any]) -> TableInfo:
        """Make a table of a cache created through the key-value API with a QueryEntity."""
        entity = dict(entity)
        value_type = entity.get("value_type_name") or ""
        name = entity.get("table_name") or value_type.rsplit(".", 1)[-1].upper()
        if not name:
            raise SqlError("QueryEntity has neither table_name nor value_type_name",
                           sql_state="42000")
        if self._catalog.table(schema, name) is not None:
            raise SqlError(f"Table already exists: {name}", sql_state="42000")
        if self._catalog.table_for_cache(cache_name) is not None:
            raise SqlError(f"Cache already exists: {cache_name}", sql_state="42000")
        key_field = entity.get("key_field_name")
        value_field = entity.get("value_field_name")
        columns: List[ColumnInfo] = []
        for query_field in entity.get("query_fields") or ():
            field_name = query_field.get("name")
            if not field_name or any(c.name == field_name for c in columns):
                raise SqlError(f"Invalid or duplicate query field: {field_name}",
                               sql_state="42000")
            sql_type = type_from_java(query_field.get("type_name"),
                                      query_field.get("precision", -1) or -1,
                                      query_field.get("scale", -1))
            is_key = bool(query_field.get("is_key_field")) or field_name == key_field
            columns.append(make_column(field_name, sql_type, is_key,
                                       bool(query_field.get("is_notnull_constraint_field")),
                                       query_field.get("default_value")))
        key_type = entity.get("key_type_name") or "java.lang.Object"
        key_columns = [c for c in columns if c.is_key]
        scalar_key = key_field
        if key_field is None and not key_columns:
            scalar_key = "_KEY"
            columns.insert(0, make_column("_KEY", type_from_java(key_type), True, True))
        elif key_field is None and len(key_columns) == 1 and \
                type_from_java(key_type).name != "OTHER":
            scalar_key = key_columns[0].name
        elif key_field is not None and not any(c.name == key_field for c in columns):
            columns.insert(0, make_column(key_field, type_from_java(key_type), True, True))
        scalar_value = value_field
        if value_field is None and all(c.is_key for c in columns):
            scalar_value = "_VAL"
            columns.append(make_column("_VAL", type_from_java(value_type or None), False,
                                       False))
        elif value_field is not None and not any(c.name == value_field for c in columns):
            columns.append(make_column(value_field, type_from_java(value_type), False, False))
        table = TableInfo(schema, name, cache_name, key_type, value_type, columns,
                          affinity_key=None, created_by_ddl=False, scalar_key_column=scalar_key,
                          scalar_value_column=scalar_value, entity=entity)
        self._install_table(table)
        return table

    def drop_cache_table(self, cache_name: str) -> bool:
        """Drop the table of a cache destroyed through the key-value API; False if none."""
        table = self._catalog.table_for_cache(cache_name)
        if table is None:
            return False
        self._remove_table(table)
        return True

    def _require(self, cache_name: str) -> TableInfo:
        table = self._catalog.table_for_cache(cache_name)
        if table is None:
            raise SqlError(f"Cache is not an SQL table: {cache_name}", sql_state="42S02")
        return table

    def _key_values(self, table: TableInfo, key: Any) -> List[Tuple[ColumnInfo, Any]]:
        columns = [c for c in table.columns if c.is_key]
        if table.scalar_key_column is not None and not isinstance(key, Mapping):
            column = columns[0] if len(columns) == 1 else table.column(table.scalar_key_column)
            assert column is not None
            return [(column, coerce(column.sql_type, key, column.name))]
        if not isinstance(key, Mapping):
            raise SqlError(f"The key of {table.cache_name} must be an object of type "
                           f"{table.key_type_name}", sql_state="22018")
        return [(c, coerce(c.sql_type, key.get(c.name), c.name)) for c in columns]

    def _value_values(self, table: TableInfo, value: Any) -> List[Tuple[ColumnInfo, Any]]:
        columns = [c for c in table.columns if not c.is_key]
        if table.scalar_value_column is not None and not isinstance(value, Mapping):
            column = table.column(table.scalar_value_column)
            assert column is not None
            return [(column, coerce(column.sql_type, value, column.name))]
        if not isinstance(value, Mapping):
            raise SqlError(f"The value of {table.cache_name} must be an object of type "
                           f"{table.value_type_name}", sql_state="22018")
        return [(c, coerce(c.sql_type, value.get(c.name, c.default), c.name)) for c in columns]

    @staticmethod
    def _where(pairs: List[Tuple[ColumnInfo, Any]]) -> str:
        return " AND ".join(f"{quote_ident(c.name)} = ?" for c, _ in pairs)

    def put_row(self, cache_name: str, key: Any, value: Any) -> None:
        """Insert or replace the row of ``key`` (scalar or dict) with ``value`` (dict of the
        value columns, or a scalar for a table with a value field)."""
        table = self._require(cache_name)
        pairs = self._key_values(table, key) + self._value_values(table, value)
        names = ", ".join(quote_ident(c.name) for c, _ in pairs)
        marks = ", ".join("?" for _ in pairs)
        statement = f"INSERT OR REPLACE INTO {table.quoted} ({names}) VALUES ({marks})"
        try:
            self._db.execute(statement, [v for _, v in pairs])
        except sqlite3.Error as exc:
            raise sql_error(exc, statement) from None

    def get_row(self, cache_name: str, key: Any) -> Optional[Dict[str, Any]]:
        """The value columns of the row of ``key``, or None."""
        table = self._require(cache_name)
        pairs = self._key_values(table, key)
        columns = [c for c in table.columns if not c.is_key]
        names = ", ".join(quote_ident(c.name) for c in columns)
        raw = self._db.execute(f"SELECT {names} FROM {table.quoted} WHERE {self._where(pairs)}",
                               [v for _, v in pairs]).fetchone()
        if raw is None:
            return None
        return {c.name: from_storage(c.sql_type, v) for c, v in zip(columns, raw)}

    def remove_row(self, cache_name: str, key: Any) -> bool:
        """Delete the row of ``key``; False if there was none."""
        table = self._require(cache_name)
        pairs = self._key_values(table, key)
        cursor = self._db.execute(f"DELETE FROM {table.quoted} WHERE {self._where(pairs)}",
                                  [v for _, v in pairs])
        return cursor.rowcount > 0

    def clear_rows(self, cache_name: str) -> int:
        """Delete every row of the table of ``cache_name``; the number deleted."""
        table = self._require(cache_name)
        return max(self._db.execute(f"DELETE FROM {table.quoted}").rowcount, 0)

    def scan_rows(self, cache_name: str) -> Iterator[Tuple[Any, Dict[str, Any]]]:
        """Every ``(key, value dict)`` of the table, in primary-key order (a snapshot)."""
        return iter(self.select_rows(cache_name, ""))

    def select_rows(self, cache_name: str, clause: str = "",
                    args: Sequence[Any] = ()) -> List[Tuple[Any, Dict[str, Any]]]:
        """``(key, value dict)`` of the rows matching an SQL clause, as Ignite's (deprecated)
        SQL query builds ``SELECT _KEY, _VAL FROM table <clause>`` (``WHERE`` added unless
        the clause starts with WHERE/ORDER/LIMIT or FROM)."""
        table = self._require(cache_name)
        keys = [c for c in table.columns if c.is_key]
        values = [c for c in table.columns if not c.is_key]
        names = ", ".join(quote_ident(c.name) for c in keys + values)
        order = ", ".join(quote_ident(c.name) for c in keys)
        text = clause.strip()
        head = text.split(None, 1)[0].upper() if text else ""
        if not text:
            statement = f"SELECT {names} FROM {quote_ident(table.table)} ORDER BY {order}"
        elif head == "FROM":
            statement = f"SELECT {names} {text}"
        elif head in ("WHERE", "ORDER", "LIMIT"):
            statement = f"SELECT {names} FROM {quote_ident(table.table)} {text}"
        else:
            statement = f"SELECT {names} FROM {quote_ident(table.table)} WHERE {text}"
        result = self.execute(statement, args, schema=table.schema,
                              statement_type=STATEMENT_SELECT)
        rows = []
        for row in result.rows:
            key_part = {c.name: v for c, v in zip(keys, row)}
            key = key_part[table.scalar_key_column] if table.scalar_key_column else key_part
            rows.append((key, {c.name: v for c, v in zip(values, row[len(keys):])}))
        return rows

    def count_rows(self, cache_name: str) -> int:
        table = self._require(cache_name)
        return int(self._db.execute(f"SELECT COUNT(*) FROM {table.quoted}").fetchone()[0])

    def column_type(self, cache_name: str, column: str) -> Optional[SqlType]:
        table = self._require(cache_name)
        info = table.column(column)
        return None if info is None else info.sql_type
