"""Cache configuration codec: OP 1053/1054 property lists (pyignite's -18 length quirk), the OP
1055 configuration struct across protocol versions, query entities, and decoder fuzzing."""

from __future__ import annotations

from typing import Any, Dict

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from txkv.errors import ParameterError, ProtocolError
from txkv.ignite.codec import cache_config as cc
from txkv.ignite.codec import ops
from txkv.ignite.codec.ops import ExpiryPolicy, ProtocolContext
from txkv.ignite.codec.values import write_object
from txkv.ignite.errors import NotSupportedByClusterError

P170 = ProtocolContext((1, 7, 0))
P150 = ProtocolContext((1, 5, 0))
P110 = ProtocolContext((1, 1, 0))


def h(text: str) -> bytes:
    return bytes.fromhex(text.replace(" ", ""))


def raw(value: Any) -> bytes:
    buf = bytearray()
    write_object(buf, value)
    return bytes(buf)


ENTITY: Dict[str, Any] = {
    "key_type_name": "java.lang.Long",
    "value_type_name": "Person",
    "table_name": "PERSON",
    "key_field_name": None,
    "value_field_name": None,
    "query_fields": [
        {"name": "ID", "type_name": "java.lang.Long", "is_key_field": True,
         "is_notnull_constraint_field": True, "default_value": None, "precision": -1,
         "scale": -1},
        {"name": "NAME", "type_name": "java.lang.String", "is_key_field": False,
         "is_notnull_constraint_field": False, "default_value": "anon", "precision": 20,
         "scale": -1},
    ],
    "field_name_aliases": [{"field_name": "NAME", "alias": "N"}],
    "query_indexes": [
        {"index_name": "NAME_IDX", "index_type": ops.IndexType.SORTED, "inline_size": -1,
         "fields": [{"name": "NAME", "is_descending": True}]},
    ],
}

FULL_SETTINGS: Dict[int, Any] = {
    ops.PROP_NAME: "c1",
    ops.PROP_CACHE_MODE: ops.CacheMode.REPLICATED,
    ops.PROP_CACHE_ATOMICITY_MODE: ops.CacheAtomicityMode.TRANSACTIONAL,
    ops.PROP_BACKUPS_NUMBER: 2,
    ops.PROP_WRITE_SYNCHRONIZATION_MODE: ops.WriteSynchronizationMode.FULL_SYNC,
    ops.PROP_COPY_ON_READ: False,
    ops.PROP_READ_FROM_BACKUP: False,
    ops.PROP_DATA_REGION_NAME: "region",
    ops.PROP_IS_ONHEAP_CACHE_ENABLED: True,
    ops.PROP_QUERY_ENTITIES: [ENTITY],
    ops.PROP_QUERY_PARALLELISM: 4,
    ops.PROP_QUERY_DETAIL_METRIC_SIZE: 10,
    ops.PROP_SQL_SCHEMA: "PUBLIC",
    ops.PROP_SQL_INDEX_INLINE_MAX_SIZE: 64,
    ops.PROP_SQL_ESCAPE_ALL: True,
    ops.PROP_MAX_QUERY_ITERATORS: 7,
    ops.PROP_REBALANCE_MODE: ops.RebalanceMode.SYNC,
    ops.PROP_REBALANCE_DELAY: 5,
    ops.PROP_REBALANCE_TIMEOUT: 6000,
    ops.PROP_REBALANCE_BATCH_SIZE: 1024,
    ops.PROP_REBALANCE_BATCHES_PREFETCH_COUNT: 9,
    ops.PROP_REBALANCE_ORDER: 3,
    ops.PROP_REBALANCE_THROTTLE: 11,
    ops.PROP_GROUP_NAME: "group",
    ops.PROP_CACHE_KEY_CONFIGURATION: [{"type_name": "Key", "affinity_key_field_name": "a"}],
    ops.PROP_DEFAULT_LOCK_TIMEOUT: 250,
    ops.PROP_MAX_CONCURRENT_ASYNC_OPERATIONS: 99,
    ops.PROP_PARTITION_LOSS_POLICY: ops.PartitionLossPolicy.READ_WRITE_SAFE,
    ops.PROP_EAGER_TTL: False,
    ops.PROP_STATISTICS_ENABLED: True,
    ops.PROP_EXPIRY_POLICY: ExpiryPolicy(create=1000, update=ExpiryPolicy.ETERNAL, access=5),
}


