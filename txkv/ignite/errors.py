"""Ignite exceptions, named as pyignite's ``pyignite.exceptions``.

Each one subclasses the matching :mod:`txkv.errors` class, so ``except TxKVError`` (or
``except ServerError``...) catches them, while code written against pyignite's names keeps working.
"""

from __future__ import annotations

from typing import Any, Dict, Mapping, Optional, Tuple

from txkv import errors as _base

__all__ = [
    "CacheError",
    "BinaryTypeError",
    "CacheCreationError",
    "SQLError",
    "ClusterError",
    "HandshakeError",
    "TLSError",
    "AuthenticationError",
    "ParameterError",
    "SerializationError",
    "ParseError",
    "MissingSchemaError",
    "ReconnectError",
    "NotSupportedByClusterError",
    "NotSupportedError",
    "SocketError",
]


class CacheError(_base.ServerError):
    """A cache operation returned an error status (``code`` holds the Ignite status)."""


class BinaryTypeError(CacheError):
    """A binary-type (complex-object metadata) operation failed."""


class CacheCreationError(CacheError):
    """Creating a cache failed (e.g. status 1001, the cache exists)."""


class SQLError(CacheError):
    """An SQL query failed."""


class ClusterError(_base.ServerError):
    """A cluster operation (state, WAL) returned an error."""


class HandshakeError(_base.HandshakeError, OSError):
    """The handshake failed; ``expected_version`` is the version the server proposed.

    :param expected_version: ``(major, minor, patch)`` offered by the server (``(0, 0, 0)`` on
        authentication failure).
    :param message: the server's message.
    """

    def __init__(
        self, expected_version: Optional[Tuple[int, int, int]], message: str = "", **kw: Any
    ) -> None:
        super().__init__(message, **kw)
        self.expected_version = expected_version


class TLSError(HandshakeError):
    """The TLS handshake failed (no client certificate, server certificate not trusted...).

    :param message: what failed, with a hint on how to fix it.
    :param reason: OpenSSL's reason (``"tlsv13 alert certificate required"``...).
    :param errors: when every node failed this way, each node's own error.
    """

    def __init__(self, message: str = "", *, reason: str = "",
                 errors: Optional[Mapping[str, BaseException]] = None, **kw: Any) -> None:
        super().__init__(None, message, **kw)
        self.reason = reason
        self.errors: Dict[str, BaseException] = dict(errors or {})


class AuthenticationError(_base.AuthenticationError):
    """The server rejected the credentials (handshake status 2000)."""

    def __init__(self, message: str = "", **kw: Any) -> None:
        super().__init__(message, **kw)


class ParameterError(_base.ParameterError):
    """An argument was invalid; nothing was sent."""


class SerializationError(ParameterError, _base.SerializationError):
    """A Python value cannot be written as the requested (or inferred) Ignite type."""


class ParseError(_base.ProtocolError):
    """Bytes could not be parsed (or a value could not be built from them)."""


class MissingSchemaError(ParseError):
    """A complex object cannot be decoded without binary-type metadata not known yet.

    The client fetches the type with OP_GET_BINARY_TYPE (3002), adds it to the codec registry
    and decodes again.
    """

    def __init__(self, type_id: int, schema_id: int, message: str = "", **kw: Any) -> None:
        super().__init__(
            message or f"no metadata for binary type {type_id} schema {schema_id}", **kw
        )
        self.type_id = type_id
        self.schema_id = schema_id


class ReconnectError(_base.ReconnectError):
    """Every node is down."""


class NotSupportedByClusterError(_base.TxKVError):
    """The cluster (its protocol version or features) does not support the operation."""


class NotSupportedError(_base.TxKVError):
    """The client does not support the operation."""


#: pyignite exposes the socket error type under this name; in txkv a lost connection
#: is a :class:`txkv.errors.ConnectionLostError` (itself a ``ConnectionError``).
SocketError = _base.ConnectionLostError
