"""Type hints: marker classes naming an Ignite data type, as in pyignite's ``datatypes``.

A hint never gets instantiated; it is passed *as a class* next to a value, e.g.
``write_object(buf, 42, IntObject)`` or, inside containers, as a ``(value, IntObject)`` tuple.
Hints also type the fields of complex-object schemas (``GenericObjectMeta(schema=...)``).
"""

from __future__ import annotations

import decimal
import uuid
from datetime import datetime, timedelta
from typing import Any, ClassVar, Dict, Optional

from . import typecodes as tc

__all__ = [
    "IgniteDataType",
    "AnyDataObject",
    "Null",
    "ByteObject",
    "ShortObject",
    "IntObject",
    "LongObject",
    "FloatObject",
    "DoubleObject",
    "CharObject",
    "BoolObject",
    "String",
    "UUIDObject",
    "DateObject",
    "TimestampObject",
    "TimeObject",
    "DecimalObject",
    "EnumObject",
    "BinaryEnumObject",
    "ByteArrayObject",
    "ShortArrayObject",
    "IntArrayObject",
    "LongArrayObject",
    "FloatArrayObject",
    "DoubleArrayObject",
    "CharArrayObject",
    "BoolArrayObject",
    "StringArrayObject",
    "UUIDArrayObject",
    "DateArrayObject",
    "TimestampArrayObject",
    "TimeArrayObject",
    "DecimalArrayObject",
    "EnumArrayObject",
    "BinaryEnumArrayObject",
    "ObjectArrayObject",
    "CollectionObject",
    "MapObject",
    "BinaryObject",
    "WrappedDataObject",
    "is_hint",
    "hint_for_type_code",
]


class IgniteDataType:
    """Base class of every type hint.

    :cvar type_code: the wire type code written for non-null values (``None`` for
        :class:`AnyDataObject`, whose code depends on the value).
    :cvar type_name: the Java type name (used in query entities and metadata).
    :cvar type_id: pyignite's numeric type id for the hint.
    :cvar default: value a complex-object field of this type takes when not set.
    """

    type_code: ClassVar[Optional[int]] = None
    type_name: ClassVar[Optional[str]] = None
    type_id: ClassVar[Optional[int]] = None
    pythonic: ClassVar[type] = object
    default: ClassVar[Any] = None

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        raise TypeError(f"{cls.__name__} is a type hint: pass the class itself, not an instance")


class AnyDataObject(IgniteDataType):
    """No hint: the type is inferred from the Python value (pyignite's rules)."""


class Null(IgniteDataType):
    """Always writes the null object (0x65)."""

    type_code = tc.TC_NULL
    pythonic = type(None)


# --- primitives -------------------------------------------------------------------------------


class ByteObject(IgniteDataType):
    type_code = tc.TC_BYTE
    type_name = "java.lang.Byte"
    type_id = 1
    pythonic = int
    default = 0


class ShortObject(IgniteDataType):
    type_code = tc.TC_SHORT
    type_name = "java.lang.Short"
    type_id = 2
    pythonic = int
    default = 0


class IntObject(IgniteDataType):
    type_code = tc.TC_INT
    type_name = "java.lang.Integer"
    type_id = 3
    pythonic = int
    default = 0


class LongObject(IgniteDataType):
    type_code = tc.TC_LONG
    type_name = "java.lang.Long"
    type_id = 4
    pythonic = int
    default = 0


class FloatObject(IgniteDataType):
    type_code = tc.TC_FLOAT
    type_name = "java.lang.Float"
    type_id = 5
    pythonic = float
    default = 0.0


class DoubleObject(IgniteDataType):
    type_code = tc.TC_DOUBLE
    type_name = "java.lang.Double"
    type_id = 6
    pythonic = float
    default = 0.0


class CharObject(IgniteDataType):
    """One UTF-16 code unit; a one-character ``str`` (BMP) or an ``int`` code unit."""

    type_code = tc.TC_CHAR
    type_name = "java.lang.Character"
    type_id = 7
    pythonic = str
    default = " "


class BoolObject(IgniteDataType):
    type_code = tc.TC_BOOL
    type_name = "java.lang.Boolean"
    type_id = 8
    pythonic = bool
    default = False


# --- standard objects -------------------------------------------------------------------------


