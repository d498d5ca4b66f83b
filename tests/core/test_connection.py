"""Tests for txkv.connection: failover, recovery, backoff, pools, stop and cancellation.

Every node is a :class:`FakeEndpoint` whose connection attempts the test accepts or refuses
by hand, on a :class:`~twisted.internet.task.Clock`; one integration test uses real sockets.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

from hypothesis import given, settings
from hypothesis import strategies as st
from twisted.application.internet import backoffPolicy
from twisted.application.service import IService, MultiService
from twisted.internet import reactor
from twisted.internet.defer import CancelledError, Deferred, fail, gatherResults, succeed
from twisted.internet.error import ConnectionDone, ConnectionLost, ConnectionRefusedError
from twisted.internet.protocol import Factory, Protocol
from twisted.internet.task import Clock
from twisted.internet.testing import EventLoggingObserver, MemoryReactorClock, StringTransport
from twisted.logger import globalLogPublisher
from twisted.python.failure import Failure
from twisted.trial.unittest import SynchronousTestCase, TestCase
from zope.interface.verify import verifyObject

from tests.fake_endpoints import FakeEndpoint
from txkv.connection import (
    ConnectionManager,
    ManagerStoppedError,
    NodeDownError,
    default_retry_policy,
)
from txkv.errors import (
    ConnectionLostError,
    HandshakeError,
    NotConnectedError,
    ParameterError,
    ReconnectError,
)

# -- fakes ---------------------------------------------------------------------------------------


class FakeProtocol(Protocol):
    """A store protocol stand-in: counts requests, remembers its loss."""

    def __init__(self) -> None:
        self.lost: Optional[Failure] = None
        self.requests = 0

    @property
    def node_name(self) -> str:
        return self.transport.endpoint.name  # type: ignore[union-attr]

    def send(self) -> None:
        self.requests += 1
        self.transport.write(b"request")  # type: ignore[union-attr]

    def connectionLost(self, reason: Failure = ConnectionDone) -> None:  # type: ignore[assignment]
        self.lost = reason


class LoadedProtocol(FakeProtocol):
    """A protocol exposing the optional ``in_flight`` load hint."""

    in_flight = 0


def fixed_policy(delay: float = 1.0) -> Any:
    return lambda attempt: delay


class Harness:
    """A manager over fake nodes ``a``, ``b``, ``c``... on a Clock."""

    def __init__(self, names: str = "ab", protocol: type = FakeProtocol, **kw: Any) -> None:
        self.clock = Clock()
        self.endpoints = {n: FakeEndpoint(n, self.clock) for n in names}
        kw.setdefault("retry_policy", fixed_policy())
        self.factory = Factory.forProtocol(protocol)
        self.manager = ConnectionManager(
            [(n, ep) for n, ep in self.endpoints.items()], self.factory,
            reactor=self.clock, clock=self.clock, **kw)

    def __getitem__(self, name: str) -> FakeEndpoint:
        return self.endpoints[name]

    def node(self, name: str) -> Any:
        return self.manager.node(name)

    def get(self, d: Deferred[Any]) -> Any:
        results: List[Any] = []
        d.addBoth(results.append)
        assert results, "the Deferred has not fired"
        if isinstance(results[0], Failure):
            results[0].raiseException()
        return results[0]


# -- tests ---------------------------------------------------------------------------------------


class ConstructionTests(SynchronousTestCase):
    def test_is_a_service_with_a_name(self) -> None:
        h = Harness(name="kt")
        verifyObject(IService, h.manager)
        parent = MultiService()
        h.manager.setServiceParent(parent)
        self.assertIs(parent.getServiceNamed("kt"), h.manager)
        parent.startService()
        self.assertEqual([len(h[n].attempts) for n in "ab"], [1, 1])
        self.assertTrue(parent.stopService().called)
        self.assertEqual([n.state for n in h.manager.nodes], ["stopped", "stopped"])

    def test_bad_arguments(self) -> None:
        factory = Factory.forProtocol(FakeProtocol)
        clock = MemoryReactorClock()
        bad: List[Dict[str, Any]] = [{"pool_size": 0}, {"pool_size": "2"}, {"retry_policy": 3},
                                     {"prepare_connection": "x"}]
        for kw in bad:
            self.assertRaises(ParameterError, ConnectionManager, "a:1", factory,
                              reactor=clock, **kw)
        self.assertRaises(ParameterError, ConnectionManager, "", factory, reactor=clock)
        self.assertRaises(ParameterError, ConnectionManager, "a", factory, reactor=clock)
        manager = ConnectionManager("a", factory, reactor=clock, default_port=7)
        self.assertEqual([n.address for n in manager.nodes], ["a:7"])
        self.assertRaises(ParameterError, manager.whenConnected, -1)
        self.assertRaises(ParameterError, manager.connection_for, "nope:1")

    def test_nodes_before_start(self) -> None:
        h = Harness()
        self.assertEqual([n.state for n in h.manager.nodes], ["stopped", "stopped"])
        self.assertEqual(h["a"].attempts, [])
        d = h.manager.whenConnected()
        self.assertFalse(d.called)
        h.manager.startService()
        h["b"].accept_next()
        self.assertEqual(h.get(d).node_name, "b")


class FailoverTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.h = Harness("abc")
        self.m = self.h.manager
        self.m.startService()

    def test_prefers_first_node(self) -> None:
        for n in "cba":
            self.h[n].accept_next()
        self.assertEqual(self.h.get(self.m.whenConnected()).node_name, "a")
        self.assertEqual([n.state for n in self.m.nodes], ["up", "up", "up"])
        self.assertEqual([n.address for n in self.m.live_nodes()], ["a", "b", "c"])

    def test_waits_for_first_live_node(self) -> None:
        d = self.m.whenConnected()
        self.assertFalse(d.called)
        self.h["b"].accept_next()
        self.assertEqual(self.h.get(d).node_name, "b")

    def test_node_death_fails_over_to_next_node(self) -> None:
        for n in "abc":
            self.h[n].accept_next()
        a_proto = self.h.get(self.m.whenConnected())
        self.h["a"].drop_all()
        self.assertIsNotNone(a_proto.lost)
        self.assertEqual(self.h.node("a").state, "down")
        self.assertIsInstance(self.h.node("a").last_error, ConnectionLost)
        self.assertIsNone(self.m.node_for_protocol(a_proto))
        proto = self.h.get(self.m.whenConnected())
        self.assertEqual(proto.node_name, "b")
        self.assertIs(self.m.node_for_protocol(proto), self.h.node("b"))
        self.assertEqual(self.m.preferred_node, self.h.node("b"))
        self.h["b"].drop_all()
        self.assertEqual(self.h.get(self.m.whenConnected()).node_name, "c")

    def test_failover_wraps_around(self) -> None:
        for n in "abc":
            self.h[n].accept_next()
        self.h["a"].drop_all()
        self.h["b"].drop_all()
        self.assertEqual(self.h.get(self.m.whenConnected()).node_name, "c")
        self.h.clock.advance(1)
        self.h["a"].accept_next()
        self.h["c"].drop_all()
        self.assertEqual(self.h.get(self.m.whenConnected()).node_name, "a")

    def test_dead_node_is_retried_and_recovers(self) -> None:
        for n in "abc":
            self.h[n].accept_next()
        self.h["a"].drop_all()
        self.assertEqual(len(self.h["a"].attempts), 1)
        self.h.clock.advance(0.99)
        self.assertEqual(len(self.h["a"].attempts), 1)
        self.h.clock.advance(0.01)
        self.assertEqual(len(self.h["a"].attempts), 2)
        self.h["a"].refuse_next()
        self.assertEqual(self.h.node("a").state, "down")
        self.assertEqual(self.h.node("a").failures, 1)
        self.h.clock.advance(1)
        self.h["a"].accept_next()
        self.assertEqual(self.h.node("a").state, "up")
        self.assertEqual(self.h.node("a").failures, 0)
        # The failover target stays preferred until it dies itself.
        self.assertEqual(self.h.get(self.m.whenConnected()).node_name, "b")
        self.h["b"].drop_all()
        self.assertEqual(self.h.get(self.m.whenConnected()).node_name, "c")
        self.h["c"].drop_all()
        self.assertEqual(self.h.get(self.m.whenConnected()).node_name, "a")

    def test_protocol_closing_is_not_handed_out(self) -> None:
        transport = self.h["a"].accept_next()
        self.h["b"].accept_next()
        transport.disconnecting = True  # loseConnection requested, connectionLost not yet
        self.assertEqual(self.h.get(self.m.whenConnected()).node_name, "b")
        self.assertEqual(self.h.node("a").connected_protocols(), [])

    def test_requests_failing_on_loss_retry_elsewhere(self) -> None:
        """A protocol's connectionLost (failing its requests) already sees the node down."""
        self.h["a"].accept_next()
        self.h["b"].accept_next()
        proto = self.h.get(self.m.whenConnected())
        retried: List[Any] = []
        original = proto.connectionLost

        def lost(reason: Failure) -> None:
            original(reason)
            retried.append(self.h.get(self.m.whenConnected()))

        proto.connectionLost = lost
        self.h["a"].drop_all()
        self.assertEqual([p.node_name for p in retried], ["b"])

    def test_all_nodes_down_reconnect_error(self) -> None:
        d = self.m.whenConnected(failAfterFailures=2)
        for n in "abc":
            self.h[n].refuse_next()
        self.assertFalse(d.called)
        self.h.clock.advance(1)
        self.h["a"].refuse_next()
        self.h["b"].refuse_next(ConnectionRefusedError("b refused again"))
        self.assertFalse(d.called)
        self.h["c"].refuse_next()
        err = self.assertRaises(ReconnectError, self.h.get, d)
        self.assertEqual(sorted(err.errors), ["a", "b", "c"])
        self.assertIn("b refused again", str(err.errors["b"]))
        self.assertTrue(all(isinstance(e, ConnectionRefusedError) for e in err.errors.values()))
        # Already past the threshold: fails at once; a lower threshold too.
        self.assertRaises(ReconnectError, self.h.get, self.m.whenConnected(failAfterFailures=1))
        self.assertFalse(self.m.whenConnected(failAfterFailures=3).called)

    def test_fail_after_zero_never_waits(self) -> None:
        err = self.assertRaises(ReconnectError, self.h.get, self.m.whenConnected(0))
        self.assertIsInstance(err.errors["a"], NotConnectedError)
        self.h["c"].accept_next()
        self.assertEqual(self.h.get(self.m.whenConnected(0)).node_name, "c")

    def test_reconnect_error_needs_every_node(self) -> None:
        d = self.m.whenConnected(failAfterFailures=1)
        self.h["a"].refuse_next()
        self.h["b"].refuse_next()
        self.assertFalse(d.called)
        self.h["c"].accept_next()
        self.assertEqual(self.h.get(d).node_name, "c")

    def test_timeout(self) -> None:
        d = self.m.whenConnected(timeout=5)
        self.h["a"].refuse_next()
        self.h.clock.advance(5)
        err = self.assertRaises(ReconnectError, self.h.get, d)
        self.assertIn("within 5", str(err))
        d2 = self.m.whenConnected(timeout=5)
        self.h["b"].accept_next()
        self.h.get(d2)
        self.assertEqual(self.h.clock.getDelayedCalls(), [])  # d2's timer is gone

    def test_cancel_removes_waiter(self) -> None:
        d = self.m.whenConnected(timeout=10)
        other = self.m.whenConnected()
        self.assertEqual(self.m.stats()["waiters"], 2)
        d.cancel()
        self.assertRaises(CancelledError, self.h.get, d)
        self.assertEqual(self.m.stats()["waiters"], 1)
        self.h["a"].accept_next()
        self.assertEqual(self.h.get(other).node_name, "a")
        self.assertEqual(self.m.stats()["waiters"], 0)
        self.assertEqual(self.h.clock.getDelayedCalls(), [])

    def test_waiter_callbacks_may_reenter(self) -> None:
        """A waiter that stops the manager from its callback must not break the others."""
        seen: List[Any] = []
        first = self.m.whenConnected()
        def stop_from_callback(protocol: Any) -> Deferred[None]:
            seen.append(protocol)
            return self.m.stopService()

        first.addCallback(stop_from_callback)
        second = self.m.whenConnected()
        second.addErrback(lambda f: seen.append(f.type))
        self.h["a"].accept_next()
        self.assertEqual(len(seen), 2)
        self.assertIs(seen[1], ManagerStoppedError)
        self.assertEqual(self.h["a"].open, [])


class ConnectionForTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.h = Harness("abc")
        self.m = self.h.manager
        self.m.startService()

    def test_live_node(self) -> None:
        self.h["b"].accept_next()
        self.assertEqual(self.h.get(self.m.connection_for("b")).node_name, "b")
        self.assertEqual(self.h.get(self.m.connection_for(self.h.node("b"))).node_name, "b")

    def test_known_down_fails_at_once(self) -> None:
        self.h["a"].refuse_next()
        err = self.assertRaises(NodeDownError, self.h.get, self.m.connection_for("a"))
        self.assertEqual(err.node, "a")
        self.assertIn("refused", str(err))
        self.h["b"].accept_next()
        self.h["b"].drop_all()
        self.assertRaises(NodeDownError, self.h.get, self.m.connection_for("b"))

    def test_connecting_node_waits_then_fails_on_first_failure(self) -> None:
        d = self.m.connection_for("a")
        self.assertFalse(d.called)
        self.h["a"].refuse_next()
        self.assertRaises(NodeDownError, self.h.get, d)
        d = self.m.connection_for("c")
        self.h["c"].accept_next()
        self.assertEqual(self.h.get(d).node_name, "c")

    def test_connecting_node_timeout(self) -> None:
        d = self.m.connection_for("a", timeout=3)
        self.h.clock.advance(3)
        err = self.assertRaises(NotConnectedError, self.h.get, d)
        self.assertIn("within 3", str(err))

    def test_does_not_fail_over(self) -> None:
        self.h["b"].accept_next()
        d = self.m.connection_for("a")
        self.assertFalse(d.called)
        self.h["a"].accept_next()
        self.assertEqual(self.h.get(d).node_name, "a")

    def test_unknown_node(self) -> None:
        self.assertRaises(ParameterError, self.m.connection_for, "zz")


