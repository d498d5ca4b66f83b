"""Tests for txkv.scanner: paging, backpressure, pull/async/collect APIs and resource closing."""

from __future__ import annotations

from typing import Any, List, Optional, Tuple

from twisted.internet.defer import CancelledError, Deferred, succeed
from twisted.internet.interfaces import IConsumer, IPushProducer
from twisted.internet.testing import EventLoggingObserver
from twisted.logger import LogLevel, globalLogPublisher
from twisted.python.failure import Failure
from twisted.trial.unittest import SynchronousTestCase
from zope.interface import implementer
from zope.interface.verify import verifyObject

from txkv.errors import ServerError
from txkv.scanner import PagedScanner, Scanner


class FakeServer:
    """A paged source of ``total`` integers; fetches are answered by hand or at once."""

    def __init__(self, total: int, page_size: int, manual: bool = False) -> None:
        self.total = total
        self.page_size = page_size
        self.manual = manual
        self.position = 0
        self.fetches: List[Deferred[Tuple[List[int], bool]]] = []
        self.closed = 0
        self.max_in_flight = 0

    def in_flight(self) -> int:
        return sum(1 for d in self.fetches if not d.called)

    def fetch(self) -> Deferred[Tuple[List[int], bool]]:
        d: Deferred[Tuple[List[int], bool]] = Deferred()
        self.fetches.append(d)
        self.max_in_flight = max(self.max_in_flight, self.in_flight())
        if not self.manual:
            self.answer(d)
        return d

    def answer(self, d: Optional[Deferred[Any]] = None) -> None:
        if d is None:
            d = next(x for x in self.fetches if not x.called)
        page = list(range(self.position, min(self.total, self.position + self.page_size)))
        self.position += len(page)
        d.callback((page, self.position < self.total))

    def close(self) -> Deferred[None]:
        self.closed += 1
        return succeed(None)

    def scanner(self) -> PagedScanner[int]:
        return PagedScanner(self.fetch, self.close)


@implementer(IConsumer)
class PausingConsumer:
    """Pauses its producer after every ``every`` items."""

    def __init__(self, every: int) -> None:
        self.every = every
        self.items: List[int] = []
        self.producer: Any = None
        self.unregistered = False

    def registerProducer(self, producer: Any, streaming: bool) -> None:
        assert streaming
        self.producer = producer

    def unregisterProducer(self) -> None:
        self.unregistered = True

    def write(self, data: Any) -> None:
        self.items.append(data)
        if len(self.items) % self.every == 0:
            self.producer.pauseProducing()


def result_of(d: Deferred[Any]) -> Any:
    box: List[Any] = []
    d.addBoth(box.append)
    assert box, "Deferred has not fired"
    if isinstance(box[0], Failure):
        box[0].raiseException()
    return box[0]


