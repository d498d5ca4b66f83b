"""Ignite op bodies: golden request/response bytes from the protocol brief (section 10), a
client-encode -> server-decode -> server-encode -> client-decode round trip for every op, the
version/feature-dependent fields, and fuzzing of the server request decoder and the client
response decoders."""

from __future__ import annotations

import uuid
from typing import Any, Dict, List, NamedTuple, Union

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from txkv.errors import ParameterError, ProtocolError
from txkv.ignite.codec import cache_config as cc
from txkv.ignite.codec import frames as fr
from txkv.ignite.codec import messages as m
from txkv.ignite.codec import ops
from txkv.ignite.codec.ops import ExpiryPolicy, Feature, ProtocolContext
from txkv.ignite.codec.registry import BinaryTypeInfo
from txkv.ignite.codec.values import write_object
from txkv.ignite.errors import NotSupportedByClusterError

MY_CACHE = 2012078094  # String.hashCode("my cache")
C = m.CacheInfo(MY_CACHE)
NODE = uuid.UUID("a1b2c3d4-e5f6-0718-293a-4b5c6d7e8f90")
P170 = ProtocolContext((1, 7, 0), {Feature.CLUSTER_API})
P170_ALL = ProtocolContext((1, 7, 0), set(Feature))
P160 = ProtocolContext((1, 6, 0))
P140 = ProtocolContext((1, 4, 0))
P120 = ProtocolContext((1, 2, 0))
PROTOCOLS = [P170, P170_ALL, P160, P140, P120]


def h(text: str) -> bytes:
    return bytes.fromhex(text.replace(" ", "").replace("|", ""))


def raw(value: Any) -> bytes:
    buf = bytearray()
    write_object(buf, value)
    return bytes(buf)


def body_of(frame: Union[bytes, bytearray], proto: ProtocolContext) -> Any:
    header = fr.decode_response_header(frame[4:], proto.status_flags)
    assert not header.is_error
    return header


# -- golden vectors (brief 10.4-10.9) -------------------------------------------------------------


def test_get_or_create_with_name_golden() -> None:
    request = m.encode_request(1, ops.OP_CACHE_GET_OR_CREATE_WITH_NAME, m.CacheNameOp("my cache"))
    assert request == h("17 00 00 00 1c 04 01 00 00 00 00 00 00 00 09 08 00 00 00"
                        "6d 79 20 63 61 63 68 65")
    reply = m.encode_response(1, ops.OP_CACHE_GET_OR_CREATE_WITH_NAME, None, P170,
                              topology=(1, 0))
    assert reply == h("16 00 00 00 01 00 00 00 00 00 00 00 02 00 01 00 00 00 00 00 00 00"
                      "00 00 00 00")
    decoded = m.decode_request(request[4:], P170)
    assert decoded == m.DecodedRequest(1052, 1, m.CacheNameOp("my cache"))


def test_put_golden() -> None:
    request = m.encode_request(2, ops.OP_CACHE_PUT, m.KeyValueOp(C, "a", 42), P170)
    assert request == h("1e 00 00 00 e9 03 02 00 00 00 00 00 00 00 0e e0 ed 77 00"
                        "09 01 00 00 00 61 04 2a 00 00 00 00 00 00 00")
    assert m.encode_response(2, ops.OP_CACHE_PUT, None, P170) == \
        h("0a 00 00 00 02 00 00 00 00 00 00 00 00 00")
    decoded = m.decode_request(request[4:], P170)
    assert decoded.args == m.KeyValueOp(C, h("09 01 00 00 00 61"), h("04 2a 00 00 00 00 00 00 00"))


