"""The :class:`~txkv.interfaces.IKeyValueStore` adapters of Kyoto Tycoon and Tokyo Tyrant.

Keys and values are ``bytes``.  Values bypass the client's serializer (``encode_value=False`` /
``decode_value=False``), so any client works whatever its ``serializer``.  Keys come back as
bytes even from a client built with ``decode_keys=True``: such a client only decodes keys that
are valid UTF-8, so encoding them again is lossless.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Dict, Iterable, List, Mapping, Optional, Tuple

from twisted.internet.defer import Deferred, fail, succeed
from zope.interface import implementer

from txkv.errors import ParameterError
from txkv.interfaces import IKeyValueStore
from txkv.kyoto.kt_client import KyotoTycoon
from txkv.scanner import Page, PagedScanner

if TYPE_CHECKING:  # the Tokyo Tyrant half is its own subpackage
    from txkv.kyoto.tyrant.client import TokyoTyrant

__all__ = ["KyotoTycoonKeyValueStore", "TokyoTyrantKeyValueStore"]

Pair = Tuple[bytes, bytes]

DEFAULT_PAGE_SIZE = 100


def _check_bytes(value: Any, what: str) -> bytes:
    if not isinstance(value, (bytes, bytearray, memoryview)):
        raise ParameterError(f"{what} must be bytes, not {type(value).__name__}")
    return bytes(value)


def _raw(key: Any) -> bytes:
    """A key as returned by a client (str when it decoded it) back to bytes."""
    return key.encode("utf-8") if isinstance(key, str) else bytes(key)


def _check_page_size(page_size: Optional[int]) -> int:
    if page_size is None:
        return DEFAULT_PAGE_SIZE
    if isinstance(page_size, bool) or not isinstance(page_size, int) or page_size < 1:
        raise ParameterError(f"page_size must be a positive int, not {page_size!r}")
    return page_size


def _check_bounds(start: Any, stop: Any, prefix: Any) -> Tuple[Optional[bytes], ...]:
    return tuple(None if v is None else _check_bytes(v, name)
                 for v, name in ((start, "start"), (stop, "stop"), (prefix, "prefix")))


def _lower_bound(start: Optional[bytes], prefix: Optional[bytes]) -> Optional[bytes]:
    if start is None:
        return prefix
    if prefix is None:
        return start
    return max(start, prefix)


class _RangeFilter:
    """Keeps the pairs inside ``[start, stop)`` with ``prefix``; on an ordered walk it also
    says when no later key can match (``past_end``)."""

    def __init__(self, start: Optional[bytes], stop: Optional[bytes],
                 prefix: Optional[bytes]) -> None:
        self.start, self.stop, self.prefix = start, stop, prefix

    def keep(self, key: bytes) -> bool:
        return ((self.start is None or key >= self.start)
                and (self.stop is None or key < self.stop)
                and (self.prefix is None or key.startswith(self.prefix)))

    def past_end(self, key: bytes) -> bool:
        if self.stop is not None and key >= self.stop:
            return True
        return self.prefix is not None and key > self.prefix and not key.startswith(self.prefix)

    def page(self, pairs: Iterable[Tuple[Any, Any]], more: bool, ordered: bool) -> Page[Pair]:
        items: List[Pair] = []
        for key, value in pairs:
            raw = _raw(key)
            if ordered and self.past_end(raw):
                return items, False
            if self.keep(raw):
                items.append((raw, bytes(value)))
        return items, more


def _guarded(call: Callable[[], Deferred[Any]]) -> Deferred[Any]:
    try:
        return call()
    except ParameterError:
        return fail()


class _ClientStore:
    """What both adapters share: single and bulk reads and writes through the client with its
    serializer bypassed, and closing.  :attr:`_where` holds extra keyword arguments of every
    client call (Kyoto Tycoon's ``db``)."""

    client: Any
    _where: Dict[str, Any] = {}
    _owns_client = False

    def get(self, key: bytes) -> Deferred[Optional[bytes]]:
        return _guarded(lambda: self.client.get(_check_bytes(key, "key"), decode_value=False,
                                                **self._where))

    def put(self, key: bytes, value: bytes) -> Deferred[None]:
        return _guarded(lambda: self.client.set(
            _check_bytes(key, "key"), _check_bytes(value, "value"), encode_value=False,
            **self._where).addCallback(lambda _: None))

    def delete(self, key: bytes) -> Deferred[bool]:
        return _guarded(lambda: self.client.remove(_check_bytes(key, "key"), **self._where)
                        .addCallback(lambda removed: bool(removed)))

    def get_many(self, keys: Iterable[bytes]) -> Deferred[Dict[bytes, bytes]]:
        def call() -> Deferred[Dict[bytes, bytes]]:
            raw = [_check_bytes(k, "key") for k in keys]
            if not raw:
                return succeed({})
            return self.client.get_bulk(raw, decode_values=False, **self._where).addCallback(
                lambda found: {_raw(k): bytes(v) for k, v in found.items()})

        return _guarded(call)

    def put_many(self, mapping: Mapping[bytes, bytes]) -> Deferred[None]:
        def call() -> Deferred[None]:
            raw = {_check_bytes(k, "key"): _check_bytes(v, "value") for k, v in mapping.items()}
            if not raw:
                return succeed(None)
            return self.client.set_bulk(raw, encode_values=False, **self._where).addCallback(
                lambda _: None)

        return _guarded(call)

    def close(self) -> Deferred[None]:
        if self._owns_client:
            result: Deferred[None] = self.client.close()
            return result
        return succeed(None)


@implementer(IKeyValueStore)
class KyotoTycoonKeyValueStore(_ClientStore):
    """Bytes keys and values in one Kyoto Tycoon database.

    :param client: a :class:`~txkv.kyoto.kt_client.KyotoTycoon` (any serializer/decode_keys).
    :param db: database index (default: the client's ``default_db``).
    :param ordered: the database keeps keys in byte order (tree databases, and txkv's embedded
        server): :meth:`scan` jumps its cursor to the lower bound and ends at the upper one.
        False (hash databases): :meth:`scan` walks every record and filters on the client.
    :param owns_client: :meth:`close` also closes the client.
    """

    def __init__(self, client: KyotoTycoon, *, db: Optional[int] = None, ordered: bool = True,
                 owns_client: bool = False) -> None:
        self.client = client
        self.db = db
        self.ordered = ordered
        self._owns_client = owns_client
        self._where = {"db": db}

    def __repr__(self) -> str:
        return f"<KyotoTycoonKeyValueStore db={self.client._db(self.db)}>"

    def scan(self, start: Optional[bytes] = None, stop: Optional[bytes] = None,
             prefix: Optional[bytes] = None, page_size: Optional[int] = None
             ) -> PagedScanner[Pair]:
        """A scanner of the ``(key, value)`` pairs with ``start <= key < stop`` and ``prefix``,
        walked through a server cursor (deleted when the scan ends or is stopped).

        :raises ParameterError: non-bytes bounds or a bad ``page_size``.
        """
        lo, hi, pre = _check_bounds(start, stop, prefix)
        size = _check_page_size(page_size)
        wanted = _RangeFilter(lo, hi, pre)
        cursor = self.client.cursor(self.db, decode_values=False)
        ordered = self.ordered
        state = {"started": False, "done": False}

        def finish(page: Page[Pair]) -> Any:
            if page[1]:
                return page
            state["done"] = True
            return cursor.close().addBoth(lambda _: page)

        def next_page(_: object = None) -> Deferred[Page[Pair]]:
            return cursor.page("item", size).addCallback(
                lambda result: wanted.page(result[0], result[1], ordered)).addCallback(finish)

        def fetch() -> Deferred[Page[Pair]]:
            if state["done"]:
                return succeed(([], False))
            if state["started"]:
                return next_page()
            state["started"] = True

            def jumped(ok: bool) -> Any:
                if not ok:
                    return finish(([], False))
                return next_page()

            return cursor.jump(_lower_bound(lo, pre) if ordered else None).addCallback(jumped)

        return PagedScanner(fetch, cursor.close)


@implementer(IKeyValueStore)
class TokyoTyrantKeyValueStore(_ClientStore):
    """Bytes keys and values in a Tokyo Tyrant database.

    :meth:`scan` uses the misc ``range`` command, so it needs a B+ tree database (keys in byte
    order); other kinds of database refuse ``range``.

    :param client: a :class:`~txkv.kyoto.tyrant.client.TokyoTyrant` (any serializer).
    :param owns_client: :meth:`close` also closes the client.
    """

    def __init__(self, client: TokyoTyrant, *, owns_client: bool = False) -> None:
        self.client = client
        self._owns_client = owns_client

    def __repr__(self) -> str:
        return "<TokyoTyrantKeyValueStore>"

    def scan(self, start: Optional[bytes] = None, stop: Optional[bytes] = None,
             prefix: Optional[bytes] = None, page_size: Optional[int] = None
             ) -> PagedScanner[Pair]:
        """A scanner of the ``(key, value)`` pairs with ``start <= key < stop`` and ``prefix``,
        in key order, ``page_size`` records per ``range`` request.

        :raises ParameterError: non-bytes bounds or a bad ``page_size``.
        """
        lo, hi, pre = _check_bounds(start, stop, prefix)
        size = _check_page_size(page_size)
        wanted = _RangeFilter(lo, hi, pre)
        state = {"next": _lower_bound(lo, pre) or b""}

        def fetch() -> Deferred[Page[Pair]]:
            def page(pairs: List[Tuple[Any, Any]]) -> Page[Pair]:
                if pairs:
                    state["next"] = _raw(pairs[-1][0]) + b"\0"
                return wanted.page(pairs, len(pairs) >= size, True)

            return self.client.range_items(state["next"], hi, size,
                                           decode_values=False).addCallback(page)

        return PagedScanner(fetch)

