"""Ignite thin-client operation bodies, sans-IO, in both directions.

Each operation's request arguments are one small ``NamedTuple`` (:class:`KeyOp`,
:class:`SqlFieldsQuery`, ...) shared by both ends:

* client: ``encode_request(request_id, op_code, args, proto, ctx)`` builds the whole frame
  from Python values; ``decode_response_body(op_code, payload, offset, proto, ctx)`` turns a
  success reply's body into Python values.
* server: ``decode_request(payload, proto)`` returns the op code, request id and the same
  argument tuple with every key, value and query argument as **raw** data-object bytes
  (sliced with ``skip_object``, never decoded); ``encode_response(request_id, op_code,
  result, proto)`` writes a reply whose data objects are given raw as well.

A table maps every op code to its request type, its request body shape and its response
shape, so operations with the same layout share one reader and one writer.
"""

from __future__ import annotations

import struct
import uuid
from typing import (
    Any,
    Callable,
    Dict,
    List,
    Mapping,
    NamedTuple,
    Optional,
    Sequence,
    Tuple,
    Type,
)

from txkv.ignite.codec import cache_config, ops
from txkv.ignite.codec.frames import (
    I32,
    I64,
    NULL_BYTE,
    REQUEST_HEADER_SIZE,
    TYPE_NULL,
    U8,
    Buffer,
    begin_request,
    begin_response,
    check_count,
    decode_request_header,
    finish_frame,
    guarded,
    need,
    read_bool,
    read_string,
    read_uuid,
    write_string,
    write_uuid,
)
from txkv.ignite.codec.ops import (
    CACHE_FLAG_KEEP_BINARY,
    CACHE_FLAG_TRANSACTIONAL,
    CACHE_FLAG_WITH_EXPIRY_POLICY,
    ExpiryPolicy,
    Feature,
    ProtocolContext,
)
from txkv.ignite.codec.values import (
    CodecContext,
    read_binary_type,
    read_object,
    skip_object,
    write_binary_type,
    write_object,
)
from txkv.ignite.errors import NotSupportedByClusterError, ParameterError, ParseError

__all__ = [
    "CacheInfo",
    "write_cache_info",
    "read_cache_info",
    "NoArgs",
    "NO_ARGS",
    "CacheOp",
    "KeyOp",
    "KeyValueOp",
    "KeyValueValueOp",
    "KeysOp",
    "PairsOp",
    "SizeOp",
    "PeekOp",
    "ScanQuery",
    "SqlQuery",
    "SqlFieldsQuery",
    "ResourceOp",
    "CacheNameOp",
    "CacheConfigOp",
    "CacheIdOp",
    "PartitionsOp",
    "BinaryTypeNameOp",
    "TypeIdOp",
    "PutBinaryTypeOp",
    "TxStartOp",
    "TxEndOp",
    "ClusterStateOp",
    "CursorPage",
    "SqlFieldsPage",
    "PartitionGroup",
    "PartitionsResult",
    "DecodedRequest",
    "OpSpec",
    "OP_SPECS",
    "write_request_body",
    "encode_request",
    "decode_request",
    "encode_response",
    "decode_response_body",
    "write_response_body",
]

#: Codec context handed to the value codec (None: its default context).
Ctx = Optional[CodecContext]
Proto = ProtocolContext

_CACHE_HEAD = struct.Struct("<iB")
_EXPIRY = struct.Struct("<qqq")
_SCAN_TAIL = struct.Struct("<iiB")
_TX_START = struct.Struct("<BBq")
_BINARY_TYPE_NAME = struct.Struct("<Bi")
_TOPOLOGY = struct.Struct("<qi")
_KEY_CONFIG = struct.Struct("<ii")
_CURSOR_COLUMNS = struct.Struct("<qi")
_FALSE_TRUE = (b"\x00", b"\x01")


# -- the cache-info prefix ------------------------------------------------------------------------


class CacheInfo(NamedTuple):
    """The prefix of every cache-bound request: cache id, flags, expiry (ms) and tx id."""

    cache_id: int
    flags: int = 0
    expiry: Optional[Tuple[int, int, int]] = None
    tx_id: Optional[int] = None

    @classmethod
    def build(
        cls,
        cache_id: int,
        *,
        expiry_policy: Optional[ExpiryPolicy] = None,
        tx_id: Optional[int] = None,
        keep_binary: bool = False,
    ) -> CacheInfo:
        """The prefix for a cache, computing the flags from what is given."""
        flags = CACHE_FLAG_KEEP_BINARY if keep_binary else 0
        expiry = None
        if expiry_policy is not None:
            flags |= CACHE_FLAG_WITH_EXPIRY_POLICY
            expiry = expiry_policy.to_millis()
        if tx_id is not None:
            flags |= CACHE_FLAG_TRANSACTIONAL
        return cls(cache_id, flags, expiry, tx_id)

    @property
    def keep_binary(self) -> bool:
        return bool(self.flags & CACHE_FLAG_KEEP_BINARY)

    @property
    def expiry_policy(self) -> Optional[ExpiryPolicy]:
        return None if self.expiry is None else ExpiryPolicy.from_millis(*self.expiry)


def write_cache_info(buf: bytearray, info: CacheInfo, proto: Optional[ProtocolContext]) -> None:
    """Append the cache-info prefix (flags -> expiry -> tx id)."""
    flags = info.flags
    if not flags:
        buf += _CACHE_HEAD.pack(info.cache_id, 0)
        return
    expiry = info.expiry
    if flags & CACHE_FLAG_WITH_EXPIRY_POLICY:
        if expiry is None:
            raise ParameterError("the expiry-policy flag needs expiry durations")
        if proto is not None and not proto.expiry_policy:
            raise NotSupportedByClusterError("expiry policies need protocol 1.6.0 or newer")
    if flags & CACHE_FLAG_TRANSACTIONAL:
        if info.tx_id is None:
            raise ParameterError("the transactional flag needs a transaction id")
        if proto is not None and not proto.transactions:
            raise NotSupportedByClusterError("transactions need protocol 1.5.0 or newer")
    buf += _CACHE_HEAD.pack(info.cache_id, flags & 0xFF)
    if expiry is not None and flags & CACHE_FLAG_WITH_EXPIRY_POLICY:
        buf += _EXPIRY.pack(*expiry)
    if flags & CACHE_FLAG_TRANSACTIONAL:
        buf += I32.pack(info.tx_id)


def read_cache_info(data: Buffer, offset: int) -> Tuple[CacheInfo, int]:
    """Read the cache-info prefix (server side)."""
    cache_id, flags = _CACHE_HEAD.unpack_from(data, offset)
    offset += _CACHE_HEAD.size
    expiry = None
    tx_id = None
    if flags & CACHE_FLAG_WITH_EXPIRY_POLICY:
        expiry = _EXPIRY.unpack_from(data, offset)
        offset += _EXPIRY.size
    if flags & CACHE_FLAG_TRANSACTIONAL:
        (tx_id,) = I32.unpack_from(data, offset)
        offset += 4
    return CacheInfo(cache_id, flags, expiry, tx_id), offset


