"""Cache configuration on the wire, sans-IO: the property list of OP 1053/1054 and the fixed
configuration struct of the OP 1055 reply, with query entities and key configurations.

Settings are dicts keyed by the ``PROP_*`` codes of :mod:`txkv.ignite.codec.ops`, as pyignite
uses them: strings are ``str``/None, numbers ``int``, flags ``bool``, PROP_QUERY_ENTITIES a
list of entity dicts (pyignite's keys: ``key_type_name``, ``query_fields``...),
PROP_CACHE_KEY_CONFIGURATION a list of ``{"type_name", "affinity_key_field_name"}`` dicts and
PROP_EXPIRY_POLICY an :class:`~txkv.ignite.codec.ops.ExpiryPolicy` or None.

Query-field default values are data objects.  The client side encodes and decodes them with
the value codec; the server side passes ``raw=True`` and keeps them as raw bytes (or None).
"""

from __future__ import annotations

import struct
from typing import Any, Dict, Mapping, Optional, Sequence, Tuple

from txkv.ignite.codec import ops
from txkv.ignite.codec.frames import (
    I16,
    I32,
    I64,
    NULL_BYTE,
    TYPE_NULL,
    Buffer,
    check_count,
    guarded,
    need,
    read_bool,
    read_string,
    write_string,
)
from txkv.ignite.codec.ops import ExpiryPolicy, ProtocolContext
from txkv.ignite.codec.values import CodecContext, read_object, skip_object, write_object
from txkv.ignite.errors import NotSupportedByClusterError, ParameterError, ParseError

__all__ = [
    "PYIGNITE_CONFIG_LENGTH",
    "PROPERTY_KINDS",
    "CONFIGURATION_ORDER",
    "DEFAULT_CONFIGURATION",
    "write_cache_properties",
    "read_cache_properties",
    "write_cache_configuration",
    "read_cache_configuration",
    "write_query_entity",
    "read_query_entity",
]

#: The config length pyignite sends in OP 1053/1054 (computed before the length is known).
PYIGNITE_CONFIG_LENGTH = -18

_EXPIRY = struct.Struct("<qqq")
_FIELD_TAIL = struct.Struct("<ii")  # precision, scale
_INDEX_HEAD = struct.Struct("<Bi")  # index type, inline size

#: Codec context handed to the value codec (None: its default context).
Ctx = Optional[CodecContext]

# -- property kinds -------------------------------------------------------------------------------

STRING, INT, LONG, BOOL, ENTITIES, KEY_CONFIG, EXPIRY = (
    "string", "int", "long", "bool", "entities", "key_config", "expiry")

#: Value kind of every property code.
PROPERTY_KINDS: Dict[int, str] = {
    ops.PROP_NAME: STRING,
    ops.PROP_CACHE_MODE: INT,
    ops.PROP_CACHE_ATOMICITY_MODE: INT,
    ops.PROP_BACKUPS_NUMBER: INT,
    ops.PROP_WRITE_SYNCHRONIZATION_MODE: INT,
    ops.PROP_COPY_ON_READ: BOOL,
    ops.PROP_READ_FROM_BACKUP: BOOL,
    ops.PROP_DATA_REGION_NAME: STRING,
    ops.PROP_IS_ONHEAP_CACHE_ENABLED: BOOL,
    ops.PROP_QUERY_ENTITIES: ENTITIES,
    ops.PROP_QUERY_PARALLELISM: INT,
    ops.PROP_QUERY_DETAIL_METRIC_SIZE: INT,
    ops.PROP_SQL_SCHEMA: STRING,
    ops.PROP_SQL_INDEX_INLINE_MAX_SIZE: INT,
    ops.PROP_SQL_ESCAPE_ALL: BOOL,
    ops.PROP_MAX_QUERY_ITERATORS: INT,
    ops.PROP_REBALANCE_MODE: INT,
    ops.PROP_REBALANCE_DELAY: LONG,
    ops.PROP_REBALANCE_TIMEOUT: LONG,
    ops.PROP_REBALANCE_BATCH_SIZE: INT,
    ops.PROP_REBALANCE_BATCHES_PREFETCH_COUNT: LONG,
    ops.PROP_REBALANCE_ORDER: INT,
    ops.PROP_REBALANCE_THROTTLE: LONG,
    ops.PROP_GROUP_NAME: STRING,
    ops.PROP_CACHE_KEY_CONFIGURATION: KEY_CONFIG,
    ops.PROP_DEFAULT_LOCK_TIMEOUT: LONG,
    ops.PROP_MAX_CONCURRENT_ASYNC_OPERATIONS: INT,
    ops.PROP_PARTITION_LOSS_POLICY: INT,
    ops.PROP_EAGER_TTL: BOOL,
    ops.PROP_STATISTICS_ENABLED: BOOL,
    ops.PROP_EXPIRY_POLICY: EXPIRY,
}

