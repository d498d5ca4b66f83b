"""``twistd -n txkv-tt``: the embedded Tokyo Tyrant server (binary protocol).

Example: ``twistd -n txkv-tt --listen tcp:1978 --data DIR --btree``.
"""

from __future__ import annotations

from typing import Any, Sequence

from twisted.application.service import IService
from twisted.python import usage


class Options(usage.Options):
    """Options of ``twistd txkv-tt``."""

    optParameters: Sequence[Sequence[Any]] = [
        ["listen", "l", "tcp:1978", "Endpoint description to listen on."],
        ["data", "d", None, "Directory for durable (LevelDB) storage; in memory when omitted."],
        ["kind", "k", "hash", "Database flavour: hash, btree or table."],
        ["ext", "e", None, "Lua file whose functions are callable through ext."],
        ["sid", None, 1, "Server id reported by stat.", int],
    ]
    optFlags: Sequence[Sequence[Any]] = [
        ["btree", "b", "Same as --kind btree (ordered keys, range, duplicates)."],
        ["table", "t", "Same as --kind table (column records, search, genuid)."],
    ]

    def postOptions(self) -> None:
        if self["btree"]:
            self["kind"] = "btree"
        if self["table"]:
            self["kind"] = "table"
        if self["kind"] not in ("hash", "btree", "table"):
            raise usage.UsageError(f"--kind must be hash, btree or table, not {self['kind']}")


def makeService(options: Any) -> IService:
    """The server service: a listening endpoint plus storage shutdown."""
    from twisted.internet import reactor

    from txkv.kyoto.service import server_service
    from txkv.kyoto.tyrant.server import TTServerFactory, open_database

    db = open_database(options["data"], options["kind"], ext_script=options["ext"],
                       sid=options["sid"])
    return server_service(options["listen"], TTServerFactory(db), db.storage, reactor)
