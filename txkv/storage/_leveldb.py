"""LevelDB engine (plyvel): one database directory holds every namespace.

Key layout (the first byte separates the areas)::

    00 "format"                              -> FORMAT marker
    01 <name utf-8>                          -> b""  (namespace registry)
    02 <len:u16 be> <name utf-8> <key>       -> record  (data)
    03 <len:u16 be> <name utf-8> <when:8> <key> -> b""  (expiry index)

The length prefix makes namespace prefixes prefix-free, so a range of one namespace never
reaches into another.  A record is ``00 <value>`` (no expiry) or ``01 <deadline:f64 be>
<value>``.  ``when`` is the deadline encoded so that byte order is numeric order; the
index may hold stale entries (a key rewritten with another deadline), which
:meth:`LevelDBEngine.purge` checks against the record and removes.
"""

from __future__ import annotations

import os
import struct
from typing import Any, Dict, Iterator, List, Optional, Sequence, Set, Tuple

import plyvel

from ._engine import Engine, Op, Record, View, is_expired
from ._validate import prefix_successor
from .errors import StorageClosedError, StorageError, StorageFormatError

FORMAT_KEY = b"\x00format"
FORMAT = b"txkv-storage/1"
REGISTRY = b"\x01"
DATA = b"\x02"
INDEX = b"\x03"

NO_EXPIRY = 0
WITH_EXPIRY = 1

_U16 = struct.Struct(">H")
_F64 = struct.Struct(">d")
_U64 = struct.Struct(">Q")
_SIGN = 1 << 63
_ALL = (1 << 64) - 1


def encode_record(record: Record) -> bytes:
    """``00 value`` or ``01 deadline value``."""
    if record.deadline is None:
        return b"\x00" + record.value
    return b"\x01" + _F64.pack(record.deadline) + record.value


def decode_record(raw: bytes) -> Record:
    """Inverse of :func:`encode_record`."""
    flag = raw[0] if raw else -1
    if flag == NO_EXPIRY:
        return Record(raw[1:], None)
    if flag == WITH_EXPIRY and len(raw) >= 9:
        return Record(raw[9:], _F64.unpack_from(raw, 1)[0])
    raise StorageError(f"corrupt record header {raw[:9]!r}")


def encode_when(deadline: float) -> bytes:
    """8 bytes whose byte order is the numeric order of ``deadline``."""
    bits = _U64.unpack(_F64.pack(deadline))[0]
    bits = bits ^ _ALL if bits & _SIGN else bits | _SIGN
    return _U64.pack(bits)


def decode_when(data: bytes) -> float:
    """Inverse of :func:`encode_when`."""
    bits = _U64.unpack(data)[0]
    bits = bits ^ _SIGN if bits & _SIGN else bits ^ _ALL
    return float(_F64.unpack(_U64.pack(bits))[0])


def space_tag(name: str) -> bytes:
    """The length-prefixed name shared by a space's data and index keys."""
    encoded = name.encode("utf-8")
    return _U16.pack(len(encoded)) + encoded


class LevelDBView(View):
    """A LevelDB snapshot."""

    def __init__(self, snapshot: Any) -> None:
        self.snapshot = snapshot

    def release(self) -> None:
        if not self.released:
            self.released = True
            try:
                self.snapshot.close()
            except RuntimeError:  # the database was closed first
                pass


def _strip(iterator: Any, skip: int) -> Iterator[Tuple[bytes, Record]]:
    try:
        for key, raw in iterator:
            yield key[skip:], decode_record(raw)
    finally:
        try:
            iterator.close()
        except RuntimeError:  # the database was closed first
            pass


def _strip_down_to(iterator: Any, skip: int, start: bytes) -> Iterator[Tuple[bytes, Record]]:
    try:
        for key, raw in iterator:
            if key < start:
                return
            yield key[skip:], decode_record(raw)
    finally:
        try:
            iterator.close()
        except RuntimeError:  # the database was closed first
            pass


