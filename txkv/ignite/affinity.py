"""Partition awareness (IEP-23): which node owns a key, so key operations go straight to it.

For each cache the client asks any node for the partition map (OP_CACHE_PARTITIONS): the
primary partitions of every node (by node UUID, as each connection's handshake reports it) and
the affinity-key fields of complex key types.  A key's partition is computed exactly as
``RendezvousAffinityFunction`` does (:func:`~txkv.ignite.codec.hashing.partition_for` of the
key's Java ``hashCode``, or of its affinity-key field's value).

A map is tagged with the affinity topology version it was read at.  Every reply that reports a
newer version (response flag 0x2) makes the maps stale, and the next key operation on a stale
cache refreshes it first (one request per cache at a time).  When anything is missing — no map,
a group the server marks "not applicable", a custom affinity function, the owner not connected —
the operation goes to any live connection: the server forwards it internally.
"""

from __future__ import annotations

import uuid
from typing import Any, Callable, Dict, List, NamedTuple, Optional, Sequence, Tuple

from twisted.internet.defer import Deferred, succeed
from twisted.logger import Logger
from twisted.python.failure import Failure

from txkv.ignite.codec import messages as m
from txkv.ignite.codec import ops
from txkv.ignite.codec.generic import is_binary
from txkv.ignite.codec.hashing import partition_for
from txkv.ignite.codec.keyhash import java_hashcode
from txkv.ignite.codec.registry import CodecContext
from txkv.ignite.protocol import SharedResult

__all__ = ["CacheAffinity", "AffinityMap", "affinity_hashcode"]

log = Logger(namespace="txkv.ignite.affinity")

Topology = Tuple[int, int]
_NO_TOPOLOGY: Topology = (-1, -1)


class CacheAffinity(NamedTuple):
    """The partition map of one cache at one topology version.

    :ivar owners: partition -> primary node UUID (``None`` when no node lists it).
    :ivar key_configs: key type id -> affinity-key field id.
    :ivar applicable: False when the server says partition awareness cannot be used.
    """

    version: Topology
    applicable: bool
    owners: Sequence[Optional[uuid.UUID]] = ()
    key_configs: Dict[int, int] = {}

    @property
    def partitions(self) -> int:
        return len(self.owners)

    def partition_of(self, key: Any, key_hint: Any = None,
                     ctx: Optional[CodecContext] = None) -> int:
        """The partition of ``key`` (written as ``key_hint``) in this cache."""
        return partition_for(affinity_hashcode(key, key_hint, self.key_configs, ctx),
                             self.partitions)

    def owner_of(self, key: Any, key_hint: Any = None,
                 ctx: Optional[CodecContext] = None) -> Optional[uuid.UUID]:
        """The UUID of the node holding ``key``'s primary copy (``None`` if unknown)."""
        if not self.applicable or not self.owners:
            return None
        return self.owners[self.partition_of(key, key_hint, ctx)]


def affinity_hashcode(key: Any, key_hint: Any, key_configs: Dict[int, int],
                      ctx: Optional[CodecContext] = None) -> int:
    """The hash the affinity function uses: the key's Java ``hashCode``, or for a complex key
    whose type has an affinity-key field, the ``hashCode`` of that field's value."""
    if key_configs and is_binary(key):
        cls = type(key)
        field_id = key_configs.get(cls.type_id)
        if field_id is not None:
            for name, fid in zip(cls.schema, cls._field_ids):
                if fid == field_id:
                    return java_hashcode(getattr(key, name, None), cls.schema[name], ctx)
    return java_hashcode(key, key_hint, ctx)


def build_affinities(result: m.PartitionsResult, version: Topology
                     ) -> Dict[int, CacheAffinity]:
    """Cache id -> :class:`CacheAffinity` for every cache of an OP_CACHE_PARTITIONS reply."""
    found: Dict[int, CacheAffinity] = {}
    for group in result.groups:
        applicable = bool(group.applicable and group.default_affinity and group.nodes)
        owners: List[Optional[uuid.UUID]] = []
        if applicable:
            count = sum(len(parts) for parts in group.nodes.values())
            top = max((max(parts) for parts in group.nodes.values() if parts), default=-1)
            owners = [None] * max(count, top + 1)
            for node_id, parts in group.nodes.items():
                for part in parts:
                    if 0 <= part < len(owners):
                        owners[part] = node_id
            applicable = bool(owners)
        for cache_id, key_configs in group.caches.items():
            found[cache_id] = CacheAffinity(version, applicable, tuple(owners),
                                            dict(key_configs))
    return found


