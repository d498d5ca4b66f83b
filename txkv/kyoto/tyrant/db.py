"""The embedded server's database: Tokyo Cabinet semantics over :mod:`txkv.storage`.

One :class:`TTDatabase` per server, like ttserver's single abstract database.  Its ``kind``
picks the Tokyo Cabinet flavour it imitates:

* ``hash`` -- a hash database: no ``range``, no duplicates; iteration order is unspecified
  (here: byte order, stable);
* ``btree`` -- a B+ tree: ordered iteration, ``range``, duplicate values (``putdup``,
  ``putdupback``; ``putlist`` stores duplicates like Tokyo Cabinet's does);
* ``table`` -- a table database: each record is a column map (``name\\0value\\0...``),
  with ``setindex``, ``search``/``metasearch`` and ``genuid``.

Counters follow x86 ttserver: ``addint`` stores a 4-byte little-endian int, ``adddouble`` an
8-byte little-endian double.  The iterator (``iterinit``/``iternext``) is one per database,
shared by every connection, as in ttserver.
"""

from __future__ import annotations

import math
import os
import re
import struct
import time
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Tuple

from twisted.logger import Logger

from txkv.kyoto.tyrant import codec
from txkv.kyoto.tyrant.table import run_search

__all__ = ["TTDatabase", "KINDS", "ExtFunction"]

_log = Logger(namespace="txkv.kyoto.tyrant.server")

KINDS = ("hash", "btree", "table")
TYPE_NAMES = {"hash": "hash", "btree": "B+ tree", "table": "table"}

ExtFunction = Callable[[bytes, bytes], Optional[bytes]]

_LE_INT = struct.Struct("<i")
_LE_DOUBLE = struct.Struct("<d")
_U32 = struct.Struct(">I")
_META_KIND = b"kind"
_META_UID = b"uid"
_META_INDEX = b"index:"

# Tokyo Cabinet error codes used by misc "error".
TCESUCCESS, TCEINVALID, TCEKEEP, TCENOREC, TCEMISC = 0, 2, 21, 22, 9999
_ERRMSG = {TCESUCCESS: "success", TCEINVALID: "invalid operation", TCEKEEP: "existing record",
           TCENOREC: "no record found", TCEMISC: "miscellaneous error"}

COUNTER_NAMES = (
    "put", "putkeep", "putcat", "putshl", "putnr", "out", "get", "mget", "vsiz", "iterinit",
    "iternext", "fwmkeys", "addint", "adddouble", "ext", "sync", "optimize", "vanish", "copy",
    "restore", "setmst", "rnum", "size", "stat", "misc", "repl", "put_miss", "out_miss",
    "get_miss",
)


def _pack_list(values: Sequence[bytes]) -> bytes:
    return b"".join(_U32.pack(len(v)) + v for v in values)


def _unpack_list(data: bytes) -> List[bytes]:
    out = []
    pos = 0
    view = memoryview(data)
    while pos + 4 <= len(data):
        (size,) = _U32.unpack_from(view, pos)
        out.append(bytes(view[pos + 4:pos + 4 + size]))
        pos += 4 + size
    return out


def _int_arg(args: Sequence[bytes], index: int, default: int) -> int:
    if len(args) <= index:
        return default
    try:
        return int(args[index].decode("ascii").strip() or default)
    except (UnicodeDecodeError, ValueError):
        return default


def _join_row(columns: Sequence[Tuple[bytes, bytes]]) -> bytes:
    """A record as Tokyo Cabinet returns it: ``name\\0value`` joined by NUL, no trailing NUL."""
    return b"\0".join(b"%s\0%s" % (name, value) for name, value in columns)


