"""Hash sets and hash maps as a Java server hands them back.

Ignite deserializes a Collection or Map cache value into a ``java.util`` object and writes it
again on every read, so a HASH_SET comes back without duplicates and in ``HashMap`` bucket
order, and a HASH_MAP keeps one entry per key.  :func:`java_collection` applies that to a
top-level value when it is stored (element equality and hashes follow Java: typed, with
:func:`~txkv.ignite.codec.hashcode_of_raw`).
"""

from __future__ import annotations

import struct
from typing import Dict, List, Tuple

from txkv.ignite.codec import hashcode_of_raw, key_identity, skip_object
from txkv.ignite.codec.typecodes import TC_COLLECTION, TC_MAP
from txkv.ignite.errors import ParseError

__all__ = ["java_collection"]

_HEAD = struct.Struct("<Bib")  # type code, count, kind
_USER_SET, _HASH_SET, _LINKED_HASH_SET = -1, 3, 4
_HASH_MAP, _LINKED_HASH_MAP = 1, 2


def _table_size(count: int) -> int:
    """Bucket count of ``new HashSet(U.capacity(count))`` after inserting ``count`` keys."""
    expected = count + 1 if count < 3 else count + count // 3
    size = 1
    while size < max(expected, 1):
        size <<= 1
    return size


def _hash_order(items: List[Tuple[bytes, int]], wire_count: int) -> List[int]:
    """Indexes of ``items`` ((raw, hash), distinct) in Java HashMap iteration order, for a
    set sized for the ``wire_count`` elements the client sent."""
    size = _table_size(wire_count)
    while len(items) > size * 3 // 4:
        size <<= 1
    mask = size - 1

    def bucket(index: int) -> Tuple[int, int]:
        h = items[index][1] & 0xFFFFFFFF
        return (h ^ (h >> 16)) & mask, index

    return sorted(range(len(items)), key=bucket)


def _elements(raw: bytes, offset: int, count: int) -> Tuple[List[bytes], int]:
    found = []
    for _ in range(count):
        end = skip_object(raw, offset)
        found.append(raw[offset:end])
        offset = end
    return found, offset


def java_collection(raw: bytes) -> bytes:
    """``raw`` re-encoded the way a Java server would return it (unchanged if not a set/map
    of a hashed kind, or anything fails to parse)."""
    if len(raw) < _HEAD.size or raw[0] not in (TC_COLLECTION, TC_MAP):
        return raw
    code, count, kind = _HEAD.unpack_from(raw, 0)
    try:
        if code == TC_COLLECTION and kind in (_USER_SET, _HASH_SET, _LINKED_HASH_SET):
            elements, end = _elements(raw, _HEAD.size, count)
            unique: Dict[bytes, int] = {}
            items: List[Tuple[bytes, int]] = []
            for element in elements:
                identity = key_identity(element)
                if identity not in unique:
                    unique[identity] = len(items)
                    items.append((element, hashcode_of_raw(element)))
            order = range(len(items)) if kind == _LINKED_HASH_SET else \
                _hash_order(items, count)
            body = b"".join(items[i][0] for i in order)
            return _HEAD.pack(code, len(items), kind) + body + raw[end:]
        if code == TC_MAP and kind in (_HASH_MAP, _LINKED_HASH_MAP):
            flat, end = _elements(raw, _HEAD.size, count * 2)
            slots: Dict[bytes, int] = {}
            pairs: List[List[bytes]] = []
            for key, value in zip(flat[::2], flat[1::2]):
                identity = key_identity(key)
                if identity in slots:
                    pairs[slots[identity]][1] = value
                else:
                    slots[identity] = len(pairs)
                    pairs.append([key, value])
            keyed = [(pair[0], hashcode_of_raw(pair[0])) for pair in pairs]
            order = range(len(pairs)) if kind == _LINKED_HASH_MAP else \
                _hash_order(keyed, count)
            body = b"".join(pairs[i][0] + pairs[i][1] for i in order)
            return _HEAD.pack(code, len(pairs), kind) + body + raw[end:]
    except (ParseError, ValueError, struct.error):
        return raw
    return raw
