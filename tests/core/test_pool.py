"""Tests for txkv.pool: the per-connection plumbing under the connection manager.

Covers what the manager tests do not: the protocol proxy (interfaces, data path), the factory
wrapper, odd endpoints (raising, refusing to build a protocol), node statistics, and TLS over a
real loopback socket (handshake notifications must reach the protocol through the proxy).
"""

from __future__ import annotations

from typing import Any, List, Optional

from twisted.internet import reactor
from twisted.internet.defer import Deferred, fail
from twisted.internet.error import ConnectionDone
from twisted.internet.interfaces import (
    IHalfCloseableProtocol,
    IHandshakeListener,
    IStreamClientEndpoint,
)
from twisted.internet.protocol import Factory, Protocol
from twisted.internet.task import Clock
from twisted.internet.testing import StringTransport
from twisted.python.failure import Failure
from twisted.trial.unittest import SynchronousTestCase, TestCase
from zope.interface import implementer

from tests.certs import generate_certificates
from txkv.connection import ConnectionManager
from txkv.errors import ConnectionLostError, ReconnectError
from txkv.pool import _Attempt, _ConnectionFactory, _LifecycleProtocol
from txkv.tls import client_tls, server_tls


@implementer(IHalfCloseableProtocol)
class HalfCloser(Protocol):
    def __init__(self) -> None:
        self.events: List[str] = []

    def dataReceived(self, data: bytes) -> None:
        self.events.append(f"data {data!r}")

    def readConnectionLost(self) -> None:
        self.events.append("read lost")

    def writeConnectionLost(self) -> None:
        self.events.append("write lost")

    def connectionLost(self, reason: Failure = ConnectionDone) -> None:  # type: ignore[assignment]
        self.events.append("lost")


class RecordingAttempt:
    """Stands in for an attempt: records the order of the loss notifications."""

    def __init__(self, protocol: HalfCloser) -> None:
        self.protocol = protocol

    def before_protocol_lost(self, reason: Failure) -> None:
        self.protocol.events.append("before")

    def after_protocol_lost(self, reason: Failure) -> None:
        self.protocol.events.append("after")


class LifecycleProtocolTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.protocol = HalfCloser()
        attempt: Any = RecordingAttempt(self.protocol)
        self.proxy = _LifecycleProtocol(self.protocol, attempt)

    def test_data_goes_straight_to_the_protocol(self) -> None:
        self.assertEqual(self.proxy.dataReceived, self.protocol.dataReceived)
        transport = StringTransport()
        self.proxy.makeConnection(transport)
        self.assertIs(self.protocol.transport, transport)
        self.assertIs(self.proxy.transport, transport)
        self.proxy.dataReceived(b"x")
        self.assertEqual(self.protocol.events, ["data b'x'"])

    def test_forwards_provided_interfaces(self) -> None:
        self.assertTrue(IHalfCloseableProtocol.providedBy(self.proxy))
        self.assertFalse(IHandshakeListener.providedBy(self.proxy))
        self.proxy.readConnectionLost()
        self.proxy.writeConnectionLost()
        self.assertEqual(self.protocol.events, ["read lost", "write lost"])

    def test_loss_is_reported_around_the_protocols_own(self) -> None:
        self.proxy.connectionLost(Failure(ConnectionDone()))
        self.assertEqual(self.protocol.events, ["before", "lost", "after"])

    def test_missing_attribute(self) -> None:
        self.assertRaises(AttributeError, getattr, self.proxy, "no_such_thing")


class CountingFactory(Factory):
    protocol = Protocol

    def __init__(self) -> None:
        self.starts = 0
        self.stops = 0
        self.flavour = "vanilla"

    def doStart(self) -> None:
        self.starts += 1

    def doStop(self) -> None:
        self.stops += 1


class ConnectionFactoryTests(SynchronousTestCase):
    def test_forwards_lifecycle_and_attributes(self) -> None:
        inner = CountingFactory()
        attempt: Any = type("A", (), {"protocol": None, "proxy": None})()
        wrapper = _ConnectionFactory(inner, attempt)
        wrapper.doStart()
        wrapper.doStop()
        self.assertEqual((inner.starts, inner.stops), (1, 1))
        self.assertEqual(wrapper.flavour, "vanilla")
        built = wrapper.buildProtocol(None)  # type: ignore[arg-type]
        self.assertIsInstance(built, _LifecycleProtocol)
        self.assertIsInstance(attempt.protocol, Protocol)


