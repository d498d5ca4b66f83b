"""Python values -> Ignite data objects (type code + payload), appended to a ``bytearray``.

Without a hint the type is inferred the way pyignite infers it (brief §4.8): ``int`` -> Long,
``float`` -> Double, ``str`` -> String, ``bytes`` -> byte[], ``bool``, ``None``, ``UUID``,
``datetime``/``date`` -> Date, ``timedelta`` -> Time, ``Decimal``, homogeneous lists -> arrays,
``(int, dict)`` -> Map, ``(int, iterable)`` -> Collection, complex-object instances, and
``(value, Hint)`` tuples anywhere a value is inferred.  txkv additions (inputs pyignite rejects):
``(datetime, int)`` -> Timestamp, ``memoryview`` -> byte[], subclasses of the basic types, any
iterable (generators are materialised).  Values out of range for their type raise
:class:`~txkv.ignite.errors.SerializationError` (pyignite's ctypes would wrap them silently).
"""

from __future__ import annotations

import decimal
import struct
import sys
import uuid
from array import array
from collections.abc import Iterable, Mapping, Sequence, Sized
from datetime import date, datetime, time, timedelta
from itertools import chain
from typing import Any, Callable, Dict, List, NamedTuple, Optional, Tuple, Union

from ...errors import TxKVError
from ..errors import ParameterError, SerializationError
from . import hints as h
from . import typecodes as tc
from .generic import GenericObjectMeta
from .hashing import bytes_hashcode
from .registry import DEFAULT_CONTEXT, CodecContext

__all__ = ["write_object", "infer_hint", "IgniteClass", "datetime_to_ms", "decimal_parts"]

Writer = Callable[[bytearray, Any, CodecContext], None]

_BIG_ENDIAN = sys.byteorder == "big"
_M64 = 0xFFFFFFFFFFFFFFFF
_MS = timedelta(milliseconds=1)
#: decimal context large enough never to round
EXACT = decimal.Context(prec=decimal.MAX_PREC, Emax=decimal.MAX_EMAX, Emin=decimal.MIN_EMIN)

_BYTE = struct.Struct("<Bb")
_SHORT = struct.Struct("<Bh")
_INT = struct.Struct("<Bi")  # also: type code + int32 length
_LONG = struct.Struct("<Bq")
_FLOAT = struct.Struct("<Bf")
_DOUBLE = struct.Struct("<Bd")
_CHAR = struct.Struct("<BH")
_BOOL = struct.Struct("<BB")
_UUID = struct.Struct("<BQQ")
_TIMESTAMP = struct.Struct("<Bqi")
_TWO_INTS = struct.Struct("<Bii")  # decimal scale+length, enum id+ordinal, array id+count
_COLLECTION = struct.Struct("<Bib")  # code, count, kind
_INT32 = struct.Struct("<i")
_HEADER = struct.Struct("<BBHiiiii")
_NULL = bytes([tc.TC_NULL])
_BOOL_TABLE = bytes([0] + [1] * 255)


class IgniteClass(NamedTuple):
    """A ``java.lang.Class`` value (type code 0x20): a registered type id, or 0 and a name."""

    type_id: int
    class_name: Optional[str] = None


# --- entry point ------------------------------------------------------------------------------


def write_object(
    buf: bytearray, value: Any, hint: Optional[type] = None, ctx: Optional[CodecContext] = None
) -> None:
    """Append one data object for *value* to *buf*.

    :param hint: a type-hint class from :mod:`txkv.ignite.datatypes`; ``None`` infers the type
        (and honours a ``(value, Hint)`` tuple).
    :param ctx: codec context (footer style; records complex-object classes whose schema the
        registry does not know in ``ctx.unregistered``).
    :raise SerializationError: the value cannot be written as that type; *buf* is left unchanged.
    """
    context = DEFAULT_CONTEXT if ctx is None else ctx
    mark = len(buf)
    try:
        _write(buf, value, hint, context)
    except TxKVError:
        del buf[mark:]
        raise
    except (
        struct.error, ValueError, TypeError, ArithmeticError, AttributeError, OSError,
        RecursionError,
    ) as exc:
        del buf[mark:]
        raise SerializationError(
            f"cannot write {type(value).__name__} value as "
            f"{getattr(hint, '__name__', 'an inferred type')}: {exc}"
        ) from exc


