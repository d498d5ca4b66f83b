"""One exception hierarchy for every txkv store.

Every error carries what a user needs to act on it: the node it came from, the operation that was
running, and, for errors the server reported, the server's own code and message.  Store packages
subclass these (``txkv.ignite.errors``...) so that ``except TxKVError`` catches everything txkv
raises and ``except ServerError`` catches every error a server reported.
"""

from __future__ import annotations

import re
from typing import Any, Mapping, Optional


class TxKVError(Exception):
    """Base class of every txkv exception.

    :param message: human-readable description.
    :param node: the node (``host:port`` or endpoint description) involved, if any.
    :param op: the operation name (``"get"``, ``"OP_CACHE_PUT"``...) that failed, if any.
    """

    def __init__(
        self, message: str = "", *, node: Optional[str] = None, op: Optional[str] = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.node = node
        self.op = op

    def __str__(self) -> str:
        parts = [self.message or self.__class__.__name__]
        where = []
        if self.op:
            where.append(f"op={self.op}")
        if self.node:
            where.append(f"node={self.node}")
        if where:
            parts.append(f"({', '.join(where)})")
        return " ".join(parts)


class ConnectionLostError(TxKVError, ConnectionError):
    """The connection closed (or was never there) before the reply arrived."""


class NotConnectedError(ConnectionLostError):
    """A request was made on a connection that is already closed."""


class RequestTimeoutError(TxKVError, TimeoutError):
    """No reply within the request's timeout; the request was abandoned.

    :ivar timeout: the timeout in seconds that elapsed.
    """

    def __init__(self, message: str = "", *, timeout: Optional[float] = None, **kw: Any) -> None:
        super().__init__(message or f"no reply within {timeout} s", **kw)
        self.timeout = timeout


class ProtocolError(TxKVError):
    """A frame could not be parsed, or broke the protocol's rules."""


class HandshakeError(TxKVError):
    """The protocol handshake failed (version mismatch, refused session...)."""


class AuthenticationError(HandshakeError):
    """The server rejected the credentials."""


class ServerError(TxKVError):
    """The server answered with an error.

    :ivar code: the server's status code (store-specific, ``None`` when the store has none).
    :ivar server_message: the server's message, verbatim.
    """

    def __init__(
        self,
        message: str = "",
        *,
        code: Optional[int] = None,
        server_message: Optional[str] = None,
        **kw: Any,
    ) -> None:
        text = message or (server_message or "server error")
        if code is not None and not re.search(rf"(?<![\w.-]){code}(?![\w.])", text):
            text = f"{text} [code {code}]"
        super().__init__(text, **kw)
        self.code = code
        self.server_message = server_message if server_message is not None else message


class ReconnectError(TxKVError, ConnectionError):
    """Every node is down; ``errors`` maps each node to the last error seen from it."""

    def __init__(
        self, message: str = "", *, errors: Optional[Mapping[str, BaseException]] = None, **kw: Any
    ) -> None:
        self.errors: dict[str, BaseException] = dict(errors or {})
        super().__init__(message or "all nodes are down", **kw)

    def __str__(self) -> str:
        text = super().__str__()
        if self.errors:
            text += ": " + "; ".join(f"{n}: {e!r}" for n, e in self.errors.items())
        return text


class ParameterError(TxKVError, ValueError):
    """An argument was invalid; nothing was sent."""


class SerializationError(ParameterError):
    """A value could not be serialized or deserialized."""


__all__ = [
    "TxKVError",
    "ConnectionLostError",
    "NotConnectedError",
    "RequestTimeoutError",
    "ProtocolError",
    "HandshakeError",
    "AuthenticationError",
    "ServerError",
    "ReconnectError",
    "ParameterError",
    "SerializationError",
]
