"""Ignite data objects -> Python values, plus raw helpers that never build values.

Decoded types follow pyignite: Date -> naive local ``datetime``, Timestamp -> ``(datetime, ns)``,
Time -> ``timedelta``, char -> one-character ``str``, Enum -> ``(type_id, ordinal)``, byte[] ->
``bytes``, other primitive arrays -> lists, Object[] -> ``(type_id, list)``, Collection ->
``(kind, list)``, Map -> ``(kind, dict)`` (``OrderedDict`` for LINKED_HASH_MAP), complex objects
-> instances of a :class:`~txkv.ignite.binary.GenericObjectMeta` class.  Wrapped objects (0x1B)
are unwrapped; handles (0x66) resolve to the object they point back to (the same Python object,
so cyclic graphs decode).

Every failure is a :class:`~txkv.ignite.errors.ParseError` naming the offset; decoding work is
linear in the input even for adversarial handles and footers (positions are memoised once a
complex object or handle appears), and nesting deeper than :data:`MAX_DEPTH` is refused.
"""

from __future__ import annotations

import decimal
import struct
import sys
import uuid
from array import array
from collections import OrderedDict
from datetime import datetime, timedelta
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

from ..errors import MissingSchemaError, ParameterError, ParseError
from . import typecodes as tc
from .registry import DEFAULT_CONTEXT, CodecContext
from .writer import EXACT, IgniteClass

__all__ = [
    "read_object",
    "skip_object",
    "key_identity",
    "field_raw",
    "complex_header",
    "ComplexHeader",
    "MAX_DEPTH",
    "as_buffer",
]

Buffer = Union[bytes, bytearray, memoryview]

#: deepest nesting of containers/complex objects/handles accepted
MAX_DEPTH = 100

_BIG_ENDIAN = sys.byteorder == "big"
_B = struct.Struct("<b")
_H = struct.Struct("<h")
_I = struct.Struct("<i")
_Q = struct.Struct("<q")
_F = struct.Struct("<f")
_D = struct.Struct("<d")
_U16 = struct.Struct("<H")
_UUID = struct.Struct("<QQ")
_TS = struct.Struct("<qi")
_IB = struct.Struct("<ib")
_HEADER = struct.Struct("<BBHiiiii")
_FOOTER_FULL = {1: struct.Struct("<iB"), 2: struct.Struct("<iH"), 4: struct.Struct("<iI")}
_OFFSET_CHAR = {1: "B", 2: "H", 4: "I"}
_PRIMITIVE_ARRAYS = {
    tc.TC_SHORT_ARRAY: ("h", 2),
    tc.TC_INT_ARRAY: ("i", 4),
    tc.TC_LONG_ARRAY: ("q", 8),
    tc.TC_FLOAT_ARRAY: ("f", 4),
    tc.TC_DOUBLE_ARRAY: ("d", 8),
    tc.TC_CHAR_ARRAY: ("H", 2),
}
_ELEMENT_SIZE = {
    tc.TC_BYTE_ARRAY: 1,
    tc.TC_BOOL_ARRAY: 1,
    **{code: size for code, (_, size) in _PRIMITIVE_ARRAYS.items()},
}
#: total size (type code included) of fixed-size objects
_FIXED_SIZE = {
    tc.TC_BYTE: 2,
    tc.TC_SHORT: 3,
    tc.TC_INT: 5,
    tc.TC_LONG: 9,
    tc.TC_FLOAT: 5,
    tc.TC_DOUBLE: 9,
    tc.TC_CHAR: 3,
    tc.TC_BOOL: 2,
    tc.TC_UUID: 17,
    tc.TC_DATE: 9,
    tc.TC_TIMESTAMP: 13,
    tc.TC_TIME: 9,
    tc.TC_NULL: 1,
    tc.TC_HANDLE: 5,
}
_OBJECT_ARRAYS = frozenset(
    {
        tc.TC_STRING_ARRAY,
        tc.TC_UUID_ARRAY,
        tc.TC_DATE_ARRAY,
        tc.TC_DECIMAL_ARRAY,
        tc.TC_TIMESTAMP_ARRAY,
        tc.TC_TIME_ARRAY,
    }
)


