"""txkv's Tokyo Tyrant server: every command and misc function, hash / B+ tree / table."""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any, List

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from twisted.internet.testing import StringTransportWithDisconnection

from txkv.kyoto.tyrant import codec
from txkv.kyoto.tyrant.codec import Cmd, Reply, ReplyParser
from txkv.kyoto.tyrant.db import TTDatabase
from txkv.kyoto.tyrant.server import TTServerFactory, open_database
from txkv.storage import open_storage


class Conn:
    """A server connection on a StringTransport: send frames, read replies."""

    def __init__(self, db: TTDatabase) -> None:
        self.proto = TTServerFactory(db).buildProtocol(None)
        self.transport = StringTransportWithDisconnection()
        self.transport.protocol = self.proto
        self.proto.makeConnection(self.transport)

    def raw(self, data: bytes) -> bytes:
        self.proto.dataReceived(data)
        out = self.transport.value()
        self.transport.clear()
        return out

    def call(self, cmd: int, frame: bytes) -> Reply:
        out = self.raw(frame)
        parser = ReplyParser(codec.REPLY_KIND[cmd])
        assert parser.parse(memoryview(out)) == len(out), out
        assert parser.result is not None
        return parser.result

    def misc(self, name: bytes, *args: bytes) -> Any:
        reply = self.call(Cmd.MISC, codec.encode_misc(name, list(args)))
        return reply.data if reply.ok else None

    def put(self, key: bytes, value: bytes) -> None:
        assert self.call(Cmd.PUT, codec.encode_key_value(Cmd.PUT, key, value)).ok

    def get(self, key: bytes) -> Any:
        return self.call(Cmd.GET, codec.encode_key(Cmd.GET, key)).data


@pytest.fixture(params=["hash", "btree"])
def conn(request: Any) -> Conn:
    return Conn(open_database(kind=request.param))


@pytest.fixture
def btree() -> Conn:
    return Conn(open_database(kind="btree"))


@pytest.fixture
def hashdb() -> Conn:
    return Conn(open_database(kind="hash"))


@pytest.fixture
def table() -> Conn:
    return Conn(open_database(kind="table"))


def test_put_get_out(conn: Conn) -> None:
    assert conn.raw(codec.encode_key_value(Cmd.PUT, b"k", b"v")) == b"\x00"
    assert conn.raw(codec.encode_key(Cmd.GET, b"k")) == bytes.fromhex("00 00 00 00 01 76")
    assert conn.raw(codec.encode_key(Cmd.GET, b"x")) == b"\x01"
    assert conn.raw(codec.encode_key(Cmd.OUT, b"k")) == b"\x00"
    assert conn.raw(codec.encode_key(Cmd.OUT, b"k")) == b"\x01"


def test_putkeep_putcat_putshl(conn: Conn) -> None:
    assert conn.call(Cmd.PUTKEEP, codec.encode_key_value(Cmd.PUTKEEP, b"k", b"a")).ok
    assert not conn.call(Cmd.PUTKEEP, codec.encode_key_value(Cmd.PUTKEEP, b"k", b"b")).ok
    assert conn.call(Cmd.PUTCAT, codec.encode_key_value(Cmd.PUTCAT, b"k", b"bc")).ok
    assert conn.call(Cmd.PUTCAT, codec.encode_key_value(Cmd.PUTCAT, b"new", b"x")).ok
    assert conn.get(b"k") == b"abc" and conn.get(b"new") == b"x"
    assert conn.call(Cmd.PUTSHL, codec.encode_putshl(b"k", b"defg", 3)).ok
    assert conn.get(b"k") == b"efg"
    assert conn.call(Cmd.PUTSHL, codec.encode_putshl(b"k", b"h", 0)).ok
    assert conn.get(b"k") == b""


def test_putnr_sends_nothing(conn: Conn) -> None:
    frames = codec.encode_key_value(Cmd.PUTNR, b"a", b"1") * 3 + codec.encode_key(Cmd.GET, b"a")
    assert conn.raw(frames) == codec.reply_value(b"1")


