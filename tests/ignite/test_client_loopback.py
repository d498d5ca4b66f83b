"""The client against real loopback nodes of the embedded server: the seed's examples
(key-value, scan, SQL, complex objects) and partition awareness over three nodes."""

from __future__ import annotations

import socket
from collections import OrderedDict
from typing import Any, List

from twisted.internet import reactor
from twisted.internet.defer import Deferred, ensureDeferred, gatherResults, inlineCallbacks
from twisted.trial.unittest import TestCase

from txkv.ignite import Client, GenericObjectMeta
from txkv.ignite.codec import ops
from txkv.ignite.datatypes import DoubleObject, IntObject, String
from txkv.ignite.server.cluster import start_cluster


class Student(metaclass=GenericObjectMeta, type_name="SQL_PUBLIC_STUDENT_TYPE",
              schema=OrderedDict([("NAME", String), ("LOGIN", String), ("AGE", IntObject),
                                  ("GPA", DoubleObject)])):
    pass


class LoopbackCase(TestCase):
    timeout = 60
    nodes = 1

    @inlineCallbacks
    def setUp(self) -> Any:
        self.cluster = start_cluster(reactor, self.nodes)
        self.addCleanup(self.cluster.stop)
        self.client = Client(timeout=10.0)
        yield self.client.connect(self.cluster.addresses)
        self.addCleanup(self.client.close)

    def run_coro(self, coro: Any) -> Deferred[Any]:
        return Deferred.fromCoroutine(coro)

    async def need_sql(self) -> None:
        await self.client.sql("SELECT 1")  # the SQL engine ships with the server


class KeyValueExampleTests(LoopbackCase):
    def test_key_value_and_scan(self) -> Deferred[Any]:
        async def example() -> None:
            cache = await self.client.create_cache("my cache")
            await gatherResults([cache.put(f"key_{i}", f"value_{i}") for i in range(20)])
            self.assertEqual(await cache.get("key_10"), "value_10")
            found = await cache.get_all([f"key_{i}" for i in range(3)] + ["nope"])
            self.assertEqual(found, {f"key_{i}": f"value_{i}" for i in range(3)})
            rows: List[Any] = []
            async with cache.scan() as cursor:
                async for k, v in cursor:
                    rows.append((k, v))
            self.assertEqual(len(rows), 20)
            await cache.destroy()

        return self.run_coro(example())

    def test_many_concurrent_requests(self) -> Deferred[Any]:
        async def example() -> None:
            cache = await self.client.get_or_create_cache("busy")
            await gatherResults([cache.put(i, i * 2) for i in range(500)])
            values = await gatherResults([cache.get(i) for i in range(500)])
            self.assertEqual(values, [i * 2 for i in range(500)])

        return self.run_coro(example())