def as_buffer(data: Any) -> Buffer:
    """*data* as a flat byte buffer (``memoryview`` of format ``B``), or raise ParameterError."""
    if isinstance(data, (bytes, bytearray)):
        return data
    if isinstance(data, memoryview):
        return data if data.format == "B" and data.ndim == 1 else data.cast("B")
    raise ParameterError(f"expected bytes-like data, got {type(data).__name__}")


class _Reader:
    """Decoding state for one top-level object."""

    __slots__ = ("data", "end", "ctx", "root", "objects", "done", "memo_all", "depth")

    def __init__(self, data: Buffer, end: int, ctx: CodecContext, root: int) -> None:
        self.data = data
        self.end = end
        self.ctx = ctx
        self.root = root
        #: position -> container/complex value, registered before its children are read
        self.objects: Dict[int, Any] = {}
        #: position -> (value, end), once memo_all is on
        self.done: Dict[int, Tuple[Any, int]] = {}
        self.memo_all = False
        self.depth = 0


def _truncated(what: str, pos: int) -> ParseError:
    return ParseError(f"truncated {what} at offset {pos}")


def _enter(r: _Reader, pos: int) -> None:
    r.depth += 1
    if r.depth > MAX_DEPTH:
        raise ParseError(f"data nested deeper than {MAX_DEPTH} levels at offset {pos}")


# --- entry points -----------------------------------------------------------------------------


def read_object(
    data: Buffer, offset: int = 0, ctx: Optional[CodecContext] = None
) -> Tuple[Any, int]:
    """Decode the data object at *offset*; return ``(value, offset after it)``.

    :raise MissingSchemaError: a complex object needs metadata the context's registry lacks.
    :raise ParseError: the bytes are not a valid data object.
    """
    buf = as_buffer(data)
    if not 0 <= offset < len(buf):
        raise _truncated("data object", offset)
    reader = _Reader(buf, len(buf), DEFAULT_CONTEXT if ctx is None else ctx, offset)
    return _guarded(_read, reader, offset)


def _guarded(fn: Callable[[_Reader, int], Any], reader: _Reader, offset: int) -> Any:
    try:
        return fn(reader, offset)
    except ParseError:
        raise
    except (
        struct.error, IndexError, ValueError, TypeError, ArithmeticError, OSError,
        RecursionError, KeyError, AttributeError,
    ) as exc:
        raise ParseError(f"malformed data object at offset {offset}: {exc!r}") from exc


def _read(r: _Reader, pos: int) -> Tuple[Any, int]:
    if pos >= r.end or pos < 0:
        raise _truncated("data object", pos)
    code = r.data[pos]
    reader = _READERS[code]
    if reader is None:
        raise ParseError(f"unsupported type code 0x{code:02x} at offset {pos}")
    if not r.memo_all:
        return reader(r, pos)
    hit = r.done.get(pos)
    if hit is None:
        hit = reader(r, pos)
        r.done[pos] = hit
    return hit


# --- primitives -------------------------------------------------------------------------------


def _fixed_reader(what: str, unpacker: struct.Struct) -> Callable[[_Reader, int], Tuple[Any, int]]:
    size = unpacker.size + 1

    def read(r: _Reader, pos: int) -> Tuple[Any, int]:
        if pos + size > r.end:
            raise _truncated(what, pos)
        return unpacker.unpack_from(r.data, pos + 1)[0], pos + size

    return read


def _r_char(r: _Reader, pos: int) -> Tuple[Any, int]:
    if pos + 3 > r.end:
        raise _truncated("char", pos)
    return chr(_U16.unpack_from(r.data, pos + 1)[0]), pos + 3


