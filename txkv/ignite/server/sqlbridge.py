"""Glue between the request handlers and the SQL engine (:mod:`txkv.ignite.server.sql`).

* SQL-fields queries (2004/2005) and the deprecated SQL query (2002/2003) run on the engine;
  arguments are decoded to Python values and cells are encoded with the column's type code
  (decimals with their own scale, ``_KEY``/``_VAL`` objects wrapped, as Ignite sends them).
* Every SQL table is a cache: DDL tables appear in the cache registry with a configuration
  built from the table's query entity; caches created with QUERY_ENTITIES get a table.
* Key-value access to a table cache goes through :class:`SqlTableData`: a row's value is a
  complex object of the table's value type (registered in the server's binary metadata so
  clients can read it), its key a scalar or a complex object of the key type.
"""

from __future__ import annotations

import decimal
import importlib
import os
import struct
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
from txkv.ignite.codec.typecodes import TC_COMPLEX, TC_DECIMAL, TC_WRAPPED

from .caches import CacheDescriptor
from .data import CacheData, Entry
from .kv import wrap_value
from .session import Session
from .status import OpError

if TYPE_CHECKING:
    from .cluster import IgniteCluster

__all__ = ["SqlBridge", "SqlTableData"]


def _column_codes(info: Any) -> Dict[str, int]:
    """Column name -> Ignite type code (0: infer from the value) of a table."""
    return {str(column.name): int(getattr(column, "type_code", 0) or 0)
            for column in info.columns}


def _hint(code: Optional[int]) -> Any:
    return hint_for_type_code(code) if code else None


def _is_object(raw: bytes) -> bool:
    return raw[:1] in (bytes((TC_COMPLEX,)), bytes((TC_WRAPPED,)))


_DECIMAL_HEADER = struct.Struct("<Bii")


