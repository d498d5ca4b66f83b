"""Partition awareness: partition formula, maps, and routing of key operations to the
owning node (three embedded nodes in memory, server-side per-node counters)."""

from __future__ import annotations

import uuid
from collections import OrderedDict
from typing import Any, Dict, List

from twisted.trial.unittest import SynchronousTestCase

from tests.ignite.client_support import MemoryClientCase
from txkv.ignite.affinity import AffinityMap, CacheAffinity, affinity_hashcode, build_affinities
from txkv.ignite.binary import GenericObjectMeta
from txkv.ignite.codec import messages as m
from txkv.ignite.codec import ops
from txkv.ignite.codec.hashing import entity_id
from txkv.ignite.datatypes import IntObject, String

A, B, C = (uuid.UUID(int=n) for n in (1, 2, 3))


def three_node_map(partitions: int = 1024) -> m.PartitionsResult:
    nodes = {node: [p for p in range(partitions) if p % 3 == i]
             for i, node in enumerate((A, B, C))}
    group = m.PartitionGroup(True, {111: {}, 222: {}}, nodes)
    return m.PartitionsResult((5, 0), [group])


class City(metaclass=GenericObjectMeta, type_name="CityKey", schema=OrderedDict([
        ("id", IntObject), ("country", String)])):
    pass


class FormulaTests(SynchronousTestCase):
    def test_power_of_two_partitions(self) -> None:
        maps = build_affinities(three_node_map(), (5, 0))
        found = maps[111]
        self.assertEqual(found.partitions, 1024)
        self.assertEqual(found.partition_of("a"), 97)
        self.assertEqual(found.owner_of("a"), (A, B, C)[97 % 3])
        self.assertEqual(maps[222].owners, found.owners)

    def test_other_partition_counts(self) -> None:
        found = build_affinities(three_node_map(1000), (1, 0))[111]
        self.assertEqual(found.partition_of("my cache"), 94)

    def test_not_applicable_groups(self) -> None:
        group = m.PartitionGroup(False, {5: {}}, {})
        custom = m.PartitionGroup(True, {6: {}}, {A: [0, 1]}, default_affinity=False)
        maps = build_affinities(m.PartitionsResult((1, 0), [group, custom]), (1, 0))
        self.assertIsNone(maps[5].owner_of("x"))
        self.assertIsNone(maps[6].owner_of("x"))

    def test_affinity_key_field(self) -> None:
        configs = {City.type_id: entity_id("country")}
        key = City(id=7, country="CHN")
        self.assertEqual(affinity_hashcode(key, None, configs), affinity_hashcode("CHN", None, {}))
        self.assertNotEqual(affinity_hashcode(key, None, {}), affinity_hashcode("CHN", None, {}))

    def test_map_goes_stale_on_newer_topology(self) -> None:
        from twisted.internet.defer import succeed

        from txkv.ignite.codec.registry import CodecContext

        calls: List[List[int]] = []

        def fetch(ids: List[int]) -> Any:
            calls.append(ids)
            return succeed(three_node_map())

        amap = AffinityMap(fetch, CodecContext())
        amap.note_topology((5, 0))
        owner = self.successResultOf(amap.owner(111, "a"))
        self.assertEqual(owner, (A, B, C)[97 % 3])
        self.successResultOf(amap.owner(222, "a"))  # same group: no second request
        self.assertEqual(calls, [[111]])
        amap.note_topology((6, 0))
        self.assertIsNone(amap.get(111))
        self.successResultOf(amap.owner(111, "a"))
        self.assertEqual(len(calls), 2)
        self.assertIsInstance(amap.get(111), CacheAffinity)


class RefreshFailureTests(SynchronousTestCase):
    def test_failed_refresh_routes_anywhere_until_topology_changes(self) -> None:
        from twisted.internet.defer import fail

        from txkv.errors import RequestTimeoutError
        from txkv.ignite.codec.registry import CodecContext

        calls: List[List[int]] = []

        def fetch(ids: List[int]) -> Any:
            calls.append(ids)
            return fail(RequestTimeoutError(timeout=1.0))

        amap = AffinityMap(fetch, CodecContext())
        amap.note_topology((1, 0))
        self.assertIsNone(self.successResultOf(amap.owner(7, "a")))
        self.assertIsNone(self.successResultOf(amap.owner(7, "b")))
        self.assertEqual(len(calls), 1)
        amap.note_topology((2, 0))
        self.assertIsNone(self.successResultOf(amap.owner(7, "a")))
        self.assertEqual(len(calls), 2)


