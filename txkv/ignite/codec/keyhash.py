"""Java ``hashCode()`` of keys (brief §4.9), from Python values or from their serialized bytes.

:func:`hashcode_of_raw` is the single definition: it walks a serialized object and computes what
Java computes for the deserialized key.  :func:`java_hashcode` serializes the value the way
:func:`~txkv.ignite.codec.writer.write_object` would and hashes the bytes (with fast paths for
strings and integers), so a client and a server always agree.

Types without a value-based Java hash (arrays use identity hashes in Java) get the
``java.util.Arrays.hashCode`` of their elements; collections follow ``List``/``Set``, maps
``Map.hashCode``; enums ``31 * type_id + ordinal`` (Ignite's binary enum); complex objects the hash
stored in their header.
"""

from __future__ import annotations

import struct
import sys
from array import array
from typing import Any, Dict, Optional, Tuple

from ..errors import ParseError, SerializationError
from . import hints as h
from . import typecodes as tc
from .hashing import (
    bool_hashcode,
    decimal_parts_hashcode,
    long_hashcode,
    poly31,
    string_hashcode,
    to_int32,
    uuid_hashcode,
)
from .reader import MAX_DEPTH, Buffer, ComplexHeader, _wrapped_bounds, as_buffer
from .registry import DEFAULT_CONTEXT, CodecContext
from .writer import write_object

__all__ = ["java_hashcode", "hashcode_of_raw"]

_BIG_ENDIAN = sys.byteorder == "big"
_B = struct.Struct("<b")
_H = struct.Struct("<h")
_I = struct.Struct("<i")
_Q = struct.Struct("<q")
_U16 = struct.Struct("<H")
_UUID = struct.Struct("<QQ")
_IB = struct.Struct("<ib")
_F_BITS = struct.Struct("<i")
_D_BITS = struct.Struct("<q")
_LONG_MIN, _LONG_MAX = -(1 << 63), (1 << 63) - 1
_INT_RANGES: Dict[Any, Tuple[int, int]] = {
    h.ByteObject: (-(1 << 7), (1 << 7) - 1),
    h.ShortObject: (-(1 << 15), (1 << 15) - 1),
    h.IntObject: (-(1 << 31), (1 << 31) - 1),
}


def java_hashcode(
    value: Any, hint: Optional[type] = None, ctx: Optional[CodecContext] = None
) -> int:
    """Java ``hashCode()`` of *value* written as *hint* (inferred when ``None``).

    :param ctx: footer style for nested complex objects (affects their bytes, hence the hash).
    :raise SerializationError: the value cannot be written as that type.
    """
    value_type = type(value)
    if hint is None or hint is h.AnyDataObject:
        if value_type is str:
            return string_hashcode(value)
        if value_type is int:
            if _LONG_MIN <= value <= _LONG_MAX:
                return long_hashcode(value)
            raise SerializationError(f"{value} does not fit a Long")
    elif value_type is int or value_type is bool:
        bounds = _INT_RANGES.get(hint)
        if bounds is not None:
            if not bounds[0] <= value <= bounds[1]:
                raise SerializationError(f"{value} does not fit a {hint.__name__}")
            return int(value)
        if hint is h.LongObject and _LONG_MIN <= value <= _LONG_MAX:
            return long_hashcode(value)
    elif hint is h.String and value_type is str:
        return string_hashcode(value)
    buf = bytearray()
    write_object(buf, value, hint, DEFAULT_CONTEXT if ctx is None else ctx)
    return hashcode_of_raw(buf)


def hashcode_of_raw(raw: Buffer, offset: int = 0) -> int:
    """Java ``hashCode()`` of the key serialized at *offset* of *raw*.

    :raise ParseError: the bytes are not a valid data object.
    """
    buf = as_buffer(raw)
    if not 0 <= offset < len(buf):
        raise ParseError(f"truncated data object at offset {offset}")
    walker = _HashWalker(buf, len(buf), offset)
    try:
        return walker.hash_at(offset)[0]
    except ParseError:
        raise
    except (
        struct.error, IndexError, ValueError, TypeError, ArithmeticError, RecursionError
    ) as exc:
        raise ParseError(f"malformed data object at offset {offset}: {exc!r}") from exc


