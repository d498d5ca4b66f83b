"""Argument checks shared by every storage entry point (bad input raises ParameterError)."""

from __future__ import annotations

import math
import numbers
from typing import Any, Optional, Tuple, Union

from txkv.errors import ParameterError

#: What keys and values may be given as (they are stored as bytes).
BytesLike = Union[bytes, bytearray, memoryview]

MAX_NAMESPACE_BYTES = 0xFFFF


def as_bytes(data: Any, what: str) -> bytes:
    """Return ``data`` as :class:`bytes`; accept bytes, bytearray and memoryview only."""
    if type(data) is bytes:
        return data
    if isinstance(data, (bytes, bytearray, memoryview)):
        return bytes(data)
    hint = " (encode str first, e.g. with .encode())" if isinstance(data, str) else ""
    raise ParameterError(
        f"{what} must be bytes, bytearray or memoryview, not {type(data).__name__}{hint}"
    )


def optional_bytes(data: Any, what: str) -> Optional[bytes]:
    """Like :func:`as_bytes` but let ``None`` through (open range bounds)."""
    return None if data is None else as_bytes(data, what)


def namespace_name(name: Any) -> str:
    """Check a namespace name: a ``str`` of at most 65535 UTF-8 bytes."""
    if not isinstance(name, str):
        raise ParameterError(f"namespace name must be str, not {type(name).__name__}")
    try:
        encoded = name.encode("utf-8")
    except UnicodeEncodeError as e:
        raise ParameterError(f"namespace name {name!r} is not valid unicode: {e}") from None
    if len(encoded) > MAX_NAMESPACE_BYTES:
        raise ParameterError(f"namespace name is {len(encoded)} bytes long; at most 65535")
    return name


def _seconds(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ParameterError(f"{what} must be a number of seconds, not {type(value).__name__}")
    result = float(value)
    if math.isnan(result):
        raise ParameterError(f"{what} must not be NaN")
    return result


def deadline_for(ttl: Any, expire_at: Any, now: float) -> Tuple[bool, Optional[float]]:
    """Turn ``ttl`` (relative) or ``expire_at`` (absolute) into ``(alive, deadline)``.

    ``alive`` is False when the entry would already be expired (``ttl <= 0`` or
    ``expire_at <= now``); ``deadline`` is None for "never expires" (both None, or infinite).
    """
    if ttl is not None and expire_at is not None:
        raise ParameterError("give ttl or expire_at, not both")
    if ttl is not None:
        seconds = _seconds(ttl, "ttl")
        if seconds <= 0:
            return False, None
        deadline = now + seconds
    elif expire_at is not None:
        deadline = _seconds(expire_at, "expire_at")
        if deadline <= now:
            return False, None
    else:
        return True, None
    if math.isinf(deadline):
        return True, None
    return True, deadline


def prefix_successor(prefix: bytes) -> Optional[bytes]:
    """The smallest byte string greater than every string starting with ``prefix``.

    None when there is none (``prefix`` is empty or all ``0xff``).
    """
    stripped = prefix.rstrip(b"\xff")
    if not stripped:
        return None
    return stripped[:-1] + bytes((stripped[-1] + 1,))


def key_range(start: Any, stop: Any, prefix: Any) -> Tuple[Optional[bytes], Optional[bytes], bool]:
    """Combine ``start``/``stop``/``prefix`` into one ``[low, high)`` range.

    Returns ``(low, high, empty)``; ``None`` bounds are open and ``empty`` says the
    range holds no key at all.
    """
    low = optional_bytes(start, "start")
    high = optional_bytes(stop, "stop")
    if prefix is not None:
        pfx = as_bytes(prefix, "prefix")
        if low is None or low < pfx:
            low = pfx
        upper = prefix_successor(pfx)
        if upper is not None and (high is None or high > upper):
            high = upper
    if low == b"":
        low = None
    empty = low is not None and high is not None and low >= high
    return low, high, empty or high == b""
