"""Transport features of the Kyoto Tycoon and Tokyo Tyrant clients over real loopback sockets:
TLS (txkv's servers behind a TLS listener), failover across a node list, connection pools with
cursors pinned to one connection, and request timeouts."""

from __future__ import annotations

from typing import Any, List

from twisted.internet import reactor
from twisted.internet.defer import Deferred, ensureDeferred, gatherResults
from twisted.internet.protocol import Factory, Protocol
from twisted.trial.unittest import TestCase

from tests.certs import generate_certificates
from txkv.errors import ConnectionLostError, ReconnectError, RequestTimeoutError
from txkv.kyoto import KyotoTycoon, TokyoTyrant
from txkv.kyoto.kt_server import KTServerFactory, build_state
from txkv.kyoto.tyrant.server import TTServerFactory, open_database
from txkv.testing import ListeningServer, free_port, listen_tcp
from txkv.tls import client_tls, server_tls


def accepted(factory: Any, count: int) -> Deferred[None]:
    """Fires once ``factory`` has built ``count`` server connections (bounded by trial's timeout).

    Pooled connections come up concurrently; waiting for the server to see them keeps the
    pool-size assertions free of races with the requests that finish first.
    """
    built = [0]
    done: Deferred[None] = Deferred()
    build = factory.buildProtocol

    def counting(addr: Any) -> Any:
        built[0] += 1
        if built[0] == count and not done.called:
            done.callback(None)
        return build(addr)

    factory.buildProtocol = counting
    return done


def run(coro: Any) -> Deferred[Any]:
    return ensureDeferred(coro)


def record_count(server: ListeningServer) -> int:
    """The records stored in database 0 of a txkv KT server."""
    return int(server.factory.state.databases[0].count())  # type: ignore[attr-defined]


class _Silent(Protocol):
    """Accepts requests and never answers."""


class _Base(TestCase):
    timeout = 30

    def kt_state(self, **kwargs: Any) -> Any:
        state = build_state(["*", "%"], clock=reactor, **kwargs)
        self.addCleanup(state.storage.close)
        return state

    async def listen(self, factory: Any, tls: Any = None) -> ListeningServer:
        server = await listen_tcp(factory, tls=tls)
        self.addCleanup(server.stop)
        return server

    def client(self, cls: Any, *args: Any, **kwargs: Any) -> Any:
        client = cls(*args, **kwargs)
        self.addCleanup(client.close)
        return client


class TLSTests(_Base):
    def setUp(self) -> None:
        self.certs = generate_certificates(self.mktemp())
        self.server_tls = server_tls(self.certs.server.cert, self.certs.server.key)

    def test_kt_binary_http_cursor_and_replication_over_tls(self) -> Deferred[Any]:
        async def go() -> None:
            state = self.kt_state(ulog=True)
            server = await self.listen(KTServerFactory(state, heartbeat=0.2), self.server_tls)
            kt = self.client(KyotoTycoon, "127.0.0.1", server.port, timeout=10,
                             tls=client_tls("127.0.0.1", ca_file=self.certs.ca.cert))
            start = reactor.seconds() - 1  # type: ignore[attr-defined]
            self.assertEqual(await kt.set("k", "v"), 1)            # binary protocol
            self.assertEqual(await kt.get("k"), "v")
            self.assertTrue(await kt.add("k2", "w"))                # HTTP RPC
            self.assertEqual(await kt.match_prefix("k"), ["k", "k2"])
            self.assertEqual(await kt.keys().collect(), ["k", "k2"])  # cursor
            tail = kt.replicate(sid=7, timestamp=start)            # replication stream
            first = await tail.get_next()
            self.assertEqual((first["key"], first["value"]), ("k", "v"))
            await tail.close()
            self.assertTrue(server.tls)

        return run(go())

    def test_kt_refuses_an_untrusted_server(self) -> Deferred[Any]:
        async def go() -> None:
            other = server_tls(self.certs.other_server.cert, self.certs.other_server.key)
            server = await self.listen(KTServerFactory(self.kt_state()), other)
            kt = self.client(KyotoTycoon, "127.0.0.1", server.port, timeout=5,
                             connect_timeout=5, retry_policy=lambda n: 0.05,
                             tls=client_tls("127.0.0.1", ca_file=self.certs.ca.cert))
            # the TLS handshake fails: the request fails with the verification error
            with self.assertRaises((ConnectionLostError, ReconnectError)) as caught:
                await kt.set("k", "v")
            if isinstance(caught.exception, ConnectionLostError):
                self.assertIn("certificate verify failed", str(caught.exception))
            self.assertEqual(record_count(server), 0)

        return run(go())

    def test_tt_over_tls(self) -> Deferred[Any]:
        async def go() -> None:
            db = open_database(kind="btree")
            self.addCleanup(db.storage.close)
            server = await self.listen(TTServerFactory(db), self.server_tls)
            tt = self.client(TokyoTyrant, "127.0.0.1", server.port, timeout=10,
                             tls=client_tls("127.0.0.1", ca_file=self.certs.ca.cert))
            self.assertIs(await tt.set("k", "v"), True)
            self.assertEqual(await tt.get_range("a"), {"k": "v"})

        return run(go())


