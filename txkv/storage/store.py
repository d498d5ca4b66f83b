"""The storage API: :class:`Storage` -> :class:`Namespace` -> reads, writes, batches, snapshots.

This layer owns the rules both engines share: arguments are checked here, deadlines are
computed from the storage clock here, and an expired record is treated as absent here
(and deleted when a live read meets it).
"""

from __future__ import annotations

import time
import weakref
from typing import (
    Any,
    Callable,
    Dict,
    Generic,
    Iterator,
    List,
    Literal,
    NamedTuple,
    Optional,
    Tuple,
    TypeVar,
    Union,
    overload,
)

from twisted.logger import Logger

from txkv.errors import ParameterError

from ._context import ClosesOnExit
from ._engine import Engine, Record, View, is_expired
from ._validate import BytesLike, as_bytes, deadline_for, key_range, namespace_name
from .batch import StorageBatch, WriteBatch
from .errors import NamespaceDroppedError, SnapshotClosedError, StorageClosedError

T = TypeVar("T")
Clock = Callable[[], float]

log = Logger(namespace="txkv.storage")


class Entry(NamedTuple):
    """A key, its value and its absolute expiry time (None = never expires)."""

    key: bytes
    value: bytes
    expire_at: Optional[float]


def _pair(key: bytes, record: Record) -> Tuple[bytes, bytes]:
    return key, record.value


def _key(key: bytes, record: Record) -> bytes:
    return key


def _entry(key: bytes, record: Record) -> Entry:
    return Entry(key, record.value, record.deadline)


class Cursor(Iterator[T], Generic[T]):
    """Iterator over a key range, as returned by :meth:`Namespace.iterate`.

    It reads one consistent state (the snapshot's, or the namespace's when it was created)
    and skips records that are expired by the time they are reached.  :meth:`close` frees
    it early; it is also freed when exhausted or garbage collected.
    """

    def __init__(
        self,
        namespace: Namespace,
        records: Iterator[Tuple[bytes, Record]],
        shape: Callable[[bytes, Record], T],
        snapshot: Optional[Snapshot],
    ) -> None:
        self._namespace = namespace
        self._records = records
        self._shape = shape
        self._snapshot = snapshot
        self._finished = False

    def __iter__(self) -> Cursor[T]:
        return self

    def __next__(self) -> T:
        if self._finished:
            raise StopIteration
        storage = self._namespace.storage
        storage._check()
        if self._snapshot is not None:
            self._snapshot._check()
        clock = storage.clock
        for key, record in self._records:
            if record.deadline is not None:
                now = clock()
                if record.deadline <= now:
                    if self._snapshot is None:
                        self._namespace._purge_if_expired(key, now)
                    continue
            return self._shape(key, record)
        self._finished = True
        raise StopIteration

    def close(self) -> None:
        """Stop the iteration and free what it holds."""
        self._finished = True
        close = getattr(self._records, "close", None)
        if close is not None:
            close()