class SqlExampleTests(LoopbackCase):
    def test_sql_tables(self) -> Deferred[Any]:
        async def example() -> None:
            await self.need_sql()
            await self.client.sql(
                "CREATE TABLE City (ID INT(11), Name CHAR(35), CountryCode CHAR(3), "
                "Population INT(11), PRIMARY KEY (ID, CountryCode)) "
                'WITH "affinityKey=CountryCode"')
            rows = [(1, "Shanghai", "CHN", 9696300), (2, "New York", "USA", 8008278),
                    (3, "Peking", "CHN", 7472000)]
            await gatherResults([
                ensureDeferred(self.client.sql(
                    "INSERT INTO City(ID, Name, CountryCode, Population) VALUES (?, ?, ?, ?)",
                    query_args=list(row)).start()) for row in rows])
            async with self.client.sql(
                    "SELECT name, population FROM City ORDER BY population DESC",
                    include_field_names=True, page_size=1) as cursor:
                names = await cursor.__anext__()
                found = [row async for row in cursor]
            self.assertEqual(names, ["NAME", "POPULATION"])
            self.assertEqual(found, [["Shanghai", 9696300], ["New York", 8008278],
                                     ["Peking", 7472000]])
            self.assertIn("SQL_PUBLIC_CITY", await self.client.get_cache_names())
            await self.client.sql("DROP TABLE City IF EXISTS")

        return self.run_coro(example())

    def test_key_value_table_and_select_row(self) -> Deferred[Any]:
        async def example() -> None:
            await self.need_sql()
            cache = await self.client.create_cache({
                ops.PROP_NAME: "SQL_PUBLIC_STUDENT",
                ops.PROP_SQL_SCHEMA: "PUBLIC",
                ops.PROP_QUERY_ENTITIES: [{
                    "table_name": "STUDENT", "key_field_name": "SID",
                    "key_type_name": "java.lang.Integer", "field_name_aliases": [],
                    "query_fields": [
                        {"name": "SID", "type_name": "java.lang.Integer",
                         "is_key_field": True, "is_notnull_constraint_field": True},
                        {"name": "NAME", "type_name": "java.lang.String"},
                        {"name": "LOGIN", "type_name": "java.lang.String"},
                        {"name": "AGE", "type_name": "java.lang.Integer"},
                        {"name": "GPA", "type_name": "java.math.Double"},
                    ],
                    "query_indexes": [],
                    "value_type_name": "SQL_PUBLIC_STUDENT_TYPE",
                    "value_field_name": None,
                }],
            })
            await cache.put(1, Student(LOGIN="jdoe", NAME="John Doe", AGE=17, GPA=4.25),
                            key_hint=IntObject)
            async with self.client.sql("SELECT * FROM Student",
                                       include_field_names=True) as cursor:
                rows = await cursor.collect()
            self.assertEqual(rows[0], ["SID", "NAME", "LOGIN", "AGE", "GPA"])
            self.assertEqual(rows[1], [1, "John Doe", "jdoe", 17, 4.25])
            selected = await cache.select_row("AGE > ?", query_args=[10]).collect()
            self.assertEqual(len(selected), 1)
            self.assertEqual(selected[0][1].LOGIN, "jdoe")
            await cache.destroy()

        return self.run_coro(example())


class PartitionAwarenessLoopbackTests(LoopbackCase):
    nodes = 3

    def test_key_ops_served_by_owner(self) -> Deferred[Any]:
        async def example() -> None:
            cache = await self.client.get_or_create_cache("pa")
            await self.client.register_cache(cache.cache_id)
            manager = self.client.connection_manager
            assert manager is not None
            # every node connected first: a key whose owner is still connecting would be sent
            # to any live node (by design), which is not what this test measures
            await gatherResults([manager.connection_for(n) for n in manager.nodes])
            for node in self.cluster.nodes:
                node.stats.reset()
            await gatherResults([cache.put(f"k{i}", i) for i in range(90)])
            owners = self.cluster.partition_map()
            served = 0
            for node in self.cluster.nodes:
                mine = set(owners[node.node_id])
                for access in node.stats.keys:
                    self.assertIn(access.partition, mine)
                    served += 1
            self.assertEqual(served, 90)
            self.assertTrue(all(node.stats.keys for node in self.cluster.nodes))

        return self.run_coro(example())


class TransportTests(LoopbackCase):
    def test_tcp_nodelay(self) -> Deferred[Any]:
        """Nagle is off on the client's sockets (small frames are not held back)."""
        async def check() -> None:
            protocol = await self.client.random_node()
            handle = protocol.transport.getHandle()
            self.assertNotEqual(handle.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY), 0)

        return self.run_coro(check())


class ConnectionReuseTests(LoopbackCase):
    nodes = 2

    def test_calls_reuse_the_connection_until_it_breaks(self) -> Deferred[Any]:
        """Calls go straight to the connection the manager handed out; once it breaks,
        the next call asks the manager again and lands on the other node."""
        async def check() -> None:
            client = Client(timeout=10.0, partition_aware=False)
            await client.connect(self.cluster.addresses)
            self.addCleanup(client.close)
            cache = await client.get_or_create_cache("reuse")
            await cache.put(1, "one")
            first = client._ready_connection()
            self.assertIsNotNone(first)
            for i in range(5):
                await cache.put(i, i)
            self.assertIs(client._ready_connection(), first)
            assert first is not None
            first.transport.loseConnection()
            self.assertIsNone(client._ready_connection())  # closing: not reused
            for _ in range(20):
                try:
                    await cache.put(2, "two")
                    break
                except OSError:
                    continue
            second = client._ready_connection()
            self.assertIsNotNone(second)
            self.assertIsNot(second, first)
            self.assertEqual(await cache.get(2), "two")

        return self.run_coro(check())
