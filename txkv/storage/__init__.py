"""Embedded, ordered key-value storage for txkv's servers.

Model
-----
A :class:`Storage` holds named :class:`Namespace` objects (an Ignite cache, a Kyoto Tycoon
database...).  A namespace maps ``bytes`` keys to ``bytes`` values, kept in byte order.
Keys and values may be given as bytes, bytearray or memoryview and are stored as bytes;
anything else raises :class:`txkv.errors.ParameterError`.

* **Writes** -- ``put`` / ``delete`` / ``touch`` are atomic one by one; a write batch
  (:meth:`Namespace.write_batch`, or :meth:`Storage.write_batch` across namespaces) applies
  many at once, all or nothing: on a clean ``with`` exit or ``commit()``, never when the
  block raised.
* **Reads** -- ``get`` / ``in`` / ``count`` see the latest writes; ``iterate`` walks a range
  (``start`` inclusive, ``stop`` exclusive, optional ``prefix``, optionally reversed) of one
  consistent state: the namespace when the iterator was created, or a :class:`Snapshot`.
  Writes made while iterating never show up in, nor break, an open iterator.
* **Expiry** -- a key may carry a deadline (``ttl`` seconds from now, or ``expire_at`` on
  the storage clock).  From its deadline on a key is absent everywhere (``get``, ``in``,
  ``count``, iterators, snapshots -- expiry is judged by the clock at read time).  Expired
  keys are deleted when a live read meets them and by ``purge_expired()``.  The clock is
  injectable (``open_storage(clock=...)``), so tests drive expiry without sleeping.
* **Backends** -- ``open_storage()`` keeps everything in memory (sorted keys plus
  multi-version chains, so snapshots are cheap and copy nothing);
  ``open_storage(path)`` uses a LevelDB directory (plyvel) where every acknowledged write
  survives closing (or the process dying) and reopening; ``sync=True`` also fsyncs each
  write.  Both behave identically and share one test suite.

The engine is not thread-safe: use it from one thread (the reactor's).
"""

from __future__ import annotations

from typing import Optional

from ._validate import BytesLike
from .batch import StorageBatch, WriteBatch
from .errors import (
    NamespaceDroppedError,
    SnapshotClosedError,
    StorageClosedError,
    StorageError,
    StorageFormatError,
)
from .store import Clock, Cursor, Entry, Namespace, Reader, Snapshot, Storage, log


def open_storage(
    path: Optional[str] = None, *, clock: Optional[Clock] = None, sync: bool = False
) -> Storage:
    """Open a storage: in memory when ``path`` is None, else the LevelDB directory ``path``.

    :param path: directory of the LevelDB database (created if missing).
    :param clock: returns the current time in seconds (default :func:`time.time`).
    :param sync: fsync every write (LevelDB only).
    :raises StorageError: the directory cannot be opened (in use by another process...).
    :raises StorageFormatError: the directory holds a LevelDB database not made by txkv.
    """
    if path is None:
        from ._memory import MemoryEngine

        storage = Storage(MemoryEngine(), clock=clock)
    else:
        from ._leveldb import LevelDBEngine

        path = str(path)
        storage = Storage(LevelDBEngine(path, sync=sync), clock=clock, path=path)
    log.debug("opened storage {path}", path=path)
    return storage


__all__ = [
    "open_storage",
    "Storage",
    "Namespace",
    "Reader",
    "Snapshot",
    "Cursor",
    "Entry",
    "StorageBatch",
    "WriteBatch",
    "Clock",
    "BytesLike",
    "StorageError",
    "StorageClosedError",
    "SnapshotClosedError",
    "NamespaceDroppedError",
    "StorageFormatError",
]
