"""The KT replication tail (txkv.kyoto.kt_replication) on a Clock: the stream request, resuming
after a drop from the last delivered timestamp with the retry policy's delays, failover to the
next node, a refused stream, close, and read pausing at the high-water mark."""

from __future__ import annotations

from typing import Any, List

from twisted.internet.task import Clock
from twisted.trial.unittest import SynchronousTestCase

from tests.fake_endpoints import FakeEndpoint, FakeTransport
from txkv.errors import ParameterError
from txkv.kyoto import KT_NONE, KTBinaryError, KyotoTycoon
from txkv.kyoto import kt_codec as bc
from txkv.kyoto.kt_values import OP_REMOVE, OP_SET, UpdateLog, encode_ulog

SID = 42
START = 1_000.0  # seconds
START_NS = int(START * 1e9)


def log_frame(ts: int, key: bytes, value: bytes = b"v", op: int = OP_SET) -> bytes:
    body = encode_ulog(UpdateLog(7, 0, op, key, value if op == OP_SET else None, bc.XT_MAX))
    return bc.encode_replication_log(ts, body)


class ReplicationTailTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.clock = Clock()
        self.a = FakeEndpoint("a", self.clock)
        self.b = FakeEndpoint("b", self.clock)
        self.delays: List[int] = []

    def tail(self, *endpoints: FakeEndpoint, **kwargs: Any) -> Any:
        kt = KyotoTycoon(nodes=[(e.name, e) for e in endpoints], serializer=KT_NONE,
                         decode_keys=False, reactor=self.clock)

        def policy(attempt: int) -> float:
            self.delays.append(attempt)
            return 5.0

        kwargs.setdefault("retry_policy", policy)
        return kt.replicate(sid=SID, timestamp=START, **kwargs)

    def accept(self, endpoint: FakeEndpoint) -> FakeTransport:
        transport = endpoint.accept_next()
        transport.protocol.dataReceived(b"\xb1")  # the server accepts the stream
        return transport

    def test_stream_request_and_logs(self) -> None:
        tail = self.tail(self.a)
        d = tail.get_next()
        self.assertEqual(len(self.a.attempts), 1)
        transport = self.accept(self.a)
        self.assertEqual(transport.value(), bc.encode_replication(START_NS, SID))
        transport.protocol.dataReceived(log_frame(START_NS + 1, b"k1", b"v1"))
        item = self.successResultOf(d)
        self.assertEqual((item["op"], item["key"], item["value"], item["ts"]),
                         (OP_SET, b"k1", b"v1", START_NS + 1))
        self.assertEqual(tail.node, "a")

    def test_resumes_after_a_drop_from_the_last_timestamp(self) -> None:
        tail = self.tail(self.a)
        first = tail.get_next()
        transport = self.accept(self.a)
        transport.protocol.dataReceived(log_frame(START_NS + 10, b"k1"))
        self.assertEqual(self.successResultOf(first)["key"], b"k1")
        transport.drop()
        self.assertEqual(tail.reconnects, 1)
        second = tail.get_next()
        # the retry policy sets the delay: nothing happens before it has passed
        self.clock.advance(4.9)
        self.assertEqual(len(self.a.attempts), 1)
        self.clock.advance(0.2)
        self.assertEqual(len(self.a.attempts), 2)
        again = self.accept(self.a)
        self.assertEqual(again.value(), bc.encode_replication(START_NS + 10, SID))
        # a log the server repeats (not newer than the last one delivered) is skipped
        again.protocol.dataReceived(log_frame(START_NS + 10, b"k1")
                                    + log_frame(START_NS + 11, b"k1", op=OP_REMOVE))
        item = self.successResultOf(second)
        self.assertEqual((item["op"], item["key"], item["ts"]), (OP_REMOVE, b"k1", START_NS + 11))

    def test_fails_over_after_failed_attempts(self) -> None:
        tail = self.tail(self.a, self.b, failover_after=2)
        d = tail.get_next()
        self.a.refuse_next()
        self.clock.advance(5)
        self.assertEqual(self.delays, [1])
        self.assertEqual(self.b.attempts, [])  # one failure: still on the first node
        self.a.refuse_next()
        self.assertEqual(len(self.b.attempts), 1)  # the second failure moves to the next node
        self.clock.advance(60)
        self.assertEqual(len(self.a.attempts), 2)  # and the first node is left alone
        transport = self.accept(self.b)
        self.assertEqual(transport.value(), bc.encode_replication(START_NS, SID))
        transport.protocol.dataReceived(log_frame(START_NS + 1, b"from-b"))
        self.assertEqual(self.successResultOf(d)["key"], b"from-b")
        self.assertEqual(tail.node, "b")

    def test_a_single_node_is_retried_forever(self) -> None:
        tail = self.tail(self.a, failover_after=1)
        d = tail.get_next()
        for _ in range(5):
            self.a.refuse_next()
            self.clock.advance(5)
        self.assertEqual(len(self.a.attempts), 6)
        self.assertNoResult(d)
        self.accept(self.a).protocol.dataReceived(log_frame(START_NS + 1, b"k"))
        self.assertEqual(self.successResultOf(d)["key"], b"k")

    def test_refused_stream_fails_the_tail_without_retrying(self) -> None:
        tail = self.tail(self.a, self.b)
        d = tail.get_next()
        transport = self.a.accept_next()
        transport.protocol.dataReceived(b"\xbf")  # no update log on this server
        self.failureResultOf(d, KTBinaryError)
        self.clock.advance(600)
        self.assertEqual((len(self.a.attempts), len(self.b.attempts)), (1, 0))
        # later reads fail too instead of waiting forever
        self.failureResultOf(tail.get_next(), KTBinaryError)

    def test_close_ends_the_stream_and_the_retries(self) -> None:
        tail = self.tail(self.a)
        tail.get_next()
        transport = self.accept(self.a)
        self.successResultOf(tail.close())
        self.assertTrue(transport.closed)
        self.clock.advance(600)
        self.assertEqual(len(self.a.attempts), 1)

    def test_close_while_waiting_to_retry(self) -> None:
        tail = self.tail(self.a)
        tail.get_next()
        self.a.refuse_next()
        self.successResultOf(tail.close())
        self.clock.advance(600)
        self.assertEqual(len(self.a.attempts), 1)

    def test_reading_pauses_at_the_high_water_mark(self) -> None:
        tail = self.tail(self.a, high_water=3)
        first = tail.get_next()
        transport = self.accept(self.a)
        frames = b"".join(log_frame(START_NS + i, b"k%d" % i) for i in range(1, 8))
        transport.protocol.dataReceived(frames)
        self.assertEqual(self.successResultOf(first)["key"], b"k1")
        self.assertEqual(transport.producerState, "paused")
        keys = [self.successResultOf(tail.get_next())["key"] for _ in range(6)]
        self.assertEqual(keys, [b"k%d" % i for i in range(2, 8)])
        self.assertEqual(transport.producerState, "producing")

    def test_failover_after_must_be_positive(self) -> None:
        for bad in (0, -1, True, 1.5):
            with self.assertRaises(ParameterError):
                self.tail(self.a, failover_after=bad)
