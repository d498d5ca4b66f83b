"""Sans-IO codec for the Ignite thin-client protocol (no Twisted imports).

The value codec (data objects, complex objects, ids and hashes) is re-exported here from
:mod:`txkv.ignite.codec.values`; frame and message codecs live in sibling modules.
"""

from . import values as _values
from .values import *  # noqa: F403

__all__ = list(_values.__all__)
