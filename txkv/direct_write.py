"""Send a request on the socket at once when nothing is queued before it.

``transport.write`` only queues bytes and registers the socket for writability; the reactor sends
them on its next turn, which costs a sequential caller an extra loop iteration and two
``epoll_ctl`` calls per request.  When the transport is a plain TCP connection with an empty
buffer, :func:`write_now` sends on the socket directly and hands only what the kernel did not
take (and every write in any other situation: TLS, also TLS begun later with ``startTLS``, a
full buffer, a closing connection, a registered producer) to ``transport.write``, so bytes keep
their order and errors are still found and reported by the transport itself.
"""

from __future__ import annotations

from typing import Any

from twisted.internet.tcp import Connection

__all__ = ["write_now"]


def write_now(transport: Any, data: bytes) -> None:
    """Write ``data`` to ``transport``, sending it immediately when that keeps the byte order."""
    if (
        isinstance(transport, Connection)
        and transport.connected
        and not transport.TLS
        and not transport.disconnecting
        and transport.producer is None
        and transport._tempDataLen == 0
        and not transport.dataBuffer
    ):  # a connected plain TCP transport with nothing waiting to be sent
        try:
            sent = transport.socket.send(data)
        except OSError:
            # EAGAIN, EINTR or a dead socket: the transport's own write path retries or reports it
            sent = 0
        if sent == len(data):
            return
        data = data[sent:]
    transport.write(data)
