"""Entry lifetimes: per-operation expiry durations (cache flag 0x04) and the cache's
EXPIRY_POLICY (property 407), turned into storage deadlines.

Durations are wire milliseconds: ``-1`` eternal, ``-2`` unchanged / not set, ``0`` expire at
once, ``n > 0`` expire ``n`` ms from now.  As in Ignite's default (eternal) policy, a new entry
without any rule never expires and an update keeps the entry's deadline.
"""

from __future__ import annotations

from typing import NamedTuple, Optional, Tuple

from txkv.ignite.codec.ops import ExpiryPolicy

__all__ = ["ExpiryRule", "effective_rule", "ETERNAL", "UNCHANGED"]

ETERNAL = -1
UNCHANGED = -2

#: A deadline decision: (keep the entry?, absolute expiry time or None for never).
Decision = Tuple[bool, Optional[float]]


class ExpiryRule(NamedTuple):
    """The three durations (ms) that apply to one operation."""

    create: int = UNCHANGED
    update: int = UNCHANGED
    access: int = UNCHANGED

    def on_create(self, now: float) -> Decision:
        return _deadline(self.create, now, None, ETERNAL)

    def on_update(self, now: float, current: Optional[float]) -> Decision:
        return _deadline(self.update, now, current, UNCHANGED)

    def on_access(self, now: float, current: Optional[float]) -> Optional[Decision]:
        """The new deadline after a read, or None when the read changes nothing."""
        if self.access == UNCHANGED or self.access < ETERNAL:
            return None
        return _deadline(self.access, now, current, UNCHANGED)


NO_RULE = ExpiryRule()


def _deadline(millis: int, now: float, current: Optional[float], unset: int) -> Decision:
    if millis < ETERNAL:  # unchanged, or any other negative value
        millis = unset
    if millis == UNCHANGED:
        return True, current
    if millis == ETERNAL:
        return True, None
    if millis == 0:
        return False, None
    return True, now + millis / 1000.0


def effective_rule(
    op_expiry: Optional[Tuple[int, int, int]], cache_policy: Optional[ExpiryPolicy]
) -> ExpiryRule:
    """The rule of one operation: its own durations, falling back to the cache's policy."""
    base = cache_policy.to_millis() if cache_policy is not None else (UNCHANGED,) * 3
    if op_expiry is None:
        return ExpiryRule(*base)
    merged = [own if own != UNCHANGED else fallback for own, fallback in zip(op_expiry, base)]
    return ExpiryRule(*merged)
