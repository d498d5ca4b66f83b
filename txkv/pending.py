"""Tables of requests waiting for their replies.

Two shapes cover every txkv protocol:

* :class:`PendingRequests` — replies carry the request id (Ignite, Pegasus, IKV's gRPC).
  A cancelled or timed-out request leaves the table at once; a late reply for it is dropped.
* :class:`FifoPendingRequests` — replies come back in request order (KT/TT binary, HTTP/1.1).
  A cancelled or timed-out request keeps its slot, so the reply that belongs to it is consumed
  and discarded instead of being handed to the next request.

Both fire every Deferred exactly once (reply, server error, cancel, timeout or disconnect), fail
every waiting Deferred on :meth:`fail_all` and fail new requests at once after that.  Timeouts run
on an injected ``IReactorTime`` with one timer per table, not one per request.
"""

from __future__ import annotations

import itertools
from collections import deque
from typing import Any, Callable, Deque, Dict, Iterable, Optional, TypeVar

from twisted.internet.defer import Deferred, fail
from twisted.internet.interfaces import IDelayedCall, IReactorTime
from twisted.python.failure import Failure

from txkv.errors import NotConnectedError, ProtocolError, RequestTimeoutError

T = TypeVar("T")

__all__ = ["PendingRequests", "FifoPendingRequests"]


class _Entry:
    __slots__ = ("deferred", "key", "op", "timeout", "done", "deadline")

    def __init__(
        self,
        key: Any,
        op: Optional[str],
        timeout: Optional[float],
        canceller: Callable[[Deferred[Any]], None],
    ) -> None:
        self.key = key
        self.op = op
        self.timeout = timeout
        self.done = False
        self.deadline: Optional[float] = None
        self.deferred: Deferred[Any] = Deferred(canceller)


class _Deadlines:
    """One timer for every waiting request of a table.

    The timer is armed for the earliest deadline; when it fires, the table's waiting requests are
    scanned, those past their deadline expire and the timer is armed again for the earliest that
    is left.  Adding a request costs one clock read (no heap, nothing to clean up on reply); a scan
    happens about once per timeout period.
    """

    def __init__(self, clock: IReactorTime, waiting: Callable[[], Iterable[Any]],
                 expire: Callable[[Any], None]) -> None:
        self._clock = clock
        self._waiting = waiting
        self._expire = expire
        self._timer: Optional[IDelayedCall] = None
        self._timer_at = 0.0

    def add(self, entry: Any, timeout: float) -> None:
        when = entry.deadline = self._clock.seconds() + timeout
        if self._timer is None or when < self._timer_at:
            self._arm(when)

    def stop(self) -> None:
        if self._timer is not None and self._timer.active():
            self._timer.cancel()
        self._timer = None

    def _arm(self, when: float) -> None:
        self.stop()
        self._timer_at = when
        self._timer = self._clock.callLater(max(0.0, when - self._clock.seconds()), self._fire)

    def _fire(self) -> None:
        self._timer = None
        now = self._clock.seconds()
        earliest: Optional[float] = None
        # a snapshot: expiring fires errbacks, which may add or answer requests
        for entry in list(self._waiting()):
            when = entry.deadline
            if when is None or entry.done:
                continue
            if when <= now:
                self._expire(entry)
            elif earliest is None or when < earliest:
                earliest = when
        if earliest is not None and (self._timer is None or earliest < self._timer_at):
            self._arm(earliest)


class _TableBase:
    def __init__(
        self,
        clock: IReactorTime,
        default_timeout: Optional[float] = None,
        node: Optional[str] = None,
    ) -> None:
        self.default_timeout = default_timeout
        self.node = node
        self._closed: Optional[Failure] = None
        self._deadlines = _Deadlines(clock, self._waiting_entries, self._on_deadline)

    @property
    def closed(self) -> bool:
        """True once :meth:`fail_all` ran: new requests fail at once."""
        return self._closed is not None

    def _refuse(self, op: Optional[str]) -> Deferred[Any]:
        assert self._closed is not None
        reason = self._closed.value
        if isinstance(reason, BaseException) and not isinstance(reason, NotConnectedError):
            err = NotConnectedError(f"connection is closed ({reason})", node=self.node, op=op)
        else:
            err = NotConnectedError("connection is closed", node=self.node, op=op)
        return fail(err)

    def _timeout_failure(self, entry: Any) -> Failure:
        return Failure(
            RequestTimeoutError(timeout=entry.timeout, node=self.node, op=entry.op)
        )

    def _waiting_entries(self) -> Iterable[Any]:  # pragma: no cover - overridden
        raise NotImplementedError

    def _on_deadline(self, entry: Any) -> None:  # pragma: no cover - overridden
        raise NotImplementedError


