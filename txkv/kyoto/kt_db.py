"""One Kyoto Tycoon database of the embedded server, over a :mod:`txkv.storage` namespace.

Records are stored as Kyoto Tycoon stores them: a 5-byte big-endian absolute expiration time
followed by the value.  A record is gone once ``now > xt``; expired records are dropped lazily
(and handed to the storage's own TTL so they are reclaimed).
"""

from __future__ import annotations

import math
import re
import struct
from typing import Any, Callable, Iterator, List, Optional, Tuple

from twisted.internet.interfaces import IReactorTime

from txkv.kyoto.kt_codec import XT_MAX
from txkv.kyoto.kt_values import (
    INT64_MAX,
    INT64_MIN,
    OP_CLEAR,
    OP_REMOVE,
    OP_SET,
    UpdateLog,
    add_double,
    join_double,
    normalize_xt,
    split_double,
)

__all__ = ["KTDatabase", "LogicError", "Record"]

_XT5 = struct.Struct(">Q")
_INT64 = struct.Struct(">q")
_DOUBLE = struct.Struct(">qq")

Record = Tuple[bytes, int]  # value, absolute xt
UpdateHook = Callable[[UpdateLog], None]


class LogicError(Exception):
    """A KC logical error (record missing, duplicate, incompatible value): HTTP 450."""

    def __init__(self, code: int, name: str, message: str) -> None:
        super().__init__(f"DB: {code}: {name}: {message}")
        self.code = code
        self.name = name


def no_record() -> LogicError:
    return LogicError(7, "no record", "no record")


def dup_record() -> LogicError:
    return LogicError(6, "record duplication", "record duplication")


def logic(message: str) -> LogicError:
    return LogicError(8, "logical inconsistency", message)


def _pack(value: bytes, xt: int) -> bytes:
    return _XT5.pack(xt)[3:] + value


def _unpack(stored: bytes) -> Record:
    return stored[5:], _XT5.unpack(b"\0\0\0" + stored[:5])[0]


def _edit_distance(a: Any, b: Any) -> int:
    """Levenshtein distance of two sequences (bytes or str)."""
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1,
                               previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


