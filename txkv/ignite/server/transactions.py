"""Transactions of one connection (ops 4000/4001, cache flag 0x02).

Writes made inside a transaction are buffered per cache (:class:`~.data.TxView`, so the
transaction reads its own writes) and applied atomically with one storage batch on commit;
rollback, a timeout or a disconnect discards them.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional

from txkv.ignite.codec import ops
from txkv.storage import Storage

from .data import CacheData, TxView
from .status import OpError, tx_missing

__all__ = ["Transaction", "TransactionTable", "DEFAULT_MAX_TRANSACTIONS"]

#: Ignite's default ThinClientConfiguration.maxActiveTxPerConnection.
DEFAULT_MAX_TRANSACTIONS = 100


class Transaction:
    """One open transaction."""

    def __init__(self, tx_id: int, concurrency: int, isolation: int, timeout_ms: int,
                 label: Optional[str]) -> None:
        self.tx_id = tx_id
        self.concurrency = concurrency
        self.isolation = isolation
        self.timeout_ms = timeout_ms
        self.label = label
        self.timed_out = False
        self.timer: Any = None
        self.views: Dict[int, TxView] = {}

    def view(self, cache_id: int, data: CacheData) -> TxView:
        """This transaction's view of a cache."""
        found = self.views.get(cache_id)
        if found is None or found.base is not data:
            found = self.views[cache_id] = TxView(data)
        return found

    def check_alive(self) -> None:
        if self.timed_out:
            raise OpError(ops.STATUS_FAILED,
                          f"Cache transaction timed out [txId={self.tx_id}, "
                          f"timeout={self.timeout_ms}]")

    def commit(self, storage: Storage) -> None:
        """Apply every buffered write: storage-backed caches in one atomic batch."""
        direct: List[TxView] = []
        with storage.write_batch() as batch:
            for view in self.views.values():
                if view.writes and not view.base.stage(batch, view.writes):
                    direct.append(view)
        for view in direct:
            view.base.apply(view.writes, view.keys)
        self.views.clear()

    def discard(self) -> None:
        self.views.clear()
        if self.timer is not None and self.timer.active():
            self.timer.cancel()
        self.timer = None


class TransactionTable:
    """The open transactions of one connection; ids from 1."""

    def __init__(self, call_later: Callable[..., Any],
                 limit: int = DEFAULT_MAX_TRANSACTIONS) -> None:
        self._call_later = call_later
        self.limit = limit
        self._next_id = 1
        self._open: Dict[int, Transaction] = {}

    def __len__(self) -> int:
        return len(self._open)

    def start(self, concurrency: int, isolation: int, timeout_ms: int,
              label: Optional[str]) -> Transaction:
        if len(self._open) >= self.limit:
            raise OpError(
                ops.STATUS_TX_LIMIT_EXCEEDED,
                f"Active transactions per connection limit ({self.limit}) exceeded. To start a "
                "new transaction you need to wait for some of currently active transactions "
                "complete. To change the limit set up "
                "ThinClientConfiguration.MaxActiveTxPerConnection property.")
        tx = Transaction(self._next_id, concurrency, isolation, timeout_ms, label)
        self._next_id += 1
        self._open[tx.tx_id] = tx
        if timeout_ms > 0:
            tx.timer = self._call_later(timeout_ms / 1000.0, self._expire, tx)
        return tx

    def _expire(self, tx: Transaction) -> None:
        tx.timer = None
        tx.timed_out = True
        tx.views.clear()

    def get(self, tx_id: int) -> Transaction:
        """The open transaction ``tx_id``; 1021 when unknown, 1 when it timed out."""
        tx = self._open.get(tx_id)
        if tx is None:
            raise tx_missing(tx_id)
        tx.check_alive()
        return tx

    def end(self, tx_id: int, commit: bool, storage: Storage) -> None:
        tx = self._open.pop(tx_id, None)
        if tx is None:
            raise tx_missing(tx_id)
        try:
            if commit:
                tx.check_alive()
                tx.commit(storage)
        finally:
            tx.discard()

    def rollback_all(self) -> None:
        for tx in self._open.values():
            tx.discard()
        self._open.clear()
