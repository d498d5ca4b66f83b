"""The Tokyo Tyrant codec against the protocol brief's test vectors, both directions."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from txkv.errors import ProtocolError
from txkv.kyoto.tyrant import codec
from txkv.kyoto.tyrant.codec import Cmd, Reply, ReplyParser, Request, RequestParser


def h(text: str) -> bytes:
    return bytes.fromhex(text)


# (request built by the client codec, expected bytes, parsed server-side request)
REQUESTS = [
    (codec.encode_key_value(Cmd.PUT, b"k", b"v"), "c8 10 00 00 00 01 00 00 00 01 6b 76",
     Request(Cmd.PUT, (b"k", b"v"))),
    (codec.encode_key_value(Cmd.PUTKEEP, b"k", b"v"), "c8 11 00 00 00 01 00 00 00 01 6b 76",
     Request(Cmd.PUTKEEP, (b"k", b"v"))),
    (codec.encode_key_value(Cmd.PUTCAT, b"k", b"v"), "c8 12 00 00 00 01 00 00 00 01 6b 76",
     Request(Cmd.PUTCAT, (b"k", b"v"))),
    (codec.encode_putshl(b"k", b"v", 10), "c8 13 00 00 00 01 00 00 00 01 00 00 00 0a 6b 76",
     Request(Cmd.PUTSHL, (b"k", b"v", 10))),
    (codec.encode_key_value(Cmd.PUTNR, b"k", b"v"), "c8 18 00 00 00 01 00 00 00 01 6b 76",
     Request(Cmd.PUTNR, (b"k", b"v"))),
    (codec.encode_key(Cmd.OUT, b"k"), "c8 20 00 00 00 01 6b", Request(Cmd.OUT, (b"k",))),
    (codec.encode_key(Cmd.GET, b"k"), "c8 30 00 00 00 01 6b", Request(Cmd.GET, (b"k",))),
    (codec.encode_mget([b"k", b"x"]), "c8 31 00 00 00 02 00 00 00 01 6b 00 00 00 01 78",
     Request(Cmd.MGET, ([b"k", b"x"],))),
    (codec.encode_key(Cmd.VSIZ, b"k"), "c8 38 00 00 00 01 6b", Request(Cmd.VSIZ, (b"k",))),
    (codec.encode_simple(Cmd.ITERINIT), "c8 50", Request(Cmd.ITERINIT, ())),
    (codec.encode_simple(Cmd.ITERNEXT), "c8 51", Request(Cmd.ITERNEXT, ())),
    (codec.encode_fwmkeys(b"k", None), "c8 58 00 00 00 01 ff ff ff ff 6b",
     Request(Cmd.FWMKEYS, (b"k", -1))),
    (codec.encode_addint(b"k", 3), "c8 60 00 00 00 01 00 00 00 03 6b",
     Request(Cmd.ADDINT, (b"k", 3))),
    (codec.encode_adddouble(b"k", 1.5),
     "c8 61 00 00 00 01 00 00 00 00 00 00 00 01 00 00 00 74 6a 52 88 00 6b",
     Request(Cmd.ADDDOUBLE, (b"k", 1.5))),
    (codec.encode_adddouble(b"k", -2.25),
     "c8 61 00 00 00 01 ff ff ff ff ff ff ff fe ff ff ff c5 ca d6 bc 00 6b",
     Request(Cmd.ADDDOUBLE, (b"k", -2.25))),
    (codec.encode_ext(b"fn", b"k", b"v"),
     "c8 68 00 00 00 02 00 00 00 00 00 00 00 01 00 00 00 01 66 6e 6b 76",
     Request(Cmd.EXT, (b"fn", 0, b"k", b"v"))),
    (codec.encode_simple(Cmd.SYNC), "c8 70", Request(Cmd.SYNC, ())),
    (codec.encode_simple(Cmd.VANISH), "c8 72", Request(Cmd.VANISH, ())),
    (codec.encode_key(Cmd.OPTIMIZE, b""), "c8 71 00 00 00 00", Request(Cmd.OPTIMIZE, (b"",))),
    (codec.encode_key(Cmd.COPY, b"/tmp/x"), "c8 73 00 00 00 06 2f 74 6d 70 2f 78",
     Request(Cmd.COPY, (b"/tmp/x",))),
    (codec.encode_restore(b"/u", 1, 0),
     "c8 74 00 00 00 02 00 00 00 00 00 00 00 01 00 00 00 00 2f 75",
     Request(Cmd.RESTORE, (b"/u", 1, 0))),
    (codec.encode_setmst(b"h", 1978, 0, 0),
     "c8 78 00 00 00 01 00 00 07 ba 00 00 00 00 00 00 00 00 00 00 00 00 68",
     Request(Cmd.SETMST, (b"h", 1978, 0, 0))),
    (codec.encode_simple(Cmd.RNUM), "c8 80", Request(Cmd.RNUM, ())),
    (codec.encode_simple(Cmd.STAT), "c8 88", Request(Cmd.STAT, ())),
    (codec.encode_misc(b"putlist", [b"k", b"v"]),
     "c8 90 00 00 00 07 00 00 00 00 00 00 00 02 70 75 74 6c 69 73 74 00 00 00 01 6b 00 00 00 01 76",
     Request(Cmd.MISC, (b"putlist", 0, [b"k", b"v"]))),
    (codec.encode_misc(b"getlist", [b"k"]),
     "c8 90 00 00 00 07 00 00 00 00 00 00 00 01 67 65 74 6c 69 73 74 00 00 00 01 6b",
     Request(Cmd.MISC, (b"getlist", 0, [b"k"]))),
    (codec.encode_misc(b"range", [b"a", b"0"]),
     "c8 90 00 00 00 05 00 00 00 00 00 00 00 02 72 61 6e 67 65 00 00 00 01 61 00 00 00 01 30",
     Request(Cmd.MISC, (b"range", 0, [b"a", b"0"]))),
]


@pytest.mark.parametrize("frame,expected,_request", REQUESTS)
def test_request_golden_bytes(frame: bytes, expected: str, _request: Request) -> None:
    assert frame == h(expected)


@pytest.mark.parametrize("_frame,wire,parsed", REQUESTS)
def test_server_parses_golden_request(_frame: bytes, wire: str, parsed: Request) -> None:
    data = h(wire)
    assert RequestParser().parse(memoryview(data)) == (len(data), parsed)
    # Every strict prefix is incomplete, never an error.
    for cut in range(len(data)):
        assert RequestParser().parse(memoryview(data[:cut])) is None


# (command, reply bytes, parsed reply, server encoder output or None)
REPLIES = [
    (Cmd.PUT, "00", Reply(0, None), codec.reply_code(True)),
    (Cmd.PUT, "01", Reply(1, None), codec.reply_code(False)),
    (Cmd.GET, "00 00 00 00 01 76", Reply(0, b"v"), codec.reply_value(b"v")),
    (Cmd.GET, "01", Reply(1, None), codec.reply_value(None)),
    (Cmd.MGET, "00 00 00 00 01 00 00 00 01 00 00 00 01 6b 76", Reply(0, [(b"k", b"v")]),
     codec.reply_pairs([(b"k", b"v")])),
    (Cmd.VSIZ, "00 00 00 00 01", Reply(0, 1), codec.reply_int32(1)),
    (Cmd.VSIZ, "01", Reply(1, None), codec.reply_int32(None)),
    (Cmd.ITERINIT, "00", Reply(0, None), codec.reply_code(True)),
    (Cmd.ITERNEXT, "00 00 00 00 01 6b", Reply(0, b"k"), codec.reply_value(b"k")),
    (Cmd.ITERNEXT, "01", Reply(1, None), codec.reply_value(None)),
    (Cmd.FWMKEYS, "00 00 00 00 01 00 00 00 01 6b", Reply(0, [b"k"]), codec.reply_keys([b"k"])),
    (Cmd.ADDINT, "00 00 00 00 03", Reply(0, 3), codec.reply_int32(3)),
    (Cmd.ADDINT, "01", Reply(1, None), codec.reply_int32(None)),
    (Cmd.ADDDOUBLE, "00 00 00 00 00 00 00 00 01 00 00 00 74 6a 52 88 00", Reply(0, 1.5),
     codec.reply_double(1.5)),
    (Cmd.ADDDOUBLE, "00 ff ff ff ff ff ff ff fe ff ff ff c5 ca d6 bc 00", Reply(0, -2.25),
     codec.reply_double(-2.25)),
    (Cmd.ADDDOUBLE, "01", Reply(1, None), codec.reply_double(None)),
    (Cmd.EXT, "00 00 00 00 02 6f 6b", Reply(0, b"ok"), codec.reply_value(b"ok")),
    (Cmd.SYNC, "00", Reply(0, None), codec.reply_code(True)),
    (Cmd.RNUM, "00 00 00 00 00 00 00 00 01", Reply(0, 1), codec.reply_long(1)),
    (Cmd.STAT, "00 00 00 00 07 72 6e 75 6d 09 31 0a", Reply(0, b"rnum\t1\n"),
     codec.reply_value(b"rnum\t1\n")),
    (Cmd.MISC, "00 00 00 00 00", Reply(0, []), codec.reply_misc([])),
    (Cmd.MISC, "01 00 00 00 00", Reply(1, []), codec.reply_misc(None)),
    (Cmd.MISC, "00 00 00 00 02 00 00 00 01 6b 00 00 00 01 76", Reply(0, [b"k", b"v"]),
     codec.reply_misc([b"k", b"v"])),
]


@pytest.mark.parametrize("cmd,wire,reply,encoded", REPLIES)
def test_reply_golden_bytes(cmd: int, wire: str, reply: Reply, encoded: bytes) -> None:
    data = h(wire)
    assert encoded == data
    parser = ReplyParser(codec.REPLY_KIND[cmd])
    assert parser.parse(memoryview(data + b"\xc8trailing")) == len(data)
    assert parser.result == reply


@pytest.mark.parametrize("cmd,wire,reply,_encoded", REPLIES)
def test_reply_parser_is_incremental(cmd: int, wire: str, reply: Reply, _encoded: bytes) -> None:
    data = h(wire)
    parser = ReplyParser(codec.REPLY_KIND[cmd])
    # Feed growing prefixes to the same parser, as the protocol does.
    for cut in range(len(data)):
        assert parser.parse(memoryview(data[:cut])) is None
    assert parser.parse(memoryview(data)) == len(data)
    assert parser.result == reply


def test_double_wire_form_special_values() -> None:
    assert codec.pack_double(math.inf) == (codec.INT64_MAX, 0)
    assert codec.pack_double(-math.inf) == (codec.INT64_MIN, 0)
    assert codec.pack_double(math.nan) == (codec.INT64_MIN, codec.INT64_MIN)
    assert math.isnan(codec.unpack_double(codec.INT64_MIN, codec.INT64_MIN))
    assert codec.unpack_double(codec.INT64_MAX, 0) == math.inf
    assert codec.unpack_double(codec.INT64_MIN, 0) == -math.inf


@given(st.floats(min_value=-1e15, max_value=1e15, allow_nan=False))
def test_double_round_trip_within_a_trillionth(value: float) -> None:
    integ, fract = codec.pack_double(value)
    assert abs(codec.unpack_double(integ, fract) - value) <= 1e-11 * max(1.0, abs(value))


def test_table_records() -> None:
    assert codec.encode_table({b"a": b"1", b"b": b""}) == b"a\x001\x00b\x00\x00"
    assert codec.decode_table(b"a\x001\x00b\x00\x00") == {b"a": b"1", b"b": b""}
    assert codec.decode_table(b"a\x001\x00b\x00") == {b"a": b"1", b"b": b""}
    assert codec.decode_table(b"") == {}
    with pytest.raises(ValueError):
        codec.encode_table({b"a\x00": b"1"})


@pytest.mark.parametrize("wire,reason", [
    ("c9 10", "magic"),
    ("47 45 54 20 2f", "magic"),  # HTTP is not served
    ("c8 ff", "unknown command"),
    ("c8 10 80 00 00 00 00 00 00 00", "key size"),
    ("c8 30 ff ff ff ff", "argument size"),
    ("c8 31 00 20 00 00", "count"),
    ("c8 13 00 00 00 01 00 00 00 01 ff ff ff ff", "negative"),
    ("c8 90 00 00 04 00 00 00 00 00 00 00 00 00", "name size"),
])
def test_server_rejects_malformed_requests(wire: str, reason: str) -> None:
    with pytest.raises(ProtocolError, match=reason):
        RequestParser().parse(memoryview(h(wire)))


def test_client_refuses_negative_putshl_width() -> None:
    with pytest.raises(ValueError):
        codec.encode_putshl(b"k", b"v", -1)


def test_reply_parser_rejects_absurd_counts() -> None:
    with pytest.raises(ProtocolError):
        ReplyParser("misc").parse(memoryview(h("00 7f ff ff ff")))