#: Field order of the OP 1055 configuration struct (the expiry block only from 1.6.0).
CONFIGURATION_ORDER: Tuple[int, ...] = (
    ops.PROP_CACHE_ATOMICITY_MODE,
    ops.PROP_BACKUPS_NUMBER,
    ops.PROP_CACHE_MODE,
    ops.PROP_COPY_ON_READ,
    ops.PROP_DATA_REGION_NAME,
    ops.PROP_EAGER_TTL,
    ops.PROP_STATISTICS_ENABLED,
    ops.PROP_GROUP_NAME,
    ops.PROP_DEFAULT_LOCK_TIMEOUT,
    ops.PROP_MAX_CONCURRENT_ASYNC_OPERATIONS,
    ops.PROP_MAX_QUERY_ITERATORS,
    ops.PROP_NAME,
    ops.PROP_IS_ONHEAP_CACHE_ENABLED,
    ops.PROP_PARTITION_LOSS_POLICY,
    ops.PROP_QUERY_DETAIL_METRIC_SIZE,
    ops.PROP_QUERY_PARALLELISM,
    ops.PROP_READ_FROM_BACKUP,
    ops.PROP_REBALANCE_BATCH_SIZE,
    ops.PROP_REBALANCE_BATCHES_PREFETCH_COUNT,
    ops.PROP_REBALANCE_DELAY,
    ops.PROP_REBALANCE_MODE,
    ops.PROP_REBALANCE_ORDER,
    ops.PROP_REBALANCE_THROTTLE,
    ops.PROP_REBALANCE_TIMEOUT,
    ops.PROP_SQL_ESCAPE_ALL,
    ops.PROP_SQL_INDEX_INLINE_MAX_SIZE,
    ops.PROP_SQL_SCHEMA,
    ops.PROP_WRITE_SYNCHRONIZATION_MODE,
    ops.PROP_CACHE_KEY_CONFIGURATION,
    ops.PROP_QUERY_ENTITIES,
    ops.PROP_EXPIRY_POLICY,
)

#: What a server reports for properties a cache was created without (Java defaults).
DEFAULT_CONFIGURATION: Dict[int, Any] = {
    ops.PROP_CACHE_ATOMICITY_MODE: ops.CacheAtomicityMode.ATOMIC,
    ops.PROP_BACKUPS_NUMBER: 0,
    ops.PROP_CACHE_MODE: ops.CacheMode.PARTITIONED,
    ops.PROP_COPY_ON_READ: True,
    ops.PROP_DATA_REGION_NAME: None,
    ops.PROP_EAGER_TTL: True,
    ops.PROP_STATISTICS_ENABLED: False,
    ops.PROP_GROUP_NAME: None,
    ops.PROP_DEFAULT_LOCK_TIMEOUT: 0,
    ops.PROP_MAX_CONCURRENT_ASYNC_OPERATIONS: 500,
    ops.PROP_MAX_QUERY_ITERATORS: 1024,
    ops.PROP_NAME: None,
    ops.PROP_IS_ONHEAP_CACHE_ENABLED: False,
    ops.PROP_PARTITION_LOSS_POLICY: ops.PartitionLossPolicy.IGNORE,
    ops.PROP_QUERY_DETAIL_METRIC_SIZE: 0,
    ops.PROP_QUERY_PARALLELISM: 1,
    ops.PROP_READ_FROM_BACKUP: True,
    ops.PROP_REBALANCE_BATCH_SIZE: 524288,
    ops.PROP_REBALANCE_BATCHES_PREFETCH_COUNT: 3,
    ops.PROP_REBALANCE_DELAY: 0,
    ops.PROP_REBALANCE_MODE: ops.RebalanceMode.ASYNC,
    ops.PROP_REBALANCE_ORDER: 0,
    ops.PROP_REBALANCE_THROTTLE: 0,
    ops.PROP_REBALANCE_TIMEOUT: 10000,
    ops.PROP_SQL_ESCAPE_ALL: False,
    ops.PROP_SQL_INDEX_INLINE_MAX_SIZE: -1,
    ops.PROP_SQL_SCHEMA: None,
    ops.PROP_WRITE_SYNCHRONIZATION_MODE: ops.WriteSynchronizationMode.PRIMARY_SYNC,
    ops.PROP_CACHE_KEY_CONFIGURATION: [],
    ops.PROP_QUERY_ENTITIES: [],
    ops.PROP_EXPIRY_POLICY: None,
}