def test_get_golden_both_header_styles() -> None:
    request = m.encode_request(3, ops.OP_CACHE_GET, m.KeyOp(C, "a"), P170)
    assert request == h("15 00 00 00 e8 03 03 00 00 00 00 00 00 00 0e e0 ed 77 00"
                        "09 01 00 00 00 61")
    reply = m.encode_response(3, ops.OP_CACHE_GET, raw(42), P170)
    assert reply == h("13 00 00 00 03 00 00 00 00 00 00 00 00 00 04 2a 00 00 00 00 00 00 00")
    header = body_of(reply, P170)
    assert m.decode_response_body(1000, reply[4:], header.body_offset, P170) == 42
    old = m.encode_response(10, ops.OP_CACHE_GET, raw(42), P120)
    assert old == h("15 00 00 00 0a 00 00 00 00 00 00 00 00 00 00 00 04 2a 00 00 00 00 00 00 00")
    header = body_of(old, P120)
    assert m.decode_response_body(1000, old[4:], header.body_offset, P120) == 42


def test_partitions_golden() -> None:
    request = m.encode_request(6, ops.OP_CACHE_PARTITIONS, m.PartitionsOp([MY_CACHE]), P170)
    assert request == h("12 00 00 00 4d 04 06 00 00 00 00 00 00 00 01 00 00 00 0e e0 ed 77")
    result = m.PartitionsResult((1, 0), [m.PartitionGroup(
        True, {MY_CACHE: {}}, {NODE: list(range(1024))})])
    reply = m.encode_response(6, ops.OP_CACHE_PARTITIONS, result, P170)
    start = h("40 10 00 00 06 00 00 00 00 00 00 00 00 00 | 01 00 00 00 00 00 00 00 00 00 00 00 |"
              "01 00 00 00 | 01 01 00 00 00 0e e0 ed 77 00 00 00 00 | 01 00 00 00 0a 18 07 f6 e5 d4"
              "c3 b2 a1 90 8f 7e 6d 5c 4b 3a 29 | 00 04 00 00 00 00 00 00 01 00 00 00 02 00 00 00")
    assert reply.startswith(start) and len(reply) == 0x1040 + 4
    header = body_of(reply, P170)
    assert m.decode_response_body(1101, reply[4:], header.body_offset, P170) == result


def test_scan_golden() -> None:
    request = m.encode_request(5, ops.OP_QUERY_SCAN, m.ScanQuery(C, page_size=2), P170)
    assert request == h("19 00 00 00 d0 07 05 00 00 00 00 00 00 00 0e e0 ed 77 00 65"
                        "02 00 00 00 ff ff ff ff 00")


def test_sql_fields_golden() -> None:
    query = m.SqlFieldsQuery(m.CacheInfo(0), "SELECT ?", [7], schema="PUBLIC",
                             statement_type=ops.StatementType.SELECT, include_field_names=True)
    request = m.encode_request(6, ops.OP_QUERY_SQL_FIELDS, query, P170)
    assert request == h(
        "4c 00 00 00 d4 07 06 00 00 00 00 00 00 00 00 00 00 00 00 09 06 00 00 00 50 55 42 4c 49 43"
        "00 04 00 00 ff ff ff ff 09 08 00 00 00 53 45 4c 45 43 54 20 3f 01 00 00 00 04 07 00 00 00"
        "00 00 00 00 01 00 00 00 00 00 00 00 00 00 00 00 00 00 00 01")


def test_create_with_configuration_golden() -> None:
    settings_ = {ops.PROP_NAME: "c1", ops.PROP_CACHE_MODE: 2, ops.PROP_BACKUPS_NUMBER: 1}
    request = m.encode_request(7, ops.OP_CACHE_CREATE_WITH_CONFIGURATION,
                               m.CacheConfigOp(settings_), P170)
    assert request == h("25 00 00 00 1d 04 07 00 00 00 00 00 00 00 ee ff ff ff 03 00 00 00 09"
                        "02 00 00 00 63 31 01 00 02 00 00 00 03 00 01 00 00 00")
    assert m.decode_request(request[4:], P170).args == m.CacheConfigOp(settings_)


