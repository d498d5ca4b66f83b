"""Twisted protocols of the Kyoto Tycoon client: binary frames, HTTP RPC, replication stream.

Both request/reply protocols pipeline: every request appends a parser for its reply to a FIFO
and a slot to a :class:`~txkv.pending.FifoPendingRequests`; replies are matched in order.  A
cancelled or timed-out request keeps its slot, so its reply is read and dropped, never handed to
the next request.  No-reply binary writes add nothing and fire at once.
"""

from __future__ import annotations

from collections import deque
from typing import Any, Callable, Deque, Optional

from twisted.internet.defer import Deferred, fail, succeed
from twisted.internet.interfaces import IReactorTime
from twisted.internet.protocol import Factory, Protocol, connectionDone
from twisted.logger import Logger
from twisted.python.failure import Failure

from txkv.errors import ConnectionLostError, NotConnectedError, ProtocolError
from txkv.kyoto.kt_codec import (
    MAGIC_REPLICATION,
    AcceptReplyParser,
    BinaryErrorReply,
    FrameParser,
    ReplicationStreamParser,
    encode_replication,
)
from txkv.kyoto.kt_errors import KTBinaryError
from txkv.kyoto.kt_http import HTTPResponse, ResponseParser, encode_request
from txkv.pending import FifoPendingRequests

__all__ = [
    "KTBinaryProtocol",
    "KTHTTPProtocol",
    "KTBinaryFactory",
    "KTHTTPFactory",
    "KTReplicationProtocol",
]

_log = Logger(namespace="txkv.kyoto")

_REPLICATION_ACK = bytes((MAGIC_REPLICATION,))


def _peer_name(transport: Any) -> Optional[str]:
    try:
        peer = transport.getPeer()
        return f"{peer.host}:{peer.port}"
    except Exception:
        return None


class _FifoProtocol(Protocol):
    """Ordered request/reply matching over one connection."""

    def __init__(self, clock: Optional[IReactorTime] = None,
                 timeout: Optional[float] = None) -> None:
        if clock is None:
            from twisted.internet import reactor as _reactor

            clock = _reactor
        assert clock is not None
        self.clock = clock
        self.pending = FifoPendingRequests(clock, timeout)
        self._parsers: Deque[Any] = deque()
        self._buf = bytearray()
        self.connected_at: Optional[float] = None
        self.usable = False
        self.on_close: Optional[Callable[[_FifoProtocol], None]] = None

    @property
    def in_flight(self) -> int:
        return len(self._parsers)

    def connectionMade(self) -> None:
        self.pending.node = _peer_name(self.transport)
        self.usable = True
        self.connected_at = self.clock.seconds()

    def connectionLost(self, reason: Failure = connectionDone) -> None:
        self.usable = False
        self._parsers.clear()
        self.pending.fail_all(ConnectionLostError(
            f"connection lost: {reason.getErrorMessage()}", node=self.pending.node))
        if self.on_close is not None:
            self.on_close(self)

    def _send(self, data: bytes, parser: Any, op: str, timeout: Optional[float]) -> Deferred[Any]:
        if not self.usable or self.transport is None:
            return fail(NotConnectedError("connection is closed", node=self.pending.node, op=op))
        d = self.pending.add(op, timeout)
        self._parsers.append(parser)
        self.transport.write(data)
        return d

    def dataReceived(self, data: bytes) -> None:
        buf = self._buf
        buf += data
        off = 0
        parsers = self._parsers
        try:
            with memoryview(buf) as view:
                while parsers and off < len(buf):
                    consumed = parsers[0].parse(view[off:])
                    if consumed is None:
                        break
                    off += consumed
                    self._deliver(parsers.popleft())
        except ProtocolError as e:
            self._protocol_error(e)
            return
        if off:
            del buf[:off]
        if buf and not parsers:
            self._protocol_error(ProtocolError(
                f"{len(buf)} unexpected bytes from the server", node=self.pending.node))

    def _deliver(self, parser: Any) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _protocol_error(self, err: ProtocolError) -> None:
        _log.warn("KT protocol error from {node}: {error}", node=self.pending.node, error=err)
        self.usable = False
        self._parsers.clear()
        self._buf = bytearray()
        self.pending.fail_all(err)
        if self.transport is not None:
            self.transport.loseConnection()

    def close(self) -> Deferred[None]:
        """Close the connection; pending requests fail with ConnectionLostError."""
        self.usable = False
        if self.transport is not None:
            self.transport.loseConnection()
        return succeed(None)


class KTBinaryProtocol(_FifoProtocol):
    """Binary protocol connection: :meth:`request` sends a frame and parses its reply."""

    def request(self, frame: bytes, parser: Optional[FrameParser], op: str,
                timeout: Optional[float] = None) -> Deferred[Any]:
        """Send ``frame``; fire with the parser's result (None at once when ``parser`` is None,
        for no-reply requests)."""
        if parser is None:
            if not self.usable or self.transport is None:
                return fail(NotConnectedError("connection is closed", node=self.pending.node,
                                              op=op))
            self.transport.write(frame)
            return succeed(None)
        return self._send(frame, parser, op, timeout)

    def _deliver(self, parser: Any) -> None:
        result = parser.result
        if isinstance(result, BinaryErrorReply):
            op = self.pending.peek_op()
            self.pending.error(KTBinaryError(node=self.pending.node, op=op))
        else:
            self.pending.reply(result)


