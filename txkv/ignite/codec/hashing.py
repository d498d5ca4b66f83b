"""Java hash functions used by the Ignite protocol: ``String.hashCode``, type/field ids, schema ids,
the binary-object byte hash, per-type key hashCodes and the Rendezvous partition formula.

All results are Java ``int`` values (signed 32-bit).  Polynomial hashes (``h = 31*h + x``) are
evaluated as a dot product with precomputed powers of 31 (``sum(map(mul, ...))`` runs in C), one
chunk of :data:`_CHUNK` elements at a time.
"""

from __future__ import annotations

import struct
import sys
from array import array
from functools import lru_cache
from operator import mul
from typing import Iterable, Sequence

from ..errors import ParameterError

__all__ = [
    "to_int32",
    "poly31",
    "string_hashcode",
    "bytes_hashcode",
    "cache_id",
    "entity_id",
    "schema_id",
    "long_hashcode",
    "float_hashcode",
    "double_hashcode",
    "bool_hashcode",
    "uuid_hashcode",
    "biginteger_hashcode",
    "decimal_parts_hashcode",
    "partition_for",
]

_M32 = 0xFFFFFFFF
_M64 = 0xFFFFFFFFFFFFFFFF
_CHUNK = 4096
#: _POW31[k] = 31**k mod 2**32
_POW31 = [pow(31, k, 1 << 32) for k in range(_CHUNK + 1)]
#: weights of a full chunk, most significant first: 31**(CHUNK-1) ... 31**0
_POW31_DESC = _POW31[_CHUNK - 1 :: -1]
_BIG_ENDIAN = sys.byteorder == "big"
_FNV_OFFSET = 0x811C9DC5
_FNV_PRIME = 0x01000193
_INT32 = struct.Struct("<i")


def to_int32(value: int) -> int:
    """Reduce *value* modulo 2**32 to a signed Java ``int``."""
    value &= _M32
    return value - 0x100000000 if value & 0x80000000 else value


def poly31(seq: Sequence[int], h: int = 0) -> int:
    """Horner ``h = 31*h + x`` over *seq* modulo 2**32 (unsigned result).

    *seq* must support ``len`` and slicing (bytes, memoryview, array, list).
    """
    n = len(seq)
    if n <= 8:
        for x in seq:
            h = (31 * h + x) & _M32
        return h
    for start in range(0, n, _CHUNK):
        chunk = seq[start : start + _CHUNK]
        k = len(chunk)
        weights = _POW31_DESC if k == _CHUNK else _POW31_DESC[_CHUNK - k :]
        h = (h * _POW31[k] + sum(map(mul, chunk, weights))) & _M32
    return h


def _utf16_units(text: str) -> Sequence[int]:
    if text.isascii():
        return text.encode("ascii")
    units = array("H")
    units.frombytes(text.encode("utf-16-le", "surrogatepass"))
    if _BIG_ENDIAN:
        units.byteswap()
    return units


def string_hashcode(text: str) -> int:
    """Java ``String.hashCode()``: over UTF-16 code units, starting at 0."""
    return to_int32(poly31(_utf16_units(text)))


def bytes_hashcode(data: bytes | bytearray | memoryview) -> int:
    """Java ``Arrays.hashCode(byte[])``: signed bytes, starting at 1.

    This is also the complex-object hash (over the bytes between header and footer).
    """
    view = memoryview(data)
    if view.format != "B" or view.ndim != 1:
        view = view.cast("B")
    signed = view.cast("b")
    return to_int32(poly31(signed, 1))


@lru_cache(maxsize=4096)
def cache_id(name: str) -> int:
    """Cache id: the case-sensitive ``String.hashCode`` of the cache name."""
    return string_hashcode(name)


def _java_lower(name: str) -> str:
    """Lower-case per UTF-16 unit like ``Character.toLowerCase(char)`` (simple case mapping)."""
    if name.isascii():
        return name.lower()
    out = []
    for ch in name:
        if ord(ch) > 0xFFFF:  # Java lowers each surrogate unit separately: unchanged
            out.append(ch)
            continue
        low = ch.lower()
        if len(low) != 1:  # only U+0130 has a multi-char full mapping; its simple one is 'i'
            low = "i" if ch == "\u0130" else ch
        out.append(low)
    return "".join(out)


