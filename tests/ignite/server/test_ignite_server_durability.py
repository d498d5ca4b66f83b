"""Durability of the embedded Ignite server: everything acknowledged survives a restart on
the same data directory; plus the ``python -m txkv.ignite.server`` and twistd entry points."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile

from twisted.internet.task import Clock
from twisted.trial.unittest import SynchronousTestCase

from tests.ignite.server.fixtures import WireClient
from txkv.ignite.codec import BinaryTypeInfo, cache_id, entity_id, ops
from txkv.ignite.codec import messages as m
from txkv.ignite.codec.frames import decode_handshake_response, encode_handshake_request
from txkv.ignite.codec.ops import ClusterState
from txkv.ignite.server.cluster import IgniteCluster, ServerOptions
from txkv.tap.ignite import Options, listen_descriptions, makeService


class RestartDurability(SynchronousTestCase):
    def setUp(self) -> None:
        self.directory = tempfile.mkdtemp(prefix="txkv-ignite-")

    def start(self) -> tuple:
        clock = Clock()
        cluster = IgniteCluster(ServerOptions(data=self.directory), reactor=clock)
        cluster.add_node()
        client = WireClient(cluster)
        client.handshake()
        return cluster, client

    def test_data_configs_types_and_state_survive(self) -> None:
        cluster, client = self.start()
        info = m.CacheInfo(cache_id("durable"))
        settings = {ops.PROP_NAME: "durable", ops.PROP_BACKUPS_NUMBER: 2,
                    ops.PROP_EXPIRY_POLICY: ops.ExpiryPolicy(create=-1)}
        client.request(ops.OP_CACHE_CREATE_WITH_CONFIGURATION, m.CacheConfigOp(settings))
        client.request(ops.OP_CACHE_PUT_ALL, m.PairsOp(info, [(i, f"v{i}") for i in range(50)]))
        tx_id = client.request(ops.OP_TX_START, m.TxStartOp())[1]
        client.request(ops.OP_CACHE_PUT, m.KeyValueOp(m.CacheInfo.build(info.cache_id,
                                                                         tx_id=tx_id), "tx", 1))
        client.request(ops.OP_TX_END, m.TxEndOp(tx_id, True))
        type_info = BinaryTypeInfo(entity_id("Doc"), "Doc", fields={"n": 3})
        type_info.schemas[5] = [entity_id("n")]
        client.request(ops.OP_PUT_BINARY_TYPE, m.PutBinaryTypeOp(type_info))
        client.request(ops.OP_CLUSTER_CHANGE_STATE,
                       m.ClusterStateOp(ClusterState.ACTIVE_READ_ONLY))
        cluster.stop()

        cluster, client = self.start()
        self.addCleanup(cluster.stop)
        self.assertEqual(client.request(ops.OP_CLUSTER_GET_STATE)[1], 2)
        self.assertEqual(client.request(ops.OP_CACHE_GET_NAMES)[1], ["durable"])
        config = client.request(ops.OP_CACHE_GET_CONFIGURATION, m.CacheOp(info))[1]
        self.assertEqual(config[ops.PROP_BACKUPS_NUMBER], 2)
        self.assertEqual(config[ops.PROP_EXPIRY_POLICY], ops.ExpiryPolicy(create=-1))
        self.assertEqual(client.request(ops.OP_CACHE_GET_SIZE, m.SizeOp(info))[1], 51)
        self.assertEqual(client.request(ops.OP_CACHE_GET, m.KeyOp(info, 7))[1], "v7")
        self.assertEqual(client.request(ops.OP_CACHE_GET, m.KeyOp(info, "tx"))[1], 1)
        got = client.request(ops.OP_GET_BINARY_TYPE, m.TypeIdOp(type_info.type_id))[1]
        self.assertEqual((got.type_name, got.schemas), ("Doc", {5: [entity_id("n")]}))

    def test_destroyed_cache_stays_destroyed(self) -> None:
        cluster, client = self.start()
        client.request(ops.OP_CACHE_CREATE_WITH_NAME, m.CacheNameOp("gone"))
        client.request(ops.OP_CACHE_PUT, m.KeyValueOp(m.CacheInfo(cache_id("gone")), 1, 1))
        client.request(ops.OP_CACHE_DESTROY, m.CacheIdOp(cache_id("gone")))
        cluster.stop()
        cluster, client = self.start()
        self.addCleanup(cluster.stop)
        self.assertEqual(client.request(ops.OP_CACHE_GET_NAMES)[1], [])
        client.request(ops.OP_CACHE_CREATE_WITH_NAME, m.CacheNameOp("gone"))
        self.assertEqual(client.request(ops.OP_CACHE_GET_SIZE,
                                        m.SizeOp(m.CacheInfo(cache_id("gone"))))[1], 0)


class EntryPoints(SynchronousTestCase):
    def test_module_prints_ports_and_serves(self) -> None:
        process = subprocess.Popen(
            [sys.executable, "-m", "txkv.ignite.server", "--port", "0", "--nodes", "2",
             "--print-port"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.addCleanup(process.wait, 30)
        self.addCleanup(process.terminate)
        line = process.stdout.readline()  # type: ignore[union-attr]
        words = line.split()
        self.assertEqual(words[0], "PORTS", line)
        self.assertEqual(len(words), 3)
        for port in words[1:]:
            with socket.create_connection(("127.0.0.1", int(port)), timeout=10) as sock:
                sock.settimeout(10)
                sock.sendall(bytes(encode_handshake_request((1, 7, 0), features=[2])))
                data = b""
                while len(data) < 4 or len(data) < 4 + int.from_bytes(data[:4], "little"):
                    chunk = sock.recv(4096)
                    self.assertTrue(chunk, "server closed the connection")
                    data += chunk
                reply = decode_handshake_response(data[4:], (1, 7, 0))
                self.assertTrue(reply.success)

    def test_tap_options(self) -> None:
        options = Options()
        options.parseOptions(["--listen", "tcp:10900:interface=127.0.0.1", "--nodes", "3",
                              "--auth", "u:p", "--max-version", "1.4.0"])
        self.assertEqual(options["listen"], ["tcp:10900:interface=127.0.0.1",
                                             "tcp:10901:interface=127.0.0.1",
                                             "tcp:10902:interface=127.0.0.1"])
        self.assertEqual(options["auth"], ("u", "p"))
        self.assertEqual(options["max-version"], (1, 4, 0))
        self.assertEqual(listen_descriptions(["tcp:0"], 2), ["tcp:0", "tcp:0"])
        service = makeService(options)
        self.assertEqual(len(list(service)), 4)  # type: ignore[call-overload]

    def test_serve_options_are_accepted(self) -> None:
        from txkv.tap.serve import make_server_options

        _tap, options = make_server_options("ignite", "txkv.tap.ignite", 10800, "datadir",
                                            "127.0.0.1")
        self.assertEqual(options["listen"], ["tcp:10800:interface=127.0.0.1"])
        self.assertEqual(options["data"], os.path.join("datadir", "ignite"))
