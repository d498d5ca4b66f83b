"""Differential tests against pyignite 0.6.1, without a socket.

pyignite's own API functions (``pyignite.api.*``) run against a fake connection whose
``request()`` hands the request bytes to txkv's server-side codec and answers with txkv's
server-side encoder.  Every op pyignite has is checked both ways: pyignite's request bytes equal
txkv's client encoding (request ids aside: the id is taken from pyignite's frame), and pyignite
accepts txkv's reply and reads the expected value out of it.
"""

from __future__ import annotations

import functools
import importlib
import uuid
import warnings
from collections import OrderedDict
from typing import Any, Callable, Dict, List, Optional, Tuple

import pytest
from pyignite.api import (
    affinity,
    binary,
    cache_config,
    cluster,
    key_value,
    tx_api,
)
from pyignite.connection.bitmask_feature import BitmaskFeature
from pyignite.connection.handshake import HandshakeRequest as PyHandshakeRequest
from pyignite.connection.handshake import HandshakeResponse as PyHandshakeResponse
from pyignite.connection.protocol_context import ProtocolContext as PyContext
from pyignite.datatypes import ExpiryPolicy as PyExpiry
from pyignite.datatypes import IntObject, String
from pyignite.queries.cache_info import CacheInfo as PyCacheInfo
from pyignite.stream import BinaryStream

from txkv.ignite.codec import frames as fr
from txkv.ignite.codec import messages as m
from txkv.ignite.codec import ops
from txkv.ignite.codec.hints import IntObject as TxIntObject
from txkv.ignite.codec.ops import ExpiryPolicy, ProtocolContext
from txkv.ignite.codec.registry import BinaryTypeInfo
from txkv.ignite.codec.values import write_object

# ``pyignite.api.sql`` the module is shadowed by ``pyignite.api.sql`` the function.
sql = importlib.import_module("pyignite.api.sql")

MY_CACHE = 2012078094
NODE = uuid.UUID("a1b2c3d4-e5f6-0718-293a-4b5c6d7e8f90")


def raw(value: Any) -> bytes:
    buf = bytearray()
    write_object(buf, value)
    return bytes(buf)


class FakeClient:
    """The few client attributes pyignite's query machinery reads."""

    compact_footer = True
    affinity_version = (0, 0)
    _event_listeners = None


class FakeConnection:
    """Stands in for ``pyignite.connection.Connection``: txkv's server codec answers."""

    host, port, uuid = "127.0.0.1", 10800, None

    def __init__(self, version: Tuple[int, int, int]) -> None:
        features = BitmaskFeature.all_supported() if version >= (1, 7, 0) else None
        self.protocol_context = PyContext(version, features)
        self.proto = ProtocolContext(version, {ops.Feature.CLUSTER_API}
                                     if version >= (1, 7, 0) else ())
        self.client = FakeClient()
        self.requests: List[bytes] = []
        self.decoded: List[m.DecodedRequest] = []
        self.result: Any = None
        self.topology: Optional[Tuple[int, int]] = (1, 0)

    def request(self, data: bytes, flags: Any = None) -> bytearray:
        data = bytes(data)
        self.requests.append(data)
        decoded = m.decode_request(data[4:], self.proto)
        self.decoded.append(decoded)
        reply = m.encode_response(decoded.request_id, decoded.op_code, self.result, self.proto,
                                  topology=self.topology)
        self.topology = None
        return reply


@pytest.fixture(params=[(1, 7, 0), (1, 6, 0), (1, 4, 0), (1, 2, 0)], ids=str)
def conn(request: Any) -> FakeConnection:
    return FakeConnection(request.param)


def py_cache(conn: FakeConnection, cache_id: int = MY_CACHE, **kw: Any) -> PyCacheInfo:
    return PyCacheInfo(cache_id=cache_id, protocol_context=conn.protocol_context, **kw)


def run(conn: FakeConnection, call: Callable[[], Any], result: Any, op: int, args: Any) -> Any:
    """Run a pyignite API call; check its request bytes against txkv's; return its value."""
    conn.result = result
    api_result = call()
    assert api_result.status == 0, api_result.message
    sent = conn.requests[-1]
    request_id = int.from_bytes(sent[6:14], "little", signed=True)
    assert int.from_bytes(sent[4:6], "little") == op
    assert m.encode_request(request_id, op, args, conn.proto) == sent
    return api_result.value


