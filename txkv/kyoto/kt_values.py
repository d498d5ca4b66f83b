"""Kyoto Tycoon value formats, sans-IO: expiration times, stored numbers, KC varnum / mapdump,
and update-log bodies.

* expiration (``xt``): clients send relative seconds (>= 0) or ``-absolute`` epoch seconds; the
  server stores an absolute time, ``XT_MAX`` meaning "never".
* ``increment`` stores an 8-byte big-endian int64; ``increment_double`` stores two big-endian
  int64s: the integral part and the fraction times 10**15.
"""

from __future__ import annotations

import datetime
import math
import struct
import time
from typing import Any, Dict, Iterable, List, Optional, Tuple, Union

from txkv.errors import ParameterError, ProtocolError
from txkv.kyoto.kt_codec import XT_MAX, XT_NONE

__all__ = [
    "XT_CUTOFF",
    "convert_xt",
    "normalize_xt",
    "pack_int",
    "unpack_int",
    "pack_double",
    "unpack_double",
    "format_double",
    "encode_varnum",
    "decode_varnum",
    "mapdump",
    "mapload",
    "arraydump",
    "arrayload",
    "OP_SET",
    "OP_REMOVE",
    "OP_CLEAR",
    "encode_ulog",
    "decode_ulog",
    "UpdateLog",
]

INT64_MAX = (1 << 63) - 1
INT64_MIN = -(1 << 63)
DEC_UNIT = 10**15
XT_CUTOFF = 86400 * 180  # numbers at or above this are absolute UNIX times (ukt's rule)

_INT64 = struct.Struct(">q")
_DOUBLE = struct.Struct(">qq")
_XT5 = struct.Struct(">Q")  # 5-byte xt read through 3 zero bytes
_ULOG_HEAD = struct.Struct(">HHB")

ExpireTime = Union[None, int, float, datetime.datetime, datetime.timedelta]


def convert_xt(expire_time: ExpireTime) -> Optional[int]:
    """The ``xt`` to send for a user's expiration time; None means "no expiration".

    ``datetime`` -> absolute; ``timedelta`` -> relative seconds; a number at or above 180 days of
    seconds is taken as a UNIX timestamp (absolute), a smaller one as relative seconds.
    """
    if expire_time is None:
        return None
    if isinstance(expire_time, datetime.datetime):
        return -int(time.mktime(expire_time.timetuple()))
    if isinstance(expire_time, datetime.timedelta):
        return int(expire_time.total_seconds())
    if isinstance(expire_time, bool) or not isinstance(expire_time, (int, float)):
        raise ParameterError(f"expire_time must be a number, datetime or timedelta, "
                             f"not {type(expire_time).__name__}")
    if expire_time >= XT_CUTOFF:
        return -int(expire_time)
    return int(expire_time)


def binary_xt(expire_time: ExpireTime) -> int:
    """``xt`` for a binary set_bulk record: ``XT_NONE`` when there is no expiration."""
    xt = convert_xt(expire_time)
    return XT_NONE if xt is None else xt