class BackoffTests(SynchronousTestCase):
    def test_attempt_times_follow_policy(self) -> None:
        policy = backoffPolicy(initialDelay=1.0, maxDelay=10.0, factor=2.0, jitter=lambda: 0.25)
        h = Harness("a", retry_policy=policy)
        h.manager.startService()
        for _ in range(6):
            h["a"].refuse_next()
            h.clock.advance(min(c.getTime() for c in h.clock.getDelayedCalls()) - h.clock.seconds())
        times = [a.at for a in h["a"].attempts]
        gaps = [round(b - a, 6) for a, b in zip(times, times[1:])]
        self.assertEqual(gaps, [policy(n) for n in range(1, 7)])
        self.assertEqual(gaps, [2.25, 4.25, 8.25, 10.25, 10.25, 10.25])
        self.assertEqual(h.node("a").failures, 6)

    def test_success_resets_backoff(self) -> None:
        delays: List[int] = []

        def policy(attempt: int) -> float:
            delays.append(attempt)
            return 1.0

        h = Harness("a", retry_policy=policy)
        h.manager.startService()
        h["a"].refuse_next()
        h.clock.advance(1)
        h["a"].refuse_next()
        h.clock.advance(1)
        h["a"].accept_next()
        h["a"].drop_all()
        self.assertEqual(delays, [1, 2, 1])

    def test_default_policy_has_jitter(self) -> None:
        policy = default_retry_policy()
        values = [policy(1) for _ in range(50)]
        self.assertTrue(all(1.0 <= v < 2.0 for v in values))
        self.assertGreater(len(set(values)), 1)
        self.assertTrue(30.0 <= policy(50) < 31.0)

    def test_broken_policy_falls_back(self) -> None:
        h = Harness("a", retry_policy=lambda n: 1 / 0)
        h.manager.startService()
        h["a"].refuse_next()
        h.clock.advance(1)
        self.assertEqual(len(h["a"].attempts), 2)
        self.assertEqual(len(self.flushLoggedErrors(ZeroDivisionError)), 1)


