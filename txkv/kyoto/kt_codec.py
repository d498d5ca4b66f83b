"""Kyoto Tycoon binary protocol frames, sans-IO (no Twisted).

Every frame starts with a magic byte; integers are big-endian.  Requests are built by the
``encode_*`` functions; replies (client side) and requests (server side) are read by resumable
parser objects fed the same growing buffer until they report how many bytes they consumed:

>>> parser = GetBulkReplyParser()
>>> parser.parse(memoryview(b"\\xba\\x00\\x00\\x00\\x00"))
5
>>> parser.result
[]

A parser keeps its position between calls, so a large frame that arrives in many chunks is
walked once.  The caller must not drop bytes from the front of the buffer until the parser
completes (``parse`` returns the frame's length; ``None`` means "need more data").
"""

from __future__ import annotations

import struct
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple, Union

from txkv.errors import ProtocolError

__all__ = [
    "MAGIC_NOP",
    "MAGIC_REPLICATION",
    "MAGIC_PLAY_SCRIPT",
    "MAGIC_SET_BULK",
    "MAGIC_REMOVE_BULK",
    "MAGIC_GET_BULK",
    "MAGIC_ERROR",
    "FLAG_NO_REPLY",
    "FLAG_WHITE_SID",
    "XT_MAX",
    "XT_NONE",
    "DATA_MAX_SIZE",
    "BINARY_MAGICS",
    "is_binary_start",
    "encode_set_bulk",
    "encode_remove_bulk",
    "encode_get_bulk",
    "encode_get_one",
    "encode_set_one",
    "encode_play_script",
    "encode_replication",
    "encode_count_reply",
    "encode_get_bulk_reply",
    "encode_play_script_reply",
    "encode_replication_log",
    "encode_replication_nop",
    "ERROR_REPLY",
    "BinaryErrorReply",
    "FrameParser",
    "CountReplyParser",
    "GetBulkReplyParser",
    "GetOneReplyParser",
    "PlayScriptReplyParser",
    "AcceptReplyParser",
    "SetBulkRequest",
    "RemoveBulkRequest",
    "GetBulkRequest",
    "PlayScriptRequest",
    "ReplicationRequest",
    "RequestParser",
    "ReplicationStreamParser",
]

MAGIC_NOP = 0xB0
MAGIC_REPLICATION = 0xB1
MAGIC_PLAY_SCRIPT = 0xB4
MAGIC_SET_BULK = 0xB8
MAGIC_REMOVE_BULK = 0xB9
MAGIC_GET_BULK = 0xBA
MAGIC_ERROR = 0xBF

FLAG_NO_REPLY = 0x01
FLAG_WHITE_SID = 0x01

XT_MAX = 0xFFFFFFFFFF  # stored "never expires"
XT_NONE = 0x7FFFFFFFFFFFFFFF  # sent "no expiration"
DATA_MAX_SIZE = 1 << 28

BINARY_MAGICS = frozenset(
    (MAGIC_REPLICATION, MAGIC_PLAY_SCRIPT, MAGIC_SET_BULK, MAGIC_REMOVE_BULK, MAGIC_GET_BULK)
)

ERROR_REPLY = bytes((MAGIC_ERROR,))

