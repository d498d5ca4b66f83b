"""The reactor floor: the fewest steps a Twisted client can take per request and reply.

:class:`FixedReplyClient` sends a prebuilt request straight on the socket and fires a bare
Deferred once the reply's known number of bytes has arrived: no encoding, no parsing, no pending
table, no timeouts.  Run next to a store client on the same server, it shows how much of a
sequential figure is the reactor's (an ``epoll`` turn and its dispatch per reply, and
``Deferred.callback``) and how much is the client's own work.
"""

from __future__ import annotations

from typing import Any, Optional

from twisted.internet.defer import Deferred
from twisted.internet.endpoints import TCP4ClientEndpoint, connectProtocol
from twisted.internet.protocol import Protocol

__all__ = ["FixedReplyClient", "connect_floor_client"]


class FixedReplyClient(Protocol):
    """One request at a time; each reply is ``reply_size`` bytes long."""

    def __init__(self) -> None:
        self._waiting: Optional[Deferred[bytes]] = None
        self._reply_size = 0
        self._received = b""

    def connectionMade(self) -> None:
        self.transport.setTcpNoDelay(True)  # type: ignore[union-attr]

    def request(self, frame: bytes, reply_size: int) -> Deferred[bytes]:
        if self._waiting is not None:
            raise RuntimeError("one request at a time")
        transport: Any = self.transport
        sent = transport.socket.send(frame)
        if sent < len(frame):
            transport.write(frame[sent:])
        self._reply_size = reply_size
        d: Deferred[bytes] = Deferred()
        self._waiting = d
        return d

    def dataReceived(self, data: bytes) -> None:
        if self._received:
            data = self._received + data
        if len(data) < self._reply_size:
            self._received = data
            return
        self._received = b""
        d, self._waiting = self._waiting, None
        if d is None or len(data) > self._reply_size:
            raise RuntimeError(f"unexpected reply bytes: {data[:40]!r}")
        d.callback(data)

    def close(self) -> None:
        if self.transport is not None:
            self.transport.loseConnection()


async def connect_floor_client(reactor: Any, port: int) -> FixedReplyClient:
    """A :class:`FixedReplyClient` connected to ``127.0.0.1:port``."""
    endpoint = TCP4ClientEndpoint(reactor, "127.0.0.1", port)
    client: FixedReplyClient = await connectProtocol(endpoint, FixedReplyClient())
    return client