C = m.CacheInfo(MY_CACHE)


# -- key-value ops ---------------------------------------------------------------------------------


def test_put_get(conn: FakeConnection) -> None:
    assert run(conn, lambda: key_value.cache_put(conn, py_cache(conn), "a", 42), None,
               ops.OP_CACHE_PUT, m.KeyValueOp(C, "a", 42)) is None
    assert conn.decoded[-1].args == m.KeyValueOp(C, raw("a"), raw(42))
    assert run(conn, lambda: key_value.cache_get(conn, py_cache(conn), "a"), raw(42),
               ops.OP_CACHE_GET, m.KeyOp(C, "a")) == 42
    assert run(conn, lambda: key_value.cache_get(conn, py_cache(conn), 1, key_hint=IntObject),
               None, ops.OP_CACHE_GET, m.KeyOp(C, 1, TxIntObject)) is None
    assert conn.decoded[-1].args.key == bytes([3, 1, 0, 0, 0])


def test_value_ops(conn: FakeConnection) -> None:
    cache = py_cache(conn)
    for func, op in ((key_value.cache_get_and_put, ops.OP_CACHE_GET_AND_PUT),
                     (key_value.cache_get_and_replace, ops.OP_CACHE_GET_AND_REPLACE),
                     (key_value.cache_get_and_put_if_absent, ops.OP_CACHE_GET_AND_PUT_IF_ABSENT)):
        call = functools.partial(func, conn, cache, "k", "v")
        assert run(conn, call, raw("old"), op, m.KeyValueOp(C, "k", "v")) == "old"
    assert run(conn, lambda: key_value.cache_get_and_remove(conn, cache, 7), raw(1.5),
               ops.OP_CACHE_GET_AND_REMOVE, m.KeyOp(C, 7)) == 1.5
    assert run(conn, lambda: key_value.cache_local_peek(conn, cache, "k", peek_modes=[1, 4]),
               raw("v"), ops.OP_CACHE_LOCAL_PEEK, m.PeekOp(C, "k", [1, 4])) == "v"


def test_bool_ops(conn: FakeConnection) -> None:
    cache = py_cache(conn)
    cases = [
        (lambda: key_value.cache_put_if_absent(conn, cache, "k", 1), ops.OP_CACHE_PUT_IF_ABSENT,
         m.KeyValueOp(C, "k", 1)),
        (lambda: key_value.cache_replace(conn, cache, "k", 1), ops.OP_CACHE_REPLACE,
         m.KeyValueOp(C, "k", 1)),
        (lambda: key_value.cache_replace_if_equals(conn, cache, "k", 1, 2),
         ops.OP_CACHE_REPLACE_IF_EQUALS, m.KeyValueValueOp(C, "k", 1, 2)),
        (lambda: key_value.cache_contains_key(conn, cache, "k"), ops.OP_CACHE_CONTAINS_KEY,
         m.KeyOp(C, "k")),
        (lambda: key_value.cache_contains_keys(conn, cache, ["k", 2]), ops.OP_CACHE_CONTAINS_KEYS,
         m.KeysOp(C, ["k", 2])),
        (lambda: key_value.cache_remove_key(conn, cache, "k"), ops.OP_CACHE_REMOVE_KEY,
         m.KeyOp(C, "k")),
        (lambda: key_value.cache_remove_if_equals(conn, cache, "k", 3),
         ops.OP_CACHE_REMOVE_IF_EQUALS, m.KeyValueOp(C, "k", 3)),
    ]
    for index, (call, op, args) in enumerate(cases):
        expected = index % 2 == 0
        assert run(conn, call, expected, op, args) is expected


def test_no_value_ops(conn: FakeConnection) -> None:
    cache = py_cache(conn)
    cases = [
        (lambda: key_value.cache_clear(conn, cache), ops.OP_CACHE_CLEAR, m.CacheOp(C)),
        (lambda: key_value.cache_clear_key(conn, cache, "k"), ops.OP_CACHE_CLEAR_KEY,
         m.KeyOp(C, "k")),
        (lambda: key_value.cache_clear_keys(conn, cache, ["a", "b"]), ops.OP_CACHE_CLEAR_KEYS,
         m.KeysOp(C, ["a", "b"])),
        (lambda: key_value.cache_remove_keys(conn, cache, [1, 2]), ops.OP_CACHE_REMOVE_KEYS,
         m.KeysOp(C, [1, 2])),
        (lambda: key_value.cache_remove_all(conn, cache), ops.OP_CACHE_REMOVE_ALL, m.CacheOp(C)),
        (lambda: key_value.cache_put_all(conn, cache, {"a": 1, "b": "x"}), ops.OP_CACHE_PUT_ALL,
         m.PairsOp(C, [("a", 1), ("b", "x")])),
    ]
    for call, op, args in cases:
        assert run(conn, call, None, op, args) is None
    assert conn.decoded[-1].args.pairs == [(raw("a"), raw(1)), (raw("b"), raw("x"))]


