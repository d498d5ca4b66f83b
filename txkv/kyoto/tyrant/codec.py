"""Tokyo Tyrant binary protocol, sans-IO: request frames, reply frames, both directions.

Every request is ``0xC8, command id, fixed header, variable fields``; integers are big-endian.
Replies carry no request id and their shape depends on the command, so a reply parser is built
from the pending request's *reply kind* (:data:`REPLY_KIND`).  ``putnr`` has no reply at all.

Client side: ``encode_*`` request builders and :class:`ReplyParser`.
Server side: :class:`RequestParser` (one :class:`Request` per frame) and ``reply_*`` builders.
Also here: the adddouble fixed-point wire form (:func:`pack_double` / :func:`unpack_double`)
and the table-database record form (:func:`encode_table` / :func:`decode_table`).
"""

from __future__ import annotations

import struct
from typing import Any, Dict, Iterable, List, Mapping, NamedTuple, Optional, Sequence, Tuple

from txkv.errors import ProtocolError
from txkv.kyoto.kt_values import INT64_MAX, INT64_MIN, join_double, split_double

__all__ = [
    "MAGIC",
    "Cmd",
    "REPLY_KIND",
    "COMMAND_NAMES",
    "MAX_ARG_SIZE",
    "MAX_ARG_NUM",
    "MAX_NAME_SIZE",
    "Reply",
    "ReplyParser",
    "Request",
    "RequestParser",
    "pack_double",
    "unpack_double",
    "INT64_MAX",
    "INT64_MIN",
    "encode_table",
    "decode_table",
]

MAGIC = 0xC8
MAX_ARG_SIZE = 256 << 20  # ttserver MAXARGSIZ
MAX_ARG_NUM = 1 << 20  # ttserver MAXARGNUM
MAX_NAME_SIZE = 1024  # ext/misc function names are shorter than this
TRILLION = 1_000_000_000_000


class Cmd:
    """Command ids (``TTCMD*``)."""

    PUT = 0x10
    PUTKEEP = 0x11
    PUTCAT = 0x12
    PUTSHL = 0x13
    PUTNR = 0x18
    OUT = 0x20
    GET = 0x30
    MGET = 0x31
    VSIZ = 0x38
    ITERINIT = 0x50
    ITERNEXT = 0x51
    FWMKEYS = 0x58
    ADDINT = 0x60
    ADDDOUBLE = 0x61
    EXT = 0x68
    SYNC = 0x70
    OPTIMIZE = 0x71
    VANISH = 0x72
    COPY = 0x73
    RESTORE = 0x74
    SETMST = 0x78
    RNUM = 0x80
    SIZE = 0x81
    STAT = 0x88
    MISC = 0x90
    REPL = 0xA0


COMMAND_NAMES: Dict[int, str] = {
    getattr(Cmd, name): name.lower() for name in dir(Cmd) if name.isupper()
}

# Reply kinds: how the bytes after the code byte look.
CODE = "code"  # [code]
VALUE = "value"  # [0][len:4][bytes] | [1]
INT32 = "int32"  # [0][n:4] | [1]       (vsiz, addint)
DOUBLE = "double"  # [0][i:8][f:8] | [1]
LONG = "long"  # [0][n:8]              (rnum, size)
PAIRS = "pairs"  # [0][n:4]{[k:4][v:4][k][v]}   (mget)
KEYS = "keys"  # [0][n:4]{[k:4][k]}         (fwmkeys)
MISC = "misc"  # [code][n:4]{[e:4][e]}     always with the count
NONE = "none"  # no reply (putnr)

REPLY_KIND: Dict[int, str] = {
    Cmd.PUT: CODE, Cmd.PUTKEEP: CODE, Cmd.PUTCAT: CODE, Cmd.PUTSHL: CODE, Cmd.PUTNR: NONE,
    Cmd.OUT: CODE, Cmd.GET: VALUE, Cmd.MGET: PAIRS, Cmd.VSIZ: INT32, Cmd.ITERINIT: CODE,
    Cmd.ITERNEXT: VALUE, Cmd.FWMKEYS: KEYS, Cmd.ADDINT: INT32, Cmd.ADDDOUBLE: DOUBLE,
    Cmd.EXT: VALUE, Cmd.SYNC: CODE, Cmd.OPTIMIZE: CODE, Cmd.VANISH: CODE, Cmd.COPY: CODE,
    Cmd.RESTORE: CODE, Cmd.SETMST: CODE, Cmd.RNUM: LONG, Cmd.SIZE: LONG, Cmd.STAT: VALUE,
    Cmd.MISC: MISC,
}