class Reader:
    """Read operations shared by :class:`Namespace` (live) and :class:`Snapshot` (frozen)."""

    _namespace: Namespace

    def _view(self) -> Optional[View]:
        raise NotImplementedError

    def _check(self) -> None:
        raise NotImplementedError

    def _record(self, key: Any) -> Optional[Record]:
        """The unexpired record under ``key``, or None."""
        self._check()
        ns = self._namespace
        key_bytes = as_bytes(key, "key")
        view = self._view()
        record = ns.storage._engine.get(ns.name, key_bytes, view)
        if record is None or record.deadline is None:
            return record
        now = ns.storage.clock()
        if record.deadline > now:
            return record
        if view is None:
            ns.storage._engine.apply([(ns.name, key_bytes, None)], sync=False)
        return None

    def get(self, key: BytesLike) -> Optional[bytes]:
        """The value under ``key``, or None when absent or expired."""
        record = self._record(key)
        return None if record is None else record.value

    def get_entry(self, key: BytesLike) -> Optional[Entry]:
        """``Entry(key, value, expire_at)`` for ``key``, or None when absent or expired."""
        record = self._record(key)
        return (
            None if record is None else Entry(as_bytes(key, "key"), record.value, record.deadline)
        )

    def __contains__(self, key: Any) -> bool:
        return self._record(key) is not None

    def _cursor(
        self,
        start: Optional[BytesLike],
        stop: Optional[BytesLike],
        prefix: Optional[BytesLike],
        reverse: bool,
        snapshot: Optional[Snapshot],
        shape: Callable[[bytes, Record], T],
    ) -> Cursor[T]:
        self._check()
        if snapshot is not None:
            snapshot._check()
        ns = self._namespace
        low, high, empty = key_range(start, stop, prefix)
        view = snapshot._view() if snapshot is not None else None
        if empty:
            records: Iterator[Tuple[bytes, Record]] = iter(())
        else:
            records = ns.storage._engine.scan(ns.name, low, high, bool(reverse), view)
        return Cursor(ns, records, shape, snapshot)

    def _own_snapshot(self, snapshot: Optional[Snapshot]) -> Optional[Snapshot]:
        raise NotImplementedError

    @overload
    def iterate(
        self,
        start: Optional[BytesLike] = None,
        stop: Optional[BytesLike] = None,
        prefix: Optional[BytesLike] = None,
        reverse: bool = False,
        snapshot: Optional[Snapshot] = None,
        keys_only: Literal[False] = False,
    ) -> Cursor[Tuple[bytes, bytes]]: ...

    @overload
    def iterate(
        self,
        start: Optional[BytesLike] = None,
        stop: Optional[BytesLike] = None,
        prefix: Optional[BytesLike] = None,
        reverse: bool = False,
        snapshot: Optional[Snapshot] = None,
        *,
        keys_only: Literal[True],
    ) -> Cursor[bytes]: ...

    @overload
    def iterate(
        self,
        start: Optional[BytesLike] = None,
        stop: Optional[BytesLike] = None,
        prefix: Optional[BytesLike] = None,
        reverse: bool = False,
        snapshot: Optional[Snapshot] = None,
        keys_only: bool = False,
    ) -> Union[Cursor[Tuple[bytes, bytes]], Cursor[bytes]]: ...

    def iterate(
        self,
        start: Optional[BytesLike] = None,
        stop: Optional[BytesLike] = None,
        prefix: Optional[BytesLike] = None,
        reverse: bool = False,
        snapshot: Optional[Snapshot] = None,
        keys_only: bool = False,
    ) -> Union[Cursor[Tuple[bytes, bytes]], Cursor[bytes]]:
        """Iterate ``(key, value)`` pairs (or keys only) in byte order.

        :param start: first key (inclusive); None = from the beginning.
        :param stop: end key (exclusive); None = to the end.
        :param prefix: only keys starting with these bytes (combines with start/stop).
        :param reverse: walk the same range from its last key down to its first.
        :param snapshot: read this snapshot of the namespace instead of the current state.
        :param keys_only: yield keys instead of pairs.
        """
        snap = self._own_snapshot(snapshot)
        if keys_only:
            return self._cursor(start, stop, prefix, reverse, snap, _key)
        return self._cursor(start, stop, prefix, reverse, snap, _pair)

    def iterate_entries(
        self,
        start: Optional[BytesLike] = None,
        stop: Optional[BytesLike] = None,
        prefix: Optional[BytesLike] = None,
        reverse: bool = False,
        snapshot: Optional[Snapshot] = None,
    ) -> Cursor[Entry]:
        """Like :meth:`iterate` but yield :class:`Entry` tuples (with expiry times)."""
        snap = self._own_snapshot(snapshot)
        return self._cursor(start, stop, prefix, reverse, snap, _entry)

    def count(self) -> int:
        """Number of unexpired keys (a scan of the namespace)."""
        return sum(1 for _ in self.iterate(keys_only=True))