class String(IgniteDataType):
    type_code = tc.TC_STRING
    type_name = "java.lang.String"
    type_id = 9
    pythonic = str


class UUIDObject(IgniteDataType):
    type_code = tc.TC_UUID
    type_name = "java.util.UUID"
    type_id = 10
    pythonic = uuid.UUID


class DateObject(IgniteDataType):
    """``datetime``/``date`` (naive values are local time, as in pyignite); read as naive local."""

    type_code = tc.TC_DATE
    type_name = "java.util.Date"
    type_id = 11
    pythonic = datetime
    default = datetime(1970, 1, 1)


class TimestampObject(IgniteDataType):
    """``(datetime, nanoseconds within the millisecond)`` tuple."""

    type_code = tc.TC_TIMESTAMP
    type_name = "java.sql.Timestamp"
    type_id = 33
    pythonic = tuple
    default = (datetime(1970, 1, 1), 0)


class TimeObject(IgniteDataType):
    """``timedelta`` since midnight, millisecond precision."""

    type_code = tc.TC_TIME
    type_name = "java.sql.Time"
    type_id = 36
    pythonic = timedelta
    default = timedelta()


class DecimalObject(IgniteDataType):
    type_code = tc.TC_DECIMAL
    type_name = "java.math.BigDecimal"
    type_id = 30
    pythonic = decimal.Decimal
    default = decimal.Decimal("0.00")


class EnumObject(IgniteDataType):
    """``(type_id, ordinal)`` tuple."""

    type_code = tc.TC_ENUM
    type_name = "Enum"
    type_id = 28
    pythonic = tuple


class BinaryEnumObject(EnumObject):
    """``(type_id, ordinal)`` tuple written with the binary-enum code 0x26."""

    type_code = tc.TC_BINARY_ENUM
    type_id = 38


# --- arrays -----------------------------------------------------------------------------------


class _ArrayObject(IgniteDataType):
    pythonic = list
    default: ClassVar[Any] = []


class ByteArrayObject(_ArrayObject):
    """``bytes``/``bytearray``, or ints in -128..255; read back as ``bytes``."""

    type_code = tc.TC_BYTE_ARRAY
    type_name = "class [B"
    type_id = 12


class ShortArrayObject(_ArrayObject):
    type_code = tc.TC_SHORT_ARRAY
    type_name = "class [S"
    type_id = 13


class IntArrayObject(_ArrayObject):
    type_code = tc.TC_INT_ARRAY
    type_name = "class [I"
    type_id = 14


class LongArrayObject(_ArrayObject):
    type_code = tc.TC_LONG_ARRAY
    type_name = "class [J"
    type_id = 15


class FloatArrayObject(_ArrayObject):
    type_code = tc.TC_FLOAT_ARRAY
    type_name = "class [F"
    type_id = 16


class DoubleArrayObject(_ArrayObject):
    type_code = tc.TC_DOUBLE_ARRAY
    type_name = "class [D"
    type_id = 17


class CharArrayObject(_ArrayObject):
    type_code = tc.TC_CHAR_ARRAY
    type_name = "class [C"
    type_id = 18


class BoolArrayObject(_ArrayObject):
    type_code = tc.TC_BOOL_ARRAY
    type_name = "class [Z"
    type_id = 19


class StringArrayObject(_ArrayObject):
    type_code = tc.TC_STRING_ARRAY
    type_name = "class [Ljava.lang.String;"
    type_id = 20


class UUIDArrayObject(_ArrayObject):
    type_code = tc.TC_UUID_ARRAY
    type_name = "class [Ljava.util.UUID;"
    type_id = 21


class DateArrayObject(_ArrayObject):
    type_code = tc.TC_DATE_ARRAY
    type_name = "class [Ljava.util.Date;"
    type_id = 22


class TimestampArrayObject(_ArrayObject):
    type_code = tc.TC_TIMESTAMP_ARRAY
    type_name = "class [Ljava.sql.Timestamp;"
    type_id = 34


class TimeArrayObject(_ArrayObject):
    type_code = tc.TC_TIME_ARRAY
    type_name = "class [Ljava.sql.Time;"
    type_id = 37


class DecimalArrayObject(_ArrayObject):
    type_code = tc.TC_DECIMAL_ARRAY
    type_name = "class [Ljava.math.BigDecimal;"
    type_id = 31