def test_get_with_expiry_golden() -> None:
    cache = m.CacheInfo.build(MY_CACHE, expiry_policy=ExpiryPolicy(create=1000))
    request = m.encode_request(8, ops.OP_CACHE_GET, m.KeyOp(cache, "a"), P170)
    assert request == h("2d 00 00 00 e8 03 08 00 00 00 00 00 00 00 0e e0 ed 77 04 e8 03 00 00 00"
                        "00 00 00 fe ff ff ff ff ff ff ff fe ff ff ff ff ff ff ff"
                        "09 01 00 00 00 61")
    args = m.decode_request(request[4:], P170).args
    assert args.cache.expiry == (1000, -2, -2)
    assert args.cache.expiry_policy == ExpiryPolicy(create=1000)


def test_error_reply_golden_decodes_as_error() -> None:
    message = "Cache does not exist [cacheId= 3387254]"
    frame = h("3a 00 00 00 04 00 00 00 00 00 00 00 01 00 e8 03 00 00 09 27 00 00 00") + \
        message.encode()
    header = fr.decode_response_header(frame[4:], True)
    assert (header.request_id, header.status, header.message) == (4, 1000, message)


# -- cache-info prefix ----------------------------------------------------------------------------


def test_cache_info_flags() -> None:
    info = m.CacheInfo.build(5, expiry_policy=ExpiryPolicy(access=0), tx_id=9, keep_binary=True)
    assert info.flags == 0x07 and info.keep_binary
    buf = bytearray()
    m.write_cache_info(buf, info, P170)
    assert bytes(buf) == h("05 00 00 00 07 fe ff ff ff ff ff ff ff fe ff ff ff ff ff ff ff"
                           "00 00 00 00 00 00 00 00 09 00 00 00")
    assert m.read_cache_info(buf, 0) == (info, len(buf))
    with pytest.raises(NotSupportedByClusterError):
        m.write_cache_info(bytearray(), info, ProtocolContext((1, 5, 0)))
    with pytest.raises(NotSupportedByClusterError):
        m.write_cache_info(bytearray(), m.CacheInfo.build(5, tx_id=1), P140)
    with pytest.raises(ParameterError):
        m.write_cache_info(bytearray(), m.CacheInfo(5, flags=0x02), P170)
    with pytest.raises(ParameterError):
        m.write_cache_info(bytearray(), m.CacheInfo(5, flags=0x04), P170)


# -- every op round trip --------------------------------------------------------------------------

INFO = BinaryTypeInfo(type_id=-991716523, type_name="Person",
                      fields={"name": 9, "age": 3}, schemas={1946200325: [3373707, 96511]})
CONFIG: Dict[int, Any] = {ops.PROP_NAME: "c1", ops.PROP_CACHE_MODE: ops.CacheMode.REPLICATED,
          ops.PROP_QUERY_ENTITIES: [{
              "key_type_name": "java.lang.Long", "value_type_name": "V", "table_name": "T",
              "key_field_name": None, "value_field_name": None,
              "query_fields": [{"name": "A", "type_name": "java.lang.Long", "is_key_field": False,
                                "is_notnull_constraint_field": False, "default_value": 3,
                                "precision": -1, "scale": -1}],
              "field_name_aliases": [], "query_indexes": []}]}
CONFIG_RAW = {**CONFIG, ops.PROP_QUERY_ENTITIES: [dict(
    CONFIG[ops.PROP_QUERY_ENTITIES][0],
    query_fields=[dict(CONFIG[ops.PROP_QUERY_ENTITIES][0]["query_fields"][0],
                       default_value=raw(3))])]}


class Sample(NamedTuple):
    op: int
    args: Any
    server_args: Any
    result: Any
    value: Any
    options: Dict[str, Any] = {}


