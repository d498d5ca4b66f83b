"""Sans-IO Kyoto Tycoon codecs: golden bytes from the protocol brief, resumable parsing,
TSV column encodings, HTTP framing, stored number formats, update logs."""

from __future__ import annotations

import datetime
import math
from typing import Any, List, Optional

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from txkv.errors import ParameterError, ProtocolError, SerializationError
from txkv.kyoto import kt_codec as bc
from txkv.kyoto import kt_values as kv
from txkv.kyoto.kt_http import HTTPFramingError, RequestParser, ResponseParser, encode_request
from txkv.kyoto.kt_tsv import (
    choose_colenc,
    decode_body,
    encode_reply_body,
    encode_request_body,
    url_encode,
)
from txkv.kyoto.serializers import (
    KT_BINARY,
    KT_JSON,
    KT_MSGPACK,
    KT_NONE,
    KT_PICKLE,
    decode_key,
    encode_key,
    value_codec,
)


def h(text: str) -> bytes:
    return bytes.fromhex(text.replace(" ", ""))


def feed_bytewise(parser: Any, data: bytes) -> Optional[int]:
    """Feed a growing prefix one byte at a time, as a slow network would."""
    for i in range(len(data) + 1):
        consumed = parser.parse(memoryview(data[:i]))
        if consumed is not None:
            return int(consumed)
    return None


# -- golden request bytes (brief section 15) -------------------------------------------------


def test_get_bulk_request_golden() -> None:
    assert bc.encode_get_bulk([(0, b"k")]) == h("ba 00000000 00000001 0000 00000001 6b")


def test_set_bulk_request_golden() -> None:
    assert bc.encode_set_bulk([(0, b"k", b"v", kv.binary_xt(None))]) == h(
        "b8 00000000 00000001 0000 00000001 00000001 7fffffffffffffff 6b 76")
    assert bc.encode_set_bulk([(1, b"k", b"v", kv.binary_xt(60))]) == h(
        "b8 00000000 00000001 0001 00000001 00000001 000000000000003c 6b 76")


def test_set_bulk_no_reply_golden() -> None:
    assert bc.encode_set_bulk([(0, b"k", b"v", bc.XT_NONE)], no_reply=True) == h(
        "b8 00000001 00000001 0000 00000001 00000001 7fffffffffffffff 6b 76")


def test_remove_bulk_request_golden() -> None:
    assert bc.encode_remove_bulk([(0, b"k")]) == h("b9 00000000 00000001 0000 00000001 6b")


def test_play_script_request_golden() -> None:
    assert bc.encode_play_script(b"expire_time", [(b"key", b"k")]) == h(
        "b4 00000000 0000000b 00000001 6578706972655f74696d65 00000003 00000001 6b6579 6b")


def test_replication_request_golden() -> None:
    assert bc.encode_replication(1, 100) == h("b1 00000000 0000000000000001 0064")


def test_one_record_encoders_match_the_bulk_ones() -> None:
    assert bc.encode_get_one(0, b"k") == h("ba 00000000 00000001 0000 00000001 6b")
    assert bc.encode_set_one(1, b"k", b"v", kv.binary_xt(60)) == h(
        "b8 00000000 00000001 0001 00000001 00000001 000000000000003c 6b 76")
    assert bc.encode_set_one(0, b"k", b"v", bc.XT_NONE, no_reply=True) == h(
        "b8 00000001 00000001 0000 00000001 00000001 7fffffffffffffff 6b 76")


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 65535), st.binary(max_size=40), st.binary(max_size=40),
       st.integers(-(2**63), 2**63 - 1), st.booleans())
def test_one_record_encoders_property(db: int, key: bytes, value: bytes, xt: int,
                                      no_reply: bool) -> None:
    assert bc.encode_get_one(db, key) == bc.encode_get_bulk([(db, key)])
    assert bc.encode_set_one(db, key, value, xt, no_reply) == bc.encode_set_bulk(
        [(db, key, value, xt)], no_reply)


# -- golden replies ------------------------------------------------------------------------