def server_view(settings_: Dict[int, Any]) -> Dict[int, Any]:
    """What the server decodes: default values as raw data objects."""
    result = dict(settings_)
    if ops.PROP_QUERY_ENTITIES in result:
        entities = []
        for entity in result[ops.PROP_QUERY_ENTITIES]:
            entity = dict(entity)
            entity["query_fields"] = [
                dict(f, default_value=None if f["default_value"] is None
                     else raw(f["default_value"]))
                for f in entity["query_fields"]]
            entities.append(entity)
        result[ops.PROP_QUERY_ENTITIES] = entities
    return result


# -- OP 1053/1054 properties ----------------------------------------------------------------------


def test_pyignite_config_length_quirk_golden() -> None:
    buf = bytearray()
    cc.write_cache_properties(buf, {ops.PROP_NAME: "c1", ops.PROP_CACHE_MODE: 2,
                                    ops.PROP_BACKUPS_NUMBER: 1}, P170)
    assert bytes(buf) == h("ee ff ff ff 03 00 00 00 09 02 00 00 00 63 31 01 00 02 00 00 00"
                           "03 00 01 00 00 00")
    exact = bytearray()
    cc.write_cache_properties(exact, {ops.PROP_NAME: "c1"}, P170, exact_length=True)
    assert bytes(exact) == h("0b 00 00 00 01 00 00 00 09 02 00 00 00 63 31")
    settings_, end = cc.read_cache_properties(buf, 0, P170, raw=True)
    assert settings_ == {0: "c1", 1: 2, 3: 1} and end == len(buf)


def test_all_properties_round_trip() -> None:
    buf = bytearray()
    cc.write_cache_properties(buf, FULL_SETTINGS, P170)
    client_side, end = cc.read_cache_properties(buf, 0, P170)
    assert end == len(buf) and client_side == FULL_SETTINGS
    server_side, _ = cc.read_cache_properties(buf, 0, P170, raw=True)
    assert server_side == server_view(FULL_SETTINGS)
    # The server re-encodes what it decoded (raw) and the bytes are identical.
    again = bytearray()
    cc.write_cache_properties(again, server_side, P170, raw=True)
    assert again == buf


def test_property_rules() -> None:
    with pytest.raises(ParameterError):
        cc.write_cache_properties(bytearray(), {ops.PROP_CACHE_MODE: 1}, P170)
    with pytest.raises(ParameterError):
        cc.write_cache_properties(bytearray(), {ops.PROP_NAME: "x", 999: 1}, P170)
    with pytest.raises(NotSupportedByClusterError):
        cc.write_cache_properties(
            bytearray(), {ops.PROP_NAME: "x", ops.PROP_EXPIRY_POLICY: ExpiryPolicy()}, P150)
    with pytest.raises(ParameterError):
        cc.write_cache_properties(
            bytearray(), {ops.PROP_NAME: "x", ops.PROP_EXPIRY_POLICY: 5}, P170)


def test_unknown_property_code_is_a_protocol_error() -> None:
    with pytest.raises(ProtocolError):
        cc.read_cache_properties(h("ee ff ff ff 01 00 e7 03 00"), 0, P170)
    with pytest.raises(ProtocolError):
        cc.read_cache_properties(h("ee ff ff ff ff ff"), 0, P170)


def test_expiry_property_encoding() -> None:
    buf = bytearray()
    cc.write_cache_properties(buf, {ops.PROP_NAME: "a", ops.PROP_EXPIRY_POLICY: None}, P170)
    assert bytes(buf).endswith(h("97 01 00"))
    settings_, _ = cc.read_cache_properties(buf, 0, P170)
    assert settings_[ops.PROP_EXPIRY_POLICY] is None