def normalize_xt(xt: Optional[int], now: float) -> int:
    """Server side: absolute stored expiration for a request's ``xt`` (KT's ``modify_exptime``)."""
    if xt is None:
        return XT_MAX
    if xt < 0:
        xt = max(xt, INT64_MIN // 2)
        return min(-xt, XT_MAX)
    xt = min(xt, INT64_MAX // 2)
    return min(int(now) + xt, XT_MAX)


# -- stored numbers -----------------------------------------------------------------------


def pack_int(value: int) -> bytes:
    """The 8-byte big-endian form ``increment`` stores."""
    return _INT64.pack(value)


def unpack_int(data: bytes) -> int:
    """The int stored by ``increment``."""
    if len(data) != 8:
        raise ProtocolError(f"an incremented integer is 8 bytes, not {len(data)}")
    return int(_INT64.unpack(data)[0])


def split_double(value: float, unit: int = DEC_UNIT) -> Tuple[int, int]:
    """``(integral, fraction * unit)``, both carrying the sign: how Kyoto Tycoon
    (``unit`` 10**15) and Tokyo Tyrant (10**12) store and send a double; the fraction is
    truncated towards zero, NaN is ``(INT64_MIN, INT64_MIN)``, beyond int64 saturates."""
    if math.isnan(value):
        return INT64_MIN, INT64_MIN
    if math.isinf(value):
        return (INT64_MAX, 0) if value > 0 else (INT64_MIN, 0)
    fract, whole = math.modf(value)
    integ = int(whole)
    if not INT64_MIN <= integ <= INT64_MAX:
        return (INT64_MAX if value > 0 else INT64_MIN), 0
    return integ, int(fract * unit)


def join_double(integ: int, fract: int, unit: int = DEC_UNIT) -> float:
    """The double stored as ``(integral, fraction * unit)``."""
    if integ == INT64_MIN and fract == INT64_MIN:
        return math.nan
    if integ == INT64_MAX:
        return math.inf
    if integ == INT64_MIN:
        return -math.inf
    return integ + fract / unit


def pack_double(value: float) -> bytes:
    """The 16-byte form ``increment_double`` stores."""
    return _DOUBLE.pack(*split_double(value))


def unpack_double(data: bytes) -> float:
    """The double stored by ``increment_double``."""
    if len(data) != 16:
        raise ProtocolError(f"an incremented double is 16 bytes, not {len(data)}")
    integ, fract = _DOUBLE.unpack(data)
    return join_double(integ, fract)


def add_double(current: Tuple[int, int], num: float) -> Tuple[int, int]:
    """KT's fixed-point addition: integral and fraction parts added separately, carry up."""
    integ, fract = current
    n_integ, n_fract = split_double(num)
    integ += n_integ
    fract += n_fract
    if fract >= DEC_UNIT:
        integ += 1
        fract -= DEC_UNIT
    return integ, fract


def format_double(value: float) -> str:
    """C ``%f``: six decimals (``nan``/``inf`` spelled as C does)."""
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return f"{value:.6f}"


# -- KC varnum and map/array dumps ------------------------------------------------------------


def encode_varnum(n: int) -> bytes:
    """KC's big-endian base-128 unsigned integer (bit 7 set on every byte but the last)."""
    if n < 0:
        raise ParameterError("varnum cannot be negative")
    if n < 0x80:
        return bytes((n,))
    out = bytearray()
    out.append(n & 0x7F)
    n >>= 7
    while n:
        out.append(0x80 | (n & 0x7F))
        n >>= 7
    out.reverse()
    return bytes(out)


def decode_varnum(data: Union[bytes, memoryview], pos: int = 0) -> Tuple[int, int]:
    """``(value, next_pos)`` of the varnum at ``pos``."""
    n = 0
    end = len(data)
    while pos < end:
        b = data[pos]
        pos += 1
        n = (n << 7) | (b & 0x7F)
        if b < 0x80:
            return n, pos
    raise ProtocolError("truncated varnum")


def mapdump(items: Iterable[Tuple[bytes, bytes]]) -> bytes:
    """KT's ``kt.mapdump``: ``varnum(klen) varnum(vlen) key value`` per entry."""
    parts: List[bytes] = []
    for k, v in items:
        parts += (encode_varnum(len(k)), encode_varnum(len(v)), k, v)
    return b"".join(parts)


def mapload(data: bytes) -> Dict[bytes, bytes]:
    """Inverse of :func:`mapdump`."""
    out: Dict[bytes, bytes] = {}
    pos, end = 0, len(data)
    while pos < end:
        klen, pos = decode_varnum(data, pos)
        vlen, pos = decode_varnum(data, pos)
        if pos + klen + vlen > end:
            raise ProtocolError("truncated map dump")
        out[data[pos : pos + klen]] = data[pos + klen : pos + klen + vlen]
        pos += klen + vlen
    return out


def arraydump(items: Iterable[bytes]) -> bytes:
    """KT's ``kt.arraydump``: ``varnum(len) item`` per item."""
    parts: List[bytes] = []
    for item in items:
        parts += (encode_varnum(len(item)), item)
    return b"".join(parts)


def arrayload(data: bytes) -> List[bytes]:
    """Inverse of :func:`arraydump`."""
    out: List[bytes] = []
    pos, end = 0, len(data)
    while pos < end:
        n, pos = decode_varnum(data, pos)
        if pos + n > end:
            raise ProtocolError("truncated array dump")
        out.append(data[pos : pos + n])
        pos += n
    return out


# -- update logs -------------------------------------------------------------------------------

OP_SET = 0xA1
OP_REMOVE = 0xA2
OP_CLEAR = 0xA5


class UpdateLog:
    """One replication update log: origin ``sid``, ``db`` index, ``op`` and its record."""

    __slots__ = ("sid", "db", "op", "key", "value", "xt", "ts")

    def __init__(self, sid: int, db: int, op: int, key: Optional[bytes] = None,
                 value: Optional[bytes] = None, xt: Optional[int] = None, ts: int = 0) -> None:
        self.sid = sid
        self.db = db
        self.op = op
        self.key = key
        self.value = value
        self.xt = xt
        self.ts = ts

    def as_dict(self) -> Dict[str, Any]:
        out: Dict[str, Any] = {"sid": self.sid, "db": self.db, "op": self.op, "ts": self.ts}
        if self.key is not None:
            out["key"] = self.key
        if self.op == OP_SET:
            out["value"] = self.value
            out["xt"] = self.xt
        return out

    def __eq__(self, other: object) -> bool:
        return isinstance(other, UpdateLog) and self.as_dict() == other.as_dict()

    def __repr__(self) -> str:
        return f"UpdateLog({self.as_dict()!r})"


def encode_ulog(log: UpdateLog) -> bytes:
    """The body of an update log (``u16 sid, u16 db, u8 op, ...``)."""
    head = _ULOG_HEAD.pack(log.sid, log.db, log.op)
    if log.op == OP_SET:
        assert log.key is not None and log.value is not None
        xt = XT_MAX if log.xt is None else log.xt
        return b"".join((head, encode_varnum(len(log.key)), encode_varnum(len(log.value) + 5),
                         log.key, _XT5.pack(xt)[3:], log.value))
    if log.op == OP_REMOVE:
        assert log.key is not None
        return b"".join((head, encode_varnum(len(log.key)), log.key))
    return head


def decode_ulog(body: bytes, ts: int = 0) -> UpdateLog:
    """Parse an update-log body; unknown ops keep only the head."""
    if len(body) < _ULOG_HEAD.size:
        raise ProtocolError("update log shorter than its head")
    sid, db, op = _ULOG_HEAD.unpack_from(body)
    pos = _ULOG_HEAD.size
    if op == OP_SET:
        ksiz, pos = decode_varnum(body, pos)
        vsiz, pos = decode_varnum(body, pos)
        if vsiz < 5 or pos + ksiz + vsiz > len(body):
            raise ProtocolError("truncated SET update log")
        key = body[pos : pos + ksiz]
        xt = _XT5.unpack(b"\0\0\0" + body[pos + ksiz : pos + ksiz + 5])[0]
        value = body[pos + ksiz + 5 : pos + ksiz + vsiz]
        return UpdateLog(sid, db, op, key, value, xt, ts)
    if op == OP_REMOVE:
        ksiz, pos = decode_varnum(body, pos)
        if pos + ksiz > len(body):
            raise ProtocolError("truncated REMOVE update log")
        return UpdateLog(sid, db, op, body[pos : pos + ksiz], ts=ts)
    return UpdateLog(sid, db, op, ts=ts)