_U32 = struct.Struct(">I")
_I32 = struct.Struct(">i")
_U64 = struct.Struct(">Q")
_Q2 = struct.Struct(">qq")
_HDR = struct.Struct(">BB")
_HDR_I = struct.Struct(">BBI")
_HDR_II = struct.Struct(">BBII")
_HDR_Ii = struct.Struct(">BBIi")
_HDR_III = struct.Struct(">BBIII")
_HDR_IIII = struct.Struct(">BBIIII")
_HDR_Iqq = struct.Struct(">BBIqq")
_HDR_IQI = struct.Struct(">BBIQI")
_HDR_IIQI = struct.Struct(">BBIIQI")
_II = struct.Struct(">II")
_III = struct.Struct(">III")
_IIII = struct.Struct(">IIII")
_Iqq = struct.Struct(">Iqq")
_IQI = struct.Struct(">IQI")
_IIQI = struct.Struct(">IIQI")
_CODE_U32 = struct.Struct(">BI")
_CODE_U64 = struct.Struct(">BQ")
_CODE_qq = struct.Struct(">Bqq")
_CODE_i = struct.Struct(">Bi")


# -- numbers --------------------------------------------------------------------------------


def pack_double(value: float) -> Tuple[int, int]:
    """The wire form of a double: ``(integral, fraction * 10**12)``, both carrying the sign."""
    return split_double(value, TRILLION)


def unpack_double(integ: int, fract: int) -> float:
    """Inverse of :func:`pack_double`."""
    return join_double(integ, fract, TRILLION)


# -- table records --------------------------------------------------------------------------


def encode_table(columns: Mapping[bytes, bytes]) -> bytes:
    """A table record: ``name\\0value\\0`` for each column (trailing NUL included)."""
    out = bytearray()
    for name, value in columns.items():
        if b"\0" in name or b"\0" in value:
            raise ValueError("table column names and values cannot contain NUL bytes")
        out += name
        out += b"\0"
        out += value
        out += b"\0"
    return bytes(out)


def decode_table(data: bytes) -> Dict[bytes, bytes]:
    """Columns of a table record (a trailing NUL is optional; an odd last token is dropped)."""
    parts = bytes(data).split(b"\0")
    if parts and parts[-1] == b"" and len(parts) % 2 == 1:
        parts.pop()
    return dict(zip(parts[0::2], parts[1::2]))


def table_pairs(data: bytes) -> List[Tuple[bytes, bytes]]:
    """Columns of a NUL-joined row in order (keeps duplicate names, e.g. ``""`` for the key)."""
    parts = bytes(data).split(b"\0")
    if parts and parts[-1] == b"" and len(parts) % 2 == 1:
        parts.pop()
    return list(zip(parts[0::2], parts[1::2]))


# -- client: requests -----------------------------------------------------------------------


def _size(data: bytes) -> int:
    n = len(data)
    if n > MAX_ARG_SIZE:
        raise ValueError(f"argument of {n} bytes exceeds the {MAX_ARG_SIZE}-byte limit")
    return n


def encode_simple(cmd: int) -> bytes:
    """A request without arguments (iterinit, iternext, sync, vanish, rnum, size, stat)."""
    return _HDR.pack(MAGIC, cmd)


def encode_key_value(cmd: int, key: bytes, value: bytes) -> bytes:
    """put / putkeep / putcat / putnr."""
    return _HDR_II.pack(MAGIC, cmd, _size(key), _size(value)) + key + value


def encode_putshl(key: bytes, value: bytes, width: int) -> bytes:
    if width < 0:
        raise ValueError("putshl width must be >= 0")
    return _HDR_III.pack(MAGIC, Cmd.PUTSHL, _size(key), _size(value), width) + key + value


def encode_key(cmd: int, key: bytes) -> bytes:
    """out / get / vsiz, and optimize / copy (whose one argument is a string)."""
    return _HDR_I.pack(MAGIC, cmd, _size(key)) + key


def encode_mget(keys: Sequence[bytes]) -> bytes:
    parts = [_HDR_I.pack(MAGIC, Cmd.MGET, len(keys))]
    for key in keys:
        parts.append(_U32.pack(_size(key)))
        parts.append(key)
    return b"".join(parts)