_U8 = struct.Struct(">B")
_U32 = struct.Struct(">I")
_HEAD = struct.Struct(">BII")  # magic, flags, rnum
_HEAD_SCRIPT = struct.Struct(">BIII")  # magic, flags, nsiz, rnum
_COUNT = struct.Struct(">BI")  # magic, count
_DB_KEY = struct.Struct(">HI")  # dbidx, ksiz
_DB_KV_XT = struct.Struct(">HIIq")  # dbidx, ksiz, vsiz, xt
_KV = struct.Struct(">II")  # ksiz, vsiz
_GET_ONE = struct.Struct(">BIIHI")  # magic, flags, rnum = 1, dbidx, ksiz
_SET_ONE = struct.Struct(">BIIHIIq")  # magic, flags, rnum = 1, dbidx, ksiz, vsiz, xt
_ONE_RECORD = struct.Struct(">BIHIIq")  # magic, count, dbidx, ksiz, vsiz, xt
_unpack_one = _ONE_RECORD.unpack_from
_unpack_count = _COUNT.unpack_from
_ONE_SIZE = _ONE_RECORD.size
_REPL_REQ = struct.Struct(">BIQH")  # magic, flags, ts, sid
_REPL_LOG = struct.Struct(">BQI")  # magic, ts, size
_REPL_NOP = struct.Struct(">BQ")  # magic, ts

BytesLike = Union[bytes, bytearray, memoryview]


def is_binary_start(first_byte: int) -> bool:
    """True when a request starting with this byte goes to the binary dispatcher (KT's rule)."""
    return first_byte == 0 or first_byte >= 0x80


# -- request encoders (client side) -------------------------------------------------------------


def _with_records(head: bytes, records: Sequence[Tuple[int, bytes, bytes, int]]) -> bytes:
    """``head`` followed by ``(dbidx, key, value, xt)`` records (set_bulk requests, get_bulk
    replies)."""
    pack = _DB_KV_XT.pack
    parts: List[bytes] = [head]
    append = parts.append
    for db, key, value, xt in records:
        append(pack(db, len(key), len(value), xt))
        append(key)
        append(value)
    return b"".join(parts)


def _with_pairs(head: bytes, items: Sequence[Tuple[bytes, bytes]]) -> bytes:
    """``head`` followed by ``(key, value)`` items (play_script requests and replies)."""
    pack = _KV.pack
    parts: List[bytes] = [head]
    append = parts.append
    for key, value in items:
        append(pack(len(key), len(value)))
        append(key)
        append(value)
    return b"".join(parts)


def encode_set_bulk(
    records: Sequence[Tuple[int, bytes, bytes, int]], no_reply: bool = False
) -> bytes:
    """``0xB8`` frame for ``(dbidx, key, value, xt)`` records."""
    return _with_records(
        _HEAD.pack(MAGIC_SET_BULK, FLAG_NO_REPLY if no_reply else 0, len(records)), records)


def encode_set_one(db: int, key: bytes, value: bytes, xt: int, no_reply: bool = False) -> bytes:
    """The ``0xB8`` frame storing one record (the same bytes as ``encode_set_bulk`` of it)."""
    return b"".join((_SET_ONE.pack(MAGIC_SET_BULK, FLAG_NO_REPLY if no_reply else 0, 1, db,
                                   len(key), len(value), xt), key, value))


def _encode_db_keys(magic: int, flags: int, records: Sequence[Tuple[int, bytes]]) -> bytes:
    pack = _DB_KEY.pack
    parts: List[bytes] = [_HEAD.pack(magic, flags, len(records))]
    append = parts.append
    for db, key in records:
        append(pack(db, len(key)))
        append(key)
    return b"".join(parts)


def encode_remove_bulk(records: Sequence[Tuple[int, bytes]], no_reply: bool = False) -> bytes:
    """``0xB9`` frame for ``(dbidx, key)`` records."""
    return _encode_db_keys(MAGIC_REMOVE_BULK, FLAG_NO_REPLY if no_reply else 0, records)


def encode_get_bulk(records: Sequence[Tuple[int, bytes]]) -> bytes:
    """``0xBA`` frame for ``(dbidx, key)`` records (the server always answers)."""
    return _encode_db_keys(MAGIC_GET_BULK, 0, records)


def encode_get_one(db: int, key: bytes) -> bytes:
    """The ``0xBA`` frame of a one-key get (the same bytes as ``encode_get_bulk([(db, key)])``)."""
    return _GET_ONE.pack(MAGIC_GET_BULK, 0, 1, db, len(key)) + key