def samples() -> List[Sample]:
    a, b, one, two = raw("a"), raw("b"), raw(1), raw(2)
    partitions = m.PartitionsResult((3, 1), [
        m.PartitionGroup(True, {MY_CACHE: {7: 8}, 5: {}}, {NODE: [0, 2], uuid.UUID(int=1): [1]}),
        m.PartitionGroup(False, {99: {}}, {}),
    ])
    return [
        Sample(ops.OP_RESOURCE_CLOSE, m.ResourceOp(5), m.ResourceOp(5), None, None),
        Sample(ops.OP_HEARTBEAT, m.NO_ARGS, m.NO_ARGS, None, None),
        Sample(ops.OP_GET_IDLE_TIMEOUT, m.NO_ARGS, m.NO_ARGS, 30000, 30000),
        Sample(ops.OP_CACHE_GET, m.KeyOp(C, "a"), m.KeyOp(C, a), one, 1),
        Sample(ops.OP_CACHE_PUT, m.KeyValueOp(C, "a", 1), m.KeyValueOp(C, a, one), None, None),
        Sample(ops.OP_CACHE_PUT_IF_ABSENT, m.KeyValueOp(C, "a", 1), m.KeyValueOp(C, a, one),
               True, True),
        Sample(ops.OP_CACHE_GET_ALL, m.KeysOp(C, ["a", "b"]), m.KeysOp(C, [a, b]),
               [(a, one), (b, two)], [("a", 1), ("b", 2)]),
        Sample(ops.OP_CACHE_PUT_ALL, m.PairsOp(C, [("a", 1), ("b", 2)]),
               m.PairsOp(C, [(a, one), (b, two)]), None, None),
        Sample(ops.OP_CACHE_GET_AND_PUT, m.KeyValueOp(C, "a", 2), m.KeyValueOp(C, a, two),
               one, 1),
        Sample(ops.OP_CACHE_GET_AND_REPLACE, m.KeyValueOp(C, "a", 2), m.KeyValueOp(C, a, two),
               None, None),
        Sample(ops.OP_CACHE_GET_AND_REMOVE, m.KeyOp(C, "a"), m.KeyOp(C, a), two, 2),
        Sample(ops.OP_CACHE_GET_AND_PUT_IF_ABSENT, m.KeyValueOp(C, "a", 2),
               m.KeyValueOp(C, a, two), one, 1),
        Sample(ops.OP_CACHE_REPLACE, m.KeyValueOp(C, "a", 2), m.KeyValueOp(C, a, two),
               False, False),
        Sample(ops.OP_CACHE_REPLACE_IF_EQUALS, m.KeyValueValueOp(C, "a", 1, 2),
               m.KeyValueValueOp(C, a, one, two), True, True),
        Sample(ops.OP_CACHE_CONTAINS_KEY, m.KeyOp(C, "a"), m.KeyOp(C, a), True, True),
        Sample(ops.OP_CACHE_CONTAINS_KEYS, m.KeysOp(C, ["a"]), m.KeysOp(C, [a]), False, False),
        Sample(ops.OP_CACHE_CLEAR, m.CacheOp(C), m.CacheOp(C), None, None),
        Sample(ops.OP_CACHE_CLEAR_KEY, m.KeyOp(C, "a"), m.KeyOp(C, a), None, None),
        Sample(ops.OP_CACHE_CLEAR_KEYS, m.KeysOp(C, []), m.KeysOp(C, []), None, None),
        Sample(ops.OP_CACHE_REMOVE_KEY, m.KeyOp(C, "a"), m.KeyOp(C, a), True, True),
        Sample(ops.OP_CACHE_REMOVE_IF_EQUALS, m.KeyValueOp(C, "a", 1), m.KeyValueOp(C, a, one),
               False, False),
        Sample(ops.OP_CACHE_REMOVE_KEYS, m.KeysOp(C, ["a", "b"]), m.KeysOp(C, [a, b]),
               None, None),
        Sample(ops.OP_CACHE_REMOVE_ALL, m.CacheOp(C), m.CacheOp(C), None, None),
        Sample(ops.OP_CACHE_GET_SIZE, m.SizeOp(C, [0, 2]), m.SizeOp(C, [0, 2]), 17, 17),
        Sample(ops.OP_CACHE_LOCAL_PEEK, m.PeekOp(C, "a", [4]), m.PeekOp(C, a, [4]), one, 1),
        Sample(ops.OP_CACHE_GET_NAMES, m.NO_ARGS, m.NO_ARGS, ["a", "my cache"], ["a", "my cache"]),
        Sample(ops.OP_CACHE_CREATE_WITH_NAME, m.CacheNameOp("x"), m.CacheNameOp("x"), None, None),
        Sample(ops.OP_CACHE_GET_OR_CREATE_WITH_NAME, m.CacheNameOp("x"), m.CacheNameOp("x"),
               None, None),
        Sample(ops.OP_CACHE_CREATE_WITH_CONFIGURATION, m.CacheConfigOp(CONFIG),
               m.CacheConfigOp(CONFIG_RAW), None, None),
        Sample(ops.OP_CACHE_GET_OR_CREATE_WITH_CONFIGURATION, m.CacheConfigOp(CONFIG),
               m.CacheConfigOp(CONFIG_RAW), None, None),
        Sample(ops.OP_CACHE_GET_CONFIGURATION, m.CacheOp(C), m.CacheOp(C), CONFIG_RAW,
               {**cc.DEFAULT_CONFIGURATION, **CONFIG}),
        Sample(ops.OP_CACHE_DESTROY, m.CacheIdOp(-5), m.CacheIdOp(-5), None, None),
        Sample(ops.OP_CACHE_PARTITIONS, m.PartitionsOp([MY_CACHE, 5], True),
               m.PartitionsOp([MY_CACHE, 5], True), partitions, partitions),
        Sample(ops.OP_QUERY_SCAN, m.ScanQuery(C, 10, 3, True), m.ScanQuery(C, 10, 3, True),
               m.CursorPage([(a, one)], True, 1), m.CursorPage([("a", 1)], True, 1)),
        Sample(ops.OP_QUERY_SCAN_CURSOR_GET_PAGE, m.ResourceOp(1), m.ResourceOp(1),
               m.CursorPage([(b, two)], False), m.CursorPage([("b", 2)], False)),
        Sample(ops.OP_QUERY_SQL, m.SqlQuery(C, "T", "A > ?", [1], 5, True, False, True, 100),
               m.SqlQuery(C, "T", "A > ?", [one], 5, True, False, True, 100),
               m.CursorPage([], False, 2), m.CursorPage([], False, 2)),
        Sample(ops.OP_QUERY_SQL_CURSOR_GET_PAGE, m.ResourceOp(2), m.ResourceOp(2),
               m.CursorPage([(a, b)], True), m.CursorPage([("a", "b")], True)),
        Sample(ops.OP_QUERY_SQL_FIELDS,
               m.SqlFieldsQuery(C, "SELECT A, B FROM T WHERE A = ?", ["x"], "S", 3, 10, 1,
                                True, False, True, False, True, False, 500, True, [1, 2], 4),
               m.SqlFieldsQuery(C, "SELECT A, B FROM T WHERE A = ?", [raw("x")], "S", 3, 10, 1,
                                True, False, True, False, True, False, 500, True, [1, 2], 4),
               m.SqlFieldsPage([[a, one], [b, None]], True, 3, 2, ["A", "B"]),
               m.SqlFieldsPage([["a", 1], ["b", None]], True, 3, 2, ["A", "B"]),
               {"include_field_names": True}),
        Sample(ops.OP_QUERY_SQL_FIELDS_CURSOR_GET_PAGE, m.ResourceOp(3), m.ResourceOp(3),
               m.SqlFieldsPage([[two, a]], False), m.SqlFieldsPage([[2, "a"]], False,
                                                                   column_count=2),
               {"column_count": 2}),
        Sample(ops.OP_GET_BINARY_TYPE_NAME, m.BinaryTypeNameOp(0, 77), m.BinaryTypeNameOp(0, 77),
               "org.Person", "org.Person"),
        Sample(ops.OP_REGISTER_BINARY_TYPE_NAME, m.BinaryTypeNameOp(1, 77, "Person"),
               m.BinaryTypeNameOp(1, 77, "Person"), True, True),
        Sample(ops.OP_GET_BINARY_TYPE, m.TypeIdOp(INFO.type_id), m.TypeIdOp(INFO.type_id),
               INFO, INFO),
        Sample(ops.OP_PUT_BINARY_TYPE, m.PutBinaryTypeOp(INFO), m.PutBinaryTypeOp(INFO),
               None, None),
        Sample(ops.OP_TX_START, m.TxStartOp(1, 2, 1000, "label"), m.TxStartOp(1, 2, 1000, "label"),
               1, 1),
        Sample(ops.OP_TX_END, m.TxEndOp(1, True), m.TxEndOp(1, True), None, None),
        Sample(ops.OP_CLUSTER_GET_STATE, m.NO_ARGS, m.NO_ARGS, ops.ClusterState.ACTIVE, 1),
        Sample(ops.OP_CLUSTER_CHANGE_STATE, m.ClusterStateOp(2), m.ClusterStateOp(2), None, None),
    ]


