"""Java hashCodes, ids and partitions (brief §4.6, §4.9, §6.3, §10 hash checks), checked against
straightforward re-implementations of the Java semantics written here."""

from __future__ import annotations

import struct
import uuid
from collections import OrderedDict
from datetime import datetime, timedelta, timezone
from decimal import Context, Decimal
from typing import Any, Iterable, List

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from txkv.ignite.binary import GenericObjectMeta
from txkv.ignite.codec import (
    CodecContext,
    ParseError,
    SerializationError,
    cache_id,
    entity_id,
    hashcode_of_raw,
    java_hashcode,
    partition_for,
    schema_id,
    string_hashcode,
    write_object,
)
from txkv.ignite.codec.hashing import bytes_hashcode, poly31
from txkv.ignite.datatypes import (
    BoolArrayObject,
    ByteArrayObject,
    ByteObject,
    CharArrayObject,
    CharObject,
    CollectionObject,
    DateObject,
    DoubleArrayObject,
    EnumObject,
    FloatArrayObject,
    FloatObject,
    IntArrayObject,
    IntObject,
    LongObject,
    MapObject,
    ShortArrayObject,
    ShortObject,
    String,
    TimeObject,
    TimestampObject,
    WrappedDataObject,
)
from txkv.ignite.errors import ParameterError

UTC = timezone.utc


# --- independent Java semantics ---------------------------------------------------------------


def int32(value: int) -> int:
    value &= 0xFFFFFFFF
    return value - (1 << 32) if value >= 1 << 31 else value


def java_string_hash(text: str) -> int:
    units = struct.unpack(f"<{len(text.encode('utf-16-le', 'surrogatepass')) // 2}H",
                          text.encode("utf-16-le", "surrogatepass"))
    h = 0
    for unit in units:
        h = int32(31 * h + unit)
    return h


def java_bytes_hash(data: bytes) -> int:
    h = 1
    for byte in data:
        h = int32(31 * h + (byte - 256 if byte > 127 else byte))
    return h


def java_long_hash(value: int) -> int:
    return int32(value ^ ((value & 0xFFFFFFFFFFFFFFFF) >> 32))


def java_big_integer_hash(value: int) -> int:
    magnitude = abs(value)
    words: List[int] = []
    while magnitude:
        words.insert(0, magnitude & 0xFFFFFFFF)
        magnitude >>= 32
    h = 0
    for word in words:
        h = int32(31 * h + word)
    return int32(h * (-1 if value < 0 else 1))


def java_decimal_hash(unscaled: int, scale: int) -> int:
    return int32(31 * java_big_integer_hash(unscaled) + scale)


def java_remainder(a: int, b: int) -> int:
    quotient = abs(a) // abs(b)
    if (a < 0) != (b < 0):
        quotient = -quotient
    return a - b * quotient


def java_partition(h: int, parts: int) -> int:
    mask = parts - 1
    if parts & mask == 0:
        unsigned_shift = (h & 0xFFFFFFFF) >> 16
        return int32(h ^ unsigned_shift) & mask
    r = java_remainder(h, parts)
    return 0 if r == -(1 << 31) else abs(r)


def java_fnv_schema(field_ids: Iterable[int]) -> int:
    ids = list(field_ids)
    if not ids:
        return 0
    s = 0x811C9DC5
    for fid in ids:
        for shift in (0, 8, 16, 24):
            s ^= (fid >> shift) & 0xFF
            s = (s * 0x01000193) & 0xFFFFFFFF
    return int32(s)


def encode(value: Any, hint: Any = None, ctx: Any = None) -> bytes:
    buf = bytearray()
    write_object(buf, value, hint, ctx)
    return bytes(buf)


# --- brief §10 hash checks --------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, expected",
    [("my cache", 2012078094), ("SQL_PUBLIC_PERSON", -1447683814), ("Person", -1907849355),
     ("a", 97)],
)
def test_string_hashes(name: str, expected: int) -> None:
    assert cache_id(name) == expected
    assert string_hashcode(name) == expected
    assert java_hashcode(name) == expected


def test_brief_hash_checks() -> None:
    assert java_hashcode(-1) == 0
    assert java_hashcode(uuid.UUID("12345678-9abc-def0-1122-334455667788")) == -858993596
    assert java_hashcode(-2.5) == -1073479680
    assert java_hashcode(Decimal("-123.45")) == -382693
    assert entity_id("Person") == entity_id("person") == -991716523
    assert entity_id("name") == 3373707 and entity_id("age") == 96511
    assert schema_id([3373707, 96511]) == 1946200325
    assert schema_id([]) == 0


def test_person_hash() -> None:
    class Person(
        metaclass=GenericObjectMeta, schema=OrderedDict([("name", String), ("age", IntObject)])
    ):
        pass

    fields = bytes.fromhex("09 03 00 00 00 42 6f 62 03 1e 00 00 00")
    assert bytes_hashcode(fields) == java_bytes_hash(fields) == -1159590539
    for compact in (True, False):
        ctx = CodecContext(compact_footer=compact)
        assert java_hashcode(Person(name="Bob", age=30), ctx=ctx) == -1159590539
        assert hashcode_of_raw(encode(Person(name="Bob", age=30), ctx=ctx)) == -1159590539


