"""Query cursors: scan, SQL and SQL-fields results as :mod:`txkv.scanner` producers.

A cursor runs its query on one connection (server-side cursors belong to a connection): the
first page comes with the query's reply, later pages with OP_*_CURSOR_GET_PAGE.  Every cursor is
a :class:`~txkv.scanner.PagedScanner`, so it offers ``get_next()``, ``async for``,
``collect(limit=)``, ``produce_to(consumer)`` (``IPushProducer``) and ``close()``; at most one
page is in flight and at most one buffered.  Stopping before the end (``close()``, leaving an
``async for``/``with`` block early, cancelling a Deferred it returned, ``stopProducing``) sends
OP_RESOURCE_CLOSE — only while the server still holds the cursor (its last page said "more").

As in pyignite's ``AioSqlFieldsCursor``, a cursor can be awaited (``await client.sql(...)``
runs the query and returns the cursor, so DDL/DML run that way), used with ``async with``
(which also runs the query), and ``await cursor.__anext__()`` returns the next row.
"""

from __future__ import annotations

from typing import Any, Callable, Generator, List, Optional, Sequence, Tuple, TypeVar

from twisted.internet.defer import Deferred, succeed
from twisted.python.failure import Failure

from txkv.ignite.codec import messages as m
from txkv.ignite.codec import ops
from txkv.ignite.protocol import IgniteProtocol
from txkv.scanner import Page, PagedScanner

__all__ = [
    "DEFAULT_SCAN_PAGE_SIZE",
    "QueryPager",
    "ScanCursor",
    "SqlCursor",
    "SqlFieldsCursor",
    "BaseCursor",
]

#: Default page size of scans (pyignite's is 1: one round trip per entry).
DEFAULT_SCAN_PAGE_SIZE = 1024

T = TypeVar("T")
Connect = Callable[[], Deferred[IgniteProtocol]]


class QueryPager:
    """The pages of one server-side cursor: the query, then next-page requests, then close.

    :param connect: returns the connection to run the query on.
    :param query_op: / :param query_args: the query request (``query_args`` may be a callable
        returning the arguments, evaluated when the query is sent).
    :param page_op: the next-page op of this cursor kind.
    :param include_field_names: SQL-fields only: the first page starts with the field names.
    """

    def __init__(self, connect: Connect, query_op: int, query_args: Any, page_op: int,
                 *, include_field_names: bool = False) -> None:
        self._connect = connect
        self._query_op = query_op
        self._query_args = query_args
        self._page_op = page_op
        self._include_field_names = include_field_names
        self.connection: Optional[IgniteProtocol] = None
        self.cursor_id: Optional[int] = None
        self.column_count = 0
        self.field_names: Optional[List[Optional[str]]] = None
        self.more = True

    def fetch(self) -> Deferred[Page[Any]]:
        """The next page as ``(rows, more)``."""
        if self.connection is None:
            return self._connect().addCallback(self._query)
        assert self.cursor_id is not None
        return self.connection.request(
            self._page_op, m.ResourceOp(self.cursor_id), column_count=self.column_count
        ).addCallback(self._page)

    def close(self) -> Optional[Deferred[Any]]:
        """Release the server-side cursor (OP_RESOURCE_CLOSE)."""
        if self.connection is None or self.cursor_id is None or not self.more:
            return None
        self.more = False
        return self.connection.request(ops.OP_RESOURCE_CLOSE, m.ResourceOp(self.cursor_id))

    def _query(self, connection: IgniteProtocol) -> Deferred[Page[Any]]:
        self.connection = connection
        args = self._query_args() if callable(self._query_args) else self._query_args
        return connection.request(
            self._query_op, args, include_field_names=self._include_field_names
        ).addCallback(self._first)

    def _first(self, page: Any) -> Page[Any]:
        self.cursor_id = page.cursor_id
        rows: List[Any] = list(self._rows(page))
        if isinstance(page, m.SqlFieldsPage):
            self.column_count = page.column_count or 0
            if self._include_field_names:
                self.field_names = list(page.field_names or [])
                rows.insert(0, list(self.field_names))
        self.more = bool(page.more)
        return rows, self.more

    def _page(self, page: Any) -> Page[Any]:
        self.more = bool(page.more)
        return list(self._rows(page)), self.more

    @staticmethod
    def _rows(page: Any) -> Sequence[Any]:
        if isinstance(page, m.SqlFieldsPage):
            return [list(row) for row in page.rows]
        return [tuple(row) for row in page.rows]