def test_get_all_and_size(conn: FakeConnection) -> None:
    cache = py_cache(conn)
    value = run(conn, lambda: key_value.cache_get_all(conn, cache, ["a", "b", "c"]),
                [(raw("a"), raw(1)), (raw("c"), raw("z"))], ops.OP_CACHE_GET_ALL,
                m.KeysOp(C, ["a", "b", "c"]))
    assert value == {"a": 1, "c": "z"}
    assert run(conn, lambda: key_value.cache_get_size(conn, cache, [0, 2]), 12345,
               ops.OP_CACHE_GET_SIZE, m.SizeOp(C, [0, 2])) == 12345
    assert run(conn, lambda: key_value.cache_get_size(conn, cache), 0,
               ops.OP_CACHE_GET_SIZE, m.SizeOp(C, [])) == 0


def test_expiry_policy_prefix() -> None:
    conn = FakeConnection((1, 7, 0))
    policy = PyExpiry(create=1000, update=PyExpiry.ETERNAL)
    cache = py_cache(conn, expiry_policy=policy)
    ours = m.CacheInfo.build(MY_CACHE, expiry_policy=ExpiryPolicy(create=1000,
                                                                  update=ExpiryPolicy.ETERNAL))
    run(conn, lambda: key_value.cache_get(conn, cache, "a"), None, ops.OP_CACHE_GET,
        m.KeyOp(ours, "a"))
    assert conn.decoded[-1].args.cache.expiry == (1000, -1, -2)


# -- cache management ------------------------------------------------------------------------------


def test_cache_management(conn: FakeConnection) -> None:
    assert run(conn, lambda: cache_config.cache_create(conn, "my cache"), None,
               ops.OP_CACHE_CREATE_WITH_NAME, m.CacheNameOp("my cache")) is None
    run(conn, lambda: cache_config.cache_get_or_create(conn, "x"), None,
        ops.OP_CACHE_GET_OR_CREATE_WITH_NAME, m.CacheNameOp("x"))
    run(conn, lambda: cache_config.cache_destroy(conn, "my cache"), None,
        ops.OP_CACHE_DESTROY, m.CacheIdOp(MY_CACHE))
    assert run(conn, lambda: cache_config.cache_get_names(conn), ["a", "my cache"],
               ops.OP_CACHE_GET_NAMES, m.NO_ARGS) == ["a", "my cache"]


