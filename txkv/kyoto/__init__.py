"""Kyoto Tycoon and Tokyo Tyrant: asynchronous clients and embedded servers speaking the stores'
real wire formats (KT binary protocol + HTTP TSV-RPC; TT binary protocol)."""

from __future__ import annotations

from importlib import import_module
from importlib.util import find_spec
from typing import Any

from txkv.kyoto.adapter import KyotoTycoonKeyValueStore, TokyoTyrantKeyValueStore
from txkv.kyoto.embedded import EmbeddedServer
from txkv.kyoto.kt_client import KyotoTycoon
from txkv.kyoto.kt_errors import (
    KTBinaryError,
    KTError,
    KTHTTPError,
    KTInvalidError,
    KTLogicError,
    KTNotImplementedError,
    KTSignalTimeout,
)
from txkv.kyoto.serializers import KT_BINARY, KT_JSON, KT_MSGPACK, KT_NONE, KT_PICKLE, TT_TABLE

TokyoTyrant: Any = None
EmbeddedTokyoTyrantServer: Any = None
if find_spec("txkv.kyoto.tyrant") is not None:  # the Tokyo Tyrant half, its own subpackage
    _tyrant = import_module("txkv.kyoto.tyrant")
    TokyoTyrant = _tyrant.TokyoTyrant
    EmbeddedTokyoTyrantServer = _tyrant.EmbeddedTokyoTyrantServer

__all__ = [
    "KyotoTycoon",
    "EmbeddedServer",
    "KyotoTycoonKeyValueStore",
    "TokyoTyrantKeyValueStore",
    "TokyoTyrant",
    "EmbeddedTokyoTyrantServer",
    "KT_BINARY",
    "KT_JSON",
    "KT_MSGPACK",
    "KT_NONE",
    "KT_PICKLE",
    "TT_TABLE",
    "KTError",
    "KTBinaryError",
    "KTHTTPError",
    "KTInvalidError",
    "KTLogicError",
    "KTNotImplementedError",
    "KTSignalTimeout",
]