class TTDatabase:
    """A Tokyo Tyrant database over a storage namespace.

    :param storage: a :class:`txkv.storage.Storage`.
    :param kind: ``hash``, ``btree`` or ``table``.
    :param name: prefix of the namespaces used in ``storage``.
    :param ext: functions callable through ``ext`` (``name -> f(key, value) -> bytes|None``).
    :param path: what ``stat`` reports as the database path.
    """

    def __init__(self, storage: Any, kind: str = "hash", name: str = "tt",
                 ext: Optional[Dict[bytes, ExtFunction]] = None, path: str = "*",
                 sid: int = 1) -> None:
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
        self.storage = storage
        self.kind = kind
        self.records = storage.namespace(name)
        self.dups = storage.namespace(name + ".dup")
        self.meta = storage.namespace(name + ".meta")
        stored = self.meta.get(_META_KIND)
        if stored is None:
            self.meta.put(_META_KIND, kind.encode())
        elif stored.decode() != kind:
            raise ValueError(f"the storage holds a {stored.decode()} database, not {kind}")
        self.ext: Dict[bytes, ExtFunction] = dict(ext or {})
        self.path = path
        self.sid = sid
        self.started = time.time()
        self.counters: Dict[str, int] = dict.fromkeys(COUNTER_NAMES, 0)
        self.master: Optional[Tuple[str, int, int]] = None
        self.last_error = TCESUCCESS
        self._iter_started = False
        self._iter_start: Optional[bytes] = None
        self._iter_pos: Optional[Tuple[bytes, int]] = None  # last (key, dup index) returned
        self._iter_done = False

    # -- helpers ----------------------------------------------------------------------------

    def count(self, name: str) -> None:
        self.counters[name] += 1

    def _fail(self, ecode: int) -> None:
        self.last_error = ecode

    def values(self, key: bytes) -> List[bytes]:
        """Every value stored under ``key`` (several only for B+ tree duplicates)."""
        first = self.records.get(key)
        if first is None:
            return []
        if self.kind != "btree":
            return [first]
        extra = self.dups.get(key)
        return [first] + (_unpack_list(extra) if extra else [])

    def _set_values(self, key: bytes, values: Sequence[bytes]) -> None:
        with self.storage.write_batch() as batch:
            if not values:
                batch.delete(self.records, key)
                batch.delete(self.dups, key)
                return
            batch.put(self.records, key, values[0])
            if len(values) > 1:
                batch.put(self.dups, key, _pack_list(values[1:]))
            else:
                batch.delete(self.dups, key)

    def _entries(self, start: Optional[bytes] = None, stop: Optional[bytes] = None,
                 prefix: Optional[bytes] = None) -> Iterator[Tuple[bytes, bytes]]:
        """``(key, value)`` in key order, one entry per duplicate."""
        for key, value in self.records.iterate(start=start, stop=stop, prefix=prefix):
            yield key, value
            if self.kind == "btree":
                extra = self.dups.get(key)
                if extra:
                    for dup in _unpack_list(extra):
                        yield key, dup

    def _normalize(self, value: bytes) -> bytes:
        """Table records are kept in Tokyo Cabinet's joined form."""
        if self.kind != "table":
            return value
        return _join_row(list(codec.decode_table(value).items()))

    # -- writes -----------------------------------------------------------------------------

    def put(self, key: bytes, value: bytes) -> bool:
        if self.kind == "btree" and self.dups.get(key) is not None:
            self._set_values(key, [value] + self.values(key)[1:])
        else:
            self.records.put(key, self._normalize(value))
        return True

    def putkeep(self, key: bytes, value: bytes) -> bool:
        if key in self.records:
            self._fail(TCEKEEP)
            return False
        self.records.put(key, self._normalize(value))
        return True

    def putcat(self, key: bytes, value: bytes) -> bool:
        old = self.records.get(key)
        if self.kind == "table":
            cols = codec.decode_table(old) if old is not None else {}
            for name, col in codec.decode_table(value).items():
                cols.setdefault(name, col)
            self.records.put(key, _join_row(list(cols.items())))
            return True
        self.records.put(key, (old or b"") + value)
        return True

    def putshl(self, key: bytes, value: bytes, width: int) -> bool:
        if self.kind == "table":
            self._fail(TCEINVALID)
            return False
        joined = (self.records.get(key) or b"") + value
        self.records.put(key, joined[len(joined) - width:] if width else b"")
        return True

    def putdup(self, key: bytes, value: bytes, back: bool = False) -> bool:
        if self.kind != "btree":
            self._fail(TCEINVALID)
            return False
        values = self.values(key)
        self._set_values(key, [value] + values if back else values + [value])
        return True

    def out(self, key: bytes) -> bool:
        values = self.values(key)
        if not values:
            self._fail(TCENOREC)
            self.count("out_miss")
            return False
        self._set_values(key, values[1:])
        return True

    def vanish(self) -> bool:
        self.records.clear()
        self.dups.clear()
        self._iter_started = False
        return True

    # -- reads ------------------------------------------------------------------------------

    def get(self, key: bytes) -> Optional[bytes]:
        value = self.records.get(key)
        if value is None:
            self._fail(TCENOREC)
            self.count("get_miss")
        return value

    def mget(self, keys: Sequence[bytes]) -> List[Tuple[bytes, bytes]]:
        found = []
        for key in keys:
            value = self.records.get(key)
            if value is not None:
                found.append((key, value))
        return found

    def vsiz(self, key: bytes) -> Optional[int]:
        value = self.records.get(key)
        if value is None:
            self._fail(TCENOREC)
            return None
        return len(value)

    def fwmkeys(self, prefix: bytes, limit: int) -> List[bytes]:
        keys: List[bytes] = []
        if limit == 0:
            return keys
        for key in self.records.iterate(prefix=prefix, keys_only=True):
            keys.append(key)
            if 0 < limit <= len(keys):
                break
        return keys

    def rnum(self) -> int:
        total = self.records.count()
        if self.kind == "btree":
            total += sum(len(_unpack_list(v)) for _k, v in self.dups.iterate())
        return total

    def size(self) -> int:
        return sum(len(k) + len(v) for k, v in self._entries()) + 256

    # -- the shared iterator ----------------------------------------------------------------

    def iterinit(self, start: Optional[bytes] = None) -> bool:
        """Restart the iterator (at ``start``: the key itself for hash/table, which must
        exist, the first key >= ``start`` for a B+ tree)."""
        if start is not None and self.kind != "btree" and start not in self.records:
            self._fail(TCENOREC)
            return False
        self._iter_started = True
        self._iter_start = start
        self._iter_pos = None
        self._iter_done = False
        return True

    def _first_key(self, start: Optional[bytes]) -> Optional[bytes]:
        for key in self.records.iterate(start=start, keys_only=True):
            return key
        return None

    def iternext(self) -> Optional[Tuple[bytes, bytes]]:
        """The next ``(key, value)`` (one per duplicate), or None at the end."""
        if not self._iter_started:
            self.iterinit()
        while not self._iter_done:
            if self._iter_pos is None:
                key = self._first_key(self._iter_start)
                index = 0
            else:
                last, index = self._iter_pos
                if index + 1 < len(self.values(last)):
                    key, index = last, index + 1
                else:
                    key, index = self._first_key(last + b"\0"), 0
            if key is None:
                self._iter_done = True
                break
            self._iter_pos = (key, index)
            values = self.values(key)
            if index < len(values):
                return key, values[index]
        self._fail(TCENOREC)
        return None

    # -- counters ---------------------------------------------------------------------------

    def addint(self, key: bytes, num: int) -> Optional[int]:
        if self.kind == "table":
            total_num = self._table_add(key, num, integer=True)
            return None if total_num is None else int(total_num)
        old = self.records.get(key)
        if old is None:
            total = num
        elif len(old) != 4:
            self._fail(TCEKEEP)
            return None
        else:
            total = _LE_INT.unpack(old)[0] + num
        total = (total + (1 << 31)) % (1 << 32) - (1 << 31)  # 32-bit wrap, like C
        if old is None or num != 0:
            self.records.put(key, _LE_INT.pack(total))
        return int(total)

    def adddouble(self, key: bytes, num: float) -> Optional[float]:
        if self.kind == "table":
            result = self._table_add(key, num, integer=False)
            return None if result is None else float(result)
        old = self.records.get(key)
        if old is None:
            total = num
        elif len(old) != 8:
            self._fail(TCEKEEP)
            return None
        else:
            total = _LE_DOUBLE.unpack(old)[0] + num
        if math.isnan(total):
            self._fail(TCEMISC)
            return None
        if old is None or num != 0.0:
            self.records.put(key, _LE_DOUBLE.pack(total))
        return total

    def _table_add(self, key: bytes, num: float, integer: bool) -> Optional[float]:
        """Table databases keep the counter in the record's ``_num`` column as text."""
        old = self.records.get(key)
        cols = codec.decode_table(old) if old is not None else {}
        try:
            current = float(cols.get(b"_num", b"0").decode("ascii") or 0)
        except (UnicodeDecodeError, ValueError):
            current = 0.0
        total: float = current + num
        if integer:
            total = int(total)
            cols[b"_num"] = str(int(total)).encode()
        else:
            cols[b"_num"] = repr(float(total)).encode()
        self.records.put(key, _join_row(list(cols.items())))
        return total

    # -- ext --------------------------------------------------------------------------------

    def call_ext(self, name: bytes, key: bytes, value: bytes) -> Optional[bytes]:
        function = self.ext.get(name)
        if function is None:
            self._fail(TCEINVALID)
            return None
        try:
            result = function(key, value)
        except Exception as e:
            _log.warn("ext function {name} failed: {error}", name=name, error=repr(e))
            self._fail(TCEMISC)
            return None
        if result is None:
            return None
        return result if isinstance(result, bytes) else str(result).encode("utf-8")

    # -- management -------------------------------------------------------------------------

    def copy(self, path: bytes) -> bool:
        """Write a backup: ``key\\tvalue`` lines are not binary-safe, so use the same
        length-prefixed pairs as the wire (``[ksiz][vsiz][key][value]`` per record)."""
        target = os.fsdecode(path)
        if not target or target.startswith("@"):
            self._fail(TCEINVALID)
            return False
        try:
            with open(target, "wb") as f:
                f.write(b"TXKVTT1\n")
                for key, value in self._entries():
                    f.write(struct.pack(">II", len(key), len(value)) + key + value)
        except OSError as e:
            _log.warn("copy to {path} failed: {error}", path=target, error=str(e))
            self._fail(TCEMISC)
            return False
        return True

    def restore(self, path: bytes, ts: int, opts: int) -> bool:
        """txkv keeps no update log, so a restore only succeeds from a :meth:`copy` file."""
        try:
            with open(os.fsdecode(path), "rb") as f:
                data = f.read()
        except OSError:
            self._fail(TCEMISC)
            return False
        if not data.startswith(b"TXKVTT1\n"):
            self._fail(TCEINVALID)
            return False
        pos = 8
        while pos + 8 <= len(data):
            ksiz, vsiz = struct.unpack_from(">II", data, pos)
            key = data[pos + 8:pos + 8 + ksiz]
            value = data[pos + 8 + ksiz:pos + 8 + ksiz + vsiz]
            pos += 8 + ksiz + vsiz
            if self.kind == "btree" and key in self.records:
                self.putdup(key, value)
            else:
                self.records.put(key, value)
        return True

    def setmst(self, host: bytes, port: int, ts: int, opts: int) -> bool:
        """Record the master (txkv's server does not replicate; ``stat`` shows it)."""
        self.master = (host.decode("utf-8", "replace"), port, ts) if host else None
        return True

    def stat(self) -> bytes:
        rusage: Any = None
        try:
            import resource

            rusage = resource.getrusage(resource.RUSAGE_SELF)
        except ImportError:  # pragma: no cover - not on POSIX
            pass
        lines: List[Tuple[str, Any]] = [
            ("version", "1.1.41"), ("libver", "1.4.48"), ("protver", "0.91"),
            ("os", os.uname().sysname if hasattr(os, "uname") else os.name),
            ("time", f"{time.time():.6f}"), ("pid", os.getpid()), ("sid", self.sid),
            ("type", TYPE_NAMES[self.kind]), ("path", self.path), ("rnum", self.rnum()),
            ("size", self.size()), ("bigend", 0),
        ]
        if self.master is not None:
            lines += [("mhost", self.master[0]), ("mport", self.master[1]),
                      ("rts", self.master[2]), ("delay", "0.000000")]
        if rusage is not None:
            lines += [("ru_user", f"{rusage.ru_utime:.6f}"), ("ru_sys", f"{rusage.ru_stime:.6f}")]
        lines.append(("ru_real", f"{time.time() - self.started:.6f}"))
        lines += [(f"cnt_{name}", value) for name, value in self.counters.items()]
        lines.append(("server", "txkv"))
        return "".join(f"{name}\t{value}\n" for name, value in lines).encode("utf-8")

    # -- misc -------------------------------------------------------------------------------

    def misc(self, name: bytes, args: List[bytes]) -> Optional[List[bytes]]:
        """Run a misc function; None means failure (the reply ``01 00 00 00 00``)."""
        handler = _MISC.get(name)
        if handler is None or (handler[1] and self.kind not in handler[1]):
            self._fail(TCEINVALID)
            return None
        return handler[0](self, args)

    def _misc_put(self, args: List[bytes], mode: str) -> Optional[List[bytes]]:
        valid = len(args) % 2 == 1 if self.kind == "table" else len(args) >= 2
        if not valid:
            self._fail(TCEINVALID)
            return None
        key = args[0]
        if self.kind == "table":
            value = _join_row(list(zip(args[1::2], args[2::2])))
        else:
            value = args[1]
        if mode == "put":
            ok = self.put(key, value)
        elif mode == "putkeep":
            ok = self.putkeep(key, value)
        elif mode == "putcat":
            ok = self.putcat(key, value)
        else:
            ok = self.putdup(key, value, back=mode == "putdupback")
        return [] if ok else None

    def _misc_get(self, args: List[bytes]) -> Optional[List[bytes]]:
        if not args:
            self._fail(TCEINVALID)
            return None
        values = self.values(args[0])
        if not values:
            self._fail(TCENOREC)
            return None
        if self.kind == "table":
            out: List[bytes] = []
            for name, col in codec.table_pairs(values[0]):
                out += [name, col]
            return out
        return values

    def _misc_out(self, args: List[bytes]) -> Optional[List[bytes]]:
        if not args:
            self._fail(TCEINVALID)
            return None
        key = args[0]
        if not self.values(key):
            self._fail(TCENOREC)
            return None
        self._set_values(key, [])
        return []

    def _misc_putlist(self, args: List[bytes]) -> Optional[List[bytes]]:
        for key, value in zip(args[0::2], args[1::2]):
            if self.kind == "btree":
                self.putdup(key, value)
            else:
                self.put(key, value)
        return []

    def _misc_outlist(self, args: List[bytes]) -> Optional[List[bytes]]:
        with self.storage.write_batch() as batch:
            for key in args:
                batch.delete(self.records, key)
                batch.delete(self.dups, key)
        return []

    def _misc_getlist(self, args: List[bytes]) -> Optional[List[bytes]]:
        out: List[bytes] = []
        for key in args:
            for value in self.values(key):
                out += [key, value]
        return out

    def _misc_getpart(self, args: List[bytes]) -> Optional[List[bytes]]:
        if not args:
            self._fail(TCEINVALID)
            return None
        value = self.records.get(args[0])
        offset = max(0, _int_arg(args, 1, 0))
        length = _int_arg(args, 2, -1)
        if value is None or offset >= len(value):
            self._fail(TCENOREC if value is None else TCEINVALID)
            return None
        end = len(value) if length < 0 else offset + length
        return [value[offset:end]]

    def _misc_iterinit(self, args: List[bytes]) -> Optional[List[bytes]]:
        return [] if self.iterinit(args[0] if args else None) else None

    def _misc_iternext(self, args: List[bytes]) -> Optional[List[bytes]]:
        entry = self.iternext()
        return None if entry is None else [entry[0], entry[1]]

    def _misc_ok(self, args: List[bytes]) -> Optional[List[bytes]]:
        return []

    def _misc_vanish(self, args: List[bytes]) -> Optional[List[bytes]]:
        self.vanish()
        return []

    def _misc_error(self, args: List[bytes]) -> Optional[List[bytes]]:
        code = self.last_error
        return [f"{code}: {_ERRMSG.get(code, 'unknown error')}".encode()]

    def _misc_regex(self, args: List[bytes]) -> Optional[List[bytes]]:
        if not args:
            self._fail(TCEINVALID)
            return None
        pattern = args[0]
        flags = 0
        if pattern.startswith(b"*"):
            pattern, flags = pattern[1:], re.IGNORECASE
        try:
            regex = re.compile(pattern, flags)
        except re.error:
            self._fail(TCEINVALID)
            return None
        limit = _int_arg(args, 1, -1)
        out: List[bytes] = []
        found = 0
        for key, value in self._entries():
            if limit >= 0 and found >= limit:
                break
            if regex.search(key):
                out += [key, value]
                found += 1
        return out

    def _misc_range(self, args: List[bytes]) -> Optional[List[bytes]]:
        begin = args[0] if args else None
        limit = _int_arg(args, 1, 0)
        end = args[2] if len(args) > 2 else None
        out: List[bytes] = []
        found = 0
        for key, value in self._entries(start=begin, stop=end):
            if limit >= 1 and found >= limit:
                break
            out += [key, value]
            found += 1
        return out

    def _misc_setindex(self, args: List[bytes]) -> Optional[List[bytes]]:
        if len(args) < 2 or len(args) % 2:
            self._fail(TCEINVALID)
            return None
        for column, kind in zip(args[0::2], args[1::2]):
            code = _index_code(kind)
            if code is None:
                self._fail(TCEINVALID)
                return None
            keep = bool(code & 0x1000000)
            code &= ~0x1000000
            name = _META_INDEX + column
            if code == 9999:
                if self.meta.get(name) is None:
                    self._fail(TCENOREC)
                    return None
                self.meta.delete(name)
            elif code == 9998:
                continue
            elif keep and self.meta.get(name) is not None:
                self._fail(TCEKEEP)
                return None
            else:
                self.meta.put(name, str(code).encode())
        return []

    def indexes(self) -> Dict[bytes, int]:
        """Declared table indexes (searches scan; indexes only change nothing but ``hint``)."""
        plen = len(_META_INDEX)
        return {k[plen:]: int(v) for k, v in self.meta.iterate(prefix=_META_INDEX)}

    def _misc_search(self, args: List[bytes]) -> Optional[List[bytes]]:
        result = run_search(self._entries(), args)
        if result is None:
            self._fail(TCEINVALID)
            return None
        if result.remove:
            with self.storage.write_batch() as batch:
                for key in result.keys:
                    batch.delete(self.records, key)
            return []
        return result.items

    def _misc_genuid(self, args: List[bytes]) -> Optional[List[bytes]]:
        current = int(self.meta.get(_META_UID) or b"0") + 1
        self.meta.put(_META_UID, str(current).encode())
        return [str(current).encode()]


