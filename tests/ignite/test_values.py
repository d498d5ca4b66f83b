"""Ignite value codec: golden bytes from the protocol brief (§10.10), round trips for every type
code, pyignite's inference rules, handles, wrapped objects, raw helpers and fuzzing."""

from __future__ import annotations

import struct
import uuid
from collections import OrderedDict
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, List, Optional

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from txkv.errors import ProtocolError, TxKVError
from txkv.ignite.binary import GenericObjectMeta
from txkv.ignite.codec import (
    BinaryTypeInfo,
    CodecContext,
    IgniteClass,
    MissingSchemaError,
    ParseError,
    SerializationError,
    field_raw,
    infer_hint,
    key_identity,
    read_binary_type,
    read_object,
    read_string,
    skip_object,
    write_binary_type,
    write_object,
    write_string,
)
from txkv.ignite.datatypes import (
    BinaryEnumArrayObject,
    BinaryEnumObject,
    BinaryObject,
    BoolArrayObject,
    BoolObject,
    ByteArrayObject,
    ByteObject,
    CharArrayObject,
    CharObject,
    CollectionObject,
    DateArrayObject,
    DateObject,
    DecimalArrayObject,
    DecimalObject,
    DoubleArrayObject,
    DoubleObject,
    EnumArrayObject,
    EnumObject,
    FloatArrayObject,
    FloatObject,
    IntArrayObject,
    IntObject,
    LongArrayObject,
    LongObject,
    MapObject,
    Null,
    ObjectArrayObject,
    ShortArrayObject,
    ShortObject,
    String,
    StringArrayObject,
    TimeArrayObject,
    TimeObject,
    TimestampArrayObject,
    TimestampObject,
    UUIDArrayObject,
    UUIDObject,
    WrappedDataObject,
)
from txkv.ignite.errors import ParameterError

UTC = timezone.utc
INSTANT = datetime(2020, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)
SAMPLE_UUID = uuid.UUID("12345678-9abc-def0-1122-334455667788")


def encode(value: Any, hint: Optional[type] = None, ctx: Optional[CodecContext] = None) -> bytes:
    buf = bytearray()
    write_object(buf, value, hint, ctx)
    return bytes(buf)


def decode(data: bytes, ctx: Optional[CodecContext] = None) -> Any:
    value, end = read_object(data, 0, ctx)
    assert end == len(data)
    assert skip_object(data, 0) == len(data)
    return value


def local(moment: datetime) -> datetime:
    """What the codec returns for a Date: the instant as a naive local datetime."""
    return moment.astimezone().replace(tzinfo=None)


def utc(naive_local: datetime) -> datetime:
    return naive_local.astimezone(UTC)


class Person(
    metaclass=GenericObjectMeta,
    schema=OrderedDict([("name", String), ("age", IntObject)]),
):
    pass


# --- golden vectors (§10.10) ------------------------------------------------------------------

GOLDEN = [
    ("Hello", None, "09 05 00 00 00 48 65 6c 6c 6f", "Hello"),
    ("Привет", None, "09 0c 00 00 00 d0 9f d1 80 d0 b8 d0 b2 d0 b5 d1 82", "Привет"),
    (42, IntObject, "03 2a 00 00 00", 42),
    (42, None, "04 2a 00 00 00 00 00 00 00", 42),
    ("A", CharObject, "07 41 00", "A"),
    (True, None, "08 01", True),
    (1.5, None, "06 00 00 00 00 00 00 f8 3f", 1.5),
    (SAMPLE_UUID, None, "0a f0 de bc 9a 78 56 34 12 88 77 66 55 44 33 22 11", SAMPLE_UUID),
    (Decimal("-123.45"), None, "1e 02 00 00 00 02 00 00 00 b0 39", Decimal("-123.45")),
    (Decimal("128"), None, "1e 00 00 00 00 02 00 00 00 00 80", Decimal("128")),
    (
        (INSTANT, 123456),
        TimestampObject,
        "21 2e cf 35 64 6f 01 00 00 40 e2 01 00",
        (local(INSTANT), 123456),
    ),
    (INSTANT, None, "0b 2e cf 35 64 6f 01 00 00", local(INSTANT)),
    (
        (MapObject.HASH_MAP, {1: "one"}),
        None,
        "19 01 00 00 00 01 04 01 00 00 00 00 00 00 00 09 03 00 00 00 6f 6e 65",
        (1, {1: "one"}),
    ),
    (
        (CollectionObject.ARR_LIST, [1, "x"]),
        None,
        "18 02 00 00 00 01 04 01 00 00 00 00 00 00 00 09 01 00 00 00 78",
        (1, [1, "x"]),
    ),
    (
        (ObjectArrayObject.OBJECT, ["a", None]),
        ObjectArrayObject,
        "17 ff ff ff ff 02 00 00 00 09 01 00 00 00 61 65",
        (-1, ["a", None]),
    ),
    (["a", "bc"], None, "14 02 00 00 00 09 01 00 00 00 61 09 02 00 00 00 62 63", ["a", "bc"]),
]


@pytest.mark.parametrize("value, hint, hex_bytes, decoded", GOLDEN)
def test_golden_vectors(value: Any, hint: Optional[type], hex_bytes: str, decoded: Any) -> None:
    data = bytes.fromhex(hex_bytes)
    assert encode(value, hint) == data
    assert decode(data) == decoded