# -- request argument types -----------------------------------------------------------------------
# Client side: keys/values are Python values (hints optional).  Server side: raw bytes.


class NoArgs(NamedTuple):
    """Ops without a body: heartbeat, idle timeout, cache names, cluster state."""


NO_ARGS = NoArgs()


class CacheOp(NamedTuple):
    """Cache prefix only: CLEAR, REMOVE_ALL, GET_CONFIGURATION."""

    cache: CacheInfo


class KeyOp(NamedTuple):
    """GET, GET_AND_REMOVE, CONTAINS_KEY, CLEAR_KEY, REMOVE_KEY."""

    cache: CacheInfo
    key: Any
    key_hint: Any = None


class KeyValueOp(NamedTuple):
    """PUT, PUT_IF_ABSENT, GET_AND_PUT, GET_AND_REPLACE, GET_AND_PUT_IF_ABSENT, REPLACE and
    REMOVE_IF_EQUALS (``value`` is the expected value there)."""

    cache: CacheInfo
    key: Any
    value: Any
    key_hint: Any = None
    value_hint: Any = None


class KeyValueValueOp(NamedTuple):
    """REPLACE_IF_EQUALS: key, expected value, new value."""

    cache: CacheInfo
    key: Any
    expected: Any
    value: Any
    key_hint: Any = None
    expected_hint: Any = None
    value_hint: Any = None


class KeysOp(NamedTuple):
    """GET_ALL, CONTAINS_KEYS, CLEAR_KEYS, REMOVE_KEYS (an untyped sequence of keys)."""

    cache: CacheInfo
    keys: Sequence[Any]
    key_hint: Any = None


class PairsOp(NamedTuple):
    """PUT_ALL (an untyped sequence of key/value pairs)."""

    cache: CacheInfo
    pairs: Sequence[Tuple[Any, Any]]
    key_hint: Any = None
    value_hint: Any = None


class SizeOp(NamedTuple):
    """GET_SIZE with peek modes (see :class:`~txkv.ignite.codec.ops.PeekModes`)."""

    cache: CacheInfo
    peek_modes: Sequence[int] = ()


class PeekOp(NamedTuple):
    """LOCAL_PEEK: key and peek modes."""

    cache: CacheInfo
    key: Any
    peek_modes: Sequence[int] = ()
    key_hint: Any = None


class ScanQuery(NamedTuple):
    """QUERY_SCAN.  ``partition`` < 0 scans every partition."""

    cache: CacheInfo
    page_size: int = 1
    partition: int = -1
    local: bool = False
    filter: Any = None
    filter_platform: int = ops.FILTER_PLATFORM_JAVA


class SqlQuery(NamedTuple):
    """QUERY_SQL (deprecated): rows are whole (key, value) entries of ``table_name``."""

    cache: CacheInfo
    table_name: Optional[str]
    query: Optional[str]
    args: Sequence[Any] = ()
    page_size: int = 1024
    distributed_joins: bool = False
    local: bool = False
    replicated_only: bool = False
    timeout: int = 0


class SqlFieldsQuery(NamedTuple):
    """QUERY_SQL_FIELDS with every parameter; ``partitions``/``update_batch_size`` are only
    sent when feature QRY_PARTITIONS_BATCH_SIZE was negotiated."""

    cache: CacheInfo
    query: Optional[str]
    args: Sequence[Any] = ()
    schema: Optional[str] = None
    page_size: int = 1024
    max_rows: int = -1
    statement_type: int = ops.StatementType.ANY
    distributed_joins: bool = False
    local: bool = False
    replicated_only: bool = False
    enforce_join_order: bool = False
    collocated: bool = False
    lazy: bool = False
    timeout: int = 0
    include_field_names: bool = False
    partitions: Optional[Sequence[int]] = None
    update_batch_size: int = 1


class ResourceOp(NamedTuple):
    """RESOURCE_CLOSE and the cursor next-page ops (2001, 2003, 2005)."""

    resource_id: int


class CacheNameOp(NamedTuple):
    """CREATE_WITH_NAME, GET_OR_CREATE_WITH_NAME."""

    name: Optional[str]


class CacheConfigOp(NamedTuple):
    """CREATE_WITH_CONFIGURATION / GET_OR_CREATE_WITH_CONFIGURATION: ``{PROP_*: value}``."""

    settings: Mapping[int, Any]


class CacheIdOp(NamedTuple):
    """CACHE_DESTROY (a bare int32 cache id)."""

    cache_id: int


class PartitionsOp(NamedTuple):
    """CACHE_PARTITIONS; ``custom_mappings`` is sent only with ALL_AFFINITY_MAPPINGS."""

    cache_ids: Sequence[int]
    custom_mappings: bool = False


class BinaryTypeNameOp(NamedTuple):
    """GET_BINARY_TYPE_NAME (``name`` unused) and REGISTER_BINARY_TYPE_NAME."""

    platform: int
    type_id: int
    name: Optional[str] = None


class TypeIdOp(NamedTuple):
    """GET_BINARY_TYPE."""

    type_id: int


class PutBinaryTypeOp(NamedTuple):
    """PUT_BINARY_TYPE: a ``BinaryTypeInfo`` of the value codec."""

    info: Any


class TxStartOp(NamedTuple):
    """TX_START: concurrency, isolation, timeout (ms), label."""

    concurrency: int = ops.TransactionConcurrency.PESSIMISTIC
    isolation: int = ops.TransactionIsolation.REPEATABLE_READ
    timeout: int = 0
    label: Optional[str] = None


class TxEndOp(NamedTuple):
    """TX_END: commit (True) or roll back."""

    tx_id: int
    committed: bool


class ClusterStateOp(NamedTuple):
    """CLUSTER_CHANGE_STATE."""

    state: int


# -- response value types -------------------------------------------------------------------------


class CursorPage(NamedTuple):
    """A scan/SQL page: (key, value) rows; ``cursor_id`` only on the first page."""

    rows: Sequence[Tuple[Any, Any]]
    more: bool
    cursor_id: Optional[int] = None


class SqlFieldsPage(NamedTuple):
    """An SQL-fields page.  The first page (2004) has the cursor id, the column count and,
    if asked for, the field names; later pages (2005) only rows and ``more``."""

    rows: Sequence[Sequence[Any]]
    more: bool
    cursor_id: Optional[int] = None
    column_count: Optional[int] = None
    field_names: Optional[Sequence[Optional[str]]] = None


class PartitionGroup(NamedTuple):
    """One group of caches sharing a partition mapping (OP_CACHE_PARTITIONS).

    ``caches`` maps cache id -> {key type id: affinity-key field id}; ``nodes`` maps node id
    -> primary partitions.  Both are empty-valued when the group is not ``applicable``.
    ``default_affinity`` is only on the wire with feature ALL_AFFINITY_MAPPINGS.
    """

    applicable: bool
    caches: Mapping[int, Mapping[int, int]]
    nodes: Mapping[uuid.UUID, Sequence[int]]
    default_affinity: bool = True


class PartitionsResult(NamedTuple):
    """The reply to OP_CACHE_PARTITIONS."""

    topology: Tuple[int, int]
    groups: Sequence[PartitionGroup]


