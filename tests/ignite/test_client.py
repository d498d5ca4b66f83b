"""Client API against the embedded server (in memory on a fake clock): connecting, caches,
binary types, cluster state, transactions, closing."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from twisted.internet.defer import Deferred
from twisted.trial.unittest import SynchronousTestCase

from tests.ignite.client_support import MemoryClientCase, MemoryCluster
from txkv.errors import NotConnectedError, TxKVError
from txkv.ignite.binary import GenericObjectMeta
from txkv.ignite.client import Client, ConnectDeferred, _connect_nodes
from txkv.ignite.codec import ops
from txkv.ignite.codec.ops import (
    CacheMode,
    ClusterState,
    ExpiryPolicy,
    TransactionConcurrency,
    TransactionIsolation,
)
from txkv.ignite.datatypes import DoubleObject, IntObject, String
from txkv.ignite.errors import (
    CacheCreationError,
    CacheError,
    NotSupportedByClusterError,
    ParameterError,
    ReconnectError,
)


class Student(metaclass=GenericObjectMeta, type_name="SQL_PUBLIC_STUDENT_TYPE",
              schema=OrderedDict([("NAME", String), ("LOGIN", String), ("AGE", IntObject),
                                  ("GPA", DoubleObject)])):
    pass


class ConnectArgumentTests(SynchronousTestCase):
    def test_forms(self) -> None:
        self.assertEqual(_connect_nodes(()), [("127.0.0.1", 10800)])
        self.assertEqual(_connect_nodes(("10.0.0.1", 10801)), [("10.0.0.1", 10801)])
        nodes = [("127.0.0.1", 10800), ("127.0.0.1", 10801), ("127.0.0.1", 10802)]
        self.assertEqual(_connect_nodes((nodes,)), nodes)
        self.assertEqual(_connect_nodes((("h", 1),)), [("h", 1)])
        self.assertEqual(_connect_nodes(("a:1,b:2",)), ["a:1", "b:2"])
        self.assertEqual(_connect_nodes(("a:1", "b:2")), ["a:1", "b:2"])

    def test_bad_node(self) -> None:
        client = Client()
        self.assertIsInstance(self.failureResultOf(client.connect(42)).value, ParameterError)
        self.assertIsInstance(self.failureResultOf(client.connect(["no-port:x"])).value,
                              ParameterError)

    def test_not_connected(self) -> None:
        client = Client()
        d = client.get_cache_names()
        self.assertIsInstance(self.failureResultOf(d).value, NotConnectedError)
        self.assertIsNone(client.protocol_context)
        self.assertFalse(client.partition_awareness_supported_by_protocol)
        self.assertIsNone(self.successResultOf(client.close()))

    def test_options(self) -> None:
        self.assertTrue(Client().compact_footer)
        self.assertFalse(Client(compact_footer=False).compact_footer)
        self.assertTrue(Client().partition_aware)
        with self.assertRaises(ParameterError):
            Client(timeout=-1)


class AllDownTests(SynchronousTestCase):
    def test_connect_to_dead_nodes(self) -> None:
        harness = MemoryCluster(2)
        for ep in harness.endpoints:
            ep.kill()
        client = Client(reactor=harness.clock)
        d = client.connect(harness.nodes)
        harness.settle()
        error = self.failureResultOf(d).value
        self.assertIsInstance(error, ReconnectError)
        self.assertEqual(set(error.errors), {"node0", "node1"})
        self.assertIsNone(client.connection_manager)


class ClientTests(MemoryClientCase):
    def test_connect_fires_with_client(self) -> None:
        self.assertEqual(self.client.protocol_context.version, (1, 7, 0))
        self.assertTrue(self.client.protocol_context.has_feature(ops.Feature.CLUSTER_STATES))
        self.assertIsNone(self.wait(Deferred.fromCoroutine(self._await_client())))
        again = self.client.connect(self.harness.nodes)
        self.assertIsInstance(self.failureResultOf(again).value, ParameterError)

    async def _await_client(self) -> None:
        self.assertIs(await self.client, self.client)

    def test_async_with_connect_closes(self) -> None:
        other = Client(reactor=self.harness.clock, timeout=5.0)

        async def use() -> Any:
            connecting = other.connect(self.harness.nodes)
            self.assertIsInstance(connecting, ConnectDeferred)
            async with connecting as client:
                cache = await client.get_or_create_cache("ctx")
                await cache.put(1, 1)
            return other.connection_manager

        self.assertIsNone(self.coro(use()))

    def test_cache_management(self) -> None:
        c = self.client
        cache = self.wait(c.create_cache("one"))
        self.assertEqual(cache.name, "one")
        error = self.failureResultOf(self._settled(c.create_cache("one"))).value
        self.assertIsInstance(error, CacheCreationError)
        self.assertIsInstance(error, CacheError)
        self.assertEqual(error.code, ops.STATUS_CACHE_EXISTS)
        self.assertEqual(self.wait(c.get_or_create_cache("one")).name, "one")
        settings = {ops.PROP_NAME: "two", ops.PROP_CACHE_MODE: CacheMode.REPLICATED,
                    ops.PROP_BACKUPS_NUMBER: 2}
        two = self.wait(c.create_cache(settings))
        read = self.wait(two.settings())
        self.assertEqual(read[ops.PROP_CACHE_MODE], CacheMode.REPLICATED)
        self.assertEqual(read[ops.PROP_BACKUPS_NUMBER], 2)
        three = self.wait(c.get_or_create_cache({ops.PROP_NAME: "three",
                                                 ops.PROP_EXPIRY_POLICY:
                                                 ExpiryPolicy(create=5000)}))
        self.assertEqual(self.wait(three.settings())[ops.PROP_EXPIRY_POLICY].create, 5000)
        self.assertEqual(sorted(self.wait(c.get_cache_names())), ["one", "three", "two"])
        self.assertEqual(c.get_cache({ops.PROP_NAME: "one"}).name, "one")
        with self.assertRaises(ParameterError):
            c.get_cache({ops.PROP_NAME: "one", ops.PROP_BACKUPS_NUMBER: 1})
        with self.assertRaises(ParameterError):
            c.get_cache({ops.PROP_BACKUPS_NUMBER: 1})
        bad = c.create_cache({ops.PROP_NAME: "x", 9999: 1})
        self.assertIsInstance(self.failureResultOf(bad).value, ParameterError)

    def _settled(self, d: Deferred[Any]) -> Deferred[Any]:
        self.harness.settle()
        return d

    def test_every_prop_code_round_trips(self) -> None:
        entity = {
            "table_name": "STUDENT", "key_field_name": "SID",
            "key_type_name": "java.lang.Integer", "value_field_name": None,
            "value_type_name": "SQL_PUBLIC_STUDENT_TYPE", "field_name_aliases": [],
            "query_fields": [{"name": "SID", "type_name": "java.lang.Integer",
                              "is_key_field": True, "is_notnull_constraint_field": True},
                             {"name": "NAME", "type_name": "java.lang.String"}],
            "query_indexes": [],
        }
        settings = {
            ops.PROP_NAME: "full", ops.PROP_CACHE_MODE: 2, ops.PROP_CACHE_ATOMICITY_MODE: 0,
            ops.PROP_BACKUPS_NUMBER: 1, ops.PROP_WRITE_SYNCHRONIZATION_MODE: 0,
            ops.PROP_COPY_ON_READ: False, ops.PROP_READ_FROM_BACKUP: False,
            ops.PROP_DATA_REGION_NAME: "default", ops.PROP_IS_ONHEAP_CACHE_ENABLED: True,
            ops.PROP_QUERY_PARALLELISM: 2, ops.PROP_QUERY_DETAIL_METRIC_SIZE: 3,
            ops.PROP_SQL_SCHEMA: "PUBLIC", ops.PROP_SQL_INDEX_INLINE_MAX_SIZE: 10,
            ops.PROP_SQL_ESCAPE_ALL: True, ops.PROP_MAX_QUERY_ITERATORS: 7,
            ops.PROP_REBALANCE_MODE: 0, ops.PROP_REBALANCE_DELAY: 5,
            ops.PROP_REBALANCE_TIMEOUT: 6, ops.PROP_REBALANCE_BATCH_SIZE: 7,
            ops.PROP_REBALANCE_BATCHES_PREFETCH_COUNT: 8, ops.PROP_REBALANCE_ORDER: 9,
            ops.PROP_REBALANCE_THROTTLE: 10, ops.PROP_GROUP_NAME: "g",
            ops.PROP_CACHE_KEY_CONFIGURATION: [
                {"type_name": "CityKey", "affinity_key_field_name": "country"}],
            ops.PROP_DEFAULT_LOCK_TIMEOUT: 11, ops.PROP_MAX_CONCURRENT_ASYNC_OPERATIONS: 12,
            ops.PROP_PARTITION_LOSS_POLICY: 1, ops.PROP_EAGER_TTL: False,
            ops.PROP_STATISTICS_ENABLED: True,
        }
        try:
            cache = self.wait(self.client.create_cache(
                {**settings, ops.PROP_QUERY_ENTITIES: [entity]}))
        except CacheError:  # the embedded server may run without its SQL engine
            cache = self.wait(self.client.create_cache(settings))
        read = self.wait(cache.settings())
        for code, value in settings.items():
            self.assertEqual(read[code], value, ops.PROP_NAMES[code])

    def test_binary_types(self) -> None:
        c = self.client
        self.assertEqual(self.wait(c.get_binary_type("Nope")), {"type_exists": False})
        self.wait(c.register_binary_type(Student))
        described = self.wait(c.get_binary_type("SQL_PUBLIC_STUDENT_TYPE"))
        self.assertTrue(described["type_exists"])
        self.assertEqual(list(described["schemas"][0]), ["NAME", "LOGIN", "AGE", "GPA"])
        self.assertIs(self.wait(c.query_binary_type("SQL_PUBLIC_STUDENT_TYPE",
                                                    Student.schema_id)), Student)
        self.assertEqual(self.wait(c.query_binary_type(Student.type_id)),
                         {Student.schema_id: Student})
        self.wait(c.put_binary_type("Color", is_enum=True, schema={"RED": 0, "GREEN": 1}))
        color = self.wait(c.get_binary_type("Color"))
        self.assertTrue(color["is_enum"])
        self.wait(c.put_binary_type("Point", affinity_key_field="x",
                                    schema=OrderedDict([("x", IntObject), ("y", IntObject)])))
        point = self.wait(c.get_binary_type("Point"))
        self.assertEqual(point["affinity_key_field"], "x")
        self.assertEqual(self.wait(c.unwrap_binary((1, [2, 3]))), (1, [2, 3]))

    def test_cluster_state(self) -> None:
        cluster = self.client.get_cluster()
        self.assertEqual(self.wait(cluster.get_state()), ClusterState.ACTIVE)
        self.wait(cluster.set_state(ClusterState.ACTIVE_READ_ONLY))
        self.assertEqual(self.wait(cluster.get_state()), ClusterState.ACTIVE_READ_ONLY)
        self.wait(cluster.deactivate())
        self.assertEqual(self.wait(cluster.get_state()), ClusterState.INACTIVE)
        self.wait(cluster.activate())
        self.assertEqual(self.wait(cluster.get_state()), ClusterState.ACTIVE)
        self.assertIsInstance(self.failureResultOf(cluster.set_state(7)).value, ParameterError)

    def test_close_fails_pending_and_later_calls(self) -> None:
        cache = self.wait(self.client.get_or_create_cache("c"))
        pending = cache.get("k")
        closing = self.client.close()
        self.harness.settle()
        error = self.failureResultOf(pending).value
        self.assertIsInstance(error, TxKVError)
        self.wait(closing)
        self.assertIsInstance(self.failureResultOf(cache.get("k")).value, NotConnectedError)


class TransactionTests(MemoryClientCase):
    def setUp(self) -> None:
        super().setUp()
        self.cache = self.wait(self.client.get_or_create_cache({
            ops.PROP_NAME: "tx", ops.PROP_CACHE_ATOMICITY_MODE: 0}))

    def test_commit(self) -> None:
        async def work() -> Any:
            async with self.client.tx_start(isolation=TransactionIsolation.SERIALIZABLE,
                                            label="t1") as tx:
                self.assertIsNotNone(tx.tx_id)
                await self.cache.put(1, "one")
                await self.cache.put(2, "two")
                await tx.commit()
            return await self.cache.get_all([1, 2])

        self.assertEqual(self.coro(work()), {1: "one", 2: "two"})

    def test_leaving_without_commit_rolls_back(self) -> None:
        self.wait(self.cache.put(1, "before"))

        async def work() -> Any:
            async with self.client.tx_start(TransactionConcurrency.OPTIMISTIC):
                await self.cache.put(1, "inside")
                self.assertEqual(await self.cache.get(1), "inside")
            return await self.cache.get(1)

        self.assertEqual(self.coro(work()), "before")

    def test_error_rolls_back(self) -> None:
        async def work() -> Any:
            try:
                async with self.client.tx_start():
                    await self.cache.put(1, "x")
                    raise RuntimeError("boom")
            except RuntimeError:
                pass
            return await self.cache.get(1)

        self.assertIsNone(self.coro(work()))

    def test_await_and_explicit_binding(self) -> None:
        async def work() -> Any:
            tx = await self.client.tx_start()
            await self.cache.put(5, "five")
            await tx.rollback()
            return await self.cache.get(5)

        self.assertIsNone(self.coro(work()))
        tx = self.wait(self.client.tx_start().begin())
        bound = self.cache.with_transaction(tx)
        self.wait(bound.put(6, "six"))
        self.wait(tx.commit())
        self.assertEqual(self.wait(self.cache.get(6)), "six")
        self.assertIsNone(self.wait(tx.commit()))  # closed: no-op

    def test_bad_parameters(self) -> None:
        with self.assertRaises(ParameterError):
            self.client.tx_start(concurrency=5)
        with self.assertRaises(ParameterError):
            self.client.tx_start(timeout=-1)
        with self.assertRaises(ParameterError):
            self.client.tx_start(label=3)  # type: ignore[arg-type]


class OldProtocolTests(MemoryClientCase):
    server_options = {"max_version": (1, 4, 0)}

    def test_version_fallback_and_feature_checks(self) -> None:
        self.assertEqual(self.client.protocol_context.version, (1, 4, 0))
        cache = self.wait(self.client.get_or_create_cache("old"))
        self.wait(cache.put("k", 1))
        self.assertEqual(self.wait(cache.get("k")), 1)
        with self.assertRaises(NotSupportedByClusterError):
            cache.with_expire_policy(create=1000)
        error = self.failureResultOf(self._started(self.client.tx_start().begin())).value
        self.assertIsInstance(error, NotSupportedByClusterError)
        error = self.failureResultOf(self._started(self.client.get_cluster().get_state())).value
        self.assertIsInstance(error, NotSupportedByClusterError)

    def _started(self, d: Deferred[Any]) -> Deferred[Any]:
        self.harness.settle()
        return d


class SqlParameterTests(SynchronousTestCase):
    def test_every_parameter_reaches_the_request(self) -> None:
        client = Client()
        cursor = client.sql(
            "SELECT ?", page_size=10, query_args=[7, ("x", String)], schema="S",
            statement_type=ops.StatementType.SELECT, distributed_joins=True, local=True,
            replicated_only=True, enforce_join_order=True, collocated=True, lazy=True,
            include_field_names=True, max_rows=5, timeout=250)
        args = cursor._pager._query_args
        self.assertEqual(
            (args.query, list(args.args), args.schema, args.page_size, args.max_rows,
             args.statement_type, args.distributed_joins, args.local, args.replicated_only,
             args.enforce_join_order, args.collocated, args.lazy, args.timeout,
             args.include_field_names, args.cache.cache_id),
            ("SELECT ?", [7, ("x", String)], "S", 10, 5, 1, True, True, True, True, True,
             True, 250, True, 0))

    def test_cache_replaces_schema(self) -> None:
        client = Client()
        args = client.sql("SELECT 1", cache="my cache")._pager._query_args
        self.assertEqual((args.schema, args.cache.cache_id), (None, 2012078094))
        args = client.sql("SELECT 1", cache=client.get_cache("c"))._pager._query_args
        self.assertEqual(args.cache.cache_id, client.get_cache("c").cache_id)

    def test_bad_parameters(self) -> None:
        client = Client()
        for kwargs in ({"page_size": 0}, {"timeout": -1}, {"statement_type": 9}):
            with self.assertRaises(ParameterError):
                client.sql("SELECT 1", **kwargs)  # type: ignore[arg-type]


class HeartbeatTests(MemoryClientCase):
    server_options = {"idle_timeout_ms": 3000}

    def test_idle_connection_sends_heartbeats(self) -> None:
        stats = self.harness.endpoints[0].node.stats
        for _ in range(100):
            self.harness.clock.advance(0.1)
            self.harness.settle()
        self.assertIn(stats.ops["OP_HEARTBEAT"], (9, 10))
        cache = self.wait(self.client.get_or_create_cache("alive"))
        self.wait(cache.put(1, 1))