class EnumArrayObject(_ArrayObject):
    """``(component type id, [(type_id, ordinal), ...])``."""

    type_code = tc.TC_ENUM_ARRAY
    type_name = "Enum[]"
    type_id = 29
    OBJECT = tc.OBJECT_TYPE_ID


class BinaryEnumArrayObject(EnumArrayObject):
    """Like :class:`EnumArrayObject`, elements written with the binary-enum code."""


class ObjectArrayObject(IgniteDataType):
    """``(component type id, iterable)``; :attr:`OBJECT` (-1) means ``java.lang.Object``."""

    type_code = tc.TC_OBJECT_ARRAY
    type_name = "class [Ljava.lang.Object;"
    type_id = 23
    pythonic = tuple
    OBJECT = tc.OBJECT_TYPE_ID


class CollectionObject(IgniteDataType):
    """``(kind, iterable)``; read back as ``(kind, list)``."""

    type_code = tc.TC_COLLECTION
    type_name = "java.util.Collection"
    type_id = 24
    pythonic = tuple
    USER_SET = tc.COL_USER_SET
    USER_COL = tc.COL_USER_COL
    ARR_LIST = tc.COL_ARR_LIST
    LINKED_LIST = tc.COL_LINKED_LIST
    HASH_SET = tc.COL_HASH_SET
    LINKED_HASH_SET = tc.COL_LINKED_HASH_SET
    SINGLETON_LIST = tc.COL_SINGLETON_LIST


class MapObject(IgniteDataType):
    """``(kind, dict)``; read back as ``(1, dict)`` or ``(2, OrderedDict)``."""

    type_code = tc.TC_MAP
    type_name = "java.util.Map"
    type_id = 25
    pythonic = tuple
    HASH_MAP = tc.MAP_HASH_MAP
    LINKED_HASH_MAP = tc.MAP_LINKED_HASH_MAP


class BinaryObject(IgniteDataType):
    """A complex object: an instance of a :class:`~txkv.ignite.binary.GenericObjectMeta` class."""

    type_code = tc.TC_COMPLEX
    type_id = 27
    USER_TYPE = tc.FLAG_USER_TYPE
    HAS_SCHEMA = tc.FLAG_HAS_SCHEMA
    HAS_RAW_DATA = tc.FLAG_HAS_RAW
    OFFSET_ONE_BYTE = tc.FLAG_OFFSET_ONE_BYTE
    OFFSET_TWO_BYTES = tc.FLAG_OFFSET_TWO_BYTES
    COMPACT_FOOTER = tc.FLAG_COMPACT_FOOTER


class WrappedDataObject(IgniteDataType):
    """``(payload bytes, offset of the root object)``: objects wrapped in a byte array (0x1B)."""

    type_code = tc.TC_WRAPPED
    type_id = 27
    pythonic = tuple


def is_hint(obj: Any) -> bool:
    """True if *obj* is a type-hint class."""
    return isinstance(obj, type) and issubclass(obj, IgniteDataType)


_BY_TYPE_CODE: Dict[int, type] = {
    int(h.type_code or 0): h
    for h in (
        Null, ByteObject, ShortObject, IntObject, LongObject, FloatObject, DoubleObject,
        CharObject, BoolObject, String, UUIDObject, DateObject, TimestampObject, TimeObject,
        DecimalObject, EnumObject, BinaryEnumObject, ByteArrayObject, ShortArrayObject,
        IntArrayObject, LongArrayObject, FloatArrayObject, DoubleArrayObject, CharArrayObject,
        BoolArrayObject, StringArrayObject, UUIDArrayObject, DateArrayObject,
        TimestampArrayObject, TimeArrayObject, DecimalArrayObject, EnumArrayObject,
        ObjectArrayObject, CollectionObject, MapObject, BinaryObject, WrappedDataObject,
    )
}


def hint_for_type_code(code: int) -> type:
    """The hint class for a metadata field type code; unknown codes map to :class:`BinaryObject`
    (as pyignite does), whose writer falls back to inference for non-complex values.  Wrapped
    objects (0x1B) also map to :class:`BinaryObject`: they are read back unwrapped."""
    if code == tc.TC_WRAPPED:
        return BinaryObject
    return _BY_TYPE_CODE.get(code, BinaryObject)