class DecodedRequest(NamedTuple):
    """A request as the server sees it; ``args`` is None for an unknown op code."""

    op_code: int
    request_id: int
    args: Any


# -- shared field helpers -------------------------------------------------------------------------


def _write_bool(buf: bytearray, value: bool) -> None:
    buf += _FALSE_TRUE[1 if value else 0]


def _write_raw(buf: bytearray, raw: Optional[Buffer]) -> None:
    """A pre-encoded data object (server side), or null for None."""
    if raw is None:
        buf += NULL_BYTE
        return
    if not isinstance(raw, (bytes, bytearray, memoryview)):
        raise ParameterError(f"expected raw data-object bytes, got {type(raw).__name__}")
    if len(raw) == 0:
        raise ParameterError("a raw data object cannot be empty")
    buf += raw


def _read_raw(data: Buffer, offset: int) -> Tuple[bytes, int]:
    """Slice one data object without decoding it."""
    need(data, offset + 1)
    end = skip_object(data, offset)
    if end <= offset or end > len(data):
        raise ParseError("data object runs past the end of the message")
    return bytes(data[offset:end]), end


def _read_raw_or_none(data: Buffer, offset: int) -> Tuple[Optional[bytes], int]:
    need(data, offset + 1)
    if data[offset] == TYPE_NULL:
        return None, offset + 1
    return _read_raw(data, offset)


def _write_values(buf: bytearray, values: Sequence[Any], hint: Any, ctx: Ctx) -> None:
    """An untyped sequence: int32 count + data objects."""
    values = list(values)
    buf += I32.pack(len(values))
    for value in values:
        write_object(buf, value, hint, ctx)


def _read_raw_values(data: Buffer, offset: int) -> Tuple[List[bytes], int]:
    (count,) = I32.unpack_from(data, offset)
    offset += 4
    check_count(count, data, offset)
    values = []
    for _ in range(count):
        raw, offset = _read_raw(data, offset)
        values.append(raw)
    return values, offset


def _write_raw_values(buf: bytearray, values: Sequence[Optional[Buffer]]) -> None:
    buf += I32.pack(len(values))
    for raw in values:
        _write_raw(buf, raw)


def _read_values(data: Buffer, offset: int, ctx: Ctx) -> Tuple[List[Any], int]:
    (count,) = I32.unpack_from(data, offset)
    offset += 4
    check_count(count, data, offset)
    values = []
    for _ in range(count):
        value, offset = read_object(data, offset, ctx)
        values.append(value)
    return values, offset


def _write_pairs(
    buf: bytearray, pairs: Sequence[Tuple[Any, Any]], key_hint: Any, value_hint: Any, ctx: Ctx
) -> None:
    pairs = list(pairs)
    buf += I32.pack(len(pairs))
    for key, value in pairs:
        write_object(buf, key, key_hint, ctx)
        write_object(buf, value, value_hint, ctx)


def _read_raw_pairs(data: Buffer, offset: int) -> Tuple[List[Tuple[bytes, bytes]], int]:
    (count,) = I32.unpack_from(data, offset)
    offset += 4
    check_count(count, data, offset, 2)
    pairs = []
    for _ in range(count):
        key, offset = _read_raw(data, offset)
        value, offset = _read_raw(data, offset)
        pairs.append((key, value))
    return pairs, offset


def _write_raw_pairs(buf: bytearray, pairs: Sequence[Tuple[Buffer, Optional[Buffer]]]) -> None:
    buf += I32.pack(len(pairs))
    for key, value in pairs:
        _write_raw(buf, key)
        _write_raw(buf, value)


def _read_pairs(data: Buffer, offset: int, ctx: Ctx) -> Tuple[List[Tuple[Any, Any]], int]:
    (count,) = I32.unpack_from(data, offset)
    offset += 4
    check_count(count, data, offset, 2)
    pairs = []
    for _ in range(count):
        key, offset = read_object(data, offset, ctx)
        value, offset = read_object(data, offset, ctx)
        pairs.append((key, value))
    return pairs, offset


def _write_byte_list(buf: bytearray, values: Sequence[int]) -> None:
    """int32 n + n raw bytes (peek modes)."""
    data = bytes(int(value) & 0xFF for value in values)
    buf += I32.pack(len(data))
    buf += data


def _read_byte_list(data: Buffer, offset: int) -> Tuple[List[int], int]:
    (count,) = I32.unpack_from(data, offset)
    offset += 4
    check_count(count, data, offset)
    return list(data[offset:offset + count]), offset + count


def _write_int_list(buf: bytearray, values: Sequence[int]) -> None:
    values = list(values)
    buf += I32.pack(len(values))
    buf += struct.pack(f"<{len(values)}i", *values)


def _read_int_list(data: Buffer, offset: int) -> Tuple[List[int], int]:
    (count,) = I32.unpack_from(data, offset)
    offset += 4
    check_count(count, data, offset, 4)
    values = list(struct.unpack_from(f"<{count}i", data, offset))
    return values, offset + 4 * count


def _write_strings(buf: bytearray, values: Sequence[Optional[str]]) -> None:
    buf += I32.pack(len(values))
    for value in values:
        write_string(buf, value)


def _read_strings(data: Buffer, offset: int) -> Tuple[List[Optional[str]], int]:
    (count,) = I32.unpack_from(data, offset)
    offset += 4
    check_count(count, data, offset)
    values = []
    for _ in range(count):
        value, offset = read_string(data, offset)
        values.append(value)
    return values, offset


# -- request bodies: client writers and server readers --------------------------------------------

RequestWriter = Callable[[bytearray, Any, ProtocolContext, Ctx], None]
RequestReader = Callable[[Buffer, int, ProtocolContext], Tuple[Any, int]]


def _w_none(buf: bytearray, args: Any, proto: ProtocolContext, ctx: Ctx) -> None:
    return None


def _r_none(data: Buffer, offset: int, proto: ProtocolContext) -> Tuple[Any, int]:
    return NO_ARGS, offset


def _w_cache(buf: bytearray, args: CacheOp, proto: ProtocolContext, ctx: Ctx) -> None:
    write_cache_info(buf, args.cache, proto)


def _r_cache(data: Buffer, offset: int, proto: ProtocolContext) -> Tuple[Any, int]:
    cache, offset = read_cache_info(data, offset)
    return CacheOp(cache), offset


def _w_key(buf: bytearray, args: KeyOp, proto: ProtocolContext, ctx: Ctx) -> None:
    write_cache_info(buf, args.cache, proto)
    write_object(buf, args.key, args.key_hint, ctx)


def _r_key(data: Buffer, offset: int, proto: ProtocolContext) -> Tuple[Any, int]:
    cache, offset = read_cache_info(data, offset)
    key, offset = _read_raw(data, offset)
    return KeyOp(cache, key), offset


def _w_key_value(buf: bytearray, args: KeyValueOp, proto: ProtocolContext, ctx: Ctx) -> None:
    write_cache_info(buf, args.cache, proto)
    write_object(buf, args.key, args.key_hint, ctx)
    write_object(buf, args.value, args.value_hint, ctx)


