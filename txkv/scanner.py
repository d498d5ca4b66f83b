"""Scanners: paged server-side iteration as a push producer with a pull API.

A store's scan, cursor, range or replication tail subclasses :class:`Scanner` (or passes two
callables to :class:`PagedScanner`) and provides:

* ``_fetch_page()`` -> ``Deferred[(items, more)]`` — the next page; ``more=False`` means the
  server has no more pages (and has released its resource);
* ``_close_resource()`` -> ``Deferred`` or ``None`` — release the server-side resource when the
  scanner is stopped before the end (Ignite OP_RESOURCE_CLOSE, KT cursor delete...).

The base guarantees at most one page in flight and at most one page buffered, so memory stays
bounded by the page size whatever the consumer does.  Consumers use it in one of four ways:

* push: ``scanner.produce_to(consumer)`` — ``consumer.write(item)`` per item, the consumer may call
  ``pauseProducing``/``resumeProducing``/``stopProducing`` (``IPushProducer``);
* pull: ``scanner.get_next()`` -> ``Deferred[item or None]`` (None after the last item);
* ``async for item in scanner`` inside a coroutine run by ``Deferred.fromCoroutine``;
* ``scanner.collect(limit=None)`` -> ``Deferred[list]``.

Cancelling any Deferred it returned, ``stopProducing()`` or ``close()`` stop the scan and close
the server-side resource.
"""

from __future__ import annotations

from collections import deque
from typing import (
    Any,
    AsyncIterator,
    Callable,
    Deque,
    Generic,
    List,
    Optional,
    Sequence,
    Tuple,
    TypeVar,
)

from twisted.internet.defer import CancelledError, Deferred, maybeDeferred, succeed
from twisted.internet.interfaces import IConsumer, IPushProducer
from twisted.logger import Logger, LogLevel
from twisted.python.failure import Failure
from zope.interface import implementer

T = TypeVar("T")
Page = Tuple[Sequence[T], bool]

__all__ = ["Scanner", "PagedScanner", "Page"]

_log = Logger(namespace="txkv.scanner")