class PullTests(SynchronousTestCase):
    def test_get_next_walks_every_page_then_none(self) -> None:
        server = FakeServer(25, 10)
        scanner = server.scanner()
        items = []
        while True:
            item = result_of(scanner.get_next())
            if item is None:
                break
            items.append(item)
        self.assertEqual(items, list(range(25)))
        self.assertEqual(server.closed, 0)  # the server ended the cursor itself
        self.assertIsNone(result_of(scanner.get_next()))

    def test_one_page_in_flight_and_one_buffered(self) -> None:
        server = FakeServer(100, 10, manual=True)
        scanner = server.scanner()
        first = scanner.get_next()
        self.assertEqual(len(server.fetches), 1)
        scanner.get_next()  # a second waiter must not start a second fetch
        self.assertEqual(len(server.fetches), 1)
        server.answer()
        self.assertEqual(result_of(first), 0)
        # prefetch of exactly one further page
        self.assertEqual(len(server.fetches), 2)
        server.answer()
        self.assertLessEqual(scanner.buffered, 2 * server.page_size)
        for _ in range(5):
            scanner.get_next()
        self.assertEqual(len(server.fetches), 2)
        self.assertEqual(server.max_in_flight, 1)

    def test_collect_all_and_with_limit(self) -> None:
        self.assertEqual(result_of(FakeServer(7, 3).scanner().collect()), list(range(7)))
        server = FakeServer(100, 10)
        self.assertEqual(result_of(server.scanner().collect(limit=15)), list(range(15)))
        self.assertEqual(server.closed, 1)
        self.assertLessEqual(len(server.fetches), 3)

    def test_collect_large_synchronous_source_does_not_recurse(self) -> None:
        self.assertEqual(len(result_of(FakeServer(50_000, 5000).scanner().collect())), 50_000)

    def test_cancel_get_next_closes_resource(self) -> None:
        server = FakeServer(100, 10, manual=True)
        scanner = server.scanner()
        server_first = scanner.get_next()
        server.answer()
        result_of(server_first)
        result_of(scanner.get_next())
        # drain the buffered pages, then cancel a waiting request
        while scanner.buffered:
            result_of(scanner.get_next())
        waiting = scanner.get_next()
        waiting.cancel()
        self.assertRaises(CancelledError, result_of, waiting)
        self.assertEqual(server.closed, 0)  # a page is still in flight: close after it lands
        server.answer()
        self.assertEqual(server.closed, 1)
        self.assertTrue(scanner.exhausted)

    def test_cancel_collect_closes_resource(self) -> None:
        server = FakeServer(100, 10, manual=True)
        collecting = server.scanner().collect()
        server.answer()
        self.assertEqual(len(server.fetches), 2)  # the next page is in flight
        collecting.cancel()
        self.assertRaises(CancelledError, result_of, collecting)
        self.assertEqual(server.closed, 0)  # waits for the in-flight page (it names the cursor)
        server.answer()
        self.assertEqual(server.closed, 1)
        self.assertEqual(len(server.fetches), 2)

    def test_failing_close_hook_is_logged_and_close_still_fires(self) -> None:
        events = EventLoggingObserver.createWithCleanup(self, globalLogPublisher)  # type: ignore[arg-type]

        def close_resource() -> Deferred[None]:
            d: Deferred[None] = Deferred()
            d.errback(ServerError("resource already gone", code=1011))
            return d

        scanner: PagedScanner[int] = PagedScanner(lambda: succeed(([1, 2], True)), close_resource)
        self.assertEqual(result_of(scanner.get_next()), 1)
        self.assertIsNone(result_of(scanner.close()))
        logged = [e for e in events if e.get("log_namespace") == "txkv.scanner"]
        self.assertEqual(len(logged), 1)
        self.assertEqual(logged[0]["log_level"], LogLevel.warn)
        self.assertIsInstance(logged[0]["log_failure"].value, ServerError)
        self.assertEqual(len(self.flushLoggedErrors(ServerError)), 1)
        self.assertIsNone(result_of(scanner.get_next()))

    def test_fetch_error_reaches_waiter(self) -> None:
        def fetch() -> Deferred[Any]:
            d: Deferred[Any] = Deferred()
            d.errback(ServerError(code=1011, server_message="Failed to find resource"))
            return d

        scanner: PagedScanner[int] = PagedScanner(fetch)
        self.assertRaises(ServerError, result_of, scanner.get_next())
        self.assertRaises(ServerError, result_of, scanner.get_next())

    def test_context_manager_closes(self) -> None:
        server = FakeServer(100, 10)
        with server.scanner() as scanner:
            result_of(scanner.get_next())
        self.assertEqual(server.closed, 1)
        server2 = FakeServer(5, 10)
        with server2.scanner() as scanner:
            result_of(scanner.collect())
        self.assertEqual(server2.closed, 0)

    def test_async_for(self) -> None:
        server = FakeServer(23, 5)

        async def consume() -> List[int]:
            out = []
            async for item in server.scanner():
                out.append(item)
            return out

        self.assertEqual(result_of(Deferred.fromCoroutine(consume())), list(range(23)))

    def test_async_for_break_closes_resource(self) -> None:
        server = FakeServer(100, 5)

        async def consume() -> int:
            async for item in server.scanner():
                if item == 7:
                    return item
            return -1

        self.assertEqual(result_of(Deferred.fromCoroutine(consume())), 7)
        self.assertEqual(server.closed, 1)