class PrepareConnectionTests(SynchronousTestCase):
    def test_handshake_runs_on_each_connection_before_hand_out(self) -> None:
        handshakes: List[Deferred[None]] = []
        prepared: List[Any] = []

        def prepare(protocol: Any) -> Deferred[None]:
            prepared.append(protocol)
            handshakes.append(Deferred())
            return handshakes[-1]

        h = Harness("a", prepare_connection=prepare)
        h.manager.startService()
        d = h.manager.whenConnected()
        h["a"].accept_next()
        self.assertIsInstance(prepared[0], FakeProtocol)
        self.assertFalse(d.called)
        self.assertEqual(h.node("a").state, "connecting")
        handshakes[0].callback(None)
        self.assertIs(h.get(d), prepared[0])

    def test_handshake_failure_is_a_failed_attempt(self) -> None:
        outcomes = [fail(HandshakeError("bad version")), succeed(None)]
        h = Harness("ab", prepare_connection=lambda p: outcomes.pop(0))
        h.manager.startService()
        d = h.manager.connection_for("a")
        transport = h["a"].accept_next()
        self.assertTrue(transport.closed and transport.disconnected)
        self.assertIsNotNone(transport.protocol._protocol.lost)
        node = h.node("a")
        self.assertEqual((node.state, node.failures), ("down", 1))
        self.assertIsInstance(node.last_error, HandshakeError)
        self.assertRaises(NodeDownError, h.get, d)
        self.assertRaises(ReconnectError, h.get, h.manager.whenConnected(0))
        h.clock.advance(1)
        h["a"].accept_next()
        self.assertEqual(node.state, "up")
        self.assertEqual(h.get(h.manager.whenConnected()).node_name, "a")

    def test_synchronous_exception_in_handshake(self) -> None:
        def prepare(protocol: Any) -> None:
            raise ValueError("no")

        h = Harness("a", prepare_connection=prepare)
        h.manager.startService()
        h["a"].accept_next()
        self.assertIsInstance(h.node("a").last_error, ValueError)
        h.clock.advance(1)
        self.assertEqual(len(h["a"].attempts), 2)

    def test_handshake_timeout(self) -> None:
        cancelled: List[bool] = []
        never: Deferred[None] = Deferred(lambda d: cancelled.append(True))
        h = Harness("a", prepare_connection=lambda p: never, prepare_timeout=5)
        h.manager.startService()
        transport = h["a"].accept_next()
        h.clock.advance(5)
        self.assertIsInstance(h.node("a").last_error, HandshakeError)
        self.assertTrue(transport.closed)
        self.assertEqual(cancelled, [True])

    def test_connection_lost_during_handshake(self) -> None:
        pending: Deferred[None] = Deferred()
        h = Harness("a", prepare_connection=lambda p: pending)
        h.manager.startService()
        d = h.manager.whenConnected(failAfterFailures=1)
        h["a"].accept_next().drop()
        err = self.assertRaises(ReconnectError, h.get, d)
        self.assertIsInstance(err.errors["a"], ConnectionLostError)
        pending.callback(None)  # a late handshake result changes nothing
        self.assertEqual(h.node("a").state, "down")
        h.clock.advance(1)
        self.assertEqual(len(h["a"].attempts), 2)


