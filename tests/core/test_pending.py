"""Tests for txkv.pending: both request tables, including a hypothesis interleaving property."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from hypothesis import given, settings
from hypothesis import strategies as st
from twisted.internet.defer import CancelledError, Deferred
from twisted.internet.task import Clock
from twisted.python.failure import Failure
from twisted.trial.unittest import SynchronousTestCase

from txkv.errors import (
    ConnectionLostError,
    NotConnectedError,
    ProtocolError,
    RequestTimeoutError,
    ServerError,
)
from txkv.pending import FifoPendingRequests, PendingRequests


class Outcome:
    """Records how a Deferred fired, and how many times."""

    def __init__(self, d: Deferred[Any]) -> None:
        self.results: List[Any] = []
        d.addBoth(self._record)

    def _record(self, result: Any) -> None:
        self.results.append(result)

    @property
    def value(self) -> Any:
        assert len(self.results) == 1, self.results
        return self.results[0]


class PendingRequestsTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.clock = Clock()
        self.table = PendingRequests(self.clock, default_timeout=5.0, node="n1:1")

    def test_reply_fires_deferred_and_empties_table(self) -> None:
        rid = self.table.next_id()
        out = Outcome(self.table.add(rid, op="get"))
        self.assertEqual(len(self.table), 1)
        self.assertTrue(self.table.reply(rid, b"v"))
        self.assertEqual(out.value, b"v")
        self.assertEqual(len(self.table), 0)

    def test_ids_are_unique(self) -> None:
        ids = {self.table.next_id() for _ in range(1000)}
        self.assertEqual(len(ids), 1000)

    def test_duplicate_id_rejected(self) -> None:
        self.table.add(7)
        self.assertRaises(ValueError, self.table.add, 7)

    def test_error_fires_errback(self) -> None:
        out = Outcome(self.table.add(1, op="put"))
        self.table.error(1, ServerError(code=1000, server_message="no cache"))
        self.assertIsInstance(out.value, Failure)
        self.assertIsInstance(out.value.value, ServerError)
        self.assertEqual(out.value.value.code, 1000)

    def test_unknown_reply_is_reported_not_raised(self) -> None:
        self.assertFalse(self.table.reply(99, b"late"))

    def test_cancel_removes_entry_and_late_reply_is_dropped(self) -> None:
        d = self.table.add(1)
        out = Outcome(d)
        d.cancel()
        self.assertEqual(len(self.table), 0)
        out.value.trap(CancelledError)
        self.assertFalse(self.table.reply(1, b"late"))
        self.assertEqual(len(out.results), 1)

    def test_timeout_fails_with_txkv_timeout(self) -> None:
        out = Outcome(self.table.add(1, op="get"))
        self.clock.advance(4.9)
        self.assertEqual(out.results, [])
        self.clock.advance(0.2)
        err = out.value.value
        self.assertIsInstance(err, RequestTimeoutError)
        self.assertEqual((err.op, err.node, err.timeout), ("get", "n1:1", 5.0))
        self.assertEqual(len(self.table), 0)
        self.assertFalse(self.table.reply(1, b"late"))

    def test_per_request_timeout_overrides_default(self) -> None:
        slow = Outcome(self.table.add(1, timeout=10))
        fast = Outcome(self.table.add(2, timeout=1))
        never = Outcome(self.table.add(3, timeout=0))
        self.clock.advance(1.5)
        self.assertIsInstance(fast.value.value, RequestTimeoutError)
        self.assertEqual(slow.results, [])
        self.clock.advance(9)
        self.assertIsInstance(slow.value.value, RequestTimeoutError)
        self.clock.advance(1000)
        self.assertEqual(never.results, [])
        self.assertEqual(len(self.table), 1)

    def test_reply_before_timeout_cancels_nothing_else(self) -> None:
        a = Outcome(self.table.add(1))
        b = Outcome(self.table.add(2))
        self.table.reply(1, "a")
        self.clock.advance(6)
        self.assertEqual(a.value, "a")
        self.assertIsInstance(b.value.value, RequestTimeoutError)
        self.assertEqual(self.clock.getDelayedCalls(), [])

    def test_fail_all_then_new_requests_fail_at_once(self) -> None:
        outs = [Outcome(self.table.add(i)) for i in range(3)]
        self.table.fail_all(ConnectionLostError("gone"))
        for o in outs:
            self.assertIsInstance(o.value.value, ConnectionLostError)
        self.assertTrue(self.table.closed)
        late = Outcome(self.table.add(10, op="get"))
        self.assertIsInstance(late.value.value, NotConnectedError)
        self.assertEqual(len(self.table), 0)
        self.assertEqual(self.clock.getDelayedCalls(), [])

    def test_answered_requests_leave_no_timer_behind(self) -> None:
        for i in range(10_000):
            self.table.add(i)
            self.table.reply(i, None)
        self.assertEqual(len(self.clock.getDelayedCalls()), 1)  # one timer, however many requests
        self.clock.advance(5.0)
        self.assertEqual(self.clock.getDelayedCalls(), [])


class FifoPendingRequestsTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.clock = Clock()
        self.table = FifoPendingRequests(self.clock, default_timeout=5.0)

    def test_replies_in_order(self) -> None:
        a, b = Outcome(self.table.add("get")), Outcome(self.table.add("set"))
        self.assertEqual(self.table.peek_op(), "get")
        self.table.reply(1)
        self.table.reply(2)
        self.assertEqual((a.value, b.value), (1, 2))
        self.assertEqual(len(self.table), 0)

    def test_cancelled_request_keeps_its_slot(self) -> None:
        a = self.table.add()
        cancelled = Outcome(a)
        b = Outcome(self.table.add())
        a.cancel()
        cancelled.value.trap(CancelledError)
        self.assertEqual(len(self.table), 2)
        self.assertFalse(self.table.reply("for a"))
        self.assertTrue(self.table.reply("for b"))
        self.assertEqual(b.value, "for b")

    def test_error_for_an_abandoned_slot_is_consumed_not_passed_on(self) -> None:
        a = self.table.add("get")
        Outcome(a)
        b = Outcome(self.table.add("put"))
        a.cancel()
        self.assertEqual((len(self.table), self.table.waiting), (2, 1))
        self.assertEqual(self.table.peek_op(), "get")  # the parser still expects a's reply
        self.assertFalse(self.table.error(ServerError("for a")))
        self.assertEqual(b.results, [])
        self.assertEqual(self.table.peek_op(), "put")
        self.assertTrue(self.table.reply("for b"))
        self.assertEqual(b.value, "for b")
        self.assertEqual((len(self.table), self.table.waiting), (0, 0))

    def test_timeout_error_names_op_and_node(self) -> None:
        table = FifoPendingRequests(self.clock, default_timeout=1.0, node="kt:1978")
        out = Outcome(table.add("get_bulk"))
        self.clock.advance(1)
        err = out.value.value
        self.assertEqual((type(err), err.op, err.node, err.timeout),
                         (RequestTimeoutError, "get_bulk", "kt:1978", 1.0))
        self.assertEqual(len(table), 1)  # the slot waits for the late reply

    def test_timeout_keeps_slot(self) -> None:
        a = Outcome(self.table.add("get"))
        self.clock.advance(6)
        self.assertIsInstance(a.value.value, RequestTimeoutError)
        b = Outcome(self.table.add("get"))
        self.table.reply("late reply for a")
        self.table.reply("b")
        self.assertEqual(b.value, "b")

    def test_reply_without_request_is_protocol_error(self) -> None:
        self.assertRaises(ProtocolError, self.table.reply, "stray")

    def test_fail_all(self) -> None:
        a = Outcome(self.table.add())
        c = self.table.add()
        Outcome(c)
        c.cancel()
        self.table.fail_all(ConnectionLostError())
        self.assertIsInstance(a.value.value, ConnectionLostError)
        self.assertIsInstance(Outcome(self.table.add()).value.value, NotConnectedError)


ops = st.lists(
    st.tuples(
        st.sampled_from(["send", "reply", "error", "cancel", "advance", "disconnect"]),
        st.integers(0, 20),
        st.sampled_from([None, 0.5, 1.0, 3.0, 0]),
    ),
    max_size=60,
)


class InterleavingPropertyTests(SynchronousTestCase):
    @settings(max_examples=300, deadline=None)
    @given(ops)
    def test_every_deferred_fires_once_and_table_ends_empty(self, script: list) -> None:
        clock = Clock()
        table = PendingRequests(clock, default_timeout=2.0)
        outcomes: Dict[int, Outcome] = {}
        deferreds: Dict[int, Deferred[Any]] = {}
        for action, n, timeout in script:
            if action == "send":
                rid = table.next_id()
                d = table.add(rid, timeout=timeout)
                deferreds[rid] = d
                outcomes[rid] = Outcome(d)
            elif action in ("reply", "error", "cancel") and deferreds:
                rid = sorted(deferreds)[n % len(deferreds)]
                if action == "reply":
                    table.reply(rid, rid)
                elif action == "error":
                    table.error(rid, ServerError("boom"))
                else:
                    deferreds[rid].cancel()
            elif action == "advance":
                clock.advance(n / 10)
            elif action == "disconnect":
                table.fail_all(ConnectionLostError())
            for o in outcomes.values():
                self.assertLessEqual(len(o.results), 1)
        table.fail_all(ConnectionLostError())
        for rid, o in outcomes.items():
            self.assertEqual(len(o.results), 1, rid)
            if not isinstance(o.results[0], Failure):
                self.assertEqual(o.results[0], rid)
        self.assertEqual(len(table), 0)
        self.assertEqual(clock.getDelayedCalls(), [])

    @settings(max_examples=300, deadline=None)
    @given(ops)
    def test_fifo_replies_reach_their_own_request(self, script: list) -> None:
        clock = Clock()
        table = FifoPendingRequests(clock, default_timeout=2.0)
        sent: List[Deferred[Any]] = []
        outcomes: List[Outcome] = []
        replied = 0
        for action, n, timeout in script:
            if action == "send":
                d = table.add(timeout=timeout)
                sent.append(d)
                outcomes.append(Outcome(d))
            elif action in ("reply", "error") and replied < len(sent) and not table.closed:
                if action == "reply":
                    table.reply(replied)
                else:
                    table.error(ServerError("x"))
                replied += 1
            elif action == "cancel" and sent:
                sent[n % len(sent)].cancel()
            elif action == "advance":
                clock.advance(n / 10)
            elif action == "disconnect":
                table.fail_all(ConnectionLostError())
        table.fail_all(ConnectionLostError())
        for index, o in enumerate(outcomes):
            self.assertEqual(len(o.results), 1)
            if not isinstance(o.results[0], Failure):
                self.assertEqual(o.results[0], index)  # never someone else's reply
        self.assertEqual(len(table), 0)
        self.assertEqual(clock.getDelayedCalls(), [])


timed = st.lists(
    st.tuples(st.sampled_from([None, 0.5, 1.0, 3.0]), st.integers(0, 20), st.booleans()),
    max_size=40,
)


class DeadlinePropertyTests(SynchronousTestCase):
    """Every request times out at the first clock tick at or after its own deadline."""

    def check(self, table: Any, add: Any, answer: Any, script: list, clock: Clock) -> None:
        ticks: List[float] = [clock.seconds()]
        deadlines: List[float] = []
        failed_at: Dict[int, float] = {}
        answered: List[int] = []
        for timeout, step, reply in script:
            index = len(deadlines)
            deadlines.append(clock.seconds() + (2.0 if timeout is None else timeout))
            d = add(timeout)
            d.addCallbacks(lambda _, i=index: answered.append(i),
                           lambda f, i=index: failed_at.setdefault(
                               i, clock.seconds()) if f.check(RequestTimeoutError) else None)
            if reply:
                answer(index)
            clock.advance(step / 37)  # irregular steps: deadlines fall between ticks
            ticks.append(clock.seconds())
        clock.advance(10)
        ticks.append(clock.seconds())
        for index, deadline in enumerate(deadlines):
            if index in answered:
                self.assertNotIn(index, failed_at)
                continue
            due = min(t for t in ticks if t >= deadline)
            self.assertEqual(failed_at.get(index), due, index)
        self.assertEqual(clock.getDelayedCalls(), [])
        table.fail_all(ConnectionLostError())

    @settings(max_examples=200, deadline=None)
    @given(timed)
    def test_id_table(self, script: list) -> None:
        clock = Clock()
        table = PendingRequests(clock, default_timeout=2.0)
        ids: List[int] = []

        def add(timeout: Optional[float]) -> Deferred[Any]:
            ids.append(table.next_id())
            return table.add(ids[-1], timeout=timeout)

        self.check(table, add, lambda i: table.reply(ids[i], None), script, clock)

    @settings(max_examples=200, deadline=None)
    @given(timed)
    def test_fifo_table(self, script: list) -> None:
        clock = Clock()
        table = FifoPendingRequests(clock, default_timeout=2.0)
        replied = [0]

        def answer(index: int) -> None:
            while replied[0] <= index:  # FIFO: answer everything up to ``index`` in order
                table.reply(None)
                replied[0] += 1

        self.check(table, lambda t: table.add(timeout=t), answer, script, clock)