def _index_code(kind: bytes) -> Optional[int]:
    text = kind.decode("ascii", "replace").strip().lower()
    keep = 0
    if text.startswith("+"):
        keep, text = 0x1000000, text[1:]
    names = {"lexical": 0, "lex": 0, "str": 0, "decimal": 1, "dec": 1, "num": 1, "token": 2,
             "tok": 2, "qgram": 3, "qgr": 3, "fts": 3, "opt": 9998, "optimize": 9998,
             "void": 9999, "null": 9999}
    if text in names:
        return names[text] | keep
    try:
        return int(text) | keep
    except ValueError:
        return None


_ALL: Tuple[str, ...] = ()
_MISC: Dict[bytes, Tuple[Callable[[TTDatabase, List[bytes]], Optional[List[bytes]]],
                         Tuple[str, ...]]] = {
    b"put": (lambda db, a: db._misc_put(a, "put"), _ALL),
    b"putkeep": (lambda db, a: db._misc_put(a, "putkeep"), _ALL),
    b"putcat": (lambda db, a: db._misc_put(a, "putcat"), _ALL),
    b"putdup": (lambda db, a: db._misc_put(a, "putdup"), ("btree",)),
    b"putdupback": (lambda db, a: db._misc_put(a, "putdupback"), ("btree",)),
    b"out": (TTDatabase._misc_out, _ALL),
    b"get": (TTDatabase._misc_get, _ALL),
    b"putlist": (TTDatabase._misc_putlist, _ALL),
    b"outlist": (TTDatabase._misc_outlist, _ALL),
    b"getlist": (TTDatabase._misc_getlist, _ALL),
    b"getpart": (TTDatabase._misc_getpart, _ALL),
    b"iterinit": (TTDatabase._misc_iterinit, _ALL),
    b"iternext": (TTDatabase._misc_iternext, _ALL),
    b"sync": (TTDatabase._misc_ok, _ALL),
    b"optimize": (TTDatabase._misc_ok, _ALL),
    b"vanish": (TTDatabase._misc_vanish, _ALL),
    b"error": (TTDatabase._misc_error, _ALL),
    b"defrag": (TTDatabase._misc_ok, _ALL),
    b"cacheclear": (TTDatabase._misc_ok, _ALL),
    b"regex": (TTDatabase._misc_regex, _ALL),
    b"range": (TTDatabase._misc_range, ("btree",)),
    b"setindex": (TTDatabase._misc_setindex, ("table",)),
    b"search": (TTDatabase._misc_search, ("table",)),
    b"metasearch": (TTDatabase._misc_search, ("table",)),
    b"genuid": (TTDatabase._misc_genuid, ("table",)),
}