def test_mget_and_vsiz(conn: Conn) -> None:
    conn.put(b"k", b"v")
    conn.put(b"z", b"zz")
    assert conn.call(Cmd.MGET, codec.encode_mget([b"z", b"x", b"k"])).data == [
        (b"z", b"zz"), (b"k", b"v")]
    assert conn.call(Cmd.MGET, codec.encode_mget([])).data == []
    assert conn.call(Cmd.VSIZ, codec.encode_key(Cmd.VSIZ, b"z")).data == 2
    assert not conn.call(Cmd.VSIZ, codec.encode_key(Cmd.VSIZ, b"x")).ok


def test_iteration_is_shared_between_connections(conn: Conn) -> None:
    for key in (b"b", b"a", b"c"):
        conn.put(key, key.upper())
    other = Conn(conn.proto.db)
    assert conn.call(Cmd.ITERINIT, codec.encode_simple(Cmd.ITERINIT)).ok
    first = conn.call(Cmd.ITERNEXT, codec.encode_simple(Cmd.ITERNEXT)).data
    second = other.call(Cmd.ITERNEXT, codec.encode_simple(Cmd.ITERNEXT)).data
    third = conn.call(Cmd.ITERNEXT, codec.encode_simple(Cmd.ITERNEXT)).data
    assert sorted([first, second, third]) == [b"a", b"b", b"c"]
    assert not conn.call(Cmd.ITERNEXT, codec.encode_simple(Cmd.ITERNEXT)).ok
    assert not conn.call(Cmd.ITERNEXT, codec.encode_simple(Cmd.ITERNEXT)).ok


def test_fwmkeys(conn: Conn) -> None:
    for key in (b"ab", b"aa", b"b", b"ac"):
        conn.put(key, b"")
    assert conn.call(Cmd.FWMKEYS, codec.encode_fwmkeys(b"a", None)).data == [b"aa", b"ab", b"ac"]
    assert conn.call(Cmd.FWMKEYS, codec.encode_fwmkeys(b"a", 2)).data == [b"aa", b"ab"]
    assert conn.call(Cmd.FWMKEYS, codec.encode_fwmkeys(b"a", 0)).data == []
    assert conn.call(Cmd.FWMKEYS, codec.encode_fwmkeys(b"", None)).data == [
        b"aa", b"ab", b"ac", b"b"]


def test_addint_stores_native_little_endian(conn: Conn) -> None:
    assert conn.call(Cmd.ADDINT, codec.encode_addint(b"n", 3)).data == 3
    assert conn.get(b"n") == b"\x03\x00\x00\x00"
    assert conn.call(Cmd.ADDINT, codec.encode_addint(b"n", -5)).data == -2
    assert conn.call(Cmd.ADDINT, codec.encode_addint(b"n", 0)).data == -2
    conn.put(b"s", b"text")
    # Any 4-byte record is a counter: "text" read as a little-endian int.
    expected = struct.unpack("<i", b"text")[0] + 1
    assert conn.raw(codec.encode_addint(b"s", 1)) == b"\x00" + struct.pack(">i", expected)
    conn.put(b"long", b"12345")
    assert conn.raw(codec.encode_addint(b"long", 1)) == b"\x01"
    assert conn.call(Cmd.ADDINT, codec.encode_addint(b"w", 2**31 - 1)).ok
    assert conn.call(Cmd.ADDINT, codec.encode_addint(b"w", 1)).data == -2**31


def test_adddouble_stores_native_double(conn: Conn) -> None:
    assert conn.call(Cmd.ADDDOUBLE, codec.encode_adddouble(b"d", 1.5)).data == 1.5
    assert conn.get(b"d") == bytes.fromhex("00 00 00 00 00 00 f8 3f")
    assert conn.call(Cmd.ADDDOUBLE, codec.encode_adddouble(b"d", -2.25)).data == -0.75
    assert conn.call(Cmd.ADDDOUBLE, codec.encode_adddouble(b"d", 0.0)).data == -0.75
    conn.put(b"s", b"short")
    assert conn.raw(codec.encode_adddouble(b"s", 1.0)) == b"\x01"
    assert conn.raw(codec.encode_adddouble(b"nan", float("nan"))) == b"\x01"


