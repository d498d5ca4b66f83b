"""Tests for txkv.testing: in-memory connections, loopback listeners, free ports, named servers."""

from __future__ import annotations

import socket
from typing import Any, List, Tuple

from twisted.internet import reactor
from twisted.internet.address import IPv4Address
from twisted.internet.defer import Deferred, inlineCallbacks, succeed
from twisted.internet.endpoints import TCP4ClientEndpoint, clientFromString
from twisted.internet.error import CannotListenError, ConnectionDone, ConnectionRefusedError
from twisted.internet.interfaces import IHalfCloseableProtocol, IHandshakeListener
from twisted.internet.protocol import Factory, Protocol
from twisted.internet.task import Clock
from twisted.python.failure import Failure
from twisted.trial.unittest import SynchronousTestCase, TestCase
from zope.interface import implementer

from tests.certs import generate_certificates
from txkv.errors import ParameterError
from txkv.testing import (
    ListeningServer,
    connect_in_memory,
    free_port,
    listen_tcp,
    register_test_server,
    registered_test_servers,
    start_server,
    unregister_test_server,
)
from txkv.tls import client_tls, server_tls, wrap_endpoint

TIMEOUT = 10.0


class Echo(Protocol):
    """Echoes, optionally after a greeting; records the address it was built for."""

    def connectionMade(self) -> None:
        greeting = getattr(self.factory, "greeting", b"")
        if greeting:
            self.transport.write(greeting)  # type: ignore[union-attr]

    def dataReceived(self, data: bytes) -> None:
        self.transport.write(data)  # type: ignore[union-attr]


class EchoFactory(Factory):
    protocol = Echo

    def __init__(self, greeting: bytes = b"") -> None:
        self.greeting = greeting
        self.addresses: List[Any] = []
        self.started = self.stopped = 0

    def buildProtocol(self, addr: Any) -> Any:
        self.addresses.append(addr)
        return super().buildProtocol(addr)

    def startFactory(self) -> None:
        self.started += 1

    def stopFactory(self) -> None:
        self.stopped += 1


def make_echo_factory(greeting: bytes = b"") -> EchoFactory:
    """A ``make_factory`` for the registry tests (also loaded by its dotted name)."""
    return EchoFactory(greeting)


class Collector(Protocol):
    """Sends ``payload`` on connect.  Once ``expect`` bytes are in, ``got`` fires and (with
    ``close``) the connection is closed; ``done`` fires with (bytes received, close reason)."""

    def __init__(self, payload: bytes = b"", expect: int = 0, close: bool = True) -> None:
        self.payload = payload
        self.expect = expect
        self.close = close
        self.received = b""
        self.got: Deferred[None] = Deferred()
        self.done: Deferred[Tuple[bytes, Failure]] = Deferred()

    def connectionMade(self) -> None:
        if self.payload:
            self.transport.write(self.payload)  # type: ignore[union-attr]

    def dataReceived(self, data: bytes) -> None:
        self.received += data
        if self.expect and len(self.received) >= self.expect and not self.got.called:
            self.got.callback(None)
            if self.close:
                self.transport.loseConnection()  # type: ignore[union-attr]

    def connectionLost(self, reason: Failure = ConnectionDone) -> None:  # type: ignore[assignment]
        self.done.callback((self.received, reason))


# -- connect_in_memory ---------------------------------------------------------------------------