PERSON_COMPACT = bytes.fromhex(
    "67 01 2b 00 55 9b e3 c4 75 0d e2 ba 27 00 00 00 05 a9 00 74 25 00 00 00"
    "09 03 00 00 00 42 6f 62 03 1e 00 00 00 18 20"
)
PERSON_FULL = bytes.fromhex(
    "67 01 0b 00 55 9b e3 c4 75 0d e2 ba 2f 00 00 00 05 a9 00 74 25 00 00 00"
    "09 03 00 00 00 42 6f 62 03 1e 00 00 00 8b 7a 33 00 18 ff 78 01 00 20"
)


@pytest.mark.parametrize("compact, golden", [(True, PERSON_COMPACT), (False, PERSON_FULL)])
def test_person_golden(compact: bool, golden: bytes) -> None:
    ctx = CodecContext(compact_footer=compact)
    assert encode(Person(name="Bob", age=30), ctx=ctx) == golden
    assert ctx.take_unregistered() == [Person]
    assert ctx.take_unregistered() == []
    ctx.register_class(Person)
    assert decode(golden, ctx) == Person(name="Bob", age=30)
    assert encode(Person(name="Bob", age=30), ctx=ctx) == golden
    assert ctx.unregistered == {}


def test_generated_class_from_metadata() -> None:
    ctx = CodecContext()
    ctx.registry.put(BinaryTypeInfo.from_class(Person))
    for golden in (PERSON_COMPACT, PERSON_FULL):
        value = decode(golden, ctx)
        assert type(value).__name__ == "Person"
        assert type(value) is not Person
        assert (value.name, value.age, value.version) == ("Bob", 30, 1)
        assert value.type_id == Person.type_id and value.schema_id == Person.schema_id
        assert list(value.schema) == ["name", "age"]
        assert value.schema["age"] is IntObject
        # writing the decoded object back gives the same bytes
        assert encode(value, ctx=CodecContext(compact_footer=golden is PERSON_COMPACT)) == golden
    # the generated class is built once per schema
    assert type(decode(PERSON_COMPACT, ctx)) is type(decode(PERSON_FULL, ctx))


def test_missing_schema() -> None:
    with pytest.raises(MissingSchemaError) as caught:
        read_object(PERSON_COMPACT, 0)
    assert (caught.value.type_id, caught.value.schema_id) == (-991716523, 1946200325)
    assert isinstance(caught.value, ParseError) and isinstance(caught.value, ProtocolError)
    # a full footer names its fields, but the type name is still needed
    with pytest.raises(MissingSchemaError):
        read_object(PERSON_FULL, 0)
    # the user's class alone is enough when the schema matches
    ctx = CodecContext(classes={Person.type_id: Person})
    assert decode(PERSON_COMPACT, ctx) == Person(name="Bob", age=30)
    assert decode(PERSON_FULL, ctx) == Person(name="Bob", age=30)


# --- round trips ------------------------------------------------------------------------------

INT_HINTS = [(ByteObject, 8), (ShortObject, 16), (IntObject, 32), (LongObject, 64)]


@pytest.mark.parametrize("hint, bits", INT_HINTS)
@given(data=st.data())
def test_integers_round_trip(hint: type, bits: int, data: st.DataObject) -> None:
    value = data.draw(st.integers(-(1 << (bits - 1)), (1 << (bits - 1)) - 1))
    raw = encode(value, hint)
    assert raw[0] == hint.type_code and len(raw) == 1 + bits // 8
    assert decode(raw) == value
    with pytest.raises(SerializationError):
        encode(value + (1 << bits) if value >= 0 else value - (1 << bits), hint)


@given(st.floats(allow_nan=True))
def test_double_round_trip(value: float) -> None:
    raw = encode(value)
    assert raw[0] == DoubleObject.type_code
    assert struct.pack("<d", decode(raw)) == struct.pack("<d", value)


@given(st.floats(width=32, allow_nan=False))
def test_float_round_trip(value: float) -> None:
    assert decode(encode(value, FloatObject)) == value


def test_float_out_of_range() -> None:
    with pytest.raises(SerializationError):
        encode(1e300, FloatObject)


@given(st.characters(max_codepoint=0xFFFF))
def test_char_round_trip(value: str) -> None:
    raw = encode(value, CharObject)
    assert raw == bytes([7]) + struct.pack("<H", ord(value))
    assert decode(raw) == value


def test_char_edge_cases() -> None:
    assert decode(encode("\ud800", CharObject)) == "\ud800"  # a lone surrogate is a Java char
    assert encode(0x41, CharObject) == encode("A", CharObject)
    for bad in ("ab", "", "\U0001f600"):
        with pytest.raises(SerializationError):
            encode(bad, CharObject)


@given(st.booleans())
def test_bool_round_trip(value: bool) -> None:
    assert decode(encode(value)) is value
    assert decode(encode(value, BoolObject)) is value


def test_bool_any_nonzero_is_true() -> None:
    assert decode(b"\x08\x02") is True
    assert decode(b"\x08\x00") is False


@given(st.text())
def test_string_round_trip(value: str) -> None:
    raw = encode(value)
    assert raw[:5] == struct.pack("<Bi", 9, len(value.encode("utf-8")))
    assert decode(raw) == value