class KTHTTPProtocol(_FifoProtocol):
    """A pipelining HTTP/1.1 keep-alive client connection for ``/rpc/...`` calls."""

    host_header = b"localhost"

    def connectionMade(self) -> None:
        super().connectionMade()
        try:
            peer: Any = self.transport.getPeer()  # type: ignore[union-attr]
            self.host_header = f"{peer.host}:{peer.port}".encode("ascii")
        except Exception:
            pass

    def request(self, path: bytes, body: bytes, content_type: bytes, op: str,
                timeout: Optional[float] = None) -> Deferred[HTTPResponse]:
        """POST ``body`` to ``path``; fire with the :class:`HTTPResponse`."""
        data = encode_request(path, body, self.host_header, content_type)
        return self._send(data, ResponseParser(), op, timeout)

    def _deliver(self, parser: Any) -> None:
        response: HTTPResponse = parser.result
        if not response.keep_alive:
            self.usable = False
        self.pending.reply(response)
        if not response.keep_alive and self.transport is not None:
            self.transport.loseConnection()

    def connectionLost(self, reason: Failure = connectionDone) -> None:
        if self._parsers:
            last = self._parsers[0]
            with memoryview(self._buf) as view:
                response = last.finish_at_close(view)
            if response is not None:
                self._parsers.popleft()
                self.pending.reply(response)
        super().connectionLost(reason)


class _FactoryBase(Factory):
    protocol_class: Any = None

    def __init__(self, clock: Optional[IReactorTime] = None,
                 timeout: Optional[float] = None) -> None:
        self.clock = clock
        self.timeout = timeout

    def buildProtocol(self, addr: Any) -> Protocol:
        proto: Protocol = self.protocol_class(self.clock, self.timeout)
        proto.factory = self
        return proto


class KTBinaryFactory(_FactoryBase):
    """Builds :class:`KTBinaryProtocol` with a clock and a default request timeout."""

    protocol_class = KTBinaryProtocol


class KTHTTPFactory(_FactoryBase):
    """Builds :class:`KTHTTPProtocol` with a clock and a default request timeout."""

    protocol_class = KTHTTPProtocol


class KTReplicationProtocol(Protocol):
    """A replication stream: sends the ``0xB1`` request, answers heartbeats, hands each update
    log to ``on_log(ts, body)``.

    ``accepted`` fires when the server accepts the stream (or fails on ``0xBF``); ``closed``
    fires (with None; the reason is in ``close_reason``) when the connection ends.
    """

    def __init__(self, ts: int, sid: int, on_log: Callable[[int, bytes], None],
                 white_sid: bool = False) -> None:
        self.ts = ts
        self.sid = sid
        self.white_sid = white_sid
        self.on_log = on_log
        self.accepted: Deferred[None] = Deferred()
        self.closed: Deferred[None] = Deferred()
        self.close_reason: Optional[Failure] = None
        self._accepted = False
        self._buf = bytearray()
        self._stream = ReplicationStreamParser()

    def connectionMade(self) -> None:
        assert self.transport is not None
        self.transport.write(encode_replication(self.ts, self.sid, self.white_sid))

    def dataReceived(self, data: bytes) -> None:
        buf = self._buf
        buf += data
        off = 0
        try:
            with memoryview(buf) as view:
                if not self._accepted:
                    accept = AcceptReplyParser(MAGIC_REPLICATION)
                    if accept.parse(view) is None:
                        return
                    off = 1
                    if isinstance(accept.result, BinaryErrorReply):
                        raise KTBinaryError("replication refused (no update log?)", op="replicate")
                    self._accepted = True
                    self.accepted.callback(None)
                while off < len(buf):
                    got = self._stream.parse(view[off:])
                    if got is None:
                        break
                    consumed, (kind, ts, body) = got
                    off += consumed
                    if kind == "nop":
                        self.transport.write(_REPLICATION_ACK)  # type: ignore[union-attr]
                    elif body:  # zero-size logs are keep-alives
                        self.ts = max(self.ts, ts)
                        self.on_log(ts, body)
        except (ProtocolError, KTBinaryError) as e:
            if not self.accepted.called:
                self.accepted.errback(e)
            self._buf = bytearray()
            self.transport.loseConnection()  # type: ignore[union-attr]
            return
        if off:
            del buf[:off]

    def connectionLost(self, reason: Failure = connectionDone) -> None:
        if not self.accepted.called:
            self.accepted.errback(ConnectionLostError(
                f"replication connection lost: {reason.getErrorMessage()}"))
        self.close_reason = reason
        self.closed.callback(None)