def encode_fwmkeys(prefix: bytes, max_keys: Optional[int]) -> bytes:
    """``max_keys`` None (or negative) = unlimited, sent as ``0xFFFFFFFF``."""
    limit = 0xFFFFFFFF if max_keys is None or max_keys < 0 else min(max_keys, 0x7FFFFFFF)
    return _HDR_II.pack(MAGIC, Cmd.FWMKEYS, _size(prefix), limit) + prefix


def encode_addint(key: bytes, num: int) -> bytes:
    return _HDR_Ii.pack(MAGIC, Cmd.ADDINT, _size(key), num) + key


def encode_adddouble(key: bytes, num: float) -> bytes:
    integ, fract = pack_double(num)
    return _HDR_Iqq.pack(MAGIC, Cmd.ADDDOUBLE, _size(key), integ, fract) + key


def encode_ext(name: bytes, key: bytes, value: bytes, opts: int = 0) -> bytes:
    header = _HDR_IIII.pack(MAGIC, Cmd.EXT, len(name), opts, _size(key), _size(value))
    return header + name + key + value


def encode_restore(path: bytes, ts: int, opts: int = 0) -> bytes:
    return _HDR_IQI.pack(MAGIC, Cmd.RESTORE, _size(path), ts, opts) + path


def encode_setmst(host: bytes, port: int, ts: int, opts: int = 0) -> bytes:
    return _HDR_IIQI.pack(MAGIC, Cmd.SETMST, _size(host), port, ts, opts) + host


def encode_misc(name: bytes, args: Sequence[bytes], opts: int = 0) -> bytes:
    parts = [_HDR_III.pack(MAGIC, Cmd.MISC, len(name), opts, len(args)), name]
    for arg in args:
        parts.append(_U32.pack(_size(arg)))
        parts.append(arg)
    return b"".join(parts)


# -- client: replies ------------------------------------------------------------------------


class Reply(NamedTuple):
    """A parsed reply: ``code`` (0 = success) and ``data`` (None when the reply was code-only).

    ``data`` by kind: VALUE -> bytes; INT32 -> int; DOUBLE -> float; LONG -> int;
    PAIRS -> list of (key, value); KEYS and MISC -> list of bytes.
    """

    code: int
    data: Any

    @property
    def ok(self) -> bool:
        return self.code == 0


class ReplyParser:
    """Parses one reply of a known kind, incrementally.

    :meth:`parse` is called with a view that starts at the reply's first byte and may hold
    only part of it; it returns the number of bytes the reply took once complete (then
    :attr:`result` is set), or None when more bytes are needed.  List replies remember how far
    they got, so a large reply arriving in many chunks is walked once.
    """

    __slots__ = ("kind", "result", "_pos", "_left", "_items", "_code")

    def __init__(self, kind: str) -> None:
        if kind not in _SCALAR_PARSERS and kind not in (PAIRS, KEYS, MISC):
            raise ValueError(f"no reply parser for kind {kind!r}")
        self.kind = kind
        self.result: Optional[Reply] = None
        self._pos = 0
        self._left = -1
        self._items: List[Any] = []
        self._code = 0

    def parse(self, view: memoryview) -> Optional[int]:
        if not view:
            return None
        if self.kind in _SCALAR_PARSERS:
            got = _SCALAR_PARSERS[self.kind](view)
            if got is not None:
                self.result = got[1]
                return got[0]
            return None
        return self._parse_list(view)

    def _parse_list(self, view: memoryview) -> Optional[int]:
        end = len(view)
        if self._left < 0:
            code = view[0]
            if code != 0 and self.kind != MISC:
                self.result = Reply(code, None)
                return 1
            if end < 5:
                return None
            (count,) = _U32.unpack_from(view, 1)
            if count > MAX_ARG_NUM:
                raise ProtocolError(f"reply announces {count} elements")
            self._code = code
            self._left = count
            self._pos = 5
        pos = self._pos
        items = self._items
        pairs = self.kind == PAIRS
        while self._left:
            if pairs:
                if end - pos < 8:
                    break
                ksiz, vsiz = _II.unpack_from(view, pos)
                stop = pos + 8 + ksiz + vsiz
                if stop > end:
                    break
                kstart = pos + 8
                items.append((bytes(view[kstart:kstart + ksiz]), bytes(view[kstart + ksiz:stop])))
            else:
                if end - pos < 4:
                    break
                (size,) = _U32.unpack_from(view, pos)
                stop = pos + 4 + size
                if stop > end:
                    break
                items.append(bytes(view[pos + 4:stop]))
            pos = stop
            self._left -= 1
        self._pos = pos
        if self._left:
            return None
        self.result = Reply(self._code, items)
        return pos


