"""Conformance: the official pyignite client (0.6.1) against txkv's embedded Ignite server.

Each test runs the seed document's example code (key-value, type hints, scans, object
collections, complex objects, async usage) with pyignite unchanged, and checks the outputs the
seed prints.  pyignite blocks, so it runs in a thread while the server runs on the reactor.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from datetime import date, datetime
from decimal import Decimal
from typing import Any, List

from tests.ignite.server.fixtures import PyigniteServerCase, pyignite

if pyignite is not None:
    from pyignite import AioClient, Client, GenericObjectMeta
    from pyignite.datatypes import (
        BoolObject,
        CharObject,
        CollectionObject,
        DateObject,
        DecimalObject,
        IntObject,
        LongObject,
        MapObject,
        ObjectArrayObject,
        ShortObject,
        String,
    )
    from pyignite.datatypes.cluster_state import ClusterState
    from pyignite.datatypes.prop_codes import (
        PROP_BACKUPS_NUMBER,
        PROP_CACHE_ATOMICITY_MODE,
        PROP_CACHE_MODE,
        PROP_NAME,
    )
    from pyignite.exceptions import CacheError


class KeyValueExamples(PyigniteServerCase):
    """Seed §3.1 and §3.2."""

    def test_get_and_put(self) -> Any:
        def scenario() -> None:
            client = Client()
            with client.connect(self.host, self.port):
                my_cache = client.create_cache('my cache')
                my_cache.put('my key', 42)
                self.assertEqual(my_cache.get('my key'), 42)
                self.assertIsNone(my_cache.get('non-existent key'))
                result = my_cache.get_all(['my key', 'non-existent key', 'other-key'])
                self.assertEqual(result, {'my key': 42})
                with self.assertRaises(CacheError) as caught:
                    client.create_cache('my cache')
                self.assertIn("a cache with the same name is already started",
                              str(caught.exception))
                my_cache.destroy()
                self.assertEqual(client.get_cache_names(), [])
        return self.in_thread(scenario)

    def test_type_hints(self) -> Any:
        def scenario() -> None:
            client = Client()
            with client.connect(self.host, self.port):
                my_cache = client.get_or_create_cache('my cache')
                my_cache.put('my key', 42)
                my_cache.put('my key', 42, value_hint=ShortObject)
                self.assertEqual(my_cache.get('my key'), 42)
                my_cache.put('a', 1)
                my_cache.put('a', 2, key_hint=CharObject)
                self.assertEqual(my_cache.get('a'), 1)
                self.assertEqual(my_cache.get('a', key_hint=CharObject), 2)
                self.assertEqual(my_cache.get_size(), 3)
                my_cache.remove_keys(['a', ('a', CharObject)])
                self.assertEqual(my_cache.get_size(), 1)
                # typed identity: Int 1 and Long 1 are different keys
                my_cache.put(1, 'long')
                my_cache.put(1, 'int', key_hint=IntObject)
                self.assertEqual(my_cache.get(1), 'long')
                self.assertEqual(my_cache.get(1, key_hint=IntObject), 'int')
                self.assertEqual(my_cache.get(1, key_hint=LongObject), 'long')
        return self.in_thread(scenario)

    def test_scan(self) -> Any:
        def scenario() -> None:
            client = Client()
            with client.connect(self.host, self.port):
                my_cache = client.create_cache('my cache')
                expected = {f'key_{v}': v for v in range(20)}
                my_cache.put_all(expected)
                seen = []
                with my_cache.scan() as cursor:
                    for k, v in cursor:
                        seen.append((k, v))
                self.assertEqual(len(seen), 20)
                self.assertEqual(dict(seen), expected)
                with my_cache.scan() as cursor:
                    self.assertEqual(dict(cursor), expected)
                with my_cache.scan(page_size=3) as cursor:
                    self.assertEqual(dict(cursor), expected)
                with my_cache.scan(page_size=7) as cursor:
                    next(cursor)  # leaves the cursor open: the context manager closes it
                by_partition = {}
                for partition in range(1024):
                    with my_cache.scan(partitions=partition) as cursor:
                        by_partition.update(dict(cursor))
                self.assertEqual(by_partition, expected)
        return self.in_thread(scenario)

    def test_other_cache_operations(self) -> Any:
        def scenario() -> None:
            client = Client()
            with client.connect(self.host, self.port):
                cache = client.get_or_create_cache({PROP_NAME: 'ops', PROP_BACKUPS_NUMBER: 1,
                                                    PROP_CACHE_MODE: 2})
                self.assertEqual(cache.settings[PROP_BACKUPS_NUMBER], 1)
                self.assertTrue(cache.put_if_absent('k', 1))
                self.assertFalse(cache.put_if_absent('k', 2))
                self.assertEqual(cache.get_and_put('k', 3), 1)
                self.assertEqual(cache.get_and_replace('k', 4), 3)
                self.assertIsNone(cache.get_and_replace('missing', 4))
                self.assertEqual(cache.get_and_put_if_absent('k', 9), 4)
                self.assertTrue(cache.replace('k', 5))
                self.assertFalse(cache.replace('missing', 5))
                self.assertTrue(cache.replace_if_equals('k', 5, 6))
                self.assertFalse(cache.replace_if_equals('k', 5, 7))
                self.assertTrue(cache.contains_key('k'))
                self.assertFalse(cache.contains_keys(['k', 'missing']))
                self.assertFalse(cache.remove_if_equals('k', 5))
                self.assertTrue(cache.remove_if_equals('k', 6))
                self.assertFalse(cache.remove_key('k'))
                cache.put_all({'a': 1, 'b': 2, 'c': 3})
                self.assertEqual(cache.get_and_remove('a'), 1)
                cache.clear_key('b')
                self.assertEqual(cache.get_size(), 1)
                self.assertEqual(cache.get_size(peek_modes=[3]), 0)  # one node: no room for backups
                cache.clear_keys(['c'])
                self.assertEqual(cache.get_size(), 0)
                cache.put_all({'a': 1, 'b': 2})
                cache.remove_all()
                self.assertEqual(cache.get_size(), 0)
                cache.put('x', 1)
                cache.clear()
                self.assertIsNone(cache.get('x'))
        return self.in_thread(scenario)

    def test_object_collections(self) -> Any:
        def scenario() -> None:
            client = Client()
            with client.connect(self.host, self.port):
                my_cache = client.get_or_create_cache('my cache')
                value = OrderedDict([(1, 'test'), ('key', 2.0)])
                my_cache.put('my dict', (MapObject.LINKED_HASH_MAP, value))
                result = my_cache.get('my dict')
                self.assertEqual(result, (2, OrderedDict([(1, 'test'), ('key', 2.0)])))
                my_cache.put('my dict', (MapObject.HASH_MAP, value))
                self.assertEqual(my_cache.get('my dict'), (1, {'key': 2.0, 1: 'test'}))
                my_cache.put('my list', (CollectionObject.LINKED_LIST, [1, '2', 3.0]))
                self.assertEqual(my_cache.get('my list'), (2, [1, '2', 3.0]))
                my_cache.put('my set', (CollectionObject.HASH_SET, [4, 4, 'test', 5.6]))
                self.assertEqual(my_cache.get('my set'), (3, [5.6, 4, 'test']))
                my_cache.put('my array of objects', (ObjectArrayObject.OBJECT, [7, '8', 9.0]),
                             value_hint=ObjectArrayObject)
                self.assertEqual(my_cache.get('my array of objects'), (-1, [7, '8', 9.0]))
        return self.in_thread(scenario)


class ComplexObjectExamples(PyigniteServerCase):
    """Seed §3.4 (binary basics and migration)."""

    def test_binary_basics(self) -> Any:
        def scenario() -> None:
            class Person(metaclass=GenericObjectMeta, schema=OrderedDict([
                ('first_name', String),
                ('last_name', String),
                ('age', IntObject),
            ])):
                pass

            client = Client()
            with client.connect(self.host, self.port):
                person_cache = client.get_or_create_cache('person')
                person_cache.put(1, Person(first_name='Ivan', last_name='Ivanov', age=33))
                person = person_cache.get(1)
                self.assertEqual(person.__class__.__name__, 'Person')
                self.assertEqual(repr(person),
                                 "Person(first_name='Ivan', last_name='Ivanov', age=33, "
                                 "version=1)")
            # a fresh client learns the type from the server (ops 3002)
            reader = Client()
            with reader.connect(self.host, self.port):
                fetched = reader.get_cache('person').get(1)
                self.assertEqual((fetched.first_name, fetched.last_name, fetched.age),
                                 ('Ivan', 'Ivanov', 33))
                self.assertEqual(fetched.__class__.__name__, 'Person')
                # the complex object as a key: compact and full footers are the same key
                full = Client(compact_footer=False)
                with full.connect(self.host, self.port):
                    cache = full.get_or_create_cache('by person')
                    cache.put(Person(first_name='A', last_name='B', age=1), 'found')
                compact_cache = reader.get_or_create_cache('by person')
                key = fetched.__class__(first_name='A', last_name='B', age=1)
                self.assertEqual(compact_cache.get(key), 'found')
        return self.in_thread(scenario)

    def test_migrate(self) -> Any:
        def scenario() -> None:
            class ExpenseVoucher(metaclass=GenericObjectMeta, schema=OrderedDict([
                ('date', DateObject),
                ('reported', BoolObject),
                ('purpose', String),
                ('sum', DecimalObject),
                ('recipient', String),
                ('cashier_id', LongObject),
            ])):
                pass

            old_data = [
                (1, ExpenseVoucher(date=datetime(2017, 9, 21), reported=True,
                                   purpose='Praesent eget fermentum massa',
                                   sum=Decimal('666.67'), recipient='John Doe', cashier_id=8)),
                (2, ExpenseVoucher(date=datetime(2017, 10, 7), reported=False,
                                   purpose='Aenean eget bibendum lorem a blandit felis',
                                   sum=Decimal('22.40'), recipient='Jane Roe', cashier_id=13)),
            ]
            setup = Client()
            with setup.connect(self.host, self.port):
                accounting = setup.get_or_create_cache('accounting')
                for key, value in old_data:
                    accounting.put(key, value)

            client = Client()
            with client.connect(self.host, self.port):
                data_classes = client.query_binary_type('ExpenseVoucher')
                self.assertEqual(list(data_classes), [ExpenseVoucher.schema_id])
                _s_id, data_class = data_classes.popitem()
                schema = data_class.schema
                schema['expense_date'] = schema['date']
                del schema['date']
                schema['report_date'] = DateObject
                del schema['reported']
                schema['sum'] = DecimalObject

                class ExpenseVoucherV2(metaclass=GenericObjectMeta, type_name='ExpenseVoucher',
                                       schema=schema):
                    pass

                accounting = client.get_or_create_cache('accounting')
                migrated: List[Any] = []
                with accounting.scan() as cursor:
                    for key, old_value in cursor:
                        new_value = ExpenseVoucherV2()
                        new_value.sum = old_value.sum
                        new_value.purpose = old_value.purpose
                        new_value.recipient = old_value.recipient
                        new_value.cashier_id = old_value.cashier_id
                        new_value.expense_date = old_value.date
                        new_value.report_date = date.today() if old_value.reported else None
                        accounting.put(key, new_value)
                        migrated.append(accounting.get(key))
                self.assertEqual(len(migrated), 2)
                first = [v for v in migrated if v.cashier_id == 8][0]
                self.assertEqual(first.__class__.__name__, 'ExpenseVoucherV2')
                self.assertEqual(first.sum, Decimal('666.67'))
                self.assertEqual(first.expense_date, datetime(2017, 9, 21))
                self.assertIsNotNone(first.report_date)
                self.assertEqual(len(client.query_binary_type('ExpenseVoucher')), 2)
        return self.in_thread(scenario)


class AsyncExamples(PyigniteServerCase):
    """Seed §4.1: AioClient key-value and scan."""

    def test_async_key_value_and_scan(self) -> Any:
        async def scenario() -> None:
            client = AioClient()
            async with client.connect(self.host, self.port):
                cache = await client.get_or_create_cache('test_async_cache')
                await asyncio.gather(*[cache.put(f'key_{i}', f'value_{i}') for i in range(0, 20)])
                self.assertEqual(await cache.get('key_10'), 'value_10')
                got = await cache.get_all([f'key_{i}' for i in range(0, 10)])
                self.assertEqual(got, {f'key_{i}': f'value_{i}' for i in range(10)})
                seen = {}
                async with cache.scan() as cursor:
                    async for k, v in cursor:
                        seen[k] = v
                self.assertEqual(seen, {f'key_{i}': f'value_{i}' for i in range(20)})
                await cache.destroy()
        return self.in_asyncio(scenario)


class TransactionsExpiryCluster(PyigniteServerCase):
    def test_transactions(self) -> Any:
        def scenario() -> None:
            client = Client()
            with client.connect(self.host, self.port):
                cache = client.get_or_create_cache({PROP_NAME: 'tx-cache',
                                                    PROP_CACHE_ATOMICITY_MODE: 0})
                cache.put(1, 'before')
                with client.tx_start() as tx:
                    cache.put(1, 'inside')
                    self.assertEqual(cache.get(1), 'inside')
                    tx.commit()
                self.assertEqual(cache.get(1), 'inside')
                with client.tx_start() as tx:
                    cache.put(1, 'discarded')
                    cache.put(2, 'discarded')
                    tx.rollback()
                self.assertEqual(cache.get(1), 'inside')
                self.assertIsNone(cache.get(2))
        return self.in_thread(scenario)

    def test_expiry_and_cluster_state(self) -> Any:
        def scenario() -> None:
            client = Client()
            with client.connect(self.host, self.port):
                cache = client.get_or_create_cache('expiring')
                short = cache.with_expire_policy(create=0)
                short.put('gone', 1)
                self.assertIsNone(cache.get('gone'))
                eternal = cache.with_expire_policy(create=-1)
                eternal.put('kept', 1)
                self.assertEqual(cache.get('kept'), 1)
                cluster = client.get_cluster()
                self.assertEqual(cluster.get_state(), ClusterState.ACTIVE)
                cluster.set_state(ClusterState.INACTIVE)
                with self.assertRaises(CacheError) as caught:
                    cache.get('kept')
                self.assertIn("cluster is inactive", str(caught.exception))
                cluster.set_state(ClusterState.ACTIVE)
                self.assertEqual(cache.get('kept'), 1)
        return self.in_thread(scenario)


class PartitionAwareness(PyigniteServerCase):
    """pyignite with partition_aware=True connects to all 3 nodes and sends each key
    operation to the key's primary node."""

    nodes = 3

    def test_key_ops_reach_the_primary_node(self) -> Any:
        node_ids = [node.node_id for node in self.cluster.nodes]
        self.assertEqual(len(set(node_ids)), 3)

        def scenario() -> None:
            client = Client(partition_aware=True)
            with client.connect(self.addresses):
                cache = client.get_or_create_cache('routed')
                for i in range(60):
                    cache.put(f'key_{i}', i)
                for i in range(60):
                    self.assertEqual(cache.get(f'key_{i}'), i)
                    self.assertEqual(cache.get(i * 7), None)

        def check(_: Any) -> None:
            owners = {}
            for partition, _owner in enumerate(range(1024)):
                owners[partition] = self.cluster.owner_of(partition)
            served = 0
            for node in self.cluster.nodes:
                for access in node.stats.keys:
                    self.assertIs(owners[access.partition], node,
                                  f"{access} was served by a node that is not its primary")
                    served += 1
                self.assertGreater(node.stats.ops["OP_CACHE_PUT"], 0)
            self.assertEqual(served, 180)

        return self.in_thread(scenario).addCallback(check)

    def test_node_leaving_bumps_topology(self) -> Any:
        def scenario(addresses: List[tuple]) -> None:
            client = Client(partition_aware=True)
            with client.connect(addresses):
                cache = client.get_or_create_cache('moving')
                cache.put('a', 1)
                self.assertEqual(cache.get('a'), 1)

        first = self.in_thread(scenario, self.addresses)

        def leave(_: Any) -> Any:
            self.before = self.cluster.topology
            return self.cluster.stop_node(self.cluster.nodes[2])

        def again(_: Any) -> Any:
            self.assertGreater(self.cluster.topology, self.before)
            return self.in_thread(scenario, self.addresses)

        return first.addCallback(leave).addCallback(again)


