"""Atomic write batches: collected in memory, applied in one engine write, or not at all."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, List, Optional, Tuple, Union

from txkv.errors import ParameterError

from ._context import CommitsOnExit
from ._engine import Op, Record
from ._validate import BytesLike, as_bytes, deadline_for

if TYPE_CHECKING:
    from .store import Namespace, Storage

# (namespace, key, value or None for delete, ttl, expire_at)
_Pending = Tuple["Namespace", bytes, Optional[bytes], Any, Any]


class StorageBatch(CommitsOnExit):
    """Puts and deletes across namespaces, applied atomically by :meth:`commit`.

    Used as a context manager the batch commits on a clean exit and is discarded when the
    block raises.  Arguments are checked when an operation is added (a bad one raises
    :class:`~txkv.errors.ParameterError` and leaves the batch as it was); expiry deadlines
    are computed from the storage clock at commit time.  After a commit or a discard the
    batch is empty and can be reused.
    """

    def __init__(self, storage: Storage) -> None:
        self._storage = storage
        self._ops: List[_Pending] = []

    def __len__(self) -> int:
        return len(self._ops)

    def _namespace(self, namespace: Union[str, Namespace]) -> Namespace:
        from .store import Namespace

        if isinstance(namespace, Namespace):
            if namespace.storage is not self._storage:
                raise ParameterError(f"namespace {namespace.name!r} belongs to another storage")
            namespace._check()
            return namespace
        return self._storage.namespace(namespace)

    def put(
        self,
        namespace: Union[str, Namespace],
        key: BytesLike,
        value: BytesLike,
        ttl: Optional[float] = None,
        *,
        expire_at: Optional[float] = None,
    ) -> None:
        """Queue ``namespace[key] = value``, expiring after ``ttl`` seconds or at ``expire_at``."""
        ns = self._namespace(namespace)
        key_bytes = as_bytes(key, "key")
        value_bytes = as_bytes(value, "value")
        deadline_for(ttl, expire_at, 0.0)  # type checks now, deadline at commit
        self._ops.append((ns, key_bytes, value_bytes, ttl, expire_at))

    def delete(self, namespace: Union[str, Namespace], key: BytesLike) -> None:
        """Queue the removal of ``key`` from ``namespace`` (absent keys are fine)."""
        ns = self._namespace(namespace)
        self._ops.append((ns, as_bytes(key, "key"), None, None, None))

    def commit(self) -> None:
        """Apply every queued operation atomically, in order, then empty the batch."""
        storage = self._storage
        storage._check()
        if not self._ops:
            return
        now = storage.clock()
        ops: List[Op] = []
        for ns, key, value, ttl, expire_at in self._ops:
            ns._check()
            record = None
            if value is not None:
                alive, deadline = deadline_for(ttl, expire_at, now)
                if alive:
                    record = Record(value, deadline)
            ops.append((ns.name, key, record))
        storage._engine.apply(ops)
        self._ops = []

    def discard(self) -> None:
        """Forget every queued operation."""
        self._ops = []


class WriteBatch(CommitsOnExit):
    """A :class:`StorageBatch` bound to one namespace: ``put(key, value)``, ``delete(key)``."""

    def __init__(self, namespace: Namespace) -> None:
        self._namespace = namespace
        self._batch = StorageBatch(namespace.storage)

    def __len__(self) -> int:
        return len(self._batch)

    def put(
        self,
        key: BytesLike,
        value: BytesLike,
        ttl: Optional[float] = None,
        *,
        expire_at: Optional[float] = None,
    ) -> None:
        """Queue ``key = value`` (see :meth:`StorageBatch.put`)."""
        self._batch.put(self._namespace, key, value, ttl, expire_at=expire_at)

    def delete(self, key: BytesLike) -> None:
        """Queue the removal of ``key``."""
        self._batch.delete(self._namespace, key)

    def commit(self) -> None:
        """Apply the queued operations atomically."""
        self._batch.commit()

    def discard(self) -> None:
        """Forget the queued operations."""
        self._batch.discard()