def _parse_code(view: memoryview) -> Optional[Tuple[int, Reply]]:
    return 1, Reply(view[0], None)


def _parse_value(view: memoryview) -> Optional[Tuple[int, Reply]]:
    code = view[0]
    if code:
        return 1, Reply(code, None)
    if len(view) < 5:
        return None
    (size,) = _U32.unpack_from(view, 1)
    if size > MAX_ARG_SIZE:
        raise ProtocolError(f"reply announces a {size}-byte value")
    stop = 5 + size
    if len(view) < stop:
        return None
    return stop, Reply(0, bytes(view[5:stop]))


def _parse_int32(view: memoryview) -> Optional[Tuple[int, Reply]]:
    code = view[0]
    if code:
        return 1, Reply(code, None)
    if len(view) < 5:
        return None
    return 5, Reply(0, _CODE_i.unpack_from(view)[1])


def _parse_long(view: memoryview) -> Optional[Tuple[int, Reply]]:
    code = view[0]
    if code:
        return 1, Reply(code, None)
    if len(view) < 9:
        return None
    return 9, Reply(0, _CODE_U64.unpack_from(view)[1])


def _parse_double(view: memoryview) -> Optional[Tuple[int, Reply]]:
    code = view[0]
    if code:
        return 1, Reply(code, None)
    if len(view) < 17:
        return None
    _, integ, fract = _CODE_qq.unpack_from(view)
    return 17, Reply(0, unpack_double(integ, fract))


_SCALAR_PARSERS = {
    CODE: _parse_code,
    VALUE: _parse_value,
    INT32: _parse_int32,
    LONG: _parse_long,
    DOUBLE: _parse_double,
}


# -- server: requests -----------------------------------------------------------------------


class Request(NamedTuple):
    """A parsed request: the command id and its fields (meaning per command, see below).

    put/putkeep/putcat/putnr: (key, value); putshl: (key, value, width); out/get/vsiz: (key,);
    mget: (keys,); fwmkeys: (prefix, max); addint: (key, num); adddouble: (key, float);
    ext: (name, opts, key, value); optimize/copy: (text,); restore: (path, ts, opts);
    setmst: (host, port, ts, opts); misc: (name, opts, args); repl: (ts, sid); others: ().
    """

    cmd: int
    args: Tuple[Any, ...]

    @property
    def name(self) -> str:
        return COMMAND_NAMES.get(self.cmd, f"0x{self.cmd:02x}")


def _check_size(n: int, what: str) -> int:
    # ttserver reads uint32 and treats it as int: >= 2**31 is negative, hence invalid.
    if n > MAX_ARG_SIZE:
        raise ProtocolError(f"{what} size {n} is out of range")
    return n


def _check_count(n: int, what: str) -> int:
    if n > MAX_ARG_NUM:
        raise ProtocolError(f"{what} count {n} is out of range")
    return n


class RequestParser:
    """Splits a server's input into :class:`Request` objects.

    :meth:`parse` takes a view starting at a frame boundary and returns ``(consumed, request)``
    or None when the frame is incomplete; it raises :class:`~txkv.errors.ProtocolError` for
    a bad magic byte, an unknown command or an invalid size (ttserver then closes silently).
    """

    def parse(self, view: memoryview) -> Optional[Tuple[int, Request]]:
        if not view:
            return None
        if view[0] != MAGIC:
            raise ProtocolError(f"bad magic byte 0x{view[0]:02x} (only the binary protocol is "
                                "served)")
        if len(view) < 2:
            return None
        cmd = view[1]
        handler = _REQUEST_PARSERS.get(cmd)
        if handler is None:
            raise ProtocolError(f"unknown command 0x{cmd:02x}")
        got = handler(view, 2)
        if got is None:
            return None
        end, args = got
        return end, Request(cmd, args)


_Parsed = Optional[Tuple[int, Tuple[Any, ...]]]


def _req_none(view: memoryview, pos: int) -> _Parsed:
    return pos, ()


