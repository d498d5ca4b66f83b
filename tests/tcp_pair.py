"""A real :class:`twisted.internet.tcp.Connection` over a loopback TCP socket pair, on a memory
reactor.

Lets tests see what a protocol sends on the socket itself (as opposed to what it queues in the
transport) without a reactor turn: the peer end is a blocking socket the test reads from.
"""

from __future__ import annotations

import socket
from typing import Any, Tuple

from twisted.internet.protocol import Protocol
from twisted.internet.tcp import Connection
from twisted.internet.testing import MemoryReactor


class PairedConnection(Connection):
    """A TCP connection transport over one end of a connected loopback socket pair."""

    _tlsClientDefault = True  # startTLS on it plays the client side, as on tcp.Client

    def getPeer(self) -> Any:
        return None

    def getHost(self) -> Any:
        return None


def tcp_pair(protocol: Protocol) -> Tuple[PairedConnection, socket.socket, MemoryReactor]:
    """Connect ``protocol`` to a fresh loopback TCP connection (port 0); returns (transport,
    peer socket, reactor).

    The caller closes the peer socket and the transport's socket (``transport.socket``).
    """
    with socket.create_server(("127.0.0.1", 0)) as listener:
        ours = socket.create_connection(listener.getsockname()[:2], timeout=5)
        peer, _ = listener.accept()
    ours.setblocking(False)
    peer.settimeout(5)
    reactor = MemoryReactor()
    transport = PairedConnection(ours, protocol, reactor)
    transport.connected = 1
    protocol.makeConnection(transport)
    return transport, peer, reactor


def read_available(peer: socket.socket) -> bytes:
    """Whatever is already readable on ``peer`` (b"" when nothing is)."""
    peer.setblocking(False)
    try:
        return peer.recv(1 << 20)
    except BlockingIOError:
        return b""
    finally:
        peer.settimeout(5)
