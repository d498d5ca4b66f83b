"""Query cursors of one connection: ids from 1, a limit on open cursors, paging, release.

A cursor pages through an iterator of rows.  The page that ends the iterator releases the
cursor at once (a later close is answered 1011, as Ignite does).
"""

from __future__ import annotations

from typing import Any, Dict, Iterator, List, Optional, Tuple

from txkv.ignite.codec import ops

from .status import OpError, resource_missing

__all__ = ["Cursor", "CursorTable", "DEFAULT_MAX_CURSORS"]

#: Ignite's default ClientConnectorConfiguration.maxOpenCursorsPerConnection.
DEFAULT_MAX_CURSORS = 128

_END = object()


class Cursor:
    """Rows of one query, produced lazily ``page_size`` at a time.

    ``kind`` is the op code that created the cursor (its next-page op must match);
    ``columns`` / ``field_names`` describe SQL-fields rows.
    """

    def __init__(self, kind: int, rows: Iterator[Any], page_size: int, *,
                 columns: int = 0, field_names: Optional[List[Optional[str]]] = None) -> None:
        if page_size <= 0:
            raise OpError(ops.STATUS_FAILED, f"Page size must be above zero: {page_size}")
        self.kind = kind
        self.page_size = page_size
        self.columns = columns
        self.field_names = field_names
        self._rows = rows
        self._peeked: Any = _END
        self.cursor_id = 0

    def next_page(self) -> Tuple[List[Any], bool]:
        """The next page of rows and whether more follow."""
        page: List[Any] = []
        if self._peeked is not _END:
            page.append(self._peeked)
            self._peeked = _END
        while len(page) < self.page_size:
            row = next(self._rows, _END)
            if row is _END:
                return page, False
            page.append(row)
        if len(page) < self.page_size:
            return page, False
        self._peeked = next(self._rows, _END)
        return page, self._peeked is not _END

    def close(self) -> None:
        closer = getattr(self._rows, "close", None)
        if closer is not None:
            closer()


class CursorTable:
    """The open cursors of one connection."""

    def __init__(self, limit: int = DEFAULT_MAX_CURSORS) -> None:
        self.limit = limit
        self._next_id = 1
        self._open: Dict[int, Cursor] = {}

    def __len__(self) -> int:
        return len(self._open)

    def check_room(self) -> None:
        """OpError 1010 when the connection already has ``limit`` cursors open."""
        if len(self._open) >= self.limit:
            raise OpError(
                ops.STATUS_TOO_MANY_CURSORS,
                "Too many open cursors (either close other open cursors or increase the limit "
                "through ClientConnectorConfiguration.maxOpenCursorsPerConnection) "
                f"[maximum={self.limit}, current={len(self._open)}]")

    def first_page(self, cursor: Cursor) -> Tuple[int, List[Any], bool]:
        """Register the cursor and fetch its first page: ``(cursor id, rows, more)``.

        The id is taken even when the first page is the last one (then the cursor is
        released straight away), like Ignite's resource registry does.
        """
        self.check_room()
        cursor.cursor_id = self._next_id
        self._next_id += 1
        rows, more = cursor.next_page()
        if more:
            self._open[cursor.cursor_id] = cursor
        else:
            cursor.close()
        return cursor.cursor_id, rows, more

    def next_page(self, cursor_id: int, kind: int) -> Tuple[Cursor, List[Any], bool]:
        cursor = self._open.get(cursor_id)
        if cursor is None or cursor.kind != kind:
            raise resource_missing(cursor_id)
        rows, more = cursor.next_page()
        if not more:
            self.release(cursor_id)
        return cursor, rows, more

    def release(self, cursor_id: int) -> None:
        """Close a cursor; OpError 1011 when it is unknown or already released."""
        cursor = self._open.pop(cursor_id, None)
        if cursor is None:
            raise resource_missing(cursor_id)
        cursor.close()

    def close_all(self) -> None:
        for cursor in self._open.values():
            cursor.close()
        self._open.clear()