@implementer(IPushProducer)
class Scanner(Generic[T]):
    """Base class of every txkv scanner.  See the module docstring."""

    def __init__(self) -> None:
        self._buffer: Deque[T] = deque()
        self._next_page: Optional[Sequence[T]] = None
        self._in_flight: Optional[Deferred[Page[T]]] = None
        self._more = True  # the server may have more pages
        self._started = False  # a fetch was issued (a resource may exist)
        self._stopped = False  # stop requested by the user
        self._finished = False  # terminal: every waiter has been or will be told
        self._error: Optional[Failure] = None
        self._paused = False
        self._waiters: Deque[Deferred[Optional[T]]] = deque()
        self._consumer: Optional[Any] = None
        self._done: Optional[Deferred[None]] = None
        self._closing: Optional[Deferred[None]] = None
        self.pages_fetched = 0

    # -- hooks -----------------------------------------------------------------------------

    def _fetch_page(self) -> Deferred[Page[T]]:
        raise NotImplementedError

    def _end_page_in_flight(self) -> None:
        """The scan stopped while ``_fetch_page`` is running.  A paged scan lets the page land
        (it may carry the resource to release); a pushed stream whose next page may never come
        (a replication tail) fires it now, empty with ``more=True``, so closing does not wait."""

    def _close_resource(self) -> Optional[Deferred[Any]]:
        return None

    # -- state queries ------------------------------------------------------------------------

    @property
    def buffered(self) -> int:
        """Items held in memory right now (current page remainder plus the next page)."""
        return len(self._buffer) + (len(self._next_page) if self._next_page is not None else 0)

    @property
    def exhausted(self) -> bool:
        """True when every item has been handed out (or the scan ended in error/stop)."""
        return self._finished and not self._buffer

    # -- pull API -------------------------------------------------------------------------------

    def get_next(self) -> Deferred[Optional[T]]:
        """The next item, or None after the last one.  Cancelling it stops the scan."""
        if self._consumer is not None:
            raise RuntimeError("scanner is producing to a consumer; use that or the pull API")
        self._promote()
        if self._buffer:
            item = self._buffer.popleft()
            self._refill()
            return succeed(item)
        if not self._more and self._in_flight is None:
            self._finish(None)
        if self._finished:
            if self._error is not None:
                return _failed(self._error)
            return succeed(None)
        d: Deferred[Optional[T]] = Deferred(self._cancel_waiter)
        self._waiters.append(d)
        self._refill()
        return d

    def __aiter__(self) -> AsyncIterator[T]:
        return self._aiter()

    async def _aiter(self) -> AsyncIterator[T]:
        try:
            while True:
                item = await self.get_next()
                if item is None:
                    return
                yield item
        finally:
            if not self._finished:
                # Not awaited: when the loop is left early the generator is closed with
                # GeneratorExit, which forbids waiting (a page may still be in flight).
                self.close()

    def collect(self, limit: Optional[int] = None) -> Deferred[List[T]]:
        """Every remaining item (at most ``limit``) as a list; stops the scan at the limit.

        Cancelling the Deferred stops the scan; it then fails with ``CancelledError``.
        """
        out: List[T] = []

        def cancel(d: Deferred[List[T]]) -> None:
            d.errback(CancelledError())  # not the partial list the stop below would deliver
            self._user_stop()

        result: Deferred[List[T]] = Deferred(cancel)

        def step(item: Optional[T]) -> None:
            while not result.called:
                if item is None:
                    result.callback(out)
                    return
                out.append(item)
                if limit is not None and len(out) >= limit:
                    self.close().addBoth(finish)
                    return
                d = self.get_next()
                if not d.called:
                    d.addCallbacks(step, fail)
                    return
                try:
                    item = _extract(d)  # synchronous fast path: no recursion per item
                except Exception:
                    fail(Failure())
                    return

        def fail(failure: Failure) -> None:
            if not result.called:
                result.errback(failure)

        def finish(_: object) -> None:
            if not result.called:
                result.callback(out)

        if limit is not None and limit <= 0:
            self.close().addBoth(finish)
            return result
        self.get_next().addCallbacks(step, fail)
        return result

    # -- push API ------------------------------------------------------------------------------

    def produce_to(self, consumer: IConsumer) -> Deferred[None]:
        """Write every item to ``consumer`` (registered as a streaming producer).

        Returns a Deferred that fires when the scan ends (or fails); cancelling it stops the scan
        (it then fails with ``CancelledError``).
        """
        if self._consumer is not None or self._waiters:
            raise RuntimeError("scanner already has a consumer")
        self._consumer = consumer

        def cancel(d: Deferred[None]) -> None:
            d.errback(CancelledError())
            self._user_stop()

        done: Deferred[None] = Deferred(cancel)
        self._done = done
        consumer.registerProducer(self, True)
        self._pump()
        return done

    def pauseProducing(self) -> None:
        self._paused = True

    def resumeProducing(self) -> None:
        self._paused = False
        self._pump()

    def stopProducing(self) -> None:
        self._user_stop()

    # -- closing --------------------------------------------------------------------------------

    def close(self) -> Deferred[None]:
        """Stop the scan and release the server-side resource; idempotent."""
        self._user_stop()
        assert self._closing is not None
        d: Deferred[None] = Deferred()

        def relay(result: object) -> object:
            d.callback(None)
            return result

        self._closing.addBoth(relay)
        return d

    def __enter__(self) -> Scanner[T]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    async def __aenter__(self) -> Scanner[T]:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # -- machinery ------------------------------------------------------------------------------

    def _user_stop(self) -> None:
        if self._closing is not None:
            return
        self._stopped = True
        self._buffer.clear()
        self._next_page = None
        self._closing = Deferred()
        if self._in_flight is not None:
            # Let the in-flight page land (it may carry the resource id), then close.
            self._in_flight.addBoth(lambda _: None)
            self._end_page_in_flight()
        else:
            self._release()
        self._finish(None)

    def _release(self) -> None:
        assert self._closing is not None
        closing = self._closing
        if self._started and self._more and self._error is None:
            self._more = False
            d = maybeDeferred(self._close_resource)
            d.addErrback(
                lambda f: _log.failure("closing scanner resource failed", f, LogLevel.warn)
            )
            d.addBoth(lambda _: closing.callback(None))
        else:
            closing.callback(None)

    def _cancel_waiter(self, d: Deferred[Optional[T]]) -> None:
        try:
            self._waiters.remove(d)
        except ValueError:
            pass
        self._user_stop()

    def _refill(self) -> None:
        """Fetch the next page if nothing is in flight, nothing extra buffered and not paused."""
        if self._in_flight is not None or self._stopped or self._finished or not self._more:
            return
        if self._next_page is not None or self._paused:
            return
        self._started = True
        try:
            d = self._fetch_page()
        except Exception:
            self._on_error(Failure())
            return
        self._in_flight = d
        d.addCallbacks(self._on_page, self._on_error)

    def _on_page(self, page: Page[T]) -> None:
        self._in_flight = None
        items, more = page
        self.pages_fetched += 1
        self._more = bool(more)
        if self._stopped:
            self._release()
            return
        if not self._buffer and self._next_page is None:
            self._buffer.extend(items)
        else:
            self._next_page = items
        self._deliver()

    def _on_error(self, failure: Failure) -> None:
        self._in_flight = None
        if self._stopped:
            self._more = False
            self._release()
            return
        self._error = failure
        self._finish(failure)

    def _promote(self) -> None:
        if not self._buffer and self._next_page is not None:
            self._buffer.extend(self._next_page)
            self._next_page = None

    def _deliver(self) -> None:
        if self._consumer is not None:
            self._pump()
            return
        self._promote()
        while self._waiters and self._buffer:
            self._waiters.popleft().callback(self._buffer.popleft())
            self._promote()
        if not self._buffer and not self._more and self._next_page is None:
            self._finish(None)
            return
        self._refill()

    def _pump(self) -> None:
        consumer = self._consumer
        if consumer is None:
            return
        while not self._paused and not self._stopped:
            self._promote()
            if not self._buffer:
                break
            consumer.write(self._buffer.popleft())
        if self._stopped:
            return
        if not self._buffer and self._next_page is None and not self._more:
            self._finish(None)
            return
        self._refill()

    def _finish(self, failure: Optional[Failure]) -> None:
        if self._finished:
            return
        self._finished = True
        waiters, self._waiters = self._waiters, deque()
        for w in waiters:
            if failure is not None:
                w.errback(failure)
            else:
                w.callback(None)
        if self._consumer is not None:
            consumer, self._consumer = self._consumer, None
            consumer.unregisterProducer()
            done, self._done = self._done, None
            if done is not None and not done.called:
                if failure is not None:
                    done.errback(failure)
                else:
                    done.callback(None)


class PagedScanner(Scanner[T]):
    """A scanner from two callables: ``fetch_page()`` and an optional ``close_resource()``."""

    def __init__(
        self,
        fetch_page: Callable[[], Deferred[Page[T]]],
        close_resource: Optional[Callable[[], Optional[Deferred[Any]]]] = None,
    ) -> None:
        super().__init__()
        self._fetch = fetch_page
        self._close = close_resource

    def _fetch_page(self) -> Deferred[Page[T]]:
        return self._fetch()

    def _close_resource(self) -> Optional[Deferred[Any]]:
        return self._close() if self._close is not None else None


def _failed(failure: Failure) -> Deferred[Any]:
    d: Deferred[Any] = Deferred()
    d.errback(failure)
    return d


def _extract(d: Deferred[T]) -> T:
    """The result of an already-fired, successful Deferred."""
    box: List[Any] = []
    d.addBoth(box.append)
    result = box[0]
    if isinstance(result, Failure):
        result.raiseException()
    return result