def test_partition_examples() -> None:
    assert partition_for(97, 1024) == 97
    assert partition_for(java_hashcode("my cache"), 1000) == 94
    with pytest.raises(ParameterError):
        partition_for(1, 0)


# --- properties against the reference implementations -----------------------------------------


@given(st.text())
def test_string_hash_matches_java(text: str) -> None:
    assert string_hashcode(text) == java_string_hash(text)


def test_string_hash_non_bmp_uses_code_units() -> None:
    # U+1F600 is the surrogate pair D83D DE00
    assert string_hashcode("\U0001f600") == int32(31 * 0xD83D + 0xDE00)
    long_text = "é" * 10_000 + "x" * 5_000
    assert string_hashcode(long_text) == java_string_hash(long_text)


@settings(max_examples=50)
@given(st.binary(min_size=0, max_size=20_000))
def test_bytes_hash_matches_java(data: bytes) -> None:
    assert bytes_hashcode(data) == java_bytes_hash(data)


@given(st.lists(st.integers(-(1 << 40), 1 << 40), max_size=9000), st.integers(0, 2**32 - 1))
@settings(max_examples=30)
def test_poly31_matches_horner(values: List[int], start: int) -> None:
    h = start
    for value in values:
        h = (31 * h + value) & 0xFFFFFFFF
    assert poly31(values, start) == h


def test_entity_id_lowercases_like_java() -> None:
    assert entity_id("ÄBC") == java_string_hash("äbc")
    assert entity_id("İ") == java_string_hash("i")  # Character.toLowerCase: one unit
    assert entity_id("ΑΣ") == java_string_hash("ασ")  # no final-sigma rule in Java
    assert entity_id("\U00010400") == java_string_hash("\U00010400")  # units, not code points
    assert cache_id("ABC") != entity_id("ABC")


@given(st.lists(st.integers(-(1 << 31), (1 << 31) - 1), max_size=20))
def test_schema_id_matches_fnv(field_ids: List[int]) -> None:
    assert schema_id(field_ids) == java_fnv_schema(field_ids)


@given(
    st.integers(-(1 << 31), (1 << 31) - 1),
    st.one_of(st.integers(1, 70_000), st.sampled_from([1, 2, 512, 1024, 4096, 1 << 30])),
)
def test_partition_matches_java(h: int, parts: int) -> None:
    part = partition_for(h, parts)
    assert part == java_partition(h, parts)
    assert 0 <= part < parts


@pytest.mark.parametrize("h", [-(1 << 31), -1, 0, 1, (1 << 31) - 1, -1447683814])
@pytest.mark.parametrize("parts", [1, 3, 1000, 1023, 1024, 1025, 65536])
def test_partition_edges(h: int, parts: int) -> None:
    assert partition_for(h, parts) == java_partition(h, parts)


# --- per-type hashCodes ------------------------------------------------------------------------


@given(st.integers(-(1 << 63), (1 << 63) - 1))
def test_long_hash(value: int) -> None:
    assert java_hashcode(value) == java_long_hash(value)
    assert java_hashcode(value, LongObject) == java_long_hash(value)


@pytest.mark.parametrize("hint, bits", [(ByteObject, 8), (ShortObject, 16), (IntObject, 32)])
@given(data=st.data())
def test_small_int_hash_is_the_value(hint: Any, bits: int, data: Any) -> None:
    value = data.draw(st.integers(-(1 << (bits - 1)), (1 << (bits - 1)) - 1))
    assert java_hashcode(value, hint) == value
    assert hashcode_of_raw(encode(value, hint)) == value
    with pytest.raises(SerializationError):
        java_hashcode(1 << bits, hint)


def test_scalar_hashes() -> None:
    assert java_hashcode(True) == 1231 and java_hashcode(False) == 1237
    assert java_hashcode("A", CharObject) == 65
    assert java_hashcode(None) == 0
    assert java_hashcode(1.5, FloatObject) == 0x3FC00000
    assert java_hashcode(float("nan"), FloatObject) == 0x7FC00000
    assert java_hashcode(float("nan")) == java_long_hash(0x7FF8000000000000)
    assert java_hashcode(-0.0) == int32(0x80000000)
    assert java_hashcode((7, 3), EnumObject) == 31 * 7 + 3
    with pytest.raises(SerializationError):
        java_hashcode(1 << 64)


@given(st.floats(allow_nan=False))
def test_double_hash(value: float) -> None:
    bits = struct.unpack("<q", struct.pack("<d", value))[0]
    assert java_hashcode(value) == java_long_hash(bits)


@given(st.uuids())
def test_uuid_hash(value: uuid.UUID) -> None:
    msb, lsb = value.int >> 64, value.int & 0xFFFFFFFFFFFFFFFF
    x = msb ^ lsb
    assert java_hashcode(value) == int32((x >> 32) ^ x)


