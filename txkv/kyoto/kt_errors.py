"""Errors reported by a Kyoto Tycoon server (binary ``0xBF`` replies and HTTP RPC statuses)."""

from __future__ import annotations

from typing import Any, Optional

from txkv.errors import ServerError

__all__ = [
    "KTError",
    "KTBinaryError",
    "KTHTTPError",
    "KTInvalidError",
    "KTLogicError",
    "KTNotImplementedError",
    "KTSignalTimeout",
    "http_error",
]


class KTError(ServerError):
    """Base class of every error a Kyoto Tycoon server reported."""


class KTBinaryError(KTError):
    """The server answered a binary request with the error magic ``0xBF``."""

    def __init__(self, message: str = "", **kw: Any) -> None:
        super().__init__(message or "server reported an error (0xBF)", code=0xBF, **kw)


class KTHTTPError(KTError):
    """A TSV-RPC call answered with a non-200 status; ``code`` is the HTTP status and
    ``server_message`` the reply's ``ERROR`` field."""


class KTInvalidError(KTHTTPError):
    """400: invalid or missing parameters, unknown database or cursor."""


class KTLogicError(KTHTTPError):
    """450: the operation was done but failed logically (missing record, duplicate...)."""


class KTNotImplementedError(KTHTTPError):
    """501: unknown procedure, scripting disabled, or an operation the database lacks."""


class KTSignalTimeout(KTHTTPError):
    """503: waiting for a named condition (``WAIT``) timed out."""


_BY_STATUS = {400: KTInvalidError, 450: KTLogicError, 501: KTNotImplementedError,
              503: KTSignalTimeout}


def http_error(status: int, message: Optional[str], op: Optional[str] = None,
               node: Optional[str] = None) -> KTHTTPError:
    """The exception for an RPC reply with ``status`` and ``ERROR`` field ``message``."""
    cls = _BY_STATUS.get(status, KTHTTPError)
    text = f"{op or 'rpc'} failed with HTTP {status}"
    if message:
        text = f"{text}: {message}"
    return cls(text, code=status, server_message=message, op=op, node=node)