@implementer(IStreamClientEndpoint)
class RaisingEndpoint:
    def __init__(self) -> None:
        self.calls = 0

    def connect(self, protocolFactory: Any) -> Deferred[Any]:
        self.calls += 1
        raise OSError("no route")


@implementer(IStreamClientEndpoint)
class BuildingEndpoint:
    """Connects at once, like an in-memory endpoint; returns what the factory built."""

    def connect(self, protocolFactory: Any) -> Deferred[Any]:
        built = protocolFactory.buildProtocol(None)
        if built is None:
            return fail(ConnectionLostError("factory refused"))
        built.makeConnection(StringTransport())
        d: Deferred[Any] = Deferred()
        d.callback(built)
        return d


class LossyTransport(StringTransport):
    protocol: Any = None

    def loseConnection(self) -> None:
        if not self.disconnecting:
            self.disconnecting = True
            self.protocol.connectionLost(Failure(ConnectionDone()))

    def abortConnection(self) -> None:
        self.loseConnection()


@implementer(IStreamClientEndpoint)
class DroppingEndpoint:
    """Connects and loses the connection again, all inside connect()."""

    def __init__(self) -> None:
        self.calls = 0

    def connect(self, protocolFactory: Any) -> Deferred[Any]:
        self.calls += 1
        built = protocolFactory.buildProtocol(None)
        transport = LossyTransport()
        transport.protocol = built
        built.makeConnection(transport)
        d: Deferred[Any] = Deferred()
        d.callback(built)
        transport.loseConnection()
        return d


class NoProtocolFactory(Factory):
    def buildProtocol(self, addr: Any) -> Optional[Protocol]:
        return None


class OddEndpointTests(SynchronousTestCase):
    def test_endpoint_raising_in_connect_is_a_failed_attempt(self) -> None:
        clock = Clock()
        endpoint = RaisingEndpoint()
        manager = ConnectionManager([("r", endpoint)], Factory.forProtocol(Protocol),
                                    reactor=clock, retry_policy=lambda n: 1.0)
        d = manager.whenConnected(failAfterFailures=2)
        manager.startService()
        clock.advance(0)
        self.assertEqual(manager.node("r").failures, 1)
        self.assertIsInstance(manager.node("r").last_error, OSError)
        clock.advance(1)
        clock.advance(0)
        self.assertEqual(endpoint.calls, 2)
        errors: List[Failure] = []
        d.addErrback(errors.append)
        self.assertEqual(errors[0].type, ReconnectError)
        manager.stopService()
        self.assertEqual(clock.getDelayedCalls(), [])

    def test_connection_dropped_inside_connect(self) -> None:
        clock = Clock()
        endpoint = DroppingEndpoint()
        manager = ConnectionManager([("d", endpoint)], Factory.forProtocol(Protocol),
                                    reactor=clock, retry_policy=lambda n: 1.0)
        outcome: List[Any] = []
        d = manager.whenConnected(failAfterFailures=1)
        def stop_on_failure(failure: Failure) -> Deferred[None]:
            outcome.append(failure.type)
            return manager.stopService()

        d.addErrback(stop_on_failure)
        manager.startService()
        clock.advance(0)
        self.assertEqual(outcome, [ReconnectError])
        self.assertIsInstance(manager.node("d").last_error, ConnectionLostError)
        self.assertEqual(manager.nodes[0].state, "stopped")
        self.assertEqual(clock.getDelayedCalls(), [])
        self.assertEqual(endpoint.calls, 1)

    def test_factory_refusing_to_build(self) -> None:
        clock = Clock()
        manager = ConnectionManager([("n", BuildingEndpoint())], NoProtocolFactory(),
                                    reactor=clock, retry_policy=lambda n: 1.0)
        manager.startService()
        clock.advance(0)
        self.assertEqual(manager.node("n").state, "down")
        manager.stopService()

    def test_in_memory_endpoint_connects_on_next_tick(self) -> None:
        clock = Clock()
        manager = ConnectionManager([("n", BuildingEndpoint())], Factory.forProtocol(Protocol),
                                    reactor=clock, pool_size=2)
        manager.startService()
        self.assertEqual(manager.node("n").state, "connecting")
        clock.advance(0)
        node = manager.node("n")
        self.assertEqual(node.state, "up")
        self.assertEqual(len(node.connected_protocols()), 2)
        self.assertTrue(all(isinstance(p, Protocol) and not isinstance(p, _LifecycleProtocol)
                            for p in node.connected_protocols()))
        stats = node.stats()
        self.assertEqual(
            {k: stats[k] for k in ("state", "pool_size", "connected", "attempts", "failures")},
            {"state": "up", "pool_size": 2, "connected": 2, "attempts": 2, "failures": 0})
        self.assertIsNone(stats["last_error"])
        manager.stopService()
        self.assertEqual(node.state, "stopped")