class PoolTests(SynchronousTestCase):
    def test_pool_opens_n_connections_per_node(self) -> None:
        h = Harness("ab", pool_size=3)
        h.manager.startService()
        self.assertEqual([len(h[n].attempts) for n in "ab"], [3, 3])
        for n in "ab":
            h[n].accept_all()
        stats = h.manager.stats()
        self.assertEqual(stats["nodes"]["a"]["connected"], 3)
        self.assertEqual(stats["nodes"]["a"]["pool_size"], 3)
        self.assertEqual(stats["live_nodes"], 2)
        self.assertEqual(len(h.node("a").connected_protocols()), 3)

    def test_round_robin_without_load_hint(self) -> None:
        h = Harness("a", pool_size=3)
        h.manager.startService()
        h["a"].accept_all()
        picks = [h.get(h.manager.whenConnected()) for _ in range(9)]
        self.assertEqual(len({id(p) for p in picks}), 3)
        self.assertEqual({sum(p is q for q in picks) for p in picks}, {3})

    def test_least_loaded(self) -> None:
        h = Harness("a", pool_size=3, protocol=LoadedProtocol)
        h.manager.startService()
        h["a"].accept_all()
        protos = h.node("a").connected_protocols()
        protos[0].in_flight, protos[1].in_flight, protos[2].in_flight = 5, 1, 3
        for _ in range(4):
            self.assertIs(h.get(h.manager.whenConnected()), protos[1])
            self.assertIs(h.get(h.manager.connection_for("a")), protos[1])
        protos[1].in_flight = 9
        self.assertIs(h.get(h.manager.whenConnected()), protos[2])
        self.assertEqual(h.manager.stats()["nodes"]["a"]["in_flight"], 17)

    def test_node_stays_up_while_one_pooled_connection_lives(self) -> None:
        h = Harness("ab", pool_size=2)
        h.manager.startService()
        ta = h["a"].accept_all()
        h["b"].accept_all()
        ta[0].drop()
        self.assertEqual(h.node("a").state, "up")
        for _ in range(4):
            self.assertIs(h.get(h.manager.whenConnected()), ta[1].protocol._protocol)
        ta[1].drop()
        self.assertEqual(h.node("a").state, "down")
        self.assertEqual(h.get(h.manager.whenConnected()).node_name, "b")

    def test_node_failures_count_every_pooled_connection(self) -> None:
        h = Harness("a", pool_size=2)
        h.manager.startService()
        d = h.manager.whenConnected(failAfterFailures=1)
        h["a"].refuse_next()
        self.assertEqual((h.node("a").state, h.node("a").failures), ("down", 0))
        self.assertFalse(d.called)
        h["a"].refuse_next()
        self.assertEqual(h.node("a").failures, 1)
        self.assertRaises(ReconnectError, h.get, d)


class StopTests(SynchronousTestCase):
    def test_stop_fails_waiters_and_closes_connections(self) -> None:
        h = Harness("abc", pool_size=2)
        m = h.manager
        m.startService()
        ta = h["a"].accept_all()
        h["b"].accept_next()  # one of b's attempts is still pending; c's both are
        waiter = m.connection_for("c")
        stopped = m.stopService()
        self.assertEqual(h.get(stopped), None)
        self.assertRaises(ManagerStoppedError, h.get, waiter)
        self.assertTrue(all(t.closed for t in ta))
        self.assertTrue(all(t.protocol._protocol.lost for t in ta))
        self.assertEqual([len(h[n].open) for n in "abc"], [0, 0, 0])
        self.assertEqual([a.cancelled for n in "abc" for a in h[n].attempts],
                         [False, False, False, True, True, True])
        self.assertEqual([n.state for n in m.nodes], ["stopped"] * 3)
        self.assertRaises(ManagerStoppedError, h.get, m.whenConnected())
        self.assertRaises(ManagerStoppedError, h.get, m.connection_for("a"))
        self.assertEqual(h.clock.getDelayedCalls(), [])

    def test_stop_while_waiting_to_retry(self) -> None:
        h = Harness("a")
        h.manager.startService()
        h["a"].refuse_next()
        self.assertEqual(len(h.clock.getDelayedCalls()), 1)
        h.get(h.manager.stopService())
        self.assertEqual(h.clock.getDelayedCalls(), [])

    def test_stop_during_handshake(self) -> None:
        cancelled: List[bool] = []
        handshake: Deferred[None] = Deferred(lambda d: cancelled.append(True))
        h = Harness("a", prepare_connection=lambda p: handshake)
        h.manager.startService()
        transport = h["a"].accept_next()
        h.get(h.manager.stopService())
        self.assertTrue(transport.closed)
        self.assertEqual(cancelled, [True])

    def test_slow_close_is_aborted_after_stop_timeout(self) -> None:
        h = Harness("a", stop_timeout=2)
        h.manager.startService()
        transport = h["a"].accept_next()
        transport.loseConnection = (  # type: ignore[method-assign]
            lambda: setattr(transport, "disconnecting", True))
        stopped = h.manager.stopService()
        self.assertFalse(stopped.called)
        h.clock.advance(2)
        self.assertTrue(transport.disconnected)
        self.assertIsNone(h.get(stopped))

    def test_restart(self) -> None:
        h = Harness("a")
        h.manager.startService()
        h["a"].accept_next()
        h.get(h.manager.stopService())
        h.manager.startService()
        self.assertEqual(len(h["a"].attempts), 2)
        d = h.manager.whenConnected()
        h["a"].accept_next()
        self.assertEqual(h.get(d).node_name, "a")

    def test_stop_before_start(self) -> None:
        h = Harness("a")
        d = h.manager.whenConnected()
        self.assertIsNone(h.get(h.manager.stopService()))
        self.assertRaises(ManagerStoppedError, h.get, d)