def decimal_cell(value: decimal.Decimal) -> bytes:
    """A Decimal as Ignite writes a BigDecimal: its own scale (``10.50`` is 1050 with scale
    2, not normalised), then the big-endian magnitude with the sign in the top bit."""
    sign, digits, exponent = value.as_tuple()
    if not isinstance(exponent, int):
        raise OpError(ops.STATUS_FAILED, f"Ignite decimals are finite, got {value}")
    unscaled = int("".join(map(str, digits)) or "0")
    magnitude = bytearray(unscaled.to_bytes(unscaled.bit_length() // 8 + 1, "big"))
    if sign:
        magnitude[0] |= 0x80
    return _DECIMAL_HEADER.pack(TC_DECIMAL, -exponent, len(magnitude)) + bytes(magnitude)


def _match(name: str, names: Sequence[str]) -> Optional[str]:
    """The column of ``names`` equal to ``name`` ignoring case."""
    upper = name.upper()
    for candidate in names:
        if candidate.upper() == upper:
            return candidate
    return None


def _type_matches(type_name: Optional[str], info: Any) -> bool:
    """Whether the type name of a SQL query (op 2002) names the table of ``info``."""
    if not type_name:
        return True
    wanted = type_name.rsplit(".", 1)[-1].upper()
    names = (info.value_type_name, info.table)
    return any(name and name.rsplit(".", 1)[-1].upper() == wanted for name in names)


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
        row = self.bridge.run(self.engine.get_row, self.cache_name, key)
        if row is None:
            return None
        return Entry(raw_key, self.bridge.encode_value(info, row))

    def put(self, identity: bytes, entry: Entry) -> None:
        info = self._info()
        key = self.bridge.decode_key(info, entry.key)
        self.bridge.run(self.engine.put_row, self.cache_name, key,
                        self.bridge.decode_value(info, entry.value))

    def delete(self, identity: bytes, raw_key: bytes) -> bool:
        info = self._info()
        key = self.bridge.decode_key(info, raw_key)
        return bool(self.bridge.run(self.engine.remove_row, self.cache_name, key))

    def count(self) -> int:
        return int(self.engine.count_rows(self.cache_name))

    def clear(self) -> None:
        self.bridge.run(self.engine.clear_rows, self.cache_name)

    def scan(self) -> Iterator[Tuple[bytes, Entry]]:
        info = self._info()
        for key, row in self.bridge.run(self.engine.scan_rows, self.cache_name):
            raw_key = self.bridge.encode_key(info, key)
            yield key_identity(raw_key), Entry(raw_key, self.bridge.encode_value(info, row))

    def apply(self, writes: Dict[bytes, Optional[Entry]], keys: Dict[bytes, bytes]) -> None:
        """A committed transaction's writes, all or none (one sqlite transaction)."""
        with self.engine.atomic():
            super().apply(writes, keys)


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
        self._sql_object: Any = getattr(sql, "SqlObject", None)
        self.engine: Any = sql.SqlEngine(os.path.join(data, "sql") if data else None)
        if hasattr(self.engine, "cache_name_taken"):
            self.engine.cache_name_taken = cluster.caches.is_stored_name
        self._ddl: Dict[str, CacheDescriptor] = {}
        self._classes: Dict[Tuple[str, Tuple[Tuple[str, int], ...]], Any] = {}
        caches = cluster.caches
        caches.sql_caches = self.ddl_caches
        caches.attach_sql = self.attach
        caches.reattach()

    def close(self) -> None:
        self.engine.close()

    def run(self, method: Any, *args: Any) -> Any:
        """Call an engine method, its SqlError turned into a status-1 reply."""
        try:
            return method(*args)
        except self.sql_error as exc:
            raise OpError(ops.STATUS_FAILED, str(exc)) from None

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
        """The configuration Ignite reports for the cache of a CREATE TABLE table."""
        entity = dict(info.query_entity())
        fields = []
        for field in entity.get("query_fields") or ():
            field = dict(field)
            default = field.get("default_value")
            if default is not None and not isinstance(default, (bytes, bytearray)):
                field["default_value"] = self.encode_cell(default, None)
            fields.append(field)
        entity["query_fields"] = fields
        settings: Dict[int, Any] = {ops.PROP_NAME: info.cache_name,
                                    ops.PROP_QUERY_ENTITIES: [entity]}
        settings[ops.PROP_SQL_SCHEMA] = getattr(info, "schema", None) or "PUBLIC"
        settings.update(table_options(getattr(info, "options", None) or {}))
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
            self.run(self.engine.create_table_from_query_entity, desc.name, schema, entity)
        self.attach(desc)

    def drop_cache(self, desc: CacheDescriptor) -> None:
        self.run(self.engine.drop_cache_table, desc.name)
        self._ddl.pop(desc.name, None)

    def schema_of(self, desc: CacheDescriptor) -> str:
        """The SQL schema of a cache: its SQL_SCHEMA, else its name when it has query
        entities (as Ignite does), else PUBLIC."""
        schema = desc.settings.get(ops.PROP_SQL_SCHEMA)
        if schema:
            return str(schema)
        return desc.name if desc.settings.get(ops.PROP_QUERY_ENTITIES) else "PUBLIC"

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

    def _columns_of(self, raw: bytes, columns: Sequence[str]) -> Dict[str, Any]:
        """The fields of a complex object that are ``columns`` (names matched ignoring case)."""
        values: Dict[str, Any] = {}
        for name, value in self._object_fields(raw).items():
            column = _match(name, columns)
            if column is not None:
                values[column] = value
        return values

    def decode_key(self, info: Any, raw_key: bytes) -> Any:
        """A serialized cache key as the engine's key: a scalar or ``{column: value}``."""
        if info.scalar_key_column is not None:
            if not _is_object(raw_key):
                return read_object(raw_key, 0, self.cluster.types.context)[0]
            key_columns = [info.scalar_key_column]
        else:
            key_columns = list(info.key_columns)
            if not _is_object(raw_key):
                raise OpError(ops.STATUS_FAILED,
                              f"Key of table cache {info.cache_name} must be a "
                              f"{info.key_type_name} object")
        values = self._columns_of(raw_key, key_columns)
        if info.scalar_key_column is not None:
            return values.get(info.scalar_key_column)
        return values

    def decode_value(self, info: Any, raw_value: bytes) -> Any:
        """A serialized cache value as the engine's row: ``{column: value}`` or a scalar."""
        if _is_object(raw_value):
            return self._columns_of(raw_value, list(info.value_columns))
        if info.scalar_value_column is not None:
            return read_object(raw_value, 0, self.cluster.types.context)[0]
        raise OpError(ops.STATUS_FAILED,
                      f"Value of table cache {info.cache_name} must be a "
                      f"{info.value_type_name} object")

    def _object(self, type_name: str, fields: Sequence[Tuple[str, int, Any]]) -> bytes:
        """A complex object of ``type_name`` (compact footer) with ``(name, type code,
        value)`` fields; its type is registered in the server's metadata."""
        shape = (type_name, tuple((name, code) for name, code, _ in fields))
        cls = self._classes.get(shape)
        if cls is None:
            cls = create_dataclass(type_name, [(name, _hint(code)) for name, code, _ in fields],
                                   type_id=entity_id(type_name))
            field_ids = [entity_id(name) for name, _, _ in fields]
            self.cluster.types.put(BinaryTypeInfo(
                entity_id(type_name), type_name,
                fields={name: (code or TC_COMPLEX) for name, code, _ in fields},
                schemas={schema_id(field_ids): field_ids}))
            self._classes[shape] = cls
        obj = cls()
        for name, _code, value in fields:
            setattr(obj, name, value)
        buf = bytearray()
        write_object(buf, obj, None, self.cluster.types.context)
        return bytes(buf)

    def encode_cell(self, value: Any, code: Optional[int]) -> bytes:
        """One value of a result row, with its column's type code (0: inferred from the
        value); SQL objects (``_KEY``/``_VAL``) become wrapped complex objects, as Ignite sends
        binary objects."""
        if self._sql_object is not None and isinstance(value, self._sql_object):
            return wrap_value(self._object(value.type_name, value.fields)) or b""
        if isinstance(value, decimal.Decimal) and code in (0, TC_DECIMAL):
            return decimal_cell(value)
        buf = bytearray()
        write_object(buf, value, _hint(code) if value is not None else None,
                     self.cluster.types.context)
        return bytes(buf)

    def encode_key(self, info: Any, key: Any) -> bytes:
        codes = _column_codes(info)
        if info.scalar_key_column is not None and not isinstance(key, dict):
            return self.encode_cell(key, codes.get(info.scalar_key_column))
        values = key if isinstance(key, dict) else {info.key_columns[0]: key}
        return self._object(info.key_type_name, [(name, codes.get(name, 0), values.get(name))
                                                 for name in info.key_columns])

    def encode_value(self, info: Any, row: Any) -> bytes:
        codes = _column_codes(info)
        scalar = info.scalar_value_column
        if scalar is not None:
            value = row.get(scalar) if isinstance(row, dict) else row
            return self.encode_cell(value, codes.get(scalar))
        return self._object(info.value_type_name, [(name, codes.get(name, 0), row.get(name))
                                                   for name in info.value_columns])

    # -- queries ----------------------------------------------------------------------------

    def _args(self, raw_args: Sequence[bytes]) -> List[Any]:
        ctx = self.cluster.types.context
        return [read_object(raw, 0, ctx)[0] for raw in raw_args]

    def _schema_for(self, cache_id: int, schema: Optional[str]) -> str:
        if schema:
            return schema
        desc = self.cluster.caches.find(cache_id) if cache_id else None
        return self.schema_of(desc) if desc is not None else "PUBLIC"

    def sql_fields(self, session: Session, a: m.SqlFieldsQuery
                   ) -> Tuple[List[str], Iterator[List[bytes]]]:
        """Run an SQL-fields query (op 2004): column names and encoded rows."""
        if not a.query:
            raise OpError(ops.STATUS_FAILED, "Ouch! Argument cannot be null: sql")
        schema = self._schema_for(a.cache.cache_id, a.schema)
        result = self.run(lambda: self.engine.execute(
            a.query, self._args(a.args), schema=schema, statement_type=a.statement_type,
            max_rows=a.max_rows))
        codes = list(result.type_codes or [0] * len(result.columns))

        def rows() -> Iterator[List[bytes]]:
            for row in result.rows:
                yield [self.encode_cell(value, codes[i] if i < len(codes) else 0)
                       for i, value in enumerate(row)]

        return list(result.columns), rows()

    def sql_query(self, session: Session, a: m.SqlQuery) -> Iterator[Tuple[bytes, bytes]]:
        """Run the deprecated SQL query (op 2002): whole (key, value) entries of the table."""
        desc = self.cluster.caches.get(a.cache.cache_id)
        info = self.engine.table_for_cache(desc.name)
        if info is None or not _type_matches(a.table_name, info):
            raise OpError(ops.STATUS_FAILED,
                          f"Failed to find SQL table for type: {a.table_name}")
        found = self.run(self.engine.select_rows, desc.name, a.query or "", self._args(a.args))

        def rows() -> Iterator[Tuple[bytes, bytes]]:
            for key, value in found:
                raw_key = self.encode_key(info, key)
                yield (wrap_value(raw_key) or raw_key,
                       wrap_value(self.encode_value(info, value)) or b"")

        return rows()


def table_options(options: Dict[str, str]) -> Dict[int, Any]:
    """Cache configuration properties of CREATE TABLE's ``WITH "..."`` options (TEMPLATE,
    BACKUPS, ATOMICITY, WRITE_SYNCHRONIZATION_MODE, CACHE_GROUP, DATA_REGION)."""
    upper = {key.upper(): value.strip() for key, value in options.items()}
    settings: Dict[int, Any] = {ops.PROP_CACHE_MODE: ops.CacheMode.PARTITIONED,
                                ops.PROP_BACKUPS_NUMBER: 0,
                                ops.PROP_CACHE_ATOMICITY_MODE: ops.CacheAtomicityMode.ATOMIC}
    template = upper.get("TEMPLATE", "").upper()
    if template in ("PARTITIONED", "REPLICATED"):
        settings[ops.PROP_CACHE_MODE] = ops.CacheMode[template]
    if upper.get("BACKUPS", "").isdigit():
        settings[ops.PROP_BACKUPS_NUMBER] = int(upper["BACKUPS"])
    atomicity = upper.get("ATOMICITY", "").upper()
    if atomicity in ops.CacheAtomicityMode.__members__:
        settings[ops.PROP_CACHE_ATOMICITY_MODE] = ops.CacheAtomicityMode[atomicity]
    sync = upper.get("WRITE_SYNCHRONIZATION_MODE", "").upper()
    if sync in ops.WriteSynchronizationMode.__members__:
        settings[ops.PROP_WRITE_SYNCHRONIZATION_MODE] = ops.WriteSynchronizationMode[sync]
    if upper.get("CACHE_GROUP"):
        settings[ops.PROP_GROUP_NAME] = upper["CACHE_GROUP"]
    if upper.get("DATA_REGION"):
        settings[ops.PROP_DATA_REGION_NAME] = upper["DATA_REGION"]
    return settings