class RoutingTests(MemoryClientCase):
    nodes = 3

    def served_by(self) -> Dict[int, List[Any]]:
        return {i: list(ep.node.stats.keys) for i, ep in enumerate(self.harness.endpoints)}

    def reset(self) -> None:
        for ep in self.harness.endpoints:
            ep.node.stats.reset()

    def test_key_ops_go_to_the_owner(self) -> None:
        cache = self.wait(self.client.get_or_create_cache("routed"))
        self.wait(self.client.register_cache(cache.cache_id))
        self.reset()
        for i in range(60):
            self.wait(cache.put(f"key-{i}", i))
            self.assertEqual(self.wait(cache.get(f"key-{i}")), i)
        served = self.served_by()
        owners = self.harness.cluster.partition_map()
        node_ids = [ep.node.node_id for ep in self.harness.endpoints]
        total = 0
        for index, accesses in served.items():
            mine = set(owners[node_ids[index]])
            for access in accesses:
                if access.partition is not None:
                    total += 1
                    self.assertIn(access.partition, mine)
        self.assertEqual(total, 120)
        self.assertTrue(all(served[i] for i in range(3)), "every node served some keys")

    def test_partition_matches_server(self) -> None:
        cache = self.wait(self.client.get_or_create_cache("routed"))
        self.wait(self.client.register_cache(cache.cache_id))
        self.reset()
        keys = ["a", 1, 2.5, ("x", String), uuid.UUID(int=77)]
        found = self.client.affinity.get(cache.cache_id)
        assert found is not None
        for key in keys:
            plain, hint = (key if isinstance(key, tuple) else (key, None))
            self.wait(cache.put(plain, 1, key_hint=hint))
        expected = sorted(found.partition_of(k[0] if isinstance(k, tuple) else k,
                                             k[1] if isinstance(k, tuple) else None)
                          for k in keys)
        seen = sorted(a.partition for accesses in self.served_by().values()
                      for a in accesses if a.op_code == ops.OP_CACHE_PUT)
        self.assertEqual(seen, expected)

    def test_best_node(self) -> None:
        cache = self.wait(self.client.get_or_create_cache("routed"))
        conn = self.wait(self.client.get_best_node(cache, "a"))
        found = self.client.affinity.get(cache.cache_id)
        self.assertEqual(conn.node_uuid, found.owner_of("a"))
        self.assertIsNotNone(self.wait(self.client.random_node()))
        self.assertTrue(self.client.partition_awareness_supported_by_protocol)

    def test_refresh_after_node_leaves(self) -> None:
        cache = self.wait(self.client.get_or_create_cache("routed"))
        self.wait(cache.put("warm", 1))
        before = self.client.affinity.refreshes
        gone = self.harness.endpoints[2]
        self.harness.cluster.remove_node(gone.node)
        gone.kill()
        self.harness.settle()
        for i in range(20):
            self.wait(cache.put(f"after-{i}", i))
        self.assertGreater(self.client.affinity.refreshes, before)
        found = self.client.affinity.get(cache.cache_id)
        self.assertNotIn(gone.node.node_id, set(found.owners))

    def test_scan_of_one_partition_goes_to_owner(self) -> None:
        cache = self.wait(self.client.get_or_create_cache("routed"))
        self.wait(cache.put_all({i: i for i in range(100)}))
        self.wait(self.client.register_cache(cache.cache_id))
        self.reset()
        self.wait(cache.scan(partitions=5).collect())
        owner = self.client.affinity.get(cache.cache_id).owners[5]
        for ep in self.harness.endpoints:
            count = ep.node.stats.ops["OP_QUERY_SCAN"]
            self.assertEqual(count, 1 if ep.node.node_id == owner else 0)


class NoRoutingTests(MemoryClientCase):
    nodes = 3
    client_options = {"partition_aware": False}

    def test_no_partition_requests(self) -> None:
        cache = self.wait(self.client.get_or_create_cache("plain"))
        for i in range(10):
            self.wait(cache.put(i, i))
        self.assertFalse(self.client.partition_aware)
        for ep in self.harness.endpoints:
            self.assertEqual(ep.node.stats.ops["OP_CACHE_PARTITIONS"], 0)