class ConnectInMemoryTests(SynchronousTestCase):
    def test_echo_round_trip(self) -> None:
        server_factory = EchoFactory(greeting=b"hello ")
        collector = Collector(b"ping")
        client, server, pump = connect_in_memory(
            server_factory, Factory.forProtocol(lambda: collector)
        )
        self.assertIs(client, collector)
        self.assertIsInstance(server, Echo)
        self.assertEqual(client.received, b"hello ping")  # greet=True flushed once
        client.transport.write(b" more")
        self.assertEqual(client.received, b"hello ping")  # nothing moves without a flush
        self.assertTrue(pump.flush())
        self.assertEqual(client.received, b"hello ping more")
        self.assertFalse(pump.flush())  # nothing left to move

    def test_addresses(self) -> None:
        server_address = IPv4Address("TCP", "10.0.0.1", 10800)
        client_address = IPv4Address("TCP", "10.0.0.2", 40000)
        client_factory = EchoFactory()
        server_factory = EchoFactory()
        client, server, _ = connect_in_memory(
            server_factory, client_factory,
            server_address=server_address, client_address=client_address,
        )
        self.assertEqual(server_factory.addresses, [client_address])
        self.assertEqual(client_factory.addresses, [server_address])
        self.assertEqual(server.transport.getPeer(), client_address)
        self.assertEqual(server.transport.getHost(), server_address)
        self.assertEqual(client.transport.getPeer(), server_address)

    def test_without_greeting_nothing_moves_until_flush(self) -> None:
        client, _, pump = connect_in_memory(
            EchoFactory(greeting=b"hi"), Factory.forProtocol(Collector), greet=False
        )
        self.assertEqual(client.received, b"")
        pump.flush()
        self.assertEqual(client.received, b"hi")

    def test_clock_drives_delayed_replies(self) -> None:
        clock = Clock()

        class Delayed(Protocol):
            def dataReceived(self, data: bytes) -> None:
                clock.callLater(5, self.transport.write, data.upper())  # type: ignore[union-attr]

        client, _, pump = connect_in_memory(
            Factory.forProtocol(Delayed), Factory.forProtocol(lambda: Collector(b"ping")),
            clock=clock,
        )
        self.assertIs(pump.clock, clock)
        self.assertEqual(client.received, b"")
        clock.advance(5)
        pump.flush()
        self.assertEqual(client.received, b"PING")

    def test_disconnect_is_delivered(self) -> None:
        client, server, pump = connect_in_memory(EchoFactory(), Factory.forProtocol(Collector))
        lost: List[Failure] = []
        client.done.addCallback(lambda outcome: lost.append(outcome[1]))
        server.transport.loseConnection()
        self.assertEqual(lost, [])
        pump.flush()
        self.assertEqual(len(lost), 1)
        self.assertTrue(lost[0].check(ConnectionDone))

    def test_refused_connection(self) -> None:
        class Refusing(Factory):
            def buildProtocol(self, addr: Any) -> None:
                return None

        self.assertRaises(ParameterError, connect_in_memory, Refusing(), EchoFactory())
        self.assertRaises(ParameterError, connect_in_memory, EchoFactory(), Refusing())


# -- listen_tcp ----------------------------------------------------------------------------------


def connect_collector(
    endpoint: Any, payload: bytes, expect: int, close: bool = True
) -> Deferred[Collector]:
    collector = Collector(payload, expect, close)
    d = endpoint.connect(Factory.forProtocol(lambda: collector))
    return d.addTimeout(TIMEOUT, reactor)


