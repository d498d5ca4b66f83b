"""A cluster of embedded Ignite nodes over one shared store.

Every node is one listening port with its own node id (sent in the handshake reply); all nodes
share the caches, binary types, SQL tables and cluster state, so a client may talk to any of
them.  Partitions are spread over the nodes in join order; a node joining or leaving bumps the
affinity topology version, which every connection reports on its next reply.
"""

from __future__ import annotations

import collections
import uuid
from typing import Any, Counter, Deque, Dict, List, Optional, Sequence, Tuple

import attr
from twisted.internet.defer import Deferred, DeferredList, maybeDeferred, succeed
from twisted.internet.interfaces import IListeningPort
from twisted.logger import Logger

from txkv.ignite.codec import ops
from txkv.ignite.codec.ops import ClusterState, ProtocolVersion
from txkv.storage import Storage, open_storage

from .caches import CacheDescriptor, CacheRegistry
from .cursors import DEFAULT_MAX_CURSORS
from .metadata import TypeStore
from .partitions import DEFAULT_PARTITIONS, assign_partitions, key_partition
from .status import OpError
from .transactions import DEFAULT_MAX_TRANSACTIONS

__all__ = [
    "ServerOptions",
    "NodeStats",
    "KeyAccess",
    "IgniteNode",
    "IgniteCluster",
    "start_server",
    "start_cluster",
    "SUPPORTED_FEATURES",
]

_log = Logger(namespace="txkv.ignite.server")

#: Feature bits this server implements (returned intersected with the client's).
SUPPORTED_FEATURES = frozenset([
    ops.Feature.USER_ATTRIBUTES,
    ops.Feature.CLUSTER_STATES,
    ops.Feature.QRY_PARTITIONS_BATCH_SIZE,
    ops.Feature.HEARTBEAT,
    ops.Feature.ALL_AFFINITY_MAPPINGS,
])

_STATE_KEY = b"state"


@attr.s(auto_attribs=True, kw_only=True)
class ServerOptions:
    """Settings of an embedded cluster.

    :ivar data: LevelDB directory (None: in memory).
    :ivar auth: ``(user, password)``: clients must authenticate (None: anyone may connect).
    :ivar max_version: newest protocol version accepted (and proposed on a mismatch).
    :ivar min_version: oldest protocol version accepted.
    """

    data: Optional[str] = None
    auth: Optional[Tuple[str, str]] = None
    max_version: ProtocolVersion = (1, 7, 0)
    min_version: ProtocolVersion = (1, 0, 0)
    handshake_timeout: float = 10.0
    max_frame_size: int = 64 * 1024 * 1024
    max_cursors: int = DEFAULT_MAX_CURSORS
    max_transactions: int = DEFAULT_MAX_TRANSACTIONS
    partitions: int = DEFAULT_PARTITIONS
    idle_timeout_ms: int = 0
    features: frozenset = SUPPORTED_FEATURES
    initial_state: ClusterState = ClusterState.ACTIVE

    def accepts(self, version: ProtocolVersion) -> bool:
        return version in ops.PROTOCOL_VERSIONS and \
            self.min_version <= version <= self.max_version


class KeyAccess:
    """One key operation a node served (for partition-awareness checks).

    The key's partition is worked out when it is first read — most accesses never are — from the
    key, the cache's key configuration and the partition count of the moment it was served.
    """

    __slots__ = ("op_code", "cache_id", "_partition", "_where")

    def __init__(self, op_code: int, cache_id: int, partition: Optional[int] = None,
                 where: Optional[Tuple[bytes, Dict[int, int], Any, int]] = None) -> None:
        self.op_code = op_code
        self.cache_id = cache_id
        self._partition = partition
        self._where = where

    @property
    def partition(self) -> Optional[int]:
        if self._where is not None:
            raw_key, key_configs, registry, partitions = self._where
            self._partition = key_partition(raw_key, key_configs, registry, partitions)
            self._where = None
        return self._partition

    def __repr__(self) -> str:
        return (f"KeyAccess(op_code={self.op_code}, cache_id={self.cache_id}, "
                f"partition={self.partition})")