class TopologyTests(SynchronousTestCase):
    def test_add_and_remove_nodes(self) -> None:
        h = Harness("a")
        m = h.manager
        m.startService()
        extra = FakeEndpoint("x", h.clock)
        node = m.add_node(("x", extra))
        self.assertEqual(len(extra.attempts), 1)
        self.assertRaises(ParameterError, m.add_node, ("x", extra))
        waiter = m.connection_for("x")
        t = extra.accept_next()
        self.assertIs(h.get(waiter), t.protocol._protocol)
        h["a"].accept_next()
        self.assertEqual(h.get(m.whenConnected()).node_name, "a")
        h.get(m.remove_node("a"))
        self.assertEqual(h["a"].open, [])
        self.assertEqual([n.address for n in m.nodes], ["x"])
        self.assertIs(m.preferred_node, node)
        self.assertEqual(h.get(m.whenConnected()).node_name, "x")
        self.assertRaises(ParameterError, m.node, "a")


class SynchronousEndpointTests(SynchronousTestCase):
    def test_endpoint_answering_synchronously(self) -> None:
        """An endpoint that connects inside connect() is resumed on the next tick."""
        clock = Clock()
        endpoint = FakeEndpoint("s", clock, synchronous=True)
        calls: List[Any] = []
        m = ConnectionManager([("s", endpoint)], Factory.forProtocol(FakeProtocol),
                              reactor=clock, clock=clock,
                              prepare_connection=lambda p: calls.append(p))
        d = m.whenConnected()
        d.addCallback(lambda p: m.stopService())  # re-enters ClientService from the callback
        m.startService()
        self.assertFalse(d.called)
        clock.advance(0)
        self.assertEqual(len(calls), 1)
        self.assertTrue(d.called)
        self.assertEqual(endpoint.open, [])


class HostPortNodeTests(SynchronousTestCase):
    """``host:port`` nodes go through HostnameEndpoint, whose connect() is a chain of Deferreds
    with its own timers; stopping must cancel the whole chain (no timer, no stray connect)."""

    def setUp(self) -> None:
        self.reactor = MemoryReactorClock()
        self.manager = ConnectionManager(["127.0.0.1:7001"], Factory.forProtocol(FakeProtocol),
                                         reactor=self.reactor, retry_policy=fixed_policy(5.0))
        self.manager.startService()
        self.assertEqual(len(self.reactor.connectors), 1)
        self.assertNotEqual(self.reactor.getDelayedCalls(), [])  # HostnameEndpoint's own timer

    def refuse(self) -> None:
        connector = self.reactor.connectors[-1]
        wrapping_factory = self.reactor.tcpClients[-1][2]
        wrapping_factory.clientConnectionFailed(connector, Failure(ConnectionRefusedError()))

    def assert_stopped_cleanly(self) -> None:
        self.assertIsNone(self.successResultOf(self.manager.stopService()))
        self.assertEqual(self.reactor.getDelayedCalls(), [])
        self.assertEqual(self.manager.nodes[0].state, "stopped")

    def test_stop_while_connecting(self) -> None:
        self.assert_stopped_cleanly()
        self.assertTrue(self.reactor.connectors[0].stoppedConnecting)

    def test_stop_after_refusal_before_the_endpoint_gives_up(self) -> None:
        self.refuse()  # HostnameEndpoint waits for its next attempt slot before failing
        self.assert_stopped_cleanly()

    def test_refused_node_retried_with_backoff_then_stopped(self) -> None:
        self.refuse()
        self.reactor.advance(0.3)
        node = self.manager.nodes[0]
        self.assertEqual((node.state, node.failures), ("down", 1))
        self.assertIsInstance(node.last_error, ConnectionRefusedError)
        self.reactor.advance(4.9)
        self.assertEqual(len(self.reactor.connectors), 1)
        self.reactor.advance(0.1)
        self.assertEqual(len(self.reactor.connectors), 2)
        self.refuse()
        self.reactor.advance(0.3)
        self.assertEqual(node.failures, 2)
        self.assert_stopped_cleanly()

    def test_connected_then_stopped(self) -> None:
        d = self.manager.whenConnected()
        transport = StringTransport()
        wrapper = self.reactor.tcpClients[0][2].buildProtocol(None)
        wrapper.makeConnection(transport)
        protocol = self.successResultOf(d)
        self.assertIsInstance(protocol, FakeProtocol)
        self.assertEqual(self.reactor.getDelayedCalls(), [])
        stopped = self.manager.stopService()
        self.assertTrue(transport.disconnecting)
        wrapper.connectionLost(Failure(ConnectionDone()))
        self.assertIsNotNone(protocol.lost)
        self.assertIsNone(self.successResultOf(stopped))
        self.assertEqual(self.reactor.getDelayedCalls(), [])


