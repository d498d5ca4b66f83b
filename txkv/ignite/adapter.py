"""The :class:`~txkv.interfaces.IKeyValueStore` adapter of an Ignite cache.

Keys and values are ``bytes`` stored as Ignite ``byte[]`` (so Java and pyignite clients see the
same entries).  Ignite caches are unordered: :meth:`IgniteKeyValueStore.scan` walks the cache
with a scan query and filters ``start``/``stop``/``prefix`` on the client, yielding matching
``(key, value)`` pairs in the server's order.
"""

from __future__ import annotations

from typing import Any, Dict, Iterable, List, Mapping, Optional, Tuple

from twisted.internet.defer import Deferred, fail, succeed
from zope.interface import implementer

from txkv.ignite.cache import Cache
from txkv.ignite.client import Client
from txkv.ignite.codec import messages as m
from txkv.ignite.codec import ops
from txkv.ignite.cursors import DEFAULT_SCAN_PAGE_SIZE, QueryPager
from txkv.ignite.datatypes import ByteArrayObject
from txkv.ignite.errors import ParameterError
from txkv.interfaces import IKeyValueStore
from txkv.scanner import Page, PagedScanner

__all__ = ["IgniteKeyValueStore"]

Pair = Tuple[bytes, bytes]


def _check_bytes(value: Any, what: str) -> bytes:
    if not isinstance(value, (bytes, bytearray, memoryview)):
        raise ParameterError(f"{what} must be bytes, not {type(value).__name__}")
    return bytes(value)


def _as_bytes(value: Any) -> Any:
    if isinstance(value, (bytearray, memoryview)):
        return bytes(value)
    if isinstance(value, list):  # a byte[] read as a list of ints
        return bytes(b & 0xFF for b in value)
    return value


@implementer(IKeyValueStore)
class IgniteKeyValueStore:
    """Bytes keys and values over one Ignite cache.

    :param client: a connected :class:`~txkv.ignite.client.Client`.
    :param cache: the cache (a :class:`~txkv.ignite.cache.Cache` or a cache name).
    :param owns_client: :meth:`close` also closes the client.
    """

    def __init__(self, client: Client, cache: Any, *, owns_client: bool = False) -> None:
        self.client = client
        self.cache: Cache = cache if isinstance(cache, Cache) else client.get_cache(cache)
        self._owns_client = owns_client

    def __repr__(self) -> str:
        return f"<IgniteKeyValueStore cache={self.cache.name!r}>"

    def get(self, key: bytes) -> Deferred[Optional[bytes]]:
        try:
            raw = _check_bytes(key, "key")
        except ParameterError:
            return fail()
        return self.cache.get(raw, key_hint=ByteArrayObject).addCallback(_as_bytes)

    def put(self, key: bytes, value: bytes) -> Deferred[None]:
        try:
            raw_key, raw_value = _check_bytes(key, "key"), _check_bytes(value, "value")
        except ParameterError:
            return fail()
        return self.cache.put(raw_key, raw_value, key_hint=ByteArrayObject,
                              value_hint=ByteArrayObject)

    def delete(self, key: bytes) -> Deferred[bool]:
        try:
            raw = _check_bytes(key, "key")
        except ParameterError:
            return fail()
        return self.cache.remove_key(raw, key_hint=ByteArrayObject)

    def get_many(self, keys: Iterable[bytes]) -> Deferred[Dict[bytes, bytes]]:
        try:
            hinted = [(_check_bytes(key, "key"), ByteArrayObject) for key in keys]
        except ParameterError:
            return fail()
        if not hinted:
            return succeed({})
        return self.cache.get_all(hinted).addCallback(
            lambda found: {_as_bytes(k): _as_bytes(v) for k, v in found.items()})

    def put_many(self, mapping: Mapping[bytes, bytes]) -> Deferred[None]:
        try:
            pairs = {(_check_bytes(k, "key"), ByteArrayObject):
                     (_check_bytes(v, "value"), ByteArrayObject) for k, v in mapping.items()}
        except ParameterError:
            return fail()
        if not pairs:
            return succeed(None)
        return self.cache.put_all(pairs)

    def scan(self, start: Optional[bytes] = None, stop: Optional[bytes] = None,
             prefix: Optional[bytes] = None, page_size: Optional[int] = None
             ) -> PagedScanner[Pair]:
        """A scanner of the ``(key, value)`` pairs with ``start <= key < stop`` and the
        given ``prefix`` (unordered: Ignite caches have no key order)."""
        size = page_size or DEFAULT_SCAN_PAGE_SIZE
        args = m.ScanQuery(m.CacheInfo(self.cache.cache_id), size, -1, False)
        pager = QueryPager(self.client._any_connection, ops.OP_QUERY_SCAN, args,
                           ops.OP_QUERY_SCAN_CURSOR_GET_PAGE)

        def keep(key: Any) -> bool:
            if not isinstance(key, bytes):
                return False
            if prefix is not None and not key.startswith(prefix):
                return False
            if start is not None and key < start:
                return False
            return stop is None or key < stop

        def page(result: Page[Any]) -> Page[Pair]:
            rows, more = result
            items: List[Pair] = []
            for key, value in rows:
                key = _as_bytes(key)
                if keep(key):
                    items.append((key, _as_bytes(value)))
            return items, more

        return PagedScanner(lambda: pager.fetch().addCallback(page), pager.close)

    def close(self) -> Deferred[None]:
        if self._owns_client:
            return self.client.close()
        return succeed(None)