class PushTests(SynchronousTestCase):
    def test_is_a_push_producer(self) -> None:
        verifyObject(IPushProducer, FakeServer(1, 1).scanner())

    def test_pausing_consumer_keeps_memory_to_one_page(self) -> None:
        server = FakeServer(1000, 50)
        scanner = server.scanner()
        consumer = PausingConsumer(every=7)
        done = scanner.produce_to(consumer)
        rounds = 0
        while not done.called:
            self.assertLessEqual(scanner.buffered, server.page_size)
            scanner.resumeProducing()
            rounds += 1
        self.assertEqual(consumer.items, list(range(1000)))
        self.assertTrue(consumer.unregistered)
        self.assertGreater(rounds, 100)
        self.assertEqual(server.max_in_flight, 1)

    def test_paused_producer_does_not_fetch(self) -> None:
        server = FakeServer(1000, 10, manual=True)
        scanner = server.scanner()
        consumer = PausingConsumer(every=5)
        scanner.produce_to(consumer)
        server.answer()
        self.assertEqual(len(consumer.items), 5)
        self.assertEqual(len(server.fetches), 1)
        scanner.resumeProducing()  # the rest of the page, then paused with nothing buffered
        self.assertEqual(len(consumer.items), 10)
        self.assertEqual((scanner.buffered, len(server.fetches)), (0, 1))
        scanner.resumeProducing()  # only now is the next page asked for
        self.assertEqual(len(server.fetches), 2)
        scanner.pauseProducing()
        server.answer()  # a page that lands while paused is buffered, not written
        self.assertEqual(len(consumer.items), 10)
        self.assertEqual((scanner.buffered, len(server.fetches)), (10, 2))
        scanner.resumeProducing()
        self.assertEqual(consumer.items, list(range(15)))

    def test_stop_producing_closes_resource(self) -> None:
        server = FakeServer(1000, 10)
        scanner = server.scanner()
        consumer = PausingConsumer(every=5)
        done = scanner.produce_to(consumer)
        scanner.stopProducing()
        self.assertEqual(server.closed, 1)
        self.assertIsNone(result_of(done))
        self.assertTrue(consumer.unregistered)

    def test_cancel_produce_to_closes_resource(self) -> None:
        server = FakeServer(1000, 10)
        consumer = PausingConsumer(every=3)
        done = server.scanner().produce_to(consumer)
        done.cancel()
        self.assertEqual(server.closed, 1)
        self.assertRaises(CancelledError, result_of, done)
        self.assertTrue(consumer.unregistered)

    def test_error_fails_produce_to(self) -> None:
        calls = []

        def fetch() -> Deferred[Any]:
            calls.append(1)
            if len(calls) == 1:
                return succeed(([1, 2], True))
            d: Deferred[Any] = Deferred()
            d.errback(ServerError("cursor lost"))
            return d

        consumer = PausingConsumer(every=100)
        done = PagedScanner(fetch).produce_to(consumer)
        self.assertRaises(ServerError, result_of, done)
        self.assertEqual(consumer.items, [1, 2])


class SubclassTests(SynchronousTestCase):
    def test_subclass_hooks(self) -> None:
        class Numbers(Scanner[int]):
            def __init__(self) -> None:
                super().__init__()
                self.n = 0

            def _fetch_page(self) -> Deferred[Tuple[List[int], bool]]:
                self.n += 1
                return succeed(([self.n], self.n < 3))

        self.assertEqual(result_of(Numbers().collect()), [1, 2, 3])
