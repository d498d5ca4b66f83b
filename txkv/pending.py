"""Tables of requests waiting for their replies.

Two shapes cover every txkv protocol:

* :class:`PendingRequests` — replies carry the request id (Ignite, Pegasus, IKV's gRPC).
  A cancelled or timed-out request leaves the table at once; a late reply for it is dropped.
* :class:`FifoPendingRequests` — replies come back in request order (KT/TT binary, HTTP/1.1).
  A cancelled or timed-out request keeps its slot, so the reply that belongs to it is consumed
  and discarded instead of being handed to the next request.

Both fire every Deferred exactly once (reply, server error, cancel, timeout or disconnect), fail
every waiting Deferred on :meth:`fail_all` and fail new requests at once after that.  Timeouts run
on an injected ``IReactorTime`` with one timer per table (a heap of deadlines), not one per request.
"""

from __future__ import annotations

import heapq
import itertools
from collections import deque
from typing import Any, Callable, Deque, Dict, List, Optional, Tuple, TypeVar

from twisted.internet.defer import Deferred, fail
from twisted.internet.interfaces import IDelayedCall, IReactorTime
from twisted.python.failure import Failure

from txkv.errors import NotConnectedError, ProtocolError, RequestTimeoutError

T = TypeVar("T")

__all__ = ["PendingRequests", "FifoPendingRequests"]


class _Entry:
    __slots__ = ("deferred", "key", "op", "timeout", "done")

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
        self.deferred: Deferred[Any] = Deferred(canceller)


class _DeadlineHeap:
    """One timer for many deadlines: fires ``expire(key)`` for each key whose deadline passed."""

    def __init__(self, clock: IReactorTime, expire: Callable[[Any], None]) -> None:
        self._clock = clock
        self._expire = expire
        self._heap: List[Tuple[float, int, Any]] = []
        self._seq = itertools.count()
        self._timer: Optional[IDelayedCall] = None
        self._timer_at = 0.0

    def push(self, delay: float, key: Any) -> None:
        when = self._clock.seconds() + delay
        heapq.heappush(self._heap, (when, next(self._seq), key))
        if self._timer is None or when < self._timer_at:
            self._arm(when)

    def compact(self, alive: Callable[[Any], bool]) -> None:
        """Drop deadlines of keys no longer alive (keeps the heap bounded under load)."""
        self._heap = [item for item in self._heap if alive(item[2])]
        heapq.heapify(self._heap)
        if not self._heap:
            self.stop()

    def __len__(self) -> int:
        return len(self._heap)

    def stop(self) -> None:
        if self._timer is not None and self._timer.active():
            self._timer.cancel()
        self._timer = None
        self._heap.clear()

    def _arm(self, when: float) -> None:
        if self._timer is not None and self._timer.active():
            self._timer.cancel()
        self._timer_at = when
        self._timer = self._clock.callLater(max(0.0, when - self._clock.seconds()), self._fire)

    def _fire(self) -> None:
        self._timer = None
        now = self._clock.seconds()
        heap = self._heap
        while heap and heap[0][0] <= now:
            _, _, key = heapq.heappop(heap)
            self._expire(key)
        if heap and self._timer is None:
            self._arm(heap[0][0])


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
        self._deadlines = _DeadlineHeap(clock, self._on_deadline)

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

    def _timeout_failure(self, entry: _Entry) -> Failure:
        return Failure(
            RequestTimeoutError(timeout=entry.timeout, node=self.node, op=entry.op)
        )

    def _on_deadline(self, key: Any) -> None:  # pragma: no cover - overridden
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
            self._deadlines.push(timeout, request_id)
            if len(self._deadlines) > 2 * len(self._entries) + 64:
                self._deadlines.compact(self._entries.__contains__)
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

    def _on_deadline(self, key: Any) -> None:
        entry = self._entries.pop(key, None)
        if entry is not None:
            entry.deferred.errback(self._timeout_failure(entry))


class _FifoEntry:
    """A reply slot; cancelling its Deferred abandons the slot but keeps it in the queue."""

    __slots__ = ("deferred", "op", "timeout", "done", "table")

    def __init__(self, table: FifoPendingRequests, op: Optional[str],
                 timeout: Optional[float]) -> None:
        self.table = table
        self.op = op
        self.timeout = timeout
        self.done = False
        self.deferred: Deferred[Any] = Deferred(self.abandon)

    def abandon(self, _d: object = None) -> None:
        if not self.done:
            self.done = True
            self.table._waiting -= 1


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
        self._waiting = 0

    def __len__(self) -> int:
        """Number of reply slots still expected (including abandoned ones)."""
        return len(self._queue)

    @property
    def waiting(self) -> int:
        """Number of requests whose caller still waits."""
        return self._waiting

    def add(self, op: Optional[str] = None, timeout: Optional[float] = None) -> Deferred[Any]:
        """Append a slot for the next reply and return its Deferred."""
        if self._closed is not None:
            return self._refuse(op)
        if timeout is None:
            timeout = self.default_timeout
        if timeout is not None and timeout <= 0:
            timeout = None
        entry = _FifoEntry(self, op, timeout)
        self._queue.append(entry)
        self._waiting += 1
        if timeout is not None:
            deadlines = self._deadlines
            deadlines.push(timeout, entry)
            if len(deadlines) > 2 * self._waiting + 64:
                deadlines.compact(_still_waiting)
        return entry.deferred

    def peek_op(self) -> Optional[str]:
        """The op name of the oldest slot (for parsers whose reply shape depends on the request)."""
        return self._queue[0].op if self._queue else None

    def reply(self, value: Any) -> bool:
        entry = self._pop()
        if entry is None:
            return False
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
        self._waiting = 0
        for entry in queue:
            if not entry.done:
                entry.done = True
                entry.deferred.errback(failure)

    def _pop(self) -> Optional[_FifoEntry]:
        try:
            entry = self._queue.popleft()
        except IndexError:
            raise ProtocolError("reply received with no request outstanding",
                                node=self.node) from None
        if entry.done:
            return None
        entry.done = True
        self._waiting -= 1
        return entry

    def _on_deadline(self, entry: Any) -> None:
        if not entry.done:
            entry.abandon()
            entry.deferred.errback(self._timeout_failure(entry))


def _still_waiting(entry: _FifoEntry) -> bool:
    return not entry.done