def test_string_edge_cases() -> None:
    assert encode("") == b"\x09\x00\x00\x00\x00"
    assert encode(b"raw", String) == b"\x09\x03\x00\x00\x00raw"
    assert encode(None, String) == b"\x65"
    with pytest.raises(SerializationError):
        encode("bad \ud800 surrogate")
    with pytest.raises(ParseError):
        read_object(b"\x09\x02\x00\x00\x00\xff\xfe", 0)


def test_string_helpers() -> None:
    buf = bytearray()
    write_string(buf, "x")
    write_string(buf, None)
    value, end = read_string(buf, 0)
    assert (value, end) == ("x", 6)
    assert read_string(buf, end) == (None, 7)
    with pytest.raises(ParseError):
        read_string(encode(5), 0)


@given(st.uuids())
def test_uuid_round_trip(value: uuid.UUID) -> None:
    raw = encode(value)
    assert raw[1:] == value.bytes[7::-1] + value.bytes[15:7:-1]
    assert decode(raw) == value


decimals = st.one_of(
    st.decimals(allow_nan=False, allow_infinity=False),
    st.builds(
        lambda unscaled, scale: Decimal(unscaled).scaleb(-scale),
        st.integers(-(10**80), 10**80),
        st.integers(-40, 40),
    ),
)


@given(decimals)
def test_decimal_round_trip(value: Decimal) -> None:
    result = decode(encode(value))
    assert result == value
    assert result.is_signed() == value.is_signed()
    if not value.is_zero():  # trailing zeros are stripped, never digits
        normal = value.normalize(_context(value))
        assert result.as_tuple() == normal.as_tuple()


def _context(value: Decimal) -> Any:
    import decimal

    return decimal.Context(prec=max(28, len(value.as_tuple().digits)), Emax=10**9, Emin=-(10**9))


def test_decimal_layout() -> None:
    assert encode(Decimal("100")) == bytes.fromhex("1e fe ff ff ff 01 00 00 00 01")
    assert encode(Decimal("0.00")) == bytes.fromhex("1e 00 00 00 00 01 00 00 00 00")
    assert encode(Decimal("-0")) == bytes.fromhex("1e 00 00 00 00 01 00 00 00 80")
    assert encode(Decimal("-128")) == bytes.fromhex("1e 00 00 00 00 02 00 00 00 80 80")
    huge = Decimal("123456789012345678901234567890123456789.5")  # > 28 digits: no rounding
    assert decode(encode(huge)) == huge
    assert decode(bytes.fromhex("1e 03 00 00 00 03 00 00 00 01 e2 40")) == Decimal("123.456")
    # Java's scale survives decoding
    assert str(decode(bytes.fromhex("1e 02 00 00 00 01 00 00 00 00"))) == "0.00"
    assert decode(bytes.fromhex("1e 02 00 00 00 00 00 00 00")) == Decimal(0)
    assert decode(encode(7, DecimalObject)) == 7
    for bad in (Decimal("NaN"), Decimal("Infinity"), "1.5"):
        with pytest.raises(SerializationError):
            encode(bad, DecimalObject)