def _r_bool(r: _Reader, pos: int) -> Tuple[Any, int]:
    if pos + 2 > r.end:
        raise _truncated("bool", pos)
    return r.data[pos + 1] != 0, pos + 2


def _r_null(r: _Reader, pos: int) -> Tuple[Any, int]:
    return None, pos + 1


# --- standard objects -------------------------------------------------------------------------


def _length(r: _Reader, pos: int, what: str, element_size: int = 1) -> int:
    """Read the int32 count at *pos* and check that many elements can follow."""
    if pos + 4 > r.end:
        raise _truncated(what, pos)
    count = _I.unpack_from(r.data, pos)[0]
    if count < 0 or pos + 4 + count * element_size > r.end:
        raise ParseError(f"bad {what} length {count} at offset {pos}")
    return int(count)


def _r_string(r: _Reader, pos: int) -> Tuple[Any, int]:
    size = _length(r, pos + 1, "String")
    start = pos + 5
    try:
        return str(r.data[start : start + size], "utf-8"), start + size
    except UnicodeDecodeError as exc:
        raise ParseError(f"String at offset {pos} is not UTF-8: {exc.reason}") from None


def _r_uuid(r: _Reader, pos: int) -> Tuple[Any, int]:
    if pos + 17 > r.end:
        raise _truncated("UUID", pos)
    msb, lsb = _UUID.unpack_from(r.data, pos + 1)
    return uuid.UUID(int=(msb << 64) | lsb), pos + 17


def ms_to_datetime(ms: int) -> datetime:
    """A Java date (ms since the epoch) as a naive local ``datetime`` (pyignite's choice)."""
    seconds, millis = divmod(ms, 1000)
    return datetime.fromtimestamp(seconds).replace(microsecond=millis * 1000)


def _r_date(r: _Reader, pos: int) -> Tuple[Any, int]:
    if pos + 9 > r.end:
        raise _truncated("Date", pos)
    ms = _Q.unpack_from(r.data, pos + 1)[0]
    try:
        return ms_to_datetime(ms), pos + 9
    except (OverflowError, OSError, ValueError):
        raise ParseError(f"Date {ms} ms at offset {pos} is out of Python's range") from None


def _r_timestamp(r: _Reader, pos: int) -> Tuple[Any, int]:
    if pos + 13 > r.end:
        raise _truncated("Timestamp", pos)
    ms, nanos = _TS.unpack_from(r.data, pos + 1)
    try:
        return (ms_to_datetime(ms), nanos), pos + 13
    except (OverflowError, OSError, ValueError):
        raise ParseError(f"Timestamp {ms} ms at offset {pos} is out of Python's range") from None


def _r_time(r: _Reader, pos: int) -> Tuple[Any, int]:
    if pos + 9 > r.end:
        raise _truncated("Time", pos)
    ms = _Q.unpack_from(r.data, pos + 1)[0]
    try:
        return timedelta(milliseconds=ms), pos + 9
    except OverflowError:
        raise ParseError(f"Time {ms} ms at offset {pos} is out of Python's range") from None


def decode_decimal(scale: int, magnitude: Buffer) -> decimal.Decimal:
    """The decimal for a wire scale and sign-flagged big-endian magnitude, exactly."""
    if not magnitude:
        return decimal.Decimal(0).scaleb(-scale, EXACT)
    negative = magnitude[0] & 0x80
    unscaled = int.from_bytes(magnitude, "big")
    if negative:
        unscaled -= 0x80 << (8 * (len(magnitude) - 1))
    number = decimal.Decimal(unscaled).scaleb(-scale, EXACT)
    return number.copy_negate() if negative else number


def _r_decimal(r: _Reader, pos: int) -> Tuple[Any, int]:
    if pos + 9 > r.end:
        raise _truncated("Decimal", pos)
    scale = _I.unpack_from(r.data, pos + 1)[0]
    size = _length(r, pos + 5, "Decimal")
    start = pos + 9
    return decode_decimal(scale, r.data[start : start + size]), start + size


