"""The one exception the SQL engine raises, with Ignite-like messages."""

from __future__ import annotations

from txkv.errors import TxKVError

__all__ = ["SqlError"]


class SqlError(TxKVError):
    """A statement failed: bad syntax, unknown table or column, constraint violation...

    The server answers it with Ignite status 1 (pyignite raises ``SQLError``) and
    :attr:`message` as the error text.

    :param message: the Ignite-like error text.
    :param sql_state: the SQLSTATE class of the failure (``42000`` syntax, ``23000`` constraint,
        ``22000`` data conversion, ``0A000`` unsupported, ``50000`` other).
    """

    def __init__(self, message: str, *, sql_state: str = "50000") -> None:
        super().__init__(message)
        self.sql_state = sql_state
