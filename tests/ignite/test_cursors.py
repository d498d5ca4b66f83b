"""Query cursors over canned server frames: paging, page size, closing, SQL-fields names."""

from __future__ import annotations

from typing import Any, List

from twisted.internet.defer import CancelledError, Deferred, succeed
from twisted.internet.task import Clock
from twisted.trial.unittest import SynchronousTestCase

from tests.ignite.client_support import MemoryClientCase, ready_protocol
from txkv.ignite.cache import Cache
from txkv.ignite.codec import messages as m
from txkv.ignite.codec import ops
from txkv.ignite.codec.values import write_object
from txkv.ignite.cursors import DEFAULT_SCAN_PAGE_SIZE, ScanCursor, SqlFieldsCursor
from txkv.ignite.errors import SQLError

INFO = m.CacheInfo(99)


def raw(value: Any) -> bytes:
    buf = bytearray()
    write_object(buf, value)
    return bytes(buf)


def pairs(*keys: int) -> List[Any]:
    return [(raw(f"k{k}"), raw(k)) for k in keys]


def result_of(d: Deferred[Any]) -> Any:
    box: List[Any] = []
    d.addBoth(box.append)
    assert box, "not fired"
    return box[0]


class ScanCursorTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.clock = Clock()
        self.protocol, self.server = ready_protocol(self.clock)

    def cursor(self, page_size: int = 2) -> ScanCursor:
        return ScanCursor(lambda: succeed(self.protocol), m.ScanQuery(INFO, page_size))

    def test_paging(self) -> None:
        cursor = self.cursor()
        first = cursor.get_next()
        [query] = self.server.requests()
        self.assertEqual(query.op_code, ops.OP_QUERY_SCAN)
        self.assertEqual(query.args.page_size, 2)
        self.server.reply(query, m.CursorPage(pairs(1, 2), True, cursor_id=7))
        self.assertEqual(result_of(first), ("k1", 1))
        self.assertEqual(cursor.cursor_id, 7)
        # one page buffered, the next one already requested
        [page] = self.server.requests()
        self.assertEqual((page.op_code, page.args.resource_id),
                         (ops.OP_QUERY_SCAN_CURSOR_GET_PAGE, 7))
        self.server.reply(page, m.CursorPage(pairs(3, 4), True))
        self.assertEqual(self.server.requests(), [])  # bounded: no third page yet
        self.assertEqual(result_of(cursor.get_next()), ("k2", 2))
        self.assertEqual(self.server.requests(), [])  # page 2 still buffered
        self.assertEqual(cursor.buffered, 2)
        self.assertEqual(result_of(cursor.get_next()), ("k3", 3))
        [page] = self.server.requests()
        self.server.reply(page, m.CursorPage(pairs(5), False))
        rest = cursor.collect()
        self.assertEqual(result_of(rest), [("k4", 4), ("k5", 5)])
        self.assertEqual(self.server.requests(), [])  # released by the server: no close
        self.assertEqual(self.protocol.in_flight, 0)

    def test_close_while_server_holds_cursor(self) -> None:
        cursor = self.cursor()
        first = cursor.get_next()
        [query] = self.server.requests()
        self.server.reply(query, m.CursorPage(pairs(1, 2), True, cursor_id=7))
        result_of(first)
        [page] = self.server.requests()
        self.server.reply(page, m.CursorPage(pairs(3, 4), True))
        closed = cursor.close()
        [close] = self.server.requests()
        self.assertEqual((close.op_code, close.args.resource_id), (ops.OP_RESOURCE_CLOSE, 7))
        self.assertFalse(closed.called)
        self.server.reply(close)
        self.assertIsNone(result_of(closed))
        self.assertIsNone(result_of(cursor.get_next()))

    def test_no_close_after_last_page(self) -> None:
        cursor = self.cursor()
        d = cursor.get_next()
        [query] = self.server.requests()
        self.server.reply(query, m.CursorPage(pairs(1, 2), False, cursor_id=7))
        result_of(d)
        self.assertIsNone(result_of(cursor.close()))
        self.assertEqual(self.server.requests(), [])

    def test_cancel_in_flight_closes_when_page_lands(self) -> None:
        cursor = self.cursor()
        d = cursor.get_next()
        [query] = self.server.requests()
        d.cancel()
        self.assertIsInstance(result_of(d).value, CancelledError)
        self.server.reply(query, m.CursorPage(pairs(1, 2), True, cursor_id=9))
        [close] = self.server.requests()
        self.assertEqual((close.op_code, close.args.resource_id), (ops.OP_RESOURCE_CLOSE, 9))
        self.server.reply(close)

    def test_stop_producing_closes(self) -> None:
        cursor = self.cursor()
        got: List[Any] = []

        class Consumer:
            def registerProducer(self, producer: Any, streaming: bool) -> None:
                self.producer = producer

            def unregisterProducer(self) -> None:
                pass

            def write(self, item: Any) -> None:
                got.append(item)
                self.producer.stopProducing()

        cursor.produce_to(Consumer())  # type: ignore[arg-type]
        [query] = self.server.requests()
        self.server.reply(query, m.CursorPage(pairs(1, 2), True, cursor_id=3))
        self.assertEqual(got, [("k1", 1)])
        [close] = self.server.requests()
        self.assertEqual(close.op_code, ops.OP_RESOURCE_CLOSE)
        self.server.reply(close)

    def test_async_for_break_closes(self) -> None:
        cursor = self.cursor()

        async def first_only() -> Any:
            async for row in cursor:
                return row

        d = Deferred.fromCoroutine(first_only())
        [query] = self.server.requests()
        self.server.reply(query, m.CursorPage(pairs(1, 2), True, cursor_id=4))
        self.assertEqual(result_of(d), ("k1", 1))
        ops_sent = [r.op_code for r in self.server.requests()]
        self.assertIn(ops.OP_RESOURCE_CLOSE, ops_sent)

    def test_default_page_size(self) -> None:
        cache = Cache(object(), "c")  # type: ignore[arg-type]
        cursor = cache.scan()
        self.assertEqual(cursor._pager._query_args.page_size, DEFAULT_SCAN_PAGE_SIZE)
        self.assertEqual(DEFAULT_SCAN_PAGE_SIZE, 1024)


class SqlFieldsCursorTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.clock = Clock()
        self.protocol, self.server = ready_protocol(self.clock)

    def cursor(self, **kw: Any) -> SqlFieldsCursor:
        args = m.SqlFieldsQuery(m.CacheInfo(0), "SELECT name, age FROM person", [], "PUBLIC",
                                page_size=2, **kw)
        return SqlFieldsCursor(lambda: succeed(self.protocol), args)

    def test_field_names_first_then_pages(self) -> None:
        cursor = self.cursor(include_field_names=True)
        started = cursor.start()
        [query] = self.server.requests()
        self.assertTrue(query.args.include_field_names)
        self.server.reply(query, m.SqlFieldsPage(
            [[raw("Ann"), raw(30)], [raw("Bob"), raw(40)]], True, cursor_id=5,
            column_count=2, field_names=["NAME", "AGE"]))
        self.assertIs(result_of(started), cursor)
        self.assertEqual(cursor.field_names, ["NAME", "AGE"])
        self.assertEqual(result_of(cursor.get_next()), ["NAME", "AGE"])
        [page] = self.server.requests()
        self.assertEqual(page.op_code, ops.OP_QUERY_SQL_FIELDS_CURSOR_GET_PAGE)
        self.server.reply(page, m.SqlFieldsPage([[raw("Cid"), raw(50)]], False, column_count=2))
        self.assertEqual(result_of(cursor.collect()),
                         [["Ann", 30], ["Bob", 40], ["Cid", 50]])

    def test_await_runs_the_query(self) -> None:
        cursor = self.cursor()

        async def ddl() -> Any:
            done = await cursor
            return await done.__anext__()

        d = Deferred.fromCoroutine(ddl())
        [query] = self.server.requests()
        self.server.reply(query, m.SqlFieldsPage([[raw(1)]], False, cursor_id=1,
                                                 column_count=1))
        self.assertEqual(result_of(d), [1])

    def test_async_with_runs_and_closes(self) -> None:
        cursor = self.cursor()

        async def use() -> Any:
            async with cursor as c:
                return await c.__anext__()

        d = Deferred.fromCoroutine(use())
        [query] = self.server.requests()
        self.server.reply(query, m.SqlFieldsPage([[raw(1)], [raw(2)]], True, cursor_id=8,
                                                 column_count=1))
        close_seen = [r for r in self.server.requests() if r.op_code == ops.OP_RESOURCE_CLOSE]
        self.assertEqual(len(close_seen), 1)
        self.server.reply(close_seen[0])
        self.assertEqual(result_of(d), [1])

    def test_query_error(self) -> None:
        cursor = self.cursor()
        started = cursor.start()
        nxt = cursor.get_next()
        [query] = self.server.requests()
        self.server.error(query, 1, "Failed to parse query")
        self.assertIsInstance(result_of(started).value, SQLError)
        self.assertIsInstance(result_of(nxt).value, SQLError)
        self.assertIsInstance(result_of(cursor.start()).value, SQLError)


class ScanOnServerTests(MemoryClientCase):
    def test_page_sizes(self) -> None:
        cache = self.wait(self.client.get_or_create_cache("scan"))
        self.wait(cache.put_all({i: i * i for i in range(25)}))
        for page_size in (1, 4, 25, 1024):
            cursor = cache.scan(page_size=page_size)
            rows = self.wait(cursor.collect())
            self.assertEqual(len(rows), 25)
            self.assertEqual(dict(rows), {i: i * i for i in range(25)})
            self.assertGreaterEqual(cursor.pages_fetched, 1)

    def test_limit_closes_server_cursor(self) -> None:
        cache = self.wait(self.client.get_or_create_cache("scan"))
        self.wait(cache.put_all({i: i for i in range(30)}))
        stats = self.harness.endpoints[0].node.stats
        cursor = cache.scan(page_size=5)
        self.assertEqual(len(self.wait(cursor.collect(limit=7))), 7)
        self.harness.settle()
        self.assertEqual(stats.ops["OP_RESOURCE_CLOSE"], 1)