def _r_key_value(data: Buffer, offset: int, proto: ProtocolContext) -> Tuple[Any, int]:
    cache, offset = read_cache_info(data, offset)
    key, offset = _read_raw(data, offset)
    value, offset = _read_raw(data, offset)
    return KeyValueOp(cache, key, value), offset


def _w_key_value_value(
    buf: bytearray, args: KeyValueValueOp, proto: ProtocolContext, ctx: Ctx
) -> None:
    write_cache_info(buf, args.cache, proto)
    write_object(buf, args.key, args.key_hint, ctx)
    write_object(buf, args.expected, args.expected_hint, ctx)
    write_object(buf, args.value, args.value_hint, ctx)


def _r_key_value_value(data: Buffer, offset: int, proto: ProtocolContext) -> Tuple[Any, int]:
    cache, offset = read_cache_info(data, offset)
    key, offset = _read_raw(data, offset)
    expected, offset = _read_raw(data, offset)
    value, offset = _read_raw(data, offset)
    return KeyValueValueOp(cache, key, expected, value), offset


def _w_keys(buf: bytearray, args: KeysOp, proto: ProtocolContext, ctx: Ctx) -> None:
    write_cache_info(buf, args.cache, proto)
    _write_values(buf, args.keys, args.key_hint, ctx)


def _r_keys(data: Buffer, offset: int, proto: ProtocolContext) -> Tuple[Any, int]:
    cache, offset = read_cache_info(data, offset)
    keys, offset = _read_raw_values(data, offset)
    return KeysOp(cache, keys), offset


def _w_pairs(buf: bytearray, args: PairsOp, proto: ProtocolContext, ctx: Ctx) -> None:
    write_cache_info(buf, args.cache, proto)
    _write_pairs(buf, args.pairs, args.key_hint, args.value_hint, ctx)


def _r_pairs(data: Buffer, offset: int, proto: ProtocolContext) -> Tuple[Any, int]:
    cache, offset = read_cache_info(data, offset)
    pairs, offset = _read_raw_pairs(data, offset)
    return PairsOp(cache, pairs), offset


def _w_size(buf: bytearray, args: SizeOp, proto: ProtocolContext, ctx: Ctx) -> None:
    write_cache_info(buf, args.cache, proto)
    _write_byte_list(buf, args.peek_modes)


def _r_size(data: Buffer, offset: int, proto: ProtocolContext) -> Tuple[Any, int]:
    cache, offset = read_cache_info(data, offset)
    modes, offset = _read_byte_list(data, offset)
    return SizeOp(cache, modes), offset


def _w_peek(buf: bytearray, args: PeekOp, proto: ProtocolContext, ctx: Ctx) -> None:
    write_cache_info(buf, args.cache, proto)
    write_object(buf, args.key, args.key_hint, ctx)
    _write_byte_list(buf, args.peek_modes)


def _r_peek(data: Buffer, offset: int, proto: ProtocolContext) -> Tuple[Any, int]:
    cache, offset = read_cache_info(data, offset)
    key, offset = _read_raw(data, offset)
    modes, offset = _read_byte_list(data, offset)
    return PeekOp(cache, key, modes), offset


def _w_scan(buf: bytearray, args: ScanQuery, proto: ProtocolContext, ctx: Ctx) -> None:
    write_cache_info(buf, args.cache, proto)
    if args.filter is None:
        buf += NULL_BYTE
    else:
        write_object(buf, args.filter, None, ctx)
        buf += U8.pack(args.filter_platform)
    buf += _SCAN_TAIL.pack(args.page_size, args.partition, 1 if args.local else 0)


def _r_scan(data: Buffer, offset: int, proto: ProtocolContext) -> Tuple[Any, int]:
    cache, offset = read_cache_info(data, offset)
    flt, offset = _read_raw_or_none(data, offset)
    platform = ops.FILTER_PLATFORM_JAVA
    if flt is not None:
        (platform,) = U8.unpack_from(data, offset)
        offset += 1
    page_size, partition, local = _SCAN_TAIL.unpack_from(data, offset)
    offset += _SCAN_TAIL.size
    return ScanQuery(cache, page_size, partition, local != 0, flt, platform), offset


def _w_sql(buf: bytearray, args: SqlQuery, proto: ProtocolContext, ctx: Ctx) -> None:
    write_cache_info(buf, args.cache, proto)
    write_string(buf, args.table_name)
    write_string(buf, args.query)
    _write_values(buf, args.args, None, ctx)
    _write_bool(buf, args.distributed_joins)
    _write_bool(buf, args.local)
    _write_bool(buf, args.replicated_only)
    buf += I32.pack(args.page_size)
    buf += I64.pack(args.timeout)


def _r_sql(data: Buffer, offset: int, proto: ProtocolContext) -> Tuple[Any, int]:
    cache, offset = read_cache_info(data, offset)
    table, offset = read_string(data, offset)
    query, offset = read_string(data, offset)
    args, offset = _read_raw_values(data, offset)
    distributed_joins, offset = read_bool(data, offset)
    local, offset = read_bool(data, offset)
    replicated_only, offset = read_bool(data, offset)
    (page_size,) = I32.unpack_from(data, offset)
    (timeout,) = I64.unpack_from(data, offset + 4)
    result = SqlQuery(
        cache, table, query, args, page_size, distributed_joins, local, replicated_only, timeout)
    return result, offset + 12


_SQL_FIELDS_FLAGS = ("distributed_joins", "local", "replicated_only", "enforce_join_order",
                     "collocated", "lazy")


def _w_sql_fields(buf: bytearray, args: SqlFieldsQuery, proto: ProtocolContext, ctx: Ctx) -> None:
    write_cache_info(buf, args.cache, proto)
    write_string(buf, args.schema)
    buf += I32.pack(args.page_size)
    buf += I32.pack(args.max_rows)
    write_string(buf, args.query)
    _write_values(buf, args.args, None, ctx)
    buf += U8.pack(int(args.statement_type))
    for name in _SQL_FIELDS_FLAGS:
        _write_bool(buf, getattr(args, name))
    buf += I64.pack(args.timeout)
    _write_bool(buf, args.include_field_names)
    if proto.has_feature(Feature.QRY_PARTITIONS_BATCH_SIZE):
        if args.partitions is None:
            buf += I32.pack(-1)
        else:
            _write_int_list(buf, args.partitions)
        buf += I32.pack(args.update_batch_size)


def _r_sql_fields(data: Buffer, offset: int, proto: ProtocolContext) -> Tuple[Any, int]:
    cache, offset = read_cache_info(data, offset)
    schema, offset = read_string(data, offset)
    (page_size,) = I32.unpack_from(data, offset)
    (max_rows,) = I32.unpack_from(data, offset + 4)
    query, offset = read_string(data, offset + 8)
    args, offset = _read_raw_values(data, offset)
    need(data, offset + 1 + len(_SQL_FIELDS_FLAGS) + 8 + 1)
    statement_type = data[offset]
    offset += 1
    flags = [data[offset + i] != 0 for i in range(len(_SQL_FIELDS_FLAGS))]
    offset += len(_SQL_FIELDS_FLAGS)
    (timeout,) = I64.unpack_from(data, offset)
    include_field_names = data[offset + 8] != 0
    offset += 9
    partitions: Optional[List[int]] = None
    update_batch_size = 1
    if proto.has_feature(Feature.QRY_PARTITIONS_BATCH_SIZE):
        (count,) = I32.unpack_from(data, offset)
        if count >= 0:
            partitions, offset = _read_int_list(data, offset)
        else:
            offset += 4
        (update_batch_size,) = I32.unpack_from(data, offset)
        offset += 4
    result = SqlFieldsQuery(
        cache, query, args, schema, page_size, max_rows, statement_type,
        **dict(zip(_SQL_FIELDS_FLAGS, flags)),
        timeout=timeout, include_field_names=include_field_names, partitions=partitions,
        update_batch_size=update_batch_size,
    )
    return result, offset