class PendingRequests(_TableBase):
    """Request id -> Deferred, for protocols whose replies carry the request id.

    :param clock: the reactor (or a ``Clock`` in tests) that runs timeouts.
    :param default_timeout: seconds before an unanswered request fails with
        :class:`~txkv.errors.RequestTimeoutError`; ``None`` waits forever.
    :param node: the peer's description, copied into errors.
    :param first_id: the first id :meth:`next_id` hands out.
    """

    def __init__(
        self,
        clock: IReactorTime,
        default_timeout: Optional[float] = None,
        node: Optional[str] = None,
        first_id: int = 1,
    ) -> None:
        super().__init__(clock, default_timeout, node)
        self._entries: Dict[Any, _Entry] = {}
        self._ids = itertools.count(first_id)

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, request_id: object) -> bool:
        return request_id in self._entries

    def next_id(self) -> int:
        """A fresh request id, unique for this table."""
        return next(self._ids)

    def add(
        self, request_id: Any, op: Optional[str] = None, timeout: Optional[float] = None
    ) -> Deferred[Any]:
        """Register ``request_id`` and return the Deferred its reply will fire.

        ``timeout`` overrides the table default; ``0`` or a negative value means no timeout.
        After :meth:`fail_all` the returned Deferred has already failed with
        :class:`~txkv.errors.NotConnectedError` (send nothing in that case: check :attr:`closed`).
        """
        if self._closed is not None:
            return self._refuse(op)
        if request_id in self._entries:
            raise ValueError(f"request id {request_id!r} is already pending")
        if timeout is None:
            timeout = self.default_timeout
        if timeout is not None and timeout <= 0:
            timeout = None
        entry = _Entry(request_id, op, timeout, lambda _d: self._cancel(request_id))
        self._entries[request_id] = entry
        if timeout is not None:
            self._deadlines.add(entry, timeout)
        return entry.deferred

    def reply(self, request_id: Any, value: Any) -> bool:
        """Fire the request's Deferred with ``value``; False when nobody waits for it any more."""
        entry = self._entries.pop(request_id, None)
        if entry is None:
            return False
        entry.deferred.callback(value)
        return True

    def error(self, request_id: Any, reason: BaseException | Failure) -> bool:
        """Fail the request's Deferred; False when nobody waits for it any more."""
        entry = self._entries.pop(request_id, None)
        if entry is None:
            return False
        entry.deferred.errback(reason if isinstance(reason, Failure) else Failure(reason))
        return True

    def fail_all(self, reason: BaseException | Failure) -> None:
        """Fail every waiting request with ``reason`` and refuse new ones from now on."""
        failure = reason if isinstance(reason, Failure) else Failure(reason)
        if self._closed is None:
            self._closed = failure
        self._deadlines.stop()
        entries, self._entries = self._entries, {}
        for entry in entries.values():
            entry.deferred.errback(failure)

    def _cancel(self, request_id: Any) -> None:
        # Deferred.cancel errbacks with CancelledError after this returns.
        self._entries.pop(request_id, None)

    def _waiting_entries(self) -> Iterable[_Entry]:
        return self._entries.values()

    def _on_deadline(self, entry: _Entry) -> None:
        if self._entries.pop(entry.key, None) is entry:
            entry.done = True
            entry.deferred.errback(self._timeout_failure(entry))


class _FifoEntry:
    """A reply slot; cancelling its Deferred abandons the slot but keeps it in the queue."""

    __slots__ = ("deferred", "op", "timeout", "done", "deadline")

    def __init__(self, op: Optional[str], timeout: Optional[float]) -> None:
        self.op = op
        self.timeout = timeout
        self.done = False
        self.deadline: Optional[float] = None
        self.deferred: Deferred[Any] = Deferred(self.abandon)

    def abandon(self, _d: object = None) -> None:
        self.done = True


class FifoPendingRequests(_TableBase):
    """Replies in request order: a queue of Deferreds whose abandoned slots are kept.

    :meth:`reply` and :meth:`error` always consume the oldest slot; if that request was cancelled or
    timed out, the reply is discarded and False is returned.
    """

    def __init__(
        self,
        clock: IReactorTime,
        default_timeout: Optional[float] = None,
        node: Optional[str] = None,
    ) -> None:
        super().__init__(clock, default_timeout, node)
        self._queue: Deque[_FifoEntry] = deque()

    def __len__(self) -> int:
        """Number of reply slots still expected (including abandoned ones)."""
        return len(self._queue)

    @property
    def waiting(self) -> int:
        """Number of requests whose caller still waits."""
        return sum(not entry.done for entry in self._queue)

    def add(self, op: Optional[str] = None, timeout: Optional[float] = None) -> Deferred[Any]:
        """Append a slot for the next reply and return its Deferred."""
        if self._closed is not None:
            return self._refuse(op)
        if timeout is None:
            timeout = self.default_timeout
        if timeout is not None and timeout <= 0:
            timeout = None
        entry = _FifoEntry(op, timeout)
        self._queue.append(entry)
        if timeout is not None:
            self._deadlines.add(entry, timeout)
        return entry.deferred

    def peek_op(self) -> Optional[str]:
        """The op name of the oldest slot (for parsers whose reply shape depends on the request)."""
        return self._queue[0].op if self._queue else None

    def reply(self, value: Any) -> bool:
        try:
            entry = self._queue.popleft()
        except IndexError:
            raise self._unexpected() from None
        if entry.done:
            return False
        # out of the queue now: nothing else can reach the slot, so it need not be marked done
        entry.deferred.callback(value)
        return True

    def error(self, reason: BaseException | Failure) -> bool:
        entry = self._pop()
        if entry is None:
            return False
        entry.deferred.errback(reason if isinstance(reason, Failure) else Failure(reason))
        return True

    def fail_all(self, reason: BaseException | Failure) -> None:
        failure = reason if isinstance(reason, Failure) else Failure(reason)
        if self._closed is None:
            self._closed = failure
        self._deadlines.stop()
        queue, self._queue = self._queue, deque()
        for entry in queue:
            if not entry.done:
                entry.done = True
                entry.deferred.errback(failure)

    def _pop(self) -> Optional[_FifoEntry]:
        try:
            entry = self._queue.popleft()
        except IndexError:
            raise self._unexpected() from None
        if entry.done:
            return None
        return entry

    def _unexpected(self) -> ProtocolError:
        return ProtocolError("reply received with no request outstanding", node=self.node)

    def _waiting_entries(self) -> Iterable[_FifoEntry]:
        return self._queue

    def _on_deadline(self, entry: _FifoEntry) -> None:
        if not entry.done:
            entry.abandon()
            entry.deferred.errback(self._timeout_failure(entry))
