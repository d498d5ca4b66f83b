"""Kyoto Tycoon cursors: one server-side cursor pinned to one HTTP connection, and scanners
(push producers) that walk a database through a cursor, one pipelined page at a time."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, List, Optional, Sequence, Tuple

from twisted.internet.defer import Deferred, gatherResults, succeed

from txkv.errors import ConnectionLostError, NotConnectedError
from txkv.kyoto.client_base import first_error
from txkv.kyoto.kt_protocol import KTHTTPProtocol
from txkv.kyoto.kt_values import ExpireTime, convert_xt
from txkv.scanner import PagedScanner, Scanner

if TYPE_CHECKING:
    from txkv.kyoto.kt_client import KyotoTycoon, RPCReply

__all__ = ["KTCursor", "cursor_scanner"]


class KTCursor:
    """A server cursor.  The server keeps cursors per connection, so the first call pins an
    HTTP connection and every later call uses it; if that connection is lost, the cursor is
    gone and calls fail with :class:`~txkv.errors.ConnectionLostError`.

    Movement methods fire True on success and False when there is no record (450).
    """

    def __init__(self, client: KyotoTycoon, cursor_id: int, db: int,
                 decode_values: bool = True, encode_values: bool = True) -> None:
        self.client = client
        self.cursor_id = cursor_id
        self.db = db
        self.decode_values = decode_values
        self.encode_values = encode_values
        self.valid = False
        self._conn: Optional[KTHTTPProtocol] = None
        self._pinning: Optional[Deferred[KTHTTPProtocol]] = None

    def _connection(self) -> Deferred[KTHTTPProtocol]:
        if self._conn is not None:
            if not self._conn.usable:
                d: Deferred[KTHTTPProtocol] = Deferred()
                d.errback(ConnectionLostError("the cursor's connection was lost",
                                              op=f"cursor {self.cursor_id}"))
                return d
            return succeed(self._conn)
        if self._pinning is None:
            self._pinning = self.client.http_connection()

            def pin(conn: KTHTTPProtocol) -> KTHTTPProtocol:
                self._conn = conn
                return conn

            self._pinning.addCallback(pin)
        waiter: Deferred[KTHTTPProtocol] = Deferred()
        self._pinning.addBoth(_relay(waiter))
        return waiter

    def _call(self, proc: str, params: List[Tuple[Any, Any]], with_db: bool = False,
              allowed: Tuple[int, ...] = (450,)) -> Deferred[RPCReply]:
        params = [(b"CUR", str(self.cursor_id).encode())] + params

        def send(conn: KTHTTPProtocol) -> Deferred[RPCReply]:
            return self.client.rpc(proc, params, self.db if with_db else False, allowed,
                                   connection=conn)

        return self._connection().addCallback(send)

    def _moved(self, reply: RPCReply) -> bool:
        self.valid = reply.ok
        return self.valid

    def jump(self, key: Any = None) -> Deferred[bool]:
        """Go to ``key`` (or the first record at or after it); None: the first record."""
        params = [] if key is None else [(b"key", key)]
        return self._call("cur_jump", params, with_db=True).addCallback(self._moved)

    def jump_back(self, key: Any = None) -> Deferred[bool]:
        """Go to ``key`` (or the last record at or before it); None: the last record."""
        params = [] if key is None else [(b"key", key)]
        return self._call("cur_jump_back", params, with_db=True).addCallback(self._moved)

    def step(self) -> Deferred[bool]:
        """Move to the next record."""
        return self._call("cur_step", []).addCallback(self._moved)

    def step_back(self) -> Deferred[bool]:
        """Move to the previous record."""
        return self._call("cur_step_back", []).addCallback(self._moved)

    @staticmethod
    def _step_param(step: bool) -> List[Tuple[Any, Any]]:
        return [(b"step", b"")] if step else []

    def key(self, step: bool = False) -> Deferred[Any]:
        """The current key (None when not on a record); ``step`` moves on afterwards."""
        return self._call("cur_get_key", self._step_param(step)).addCallback(
            lambda r: self.client._key(r.data[b"key"]) if r.ok else None)

    def _value(self, raw: bytes) -> Any:
        return self.client.decode_value(raw) if self.decode_values else raw

    def value(self, step: bool = False) -> Deferred[Any]:
        """The current value (None when not on a record)."""
        return self._call("cur_get_value", self._step_param(step)).addCallback(
            lambda r: self._value(r.data[b"value"]) if r.ok else None)

    def get(self, step: bool = False) -> Deferred[Optional[Tuple[Any, Any]]]:
        """``(key, value)`` of the current record, or None."""
        return self._call("cur_get", self._step_param(step)).addCallback(self._pair)

    def _pair(self, r: RPCReply) -> Optional[Tuple[Any, Any]]:
        if not r.ok:
            return None
        return self.client._key(r.data[b"key"]), self._value(r.data[b"value"])

    def set_value(self, value: Any, step: bool = False,
                  expire_time: ExpireTime = None) -> Deferred[bool]:
        """Overwrite the current record's value."""
        raw = self.client.encode_value(value) if self.encode_values else value
        params: List[Tuple[Any, Any]] = [(b"value", raw)] + self._step_param(step)
        xt = convert_xt(expire_time)
        if xt is not None:
            params.append((b"xt", str(xt).encode()))
        return self._call("cur_set_value", params).addCallback(lambda r: r.ok)

    def remove(self) -> Deferred[bool]:
        """Remove the current record (the cursor moves to the next one)."""
        return self._call("cur_remove", []).addCallback(lambda r: r.ok)

    def seize(self) -> Deferred[Optional[Tuple[Any, Any]]]:
        """Get and remove the current record."""
        return self._call("cur_seize", []).addCallback(self._pair)

    def close(self) -> Deferred[bool]:
        """Delete the server-side cursor."""
        self.valid = False
        if self._conn is None and self._pinning is None:
            return succeed(True)

        def ignore_lost(f: Any) -> bool:
            f.trap(ConnectionLostError, NotConnectedError)
            return True

        return self._call("cur_delete", [], allowed=(450, 501)).addCallbacks(
            lambda r: r.ok, ignore_lost)

    def page(self, kind: str, size: int) -> Deferred[Tuple[List[Any], bool]]:
        """Up to ``size`` records from the current position, stepping past each; pipelined on
        the cursor's connection.  Fires ``(items, more)``."""
        proc = {"key": "cur_get_key", "value": "cur_get_value", "item": "cur_get"}[kind]
        calls = [self._call(proc, [(b"step", b"")]) for _ in range(size)]

        def collect(replies: List[RPCReply]) -> Tuple[List[Any], bool]:
            items: List[Any] = []
            for r in replies:
                if not r.ok:
                    return items, False
                if kind == "key":
                    items.append(self.client._key(r.data[b"key"]))
                elif kind == "value":
                    items.append(self._value(r.data[b"value"]))
                else:
                    items.append((self.client._key(r.data[b"key"]),
                                  self._value(r.data[b"value"])))
            return items, True

        return gatherResults(calls, consumeErrors=True).addCallback(collect).addErrback(
            first_error)


def cursor_scanner(cursor: KTCursor, kind: str, page_size: int = 100) -> Scanner[Any]:
    """A scanner over every record from the first one, through ``cursor``; the cursor is
    deleted on the server when the scan ends or is stopped."""
    started = [False]

    def fetch() -> Deferred[Tuple[Sequence[Any], bool]]:
        if not started[0]:
            started[0] = True

            def after_jump(ok: bool) -> Any:
                if not ok:
                    return cursor.close().addCallback(lambda _: ([], False))
                return next_page()

            return cursor.jump().addCallback(after_jump)
        return next_page()

    def next_page() -> Deferred[Tuple[Sequence[Any], bool]]:
        def done(page: Tuple[List[Any], bool]) -> Any:
            if not page[1]:
                return cursor.close().addBoth(lambda _: page)
            return page

        return cursor.page(kind, page_size).addCallback(done)

    return PagedScanner(fetch, cursor.close)


def _relay(target: Deferred[Any]) -> Any:
    def relay(result: Any) -> Any:
        if hasattr(result, "check") and hasattr(result, "value"):
            target.errback(result)
            return None
        target.callback(result)
        return result

    return relay
