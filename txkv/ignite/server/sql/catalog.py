"""The tables and indexes the engine knows: their columns, types, key layout and Ignite names.

Each table is a cache for the server: ``SQL_<SCHEMA>_<TABLE>`` unless ``CACHE_NAME`` was given,
with binary type names ``SQL_<SCHEMA>_<TABLE>_<uuid>[_KEY]`` for its key and value objects.  The
catalog is kept in the sqlite file itself (table ``__TXKV_META``), so it survives a restart.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from dataclasses import dataclass, field
from typing import Any, Dict, Iterator, List, NamedTuple, Optional, Tuple

from .lexer import quote_ident
from .types import SqlType

__all__ = ["ColumnInfo", "IndexInfo", "TableInfo", "Catalog", "new_type_names"]

META_TABLE = "__TXKV_META"


class ColumnInfo(NamedTuple):
    """One column of a table."""

    name: str
    sql_type: SqlType
    type_code: int
    is_key: bool
    not_null: bool
    precision: int
    scale: int
    default: Any = None


@dataclass
class IndexInfo:
    """A secondary index: ``fields`` are ``(column, descending)`` pairs."""

    schema: str
    name: str
    table: str
    fields: List[Tuple[str, bool]]
    inline_size: int = -1

    @property
    def sqlite_name(self) -> str:
        return f"{self.schema}.{self.name}"


@dataclass
class TableInfo:
    """A SQL table and its cache view.

    A key is a scalar when :attr:`scalar_key_column` is set (single-column primary key, or a
    QueryEntity ``key_field_name``), else a ``{column: value}`` dict (a binary object of
    :attr:`key_type_name`).  A value is a ``{column: value}`` dict of :attr:`value_columns`
    (a binary object of :attr:`value_type_name`), or a scalar when
    :attr:`scalar_value_column` is set.
    """

    schema: str
    table: str
    cache_name: str
    key_type_name: str
    value_type_name: str
    columns: List[ColumnInfo]
    affinity_key: Optional[str] = None
    created_by_ddl: bool = True
    scalar_key_column: Optional[str] = None
    scalar_value_column: Optional[str] = None
    #: ``WITH "..."`` options of CREATE TABLE, upper-case keys (TEMPLATE, BACKUPS, ATOMICITY...)
    options: Dict[str, str] = field(default_factory=dict)
    #: the QueryEntity the table was created from (None for DDL tables)
    entity: Optional[Dict[str, Any]] = None

    @property
    def key_columns(self) -> List[str]:
        return [column.name for column in self.columns if column.is_key]

    @property
    def value_columns(self) -> List[str]:
        return [column.name for column in self.columns if not column.is_key]

    @property
    def key_field_name(self) -> Optional[str]:
        return self.scalar_key_column

    @property
    def value_field_name(self) -> Optional[str]:
        return self.scalar_value_column

    @property
    def sqlite_name(self) -> str:
        """The name of the table inside sqlite (one database holds every schema)."""
        return f"{self.schema}.{self.table}"

    @property
    def quoted(self) -> str:
        return quote_ident(self.sqlite_name)

    def column(self, name: str) -> Optional[ColumnInfo]:
        for column in self.columns:
            if column.name == name:
                return column
        return None

    def query_entity(self) -> Dict[str, Any]:
        """The table as a QueryEntity, in pyignite's ``PROP_QUERY_ENTITIES`` shape."""
        if self.entity is not None:
            return _normalised_entity(self.entity)
        fields = [
            {
                "name": column.name,
                "type_name": column.sql_type.java_name,
                "is_key_field": column.is_key,
                "is_notnull_constraint_field": column.not_null,
                "default_value": column.default,
                "precision": column.precision,
                "scale": column.scale,
            }
            for column in self.columns
        ]
        return {
            "key_type_name": self.key_type_name,
            "value_type_name": self.value_type_name,
            "table_name": self.table,
            "key_field_name": self.scalar_key_column,
            "value_field_name": self.scalar_value_column,
            "query_fields": fields,
            "field_name_aliases": [{"field_name": c.name, "alias": c.name} for c in self.columns],
            "query_indexes": [],
        }

    # -- persistence ------------------------------------------------------------------------

    def to_json(self) -> str:
        return json.dumps({
            "schema": self.schema, "table": self.table, "cache_name": self.cache_name,
            "key_type_name": self.key_type_name, "value_type_name": self.value_type_name,
            "columns": [[c.name, c.sql_type.name, c.sql_type.precision, c.sql_type.scale,
                         c.is_key, c.not_null, _jsonable(c.default)] for c in self.columns],
            "affinity_key": self.affinity_key, "created_by_ddl": self.created_by_ddl,
            "scalar_key_column": self.scalar_key_column,
            "scalar_value_column": self.scalar_value_column,
            "options": self.options,
            "entity": _jsonable_entity(self.entity),
        })

    @classmethod
    def from_json(cls, text: str) -> TableInfo:
        data = json.loads(text)
        columns = [make_column(name, SqlType(family, precision, scale), is_key, not_null, default)
                   for name, family, precision, scale, is_key, not_null, default
                   in data["columns"]]
        return cls(
            schema=data["schema"], table=data["table"], cache_name=data["cache_name"],
            key_type_name=data["key_type_name"], value_type_name=data["value_type_name"],
            columns=columns, affinity_key=data["affinity_key"],
            created_by_ddl=data["created_by_ddl"],
            scalar_key_column=data["scalar_key_column"],
            scalar_value_column=data["scalar_value_column"],
            options=data["options"], entity=data["entity"],
        )


