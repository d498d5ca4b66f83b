"""Glue between the request handlers and the SQL engine (:mod:`txkv.ignite.server.sql`).

* SQL-fields queries (2004/2005) and the deprecated SQL query (2002/2003) run on the engine;
  arguments are decoded to Python values and cells are encoded with the column's type code.
* Every SQL table is a cache: DDL tables appear in the cache registry with a configuration
  built from the table's query entity; caches created with QUERY_ENTITIES get a table.
* Key-value access to a table cache goes through :class:`SqlTableData`: a row's value is a
  complex object of the table's value type (registered in the server's binary metadata so
  clients can read it), its key a scalar or a complex object of the key type.
"""

from __future__ import annotations

import importlib
import os
from typing import TYPE_CHECKING, Any, Dict, Iterator, List, Optional, Sequence, Tuple

from txkv.ignite.codec import (
    BinaryTypeInfo,
    complex_header,
    entity_id,
    key_identity,
    ops,
    read_object,
    schema_id,
    write_object,
)
from txkv.ignite.codec import cache_id as cache_id_of
from txkv.ignite.codec import messages as m
from txkv.ignite.codec.generic import create_dataclass
from txkv.ignite.codec.hints import hint_for_type_code
from txkv.ignite.codec.typecodes import TC_COMPLEX, TC_WRAPPED

from .caches import CacheDescriptor
from .data import CacheData, Entry
from .session import Session
from .status import OpError

if TYPE_CHECKING:
    from .cluster import IgniteCluster

__all__ = ["SqlBridge", "SqlTableData"]


def _column_types(info: Any) -> Dict[str, int]:
    """Column name -> Ignite type code, whatever shape ``info.columns`` has."""
    columns = getattr(info, "columns", None) or {}
    if isinstance(columns, dict):
        return {str(name): int(code or 0) for name, code in columns.items()}
    result: Dict[str, int] = {}
    for column in columns:
        if isinstance(column, (tuple, list)):
            name, code = column[0], column[1]
        else:
            name = column.name
            code = getattr(column, "type_code", 0)
        result[str(name)] = int(code or 0)
    return result


def _hint(code: Optional[int]) -> Any:
    return hint_for_type_code(code) if code else None


def _encode(value: Any, code: Optional[int]) -> bytes:
    buf = bytearray()
    write_object(buf, value, _hint(code))
    return bytes(buf)


def _match(name: str, names: Sequence[str]) -> Optional[str]:
    """The column of ``names`` equal to ``name`` ignoring case."""
    upper = name.upper()
    for candidate in names:
        if candidate.upper() == upper:
            return candidate
    return None


class SqlTableData(CacheData):
    """A SQL table seen as cache entries."""

    def __init__(self, bridge: SqlBridge, cache_name: str) -> None:
        self.bridge = bridge
        self.cache_name = cache_name

    @property
    def engine(self) -> Any:
        return self.bridge.engine

    def _info(self) -> Any:
        info = self.engine.table_for_cache(self.cache_name)
        if info is None:
            raise OpError(ops.STATUS_CACHE_DOES_NOT_EXIST,
                          f"Cache does not exist [cacheId= {cache_id_of(self.cache_name)}]")
        return info

    def get(self, identity: bytes, raw_key: bytes) -> Optional[Entry]:
        info = self._info()
        key = self.bridge.decode_key(info, raw_key)
        row = self.engine.get_row(self.cache_name, key)
        if row is None:
            return None
        return Entry(raw_key, self.bridge.encode_value(info, row))

    def put(self, identity: bytes, entry: Entry) -> None:
        info = self._info()
        key = self.bridge.decode_key(info, entry.key)
        self.engine.put_row(self.cache_name, key, self.bridge.decode_value(info, entry.value))

    def delete(self, identity: bytes, raw_key: bytes) -> bool:
        info = self._info()
        return bool(self.engine.remove_row(self.cache_name, self.bridge.decode_key(info, raw_key)))

    def count(self) -> int:
        return int(self.engine.count_rows(self.cache_name))

    def clear(self) -> None:
        for key, _row in list(self.engine.scan_rows(self.cache_name)):
            self.engine.remove_row(self.cache_name, key)

    def scan(self) -> Iterator[Tuple[bytes, Entry]]:
        info = self._info()
        for key, row in list(self.engine.scan_rows(self.cache_name)):
            raw_key = self.bridge.encode_key(info, key)
            yield key_identity(raw_key), Entry(raw_key, self.bridge.encode_value(info, row))