class _HashWalker:
    """Computes hashes straight from the bytes; memoises containers for handles."""

    def __init__(self, data: Buffer, end: int, root: int) -> None:
        self.data = data
        self.end = end
        self.root = root
        self.depth = 0
        self.done: Dict[int, Tuple[int, int]] = {}
        self.visiting: set = set()

    def need(self, pos: int, size: int, what: str) -> None:
        if pos + size > self.end:
            raise ParseError(f"truncated {what} at offset {pos}")

    def length(self, pos: int, what: str, element_size: int = 1) -> int:
        self.need(pos, 4, what)
        count = int(_I.unpack_from(self.data, pos)[0])
        if count < 0 or pos + 4 + count * element_size > self.end:
            raise ParseError(f"bad {what} length {count} at offset {pos}")
        return count

    def hash_at(self, pos: int) -> Tuple[int, int]:
        """``(hash, end)`` of the object at *pos*."""
        if pos >= self.end:
            raise ParseError(f"truncated data object at offset {pos}")
        code = self.data[pos]
        data = self.data
        if code == tc.TC_INT:
            self.need(pos, 5, "int")
            return int(_I.unpack_from(data, pos + 1)[0]), pos + 5
        if code == tc.TC_LONG or code in (tc.TC_DATE, tc.TC_TIME):
            self.need(pos, 9, "long")
            return long_hashcode(_Q.unpack_from(data, pos + 1)[0]), pos + 9
        if code == tc.TC_STRING:
            size = self.length(pos + 1, "String")
            try:
                text = str(data[pos + 5 : pos + 5 + size], "utf-8")
            except UnicodeDecodeError:
                raise ParseError(f"String at offset {pos} is not UTF-8") from None
            return string_hashcode(text), pos + 5 + size
        if code == tc.TC_COMPLEX:
            header = ComplexHeader(data, pos, self.end)
            return int(header.hashcode), header.end
        simple = _SIMPLE.get(code)
        if simple is not None:
            size, fn = simple
            self.need(pos, size, f"object 0x{code:02x}")
            return fn(data, pos + 1), pos + size
        if code == tc.TC_NULL:
            return 0, pos + 1
        if code == tc.TC_DECIMAL:
            self.need(pos, 9, "Decimal")
            scale = int(_I.unpack_from(data, pos + 1)[0])
            size = self.length(pos + 5, "Decimal")
            magnitude = data[pos + 9 : pos + 9 + size]
            unscaled = int.from_bytes(magnitude, "big") if size else 0
            if size and magnitude[0] & 0x80:
                unscaled = -(unscaled - (0x80 << (8 * (size - 1))))
            return decimal_parts_hashcode(unscaled, scale), pos + 9 + size
        if code in (tc.TC_ENUM, tc.TC_BINARY_ENUM, tc.TC_CLASS):
            type_id, after = self.type_id(pos + 1)
            if code == tc.TC_CLASS:
                return type_id, after
            self.need(after, 4, "Enum")
            return to_int32(31 * type_id + _I.unpack_from(data, after)[0]), after + 4
        if code == tc.TC_WRAPPED:
            start, stop, root = _wrapped_bounds(data, pos, self.end)
            inner = _HashWalker(data, stop, start)
            inner.depth = self.depth + 1
            if inner.depth > MAX_DEPTH:
                raise ParseError(f"data nested deeper than {MAX_DEPTH} levels at offset {pos}")
            return inner.hash_at(root)[0], stop + 4
        if code in _PRIMITIVE_ARRAY_HASHERS:
            return self.primitive_array(pos, code)
        return self.container(pos, code)

    def type_id(self, pos: int) -> Tuple[int, int]:
        self.need(pos, 4, "type id")
        type_id = int(_I.unpack_from(self.data, pos)[0])
        if type_id != 0:
            return type_id, pos + 4
        if pos + 4 >= self.end or self.data[pos + 4] != tc.TC_STRING:
            raise ParseError(f"unregistered type id at offset {pos} lacks its class name")
        return 0, self.hash_at(pos + 4)[1]

    def primitive_array(self, pos: int, code: int) -> Tuple[int, int]:
        size, fn = _PRIMITIVE_ARRAY_HASHERS[code]
        count = self.length(pos + 1, "array", size)
        start = pos + 5
        end = start + count * size
        return to_int32(poly31(fn(self.data[start:end]), 1)), end

    def container(self, pos: int, code: int) -> Tuple[int, int]:
        hit = self.done.get(pos)
        if hit is not None:
            return hit
        if code == tc.TC_HANDLE:
            self.need(pos, 5, "handle")
            distance = int(_I.unpack_from(self.data, pos + 1)[0])
            target = pos - distance
            if distance <= 0 or target < self.root:
                raise ParseError(f"handle at offset {pos} points outside the object")
            if target in self.visiting:  # a cycle: Java would overflow its stack
                return 0, pos + 5
            result = (self.nested(target)[0], pos + 5)
            self.done[pos] = result
            return result
        self.visiting.add(pos)
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ParseError(f"data nested deeper than {MAX_DEPTH} levels at offset {pos}")
        if code in _LIST_LIKE:
            count = self.length(pos + 1, "array")
            result = self.list_hash(pos + 5, count)
        elif code in (tc.TC_OBJECT_ARRAY, tc.TC_ENUM_ARRAY):
            _, after = self.type_id(pos + 1)
            count = self.length(after, "array")
            result = self.list_hash(after + 4, count)
        elif code == tc.TC_COLLECTION:
            self.need(pos, 6, "Collection")
            count, kind = _IB.unpack_from(self.data, pos + 1)
            if count < 0 or pos + 6 + count > self.end:
                raise ParseError(f"bad Collection size {count} at offset {pos}")
            if kind in tc.SET_KINDS:
                result = self.set_hash(pos + 6, count)
            else:
                result = self.list_hash(pos + 6, count)
        elif code == tc.TC_MAP:
            self.need(pos, 6, "Map")
            count = int(_IB.unpack_from(self.data, pos + 1)[0])
            if count < 0 or pos + 6 + 2 * count > self.end:
                raise ParseError(f"bad Map size {count} at offset {pos}")
            total, cursor = 0, pos + 6
            for _ in range(count):
                key_hash, cursor = self.hash_at(cursor)
                value_hash, cursor = self.hash_at(cursor)
                total += key_hash ^ value_hash
            result = (to_int32(total), cursor)
        else:
            raise ParseError(f"unsupported type code 0x{code:02x} at offset {pos}")
        self.depth -= 1
        self.visiting.discard(pos)
        self.done[pos] = result
        return result

    def nested(self, pos: int) -> Tuple[int, int]:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ParseError(f"data nested deeper than {MAX_DEPTH} levels at offset {pos}")
        result = self.hash_at(pos)
        self.depth -= 1
        return result

    def list_hash(self, pos: int, count: int) -> Tuple[int, int]:
        value = 1
        for _ in range(count):
            element, pos = self.hash_at(pos)
            value = (31 * value + element) & 0xFFFFFFFF
        return to_int32(value), pos

    def set_hash(self, pos: int, count: int) -> Tuple[int, int]:
        total = 0
        for _ in range(count):
            element, pos = self.hash_at(pos)
            total += element
        return to_int32(total), pos


