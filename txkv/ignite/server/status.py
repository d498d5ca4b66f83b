"""The error a request handler raises to answer with an Ignite status code and message."""

from __future__ import annotations

from txkv.ignite.codec import ops

__all__ = ["OpError", "cache_missing", "resource_missing", "tx_missing"]


class OpError(Exception):
    """Answer the current request with ``status`` (never 0) and ``message``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def cache_missing(cache_id: int) -> OpError:
    """Ignite's reply to an unknown cache id (status 1000)."""
    return OpError(ops.STATUS_CACHE_DOES_NOT_EXIST, f"Cache does not exist [cacheId= {cache_id}]")


def resource_missing(resource_id: int) -> OpError:
    """Ignite's reply to an unknown or already released cursor (status 1011)."""
    return OpError(ops.STATUS_RESOURCE_DOES_NOT_EXIST,
                   f"Failed to find resource with id: {resource_id}")


def tx_missing(tx_id: int) -> OpError:
    """Ignite's reply to an unknown transaction id (status 1021)."""
    return OpError(ops.STATUS_TX_NOT_FOUND, f"Transaction with id {tx_id} not found.")