# -- query entities -------------------------------------------------------------------------------


def _write_default(buf: bytearray, value: Any, raw: bool, ctx: Ctx) -> None:
    if raw:
        if value is None:
            buf += NULL_BYTE
        elif isinstance(value, (bytes, bytearray, memoryview)) and len(value):
            buf += value
        else:
            raise ParameterError("raw default values must be data-object bytes or None")
    else:
        write_object(buf, value, None, ctx)


def _read_default(data: Buffer, offset: int, raw: bool, ctx: Ctx) -> Tuple[Any, int]:
    need(data, offset + 1)
    if not raw:
        value, offset = read_object(data, offset, ctx)
        return value, offset
    if data[offset] == TYPE_NULL:
        return None, offset + 1
    end = skip_object(data, offset)
    if end <= offset or end > len(data):
        raise ParseError("default value runs past the end of the message")
    return bytes(data[offset:end]), end


def _count(buf: bytearray, items: Sequence[Any]) -> None:
    buf += I32.pack(len(items))


def _read_count(data: Buffer, offset: int, item_size: int) -> Tuple[int, int]:
    (count,) = I32.unpack_from(data, offset)
    offset += 4
    check_count(count, data, offset, item_size)
    return count, offset


def write_query_entity(
    buf: bytearray, entity: Mapping[str, Any], proto: ProtocolContext, ctx: Ctx = None,
    raw: bool = False,
) -> None:
    """Append one QueryEntity (field precision/scale only from protocol 1.2.0)."""
    for name in ("key_type_name", "value_type_name", "table_name", "key_field_name",
                 "value_field_name"):
        write_string(buf, entity.get(name))
    fields = list(entity.get("query_fields") or ())
    _count(buf, fields)
    for field in fields:
        write_string(buf, field.get("name"))
        write_string(buf, field.get("type_name"))
        buf += b"\x01" if field.get("is_key_field") else b"\x00"
        buf += b"\x01" if field.get("is_notnull_constraint_field") else b"\x00"
        _write_default(buf, field.get("default_value"), raw, ctx)
        if proto.query_field_precision:
            precision = field.get("precision")
            scale = field.get("scale")
            buf += _FIELD_TAIL.pack(-1 if precision is None else precision,
                                    -1 if scale is None else scale)
    aliases = list(entity.get("field_name_aliases") or ())
    _count(buf, aliases)
    for alias in aliases:
        write_string(buf, alias.get("field_name"))
        write_string(buf, alias.get("alias"))
    indexes = list(entity.get("query_indexes") or ())
    _count(buf, indexes)
    for index in indexes:
        write_string(buf, index.get("index_name"))
        index_type = index.get("index_type")
        inline_size = index.get("inline_size")
        buf += _INDEX_HEAD.pack(int(index_type or 0), -1 if inline_size is None else inline_size)
        index_fields = list(index.get("fields") or ())
        _count(buf, index_fields)
        for index_field in index_fields:
            write_string(buf, index_field.get("name"))
            buf += b"\x01" if index_field.get("is_descending") else b"\x00"


