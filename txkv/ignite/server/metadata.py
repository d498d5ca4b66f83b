"""The server's binary-type metadata (ops 3000-3003), persisted in the storage.

Types are kept in a :class:`~txkv.ignite.codec.BinaryRegistry` (the codec needs it to read
compact-footer objects) and written through to two namespaces: ``ignite/types`` (type id ->
BinaryType structure) and ``ignite/type-names`` (platform + type id -> class name).
"""

from __future__ import annotations

import struct
from typing import Optional

from txkv.ignite.codec import (
    BinaryRegistry,
    BinaryTypeInfo,
    CodecContext,
    read_binary_type,
    write_binary_type,
)
from txkv.ignite.errors import BinaryTypeError
from txkv.storage import Storage

from .status import OpError

__all__ = ["TypeStore"]

_TYPE_KEY = struct.Struct(">i")
_NAME_KEY = struct.Struct(">Bi")


class TypeStore:
    """Binary types and type names of one cluster, loaded from and saved to ``storage``."""

    def __init__(self, storage: Storage) -> None:
        self._types = storage.namespace("ignite/types")
        self._names = storage.namespace("ignite/type-names")
        self.registry = BinaryRegistry()
        #: codec context for decoding stored objects (compact footers, this registry)
        self.context = CodecContext(compact_footer=True, registry=self.registry)
        for _key, value in self._types.iterate():
            info, _ = read_binary_type(value)
            self.registry.put(info)

    def get(self, type_id: int) -> Optional[BinaryTypeInfo]:
        """The metadata of ``type_id`` or None."""
        return self.registry.get(type_id)

    def put(self, info: BinaryTypeInfo) -> BinaryTypeInfo:
        """Merge ``info`` (as Ignite merges metadata) and persist the result.

        :raise OpError: status 1 when a field would change its type (Ignite refuses that).
        """
        try:
            merged = self.registry.put(info)
        except BinaryTypeError as exc:
            raise OpError(1, str(exc)) from None
        buf = bytearray()
        write_binary_type(buf, merged)
        self._types.put(_TYPE_KEY.pack(merged.type_id), bytes(buf))
        return merged

    def type_name(self, platform: int, type_id: int) -> str:
        """The class name registered for ``type_id`` (op 3000); status 1 when unknown."""
        value = self._names.get(_NAME_KEY.pack(platform & 0xFF, type_id))
        if value is None:
            info = self.registry.get(type_id)
            if info is not None:
                return info.type_name
            raise OpError(1, f"Failed to resolve class name [platformId={platform}, "
                             f"typeId={type_id}]")
        return value.decode("utf-8")

    def register_name(self, platform: int, type_id: int, name: str) -> bool:
        """Record a class name (op 3001); False if the id is taken by another name."""
        key = _NAME_KEY.pack(platform & 0xFF, type_id)
        old = self._names.get(key)
        encoded = name.encode("utf-8")
        if old is not None:
            return old == encoded
        self._names.put(key, encoded)
        return True