def _type_id_or_name(r: _Reader, pos: int, what: str) -> Tuple[Any, int]:
    """An int32 type id; 0 (unregistered) is followed by the class name as a String object."""
    if pos + 4 > r.end:
        raise _truncated(what, pos)
    type_id = _I.unpack_from(r.data, pos)[0]
    if type_id != 0:
        return type_id, pos + 4
    name, after = _read(r, pos + 4)
    if not isinstance(name, str):
        raise ParseError(f"{what} at offset {pos}: class name is not a String")
    return name, after


def _r_enum(r: _Reader, pos: int) -> Tuple[Any, int]:
    type_id, after = _type_id_or_name(r, pos + 1, "Enum")
    if after + 4 > r.end:
        raise _truncated("Enum", pos)
    return (type_id, _I.unpack_from(r.data, after)[0]), after + 4


def _r_class(r: _Reader, pos: int) -> Tuple[Any, int]:
    type_id, after = _type_id_or_name(r, pos + 1, "Class")
    if isinstance(type_id, str):
        return IgniteClass(0, type_id), after
    return IgniteClass(type_id), after


# --- arrays -----------------------------------------------------------------------------------


def _r_byte_array(r: _Reader, pos: int) -> Tuple[Any, int]:
    size = _length(r, pos + 1, "byte[]")
    start = pos + 5
    return bytes(r.data[start : start + size]), start + size


def _r_bool_array(r: _Reader, pos: int) -> Tuple[Any, int]:
    size = _length(r, pos + 1, "bool[]")
    start = pos + 5
    return list(map(bool, r.data[start : start + size])), start + size


def _primitive_array_reader(code: int) -> Callable[[_Reader, int], Tuple[Any, int]]:
    typecode, size = _PRIMITIVE_ARRAYS[code]
    what = f"array 0x{code:02x}"

    def read(r: _Reader, pos: int) -> Tuple[Any, int]:
        count = _length(r, pos + 1, what, size)
        start = pos + 5
        end = start + count * size
        items = array(typecode)
        items.frombytes(r.data[start:end])
        if _BIG_ENDIAN:
            items.byteswap()
        if code == tc.TC_CHAR_ARRAY:
            return list(map(chr, items)), end
        return items.tolist(), end

    return read


def _read_elements(r: _Reader, pos: int, count: int, into: List[Any]) -> int:
    for _ in range(count):
        value, pos = _read(r, pos)
        into.append(value)
    return pos


def _r_object_list(r: _Reader, pos: int) -> Tuple[Any, int]:
    count = _length(r, pos + 1, "array")
    items: List[Any] = []
    r.objects[pos] = items
    _enter(r, pos)
    end = _read_elements(r, pos + 5, count, items)
    r.depth -= 1
    return items, end


def _r_typed_array(r: _Reader, pos: int) -> Tuple[Any, int]:
    """Object[] and Enum[]: component type id (or class name), count, elements."""
    type_id, after = _type_id_or_name(r, pos + 1, "array")
    count = _length(r, after, "array")
    items: List[Any] = []
    value = (type_id, items)
    r.objects[pos] = value
    _enter(r, pos)
    end = _read_elements(r, after + 4, count, items)
    r.depth -= 1
    return value, end


def _r_collection(r: _Reader, pos: int) -> Tuple[Any, int]:
    if pos + 6 > r.end:
        raise _truncated("Collection", pos)
    count, kind = _IB.unpack_from(r.data, pos + 1)
    if count < 0 or pos + 6 + count > r.end:
        raise ParseError(f"bad Collection size {count} at offset {pos}")
    items: List[Any] = []
    value = (kind, items)
    r.objects[pos] = value
    _enter(r, pos)
    end = _read_elements(r, pos + 6, count, items)
    r.depth -= 1
    return value, end