def test_samples_cover_every_op() -> None:
    assert {s.op for s in samples()} == set(m.OP_SPECS)


def adjust_for(proto: ProtocolContext, sample: Sample) -> Sample:
    """Expected values on a connection lacking a version/feature some fields depend on."""
    server_args, value = sample.server_args, sample.value
    if isinstance(server_args, m.SqlFieldsQuery) and \
            not proto.has_feature(Feature.QRY_PARTITIONS_BATCH_SIZE):
        server_args = server_args._replace(partitions=None, update_batch_size=1)
    if isinstance(server_args, m.PartitionsOp) and \
            not proto.has_feature(Feature.ALL_AFFINITY_MAPPINGS):
        server_args = server_args._replace(custom_mappings=False)
    if sample.op == ops.OP_CACHE_GET_CONFIGURATION and not proto.expiry_policy:
        value = {k: v for k, v in value.items() if k != ops.PROP_EXPIRY_POLICY}
    return sample._replace(server_args=server_args, value=value)


@pytest.mark.parametrize("proto", PROTOCOLS, ids=lambda p: f"{p.version}-{len(p.features)}")
@pytest.mark.parametrize("sample", samples(), ids=lambda s: ops.op_name(s.op))
def test_round_trip(sample: Sample, proto: ProtocolContext) -> None:
    sample = adjust_for(proto, sample)
    frame = m.encode_request(41, sample.op, sample.args, proto)
    assert int.from_bytes(frame[:4], "little") == len(frame) - 4
    decoded = m.decode_request(bytes(frame[4:]), proto)
    assert decoded == m.DecodedRequest(sample.op, 41, sample.server_args)
    reply = m.encode_response(41, sample.op, sample.result, proto, topology=(2, 0))
    header = fr.decode_response_header(bytes(reply[4:]), proto.status_flags)
    assert header.request_id == 41 and not header.is_error
    value = m.decode_response_body(sample.op, bytes(reply[4:]), header.body_offset, proto,
                                   **sample.options)
    assert value == sample.value


