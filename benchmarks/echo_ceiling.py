"""The raw-echo ceiling: how many request/reply round trips Twisted does over loopback.

A minimal server echoes length-prefixed frames (4-byte big-endian length, then the payload) on
127.0.0.1; a minimal client sends frames of ``--size`` bytes and matches replies in order.  No
store, no codec, no pending-request table: whatever a store client achieves must stay below these
figures, so store benchmarks compare against them.

Scenarios, all against the same server in this process:

* ``sequential`` — one request at a time (the latency-bound figure);
* ``pipelined xN`` — ``--inflight`` requests outstanding on one connection;
* ``blocking socket`` — a plain synchronous socket client in a thread, which is how the
  synchronous peer clients (pyignite, ukt) are measured against an in-process server.

Run: ``python -m benchmarks.echo_ceiling --size 64 --inflight 64``.
"""

from __future__ import annotations

import argparse
import socket
import struct
from collections import deque
from typing import Any, Deque, List

from twisted.internet.defer import Deferred, maybeDeferred
from twisted.internet.endpoints import TCP4ClientEndpoint, TCP4ServerEndpoint, connectProtocol
from twisted.internet.interfaces import IListeningPort, ITCPTransport
from twisted.internet.protocol import Factory
from twisted.protocols.basic import Int32StringReceiver

from benchmarks.harness import Bench, Scenario, run_cli

_LENGTH = struct.Struct(">I")
MAX_FRAME = 16 * 1024 * 1024


def _no_delay(protocol: Int32StringReceiver) -> None:
    """Send small frames at once (no Nagle delay), as every latency-minded client does."""
    transport = protocol.transport
    if ITCPTransport.providedBy(transport):
        transport.setTcpNoDelay(True)


class EchoServerProtocol(Int32StringReceiver):
    """Sends every frame straight back."""

    MAX_LENGTH = MAX_FRAME

    def connectionMade(self) -> None:
        _no_delay(self)

    def stringReceived(self, string: bytes) -> None:
        self.sendString(string)


class EchoClientProtocol(Int32StringReceiver):
    """Request/reply over frames; replies come back in request order."""

    MAX_LENGTH = MAX_FRAME

    def __init__(self) -> None:
        self._waiting: Deque[Deferred[bytes]] = deque()

    def connectionMade(self) -> None:
        _no_delay(self)

    def request(self, payload: bytes) -> Deferred[bytes]:
        d: Deferred[bytes] = Deferred()
        self._waiting.append(d)
        self.sendString(payload)
        return d

    def stringReceived(self, string: bytes) -> None:
        self._waiting.popleft().callback(string)

    def connectionLost(self, reason: Any = None) -> None:
        waiting, self._waiting = self._waiting, deque()
        for d in waiting:
            d.errback(reason)


class BlockingEchoClient:
    """A synchronous socket client, as a blocking peer library would be."""

    def __init__(self, port: int) -> None:
        self._sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def request(self, payload: bytes) -> bytes:
        self._sock.sendall(_LENGTH.pack(len(payload)) + payload)
        (length,) = _LENGTH.unpack(self._recv_exactly(4))
        return self._recv_exactly(length)

    def _recv_exactly(self, n: int) -> bytes:
        chunks: List[bytes] = []
        while n:
            chunk = self._sock.recv(min(n, 1 << 20))
            if not chunk:
                raise ConnectionError("server closed the connection")
            chunks.append(chunk)
            n -= len(chunk)
        return b"".join(chunks)

    def close(self) -> None:
        self._sock.close()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--size", type=int, default=64, help="payload bytes per frame (64)")
    parser.add_argument("--inflight", type=int, default=64, help="pipelined requests (64)")
    parser.add_argument(
        "--no-blocking", action="store_true", help="skip the blocking-socket scenario"
    )


async def build(reactor: Any, options: argparse.Namespace) -> Bench:
    if not 0 <= options.size <= MAX_FRAME:
        raise SystemExit(f"--size must be between 0 and {MAX_FRAME}")
    payload = b"x" * options.size
    port: IListeningPort = await TCP4ServerEndpoint(reactor, 0, interface="127.0.0.1").listen(
        Factory.forProtocol(EchoServerProtocol)
    )
    port_number = port.getHost().port  # type: ignore[attr-defined]
    endpoint = TCP4ClientEndpoint(reactor, "127.0.0.1", port_number)
    clients: List[EchoClientProtocol] = []
    blocking: List[BlockingEchoClient] = []

    async def connect() -> EchoClientProtocol:
        client = await connectProtocol(endpoint, EchoClientProtocol())
        reply = await client.request(payload)
        if reply != payload:
            raise RuntimeError("echo server returned a different payload")
        clients.append(client)
        return client

    sequential = await connect()
    pipelined = await connect()
    scenarios = [
        Scenario("sequential", lambda: sequential.request(payload)),
        Scenario(
            f"pipelined x{options.inflight}",
            lambda: pipelined.request(payload),
            inflight=options.inflight,
        ),
    ]
    if not options.no_blocking:
        sync_client = BlockingEchoClient(port_number)
        blocking.append(sync_client)
        scenarios.append(
            Scenario(
                "blocking socket (thread)", lambda: sync_client.request(payload), blocking=True
            )
        )

    async def cleanup() -> None:
        for b in blocking:
            b.close()
        for c in clients:
            if c.transport is not None:
                c.transport.loseConnection()
        await maybeDeferred(port.stopListening)

    return Bench(
        scenarios=scenarios,
        title=f"echo ceiling: {options.size}-byte frames over 127.0.0.1 (round trips/s)",
        params={"size": options.size, "inflight": options.inflight},
        cleanup=cleanup,
    )


def main(argv: Any = None) -> None:
    run_cli(
        build,
        description="Raw Twisted request/reply round trips over loopback.",
        default_ops=20_000,
        add_arguments=add_arguments,
        argv=argv,
    )


if __name__ == "__main__":
    main()
