"""Tail a Kyoto Tycoon server's update log (binary ``0xB1`` replication) as a scanner.

Each item is a dict ``{sid, db, op, key, value, xt, ts}`` (``op``: 0xA1 set, 0xA2 remove, 0xA5
clear).  The stream runs on one node at a time through :class:`txkv.pool.Node`, the connection
slot the client's connection managers use: a dropped stream reconnects with the client's retry
policy (backoff with jitter by default), and each new stream asks for the logs after the last
timestamp delivered, so none is repeated or skipped while the server still holds it.  After
``failover_after`` failed attempts in a row the tail moves to the client's next node.  Pausing
the scanner pauses reading from the socket once a bounded buffer is full.
"""

from __future__ import annotations

import random
import time
from collections import deque
from typing import TYPE_CHECKING, Any, Deque, Dict, List, Optional, Sequence, Tuple

from twisted.internet.defer import Deferred, fail
from twisted.internet.protocol import Factory
from twisted.logger import Logger
from twisted.python.failure import Failure

from txkv.connection import RetryPolicy, default_retry_policy
from txkv.endpoints import parse_node
from txkv.errors import ParameterError
from txkv.kyoto.kt_errors import KTBinaryError
from txkv.kyoto.kt_protocol import KTReplicationProtocol
from txkv.kyoto.kt_values import OP_SET, decode_ulog
from txkv.pool import Node
from txkv.scanner import Scanner

if TYPE_CHECKING:
    from txkv.kyoto.kt_client import KyotoTycoon

__all__ = ["ReplicationScanner"]

_log = Logger(namespace="txkv.kyoto.replication")

Page = Tuple[Sequence[Dict[str, Any]], bool]

#: seconds a closing stream gets before its connection is aborted
_STOP_TIMEOUT = 10.0


class _StreamFactory(Factory):
    """Builds each connection's stream from the scanner's current timestamp."""

    def __init__(self, scanner: ReplicationScanner) -> None:
        self.scanner = scanner

    def buildProtocol(self, addr: Any) -> KTReplicationProtocol:
        scanner = self.scanner
        proto = KTReplicationProtocol(scanner.ts, scanner.sid, scanner._on_log, scanner.white_sid)
        scanner._proto = proto
        return proto


class ReplicationScanner(Scanner[Dict[str, Any]]):
    """Update logs newer than ``timestamp`` (seconds; default now) as a scanner.

    :param sid: this reader's server id (logs from it are skipped unless ``white_sid``).
    :param white_sid: only logs that originated on server ``sid``.
    :param retry_policy: ``failed attempts -> delay`` between connection attempts (default:
        the client's, else :func:`txkv.connection.default_retry_policy`).
    :param failover_after: failed attempts in a row before moving to the next node.
    :param high_water: buffered logs above which reading from the socket pauses.
    """

    def __init__(self, client: KyotoTycoon, sid: Optional[int] = None,
                 timestamp: Optional[float] = None, white_sid: bool = False,
                 decode_values: bool = True, retry_policy: Optional[RetryPolicy] = None,
                 failover_after: int = 3, high_water: int = 10_000) -> None:
        super().__init__()
        if isinstance(failover_after, bool) or not isinstance(failover_after, int) \
                or failover_after < 1:
            raise ParameterError(
                f"failover_after must be a positive integer, not {failover_after!r}")
        self.client = client
        self.reactor = client.reactor
        self.sid = random.randint(100, 199) if sid is None else sid
        self.white_sid = white_sid
        self.decode_values = decode_values
        self.retry_policy = (retry_policy or client.retry_policy or default_retry_policy())
        self.failover_after = failover_after
        self.high_water = high_water
        start = time.time() if timestamp is None else timestamp
        self.ts = int(start * 1e9)
        #: streams that ended and were reconnected
        self.reconnects = 0
        self._logs: Deque[Dict[str, Any]] = deque()
        self._waiting: Optional[Deferred[Page]] = None
        self._proto: Optional[KTReplicationProtocol] = None
        self._node: Optional[Node] = None
        self._node_index = 0
        self._stopping = False
        self._transport_paused = False
        self._failure: Optional[Failure] = None

    @property
    def node(self) -> Optional[str]:
        """The address of the node the tail reads from (None before the first read)."""
        return None if self._node is None else self._node.address

    # -- connection ---------------------------------------------------------------------------

    def _start_node(self) -> None:
        client = self.client
        nodes = client.nodes
        # the same node parsing (and TLS wrapping) as the client's connection managers
        spec = parse_node(nodes[self._node_index % len(nodes)], self.reactor, client.tls,
                          timeout=client.connect_timeout)
        self._node = Node(
            spec,
            factory=_StreamFactory(self),
            clock=self.reactor,
            retry_policy=self.retry_policy,
            # a connection counts once the server accepted the stream; a refusal fails it
            prepare_connection=lambda proto: proto.accepted,
            prepare_timeout=client.connect_timeout,
            pool_size=1,
            listener=self,
        )
        self._node.start()

    def _stop_node(self) -> Optional[Deferred[Any]]:
        node, self._node = self._node, None
        return None if node is None else node.stop(_STOP_TIMEOUT)

    # listener of the node's connection events (txkv.pool.Node calls these)

    def connection_up(self, node: Node, protocol: Any, became_up: bool) -> None:
        pass

    def connection_failed(self, node: Node, error: BaseException) -> None:
        if node is not self._node or self._stopping:
            return
        if isinstance(error, KTBinaryError):  # the server has no update log: retrying won't help
            self._fail(Failure(error))
            return
        if len(self.client.nodes) > 1 and node.failures >= self.failover_after:
            self._stop_node()
            self._node_index += 1
            _log.info("replication moves from {old} to the next node", old=node.address)
            self._start_node()

    def connection_going(self, node: Node, protocol: Any) -> None:
        if protocol is self._proto:
            self._proto = None
            self._transport_paused = False

    def connection_lost(self, node: Node, error: BaseException) -> None:
        if node is self._node and not self._stopping:
            self.reconnects += 1

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
        self._failure = f
        self._stop_node()
        if self._waiting is not None:
            waiting, self._waiting = self._waiting, None
            waiting.errback(f)

    # -- scanner hooks ---------------------------------------------------------------------------

    def _fetch_page(self) -> Deferred[Page]:
        if self._failure is not None:
            return fail(self._failure)
        if self._node is None and not self._stopping:
            self._start_node()
        d: Deferred[Page] = Deferred(lambda _d: setattr(self, "_waiting", None))
        self._waiting = d
        if self._logs:
            self._hand_over()
        return d

    def _end_page_in_flight(self) -> None:
        if self._waiting is not None:
            waiting, self._waiting = self._waiting, None
            waiting.callback(((), True))  # nothing more: the base then closes the stream

    def _close_resource(self) -> Optional[Deferred[Any]]:
        self._stopping = True
        return self._stop_node()