def test_get_bulk_reply_hit_golden_bytewise() -> None:
    reply = h("ba 00000001 0000 00000001 00000001 000000ffffffffff 6b 76")
    parser = bc.GetBulkReplyParser()
    assert feed_bytewise(parser, reply) == len(reply)
    assert parser.result == [(0, b"k", b"v", bc.XT_MAX)]
    assert bc.encode_get_bulk_reply([(0, b"k", b"v", bc.XT_MAX)]) == reply


def test_get_bulk_reply_miss_and_error() -> None:
    parser = bc.GetBulkReplyParser()
    assert parser.parse(memoryview(h("ba 00000000"))) == 5
    assert parser.result == []
    parser = bc.GetBulkReplyParser()
    assert parser.parse(memoryview(b"\xbf")) == 1
    assert isinstance(parser.result, bc.BinaryErrorReply)


def test_get_one_reply_hit_miss_and_error() -> None:
    hit = h("ba 00000001 0000 00000001 00000002 000000ffffffffff 6b 7676")
    parser = bc.GetOneReplyParser()
    assert feed_bytewise(parser, hit) == len(hit)
    assert parser.result == b"vv"
    parser = bc.GetOneReplyParser()
    assert parser.parse(memoryview(hit + b"\xba")) == len(hit)  # the next reply is left alone
    parser = bc.GetOneReplyParser()
    assert feed_bytewise(parser, h("ba 00000000")) == 5
    assert parser.result is None
    parser = bc.GetOneReplyParser()
    assert parser.parse(b"\xbf") == 1
    assert isinstance(parser.result, bc.BinaryErrorReply)


def test_get_one_reply_rejects_other_frames() -> None:
    with pytest.raises(ProtocolError, match="magic"):
        bc.GetOneReplyParser().parse(h("b8 00000001"))
    two = bc.encode_get_bulk_reply([(0, b"a", b"1", 0), (0, b"b", b"2", 0)])
    with pytest.raises(ProtocolError, match="2 records"):
        bc.GetOneReplyParser().parse(two)


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=30), st.binary(max_size=300), st.integers(1, 64))
def test_get_one_reply_agrees_with_get_bulk_in_any_chunking(key: bytes, value: bytes,
                                                           chunk: int) -> None:
    reply = bc.encode_get_bulk_reply([(0, key, value, bc.XT_MAX)])
    parser = bc.GetOneReplyParser()
    consumed = None
    for end in range(chunk, len(reply) + chunk, chunk):
        consumed = parser.parse(memoryview(reply[:end]))
        if consumed is not None:
            break
    assert consumed == len(reply)
    assert parser.result == value


def test_count_reply() -> None:
    parser = bc.CountReplyParser(bc.MAGIC_SET_BULK)
    assert feed_bytewise(parser, h("b8 00000001")) == 5
    assert parser.result == 1
    assert bc.encode_count_reply(bc.MAGIC_REMOVE_BULK, 1) == h("b9 00000001")
    with pytest.raises(ProtocolError):
        bc.CountReplyParser(bc.MAGIC_SET_BULK).parse(memoryview(h("b9 00000001")))


def test_play_script_reply_golden() -> None:
    reply = h("b4 00000001 00000002 0000000a 7874 31373030303030303030")
    parser = bc.PlayScriptReplyParser()
    assert feed_bytewise(parser, reply) == len(reply)
    assert parser.result == [(b"xt", b"1700000000")]
    assert bc.encode_play_script_reply([(b"xt", b"1700000000")]) == reply


def test_replication_stream_golden() -> None:
    stream = h("b1 000000000000007b 0000000e 0009 0000 a1 01 06 6b ffffffffff 76")
    consumed, (kind, ts, body) = bc.ReplicationStreamParser().parse(memoryview(stream))  # type: ignore[misc]
    assert (consumed, kind, ts) == (len(stream), "log", 123)
    log = kv.decode_ulog(body, ts)
    assert log.as_dict() == {"sid": 9, "db": 0, "op": kv.OP_SET, "key": b"k", "value": b"v",
                             "xt": bc.XT_MAX, "ts": 123}
    assert kv.encode_ulog(log) == body
    assert bc.encode_replication_log(123, body) == stream
    nop = bc.encode_replication_nop(5)
    assert bc.ReplicationStreamParser().parse(memoryview(nop)) == (9, ("nop", 5, b""))