class LoggingTests(SynchronousTestCase):
    def test_structured_events(self) -> None:
        events = EventLoggingObserver.createWithCleanup(self, globalLogPublisher)  # type: ignore[arg-type]
        h = Harness("a", retry_policy=fixed_policy(2.5))
        h.manager.startService()
        h["a"].refuse_next()
        h.clock.advance(2.5)
        h["a"].accept_next()
        h["a"].drop_all()
        ours = [e for e in events if e.get("log_namespace") == "txkv.connection"]
        failed = [e for e in ours if "error" in e and "attempt" in e]
        self.assertEqual(failed[0]["node"], "a")
        self.assertEqual(failed[0]["attempt"], 1)
        retry = [e for e in ours if "delay" in e]
        self.assertEqual([(e["node"], e["delay"], e["attempt"]) for e in retry],
                         [("a", 2.5, 1), ("a", 2.5, 1)])
        self.assertTrue(any("lost" in e["log_format"] for e in ours))
        self.assertFalse([e for e in events if e.get("log_namespace", "").startswith(
            "twisted.application")])


# -- property: never hand out a connection of a node known to be down ----------------------------

_NODES = "abc"
_NODE_OPS = ["accept", "refuse", "drop", "closing", "finish", "hs_ok", "hs_fail", "for"]
# Weighted: connections must come up often enough for the interesting interleavings.
_OP_NAMES = _NODE_OPS + ["accept", "accept", "hs_ok", "when", "when", "when", "advance", "cancel"]
_OPS = st.tuples(st.sampled_from(_OP_NAMES), st.sampled_from(_NODES),
                 st.sampled_from([None, 0, 1, 2]), st.sampled_from([0.0, 0.5, 1.0, 2.0]))


class NeverHandsOutDeadNodesProperty(SynchronousTestCase):
    """Random interleavings of node events and requests for connections."""

    @settings(max_examples=200, deadline=None)
    @given(ops=st.lists(_OPS, min_size=5, max_size=60), pool_size=st.sampled_from([1, 2]),
           handshake=st.sampled_from(["none", "sync", "async"]))
    def test_every_handed_out_protocol_is_live(
        self, ops: List[Tuple[str, str, Optional[int], float]], pool_size: int, handshake: str
    ) -> None:
        handshakes: Dict[str, List[Tuple[Any, Deferred[None]]]] = {n: [] for n in _NODES}
        prepared: set[int] = set()

        def prepare(protocol: Any) -> Any:
            if handshake == "sync":
                prepared.add(id(protocol))
                return None
            d: Deferred[None] = Deferred()
            handshakes[protocol.node_name].append((protocol, d))
            return d.addCallback(lambda _: prepared.add(id(protocol)))

        h = Harness(_NODES, pool_size=pool_size,
                    prepare_connection=None if handshake == "none" else prepare)
        m = h.manager
        violations: List[str] = []
        waiting: List[Deferred[Any]] = []

        def check(protocol: Any) -> Any:
            node = m.node(protocol.node_name)
            transport = protocol.transport
            if node.state != "up":
                violations.append(f"{protocol.node_name} is {node.state}")
            if protocol.lost is not None or transport.closed or transport.disconnecting:
                violations.append(f"closed protocol of {protocol.node_name}")
            if handshake != "none" and id(protocol) not in prepared:
                violations.append(f"protocol of {protocol.node_name} before its handshake")
            if m.node_for_protocol(protocol) is not node:
                violations.append("node_for_protocol disagrees")
            protocol.send()  # asserts the transport is open
            return protocol

        def expected_failure(f: Failure) -> None:
            f.trap(ReconnectError, NodeDownError, CancelledError, ManagerStoppedError)

        def track(d: Deferred[Any]) -> None:
            waiting.append(d)
            d.addCallbacks(check, expected_failure)

        m.startService()
        for op, arg, fail_after, delay in ops:
            ep = h.endpoints[arg] if op in _NODE_OPS else None
            if op == "accept" and ep is not None and ep.pending:
                ep.accept_next()
            elif op == "refuse" and ep is not None and ep.pending:
                ep.refuse_next()
            elif op == "drop" and ep is not None and ep.open:
                ep.open[0].drop()
            elif op == "closing" and ep is not None and ep.open:
                ep.open[-1].disconnecting = True  # close requested, not yet delivered
            elif op == "finish" and ep is not None:
                closing = [t for t in ep.open if t.disconnecting]
                if closing:
                    closing[0].loseConnection()
            elif op in ("hs_ok", "hs_fail") and handshakes.get(arg):
                _, d = handshakes[arg].pop(0)
                if not d.called:
                    d.callback(None) if op == "hs_ok" else d.errback(HandshakeError("no"))
            elif op == "advance":
                h.clock.advance(delay)
            elif op == "when":
                track(m.whenConnected(failAfterFailures=fail_after))
            elif op == "for":
                track(m.connection_for(arg))
            elif op == "cancel" and waiting:
                waiting.pop(0).cancel()
            # Invariants after every step.
            for node in m.nodes:
                if node.connected_protocols():
                    self.assertEqual(node.state, "up")
                if node.state == "down":
                    self.assertEqual(node.connected_protocols(), [])
            self.assertEqual(len([w for w in waiting if not w.called]), m.stats()["waiters"])
        h.get(m.stopService())
        self.assertEqual(violations, [])
        self.assertEqual(m.stats()["waiters"], 0)
        self.assertTrue(all(w.called for w in waiting))
        self.assertEqual(h.clock.getDelayedCalls(), [])
        self.assertEqual([t for ep in h.endpoints.values() for t in ep.open], [])