def _w_resource(buf: bytearray, args: ResourceOp, proto: ProtocolContext, ctx: Ctx) -> None:
    buf += I64.pack(args.resource_id)


def _r_resource(data: Buffer, offset: int, proto: ProtocolContext) -> Tuple[Any, int]:
    (resource_id,) = I64.unpack_from(data, offset)
    return ResourceOp(resource_id), offset + 8


def _w_cache_name(buf: bytearray, args: CacheNameOp, proto: ProtocolContext, ctx: Ctx) -> None:
    write_string(buf, args.name)


def _r_cache_name(data: Buffer, offset: int, proto: ProtocolContext) -> Tuple[Any, int]:
    name, offset = read_string(data, offset)
    return CacheNameOp(name), offset


def _w_cache_config(
    buf: bytearray, args: CacheConfigOp, proto: ProtocolContext, ctx: Ctx
) -> None:
    cache_config.write_cache_properties(buf, args.settings, proto, ctx)


def _r_cache_config(data: Buffer, offset: int, proto: ProtocolContext) -> Tuple[Any, int]:
    settings, offset = cache_config.read_cache_properties(data, offset, proto, raw=True)
    return CacheConfigOp(settings), offset


def _w_cache_id(buf: bytearray, args: CacheIdOp, proto: ProtocolContext, ctx: Ctx) -> None:
    buf += I32.pack(args.cache_id)


def _r_cache_id(data: Buffer, offset: int, proto: ProtocolContext) -> Tuple[Any, int]:
    (cache_id,) = I32.unpack_from(data, offset)
    return CacheIdOp(cache_id), offset + 4


def _w_partitions(buf: bytearray, args: PartitionsOp, proto: ProtocolContext, ctx: Ctx) -> None:
    if proto.has_feature(Feature.ALL_AFFINITY_MAPPINGS):
        _write_bool(buf, args.custom_mappings)
    _write_int_list(buf, args.cache_ids)


def _r_partitions(data: Buffer, offset: int, proto: ProtocolContext) -> Tuple[Any, int]:
    custom = False
    if proto.has_feature(Feature.ALL_AFFINITY_MAPPINGS):
        custom, offset = read_bool(data, offset)
    cache_ids, offset = _read_int_list(data, offset)
    return PartitionsOp(cache_ids, custom), offset


def _w_type_name_get(
    buf: bytearray, args: BinaryTypeNameOp, proto: ProtocolContext, ctx: Ctx
) -> None:
    buf += _BINARY_TYPE_NAME.pack(args.platform, args.type_id)


def _r_type_name_get(data: Buffer, offset: int, proto: ProtocolContext) -> Tuple[Any, int]:
    platform, type_id = _BINARY_TYPE_NAME.unpack_from(data, offset)
    return BinaryTypeNameOp(platform, type_id), offset + _BINARY_TYPE_NAME.size


def _w_type_name_register(
    buf: bytearray, args: BinaryTypeNameOp, proto: ProtocolContext, ctx: Ctx
) -> None:
    buf += _BINARY_TYPE_NAME.pack(args.platform, args.type_id)
    write_string(buf, args.name)


def _r_type_name_register(data: Buffer, offset: int, proto: ProtocolContext) -> Tuple[Any, int]:
    platform, type_id = _BINARY_TYPE_NAME.unpack_from(data, offset)
    name, offset = read_string(data, offset + _BINARY_TYPE_NAME.size)
    return BinaryTypeNameOp(platform, type_id, name), offset


def _w_type_id(buf: bytearray, args: TypeIdOp, proto: ProtocolContext, ctx: Ctx) -> None:
    buf += I32.pack(args.type_id)


def _r_type_id(data: Buffer, offset: int, proto: ProtocolContext) -> Tuple[Any, int]:
    (type_id,) = I32.unpack_from(data, offset)
    return TypeIdOp(type_id), offset + 4


def _w_put_type(buf: bytearray, args: PutBinaryTypeOp, proto: ProtocolContext, ctx: Ctx) -> None:
    write_binary_type(buf, args.info)


def _r_put_type(data: Buffer, offset: int, proto: ProtocolContext) -> Tuple[Any, int]:
    info, offset = read_binary_type(data, offset)
    return PutBinaryTypeOp(info), offset


def _w_tx_start(buf: bytearray, args: TxStartOp, proto: ProtocolContext, ctx: Ctx) -> None:
    buf += _TX_START.pack(int(args.concurrency), int(args.isolation), args.timeout)
    write_string(buf, args.label)


def _r_tx_start(data: Buffer, offset: int, proto: ProtocolContext) -> Tuple[Any, int]:
    concurrency, isolation, timeout = _TX_START.unpack_from(data, offset)
    label, offset = read_string(data, offset + _TX_START.size)
    return TxStartOp(concurrency, isolation, timeout, label), offset


def _w_tx_end(buf: bytearray, args: TxEndOp, proto: ProtocolContext, ctx: Ctx) -> None:
    buf += I32.pack(args.tx_id)
    _write_bool(buf, args.committed)


def _r_tx_end(data: Buffer, offset: int, proto: ProtocolContext) -> Tuple[Any, int]:
    (tx_id,) = I32.unpack_from(data, offset)
    committed, offset = read_bool(data, offset + 4)
    return TxEndOp(tx_id, committed), offset


def _w_cluster_state(
    buf: bytearray, args: ClusterStateOp, proto: ProtocolContext, ctx: Ctx
) -> None:
    buf += U8.pack(int(args.state))


def _r_cluster_state(data: Buffer, offset: int, proto: ProtocolContext) -> Tuple[Any, int]:
    need(data, offset + 1)
    return ClusterStateOp(data[offset]), offset + 1


# -- response bodies: server writers and client readers -------------------------------------------

ResponseWriter = Callable[[bytearray, Any, ProtocolContext], None]


class _Opts(NamedTuple):
    include_field_names: bool
    column_count: int


ResponseReader = Callable[[Buffer, int, ProtocolContext, Ctx, _Opts], Any]


def _rw_none(buf: bytearray, result: Any, proto: ProtocolContext) -> None:
    return None


def _rr_none(data: Buffer, offset: int, proto: Proto, ctx: Ctx, opts: _Opts) -> Any:
    return None


def _rw_value(buf: bytearray, result: Optional[Buffer], proto: ProtocolContext) -> None:
    _write_raw(buf, result)


