"""Tokyo Tyrant: an asynchronous client of the binary protocol and an embedded server.

* :class:`TokyoTyrant` -- the seed's client API, every call a Deferred;
* :class:`EmbeddedTokyoTyrantServer` -- ``ttserver`` (or txkv's own server) in a child process;
* :mod:`txkv.kyoto.tyrant.server` -- txkv's server (hash, B+ tree or table database);
* :mod:`txkv.kyoto.tyrant.codec` -- the wire format, sans-IO.

Values use the Kyoto serializers (``KT_BINARY``...) or ``TT_TABLE`` for table databases
(dict <-> ``name\\0value\\0...``).
"""

from __future__ import annotations

from txkv.kyoto.serializers import KT_BINARY, KT_JSON, KT_MSGPACK, KT_NONE, KT_PICKLE, TT_TABLE
from txkv.kyoto.tyrant.client import (
    INDEX_DECIMAL,
    INDEX_DELETE,
    INDEX_KEEP,
    INDEX_LEXICAL,
    INDEX_OPTIMIZE,
    INDEX_QGRAM,
    INDEX_TOKEN,
    TokyoTyrant,
    TokyoTyrantError,
    table_codec,
)
from txkv.kyoto.tyrant.embedded import EmbeddedServerError, EmbeddedTokyoTyrantServer
from txkv.kyoto.tyrant.query import Op, Order, QueryBuilder

__all__ = [
    "TokyoTyrant",
    "TokyoTyrantError",
    "EmbeddedTokyoTyrantServer",
    "EmbeddedServerError",
    "QueryBuilder",
    "Op",
    "Order",
    "table_codec",
    "KT_BINARY",
    "KT_JSON",
    "KT_MSGPACK",
    "KT_NONE",
    "KT_PICKLE",
    "TT_TABLE",
    "INDEX_LEXICAL",
    "INDEX_DECIMAL",
    "INDEX_TOKEN",
    "INDEX_QGRAM",
    "INDEX_OPTIMIZE",
    "INDEX_DELETE",
    "INDEX_KEEP",
]
