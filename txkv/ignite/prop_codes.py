"""Cache property codes (``PROP_*``), importable as in pyignite's ``datatypes.prop_codes``."""

from txkv.ignite.codec.ops import *  # noqa: F403
from txkv.ignite.codec.ops import __all__ as _ops_all

__all__ = [name for name in _ops_all if name.startswith("PROP_")]
