"""The Tokyo Tyrant client connection: pipelined requests, replies matched in order.

Each request that expects a reply appends a :class:`~txkv.kyoto.tyrant.codec.ReplyParser` for
its command's reply shape and a slot in a :class:`~txkv.pending.FifoPendingRequests`.  A
cancelled or timed-out request keeps its slot: its reply is read and dropped, never handed to
the next request.  ``putnr`` expects no reply, takes no slot and fires once written.
"""

from __future__ import annotations

from collections import deque
from typing import Any, Deque, List, Optional, Sequence, Tuple

from twisted.internet.defer import Deferred, fail, succeed
from twisted.internet.interfaces import IReactorTime
from twisted.internet.protocol import Factory, Protocol, connectionDone
from twisted.logger import Logger
from twisted.python.failure import Failure

from txkv.errors import ConnectionLostError, NotConnectedError, ProtocolError
from txkv.kyoto.tyrant.codec import COMMAND_NAMES, NONE, REPLY_KIND, Reply, ReplyParser
from txkv.pending import FifoPendingRequests

__all__ = ["TokyoTyrantProtocol", "TokyoTyrantFactory"]

_log = Logger(namespace="txkv.kyoto.tyrant")


def _peer_name(transport: Any) -> Optional[str]:
    try:
        peer = transport.getPeer()
        return f"{peer.host}:{peer.port}"
    except Exception:
        return None


class TokyoTyrantProtocol(Protocol):
    """One connection to a Tokyo Tyrant server.

    :meth:`request` sends a frame built by :mod:`~txkv.kyoto.tyrant.codec` and fires with the
    :class:`~txkv.kyoto.tyrant.codec.Reply` (code and data); failures of the connection fire
    :class:`~txkv.errors.ConnectionLostError`, :class:`~txkv.errors.RequestTimeoutError` or
    :class:`~txkv.errors.ProtocolError`.  Server "failure" codes are *not* errors here: the
    client layer decides what a non-zero code means for each command.

    :param clock: runs request timeouts (default: the global reactor).
    :param timeout: default seconds before a request fails (None: never).
    """

    def __init__(self, clock: Optional[IReactorTime] = None,
                 timeout: Optional[float] = None) -> None:
        if clock is None:
            from twisted.internet import reactor as _reactor

            clock = _reactor
        assert clock is not None
        self.clock = clock
        self.pending = FifoPendingRequests(clock, timeout)
        self._parsers: Deque[ReplyParser] = deque()
        self._buf = bytearray()
        self.usable = False

    @property
    def in_flight(self) -> int:
        """Replies still expected (including those of abandoned requests)."""
        return len(self._parsers)

    def connectionMade(self) -> None:
        self.pending.node = _peer_name(self.transport)
        self.usable = True

    def connectionLost(self, reason: Failure = connectionDone) -> None:
        self.usable = False
        self._parsers.clear()
        self.pending.fail_all(ConnectionLostError(
            f"connection lost: {reason.getErrorMessage()}", node=self.pending.node))

    # -- requests ---------------------------------------------------------------------------

    def request(self, cmd: int, frame: bytes, timeout: Optional[float] = None
                ) -> Deferred[Reply]:
        """Send ``frame`` (a request for command ``cmd``); fire with its reply.

        For ``putnr`` (no reply) the Deferred fires with ``Reply(0, None)`` once written.
        """
        return self.pipeline([(cmd, frame)], timeout)[0]

    def pipeline(self, requests: Sequence[Tuple[int, bytes]], timeout: Optional[float] = None
                 ) -> List[Deferred[Reply]]:
        """Send several requests in one write; one Deferred per request, in order."""
        if not self.usable or self.transport is None:
            return [fail(NotConnectedError("connection is closed", node=self.pending.node,
                                           op=COMMAND_NAMES.get(cmd)))
                    for cmd, _frame in requests]
        results: List[Deferred[Reply]] = []
        for cmd, _frame in requests:
            kind = REPLY_KIND.get(cmd)
            if kind is None:
                raise ValueError(f"command 0x{cmd:02x} cannot be sent as a request")
            if kind == NONE:
                results.append(succeed(Reply(0, None)))
                continue
            results.append(self.pending.add(COMMAND_NAMES[cmd], timeout))
            self._parsers.append(ReplyParser(kind))
        self.transport.write(b"".join(frame for _cmd, frame in requests))
        return results

    # -- replies ----------------------------------------------------------------------------

    def dataReceived(self, data: bytes) -> None:
        buf = self._buf
        buf += data
        off = 0
        parsers = self._parsers
        try:
            with memoryview(buf) as view:
                while parsers and off < len(buf):
                    parser = parsers[0]
                    consumed = parser.parse(view[off:])
                    if consumed is None:
                        break
                    off += consumed
                    parsers.popleft()
                    self.pending.reply(parser.result)
        except ProtocolError as e:
            self._protocol_error(e)
            return
        if off:
            del buf[:off]
        if buf and not parsers:
            self._protocol_error(ProtocolError(
                f"{len(buf)} unexpected bytes from the server", node=self.pending.node))

    def _protocol_error(self, err: ProtocolError) -> None:
        _log.warn("Tokyo Tyrant protocol error from {node}: {error}", node=self.pending.node,
                  error=err)
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


class TokyoTyrantFactory(Factory):
    """Builds :class:`TokyoTyrantProtocol` with a clock and a default request timeout."""

    protocol = TokyoTyrantProtocol

    def __init__(self, clock: Optional[IReactorTime] = None,
                 timeout: Optional[float] = None) -> None:
        self.clock = clock
        self.timeout = timeout

    def buildProtocol(self, addr: Any) -> Protocol:
        proto = TokyoTyrantProtocol(self.clock, self.timeout)
        proto.factory = self
        return proto
