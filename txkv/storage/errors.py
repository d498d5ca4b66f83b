"""Errors raised by :mod:`txkv.storage`.

Bad arguments (a key that is not bytes, a negative ``ttl`` that is NaN...) raise
:class:`txkv.errors.ParameterError`; everything else the engine raises derives from
:class:`StorageError`, itself a :class:`txkv.errors.TxKVError`.
"""

from __future__ import annotations

from txkv.errors import TxKVError


class StorageError(TxKVError):
    """The storage engine could not do what was asked (cannot open, corrupt data...)."""


class StorageClosedError(StorageError):
    """The storage was closed; open it again to use it."""


class SnapshotClosedError(StorageError):
    """The snapshot was closed (explicitly, or by closing its storage)."""


class NamespaceDroppedError(StorageError):
    """The namespace object was dropped; ask the storage for the namespace again."""


class StorageFormatError(StorageError):
    """The directory holds a LevelDB database that is not a txkv storage (or a newer format)."""


__all__ = [
    "StorageError",
    "StorageClosedError",
    "SnapshotClosedError",
    "NamespaceDroppedError",
    "StorageFormatError",
]