def _r_map(r: _Reader, pos: int) -> Tuple[Any, int]:
    if pos + 6 > r.end:
        raise _truncated("Map", pos)
    count, kind = _IB.unpack_from(r.data, pos + 1)
    if count < 0 or pos + 6 + 2 * count > r.end:
        raise ParseError(f"bad Map size {count} at offset {pos}")
    mapping: Dict[Any, Any] = OrderedDict() if kind == tc.MAP_LINKED_HASH_MAP else {}
    value = (kind, mapping)
    r.objects[pos] = value
    _enter(r, pos)
    cursor = pos + 6
    for _ in range(count):
        key, cursor = _read(r, cursor)
        item, cursor = _read(r, cursor)
        try:
            mapping[key] = item
        except TypeError:
            raise ParseError(
                f"Map at offset {pos}: key of type {type(key).__name__} is not hashable in Python"
            ) from None
    r.depth -= 1
    return value, cursor


# --- wrapped objects and handles --------------------------------------------------------------


def _wrapped_bounds(data: Buffer, pos: int, end: int) -> Tuple[int, int, int]:
    """``(payload start, payload end, root position)`` of the 0x1B object at *pos*."""
    if pos + 5 > end:
        raise _truncated("wrapped object", pos)
    size = _I.unpack_from(data, pos + 1)[0]
    start = pos + 5
    if size < 0 or start + size + 4 > end:
        raise ParseError(f"bad wrapped-object length {size} at offset {pos}")
    offset = _I.unpack_from(data, start + size)[0]
    if not 0 <= offset < size:
        raise ParseError(f"wrapped object at offset {pos}: root offset {offset} out of payload")
    return start, start + size, start + offset


def _r_wrapped(r: _Reader, pos: int) -> Tuple[Any, int]:
    start, stop, root = _wrapped_bounds(r.data, pos, r.end)
    inner = _Reader(r.data, stop, r.ctx, start)
    inner.depth = r.depth + 1
    if inner.depth > MAX_DEPTH:
        raise ParseError(f"data nested deeper than {MAX_DEPTH} levels at offset {pos}")
    value, _ = _read(inner, root)
    return value, stop + 4


def _r_handle(r: _Reader, pos: int) -> Tuple[Any, int]:
    if pos + 5 > r.end:
        raise _truncated("handle", pos)
    distance = _I.unpack_from(r.data, pos + 1)[0]
    target = pos - distance
    if distance <= 0 or target < r.root:
        raise ParseError(f"handle at offset {pos} points outside the object ({distance})")
    if target in r.objects:
        return r.objects[target], pos + 5
    r.memo_all = True
    _enter(r, pos)
    value, _ = _read(r, target)
    r.depth -= 1
    r.objects[target] = value
    return value, pos + 5


# --- complex objects --------------------------------------------------------------------------