def _write(buf: bytearray, value: Any, hint: Optional[type], ctx: CodecContext) -> None:
    if hint is None or hint is h.AnyDataObject:
        _write_any(buf, value, ctx)
        return
    writer = _HINT_WRITERS.get(hint)
    if writer is None:
        writer = _writer_for_subclass(hint)
    if value is None:
        buf += _NULL
    else:
        writer(buf, value, ctx)


def _writer_for_subclass(hint: Any) -> Writer:
    if isinstance(hint, type):
        for base in hint.__mro__:
            found = _HINT_WRITERS.get(base)
            if found is not None:
                return found
        if isinstance(hint, GenericObjectMeta):
            return _write_binary
    raise ParameterError(f"{hint!r} is not an Ignite type hint")


def _write_any(buf: bytearray, value: Any, ctx: CodecContext) -> None:
    writer = _PY_WRITERS.get(type(value))
    if writer is not None:
        writer(buf, value, ctx)
        return
    if (
        isinstance(value, tuple)
        and len(value) == 2
        and isinstance(value[1], type)
        and issubclass(value[1], h.IgniteDataType)
    ):
        _write(buf, value[0], value[1], ctx)
        return
    hint, value = _infer(value)
    _HINT_WRITERS[hint](buf, value, ctx)


# --- inference --------------------------------------------------------------------------------

_PY_HINTS: Dict[type, type] = {
    int: h.LongObject,
    float: h.DoubleObject,
    str: h.String,
    bytes: h.ByteArrayObject,
    bytearray: h.ByteArrayObject,
    memoryview: h.ByteArrayObject,
    bool: h.BoolObject,
    type(None): h.Null,
    uuid.UUID: h.UUIDObject,
    datetime: h.DateObject,
    date: h.DateObject,
    timedelta: h.TimeObject,
    decimal.Decimal: h.DecimalObject,
}

_ARRAY_HINTS: Dict[type, type] = {
    int: h.LongArrayObject,
    float: h.DoubleArrayObject,
    str: h.StringArrayObject,
    bool: h.BoolArrayObject,
    uuid.UUID: h.UUIDArrayObject,
    datetime: h.DateArrayObject,
    date: h.DateArrayObject,
    timedelta: h.TimeArrayObject,
    decimal.Decimal: h.DecimalArrayObject,
}

#: element types whose arrays may hold None (pyignite's rule)
_NULLABLE_ELEMENTS = (str, datetime, timedelta, decimal.Decimal, uuid.UUID)


def infer_hint(value: Any) -> type:
    """The hint pyignite's inference picks for *value* (``(value, Hint)`` tuples: the hint).

    :raise SerializationError: no Ignite type fits.
    """
    if (
        isinstance(value, tuple)
        and len(value) == 2
        and isinstance(value[1], type)
        and issubclass(value[1], h.IgniteDataType)
    ):
        return value[1]
    return _infer(value)[0]


