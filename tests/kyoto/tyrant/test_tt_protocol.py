"""The Tokyo Tyrant client protocol on a StringTransport and a Clock."""

from __future__ import annotations

from typing import Any, List

from twisted.internet.defer import CancelledError
from twisted.internet.task import Clock
from twisted.internet.testing import StringTransport
from twisted.python.failure import Failure
from twisted.trial.unittest import SynchronousTestCase

from txkv.errors import ConnectionLostError, NotConnectedError, ProtocolError, RequestTimeoutError
from txkv.kyoto.tyrant import codec
from txkv.kyoto.tyrant.codec import Cmd, Reply
from txkv.kyoto.tyrant.protocol import TokyoTyrantFactory, TokyoTyrantProtocol


class ProtocolTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.clock = Clock()
        self.proto = TokyoTyrantFactory(self.clock, timeout=5.0).buildProtocol(None)
        assert isinstance(self.proto, TokyoTyrantProtocol)
        self.transport = StringTransport()
        self.proto.makeConnection(self.transport)

    def sent(self) -> bytes:
        data = self.transport.value()
        self.transport.clear()
        return bytes(data)

    def get(self, key: bytes) -> Any:
        return self.proto.request(Cmd.GET, codec.encode_key(Cmd.GET, key))

    def test_request_and_reply(self) -> None:
        d = self.get(b"k")
        self.assertEqual(self.sent(), bytes.fromhex("c8 30 00 00 00 01 6b"))
        self.assertNoResult(d)
        self.proto.dataReceived(bytes.fromhex("00 00 00 00 01 76"))
        self.assertEqual(self.successResultOf(d), Reply(0, b"v"))
        self.assertEqual(self.proto.pending.waiting, 0)

    def test_pipelined_replies_in_order_across_chunk_boundaries(self) -> None:
        ds = [self.get(b"a"), self.proto.request(Cmd.RNUM, codec.encode_simple(Cmd.RNUM)),
              self.get(b"b"), self.proto.request(Cmd.MISC, codec.encode_misc(b"getlist", []))]
        self.assertEqual(self.proto.in_flight, 4)
        replies = (codec.reply_value(b"A") + codec.reply_long(7) + codec.reply_value(None)
                   + codec.reply_misc([b"x", b"y"]))
        for i in range(len(replies)):
            self.proto.dataReceived(replies[i:i + 1])
        self.assertEqual([self.successResultOf(d) for d in ds],
                         [Reply(0, b"A"), Reply(0, 7), Reply(1, None), Reply(0, [b"x", b"y"])])

    def test_putnr_takes_no_reply_slot(self) -> None:
        frame = codec.encode_key_value(Cmd.PUTNR, b"k", b"v")
        d1 = self.proto.request(Cmd.PUTNR, frame)
        self.assertEqual(self.successResultOf(d1), Reply(0, None))
        d2 = self.get(b"k")
        self.assertEqual(self.proto.in_flight, 1)
        self.assertEqual(self.sent(), frame + codec.encode_key(Cmd.GET, b"k"))
        self.proto.dataReceived(codec.reply_value(b"v"))
        self.assertEqual(self.successResultOf(d2), Reply(0, b"v"))

    def test_pipeline_writes_once(self) -> None:
        requests = [(Cmd.GET, codec.encode_key(Cmd.GET, b"k")),
                    (Cmd.OUT, codec.encode_key(Cmd.OUT, b"k"))]
        writes: List[bytes] = []
        self.transport.write = writes.append  # type: ignore[method-assign]
        ds = self.proto.pipeline(requests)
        self.assertEqual(writes, [requests[0][1] + requests[1][1]])
        self.proto.dataReceived(codec.reply_value(b"v") + b"\x00")
        self.assertEqual([self.successResultOf(d) for d in ds], [Reply(0, b"v"), Reply(0, None)])

    def test_timeout_keeps_the_slot_so_later_replies_stay_matched(self) -> None:
        slow = self.get(b"slow")
        self.clock.advance(3)
        fast = self.get(b"fast")
        self.clock.advance(2.5)
        self.failureResultOf(slow, RequestTimeoutError)
        self.assertNoResult(fast)
        self.proto.dataReceived(codec.reply_value(b"late") + codec.reply_value(b"mine"))
        self.assertEqual(self.successResultOf(fast), Reply(0, b"mine"))
        self.assertEqual(self.proto.in_flight, 0)
        self.assertEqual(len(self.proto.pending), 0)

    def test_cancel_keeps_reply_order(self) -> None:
        first, second = self.get(b"a"), self.get(b"b")
        first.cancel()
        self.failureResultOf(first, CancelledError)
        self.proto.dataReceived(codec.reply_value(b"A"))
        self.assertNoResult(second)
        self.proto.dataReceived(codec.reply_value(b"B"))
        self.assertEqual(self.successResultOf(second), Reply(0, b"B"))

    def test_per_request_timeout_overrides_default(self) -> None:
        d = self.proto.request(Cmd.GET, codec.encode_key(Cmd.GET, b"k"), timeout=0.5)
        self.clock.advance(0.6)
        f = self.failureResultOf(d, RequestTimeoutError)
        self.assertEqual(f.value.op, "get")

    def test_connection_lost_fails_everything_and_refuses_new_requests(self) -> None:
        ds = [self.get(b"a"), self.get(b"b")]
        self.proto.connectionLost(Failure(ConnectionError("gone")))
        for d in ds:
            self.failureResultOf(d, ConnectionLostError)
        self.failureResultOf(self.get(b"c"), NotConnectedError)
        self.assertEqual(self.clock.getDelayedCalls(), [])

    def test_unexpected_bytes_are_a_protocol_error(self) -> None:
        self.proto.dataReceived(b"\x00")
        self.assertTrue(self.transport.disconnecting)
        self.failureResultOf(self.get(b"x"), NotConnectedError)

    def test_absurd_reply_fails_pending_and_closes(self) -> None:
        d = self.proto.request(Cmd.MISC, codec.encode_misc(b"x", []))
        other = self.get(b"k")
        self.proto.dataReceived(bytes.fromhex("00 7f ff ff ff"))
        self.failureResultOf(d, ProtocolError)
        self.failureResultOf(other, ProtocolError)
        self.assertTrue(self.transport.disconnecting)

    def test_close(self) -> None:
        d = self.get(b"k")
        self.successResultOf(self.proto.close())
        self.assertTrue(self.transport.disconnecting)
        self.failureResultOf(self.get(b"x"), NotConnectedError)
        self.proto.connectionLost(Failure(ConnectionError("closed")))
        self.failureResultOf(d, ConnectionLostError)

    def test_large_list_reply_in_many_chunks(self) -> None:
        keys = [b"key-%05d" % i for i in range(3000)]
        d = self.proto.request(Cmd.FWMKEYS, codec.encode_fwmkeys(b"key-", None))
        data = codec.reply_keys(keys)
        for i in range(0, len(data), 1000):
            self.proto.dataReceived(data[i:i + 1000])
        self.assertEqual(self.successResultOf(d), Reply(0, keys))