def encode_play_script(
    name: bytes, items: Sequence[Tuple[bytes, bytes]], no_reply: bool = False
) -> bytes:
    """``0xB4`` frame: run the server's Lua procedure ``name`` with ``items`` as its input map."""
    head = _HEAD_SCRIPT.pack(MAGIC_PLAY_SCRIPT, FLAG_NO_REPLY if no_reply else 0, len(name),
                             len(items))
    return _with_pairs(head + name, items)


def encode_replication(ts: int, sid: int, white_sid: bool = False) -> bytes:
    """``0xB1`` request: stream update logs newer than ``ts`` (nanoseconds) for server ``sid``."""
    return _REPL_REQ.pack(MAGIC_REPLICATION, FLAG_WHITE_SID if white_sid else 0, ts, sid)


# -- reply encoders (server side) --------------------------------------------------------------


def encode_count_reply(magic: int, count: int) -> bytes:
    """``magic, u32 count`` — the reply of set_bulk and remove_bulk."""
    return _COUNT.pack(magic, count)


def encode_get_bulk_reply(records: Sequence[Tuple[int, bytes, bytes, int]]) -> bytes:
    """``0xBA`` reply for the ``(dbidx, key, value, absolute_xt)`` records found."""
    return _with_records(_COUNT.pack(MAGIC_GET_BULK, len(records)), records)


def encode_play_script_reply(items: Sequence[Tuple[bytes, bytes]]) -> bytes:
    """``0xB4`` reply carrying the procedure's output map."""
    return _with_pairs(_COUNT.pack(MAGIC_PLAY_SCRIPT, len(items)), items)


def encode_replication_log(ts: int, body: bytes) -> bytes:
    """One streamed update log: ``0xB1, u64 ts, u32 size, body``."""
    return _REPL_LOG.pack(MAGIC_REPLICATION, ts, len(body)) + body


def encode_replication_nop(ts: int) -> bytes:
    """The caught-up heartbeat ``0xB0, u64 ts`` (the client answers ``0xB1``)."""
    return _REPL_NOP.pack(MAGIC_NOP, ts)


# -- resumable parsers ----------------------------------------------------------------------