def _req_key_value(view: memoryview, pos: int) -> _Parsed:
    if len(view) < pos + 8:
        return None
    ksiz, vsiz = _II.unpack_from(view, pos)
    _check_size(ksiz, "key")
    _check_size(vsiz, "value")
    start = pos + 8
    end = start + ksiz + vsiz
    if len(view) < end:
        return None
    return end, (bytes(view[start:start + ksiz]), bytes(view[start + ksiz:end]))


def _req_putshl(view: memoryview, pos: int) -> _Parsed:
    if len(view) < pos + 12:
        return None
    ksiz, vsiz, width = _III.unpack_from(view, pos)
    _check_size(ksiz, "key")
    _check_size(vsiz, "value")
    if width >= 1 << 31:
        raise ProtocolError(f"putshl width {width - (1 << 32)} is negative")
    start = pos + 12
    end = start + ksiz + vsiz
    if len(view) < end:
        return None
    return end, (bytes(view[start:start + ksiz]), bytes(view[start + ksiz:end]), width)


def _req_key(view: memoryview, pos: int) -> _Parsed:
    if len(view) < pos + 4:
        return None
    (ksiz,) = _U32.unpack_from(view, pos)
    _check_size(ksiz, "argument")
    end = pos + 4 + ksiz
    if len(view) < end:
        return None
    return end, (bytes(view[pos + 4:end]),)


def _req_list(view: memoryview, pos: int, count: int) -> Optional[Tuple[int, List[bytes]]]:
    items: List[bytes] = []
    end = len(view)
    for _ in range(count):
        if end - pos < 4:
            return None
        (size,) = _U32.unpack_from(view, pos)
        _check_size(size, "argument")
        stop = pos + 4 + size
        if stop > end:
            return None
        items.append(bytes(view[pos + 4:stop]))
        pos = stop
    return pos, items


def _req_mget(view: memoryview, pos: int) -> _Parsed:
    if len(view) < pos + 4:
        return None
    (count,) = _U32.unpack_from(view, pos)
    _check_count(count, "mget key")
    got = _req_list(view, pos + 4, count)
    if got is None:
        return None
    return got[0], (got[1],)


def _req_fwmkeys(view: memoryview, pos: int) -> _Parsed:
    if len(view) < pos + 8:
        return None
    psiz, limit = _II.unpack_from(view, pos)
    _check_size(psiz, "prefix")
    end = pos + 8 + psiz
    if len(view) < end:
        return None
    if limit >= 1 << 31:
        limit -= 1 << 32  # negative = unlimited
    return end, (bytes(view[pos + 8:end]), limit)


def _req_addint(view: memoryview, pos: int) -> _Parsed:
    if len(view) < pos + 8:
        return None
    (ksiz,) = _U32.unpack_from(view, pos)
    _check_size(ksiz, "key")
    (num,) = _I32.unpack_from(view, pos + 4)
    end = pos + 8 + ksiz
    if len(view) < end:
        return None
    return end, (bytes(view[pos + 8:end]), num)


def _req_adddouble(view: memoryview, pos: int) -> _Parsed:
    if len(view) < pos + 20:
        return None
    ksiz, integ, fract = _Iqq.unpack_from(view, pos)
    _check_size(ksiz, "key")
    end = pos + 20 + ksiz
    if len(view) < end:
        return None
    return end, (bytes(view[pos + 20:end]), unpack_double(integ, fract))


def _req_ext(view: memoryview, pos: int) -> _Parsed:
    if len(view) < pos + 16:
        return None
    nsiz, opts, ksiz, vsiz = _IIII.unpack_from(view, pos)
    if nsiz >= MAX_NAME_SIZE:
        raise ProtocolError(f"function name size {nsiz} is out of range")
    _check_size(ksiz, "key")
    _check_size(vsiz, "value")
    start = pos + 16
    kstart = start + nsiz
    vstart = kstart + ksiz
    end = vstart + vsiz
    if len(view) < end:
        return None
    return end, (bytes(view[start:kstart]), opts, bytes(view[kstart:vstart]),
                 bytes(view[vstart:end]))


def _req_restore(view: memoryview, pos: int) -> _Parsed:
    if len(view) < pos + 16:
        return None
    psiz, ts, opts = _IQI.unpack_from(view, pos)
    _check_size(psiz, "path")
    end = pos + 16 + psiz
    if len(view) < end:
        return None
    return end, (bytes(view[pos + 16:end]), ts, opts)