CONFIG: Dict[int, Any] = OrderedDict([
    (ops.PROP_NAME, "c1"),
    (ops.PROP_CACHE_MODE, ops.CacheMode.PARTITIONED),
    (ops.PROP_CACHE_ATOMICITY_MODE, ops.CacheAtomicityMode.TRANSACTIONAL),
    (ops.PROP_BACKUPS_NUMBER, 1),
    (ops.PROP_WRITE_SYNCHRONIZATION_MODE, 0),
    (ops.PROP_COPY_ON_READ, False),
    (ops.PROP_READ_FROM_BACKUP, True),
    (ops.PROP_DATA_REGION_NAME, "default"),
    (ops.PROP_IS_ONHEAP_CACHE_ENABLED, True),
    (ops.PROP_QUERY_ENTITIES, [{
        "key_type_name": "java.lang.Long", "value_type_name": "Person", "table_name": "PERSON",
        "key_field_name": "ID", "value_field_name": None,
        "query_fields": [
            {"name": "ID", "type_name": "java.lang.Long", "is_key_field": True,
             "is_notnull_constraint_field": True, "default_value": None, "precision": -1,
             "scale": -1},
            {"name": "NAME", "type_name": "java.lang.String", "is_key_field": False,
             "is_notnull_constraint_field": False, "default_value": "x", "precision": 10,
             "scale": 2},
        ],
        "field_name_aliases": [{"field_name": "NAME", "alias": "N"}],
        "query_indexes": [{"index_name": "IDX", "index_type": 0, "inline_size": 5,
                           "fields": [{"name": "NAME", "is_descending": True}]}],
    }]),
    (ops.PROP_QUERY_PARALLELISM, 2),
    (ops.PROP_QUERY_DETAIL_METRIC_SIZE, 3),
    (ops.PROP_SQL_SCHEMA, "S"),
    (ops.PROP_SQL_INDEX_INLINE_MAX_SIZE, 10),
    (ops.PROP_SQL_ESCAPE_ALL, True),
    (ops.PROP_MAX_QUERY_ITERATORS, 4),
    (ops.PROP_REBALANCE_MODE, 1),
    (ops.PROP_REBALANCE_DELAY, 5),
    (ops.PROP_REBALANCE_TIMEOUT, 6),
    (ops.PROP_REBALANCE_BATCH_SIZE, 7),
    (ops.PROP_REBALANCE_BATCHES_PREFETCH_COUNT, 8),
    (ops.PROP_REBALANCE_ORDER, 9),
    (ops.PROP_REBALANCE_THROTTLE, 10),
    (ops.PROP_GROUP_NAME, "g"),
    (ops.PROP_CACHE_KEY_CONFIGURATION, [{"type_name": "K", "affinity_key_field_name": "f"}]),
    (ops.PROP_DEFAULT_LOCK_TIMEOUT, 11),
    (ops.PROP_MAX_CONCURRENT_ASYNC_OPERATIONS, 12),
    (ops.PROP_PARTITION_LOSS_POLICY, 3),
    (ops.PROP_EAGER_TTL, False),
    (ops.PROP_STATISTICS_ENABLED, True),
])


def test_create_with_configuration(conn: FakeConnection) -> None:
    settings_: Dict[int, Any] = dict(CONFIG)
    py_settings = dict(settings_)
    if conn.proto.expiry_policy:
        settings_[ops.PROP_EXPIRY_POLICY] = ExpiryPolicy(create=5, access=ExpiryPolicy.ETERNAL)
        py_settings[ops.PROP_EXPIRY_POLICY] = PyExpiry(create=5, access=PyExpiry.ETERNAL)
    for func, op in ((cache_config.cache_create_with_config,
                      ops.OP_CACHE_CREATE_WITH_CONFIGURATION),
                     (cache_config.cache_get_or_create_with_config,
                      ops.OP_CACHE_GET_OR_CREATE_WITH_CONFIGURATION)):
        run(conn, functools.partial(func, conn, py_settings), None, op,
            m.CacheConfigOp(settings_))
        stored = conn.decoded[-1].args.settings
        assert stored[ops.PROP_NAME] == "c1"
        assert stored[ops.PROP_QUERY_ENTITIES][0]["query_fields"][1]["default_value"] == raw("x")


def test_get_configuration(conn: FakeConnection) -> None:
    stored = m.decode_request(
        m.encode_request(1, ops.OP_CACHE_CREATE_WITH_CONFIGURATION, m.CacheConfigOp(CONFIG),
                         conn.proto)[4:], conn.proto).args.settings
    value = run(conn, lambda: cache_config.cache_get_configuration(conn, py_cache(conn)), stored,
                ops.OP_CACHE_GET_CONFIGURATION, m.CacheOp(C))
    if conn.proto.expiry_policy:
        assert value.pop(ops.PROP_EXPIRY_POLICY) is None
    assert value == CONFIG


# -- partitions, binary types, transactions, cluster -----------------------------------------------


def test_partitions(conn: FakeConnection) -> None:
    other = uuid.UUID(int=5)
    result = m.PartitionsResult((4, 2), [
        m.PartitionGroup(True, {MY_CACHE: {11: 12}}, {NODE: [0, 2, 3], other: [1]}),
        m.PartitionGroup(False, {77: {}}, {}),
    ])
    value = run(conn, lambda: affinity.cache_get_node_partitions(conn, [MY_CACHE, 77]), result,
                ops.OP_CACHE_PARTITIONS, m.PartitionsOp([MY_CACHE, 77]))
    assert value["version"] == (4, 2)
    mapping = value["partition_mapping"]
    assert mapping[MY_CACHE]["cache_config"] == {11: 12}
    assert mapping[MY_CACHE]["node_mapping"] == {NODE: {0, 2, 3}, other: {1}}
    assert mapping[MY_CACHE]["number_of_partitions"] == 4
    assert mapping[77] == {"is_applicable": False, "number_of_partitions": 0}


