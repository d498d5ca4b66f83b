"""The small contract both backends implement; the expiry and API rules live above it.

An engine stores :class:`Record` objects (a value and an optional absolute deadline) under
``(space, key)`` and knows nothing about clocks except in :meth:`Engine.purge`, which deletes
the records whose deadline has passed.  Everything user-facing (argument checks, "expired
means absent", batches, snapshots objects) is in :mod:`txkv.storage.store`.
"""

from __future__ import annotations

import abc
from typing import Iterator, List, NamedTuple, Optional, Sequence, Tuple


class Record(NamedTuple):
    """A stored value and its absolute expiry deadline (None = never expires)."""

    value: bytes
    deadline: Optional[float]


#: One write: ``(space, key, record)``; a record of None deletes the key.
Op = Tuple[str, bytes, Optional[Record]]


def is_expired(record: Record, now: float) -> bool:
    """A record is expired from its deadline on (``now >= deadline``)."""
    return record.deadline is not None and record.deadline <= now


class View(abc.ABC):
    """A frozen, storage-wide read view; engines give it meaning, callers only release it."""

    released = False

    @abc.abstractmethod
    def release(self) -> None:
        """Free the view (idempotent)."""


class Engine(abc.ABC):
    """Ordered record store with atomic multi-space writes and read views."""

    closed = False

    @abc.abstractmethod
    def spaces(self) -> List[str]:
        """Names of the registered spaces."""

    @abc.abstractmethod
    def create_space(self, name: str) -> None:
        """Register ``name`` (idempotent)."""

    @abc.abstractmethod
    def drop_space(self, name: str) -> None:
        """Delete every record of ``name`` and unregister it."""

    @abc.abstractmethod
    def clear_space(self, name: str) -> None:
        """Delete every record of ``name``; it stays registered."""

    @abc.abstractmethod
    def get(self, space: str, key: bytes, view: Optional[View] = None) -> Optional[Record]:
        """The record under ``key`` now, or as seen by ``view``; expired records included."""

    @abc.abstractmethod
    def scan(
        self,
        space: str,
        low: Optional[bytes],
        high: Optional[bytes],
        reverse: bool,
        view: Optional[View] = None,
    ) -> Iterator[Tuple[bytes, Record]]:
        """Records with ``low <= key < high`` in key order (or reversed).

        The iterator is consistent: it reads the state at call time (or ``view``'s state),
        whatever is written while it is consumed.  Expired records are included.
        """

    @abc.abstractmethod
    def apply(self, ops: Sequence[Op], sync: Optional[bool] = None) -> None:
        """Apply ``ops`` atomically, in order (a later op on the same key wins)."""

    @abc.abstractmethod
    def view(self) -> View:
        """A read view of the current state of every space."""

    @abc.abstractmethod
    def purge(self, space: str, now: float) -> int:
        """Delete the records of ``space`` expired at ``now``; return how many."""

    def count(self, space: str, now: float) -> int:
        """Purge the expired records of ``space``, then count the others."""
        self.purge(space, now)
        return sum(
            1 for _, record in self.scan(space, None, None, False) if not is_expired(record, now)
        )

    @abc.abstractmethod
    def close(self) -> None:
        """Release every resource; the engine is unusable afterwards."""