def test_unknown_op_and_bad_arguments() -> None:
    payload = h("39 30 01 00 00 00 00 00 00 00 ff")
    assert m.decode_request(payload, P170) == m.DecodedRequest(12345, 1, None)
    with pytest.raises(ParameterError):
        m.encode_request(1, ops.OP_CACHE_GET, m.KeysOp(C, []), P170)
    with pytest.raises(ParameterError):
        m.encode_request(1, 4242, m.NO_ARGS, P170)
    with pytest.raises(ParameterError):
        m.encode_response(1, ops.OP_QUERY_SCAN, m.CursorPage([], False), P170)
    with pytest.raises(ParameterError):
        m.encode_response(1, ops.OP_CACHE_GET, "not raw", P170)
    with pytest.raises(ParameterError):
        m.encode_response(1, ops.OP_QUERY_SQL_FIELDS_CURSOR_GET_PAGE,
                          m.SqlFieldsPage([[raw(1)]], False, column_count=2), P170)


def test_feature_dependent_fields() -> None:
    query = m.SqlFieldsQuery(m.CacheInfo(0), "SELECT 1", partitions=None)
    plain = m.encode_request(1, ops.OP_QUERY_SQL_FIELDS, query, P170)
    trailer = m.encode_request(1, ops.OP_QUERY_SQL_FIELDS, query, P170_ALL)
    assert trailer == fr.finish_frame(bytearray(plain) + h("ff ff ff ff 01 00 00 00"))
    partitions = m.encode_request(1, ops.OP_CACHE_PARTITIONS, m.PartitionsOp([1], True), P170_ALL)
    assert partitions[14:] == h("01 01 00 00 00 01 00 00 00")
    group = m.PartitionGroup(False, {1: {}}, {}, default_affinity=False)
    result = m.PartitionsResult((1, 0), [group])
    with_flag = m.encode_response(1, ops.OP_CACHE_PARTITIONS, result, P170_ALL)
    without = m.encode_response(1, ops.OP_CACHE_PARTITIONS, result, P170)
    assert len(with_flag) == len(without) + 1 and with_flag.endswith(b"\x00")