moments = st.datetimes(
    min_value=datetime(1900, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(UTC)
).map(lambda moment: moment.replace(microsecond=moment.microsecond // 1000 * 1000))


@given(moments)
def test_date_round_trip(moment: datetime) -> None:
    raw = encode(moment)
    millis = int((moment - datetime(1970, 1, 1, tzinfo=UTC)) / timedelta(milliseconds=1))
    assert raw == struct.pack("<Bq", 11, millis)
    assert utc(decode(raw)) == moment


def test_date_inputs() -> None:
    # naive values are local time, a date is its local midnight
    naive = datetime(2001, 2, 3, 4, 5, 6, 789000)
    assert decode(encode(naive)) == naive
    assert decode(encode(date(2001, 2, 3))) == datetime(2001, 2, 3)
    # sub-millisecond digits are truncated
    assert utc(decode(encode(INSTANT.replace(microsecond=678999)))) == INSTANT
    assert encode(INSTANT, DateObject) == encode(INSTANT)
    with pytest.raises(SerializationError):
        encode("2001-01-01", DateObject)


def test_date_out_of_python_range() -> None:
    with pytest.raises(ParseError):
        read_object(struct.pack("<Bq", 11, (1 << 63) - 1), 0)


@given(moments, st.integers(0, 999_999))
def test_timestamp_round_trip(moment: datetime, nanos: int) -> None:
    value, read_nanos = decode(encode((moment, nanos), TimestampObject))
    assert (utc(value), read_nanos) == (moment, nanos)
    # inferred from a (datetime, int) tuple (a txkv extension)
    assert encode((moment, nanos)) == encode((moment, nanos), TimestampObject)


def test_timestamp_inputs() -> None:
    with_micros = INSTANT.replace(microsecond=678123)
    assert encode(with_micros, TimestampObject) == encode((INSTANT, 123000), TimestampObject)
    for bad in ((INSTANT, -1), (INSTANT, 1_000_000), (INSTANT, 1.5)):
        with pytest.raises(SerializationError):
            encode(bad, TimestampObject)


@given(st.timedeltas(min_value=timedelta(days=-10**6), max_value=timedelta(days=10**6)))
def test_time_round_trip(value: timedelta) -> None:
    value = value - value % timedelta(milliseconds=1)
    raw = encode(value)
    assert raw[0] == TimeObject.type_code
    assert decode(raw) == value


int32 = st.integers(-(1 << 31), (1 << 31) - 1)
type_ids = int32.filter(lambda type_id: type_id != 0)


@given(type_ids, int32)
def test_enum_round_trip(type_id: int, ordinal: int) -> None:
    assert decode(encode((type_id, ordinal), EnumObject)) == (type_id, ordinal)
    raw = encode((type_id, ordinal), BinaryEnumObject)
    assert raw[0] == 0x26
    assert decode(raw) == (type_id, ordinal)


def test_enum_with_class_name() -> None:
    raw = encode(("org.Color", 2), EnumObject)
    assert raw == b"\x1c\x00\x00\x00\x00" + encode("org.Color") + b"\x02\x00\x00\x00"
    assert decode(raw) == ("org.Color", 2)
    for hint, value in (
        (EnumObject, (0, 1)), (ObjectArrayObject, (0, [])), (EnumArrayObject, (0, []))
    ):
        with pytest.raises(SerializationError, match="unregistered"):
            encode(value, hint)


@given(st.binary())
def test_byte_array_round_trip(value: bytes) -> None:
    raw = encode(value)
    assert raw == struct.pack("<Bi", 12, len(value)) + value
    assert decode(raw) == value
    assert encode(bytearray(value)) == raw
    assert encode(memoryview(value)) == raw
    assert encode(list(value), ByteArrayObject) == raw


def test_byte_array_signed_items() -> None:
    assert decode(encode([-1, -128, 127, 255], ByteArrayObject)) == b"\xff\x80\x7f\xff"
    with pytest.raises(SerializationError):
        encode([256], ByteArrayObject)


NUMBER_ARRAYS = [
    (ShortArrayObject, "h", st.integers(-(1 << 15), (1 << 15) - 1)),
    (IntArrayObject, "i", int32),
    (LongArrayObject, "q", st.integers(-(1 << 63), (1 << 63) - 1)),
    (FloatArrayObject, "f", st.floats(width=32, allow_nan=False)),
    (DoubleArrayObject, "d", st.floats(allow_nan=False)),
]


@pytest.mark.parametrize("hint, fmt, elements", NUMBER_ARRAYS)
@given(data=st.data())
def test_number_arrays_round_trip(hint: type, fmt: str, elements: Any, data: Any) -> None:
    values = data.draw(st.lists(elements, max_size=50))
    raw = encode(values, hint)
    assert raw == struct.pack("<Bi", hint.type_code, len(values)) + struct.pack(
        f"<{len(values)}{fmt}", *values
    )
    assert decode(raw) == values
    assert encode(tuple(values), hint) == raw
    assert encode(iter(values), hint) == raw


def test_number_array_range() -> None:
    with pytest.raises(SerializationError):
        encode([1 << 15], ShortArrayObject)
    with pytest.raises(SerializationError):
        encode([1.5], IntArrayObject)
    buf = bytearray(b"keep")
    with pytest.raises(SerializationError):
        write_object(buf, [1, 2, 1 << 64], LongArrayObject)
    assert buf == b"keep"


@given(st.lists(st.characters(max_codepoint=0xFFFF), max_size=30))
def test_char_array_round_trip(values: List[str]) -> None:
    raw = encode(values, CharArrayObject)
    assert raw[5:] == b"".join(struct.pack("<H", ord(c)) for c in values)
    assert decode(raw) == values
    assert encode([ord(c) for c in values], CharArrayObject) == raw


def test_char_array_bad_items() -> None:
    for bad in (["ab"], ["\U0001f600"], ["", "ab"]):
        with pytest.raises(SerializationError):
            encode(bad, CharArrayObject)


@given(st.lists(st.booleans(), max_size=30))
def test_bool_array_round_trip(values: List[bool]) -> None:
    raw = encode(values, BoolArrayObject)
    if values:
        assert encode(values) == raw
    assert raw == struct.pack("<Bi", 0x13, len(values)) + bytes(values)
    assert decode(raw) == values
    assert encode([2 if v else 0 for v in values], BoolArrayObject) == raw
    assert encode([[1] if v else None for v in values], BoolArrayObject) == raw


STANDARD_ARRAYS = [
    (StringArrayObject, st.text(max_size=5)),
    (UUIDArrayObject, st.uuids()),
    (DecimalArrayObject, decimals),
    (TimeArrayObject, st.integers(-(10**10), 10**10).map(lambda ms: timedelta(milliseconds=ms))),
]


@pytest.mark.parametrize("hint, elements", STANDARD_ARRAYS)
@given(data=st.data())
def test_standard_arrays_round_trip(hint: type, elements: Any, data: Any) -> None:
    values = data.draw(st.lists(st.one_of(st.none(), elements), max_size=10))
    raw = encode(values, hint)
    assert raw[0] == hint.type_code
    assert decode(raw) == values
    if any(v is not None for v in values):
        assert encode(values) == raw  # inferred from the element type


@given(st.lists(st.one_of(st.none(), moments), max_size=8))
def test_date_array_round_trip(values: List[Optional[datetime]]) -> None:
    result = decode(encode(values, DateArrayObject))
    assert [None if v is None else utc(v) for v in result] == values


@given(st.lists(st.one_of(st.none(), st.tuples(moments, st.integers(0, 999_999))), max_size=8))
def test_timestamp_array_round_trip(values: List[Any]) -> None:
    result = decode(encode(values, TimestampArrayObject))
    assert [None if v is None else (utc(v[0]), v[1]) for v in result] == values


@given(type_ids, st.lists(st.one_of(st.none(), st.tuples(type_ids, int32)), max_size=8))
def test_enum_arrays_round_trip(type_id: int, values: List[Any]) -> None:
    raw = encode((type_id, values), EnumArrayObject)
    assert decode(raw) == (type_id, values)
    binary = encode((type_id, values), BinaryEnumArrayObject)
    assert binary[0] == 0x1D
    assert decode(binary) == (type_id, values)


# nested values that inference maps one-to-one back onto themselves
scalars = st.one_of(
    st.none(),
    st.integers(-(1 << 63), (1 << 63) - 1),
    st.floats(allow_nan=False),
    st.text(max_size=8),
    st.booleans(),
    st.uuids(),
    decimals,
    st.binary(max_size=8),
)


def _containers(children: Any) -> Any:
    return st.one_of(
        st.tuples(st.sampled_from([-1, 0, 1, 2, 3, 4, 5]), st.lists(children, max_size=4)),
        st.tuples(
            st.just(MapObject.HASH_MAP),
            st.dictionaries(st.one_of(st.text(max_size=4), st.integers(0, 100)), children,
                            max_size=4),
        ),
        st.tuples(
            st.just(MapObject.LINKED_HASH_MAP),
            st.dictionaries(st.text(max_size=4), children, max_size=4).map(OrderedDict),
        ),
    )


nested = st.recursive(scalars, _containers, max_leaves=12)


@given(nested)
def test_nested_collections_round_trip(value: Any) -> None:
    raw = encode(value)
    assert decode(raw) == value
    assert key_identity(raw) == raw


@given(st.lists(nested, max_size=5))
def test_object_array_round_trip(values: List[Any]) -> None:
    raw = encode((ObjectArrayObject.OBJECT, values), ObjectArrayObject)
    assert decode(raw) == (-1, values)
    named = encode(("org.Foo", values), ObjectArrayObject)
    assert decode(named) == ("org.Foo", values)


def test_linked_hash_map_keeps_order() -> None:
    value = decode(encode((2, OrderedDict([("b", 1), ("a", 2)]))))
    assert isinstance(value[1], OrderedDict) and list(value[1]) == ["b", "a"]
    assert type(decode(encode((1, {"a": 1})))[1]) is dict


def test_hinted_elements() -> None:
    raw = encode((CollectionObject.ARR_LIST, [(1, IntObject), ("a", CharObject), 2]))
    assert raw == (
        b"\x18\x03\x00\x00\x00\x01" + encode(1, IntObject) + encode("a", CharObject) + encode(2)
    )
    raw = encode((MapObject.HASH_MAP, {(1, ShortObject): (None, String)}))
    assert raw == b"\x19\x01\x00\x00\x00\x01" + encode(1, ShortObject) + b"\x65"
    assert encode((5, IntObject)) == encode(5, IntObject)


def test_class_and_wrapped_round_trip() -> None:
    assert decode(encode(IgniteClass(77))) == IgniteClass(77)
    assert decode(encode(IgniteClass(0, "org.Foo"))) == IgniteClass(0, "org.Foo")
    inner = b"\x65" + encode("payload")
    wrapped = encode((inner, 1), WrappedDataObject)
    assert wrapped == struct.pack("<Bi", 0x1B, len(inner)) + inner + struct.pack("<i", 1)
    assert decode(wrapped) == "payload"
    assert key_identity(wrapped) == encode("payload")


# --- inference --------------------------------------------------------------------------------

INFERRED = [
    (1, LongObject),
    (1.0, DoubleObject),
    ("s", String),
    (b"b", ByteArrayObject),
    (bytearray(b"b"), ByteArrayObject),
    (True, BoolObject),
    (None, Null),
    (SAMPLE_UUID, UUIDObject),
    (INSTANT, DateObject),
    (date(2000, 1, 1), DateObject),
    (timedelta(1), TimeObject),
    (Decimal(1), DecimalObject),
    ([1, 2], LongArrayObject),
    ([1, True], LongArrayObject),
    ([1.0], DoubleArrayObject),
    (["a", None], StringArrayObject),
    ([None, "a"], StringArrayObject),
    ([True, False], BoolArrayObject),
    ([SAMPLE_UUID, None], UUIDArrayObject),
    ([date(2000, 1, 1), INSTANT], DateArrayObject),
    ([timedelta(1)], TimeArrayObject),
    ([Decimal(1), None], DecimalArrayObject),
    ((1, {}), MapObject),
    ([2, {"a": 1}], MapObject),
    ((1, [1, "a"]), CollectionObject),
    ((1, "ab"), CollectionObject),
    ((INSTANT, 5), TimestampObject),
    ({1, 2}, LongArrayObject),
    (Person(), BinaryObject),
    ((7, IntObject), IntObject),
]


@pytest.mark.parametrize("value, hint", INFERRED)
def test_inference(value: Any, hint: type) -> None:
    assert infer_hint(value) is hint
    if hint is not BinaryObject:
        assert encode(value) == encode(value[0] if value == (7, IntObject) else value, hint)


@pytest.mark.parametrize(
    "value",
    [
        [], [None], {"a": 1}, [1, "a", 2], [b"x"], [1, None], object(), (1, None),
        [INSTANT, date.today()], [INSTANT, 5],
    ],
)
def test_inference_failures(value: Any) -> None:
    buf = bytearray(b"x")
    with pytest.raises(SerializationError) as caught:
        write_object(buf, value)
    assert buf == b"x"
    assert isinstance(caught.value, ParameterError) and isinstance(caught.value, TxKVError)


def test_subclasses_and_generators() -> None:
    import enum

    class Level(enum.IntEnum):
        HIGH = 3

    assert encode(Level.HIGH) == encode(3)
    assert encode([Level.HIGH, Level.HIGH]) == encode([3, 3])
    assert encode(x * 2 for x in range(3)) == encode([0, 2, 4])


def test_bad_hint() -> None:
    with pytest.raises(ParameterError):
        encode(1, int)
    with pytest.raises(TypeError):
        IntObject()


def test_null_hint_and_none() -> None:
    assert encode(123, Null) == b"\x65"
    for hint in (IntObject, String, MapObject, BinaryObject, ObjectArrayObject):
        assert encode(None, hint) == b"\x65"
    assert encode((1, None), MapObject) == b"\x65"


# --- handles ----------------------------------------------------------------------------------


def test_handle_to_earlier_object() -> None:
    inner = encode((1, [5]))  # at offset 6 of the outer collection
    raw = b"\x18\x02\x00\x00\x00\x01" + inner + b"\x66" + struct.pack("<i", 6 + len(inner) - 6)
    kind, items = decode(raw)
    assert items[0] == (1, [5]) and items[1] is items[0]


def test_handle_cycle() -> None:
    raw = b"\x18\x01\x00\x00\x00\x01\x66\x06\x00\x00\x00"
    value = decode(raw)
    assert value[0] == 1 and value[1][0] is value


def test_handle_in_complex_object_to_itself() -> None:
    class Node(metaclass=GenericObjectMeta, schema=OrderedDict([("me", BinaryObject)])):
        pass

    # header, field 'me' = handle 24 bytes back (to the object itself), full footer
    field = b"\x66" + struct.pack("<i", 24)
    footer = struct.pack("<iB", Node._field_ids[0], 24)
    raw = struct.pack(
        "<BBHiiiii", 0x67, 1, 0x0B, Node.type_id, 0, 24 + len(field) + len(footer),
        Node.schema_id, 24 + len(field),
    ) + field + footer
    node = decode(raw, CodecContext(classes={Node.type_id: Node}))
    assert node.me is node


@pytest.mark.parametrize("distance", [0, -1, 7, 1000])
def test_bad_handles(distance: int) -> None:
    raw = b"\x18\x01\x00\x00\x00\x01\x66" + struct.pack("<i", distance)
    with pytest.raises(ParseError):
        read_object(raw, 0)
    assert skip_object(raw, 0) == len(raw)


def test_handle_at_top_level() -> None:
    with pytest.raises(ParseError):
        read_object(b"\x65\x66\x01\x00\x00\x00", 1)


# --- complex objects --------------------------------------------------------------------------

FIELD_TYPES = [
    (IntObject, int32),
    (LongObject, st.integers(-(1 << 63), (1 << 63) - 1)),
    (String, st.one_of(st.none(), st.text(max_size=20))),
    (DoubleObject, st.floats(allow_nan=False)),
    (BoolObject, st.booleans()),
    (UUIDObject, st.one_of(st.none(), st.uuids())),
    (DecimalObject, decimals),
    (ByteArrayObject, st.binary(max_size=300)),
    (LongArrayObject, st.lists(st.integers(0, 10), max_size=5)),
    (CollectionObject, st.tuples(st.just(1), st.lists(scalars, max_size=3))),
]


@st.composite
def complex_values(draw: Any, depth: int = 0) -> Any:
    picks = draw(st.lists(st.sampled_from(range(len(FIELD_TYPES))), max_size=6))
    schema: OrderedDict[str, type] = OrderedDict()
    values = {}
    for index, pick in enumerate(picks):
        hint, strategy = FIELD_TYPES[pick]
        schema[f"f{index}_{hint.__name__}"] = hint
        values[f"f{index}_{hint.__name__}"] = draw(strategy)
    if depth < 2 and draw(st.booleans()):
        schema["child"] = BinaryObject
        values["child"] = draw(complex_values(depth + 1))
    type_name = draw(st.sampled_from(["Alpha", "org.example.Beta", "Gamma$1"]))
    cls = GenericObjectMeta(f"T{depth}", (), {}, type_name=type_name, schema=schema)
    return cls(**values)


def _classes_of(obj: Any, into: List[Any]) -> List[Any]:
    into.append(type(obj))
    child = getattr(obj, "child", None)
    if child is not None:
        _classes_of(child, into)
    return into


@settings(suppress_health_check=[HealthCheck.too_slow], max_examples=60)
@given(complex_values(), st.booleans())
def test_complex_round_trip(obj: Any, compact: bool) -> None:
    ctx = CodecContext(compact_footer=compact)
    raw = encode(obj, ctx=ctx)
    header_flags = struct.unpack_from("<H", raw, 2)[0]
    assert bool(header_flags & 0x20) == compact
    for cls in _classes_of(obj, []):
        ctx.register_class(cls)
    ctx.classes.clear()  # decode through generated classes
    result = decode(raw, ctx)
    assert type(result).type_name == type(obj).type_name
    for name in type(obj).schema:
        expected, got = getattr(obj, name), getattr(result, name)
        if name == "child":
            assert encode(got, ctx=ctx) == encode(expected, ctx=ctx)
        else:
            assert got == expected
    assert encode(result, ctx=ctx) == raw
    other = encode(obj, ctx=CodecContext(compact_footer=not compact))
    if getattr(obj, "child", None) is None:  # nested objects keep their own footer bytes
        assert key_identity(other) == key_identity(raw)
    else:
        assert key_identity(other) != key_identity(raw)


def test_wide_offsets() -> None:
    class Wide(
        metaclass=GenericObjectMeta,
        schema=OrderedDict([("blob", ByteArrayObject), ("tail", IntObject), ("more", String)]),
    ):
        pass

    for size, flag in ((300, 0x10), (70000, 0x00)):
        for compact in (True, False):
            ctx = CodecContext(compact_footer=compact, classes={Wide.type_id: Wide})
            obj = Wide(blob=bytes(size), tail=7, more="m")
            raw = encode(obj, ctx=ctx)
            flags = struct.unpack_from("<H", raw, 2)[0]
            assert flags & 0x18 == flag
            assert decode(raw, ctx) == obj


def test_empty_complex_object() -> None:
    class Empty(metaclass=GenericObjectMeta):
        pass

    raw = encode(Empty())
    assert raw == struct.pack("<BBHiiiii", 0x67, 1, 0x2B, Empty.type_id, 1, 24, 0, 24)
    assert decode(raw, CodecContext(classes={Empty.type_id: Empty})) == Empty()


def test_complex_raw_data_and_no_schema() -> None:
    # a Java object with raw data only: no footer, schema offset = raw offset
    raw = struct.pack("<BBHiiiii", 0x67, 1, 0x05, 99, 0, 28, 0, 24) + b"RAW!"
    ctx = CodecContext()
    ctx.registry.put(BinaryTypeInfo(type_id=99, type_name="Raw"))
    value = decode(raw, ctx)
    assert type(value).type_name == "Raw" and list(value.schema) == []
    assert key_identity(raw) == b"\x67" + struct.pack("<i", 99) + b"RAW!"


def test_user_class_with_other_schema_is_not_used() -> None:
    class PersonV2(
        metaclass=GenericObjectMeta,
        type_name="Person",
        schema=OrderedDict([("name", String), ("age", IntObject), ("email", String)]),
    ):
        pass

    ctx = CodecContext()
    ctx.register_class(PersonV2)
    with pytest.raises(MissingSchemaError):  # the old schema is unknown
        read_object(PERSON_COMPACT, 0, ctx)
    value = decode(PERSON_FULL, ctx)  # a full footer names its fields
    assert type(value) is not PersonV2 and (value.name, value.age) == ("Bob", 30)
    ctx.register_class(Person)
    assert decode(PERSON_COMPACT, ctx) == Person(name="Bob", age=30)


def test_field_raw() -> None:
    ctx = CodecContext()
    assert field_raw(PERSON_FULL, 3373707) == encode("Bob")
    assert field_raw(PERSON_FULL, 96511) == encode(30, IntObject)
    assert field_raw(PERSON_FULL, 1) is None
    with pytest.raises(MissingSchemaError):
        field_raw(PERSON_COMPACT, 96511)
    ctx.register_class(Person)
    assert field_raw(PERSON_COMPACT, 96511, ctx) == encode(30, IntObject)
    wrapped = encode((b"\x65" + PERSON_FULL, 1), WrappedDataObject)
    assert field_raw(wrapped, 3373707) == encode("Bob")
    with pytest.raises(ParseError):
        field_raw(encode(1), 1)


def test_key_identity() -> None:
    assert key_identity(PERSON_COMPACT) == key_identity(PERSON_FULL)
    assert key_identity(encode(1, IntObject)) != key_identity(encode(1))
    assert key_identity(encode((PERSON_FULL, 0), WrappedDataObject)) == key_identity(PERSON_FULL)
    with pytest.raises(ParseError):
        key_identity(b"")


# --- binary-type metadata structure -----------------------------------------------------------


def test_binary_type_layout() -> None:
    info = BinaryTypeInfo.from_class(Person, affinity_key_field="name")
    buf = bytearray()
    write_binary_type(buf, info)
    expected = (
        struct.pack("<i", Person.type_id)
        + encode("Person")
        + encode("name")
        + struct.pack("<i", 2)
        + encode("name") + struct.pack("<ii", 9, 3373707)
        + encode("age") + struct.pack("<ii", 3, 96511)
        + b"\x00"
        + struct.pack("<iii", 1, Person.schema_id, 2) + struct.pack("<ii", 3373707, 96511)
    )
    assert bytes(buf) == expected
    parsed, end = read_binary_type(buf + b"tail", 0)
    assert end == len(buf) and parsed == info
    for cut in range(len(buf)):
        with pytest.raises(ParseError):
            read_binary_type(bytes(buf[:cut]), 0)


def test_binary_type_enum() -> None:
    info = BinaryTypeInfo.enum("Color", {"RED": 0, "GREEN": 1})
    buf = bytearray()
    write_binary_type(buf, info)
    parsed, end = read_binary_type(buf, 0)
    assert parsed == info and end == len(buf)
    assert parsed.is_enum and parsed.affinity_key_field is None


# --- bad input --------------------------------------------------------------------------------

SAMPLES = [bytes.fromhex(hex_bytes) for _, _, hex_bytes, _ in GOLDEN] + [
    PERSON_COMPACT,
    PERSON_FULL,
    encode([1.5, 2.5], FloatArrayObject),
    encode((-1, [(1, 2)]), EnumArrayObject),
    encode((b"\x65" + PERSON_FULL, 1), WrappedDataObject),
]


@pytest.mark.parametrize("sample", SAMPLES)
def test_every_truncation_is_a_parse_error(sample: bytes) -> None:
    ctx = CodecContext(classes={Person.type_id: Person})
    for cut in range(len(sample)):
        with pytest.raises(ParseError):
            read_object(sample[:cut], 0, ctx)
        with pytest.raises(ParseError):
            skip_object(sample[:cut], 0)


@pytest.mark.parametrize("code", [0x1A, 0x23, 0x27, 0x64, 0x68, 0xFE, 0xFF])
def test_unsupported_type_codes(code: int) -> None:
    with pytest.raises(ParseError, match="0x"):
        read_object(bytes([code, 0, 0, 0, 0]), 0)
    with pytest.raises(ParseError):
        skip_object(bytes([code, 0, 0, 0, 0]), 0)


def test_malformed_lengths() -> None:
    for raw in (
        b"\x09\xff\xff\xff\xff",
        b"\x0e\x00\x00\x00\x40",
        b"\x18\xff\xff\xff\x7f\x01",
        b"\x19\x02\x00\x00\x00\x01\x65\x65",
    ):
        with pytest.raises(ParseError):
            read_object(raw, 0)


def test_unhashable_map_key() -> None:
    raw = b"\x19\x01\x00\x00\x00\x01" + encode([1, 2]) + encode(1)
    with pytest.raises(ParseError, match="hashable"):
        read_object(raw, 0)


def test_deep_nesting_is_refused() -> None:
    raw = b"\x18\x01\x00\x00\x00\x01" * 500 + b"\x65"
    with pytest.raises(ParseError, match="deeper"):
        read_object(raw, 0)
    with pytest.raises(ParseError, match="deeper"):
        skip_object(raw, 0)
    shallow = b"\x18\x01\x00\x00\x00\x01" * 50 + b"\x65"
    assert skip_object(shallow, 0) == len(shallow)


def test_shared_footer_offsets_are_decoded_once() -> None:
    # every level's 50 fields all point at the next level: 50**4 decodes without memoisation
    names = [f"f{i}" for i in range(50)]
    fan = GenericObjectMeta("Fan", (), {}, schema=OrderedDict((n, BinaryObject) for n in names))
    ctx = CodecContext()
    ctx.register_class(fan)
    ctx.classes.clear()
    inner = encode("leaf")
    for _ in range(4):
        footer = bytes([24]) * 50
        inner = struct.pack(
            "<BBHiiiii", 0x67, 1, 0x2B, fan.type_id, 0, 24 + len(inner) + len(footer),
            fan.schema_id, 24 + len(inner),
        ) + inner + footer
    top = decode(inner, ctx)
    assert top.f0 is top.f49 and top.f0.f0.f0.f0 == "leaf"


def test_wrong_input_type() -> None:
    with pytest.raises(ParameterError):
        read_object("text", 0)  # type: ignore[arg-type]
    with pytest.raises(ParseError):
        read_object(b"\x65", 5)


@settings(max_examples=400)
@given(st.binary(max_size=200))
def test_fuzz_random_bytes(data: bytes) -> None:
    ctx = CodecContext()
    ctx.register_class(Person)
    for fn in (lambda: read_object(data, 0, ctx), lambda: skip_object(data, 0),
               lambda: key_identity(data)):
        try:
            fn()
        except ParseError:
            pass


@settings(max_examples=300)
@given(st.sampled_from(SAMPLES), st.data())
def test_fuzz_mutated_samples(sample: bytes, data: Any) -> None:
    mutated = bytearray(sample)
    for _ in range(data.draw(st.integers(1, 4))):
        index = data.draw(st.integers(0, len(mutated) - 1))
        mutated[index] = data.draw(st.integers(0, 255))
    ctx = CodecContext(classes={Person.type_id: Person})
    try:
        _, end = read_object(bytes(mutated), 0, ctx)
    except ParseError:
        return
    assert end == skip_object(bytes(mutated), 0)


def test_parse_errors_name_the_offset() -> None:
    with pytest.raises(ParseError, match="String at offset 7"):
        read_object(b"\x18\x01\x00\x00\x00\x01\x09\x05\x00", 0)
