"""The cache registry: names, ids and configurations of every cache, persisted.

A cache's configuration is the ``{PROP_*: value}`` dict of OP 1053/1054 (query-field
defaults kept raw), saved in the ``ignite/caches`` namespace with the same property-list
encoding the wire uses.  Its entries live in the namespace ``ignite/cache/<name>``.
Caches of SQL tables created by DDL come from the SQL engine (see :mod:`.sqlbridge`).
"""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Mapping, Optional

from txkv.ignite.codec import cache_id as cache_id_of
from txkv.ignite.codec import entity_id, ops
from txkv.ignite.codec.cache_config import read_cache_properties, write_cache_properties
from txkv.ignite.codec.ops import CacheMode, ExpiryPolicy, ProtocolContext
from txkv.storage import Storage

from .data import CacheData, StorageCacheData
from .status import OpError, cache_missing

__all__ = ["CacheDescriptor", "CacheRegistry", "STORE_PROTOCOL"]

#: Protocol context used to (de)serialize stored configurations (every field present).
STORE_PROTOCOL = ProtocolContext((1, 7, 0))


class CacheDescriptor:
    """One cache: name, id, configuration and contents."""

    def __init__(self, name: str, settings: Mapping[int, Any], data: CacheData,
                 *, sql_table: Optional[str] = None) -> None:
        self.name = name
        self.cache_id = cache_id_of(name)
        self.settings: Dict[int, Any] = dict(settings)
        self.settings[ops.PROP_NAME] = name
        self.data = data
        #: the cache's SQL table, when its rows are managed by the SQL engine
        self.sql_table = sql_table

    @property
    def mode(self) -> int:
        value = self.settings.get(ops.PROP_CACHE_MODE)
        return CacheMode.PARTITIONED if value is None else int(value)

    @property
    def expiry_policy(self) -> Optional[ExpiryPolicy]:
        policy = self.settings.get(ops.PROP_EXPIRY_POLICY)
        return policy if isinstance(policy, ExpiryPolicy) else None

    def key_configs(self) -> Dict[int, int]:
        """Key type id -> affinity-key field id, from CACHE_KEY_CONFIGURATION."""
        configs: Dict[int, int] = {}
        for item in self.settings.get(ops.PROP_CACHE_KEY_CONFIGURATION) or ():
            type_name = item.get("type_name")
            field = item.get("affinity_key_field_name")
            if type_name and field:
                configs[entity_id(type_name)] = entity_id(field)
        return configs

    def __repr__(self) -> str:
        return f"<CacheDescriptor {self.name!r} id={self.cache_id}>"


#: Returns the descriptors of caches owned by the SQL engine, by name.
SqlCaches = Callable[[], Dict[str, CacheDescriptor]]


class CacheRegistry:
    """Every cache of the cluster, by name and by id."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self._configs = storage.namespace("ignite/caches")
        self._by_name: Dict[str, CacheDescriptor] = {}
        self._by_id: Dict[int, CacheDescriptor] = {}
        #: set by the SQL bridge: caches of DDL-created tables
        self.sql_caches: Optional[SqlCaches] = None
        #: set by the SQL bridge: turns a stored cache into an SQL-backed one, or None
        self.attach_sql: Optional[Callable[[CacheDescriptor], None]] = None
        for key, value in self._configs.iterate():
            settings, _ = read_cache_properties(value, 0, STORE_PROTOCOL, raw=True)
            self._add(self._build(key.decode("utf-8"), settings))

    # -- lookups -----------------------------------------------------------------------------

    def _sql(self) -> Dict[str, CacheDescriptor]:
        return self.sql_caches() if self.sql_caches is not None else {}

    def names(self) -> List[str]:
        """Every cache name (stored caches first, then DDL tables)."""
        names = list(self._by_name)
        names.extend(name for name in self._sql() if name not in self._by_name)
        return names

    def find(self, cache_id: int) -> Optional[CacheDescriptor]:
        """The cache with this id, or None."""
        found = self._by_id.get(cache_id)
        if found is not None:
            return found
        for desc in self._sql().values():
            if desc.cache_id == cache_id:
                return desc
        return None

    def find_name(self, name: str) -> Optional[CacheDescriptor]:
        found = self._by_name.get(name)
        return found if found is not None else self._sql().get(name)

    def get(self, cache_id: int) -> CacheDescriptor:
        """The cache with this id; OpError 1000 (Ignite's message) when there is none."""
        found = self.find(cache_id)
        if found is None:
            raise cache_missing(cache_id)
        return found

    def is_stored(self, cache_id: int) -> bool:
        """True for caches kept by this registry (not DDL tables of the SQL engine)."""
        return cache_id in self._by_id

    def is_stored_name(self, name: str) -> bool:
        return name in self._by_name

    def all(self) -> List[CacheDescriptor]:
        result = list(self._by_name.values())
        result.extend(desc for name, desc in self._sql().items() if name not in self._by_name)
        return result

    # -- changes -----------------------------------------------------------------------------

    def create(self, settings: Mapping[int, Any], *, fail_if_exists: bool) -> CacheDescriptor:
        """Create a cache from its configuration (or return it, unless ``fail_if_exists``)."""
        name = settings.get(ops.PROP_NAME)
        if not isinstance(name, str) or not name:
            raise OpError(ops.STATUS_FAILED, "Cache name must not be null or empty.")
        existing = self.find_name(name)
        if existing is not None:
            if fail_if_exists:
                raise OpError(ops.STATUS_CACHE_EXISTS,
                              "Failed to start cache (a cache with the same name is already "
                              f"started): {name}")
            return existing
        clash = self.find(cache_id_of(name))
        if clash is not None:
            raise OpError(ops.STATUS_FAILED,
                          f"Cache id {cache_id_of(name)} of {name!r} collides with cache "
                          f"{clash.name!r}")
        desc = self._build(name, settings)
        buf = bytearray()
        stored = dict(desc.settings)
        write_cache_properties(buf, stored, STORE_PROTOCOL, raw=True, exact_length=True)
        self._configs.put(name.encode("utf-8"), bytes(buf))
        self._add(desc)
        return desc

    def destroy(self, cache_id: int) -> CacheDescriptor:
        """Remove a stored cache and its entries; OpError 1000 if unknown."""
        desc = self._by_id.get(cache_id)
        if desc is None:
            raise cache_missing(cache_id)
        del self._by_id[cache_id]
        del self._by_name[desc.name]
        self._configs.delete(desc.name.encode("utf-8"))
        self.storage.drop_namespace(data_namespace(desc.name))
        return desc

    def _build(self, name: str, settings: Mapping[int, Any]) -> CacheDescriptor:
        desc = CacheDescriptor(
            name, settings, StorageCacheData(self.storage.namespace(data_namespace(name))))
        if self.attach_sql is not None:
            self.attach_sql(desc)
        return desc

    def _add(self, desc: CacheDescriptor) -> None:
        self._by_name[desc.name] = desc
        self._by_id[desc.cache_id] = desc

    def reattach(self) -> None:
        """Run :attr:`attach_sql` on every stored cache (after the SQL bridge is set up)."""
        if self.attach_sql is None:
            return
        for desc in self._by_name.values():
            self.attach_sql(desc)


def data_namespace(name: str) -> str:
    """The storage namespace holding a cache's entries."""
    return f"ignite/cache/{name}"