def test_request_parser_roundtrip_bytewise() -> None:
    frames = [
        bc.encode_set_bulk([(0, b"k", b"v", 5), (3, b"", b"x" * 300, -7)], no_reply=True),
        bc.encode_remove_bulk([(1, b"a"), (2, b"bb")]),
        bc.encode_get_bulk([(0, b"k")]),
        bc.encode_play_script(b"proc", [(b"a", b"1")]),
        bc.encode_replication(10, 3, white_sid=True),
    ]
    results = []
    for frame in frames:
        parser = bc.RequestParser()
        assert feed_bytewise(parser, frame) == len(frame)
        results.append(parser.result)
    assert results[0].flags == 1
    assert results[0].records == [(0, b"k", b"v", 5), (3, b"", b"x" * 300, -7)]
    assert results[1].records == [(1, b"a"), (2, b"bb")]
    assert isinstance(results[2], bc.GetBulkRequest)
    assert (results[3].name, results[3].items) == (b"proc", [(b"a", b"1")])
    assert (results[4].flags, results[4].ts, results[4].sid) == (1, 10, 3)


def test_request_parser_rejects_unknown_magic_and_oversize() -> None:
    with pytest.raises(ProtocolError):
        bc.RequestParser().parse(memoryview(b"\xb2\x00"))
    oversize = h("b9 00000000 00000001 0000") + (bc.DATA_MAX_SIZE + 1).to_bytes(4, "big")
    with pytest.raises(ProtocolError):
        bc.RequestParser().parse(memoryview(oversize))


def test_first_byte_dispatch_rule() -> None:
    assert bc.is_binary_start(0) and bc.is_binary_start(0xB8) and bc.is_binary_start(0x80)
    assert not bc.is_binary_start(ord("P")) and not bc.is_binary_start(ord("G"))


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=64))
def test_request_parser_fuzz_no_crash(data: bytes) -> None:
    try:
        bc.RequestParser().parse(memoryview(b"\xb8" + data))
    except ProtocolError:
        pass


@settings(max_examples=200, deadline=None)
@given(st.sampled_from([bc.GetBulkReplyParser, bc.GetOneReplyParser, bc.PlayScriptReplyParser]),
       st.binary(max_size=64))
def test_reply_parser_fuzz_no_crash(cls: Any, data: bytes) -> None:
    try:
        cls().parse(memoryview(data))
    except ProtocolError:
        pass


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 65535), st.binary(max_size=20), st.binary(max_size=20),
                          st.integers(-(2**63), 2**63 - 1)), max_size=8))
def test_set_bulk_roundtrip_property(records: List[Any]) -> None:
    parser = bc.RequestParser()
    frame = bc.encode_set_bulk(records)
    assert parser.parse(memoryview(frame)) == len(frame)
    assert parser.result.records == records


# -- values --------------------------------------------------------------------------------------


def test_convert_xt_policy() -> None:
    assert kv.convert_xt(None) is None
    assert kv.binary_xt(None) == 0x7FFFFFFFFFFFFFFF
    assert kv.convert_xt(60) == 60
    assert kv.convert_xt(60.9) == 60
    assert kv.convert_xt(datetime.timedelta(minutes=2)) == 120
    assert kv.convert_xt(1_700_000_000) == -1_700_000_000
    dt = datetime.datetime(2030, 1, 1)
    assert kv.convert_xt(dt) == -int(dt.timestamp())
    with pytest.raises(ParameterError):
        kv.convert_xt("soon")  # type: ignore[arg-type]


def test_normalize_xt_server_side() -> None:
    assert kv.normalize_xt(None, 1000.5) == bc.XT_MAX
    assert kv.normalize_xt(60, 1000.5) == 1060
    assert kv.normalize_xt(-5000, 1000.0) == 5000
    assert kv.normalize_xt(bc.XT_NONE, 1000.0) == bc.XT_MAX
    assert kv.normalize_xt(-(2**63), 1000.0) == bc.XT_MAX