def test_ext(conn: Conn) -> None:
    conn.proto.db.ext[b"upper"] = lambda k, v: (k + v).upper()
    conn.proto.db.ext[b"nil"] = lambda k, v: None
    conn.proto.db.ext[b"boom"] = lambda k, v: 1 // 0  # type: ignore[return-value]
    assert conn.call(Cmd.EXT, codec.encode_ext(b"upper", b"a", b"b")).data == b"AB"
    assert conn.raw(codec.encode_ext(b"nil", b"a", b"b")) == b"\x01"
    assert conn.raw(codec.encode_ext(b"boom", b"a", b"b")) == b"\x01"
    assert conn.raw(codec.encode_ext(b"missing", b"a", b"b")) == b"\x01"


def test_lua_ext(tmp_path: Path) -> None:
    script = Path(__file__).with_name("ext_functions.lua")
    conn = Conn(open_database(ext_script=str(script)))
    assert conn.call(Cmd.EXT, codec.encode_ext(b"echo", b"a", b"b")).data == b"a=b"
    assert conn.call(Cmd.EXT, codec.encode_ext(b"counter", b"n", b"5")).data == b"5"
    assert conn.call(Cmd.EXT, codec.encode_ext(b"store", b"k", b"v")).data == b"v"
    assert conn.get(b"k") == b"v"
    assert conn.raw(codec.encode_ext(b"nothing", b"a", b"b")) == b"\x01"
    assert conn.raw(codec.encode_ext(b"print", b"a", b"b")) == b"\x01"  # Lua builtins hidden


def test_management_commands(conn: Conn, tmp_path: Path) -> None:
    conn.put(b"k", b"v")
    conn.put(b"k2", b"v2")
    assert conn.raw(codec.encode_simple(Cmd.SYNC)) == b"\x00"
    assert conn.raw(codec.encode_key(Cmd.OPTIMIZE, b"")) == b"\x00"
    assert conn.call(Cmd.RNUM, codec.encode_simple(Cmd.RNUM)).data == 2
    assert conn.call(Cmd.SIZE, codec.encode_simple(Cmd.SIZE)).data > 0
    backup = tmp_path / "backup"
    assert conn.raw(codec.encode_key(Cmd.COPY, str(backup).encode())) == b"\x00"
    assert conn.raw(codec.encode_key(Cmd.COPY, b"/nonexistent/dir/x")) == b"\x01"
    assert conn.raw(codec.encode_simple(Cmd.VANISH)) == b"\x00"
    assert conn.call(Cmd.RNUM, codec.encode_simple(Cmd.RNUM)).data == 0
    assert conn.raw(codec.encode_restore(str(backup).encode(), 1, 0)) == b"\x00"
    assert conn.get(b"k2") == b"v2"
    assert conn.raw(codec.encode_restore(b"/nonexistent", 1, 0)) == b"\x01"
    assert conn.raw(codec.encode_setmst(b"master", 1978, 5, 0)) == b"\x00"
    stat = conn.call(Cmd.STAT, codec.encode_simple(Cmd.STAT)).data.decode()
    fields = dict(line.split("\t", 1) for line in stat.splitlines())
    assert fields["rnum"] == "2" and fields["mhost"] == "master" and fields["mport"] == "1978"
    assert fields["type"] in ("hash", "B+ tree")
    assert int(fields["cnt_put"]) == 2 and int(fields["cnt_get"]) == 1
    assert conn.raw(codec.encode_setmst(b"", 0, 0, 0)) == b"\x00"