class ComplexHeader:
    """The parsed header and footer of one complex object (offsets relative to its start)."""

    __slots__ = (
        "start", "version", "flags", "type_id", "hashcode", "length", "schema_id",
        "fields_end", "offsets", "field_ids",
    )

    def __init__(self, data: Buffer, pos: int, end: int) -> None:
        if pos + tc.COMPLEX_HEADER_SIZE > end:
            raise _truncated("complex object", pos)
        (_, self.version, self.flags, self.type_id, self.hashcode, self.length, self.schema_id,
         schema_offset) = _HEADER.unpack_from(data, pos)
        self.start = pos
        length, flags = self.length, self.flags
        if length < tc.COMPLEX_HEADER_SIZE or pos + length > end:
            raise ParseError(f"complex object at offset {pos}: bad length {length}")
        self.field_ids: Optional[Sequence[int]] = None
        self.offsets: Sequence[int] = ()
        has_raw = flags & tc.FLAG_HAS_RAW
        if not flags & tc.FLAG_HAS_SCHEMA:  # no fields; the data region runs to the end
            if has_raw and not tc.COMPLEX_HEADER_SIZE <= schema_offset <= length:
                raise ParseError(f"complex object at offset {pos}: bad raw offset")
            self.fields_end = length
            self.field_ids = ()
            return
        footer_end = length - 4 if has_raw else length
        if not tc.COMPLEX_HEADER_SIZE <= schema_offset <= footer_end:
            raise ParseError(
                f"complex object at offset {pos}: schema offset {schema_offset} out of bounds"
            )
        self.fields_end = schema_offset
        if flags & tc.FLAG_OFFSET_ONE_BYTE:
            width = 1
        else:
            width = 2 if flags & tc.FLAG_OFFSET_TWO_BYTES else 4
        compact = flags & tc.FLAG_COMPACT_FOOTER
        entry = width if compact else width + 4
        span = footer_end - schema_offset
        if span % entry:
            raise ParseError(f"complex object at offset {pos}: footer of {span} bytes is ragged")
        count = span // entry
        footer_start = pos + schema_offset
        if compact:
            self.offsets = struct.unpack_from(f"<{count}{_OFFSET_CHAR[width]}", data, footer_start)
        else:
            pairs = _FOOTER_FULL[width].iter_unpack(data[footer_start : footer_start + span])
            ids_offsets = list(zip(*pairs)) or [(), ()]
            self.field_ids, self.offsets = ids_offsets[0], ids_offsets[1]
        for offset in self.offsets:
            if not tc.COMPLEX_HEADER_SIZE <= offset < schema_offset:
                raise ParseError(f"complex object at offset {pos}: field offset {offset} invalid")

    @property
    def end(self) -> int:
        return int(self.start + self.length)


def complex_header(data: Buffer, offset: int = 0) -> ComplexHeader:
    """Parse the header and footer of the complex object at *offset* (no field values)."""
    buf = as_buffer(data)
    if offset >= len(buf) or buf[offset] != tc.TC_COMPLEX:
        raise ParseError(f"no complex object at offset {offset}")
    return ComplexHeader(buf, offset, len(buf))


def _resolve_class(
    ctx: CodecContext, header: ComplexHeader
) -> Tuple[Any, List[str]]:
    """The class to decode into and the field names in footer order."""
    type_id, schema, count = header.type_id, header.schema_id, len(header.offsets)
    ids = header.field_ids if count else ()
    user = ctx.classes.get(type_id)
    if user is not None and user.schema_id == schema and len(user._schema) == count:
        if ids is None or tuple(ids) == user._field_ids:
            return user, list(user._schema)
    registry = ctx.registry
    if ids is None:
        ids = registry.schema_fields(type_id, schema)
        if ids is None:
            raise MissingSchemaError(type_id, schema)
        if len(ids) != count:
            raise ParseError(
                f"complex object at offset {header.start}: footer has {count} fields, "
                f"schema {schema} has {len(ids)}"
            )
    if type_id in registry:
        try:
            made = registry.dataclass(type_id, schema, list(ids))
            return made, list(made._schema)
        except KeyError:
            pass
    if user is not None:
        by_id = dict(zip(user._field_ids, user._schema))
        if all(fid in by_id for fid in ids):
            return user, [by_id[fid] for fid in ids]
    raise MissingSchemaError(type_id, schema)


def _r_complex(r: _Reader, pos: int) -> Tuple[Any, int]:
    header = ComplexHeader(r.data, pos, r.end)
    cls, names = _resolve_class(r.ctx, header)
    obj = cls.__new__(cls)
    r.objects[pos] = obj
    r.memo_all = True
    obj._set_defaults()
    obj.version = header.version
    _enter(r, pos)
    for name, offset in zip(names, header.offsets):
        value, _ = _read(r, pos + offset)
        setattr(obj, name, value)
    r.depth -= 1
    return obj, header.end


# --- skipping ---------------------------------------------------------------------------------


def skip_object(data: Buffer, offset: int = 0) -> int:
    """The offset just past the data object at *offset*, without building Python values.

    :raise ParseError: the bytes are not a valid data object.
    """
    buf = as_buffer(data)
    if not 0 <= offset < len(buf):
        raise _truncated("data object", offset)
    return int(_guarded(_skip_entry, _Reader(buf, len(buf), DEFAULT_CONTEXT, offset), offset))


