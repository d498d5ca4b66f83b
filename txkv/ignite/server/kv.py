"""Key-value semantics of one request on one cache: typed key identity, expiry, null checks
and the complex-value wrapping Ignite applies on the way out."""

from __future__ import annotations

import struct
from typing import Iterator, Optional, Tuple

from txkv.ignite.codec import key_identity
from txkv.ignite.codec.typecodes import TC_COMPLEX, TC_NULL

from .caches import CacheDescriptor
from .data import CacheData, Entry
from .expiry import ExpiryRule
from .javacoll import java_collection
from .status import OpError

__all__ = ["CacheAccess", "wrap_value", "same_value"]

_I32 = struct.Struct("<i")
_WRAPPED = 0x1B


def wrap_value(raw: Optional[bytes]) -> Optional[bytes]:
    """A stored value as Ignite sends it: complex objects wrapped (0x1B), others as stored."""
    if raw is None or not raw or raw[0] != TC_COMPLEX:
        return raw
    return bytes((_WRAPPED,)) + _I32.pack(len(raw)) + raw + _I32.pack(0)


def same_value(left: bytes, right: bytes) -> bool:
    """Value equality as Ignite's binary comparison sees it (footer style ignored)."""
    return key_identity(left) == key_identity(right)


def _not_null(raw: bytes, what: str) -> None:
    if raw[:1] == bytes((TC_NULL,)):
        raise OpError(1, f"Ouch! Argument cannot be null: {what}")


class CacheAccess:
    """One operation's view of a cache: its data (inside a transaction if any), expiry
    rule and the storage clock."""

    def __init__(self, desc: CacheDescriptor, data: CacheData, rule: ExpiryRule,
                 now: float) -> None:
        self.desc = desc
        self.data = data
        self.rule = rule
        self.now = now

    # -- reads -------------------------------------------------------------------------------

    def lookup(self, raw_key: bytes) -> Tuple[bytes, Optional[Entry]]:
        """``(identity, entry or None)`` without side effects."""
        _not_null(raw_key, "key")
        identity = key_identity(raw_key)
        return identity, self.data.get(identity, raw_key)

    def get(self, raw_key: bytes) -> Optional[bytes]:
        """The stored value (access expiry applied), or None."""
        identity, entry = self.lookup(raw_key)
        if entry is None:
            return None
        self._accessed(identity, entry)
        return entry.value

    def _accessed(self, identity: bytes, entry: Entry) -> None:
        decision = self.rule.on_access(self.now, entry.expire_at)
        if decision is None:
            return
        keep, deadline = decision
        if not keep:
            self.data.delete(identity, entry.key)
        elif deadline != entry.expire_at:
            self.data.put(identity, entry._replace(expire_at=deadline))

    def contains(self, raw_key: bytes) -> bool:
        return self.lookup(raw_key)[1] is not None

    def scan(self) -> Iterator[Tuple[bytes, Entry]]:
        return self.data.scan()

    # -- writes ------------------------------------------------------------------------------

    def put(self, raw_key: bytes, raw_value: bytes) -> Optional[bytes]:
        """Store the value; return the previous one."""
        _not_null(raw_value, "val")
        raw_value = java_collection(raw_value)
        identity, old = self.lookup(raw_key)
        if old is None:
            keep, deadline = self.rule.on_create(self.now)
        else:
            keep, deadline = self.rule.on_update(self.now, old.expire_at)
        if keep:
            self.data.put(identity, Entry(raw_key, raw_value, deadline))
        elif old is not None:
            self.data.delete(identity, raw_key)
        return None if old is None else old.value

    def remove(self, raw_key: bytes) -> Optional[bytes]:
        """Remove the key; return the previous value."""
        identity, old = self.lookup(raw_key)
        if old is None:
            return None
        self.data.delete(identity, raw_key)
        return old.value

    def put_if_absent(self, raw_key: bytes, raw_value: bytes) -> Optional[bytes]:
        """Store unless present; return the present value (None if it was stored)."""
        _not_null(raw_value, "val")
        current = self.get(raw_key)
        if current is None:
            self.put(raw_key, raw_value)
        return current

    def replace(self, raw_key: bytes, raw_value: bytes) -> Optional[bytes]:
        """Store only if present; return the previous value (None if nothing happened)."""
        _not_null(raw_value, "val")
        if not self.contains(raw_key):
            return None
        return self.put(raw_key, raw_value)
