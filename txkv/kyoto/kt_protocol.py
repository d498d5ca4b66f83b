"""Twisted protocols of the Kyoto Tycoon client: binary frames, HTTP RPC, replication stream.

Both request/reply protocols pipeline on :class:`~txkv.kyoto.fifo_protocol.FifoProtocol`:
replies are matched to requests in order.  No-reply binary writes add nothing and fire at once.
"""

from __future__ import annotations

from typing import Any, Callable, Optional

from twisted.internet.defer import Deferred, succeed
from twisted.internet.protocol import Protocol, connectionDone
from twisted.python.failure import Failure

from txkv.errors import ConnectionLostError, ProtocolError
from txkv.kyoto.fifo_protocol import FifoFactory, FifoProtocol
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

__all__ = [
    "KTBinaryProtocol",
    "KTHTTPProtocol",
    "KTBinaryFactory",
    "KTHTTPFactory",
    "KTReplicationProtocol",
]

_REPLICATION_ACK = bytes((MAGIC_REPLICATION,))


class KTBinaryProtocol(FifoProtocol):
    """Binary protocol connection: :meth:`request` sends a frame and parses its reply."""

    def request(self, frame: bytes, parser: Optional[FrameParser], op: str,
                timeout: Optional[float] = None) -> Deferred[Any]:
        """Send ``frame``; fire with the parser's result (None at once when ``parser`` is None,
        for no-reply requests)."""
        if parser is None:
            if not self.usable or self.transport is None:
                return self._refuse(op)
            self._write(frame)
            return succeed(None)
        return self._send(frame, parser, op, timeout)

    def _deliver(self, parser: Any) -> None:
        result = parser.result
        parser.result = None  # shared parsers must not keep the last value alive
        if result.__class__ is BinaryErrorReply:
            op = self.pending.peek_op()
            self.pending.error(KTBinaryError(node=self.pending.node, op=op))
        else:
            self.pending.reply(result)


class KTHTTPProtocol(FifoProtocol):
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


class KTBinaryFactory(FifoFactory):
    """Builds :class:`KTBinaryProtocol` with a clock and a default request timeout."""

    protocol_class = KTBinaryProtocol


class KTHTTPFactory(FifoFactory):
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
