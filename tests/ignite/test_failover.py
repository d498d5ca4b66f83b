"""Failover (seed §3.5): three nodes in memory on a fake clock, then three real loopback
nodes of the embedded server killed and restarted under load."""

from __future__ import annotations

import random
from typing import Any, Dict, List

from twisted.internet import reactor
from twisted.internet.defer import Deferred, DeferredList, inlineCallbacks
from twisted.python.failure import Failure
from twisted.trial.unittest import TestCase

from tests.ignite.client_support import MemoryClientCase
from txkv.errors import ConnectionLostError, TxKVError
from txkv.errors import ReconnectError as BaseReconnectError
from txkv.ignite.client import Client
from txkv.ignite.errors import ReconnectError
from txkv.ignite.server.cluster import start_cluster


class MemoryFailoverTests(MemoryClientCase):
    nodes = 3
    client_options = {"retry_policy": lambda attempt: 0.2, "timeout": 3.0}

    def setUp(self) -> None:
        super().setUp()
        self.cache = self.wait(self.client.get_or_create_cache("my_cache"))
        self.wait(self.cache.put("test_key", 0))

    def settle_all(self, ds: List[Deferred[Any]], seconds: float = 10.0) -> List[Any]:
        self.wait(DeferredList(ds, consumeErrors=True), seconds)
        out: List[Any] = []
        for d in ds:
            d.addBoth(out.append)
        return out

    def test_broken_connection_fails_in_flight_then_next_node(self) -> None:
        in_flight = [self.cache.get("test_key") for _ in range(5)]
        for ep in self.harness.endpoints:
            if ep.transports:
                ep.kill()
                break
        results = self.settle_all(in_flight)
        failures = [r for r in results if isinstance(r, Failure)]
        for failure in failures:
            self.assertIsInstance(failure.value, ConnectionLostError)
            self.assertIsInstance(failure.value, OSError)
        # later calls go to a live node
        for i in range(10):
            self.wait(self.cache.put("test_key", i))
            self.assertEqual(self.wait(self.cache.get("test_key")), i)

    def test_reconnect_error_only_when_all_are_down(self) -> None:
        for ep in self.harness.endpoints[:2]:
            ep.kill()
        self.assertIsNone(self.wait(self.cache.put("k", 1), seconds=5))
        self.harness.endpoints[2].kill()
        failure = self.wait(self.cache.get("k").addErrback(lambda f: [f]), seconds=10)[0]
        self.assertIsInstance(failure, Failure)
        if isinstance(failure.value, ConnectionLostError) and \
                not isinstance(failure.value, BaseReconnectError):
            failure = self.wait(self.cache.get("k").addErrback(lambda f: [f]), seconds=10)[0]
        self.assertIsInstance(failure.value, ReconnectError)
        self.assertEqual(set(failure.value.errors), {"node0", "node1", "node2"})
        # a node comes back: calls work again
        self.harness.endpoints[1].revive()
        self.harness.clock.advance(1.0)
        self.harness.settle()
        self.assertEqual(self.wait(self.cache.get("k"), seconds=10), 1)

    def test_load_while_nodes_die_and_return(self) -> None:
        rng = random.Random(42)
        outcomes: Dict[str, int] = {"ok": 0, "error": 0}
        pending: List[Deferred[Any]] = []
        for step in range(300):
            if step % 25 == 10:
                victim = rng.choice(self.harness.endpoints)
                victim.kill()
            if step % 25 == 20:
                for ep in self.harness.endpoints:
                    ep.revive()
            d = self.cache.put(f"k{step % 17}", step) if step % 2 else \
                self.cache.get(f"k{step % 17}")
            pending.append(d)
            self.harness.clock.advance(0.05)
            self.harness.settle()
        results = self.settle_all(pending, seconds=30)
        self.assertEqual(len(results), 300)  # none hangs
        for result in results:
            if isinstance(result, Failure):
                self.assertIsInstance(result.value, TxKVError)
                outcomes["error"] += 1
            else:
                outcomes["ok"] += 1
        self.assertGreater(outcomes["ok"], 150)


class LoopbackFailoverTests(TestCase):
    """Three real nodes of the embedded server on 127.0.0.1; nodes stop and restart."""

    timeout = 60

    @inlineCallbacks
    def setUp(self) -> Any:
        self.cluster = start_cluster(reactor, 3)
        self.addCleanup(self.cluster.stop)
        self.ports = [port for _, port in self.cluster.addresses]
        self.client = Client(timeout=4.0, retry_policy=lambda attempt: 0.05)
        yield self.client.connect([("127.0.0.1", port) for port in self.ports])
        self.addCleanup(self.client.close)
        self.cache = yield self.client.get_or_create_cache("my_cache")

    def restart(self, index: int) -> None:
        node_id = self.nodes_by_port[self.ports[index]]
        self.cluster.listen(self.ports[index], node_id=node_id)

    @inlineCallbacks
    def test_kill_and_restart_under_load(self) -> Any:
        self.nodes_by_port = {port: node.node_id
                              for node, (_, port) in zip(self.cluster.nodes,
                                                         self.cluster.addresses)}
        ok = errors = 0
        value = 0
        for round_ in range(3):
            victim = next(n for n in self.cluster.nodes
                          if n.address[1] == self.ports[round_ % 3])
            stopping = None
            for step in range(60):
                if step == 20:
                    stopping = self.cluster.stop_node(victim)
                try:
                    value = (yield self.cache.get("test_key")) or 0
                    yield self.cache.put("test_key", value + 1)
                    ok += 1
                except TxKVError:
                    errors += 1
            yield stopping
            self.restart(round_ % 3)
        self.assertGreater(ok, 150)
        final = yield self.cache.get("test_key")
        self.assertGreaterEqual(final, ok - 1)

    @inlineCallbacks
    def test_all_down_then_reconnect_error(self) -> Any:
        yield self.cache.put("k", 1)
        for node in list(self.cluster.nodes):
            yield self.cluster.stop_node(node)
        failures: List[BaseException] = []
        for _ in range(3):
            try:
                yield self.cache.get("k")
            except TxKVError as exc:
                failures.append(exc)
        self.assertEqual(len(failures), 3)
        self.assertIsInstance(failures[-1], ReconnectError)
        self.assertEqual(len(failures[-1].errors), 3)
        text = str(failures[-1])
        for address in failures[-1].errors:
            self.assertEqual(text.count(address), 1, text)  # each node's error, once
