"""Client protocols on StringTransport + Clock: pipelining, no-reply, errors, timeouts,
cancellation, disconnects, HTTP keep-alive and replication streams."""

from __future__ import annotations

from typing import Any, List, Tuple

from twisted.internet.defer import CancelledError
from twisted.internet.task import Clock
from twisted.internet.testing import StringTransport
from twisted.trial.unittest import SynchronousTestCase

from tests.tcp_pair import read_available, tcp_pair
from txkv.errors import ConnectionLostError, NotConnectedError, ProtocolError, RequestTimeoutError
from txkv.kyoto import kt_codec as bc
from txkv.kyoto.kt_errors import KTBinaryError
from txkv.kyoto.kt_protocol import KTBinaryProtocol, KTHTTPProtocol, KTReplicationProtocol
from txkv.kyoto.kt_values import OP_SET, UpdateLog, encode_ulog


def connected(cls: Any, clock: Clock, timeout: Any = None) -> Tuple[Any, StringTransport]:
    proto = cls(clock, timeout)
    transport = StringTransport()
    proto.makeConnection(transport)
    return proto, transport


class BinaryProtocolTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.clock = Clock()
        self.proto, self.transport = connected(KTBinaryProtocol, self.clock, 5.0)

    def test_pipelined_replies_in_order_any_split(self) -> None:
        d1 = self.proto.request(bc.encode_get_bulk([(0, b"k")]), bc.GetBulkReplyParser(), "get")
        d2 = self.proto.request(b"x", bc.CountReplyParser(bc.MAGIC_SET_BULK), "set")
        d3 = self.proto.request(b"y", bc.CountReplyParser(bc.MAGIC_REMOVE_BULK), "remove")
        self.assertEqual(self.transport.value()[:1], b"\xba")
        replies = (bc.encode_get_bulk_reply([(0, b"k", b"v" * 100, bc.XT_MAX)])
                   + bytes.fromhex("b800000001 b900000000"))
        for i in range(len(replies)):
            self.proto.dataReceived(replies[i:i + 1])
        self.assertEqual(self.successResultOf(d1), [(0, b"k", b"v" * 100, bc.XT_MAX)])
        self.assertEqual(self.successResultOf(d2), 1)
        self.assertEqual(self.successResultOf(d3), 0)
        self.assertEqual(self.proto.in_flight, 0)

    def test_no_reply_fires_at_once_and_adds_no_slot(self) -> None:
        d = self.proto.request(b"frame", None, "set")
        self.assertIsNone(self.successResultOf(d))
        self.assertEqual(self.transport.value(), b"frame")
        self.assertEqual(self.proto.in_flight, 0)

    def test_error_reply_fails_only_its_request(self) -> None:
        d1 = self.proto.request(b"a", bc.PlayScriptReplyParser(), "play_script x")
        d2 = self.proto.request(b"b", bc.CountReplyParser(bc.MAGIC_SET_BULK), "set")
        self.proto.dataReceived(b"\xbf" + bytes.fromhex("b800000002"))
        err = self.failureResultOf(d1, KTBinaryError).value
        self.assertEqual(err.op, "play_script x")
        self.assertEqual(self.successResultOf(d2), 2)

    def test_timeout_keeps_slot_so_late_reply_is_dropped(self) -> None:
        d1 = self.proto.request(b"a", bc.CountReplyParser(bc.MAGIC_SET_BULK), "set")
        self.clock.advance(5.0)
        self.failureResultOf(d1, RequestTimeoutError)
        d2 = self.proto.request(b"b", bc.CountReplyParser(bc.MAGIC_SET_BULK), "set")
        self.proto.dataReceived(bytes.fromhex("b800000007 b800000008"))
        self.assertEqual(self.successResultOf(d2), 8)

    def test_cancel_keeps_order(self) -> None:
        d1 = self.proto.request(b"a", bc.CountReplyParser(bc.MAGIC_SET_BULK), "set")
        d2 = self.proto.request(b"b", bc.CountReplyParser(bc.MAGIC_SET_BULK), "set")
        d1.cancel()
        self.failureResultOf(d1, CancelledError)
        self.proto.dataReceived(bytes.fromhex("b800000001 b800000002"))
        self.assertEqual(self.successResultOf(d2), 2)

    def test_connection_lost_fails_pending_and_new(self) -> None:
        d = self.proto.request(b"a", bc.CountReplyParser(bc.MAGIC_SET_BULK), "set")
        self.proto.connectionLost()
        self.failureResultOf(d, ConnectionLostError)
        self.failureResultOf(self.proto.request(b"b", None, "set"), NotConnectedError)
        self.failureResultOf(
            self.proto.request(b"b", bc.CountReplyParser(bc.MAGIC_SET_BULK), "set"),
            NotConnectedError)

    def test_garbage_is_protocol_error_and_disconnects(self) -> None:
        d = self.proto.request(b"a", bc.CountReplyParser(bc.MAGIC_SET_BULK), "set")
        self.proto.dataReceived(b"\x01garbage")
        self.failureResultOf(d, ProtocolError)
        self.assertTrue(self.transport.disconnecting)

    def test_lone_reply_in_any_split(self) -> None:
        reply = bc.encode_get_bulk_reply([(0, b"k", b"v" * 100, bc.XT_MAX)])
        for cut in (1, 5, 22, 23, len(reply) - 1):
            d = self.proto.request(bc.encode_get_one(0, b"k"), bc.GetOneReplyParser(), "get")
            self.proto.dataReceived(reply[:cut])
            self.assertNoResult(d)
            self.proto.dataReceived(reply[cut:])
            self.assertEqual(self.successResultOf(d), b"v" * 100)
            self.assertEqual((self.proto.in_flight, len(self.proto._buf)), (0, 0))

    def test_lone_reply_followed_by_stray_bytes(self) -> None:
        d = self.proto.request(b"a", bc.CountReplyParser(bc.MAGIC_SET_BULK), "set")
        self.proto.dataReceived(bytes.fromhex("b800000001 b8"))
        self.assertEqual(self.successResultOf(d), 1)  # its own reply is delivered first
        self.assertTrue(self.transport.disconnecting)  # then the stray byte closes the link

    def test_unsolicited_bytes_disconnect(self) -> None:
        self.proto.dataReceived(b"\xb8\x00")
        self.assertTrue(self.transport.disconnecting)


class HTTPProtocolTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.clock = Clock()
        self.proto, self.transport = connected(KTHTTPProtocol, self.clock)

    def test_request_bytes_and_pipelined_responses(self) -> None:
        d1 = self.proto.request(b"/rpc/get", b"a2V5\taw==", b"text/tab-separated-values; colenc=B",
                                "get")
        d2 = self.proto.request(b"/rpc/void", b"", b"text/tab-separated-values", "void")
        sent = self.transport.value()
        self.assertTrue(sent.startswith(b"POST /rpc/get HTTP/1.1\r\nHost: "))
        self.assertIn(b"Content-Length: 9\r\n\r\na2V5\taw==POST /rpc/void", sent)
        replies = (b"HTTP/1.1 450 X\r\nContent-Length: 6\r\n\r\nERROR\t"
                   b"HTTP/1.1 200 OK\r\nContent-Type: text/tab-separated-values\r\n"
                   b"Content-Length: 0\r\n\r\n")
        for i in range(0, len(replies), 7):
            self.proto.dataReceived(replies[i:i + 7])
        r1, r2 = self.successResultOf(d1), self.successResultOf(d2)
        self.assertEqual((r1.status, r1.body), (450, b"ERROR\t"))
        self.assertEqual((r2.status, r2.content_type), (200, b"text/tab-separated-values"))

    def test_connection_close_response_marks_unusable(self) -> None:
        d1 = self.proto.request(b"/rpc/void", b"", b"t", "void")
        d2 = self.proto.request(b"/rpc/void", b"", b"t", "void")
        self.proto.dataReceived(
            b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")
        self.assertEqual(self.successResultOf(d1).status, 200)
        self.assertFalse(self.proto.usable)
        self.assertTrue(self.transport.disconnecting)
        self.proto.connectionLost()
        self.failureResultOf(d2, ConnectionLostError)

    def test_body_until_close(self) -> None:
        d = self.proto.request(b"/rpc/void", b"", b"t", "void")
        self.proto.dataReceived(b"HTTP/1.0 200 OK\r\n\r\npartial")
        self.assertNoResult(d)
        self.proto.dataReceived(b" body")
        self.proto.connectionLost()
        self.assertEqual(self.successResultOf(d).body, b"partial body")


class ReplicationProtocolTests(SynchronousTestCase):
    def test_stream_heartbeat_and_resume_point(self) -> None:
        logs: List[Tuple[int, bytes]] = []
        proto = KTReplicationProtocol(5, 100, lambda ts, body: logs.append((ts, body)))
        transport = StringTransport()
        proto.makeConnection(transport)
        self.assertEqual(transport.value(), bc.encode_replication(5, 100))
        transport.clear()
        body = encode_ulog(UpdateLog(9, 0, OP_SET, b"k", b"v", bc.XT_MAX))
        data = (b"\xb1" + bc.encode_replication_log(123, body) + bc.encode_replication_log(124, b"")
                + bc.encode_replication_nop(124))
        for i in range(len(data)):
            proto.dataReceived(data[i:i + 1])
        self.successResultOf(proto.accepted)
        self.assertEqual(logs, [(123, body)])  # the empty keep-alive log is skipped
        self.assertEqual(transport.value(), b"\xb1")  # heartbeat answered
        self.assertEqual(proto.ts, 123)

    def test_refused(self) -> None:
        proto = KTReplicationProtocol(0, 1, lambda ts, body: None)
        transport = StringTransport()
        proto.makeConnection(transport)
        proto.dataReceived(b"\xbf")
        self.failureResultOf(proto.accepted, KTBinaryError)
        self.assertTrue(transport.disconnecting)


class FlushTests(SynchronousTestCase):
    """A request alone in flight goes on the socket at once; pipelined ones queue and coalesce."""

    def setUp(self) -> None:
        self.proto = KTBinaryProtocol(Clock())
        self.transport, self.peer, _ = tcp_pair(self.proto)
        self.addCleanup(self.peer.close)
        self.addCleanup(self.transport.socket.close)

    def queued(self) -> bytes:
        return b"".join(self.transport._tempDataBuffer)

    def test_only_the_first_of_a_pipeline_is_sent_at_once(self) -> None:
        self.proto.request(b"a", bc.CountReplyParser(bc.MAGIC_SET_BULK), "set")
        self.assertEqual((read_available(self.peer), self.queued()), (b"a", b""))
        self.proto.request(b"b", bc.CountReplyParser(bc.MAGIC_SET_BULK), "set")
        self.proto.request(b"c", bc.CountReplyParser(bc.MAGIC_SET_BULK), "set")
        self.assertEqual((read_available(self.peer), self.queued()), (b"", b"bc"))

    def test_nothing_is_sent_while_disconnecting(self) -> None:
        self.transport.disconnecting = True
        self.proto.request(b"a", None, "set")
        self.assertEqual(read_available(self.peer), b"")

