"""Kyoto Tycoon: txkv's client against ukt (the maintained blocking client), on the same server,
in one run.

The server runs in a child process (:class:`txkv.kyoto.EmbeddedServer`: ``ktserver`` when it is
installed, else txkv's own KT server), so neither client shares its process or GIL with it.

Scenarios: sequential ``get`` and ``set`` of a ``--size``-byte value, ``get_bulk`` and ``set_bulk``
of ``--bulk`` keys, and txkv with ``--inflight`` gets (and sets) outstanding on one connection. The
``floor`` scenarios (:mod:`benchmarks.floor`) send the same get and set frames, prebuilt, from a
bare Twisted protocol: the most any reactor-based client can do on this server, against which
txkv's sequential figures are read too (``--no-floor`` leaves them out). ukt blocks, so it runs on
the reactor thread itself (nothing else needs the reactor while it runs; the harness runs one
scenario at a time). Each txkv call runs next to ukt's, and the report adds each round's txkv / ukt
ratio (median over the rounds).

Run: ``python -m benchmarks.bench_kt --size 64 --bulk 1000 --inflight 64``.
"""

from __future__ import annotations

import argparse
from typing import Any, List, Tuple

from benchmarks.floor import FixedReplyClient, connect_floor_client
from benchmarks.harness import Bench, Scenario, run_cli
from txkv.kyoto import KT_NONE, EmbeddedServer, KyotoTycoon
from txkv.kyoto import kt_codec as bc


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--size", type=int, default=64, help="value bytes (64)")
    parser.add_argument("--bulk", type=int, default=1000, help="keys per bulk call (1000)")
    parser.add_argument("--inflight", type=int, default=64, help="pipelined requests (64)")
    parser.add_argument("--server", default="ktserver",
                        help="ktserver executable to prefer (default: ktserver if on PATH, "
                             "else txkv's server)")
    parser.add_argument("--no-ukt", action="store_true", help="skip the ukt scenarios")
    parser.add_argument("--no-floor", action="store_true",
                        help="skip the bare-protocol floor scenarios")
    parser.add_argument("--timeout", type=float, default=None,
                        help="request timeout of both clients in seconds (default: none, "
                             "ukt's default)")


async def build(reactor: Any, options: argparse.Namespace) -> Bench:
    server = EmbeddedServer(server=options.server, serializer=KT_NONE, reactor=reactor)
    await server.run()
    value = b"x" * options.size
    keys = [f"bulk{i:06d}".encode() for i in range(options.bulk)]
    bulk = {k: value for k in keys}
    # both clients get the same settings: no pool, KT_NONE, the same request timeout
    assert server.port is not None
    client = KyotoTycoon("127.0.0.1", server.port, serializer=KT_NONE, timeout=options.timeout,
                         reactor=reactor)
    await client.set_bulk(bulk)
    await client.set(b"key", value)
    if await client.get(b"key") != value:
        raise RuntimeError("the server returned a different value")
    inflight = options.inflight
    bulk_get, bulk_set = f"get_bulk {options.bulk}", f"set_bulk {options.bulk}"
    piped_get, piped_set = f"get x{inflight} in flight", f"set x{inflight} in flight"
    txkv_ops = {
        "get": Scenario("txkv get", lambda: client.get(b"key")),
        "set": Scenario("txkv set", lambda: client.set(b"key", value)),
        bulk_get: Scenario(f"txkv {bulk_get}", lambda: client.get_bulk(keys)),
        bulk_set: Scenario(f"txkv {bulk_set}", lambda: client.set_bulk(bulk)),
    }
    piped = [
        Scenario(f"txkv {piped_get}", lambda: client.get(b"key"), inflight=inflight),
        Scenario(f"txkv {piped_set}", lambda: client.set(b"key", value), inflight=inflight),
    ]
    peers: List[Any] = []
    scenarios: List[Scenario] = []
    pairs: List[Tuple[str, str]] = []
    if options.no_ukt:
        scenarios = [*txkv_ops.values(), *piped]
    else:
        import ukt

        peer = ukt.KyotoTycoon("127.0.0.1", server.port, serializer=ukt.KT_NONE,
                               timeout=options.timeout)
        peers.append(peer)
        ukt_ops = {
            "get": lambda: peer.get(b"key"),
            "set": lambda: peer.set(b"key", value),
            bulk_get: lambda: peer.get_bulk(keys),
            bulk_set: lambda: peer.set_bulk(bulk),
        }
        # each txkv scenario runs next to ukt's same call, so a round compares the two under
        # the same machine load
        for name, ours in txkv_ops.items():
            theirs = Scenario(f"ukt {name}", ukt_ops[name], blocking=True, in_thread=False)
            scenarios += [ours, theirs]
            pairs.append((ours.name, theirs.name))
        scenarios += piped
        pairs += [(piped[0].name, "ukt get"), (piped[1].name, "ukt set")]
    if not options.no_floor:
        floor = await connect_floor_client(reactor, server.port)
        peers.append(floor)
        get_frame = bc.encode_get_one(0, b"key")
        set_frame = bc.encode_set_one(0, b"key", value, bc.XT_NONE)
        # a hit's reply is one record; a one-record set is answered with a count of 1
        get_size = len(bc.encode_get_bulk_reply([(0, b"key", value, bc.XT_NONE)]))
        set_size = len(bc.encode_count_reply(bc.MAGIC_SET_BULK, 1))
        if (await floor.request(get_frame, get_size))[-len(value):] != value or \
                await floor.request(set_frame, set_size) != bc.encode_count_reply(
                    bc.MAGIC_SET_BULK, 1):
            raise RuntimeError("unexpected replies to the floor client")
        scenarios += [Scenario("floor get", lambda: floor.request(get_frame, get_size)),
                      Scenario("floor set", lambda: floor.request(set_frame, set_size))]
        for op in ("get", "set"):
            if not options.no_ukt:
                pairs.append((f"floor {op}", f"ukt {op}"))
            pairs.append((f"txkv {op}", f"floor {op}"))

    async def cleanup() -> None:
        for p in peers:
            if isinstance(p, FixedReplyClient):
                p.close()
            else:
                p.close_all()
        await client.close()
        await server.stop()

    return Bench(
        scenarios=scenarios,
        title=(f"Kyoto Tycoon, {options.size}-byte values over 127.0.0.1, server in a child "
               f"process ({'ktserver' if server.native else 'txkv'}) (calls/s)"),
        params={"size": options.size, "bulk": options.bulk, "inflight": inflight,
                "server": "ktserver" if server.native else "txkv"},
        cleanup=cleanup,
        pairs=pairs,
    )


def main(argv: Any = None) -> None:
    run_cli(build, description="Kyoto Tycoon client throughput: txkv vs ukt on one server.",
            default_ops=2_000, add_arguments=add_arguments, argv=argv)


if __name__ == "__main__":
    main()
