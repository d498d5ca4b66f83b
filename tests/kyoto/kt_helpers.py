"""Shared helpers of the Kyoto Tycoon tests: a txkv KT server on a loopback port that records
what every connection sent it."""

from __future__ import annotations

from typing import Any, List, Optional, Sequence

from twisted.internet import reactor
from twisted.internet.defer import Deferred, maybeDeferred, succeed
from twisted.internet.protocol import Protocol

from txkv.kyoto.kt_server import KTServerFactory, build_state


class RecordingFactory(KTServerFactory):
    """A server factory that keeps the bytes each connection received (``streams``)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.streams: List[bytearray] = []
        self.live: List[Any] = []
        self._gone: List[Deferred[None]] = []

    def buildProtocol(self, addr: Any) -> Protocol:
        proto = super().buildProtocol(addr)
        stream = bytearray()
        self.streams.append(stream)
        original = proto.dataReceived

        def recording(data: bytes) -> None:
            stream.extend(data)
            original(data)

        proto.dataReceived = recording  # type: ignore[method-assign]
        lost = proto.connectionLost
        self.live.append(proto)

        def forget(reason: Any = None) -> None:
            if proto in self.live:
                self.live.remove(proto)
            lost(reason) if reason is not None else lost()
            waiters, self._gone = self._gone, []
            for w in waiters:
                w.callback(None)

        proto.connectionLost = forget  # type: ignore[method-assign]
        return proto

    def all_closed(self) -> Deferred[None]:
        """Drop every open server-side connection; fires when they are all gone."""
        if not self.live:
            return succeed(None)
        for proto in list(self.live):
            proto.transport.abortConnection()
        d: Deferred[None] = Deferred()
        self._gone.append(d)
        return d.addCallback(lambda _: self.all_closed())

    def binary_bytes(self) -> bytes:
        """Everything received on connections whose first byte was a binary magic."""
        return b"".join(bytes(s) for s in self.streams if s and s[0] >= 0x80)

    def clear_streams(self) -> None:
        for s in self.streams:
            s.clear()


class LoopbackServer:
    """A txkv KT server listening on 127.0.0.1 on a free port, on the real reactor."""

    def __init__(self, databases: Sequence[str] = ("*", "%"), script: Optional[str] = None,
                 ulog: bool = False) -> None:
        self.state = build_state(databases, clock=reactor, script=script, ulog=ulog)
        self.factory = RecordingFactory(self.state, heartbeat=0.2)
        self.port = reactor.listenTCP(0, self.factory, interface="127.0.0.1")  # type: ignore[attr-defined]
        self.port_number: int = self.port.getHost().port

    def stop(self) -> Deferred[Any]:
        self.state.conditions.cancel_all()
        d = self.port.stopListening()

        def close(_: object) -> Deferred[None]:
            return self.factory.all_closed()

        def release(_: object) -> None:
            self.state.storage.close()  # type: ignore[attr-defined]

        return maybeDeferred(lambda: d).addCallback(close).addCallback(release)