# -- OP 1055 configuration struct -----------------------------------------------------------------


def test_configuration_defaults_and_version_tail() -> None:
    buf16 = bytearray()
    cc.write_cache_configuration(buf16, {ops.PROP_NAME: "c"}, ProtocolContext((1, 6, 0)))
    buf15 = bytearray()
    cc.write_cache_configuration(buf15, {ops.PROP_NAME: "c"}, P150)
    assert len(buf16) == len(buf15) + 1  # the expiry block: one "absent" byte
    assert int.from_bytes(buf16[:4], "little") == len(buf16) - 4
    read16, end = cc.read_cache_configuration(buf16, 0, ProtocolContext((1, 6, 0)))
    assert end == len(buf16)
    expected = {**cc.DEFAULT_CONFIGURATION, ops.PROP_NAME: "c"}
    assert read16 == expected
    read15, _ = cc.read_cache_configuration(buf15, 0, P150)
    assert ops.PROP_EXPIRY_POLICY not in read15
    assert set(read16) == set(cc.PROPERTY_KINDS)


def test_configuration_full_round_trip_server_to_client() -> None:
    stored = server_view(FULL_SETTINGS)
    buf = bytearray()
    cc.write_cache_configuration(buf, stored, P170, raw=True)
    decoded, end = cc.read_cache_configuration(buf, 0, P170)
    assert end == len(buf) and decoded == FULL_SETTINGS


def test_query_field_precision_only_from_120() -> None:
    entity = {"value_type_name": "T", "query_fields": [{"name": "F", "type_name": "int"}]}
    new, old = bytearray(), bytearray()
    cc.write_query_entity(new, entity, P170)
    cc.write_query_entity(old, entity, P110)
    assert len(new) == len(old) + 8
    decoded_new, _ = cc.read_query_entity(new, 0, P170)
    decoded_old, _ = cc.read_query_entity(old, 0, P110)
    assert decoded_new == decoded_old
    field = decoded_new["query_fields"][0]
    assert (field["precision"], field["scale"], field["is_key_field"]) == (-1, -1, False)
    assert decoded_new["key_type_name"] is None and decoded_new["query_indexes"] == []


def test_minimal_entity_at_end_of_configuration() -> None:
    """An all-null entity is 17 bytes and, before 1.6.0, the last thing in the reply."""
    buf = bytearray()
    cc.write_cache_configuration(buf, {ops.PROP_QUERY_ENTITIES: [{}]}, P150)
    decoded, end = cc.read_cache_configuration(buf, 0, P150)
    assert end == len(buf)
    assert decoded[ops.PROP_QUERY_ENTITIES] == [{
        "key_type_name": None, "value_type_name": None, "table_name": None,
        "key_field_name": None, "value_field_name": None, "query_fields": [],
        "field_name_aliases": [], "query_indexes": []}]


def test_configuration_matches_pyignite_parser() -> None:
    from pyignite.api.cache_config import compact_cache_config
    from pyignite.connection.protocol_context import ProtocolContext as PyContext
    from pyignite.datatypes.cache_config import get_cache_config_struct
    from pyignite.stream import READ_BACKWARD, BinaryStream

    class FakeClient:
        compact_footer = True

    for version in ((1, 7, 0), (1, 5, 0)):
        proto = ProtocolContext(version)
        buf = bytearray()
        cc.write_cache_configuration(buf, server_view(FULL_SETTINGS), proto, raw=True)
        struct_ = get_cache_config_struct(PyContext(version))
        with BinaryStream(FakeClient(), bytes(buf)) as stream:
            ctype = struct_.parse(stream)
            parsed = stream.read_ctype(ctype, direction=READ_BACKWARD)
            value = compact_cache_config(struct_.to_python(parsed))
        ours, _ = cc.read_cache_configuration(buf, 0, proto)
        if ops.PROP_EXPIRY_POLICY in value:
            theirs = value.pop(ops.PROP_EXPIRY_POLICY)
            mine = ours.pop(ops.PROP_EXPIRY_POLICY)
            assert (theirs.create, theirs.update, theirs.access) == mine.to_millis()
        assert value == ours