class Namespace(Reader):
    """An ordered ``bytes -> bytes`` map inside a :class:`Storage`.

    Obtain it with :meth:`Storage.namespace`; it is usable until the storage is closed or
    the namespace dropped (then every call raises a :class:`~.errors.StorageError`).
    """

    def __init__(self, storage: Storage, name: str) -> None:
        self.storage = storage
        self.name = name
        self.dropped = False
        self._namespace = self

    def __repr__(self) -> str:
        return f"<Namespace {self.name!r} of {self.storage!r}>"

    def _check(self) -> None:
        self.storage._check()
        if self.dropped:
            raise NamespaceDroppedError(f"namespace {self.name!r} was dropped")

    def _view(self) -> Optional[View]:
        return None

    def _own_snapshot(self, snapshot: Optional[Snapshot]) -> Optional[Snapshot]:
        if snapshot is not None:
            if not isinstance(snapshot, Snapshot):
                raise ParameterError(f"snapshot must be a Snapshot, not {type(snapshot).__name__}")
            if snapshot.namespace is not self:
                raise ParameterError(
                    f"snapshot of namespace {snapshot.namespace.name!r} used on {self.name!r}"
                )
        return snapshot

    def _purge_if_expired(self, key: bytes, now: float) -> None:
        """Delete ``key`` if its live record is expired at ``now`` (lazy purge)."""
        engine = self.storage._engine
        if self.storage.closed or self.dropped:
            return
        record = engine.get(self.name, key)
        if record is not None and is_expired(record, now):
            engine.apply([(self.name, key, None)], sync=False)

    # -- writes ---------------------------------------------------------------------------

    def put(
        self,
        key: BytesLike,
        value: BytesLike,
        ttl: Optional[float] = None,
        *,
        expire_at: Optional[float] = None,
    ) -> None:
        """Store ``value`` under ``key``.

        :param ttl: seconds until the key expires; None = never; ``<= 0`` deletes the key.
        :param expire_at: absolute expiry time on the storage clock (instead of ``ttl``).
        """
        self._check()
        key_bytes = as_bytes(key, "key")
        value_bytes = as_bytes(value, "value")
        alive, deadline = deadline_for(ttl, expire_at, self.storage.clock())
        record = Record(value_bytes, deadline) if alive else None
        self.storage._engine.apply([(self.name, key_bytes, record)])

    def delete(self, key: BytesLike) -> bool:
        """Remove ``key``; return whether it existed (expired keys did not)."""
        self._check()
        key_bytes = as_bytes(key, "key")
        engine = self.storage._engine
        record = engine.get(self.name, key_bytes)
        if record is None:
            return False
        engine.apply([(self.name, key_bytes, None)])
        return not is_expired(record, self.storage.clock())

    def touch(
        self, key: BytesLike, ttl: Optional[float] = None, *, expire_at: Optional[float] = None
    ) -> bool:
        """Give an existing key a new expiry (None = never expires); return whether it existed.

        ``ttl <= 0`` (or ``expire_at`` in the past) deletes the key.
        """
        record = self._record(key)
        if record is None:
            return False
        key_bytes = as_bytes(key, "key")
        alive, deadline = deadline_for(ttl, expire_at, self.storage.clock())
        new = Record(record.value, deadline) if alive else None
        self.storage._engine.apply([(self.name, key_bytes, new)])
        return True

    set_ttl = touch

    def ttl(self, key: BytesLike) -> Optional[float]:
        """Seconds until ``key`` expires; None when it never expires *or* is absent.

        Use ``key in namespace`` (or :meth:`get_entry`) to tell those two apart.
        """
        record = self._record(key)
        if record is None or record.deadline is None:
            return None
        return record.deadline - self.storage.clock()

    def expire_at(self, key: BytesLike) -> Optional[float]:
        """Absolute expiry time of ``key`` on the storage clock; None: never, or absent."""
        record = self._record(key)
        return None if record is None else record.deadline

    def write_batch(self) -> WriteBatch:
        """A batch of puts/deletes on this namespace, applied atomically on commit."""
        self._check()
        return WriteBatch(self)

    def clear(self) -> None:
        """Delete every key (open snapshots and iterators keep seeing the old content)."""
        self._check()
        self.storage._engine.clear_space(self.name)

    def purge_expired(self) -> int:
        """Delete the expired keys now; return how many were deleted."""
        self._check()
        return self.storage._engine.purge(self.name, self.storage.clock())

    # -- reads ----------------------------------------------------------------------------

    def count(self) -> int:
        """Number of unexpired keys; purges the expired ones first (like :meth:`purge_expired`).

        O(1) after the purge in memory, a scan of the namespace in LevelDB.
        """
        self._check()
        return self.storage._engine.count(self.name, self.storage.clock())

    def snapshot(self) -> Snapshot:
        """A frozen view of this namespace; close it (or use ``with``) when done."""
        self._check()
        return Snapshot(self, self.storage._engine.view())


