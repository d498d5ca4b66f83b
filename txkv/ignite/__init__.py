"""Apache Ignite thin-client protocol: asynchronous client, embedded server and codec.

The public API mirrors pyignite's (``from pyignite import AioClient`` becomes
``from txkv.ignite import Client``)::

    from txkv.ignite import Client, GenericObjectMeta
    from txkv.ignite.datatypes import IntObject, String
    from txkv.ignite.errors import CacheError

Every network method returns a Deferred.  Names are imported lazily, so the sans-IO codec
(:mod:`txkv.ignite.codec`) can be used without loading Twisted.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the lazily imported names, for type checkers
    from txkv.ignite import datatypes, exceptions, prop_codes
    from txkv.ignite.adapter import IgniteKeyValueStore
    from txkv.ignite.binary import GenericObject, GenericObjectMeta
    from txkv.ignite.cache import AioCache, Cache
    from txkv.ignite.client import AioClient, Client
    from txkv.ignite.cluster import Cluster
    from txkv.ignite.codec.ops import (
        CacheAtomicityMode,
        CacheMode,
        ClusterState,
        ExpiryPolicy,
        IndexType,
        PartitionLossPolicy,
        PeekModes,
        RebalanceMode,
        StatementType,
        TransactionConcurrency,
        TransactionIsolation,
        WriteSynchronizationMode,
    )
    from txkv.ignite.cursors import ScanCursor, SqlCursor, SqlFieldsCursor
    from txkv.ignite.errors import (
        AuthenticationError,
        BinaryTypeError,
        CacheCreationError,
        CacheError,
        ClusterError,
        HandshakeError,
        NotSupportedByClusterError,
        ParameterError,
        ParseError,
        ReconnectError,
        SocketError,
        SQLError,
        TLSError,
    )
    from txkv.ignite.transactions import Transaction

__all__ = [
    # client side
    "Client",
    "AioClient",
    "Cache",
    "AioCache",
    "Cluster",
    "Transaction",
    "ScanCursor",
    "SqlCursor",
    "SqlFieldsCursor",
    "IgniteKeyValueStore",
    "GenericObjectMeta",
    "GenericObject",
    # data types and settings (pyignite.datatypes)
    "ExpiryPolicy",
    "CacheMode",
    "CacheAtomicityMode",
    "WriteSynchronizationMode",
    "PartitionLossPolicy",
    "RebalanceMode",
    "IndexType",
    "PeekModes",
    "StatementType",
    "TransactionConcurrency",
    "TransactionIsolation",
    "ClusterState",
    # exceptions (pyignite.exceptions)
    "CacheError",
    "BinaryTypeError",
    "CacheCreationError",
    "SQLError",
    "ClusterError",
    "HandshakeError",
    "TLSError",
    "AuthenticationError",
    "ParameterError",
    "ParseError",
    "ReconnectError",
    "NotSupportedByClusterError",
    "SocketError",
    # modules
    "datatypes",
    "exceptions",
    "prop_codes",
]

_LAZY = {
    "Client": "txkv.ignite.client",
    "AioClient": "txkv.ignite.client",
    "Cache": "txkv.ignite.cache",
    "AioCache": "txkv.ignite.cache",
    "Cluster": "txkv.ignite.cluster",
    "Transaction": "txkv.ignite.transactions",
    "ScanCursor": "txkv.ignite.cursors",
    "SqlCursor": "txkv.ignite.cursors",
    "SqlFieldsCursor": "txkv.ignite.cursors",
    "IgniteKeyValueStore": "txkv.ignite.adapter",
    "GenericObjectMeta": "txkv.ignite.binary",
    "GenericObject": "txkv.ignite.binary",
}
_OPS_NAMES = (
    "ExpiryPolicy", "CacheMode", "CacheAtomicityMode", "WriteSynchronizationMode",
    "PartitionLossPolicy", "RebalanceMode", "IndexType", "PeekModes", "StatementType",
    "TransactionConcurrency", "TransactionIsolation", "ClusterState",
)
_ERROR_NAMES = (
    "CacheError", "BinaryTypeError", "CacheCreationError", "SQLError", "ClusterError",
    "HandshakeError", "TLSError", "AuthenticationError", "ParameterError", "ParseError",
    "ReconnectError",
    "NotSupportedByClusterError", "SocketError",
)
_MODULES = {
    "datatypes": "txkv.ignite.datatypes",
    "exceptions": "txkv.ignite.exceptions",
    "prop_codes": "txkv.ignite.prop_codes",
}
for _name in _OPS_NAMES:
    _LAZY[_name] = "txkv.ignite.codec.ops"
for _name in _ERROR_NAMES:
    _LAZY[_name] = "txkv.ignite.errors"


def __getattr__(name: str) -> Any:
    module = _MODULES.get(name)
    if module is not None:
        return importlib.import_module(module)
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