def _float_bits(data: Buffer, pos: int) -> int:
    bits = int(_F_BITS.unpack_from(data, pos)[0])
    if bits & 0x7F800000 == 0x7F800000 and bits & 0x007FFFFF:
        return 0x7FC00000
    return bits


def _double_bits(bits: int) -> int:
    if bits & 0x7FF0000000000000 == 0x7FF0000000000000 and bits & 0x000FFFFFFFFFFFFF:
        bits = 0x7FF8000000000000
    return long_hashcode(bits)


def _uuid_hash(data: Buffer, pos: int) -> int:
    msb, lsb = _UUID.unpack_from(data, pos)
    return uuid_hashcode((msb << 64) | lsb)


_SIMPLE = {
    tc.TC_BYTE: (2, lambda d, p: int(_B.unpack_from(d, p)[0])),
    tc.TC_SHORT: (3, lambda d, p: int(_H.unpack_from(d, p)[0])),
    tc.TC_FLOAT: (5, _float_bits),
    tc.TC_DOUBLE: (9, lambda d, p: _double_bits(_D_BITS.unpack_from(d, p)[0])),
    tc.TC_CHAR: (3, lambda d, p: int(_U16.unpack_from(d, p)[0])),
    tc.TC_BOOL: (2, lambda d, p: bool_hashcode(d[p] != 0)),
    tc.TC_UUID: (17, _uuid_hash),
    tc.TC_TIMESTAMP: (13, lambda d, p: long_hashcode(_Q.unpack_from(d, p)[0])),
}


def _as_array(typecode: str, chunk: Buffer) -> array:
    items = array(typecode)
    items.frombytes(chunk)
    if _BIG_ENDIAN:
        items.byteswap()
    return items


def _float_array_hashes(chunk: Buffer) -> Any:
    return [_float_bits(chunk, i) for i in range(0, len(chunk), 4)]


_PRIMITIVE_ARRAY_HASHERS = {
    tc.TC_BYTE_ARRAY: (1, lambda chunk: memoryview(chunk).cast("b")),
    tc.TC_BOOL_ARRAY: (1, lambda chunk: [1231 if b else 1237 for b in chunk]),
    tc.TC_SHORT_ARRAY: (2, lambda chunk: _as_array("h", chunk)),
    tc.TC_CHAR_ARRAY: (2, lambda chunk: _as_array("H", chunk)),
    tc.TC_INT_ARRAY: (4, lambda chunk: _as_array("i", chunk)),
    tc.TC_LONG_ARRAY: (8, lambda chunk: list(map(long_hashcode, _as_array("q", chunk)))),
    tc.TC_FLOAT_ARRAY: (4, _float_array_hashes),
    tc.TC_DOUBLE_ARRAY: (8, lambda chunk: list(map(_double_bits, _as_array("q", chunk)))),
}

_LIST_LIKE = frozenset(
    {
        tc.TC_STRING_ARRAY,
        tc.TC_UUID_ARRAY,
        tc.TC_DATE_ARRAY,
        tc.TC_DECIMAL_ARRAY,
        tc.TC_TIMESTAMP_ARRAY,
        tc.TC_TIME_ARRAY,
    }
)
