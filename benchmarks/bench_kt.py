"""Kyoto Tycoon: txkv's client against ukt (the maintained blocking client), on the same server,
in one run.

The server runs in a child process (:class:`txkv.kyoto.EmbeddedServer`: ``ktserver`` when it is
installed, else txkv's own KT server), so neither client shares its process or GIL with it.

Scenarios: sequential ``get`` and ``set`` of a ``--size``-byte value, ``get_bulk`` and
``set_bulk`` of ``--bulk`` keys, and txkv with ``--inflight`` gets (and sets) outstanding on
one connection.  ukt blocks, so it runs on the reactor thread itself (nothing else needs the
reactor while it runs; the harness runs one scenario at a time).

Run: ``python -m benchmarks.bench_kt --size 64 --bulk 1000 --inflight 64``.
"""

from __future__ import annotations

import argparse
from typing import Any, List

from benchmarks.harness import Bench, Scenario, run_cli
from txkv.kyoto import KT_NONE, EmbeddedServer


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--size", type=int, default=64, help="value bytes (64)")
    parser.add_argument("--bulk", type=int, default=1000, help="keys per bulk call (1000)")
    parser.add_argument("--inflight", type=int, default=64, help="pipelined requests (64)")
    parser.add_argument("--server", default="ktserver",
                        help="ktserver executable to prefer (default: ktserver if on PATH, "
                             "else txkv's server)")
    parser.add_argument("--no-ukt", action="store_true", help="skip the ukt scenarios")


async def build(reactor: Any, options: argparse.Namespace) -> Bench:
    server = EmbeddedServer(server=options.server, serializer=KT_NONE, reactor=reactor)
    await server.run()
    value = b"x" * options.size
    keys = [f"bulk{i:06d}".encode() for i in range(options.bulk)]
    bulk = {k: value for k in keys}
    client = server.client
    await client.set_bulk(bulk)
    await client.set(b"key", value)
    if await client.get(b"key") != value:
        raise RuntimeError("the server returned a different value")
    inflight = options.inflight
    scenarios = [
        Scenario("txkv get", lambda: client.get(b"key")),
        Scenario("txkv set", lambda: client.set(b"key", value)),
        Scenario(f"txkv get_bulk {options.bulk}", lambda: client.get_bulk(keys)),
        Scenario(f"txkv set_bulk {options.bulk}", lambda: client.set_bulk(bulk)),
        Scenario(f"txkv get x{inflight} in flight", lambda: client.get(b"key"),
                 inflight=inflight),
        Scenario(f"txkv set x{inflight} in flight", lambda: client.set(b"key", value),
                 inflight=inflight),
    ]
    peers: List[Any] = []
    if not options.no_ukt:
        import ukt

        assert server.port is not None
        peer = ukt.KyotoTycoon("127.0.0.1", server.port, serializer=ukt.KT_NONE)
        peers.append(peer)

        def blocking(name: str, op: Any) -> Scenario:
            return Scenario(name, op, blocking=True, in_thread=False)

        scenarios += [
            blocking("ukt get", lambda: peer.get(b"key")),
            blocking("ukt set", lambda: peer.set(b"key", value)),
            blocking(f"ukt get_bulk {options.bulk}", lambda: peer.get_bulk(keys)),
            blocking(f"ukt set_bulk {options.bulk}", lambda: peer.set_bulk(bulk)),
        ]

    async def cleanup() -> None:
        for p in peers:
            p.close_all()
        await server.stop()

    return Bench(
        scenarios=scenarios,
        title=(f"Kyoto Tycoon, {options.size}-byte values over 127.0.0.1, server in a child "
               f"process ({'ktserver' if server.native else 'txkv'}) (calls/s)"),
        params={"size": options.size, "bulk": options.bulk, "inflight": inflight,
                "server": "ktserver" if server.native else "txkv"},
        cleanup=cleanup,
    )


def main(argv: Any = None) -> None:
    run_cli(build, description="Kyoto Tycoon client throughput: txkv vs ukt on one server.",
            default_ops=2_000, add_arguments=add_arguments, argv=argv)


if __name__ == "__main__":
    main()