class ListenTCPTests(TestCase):
    @inlineCallbacks
    def listen(self, factory: Any, **kw: Any) -> Any:
        server: ListeningServer = yield listen_tcp(factory, **kw)
        self.addCleanup(server.stop)
        return server

    def endpoint(self, server: ListeningServer) -> TCP4ClientEndpoint:
        return TCP4ClientEndpoint(reactor, "127.0.0.1", server.port, timeout=TIMEOUT)

    @inlineCallbacks
    def test_round_trip_and_address(self) -> Any:
        factory = EchoFactory()
        server = yield self.listen(factory)
        self.assertIsInstance(server.port, int)
        self.assertGreater(server.port, 0)
        self.assertEqual(server.host, "127.0.0.1")
        self.assertEqual(server.address, f"127.0.0.1:{server.port}")
        self.assertIs(server.factory, factory)
        self.assertEqual(factory.started, 1)
        collector = yield connect_collector(self.endpoint(server), b"ping", 4)
        received, reason = yield collector.done
        self.assertEqual(received, b"ping")
        self.assertTrue(reason.check(ConnectionDone))

    @inlineCallbacks
    def test_endpoint_string(self) -> Any:
        server = yield self.listen(EchoFactory())
        self.assertEqual(server.endpoint_string, f"tcp:host=127.0.0.1:port={server.port}")
        endpoint = clientFromString(reactor, server.endpoint_string)
        collector = yield connect_collector(endpoint, b"abc", 3)
        received, _ = yield collector.done
        self.assertEqual(received, b"abc")

    @inlineCallbacks
    def test_stop_closes_live_connections(self) -> Any:
        factory = EchoFactory()
        server = yield listen_tcp(factory)
        first = yield connect_collector(self.endpoint(server), b"1", 1, close=False)
        second = yield connect_collector(self.endpoint(server), b"22", 2, close=False)
        # once both echoes are back, both connections are accepted and live
        yield first.got.addTimeout(TIMEOUT, reactor)
        yield second.got.addTimeout(TIMEOUT, reactor)
        self.assertEqual(len(server.connections), 2)
        self.assertTrue(all(isinstance(p, Echo) for p in server.connections))

        yield server.stop()
        self.assertEqual(server.connections, [])
        self.assertEqual(factory.stopped, 1)
        for collector in (first, second):
            _, reason = yield collector.done  # the client side saw the close
            self.assertIsInstance(reason, Failure)
        self.assertIsNone((yield server.stop()))  # idempotent
        yield self.assertFailure(
            connect_collector(self.endpoint(server), b"", 0), ConnectionRefusedError
        )

    @inlineCallbacks
    def test_close_connections_keeps_listening(self) -> Any:
        server = yield self.listen(EchoFactory(greeting=b"!"))
        collector = yield connect_collector(self.endpoint(server), b"", 1, close=False)
        yield collector.got.addTimeout(TIMEOUT, reactor)
        self.assertEqual(len(server.connections), 1)
        yield server.close_connections()
        yield collector.done
        self.assertEqual(server.connections, [])
        again = yield connect_collector(self.endpoint(server), b"x", 2)
        received, _ = yield again.done
        self.assertEqual(received, b"!x")

    @inlineCallbacks
    def test_stop_without_connections(self) -> Any:
        factory = EchoFactory()
        server = yield listen_tcp(factory)
        yield server.stop()
        self.assertEqual(factory.stopped, 1)

    def test_cannot_listen(self) -> Any:
        return self.assertFailure(listen_tcp(EchoFactory(), interface="256.1.1.1"),
                                  CannotListenError)

    @inlineCallbacks
    def test_half_close_is_forwarded(self) -> Any:
        @implementer(IHalfCloseableProtocol)
        class Counter(Protocol):
            def connectionMade(self) -> None:
                self.count = 0

            def dataReceived(self, data: bytes) -> None:
                self.count += len(data)

            def readConnectionLost(self) -> None:
                self.transport.write(b"%d" % self.count)  # type: ignore[union-attr]
                self.transport.loseConnection()  # type: ignore[union-attr]

            def writeConnectionLost(self) -> None:
                pass

        server = yield self.listen(Factory.forProtocol(Counter))
        collector = yield connect_collector(self.endpoint(server), b"12345", 0)
        collector.transport.loseWriteConnection()
        received, _ = yield collector.done
        self.assertEqual(received, b"5")

    @inlineCallbacks
    def test_tls_listener_forwards_handshake(self) -> Any:
        certs = generate_certificates(self.mktemp())
        handshakes: List[bool] = []

        @implementer(IHandshakeListener)
        class Listener(Echo):
            def handshakeCompleted(self) -> None:
                handshakes.append(True)

        server = yield self.listen(Factory.forProtocol(Listener),
                                   tls=server_tls(certs.server.combined))
        self.assertTrue(server.tls)
        endpoint = wrap_endpoint(self.endpoint(server),
                                 client_tls("localhost", ca_file=certs.ca.cert))
        collector = yield connect_collector(endpoint, b"secret", 6)
        received, _ = yield collector.done
        self.assertEqual(received, b"secret")
        self.assertEqual(handshakes, [True])


# -- free_port -----------------------------------------------------------------------------------


class FreePortTests(SynchronousTestCase):
    def test_port_can_be_bound(self) -> None:
        port = free_port()
        self.assertIsInstance(port, int)
        self.assertTrue(0 < port < 65536)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind(("127.0.0.1", port))
            self.assertEqual(s.getsockname()[1], port)