def test_misc_common_functions(conn: Conn) -> None:
    assert conn.misc(b"put", b"a", b"1") == []
    assert conn.misc(b"putkeep", b"a", b"2") is None
    assert conn.misc(b"putcat", b"a", b"2") == []
    assert conn.misc(b"get", b"a") == [b"12"]
    assert conn.misc(b"get", b"zz") is None
    assert conn.misc(b"putlist", b"b", b"2", b"c", b"3") == []
    assert conn.misc(b"getlist", b"c", b"nope", b"b") == [b"c", b"3", b"b", b"2"]
    assert conn.misc(b"getpart", b"a", b"1") == [b"2"]
    assert conn.misc(b"getpart", b"a", b"0", b"1") == [b"1"]
    assert conn.misc(b"getpart", b"a", b"5") is None
    assert conn.misc(b"getpart", b"zz") is None
    assert conn.misc(b"regex", b"^[bc]$") == [b"b", b"2", b"c", b"3"]
    assert conn.misc(b"regex", b"*^[BC]$", b"1") == [b"b", b"2"]
    assert conn.misc(b"regex", b"([") is None
    assert conn.misc(b"outlist", b"b", b"nope") == []
    assert conn.misc(b"out", b"b") is None
    assert conn.misc(b"out", b"c") == []
    assert conn.misc(b"iterinit") == []
    assert conn.misc(b"iternext") == [b"a", b"12"]
    assert conn.misc(b"iternext") is None
    for name in (b"sync", b"optimize", b"defrag", b"cacheclear"):
        assert conn.misc(name) == [], name
    assert conn.misc(b"error")[0].startswith(b"22: ")  # the last failure: no record
    assert conn.misc(b"vanish") == []
    assert conn.misc(b"getlist", b"a") == []
    assert conn.raw(codec.encode_misc(b"no_such", [])) == codec.MISC_FAIL
    for table_only in (b"setindex", b"search", b"genuid"):
        assert conn.misc(table_only) is None


def test_hash_database_has_no_range(hashdb: Conn) -> None:
    hashdb.put(b"a", b"1")
    assert hashdb.raw(codec.encode_misc(b"range", [b"a", b"0"])) == codec.MISC_FAIL
    assert hashdb.misc(b"putdup", b"a", b"2") is None
    assert hashdb.misc(b"iterinit", b"missing") is None
    assert hashdb.misc(b"iterinit", b"a") == []


def test_btree_range(btree: Conn) -> None:
    for key in (b"d", b"a", b"c", b"b"):
        btree.put(key, key * 2)
    assert btree.raw(codec.encode_misc(b"range", [b"a", b"0"])) == codec.reply_misc(
        [b"a", b"aa", b"b", b"bb", b"c", b"cc", b"d", b"dd"])
    assert btree.misc(b"range", b"b", b"2") == [b"b", b"bb", b"c", b"cc"]
    assert btree.misc(b"range", b"b", b"0", b"d") == [b"b", b"bb", b"c", b"cc"]
    assert btree.misc(b"range") == [b"a", b"aa", b"b", b"bb", b"c", b"cc", b"d", b"dd"]
    assert btree.misc(b"iterinit", b"bb") == []  # B+ tree: jump to the first key >= bb
    assert btree.misc(b"iternext") == [b"c", b"cc"]


