"""``twistd -n txkv-ignite``: the embedded Apache Ignite thin-client server.

Examples: ``twistd -n txkv-ignite --listen tcp:10800 --data DIR``;
``twistd -n txkv-ignite --nodes 3`` (ports 10800-10802, one cluster);
``twistd -n txkv-ignite --listen tcp:10800 --listen tcp:10900 --auth ignite:secret``.
"""

from __future__ import annotations

import re
from typing import Any, List, Optional, Sequence

from twisted.application.internet import StreamServerEndpointService
from twisted.application.service import IService, MultiService, Service
from twisted.internet.endpoints import serverFromString
from twisted.python import usage

DEFAULT_LISTEN = "tcp:10800"


def _version(text: str) -> tuple:
    from txkv.ignite.codec.ops import PROTOCOL_VERSIONS

    parts = tuple(int(p) for p in text.split(".")) if re.fullmatch(r"\d+\.\d+\.\d+", text) \
        else ()
    if parts not in PROTOCOL_VERSIONS:
        raise usage.UsageError(f"unsupported protocol version {text!r}")
    return parts


class Options(usage.Options):
    """Options of ``twistd txkv-ignite``."""

    optParameters: Sequence[Sequence[Any]] = [
        ["data", "d", None, "Directory for durable (LevelDB) storage; in memory when omitted."],
        ["nodes", "n", 1, "Number of cluster nodes (consecutive ports after --listen).", int],
        ["auth", None, None, "Require clients to log in as USER:PASSWORD."],
        ["tls", None, None, "Serve TLS: CERT[,KEY[,CA]] PEM files."],
        ["max-version", None, "1.7.0", "Newest protocol version to accept."],
    ]

    def __init__(self) -> None:
        super().__init__()
        self["listen"] = []

    def opt_listen(self, description: str) -> None:
        """Endpoint description to listen on (repeatable: one node per --listen)."""
        self["listen"].append(description)

    opt_l = opt_listen

    def postOptions(self) -> None:
        if self["nodes"] < 1:
            raise usage.UsageError("--nodes must be at least 1")
        auth = self["auth"]
        if auth is not None:
            user, sep, password = auth.partition(":")
            if not sep or not user:
                raise usage.UsageError("--auth takes USER:PASSWORD")
            self["auth"] = (user, password)
        self["max-version"] = _version(self["max-version"])
        self["listen"] = listen_descriptions(self["listen"] or [DEFAULT_LISTEN], self["nodes"])


def listen_descriptions(given: List[str], nodes: int) -> List[str]:
    """One endpoint description per node: the given ones, then consecutive ports after the
    last given ``tcp:PORT`` (port 0 stays 0: any free port)."""
    result = list(given)
    match = re.match(r"^(tcp:)?(\d+)(.*)$", result[-1])
    while len(result) < nodes:
        if match is None:
            raise usage.UsageError(f"cannot derive more ports from {result[-1]!r}; give one "
                                   "--listen per node")
        prefix, port, rest = match.group(1) or "tcp:", int(match.group(2)), match.group(3)
        step = len(result) - len(given) + 1
        result.append(f"{prefix}{port + step if port else 0}{rest}")
    return result


class _ClusterCloser(Service):
    def __init__(self, cluster: Any) -> None:
        self.cluster = cluster

    def stopService(self) -> Any:
        super().stopService()
        return self.cluster.stop()


def makeService(options: Any) -> IService:
    """One listening service per node around a shared cluster, plus shutdown of the store."""
    from twisted.internet import reactor

    from txkv.ignite.server.cluster import IgniteCluster, ServerOptions

    cluster = IgniteCluster(ServerOptions(data=options["data"], auth=options["auth"],
                                          max_version=options["max-version"]),
                            reactor=reactor)
    tls: Optional[Any] = None
    if options["tls"]:
        from txkv.tls import server_tls_from_string

        tls = server_tls_from_string(options["tls"])
    top = MultiService()
    _ClusterCloser(cluster).setServiceParent(top)
    for description in options["listen"]:
        node = cluster.add_node()
        factory: Any = node.factory
        if tls is not None:
            from twisted.protocols.tls import TLSMemoryBIOFactory

            factory = TLSMemoryBIOFactory(tls, False, factory)
        endpoint = serverFromString(reactor, description)
        StreamServerEndpointService(endpoint, factory).setServiceParent(top)
    return top