class BaseCursor(PagedScanner[T]):
    """A query cursor; see the module docstring."""

    def __init__(self, pager: QueryPager) -> None:
        super().__init__(self._fetch_with_notice, pager.close)
        self._pager = pager
        self._first_seen = False
        self._first_error: Optional[Failure] = None
        self._first_waiters: List[Deferred[Any]] = []

    # -- pyignite-style attributes ----------------------------------------------------------

    @property
    def cursor_id(self) -> Optional[int]:
        """The server-side cursor id (``None`` before the first page)."""
        return self._pager.cursor_id

    @property
    def more(self) -> bool:
        """Whether the server holds more pages."""
        return self._pager.more

    @property
    def connection(self) -> Optional[IgniteProtocol]:
        """The connection the query runs on."""
        return self._pager.connection

    # -- running the query --------------------------------------------------------------------

    def _fetch_with_notice(self) -> Deferred[Page[T]]:
        d = self._pager.fetch()
        if not self._first_seen:
            d.addBoth(self._first_arrived)
        return d

    def _first_arrived(self, result: Any) -> Any:
        if self._first_seen:
            return result
        self._first_seen = True
        if isinstance(result, Failure):
            self._first_error = result
        waiters, self._first_waiters = self._first_waiters, []
        for waiter in waiters:
            if isinstance(result, Failure):
                waiter.errback(result)
            else:
                waiter.callback(self)
        return result

    def start(self) -> Deferred[BaseCursor[T]]:
        """Run the query now (if not already running); fires with the cursor once the first
        page arrived, or fails with the query's error."""
        if self._first_seen:
            if self._first_error is not None:
                failed: Deferred[BaseCursor[T]] = Deferred()
                failed.errback(self._first_error)
                return failed
            return succeed(self)
        if self._stopped or self._finished:
            return succeed(self)
        waiter: Deferred[BaseCursor[T]] = Deferred()
        self._first_waiters.append(waiter)
        self._refill()
        return waiter

    def __await__(self) -> Generator[Any, Any, BaseCursor[T]]:
        return self.start().__await__()

    async def __aenter__(self) -> BaseCursor[T]:
        await self.start()
        return self

    async def __anext__(self) -> T:
        item = await self.get_next()
        if item is None:
            raise StopAsyncIteration
        return item


class ScanCursor(BaseCursor[Tuple[Any, Any]]):
    """Rows of a scan query: ``(key, value)`` tuples."""

    def __init__(self, connect: Connect, args: m.ScanQuery) -> None:
        super().__init__(QueryPager(connect, ops.OP_QUERY_SCAN, args,
                                    ops.OP_QUERY_SCAN_CURSOR_GET_PAGE))


class SqlCursor(BaseCursor[Tuple[Any, Any]]):
    """Rows of a (deprecated) SQL query (``Cache.select_row``): ``(key, value)`` tuples."""

    def __init__(self, connect: Connect, args: m.SqlQuery) -> None:
        super().__init__(QueryPager(connect, ops.OP_QUERY_SQL, args,
                                    ops.OP_QUERY_SQL_CURSOR_GET_PAGE))


class SqlFieldsCursor(BaseCursor[List[Any]]):
    """Rows of an SQL-fields query as lists; with ``include_field_names`` the first item is
    the list of field names."""

    def __init__(self, connect: Connect, args: m.SqlFieldsQuery) -> None:
        super().__init__(QueryPager(connect, ops.OP_QUERY_SQL_FIELDS, args,
                                    ops.OP_QUERY_SQL_FIELDS_CURSOR_GET_PAGE,
                                    include_field_names=args.include_field_names))

    @property
    def field_names(self) -> Optional[List[Optional[str]]]:
        """The field names (when requested), once the first page arrived."""
        return self._pager.field_names
