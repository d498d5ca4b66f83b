"""The embedded Kyoto Tycoon server, driven byte by byte over StringTransport with a Clock."""

from __future__ import annotations

from typing import Dict, List, Tuple

from twisted.internet.task import Clock
from twisted.internet.testing import StringTransport
from twisted.trial.unittest import SynchronousTestCase

from txkv.kyoto import kt_codec as bc
from txkv.kyoto.kt_http import ResponseParser
from txkv.kyoto.kt_server import KTServerFactory, KTServerProtocol, build_state
from txkv.kyoto.kt_tsv import decode_body, encode_request_body
from txkv.kyoto.kt_values import pack_double, pack_int

NOW = 1_700_000_000.0


class Conn:
    """A server connection on a StringTransport."""

    def __init__(self, factory: KTServerFactory) -> None:
        self.proto = factory.buildProtocol(None)
        assert isinstance(self.proto, KTServerProtocol)
        self.transport = StringTransport()
        self.proto.makeConnection(self.transport)

    def send(self, data: bytes) -> bytes:
        self.proto.dataReceived(data)
        out = self.transport.value()
        self.transport.clear()
        return out

    def rpc(self, name: str, pairs: List[Tuple[bytes, bytes]]) -> Tuple[int, Dict[bytes, bytes]]:
        body = encode_request_body(pairs)
        raw = (f"POST /rpc/{name} HTTP/1.1\r\nHost: x\r\n"
               f"Content-Type: text/tab-separated-values; colenc=B\r\n"
               f"Content-Length: {len(body)}\r\n\r\n").encode() + body
        out = self.send(raw)
        parser = ResponseParser()
        assert parser.parse(memoryview(out)) == len(out)
        resp = parser.result
        assert resp is not None
        return resp.status, dict(decode_body(resp.body, resp.content_type))


class ServerTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.clock = Clock()
        self.clock.advance(NOW)
        self.state = build_state(["*", "data/users.kct"], clock=self.clock, ulog=True, sid=7)
        self.factory = KTServerFactory(self.state)
        self.conn = Conn(self.factory)

    def get(self, key: bytes, db: int = 0) -> List[Tuple[int, bytes, bytes, int]]:
        out = self.conn.send(bc.encode_get_bulk([(db, key)]))
        parser = bc.GetBulkReplyParser()
        assert parser.parse(memoryview(out)) == len(out)
        return parser.result  # type: ignore[no-any-return]

    def test_binary_set_get_remove(self) -> None:
        out = self.conn.send(bc.encode_set_bulk([(0, b"k", b"v", bc.XT_NONE)]))
        self.assertEqual(out, bytes.fromhex("b800000001"))
        self.assertEqual(self.get(b"k"), [(0, b"k", b"v", bc.XT_MAX)])
        self.assertEqual(self.conn.send(bc.encode_remove_bulk([(0, b"k"), (0, b"zz")])),
                         bytes.fromhex("b900000001"))
        self.assertEqual(self.conn.send(bc.encode_get_bulk([(0, b"k")])),
                         bytes.fromhex("ba00000000"))

    def test_no_reply_and_bad_dbidx_skipped(self) -> None:
        self.assertEqual(self.conn.send(bc.encode_set_bulk(
            [(0, b"a", b"1", bc.XT_NONE), (9, b"b", b"2", bc.XT_NONE)], no_reply=True)), b"")
        self.assertEqual(self.conn.send(bc.encode_set_bulk([(9, b"b", b"2", bc.XT_NONE)])),
                         bytes.fromhex("b800000000"))
        self.assertEqual(self.get(b"a")[0][2], b"1")

    def test_pipelined_requests_split_anywhere(self) -> None:
        frames = (bc.encode_set_bulk([(1, b"k", b"v", 60)]) + bc.encode_get_bulk([(1, b"k")])
                  + b"POST /rpc/void HTTP/1.1\r\nContent-Length: 0\r\n\r\n"
                  + bc.encode_remove_bulk([(1, b"k")]))
        out = b"".join(self.conn.send(frames[i:i + 3]) for i in range(0, len(frames), 3))
        expected_get = bc.encode_get_bulk_reply([(1, b"k", b"v", int(NOW) + 60)])
        head = bytes.fromhex("b800000001") + expected_get + b"HTTP/1.1 200"
        self.assertTrue(out.startswith(head))
        self.assertTrue(out.endswith(bytes.fromhex("b900000001")))

    def test_expiry_follows_clock(self) -> None:
        self.conn.send(bc.encode_set_bulk([(0, b"t", b"v", 10)]))
        self.clock.advance(10.5)
        self.assertEqual(len(self.get(b"t")), 1)  # alive while now <= xt (whole seconds)
        self.clock.advance(1)
        self.assertEqual(self.get(b"t"), [])
        self.conn.send(bc.encode_set_bulk([(0, b"abs", b"v", -int(NOW) - 100)]))
        self.assertEqual(self.get(b"abs")[0][3], int(NOW) + 100)

    def test_unknown_magic_closes_silently(self) -> None:
        self.assertEqual(self.conn.send(b"\xb2\x00\x00"), b"")
        self.assertTrue(self.transport_closed())

    def test_oversize_field_gives_error_and_close(self) -> None:
        frame = bytes.fromhex("ba 00000000 00000001 0000") + (bc.DATA_MAX_SIZE + 1).to_bytes(4,
                                                                                             "big")
        self.assertEqual(self.conn.send(frame), b"\xbf")
        self.assertTrue(self.transport_closed())

    def transport_closed(self) -> bool:
        return bool(self.conn.transport.disconnecting)

    def test_play_script_without_scripts_is_error_but_open(self) -> None:
        self.assertEqual(self.conn.send(bc.encode_play_script(b"x", [])), b"\xbf")
        self.assertFalse(self.transport_closed())
        self.assertEqual(self.conn.send(bc.encode_play_script(b"x", [], no_reply=True)), b"")

    def test_rpc_record_procedures(self) -> None:
        rpc = self.conn.rpc
        self.assertEqual(rpc("set", [(b"key", b"k"), (b"value", b"v")])[0], 200)
        self.assertEqual(rpc("add", [(b"key", b"k"), (b"value", b"x")])[0], 450)
        self.assertEqual(rpc("replace", [(b"key", b"nope"), (b"value", b"x")])[0], 450)
        self.assertEqual(rpc("append", [(b"key", b"k"), (b"value", b"2")])[0], 200)
        status, out = rpc("get", [(b"key", b"k")])
        self.assertEqual((status, out[b"value"]), (200, b"v2"))
        self.assertNotIn(b"xt", out)
        status, out = rpc("check", [(b"key", b"k"), (b"DB", b"0")])
        self.assertEqual(out[b"vsiz"], b"2")
        self.assertEqual(rpc("cas", [(b"key", b"k"), (b"oval", b"zz"), (b"nval", b"3")])[0], 450)
        self.assertEqual(rpc("cas", [(b"key", b"k"), (b"oval", b"v2"), (b"nval", b"3")])[0], 200)
        self.assertEqual(rpc("cas", [(b"key", b"new"), (b"nval", b"1")])[0], 200)
        self.assertEqual(rpc("cas", [(b"key", b"new"), (b"oval", b"1")])[0], 200)
        self.assertEqual(rpc("get", [(b"key", b"new")])[0], 450)
        status, out = rpc("seize", [(b"key", b"k"), (b"xt", b"100")])
        self.assertEqual(out[b"value"], b"3")
        self.assertEqual(rpc("remove", [(b"key", b"k")]),
                         (450, {b"ERROR": b"DB: 7: no record: no record"}))
        self.assertEqual(rpc("set", [(b"key", b"k")])[0], 400)
        self.assertEqual(rpc("get", [(b"key", b"k"), (b"DB", b"7")]),
                         (400, {b"ERROR": b"no such database"}))
        self.assertEqual(rpc("set", [(b"key", b"u"), (b"value", b"1"), (b"DB", b"users.kct")])[0],
                         200)
        self.assertEqual(self.get(b"u", db=1)[0][2], b"1")
        self.assertEqual(rpc("frobnicate", [])[0], 501)

    def test_rpc_get_reports_xt_only_when_expiring(self) -> None:
        self.conn.rpc("set", [(b"key", b"k"), (b"value", b"v"), (b"xt", b"30")])
        _, out = self.conn.rpc("get", [(b"key", b"k")])
        self.assertEqual(out[b"xt"], str(int(NOW) + 30).encode())

    def test_increment_formats(self) -> None:
        rpc = self.conn.rpc
        self.assertEqual(rpc("increment", [(b"key", b"n"), (b"num", b"5"), (b"orig", b"1")])[1],
                         {b"num": b"6"})
        self.assertEqual(self.get(b"n")[0][2], pack_int(6))
        self.assertEqual(rpc("increment", [(b"key", b"n"), (b"num", b"0")])[1][b"num"], b"6")
        self.assertEqual(rpc("increment", [(b"key", b"n"), (b"num", b"2"), (b"orig", b"set")])[1],
                         {b"num": b"2"})
        self.assertEqual(rpc("increment", [(b"key", b"m"), (b"num", b"1"), (b"orig", b"try")])[0],
                         450)
        self.assertEqual(rpc("increment_double", [(b"key", b"d"), (b"num", b"1.5")])[1],
                         {b"num": b"1.500000"})
        self.assertEqual(self.get(b"d")[0][2], pack_double(1.5))
        self.assertEqual(rpc("increment_double", [(b"key", b"d"), (b"num", b"-1.75")])[1],
                         {b"num": b"-0.250000"})
        self.assertEqual(rpc("increment", [(b"key", b"d"), (b"num", b"1")])[0], 450)

    def test_bulk_and_match_procedures(self) -> None:
        rpc = self.conn.rpc
        status, out = rpc("set_bulk", [(b"atomic", b""), (b"_ab", b"1"), (b"_ac", b"2"),
                                       (b"_b", b"3"), (b"_k1", b"x"), (b"_k2", b"y")])
        self.assertEqual(out, {b"num": b"5"})
        _, out = rpc("get_bulk", [(b"_ab", b""), (b"_zz", b""), (b"_b", b"")])
        self.assertEqual(out, {b"_ab": b"1", b"_b": b"3", b"num": b"2"})
        _, out = rpc("match_prefix", [(b"prefix", b"a")])
        self.assertEqual(out, {b"_ab": b"0", b"_ac": b"1", b"num": b"2"})
        _, out = rpc("match_prefix", [(b"prefix", b""), (b"max", b"1")])
        self.assertEqual(out, {b"_ab": b"0", b"num": b"1"})
        _, out = rpc("match_regex", [(b"regex", b"^k[0-9]$")])
        self.assertEqual(out[b"num"], b"2")
        self.assertEqual(rpc("match_regex", [(b"regex", b"(")])[0], 450)
        _, out = rpc("match_similar", [(b"origin", b"k3"), (b"range", b"1")])
        self.assertEqual(out, {b"_k1": b"0", b"_k2": b"1", b"num": b"2"})
        _, out = rpc("remove_bulk", [(b"_ab", b""), (b"_nope", b"")])
        self.assertEqual(out, {b"num": b"1"})
        _, out = rpc("status", [])
        self.assertEqual(out[b"count"], b"4")
        self.assertEqual(out[b"path"], b"*")
        _, out = rpc("report", [])
        self.assertEqual(out[b"db_1"], b"count=0 size=0 path=data/users.kct")
        self.assertEqual(rpc("clear", [])[0], 200)
        self.assertEqual(rpc("status", [])[1][b"count"], b"0")

    def test_cursor_walk_and_edges(self) -> None:
        rpc = self.conn.rpc
        rpc("set_bulk", [(b"_a", b"1"), (b"_b", b"2"), (b"_c", b"3")])
        cur = (b"CUR", b"5")
        self.assertEqual(rpc("cur_get", [cur])[0], 450)  # fresh: not positioned
        self.assertEqual(rpc("cur_jump", [cur, (b"key", b"b")])[0], 200)
        self.assertEqual(rpc("cur_get", [cur, (b"step", b"")])[1],
                         {b"key": b"b", b"value": b"2"})
        self.assertEqual(rpc("cur_get_key", [cur])[1], {b"key": b"c"})
        self.assertEqual(rpc("cur_step", [cur])[0], 450)
        self.assertEqual(rpc("cur_jump_back", [cur])[0], 200)
        self.assertEqual(rpc("cur_get_value", [cur])[1], {b"value": b"3"})
        self.assertEqual(rpc("cur_step_back", [cur])[0], 200)
        self.assertEqual(rpc("cur_set_value", [cur, (b"value", b"B")])[0], 200)
        self.assertEqual(rpc("cur_seize", [cur])[1], {b"key": b"b", b"value": b"B"})
        self.assertEqual(rpc("cur_get_key", [cur])[1], {b"key": b"c"})
        self.assertEqual(rpc("cur_remove", [cur])[0], 200)
        self.assertEqual(rpc("cur_get", [cur])[0], 450)
        self.assertEqual(rpc("cur_delete", [cur])[0], 200)
        self.assertEqual(rpc("cur_delete", [cur])[0], 501)
        # cursors belong to their connection
        rpc("cur_jump", [cur])
        other = Conn(self.factory)
        self.assertEqual(other.rpc("cur_get", [cur])[0], 450)
        self.assertEqual(rpc("cur_get_key", [cur])[1], {b"key": b"a"})

    def test_wait_and_signal(self) -> None:
        waiter = Conn(self.factory)
        body = encode_request_body([(b"WAIT", b"q"), (b"WAITTIME", b"5")])
        raw = (f"POST /rpc/void HTTP/1.1\r\nContent-Type: text/tab-separated-values; colenc=B\r\n"
               f"Content-Length: {len(body)}\r\n\r\n").encode() + body
        self.assertEqual(waiter.send(raw), b"")
        status, out = self.conn.rpc("set", [(b"key", b"k"), (b"value", b"v"), (b"SIGNAL", b"q")])
        self.assertEqual((status, out), (200, {b"SIGNALED": b"1"}))
        self.assertIn(b"HTTP/1.1 200", waiter.transport.value())
        waiter.transport.clear()
        waiter.send(raw)
        self.clock.advance(5)
        self.assertIn(b"HTTP/1.1 503", waiter.transport.value())

    def test_rest_interface(self) -> None:
        put = b"PUT /users.kct/k%20x HTTP/1.1\r\nContent-Length: 2\r\nX-Kt-Mode: add\r\n\r\nhi"
        self.assertIn(b"201 Created", self.conn.send(put))
        self.assertIn(b"450", self.conn.send(put))
        out = self.conn.send(b"GET /users.kct/k%20x HTTP/1.1\r\n\r\n")
        self.assertTrue(out.startswith(b"HTTP/1.1 200") and out.endswith(b"\r\n\r\nhi"))
        self.assertIn(b"404", self.conn.send(b"GET /nope HTTP/1.1\r\n\r\n"))
        self.assertIn(b"204", self.conn.send(b"DELETE /1/k%20x HTTP/1.1\r\n\r\n"))
        out = self.conn.send(b"GET /rpc/echo?a=1&b=%01 HTTP/1.0\r\n\r\n")
        self.assertIn(b"a\t1\n", out)
        self.assertTrue(self.transport_closed())  # HTTP/1.0 without keep-alive

    def test_bad_http_gets_400_and_close(self) -> None:
        out = self.conn.send(b"POST /rpc/void HTTP/1.1\r\nContent-Length: zz\r\n\r\n")
        self.assertTrue(out.startswith(b"HTTP/1.1 400"))
        self.assertTrue(self.transport_closed())

    def test_replication_stream_and_heartbeat(self) -> None:
        self.conn.rpc("set", [(b"key", b"old"), (b"value", b"1")])
        repl = Conn(self.factory)
        out = repl.send(bc.encode_replication(0, 99))
        self.assertEqual(out[:1], b"\xb1")
        stream = bc.ReplicationStreamParser()
        got = stream.parse(memoryview(out[1:]))
        assert got is not None
        from txkv.kyoto.kt_values import decode_ulog

        log = decode_ulog(got[1][2])
        self.assertEqual((log.sid, log.key, log.value), (7, b"old", b"1"))
        self.conn.send(bc.encode_remove_bulk([(0, b"old")]))
        got = stream.parse(memoryview(repl.transport.value()))
        assert got is not None
        self.assertEqual(decode_ulog(got[1][2]).op, 0xA2)
        repl.transport.clear()
        self.clock.advance(1.0)
        self.assertEqual(repl.transport.value()[:1], b"\xb0")
        # a server whose logs come from sid 7 sends nothing to a white-listed other sid
        white = Conn(self.factory)
        self.assertEqual(white.send(bc.encode_replication(0, 3, white_sid=True)), b"\xb1")


class NoUlogTests(SynchronousTestCase):
    def test_replication_refused_without_ulog(self) -> None:
        state = build_state(["*"], clock=Clock())
        conn = Conn(KTServerFactory(state))
        self.assertEqual(conn.send(bc.encode_replication(0, 1)), b"\xbf")
        self.assertTrue(conn.transport.disconnecting)
        status, out = Conn(KTServerFactory(state)).rpc("ulog_list", [])
        self.assertEqual(status, 400)