def _infer(value: Any) -> Tuple[type, Any]:
    value_type = type(value)
    found = _PY_HINTS.get(value_type)
    if found is not None:
        return found, value
    if isinstance(value_type, GenericObjectMeta):
        return h.BinaryObject, value
    for base in value_type.__mro__[1:-1]:
        found = _PY_HINTS.get(base)
        if found is not None:
            return found, value
    if isinstance(value, Mapping):
        raise SerializationError(
            "a bare mapping is ambiguous: pass (MapObject.HASH_MAP, mapping) "
            "or (MapObject.LINKED_HASH_MAP, mapping)"
        )
    if not isinstance(value, Iterable):
        raise SerializationError(f"cannot infer an Ignite type for {value_type.__name__}")
    if not isinstance(value, Sized):
        value = list(value)
    subtype = _element_type(value)
    if subtype is not None:
        for base in subtype.__mro__[:-1]:
            array_hint = _ARRAY_HINTS.get(base)
            if array_hint is not None:
                return array_hint, value
    if isinstance(value, Sequence) and len(value) == 2:
        first, second = value[0], value[1]
        if subtype is None and isinstance(first, int):
            if isinstance(second, dict):
                return h.MapObject, value
            if isinstance(second, Iterable):
                return h.CollectionObject, value
        if type(value) is tuple and isinstance(first, datetime) and type(second) is int:
            return h.TimestampObject, value
    raise SerializationError(
        f"cannot infer an Ignite type for {value_type.__name__} "
        f"of {getattr(subtype, '__name__', 'mixed types')}: give a type hint"
    )


def _element_type(values: Iterable[Any]) -> Optional[type]:
    """pyignite's ``get_subtype``: the type of the first non-None element if all elements are
    instances of it (None allowed for nullable element types), else None."""
    kinds = set(map(type, values))  # C-level pass: the common homogeneous case
    if len(kinds) == 1:
        (only,) = kinds
        if only is not type(None):
            return only
    iterator = iter(values)
    for first in iterator:
        if first is not None:
            break
    else:
        raise SerializationError(
            "cannot infer the Ignite type of an empty sequence or one of only None: give a hint"
        )
    first_type = type(first)
    allow_none = first_type in _NULLABLE_ELEMENTS
    for item in iterator:
        if not (isinstance(item, first_type) or (allow_none and item is None)):
            return None
    return first_type


# --- primitives -------------------------------------------------------------------------------


def _write_byte(buf: bytearray, value: Any, ctx: CodecContext) -> None:
    buf += _BYTE.pack(tc.TC_BYTE, value)


def _write_short(buf: bytearray, value: Any, ctx: CodecContext) -> None:
    buf += _SHORT.pack(tc.TC_SHORT, value)


def _write_int(buf: bytearray, value: Any, ctx: CodecContext) -> None:
    buf += _INT.pack(tc.TC_INT, value)


def _write_long(buf: bytearray, value: Any, ctx: CodecContext) -> None:
    buf += _LONG.pack(tc.TC_LONG, value)


def _write_float(buf: bytearray, value: Any, ctx: CodecContext) -> None:
    buf += _FLOAT.pack(tc.TC_FLOAT, value)


def _write_double(buf: bytearray, value: Any, ctx: CodecContext) -> None:
    buf += _DOUBLE.pack(tc.TC_DOUBLE, value)


def char_unit(value: Any) -> int:
    """The UTF-16 code unit of a char value: a one-character BMP ``str``, bytes or an int."""
    if isinstance(value, str):
        if len(value) != 1 or ord(value) > 0xFFFF:
            raise SerializationError(f"a char must be one UTF-16 code unit, got {value!r}")
        return ord(value)
    if isinstance(value, (bytes, bytearray)):
        if len(value) > 2:
            raise SerializationError(f"a char takes at most 2 bytes, got {value!r}")
        return int.from_bytes(value, "little")
    return int(value) if isinstance(value, int) else value


def _write_char(buf: bytearray, value: Any, ctx: CodecContext) -> None:
    buf += _CHAR.pack(tc.TC_CHAR, char_unit(value))


def _write_bool(buf: bytearray, value: Any, ctx: CodecContext) -> None:
    buf += _BOOL.pack(tc.TC_BOOL, 1 if value else 0)


def _write_null(buf: bytearray, value: Any, ctx: CodecContext) -> None:
    buf += _NULL


# --- standard objects -------------------------------------------------------------------------