def _req_setmst(view: memoryview, pos: int) -> _Parsed:
    if len(view) < pos + 20:
        return None
    hsiz, port, ts, opts = _IIQI.unpack_from(view, pos)
    _check_size(hsiz, "host")
    end = pos + 20 + hsiz
    if len(view) < end:
        return None
    return end, (bytes(view[pos + 20:end]), port, ts, opts)


def _req_misc(view: memoryview, pos: int) -> _Parsed:
    if len(view) < pos + 12:
        return None
    nsiz, opts, argc = _III.unpack_from(view, pos)
    if nsiz >= MAX_NAME_SIZE:
        raise ProtocolError(f"function name size {nsiz} is out of range")
    _check_count(argc, "misc argument")
    start = pos + 12
    if len(view) < start + nsiz:
        return None
    name = bytes(view[start:start + nsiz])
    got = _req_list(view, start + nsiz, argc)
    if got is None:
        return None
    return got[0], (name, opts, got[1])


def _req_repl(view: memoryview, pos: int) -> _Parsed:
    if len(view) < pos + 12:
        return None
    ts, sid = struct.unpack_from(">QI", view, pos)
    return pos + 12, (ts, sid)


_REQUEST_PARSERS = {
    Cmd.PUT: _req_key_value, Cmd.PUTKEEP: _req_key_value, Cmd.PUTCAT: _req_key_value,
    Cmd.PUTSHL: _req_putshl, Cmd.PUTNR: _req_key_value, Cmd.OUT: _req_key, Cmd.GET: _req_key,
    Cmd.MGET: _req_mget, Cmd.VSIZ: _req_key, Cmd.ITERINIT: _req_none, Cmd.ITERNEXT: _req_none,
    Cmd.FWMKEYS: _req_fwmkeys, Cmd.ADDINT: _req_addint, Cmd.ADDDOUBLE: _req_adddouble,
    Cmd.EXT: _req_ext, Cmd.SYNC: _req_none, Cmd.OPTIMIZE: _req_key, Cmd.VANISH: _req_none,
    Cmd.COPY: _req_key, Cmd.RESTORE: _req_restore, Cmd.SETMST: _req_setmst,
    Cmd.RNUM: _req_none, Cmd.SIZE: _req_none, Cmd.STAT: _req_none, Cmd.MISC: _req_misc,
    Cmd.REPL: _req_repl,
}


# -- server: replies ------------------------------------------------------------------------

OK = b"\x00"
FAIL = b"\x01"
MISC_FAIL = b"\x01\x00\x00\x00\x00"


def reply_code(ok: bool) -> bytes:
    return OK if ok else FAIL


def reply_value(value: Optional[bytes]) -> bytes:
    """get / iternext / ext / stat: ``[0][len][value]`` or ``[1]`` when None."""
    if value is None:
        return FAIL
    return _CODE_U32.pack(0, len(value)) + value


def reply_int32(num: Optional[int]) -> bytes:
    """vsiz / addint: ``[0][n:4]`` or ``[1]`` when None."""
    if num is None:
        return FAIL
    return _CODE_i.pack(0, num)


def reply_long(num: int) -> bytes:
    """rnum / size."""
    return _CODE_U64.pack(0, num)


def reply_double(num: Optional[float]) -> bytes:
    if num is None:
        return FAIL
    integ, fract = pack_double(num)
    return _CODE_qq.pack(0, integ, fract)


def reply_pairs(pairs: Iterable[Tuple[bytes, bytes]]) -> bytes:
    """mget: ``[0][count]{[ksiz][vsiz][key][value]}``."""
    parts = [b""]
    count = 0
    for key, value in pairs:
        parts.append(_II.pack(len(key), len(value)))
        parts.append(key)
        parts.append(value)
        count += 1
    parts[0] = _CODE_U32.pack(0, count)
    return b"".join(parts)


def _reply_list(code: int, items: Sequence[bytes]) -> bytes:
    parts = [_CODE_U32.pack(code, len(items))]
    for item in items:
        parts.append(_U32.pack(len(item)))
        parts.append(item)
    return b"".join(parts)


def reply_keys(keys: Sequence[bytes]) -> bytes:
    """fwmkeys: ``[0][count]{[ksiz][key]}``."""
    return _reply_list(0, keys)


def reply_misc(items: Optional[Sequence[bytes]]) -> bytes:
    """misc: ``[0][count]{[esiz][elem]}``; None = failure ``01 00 00 00 00``."""
    if items is None:
        return MISC_FAIL
    return _reply_list(0, items)