class LevelDBEngine(Engine):
    """Records in a LevelDB directory (created if missing).

    :param path: the database directory.
    :param sync: fsync every write (slower, survives an OS crash, not only a process crash).
    """

    def __init__(self, path: str, sync: bool = False) -> None:
        self.path = path
        self.sync = sync
        try:
            os.makedirs(path, exist_ok=True)
            self._db = plyvel.DB(path, create_if_missing=True)
        except (OSError, plyvel.Error) as e:
            raise StorageError(f"cannot open storage at {path!r}: {_text(e)}") from e
        try:
            self._check_format()
            self._registry: Set[str] = {
                key[len(REGISTRY) :].decode("utf-8")
                for key in self._db.iterator(prefix=REGISTRY, include_value=False)
            }
        except BaseException:
            self._db.close()
            raise
        self._tags: Dict[str, bytes] = {}

    def _check_format(self) -> None:
        marker = self._db.get(FORMAT_KEY)
        if marker == FORMAT:
            return
        if marker is None:
            with self._db.iterator(include_value=False) as keys:
                if next(keys, None) is None:
                    self._db.put(FORMAT_KEY, FORMAT, sync=True)
                    return
            raise StorageFormatError(f"{self.path!r} holds a LevelDB database not made by txkv")
        raise StorageFormatError(
            f"{self.path!r} has storage format {marker!r}, expected {FORMAT!r}"
        )

    def _check(self) -> None:
        if self.closed:
            raise StorageClosedError(f"storage at {self.path!r} is closed")

    def _tag(self, name: str) -> bytes:
        tag = self._tags.get(name)
        if tag is None:
            tag = self._tags[name] = space_tag(name)
        return tag

    # -- registry -------------------------------------------------------------------------

    def spaces(self) -> List[str]:
        self._check()
        return list(self._registry)

    def create_space(self, name: str) -> None:
        self._check()
        if name not in self._registry:
            self._db.put(REGISTRY + name.encode("utf-8"), b"", sync=self.sync)
            self._registry.add(name)

    def _delete_records(self, batch: Any, name: str) -> None:
        tag = self._tag(name)
        for area in (DATA, INDEX):
            for key in self._db.iterator(prefix=area + tag, include_value=False):
                batch.delete(key)

    def drop_space(self, name: str) -> None:
        self._check()
        batch = self._db.write_batch(sync=self.sync)
        self._delete_records(batch, name)
        batch.delete(REGISTRY + name.encode("utf-8"))
        batch.write()
        self._registry.discard(name)

    def clear_space(self, name: str) -> None:
        self._check()
        batch = self._db.write_batch(sync=self.sync)
        self._delete_records(batch, name)
        batch.write()

    # -- reads ----------------------------------------------------------------------------

    def _source(self, view: Optional[View]) -> Any:
        if view is None:
            return self._db
        assert isinstance(view, LevelDBView)
        return view.snapshot

    def get(self, space: str, key: bytes, view: Optional[View] = None) -> Optional[Record]:
        self._check()
        raw = self._source(view).get(DATA + self._tag(space) + key)
        return None if raw is None else decode_record(raw)

    def scan(
        self,
        space: str,
        low: Optional[bytes],
        high: Optional[bytes],
        reverse: bool,
        view: Optional[View] = None,
    ) -> Iterator[Tuple[bytes, Record]]:
        self._check()
        prefix = DATA + self._tag(space)
        start = prefix if low is None else prefix + low
        stop = prefix_successor(prefix) if high is None else prefix + high
        # Created here, not lazily: a LevelDB iterator reads the state of its creation.
        source = self._source(view)
        if not reverse:
            return _strip(source.iterator(start=start, stop=stop), len(prefix))
        # plyvel 1.5 yields nothing for a reverse range whose only key equals ``start``, so
        # give it a lower bound that is never a key (``prefix[:-1]`` is too short to hold the
        # name its length field announces) and stop at ``start`` ourselves.
        iterator = source.iterator(start=prefix[:-1], stop=stop, reverse=True)
        return _strip_down_to(iterator, len(prefix), start)

    # -- views and writes -----------------------------------------------------------------

    def view(self) -> View:
        self._check()
        return LevelDBView(self._db.snapshot())

    def apply(self, ops: Sequence[Op], sync: Optional[bool] = None) -> None:
        self._check()
        batch = self._db.write_batch(sync=self.sync if sync is None else sync)
        for name, key, record in ops:
            tag = self._tag(name)
            if record is None:
                batch.delete(DATA + tag + key)
            else:
                batch.put(DATA + tag + key, encode_record(record))
                if record.deadline is not None:
                    batch.put(INDEX + tag + encode_when(record.deadline) + key, b"")
        batch.write()

    def purge(self, space: str, now: float) -> int:
        self._check()
        tag = self._tag(space)
        index = INDEX + tag
        skip = len(index)
        batch = self._db.write_batch(sync=False)
        purged: Set[bytes] = set()
        for entry in self._db.iterator(prefix=index, include_value=False):
            if decode_when(entry[skip : skip + 8]) > now:
                break
            key = entry[skip + 8 :]
            batch.delete(entry)
            if key in purged:
                continue
            raw = self._db.get(DATA + tag + key)
            if raw is not None and is_expired(decode_record(raw), now):
                batch.delete(DATA + tag + key)
                purged.add(key)
        batch.write()
        return len(purged)

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self._db.close()


def _text(error: BaseException) -> str:
    """plyvel puts bytes in its messages; show them as text."""
    arg = error.args[0] if error.args else error
    return arg.decode("utf-8", "replace") if isinstance(arg, bytes) else str(arg)