def _skip_entry(r: _Reader, pos: int) -> int:
    return _skip(r.data, pos, r.end, 0)


def _skip(data: Buffer, pos: int, end: int, depth: int) -> int:
    if pos >= end:
        raise _truncated("data object", pos)
    code = data[pos]
    size = _FIXED_SIZE.get(code)
    if size is not None:
        after = pos + size
    elif code == tc.TC_STRING or code in _ELEMENT_SIZE:
        after = pos + 5 + _skip_length(data, pos + 1, end, _ELEMENT_SIZE.get(code, 1))
    elif code == tc.TC_COMPLEX:
        after = ComplexHeader(data, pos, end).end
    elif code == tc.TC_DECIMAL:
        after = pos + 9 + _skip_length(data, pos + 5, end, 1)
    elif code in (tc.TC_ENUM, tc.TC_BINARY_ENUM, tc.TC_CLASS):
        after = _skip_type_id(data, pos + 1, end, depth)
        if code != tc.TC_CLASS:
            after += 4
    elif code == tc.TC_WRAPPED:
        after = _wrapped_bounds(data, pos, end)[1] + 4
    elif depth >= MAX_DEPTH:
        raise ParseError(f"data nested deeper than {MAX_DEPTH} levels at offset {pos}")
    elif code in _OBJECT_ARRAYS:
        count = _skip_length(data, pos + 1, end, 1)
        after = _skip_many(data, pos + 5, end, count, depth)
    elif code in (tc.TC_OBJECT_ARRAY, tc.TC_ENUM_ARRAY):
        cursor = _skip_type_id(data, pos + 1, end, depth)
        count = _skip_length(data, cursor, end, 1)
        after = _skip_many(data, cursor + 4, end, count, depth)
    elif code in (tc.TC_COLLECTION, tc.TC_MAP):
        count = _skip_length(data, pos + 1, end, 1)
        if code == tc.TC_MAP:
            count *= 2
        after = _skip_many(data, pos + 6, end, count, depth)
    else:
        raise ParseError(f"unsupported type code 0x{code:02x} at offset {pos}")
    if after > end:
        raise _truncated(f"object 0x{code:02x}", pos)
    return after


def _skip_length(data: Buffer, pos: int, end: int, element_size: int) -> int:
    if pos + 4 > end:
        raise _truncated("length", pos)
    count = _I.unpack_from(data, pos)[0]
    if count < 0 or pos + 4 + count * element_size > end:
        raise ParseError(f"bad length {count} at offset {pos}")
    return int(count) * element_size


def _skip_type_id(data: Buffer, pos: int, end: int, depth: int) -> int:
    if pos + 4 > end:
        raise _truncated("type id", pos)
    if _I.unpack_from(data, pos)[0] != 0:
        return pos + 4
    if pos + 4 >= end or data[pos + 4] != tc.TC_STRING:
        raise ParseError(f"unregistered type id at offset {pos} lacks its class name")
    return _skip(data, pos + 4, end, depth + 1)


def _skip_many(data: Buffer, pos: int, end: int, count: int, depth: int) -> int:
    for _ in range(count):
        pos = _skip(data, pos, end, depth + 1)
    return pos


# --- raw helpers for servers ------------------------------------------------------------------


