"""Value serializers shared by every store: bytes by default; str, JSON, msgpack; pickle on request.

A :class:`Serializer` is a pair of functions; :func:`get_serializer` looks one up by name.
Pickle executes code on load, so it is never a default and must be named explicitly.
"""

from __future__ import annotations

import json
import pickle
from typing import Any, Callable, Dict, Union

import attr
import msgpack

from txkv.errors import SerializationError

__all__ = [
    "Serializer",
    "BYTES",
    "UTF8",
    "JSON",
    "MSGPACK",
    "PICKLE",
    "get_serializer",
]


@attr.s(frozen=True, slots=True, auto_attribs=True)
class Serializer:
    """``dumps(value) -> bytes`` and ``loads(bytes) -> value`` under a name."""

    name: str
    dumps: Callable[[Any], bytes]
    loads: Callable[[bytes], Any]


def _bytes_dumps(value: Any) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, (bytearray, memoryview)):
        return bytes(value)
    raise SerializationError(f"bytes serializer needs bytes, got {type(value).__name__}")


def _utf8_dumps(value: Any) -> bytes:
    if isinstance(value, str):
        try:
            return value.encode("utf-8")
        except UnicodeEncodeError as e:  # lone surrogates
            raise SerializationError(f"str is not encodable as UTF-8: {e}") from e
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    raise SerializationError(f"utf-8 serializer needs str or bytes, got {type(value).__name__}")


def _utf8_loads(data: bytes) -> str:
    try:
        return bytes(data).decode("utf-8")
    except UnicodeDecodeError as e:
        raise SerializationError(f"value is not valid UTF-8: {e}") from e


def _json_dumps(value: Any) -> bytes:
    try:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    except (TypeError, ValueError, RecursionError) as e:
        raise SerializationError(f"value is not JSON-serializable: {e}") from e


def _json_loads(data: bytes) -> Any:
    try:
        return json.loads(bytes(data).decode("utf-8"))
    except (ValueError, RecursionError) as e:  # UnicodeDecodeError is a ValueError
        raise SerializationError(f"value is not valid JSON: {e}") from e


def _msgpack_dumps(value: Any) -> bytes:
    try:
        return msgpack.packb(value, use_bin_type=True)
    except (TypeError, ValueError, OverflowError) as e:
        raise SerializationError(f"value is not msgpack-serializable: {e}") from e


def _msgpack_loads(data: bytes) -> Any:
    try:
        return msgpack.unpackb(bytes(data), raw=False, strict_map_key=False)
    # TypeError: a map key that Python cannot hash (an array or a map).
    except (ValueError, TypeError, msgpack.ExtraData, msgpack.FormatError, msgpack.StackError) as e:
        raise SerializationError(f"value is not valid msgpack: {e}") from e


def _pickle_dumps(value: Any) -> bytes:
    try:
        return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    except (pickle.PicklingError, TypeError, AttributeError) as e:
        raise SerializationError(f"value cannot be pickled: {e}") from e


def _pickle_loads(data: bytes) -> Any:
    try:
        return pickle.loads(bytes(data))
    except Exception as e:  # unpickling raises almost anything on bad input
        raise SerializationError(f"value cannot be unpickled: {e}") from e


BYTES = Serializer("bytes", _bytes_dumps, bytes)
UTF8 = Serializer("utf-8", _utf8_dumps, _utf8_loads)
JSON = Serializer("json", _json_dumps, _json_loads)
MSGPACK = Serializer("msgpack", _msgpack_dumps, _msgpack_loads)
PICKLE = Serializer("pickle", _pickle_dumps, _pickle_loads)

_BY_NAME: Dict[str, Serializer] = {
    "bytes": BYTES,
    "raw": BYTES,
    "none": BYTES,
    "str": UTF8,
    "utf-8": UTF8,
    "utf8": UTF8,
    "json": JSON,
    "msgpack": MSGPACK,
    "pickle": PICKLE,
}


def get_serializer(spec: Union[str, Serializer, None] = None) -> Serializer:
    """A serializer from a name (``"json"``...), a :class:`Serializer`, or None for bytes."""
    if spec is None:
        return BYTES
    if isinstance(spec, Serializer):
        return spec
    try:
        return _BY_NAME[spec.lower()]
    except (KeyError, AttributeError):
        raise SerializationError(
            f"unknown serializer {spec!r}; choose one of {sorted(set(_BY_NAME))}"
        ) from None