# -- property-based and fuzz ----------------------------------------------------------------------

names = st.one_of(st.none(), st.text(max_size=8))
int32 = st.integers(-(2 ** 31), 2 ** 31 - 1)
int64 = st.integers(-(2 ** 63), 2 ** 63 - 1)
durations = st.one_of(st.sampled_from([-2, -1]), st.integers(0, 2 ** 40))
expiries = st.one_of(st.none(), st.builds(ExpiryPolicy, create=durations, update=durations,
                                          access=durations))
entities = st.fixed_dictionaries({
    "key_type_name": names, "value_type_name": names, "table_name": names,
    "key_field_name": names, "value_field_name": names,
    "query_fields": st.lists(st.fixed_dictionaries({
        "name": names, "type_name": names, "is_key_field": st.booleans(),
        "is_notnull_constraint_field": st.booleans(),
        "default_value": st.one_of(st.none(), st.integers(-100, 100), st.text(max_size=4)),
        "precision": int32, "scale": int32}), max_size=3),
    "field_name_aliases": st.lists(st.fixed_dictionaries(
        {"field_name": names, "alias": names}), max_size=2),
    "query_indexes": st.lists(st.fixed_dictionaries({
        "index_name": names, "index_type": st.sampled_from(list(ops.IndexType)),
        "inline_size": int32,
        "fields": st.lists(st.fixed_dictionaries(
            {"name": names, "is_descending": st.booleans()}), max_size=2)}), max_size=2),
})


def value_for(kind: str) -> st.SearchStrategy[Any]:
    return {
        cc.STRING: names, cc.INT: int32, cc.LONG: int64, cc.BOOL: st.booleans(),
        cc.ENTITIES: st.lists(entities, max_size=2),
        cc.KEY_CONFIG: st.lists(st.fixed_dictionaries(
            {"type_name": names, "affinity_key_field_name": names}), max_size=2),
        cc.EXPIRY: expiries,
    }[kind]


settings_strategy = st.fixed_dictionaries(
    {ops.PROP_NAME: st.text(min_size=1, max_size=8)},
    optional={code: value_for(kind) for code, kind in cc.PROPERTY_KINDS.items()
              if code != ops.PROP_NAME},
)


def normalise(settings_: Dict[int, Any]) -> Dict[int, Any]:
    result = dict(settings_)
    policy = result.get(ops.PROP_EXPIRY_POLICY)
    if policy is not None:
        result[ops.PROP_EXPIRY_POLICY] = policy.to_millis()
    return result


@settings(max_examples=60, deadline=None)
@given(settings_strategy, st.sampled_from([(1, 7, 0), (1, 6, 0)]))
def test_properties_property_based(settings_: Dict[int, Any], version: ops.ProtocolVersion) -> None:
    proto = ProtocolContext(version)
    buf = bytearray()
    cc.write_cache_properties(buf, settings_, proto)
    decoded, end = cc.read_cache_properties(buf, 0, proto)
    assert end == len(buf) and normalise(decoded) == normalise(settings_)
    stored, _ = cc.read_cache_properties(buf, 0, proto, raw=True)
    out = bytearray()
    cc.write_cache_configuration(out, stored, proto, raw=True)
    config, _ = cc.read_cache_configuration(out, 0, proto)
    expected = {**cc.DEFAULT_CONFIGURATION, **settings_}
    assert normalise(config) == normalise(expected)


@settings(max_examples=300)
@given(st.binary(max_size=120), st.sampled_from([P170, P150, P110]))
def test_config_decoders_fuzz(data: bytes, proto: ProtocolContext) -> None:
    for decode in (
        lambda: cc.read_cache_properties(data, 0, proto, raw=True),
        lambda: cc.read_cache_configuration(data, 0, proto, raw=True),
        lambda: cc.read_cache_properties(b"\xee\xff\xff\xff" + data, 0, proto, raw=True),
    ):
        try:
            decode()
        except ProtocolError:
            pass