class AttemptStageTests(SynchronousTestCase):
    def test_prepare_outside_preparing_stage_fails(self) -> None:
        clock = Clock()
        manager = ConnectionManager([("n", BuildingEndpoint())], Factory.forProtocol(Protocol),
                                    reactor=clock)
        slot: Any = manager.node("n")._slots[0]
        attempt = _Attempt(slot, Factory.forProtocol(Protocol))
        failures: List[Failure] = []
        attempt.prepare().addErrback(failures.append)
        self.assertEqual(failures[0].type, ConnectionLostError)


# -- TLS over a real loopback socket ------------------------------------------------------------


class Echo(Protocol):
    def dataReceived(self, data: bytes) -> None:
        self.transport.write(data)  # type: ignore[union-attr]


@implementer(IHandshakeListener)
class TLSEchoClient(Protocol):
    def __init__(self) -> None:
        self.handshakes = 0
        self.reply: Optional[Deferred[bytes]] = None

    def handshakeCompleted(self) -> None:
        self.handshakes += 1

    def ask(self, data: bytes) -> Deferred[bytes]:
        self.reply = Deferred()
        self.transport.write(data)  # type: ignore[union-attr]
        return self.reply

    def dataReceived(self, data: bytes) -> None:
        if self.reply is not None:
            reply, self.reply = self.reply, None
            reply.callback(data)


class TLSLoopbackTests(TestCase):
    timeout = 20

    def setUp(self) -> None:
        self.certs = generate_certificates(self.mktemp())

    def test_tls_node_handshake_reaches_protocol(self) -> Deferred[None]:
        port: Any = reactor.listenSSL(  # type: ignore[attr-defined]
            0, Factory.forProtocol(Echo),
            server_tls(self.certs.server.cert, self.certs.server.key), interface="127.0.0.1")
        self.addCleanup(port.stopListening)
        asked: List[str] = []

        def tls_for(host: str) -> Any:
            asked.append(host)
            return client_tls("localhost", ca_file=self.certs.ca.cert)

        manager = ConnectionManager(f"127.0.0.1:{port.getHost().port}",
                                    Factory.forProtocol(TLSEchoClient), reactor=reactor,
                                    tls=tls_for,
                                    prepare_connection=lambda p: p.ask(b"hi"))

        async def scenario() -> None:
            manager.startService()
            try:
                protocol = await manager.whenConnected(failAfterFailures=1)
                self.assertEqual(await protocol.ask(b"secret"), b"secret")
                self.assertEqual(protocol.handshakes, 1)
                self.assertEqual(asked, ["127.0.0.1"])
            finally:
                await manager.stopService()

        return Deferred.fromCoroutine(scenario())

    def test_tls_verification_failure_is_reported(self) -> Deferred[None]:
        port: Any = reactor.listenSSL(  # type: ignore[attr-defined]
            0, Factory.forProtocol(Echo),
            server_tls(self.certs.server.cert, self.certs.server.key), interface="127.0.0.1")
        self.addCleanup(port.stopListening)
        manager = ConnectionManager(
            f"127.0.0.1:{port.getHost().port}", Factory.forProtocol(TLSEchoClient),
            reactor=reactor,
            tls=client_tls("localhost", ca_file=self.certs.other_ca.cert),
            prepare_connection=lambda p: p.ask(b"hi"))

        async def scenario() -> None:
            manager.startService()
            try:
                with self.assertRaises(ReconnectError) as caught:
                    await manager.whenConnected(failAfterFailures=1)
                error = caught.exception.errors[manager.nodes[0].address]
                self.assertIsInstance(error, ConnectionLostError)
                self.assertIn("certificate verify failed", str(error))
            finally:
                await manager.stopService()

        return Deferred.fromCoroutine(scenario())