@lru_cache(maxsize=4096)
def entity_id(name: str) -> int:
    """Type or field id: ``String.hashCode`` of the name lower-cased unit by unit (Ignite's
    ``BinaryBasicIdMapper``)."""
    return string_hashcode(_java_lower(name))


def schema_id(field_ids: Iterable[int]) -> int:
    """Schema id: FNV-1a over the little-endian bytes of the field ids; 0 for no fields."""
    ids = list(field_ids)
    if not ids:
        return 0
    s = _FNV_OFFSET
    for field_id in ids:
        for byte in _INT32.pack(to_int32(field_id)):
            s = ((s ^ byte) * _FNV_PRIME) & _M32
    return to_int32(s)


def long_hashcode(value: int) -> int:
    """``Long.hashCode``: ``(int)(v ^ (v >>> 32))``."""
    value &= _M64
    return to_int32(value ^ (value >> 32))


_FLOAT = struct.Struct("<f")
_FLOAT_BITS = struct.Struct("<i")
_DOUBLE = struct.Struct("<d")
_DOUBLE_BITS = struct.Struct("<Q")
_FLOAT_NAN_BITS = 0x7FC00000
_DOUBLE_NAN_BITS = 0x7FF8000000000000


def float_hashcode(value: float) -> int:
    """``Float.hashCode``: ``floatToIntBits`` (NaN canonical)."""
    if value != value:
        return _FLOAT_NAN_BITS
    return int(_FLOAT_BITS.unpack(_FLOAT.pack(value))[0])


def double_hashcode(value: float) -> int:
    """``Double.hashCode``: bits of ``doubleToLongBits`` folded like a long."""
    bits = (
        _DOUBLE_NAN_BITS if value != value else int(_DOUBLE_BITS.unpack(_DOUBLE.pack(value))[0])
    )
    return to_int32(bits ^ (bits >> 32))


def bool_hashcode(value: bool) -> int:
    """``Boolean.hashCode``: 1231 / 1237."""
    return 1231 if value else 1237


def uuid_hashcode(value: int) -> int:
    """``UUID.hashCode`` of a 128-bit UUID integer: fold ``msb ^ lsb`` like a long."""
    return long_hashcode((value >> 64) ^ (value & _M64))


def biginteger_hashcode(value: int) -> int:
    """``BigInteger.hashCode``: polynomial over the 32-bit magnitude words, times the signum."""
    magnitude = -value if value < 0 else value
    if magnitude == 0:
        return 0
    words = array("I")
    if words.itemsize != 4:  # pragma: no cover - exotic platforms
        words = array("L")
    words.frombytes(magnitude.to_bytes(((magnitude.bit_length() + 31) // 32) * 4, "big"))
    if not _BIG_ENDIAN:
        words.byteswap()
    h = poly31(words)
    return to_int32(-h if value < 0 else h)


def decimal_parts_hashcode(unscaled: int, scale: int) -> int:
    """``BigDecimal.hashCode``: ``31 * unscaledValue.hashCode() + scale``."""
    return to_int32(31 * biginteger_hashcode(unscaled) + scale)


def partition_for(hashcode: int, partitions: int) -> int:
    """Partition of a key hash under ``RendezvousAffinityFunction`` (brief §6.3).

    Power-of-two counts: ``(h ^ (h >>> 16)) & (parts - 1)``; otherwise ``safeAbs(h % parts)``
    with Java's truncating remainder, which equals ``|h| mod parts``.
    """
    if partitions <= 0:
        raise ParameterError(f"partition count must be positive, got {partitions}")
    h = hashcode & _M32
    mask = partitions - 1
    if partitions & mask == 0:
        return (h ^ (h >> 16)) & mask
    return abs(to_int32(hashcode)) % partitions