def make_column(name: str, sql_type: SqlType, is_key: bool, not_null: bool,
                default: Any = None) -> ColumnInfo:
    """A :class:`ColumnInfo` with the type code and precision/scale taken from ``sql_type``."""
    return ColumnInfo(name, sql_type, sql_type.type_code, is_key, not_null, sql_type.precision,
                      sql_type.scale, default)


def new_type_names(schema: str, table: str) -> Tuple[str, str]:
    """Fresh ``(key type, value type)`` names, as Ignite makes them for CREATE TABLE."""
    unique = str(uuid.uuid4()).replace("-", "_")
    value_type = f"SQL_{schema}_{table}_{unique}"
    return f"{value_type}_KEY", value_type


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def _jsonable_entity(entity: Optional[Dict[str, Any]]) -> Optional[Dict[str, Any]]:
    if entity is None:
        return None
    return json.loads(json.dumps(entity, default=str))


def _normalised_entity(entity: Dict[str, Any]) -> Dict[str, Any]:
    fields = []
    for query_field in entity.get("query_fields") or ():
        fields.append({
            "name": query_field.get("name"),
            "type_name": query_field.get("type_name"),
            "is_key_field": bool(query_field.get("is_key_field")),
            "is_notnull_constraint_field": bool(query_field.get("is_notnull_constraint_field")),
            "default_value": query_field.get("default_value"),
            "precision": _or_unset(query_field.get("precision")),
            "scale": _or_unset(query_field.get("scale")),
        })
    indexes = []
    for index in entity.get("query_indexes") or ():
        indexes.append({
            "index_name": index.get("index_name"),
            "index_type": int(index.get("index_type") or 0),
            "inline_size": _or_unset(index.get("inline_size")),
            "fields": [{"name": f.get("name"), "is_descending": bool(f.get("is_descending"))}
                       for f in index.get("fields") or ()],
        })
    return {
        "key_type_name": entity.get("key_type_name"),
        "value_type_name": entity.get("value_type_name"),
        "table_name": entity.get("table_name"),
        "key_field_name": entity.get("key_field_name"),
        "value_field_name": entity.get("value_field_name"),
        "query_fields": fields,
        "field_name_aliases": [{"field_name": a.get("field_name"), "alias": a.get("alias")}
                               for a in entity.get("field_name_aliases") or ()],
        "query_indexes": indexes,
    }


def _or_unset(value: Any) -> int:
    return -1 if value is None else int(value)


