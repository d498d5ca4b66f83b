"""Test support for the Ignite client: canned server frames on a StringTransport, and the
embedded server's nodes wired to clients in memory on a fake clock (no sockets)."""

from __future__ import annotations

import uuid
from typing import Any, Dict, List, Optional, Tuple

from twisted.internet.address import IPv4Address
from twisted.internet.defer import Deferred, fail, succeed
from twisted.internet.error import ConnectionDone, ConnectionRefusedError
from twisted.internet.interfaces import IStreamClientEndpoint
from twisted.internet.testing import MemoryReactorClock, StringTransport
from twisted.python.failure import Failure
from twisted.trial.unittest import SynchronousTestCase
from zope.interface import implementer

from txkv.ignite.codec import messages as m
from txkv.ignite.codec.frames import (
    FrameReader,
    decode_handshake_request,
    encode_error_response,
    encode_handshake_failure,
    encode_handshake_success,
)
from txkv.ignite.codec.ops import ProtocolContext, ProtocolVersion
from txkv.ignite.protocol import IgniteClientFactory, IgniteProtocol
from txkv.ignite.server.cluster import IgniteCluster, IgniteNode, ServerOptions
from txkv.storage import open_storage

NODE_A = uuid.UUID("a1b2c3d4-e5f6-0718-293a-4b5c6d7e8f90")


# -- canned frames on a StringTransport ---------------------------------------------------------


class WireServer:
    """Plays the server side of one client connection on a StringTransport."""

    def __init__(self, protocol: IgniteProtocol, transport: StringTransport) -> None:
        self.protocol = protocol
        self.transport = transport
        self.reader = FrameReader()
        self.proto: Optional[ProtocolContext] = None

    def take_payloads(self) -> List[bytes]:
        data = self.transport.value()
        self.transport.clear()
        return self.reader.feed(data)

    def take_handshake(self) -> Any:
        [payload] = self.take_payloads()
        return decode_handshake_request(payload)

    def accept(self, version: ProtocolVersion = (1, 7, 0), features: Any = (2, 11, 13),
               node_id: uuid.UUID = NODE_A) -> None:
        """Answer the pending handshake with success."""
        self.proto = ProtocolContext(version, frozenset(features))
        self.protocol.dataReceived(bytes(encode_handshake_success(
            version, features=features, node_id=node_id)))

    def refuse(self, server_version: ProtocolVersion, message: str, *,
               client_version: ProtocolVersion = (1, 7, 0), status: int = 1) -> None:
        self.protocol.dataReceived(bytes(encode_handshake_failure(
            server_version, message, client_version=client_version, status=status)))

    def requests(self) -> List[m.DecodedRequest]:
        assert self.proto is not None
        return [m.decode_request(p, self.proto) for p in self.take_payloads()]

    def reply(self, request: m.DecodedRequest, result: Any = None,
              topology: Optional[Tuple[int, int]] = None) -> None:
        assert self.proto is not None
        self.protocol.dataReceived(bytes(m.encode_response(
            request.request_id, request.op_code, result, self.proto, topology=topology)))

    def error(self, request: m.DecodedRequest, status: int, message: str) -> None:
        assert self.proto is not None
        self.protocol.dataReceived(bytes(encode_error_response(
            request.request_id, status, message, status_flags=self.proto.status_flags)))


def wire_protocol(clock: Any, **factory_options: Any
                  ) -> Tuple[IgniteProtocol, WireServer, IgniteClientFactory]:
    """A connected (not yet handshaken) protocol on a StringTransport."""
    factory = IgniteClientFactory(clock=clock, **factory_options)
    protocol = factory.buildProtocol(None)
    transport = StringTransport(peerAddress=IPv4Address("TCP", "10.0.0.1", 10800))
    protocol.makeConnection(transport)
    return protocol, WireServer(protocol, transport), factory


def ready_protocol(clock: Any, version: ProtocolVersion = (1, 7, 0), features: Any = (2, 13),
                   **factory_options: Any) -> Tuple[IgniteProtocol, WireServer]:
    """A protocol that finished its handshake (no HEARTBEAT unless asked)."""
    protocol, server, _ = wire_protocol(clock, **factory_options)
    done = protocol.handshake()
    server.take_handshake()
    server.accept(version, features)
    assert done.called
    return protocol, server


# -- the embedded server, in memory on a fake clock ---------------------------------------------


