"""Cache contents as the request handlers see them: entries keyed by typed key identity.

An entry keeps the key and value exactly as the client serialized them, so values come back
byte for byte; it is stored under :func:`~txkv.ignite.codec.key_identity` of the key (typed:
Int 1 and Long 1 differ, compact and full footers of one complex key are equal).

:class:`CacheData` is the interface; :class:`StorageCacheData` keeps a cache in a storage
namespace and :class:`TxView` overlays a transaction's buffered writes on any ``CacheData``.
"""

from __future__ import annotations

import struct
from typing import Dict, Iterator, NamedTuple, Optional, Tuple

from txkv.storage import Namespace, StorageBatch

__all__ = ["Entry", "CacheData", "StorageCacheData", "TxView", "pack_entry", "unpack_entry"]

_KEY_LEN = struct.Struct("<I")


class Entry(NamedTuple):
    """One cache entry: serialized key and value, and the expiry deadline (None = eternal)."""

    key: bytes
    value: bytes
    expire_at: Optional[float] = None


def pack_entry(key: bytes, value: bytes) -> bytes:
    """The stored record of an entry: key length, key, value."""
    return _KEY_LEN.pack(len(key)) + key + value


def unpack_entry(record: bytes) -> Tuple[bytes, bytes]:
    """``(key, value)`` of a stored record."""
    (size,) = _KEY_LEN.unpack_from(record, 0)
    return record[4:4 + size], record[4 + size:]


class CacheData:
    """What the handlers need from a cache's contents (keys are key identities)."""

    def get(self, identity: bytes, raw_key: bytes) -> Optional[Entry]:
        raise NotImplementedError

    def put(self, identity: bytes, entry: Entry) -> None:
        raise NotImplementedError

    def delete(self, identity: bytes, raw_key: bytes) -> bool:
        raise NotImplementedError

    def count(self) -> int:
        raise NotImplementedError

    def clear(self) -> None:
        raise NotImplementedError

    def scan(self) -> Iterator[Tuple[bytes, Entry]]:
        """Every live entry as ``(identity, entry)``, from one consistent state."""
        raise NotImplementedError

    def stage(self, batch: StorageBatch, writes: Dict[bytes, Optional[Entry]]) -> bool:
        """Queue ``writes`` in ``batch``; False if this data cannot join a storage batch."""
        return False

    def apply(self, writes: Dict[bytes, Optional[Entry]], keys: Dict[bytes, bytes]) -> None:
        """Apply writes directly (data that cannot join a storage batch); ``keys`` gives the
        serialized key of each removed identity."""
        for identity, entry in writes.items():
            if entry is None:
                self.delete(identity, keys.get(identity, b""))
            else:
                self.put(identity, entry)


class StorageCacheData(CacheData):
    """A cache kept in one storage namespace: identity -> packed (key, value), with TTL."""

    def __init__(self, namespace: Namespace) -> None:
        self.namespace = namespace

    def get(self, identity: bytes, raw_key: bytes) -> Optional[Entry]:
        found = self.namespace.get_entry(identity)
        if found is None:
            return None
        key, value = unpack_entry(found.value)
        return Entry(key, value, found.expire_at)

    def put(self, identity: bytes, entry: Entry) -> None:
        self.namespace.put(identity, pack_entry(entry.key, entry.value),
                           expire_at=entry.expire_at)

    def delete(self, identity: bytes, raw_key: bytes) -> bool:
        return self.namespace.delete(identity)

    def count(self) -> int:
        return self.namespace.count()

    def clear(self) -> None:
        self.namespace.clear()

    def scan(self) -> Iterator[Tuple[bytes, Entry]]:
        for found in self.namespace.iterate_entries():
            key, value = unpack_entry(found.value)
            yield found.key, Entry(key, value, found.expire_at)

    def stage(self, batch: StorageBatch, writes: Dict[bytes, Optional[Entry]]) -> bool:
        for identity, entry in writes.items():
            if entry is None:
                batch.delete(self.namespace, identity)
            else:
                batch.put(self.namespace, identity, pack_entry(entry.key, entry.value),
                          expire_at=entry.expire_at)
        return True


class TxView(CacheData):
    """A transaction's view of a cache: its own buffered writes over the committed data."""

    def __init__(self, base: CacheData) -> None:
        self.base = base
        #: identity -> new entry, or None for a removal
        self.writes: Dict[bytes, Optional[Entry]] = {}
        #: identity -> serialized key, for removals
        self.keys: Dict[bytes, bytes] = {}

    def get(self, identity: bytes, raw_key: bytes) -> Optional[Entry]:
        if identity in self.writes:
            return self.writes[identity]
        return self.base.get(identity, raw_key)

    def put(self, identity: bytes, entry: Entry) -> None:
        self.writes[identity] = entry

    def delete(self, identity: bytes, raw_key: bytes) -> bool:
        existed = self.get(identity, raw_key) is not None
        self.writes[identity] = None
        self.keys[identity] = raw_key
        return existed

    def count(self) -> int:
        return sum(1 for _ in self.scan())

    def clear(self) -> None:
        for identity, entry in list(self.scan()):
            self.writes[identity] = None
            self.keys[identity] = entry.key

    def scan(self) -> Iterator[Tuple[bytes, Entry]]:
        for identity, entry in self.base.scan():
            if identity in self.writes:
                continue
            yield identity, entry
        for identity, pending in list(self.writes.items()):
            if pending is not None:
                yield identity, pending
