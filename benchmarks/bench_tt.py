"""Tokyo Tyrant: txkv's client sequential vs pipelined, and a blocking socket client, against one
server in a child process (:class:`txkv.kyoto.EmbeddedTokyoTyrantServer`: ``ttserver`` when it
is installed, else txkv's own TT server).

Scenarios (``get`` of a ``--size``-byte value):

* ``txkv sequential`` — one request at a time;
* ``txkv pipelined xN`` — ``--inflight`` requests outstanding on one connection;
* ``blocking socket`` — a synchronous client of the same wire format (the way the blocking
  peer clients, pytyrant and kt, talk to a server), on the reactor thread since the server is
  in another process.

Run: ``python -m benchmarks.bench_tt --size 64 --inflight 64``.
"""

from __future__ import annotations

import argparse
import socket
from typing import Any, List

from benchmarks.harness import Bench, Scenario, run_cli
from txkv.kyoto.serializers import KT_NONE
from txkv.kyoto.tyrant import EmbeddedTokyoTyrantServer
from txkv.kyoto.tyrant.codec import REPLY_KIND, Cmd, ReplyParser, encode_key


class BlockingTTClient:
    """A synchronous ``get`` over a plain socket, built on txkv's codec."""

    def __init__(self, port: int) -> None:
        self._sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def get(self, key: bytes) -> Any:
        self._sock.sendall(encode_key(Cmd.GET, key))
        parser = ReplyParser(REPLY_KIND[Cmd.GET])
        buf = bytearray()
        while parser.parse(memoryview(buf)) is None:
            chunk = self._sock.recv(1 << 16)
            if not chunk:
                raise ConnectionError("server closed the connection")
            buf += chunk
        assert parser.result is not None
        return parser.result.data

    def close(self) -> None:
        self._sock.close()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--size", type=int, default=64, help="value bytes (64)")
    parser.add_argument("--inflight", type=int, default=64, help="pipelined requests (64)")
    parser.add_argument("--server", default="ttserver",
                        help="ttserver executable to prefer (default: ttserver if on PATH, "
                             "else txkv's server)")
    parser.add_argument("--no-blocking", action="store_true", help="skip the blocking client")


async def build(reactor: Any, options: argparse.Namespace) -> Bench:
    server = EmbeddedTokyoTyrantServer(server=options.server, serializer=KT_NONE,
                                       reactor=reactor)
    await server.run()
    assert server.port is not None
    port_number = server.port
    value = b"x" * options.size
    client = server.client
    await client.set(b"key", value)
    if await client.get(b"key") != value:
        raise RuntimeError("the server returned a different value")
    blocking: List[BlockingTTClient] = []
    scenarios = [
        Scenario("txkv sequential", lambda: client.get(b"key")),
        Scenario(f"txkv pipelined x{options.inflight}", lambda: client.get(b"key"),
                 inflight=options.inflight),
    ]
    if not options.no_blocking:
        sync_client = BlockingTTClient(port_number)
        blocking.append(sync_client)
        scenarios.append(Scenario("blocking socket", lambda: sync_client.get(b"key"),
                                  blocking=True, in_thread=False))

    async def cleanup() -> None:
        for b in blocking:
            b.close()
        await server.stop()

    return Bench(
        scenarios=scenarios,
        title=(f"Tokyo Tyrant get of {options.size}-byte values over 127.0.0.1, server in a "
               f"child process ({'ttserver' if server.native else 'txkv'}) (ops/s)"),
        params={"size": options.size, "inflight": options.inflight,
                "server": "ttserver" if server.native else "txkv"},
        cleanup=cleanup,
    )


def main(argv: Any = None) -> None:
    run_cli(build, description="Tokyo Tyrant client throughput against one TT server.",
            default_ops=10_000, add_arguments=add_arguments, argv=argv)


if __name__ == "__main__":
    main()