class LoopTransport:
    """One direction-pair end of an in-memory connection; bytes are delivered on the clock
    (``callLater(0)``), so tests drive everything with ``clock.advance``."""

    disconnecting = False

    def __init__(self, clock: MemoryReactorClock, host: IPv4Address,
                 peer: IPv4Address) -> None:
        self.clock = clock
        self.host = host
        self.peer_address = peer
        self.protocol: Any = None
        self.other: Optional[LoopTransport] = None
        self.closed = False

    def write(self, data: bytes) -> None:
        if self.closed or self.other is None:
            return
        other = self.other
        self.clock.callLater(0, other._deliver, bytes(data))

    def writeSequence(self, chunks: List[bytes]) -> None:
        self.write(b"".join(chunks))

    def _deliver(self, data: bytes) -> None:
        if not self.closed:
            self.protocol.dataReceived(data)

    def loseConnection(self) -> None:
        self._close(ConnectionDone("closed"))

    def abortConnection(self) -> None:
        self._close(ConnectionDone("aborted"))

    def _close(self, reason: Exception) -> None:
        if self.closed:
            return
        self.disconnecting = True
        for end in (self, self.other):
            if end is not None and not end.closed:
                end.closed = True
                self.clock.callLater(0, end.protocol.connectionLost, Failure(reason))

    def getPeer(self) -> IPv4Address:
        return self.peer_address

    def getHost(self) -> IPv4Address:
        return self.host

    def setTcpNoDelay(self, enabled: bool) -> None:
        pass

    def setTcpKeepAlive(self, enabled: bool) -> None:
        pass

    # producer/consumer interface (unused)
    def registerProducer(self, producer: Any, streaming: bool) -> None:
        pass

    def unregisterProducer(self) -> None:
        pass


@implementer(IStreamClientEndpoint)
class MemoryNodeEndpoint:
    """Connects to one embedded node in memory; ``down=True`` refuses connections."""

    def __init__(self, harness: MemoryCluster, node: IgniteNode, port: int) -> None:
        self.harness = harness
        self.node = node
        self.port = port
        self.down = False
        self.transports: List[LoopTransport] = []

    def connect(self, factory: Any) -> Deferred[Any]:
        if self.down:
            return fail(ConnectionRefusedError(f"node on port {self.port} is down"))
        clock = self.harness.clock
        client_addr = IPv4Address("TCP", "127.0.0.1", 40000 + len(self.transports))
        server_addr = IPv4Address("TCP", "127.0.0.1", self.port)
        client = factory.buildProtocol(server_addr)
        server = self.node.factory.buildProtocol(client_addr)
        client_end = LoopTransport(clock, client_addr, server_addr)
        server_end = LoopTransport(clock, server_addr, client_addr)
        client_end.protocol, server_end.protocol = client, server
        client_end.other, server_end.other = server_end, client_end
        self.transports.append(client_end)
        server.makeConnection(server_end)
        client.makeConnection(client_end)
        return succeed(client)

    def kill(self) -> None:
        """Refuse new connections and drop the open ones."""
        self.down = True
        for transport in self.transports:
            transport.abortConnection()
        self.transports = []

    def revive(self) -> None:
        self.down = False


class MemoryCluster:
    """An embedded Ignite cluster whose nodes are reached through in-memory endpoints."""

    def __init__(self, nodes: int = 1, **options: Any) -> None:
        self.clock = MemoryReactorClock()
        self.cluster = IgniteCluster(ServerOptions(**options), reactor=self.clock,
                                     storage=open_storage(None, clock=self.clock.seconds))
        self.endpoints: List[MemoryNodeEndpoint] = []
        for index in range(nodes):
            node = self.cluster.add_node()
            self.endpoints.append(MemoryNodeEndpoint(self, node, 10800 + index))

    @property
    def nodes(self) -> List[Tuple[str, MemoryNodeEndpoint]]:
        """``(name, endpoint)`` node specs for ``Client.connect``."""
        return [(f"node{i}", ep) for i, ep in enumerate(self.endpoints)]

    def settle(self, rounds: int = 200) -> None:
        """Run everything due now (deliveries, callbacks) until quiet."""
        for _ in range(rounds):
            now = self.clock.seconds()
            if not any(call.getTime() <= now for call in self.clock.getDelayedCalls()):
                return
            self.clock.advance(0)

    def run(self, d: Deferred[Any], seconds: float = 0.0, step: float = 0.05) -> Any:
        """Drive the clock until ``d`` fires (at most ``seconds`` of fake time); its result."""
        self.settle()
        elapsed = 0.0
        while not d.called and elapsed < seconds:
            self.clock.advance(step)
            elapsed += step
            self.settle()
        assert d.called, "the Deferred did not fire"
        box: List[Any] = []
        d.addBoth(box.append)
        result = box[0]
        if isinstance(result, Failure):
            result.raiseException()
        return result

    def stats(self) -> Dict[str, Any]:
        return {str(ep.node.node_id): ep.node.stats.ops for ep in self.endpoints}


class MemoryClientCase(SynchronousTestCase):
    """A client connected to an in-memory embedded cluster on a fake clock."""

    nodes = 1
    server_options: Dict[str, Any] = {}
    client_options: Dict[str, Any] = {}

    def setUp(self) -> None:
        from txkv.ignite.client import Client

        self.harness = MemoryCluster(self.nodes, **self.server_options)
        options = dict(self.client_options)
        options.setdefault("timeout", 5.0)
        self.client = Client(reactor=self.harness.clock, **options)
        self.wait(self.client.connect(self.harness.nodes))
        self.addCleanup(self._close)

    def _close(self) -> None:
        self.wait(self.client.close(), seconds=20)

    def wait(self, d: Any, seconds: float = 10.0) -> Any:
        return self.harness.run(d, seconds)

    def coro(self, coroutine: Any, seconds: float = 10.0) -> Any:
        """Run ``async def`` code (Deferred.fromCoroutine) to completion on the fake clock."""
        return self.wait(Deferred.fromCoroutine(coroutine), seconds)