class Authentication(PyigniteServerCase):
    server_options = {"auth": ("ignite", "secret")}

    def test_credentials(self) -> Any:
        from pyignite.exceptions import AuthenticationError

        def scenario() -> None:
            client = Client(username='ignite', password='secret')
            with client.connect(self.host, self.port):
                client.get_or_create_cache('auth').put(1, 1)
            for kwargs in ({}, {"username": "ignite", "password": "wrong"}):
                with self.assertRaises(AuthenticationError) as caught:
                    with Client(**kwargs).connect(self.host, self.port):
                        pass
                expected = "Unauthenticated sessions are prohibited." if not kwargs else \
                    "The user name or password is incorrect"
                self.assertIn(expected, str(caught.exception))
        return self.in_thread(scenario)


class VersionFallback(PyigniteServerCase):
    server_options = {"max_version": (1, 2, 0)}

    def test_pyignite_falls_back_to_1_2_0(self) -> Any:
        def scenario() -> None:
            client = Client()
            with client.connect(self.host, self.port):
                self.assertEqual(client.protocol_context.version, (1, 2, 0))
                cache = client.get_or_create_cache('old')
                cache.put('k', 'v')
                self.assertEqual(cache.get('k'), 'v')
                with cache.scan(page_size=1) as cursor:
                    self.assertEqual(dict(cursor), {'k': 'v'})
        return self.in_thread(scenario)


class TlsServer(PyigniteServerCase):
    """The server behind TLS (txkv.tls.server_tls); pyignite verifies it with the test CA."""

    def setUp(self) -> None:
        import tempfile

        from tests.certs import generate_certificates
        from txkv.tls import server_tls

        self.certs = generate_certificates(tempfile.mkdtemp(prefix="txkv-ignite-tls-"))
        self.server_options = {"tls": server_tls(self.certs.server.cert, self.certs.server.key)}
        super().setUp()

    def test_pyignite_over_tls(self) -> Any:
        import ssl

        def scenario() -> None:
            client = Client(use_ssl=True, ssl_ca_certfile=self.certs.ca.cert,
                            ssl_cert_reqs=ssl.CERT_REQUIRED)
            with client.connect('127.0.0.1', self.port):
                cache = client.get_or_create_cache('secure')
                cache.put('k', 'v')
                self.assertEqual(cache.get('k'), 'v')
        return self.in_thread(scenario)