class KTDatabase:
    """Record operations of one database; xt arguments follow the wire convention
    (None = no expiry, >= 0 relative seconds, < 0 absolute epoch seconds)."""

    def __init__(self, index: int, name: str, path: str, namespace: Any, clock: IReactorTime,
                 sid: int = 0, on_update: Optional[UpdateHook] = None) -> None:
        self.index = index
        self.name = name
        self.path = path
        self.ns = namespace
        self.clock = clock
        self.sid = sid
        self.on_update = on_update

    # -- primitives ------------------------------------------------------------------------

    def now(self) -> float:
        return self.clock.seconds()

    def get(self, key: bytes) -> Optional[Record]:
        """``(value, absolute_xt)`` or None when missing or expired."""
        stored = self.ns.get(key)
        if stored is None:
            return None
        value, xt = _unpack(stored)
        if int(self.now()) > xt:
            self.ns.delete(key)
            return None
        return value, xt

    def _store(self, key: bytes, value: bytes, xt_abs: int) -> None:
        expire_at = None if xt_abs >= XT_MAX else float(xt_abs + 1)
        self.ns.put(key, _pack(value, xt_abs), expire_at=expire_at)
        if self.on_update is not None:
            self.on_update(UpdateLog(self.sid, self.index, OP_SET, key, value, xt_abs))

    def _delete(self, key: bytes) -> bool:
        existed = bool(self.ns.delete(key))
        if self.on_update is not None:
            self.on_update(UpdateLog(self.sid, self.index, OP_REMOVE, key))
        return existed

    def xt_abs(self, xt: Optional[int]) -> int:
        return normalize_xt(xt, self.now())

    # -- record operations -------------------------------------------------------------------

    def set(self, key: bytes, value: bytes, xt: Optional[int] = None) -> None:
        self._store(key, value, self.xt_abs(xt))

    def add(self, key: bytes, value: bytes, xt: Optional[int] = None) -> None:
        if self.get(key) is not None:
            raise dup_record()
        self._store(key, value, self.xt_abs(xt))

    def replace(self, key: bytes, value: bytes, xt: Optional[int] = None) -> None:
        if self.get(key) is None:
            raise no_record()
        self._store(key, value, self.xt_abs(xt))

    def append(self, key: bytes, value: bytes, xt: Optional[int] = None) -> None:
        current = self.get(key)
        self._store(key, value if current is None else current[0] + value, self.xt_abs(xt))

    def remove(self, key: bytes) -> bool:
        if self.get(key) is None:
            return False
        return self._delete(key)

    def seize(self, key: bytes) -> Optional[Record]:
        record = self.get(key)
        if record is not None:
            self._delete(key)
        return record

    def cas(self, key: bytes, oval: Optional[bytes], nval: Optional[bytes],
            xt: Optional[int] = None) -> None:
        current = self.get(key)
        if oval is None:
            if current is not None:
                raise logic("status conflict")
        elif current is None or current[0] != oval:
            raise logic("status conflict")
        if nval is None:
            if current is not None:
                self._delete(key)
        else:
            self._store(key, nval, self.xt_abs(xt))

    def increment(self, key: bytes, num: int, orig: Optional[bytes] = None,
                  xt: Optional[int] = None) -> int:
        """KT's integer increment; the record holds an 8-byte big-endian int64."""
        mode = _orig_mode(orig)
        current = self.get(key)
        if current is not None:
            if mode == "set":
                result = num
            else:
                if len(current[0]) != 8:
                    raise logic("logical inconsistency")
                value = _INT64.unpack(current[0])[0]
                if num == 0:
                    return int(value)
                result = value + num
        else:
            if mode == "try":
                raise logic("logical inconsistency")
            base = 0 if mode in ("set", None) else int(orig or 0)
            result = num + base
        result = max(min(result, INT64_MAX), INT64_MIN)
        self._store(key, _INT64.pack(result), self.xt_abs(xt))
        return result

    def increment_double(self, key: bytes, num: float, orig: Optional[bytes] = None,
                         xt: Optional[int] = None) -> float:
        """KT's fixed-point double increment (integral + fraction x 10**15)."""
        mode = _orig_mode(orig)
        current = self.get(key)
        if current is not None:
            if mode == "set":
                parts = split_double(num)
            else:
                if len(current[0]) != 16:
                    raise logic("logical inconsistency")
                stored = _DOUBLE.unpack(current[0])
                if num == 0.0:
                    return join_double(*stored)
                parts = add_double(stored, num)
        else:
            if mode == "try":
                raise logic("logical inconsistency")
            base = 0.0 if mode in ("set", None) else float(orig or 0)
            total = num + base if not math.isinf(base) else num
            parts = split_double(total)
        integ = max(min(parts[0], INT64_MAX), INT64_MIN)
        self._store(key, _DOUBLE.pack(integ, parts[1]), self.xt_abs(xt))
        return join_double(integ, parts[1])

    def clear(self) -> None:
        self.ns.clear()
        if self.on_update is not None:
            self.on_update(UpdateLog(self.sid, self.index, OP_CLEAR))

    # -- iteration and statistics -------------------------------------------------------------

    def records(self, start: Optional[bytes] = None, stop: Optional[bytes] = None,
                prefix: Optional[bytes] = None,
                reverse: bool = False) -> Iterator[Tuple[bytes, bytes, int]]:
        """Live ``(key, value, xt)`` in key order (expired records skipped)."""
        now = int(self.now())
        for key, stored in self.ns.iterate(start=start, stop=stop, prefix=prefix,
                                           reverse=reverse):
            value, xt = _unpack(stored)
            if now > xt:
                continue
            yield key, value, xt

    def first_at_or_after(self, key: Optional[bytes]) -> Optional[bytes]:
        for k, _v, _xt in self.records(start=key):
            return k
        return None

    def first_after(self, key: bytes) -> Optional[bytes]:
        return self.first_at_or_after(key + b"\0")

    def last_at_or_before(self, key: Optional[bytes]) -> Optional[bytes]:
        stop = None if key is None else key + b"\0"
        for k, _v, _xt in self.records(stop=stop, reverse=True):
            return k
        return None

    def last_before(self, key: bytes) -> Optional[bytes]:
        for k, _v, _xt in self.records(stop=key, reverse=True):
            return k
        return None

    def count(self) -> int:
        return int(self.ns.count())

    def size(self) -> int:
        return sum(len(k) + len(v) for k, v in self.ns.iterate())

    def match_prefix(self, prefix: bytes, limit: int = -1) -> List[bytes]:
        out: List[bytes] = []
        if limit == 0:
            return out
        for key, _v, _xt in self.records(prefix=prefix):
            out.append(key)
            if len(out) == limit:
                break
        return out

    def match_regex(self, pattern: bytes, limit: int = -1) -> List[bytes]:
        try:
            regex = re.compile(pattern)
        except re.error as e:
            raise logic(f"invalid regular expression: {e}") from None
        out: List[bytes] = []
        if limit == 0:
            return out
        for key, _v, _xt in self.records():
            if regex.search(key):
                out.append(key)
                if len(out) == limit:
                    break
        return out

    def match_similar(self, origin: bytes, distance: int = 1, utf: bool = False,
                      limit: int = -1) -> List[bytes]:
        """Keys within ``distance`` edits of ``origin``, nearest first (ties in key order)."""
        target: Any = origin.decode("utf-8", "replace") if utf else origin
        hits: List[Tuple[int, bytes]] = []
        for key, _v, _xt in self.records():
            candidate: Any = key.decode("utf-8", "replace") if utf else key
            if abs(len(candidate) - len(target)) > distance:
                continue
            d = _edit_distance(candidate, target)
            if d <= distance:
                hits.append((d, key))
        hits.sort()
        keys = [k for _d, k in hits]
        return keys if limit < 0 else keys[:limit]


def _orig_mode(orig: Optional[bytes]) -> Optional[str]:
    if orig is None:
        return None
    if orig == b"try":
        return "try"
    if orig == b"set":
        return "set"
    return "num"
