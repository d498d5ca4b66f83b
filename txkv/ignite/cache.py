"""An Ignite cache: :class:`Cache`, pyignite's ``AioCache`` API with Deferreds.

Obtain caches from the client (``create_cache``, ``get_or_create_cache``, ``get_cache``).
Every network method returns a ``Deferred`` (``await`` it in a coroutine run by
``Deferred.fromCoroutine``, or ``yield`` it under ``inlineCallbacks``).  Keys and values are
Python values; ``key_hint`` / ``value_hint`` / ``sample_hint`` pick the Ignite type (see
:mod:`txkv.ignite.datatypes`), and inside lists and dicts an item may be a ``(value, hint)``
tuple.

Single-key operations go to the node owning the key when partition awareness is on; inside a
transaction (see :mod:`txkv.ignite.transactions`) every operation goes to the transaction's
connection and carries its id; :meth:`Cache.with_expire_policy` returns a view whose operations
carry an expiry policy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, Iterable, List, Optional, Union

from twisted.internet.defer import Deferred, fail, succeed

from txkv.ignite.codec import messages as m
from txkv.ignite.codec import ops
from txkv.ignite.codec.hashing import cache_id as cache_id_of
from txkv.ignite.codec.ops import ExpiryPolicy
from txkv.ignite.cursors import DEFAULT_SCAN_PAGE_SIZE, ScanCursor, SqlCursor
from txkv.ignite.errors import NotSupportedByClusterError, ParameterError, SQLError
from txkv.ignite.protocol import IgniteProtocol
from txkv.ignite.transactions import Transaction, current_transaction

if TYPE_CHECKING:  # pragma: no cover
    from datetime import timedelta

    from txkv.ignite.client import Client

__all__ = ["Cache", "AioCache", "DEFAULT_SQL_PAGE_SIZE", "create_cache", "get_cache",
           "get_or_create_cache"]

#: Default page size of ``select_row`` (pyignite's is 1).
DEFAULT_SQL_PAGE_SIZE = 1024


def _check_page_size(page_size: Any) -> None:
    if isinstance(page_size, bool) or not isinstance(page_size, int) or page_size <= 0:
        raise ParameterError(f"page_size must be a positive int, not {page_size!r}")


def _peek_modes(peek_modes: Any) -> List[int]:
    if peek_modes is None:
        return []
    modes = [peek_modes] if isinstance(peek_modes, int) else list(peek_modes)
    known = {int(mode) for mode in ops.PeekModes}
    for mode in modes:
        if isinstance(mode, bool) or mode not in known:
            raise ParameterError(f"unknown peek mode {mode!r}")
    return [int(mode) for mode in modes]


class Cache:
    """One cache of the cluster.  See the module docstring.

    :param client: the :class:`~txkv.ignite.client.Client`.
    :param name: the cache name.
    :param expiry_policy: an expiry policy every operation carries (protocol >= 1.6.0).
    :param transaction: a started transaction every operation joins (default: the current
        transaction of the running coroutine, if any).
    """

    def __init__(self, client: Client, name: str, expiry_policy: Optional[ExpiryPolicy] = None,
                 transaction: Optional[Transaction] = None) -> None:
        if not isinstance(name, str) or not name:
            raise ParameterError(f"cache name must be a non-empty str, not {name!r}")
        self._client = client
        self._name = name
        self._cache_id = cache_id_of(name)
        self._expiry_policy = expiry_policy
        self._transaction = transaction
        self._settings: Optional[Dict[int, Any]] = None
        # The prefix of requests outside transactions, built once.
        self._plain_info = m.CacheInfo.build(self._cache_id, expiry_policy=expiry_policy)

    def __repr__(self) -> str:
        return f"<Cache {self._name!r} id={self._cache_id}>"

    # -- identity -------------------------------------------------------------------------------

    @property
    def name(self) -> str:
        """The cache name."""
        return self._name

    @property
    def cache_id(self) -> int:
        """The cache id (Java ``hashCode`` of the name)."""
        return self._cache_id

    @property
    def client(self) -> Client:
        """The client this cache is used through."""
        return self._client

    @property
    def expiry_policy(self) -> Optional[ExpiryPolicy]:
        return self._expiry_policy

    # -- views ----------------------------------------------------------------------------------

    def with_expire_policy(
        self,
        expiry_policy: Optional[ExpiryPolicy] = None,
        create: Union[int, timedelta, None] = ExpiryPolicy.UNCHANGED,
        update: Union[int, timedelta, None] = ExpiryPolicy.UNCHANGED,
        access: Union[int, timedelta, None] = ExpiryPolicy.UNCHANGED,
    ) -> Cache:
        """This cache with an expiry policy on every operation (pyignite 0.5+).

        ``expiry_policy`` wins over ``create``/``update``/``access`` (milliseconds or
        ``timedelta``; :attr:`ExpiryPolicy.ETERNAL`, :attr:`ExpiryPolicy.UNCHANGED`).

        :raises NotSupportedByClusterError: the connected cluster speaks protocol < 1.6.0.
        """
        context = self._client.protocol_context
        if context is not None and not context.expiry_policy:
            raise NotSupportedByClusterError("'ExpiryPolicy' API is not supported by the cluster")
        if expiry_policy is None:
            expiry_policy = ExpiryPolicy(create=create, update=update, access=access)
        elif not isinstance(expiry_policy, ExpiryPolicy):
            raise ParameterError(f"expiry_policy must be an ExpiryPolicy, not {expiry_policy!r}")
        return type(self)(self._client, self._name, expiry_policy, self._transaction)

    def with_transaction(self, transaction: Optional[Transaction]) -> Cache:
        """This cache bound to a started transaction (for callback-style code)."""
        return type(self)(self._client, self._name, self._expiry_policy, transaction)

    # -- plumbing -------------------------------------------------------------------------------

    def _active_transaction(self) -> Optional[Transaction]:
        tx = self._transaction
        if tx is not None:
            return tx if not tx.closed else None
        return current_transaction(self._client)

    @property
    def cache_info(self) -> m.CacheInfo:
        """The cache-info prefix the next request of this cache carries."""
        tx = self._active_transaction()
        return m.CacheInfo.build(
            self._cache_id, expiry_policy=self._expiry_policy,
            tx_id=tx.tx_id if tx is not None else None)

    def _send(self, op_code: int, args: Any, tx: Optional[Transaction]) -> Deferred[Any]:
        if tx is not None:
            connection = tx.connection
            if connection is None:
                return fail(ParameterError("the transaction has not been started"))
            return connection.request(op_code, args)
        return self._client._request(op_code, args)

    def _cache_op(self, op_code: int, make_args: Any) -> Deferred[Any]:
        tx = self._active_transaction()
        try:
            args = make_args(self._info_for(tx))
        except ParameterError:
            return fail()
        return self._send(op_code, args, tx)

    def _info_for(self, tx: Optional[Transaction]) -> m.CacheInfo:
        if tx is None:
            return self._plain_info
        return m.CacheInfo.build(self._cache_id, expiry_policy=self._expiry_policy,
                                 tx_id=tx.tx_id)

    def _key_op(self, op_code: int, key: Any, key_hint: Any, args: Any) -> Deferred[Any]:
        tx = self._active_transaction()
        if tx is not None:
            return self._send(op_code, args._replace(cache=self._info_for(tx)), tx)
        return self._client._key_request(self._cache_id, key, key_hint, op_code, args)

    def _info(self) -> m.CacheInfo:
        return self._plain_info

    def _get_best_node(self, key: Any = None, key_hint: Any = None) -> Deferred[IgniteProtocol]:
        return self._client.get_best_node(self, key, key_hint)

    # -- configuration --------------------------------------------------------------------------

    def settings(self) -> Deferred[Dict[int, Any]]:
        """The cache configuration as ``{PROP_*: value}`` (read once, then cached)."""
        if self._settings is not None:
            return succeed(dict(self._settings))

        def keep(settings: Dict[int, Any]) -> Dict[int, Any]:
            self._settings = dict(settings)
            return settings

        return self._client._request(
            ops.OP_CACHE_GET_CONFIGURATION, m.CacheOp(m.CacheInfo(self._cache_id))
        ).addCallback(keep)

    def destroy(self) -> Deferred[None]:
        """Destroy the cache (and its data)."""
        def done(result: object) -> None:
            self._client._affinity.forget(self._cache_id)

        return self._client._request(ops.OP_CACHE_DESTROY, m.CacheIdOp(self._cache_id)
                                     ).addCallback(done)

    # -- single keys ----------------------------------------------------------------------------

    def get(self, key: Any, key_hint: Any = None) -> Deferred[Any]:
        """The value stored under ``key``, or None."""
        return self._key_op(ops.OP_CACHE_GET, key, key_hint,
                            m.KeyOp(self._info(), key, key_hint))

    def put(self, key: Any, value: Any, key_hint: Any = None,
            value_hint: Any = None) -> Deferred[None]:
        """Store ``value`` under ``key`` (overwriting)."""
        return self._key_op(ops.OP_CACHE_PUT, key, key_hint,
                            m.KeyValueOp(self._info(), key, value, key_hint, value_hint))

    def get_and_put(self, key: Any, value: Any, key_hint: Any = None,
                    value_hint: Any = None) -> Deferred[Any]:
        """Store ``value``; fires with the previous value or None."""
        return self._key_op(ops.OP_CACHE_GET_AND_PUT, key, key_hint,
                            m.KeyValueOp(self._info(), key, value, key_hint, value_hint))

    def get_and_put_if_absent(self, key: Any, value: Any, key_hint: Any = None,
                              value_hint: Any = None) -> Deferred[Any]:
        """Store ``value`` only if ``key`` is absent; fires with the existing value or None."""
        return self._key_op(ops.OP_CACHE_GET_AND_PUT_IF_ABSENT, key, key_hint,
                            m.KeyValueOp(self._info(), key, value, key_hint, value_hint))

    def put_if_absent(self, key: Any, value: Any, key_hint: Any = None,
                      value_hint: Any = None) -> Deferred[bool]:
        """Store ``value`` only if ``key`` is absent; fires with True if it was stored."""
        return self._key_op(ops.OP_CACHE_PUT_IF_ABSENT, key, key_hint,
                            m.KeyValueOp(self._info(), key, value, key_hint, value_hint))

    def get_and_remove(self, key: Any, key_hint: Any = None) -> Deferred[Any]:
        """Remove ``key``; fires with its previous value or None."""
        return self._key_op(ops.OP_CACHE_GET_AND_REMOVE, key, key_hint,
                            m.KeyOp(self._info(), key, key_hint))

    def get_and_replace(self, key: Any, value: Any, key_hint: Any = None,
                        value_hint: Any = None) -> Deferred[Any]:
        """Replace the value of an existing ``key``; fires with the previous value or None."""
        return self._key_op(ops.OP_CACHE_GET_AND_REPLACE, key, key_hint,
                            m.KeyValueOp(self._info(), key, value, key_hint, value_hint))

    def replace(self, key: Any, value: Any, key_hint: Any = None,
                value_hint: Any = None) -> Deferred[bool]:
        """Store ``value`` only if ``key`` exists; fires with True if it was replaced."""
        return self._key_op(ops.OP_CACHE_REPLACE, key, key_hint,
                            m.KeyValueOp(self._info(), key, value, key_hint, value_hint))

    def replace_if_equals(self, key: Any, sample: Any, value: Any, key_hint: Any = None,
                          sample_hint: Any = None, value_hint: Any = None) -> Deferred[bool]:
        """Store ``value`` only if the current value equals ``sample``; True if replaced."""
        return self._key_op(ops.OP_CACHE_REPLACE_IF_EQUALS, key, key_hint, m.KeyValueValueOp(
            self._info(), key, sample, value, key_hint, sample_hint, value_hint))

    def remove_key(self, key: Any, key_hint: Any = None) -> Deferred[bool]:
        """Remove ``key``; fires with True if it existed."""
        return self._key_op(ops.OP_CACHE_REMOVE_KEY, key, key_hint,
                            m.KeyOp(self._info(), key, key_hint))

    def remove_if_equals(self, key: Any, sample: Any, key_hint: Any = None,
                         sample_hint: Any = None) -> Deferred[bool]:
        """Remove ``key`` only if its value equals ``sample``; True if removed."""
        return self._key_op(ops.OP_CACHE_REMOVE_IF_EQUALS, key, key_hint,
                            m.KeyValueOp(self._info(), key, sample, key_hint, sample_hint))

    def contains_key(self, key: Any, key_hint: Any = None) -> Deferred[bool]:
        """True if ``key`` is in the cache."""
        return self._key_op(ops.OP_CACHE_CONTAINS_KEY, key, key_hint,
                            m.KeyOp(self._info(), key, key_hint))

    def clear_key(self, key: Any, key_hint: Any = None) -> Deferred[None]:
        """Remove ``key`` without notifying listeners or cache writers."""
        return self._key_op(ops.OP_CACHE_CLEAR_KEY, key, key_hint,
                            m.KeyOp(self._info(), key, key_hint))

    # -- many keys ------------------------------------------------------------------------------

    def get_all(self, keys: Iterable[Any]) -> Deferred[Dict[Any, Any]]:
        """``{key: value}`` of the given keys that exist (keys may be ``(key, hint)``)."""
        key_list = list(keys)
        return self._cache_op(ops.OP_CACHE_GET_ALL, lambda info: m.KeysOp(info, key_list)
                              ).addCallback(dict)

    def put_all(self, pairs: Dict[Any, Any]) -> Deferred[None]:
        """Store every ``{key: value}`` pair (keys and values may be ``(item, hint)``)."""
        if not hasattr(pairs, "items"):
            return fail(ParameterError("put_all takes a dict of key-value pairs"))
        items = list(pairs.items())
        return self._cache_op(ops.OP_CACHE_PUT_ALL, lambda info: m.PairsOp(info, items))

    def contains_keys(self, keys: Iterable[Any]) -> Deferred[bool]:
        """True if every key is in the cache."""
        key_list = list(keys)
        return self._cache_op(ops.OP_CACHE_CONTAINS_KEYS, lambda info: m.KeysOp(info, key_list))

    def clear_keys(self, keys: Iterable[Any]) -> Deferred[None]:
        """Remove the keys without notifying listeners or cache writers."""
        key_list = list(keys)
        return self._cache_op(ops.OP_CACHE_CLEAR_KEYS, lambda info: m.KeysOp(info, key_list))

    def clear(self, keys: Optional[List[Any]] = None) -> Deferred[None]:
        """Remove every entry (or only ``keys``) without notifying listeners or writers.

        An empty ``keys`` list clears nothing (only ``None`` means the whole cache).
        """
        if keys is not None:
            key_list = list(keys)
            return self.clear_keys(key_list) if key_list else succeed(None)
        return self._cache_op(ops.OP_CACHE_CLEAR, m.CacheOp)

    def remove_keys(self, keys: Iterable[Any]) -> Deferred[None]:
        """Remove the keys, notifying listeners and cache writers."""
        key_list = list(keys)
        return self._cache_op(ops.OP_CACHE_REMOVE_KEYS, lambda info: m.KeysOp(info, key_list))

    def remove_all(self) -> Deferred[None]:
        """Remove every entry, notifying listeners and cache writers."""
        return self._cache_op(ops.OP_CACHE_REMOVE_ALL, m.CacheOp)

    def get_size(self, peek_modes: Any = None) -> Deferred[int]:
        """The number of entries (``peek_modes``: a :class:`~txkv.ignite.codec.ops.PeekModes`
        or a list of them; default: the server's default, all primary entries)."""
        try:
            modes = _peek_modes(peek_modes)
        except ParameterError:
            return fail()
        return self._cache_op(ops.OP_CACHE_GET_SIZE, lambda info: m.SizeOp(info, modes))

    # -- queries --------------------------------------------------------------------------------

    def scan(self, page_size: int = DEFAULT_SCAN_PAGE_SIZE, partitions: int = -1,
             local: bool = False) -> ScanCursor:
        """A cursor over every ``(key, value)`` of the cache.

        :param page_size: entries per page (default 1024).
        :param partitions: one partition number to scan (negative: the whole cache).  With
            partition awareness the scan goes to the partition's primary node.
        :param local: scan only the data of the node the query runs on.
        """
        _check_page_size(page_size)
        if isinstance(partitions, bool) or not isinstance(partitions, int):
            raise ParameterError(f"partitions must be an int, not {partitions!r}")
        tx = self._active_transaction()
        args = m.ScanQuery(self._info_for(tx), page_size, partitions, bool(local))

        def connect() -> Deferred[IgniteProtocol]:
            if tx is not None and tx.connection is not None:
                return succeed(tx.connection)
            if partitions >= 0:
                return self._client._connection_for_partition(self._cache_id, partitions)
            return self._client._any_connection()

        return ScanCursor(connect, args)

    def select_row(self, query_str: str, page_size: int = DEFAULT_SQL_PAGE_SIZE,
                   query_args: Optional[List[Any]] = None, distributed_joins: bool = False,
                   replicated_only: bool = False, local: bool = False,
                   timeout: int = 0) -> SqlCursor:
        """A cursor over the ``(key, value)`` entries an SQL ``WHERE`` query selects
        (OP_QUERY_SQL; the table is the value type of the cache's first query entity).

        :param timeout: query timeout in milliseconds (0: none).
        """
        _check_page_size(page_size)
        if not isinstance(query_str, str):
            raise ParameterError("query_str must be a str")
        tx = self._active_transaction()
        table: List[str] = []

        def connect() -> Deferred[IgniteProtocol]:
            def pick(settings: Dict[int, Any]) -> Deferred[IgniteProtocol]:
                entities = settings.get(ops.PROP_QUERY_ENTITIES) or []
                type_name = entities[0].get("value_type_name") if entities else None
                if not type_name:
                    raise SQLError("Value type is unknown")
                table.append(type_name)
                if tx is not None and tx.connection is not None:
                    return succeed(tx.connection)
                return self._client._any_connection()

            return self.settings().addCallback(pick)

        def args() -> m.SqlQuery:
            return m.SqlQuery(self._info_for(tx), table[0], query_str, list(query_args or ()),
                              page_size, bool(distributed_joins), bool(local),
                              bool(replicated_only), int(timeout))

        return SqlCursor(connect, args)  # type: ignore[arg-type]


#: pyignite's name for the asynchronous cache class.
AioCache = Cache


def create_cache(client: Client, settings: Union[str, Dict[int, Any]]) -> Deferred[Cache]:
    """``client.create_cache(settings)`` (pyignite's module-level form)."""
    return client.create_cache(settings)


def get_cache(client: Client, settings: Union[str, Dict[int, Any]]) -> Cache:
    """``client.get_cache(settings)`` (pyignite's module-level form)."""
    return client.get_cache(settings)


def get_or_create_cache(client: Client, settings: Union[str, Dict[int, Any]]
                        ) -> Deferred[Cache]:
    """``client.get_or_create_cache(settings)`` (pyignite's module-level form)."""
    return client.get_or_create_cache(settings)
