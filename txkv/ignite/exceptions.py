"""pyignite's ``pyignite.exceptions`` module name: the exceptions of :mod:`txkv.ignite.errors`.

``from txkv.ignite.exceptions import CacheError`` works as ``from pyignite.exceptions import
CacheError`` does; the classes are the ones defined in :mod:`txkv.ignite.errors`.
"""

from txkv.ignite.errors import *  # noqa: F403
from txkv.ignite.errors import __all__  # noqa: F401