def _write_string(buf: bytearray, value: Any, ctx: CodecContext) -> None:
    if isinstance(value, str):
        data: Union[bytes, bytearray, memoryview] = value.encode("utf-8")
    elif isinstance(value, (bytes, bytearray, memoryview)):
        data = value
    else:
        raise SerializationError(f"a String needs str (or UTF-8 bytes), got {type(value).__name__}")
    buf += _INT.pack(tc.TC_STRING, len(data))
    buf += data


def _write_uuid(buf: bytearray, value: Any, ctx: CodecContext) -> None:
    if not isinstance(value, uuid.UUID):
        raise SerializationError(f"a UUID needs uuid.UUID, got {type(value).__name__}")
    number = value.int
    buf += _UUID.pack(tc.TC_UUID, number >> 64, number & _M64)


def datetime_to_ms(value: Any) -> int:
    """Milliseconds since the epoch of a ``datetime``/``date`` (naive = local time, as pyignite),
    computed exactly (floor), without pyignite's float rounding."""
    if not isinstance(value, datetime):
        if not isinstance(value, date):
            raise SerializationError(f"a Date needs datetime or date, got {type(value).__name__}")
        value = datetime.combine(value, time())
    seconds = value.replace(microsecond=0).timestamp()
    return int(seconds) * 1000 + value.microsecond // 1000


def _write_date(buf: bytearray, value: Any, ctx: CodecContext) -> None:
    buf += _LONG.pack(tc.TC_DATE, datetime_to_ms(value))


def _write_timestamp(buf: bytearray, value: Any, ctx: CodecContext) -> None:
    if isinstance(value, datetime):
        moment, nanos = value, (value.microsecond % 1000) * 1000
    else:
        moment, nanos = value
    if not isinstance(nanos, int) or not 0 <= nanos <= 999_999:
        raise SerializationError(
            f"Timestamp nanoseconds must be an int in 0..999999 (within the ms), got {nanos!r}"
        )
    buf += _TIMESTAMP.pack(tc.TC_TIMESTAMP, datetime_to_ms(moment), nanos)


