"""In-order request/reply matching over one connection, shared by the Kyoto Tycoon (binary and
HTTP) and Tokyo Tyrant client protocols.

Every request that expects a reply appends a resumable parser for that reply to a FIFO and a slot
to a :class:`~txkv.pending.FifoPendingRequests`; replies are parsed in order from one buffer.  A
cancelled or timed-out request keeps its slot, so its reply is read and dropped, never handed to
the next request.  Bytes nobody asked for, or a malformed reply, fail every pending request with
:class:`~txkv.errors.ProtocolError` and close the connection.
"""

from __future__ import annotations

from collections import deque
from typing import Any, Deque, Optional

from twisted.internet.defer import Deferred, fail, succeed
from twisted.internet.interfaces import IReactorTime
from twisted.internet.protocol import Factory, Protocol, connectionDone
from twisted.logger import Logger
from twisted.python.failure import Failure

from txkv.direct_write import write_now
from txkv.endpoints import set_no_delay
from txkv.errors import ConnectionLostError, NotConnectedError, ProtocolError
from txkv.pending import FifoPendingRequests

__all__ = ["FifoProtocol", "FifoFactory", "peer_name"]

_log = Logger(namespace="txkv.kyoto")


def peer_name(transport: Any) -> Optional[str]:
    """``"host:port"`` of the transport's peer, or None when it has no address."""
    try:
        peer = transport.getPeer()
        return f"{peer.host}:{peer.port}"
    except Exception:
        return None


class FifoProtocol(Protocol):
    """A pipelining client connection whose server answers requests in order.

    Subclasses send with :meth:`_send` (or append to ``_parsers`` and ``pending`` themselves) and
    may override :meth:`_deliver` to turn a parsed reply into a result or an error.

    :param clock: runs request timeouts (default: the global reactor).
    :param timeout: default seconds before a request fails (None: never).
    """

    #: Names the store in log messages.
    store = "KT"

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
        self.usable = False

    @property
    def in_flight(self) -> int:
        """Replies still expected (including those of abandoned requests)."""
        return len(self._parsers)

    def connectionMade(self) -> None:
        set_no_delay(self.transport)
        self.pending.node = peer_name(self.transport)
        self.usable = True

    def connectionLost(self, reason: Failure = connectionDone) -> None:
        self.usable = False
        self._parsers.clear()
        self.pending.fail_all(ConnectionLostError(
            f"connection lost: {reason.getErrorMessage()}", node=self.pending.node))

    def _refuse(self, op: Optional[str]) -> Deferred[Any]:
        return fail(NotConnectedError("connection is closed", node=self.pending.node, op=op))

    def _send(self, data: bytes, parser: Any, op: str, timeout: Optional[float]) -> Deferred[Any]:
        """Write ``data``; the next unanswered reply is read by ``parser``."""
        if not self.usable or self.transport is None:
            return self._refuse(op)
        self._parsers.append(parser)
        self._write(data)
        # the slot is made after sending (its reply cannot be read before this returns), so a
        # sequential caller's request leaves a little sooner
        return self.pending.add(op, timeout)

    def _write(self, data: bytes) -> None:
        """Write ``data``; a request alone in flight is sent on the socket at once (a sequential
        caller saves a reactor iteration per request), pipelined ones are queued so the reactor
        sends them together."""
        if len(self._parsers) <= 1:
            write_now(self.transport, data)
        else:
            self.transport.write(data)  # type: ignore[union-attr]

    def dataReceived(self, data: bytes) -> None:
        parsers = self._parsers
        if len(parsers) == 1 and not self._buf:
            # a sequential caller's reply: parse the bytes as they arrived (parsers take bytes
            # or a memoryview)
            try:
                consumed = parsers[0].parse(data)
            except ProtocolError as e:
                self._protocol_error(e)
                return
            if consumed is None:
                self._buf += data  # the parser resumes from the same start with more bytes
                return
            self._deliver(parsers.popleft())
            if consumed == len(data):
                return
            data = data[consumed:]  # more than the one reply expected: the general path
        buf = self._buf
        if buf:
            buf += data
            source: Any = buf
        else:
            source = data  # the common case: parse straight from what arrived, no copy
        try:
            with memoryview(source) as view:
                off = self._parse_replies(view)
        except ProtocolError as e:
            self._protocol_error(e)
            return
        if source is buf:
            if off:
                del buf[:off]
        elif off < len(data):
            self._buf += data[off:]
        if self._buf and not self._parsers:
            self._protocol_error(ProtocolError(
                f"{len(self._buf)} unexpected bytes from the server", node=self.pending.node))

    def _parse_replies(self, view: memoryview) -> int:
        """Deliver every complete reply at the start of ``view``; returns the bytes consumed."""
        parsers = self._parsers
        size = len(view)
        off = 0
        while parsers and off < size:
            consumed = parsers[0].parse(view[off:] if off else view)
            if consumed is None:
                break
            off += consumed
            self._deliver(parsers.popleft())
        return off

    def _deliver(self, parser: Any) -> None:
        """Hand a complete reply to the oldest pending request."""
        self.pending.reply(parser.result)

    def _protocol_error(self, err: ProtocolError) -> None:
        _log.warn("{store} protocol error from {node}: {error}", store=self.store,
                  node=self.pending.node, error=err)
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


class FifoFactory(Factory):
    """Builds ``protocol_class(clock, timeout)`` connections."""

    protocol_class: Any = FifoProtocol

    def __init__(self, clock: Optional[IReactorTime] = None,
                 timeout: Optional[float] = None) -> None:
        self.clock = clock
        self.timeout = timeout

    def buildProtocol(self, addr: Any) -> Protocol:
        proto: Protocol = self.protocol_class(self.clock, self.timeout)
        proto.factory = self
        return proto