def _rr_value(data: Buffer, offset: int, proto: Proto, ctx: Ctx, opts: _Opts) -> Any:
    value, _ = read_object(data, offset, ctx)
    return value


def _rw_bool(buf: bytearray, result: bool, proto: ProtocolContext) -> None:
    _write_bool(buf, result)


def _rr_bool(data: Buffer, offset: int, proto: Proto, ctx: Ctx, opts: _Opts) -> Any:
    return read_bool(data, offset)[0]


def _rw_byte(buf: bytearray, result: int, proto: ProtocolContext) -> None:
    buf += U8.pack(int(result))


def _rr_byte(data: Buffer, offset: int, proto: Proto, ctx: Ctx, opts: _Opts) -> Any:
    return U8.unpack_from(data, offset)[0]


def _rw_int(buf: bytearray, result: int, proto: ProtocolContext) -> None:
    buf += I32.pack(result)


def _rr_int(data: Buffer, offset: int, proto: Proto, ctx: Ctx, opts: _Opts) -> Any:
    return I32.unpack_from(data, offset)[0]


def _rw_long(buf: bytearray, result: int, proto: ProtocolContext) -> None:
    buf += I64.pack(result)


def _rr_long(data: Buffer, offset: int, proto: Proto, ctx: Ctx, opts: _Opts) -> Any:
    return I64.unpack_from(data, offset)[0]


def _rw_string(buf: bytearray, result: Optional[str], proto: ProtocolContext) -> None:
    write_string(buf, result)


def _rr_string(data: Buffer, offset: int, proto: Proto, ctx: Ctx, opts: _Opts) -> Any:
    return read_string(data, offset)[0]


def _rw_strings(buf: bytearray, result: Sequence[Optional[str]], proto: ProtocolContext) -> None:
    _write_strings(buf, list(result))


def _rr_strings(data: Buffer, offset: int, proto: Proto, ctx: Ctx, opts: _Opts) -> Any:
    return _read_strings(data, offset)[0]


def _rw_pairs(buf: bytearray, result: Sequence[Tuple[Buffer, Buffer]], proto: Proto) -> None:
    _write_raw_pairs(buf, list(result))


def _rr_pairs(data: Buffer, offset: int, proto: Proto, ctx: Ctx, opts: _Opts) -> Any:
    return _read_pairs(data, offset, ctx)[0]


def _rw_first_page(buf: bytearray, result: CursorPage, proto: ProtocolContext) -> None:
    if result.cursor_id is None:
        raise ParameterError("the first page of a query needs the cursor id")
    buf += I64.pack(result.cursor_id)
    _rw_next_page(buf, result, proto)


def _rr_first_page(
    data: Buffer, offset: int, proto: Proto, ctx: Ctx, opts: _Opts
) -> Any:
    (cursor_id,) = I64.unpack_from(data, offset)
    page = _rr_next_page(data, offset + 8, proto, ctx, opts)
    return page._replace(cursor_id=cursor_id)


def _rw_next_page(buf: bytearray, result: CursorPage, proto: ProtocolContext) -> None:
    _write_raw_pairs(buf, list(result.rows))
    _write_bool(buf, result.more)


def _rr_next_page(
    data: Buffer, offset: int, proto: Proto, ctx: Ctx, opts: _Opts
) -> Any:
    rows, offset = _read_pairs(data, offset, ctx)
    more, offset = read_bool(data, offset)
    return CursorPage(rows, more)


def _write_rows(buf: bytearray, rows: Sequence[Sequence[Optional[Buffer]]], columns: int) -> None:
    buf += I32.pack(len(rows))
    for row in rows:
        if len(row) != columns:
            raise ParameterError(f"row has {len(row)} cells, the cursor has {columns} columns")
        for cell in row:
            _write_raw(buf, cell)


def _read_rows(data: Buffer, offset: int, columns: int, ctx: Ctx) -> Tuple[List[List[Any]], int]:
    (count,) = I32.unpack_from(data, offset)
    offset += 4
    if columns <= 0 and count != 0:
        raise ParseError(f"{count} rows of {columns} columns")
    check_count(count, data, offset, columns)
    rows = []
    for _ in range(count):
        row = []
        for _ in range(columns):
            value, offset = read_object(data, offset, ctx)
            row.append(value)
        rows.append(row)
    return rows, offset


def _page_columns(result: SqlFieldsPage) -> int:
    if result.column_count is not None:
        return result.column_count
    if result.field_names is not None:
        return len(result.field_names)
    return len(result.rows[0]) if result.rows else 0


def _rw_fields_first(buf: bytearray, result: SqlFieldsPage, proto: ProtocolContext) -> None:
    if result.cursor_id is None:
        raise ParameterError("the first page of a query needs the cursor id")
    columns = _page_columns(result)
    buf += I64.pack(result.cursor_id)
    buf += I32.pack(columns)
    if result.field_names is not None:
        if len(result.field_names) != columns:
            raise ParameterError("field names do not match the column count")
        for name in result.field_names:
            write_string(buf, name)
    _write_rows(buf, result.rows, columns)
    _write_bool(buf, result.more)


def _rr_fields_first(
    data: Buffer, offset: int, proto: Proto, ctx: Ctx, opts: _Opts
) -> Any:
    cursor_id, columns = _CURSOR_COLUMNS.unpack_from(data, offset)
    offset += _CURSOR_COLUMNS.size
    check_count(columns, data, offset)
    names: Optional[List[Optional[str]]] = None
    if opts.include_field_names:
        names = []
        for _ in range(columns):
            name, offset = read_string(data, offset)
            names.append(name)
    rows, offset = _read_rows(data, offset, columns, ctx)
    more, offset = read_bool(data, offset)
    return SqlFieldsPage(rows, more, cursor_id, columns, names)


def _rw_fields_next(buf: bytearray, result: SqlFieldsPage, proto: ProtocolContext) -> None:
    _write_rows(buf, result.rows, _page_columns(result))
    _write_bool(buf, result.more)


def _rr_fields_next(
    data: Buffer, offset: int, proto: Proto, ctx: Ctx, opts: _Opts
) -> Any:
    rows, offset = _read_rows(data, offset, opts.column_count, ctx)
    more, offset = read_bool(data, offset)
    return SqlFieldsPage(rows, more, column_count=opts.column_count)



def _rw_config(buf: bytearray, result: Mapping[int, Any], proto: ProtocolContext) -> None:
    cache_config.write_cache_configuration(buf, result, proto, raw=True)


def _rr_config(data: Buffer, offset: int, proto: Proto, ctx: Ctx, opts: _Opts) -> Any:
    return cache_config.read_cache_configuration(data, offset, proto, ctx)[0]


def _rw_partitions(buf: bytearray, result: PartitionsResult, proto: ProtocolContext) -> None:
    with_default_flag = proto.has_feature(Feature.ALL_AFFINITY_MAPPINGS)
    buf += _TOPOLOGY.pack(*result.topology)
    buf += I32.pack(len(result.groups))
    for group in result.groups:
        _write_bool(buf, group.applicable)
        buf += I32.pack(len(group.caches))
        for cache_id, key_configs in group.caches.items():
            buf += I32.pack(cache_id)
            if group.applicable:
                buf += I32.pack(len(key_configs))
                for type_id, field_id in key_configs.items():
                    buf += _KEY_CONFIG.pack(type_id, field_id)
        if group.applicable:
            buf += I32.pack(len(group.nodes))
            for node_id, partitions in group.nodes.items():
                write_uuid(buf, node_id)
                _write_int_list(buf, partitions)
        if with_default_flag:
            _write_bool(buf, group.default_affinity)



