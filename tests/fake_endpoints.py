"""Endpoints whose connection attempts a test accepts or refuses by hand, on a ``Clock``.

Each accepted attempt gets a :class:`FakeTransport` (a ``StringTransport`` that delivers its
close to the protocol at once), so connection managers and reconnecting clients can be driven
step by step without sockets.
"""

from __future__ import annotations

from typing import Any, List, Optional

from twisted.internet.defer import Deferred
from twisted.internet.error import ConnectionDone, ConnectionLost, ConnectionRefusedError
from twisted.internet.interfaces import IStreamClientEndpoint
from twisted.internet.task import Clock
from twisted.internet.testing import StringTransport
from twisted.python.failure import Failure
from zope.interface import implementer

__all__ = ["FakeEndpoint", "FakeTransport", "PendingConnect"]


class FakeTransport(StringTransport):
    """A transport whose close is delivered to the protocol at once; writes after close fail."""

    def __init__(self, endpoint: FakeEndpoint, protocol: Any) -> None:
        super().__init__()
        self.endpoint = endpoint
        self.protocol = protocol
        self.closed = False

    def write(self, data: bytes) -> None:
        assert not self.closed and not self.disconnecting, "write on a closed connection"
        super().write(data)

    def _close(self, reason: Exception) -> None:
        if self.closed:
            return
        self.closed = True
        self.disconnecting = True
        self.endpoint.open.remove(self)
        self.protocol.connectionLost(Failure(reason))

    def loseConnection(self) -> None:
        self._close(ConnectionDone())

    def abortConnection(self) -> None:
        self.disconnected = True
        self._close(ConnectionLost("aborted"))

    def drop(self) -> None:
        """The peer went away."""
        self._close(ConnectionLost("peer died"))


class PendingConnect:
    """One ``connect()`` call; the test accepts or refuses it."""

    def __init__(self, endpoint: FakeEndpoint, factory: Any, at: float) -> None:
        self.endpoint = endpoint
        self.factory = factory
        self.at = at
        self.cancelled = False
        self.deferred: Deferred[Any] = Deferred(self._cancel)

    def _cancel(self, d: Deferred[Any]) -> None:
        self.cancelled = True

    def accept(self) -> FakeTransport:
        built = self.factory.buildProtocol(None)
        transport = FakeTransport(self.endpoint, built)
        self.endpoint.open.append(transport)
        built.makeConnection(transport)
        self.deferred.callback(built)
        return transport

    def refuse(self, error: Optional[Exception] = None) -> None:
        self.deferred.errback(error or ConnectionRefusedError(self.endpoint.name))


@implementer(IStreamClientEndpoint)
class FakeEndpoint:
    """An endpoint whose attempts wait for :meth:`accept_next` / :meth:`refuse_next`."""

    def __init__(self, name: str, clock: Clock, synchronous: bool = False) -> None:
        self.name = name
        self.clock = clock
        self.synchronous = synchronous
        self.attempts: List[PendingConnect] = []
        self.open: List[FakeTransport] = []

    def connect(self, protocolFactory: Any) -> Deferred[Any]:
        attempt = PendingConnect(self, protocolFactory, self.clock.seconds())
        self.attempts.append(attempt)
        if self.synchronous:
            attempt.accept()
        return attempt.deferred

    @property
    def pending(self) -> List[PendingConnect]:
        return [a for a in self.attempts if not a.deferred.called]

    def accept_next(self) -> FakeTransport:
        assert self.pending, f"no attempt pending on {self.name}"
        return self.pending[0].accept()

    def refuse_next(self, error: Optional[Exception] = None) -> None:
        assert self.pending, f"no attempt pending on {self.name}"
        self.pending[0].refuse(error)

    def accept_all(self) -> List[FakeTransport]:
        return [a.accept() for a in self.pending]

    def refuse_all(self) -> None:
        for attempt in self.pending:
            attempt.refuse()

    def drop_all(self) -> None:
        for transport in list(self.open):
            transport.drop()

    def __repr__(self) -> str:
        return f"<FakeEndpoint {self.name}>"
