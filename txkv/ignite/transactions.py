"""Thin-client transactions (protocol >= 1.5.0): :class:`Transaction`.

A transaction lives on one connection.  ``client.tx_start(...)`` returns a
:class:`Transaction`; start it with ``async with`` (or ``await``)::

    async with client.tx_start(isolation=TransactionIsolation.SERIALIZABLE) as tx:
        await cache.put(1, 'one')
        await tx.commit()

Inside the block (in the same coroutine, tracked with a :mod:`contextvars` variable as pyignite
does) every cache operation of that client goes to the transaction's connection and carries the
transaction flag and id.  Leaving the block without :meth:`~Transaction.commit` rolls back.
Callback-style code binds caches explicitly: ``tx_cache = cache.with_transaction(tx)`` after
``tx.begin()`` fired.
"""

from __future__ import annotations

from contextvars import ContextVar, Token
from typing import TYPE_CHECKING, Any, Generator, Optional

from twisted.internet.defer import Deferred, fail, succeed

from txkv.ignite.codec import messages as m
from txkv.ignite.codec import ops
from txkv.ignite.codec.ops import TransactionConcurrency, TransactionIsolation
from txkv.ignite.errors import CacheError, NotSupportedByClusterError, ParameterError
from txkv.ignite.protocol import IgniteProtocol

if TYPE_CHECKING:  # pragma: no cover
    from txkv.ignite.client import Client

__all__ = ["Transaction", "current_transaction"]

_CURRENT: ContextVar[Optional[Transaction]] = ContextVar("txkv_ignite_transaction", default=None)


def current_transaction(client: Any) -> Optional[Transaction]:
    """The open transaction of ``client`` in the running context, if any."""
    tx = _CURRENT.get()
    if tx is not None and tx.client is client and tx.tx_id is not None and not tx.closed:
        return tx
    return None


def _check_enum(value: Any, enum: Any, name: str) -> int:
    if isinstance(value, bool) or value not in {int(v) for v in enum}:
        raise ParameterError(f"{name} must be one of {[v.name for v in enum]}, not {value!r}")
    return int(value)


class Transaction:
    """One transaction; see the module docstring.

    :param concurrency: :class:`~txkv.ignite.codec.ops.TransactionConcurrency`.
    :param isolation: :class:`~txkv.ignite.codec.ops.TransactionIsolation`.
    :param timeout: transaction timeout in milliseconds (0: none).
    :param label: a label the server shows for the transaction.
    :ivar tx_id: the server's transaction id once started.
    :ivar connection: the connection the transaction runs on once started.
    """

    def __init__(self, client: Client,
                 concurrency: int = TransactionConcurrency.PESSIMISTIC,
                 isolation: int = TransactionIsolation.REPEATABLE_READ,
                 timeout: int = 0, label: Optional[str] = None) -> None:
        self.client = client
        self.concurrency = _check_enum(concurrency, TransactionConcurrency, "concurrency")
        self.isolation = _check_enum(isolation, TransactionIsolation, "isolation")
        if isinstance(timeout, bool) or not isinstance(timeout, int) or timeout < 0:
            raise ParameterError(f"timeout must be a non-negative int (ms), not {timeout!r}")
        if label is not None and not isinstance(label, str):
            raise ParameterError(f"label must be a str, not {type(label).__name__}")
        self.timeout = timeout
        self.label = label
        self.tx_id: Optional[int] = None
        self.connection: Optional[IgniteProtocol] = None
        self.closed = False
        self._starting: Optional[Deferred[Transaction]] = None
        self._token: Optional[Token[Optional[Transaction]]] = None

    def __repr__(self) -> str:
        state = "closed" if self.closed else ("open" if self.tx_id is not None else "new")
        return f"<Transaction id={self.tx_id} {state}>"

    def begin(self) -> Deferred[Transaction]:
        """Start the transaction on a live connection (OP_TX_START); fires with ``self``."""
        if self.tx_id is not None:
            return succeed(self)
        if self.closed:
            return fail(CacheError("the transaction is closed"))
        if self._starting is not None:
            return fail(ParameterError("the transaction is already starting"))

        def start(connection: IgniteProtocol) -> Deferred[Any]:
            context = connection.context
            if context is None or not context.transactions:
                raise NotSupportedByClusterError(
                    "transactions need protocol 1.5.0 or newer", node=connection.peer)
            self.connection = connection
            return connection.request(ops.OP_TX_START, m.TxStartOp(
                self.concurrency, self.isolation, self.timeout, self.label))

        def started(tx_id: int) -> Transaction:
            self.tx_id = tx_id
            self._starting = None
            return self

        def failed(failure: Any) -> Any:
            self._starting = None
            self.closed = True
            return failure

        self._starting = self.client._any_connection().addCallback(start).addCallbacks(
            started, failed)
        return self._starting

    def commit(self) -> Deferred[None]:
        """Commit (OP_TX_END); a closed transaction is left alone."""
        return self._end(True)

    def rollback(self) -> Deferred[None]:
        """Roll back (OP_TX_END)."""
        return self._end(False)

    def close(self) -> Deferred[None]:
        """Roll back unless already committed or rolled back."""
        return self._end(False)

    def _end(self, committed: bool) -> Deferred[None]:
        if self.closed or self.tx_id is None or self.connection is None:
            self.closed = True
            return succeed(None)
        self.closed = True
        return self.connection.request(ops.OP_TX_END, m.TxEndOp(self.tx_id, committed)
                                       ).addCallback(lambda _: None)

    # -- coroutine use --------------------------------------------------------------------------

    async def _enter(self) -> Transaction:
        await self.begin()
        self._token = _CURRENT.set(self)
        return self

    def __await__(self) -> Generator[Any, Any, Transaction]:
        return self._enter().__await__()

    async def __aenter__(self) -> Transaction:
        return await self._enter()

    async def __aexit__(self, *exc: object) -> None:
        try:
            await self.close()
        finally:
            token, self._token = self._token, None
            if token is not None:
                try:
                    _CURRENT.reset(token)
                except ValueError:  # left in another context: just clear it here
                    _CURRENT.set(None)
