"""The value codec's public API: Python values <-> Ignite data objects, ids, hashes, metadata.

Everything the message codec, the client and the server use comes from here (sans-IO; no
Twisted).  See the modules it re-exports for details:
:mod:`.writer` (values -> bytes), :mod:`.reader` (bytes -> values, raw helpers),
:mod:`.keyhash` (Java hashCodes of keys), :mod:`.hashing` (ids, partitions),
:mod:`.registry` (metadata, :class:`CodecContext`), :mod:`.binary_type` (the BinaryType struct).
"""

from __future__ import annotations

from typing import Any, Optional, Tuple

from ..errors import MissingSchemaError, ParseError, SerializationError
from .binary_type import read_binary_type, write_binary_type
from .generic import GenericObject, GenericObjectMeta, is_binary
from .hashing import cache_id, entity_id, partition_for, schema_id, string_hashcode
from .hints import String
from .keyhash import hashcode_of_raw, java_hashcode
from .reader import (
    ComplexHeader,
    complex_header,
    field_raw,
    key_identity,
    read_object,
    skip_object,
)
from .registry import DEFAULT_CONTEXT, BinaryRegistry, BinaryTypeInfo, CodecContext
from .writer import IgniteClass, infer_hint, write_object

__all__ = [
    "CodecContext",
    "BinaryRegistry",
    "BinaryTypeInfo",
    "DEFAULT_CONTEXT",
    "write_object",
    "read_object",
    "skip_object",
    "key_identity",
    "field_raw",
    "complex_header",
    "ComplexHeader",
    "java_hashcode",
    "hashcode_of_raw",
    "entity_id",
    "cache_id",
    "schema_id",
    "string_hashcode",
    "partition_for",
    "write_binary_type",
    "read_binary_type",
    "infer_hint",
    "IgniteClass",
    "unwrap_binary",
    "write_string",
    "read_string",
    "GenericObjectMeta",
    "GenericObject",
    "is_binary",
    "MissingSchemaError",
    "ParseError",
    "SerializationError",
]


def write_string(buf: bytearray, value: Optional[str]) -> None:
    """Append a typed String object (``0x09`` + length + UTF-8), or ``0x65`` for ``None``."""
    write_object(buf, value, String)


def read_string(data: Any, offset: int) -> Tuple[Optional[str], int]:
    """Read a typed String (or null) at *offset*; return ``(value, offset after it)``.

    :raise ParseError: something other than a String or null is there.
    """
    value, end = read_object(data, offset)
    if value is not None and not isinstance(value, str):
        raise ParseError(f"expected a String at offset {offset}, got {type(value).__name__}")
    return value, end


def unwrap_binary(value: Any, ctx: Optional[CodecContext] = None) -> Any:
    """pyignite's ``Client.unwrap_binary``: decode ``(payload bytes, offset)`` tuples (the
    Python form of a wrapped object), recursively inside ``(kind, list|dict)`` containers.

    :func:`read_object` already unwraps 0x1B objects, so this only matters for values built by
    hand or kept wrapped.
    """
    if isinstance(value, tuple) and len(value) == 2:
        first, second = value
        if isinstance(first, (bytes, bytearray)) and type(second) is int:
            return read_object(first, second, ctx)[0]
        if isinstance(first, int) and not isinstance(first, bool):
            if isinstance(second, list):
                return first, [unwrap_binary(item, ctx) for item in second]
            if isinstance(second, dict):
                return first, type(second)(
                    (unwrap_binary(key, ctx), unwrap_binary(item, ctx))
                    for key, item in second.items()
                )
    return value