def test_btree_duplicates(btree: Conn) -> None:
    btree.put(b"k", b"1")
    assert btree.misc(b"putdup", b"k", b"2") == []
    assert btree.misc(b"putdupback", b"k", b"0") == []
    assert btree.misc(b"get", b"k") == [b"0", b"1", b"2"]
    assert btree.get(b"k") == b"0"
    assert btree.call(Cmd.RNUM, codec.encode_simple(Cmd.RNUM)).data == 3
    assert btree.misc(b"getlist", b"k") == [b"k", b"0", b"k", b"1", b"k", b"2"]
    assert btree.misc(b"range") == [b"k", b"0", b"k", b"1", b"k", b"2"]
    assert btree.misc(b"putlist", b"k", b"3") == []  # like Tokyo Cabinet: a duplicate
    assert btree.misc(b"get", b"k") == [b"0", b"1", b"2", b"3"]
    assert btree.raw(codec.encode_key(Cmd.OUT, b"k")) == b"\x00"  # removes the first
    assert btree.misc(b"get", b"k") == [b"1", b"2", b"3"]
    btree.call(Cmd.ITERINIT, codec.encode_simple(Cmd.ITERINIT))
    keys = [btree.call(Cmd.ITERNEXT, codec.encode_simple(Cmd.ITERNEXT)).data for _ in range(4)]
    assert keys == [b"k", b"k", b"k", None]
    assert btree.misc(b"outlist", b"k") == []
    assert btree.call(Cmd.RNUM, codec.encode_simple(Cmd.RNUM)).data == 0


def test_table_database(table: Conn) -> None:
    assert table.misc(b"put", b"1", b"name", b"ann", b"age", b"31") == []
    assert table.misc(b"put", b"2", b"name", b"bob", b"age", b"25") == []
    table.put(b"3", codec.encode_table({b"name": b"cy", b"age": b"40", b"tag": b"x y"}))
    assert table.misc(b"put", b"bad", b"odd") is None
    assert table.misc(b"get", b"1") == [b"name", b"ann", b"age", b"31"]
    assert codec.decode_table(table.get(b"2")) == {b"name": b"bob", b"age": b"25"}
    assert table.misc(b"setindex", b"age", b"1") == []
    assert table.misc(b"setindex", b"age", str(1 | 1 << 24).encode()) is None  # keep
    assert table.misc(b"setindex", b"name", b"lexical") == []
    assert table.misc(b"setindex", b"age", b"9999") == []
    assert table.misc(b"setindex", b"age", b"9999") is None
    assert table.misc(b"genuid") == [b"1"]
    assert table.misc(b"genuid") == [b"2"]
    assert table.misc(b"search", b"addcond\0age\x009\x0030") == [b"1", b"3"]
    assert table.misc(b"search", b"addcond\0age\x009\x0030", b"setorder\0age\x003") == [
        b"3", b"1"]
    negated_gt = str(9 | 1 << 24).encode()
    assert table.misc(b"search", b"addcond\0name\x002\0b",
                      b"addcond\0age\0" + negated_gt + b"\x0030") == [b"2"]
    assert table.misc(b"search", b"setorder\0name\x001", b"setlimit\x002\x001") == [b"2", b"1"]
    assert table.misc(b"search", b"addcond\0tag\x004\0y x") == [b"3"]
    assert table.misc(b"search", b"addcond\0tag\x000\0x", b"count") == [b"0"]
    assert table.misc(b"search", b"addcond\0\x000\x002", b"get") == [
        b"\x002\0name\0bob\0age\x0025"]
    assert table.misc(b"search", b"addcond\0\x000\x002", b"get\0age") == [b"\x002\0age\x0025"]
    assert table.misc(b"search", b"addcond\0age\x0013\x0020 35", b"out") == []
    assert table.call(Cmd.RNUM, codec.encode_simple(Cmd.RNUM)).data == 1
    assert table.misc(b"search", b"bogus") is None
    assert table.misc(b"range") is None
    assert table.call(Cmd.ADDINT, codec.encode_addint(b"3", 2)).data == 2
    assert codec.decode_table(table.get(b"3"))[b"_num"] == b"2"


