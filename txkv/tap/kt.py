"""``twistd -n txkv-kt``: the embedded Kyoto Tycoon server (binary protocol + HTTP RPC).

Example: ``twistd -n txkv-kt --listen tcp:1978 --data DIR --script procs.lua '*' users``.
"""

from __future__ import annotations

from typing import Any, List, Sequence

from twisted.application.service import IService
from twisted.python import usage


class Options(usage.Options):
    """Options of ``twistd txkv-kt``; positional arguments are database specs (default ``*``)."""

    synopsis = "[options] [database ...]"
    optParameters: Sequence[Sequence[Any]] = [
        ["listen", "l", "tcp:1978", "Endpoint description to listen on."],
        ["data", "d", None, "Directory for durable (LevelDB) storage; in memory when omitted."],
        ["script", "s", None, "Lua file whose functions become play_script procedures."],
        ["sid", None, 1, "Server id stamped on update logs.", int],
        ["heartbeat", None, 1.0, "Seconds between replication heartbeats.", float],
    ]
    optFlags: Sequence[Sequence[Any]] = [
        ["ulog", "u", "Keep an update log so clients can replicate from this server."],
    ]

    def __init__(self) -> None:
        super().__init__()
        self["databases"] = ["*"]

    def parseArgs(self, *databases: str) -> None:
        if databases:
            self["databases"] = list(databases)


def makeService(options: Any) -> IService:
    """The server service: a listening endpoint plus storage shutdown."""
    from twisted.internet import reactor

    from txkv.kyoto.kt_server import KTServerFactory, build_state
    from txkv.kyoto.service import server_service

    databases: List[str] = options["databases"]
    state = build_state(databases, options["data"], reactor, options["script"],
                        options["sid"], bool(options["ulog"]))
    return server_service(options["listen"], KTServerFactory(state, options["heartbeat"]),
                          state.storage, reactor)  # type: ignore[attr-defined]