def read_query_entity(
    data: Buffer, offset: int, proto: ProtocolContext, ctx: Ctx = None, raw: bool = False
) -> Tuple[Dict[str, Any], int]:
    """Read one QueryEntity into a pyignite-shaped dict."""
    entity: Dict[str, Any] = {}
    for name in ("key_type_name", "value_type_name", "table_name", "key_field_name",
                 "value_field_name"):
        entity[name], offset = read_string(data, offset)
    count, offset = _read_count(data, offset, 5)
    fields = []
    for _ in range(count):
        field: Dict[str, Any] = {}
        field["name"], offset = read_string(data, offset)
        field["type_name"], offset = read_string(data, offset)
        field["is_key_field"], offset = read_bool(data, offset)
        field["is_notnull_constraint_field"], offset = read_bool(data, offset)
        field["default_value"], offset = _read_default(data, offset, raw, ctx)
        if proto.query_field_precision:
            field["precision"], field["scale"] = _FIELD_TAIL.unpack_from(data, offset)
            offset += _FIELD_TAIL.size
        else:
            field["precision"], field["scale"] = -1, -1
        fields.append(field)
    entity["query_fields"] = fields
    count, offset = _read_count(data, offset, 2)
    aliases = []
    for _ in range(count):
        field_name, offset = read_string(data, offset)
        alias, offset = read_string(data, offset)
        aliases.append({"field_name": field_name, "alias": alias})
    entity["field_name_aliases"] = aliases
    count, offset = _read_count(data, offset, 10)
    indexes = []
    for _ in range(count):
        index_name, offset = read_string(data, offset)
        index_type, inline_size = _INDEX_HEAD.unpack_from(data, offset)
        offset += _INDEX_HEAD.size
        field_count, offset = _read_count(data, offset, 2)
        index_fields = []
        for _ in range(field_count):
            field_name, offset = read_string(data, offset)
            descending, offset = read_bool(data, offset)
            index_fields.append({"name": field_name, "is_descending": descending})
        indexes.append({"index_name": index_name, "index_type": index_type,
                        "inline_size": inline_size, "fields": index_fields})
    entity["query_indexes"] = indexes
    return entity, offset


# -- property values ------------------------------------------------------------------------------


def _write_value(
    buf: bytearray, kind: str, value: Any, proto: ProtocolContext, ctx: Ctx, raw: bool
) -> None:
    if kind == STRING:
        write_string(buf, value)
    elif kind == INT:
        buf += I32.pack(int(value))
    elif kind == LONG:
        buf += I64.pack(int(value))
    elif kind == BOOL:
        buf += b"\x01" if value else b"\x00"
    elif kind == ENTITIES:
        entities = list(value or ())
        _count(buf, entities)
        for entity in entities:
            write_query_entity(buf, entity, proto, ctx, raw)
    elif kind == KEY_CONFIG:
        configs = list(value or ())
        _count(buf, configs)
        for config in configs:
            write_string(buf, config.get("type_name"))
            write_string(buf, config.get("affinity_key_field_name"))
    else:  # EXPIRY
        if value is None:
            buf += b"\x00"
        else:
            if not isinstance(value, ExpiryPolicy):
                raise ParameterError("PROP_EXPIRY_POLICY takes an ExpiryPolicy or None")
            buf += b"\x01"
            buf += _EXPIRY.pack(*value.to_millis())


def _read_value(
    data: Buffer, offset: int, kind: str, proto: ProtocolContext, ctx: Ctx, raw: bool
) -> Tuple[Any, int]:
    if kind == STRING:
        return read_string(data, offset)
    if kind == INT:
        return I32.unpack_from(data, offset)[0], offset + 4
    if kind == LONG:
        return I64.unpack_from(data, offset)[0], offset + 8
    if kind == BOOL:
        return read_bool(data, offset)
    if kind == ENTITIES:
        count, offset = _read_count(data, offset, 17)  # 5 null strings + 3 empty counts
        entities = []
        for _ in range(count):
            entity, offset = read_query_entity(data, offset, proto, ctx, raw)
            entities.append(entity)
        return entities, offset
    if kind == KEY_CONFIG:
        count, offset = _read_count(data, offset, 2)
        configs = []
        for _ in range(count):
            type_name, offset = read_string(data, offset)
            field_name, offset = read_string(data, offset)
            configs.append({"type_name": type_name, "affinity_key_field_name": field_name})
        return configs, offset
    present, offset = read_bool(data, offset)
    if not present:
        return None, offset
    millis = _EXPIRY.unpack_from(data, offset)
    return ExpiryPolicy.from_millis(*millis), offset + _EXPIRY.size