class BinaryErrorReply:
    """Result of a reply parser when the server answered ``0xBF``."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "BinaryErrorReply()"


_ERROR = BinaryErrorReply()


class FrameParser:
    """Base of the resumable parsers: :meth:`parse` -> frame length or None; then ``result``."""

    result: Any = None

    def parse(self, data: memoryview) -> Optional[int]:  # pragma: no cover - abstract
        raise NotImplementedError


class GetOneReplyParser(FrameParser):
    """``0xBA`` reply to a one-key get; result is the value's bytes, or None when the key is
    missing.  The frame is parsed whole once it has arrived (it holds at most one record), so
    the parser keeps no state between calls and one instance can serve every request."""

    def parse(self, data: BytesLike) -> Optional[int]:
        size = len(data)
        if size >= _ONE_SIZE:  # the usual case: a hit, parsed in one go
            magic, count, _db, ksiz, vsiz, _xt = _unpack_one(data)
            if magic == MAGIC_GET_BULK and count == 1:
                start = _ONE_SIZE + ksiz
                stop = start + vsiz
                if size < stop:
                    return None
                self.result = bytes(data[start:stop])
                return stop
        return self._parse_other(data, size)

    def _parse_other(self, data: BytesLike, size: int) -> Optional[int]:
        """A miss, an error, a frame not all here yet, or no get reply at all."""
        if not size:
            return None
        first = data[0]
        if first != MAGIC_GET_BULK:
            if first == MAGIC_ERROR:
                self.result = _ERROR
                return 1
            raise ProtocolError(
                f"unexpected reply magic 0x{first:02x}, expected 0x{MAGIC_GET_BULK:02x}")
        if size < _COUNT.size:
            return None
        count = _COUNT.unpack_from(data)[1]
        if count == 0:
            self.result = None
            return _COUNT.size
        if count != 1:
            raise ProtocolError(f"{count} records in the reply to a one-key get")
        return None  # one record whose header has not all arrived


class CountReplyParser(FrameParser):
    """``magic, u32 count`` (set_bulk / remove_bulk reply); result is the count.  Keeps no state
    between calls: one instance can serve every request."""

    def __init__(self, magic: int) -> None:
        self.magic = magic
        self._one = _COUNT.pack(magic, 1)

    def parse(self, data: BytesLike) -> Optional[int]:
        if data == self._one:  # the usual answer to a one-record request, arrived alone
            self.result = 1
            return 5
        if len(data) >= 5:
            magic, count = _unpack_count(data)
            if magic == self.magic:
                self.result = count
                return 5
        elif not data:
            return None
        first = data[0]
        if first == MAGIC_ERROR:
            self.result = _ERROR
            return 1
        if first != self.magic:
            raise ProtocolError(
                f"unexpected reply magic 0x{first:02x}, expected 0x{self.magic:02x}")
        return None  # the count has not all arrived


class AcceptReplyParser(FrameParser):
    """A single ``magic`` byte (replication accepted) or ``0xBF``."""

    def __init__(self, magic: int) -> None:
        self.magic = magic

    def parse(self, data: memoryview) -> Optional[int]:
        if not data:
            return None
        first = data[0]
        if first == MAGIC_ERROR:
            self.result = _ERROR
        elif first == self.magic:
            self.result = True
        else:
            raise ProtocolError(
                f"unexpected reply magic 0x{first:02x}, expected 0x{self.magic:02x}")
        return 1


_Make = Callable[[Tuple[int, ...], bytes, bytes], Any]


class _RecordList(FrameParser):
    """``head`` then ``count`` records ``rec_struct`` + key (+ value), walked once, resumably.

    :param head: struct of the frame head, magic first.
    :param count_index: index of the record count in the unpacked head.
    :param name_index: index of a name length in the head whose bytes follow it (or None).
    :param rec: struct of each record header; its fields ``ksiz_index``/``vsiz_index`` hold
        the key and value lengths (``vsiz_index`` None: key only).
    :param make: builds an item from the record header, key and value.
    :param max_size: largest key / value / name accepted (a bigger one is a protocol error).
    """

    def __init__(
        self,
        magic: int,
        head: struct.Struct,
        count_index: int,
        rec: struct.Struct,
        ksiz_index: int,
        vsiz_index: Optional[int],
        make: _Make,
        name_index: Optional[int] = None,
        accept_error: bool = True,
        max_size: int = DATA_MAX_SIZE,
    ) -> None:
        self.magic = magic
        self._head = head
        self._count_index = count_index
        self._name_index = name_index
        self._rec = rec
        self._ksiz_index = ksiz_index
        self._vsiz_index = vsiz_index
        self._make = make
        self._accept_error = accept_error
        self._max = max_size
        self.head: Optional[Tuple[int, ...]] = None
        self.name = b""
        self.items: List[Any] = []
        self._pos = 0
        self._left = 0

    def _check_size(self, size: int, what: str) -> None:
        if size > self._max:
            raise ProtocolError(f"{what} of {size} bytes exceeds the limit of {self._max}")

    def parse(self, data: memoryview) -> Optional[int]:
        if self.head is None:
            if not data:
                return None
            first = data[0]
            if first == MAGIC_ERROR and self._accept_error:
                self.result = _ERROR
                return 1
            if first != self.magic:
                raise ProtocolError(
                    f"unexpected magic 0x{first:02x}, expected 0x{self.magic:02x}"
                )
            head_size = self._head.size
            if len(data) < head_size:
                return None
            head = self._head.unpack_from(data)
            pos = head_size
            if self._name_index is not None:
                nsiz = head[self._name_index]
                self._check_size(nsiz, "name")
                if len(data) < pos + nsiz:
                    return None
                self.name = bytes(data[pos : pos + nsiz])
                pos += nsiz
            self.head = head
            self._left = head[self._count_index]
            self._pos = pos
        rec = self._rec
        rec_size = rec.size
        unpack = rec.unpack_from
        ki, vi = self._ksiz_index, self._vsiz_index
        limit = self._max
        make = self._make
        full_records = make is _db_key_value_xt
        cached = _KV_STRUCTS.get
        append = self.items.append
        pos = self._pos
        left = self._left
        end = len(data)
        try:
            while left:
                if end - pos < rec_size:
                    return None
                fields = unpack(data, pos)
                ksiz = fields[ki]
                vsiz = fields[vi] if vi is not None else 0
                if ksiz > limit or vsiz > limit:
                    self._check_size(max(ksiz, vsiz), "record field")
                start = pos + rec_size
                stop = start + ksiz + vsiz
                if stop > end:
                    return None
                key, value = (cached((ksiz, vsiz)) or _key_value_struct(ksiz, vsiz)
                              ).unpack_from(data, start)
                if full_records:  # the get_bulk / set_bulk shape, built inline
                    append((fields[0], key, value, fields[3]))
                else:
                    append(make(fields, key, value))
                pos = stop
                left -= 1
        finally:
            self._pos = pos
            self._left = left
        self.result = self.items
        return pos


_KV_STRUCTS: Dict[Tuple[int, int], struct.Struct] = {}


def _key_value_struct(ksiz: int, vsiz: int) -> struct.Struct:
    """A struct reading a ``ksiz``-byte key and a ``vsiz``-byte value as bytes (cached: the
    records of one reply tend to share their sizes)."""
    found = _KV_STRUCTS.get((ksiz, vsiz))
    if found is None:
        if len(_KV_STRUCTS) >= 4096:
            _KV_STRUCTS.clear()
        found = _KV_STRUCTS[(ksiz, vsiz)] = struct.Struct(f"{ksiz}s{vsiz}s")
    return found


def _db_key_value_xt(fields: Tuple[int, ...], key: bytes, value: bytes) -> Any:
    return (fields[0], key, value, fields[3])


def _key_value(fields: Tuple[int, ...], key: bytes, value: bytes) -> Any:
    return (key, value)


def _db_key(fields: Tuple[int, ...], key: bytes, value: bytes) -> Any:
    return (fields[0], key)


class GetBulkReplyParser(_RecordList):
    """``0xBA`` reply; result is a list of ``(dbidx, key, value, xt)``."""

    def __init__(self) -> None:
        super().__init__(MAGIC_GET_BULK, _COUNT, 1, _DB_KV_XT, 1, 2, _db_key_value_xt,
                         max_size=1 << 32)


class PlayScriptReplyParser(_RecordList):
    """``0xB4`` reply; result is a list of ``(key, value)``."""

    def __init__(self) -> None:
        super().__init__(MAGIC_PLAY_SCRIPT, _COUNT, 1, _KV, 0, 1, _key_value, max_size=1 << 32)


# -- server side: requests -------------------------------------------------------------------


class SetBulkRequest:
    __slots__ = ("flags", "records")

    def __init__(self, flags: int, records: List[Tuple[int, bytes, bytes, int]]) -> None:
        self.flags = flags
        self.records = records


class RemoveBulkRequest:
    __slots__ = ("flags", "records")

    def __init__(self, flags: int, records: List[Tuple[int, bytes]]) -> None:
        self.flags = flags
        self.records = records


class GetBulkRequest:
    __slots__ = ("flags", "records")

    def __init__(self, flags: int, records: List[Tuple[int, bytes]]) -> None:
        self.flags = flags
        self.records = records


class PlayScriptRequest:
    __slots__ = ("flags", "name", "items")

    def __init__(self, flags: int, name: bytes, items: List[Tuple[bytes, bytes]]) -> None:
        self.flags = flags
        self.name = name
        self.items = items


class ReplicationRequest:
    __slots__ = ("flags", "ts", "sid")

    def __init__(self, flags: int, ts: int, sid: int) -> None:
        self.flags = flags
        self.ts = ts
        self.sid = sid


AnyRequest = Union[SetBulkRequest, RemoveBulkRequest, GetBulkRequest, PlayScriptRequest,
                   ReplicationRequest]


def _request_list(magic: int) -> _RecordList:
    if magic == MAGIC_SET_BULK:
        return _RecordList(magic, _HEAD, 2, _DB_KV_XT, 1, 2, _db_key_value_xt,
                           accept_error=False)
    if magic in (MAGIC_REMOVE_BULK, MAGIC_GET_BULK):
        return _RecordList(magic, _HEAD, 2, _DB_KEY, 1, None, _db_key, accept_error=False)
    if magic == MAGIC_PLAY_SCRIPT:
        return _RecordList(magic, _HEAD_SCRIPT, 3, _KV, 0, 1, _key_value, name_index=2,
                           accept_error=False)
    raise ProtocolError(f"unknown binary command magic 0x{magic:02x}")


class RequestParser(FrameParser):
    """One binary request (server side); result is a ``*Request`` object.

    Raises :class:`~txkv.errors.ProtocolError` for an unknown magic or an oversize field.
    """

    def __init__(self) -> None:
        self._inner: Optional[_RecordList] = None

    def parse(self, data: memoryview) -> Optional[int]:
        if not data:
            return None
        magic = data[0]
        if magic == MAGIC_REPLICATION:
            if len(data) < _REPL_REQ.size:
                return None
            _, flags, ts, sid = _REPL_REQ.unpack_from(data)
            self.result = ReplicationRequest(flags, ts, sid)
            return _REPL_REQ.size
        if self._inner is None:
            self._inner = _request_list(magic)
        inner = self._inner
        consumed = inner.parse(data)
        if consumed is None:
            return None
        assert inner.head is not None
        flags = inner.head[1]
        if magic == MAGIC_SET_BULK:
            self.result = SetBulkRequest(flags, inner.items)
        elif magic == MAGIC_REMOVE_BULK:
            self.result = RemoveBulkRequest(flags, inner.items)
        elif magic == MAGIC_GET_BULK:
            self.result = GetBulkRequest(flags, inner.items)
        else:
            self.result = PlayScriptRequest(flags, inner.name, inner.items)
        return consumed


class ReplicationStreamParser:
    """Messages of a replication stream (client side) after the accept byte.

    :meth:`parse` returns ``(consumed, message)`` or None, where message is
    ``("log", ts, body)`` or ``("nop", ts, b"")``.
    """

    def parse(self, data: memoryview) -> Optional[Tuple[int, Tuple[str, int, bytes]]]:
        if not data:
            return None
        magic = data[0]
        if magic == MAGIC_NOP:
            if len(data) < _REPL_NOP.size:
                return None
            return _REPL_NOP.size, ("nop", _REPL_NOP.unpack_from(data)[1], b"")
        if magic == MAGIC_REPLICATION:
            if len(data) < _REPL_LOG.size:
                return None
            _, ts, size = _REPL_LOG.unpack_from(data)
            end = _REPL_LOG.size + size
            if len(data) < end:
                return None
            return end, ("log", ts, bytes(data[_REPL_LOG.size : end]))
        if magic == MAGIC_ERROR:
            raise ProtocolError("server reported an error on the replication stream")
        raise ProtocolError(f"unexpected replication message magic 0x{magic:02x}")


def db_keys(db: int, keys: Iterable[bytes]) -> List[Tuple[int, bytes]]:
    """``[(db, key), ...]`` for one database."""
    return [(db, k) for k in keys]
