"""Tail a Kyoto Tycoon server's update log (binary ``0xB1`` replication) as a scanner.

Each item is a dict ``{sid, db, op, key, value, xt, ts}`` (``op``: 0xA1 set, 0xA2 remove, 0xA5
clear).  When the connection drops the scanner reconnects (trying the client's nodes in turn)
and resumes after the last timestamp it delivered, so no log is repeated or skipped while the
server still holds it.  Pausing the scanner pauses reading from the socket once a bounded buffer
is full.
"""

from __future__ import annotations

import random
import time
from collections import deque
from typing import TYPE_CHECKING, Any, Deque, Dict, List, Optional, Sequence, Tuple

from twisted.internet.defer import Deferred
from twisted.internet.protocol import Factory
from twisted.logger import Logger
from twisted.python.failure import Failure

from txkv.endpoints import parse_node
from txkv.kyoto.kt_protocol import KTReplicationProtocol
from txkv.kyoto.kt_values import OP_SET, decode_ulog
from txkv.scanner import Scanner

if TYPE_CHECKING:
    from txkv.kyoto.kt_client import KyotoTycoon

__all__ = ["ReplicationScanner"]

_log = Logger(namespace="txkv.kyoto.replication")


class ReplicationScanner(Scanner[Dict[str, Any]]):
    """Update logs newer than ``timestamp`` (seconds; default now) as a scanner.

    :param sid: this reader's server id (logs from it are skipped unless ``white_sid``).
    :param white_sid: only logs that originated on server ``sid``.
    :param reconnect_delay: seconds between reconnection attempts.
    :param high_water: buffered logs above which reading from the socket pauses.
    """

    def __init__(self, client: KyotoTycoon, sid: Optional[int] = None,
                 timestamp: Optional[float] = None, white_sid: bool = False,
                 decode_values: bool = True, reconnect_delay: float = 1.0,
                 high_water: int = 10_000) -> None:
        super().__init__()
        self.client = client
        self.reactor = client.reactor
        self.sid = random.randint(100, 199) if sid is None else sid
        self.white_sid = white_sid
        self.decode_values = decode_values
        self.reconnect_delay = reconnect_delay
        self.high_water = high_water
        start = time.time() if timestamp is None else timestamp
        self.ts = int(start * 1e9)
        self.reconnects = 0
        self._logs: Deque[Dict[str, Any]] = deque()
        self._waiting: Optional[Deferred[Tuple[Sequence[Dict[str, Any]], bool]]] = None
        self._proto: Optional[KTReplicationProtocol] = None
        self._node_index = 0
        self._stopping = False
        self._retry: Any = None
        self._transport_paused = False
        self._connect_started = False

    # -- connection ---------------------------------------------------------------------------

    def _connect(self) -> None:
        if self._stopping:
            return
        nodes = self.client.nodes
        node = nodes[self._node_index % len(nodes)]
        proto = KTReplicationProtocol(self.ts, self.sid, self._on_log, self.white_sid)
        # the same node parsing (and TLS wrapping) as the client's connection manager
        endpoint = parse_node(node, self.reactor, self.client.tls,
                              timeout=self.client.connect_timeout).endpoint
        d = endpoint.connect(Factory.forProtocol(lambda: proto))

        def connected(_: Any) -> None:
            self._proto = proto
            proto.closed.addCallback(self._on_closed)

        def failed(f: Failure) -> None:
            _log.info("replication connect to {node} failed: {error}", node=node,
                      error=f.getErrorMessage())
            self._schedule_reconnect()

        d.addCallbacks(connected, failed)
        proto.accepted.addErrback(self._on_refused)

    def _on_refused(self, f: Failure) -> None:
        from txkv.kyoto.kt_errors import KTBinaryError

        if f.check(KTBinaryError):
            self._fail(f)

    def _on_closed(self, _: None) -> None:
        self._proto = None
        if not self._stopping and self._error is None:
            self._schedule_reconnect()

    def _schedule_reconnect(self) -> None:
        if self._stopping or self._retry is not None:
            return
        self.reconnects += 1
        self._node_index += 1

        def again() -> None:
            self._retry = None
            self._connect()

        self._retry = self.reactor.callLater(self.reconnect_delay, again)

    # -- data ----------------------------------------------------------------------------------

    def _on_log(self, ts: int, body: bytes) -> None:
        if ts <= self.ts:
            return  # already delivered before a reconnect
        self.ts = ts
        try:
            log = decode_ulog(body, ts)
        except Exception as e:
            _log.warn("undecodable update log: {error}", error=e)
            return
        item = log.as_dict()
        if log.key is not None:
            item["key"] = self.client._key(log.key)
        if log.op == OP_SET and self.decode_values and log.value is not None:
            try:
                item["value"] = self.client.decode_value(log.value)
            except Exception:
                item["value"] = log.value
        self._logs.append(item)
        if self._waiting is not None:
            self._hand_over()
        elif len(self._logs) >= self.high_water and self._proto is not None:
            transport = self._proto.transport
            if transport is not None and not self._transport_paused:
                transport.pauseProducing()  # type: ignore[attr-defined]
                self._transport_paused = True

    def _hand_over(self) -> None:
        waiting, self._waiting = self._waiting, None
        items: List[Dict[str, Any]] = list(self._logs)
        self._logs.clear()
        if self._transport_paused and self._proto is not None and self._proto.transport:
            self._proto.transport.resumeProducing()  # type: ignore[attr-defined]
            self._transport_paused = False
        assert waiting is not None
        waiting.callback((items, True))

    def _fail(self, f: Failure) -> None:
        self._stopping = True
        if self._waiting is not None:
            waiting, self._waiting = self._waiting, None
            waiting.errback(f)

    # -- scanner hooks ---------------------------------------------------------------------------

    def _fetch_page(self) -> Deferred[Tuple[Sequence[Dict[str, Any]], bool]]:
        if not self._connect_started and not self._stopping:
            self._connect_started = True
            self._connect()
        d: Deferred[Tuple[Sequence[Dict[str, Any]], bool]] = Deferred(
            lambda _d: setattr(self, "_waiting", None))
        self._waiting = d
        if self._logs:
            self._hand_over()
        return d

    def _close_resource(self) -> Optional[Deferred[Any]]:
        self._stopping = True
        if self._retry is not None and self._retry.active():
            self._retry.cancel()
        self._retry = None
        if self._proto is not None and self._proto.transport is not None:
            closed = self._proto.closed
            self._proto.transport.loseConnection()
            return closed
        return None