class Snapshot(ClosesOnExit, Reader):
    """The state of one namespace at the time :meth:`Namespace.snapshot` was called.

    Writes made afterwards are invisible to it.  Expiry is still judged by the clock at
    read time: a key that expires while the snapshot is open disappears from it too.
    """

    def __init__(self, namespace: Namespace, view: View) -> None:
        self.namespace = namespace
        self._namespace = namespace
        self._engine_view = view
        self._closed = False
        self._finalizer = weakref.finalize(self, view.release)
        self._finalizer.atexit = False

    def __repr__(self) -> str:
        state = " closed" if self.closed else ""
        return f"<Snapshot of namespace {self.namespace.name!r}{state}>"

    @property
    def closed(self) -> bool:
        """True once closed, explicitly or by closing the storage."""
        return self._closed or self.namespace.storage.closed

    def _check(self) -> None:
        self.namespace.storage._check()
        if self._closed:
            raise SnapshotClosedError(f"snapshot of namespace {self.namespace.name!r} is closed")

    def _view(self) -> Optional[View]:
        return self._engine_view

    def _own_snapshot(self, snapshot: Optional[Snapshot]) -> Optional[Snapshot]:
        if snapshot is not None and snapshot is not self:
            raise ParameterError("a snapshot iterates itself; do not pass another snapshot")
        return self

    def close(self) -> None:
        """Release the snapshot (idempotent)."""
        self._closed = True
        self._finalizer()


class Storage(ClosesOnExit):
    """A set of named namespaces over one engine; see :func:`txkv.storage.open_storage`.

    :param engine: the backend.
    :param clock: returns the current time in seconds; drives expiry.
    :param path: the LevelDB directory, None in memory.
    """

    def __init__(
        self, engine: Engine, *, clock: Optional[Clock] = None, path: Optional[str] = None
    ):
        self._engine = engine
        self.clock: Clock = clock if clock is not None else time.time
        self.path = path
        self._namespaces: Dict[str, Namespace] = {}
        self._closed = False

    def __repr__(self) -> str:
        where = "memory" if self.path is None else repr(self.path)
        state = " closed" if self._closed else ""
        return f"<Storage {where}{state}>"

    @property
    def closed(self) -> bool:
        """True once :meth:`close` was called."""
        return self._closed

    @property
    def durable(self) -> bool:
        """True for LevelDB storage (data survives :meth:`close`)."""
        return self.path is not None

    def _check(self) -> None:
        if self._closed:
            where = "in-memory storage" if self.path is None else f"storage at {self.path!r}"
            raise StorageClosedError(f"{where} is closed")

    def namespace(self, name: str) -> Namespace:
        """The namespace called ``name``, created on first use (same object every call)."""
        self._check()
        ns = self._namespaces.get(name)
        if ns is None:
            self._engine.create_space(namespace_name(name))
            ns = self._namespaces[name] = Namespace(self, name)
        return ns

    def namespaces(self) -> List[str]:
        """Names of every namespace, sorted (those of earlier sessions too, for LevelDB)."""
        self._check()
        return sorted(self._engine.spaces())

    def drop_namespace(self, name: str) -> bool:
        """Delete a namespace and its keys; return whether it existed.

        Namespace objects obtained before raise :class:`~.errors.NamespaceDroppedError`
        afterwards; open snapshots and iterators keep reading the old content.
        """
        self._check()
        namespace_name(name)
        existed = name in self._engine.spaces()
        ns = self._namespaces.pop(name, None)
        if ns is not None:
            ns.dropped = True
        if existed:
            self._engine.drop_space(name)
        return existed

    def write_batch(self) -> StorageBatch:
        """A batch of puts/deletes across namespaces, applied atomically on commit."""
        self._check()
        return StorageBatch(self)

    def purge_expired(self) -> int:
        """Delete the expired keys of every namespace; return how many were deleted."""
        self._check()
        now = self.clock()
        return sum(self._engine.purge(name, now) for name in self._engine.spaces())

    def close(self) -> None:
        """Close the storage (idempotent); snapshots and iterators become unusable."""
        if self._closed:
            return
        self._closed = True
        self._engine.close()
        log.debug("closed storage {path}", path=self.path)