def test_stored_number_formats_golden() -> None:
    assert kv.pack_int(6) == h("0000000000000006")
    assert kv.unpack_int(kv.pack_int(-3)) == -3
    assert kv.pack_double(1.5) == h("0000000000000001 0001c6bf52634000")
    assert kv.pack_double(-0.25) == h("0000000000000000 ffff1ca056ce6000")
    assert kv.unpack_double(kv.pack_double(-0.25)) == -0.25
    assert math.isnan(kv.unpack_double(kv.pack_double(math.nan)))
    assert kv.unpack_double(kv.pack_double(math.inf)) == math.inf
    assert kv.unpack_double(kv.pack_double(-math.inf)) == -math.inf
    assert kv.format_double(1.5) == "1.500000"
    with pytest.raises(ProtocolError):
        kv.unpack_int(b"12")


def test_varnum_and_dumps() -> None:
    assert kv.encode_varnum(0) == b"\x00"
    assert kv.encode_varnum(127) == b"\x7f"
    assert kv.encode_varnum(200) == h("8148")
    for n in (0, 1, 127, 128, 16383, 16384, 2**40):
        assert kv.decode_varnum(kv.encode_varnum(n)) == (n, len(kv.encode_varnum(n)))
    dumped = kv.mapdump([(b"a", b"1"), (b"bb", b"xyz")])
    assert dumped == h("01 01 61 31 02 03 62 62 78 79 7a")
    assert kv.mapload(dumped) == {b"a": b"1", b"bb": b"xyz"}
    assert kv.arrayload(kv.arraydump([b"x", b"", b"yz"])) == [b"x", b"", b"yz"]
    with pytest.raises(ProtocolError):
        kv.decode_varnum(b"\x81")
    with pytest.raises(ProtocolError):
        kv.mapload(b"\x05\x01a")


def test_ulog_remove_and_clear_roundtrip() -> None:
    for log in (kv.UpdateLog(1, 2, kv.OP_REMOVE, b"key"), kv.UpdateLog(3, 0, kv.OP_CLEAR)):
        assert kv.decode_ulog(kv.encode_ulog(log)) == log


# -- TSV bodies ------------------------------------------------------------------------------------


def test_tsv_request_bodies_match_ukt() -> None:
    body = encode_request_body([(b"DB", b"0"), (b"key", b"n"), (b"num", b"5"), (b"orig", b"1")])
    assert body == b"REI=\tMA==\na2V5\tbg==\nbnVt\tNQ==\nb3JpZw==\tMQ=="
    assert encode_request_body([(b"DB", b"0"), (b"atomic", b""), (b"_a", b"1"), (b"_b", b"2")]) \
        == b"REI=\tMA==\nYXRvbWlj\t\nX2E=\tMQ==\nX2I=\tMg=="


def test_tsv_decode_every_colenc() -> None:
    assert decode_body(b"value\t%01%02\n", "text/tab-separated-values; colenc=U") == [
        (b"value", b"\x01\x02")]
    assert decode_body(b"dmFsdWU=\tAQI=\n", "text/tab-separated-values; colenc=B") == [
        (b"value", b"\x01\x02")]
    assert decode_body(b"value\t=01=02\r\n", 'text/tab-separated-values; colenc="q"') == [
        (b"value", b"\x01\x02")]
    assert decode_body(b"a\tb\tc\nno-tab\n\nx\t\n", "text/tab-separated-values") == [
        (b"a", b"b\tc"), (b"x", b"")]
    assert decode_body(b"key=a%20b&value=c+d", "application/x-www-form-urlencoded") == [
        (b"key", b"a b"), (b"value", b"c d")]
    with pytest.raises(ProtocolError):
        decode_body(b"a\tb", "text/tab-separated-values; colenc=Z")


def test_reply_encoding_choice() -> None:
    assert encode_reply_body([(b"num", b"6")]) == ("text/tab-separated-values", b"num\t6\n")
    assert choose_colenc([(b"value", b"\x01\x02")]) == b"U"
    assert choose_colenc([(b"value", bytes(range(256)))]) == b"B"
    ct, body = encode_reply_body([(b"b", b"2"), (b"a", b"\x00 +")])
    assert ct.endswith("colenc=U") and body == b"a\t%00%20%2B\nb\t2\n"
    assert decode_body(body, ct) == [(b"a", b"\x00 +"), (b"b", b"2")]
    assert url_encode(b"a-_.!~*'()z") == b"a-_.!~*'()z"


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.binary(max_size=40), st.binary(max_size=300)), max_size=6))
def test_reply_roundtrip_property(pairs: List[Any]) -> None:
    ct, body = encode_reply_body(pairs)
    decoded = decode_body(body, ct)
    if ct.endswith("values"):  # raw: only printable fields, so no tab/newline ambiguity
        assert all(b"\t" not in k and b"\n" not in k for k, _ in pairs)
    assert sorted(decoded) == sorted(pairs)