@given(st.integers(-(10**40), 10**40), st.integers(-30, 30))
def test_decimal_hash(unscaled: int, scale: int) -> None:
    value = Decimal(unscaled).scaleb(-scale, Context(prec=100))
    # the wire form is normalised: trailing zeros move into the scale
    while unscaled and unscaled % 10 == 0:
        unscaled //= 10
        scale -= 1
    if unscaled == 0:
        scale = 0
    assert java_hashcode(value) == java_decimal_hash(unscaled, scale)


def test_date_time_hashes() -> None:
    moment = datetime(2020, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)
    millis = 1577934245678
    assert java_hashcode(moment) == java_long_hash(millis)
    assert java_hashcode(moment, DateObject) == java_long_hash(millis)
    assert java_hashcode((moment, 999), TimestampObject) == java_long_hash(millis)
    assert java_hashcode(timedelta(milliseconds=-5), TimeObject) == java_long_hash(-5)


def test_array_hashes_follow_arrays_hashcode() -> None:
    def list_hash(items: Iterable[int]) -> int:
        h = 1
        for item in items:
            h = int32(31 * h + item)
        return h

    assert java_hashcode(b"\x01\xff") == java_bytes_hash(b"\x01\xff")
    assert java_hashcode(b"\x01\xff", ByteArrayObject) == list_hash([1, -1])
    assert java_hashcode([1, -2], ShortArrayObject) == list_hash([1, -2])
    assert java_hashcode([1, -2], IntArrayObject) == list_hash([1, -2])
    assert java_hashcode([-1, 5]) == list_hash([java_long_hash(-1), 5])
    assert java_hashcode(["a", "b"], CharArrayObject) == list_hash([97, 98])
    assert java_hashcode([True, False], BoolArrayObject) == list_hash([1231, 1237])
    assert java_hashcode([1.5], FloatArrayObject) == list_hash([0x3FC00000])
    assert java_hashcode([float("nan")], DoubleArrayObject) == list_hash(
        [java_long_hash(0x7FF8000000000000)]
    )
    assert java_hashcode(["a", None]) == list_hash([97, 0])


def test_collection_and_map_hashes() -> None:
    elements = [1, "x", None]
    element_hashes = [java_long_hash(1), 120, 0]
    h = 1
    for element in element_hashes:
        h = int32(31 * h + element)
    assert java_hashcode((CollectionObject.ARR_LIST, elements)) == h
    assert java_hashcode((CollectionObject.HASH_SET, elements)) == int32(sum(element_hashes))
    mapping = {"a": 1, "b": "c"}
    expected = int32((97 ^ 1) + (98 ^ 99))
    assert java_hashcode((MapObject.HASH_MAP, mapping)) == expected


# --- raw hashing ------------------------------------------------------------------------------

hashable_values = st.recursive(
    st.one_of(
        st.none(),
        st.integers(-(1 << 63), (1 << 63) - 1),
        st.text(max_size=6),
        st.booleans(),
        st.floats(),
        st.uuids(),
        st.binary(max_size=6),
        st.decimals(allow_nan=False, allow_infinity=False),
    ),
    lambda children: st.one_of(
        st.tuples(st.sampled_from([-1, 0, 1, 3]), st.lists(children, max_size=3)),
        st.tuples(st.just(1), st.dictionaries(st.text(max_size=3), children, max_size=3)),
    ),
    max_leaves=8,
)


@given(hashable_values)
def test_java_hashcode_equals_raw_hash(value: Any) -> None:
    raw = encode(value)
    assert java_hashcode(value) == hashcode_of_raw(raw)
    wrapped = encode((b"\x65" + raw, 1), WrappedDataObject)
    assert hashcode_of_raw(wrapped) == hashcode_of_raw(raw)
    assert hashcode_of_raw(b"xx" + raw, 2) == hashcode_of_raw(raw)


def test_raw_hash_with_handles() -> None:
    inner = encode((1, ["x"]))
    raw = b"\x18\x02\x00\x00\x00\x01" + inner + b"\x66" + struct.pack("<i", len(inner))
    inner_hash = hashcode_of_raw(inner)
    assert hashcode_of_raw(raw) == int32(31 * int32(31 + inner_hash) + inner_hash)
    cycle = b"\x18\x01\x00\x00\x00\x01\x66\x06\x00\x00\x00"
    assert hashcode_of_raw(cycle) == 31  # the self-reference counts as 0
    with pytest.raises(ParseError):
        hashcode_of_raw(b"\x18\x01\x00\x00\x00\x01\x66\x00\x00\x00\x00")


def test_raw_hash_class_name_enum() -> None:
    raw = encode(("org.Color", 4), EnumObject)
    assert hashcode_of_raw(raw) == 4


@settings(max_examples=300)
@given(st.binary(max_size=120))
def test_raw_hash_fuzz(data: bytes) -> None:
    try:
        hashcode_of_raw(data)
    except ParseError:
        pass


def test_raw_hash_bad_input() -> None:
    with pytest.raises(ParseError):
        hashcode_of_raw(b"")
    with pytest.raises(ParseError):
        hashcode_of_raw(b"\x09\x05\x00\x00\x00ab")
    deep = b"\x18\x01\x00\x00\x00\x01" * 300 + b"\x65"
    with pytest.raises(ParseError, match="deeper"):
        hashcode_of_raw(deep)