class AffinityMap:
    """Partition maps of a client's caches, refreshed as the topology changes.

    :param fetch: ``cache ids -> Deferred[PartitionsResult]`` (sends OP_CACHE_PARTITIONS).
    :param codec: the codec context (footer style affects complex keys' hashes).
    """

    def __init__(self, fetch: Callable[[List[int]], Deferred[m.PartitionsResult]],
                 codec: CodecContext) -> None:
        self._fetch = fetch
        self._codec = codec
        self._maps: Dict[int, CacheAffinity] = {}
        self._refreshing: Dict[int, SharedResult] = {}
        self.topology: Topology = _NO_TOPOLOGY
        self.refreshes = 0

    def note_topology(self, version: Topology) -> None:
        """A reply reported ``version``; maps older than it become stale."""
        if version > self.topology:
            self.topology = version

    def get(self, cache_id: int) -> Optional[CacheAffinity]:
        """The current map of a cache, if fresh."""
        found = self._maps.get(cache_id)
        if found is not None and found.version >= self.topology:
            return found
        return None

    def forget(self, cache_id: int) -> None:
        self._maps.pop(cache_id, None)

    def owner(self, cache_id: int, key: Any, key_hint: Any = None
              ) -> Deferred[Optional[uuid.UUID]]:
        """The UUID of the node owning ``key`` (``None``: unknown, use any node).

        Refreshes the cache's map first if it is missing or stale; a failed refresh is logged
        and answers ``None``.
        """
        fresh = self.get(cache_id)
        if fresh is not None:
            return succeed(self._owner(fresh, key, key_hint))
        return self.refresh(cache_id).addCallback(
            lambda _: self._owner(self._maps.get(cache_id), key, key_hint))

    def partition_owner(self, cache_id: int, partition: int) -> Deferred[Optional[uuid.UUID]]:
        """The UUID of the node owning ``partition`` of a cache (``None``: unknown)."""
        def pick(_: object) -> Optional[uuid.UUID]:
            found = self._maps.get(cache_id)
            if found is None or not found.applicable or not 0 <= partition < found.partitions:
                return None
            return found.owners[partition]

        if self.get(cache_id) is not None:
            return succeed(pick(None))
        return self.refresh(cache_id).addCallback(pick)

    def _owner(self, found: Optional[CacheAffinity], key: Any, key_hint: Any
               ) -> Optional[uuid.UUID]:
        if found is None:
            return None
        try:
            return found.owner_of(key, key_hint, self._codec)
        except Exception as exc:  # a key the codec cannot hash: the request will say why
            log.debug("cannot compute the partition of a key: {error}", error=str(exc))
            return None

    def refresh(self, cache_id: int) -> Deferred[None]:
        """Read the cache's partition map (coalesced: one request per cache at a time)."""
        running = self._refreshing.get(cache_id)
        if running is not None:
            return running.wait()
        started_at = self.topology
        self.refreshes += 1

        def store(result: m.PartitionsResult) -> None:
            reported: Topology = (int(result.topology[0]), int(result.topology[1]))
            version = max(reported, started_at)
            self.note_topology(reported)
            for cid, found in build_affinities(result, version).items():
                self._maps[cid] = found
            if cache_id not in self._maps:
                # Unknown to the server (or no answer for it): do not ask again until the
                # topology changes.
                self._maps[cache_id] = CacheAffinity(version, False)

        def failed(failure: Failure) -> None:
            log.info("partition map of cache {cache_id} unavailable: {error}",
                     cache_id=cache_id, error=failure.getErrorMessage())
            # Route to any node until the topology changes instead of asking again per key.
            self._maps.setdefault(cache_id, CacheAffinity(started_at, False))

        def done(result: object) -> object:
            self._refreshing.pop(cache_id, None)
            return result

        d = self._fetch([cache_id]).addCallbacks(store, failed).addBoth(done)
        shared = SharedResult(d)
        if not d.called:
            self._refreshing[cache_id] = shared
        return shared.wait()


def partitions_request(cache_ids: List[int]) -> m.PartitionsOp:
    """The OP_CACHE_PARTITIONS arguments for some caches."""
    return m.PartitionsOp(cache_ids, False)


OP_CACHE_PARTITIONS = ops.OP_CACHE_PARTITIONS