def _rr_partitions(
    data: Buffer, offset: int, proto: Proto, ctx: Ctx, opts: _Opts
) -> Any:
    with_default_flag = proto.has_feature(Feature.ALL_AFFINITY_MAPPINGS)
    topology = _TOPOLOGY.unpack_from(data, offset)
    (group_count,) = I32.unpack_from(data, offset + _TOPOLOGY.size)
    offset += _TOPOLOGY.size + 4
    check_count(group_count, data, offset, 5)
    groups = []
    for _ in range(group_count):
        applicable, offset = read_bool(data, offset)
        (cache_count,) = I32.unpack_from(data, offset)
        offset += 4
        check_count(cache_count, data, offset, 4)
        caches: Dict[int, Dict[int, int]] = {}
        for _ in range(cache_count):
            (cache_id,) = I32.unpack_from(data, offset)
            offset += 4
            key_configs: Dict[int, int] = {}
            if applicable:
                (config_count,) = I32.unpack_from(data, offset)
                offset += 4
                check_count(config_count, data, offset, 8)
                for _ in range(config_count):
                    type_id, field_id = _KEY_CONFIG.unpack_from(data, offset)
                    offset += 8
                    key_configs[type_id] = field_id
            caches[cache_id] = key_configs
        nodes: Dict[uuid.UUID, List[int]] = {}
        if applicable:
            (node_count,) = I32.unpack_from(data, offset)
            offset += 4
            check_count(node_count, data, offset, 5)
            for _ in range(node_count):
                node_id, offset = read_uuid(data, offset)
                if node_id is None:
                    raise ParseError("null node id in a partition map")
                partitions, offset = _read_int_list(data, offset)
                nodes[node_id] = partitions
        default_affinity = True
        if with_default_flag:
            default_affinity, offset = read_bool(data, offset)
        groups.append(PartitionGroup(applicable, caches, nodes, default_affinity))
    return PartitionsResult(topology, groups)


def _rw_binary_type(buf: bytearray, result: Any, proto: ProtocolContext) -> None:
    if result is None:
        buf += b"\x00"
        return
    buf += b"\x01"
    write_binary_type(buf, result)


def _rr_binary_type(
    data: Buffer, offset: int, proto: Proto, ctx: Ctx, opts: _Opts
) -> Any:
    exists, offset = read_bool(data, offset)
    if not exists:
        return None
    return read_binary_type(data, offset)[0]


# -- the op table ---------------------------------------------------------------------------------


class OpSpec(NamedTuple):
    """How one op code's request and response bodies are laid out."""

    code: int
    name: str
    args_type: Type[Any]
    write_request: RequestWriter
    read_request: RequestReader
    write_response: ResponseWriter
    read_response: ResponseReader


_REQUEST_SHAPES: Dict[str, Tuple[Type[Any], RequestWriter, RequestReader]] = {
    "none": (NoArgs, _w_none, _r_none),
    "cache": (CacheOp, _w_cache, _r_cache),
    "key": (KeyOp, _w_key, _r_key),
    "key_value": (KeyValueOp, _w_key_value, _r_key_value),
    "key_value_value": (KeyValueValueOp, _w_key_value_value, _r_key_value_value),
    "keys": (KeysOp, _w_keys, _r_keys),
    "pairs": (PairsOp, _w_pairs, _r_pairs),
    "size": (SizeOp, _w_size, _r_size),
    "peek": (PeekOp, _w_peek, _r_peek),
    "scan": (ScanQuery, _w_scan, _r_scan),
    "sql": (SqlQuery, _w_sql, _r_sql),
    "sql_fields": (SqlFieldsQuery, _w_sql_fields, _r_sql_fields),
    "resource": (ResourceOp, _w_resource, _r_resource),
    "cache_name": (CacheNameOp, _w_cache_name, _r_cache_name),
    "cache_config": (CacheConfigOp, _w_cache_config, _r_cache_config),
    "cache_id": (CacheIdOp, _w_cache_id, _r_cache_id),
    "partitions": (PartitionsOp, _w_partitions, _r_partitions),
    "type_name_get": (BinaryTypeNameOp, _w_type_name_get, _r_type_name_get),
    "type_name_register": (BinaryTypeNameOp, _w_type_name_register, _r_type_name_register),
    "type_id": (TypeIdOp, _w_type_id, _r_type_id),
    "put_type": (PutBinaryTypeOp, _w_put_type, _r_put_type),
    "tx_start": (TxStartOp, _w_tx_start, _r_tx_start),
    "tx_end": (TxEndOp, _w_tx_end, _r_tx_end),
    "cluster_state": (ClusterStateOp, _w_cluster_state, _r_cluster_state),
}

_RESPONSE_SHAPES: Dict[str, Tuple[ResponseWriter, ResponseReader]] = {
    "none": (_rw_none, _rr_none),
    "value": (_rw_value, _rr_value),
    "bool": (_rw_bool, _rr_bool),
    "byte": (_rw_byte, _rr_byte),
    "int": (_rw_int, _rr_int),
    "long": (_rw_long, _rr_long),
    "string": (_rw_string, _rr_string),
    "strings": (_rw_strings, _rr_strings),
    "pairs": (_rw_pairs, _rr_pairs),
    "first_page": (_rw_first_page, _rr_first_page),
    "next_page": (_rw_next_page, _rr_next_page),
    "fields_first": (_rw_fields_first, _rr_fields_first),
    "fields_next": (_rw_fields_next, _rr_fields_next),
    "config": (_rw_config, _rr_config),
    "partitions": (_rw_partitions, _rr_partitions),
    "binary_type": (_rw_binary_type, _rr_binary_type),
}

