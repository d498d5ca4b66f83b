"""IgniteProtocol on a StringTransport and a Clock: handshake, multiplexing, timeouts,
cancellation, notifications, heartbeats, topology tracking, binary-type metadata."""

from __future__ import annotations

import random
from collections import OrderedDict
from typing import Any, List

from twisted.internet.defer import CancelledError
from twisted.internet.error import ConnectionDone
from twisted.internet.task import Clock
from twisted.logger import globalLogPublisher
from twisted.python.failure import Failure
from twisted.trial.unittest import SynchronousTestCase

from tests.ignite.client_support import NODE_A, ready_protocol, wire_protocol
from txkv.errors import ConnectionLostError, NotConnectedError, ProtocolError, RequestTimeoutError
from txkv.ignite.binary import GenericObjectMeta
from txkv.ignite.codec import messages as m
from txkv.ignite.codec import ops
from txkv.ignite.codec.frames import begin_notification, finish_frame
from txkv.ignite.codec.registry import BinaryTypeInfo, CodecContext
from txkv.ignite.codec.values import write_object
from txkv.ignite.datatypes import IntObject, String
from txkv.ignite.errors import (
    AuthenticationError,
    CacheError,
    HandshakeError,
    SQLError,
)
from txkv.ignite.protocol import Credentials, IgniteClientFactory

INFO = m.CacheInfo(12345)


class Person(metaclass=GenericObjectMeta, type_name="Person", schema=OrderedDict([
        ("name", String), ("age", IntObject)])):
    pass


def result_of(d: Any) -> Any:
    box: List[Any] = []
    d.addBoth(box.append)
    assert box, "Deferred has not fired"
    return box[0]


class HandshakeTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.clock = Clock()

    def test_v170_success(self) -> None:
        protocol, server, factory = wire_protocol(self.clock)
        d = protocol.handshake()
        request = server.take_handshake()
        self.assertEqual(request.version, (1, 7, 0))
        self.assertEqual(request.client_code, 2)
        self.assertEqual(request.feature_set, {2, 11, 13})
        self.assertIsNone(request.username)
        self.assertFalse(d.called)
        server.accept((1, 7, 0), features=(2, 13))
        self.assertIs(result_of(d), protocol)
        self.assertEqual(protocol.context.version, (1, 7, 0))
        self.assertEqual(protocol.context.features, {2, 13})
        self.assertEqual(protocol.node_uuid, NODE_A)
        self.assertEqual(factory.version_hint, (1, 7, 0))
        self.assertTrue(protocol.ready)

    def test_fallback_to_120_on_same_socket(self) -> None:
        protocol, server, factory = wire_protocol(self.clock)
        d = protocol.handshake()
        self.assertEqual(server.take_handshake().version, (1, 7, 0))
        server.refuse((1, 2, 0), "Unsupported version: 1.7.0")
        self.assertFalse(d.called)
        retry = server.take_handshake()
        self.assertEqual(retry.version, (1, 2, 0))
        self.assertIsNone(retry.features)
        server.accept((1, 2, 0), features=())
        self.assertIs(result_of(d), protocol)
        self.assertEqual(protocol.context.version, (1, 2, 0))
        self.assertIsNone(protocol.node_uuid)
        # requests on a 1.2.0 connection use the old response header (int32 status)
        get = protocol.request(ops.OP_CACHE_GET, m.KeyOp(INFO, "a"))
        [request] = server.requests()
        server.reply(request, b"\x04" + (42).to_bytes(8, "little"))
        self.assertEqual(result_of(get), 42)

    def test_fallback_by_reconnecting(self) -> None:
        protocol, server, factory = wire_protocol(self.clock)
        d = protocol.handshake()
        server.take_handshake()
        server.refuse((1, 2, 0), "Unsupported version: 1.7.0")
        server.take_handshake()  # the retry on the same socket...
        protocol.connectionLost(Failure(ConnectionDone()))  # ...but the server hung up
        failure = result_of(d)
        self.assertIsInstance(failure.value, ConnectionLostError)
        self.assertEqual(factory.version_hint, (1, 2, 0))
        second = factory.buildProtocol(None)
        from twisted.internet.testing import StringTransport

        from tests.ignite.client_support import WireServer
        transport = StringTransport()
        second.makeConnection(transport)
        wire = WireServer(second, transport)
        d2 = second.handshake()
        self.assertEqual(wire.take_handshake().version, (1, 2, 0))
        wire.accept((1, 2, 0), features=())
        self.assertIs(result_of(d2), second)

    def test_authentication_failure(self) -> None:
        events: List[dict] = []
        globalLogPublisher.addObserver(events.append)
        self.addCleanup(globalLogPublisher.removeObserver, events.append)
        protocol, server, factory = wire_protocol(
            self.clock, credentials=Credentials("ignite", "s3cr3t-pw"))
        d = protocol.handshake()
        request = server.take_handshake()
        self.assertEqual((request.username, request.password), ("ignite", "s3cr3t-pw"))
        server.refuse((0, 0, 0), "The user name or password is incorrect", status=2000)
        failure = result_of(d)
        self.assertIsInstance(failure.value, AuthenticationError)
        self.assertTrue(server.transport.disconnecting)
        # no second attempt with another version
        self.assertEqual(server.take_payloads(), [])
        text = repr(protocol) + repr(factory) + repr(factory.credentials) + str(failure.value)
        text += "".join(repr(e) for e in events)
        self.assertNotIn("s3cr3t-pw", text)

    def test_unsupported_proposal(self) -> None:
        protocol, server, _ = wire_protocol(self.clock, versions=[(1, 7, 0), (1, 6, 0)])
        d = protocol.handshake()
        server.take_handshake()
        server.refuse((1, 2, 0), "Unsupported version: 1.7.0")
        failure = result_of(d)
        self.assertIsInstance(failure.value, HandshakeError)
        self.assertIsInstance(failure.value, OSError)
        self.assertEqual(failure.value.expected_version, (1, 2, 0))

    def test_handshake_timeout(self) -> None:
        protocol, server, _ = wire_protocol(self.clock, handshake_timeout=5.0)
        d = protocol.handshake()
        self.clock.advance(4.9)
        self.assertFalse(d.called)
        self.clock.advance(0.2)
        self.assertIsInstance(result_of(d).value, RequestTimeoutError)
        self.assertTrue(server.transport.disconnecting)

    def test_garbage_handshake_reply(self) -> None:
        protocol, server, _ = wire_protocol(self.clock)
        d = protocol.handshake()
        protocol.dataReceived(b"\x01\x00\x00\x00\x07")
        self.assertIsInstance(result_of(d).value, HandshakeError)

    def test_request_before_handshake(self) -> None:
        protocol, _, _ = wire_protocol(self.clock)
        d = protocol.request(ops.OP_CACHE_GET_NAMES)
        self.assertIsInstance(result_of(d).value, NotConnectedError)


class RequestTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.clock = Clock()
        self.protocol, self.server = ready_protocol(self.clock, timeout=10.0)

    def test_64_in_flight_out_of_order(self) -> None:
        ds = [self.protocol.request(ops.OP_CACHE_GET, m.KeyOp(INFO, f"k{i}")) for i in range(64)]
        self.assertEqual(self.protocol.in_flight, 64)
        requests = self.server.requests()
        self.assertEqual(len({r.request_id for r in requests}), 64)
        order = list(range(64))
        random.Random(7).shuffle(order)
        for index in order:
            request = requests[index]
            raw = bytearray()
            write_object(raw, f"value of k{index}")
            self.server.reply(request, bytes(raw))
        self.assertEqual([result_of(d) for d in ds], [f"value of k{i}" for i in range(64)])
        self.assertEqual(self.protocol.in_flight, 0)

    def test_replies_in_one_chunk_and_split(self) -> None:
        ds = [self.protocol.request(ops.OP_CACHE_CONTAINS_KEY, m.KeyOp(INFO, i)) for i in range(3)]
        requests = self.server.requests()
        data = b"".join(bytes(m.encode_response(r.request_id, r.op_code, True, self.server.proto))
                        for r in requests)
        self.protocol.dataReceived(data[:5])
        self.protocol.dataReceived(data[5:31])
        self.protocol.dataReceived(data[31:])
        self.assertEqual([result_of(d) for d in ds], [True, True, True])

    def test_timeout(self) -> None:
        d = self.protocol.request(ops.OP_CACHE_GET, m.KeyOp(INFO, "a"), timeout=1.0)
        other = self.protocol.request(ops.OP_CACHE_GET_NAMES)
        [request, names] = self.server.requests()
        self.clock.advance(1.0)
        self.assertIsInstance(result_of(d).value, RequestTimeoutError)
        self.assertEqual(self.protocol.in_flight, 1)
        self.server.reply(request, None)  # late reply: dropped
        self.server.reply(names, ["x"])
        self.assertEqual(result_of(other), ["x"])
        self.assertEqual(self.protocol.in_flight, 0)

    def test_default_timeout(self) -> None:
        d = self.protocol.request(ops.OP_CACHE_GET_NAMES)
        self.clock.advance(10.0)
        self.assertIsInstance(result_of(d).value, RequestTimeoutError)

    def test_cancel(self) -> None:
        d = self.protocol.request(ops.OP_CACHE_GET, m.KeyOp(INFO, "a"))
        [request] = self.server.requests()
        d.cancel()
        self.assertIsInstance(result_of(d).value, CancelledError)
        self.assertEqual(self.protocol.in_flight, 0)
        self.server.reply(request, None)  # nobody waits: dropped, no error
        self.assertTrue(self.protocol.ready)

    def test_server_error(self) -> None:
        d = self.protocol.request(ops.OP_CACHE_GET, m.KeyOp(INFO, "a"))
        sql = self.protocol.request(ops.OP_QUERY_SQL_FIELDS, m.SqlFieldsQuery(INFO, "bad"))
        [get, query] = self.server.requests()
        self.server.error(get, 1000, "Cache does not exist [cacheId= 12345]")
        self.server.error(query, 1, "Failed to parse query")
        error = result_of(d).value
        self.assertIsInstance(error, CacheError)
        self.assertEqual(error.code, 1000)
        self.assertEqual(error.server_message, "Cache does not exist [cacheId= 12345]")
        self.assertIsInstance(result_of(sql).value, SQLError)

    def test_encoding_error_sends_nothing(self) -> None:
        d = self.protocol.request(ops.OP_CACHE_PUT, m.KeyValueOp(INFO, "a", object()))
        self.assertIsInstance(result_of(d).value, CacheError.__mro__[-3])  # TxKVError
        self.assertEqual(self.server.take_payloads(), [])
        self.assertEqual(self.protocol.in_flight, 0)

    def test_connection_lost_fails_everything(self) -> None:
        ds = [self.protocol.request(ops.OP_CACHE_GET_NAMES) for _ in range(3)]
        self.protocol.connectionLost(Failure(ConnectionDone()))
        for d in ds:
            error = result_of(d).value
            self.assertIsInstance(error, ConnectionLostError)
            self.assertIsInstance(error, OSError)
        self.assertIsInstance(result_of(self.protocol.request(ops.OP_CACHE_GET_NAMES)).value,
                              NotConnectedError)

    def test_bad_frame_fails_everything(self) -> None:
        d = self.protocol.request(ops.OP_CACHE_GET_NAMES)
        self.protocol.dataReceived(b"\xff\xff\xff\xff")
        self.assertIsInstance(result_of(d).value, ProtocolError)
        self.assertTrue(self.server.transport.disconnecting)


class ServerPushTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.clock = Clock()

    def test_topology_flag(self) -> None:
        seen: List[Any] = []
        protocol, server = ready_protocol(
            self.clock, on_topology=lambda p, version: seen.append(version))
        d = protocol.request(ops.OP_CACHE_GET_NAMES)
        [request] = server.requests()
        server.reply(request, ["a"], topology=(3, 1))
        self.assertEqual(result_of(d), ["a"])
        self.assertEqual(protocol.topology_version, (3, 1))
        d = protocol.request(ops.OP_CACHE_GET_NAMES)
        [request] = server.requests()
        server.reply(request, [], topology=(2, 0))  # older: the newest is kept
        self.assertEqual(protocol.topology_version, (3, 1))
        self.assertEqual(seen, [(3, 1), (2, 0)])

    def test_notification_goes_to_listener(self) -> None:
        protocol, server = ready_protocol(self.clock)
        notes: List[Any] = []
        protocol.notification_listener = lambda p, note: notes.append(note)
        pending = protocol.request(ops.OP_CACHE_GET_NAMES)
        [request] = server.requests()
        frame = begin_notification(request.request_id, ops.OP_QUERY_CONTINUOUS_EVENT_NOTIFICATION)
        frame += b"\x65\x65\x65\x00"
        protocol.dataReceived(bytes(finish_frame(frame)))
        self.assertEqual(len(notes), 1)
        note = notes[0]
        self.assertEqual(note.op_code, ops.OP_QUERY_CONTINUOUS_EVENT_NOTIFICATION)
        self.assertEqual(note.resource_id, request.request_id)
        self.assertEqual(note.payload[note.body_offset:], b"\x65\x65\x65\x00")
        self.assertFalse(pending.called)  # a notification is not a reply
        server.reply(request, [])
        self.assertEqual(result_of(pending), [])

    def test_heartbeats_at_a_third_of_idle_timeout(self) -> None:
        protocol, server = ready_protocol(self.clock, features=(2, 11, 13))
        [idle] = server.requests()
        self.assertEqual(idle.op_code, ops.OP_GET_IDLE_TIMEOUT)
        server.reply(idle, 3000)
        self.assertEqual(protocol.idle_timeout, 3.0)
        self.clock.advance(0.99)
        self.assertEqual(server.requests(), [])
        self.clock.advance(0.01)
        [beat] = server.requests()
        self.assertEqual(beat.op_code, ops.OP_HEARTBEAT)
        server.reply(beat)
        # traffic postpones the next heartbeat
        self.clock.advance(0.5)
        names = protocol.request(ops.OP_CACHE_GET_NAMES)
        server.reply(server.requests()[0], [])
        self.assertEqual(result_of(names), [])
        self.clock.advance(0.5)
        self.assertEqual(server.requests(), [])
        self.clock.advance(0.5)
        [beat] = server.requests()
        self.assertEqual(beat.op_code, ops.OP_HEARTBEAT)
        server.reply(beat)
        protocol.connectionLost(Failure(ConnectionDone()))
        self.assertEqual(self.clock.getDelayedCalls(), [])

    def test_no_heartbeats_without_idle_timeout(self) -> None:
        protocol, server = ready_protocol(self.clock, features=(2, 11))
        [idle] = server.requests()
        server.reply(idle, 0)
        self.clock.advance(100)
        self.assertEqual(server.requests(), [])

    def test_no_heartbeats_without_feature(self) -> None:
        protocol, server = ready_protocol(self.clock, features=(2,))
        self.assertEqual(server.requests(), [])


class BinaryTypeTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.clock = Clock()

    def test_unknown_schema_is_fetched(self) -> None:
        codec = CodecContext()
        protocol, server = ready_protocol(self.clock, codec=codec)
        raw = bytearray()
        write_object(raw, Person(name="Bob", age=30), None, CodecContext())
        d = protocol.request(ops.OP_CACHE_GET, m.KeyOp(INFO, 1))
        [get] = server.requests()
        server.reply(get, bytes(raw))
        self.assertNoResult(d)
        [meta] = server.requests()
        self.assertEqual(meta.op_code, ops.OP_GET_BINARY_TYPE)
        self.assertEqual(meta.args.type_id, Person.type_id)
        server.reply(meta, BinaryTypeInfo.from_class(Person))
        value = result_of(d)
        self.assertEqual((value.name, value.age), ("Bob", 30))
        self.assertEqual(type(value).type_name, "Person")

    def test_unknown_type_fails_clearly(self) -> None:
        protocol, server = ready_protocol(self.clock)
        raw = bytearray()
        write_object(raw, Person(name="Bob", age=30), None, CodecContext())
        d = protocol.request(ops.OP_CACHE_GET, m.KeyOp(INFO, 1))
        server.reply(server.requests()[0], bytes(raw))
        server.reply(server.requests()[0], None)
        self.assertIsInstance(result_of(d).value, ProtocolError)

    def test_written_class_is_registered_first(self) -> None:
        codec = CodecContext()
        protocol, server = ready_protocol(self.clock, codec=codec)
        d = protocol.request(ops.OP_CACHE_PUT, m.KeyValueOp(INFO, 1, Person(name="A", age=1)))
        second = protocol.request(ops.OP_CACHE_PUT,
                                  m.KeyValueOp(INFO, 2, Person(name="B", age=2)))
        [get_type] = server.requests()  # the puts wait for the registration
        self.assertEqual(get_type.op_code, ops.OP_GET_BINARY_TYPE)
        server.reply(get_type, None)
        [put_type] = server.requests()
        self.assertEqual(put_type.op_code, ops.OP_PUT_BINARY_TYPE)
        self.assertEqual(put_type.args.info.type_name, "Person")
        self.assertEqual(set(put_type.args.info.fields), {"name", "age"})
        server.reply(put_type)
        puts = server.requests()
        self.assertEqual([r.op_code for r in puts], [ops.OP_CACHE_PUT, ops.OP_CACHE_PUT])
        for request in puts:
            server.reply(request)
        self.assertIsNone(result_of(d))
        self.assertIsNone(result_of(second))
        self.assertIs(codec.classes[Person.type_id], Person)
        # known now: no more metadata traffic
        protocol.request(ops.OP_CACHE_PUT, m.KeyValueOp(INFO, 3, Person(name="C", age=3)))
        self.assertEqual([r.op_code for r in server.requests()], [ops.OP_CACHE_PUT])

    def test_failed_registration_fails_the_request(self) -> None:
        protocol, server = ready_protocol(self.clock, codec=CodecContext())
        d = protocol.request(ops.OP_CACHE_PUT, m.KeyValueOp(INFO, 1, Person(name="A", age=1)))
        [get_type] = server.requests()
        server.error(get_type, 1, "metadata store unavailable")
        self.assertIsInstance(result_of(d).value, CacheError)
        self.assertEqual(server.requests(), [])
        self.assertEqual(protocol.in_flight, 0)


class FactoryTests(SynchronousTestCase):
    def test_repr_hides_credentials(self) -> None:
        factory = IgniteClientFactory(clock=Clock(),
                                      credentials=Credentials("admin", "hunter2-pw"))
        self.assertNotIn("hunter2-pw", repr(factory))
        self.assertNotIn("admin", repr(factory.credentials))

    def test_unknown_versions_refused(self) -> None:
        with self.assertRaises(HandshakeError):
            IgniteClientFactory(clock=Clock(), versions=[(2, 0, 0)])