class SqlBridge:
    """The SQL engine of one cluster and its mapping onto caches."""

    def __init__(self, cluster: IgniteCluster) -> None:
        self.cluster = cluster
        data = cluster.options.data
        # the engine is optional: ImportError means "no SQL"
        sql: Any = importlib.import_module("txkv.ignite.server.sql")
        if not hasattr(sql, "SqlEngine"):
            raise ImportError("txkv.ignite.server.sql has no SqlEngine")

        self.sql_error: Any = sql.SqlError
        self.engine: Any = sql.SqlEngine(os.path.join(data, "sql") if data else None)
        self._ddl: Dict[str, CacheDescriptor] = {}
        self._classes: Dict[Tuple[str, Tuple[Tuple[str, int], ...]], Any] = {}
        caches = cluster.caches
        caches.sql_caches = self.ddl_caches
        caches.attach_sql = self.attach
        caches.reattach()

    def close(self) -> None:
        self.engine.close()

    # -- caches ----------------------------------------------------------------------------

    def ddl_caches(self) -> Dict[str, CacheDescriptor]:
        """Descriptors of the caches of DDL-created tables (built once per table)."""
        current: Dict[str, CacheDescriptor] = {}
        for info in self.engine.tables():
            name = info.cache_name
            if not getattr(info, "created_by_ddl", True) or self.cluster.caches.is_stored_name(
                    name):
                continue
            desc = self._ddl.get(name)
            if desc is None:
                desc = CacheDescriptor(name, self.settings_for(info), SqlTableData(self, name),
                                       sql_table=name)
            current[name] = desc
        self._ddl = current
        return dict(current)

    def settings_for(self, info: Any) -> Dict[int, Any]:
        entity = dict(info.query_entity())
        fields = []
        for field in entity.get("query_fields") or ():
            field = dict(field)
            default = field.get("default_value")
            if default is not None and not isinstance(default, (bytes, bytearray)):
                field["default_value"] = _encode(default, None)
            fields.append(field)
        entity["query_fields"] = fields
        settings: Dict[int, Any] = {ops.PROP_NAME: info.cache_name,
                                    ops.PROP_QUERY_ENTITIES: [entity]}
        schema = getattr(info, "schema", None) or "PUBLIC"
        settings[ops.PROP_SQL_SCHEMA] = schema
        return settings

    def attach(self, desc: CacheDescriptor) -> None:
        """Make a stored cache with a SQL table keep its entries in the table."""
        if self.engine.table_for_cache(desc.name) is not None:
            desc.data = SqlTableData(self, desc.name)
            desc.sql_table = desc.name

    def create_tables(self, desc: CacheDescriptor) -> None:
        """Tables for a cache created with QUERY_ENTITIES."""
        schema = desc.settings.get(ops.PROP_SQL_SCHEMA) or desc.name
        for entity in desc.settings.get(ops.PROP_QUERY_ENTITIES) or ():
            entity = dict(entity)
            fields = []
            for field in entity.get("query_fields") or ():
                field = dict(field)
                default = field.get("default_value")
                if isinstance(default, (bytes, bytearray)):
                    field["default_value"] = read_object(bytes(default), 0)[0]
                fields.append(field)
            entity["query_fields"] = fields
            try:
                self.engine.create_table_from_query_entity(desc.name, schema, entity)
            except self.sql_error as exc:
                raise OpError(ops.STATUS_FAILED, str(exc)) from None
        self.attach(desc)

    def drop_cache(self, desc: CacheDescriptor) -> None:
        self.engine.drop_cache_table(desc.name)
        self._ddl.pop(desc.name, None)

    # -- rows <-> objects ---------------------------------------------------------------------

    def _object_fields(self, raw: bytes) -> Dict[str, Any]:
        """Field name -> value of a (possibly wrapped) complex object."""
        start = 0
        if raw[:1] == bytes((TC_WRAPPED,)):
            start = 5
        header = complex_header(raw, start)
        registry = self.cluster.types.registry
        ids = header.field_ids
        if ids is None:
            ids = registry.schema_fields(header.type_id, header.schema_id)
            if ids is None:
                raise OpError(ops.STATUS_FAILED,
                              f"Unknown binary schema {header.schema_id} of type "
                              f"{header.type_id}")
        info = registry.get(header.type_id)
        result: Dict[str, Any] = {}
        ctx = self.cluster.types.context
        for field_id, offset in zip(ids, header.offsets):
            name = info.name_of(field_id) if info is not None else None
            if name is None:
                continue
            result[name], _ = read_object(raw, start + offset, ctx)
        return result

    def decode_key(self, info: Any, raw_key: bytes) -> Any:
        key_columns = list(info.key_columns)
        is_object = raw_key[:1] in (bytes((TC_COMPLEX,)), bytes((TC_WRAPPED,)))
        if len(key_columns) == 1 and not is_object:
            return read_object(raw_key, 0, self.cluster.types.context)[0]
        if not is_object:
            raise OpError(ops.STATUS_FAILED,
                          f"Key of table cache {info.cache_name} must be a "
                          f"{info.key_type_name} object")
        fields = self._object_fields(raw_key)
        key: Dict[str, Any] = {}
        for name, value in fields.items():
            column = _match(name, key_columns)
            if column is not None:
                key[column] = value
        if len(key_columns) == 1:
            return key.get(key_columns[0])
        return key

    def decode_value(self, info: Any, raw_value: bytes) -> Dict[str, Any]:
        value_columns = list(info.value_columns)
        if raw_value[:1] in (bytes((TC_COMPLEX,)), bytes((TC_WRAPPED,))):
            row: Dict[str, Any] = {}
            for name, value in self._object_fields(raw_value).items():
                column = _match(name, value_columns)
                if column is not None:
                    row[column] = value
            return row
        if len(value_columns) == 1:
            return {value_columns[0]: read_object(raw_value, 0)[0]}
        raise OpError(ops.STATUS_FAILED,
                      f"Value of table cache {info.cache_name} must be a "
                      f"{info.value_type_name} object")

    def _object(self, type_name: str, columns: List[Tuple[str, int]],
                values: Dict[str, Any]) -> bytes:
        """A complex object of ``type_name`` (compact footer), its type registered."""
        shape = (type_name, tuple(columns))
        cls = self._classes.get(shape)
        if cls is None:
            cls = create_dataclass(type_name, [(name, hint_for_type_code(code or 103))
                                               for name, code in columns],
                                   type_id=entity_id(type_name))
            field_ids = [entity_id(name) for name, _code in columns]
            self.cluster.types.put(BinaryTypeInfo(
                entity_id(type_name), type_name,
                fields={name: (code or 103) for name, code in columns},
                schemas={schema_id(field_ids): field_ids}))
            self._classes[shape] = cls
        obj = cls()
        for name, _code in columns:
            setattr(obj, name, values.get(name))
        buf = bytearray()
        write_object(buf, obj, None, self.cluster.types.context)
        return bytes(buf)

    def encode_key(self, info: Any, key: Any) -> bytes:
        types = _column_types(info)
        key_columns = list(info.key_columns)
        if len(key_columns) == 1 and not isinstance(key, dict):
            return _encode(key, types.get(key_columns[0]))
        values = key if isinstance(key, dict) else {key_columns[0]: key}
        return self._object(info.key_type_name,
                            [(name, types.get(name, 0)) for name in key_columns], values)

    def encode_value(self, info: Any, row: Dict[str, Any]) -> bytes:
        types = _column_types(info)
        columns = [(name, types.get(name, 0)) for name in info.value_columns]
        return self._object(info.value_type_name, columns, row)

    # -- queries ----------------------------------------------------------------------------

    def _args(self, raw_args: Sequence[bytes]) -> List[Any]:
        ctx = self.cluster.types.context
        return [read_object(raw, 0, ctx)[0] for raw in raw_args]

    def _execute(self, query: Optional[str], args: List[Any], schema: Optional[str],
                 statement_type: int = 0, max_rows: int = -1) -> Any:
        if not query:
            raise OpError(ops.STATUS_FAILED, "Ouch! Argument cannot be null: sql")
        try:
            return self.engine.execute(query, args, schema=schema or "PUBLIC",
                                       statement_type=statement_type, max_rows=max_rows)
        except self.sql_error as exc:
            raise OpError(ops.STATUS_FAILED, str(exc)) from None

    def _schema_for(self, cache_id: int, schema: Optional[str]) -> Optional[str]:
        if schema or not cache_id:
            return schema
        desc = self.cluster.caches.get(cache_id)
        return desc.settings.get(ops.PROP_SQL_SCHEMA) or "PUBLIC"

    def sql_fields(self, session: Session, a: m.SqlFieldsQuery
                   ) -> Tuple[List[str], Iterator[List[bytes]]]:
        schema = self._schema_for(a.cache.cache_id, a.schema)
        result = self._execute(a.query, self._args(a.args), schema, a.statement_type,
                               a.max_rows)
        if not result.is_query:
            count = result.update_count if result.update_count is not None else 0
            return ["UPDATED"], iter([[_encode(int(count), 4)]])
        codes = list(result.type_codes or [0] * len(result.columns))

        def rows() -> Iterator[List[bytes]]:
            for row in result.rows:
                yield [_encode(value, codes[i] if i < len(codes) else 0)
                       for i, value in enumerate(row)]

        return list(result.columns), rows()

    def sql_query(self, session: Session, a: m.SqlQuery) -> Iterator[Tuple[bytes, bytes]]:
        desc = self.cluster.caches.get(a.cache.cache_id)
        info = self.engine.table_for_cache(desc.name)
        if info is None:
            raise OpError(ops.STATUS_FAILED,
                          f"Failed to find SQL table for type: {a.table_name}")
        query = (a.query or "").strip()
        table = info.query_entity().get("table_name") or a.table_name
        lowered = query.lower()
        if lowered.startswith("from "):
            query = "SELECT * " + query
        elif not lowered.startswith("select "):
            query = f"SELECT * FROM {table} WHERE {query}" if query else f"SELECT * FROM {table}"
        schema = desc.settings.get(ops.PROP_SQL_SCHEMA) or "PUBLIC"
        result = self._execute(query, self._args(a.args), schema)
        key_columns = list(info.key_columns)
        positions = []
        for column in key_columns:
            name = _match(column, list(result.columns))
            if name is None:
                raise OpError(ops.STATUS_FAILED,
                              f"SQL query must return the key column {column}")
            positions.append(list(result.columns).index(name))

        def rows() -> Iterator[Tuple[bytes, bytes]]:
            for row in result.rows:
                if len(key_columns) == 1:
                    key: Any = row[positions[0]]
                else:
                    key = {column: row[pos] for column, pos in zip(key_columns, positions)}
                stored = self.engine.get_row(desc.name, key)
                if stored is None:
                    continue
                yield (self.encode_key(info, key),
                       self.encode_value(info, stored))

        return rows()
