"""Value and key conventions shared by the Kyoto Tycoon and Tokyo Tyrant clients.

Only *values* go through a serializer; keys are always plain bytes on the wire:
``str`` keys are UTF-8 encoded, ``bytes`` pass through, anything else is ``str()``-ed first.

=============  ============  ==================================================================
constant       wire name     behaviour
=============  ============  ==================================================================
KT_BINARY      ``binary``    str -> UTF-8; bytes as is; reads decode UTF-8 to str and fall back
                             to the raw bytes when a value is not valid UTF-8 (ukt raises there)
KT_JSON        ``json``      compact JSON in UTF-8
KT_MSGPACK     ``msgpack``   msgpack with the bin type
KT_NONE        ``none``      no conversion: values are bytes both ways (str is UTF-8 encoded)
KT_PICKLE      ``pickle``    pickle, highest protocol (only on explicit request: it runs code)
TT_TABLE       ``table``     Tokyo Tyrant table records; handled by :mod:`txkv.kyoto.tyrant`
=============  ============  ==================================================================
"""

from __future__ import annotations

from typing import Any, Callable, Optional, Tuple, Union

from txkv import serializers as _base
from txkv.errors import SerializationError

__all__ = [
    "KT_BINARY",
    "KT_JSON",
    "KT_MSGPACK",
    "KT_NONE",
    "KT_PICKLE",
    "TT_TABLE",
    "SERIALIZERS",
    "Encoder",
    "Decoder",
    "value_codec",
    "encode_key",
    "decode_key",
    "raw_bytes",
    "decode_text",
    "to_bytes",
]

KT_BINARY = "binary"
KT_JSON = "json"
KT_MSGPACK = "msgpack"
KT_NONE = "none"
KT_PICKLE = "pickle"
TT_TABLE = "table"

SERIALIZERS = (KT_BINARY, KT_JSON, KT_MSGPACK, KT_NONE, KT_PICKLE)

Encoder = Callable[[Any], bytes]
Decoder = Callable[[bytes], Any]


def to_bytes(value: Any) -> bytes:
    """str -> UTF-8, bytes-like -> bytes, anything else -> UTF-8 of ``str(value)``."""
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, (bytearray, memoryview)):
        return bytes(value)
    if value is None:
        raise SerializationError("cannot store None as a value")
    return str(value).encode("utf-8")


def decode_text(data: bytes) -> Union[str, bytes]:
    """UTF-8 text when ``data`` is valid UTF-8, else the bytes unchanged."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data


def raw_bytes(data: bytes) -> bytes:
    """KT_NONE's decoder: the bytes as they are."""
    return bytes(data)


_CODECS = {
    KT_BINARY: (to_bytes, decode_text),
    KT_NONE: (to_bytes, raw_bytes),
    KT_JSON: (_base.JSON.dumps, _base.JSON.loads),
    KT_MSGPACK: (_base.MSGPACK.dumps, _base.MSGPACK.loads),
    KT_PICKLE: (_base.PICKLE.dumps, _base.PICKLE.loads),
}


def value_codec(
    serializer: Union[str, _base.Serializer, None] = KT_BINARY,
) -> Tuple[Encoder, Decoder]:
    """``(encode, decode)`` for a serializer constant, a :class:`txkv.serializers.Serializer`,
    or None (= KT_BINARY)."""
    if serializer is None:
        serializer = KT_BINARY
    if isinstance(serializer, _base.Serializer):
        return serializer.dumps, serializer.loads
    try:
        return _CODECS[serializer.lower()]
    except (KeyError, AttributeError):
        raise SerializationError(
            f"unknown serializer {serializer!r}; choose one of {', '.join(SERIALIZERS)}"
        ) from None


def encode_key(key: Any) -> bytes:
    """The wire form of a key (str -> UTF-8, bytes as is, other -> ``str(key)``)."""
    if key is None:
        raise SerializationError("a key cannot be None")
    return to_bytes(key)


def decode_key(data: bytes, decode_keys: bool = True) -> Union[str, bytes]:
    """A key read from the wire: UTF-8 text (bytes when invalid) if ``decode_keys``, else bytes."""
    if decode_keys:
        return decode_text(data)
    return bytes(data)


def optional_value(decode: Decoder, data: Optional[bytes]) -> Any:
    """``decode(data)`` or None when there is no data."""
    return None if data is None else decode(data)
