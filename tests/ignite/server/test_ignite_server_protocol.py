"""The embedded Ignite server on StringTransport + Clock: handshake variants, framing per
version, topology flags, errors, cursors, transactions, expiry and cluster state."""

from __future__ import annotations

import struct

from twisted.internet.task import Clock
from twisted.trial.unittest import SynchronousTestCase

from tests.ignite.server.fixtures import WireClient, memory_cluster
from txkv.ignite.codec import cache_id, ops, write_object
from txkv.ignite.codec import messages as m
from txkv.ignite.codec.frames import (
    decode_response_header,
    encode_handshake_request,
    encode_request_frame,
)
from txkv.ignite.codec.ops import ClusterState


def raw(value: object, hint: object = None) -> bytes:
    buf = bytearray()
    write_object(buf, value, hint)  # type: ignore[arg-type]
    return bytes(buf)


class Handshake(SynchronousTestCase):
    def setUp(self) -> None:
        self.clock = Clock()
        self.cluster = memory_cluster(clock=self.clock)
        self.client = WireClient(self.cluster)

    def test_success_17_returns_feature_intersection_and_node_id(self) -> None:
        reply = self.client.handshake((1, 7, 0), features=[2, 3, 11, 40])
        self.assertTrue(reply.success)
        self.assertEqual(reply.feature_set, {2, 11})
        self.assertEqual(reply.node_id, self.cluster.nodes[0].node_id)

    def test_success_before_14_is_bare(self) -> None:
        self.assertEqual(self.client.send(encode_handshake_request((1, 2, 0))), [b"\x01"])

    def test_success_14_carries_only_node_id(self) -> None:
        reply = self.client.handshake((1, 4, 0))
        self.assertEqual((reply.features, reply.node_id),
                         (None, self.cluster.nodes[0].node_id))

    def test_unsupported_version_proposes_ours_and_keeps_socket(self) -> None:
        reply = self.client.handshake((1, 8, 0))
        self.assertFalse(reply.success)
        self.assertEqual(reply.server_version, (1, 7, 0))
        self.assertEqual(reply.message, "Unsupported version: 1.8.0")
        self.assertEqual(reply.status, ops.STATUS_FAILED)
        self.assertFalse(self.client.closed)
        self.assertTrue(self.client.handshake((1, 7, 0)).success)

    def test_restricted_server_proposes_its_newest(self) -> None:
        cluster = memory_cluster(clock=self.clock, max_version=(1, 2, 0))
        reply = WireClient(cluster).handshake((1, 7, 0))
        self.assertEqual((reply.success, reply.server_version), (False, (1, 2, 0)))

    def test_failure_for_10_client_has_no_status(self) -> None:
        cluster = memory_cluster(clock=self.clock, min_version=(1, 1, 0))
        reply = WireClient(cluster).handshake((1, 0, 0))
        self.assertFalse(reply.success)
        self.assertIsNone(reply.status)

    def test_authentication(self) -> None:
        cluster = memory_cluster(clock=self.clock, auth=("ignite", "pw"))
        missing = WireClient(cluster).handshake((1, 7, 0))
        self.assertEqual((missing.server_version, missing.status, missing.message),
                         ((0, 0, 0), 2000, "Unauthenticated sessions are prohibited."))
        wrong = WireClient(cluster).handshake((1, 7, 0), username="ignite", password="x")
        self.assertEqual(wrong.status, 2000)
        self.assertIn("incorrect", wrong.message or "")
        good = WireClient(cluster).handshake((1, 7, 0), username="ignite", password="pw")
        self.assertTrue(good.success)

    def test_credentials_ignored_without_auth(self) -> None:
        self.assertTrue(self.client.handshake((1, 7, 0), username="u", password="p").success)

    def test_non_handshake_first_message_closes(self) -> None:
        # OP_CACHE_GET's first byte is 0xE8, not the handshake code 1
        self.assertEqual(self.client.send(encode_request_frame(ops.OP_CACHE_GET, 1)), [])
        self.assertTrue(self.client.closed)

    def test_handshake_timeout(self) -> None:
        self.clock.advance(9.9)
        self.assertFalse(self.client.closed)
        self.clock.advance(0.2)
        self.assertTrue(self.client.closed)

    def test_no_timeout_after_handshake(self) -> None:
        self.client.handshake()
        self.clock.advance(60)
        self.assertFalse(self.client.closed)

    def test_oversized_frame_closes(self) -> None:
        cluster = memory_cluster(clock=self.clock, max_frame_size=100)
        client = WireClient(cluster)
        client.handshake()
        self.assertEqual(client.send(struct.pack("<i", 101)), [])
        self.assertTrue(client.closed)