def test_binary_types(conn: FakeConnection) -> None:
    schema = OrderedDict([("name", String), ("age", IntObject)])
    info = BinaryTypeInfo(type_id=-991716523, type_name="Person", fields={"name": 9, "age": 3},
                          schemas={1946200325: [3373707, 96511]})
    run(conn, lambda: binary.put_binary_type(conn, "Person", schema=schema), None,
        ops.OP_PUT_BINARY_TYPE, m.PutBinaryTypeOp(info))
    assert conn.decoded[-1].args.info.schemas == info.schemas
    value = run(conn, lambda: binary.get_binary_type(conn, "Person"), info,
                ops.OP_GET_BINARY_TYPE, m.TypeIdOp(-991716523))
    assert value["type_exists"] and value["type_name"] == "Person"
    assert value["schema"] == {1946200325: [3373707, 96511]}
    assert [f["field_name"] for f in value["binary_fields"]] == ["name", "age"]
    assert run(conn, lambda: binary.get_binary_type(conn, 5), None, ops.OP_GET_BINARY_TYPE,
               m.TypeIdOp(5)) == {"type_exists": False}


def test_transactions() -> None:
    conn = FakeConnection((1, 7, 0))
    tx_id = run(conn, lambda: tx_api.tx_start(conn, 1, 2, 3000, "lbl"), 7, ops.OP_TX_START,
                m.TxStartOp(1, 2, 3000, "lbl"))
    assert tx_id == 7
    try:
        run(conn, lambda: key_value.cache_put(conn, py_cache(conn), "a", 1), None,
            ops.OP_CACHE_PUT, m.KeyValueOp(m.CacheInfo.build(MY_CACHE, tx_id=7), "a", 1))
        assert conn.decoded[-1].args.cache.tx_id == 7
    finally:
        run(conn, lambda: tx_api.tx_end(7, True), None, ops.OP_TX_END, m.TxEndOp(7, True))


def test_cluster_state() -> None:
    conn = FakeConnection((1, 7, 0))
    assert run(conn, lambda: cluster.cluster_get_state(conn), 2, ops.OP_CLUSTER_GET_STATE,
               m.NO_ARGS) == 2
    run(conn, lambda: cluster.cluster_set_state(conn, ops.ClusterState.ACTIVE), None,
        ops.OP_CLUSTER_CHANGE_STATE, m.ClusterStateOp(1))


# -- queries -------------------------------------------------------------------------------------


def test_scan(conn: FakeConnection) -> None:
    page = m.CursorPage([(raw("a"), raw(1)), (raw(2), raw("b"))], True, 1)
    value = run(conn, lambda: sql.scan(conn, py_cache(conn), 2), page, ops.OP_QUERY_SCAN,
                m.ScanQuery(C, 2))
    assert value == {"cursor": 1, "data": {"a": 1, 2: "b"}, "more": True}
    value = run(conn, lambda: sql.scan(conn, py_cache(conn), 5, 3, True),
                m.CursorPage([], False, 2), ops.OP_QUERY_SCAN, m.ScanQuery(C, 5, 3, True))
    assert value == {"cursor": 2, "data": {}, "more": False}
    value = run(conn, lambda: sql.scan_cursor_get_page(conn, 1),
                m.CursorPage([(raw("c"), raw(3))], False), ops.OP_QUERY_SCAN_CURSOR_GET_PAGE,
                m.ResourceOp(1))
    assert value == {"data": {"c": 3}, "more": False}
    run(conn, lambda: sql.resource_close(conn, 1), None, ops.OP_RESOURCE_CLOSE, m.ResourceOp(1))


def test_sql_deprecated(conn: FakeConnection) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = run(conn, lambda: sql.sql(conn, py_cache(conn), "Person", "age > ?", 10,
                                          query_args=[30], distributed_joins=True, timeout=9),
                    m.CursorPage([(raw(1), raw("p"))], True, 3), ops.OP_QUERY_SQL,
                    m.SqlQuery(C, "Person", "age > ?", [30], 10, True, False, False, 9))
        assert value == {"cursor": 3, "data": {1: "p"}, "more": True}
        value = run(conn, lambda: sql.sql_cursor_get_page(conn, 3), m.CursorPage([], False),
                    ops.OP_QUERY_SQL_CURSOR_GET_PAGE, m.ResourceOp(3))
        assert value == {"data": {}, "more": False}