# -- HTTP framing ----------------------------------------------------------------------------------


def test_http_request_and_response_framing() -> None:
    raw = encode_request(b"/rpc/get", b"a\tb", b"h:1", b"text/tab-separated-values")
    parser = RequestParser()
    assert feed_bytewise(parser, raw) == len(raw)
    req = parser.result
    assert req is not None and (req.method, req.target, req.body, req.keep_alive) == (
        b"POST", b"/rpc/get", b"a\tb", True)
    response = (b"HTTP/1.1 450 Logical Inconsistency\r\nContent-Type: text/plain\r\n"
                b"Connection: close\r\nContent-Length: 3\r\n\r\nabcEXTRA")
    rp = ResponseParser()
    assert rp.parse(memoryview(response)) == len(response) - 5
    assert rp.result is not None and (rp.result.status, rp.result.body, rp.result.keep_alive) \
        == (450, b"abc", False)
    chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
    rp = ResponseParser()
    assert feed_bytewise(rp, chunked) == len(chunked)
    assert rp.result is not None and rp.result.body == b"abc"


def test_http_framing_errors() -> None:
    with pytest.raises(HTTPFramingError):
        RequestParser().parse(memoryview(b"NONSENSE\r\n\r\n"))
    with pytest.raises(HTTPFramingError):
        RequestParser().parse(memoryview(b"POST / HTTP/1.1\r\nContent-Length: x\r\n\r\n"))
    with pytest.raises(HTTPFramingError) as e:
        RequestParser().parse(memoryview(b"G" * (70 * 1024)))
    assert e.value.status == 413


# -- serializers ----------------------------------------------------------------------------------


def test_kt_serializers() -> None:
    enc, dec = value_codec(KT_BINARY)
    assert enc("é") == "é".encode() and dec("é".encode()) == "é" and dec(b"\xff") == b"\xff"
    assert enc(12) == b"12"
    enc, dec = value_codec(KT_NONE)
    assert enc("x") == b"x" and dec(b"x") == b"x"
    enc, dec = value_codec(KT_JSON)
    assert enc({"a": [1, 2]}) == b'{"a":[1,2]}' and dec(b'{"a":1}') == {"a": 1}
    enc, dec = value_codec(KT_MSGPACK)
    assert dec(enc({"a": b"b"})) == {"a": b"b"}
    enc, dec = value_codec(KT_PICKLE)
    assert dec(enc({1, 2})) == {1, 2}
    with pytest.raises(SerializationError):
        value_codec("yaml")
    assert encode_key("ü") == "ü".encode() and encode_key(5) == b"5"
    assert decode_key(b"\xff", True) == b"\xff" and decode_key(b"a", False) == b"a"
    with pytest.raises(SerializationError):
        encode_key(None)


@pytest.mark.parametrize("make, frame", [
    (bc.GetOneReplyParser, bc.encode_get_bulk_reply([(0, b"k", b"v", bc.XT_MAX)])),
    (bc.GetOneReplyParser, h("ba 00000000")),
    (lambda: bc.CountReplyParser(bc.MAGIC_SET_BULK), h("b8 00000003")),
    (bc.GetBulkReplyParser, bc.encode_get_bulk_reply([(0, b"a", b"1", 5), (1, b"b", b"2", 6)])),
    (bc.PlayScriptReplyParser, bc.encode_play_script_reply([(b"a", b"1")])),
    (bc.GetOneReplyParser, b"\xbf"),
])
def test_reply_parsers_take_bytes_or_memoryview(make: Any, frame: bytes) -> None:
    """A lone reply is parsed straight from the received bytes, others from a buffer's view."""
    from_bytes, from_view = make(), make()
    assert from_bytes.parse(frame + b"\xba") == from_view.parse(memoryview(frame)) == len(frame)
    assert repr(from_bytes.result) == repr(from_view.result)