class Requests(SynchronousTestCase):
    def setUp(self) -> None:
        self.clock = Clock()
        self.cluster = memory_cluster(clock=self.clock)
        self.client = WireClient(self.cluster)
        self.client.handshake()
        self.cache = m.CacheInfo(cache_id("c"))

    def call(self, op: int, args: object = m.NO_ARGS) -> object:
        header, body = self.client.request(op, args)
        self.assertFalse(header.is_error, header.message)
        return body

    def error(self, op: int, args: object = m.NO_ARGS) -> tuple:
        header, _ = self.client.request(op, args)
        self.assertTrue(header.is_error)
        return header.status, header.message

    def test_topology_flag_first_reply_and_after_change(self) -> None:
        header, _ = self.client.request(ops.OP_HEARTBEAT)
        self.assertEqual(header.topology, (1, 0))
        header, _ = self.client.request(ops.OP_HEARTBEAT)
        self.assertIsNone(header.topology)
        self.cluster.add_node()
        header, _ = self.client.request(ops.OP_HEARTBEAT)
        self.assertEqual(header.topology, (2, 0))

    def test_first_reply_flag_even_on_error(self) -> None:
        header, _ = self.client.request(ops.OP_CACHE_GET, m.KeyOp(self.cache, 1))
        self.assertEqual((header.status, header.topology), (1000, (1, 0)))

    def test_old_framing_has_status_int(self) -> None:
        client = WireClient(self.cluster)
        client.handshake((1, 2, 0))
        frames = client.send(m.encode_request(7, ops.OP_GET_IDLE_TIMEOUT, m.NO_ARGS,
                                              client.proto))
        self.assertEqual(frames, [struct.pack("<qiq", 7, 0, 0)])

    def test_unknown_op_and_missing_cache(self) -> None:
        frames = self.client.send(encode_request_frame(4242, 9))
        decoded = decode_response_header(frames[0], True)
        self.assertEqual((decoded.status, decoded.message),
                         (2, "Invalid request op code: 4242"))
        self.assertEqual(self.error(ops.OP_CACHE_GET, m.KeyOp(m.CacheInfo(3387254), "a")),
                         (1000, "Cache does not exist [cacheId= 3387254]"))
        self.assertEqual(self.error(ops.OP_CACHE_DESTROY, m.CacheIdOp(5))[0], 1000)

    def test_malformed_body_closes_without_reply(self) -> None:
        frames = self.client.send(encode_request_frame(ops.OP_CACHE_GET, 1, b"\x01\x02"))
        self.assertEqual(frames, [])
        self.assertTrue(self.client.closed)

    def test_null_value_is_refused(self) -> None:
        self.call(ops.OP_CACHE_CREATE_WITH_NAME, m.CacheNameOp("c"))
        status, message = self.error(ops.OP_CACHE_PUT, m.KeyValueOp(self.cache, 1, None))
        self.assertEqual(status, 1)
        self.assertIn("val", message)

    def test_typed_keys_and_wrapped_complex_values(self) -> None:
        from txkv.ignite.datatypes import IntObject
        self.call(ops.OP_CACHE_CREATE_WITH_NAME, m.CacheNameOp("c"))
        self.call(ops.OP_CACHE_PUT, m.KeyValueOp(self.cache, 1, "long"))
        self.call(ops.OP_CACHE_PUT, m.KeyValueOp(self.cache, 1, "int", key_hint=IntObject))
        self.assertEqual(self.call(ops.OP_CACHE_GET, m.KeyOp(self.cache, 1)), "long")
        self.assertEqual(self.call(ops.OP_CACHE_GET, m.KeyOp(self.cache, 1, IntObject)), "int")
        self.assertEqual(self.call(ops.OP_CACHE_GET_SIZE, m.SizeOp(self.cache)), 2)

    def test_cursor_lifecycle(self) -> None:
        self.call(ops.OP_CACHE_CREATE_WITH_NAME, m.CacheNameOp("c"))
        self.call(ops.OP_CACHE_PUT_ALL, m.PairsOp(self.cache, [(i, i) for i in range(5)]))
        first = self.call(ops.OP_QUERY_SCAN, m.ScanQuery(self.cache, page_size=2))
        self.assertEqual((first.cursor_id, len(first.rows), first.more), (1, 2, True))
        page = self.call(ops.OP_QUERY_SCAN_CURSOR_GET_PAGE, m.ResourceOp(1))
        self.assertEqual((len(page.rows), page.more), (2, True))
        last = self.call(ops.OP_QUERY_SCAN_CURSOR_GET_PAGE, m.ResourceOp(1))
        self.assertEqual((len(last.rows), last.more), (1, False))
        # released on the last page: closing again is 1011
        self.assertEqual(self.error(ops.OP_RESOURCE_CLOSE, m.ResourceOp(1)),
                         (1011, "Failed to find resource with id: 1"))
        second = self.call(ops.OP_QUERY_SCAN, m.ScanQuery(self.cache, page_size=1))
        self.assertEqual(second.cursor_id, 2)
        self.call(ops.OP_RESOURCE_CLOSE, m.ResourceOp(2))
        self.assertEqual(self.error(ops.OP_RESOURCE_CLOSE, m.ResourceOp(2))[0], 1011)

    def test_every_page_holds_exactly_page_size_rows(self) -> None:
        self.call(ops.OP_CACHE_CREATE_WITH_NAME, m.CacheNameOp("c"))
        self.call(ops.OP_CACHE_PUT_ALL, m.PairsOp(self.cache, [(i, i) for i in range(5)]))
        for page_size in (1, 2, 5, 6):
            page = self.call(ops.OP_QUERY_SCAN, m.ScanQuery(self.cache, page_size=page_size))
            sizes, cursor_id = [len(page.rows)], page.cursor_id
            while page.more:
                page = self.call(ops.OP_QUERY_SCAN_CURSOR_GET_PAGE, m.ResourceOp(cursor_id))
                sizes.append(len(page.rows))
            full, rest = divmod(5, page_size)
            self.assertEqual(sizes, [page_size] * full + ([rest] if rest else []), page_size)

    def test_cursor_limit(self) -> None:
        self.call(ops.OP_CACHE_CREATE_WITH_NAME, m.CacheNameOp("c"))
        self.call(ops.OP_CACHE_PUT_ALL, m.PairsOp(self.cache, [(1, 1), (2, 2)]))
        for _ in range(128):
            self.call(ops.OP_QUERY_SCAN, m.ScanQuery(self.cache, page_size=1))
        status, message = self.error(ops.OP_QUERY_SCAN, m.ScanQuery(self.cache, page_size=1))
        self.assertEqual(status, 1010)
        self.assertIn("maximum=128", message)
        self.client.protocol.connectionLost()
        self.assertEqual(len(self.client.protocol.session or []), 0)

    def test_transactions(self) -> None:
        self.call(ops.OP_CACHE_CREATE_WITH_NAME, m.CacheNameOp("c"))
        tx_id = self.call(ops.OP_TX_START, m.TxStartOp(timeout=5000))
        self.assertEqual(tx_id, 1)
        in_tx = m.CacheInfo.build(self.cache.cache_id, tx_id=tx_id)
        self.call(ops.OP_CACHE_PUT, m.KeyValueOp(in_tx, "k", "v"))
        self.assertEqual(self.call(ops.OP_CACHE_GET, m.KeyOp(in_tx, "k")), "v")
        self.assertIsNone(self.call(ops.OP_CACHE_GET, m.KeyOp(self.cache, "k")))
        self.call(ops.OP_TX_END, m.TxEndOp(tx_id, True))
        self.assertEqual(self.call(ops.OP_CACHE_GET, m.KeyOp(self.cache, "k")), "v")
        self.assertEqual(self.error(ops.OP_TX_END, m.TxEndOp(tx_id, True)),
                         (1021, "Transaction with id 1 not found."))
        # rollback and timeout
        second = self.call(ops.OP_TX_START, m.TxStartOp(timeout=1000))
        self.assertEqual(second, 2)
        in_second = m.CacheInfo.build(self.cache.cache_id, tx_id=second)
        self.call(ops.OP_CACHE_PUT, m.KeyValueOp(in_second, "k", "changed"))
        self.clock.advance(2)
        self.assertEqual(self.error(ops.OP_CACHE_GET, m.KeyOp(in_second, "k"))[0], 1)
        self.assertEqual(self.error(ops.OP_TX_END, m.TxEndOp(second, True))[0], 1)
        self.assertEqual(self.call(ops.OP_CACHE_GET, m.KeyOp(self.cache, "k")), "v")

    def test_transaction_limit_and_disconnect(self) -> None:
        cluster = memory_cluster(clock=self.clock, max_transactions=2)
        client = WireClient(cluster)
        client.handshake()
        self.assertFalse(client.request(ops.OP_TX_START, m.TxStartOp())[0].is_error)
        self.assertFalse(client.request(ops.OP_TX_START, m.TxStartOp())[0].is_error)
        self.assertEqual(client.request(ops.OP_TX_START, m.TxStartOp())[0].status, 1020)
        session = client.protocol.session
        client.protocol.connectionLost()
        self.assertEqual(len(session.txs), 0)  # type: ignore[union-attr]

    def test_expiry(self) -> None:
        self.call(ops.OP_CACHE_CREATE_WITH_NAME, m.CacheNameOp("c"))
        policy = ops.ExpiryPolicy(create=1000, update=-2, access=-2)
        with_expiry = m.CacheInfo.build(self.cache.cache_id, expiry_policy=policy)
        self.call(ops.OP_CACHE_PUT, m.KeyValueOp(with_expiry, "k", 1))
        self.clock.advance(0.5)
        self.call(ops.OP_CACHE_PUT, m.KeyValueOp(self.cache, "k", 2))  # update: unchanged ttl
        self.assertEqual(self.call(ops.OP_CACHE_GET, m.KeyOp(self.cache, "k")), 2)
        self.clock.advance(0.6)
        self.assertIsNone(self.call(ops.OP_CACHE_GET, m.KeyOp(self.cache, "k")))
        access = m.CacheInfo.build(self.cache.cache_id,
                                   expiry_policy=ops.ExpiryPolicy(access=0))
        self.call(ops.OP_CACHE_PUT, m.KeyValueOp(self.cache, "a", 1))
        self.assertEqual(self.call(ops.OP_CACHE_GET, m.KeyOp(access, "a")), 1)
        self.assertIsNone(self.call(ops.OP_CACHE_GET, m.KeyOp(self.cache, "a")))

    def test_cache_expiry_policy_property(self) -> None:
        settings = {ops.PROP_NAME: "c", ops.PROP_EXPIRY_POLICY: ops.ExpiryPolicy(create=2000)}
        self.call(ops.OP_CACHE_CREATE_WITH_CONFIGURATION, m.CacheConfigOp(settings))
        config = self.call(ops.OP_CACHE_GET_CONFIGURATION, m.CacheOp(self.cache))
        self.assertEqual(config[ops.PROP_EXPIRY_POLICY], ops.ExpiryPolicy(create=2000))
        self.call(ops.OP_CACHE_PUT, m.KeyValueOp(self.cache, "k", 1))
        self.clock.advance(2.1)
        self.assertIsNone(self.call(ops.OP_CACHE_GET, m.KeyOp(self.cache, "k")))

    def test_cluster_state(self) -> None:
        self.call(ops.OP_CACHE_CREATE_WITH_NAME, m.CacheNameOp("c"))
        self.assertEqual(self.call(ops.OP_CLUSTER_GET_STATE), 1)
        self.call(ops.OP_CLUSTER_CHANGE_STATE, m.ClusterStateOp(ClusterState.ACTIVE_READ_ONLY))
        self.assertIsNone(self.call(ops.OP_CACHE_GET, m.KeyOp(self.cache, "k")))
        self.assertEqual(self.error(ops.OP_CACHE_PUT, m.KeyValueOp(self.cache, "k", 1))[0], 1)
        self.call(ops.OP_CLUSTER_CHANGE_STATE, m.ClusterStateOp(ClusterState.INACTIVE))
        status, message = self.error(ops.OP_CACHE_GET, m.KeyOp(self.cache, "k"))
        self.assertEqual(status, 1)
        self.assertTrue(message.startswith("Can not perform the operation because the cluster"))
        self.assertEqual(self.call(ops.OP_CLUSTER_GET_STATE), 0)

    def test_configuration_per_version(self) -> None:
        self.call(ops.OP_CACHE_CREATE_WITH_CONFIGURATION, m.CacheConfigOp(
            {ops.PROP_NAME: "c", ops.PROP_BACKUPS_NUMBER: 2, ops.PROP_CACHE_MODE: 1}))
        config = self.call(ops.OP_CACHE_GET_CONFIGURATION, m.CacheOp(self.cache))
        self.assertEqual((config[ops.PROP_NAME], config[ops.PROP_BACKUPS_NUMBER],
                          config[ops.PROP_CACHE_MODE]), ("c", 2, 1))
        old = WireClient(self.cluster)
        old.handshake((1, 5, 0))
        header, body = old.request(ops.OP_CACHE_GET_CONFIGURATION, m.CacheOp(self.cache))
        self.assertNotIn(ops.PROP_EXPIRY_POLICY, body)
        self.assertEqual(body[ops.PROP_BACKUPS_NUMBER], 2)
        self.assertEqual(self.error(ops.OP_CACHE_CREATE_WITH_NAME, m.CacheNameOp("c"))[0], 1001)
        self.call(ops.OP_CACHE_GET_OR_CREATE_WITH_NAME, m.CacheNameOp("c"))
        self.assertEqual(self.call(ops.OP_CACHE_GET_NAMES), ["c"])
        self.call(ops.OP_CACHE_DESTROY, m.CacheIdOp(self.cache.cache_id))
        self.assertEqual(self.call(ops.OP_CACHE_GET_NAMES), [])

    def test_binary_type_ops(self) -> None:
        from txkv.ignite.codec import BinaryTypeInfo, entity_id
        info = BinaryTypeInfo(entity_id("T"), "T", fields={"a": 3})
        info.schemas[123] = [entity_id("a")]
        self.assertIsNone(self.call(ops.OP_GET_BINARY_TYPE, m.TypeIdOp(info.type_id)))
        self.call(ops.OP_PUT_BINARY_TYPE, m.PutBinaryTypeOp(info))
        got = self.call(ops.OP_GET_BINARY_TYPE, m.TypeIdOp(info.type_id))
        self.assertEqual((got.type_name, got.fields, got.schemas),
                         ("T", {"a": 3}, {123: [entity_id("a")]}))
        changed = BinaryTypeInfo(info.type_id, "T", fields={"a": 9})
        self.assertEqual(self.error(ops.OP_PUT_BINARY_TYPE, m.PutBinaryTypeOp(changed))[0], 1)
        self.assertTrue(self.call(ops.OP_REGISTER_BINARY_TYPE_NAME,
                                  m.BinaryTypeNameOp(0, 77, "org.x.T")))
        self.assertFalse(self.call(ops.OP_REGISTER_BINARY_TYPE_NAME,
                                   m.BinaryTypeNameOp(0, 77, "org.y.T")))
        self.assertEqual(self.call(ops.OP_GET_BINARY_TYPE_NAME, m.BinaryTypeNameOp(0, 77)),
                         "org.x.T")

    def test_partition_map_and_local_peek(self) -> None:
        self.call(ops.OP_CACHE_CREATE_WITH_NAME, m.CacheNameOp("c"))
        self.call(ops.OP_CACHE_CREATE_WITH_CONFIGURATION, m.CacheConfigOp(
            {ops.PROP_NAME: "r", ops.PROP_CACHE_MODE: 1}))
        self.cluster.add_node()
        result = self.call(ops.OP_CACHE_PARTITIONS,
                           m.PartitionsOp([self.cache.cache_id, cache_id("r"), 99]))
        self.assertEqual(result.topology, (2, 0))
        applicable, other = result.groups
        self.assertTrue(applicable.applicable)
        self.assertEqual(list(applicable.caches), [self.cache.cache_id])
        owned = {node: len(parts) for node, parts in applicable.nodes.items()}
        self.assertEqual(sorted(owned.values()), [512, 512])
        self.assertEqual((other.applicable, list(other.caches)), (False, [cache_id("r")]))
        # 'a' hashes to partition 97: odd, owned by the second node
        self.call(ops.OP_CACHE_PUT, m.KeyValueOp(self.cache, "a", 1))
        self.assertIsNone(self.call(ops.OP_CACHE_LOCAL_PEEK, m.PeekOp(self.cache, "a")))
        second = WireClient(self.cluster, self.cluster.nodes[1])
        second.handshake()
        self.assertEqual(second.request(ops.OP_CACHE_LOCAL_PEEK, m.PeekOp(self.cache, "a"))[1],
                         1)
        self.assertEqual(self.cluster.nodes[1].stats.keys[-1].partition, 97)

    def test_handler_exception_becomes_status_1(self) -> None:
        self.call(ops.OP_CACHE_CREATE_WITH_NAME, m.CacheNameOp("c"))

        def broken(session: object, args: object) -> None:
            raise RuntimeError("boom")

        self.cluster.dispatcher._handlers[ops.OP_CACHE_GET] = broken
        self.assertEqual(self.error(ops.OP_CACHE_GET, m.KeyOp(self.cache, 1)), (1, "boom"))
        self.assertEqual(len(self.flushLoggedErrors(RuntimeError)), 1)
        self.assertFalse(self.client.closed)
        self.assertEqual(self.call(ops.OP_CACHE_GET_NAMES), ["c"])


class NodeStatsTests(SynchronousTestCase):
    def test_key_partitions_are_worked_out_when_read(self) -> None:
        from txkv.ignite.server.cluster import NodeStats
        from txkv.ignite.server.partitions import key_partition

        key = raw("a")
        stats = NodeStats(keep=2)
        stats.record(ops.OP_CACHE_PUT, 7, where=(key, {}, None, 1024))
        stats.record(ops.OP_CACHE_GET, 7, partition=5)
        stats.record(ops.OP_CACHE_GET)  # not a key operation: counted only
        lazy, given = stats.keys
        self.assertEqual(lazy.partition, key_partition(key, {}, None, 1024))
        self.assertEqual(lazy.partition, 97)  # 'a' hashes to 97 of 1024 (see above)
        self.assertEqual((given.op_code, given.cache_id, given.partition),
                         (ops.OP_CACHE_GET, 7, 5))
        self.assertEqual(stats.ops[ops.op_name(ops.OP_CACHE_GET)], 2)
        self.assertIn("partition=97", repr(lazy))
