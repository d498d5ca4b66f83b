"""Kyoto Tycoon: txkv's client against ukt (the maintained blocking client), on the same txkv
KT server in this process.

Scenarios: sequential ``get`` and ``set`` of a ``--size``-byte value, ``get_bulk`` and
``set_bulk`` of ``--bulk`` keys, and txkv with ``--inflight`` gets outstanding on one
connection.  ukt runs in a thread (it blocks), like any blocking client in a Twisted program.

Run: ``python -m benchmarks.bench_kt --size 64 --bulk 1000 --inflight 64``.
"""

from __future__ import annotations

import argparse
from typing import Any, List

from twisted.internet.defer import maybeDeferred

from benchmarks.harness import Bench, Scenario, run_cli
from txkv.kyoto import KT_NONE, KyotoTycoon
from txkv.kyoto.kt_server import KTServerFactory, build_state


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--size", type=int, default=64, help="value bytes (64)")
    parser.add_argument("--bulk", type=int, default=1000, help="keys per bulk call (1000)")
    parser.add_argument("--inflight", type=int, default=64, help="pipelined requests (64)")
    parser.add_argument("--no-ukt", action="store_true", help="skip the ukt scenarios")


async def build(reactor: Any, options: argparse.Namespace) -> Bench:
    state = build_state(["*"], clock=reactor)
    port = reactor.listenTCP(0, KTServerFactory(state), interface="127.0.0.1")
    port_number = port.getHost().port
    value = b"x" * options.size
    keys = [f"bulk{i:06d}".encode() for i in range(options.bulk)]
    bulk = {k: value for k in keys}
    client = KyotoTycoon("127.0.0.1", port_number, serializer=KT_NONE, reactor=reactor)
    await client.set_bulk(bulk)
    await client.set(b"key", value)
    if await client.get(b"key") != value:
        raise RuntimeError("the server returned a different value")
    scenarios = [
        Scenario("txkv get", lambda: client.get(b"key")),
        Scenario("txkv set", lambda: client.set(b"key", value)),
        Scenario(f"txkv get x{options.inflight} in flight", lambda: client.get(b"key"),
                 inflight=options.inflight),
        Scenario(f"txkv get_bulk {options.bulk}", lambda: client.get_bulk(keys)),
        Scenario(f"txkv set_bulk {options.bulk}", lambda: client.set_bulk(bulk)),
    ]
    peers: List[Any] = []
    if not options.no_ukt:
        import ukt

        peer = ukt.KyotoTycoon("127.0.0.1", port_number, serializer=ukt.KT_NONE)
        peers.append(peer)
        scenarios += [
            Scenario("ukt get (thread)", lambda: peer.get(b"key"), blocking=True),
            Scenario("ukt set (thread)", lambda: peer.set(b"key", value), blocking=True),
            Scenario(f"ukt get_bulk {options.bulk} (thread)", lambda: peer.get_bulk(keys),
                     blocking=True),
            Scenario(f"ukt set_bulk {options.bulk} (thread)", lambda: peer.set_bulk(bulk),
                     blocking=True),
        ]

    async def cleanup() -> None:
        for p in peers:
            p.close_all()
        await client.close()
        await maybeDeferred(port.stopListening)
        state.storage.close()  # type: ignore[attr-defined]

    return Bench(
        scenarios=scenarios,
        title=f"Kyoto Tycoon, {options.size}-byte values over 127.0.0.1 (calls/s)",
        params={"size": options.size, "bulk": options.bulk, "inflight": options.inflight},
        cleanup=cleanup,
    )


def main(argv: Any = None) -> None:
    run_cli(build, description="Kyoto Tycoon client throughput: txkv vs ukt on txkv's server.",
            default_ops=2_000, add_arguments=add_arguments, argv=argv)


if __name__ == "__main__":
    main()