class NodeStats:
    """What one node served: a count per op name and the last key operations."""

    def __init__(self, keep: int = 100_000) -> None:
        self.ops: Counter[str] = collections.Counter()
        self.keys: Deque[KeyAccess] = collections.deque(maxlen=keep)

    def record(self, op_code: int, cache_id: Optional[int] = None,
               partition: Optional[int] = None,
               where: Optional[Tuple[bytes, Dict[int, int], Any, int]] = None) -> None:
        """Count ``op_code``; a key operation also remembers its cache and its key's partition
        (given, or worked out later from ``where``: key, key configuration, registry, partition
        count)."""
        self.ops[ops.op_name(op_code)] += 1
        if cache_id is not None:
            self.keys.append(KeyAccess(op_code, cache_id, partition, where))

    def reset(self) -> None:
        self.ops.clear()
        self.keys.clear()


class IgniteNode:
    """One member of the cluster: its id, its protocol factory and its listening port."""

    def __init__(self, cluster: IgniteCluster, node_id: uuid.UUID) -> None:
        from .protocol import IgniteServerFactory

        self.cluster = cluster
        self.node_id = node_id
        self.stats = NodeStats()
        self.factory = IgniteServerFactory(cluster, self)
        self.port: Optional[IListeningPort] = None

    @property
    def address(self) -> Tuple[str, int]:
        """``(host, port)`` the node listens on."""
        if self.port is None:
            raise RuntimeError("node is not listening")
        host: Any = self.port.getHost()
        return str(host.host), int(host.port)

    def __repr__(self) -> str:
        return f"<IgniteNode {self.node_id}>"


class IgniteCluster:
    """The shared state of every node: storage, caches, types, SQL, state, topology."""

    def __init__(self, options: Optional[ServerOptions] = None, *, reactor: Any = None,
                 storage: Optional[Storage] = None) -> None:
        if reactor is None:
            from twisted.internet import reactor as default_reactor

            reactor = default_reactor
        self.options = options or ServerOptions()
        self.reactor = reactor
        self.storage = storage if storage is not None else open_storage(
            self.options.data, clock=reactor.seconds)
        self.types = TypeStore(self.storage)
        self.caches = CacheRegistry(self.storage)
        self._state_ns = self.storage.namespace("ignite/cluster")
        stored = self._state_ns.get(_STATE_KEY)
        self.state = ClusterState(stored[0]) if stored else ClusterState(
            self.options.initial_state)
        self.nodes: List[IgniteNode] = []
        self._major = 0
        self.topology: Tuple[int, int] = (0, 0)
        from .handlers import Dispatcher

        self.dispatcher = Dispatcher(self)
        self._sql: Any = None
        self._sql_error: Optional[str] = None
        self._setup_sql()

    # -- time, state ------------------------------------------------------------------------

    def now(self) -> float:
        return float(self.reactor.seconds())

    def set_state(self, state: ClusterState) -> None:
        """Change (and persist) the cluster state."""
        self.state = ClusterState(state)
        self._state_ns.put(_STATE_KEY, bytes((int(state),)))

    # -- SQL --------------------------------------------------------------------------------

    def _setup_sql(self) -> None:
        try:
            from .sqlbridge import SqlBridge
            self._sql = SqlBridge(self)
        except ImportError as exc:  # the SQL engine is optional
            self._sql_error = str(exc)
            _log.info("Ignite server runs without SQL: {error}", error=self._sql_error)

    def sql_bridge(self) -> Any:
        """The SQL bridge; OpError when SQL is unavailable."""
        if self._sql is None:
            raise OpError(ops.STATUS_FAILED, f"SQL is not available: {self._sql_error}")
        return self._sql

    # -- caches -----------------------------------------------------------------------------

    def create_cache(self, settings: Dict[int, Any], *, fail_if_exists: bool
                     ) -> CacheDescriptor:
        """Create a cache (a SQL table too when it has query entities)."""
        name = settings.get(ops.PROP_NAME)
        existing = self.caches.find_name(name) if isinstance(name, str) else None
        if existing is not None and not fail_if_exists:
            return existing
        entities = settings.get(ops.PROP_QUERY_ENTITIES)
        if entities and self._sql is None:
            raise OpError(ops.STATUS_FAILED,
                          f"Caches with query entities need SQL: {self._sql_error}")
        desc = self.caches.create(settings, fail_if_exists=fail_if_exists)
        if entities:
            try:
                self._sql.create_tables(desc)
            except Exception:
                self.caches.destroy(desc.cache_id)
                raise
        return desc

    def destroy_cache(self, cache_id: int) -> None:
        """Destroy a cache (and its SQL table); OpError 1000 when unknown."""
        desc = self.caches.get(cache_id)
        if self._sql is not None and desc.sql_table is not None:
            self._sql.drop_cache(desc)
        if self.caches.is_stored(cache_id):
            self.caches.destroy(cache_id)

    # -- topology ---------------------------------------------------------------------------

    def add_node(self, node_id: Optional[uuid.UUID] = None) -> IgniteNode:
        """A new member (not listening yet); bumps the topology version."""
        node = IgniteNode(self, node_id or uuid.uuid4())
        self.nodes.append(node)
        self._bump()
        return node

    def remove_node(self, node: IgniteNode) -> None:
        if node in self.nodes:
            self.nodes.remove(node)
            self._bump()

    def _bump(self) -> None:
        self._major += 1
        self.topology = (self._major, 0)
        _log.debug("Ignite topology version {major}: {count} node(s)", major=self._major,
                   count=len(self.nodes))

    def partition_map(self) -> Dict[uuid.UUID, List[int]]:
        """Primary partitions of every node."""
        return assign_partitions([node.node_id for node in self.nodes], self.options.partitions)

    def owner_of(self, partition: int) -> Optional[IgniteNode]:
        if not self.nodes:
            return None
        return self.nodes[partition % len(self.nodes)]

    # -- listening --------------------------------------------------------------------------

    def listen(self, port: int = 0, interface: str = "127.0.0.1", *, tls: Any = None,
               node_id: Optional[uuid.UUID] = None) -> IgniteNode:
        """Add a node listening on ``interface:port`` (TLS with a server context factory)."""
        node = self.add_node(node_id)
        try:
            if tls is None:
                node.port = self.reactor.listenTCP(port, node.factory, interface=interface)
            else:
                node.port = self.reactor.listenSSL(port, node.factory, tls, interface=interface)
        except Exception:
            self.remove_node(node)
            raise
        return node

    @property
    def addresses(self) -> List[Tuple[str, int]]:
        """``(host, port)`` of every listening node, in join order."""
        return [node.address for node in self.nodes if node.port is not None]

    def stop_node(self, node: IgniteNode) -> Deferred[None]:
        """Stop one node: close its port and its connections, leave the topology."""
        self.remove_node(node)
        node.factory.close_connections()
        if node.port is None:
            return succeed(None)
        port, node.port = node.port, None
        stopping: Any = port.stopListening()
        return stopping if isinstance(stopping, Deferred) else succeed(None)

    def stop(self) -> Deferred[None]:
        """Stop every node and close the storage (and the SQL engine)."""
        waits = [self.stop_node(node) for node in list(self.nodes)]
        done: Deferred[Any] = DeferredList(waits, consumeErrors=True)

        def close(_: Any) -> None:
            if self._sql is not None:
                self._sql.close()
            self.storage.close()

        done.addCallback(close)
        return done