def test_scan_with_filter_raw_on_server() -> None:
    query = m.ScanQuery(C, 5, filter="f", filter_platform=ops.FILTER_PLATFORM_DOTNET)
    frame = m.encode_request(1, ops.OP_QUERY_SCAN, query, P170)
    args = m.decode_request(frame[4:], P170).args
    assert args.filter == raw("f") and args.filter_platform == 2
    assert args == query._replace(filter=raw("f"))


# -- property-based -------------------------------------------------------------------------------

scalars = st.one_of(
    st.integers(-(2 ** 63), 2 ** 63 - 1), st.text(max_size=30), st.booleans(),
    st.floats(allow_nan=False),
)
key_ops = st.sampled_from([ops.OP_CACHE_GET, ops.OP_CACHE_GET_AND_REMOVE,
                           ops.OP_CACHE_CONTAINS_KEY, ops.OP_CACHE_REMOVE_KEY])
pair_ops = st.sampled_from([ops.OP_CACHE_PUT, ops.OP_CACHE_GET_AND_PUT, ops.OP_CACHE_REPLACE,
                            ops.OP_CACHE_PUT_IF_ABSENT, ops.OP_CACHE_REMOVE_IF_EQUALS])
caches = st.builds(
    m.CacheInfo.build, st.integers(-(2 ** 31), 2 ** 31 - 1),
    expiry_policy=st.one_of(st.none(), st.builds(ExpiryPolicy, create=st.integers(0, 10 ** 6))),
    tx_id=st.one_of(st.none(), st.integers(1, 2 ** 31 - 1)), keep_binary=st.booleans())


@settings(max_examples=150, deadline=None)
@given(caches, key_ops, pair_ops, scalars, scalars, st.lists(scalars, max_size=5))
def test_key_value_round_trip(cache: m.CacheInfo, key_op: int, pair_op: int, key: Any,
                              value: Any, keys: List[Any]) -> None:
    frame = m.encode_request(7, key_op, m.KeyOp(cache, key), P170)
    assert m.decode_request(frame[4:], P170).args == m.KeyOp(cache, raw(key))
    frame = m.encode_request(7, pair_op, m.KeyValueOp(cache, key, value), P170)
    assert m.decode_request(frame[4:], P170).args == m.KeyValueOp(cache, raw(key), raw(value))
    frame = m.encode_request(7, ops.OP_CACHE_GET_ALL, m.KeysOp(cache, keys), P170)
    assert m.decode_request(frame[4:], P170).args.keys == [raw(k) for k in keys]
    reply = m.encode_response(7, ops.OP_CACHE_GET, raw(value), P170)
    got = m.decode_response_body(ops.OP_CACHE_GET, reply[4:], 10, P170)
    assert got == value and type(got) is type(value)


# -- fuzzing --------------------------------------------------------------------------------------


@settings(max_examples=600, deadline=1000)
@given(st.sampled_from(sorted(m.OP_SPECS)), st.binary(max_size=80),
       st.sampled_from(PROTOCOLS))