def test_sql_fields(conn: FakeConnection) -> None:
    page = m.SqlFieldsPage([[raw(1), raw("a")], [raw(2), raw(None)]], True, 4,
                           field_names=["ID", "NAME"])
    value = run(conn, lambda: sql.sql_fields(
        conn, py_cache(conn, 0), "SELECT ID, NAME FROM T WHERE ID > ?", 2, query_args=[0],
        schema="PUBLIC", statement_type=1, lazy=True, collocated=True, timeout=100,
        include_field_names=True),
        page, ops.OP_QUERY_SQL_FIELDS,
        m.SqlFieldsQuery(m.CacheInfo(0), "SELECT ID, NAME FROM T WHERE ID > ?", [0], "PUBLIC",
                         2, -1, 1, collocated=True, lazy=True, timeout=100,
                         include_field_names=True))
    assert value == {"cursor": 4, "fields": ["ID", "NAME"], "data": [[1, "a"], [2, None]],
                     "more": True}
    page = m.SqlFieldsPage([[raw(7)]], False, 5, column_count=1)
    value = run(conn, lambda: sql.sql_fields(conn, py_cache(conn), "SELECT 7", 1), page,
                ops.OP_QUERY_SQL_FIELDS, m.SqlFieldsQuery(C, "SELECT 7", page_size=1))
    assert value == {"cursor": 5, "field_count": 1, "data": [[7]], "more": False}
    value = run(conn, lambda: sql.sql_fields_cursor_get_page(conn, 4, 2),
                m.SqlFieldsPage([[raw(3), raw("c")]], False),
                ops.OP_QUERY_SQL_FIELDS_CURSOR_GET_PAGE, m.ResourceOp(4))
    assert value == {"data": [[3, "c"]], "more": False}


# -- handshake -------------------------------------------------------------------------------------


@pytest.mark.parametrize("version", [(1, 7, 0), (1, 6, 0), (1, 4, 0), (1, 2, 0)], ids=str)
@pytest.mark.parametrize("credentials", [None, ("ignite", "secret")])
def test_handshake_against_pyignite(version: Tuple[int, int, int],
                                    credentials: Optional[Tuple[str, str]]) -> None:
    features = BitmaskFeature.all_supported() if version >= (1, 7, 0) else None
    context = PyContext(version, features)
    user, password = credentials or (None, None)
    with BinaryStream(FakeClient()) as stream:
        PyHandshakeRequest(context, user, password).from_python(stream)
        theirs = stream.getvalue()
    ours = fr.encode_handshake_request(version, features=[ops.Feature.CLUSTER_API],
                                       username=user, password=password)
    assert ours == theirs
    reply = fr.encode_handshake_success(version, features=[2], node_id=NODE)
    with BinaryStream(FakeClient(), bytes(reply)) as stream:
        parsed = PyHandshakeResponse.parse(stream, context)
    assert parsed.op_code == 1
    if version >= (1, 4, 0):
        assert parsed.node_uuid == NODE
    if version >= (1, 7, 0):
        assert BitmaskFeature.from_array(parsed.features) == BitmaskFeature.CLUSTER_API
    failure = fr.encode_handshake_failure((1, 2, 0), "Unsupported version: 1.7.0",
                                          client_version=version, status=1)
    with BinaryStream(FakeClient(), bytes(failure)) as stream:
        parsed = PyHandshakeResponse.parse(stream, context)
    assert (parsed.op_code, parsed.version_major, parsed.version_minor) == (0, 1, 2)
    assert parsed.message == "Unsupported version: 1.7.0" and parsed.client_status == 1


def test_error_reply_read_by_pyignite() -> None:
    conn = FakeConnection((1, 7, 0))

    def failing(data: bytes, flags: Any = None) -> bytearray:
        request_id = int.from_bytes(data[6:14], "little", signed=True)
        return fr.encode_error_response(request_id, ops.STATUS_CACHE_DOES_NOT_EXIST,
                                        "Cache does not exist [cacheId= 1]", status_flags=True,
                                        topology=(2, 0))

    conn.request = failing  # type: ignore[method-assign]
    result = key_value.cache_get(conn, py_cache(conn), "a")
    assert result.status == 1000 and result.message == "Cache does not exist [cacheId= 1]"
    assert conn.client.affinity_version == (2, 0)