def _kind(code: int) -> str:
    kind = PROPERTY_KINDS.get(code)
    if kind is None:
        raise ParameterError(f"unknown cache property code {code}")
    return kind


# -- OP 1053 / 1054: property list ----------------------------------------------------------------


def write_cache_properties(
    buf: bytearray,
    settings: Mapping[int, Any],
    proto: ProtocolContext,
    ctx: Ctx = None,
    *,
    exact_length: bool = False,
    raw: bool = False,
) -> None:
    """Append the body of OP 1053/1054: config length, int16 count, (code, value) pairs.

    The length is pyignite's constant -18 unless ``exact_length`` (the Java client's byte
    count of what follows); servers ignore it.  PROP_NAME is required.
    """
    if ops.PROP_NAME not in settings or not settings[ops.PROP_NAME]:
        raise ParameterError("a cache configuration needs PROP_NAME")
    if ops.PROP_EXPIRY_POLICY in settings and not proto.expiry_policy:
        raise NotSupportedByClusterError("PROP_EXPIRY_POLICY needs protocol 1.6.0 or newer")
    start = len(buf)
    buf += I32.pack(PYIGNITE_CONFIG_LENGTH)
    buf += I16.pack(len(settings))
    for code, value in settings.items():
        kind = _kind(code)
        buf += I16.pack(code)
        _write_value(buf, kind, value, proto, ctx, raw)
    if exact_length:
        I32.pack_into(buf, start, len(buf) - start - 4)


@guarded
def read_cache_properties(
    data: Buffer, offset: int, proto: ProtocolContext, ctx: Ctx = None, *, raw: bool = False
) -> Tuple[Dict[int, Any], int]:
    """Read the body of OP 1053/1054 by property count (the length field is ignored).

    An unknown property code raises ParseError: its value's size is unknowable.
    """
    (count,) = I16.unpack_from(data, offset + 4)
    offset += 6
    check_count(count, data, offset, 3)
    settings: Dict[int, Any] = {}
    for _ in range(count):
        (code,) = I16.unpack_from(data, offset)
        offset += 2
        kind = PROPERTY_KINDS.get(code)
        if kind is None:
            raise ParseError(f"unknown cache property code {code}")
        settings[code], offset = _read_value(data, offset, kind, proto, ctx, raw)
    return settings, offset


# -- OP 1055: the configuration struct ------------------------------------------------------------


def _order(proto: ProtocolContext) -> Tuple[int, ...]:
    return CONFIGURATION_ORDER if proto.expiry_policy else CONFIGURATION_ORDER[:-1]


def write_cache_configuration(
    buf: bytearray,
    settings: Mapping[int, Any],
    proto: ProtocolContext,
    ctx: Ctx = None,
    *,
    raw: bool = False,
) -> None:
    """Append the OP 1055 reply body: int32 length, then every field in the fixed order.

    Properties missing from ``settings`` take :data:`DEFAULT_CONFIGURATION`.
    """
    start = len(buf)
    buf += b"\x00\x00\x00\x00"
    for code in _order(proto):
        value = settings.get(code, DEFAULT_CONFIGURATION[code])
        if value is None and PROPERTY_KINDS[code] in (INT, LONG, BOOL):
            value = DEFAULT_CONFIGURATION[code]
        _write_value(buf, PROPERTY_KINDS[code], value, proto, ctx, raw)
    I32.pack_into(buf, start, len(buf) - start - 4)


@guarded
def read_cache_configuration(
    data: Buffer, offset: int, proto: ProtocolContext, ctx: Ctx = None, *, raw: bool = False
) -> Tuple[Dict[int, Any], int]:
    """Read the OP 1055 reply body into ``{PROP_*: value}`` (as pyignite returns it)."""
    need(data, offset + 4)
    offset += 4
    settings: Dict[int, Any] = {}
    for code in _order(proto):
        settings[code], offset = _read_value(data, offset, PROPERTY_KINDS[code], proto, ctx, raw)
    return settings, offset