@pytest.mark.parametrize("op,expr,expected", [
    (0, b"ann", [b"1"]), (1, b"n", [b"1"]), (3, b"b", [b"2"]), (5, b"zz red", [b"1"]),
    (6, b"bob ann", [b"1", b"2"]), (7, b"^a.n$", [b"1"]), (8, b"25", [b"2"]),
    (10, b"31", [b"1"]), (11, b"31", [b"2"]), (12, b"31", [b"1", b"2"]),
    (14, b"1 25", [b"2"]), (15, b"RED", [b"1"]), (16, b"red blue", [b"1"]),
    (17, b"blue green", [b"1", b"2"]), (18, b"red && blue", [b"1"]),
])
def test_table_condition_operators(table: Conn, op: int, expr: bytes,
                                   expected: List[bytes]) -> None:
    table.misc(b"put", b"1", b"name", b"ann", b"age", b"31", b"text", b"red and blue")
    table.misc(b"put", b"2", b"name", b"bob", b"age", b"25", b"text", b"green")
    column = {8: b"age", 10: b"age", 11: b"age", 12: b"age", 14: b"age", 15: b"text",
              16: b"text", 17: b"text", 18: b"text", 5: b"text"}.get(op, b"name")
    query = b"addcond\0" + column + b"\0" + str(op).encode() + b"\0" + expr
    assert table.misc(b"search", query) == expected


def test_pipelined_requests_answered_in_order(conn: Conn) -> None:
    frames = (codec.encode_key_value(Cmd.PUT, b"a", b"1")
              + codec.encode_key_value(Cmd.PUTNR, b"b", b"2")
              + codec.encode_key(Cmd.GET, b"a") + codec.encode_key(Cmd.GET, b"b")
              + codec.encode_key(Cmd.GET, b"c"))
    assert conn.raw(frames) == b"\x00" + codec.reply_value(b"1") + codec.reply_value(b"2") + \
        b"\x01"


def test_split_frames_are_reassembled(conn: Conn) -> None:
    frame = codec.encode_key_value(Cmd.PUT, b"key", b"value") + codec.encode_key(Cmd.GET, b"key")
    out = b"".join(conn.raw(frame[i:i + 1]) for i in range(len(frame)))
    assert out == b"\x00" + codec.reply_value(b"value")


@pytest.mark.parametrize("garbage", [
    b"GET / HTTP/1.1\r\n\r\n", b"\xc8\xff", b"\xc8\x30\xff\xff\xff\xff", b"\xc8\xa0" + b"\0" * 12,
])
def test_malformed_input_closes_without_reply(conn: Conn, garbage: bytes) -> None:
    before = codec.encode_key_value(Cmd.PUT, b"a", b"1")
    assert conn.raw(before + garbage + codec.encode_key(Cmd.GET, b"a")) == b"\x00"
    assert not conn.transport.connected
    assert conn.raw(codec.encode_key(Cmd.GET, b"a")) == b""  # nothing after the close


def test_persistent_storage(tmp_path: Path) -> None:
    db = open_database(str(tmp_path / "tt"), kind="btree")
    Conn(db).put(b"k", b"v")
    db.storage.close()
    again = open_database(str(tmp_path / "tt"), kind="btree")
    assert Conn(again).get(b"k") == b"v"
    again.storage.close()
    with pytest.raises(ValueError, match="holds a btree database"):
        TTDatabase(open_storage(str(tmp_path / "tt")), "hash")


@settings(max_examples=300, deadline=None)
@given(st.lists(st.binary(max_size=40), max_size=6))
def test_fuzz_server_input_never_crashes_or_hangs(chunks: List[bytes]) -> None:
    """Random bytes (and random bytes after a magic) end in replies, waiting or a close."""
    conn = Conn(open_database(kind="btree"))
    for chunk in chunks:
        conn.raw(chunk)
        conn.raw(b"\xc8" + chunk)
        if not conn.transport.connected:
            break


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(sorted(codec.COMMAND_NAMES)), st.binary(max_size=64))
def test_fuzz_request_parser_on_valid_headers(cmd: int, body: bytes) -> None:
    """Any body after a known command: a request, "need more", or ProtocolError."""
    from txkv.errors import ProtocolError

    data = bytes([codec.MAGIC, cmd]) + body
    try:
        got = codec.RequestParser().parse(memoryview(data))
    except ProtocolError:
        return
    if got is not None:
        assert 2 <= got[0] <= len(data)
