"""The *BinaryType* structure of ops 3002/3003 (brief §3.5): binary-type metadata on the wire.

Layout: int32 type id, String type name, String affinity-key field (or null), int32 field count,
fields x (String name, int32 type code, int32 field id), bool is-enum, [enum: int32 count,
count x (String literal, int32 ordinal)], int32 schema count, schemas x (int32 schema id,
int32 field count, field ids x int32).
"""

from __future__ import annotations

import struct
from typing import Any, Dict, List, Optional, Tuple

from ..errors import ParseError
from .hashing import entity_id
from .hints import String
from .reader import Buffer, as_buffer, read_object
from .registry import BinaryTypeInfo
from .writer import write_object

__all__ = ["write_binary_type", "read_binary_type"]

_I = struct.Struct("<i")
_II = struct.Struct("<ii")


def write_binary_type(buf: bytearray, info: BinaryTypeInfo) -> None:
    """Append the BinaryType structure for *info*."""
    buf += _I.pack(info.type_id)
    write_object(buf, info.type_name, String)
    write_object(buf, info.affinity_key_field, String)
    buf += _I.pack(len(info.fields))
    for name, type_code in info.fields.items():
        write_object(buf, name, String)
        buf += _II.pack(type_code, info.field_ids.get(name, entity_id(name)))
    buf.append(1 if info.is_enum else 0)
    if info.is_enum:
        buf += _I.pack(len(info.enum_values))
        for literal, ordinal in info.enum_values.items():
            write_object(buf, literal, String)
            buf += _I.pack(ordinal)
    buf += _I.pack(len(info.schemas))
    for schema, field_ids in info.schemas.items():
        buf += _II.pack(schema, len(field_ids))
        buf += struct.pack(f"<{len(field_ids)}i", *field_ids)


class _Cursor:
    """Sequential reads with bounds checks."""

    def __init__(self, data: Buffer, pos: int) -> None:
        self.data = data
        self.pos = pos

    def int32(self, what: str) -> int:
        if self.pos + 4 > len(self.data):
            raise ParseError(f"truncated BinaryType {what} at offset {self.pos}")
        value = int(_I.unpack_from(self.data, self.pos)[0])
        self.pos += 4
        return value

    def count(self, what: str, min_size: int) -> int:
        start = self.pos
        value = self.int32(what)
        if value < 0 or self.pos + value * min_size > len(self.data):
            raise ParseError(f"bad BinaryType {what} count {value} at offset {start}")
        return value

    def optional_string(self, what: str) -> Optional[str]:
        start = self.pos
        value, self.pos = read_object(self.data, self.pos)
        if value is not None and not isinstance(value, str):
            raise ParseError(f"BinaryType {what} at offset {start} is not a String")
        return value

    def string(self, what: str) -> str:
        start = self.pos
        value = self.optional_string(what)
        if value is None:
            raise ParseError(f"BinaryType {what} at offset {start} is null")
        return value

    def boolean(self, what: str) -> bool:
        if self.pos >= len(self.data):
            raise ParseError(f"truncated BinaryType {what} at offset {self.pos}")
        value = self.data[self.pos] != 0
        self.pos += 1
        return value


def read_binary_type(data: Buffer, offset: int = 0) -> Tuple[BinaryTypeInfo, int]:
    """Parse a BinaryType structure at *offset*; return ``(info, offset after it)``.

    :raise ParseError: malformed structure.
    """
    cursor = _Cursor(as_buffer(data), offset)
    type_id = cursor.int32("type id")
    type_name = cursor.string("type name")
    affinity = cursor.optional_string("affinity key field")
    fields: Dict[str, int] = {}
    field_ids: Dict[str, int] = {}
    for _ in range(cursor.count("field", 9)):
        name = cursor.string("field name")
        fields[name] = cursor.int32("field type")
        field_ids[name] = cursor.int32("field id")
    is_enum = cursor.boolean("is-enum flag")
    enum_values: Dict[str, int] = {}
    if is_enum:
        for _ in range(cursor.count("enum value", 5)):
            literal = cursor.string("enum literal")
            enum_values[literal] = cursor.int32("enum ordinal")
    schemas: Dict[int, List[int]] = {}
    for _ in range(cursor.count("schema", 8)):
        schema = cursor.int32("schema id")
        size = cursor.count("schema field", 4)
        ids: List[Any] = list(struct.unpack_from(f"<{size}i", cursor.data, cursor.pos))
        cursor.pos += 4 * size
        schemas[schema] = ids
    info = BinaryTypeInfo(
        type_id=type_id,
        type_name=type_name,
        fields=fields,
        schemas=schemas,
        affinity_key_field=affinity,
        is_enum=is_enum,
        enum_values=enum_values,
        field_ids=field_ids,
    )
    return info, cursor.pos