def start_cluster(
    reactor: Any = None,
    nodes: int = 1,
    *,
    data: Optional[str] = None,
    ports: Sequence[int] = (),
    interface: str = "127.0.0.1",
    tls: Any = None,
    options: Optional[ServerOptions] = None,
    **option_values: Any,
) -> IgniteCluster:
    """Build a cluster of ``nodes`` listening nodes (ports from ``ports``, else free ones)."""
    if options is None:
        options = ServerOptions(data=data, **option_values)
    elif data is not None or option_values:
        changes: Dict[str, Any] = dict(option_values)
        if data is not None:
            changes["data"] = data
        options = attr.evolve(options, **changes)
    cluster = IgniteCluster(options, reactor=reactor)
    try:
        for index in range(nodes):
            port = ports[index] if index < len(ports) else 0
            cluster.listen(port, interface, tls=tls)
    except Exception:
        cluster.stop()
        raise
    return cluster


def start_server(reactor: Any = None, port: int = 0, *, nodes: int = 1,
                 data: Optional[str] = None, auth: Optional[Tuple[str, str]] = None,
                 tls: Any = None, **option_values: Any) -> Deferred[IgniteCluster]:
    """Start an embedded cluster; fires with it (``.addresses``, ``.stop()``).

    ``port`` is the first node's port (0: any free port; further nodes take free ports).
    """
    ports = [port] if port else []
    return maybeDeferred(start_cluster, reactor, nodes, data=data, ports=ports, tls=tls,
                         auth=auth, **option_values)