def _write_time(buf: bytearray, value: Any, ctx: CodecContext) -> None:
    if not isinstance(value, timedelta):
        raise SerializationError(f"a Time needs timedelta, got {type(value).__name__}")
    buf += _LONG.pack(tc.TC_TIME, value // _MS)


def decimal_parts(value: Any) -> Tuple[int, int]:
    """``(unscaled, scale)`` of a decimal as written on the wire: normalised like pyignite does
    (trailing zeros stripped, so ``Decimal('100')`` is 1 with scale -2), but never rounded to
    28 digits as pyignite's ``normalize()`` would."""
    number = _as_decimal(value)
    normal = number.normalize(EXACT)
    exponent = int(normal.as_tuple().exponent)
    unscaled = int(normal.scaleb(-exponent, EXACT))
    return unscaled, -exponent


def _as_decimal(value: Any) -> decimal.Decimal:
    if isinstance(value, decimal.Decimal):
        number = value
    elif isinstance(value, int):
        number = decimal.Decimal(value)
    elif isinstance(value, float):
        number = decimal.Decimal(repr(value))
    else:
        raise SerializationError(f"a Decimal needs decimal.Decimal, got {type(value).__name__}")
    if not number.is_finite():
        raise SerializationError(f"Ignite decimals are finite, got {number}")
    return number


def _write_decimal(buf: bytearray, value: Any, ctx: CodecContext) -> None:
    number = _as_decimal(value)
    unscaled, scale = decimal_parts(number)
    magnitude = abs(unscaled)
    data = bytearray(magnitude.to_bytes((magnitude.bit_length() + 8) // 8, "big"))
    if number.is_signed():
        data[0] |= 0x80
    buf += _TWO_INTS.pack(tc.TC_DECIMAL, scale, len(data))
    buf += data


def _check_type_id(type_id: Any) -> None:
    if type_id == 0 and not isinstance(type_id, str):
        raise SerializationError(
            "type id 0 marks an unregistered Java class and must come with its name: "
            "pass the class name (a str) instead"
        )


def _enum_writer(code: int) -> Writer:
    def write(buf: bytearray, value: Any, ctx: CodecContext) -> None:
        type_id, ordinal = value
        _check_type_id(type_id)
        if isinstance(type_id, str):
            buf += _INT.pack(code, 0)
            _write_string(buf, type_id, ctx)
            buf += _INT32.pack(ordinal)
        else:
            buf += _TWO_INTS.pack(code, type_id, ordinal)

    return write


_write_enum = _enum_writer(tc.TC_ENUM)
_write_binary_enum = _enum_writer(tc.TC_BINARY_ENUM)


def _write_class(buf: bytearray, value: Any, ctx: CodecContext) -> None:
    if isinstance(value, IgniteClass):
        type_id, name = value.type_id, value.class_name
    elif isinstance(value, str):
        type_id, name = 0, value
    else:
        type_id, name = int(value), None
    buf += _INT.pack(tc.TC_CLASS, type_id)
    if type_id == 0:
        _write_string(buf, name or "", ctx)


# --- arrays -----------------------------------------------------------------------------------


def _materialise(value: Any) -> Any:
    if isinstance(value, Sized) and not isinstance(value, Mapping):
        return value
    if isinstance(value, Iterable) and not isinstance(value, Mapping):
        return list(value)
    raise SerializationError(f"an array needs a sequence, got {type(value).__name__}")


def _write_byte_array(buf: bytearray, value: Any, ctx: CodecContext) -> None:
    if isinstance(value, (bytes, bytearray)):
        data: Union[bytes, bytearray, memoryview] = value
    elif isinstance(value, memoryview):
        data = value.cast("B") if value.format != "B" else value
    else:
        items = _materialise(value)
        try:
            data = bytes(items)
        except ValueError:
            if items and (min(items) < -128 or max(items) > 255):
                raise SerializationError("byte values must be in -128..255") from None
            data = bytes(item & 0xFF for item in items)
    buf += _INT.pack(tc.TC_BYTE_ARRAY, len(data))
    buf += data


def _number_array_writer(code: int, typecode: str) -> Writer:
    def write(buf: bytearray, value: Any, ctx: CodecContext) -> None:
        items = array(typecode, _materialise(value))
        if _BIG_ENDIAN:
            items.byteswap()
        buf += _INT.pack(code, len(items))
        buf += items.tobytes()

    return write


def _write_float_array(buf: bytearray, value: Any, ctx: CodecContext) -> None:
    items = _materialise(value)
    buf += _INT.pack(tc.TC_FLOAT_ARRAY, len(items))
    buf += struct.pack(f"<{len(items)}f", *items)


def _write_char_array(buf: bytearray, value: Any, ctx: CodecContext) -> None:
    items = _materialise(value)
    data: Optional[bytes] = None
    if _all_str(items):
        if not items or set(map(len, items)) == {1}:
            encoded = "".join(items).encode("utf-16-le", "surrogatepass")
            if len(encoded) == 2 * len(items):
                data = encoded
    if data is None:
        units = array("H", [char_unit(item) for item in items])
        if _BIG_ENDIAN:
            units.byteswap()
        data = units.tobytes()
    buf += _INT.pack(tc.TC_CHAR_ARRAY, len(items))
    buf += data


def _all_str(items: Any) -> bool:
    return all(type(item) is str for item in items)


def _write_bool_array(buf: bytearray, value: Any, ctx: CodecContext) -> None:
    items = _materialise(value)
    try:
        data = bytes(items).translate(_BOOL_TABLE)
    except (ValueError, TypeError):
        data = bytes(1 if item else 0 for item in items)
    buf += _INT.pack(tc.TC_BOOL_ARRAY, len(items))
    buf += data


def _object_array_writer(code: int, element: Writer) -> Writer:
    def write(buf: bytearray, value: Any, ctx: CodecContext) -> None:
        items = _materialise(value)
        buf += _INT.pack(code, len(items))
        for item in items:
            if item is None:
                buf += _NULL
            else:
                element(buf, item, ctx)

    return write


def _array_header(buf: bytearray, code: int, type_id: Any, count: int, ctx: CodecContext) -> None:
    _check_type_id(type_id)
    if isinstance(type_id, str):
        buf += _INT.pack(code, 0)
        _write_string(buf, type_id, ctx)
        buf += _INT32.pack(count)
    else:
        buf += _TWO_INTS.pack(code, type_id, count)


def _enum_array_writer(element: Writer) -> Writer:
    def write(buf: bytearray, value: Any, ctx: CodecContext) -> None:
        type_id, items = value
        items = _materialise(items)
        _array_header(buf, tc.TC_ENUM_ARRAY, type_id, len(items), ctx)
        for item in items:
            if item is None:
                buf += _NULL
            else:
                element(buf, item, ctx)

    return write


def _sized_or_single(items: Any) -> Any:
    """pyignite's handling of container payloads: a non-iterable becomes a one-element list."""
    if isinstance(items, Sized):
        return items
    if isinstance(items, Iterable):
        return list(items)
    return [items]


def _write_object_array(buf: bytearray, value: Any, ctx: CodecContext) -> None:
    type_id, items = value
    items = _sized_or_single(items)
    _array_header(buf, tc.TC_OBJECT_ARRAY, type_id, len(items), ctx)
    for item in items:
        _write_any(buf, item, ctx)


def _write_collection(buf: bytearray, value: Any, ctx: CodecContext) -> None:
    kind, items = value
    items = _sized_or_single(items)
    buf += _COLLECTION.pack(tc.TC_COLLECTION, len(items), kind)
    for item in items:
        _write_any(buf, item, ctx)


def _write_map(buf: bytearray, value: Any, ctx: CodecContext) -> None:
    kind, mapping = value
    if mapping is None:
        buf += _NULL
        return
    buf += _COLLECTION.pack(tc.TC_MAP, len(mapping), kind)
    for key, item in mapping.items():
        _write_any(buf, key, ctx)
        _write_any(buf, item, ctx)


def _write_wrapped(buf: bytearray, value: Any, ctx: CodecContext) -> None:
    payload, offset = value
    buf += _INT.pack(tc.TC_WRAPPED, len(payload))
    buf += payload
    buf += _INT32.pack(offset)


# --- complex objects --------------------------------------------------------------------------


def _write_binary(buf: bytearray, value: Any, ctx: CodecContext) -> None:
    """The BinaryObject hint: complex objects; any other value falls back to inference (so a
    field typed by an unknown metadata type code still round-trips)."""
    if isinstance(type(value), GenericObjectMeta):
        write_complex(buf, value, ctx)
    else:
        _write_any(buf, value, ctx)


def write_complex(buf: bytearray, obj: Any, ctx: CodecContext) -> None:
    """Append a complex object (0x67) for an instance of a :class:`GenericObjectMeta` class, the
    way pyignite lays it out: every schema field in order, then a compact or full footer whose
    offset width is chosen from the largest offset (< 255: 1 byte, < 65535: 2, else 4)."""
    cls: Any = type(obj)
    schema = cls._schema
    start = len(buf)
    buf += bytes(tc.COMPLEX_HEADER_SIZE)
    offsets: List[int] = []
    for name, hint in schema.items():
        offsets.append(len(buf) - start)
        _write(buf, getattr(obj, name, getattr(hint, "default", None)), hint, ctx)
    fields_end = len(buf)
    flags = tc.FLAG_USER_TYPE | tc.FLAG_HAS_SCHEMA
    compact = ctx.compact_footer
    if compact:
        flags |= tc.FLAG_COMPACT_FOOTER
    largest = max(offsets, default=0)
    if largest < 255:
        flags |= tc.FLAG_OFFSET_ONE_BYTE
        width = "B"
    elif largest < 65535:
        flags |= tc.FLAG_OFFSET_TWO_BYTES
        width = "H"
    else:
        width = "I"
    count = len(offsets)
    if compact:
        footer = struct.pack(f"<{count}{width}", *offsets)
    else:
        footer = struct.pack("<" + ("i" + width) * count, *chain(*zip(cls._field_ids, offsets)))
    hashcode = bytes_hashcode(bytes(buf[start + tc.COMPLEX_HEADER_SIZE : fields_end]))
    buf += footer
    version = getattr(obj, "version", 1)
    type_id, schema_id = cls._type_id, cls._schema_id
    _HEADER.pack_into(
        buf, start, tc.TC_COMPLEX, 1 if version is None else version & 0xFF, flags, type_id,
        hashcode, len(buf) - start, schema_id, fields_end - start,
    )
    if ctx is not DEFAULT_CONTEXT and not ctx.registry.has_schema(type_id, schema_id):
        ctx.unregistered[(type_id, schema_id)] = cls


# --- dispatch tables --------------------------------------------------------------------------

_HINT_WRITERS: Dict[Any, Writer] = {
    h.Null: _write_null,
    h.ByteObject: _write_byte,
    h.ShortObject: _write_short,
    h.IntObject: _write_int,
    h.LongObject: _write_long,
    h.FloatObject: _write_float,
    h.DoubleObject: _write_double,
    h.CharObject: _write_char,
    h.BoolObject: _write_bool,
    h.String: _write_string,
    h.UUIDObject: _write_uuid,
    h.DateObject: _write_date,
    h.TimestampObject: _write_timestamp,
    h.TimeObject: _write_time,
    h.DecimalObject: _write_decimal,
    h.EnumObject: _write_enum,
    h.BinaryEnumObject: _write_binary_enum,
    h.ByteArrayObject: _write_byte_array,
    h.ShortArrayObject: _number_array_writer(tc.TC_SHORT_ARRAY, "h"),
    h.IntArrayObject: _number_array_writer(tc.TC_INT_ARRAY, "i"),
    h.LongArrayObject: _number_array_writer(tc.TC_LONG_ARRAY, "q"),
    h.FloatArrayObject: _write_float_array,
    h.DoubleArrayObject: _number_array_writer(tc.TC_DOUBLE_ARRAY, "d"),
    h.CharArrayObject: _write_char_array,
    h.BoolArrayObject: _write_bool_array,
    h.StringArrayObject: _object_array_writer(tc.TC_STRING_ARRAY, _write_string),
    h.UUIDArrayObject: _object_array_writer(tc.TC_UUID_ARRAY, _write_uuid),
    h.DateArrayObject: _object_array_writer(tc.TC_DATE_ARRAY, _write_date),
    h.TimestampArrayObject: _object_array_writer(tc.TC_TIMESTAMP_ARRAY, _write_timestamp),
    h.TimeArrayObject: _object_array_writer(tc.TC_TIME_ARRAY, _write_time),
    h.DecimalArrayObject: _object_array_writer(tc.TC_DECIMAL_ARRAY, _write_decimal),
    h.EnumArrayObject: _enum_array_writer(_write_enum),
    h.BinaryEnumArrayObject: _enum_array_writer(_write_binary_enum),
    h.ObjectArrayObject: _write_object_array,
    h.CollectionObject: _write_collection,
    h.MapObject: _write_map,
    h.BinaryObject: _write_binary,
    h.WrappedDataObject: _write_wrapped,
}

_PY_WRITERS: Dict[type, Writer] = {
    py_type: _HINT_WRITERS[hint] for py_type, hint in _PY_HINTS.items()
}
_PY_WRITERS[IgniteClass] = _write_class