_LAYOUT: Tuple[Tuple[int, str, str], ...] = (
    (ops.OP_RESOURCE_CLOSE, "resource", "none"),
    (ops.OP_HEARTBEAT, "none", "none"),
    (ops.OP_GET_IDLE_TIMEOUT, "none", "long"),
    (ops.OP_CACHE_GET, "key", "value"),
    (ops.OP_CACHE_PUT, "key_value", "none"),
    (ops.OP_CACHE_PUT_IF_ABSENT, "key_value", "bool"),
    (ops.OP_CACHE_GET_ALL, "keys", "pairs"),
    (ops.OP_CACHE_PUT_ALL, "pairs", "none"),
    (ops.OP_CACHE_GET_AND_PUT, "key_value", "value"),
    (ops.OP_CACHE_GET_AND_REPLACE, "key_value", "value"),
    (ops.OP_CACHE_GET_AND_REMOVE, "key", "value"),
    (ops.OP_CACHE_GET_AND_PUT_IF_ABSENT, "key_value", "value"),
    (ops.OP_CACHE_REPLACE, "key_value", "bool"),
    (ops.OP_CACHE_REPLACE_IF_EQUALS, "key_value_value", "bool"),
    (ops.OP_CACHE_CONTAINS_KEY, "key", "bool"),
    (ops.OP_CACHE_CONTAINS_KEYS, "keys", "bool"),
    (ops.OP_CACHE_CLEAR, "cache", "none"),
    (ops.OP_CACHE_CLEAR_KEY, "key", "none"),
    (ops.OP_CACHE_CLEAR_KEYS, "keys", "none"),
    (ops.OP_CACHE_REMOVE_KEY, "key", "bool"),
    (ops.OP_CACHE_REMOVE_IF_EQUALS, "key_value", "bool"),
    (ops.OP_CACHE_REMOVE_KEYS, "keys", "none"),
    (ops.OP_CACHE_REMOVE_ALL, "cache", "none"),
    (ops.OP_CACHE_GET_SIZE, "size", "long"),
    (ops.OP_CACHE_LOCAL_PEEK, "peek", "value"),
    (ops.OP_CACHE_GET_NAMES, "none", "strings"),
    (ops.OP_CACHE_CREATE_WITH_NAME, "cache_name", "none"),
    (ops.OP_CACHE_GET_OR_CREATE_WITH_NAME, "cache_name", "none"),
    (ops.OP_CACHE_CREATE_WITH_CONFIGURATION, "cache_config", "none"),
    (ops.OP_CACHE_GET_OR_CREATE_WITH_CONFIGURATION, "cache_config", "none"),
    (ops.OP_CACHE_GET_CONFIGURATION, "cache", "config"),
    (ops.OP_CACHE_DESTROY, "cache_id", "none"),
    (ops.OP_CACHE_PARTITIONS, "partitions", "partitions"),
    (ops.OP_QUERY_SCAN, "scan", "first_page"),
    (ops.OP_QUERY_SCAN_CURSOR_GET_PAGE, "resource", "next_page"),
    (ops.OP_QUERY_SQL, "sql", "first_page"),
    (ops.OP_QUERY_SQL_CURSOR_GET_PAGE, "resource", "next_page"),
    (ops.OP_QUERY_SQL_FIELDS, "sql_fields", "fields_first"),
    (ops.OP_QUERY_SQL_FIELDS_CURSOR_GET_PAGE, "resource", "fields_next"),
    (ops.OP_GET_BINARY_TYPE_NAME, "type_name_get", "string"),
    (ops.OP_REGISTER_BINARY_TYPE_NAME, "type_name_register", "bool"),
    (ops.OP_GET_BINARY_TYPE, "type_id", "binary_type"),
    (ops.OP_PUT_BINARY_TYPE, "put_type", "none"),
    (ops.OP_TX_START, "tx_start", "int"),
    (ops.OP_TX_END, "tx_end", "none"),
    (ops.OP_CLUSTER_GET_STATE, "none", "byte"),
    (ops.OP_CLUSTER_CHANGE_STATE, "cluster_state", "none"),
)


def _build_specs() -> Dict[int, OpSpec]:
    specs = {}
    for code, request_shape, response_shape in _LAYOUT:
        args_type, write_request, read_request = _REQUEST_SHAPES[request_shape]
        write_response, read_response = _RESPONSE_SHAPES[response_shape]
        specs[code] = OpSpec(code, ops.op_name(code), args_type, write_request, read_request,
                             write_response, read_response)
    return specs


#: Every op this codec knows, by op code.
OP_SPECS: Dict[int, OpSpec] = _build_specs()


def _spec(op_code: int) -> OpSpec:
    try:
        return OP_SPECS[op_code]
    except KeyError:
        raise ParameterError(f"unknown op code {op_code}") from None


# -- public entry points --------------------------------------------------------------------------


def write_request_body(
    buf: bytearray,
    op_code: int,
    args: Any = NO_ARGS,
    proto: Optional[ProtocolContext] = None,
    ctx: Ctx = None,
) -> None:
    """Append the request body of ``op_code`` (client side) to ``buf``."""
    spec = _spec(op_code)
    if not isinstance(args, spec.args_type):
        raise ParameterError(
            f"{spec.name} takes {spec.args_type.__name__}, not {type(args).__name__}")
    start = len(buf)
    try:
        spec.write_request(buf, args, proto or ProtocolContext(), ctx)
    except (struct.error, TypeError, OverflowError) as e:
        del buf[start:]  # nothing half-written stays behind
        raise ParameterError(f"{spec.name}: invalid argument in {args!r}: {e}") from e


def encode_request(
    request_id: int,
    op_code: int,
    args: Any = NO_ARGS,
    proto: Optional[ProtocolContext] = None,
    ctx: Ctx = None,
) -> bytearray:
    """A whole request frame (client side) from the op's argument tuple."""
    buf = begin_request(op_code, request_id)
    write_request_body(buf, op_code, args, proto, ctx)
    return finish_frame(buf)


@guarded
def decode_request(payload: Buffer, proto: ProtocolContext) -> DecodedRequest:
    """Decode a request payload (server side).

    Keys, values, filters and query arguments come back as raw data-object bytes.  An unknown
    op code gives ``args=None`` (answer with INVALID_OP_CODE); a malformed body raises
    ParseError (close the connection).
    """
    op_code, request_id = decode_request_header(payload)
    spec = OP_SPECS.get(op_code)
    if spec is None:
        return DecodedRequest(op_code, request_id, None)
    args, _ = spec.read_request(payload, REQUEST_HEADER_SIZE, proto)
    return DecodedRequest(op_code, request_id, args)


def write_response_body(buf: bytearray, op_code: int, result: Any, proto: ProtocolContext) -> None:
    """Append the success body of ``op_code`` (server side; data objects given raw)."""
    _spec(op_code).write_response(buf, result, proto)


def encode_response(
    request_id: int,
    op_code: int,
    result: Any,
    proto: ProtocolContext,
    *,
    topology: Optional[Tuple[int, int]] = None,
) -> bytearray:
    """A whole success response frame (server side).

    ``result`` by response shape: None (no body); raw bytes or None (a value); bool; int;
    str; list of str; list of raw (key, value) pairs; :class:`CursorPage`;
    :class:`SqlFieldsPage` (raw cells); a ``{PROP_*: value}`` dict (1055);
    :class:`PartitionsResult`; a ``BinaryTypeInfo`` or None (3002).
    """
    spec = _spec(op_code)
    buf = begin_response(request_id, status_flags=proto.status_flags, topology=topology)
    spec.write_response(buf, result, proto)
    return finish_frame(buf)


@guarded
def decode_response_body(
    op_code: int,
    payload: Buffer,
    offset: int,
    proto: ProtocolContext,
    ctx: Ctx = None,
    *,
    include_field_names: bool = False,
    column_count: int = 0,
) -> Any:
    """Decode a success reply's body (client side) for the op it answers.

    ``offset`` is ``ResponseHeader.body_offset``.  For OP_QUERY_SQL_FIELDS pass the request's
    ``include_field_names``; for its next pages pass the ``column_count`` of the first page.
    """
    spec = _spec(op_code)
    return spec.read_response(
        payload, offset, proto, ctx, _Opts(include_field_names, column_count))