# -- named test servers --------------------------------------------------------------------------


class RegistryTests(TestCase):
    def register(self, name: str, make: Any, **kw: Any) -> None:
        register_test_server(name, make, **kw)
        self.addCleanup(unregister_test_server, name)

    @inlineCallbacks
    def round_trip(self, server: ListeningServer, payload: bytes, expect: int) -> Any:
        self.addCleanup(server.stop)
        endpoint = TCP4ClientEndpoint(reactor, "127.0.0.1", server.port, timeout=TIMEOUT)
        collector = yield connect_collector(endpoint, payload, expect)
        received, _ = yield collector.done
        return received

    @inlineCallbacks
    def test_named_server_with_options(self) -> Any:
        self.register("test-echo", make_echo_factory)
        self.assertIn("test-echo", registered_test_servers())
        server = yield start_server("test-echo", greeting=b"hi:")
        self.assertIsInstance(server.factory, EchoFactory)
        self.assertEqual((yield self.round_trip(server, b"x", 4)), b"hi:x")

    @inlineCallbacks
    def test_lazy_dotted_name(self) -> Any:
        self.register("test-lazy", "tests.core.test_testing:make_echo_factory")
        server = yield start_server("test-lazy", greeting=b">")
        self.assertEqual((yield self.round_trip(server, b"y", 2)), b">y")

    @inlineCallbacks
    def test_make_factory_may_return_deferred(self) -> Any:
        self.register("test-deferred", lambda: succeed(EchoFactory(b"d")))
        server = yield start_server("test-deferred")
        self.assertEqual((yield self.round_trip(server, b"z", 2)), b"dz")

    @inlineCallbacks
    def test_factory_directly(self) -> Any:
        server = yield start_server(EchoFactory())
        self.assertEqual((yield self.round_trip(server, b"q", 1)), b"q")

    @inlineCallbacks
    def test_unknown_name(self) -> Any:
        self.register("test-known", make_echo_factory)
        error = yield self.assertFailure(start_server("test-missing"), ParameterError)
        self.assertIn("test-missing", str(error))
        self.assertIn("test-known", str(error))

    @inlineCallbacks
    def test_options_with_factory_rejected(self) -> Any:
        yield self.assertFailure(start_server(EchoFactory(), greeting=b"x"), ParameterError)

    @inlineCallbacks
    def test_unloadable_dotted_name(self) -> Any:
        self.register("test-broken", "tests.core.test_testing:no_such_thing")
        error = yield self.assertFailure(start_server("test-broken"), ParameterError)
        self.assertIn("no_such_thing", str(error))

    def test_registration_rules(self) -> None:
        self.register("test-dup", make_echo_factory)
        self.assertRaises(ParameterError, register_test_server, "test-dup", make_echo_factory)
        register_test_server("test-dup", EchoFactory, replace=True)
        self.assertRaises(ParameterError, register_test_server, "test-x", "no-colon")
        self.assertRaises(ParameterError, register_test_server, "test-x", 42)
        self.assertRaises(ParameterError, register_test_server, "", make_echo_factory)
        self.assertNotIn("test-x", registered_test_servers())
        unregister_test_server("test-never-registered")  # no error


class BuiltinServerTests(TestCase):
    """txkv's own servers start by name; a real client talks to each."""

    def test_builtin_names_registered_without_imports(self) -> None:
        self.assertTrue({"ignite", "kt", "tt"} <= set(registered_test_servers()))

    def test_kt_and_tt_by_name(self) -> Deferred[None]:
        from txkv.kyoto import KyotoTycoon, TokyoTyrant
        from txkv.testing import start_server

        async def check() -> None:
            for name, client_class in (("kt", KyotoTycoon), ("tt", TokyoTyrant)):
                server = await start_server(name, reactor=reactor)
                client = client_class("127.0.0.1", server.port, reactor=reactor)
                try:
                    await client.set("k", "v")
                    self.assertEqual(await client.get("k"), "v")
                finally:
                    await client.close()
                    await server.stop()

        return Deferred.fromCoroutine(check())
