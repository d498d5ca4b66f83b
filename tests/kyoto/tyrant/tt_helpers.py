"""Shared helpers of the Tokyo Tyrant tests: txkv's TT server on a loopback port."""

from __future__ import annotations

from typing import Any, List, Optional

from twisted.internet import reactor
from twisted.internet.defer import Deferred, succeed
from twisted.internet.protocol import Protocol
from twisted.python.failure import Failure

from txkv.kyoto.tyrant.db import TTDatabase
from txkv.kyoto.tyrant.server import TTServerFactory, open_database

_CLOSED = Failure(ConnectionError("closed"))


class TrackingFactory(TTServerFactory):
    """A server factory that knows its live connections (to wait for them to close)."""

    def __init__(self, db: TTDatabase) -> None:
        super().__init__(db)
        self.live: List[Protocol] = []
        self._waiters: List[Deferred[None]] = []

    def buildProtocol(self, addr: Any) -> Protocol:
        proto = super().buildProtocol(addr)
        self.live.append(proto)
        lost = proto.connectionLost

        def forget(reason: Failure = _CLOSED) -> None:
            lost(reason)
            if proto in self.live:
                self.live.remove(proto)
            if not self.live:
                waiters, self._waiters = self._waiters, []
                for w in waiters:
                    w.callback(None)

        proto.connectionLost = forget  # type: ignore[method-assign]
        return proto

    def all_closed(self, abort: bool = False) -> Deferred[None]:
        if not self.live:
            return succeed(None)
        if abort:
            for proto in list(self.live):
                assert proto.transport is not None
                proto.transport.abortConnection()  # type: ignore[attr-defined]
        d: Deferred[None] = Deferred()
        self._waiters.append(d)
        return d


class LoopbackServer:
    """txkv's TT server listening on 127.0.0.1 (a free port) on the global reactor."""

    def __init__(self, kind: str = "hash", db: Optional[TTDatabase] = None) -> None:
        self.db = db if db is not None else open_database(kind=kind)
        self.factory = TrackingFactory(self.db)
        self.port: Any = reactor.listenTCP(0, self.factory,  # type: ignore[attr-defined]
                                           interface="127.0.0.1")
        self.port_number: int = self.port.getHost().port

    def stop(self) -> Deferred[None]:
        d = self.port.stopListening()
        return d.addCallback(lambda _: self.factory.all_closed(abort=True))