def key_identity(raw: Buffer) -> bytes:
    """Canonical identity of one serialized key.

    A wrapped object is unwrapped; a complex object becomes ``0x67 + type id + the bytes between
    header and footer`` (so compact and full footers of the same object are equal, like Ignite's
    ``BinaryArrayIdentityResolver``); anything else is its own bytes.
    """
    buf = as_buffer(raw)
    if not buf:
        raise ParseError("empty key")
    code = buf[0]
    if code == tc.TC_WRAPPED:
        _, stop, root = _wrapped_bounds(buf, 0, len(buf))
        inner_end = _guarded(
            lambda r, p: _skip(r.data, p, r.end, 0), _Reader(buf, stop, DEFAULT_CONTEXT, root), root
        )
        return key_identity(buf[root:inner_end])
    if code == tc.TC_COMPLEX:
        header = ComplexHeader(buf, 0, len(buf))
        return bytes(buf[0:1]) + bytes(buf[4:8]) + bytes(buf[24 : header.fields_end])
    return bytes(buf)


def field_raw(
    raw: Buffer, field_id: int, ctx: Optional[CodecContext] = None, offset: int = 0
) -> Optional[bytes]:
    """The serialized value of field *field_id* of the complex object at *offset* (a wrapped
    complex object is unwrapped), or ``None`` if the object has no such field.

    :raise MissingSchemaError: a compact footer and the schema is not in ``ctx.registry``.
    """
    buf = as_buffer(raw)
    if offset < len(buf) and buf[offset] == tc.TC_WRAPPED:
        _, stop, root = _wrapped_bounds(buf, offset, len(buf))
        return field_raw(buf[:stop], field_id, ctx, root)
    header = complex_header(buf, offset)
    ids = header.field_ids
    if ids is None:
        registry = (DEFAULT_CONTEXT if ctx is None else ctx).registry
        ids = registry.schema_fields(header.type_id, header.schema_id)
        if ids is None:
            raise MissingSchemaError(header.type_id, header.schema_id)
    for fid, field_offset in zip(ids, header.offsets):
        if fid == field_id:
            start = offset + field_offset
            return bytes(buf[start : skip_object(buf[: header.end], start)])
    return None


# --- dispatch table ---------------------------------------------------------------------------

_READERS: List[Optional[Callable[[_Reader, int], Tuple[Any, int]]]] = [None] * 256
for _code, _fn in {
    tc.TC_BYTE: _fixed_reader("byte", _B),
    tc.TC_SHORT: _fixed_reader("short", _H),
    tc.TC_INT: _fixed_reader("int", _I),
    tc.TC_LONG: _fixed_reader("long", _Q),
    tc.TC_FLOAT: _fixed_reader("float", _F),
    tc.TC_DOUBLE: _fixed_reader("double", _D),
    tc.TC_CHAR: _r_char,
    tc.TC_BOOL: _r_bool,
    tc.TC_STRING: _r_string,
    tc.TC_UUID: _r_uuid,
    tc.TC_DATE: _r_date,
    tc.TC_BYTE_ARRAY: _r_byte_array,
    tc.TC_BOOL_ARRAY: _r_bool_array,
    tc.TC_STRING_ARRAY: _r_object_list,
    tc.TC_UUID_ARRAY: _r_object_list,
    tc.TC_DATE_ARRAY: _r_object_list,
    tc.TC_OBJECT_ARRAY: _r_typed_array,
    tc.TC_COLLECTION: _r_collection,
    tc.TC_MAP: _r_map,
    tc.TC_WRAPPED: _r_wrapped,
    tc.TC_ENUM: _r_enum,
    tc.TC_ENUM_ARRAY: _r_typed_array,
    tc.TC_DECIMAL: _r_decimal,
    tc.TC_DECIMAL_ARRAY: _r_object_list,
    tc.TC_CLASS: _r_class,
    tc.TC_TIMESTAMP: _r_timestamp,
    tc.TC_TIMESTAMP_ARRAY: _r_object_list,
    tc.TC_TIME: _r_time,
    tc.TC_TIME_ARRAY: _r_object_list,
    tc.TC_BINARY_ENUM: _r_enum,
    tc.TC_NULL: _r_null,
    tc.TC_HANDLE: _r_handle,
    tc.TC_COMPLEX: _r_complex,
    **{code: _primitive_array_reader(code) for code in _PRIMITIVE_ARRAYS},
}.items():
    _READERS[_code] = _fn