# -- integration: real sockets --------------------------------------------------------------------


class Echo(Protocol):
    def dataReceived(self, data: bytes) -> None:
        self.transport.write(data)  # type: ignore[union-attr]


class EchoServerFactory(Factory):
    protocol = Echo

    def __init__(self) -> None:
        self.connections: List[Echo] = []

    def buildProtocol(self, addr: Any) -> Echo:
        proto = Echo()
        proto.factory = self
        self.connections.append(proto)
        return proto


class EchoClient(Protocol):
    def __init__(self) -> None:
        self.replies: List[Deferred[bytes]] = []
        self.closed: Deferred[None] = Deferred()

    def ask(self, data: bytes) -> Deferred[bytes]:
        d: Deferred[bytes] = Deferred()
        self.replies.append(d)
        self.transport.write(data)  # type: ignore[union-attr]
        return d

    def dataReceived(self, data: bytes) -> None:
        self.replies.pop(0).callback(data)

    def connectionLost(self, reason: Failure = ConnectionDone) -> None:  # type: ignore[assignment]
        self.closed.callback(None)


class RealSocketTests(TestCase):
    timeout = 20

    def setUp(self) -> None:
        self.servers: Dict[str, Tuple[Any, EchoServerFactory]] = {}
        for name in ("one", "two"):
            factory = EchoServerFactory()
            port: Any = reactor.listenTCP(0, factory, interface="127.0.0.1")  # type: ignore[arg-type]
            self.servers[name] = (port, factory)
            self.addCleanup(self._stop_listening, port)
        addresses = [f"127.0.0.1:{self.servers[n][0].getHost().port}" for n in ("one", "two")]
        self.manager = ConnectionManager(
            addresses, Factory.forProtocol(EchoClient), reactor=reactor,
            retry_policy=backoffPolicy(initialDelay=0.05, maxDelay=0.2),
            prepare_connection=lambda p: p.ask(b"hello").addCallback(self._check_hello))
        self.addresses = addresses
        self.manager.startService()
        self.addCleanup(self.manager.stopService)

    @staticmethod
    def _stop_listening(port: Any) -> Any:
        return port.stopListening() if port.connected else None

    @staticmethod
    def _check_hello(reply: bytes) -> None:
        if reply != b"hello":
            raise HandshakeError(f"bad greeting {reply!r}")

    async def _scenario(self) -> None:
        one, two = self.addresses
        # Both nodes connect concurrently; once both are up, the first node is the preferred one.
        await self.manager.connection_for(one)
        second = await self.manager.connection_for(two)
        first = await self.manager.whenConnected()
        self.assertEqual(self.manager.node_for_protocol(first).address, one)  # type: ignore[union-attr]
        self.assertEqual(await first.ask(b"ping"), b"ping")
        self.assertEqual(await second.ask(b"pong"), b"pong")

        port, factory = self.servers["one"]
        await port.stopListening()
        for server_side in factory.connections:
            server_side.transport.loseConnection()  # type: ignore[union-attr]
        await first.closed
        self.assertEqual(self.manager.node(one).state, "down")

        chosen = await self.manager.whenConnected()
        self.assertIs(chosen, second)
        self.assertEqual(await chosen.ask(b"still here"), b"still here")
        with self.assertRaises(NodeDownError):
            await self.manager.connection_for(one)

        await self.manager.stopService()
        await second.closed
        self.assertEqual(self.manager.stats()["live_nodes"], 0)

    def test_failover_between_two_servers(self) -> Deferred[None]:
        return Deferred.fromCoroutine(self._scenario())

    def test_host_port_nodes_leave_no_timers_after_stop(self) -> Deferred[None]:
        """Connect over ``127.0.0.1:PORT`` (HostnameEndpoint), stop: no reactor call is left."""
        async def scenario() -> None:
            protocol = await self.manager.whenConnected()
            self.assertEqual(await protocol.ask(b"x"), b"x")
            await self.manager.stopService()
            await protocol.closed
            left = [call for call in reactor.getDelayedCalls()  # type: ignore[attr-defined]
                    if call.active() and "onTimeout" not in repr(call.func)]
            self.assertEqual(left, [])

        return Deferred.fromCoroutine(scenario())

    def test_all_down_real_refusal(self) -> Deferred[None]:
        async def scenario() -> None:
            await self.manager.stopService()
            await gatherResults([p.stopListening() for p, _ in self.servers.values()])
            manager = ConnectionManager(self.addresses, Factory.forProtocol(EchoClient),
                                        reactor=reactor, retry_policy=lambda n: 0.01)
            manager.startService()
            try:
                with self.assertRaises(ReconnectError) as caught:
                    await manager.whenConnected(failAfterFailures=2)
                self.assertEqual(sorted(caught.exception.errors), sorted(self.addresses))
                self.assertTrue(all(isinstance(e, ConnectionRefusedError)
                                    for e in caught.exception.errors.values()))
            finally:
                await manager.stopService()

        return Deferred.fromCoroutine(scenario())
