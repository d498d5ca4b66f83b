"""Hypothesis fuzzing of the server's frame and request parsing (in memory, fake clock):
random bytes, random bodies for every op code never crash the server, always end in a reply
or a clean close, and never disturb another connection."""

from __future__ import annotations

import struct

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from twisted.internet.task import Clock
from twisted.trial.unittest import SynchronousTestCase

from tests.ignite.server.fixtures import WireClient, memory_cluster
from txkv.ignite.codec import cache_id, ops
from txkv.ignite.codec import messages as m
from txkv.ignite.codec.frames import decode_response_header, encode_request_frame

_OP_CODES = sorted(m.OP_SPECS) + [3, 999, 1102, 4242, 9000, 32767, -1]
_FUZZ = settings(max_examples=300, deadline=None,
                 suppress_health_check=[HealthCheck.too_slow])


class ServerFuzz(SynchronousTestCase):
    def setUp(self) -> None:
        self.clock = Clock()
        self.cluster = memory_cluster(clock=self.clock, max_frame_size=1 << 16)
        self.cache = m.CacheInfo(cache_id("fuzz"))
        self.bystander = WireClient(self.cluster)
        self.bystander.handshake()
        header, _ = self.bystander.request(ops.OP_CACHE_GET_OR_CREATE_WITH_NAME,
                                           m.CacheNameOp("fuzz"))
        self.assertFalse(header.is_error)
        self.bystander.request(ops.OP_CACHE_PUT, m.KeyValueOp(self.cache, "k", "v"))

    def assert_bystander_fine(self) -> None:
        header, _ = self.bystander.request(ops.OP_CACHE_GET_NAMES)
        self.assertFalse(self.bystander.closed)
        self.assertFalse(header.is_error, header.message)

    @_FUZZ
    @given(st.binary(max_size=300))
    def test_random_bytes_before_handshake(self, data: bytes) -> None:
        client = WireClient(self.cluster)
        client.send(data)  # must not raise
        self.clock.advance(11)
        self.assertTrue(client.closed or client.protocol.session is not None)
        self.assert_bystander_fine()

    @_FUZZ
    @given(st.sampled_from(_OP_CODES), st.binary(max_size=200),
           st.sampled_from([(1, 7, 0), (1, 2, 0)]))
    def test_random_bodies(self, op_code: int, body: bytes, version: tuple) -> None:
        client = WireClient(self.cluster)
        client.handshake(version)
        frames = client.send(encode_request_frame(op_code, 77, body))
        if client.closed:
            self.assertEqual(frames, [])
        else:
            self.assertEqual(len(frames), 1)
            header = decode_response_header(frames[0], client.proto.status_flags)
            self.assertEqual(header.request_id, 77)
            # the connection still serves requests
            reply, _ = client.request(ops.OP_HEARTBEAT)
            self.assertFalse(reply.is_error)
        self.assert_bystander_fine()

    @_FUZZ
    @given(st.sampled_from([o for o in _OP_CODES if o in m.OP_SPECS]),
           st.binary(min_size=1, max_size=60), st.integers(0, 40))
    def test_valid_cache_prefix_random_tail(self, op_code: int, tail: bytes,
                                            cut: int) -> None:
        client = WireClient(self.cluster)
        client.handshake()
        prefix = struct.pack("<iB", self.cache.cache_id, 0)
        client.send(encode_request_frame(op_code, 5, prefix + tail[:cut]))
        self.assert_bystander_fine()

    @_FUZZ
    @given(st.lists(st.binary(max_size=40), max_size=8))
    def test_chunked_stream(self, chunks: list) -> None:
        client = WireClient(self.cluster)
        client.handshake()
        for chunk in chunks:
            client.send(struct.pack("<i", len(chunk)) + chunk)
            if client.closed:
                break
        self.assert_bystander_fine()