class Catalog:
    """Tables and indexes by schema and name, mirrored into sqlite's ``__TXKV_META`` table."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._db = connection
        self._tables: Dict[Tuple[str, str], TableInfo] = {}
        self._indexes: Dict[Tuple[str, str], IndexInfo] = {}
        self._schemas: set[str] = {"PUBLIC"}
        #: bumped on every DDL change (invalidates cached statement analyses)
        self.version = 0
        self._db.execute(
            f"CREATE TABLE IF NOT EXISTS {META_TABLE} (KIND TEXT NOT NULL, SCHEMA_NAME TEXT "
            "NOT NULL, NAME TEXT NOT NULL, BODY TEXT NOT NULL, "
            "PRIMARY KEY (KIND, SCHEMA_NAME, NAME))")
        for kind, body in self._db.execute(f"SELECT KIND, BODY FROM {META_TABLE}"):
            if kind == "table":
                table = TableInfo.from_json(body)
                self._tables[(table.schema, table.table)] = table
                self._schemas.add(table.schema)
            elif kind == "index":
                data = json.loads(body)
                index = IndexInfo(data["schema"], data["name"], data["table"],
                                  [(name, bool(desc)) for name, desc in data["fields"]],
                                  data["inline_size"])
                self._indexes[(index.schema, index.name)] = index
            elif kind == "schema":
                self._schemas.add(json.loads(body))

    # -- lookups ----------------------------------------------------------------------------

    def tables(self) -> List[TableInfo]:
        return sorted(self._tables.values(), key=lambda t: (t.schema, t.table))

    def table(self, schema: str, name: str) -> Optional[TableInfo]:
        return self._tables.get((schema, name))

    def table_for_cache(self, cache_name: str) -> Optional[TableInfo]:
        for table in self._tables.values():
            if table.cache_name == cache_name:
                return table
        return None

    def index(self, schema: str, name: str) -> Optional[IndexInfo]:
        return self._indexes.get((schema, name))

    def indexes_of(self, table: TableInfo) -> List[IndexInfo]:
        return [index for index in self._indexes.values()
                if index.schema == table.schema and index.table == table.table]

    def has_schema(self, schema: str) -> bool:
        return schema in self._schemas

    def resolve_schema(self, schema: str) -> Optional[str]:
        """The known schema named ``schema`` (exactly, else ignoring case)."""
        if schema in self._schemas:
            return schema
        for known in self._schemas:
            if known.upper() == schema.upper():
                return known
        return None

    def schemas(self) -> Iterator[str]:
        return iter(sorted(self._schemas))

    # -- changes (the caller runs them inside a transaction) -----------------------------------

    def add_schema(self, schema: str) -> None:
        if schema not in self._schemas:
            self._schemas.add(schema)
            self._db.execute(f"INSERT OR REPLACE INTO {META_TABLE} VALUES ('schema', ?, ?, ?)",
                             (schema, schema, json.dumps(schema)))

    def add_table(self, table: TableInfo) -> None:
        self._tables[(table.schema, table.table)] = table
        self._schemas.add(table.schema)
        self._db.execute(f"INSERT OR REPLACE INTO {META_TABLE} VALUES ('table', ?, ?, ?)",
                         (table.schema, table.table, table.to_json()))
        self.version += 1

    def remove_table(self, table: TableInfo) -> None:
        self._tables.pop((table.schema, table.table), None)
        self._db.execute(f"DELETE FROM {META_TABLE} WHERE KIND = 'table' AND SCHEMA_NAME = ? "
                         "AND NAME = ?", (table.schema, table.table))
        for index in self.indexes_of(table):
            self.remove_index(index)
        self.version += 1

    def add_index(self, index: IndexInfo) -> None:
        self._indexes[(index.schema, index.name)] = index
        body = json.dumps({"schema": index.schema, "name": index.name, "table": index.table,
                           "fields": index.fields, "inline_size": index.inline_size})
        self._db.execute(f"INSERT OR REPLACE INTO {META_TABLE} VALUES ('index', ?, ?, ?)",
                         (index.schema, index.name, body))
        self.version += 1

    def remove_index(self, index: IndexInfo) -> None:
        self._indexes.pop((index.schema, index.name), None)
        self._db.execute(f"DELETE FROM {META_TABLE} WHERE KIND = 'index' AND SCHEMA_NAME = ? "
                         "AND NAME = ?", (index.schema, index.name))
        self.version += 1