def test_server_request_decoder_fuzz(op: int, body: bytes, proto: ProtocolContext) -> None:
    payload = op.to_bytes(2, "little") + b"\x01" + bytes(7) + body
    try:
        decoded = m.decode_request(payload, proto)
    except ProtocolError:
        return
    assert decoded.op_code == op and decoded.args is not None


@settings(max_examples=300, deadline=1000)
@given(st.sampled_from(sorted(m.OP_SPECS)), st.sampled_from(sorted(m.OP_SPECS)),
       st.sampled_from(PROTOCOLS))
def test_server_decoder_on_other_ops_bodies(op: int, other: int, proto: ProtocolContext) -> None:
    """A well-formed body of one op, decoded as another op: an error or a value, never a crash."""
    sample = {s.op: s for s in samples()}[other]
    body = m.encode_request(1, other, adjust_for(proto, sample).args, proto)[14:]
    try:
        m.decode_request(op.to_bytes(2, "little") + bytes(8) + body, proto)
    except ProtocolError:
        pass


@settings(max_examples=600, deadline=1000)
@given(st.sampled_from(sorted(m.OP_SPECS)), st.binary(max_size=80),
       st.sampled_from(PROTOCOLS), st.booleans(), st.integers(0, 4))
def test_client_response_decoder_fuzz(op: int, body: bytes, proto: ProtocolContext,
                                      names: bool, columns: int) -> None:
    try:
        m.decode_response_body(op, body, 0, proto, include_field_names=names,
                               column_count=columns)
    except ProtocolError:
        pass


@settings(max_examples=400, deadline=1000)
@given(st.sampled_from(samples()), st.sampled_from(PROTOCOLS), st.data())
def test_mutated_messages_fuzz(sample: Sample, proto: ProtocolContext, data: Any) -> None:
    """Valid requests and replies with a few bytes overwritten or the tail cut off."""
    sample = adjust_for(proto, sample)
    request = bytes(m.encode_request(1, sample.op, sample.args, proto))[4:]
    reply = bytes(m.encode_response(1, sample.op, sample.result, proto))[4:]
    offset = fr.decode_response_header(reply, proto.status_flags).body_offset
    for encoded, is_request in ((request, True), (reply, False)):
        mutated = bytearray(encoded[:data.draw(st.integers(1, len(encoded)))])
        for _ in range(data.draw(st.integers(0, 3))):
            position = data.draw(st.integers(0, len(mutated) - 1))
            mutated[position] = data.draw(st.sampled_from([0, 0x65, 0x7F, 0x80, 0xFF, 9, 3]))
        try:
            if is_request:
                m.decode_request(bytes(mutated), proto)
            else:
                m.decode_response_body(sample.op, bytes(mutated), offset, proto, **sample.options)
        except ProtocolError:
            pass


def test_huge_counts_fail_fast() -> None:
    keys_body = h("0e e0 ed 77 00 ff ff ff 7f")
    with pytest.raises(ProtocolError):
        m.decode_request(h("eb 03") + bytes(8) + keys_body, P170)
    rows = h("ff ff ff 7f")
    with pytest.raises(ProtocolError):
        m.decode_response_body(ops.OP_QUERY_SQL_FIELDS_CURSOR_GET_PAGE, rows, 0, P170,
                               column_count=0)



def test_bad_argument_values_raise_parameter_error_and_write_nothing() -> None:
    from txkv.ignite.codec import messages as msgs
    from txkv.ignite.codec import ops as op_codes
    from txkv.ignite.errors import ParameterError as IgniteParameterError

    buf = bytearray(b"prefix")
    for args in (msgs.ResourceOp(None), msgs.ResourceOp(2**70)):
        try:
            msgs.write_request_body(buf, op_codes.OP_RESOURCE_CLOSE, args)
        except IgniteParameterError as e:
            assert "OP_RESOURCE_CLOSE" in str(e) or "RESOURCE_CLOSE" in str(e)
        else:
            raise AssertionError(f"{args!r} was accepted")
        assert buf == b"prefix"
