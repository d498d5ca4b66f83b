"""Request handlers: one method per op code.

Each takes the decoded request arguments (keys and values as raw data-object bytes) and
returns what :func:`~txkv.ignite.codec.messages.encode_response` writes.  Failures are
:class:`~.status.OpError` (status + Ignite's message)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Dict, Iterator, List, Optional, Tuple

from txkv.ignite.codec import messages as m
from txkv.ignite.codec import ops
from txkv.ignite.codec.ops import CacheMode, ClusterState, PeekModes

from .cursors import Cursor
from .expiry import effective_rule
from .kv import CacheAccess, same_value, wrap_value
from .partitions import key_partition
from .session import Session
from .status import OpError

if TYPE_CHECKING:
    from .cluster import IgniteCluster

__all__ = ["Dispatcher", "INACTIVE_MESSAGE", "READ_ONLY_MESSAGE"]

INACTIVE_MESSAGE = (
    "Can not perform the operation because the cluster is inactive. Note, that the cluster is "
    "considered inactive by default if Ignite Persistent Store is used to let all the nodes "
    "join the cluster. To activate the cluster call Ignite.active(true).")
READ_ONLY_MESSAGE = "Failed to perform cache operation (cluster is in read-only mode)"

Handler = Callable[[Session, Any], Any]

#: Ops refused while the cluster is INACTIVE.
_NEEDS_ACTIVE = frozenset(
    list(range(ops.OP_CACHE_GET, ops.OP_CACHE_LOCAL_PEEK + 1))
    + [ops.OP_CACHE_CREATE_WITH_NAME, ops.OP_CACHE_GET_OR_CREATE_WITH_NAME,
       ops.OP_CACHE_CREATE_WITH_CONFIGURATION, ops.OP_CACHE_GET_OR_CREATE_WITH_CONFIGURATION,
       ops.OP_CACHE_GET_CONFIGURATION, ops.OP_CACHE_DESTROY, ops.OP_CACHE_PARTITIONS,
       ops.OP_QUERY_SCAN, ops.OP_QUERY_SQL, ops.OP_QUERY_SQL_FIELDS]
)
#: Ops refused while the cluster is ACTIVE_READ_ONLY.
_WRITES = frozenset([
    ops.OP_CACHE_PUT, ops.OP_CACHE_PUT_IF_ABSENT, ops.OP_CACHE_PUT_ALL,
    ops.OP_CACHE_GET_AND_PUT, ops.OP_CACHE_GET_AND_REPLACE, ops.OP_CACHE_GET_AND_REMOVE,
    ops.OP_CACHE_GET_AND_PUT_IF_ABSENT, ops.OP_CACHE_REPLACE, ops.OP_CACHE_REPLACE_IF_EQUALS,
    ops.OP_CACHE_CLEAR, ops.OP_CACHE_CLEAR_KEY, ops.OP_CACHE_CLEAR_KEYS,
    ops.OP_CACHE_REMOVE_KEY, ops.OP_CACHE_REMOVE_IF_EQUALS, ops.OP_CACHE_REMOVE_KEYS,
    ops.OP_CACHE_REMOVE_ALL,
])
#: Ops whose single key is recorded in the serving node's statistics.
_KEY_OPS = frozenset([
    ops.OP_CACHE_GET, ops.OP_CACHE_PUT, ops.OP_CACHE_PUT_IF_ABSENT, ops.OP_CACHE_GET_AND_PUT,
    ops.OP_CACHE_GET_AND_REPLACE, ops.OP_CACHE_GET_AND_REMOVE,
    ops.OP_CACHE_GET_AND_PUT_IF_ABSENT, ops.OP_CACHE_REPLACE, ops.OP_CACHE_REPLACE_IF_EQUALS,
    ops.OP_CACHE_CONTAINS_KEY, ops.OP_CACHE_CLEAR_KEY, ops.OP_CACHE_REMOVE_KEY,
    ops.OP_CACHE_REMOVE_IF_EQUALS, ops.OP_CACHE_LOCAL_PEEK,
])


class Dispatcher:
    """Routes decoded requests of every connection of a cluster to their handler."""

    def __init__(self, cluster: IgniteCluster) -> None:
        self.cluster = cluster
        self._handlers: Dict[int, Handler] = {
            ops.OP_RESOURCE_CLOSE: self.resource_close,
            ops.OP_HEARTBEAT: lambda s, a: None,
            ops.OP_GET_IDLE_TIMEOUT: lambda s, a: self.cluster.options.idle_timeout_ms,
            ops.OP_CACHE_GET: self.get,
            ops.OP_CACHE_PUT: self.put,
            ops.OP_CACHE_PUT_IF_ABSENT: self.put_if_absent,
            ops.OP_CACHE_GET_ALL: self.get_all,
            ops.OP_CACHE_PUT_ALL: self.put_all,
            ops.OP_CACHE_GET_AND_PUT: self.get_and_put,
            ops.OP_CACHE_GET_AND_REPLACE: self.get_and_replace,
            ops.OP_CACHE_GET_AND_REMOVE: self.get_and_remove,
            ops.OP_CACHE_GET_AND_PUT_IF_ABSENT: self.get_and_put_if_absent,
            ops.OP_CACHE_REPLACE: self.replace,
            ops.OP_CACHE_REPLACE_IF_EQUALS: self.replace_if_equals,
            ops.OP_CACHE_CONTAINS_KEY: self.contains_key,
            ops.OP_CACHE_CONTAINS_KEYS: self.contains_keys,
            ops.OP_CACHE_CLEAR: self.clear,
            ops.OP_CACHE_CLEAR_KEY: self.remove_key_silently,
            ops.OP_CACHE_CLEAR_KEYS: self.remove_keys,
            ops.OP_CACHE_REMOVE_KEY: self.remove_key,
            ops.OP_CACHE_REMOVE_IF_EQUALS: self.remove_if_equals,
            ops.OP_CACHE_REMOVE_KEYS: self.remove_keys,
            ops.OP_CACHE_REMOVE_ALL: self.clear,
            ops.OP_CACHE_GET_SIZE: self.get_size,
            ops.OP_CACHE_LOCAL_PEEK: self.local_peek,
            ops.OP_CACHE_GET_NAMES: lambda s, a: self.cluster.caches.names(),
            ops.OP_CACHE_CREATE_WITH_NAME: self.create_with_name,
            ops.OP_CACHE_GET_OR_CREATE_WITH_NAME: self.get_or_create_with_name,
            ops.OP_CACHE_CREATE_WITH_CONFIGURATION: self.create_with_configuration,
            ops.OP_CACHE_GET_OR_CREATE_WITH_CONFIGURATION: self.get_or_create_with_configuration,
            ops.OP_CACHE_GET_CONFIGURATION: self.get_configuration,
            ops.OP_CACHE_DESTROY: self.destroy,
            ops.OP_CACHE_PARTITIONS: self.partitions,
            ops.OP_QUERY_SCAN: self.scan,
            ops.OP_QUERY_SCAN_CURSOR_GET_PAGE: self.next_scan_page,
            ops.OP_QUERY_SQL: self.sql_query,
            ops.OP_QUERY_SQL_CURSOR_GET_PAGE: self.next_sql_page,
            ops.OP_QUERY_SQL_FIELDS: self.sql_fields,
            ops.OP_QUERY_SQL_FIELDS_CURSOR_GET_PAGE: self.next_fields_page,
            ops.OP_GET_BINARY_TYPE_NAME: self.get_type_name,
            ops.OP_REGISTER_BINARY_TYPE_NAME: self.register_type_name,
            ops.OP_GET_BINARY_TYPE: lambda s, a: self.cluster.types.get(a.type_id),
            ops.OP_PUT_BINARY_TYPE: self.put_binary_type,
            ops.OP_TX_START: self.tx_start,
            ops.OP_TX_END: self.tx_end,
            ops.OP_CLUSTER_GET_STATE: lambda s, a: int(self.cluster.state),
            ops.OP_CLUSTER_CHANGE_STATE: self.change_state,
        }

    def knows(self, op_code: int) -> bool:
        return op_code in self._handlers

    def handle(self, session: Session, op_code: int, args: Any) -> Any:
        """Run one request; returns the response value or raises OpError."""
        handler = self._handlers.get(op_code)
        if handler is None:
            raise OpError(ops.STATUS_INVALID_OP_CODE, f"Invalid request op code: {op_code}")
        state = self.cluster.state
        if state != ClusterState.ACTIVE:
            if op_code in _NEEDS_ACTIVE and state == ClusterState.INACTIVE:
                raise OpError(ops.STATUS_FAILED, INACTIVE_MESSAGE)
            if op_code in _WRITES and state == ClusterState.ACTIVE_READ_ONLY:
                raise OpError(ops.STATUS_FAILED, READ_ONLY_MESSAGE)
        if op_code in _KEY_OPS:
            self._record_key(session, op_code, args)
        else:
            session.node.stats.record(op_code)
        return handler(session, args)

    def _record_key(self, session: Session, op_code: int, args: Any) -> None:
        desc = self.cluster.caches.find(args.cache.cache_id)
        where = None
        if desc is not None:  # the partition is worked out only if somebody reads it
            where = (args.key, desc.key_configs(), self.cluster.types.registry,
                     self.cluster.options.partitions)
        session.node.stats.record(op_code, args.cache.cache_id, where=where)

    # -- helpers ------------------------------------------------------------------------------

    def _access(self, session: Session, info: m.CacheInfo) -> CacheAccess:
        desc = self.cluster.caches.get(info.cache_id)
        data = desc.data
        if info.flags & ops.CACHE_FLAG_TRANSACTIONAL and info.tx_id is not None:
            data = session.txs.get(info.tx_id).view(desc.cache_id, data)
        expiry = info.expiry if info.flags & ops.CACHE_FLAG_WITH_EXPIRY_POLICY else None
        rule = effective_rule(expiry, desc.expiry_policy)
        return CacheAccess(desc, data, rule, self.cluster.now())

    # -- key-value ----------------------------------------------------------------------------

    def get(self, s: Session, a: m.KeyOp) -> Optional[bytes]:
        return wrap_value(self._access(s, a.cache).get(a.key))

    def put(self, s: Session, a: m.KeyValueOp) -> None:
        self._access(s, a.cache).put(a.key, a.value)

    def put_if_absent(self, s: Session, a: m.KeyValueOp) -> bool:
        return self._access(s, a.cache).put_if_absent(a.key, a.value) is None

    def get_all(self, s: Session, a: m.KeysOp) -> List[Tuple[bytes, Optional[bytes]]]:
        access = self._access(s, a.cache)
        found = []
        for key in a.keys:
            value = access.get(key)
            if value is not None:
                found.append((wrap_value(key) or key, wrap_value(value)))
        return found

    def put_all(self, s: Session, a: m.PairsOp) -> None:
        access = self._access(s, a.cache)
        for key, value in a.pairs:
            access.put(key, value)

    def get_and_put(self, s: Session, a: m.KeyValueOp) -> Optional[bytes]:
        return wrap_value(self._access(s, a.cache).put(a.key, a.value))

    def get_and_replace(self, s: Session, a: m.KeyValueOp) -> Optional[bytes]:
        return wrap_value(self._access(s, a.cache).replace(a.key, a.value))

    def get_and_remove(self, s: Session, a: m.KeyOp) -> Optional[bytes]:
        return wrap_value(self._access(s, a.cache).remove(a.key))

    def get_and_put_if_absent(self, s: Session, a: m.KeyValueOp) -> Optional[bytes]:
        return wrap_value(self._access(s, a.cache).put_if_absent(a.key, a.value))

    def replace(self, s: Session, a: m.KeyValueOp) -> bool:
        access = self._access(s, a.cache)
        if not access.contains(a.key):
            return False
        access.put(a.key, a.value)
        return True

    def replace_if_equals(self, s: Session, a: m.KeyValueValueOp) -> bool:
        access = self._access(s, a.cache)
        _identity, entry = access.lookup(a.key)
        if entry is None or not same_value(entry.value, a.expected):
            return False
        access.put(a.key, a.value)
        return True

    def contains_key(self, s: Session, a: m.KeyOp) -> bool:
        return self._access(s, a.cache).contains(a.key)

    def contains_keys(self, s: Session, a: m.KeysOp) -> bool:
        access = self._access(s, a.cache)
        return all(access.contains(key) for key in a.keys)

    def clear(self, s: Session, a: m.CacheOp) -> None:
        self._access(s, a.cache).data.clear()

    def remove_key_silently(self, s: Session, a: m.KeyOp) -> None:
        self._access(s, a.cache).remove(a.key)

    def remove_key(self, s: Session, a: m.KeyOp) -> bool:
        return self._access(s, a.cache).remove(a.key) is not None

    def remove_if_equals(self, s: Session, a: m.KeyValueOp) -> bool:
        access = self._access(s, a.cache)
        _identity, entry = access.lookup(a.key)
        if entry is None or not same_value(entry.value, a.value):
            return False
        access.remove(a.key)
        return True

    def remove_keys(self, s: Session, a: m.KeysOp) -> None:
        access = self._access(s, a.cache)
        for key in a.keys:
            access.remove(key)

    def get_size(self, s: Session, a: m.SizeOp) -> int:
        access = self._access(s, a.cache)
        modes = set(a.peek_modes)
        primary = access.data.count()
        backups = int(access.desc.settings.get(ops.PROP_BACKUPS_NUMBER) or 0)
        backup_copies = 0
        if access.desc.mode == CacheMode.REPLICATED:
            backups = len(self.cluster.nodes) - 1
        backups = max(0, min(backups, len(self.cluster.nodes) - 1))
        backup_copies = primary * backups
        if not modes:
            return primary
        if modes == {PeekModes.NEAR}:
            return 0
        if modes == {PeekModes.BACKUP}:
            return backup_copies
        total = primary
        if modes & {PeekModes.ALL, PeekModes.BACKUP}:
            total += backup_copies
        return total

    def local_peek(self, s: Session, a: m.PeekOp) -> Optional[bytes]:
        access = self._access(s, a.cache)
        _identity, entry = access.lookup(a.key)
        if entry is None:
            return None
        partition = key_partition(a.key, access.desc.key_configs(), self.cluster.types.registry,
                                  self.cluster.options.partitions)
        if access.desc.mode != CacheMode.REPLICATED and \
                self.cluster.owner_of(partition) is not s.node:
            return None
        return wrap_value(entry.value)

    # -- cache management ---------------------------------------------------------------------

    def create_with_name(self, s: Session, a: m.CacheNameOp) -> None:
        self.cluster.create_cache({ops.PROP_NAME: a.name}, fail_if_exists=True)

    def get_or_create_with_name(self, s: Session, a: m.CacheNameOp) -> None:
        self.cluster.create_cache({ops.PROP_NAME: a.name}, fail_if_exists=False)

    def create_with_configuration(self, s: Session, a: m.CacheConfigOp) -> None:
        self.cluster.create_cache(dict(a.settings), fail_if_exists=True)

    def get_or_create_with_configuration(self, s: Session, a: m.CacheConfigOp) -> None:
        self.cluster.create_cache(dict(a.settings), fail_if_exists=False)

    def get_configuration(self, s: Session, a: m.CacheOp) -> Dict[int, Any]:
        return dict(self.cluster.caches.get(a.cache.cache_id).settings)

    def destroy(self, s: Session, a: m.CacheIdOp) -> None:
        self.cluster.destroy_cache(a.cache_id)

    def partitions(self, s: Session, a: m.PartitionsOp) -> m.PartitionsResult:
        applicable: Dict[int, Dict[int, int]] = {}
        other: Dict[int, Dict[int, int]] = {}
        for cache_id in a.cache_ids:
            desc = self.cluster.caches.find(cache_id)
            if desc is None:
                continue
            if desc.mode == CacheMode.PARTITIONED:
                applicable[cache_id] = desc.key_configs()
            else:
                other[cache_id] = {}
        groups = []
        if applicable:
            groups.append(m.PartitionGroup(True, applicable, self.cluster.partition_map()))
        if other:
            groups.append(m.PartitionGroup(False, other, {}))
        return m.PartitionsResult(self.cluster.topology, groups)

    # -- queries ------------------------------------------------------------------------------

    def scan(self, s: Session, a: m.ScanQuery) -> m.CursorPage:
        if a.filter is not None:
            raise OpError(ops.STATUS_FAILED,
                          "Scan query filters (Java/.NET/C++ objects) are not supported by "
                          "this server")
        access = self._access(s, a.cache)
        partitions = self.cluster.options.partitions
        wanted: Optional[frozenset] = None
        if a.partition >= 0:
            if a.partition >= partitions:
                raise OpError(ops.STATUS_FAILED,
                              f"Invalid partition number: {a.partition} (partitions: "
                              f"{partitions})")
            wanted = frozenset([a.partition])
        if a.local and access.desc.mode != CacheMode.REPLICATED:
            owned = frozenset(self.cluster.partition_map().get(s.node.node_id, ()))
            wanted = owned if wanted is None else wanted & owned
        rows = self._scan_rows(access, wanted)
        cursor = Cursor(ops.OP_QUERY_SCAN, rows, a.page_size)
        cursor_id, page, more = s.cursors.first_page(cursor)
        return m.CursorPage(page, more, cursor_id)

    def _scan_rows(self, access: CacheAccess, wanted: Optional[frozenset]
                   ) -> Iterator[Tuple[bytes, Optional[bytes]]]:
        configs = access.desc.key_configs()
        registry = self.cluster.types.registry
        partitions = self.cluster.options.partitions
        for _identity, entry in access.scan():
            if wanted is not None and \
                    key_partition(entry.key, configs, registry, partitions) not in wanted:
                continue
            yield wrap_value(entry.key) or entry.key, wrap_value(entry.value)

    def next_scan_page(self, s: Session, a: m.ResourceOp) -> m.CursorPage:
        _cursor, page, more = s.cursors.next_page(a.resource_id, ops.OP_QUERY_SCAN)
        return m.CursorPage(page, more)

    def next_sql_page(self, s: Session, a: m.ResourceOp) -> m.CursorPage:
        _cursor, page, more = s.cursors.next_page(a.resource_id, ops.OP_QUERY_SQL)
        return m.CursorPage(page, more)

    def sql_query(self, s: Session, a: m.SqlQuery) -> m.CursorPage:
        rows = self.cluster.sql_bridge().sql_query(s, a)
        cursor = Cursor(ops.OP_QUERY_SQL, rows, a.page_size)
        cursor_id, page, more = s.cursors.first_page(cursor)
        return m.CursorPage(page, more, cursor_id)

    def sql_fields(self, s: Session, a: m.SqlFieldsQuery) -> m.SqlFieldsPage:
        s.cursors.check_room()
        names, rows = self.cluster.sql_bridge().sql_fields(s, a)
        cursor = Cursor(ops.OP_QUERY_SQL_FIELDS, rows, a.page_size, columns=len(names))
        cursor_id, page, more = s.cursors.first_page(cursor)
        field_names: Optional[List[Optional[str]]] = list(names) if a.include_field_names \
            else None
        return m.SqlFieldsPage(page, more, cursor_id, len(names), field_names)

    def next_fields_page(self, s: Session, a: m.ResourceOp) -> m.SqlFieldsPage:
        cursor, page, more = s.cursors.next_page(a.resource_id, ops.OP_QUERY_SQL_FIELDS)
        return m.SqlFieldsPage(page, more, column_count=cursor.columns)

    def resource_close(self, s: Session, a: m.ResourceOp) -> None:
        s.cursors.release(a.resource_id)

    # -- binary types -------------------------------------------------------------------------

    def get_type_name(self, s: Session, a: m.BinaryTypeNameOp) -> str:
        return self.cluster.types.type_name(a.platform, a.type_id)

    def register_type_name(self, s: Session, a: m.BinaryTypeNameOp) -> bool:
        if a.name is None:
            raise OpError(ops.STATUS_FAILED, "Ouch! Argument cannot be null: typeName")
        return self.cluster.types.register_name(a.platform, a.type_id, a.name)

    def put_binary_type(self, s: Session, a: m.PutBinaryTypeOp) -> None:
        self.cluster.types.put(a.info)

    # -- transactions and cluster -------------------------------------------------------------

    def tx_start(self, s: Session, a: m.TxStartOp) -> int:
        return s.txs.start(a.concurrency, a.isolation, a.timeout, a.label).tx_id

    def tx_end(self, s: Session, a: m.TxEndOp) -> None:
        s.txs.end(a.tx_id, a.committed, self.cluster.storage)

    def change_state(self, s: Session, a: m.ClusterStateOp) -> None:
        try:
            state = ClusterState(a.state)
        except ValueError:
            raise OpError(ops.STATUS_FAILED, f"Unknown cluster state: {a.state}") from None
        self.cluster.set_state(state)