class FailoverTests(_Base):
    def test_kt_fails_over_to_the_next_node_and_back_on_loss(self) -> Deferred[Any]:
        async def go() -> None:
            state = self.kt_state()
            first = await self.listen(KTServerFactory(state))
            second = await self.listen(KTServerFactory(state))
            dead = free_port()
            kt = self.client(KyotoTycoon, nodes=[f"127.0.0.1:{dead}", first.address,
                                                 second.address],
                             timeout=5, retry_policy=lambda n: 0.05)
            self.assertEqual(await kt.set("k", "v"), 1)
            self.assertTrue(await kt.exists("k"))
            # the node in use goes away: the next call is served by a remaining node
            await first.stop()
            for _ in range(20):
                try:
                    self.assertEqual(await kt.get("k"), "v")
                    self.assertTrue(await kt.exists("k"))
                    break
                except Exception:
                    continue  # a request that was on the lost connection
            else:
                self.fail("no failover")
            self.assertTrue(second.connections)

        return run(go())

    def test_kt_every_node_down_is_reconnect_error(self) -> Deferred[Any]:
        async def go() -> None:
            kt = self.client(KyotoTycoon, nodes=[f"127.0.0.1:{free_port()}",
                                                 f"127.0.0.1:{free_port()}"],
                             connect_timeout=2, retry_policy=lambda n: 0.05)
            with self.assertRaises(ReconnectError):
                await kt.get("k")
            with self.assertRaises(ReconnectError):
                await kt.status()

        return run(go())


class PoolTests(_Base):
    def test_kt_pool_spreads_requests_and_cursor_keeps_its_connection(self) -> Deferred[Any]:
        async def go() -> None:
            factory = KTServerFactory(self.kt_state())
            all_up = accepted(factory, 6)
            server = await self.listen(factory)
            kt = self.client(KyotoTycoon, "127.0.0.1", server.port, timeout=10, pool_size=3)
            await kt.set_bulk({f"k{i:02d}": str(i) for i in range(30)})
            cursor = kt.cursor()
            self.assertTrue(await cursor.jump("k10"))
            walked: List[Any] = []
            for _ in range(5):
                # other traffic in between, spread over the pool's HTTP connections
                await gatherResults([kt.exists(f"k{i:02d}") for i in range(12)])
                walked.append(await cursor.key(step=True))
            self.assertEqual(walked, ["k10", "k11", "k12", "k13", "k14"])
            await cursor.close()
            await kt.connect()
            await all_up
            self.assertEqual(len(server.connections), 6)  # 3 binary + 3 HTTP

        return run(go())

    def test_tt_pool(self) -> Deferred[Any]:
        async def go() -> None:
            db = open_database()
            self.addCleanup(db.storage.close)
            factory = TTServerFactory(db)
            both_up = accepted(factory, 2)
            server = await self.listen(factory)
            tt = self.client(TokyoTyrant, "127.0.0.1", server.port, timeout=10, pool_size=2)
            values = await gatherResults([tt.incr("n") for _ in range(40)])
            self.assertEqual(sorted(values), list(range(1, 41)))
            await both_up
            self.assertEqual(len(server.connections), 2)

        return run(go())


class TimeoutTests(_Base):
    def test_kt_requests_time_out_on_a_silent_server(self) -> Deferred[Any]:
        async def go() -> None:
            server = await self.listen(Factory.forProtocol(_Silent))
            kt = self.client(KyotoTycoon, "127.0.0.1", server.port, timeout=0.2)
            with self.assertRaises(RequestTimeoutError):
                await kt.get("k")
            with self.assertRaises(RequestTimeoutError):
                await kt.status()

        return run(go())

    def test_tt_requests_time_out_on_a_silent_server(self) -> Deferred[Any]:
        async def go() -> None:
            server = await self.listen(Factory.forProtocol(_Silent))
            tt = self.client(TokyoTyrant, "127.0.0.1", server.port, timeout=0.2)
            with self.assertRaises(RequestTimeoutError):
                await tt.get("k")

        return run(go())
