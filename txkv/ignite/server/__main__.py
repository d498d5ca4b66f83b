"""``python -m txkv.ignite.server``: run an embedded Ignite cluster in the foreground.

``--port 0 --print-port`` picks free ports and prints ``PORTS p1 p2 ...`` on stdout once every
node listens (for tests and scripts that start the server as a subprocess).
"""

from __future__ import annotations

import argparse
import sys
from typing import List, Optional

from txkv.ignite.codec.ops import PROTOCOL_VERSIONS, ProtocolVersion


def parse_version(text: str) -> ProtocolVersion:
    parts = tuple(int(part) for part in text.split("."))
    if len(parts) != 3 or parts not in PROTOCOL_VERSIONS:
        raise argparse.ArgumentTypeError(f"unsupported protocol version {text!r}")
    return parts


def parse_auth(text: str) -> tuple:
    user, sep, password = text.partition(":")
    if not sep or not user:
        raise argparse.ArgumentTypeError("expected USER:PASSWORD")
    return user, password


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m txkv.ignite.server", description=__doc__)
    parser.add_argument("--port", type=int, default=10800, help="first node's port (0: free)")
    parser.add_argument("--interface", default="127.0.0.1")
    parser.add_argument("--nodes", type=int, default=1, help="number of nodes (ports)")
    parser.add_argument("--data", default=None, help="LevelDB directory (default: memory)")
    parser.add_argument("--auth", type=parse_auth, default=None, help="USER:PASSWORD")
    parser.add_argument("--max-version", type=parse_version, default=(1, 7, 0))
    parser.add_argument("--tls", default=None, help="CERT[,KEY[,CA]] PEM files")
    parser.add_argument("--print-port", action="store_true",
                        help="print 'PORTS p1 p2 ...' once listening")
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    from twisted.internet import reactor

    from txkv.ignite.server.cluster import start_cluster

    tls = None
    if args.tls:
        from txkv.tls import server_tls_from_string

        tls = server_tls_from_string(args.tls)
    ports = [args.port + index if args.port else 0 for index in range(args.nodes)]
    cluster = start_cluster(reactor, args.nodes, data=args.data, ports=ports,
                            interface=args.interface, tls=tls, auth=args.auth,
                            max_version=args.max_version)
    if args.print_port:
        print("PORTS " + " ".join(str(port) for _host, port in cluster.addresses), flush=True)
    reactor.addSystemEventTrigger("before", "shutdown", cluster.stop)
    reactor.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
