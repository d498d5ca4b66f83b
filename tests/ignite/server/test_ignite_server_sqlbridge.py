"""The SQL bridge against a stand-in engine with the SqlEngine interface: table caches,
row <-> binary-object mapping, registered value types, SQL-fields cursors."""

from __future__ import annotations

import contextlib
import sys
import types
from typing import Any, Dict, List, NamedTuple, Optional

from twisted.internet.task import Clock
from twisted.trial.unittest import SynchronousTestCase

from tests.ignite.server.fixtures import WireClient, memory_cluster
from txkv.ignite.codec import CodecContext, cache_id, ops
from txkv.ignite.codec import messages as m
from txkv.ignite.codec.generic import create_dataclass
from txkv.ignite.datatypes import DoubleObject, IntObject, String


class Column(NamedTuple):
    name: str
    type_code: int


class FakeTable:
    def __init__(self, cache_name: str, entity: Dict[str, Any]) -> None:
        self.cache_name = cache_name
        self.schema = "PUBLIC"
        self.table = entity["table_name"]
        self.scalar_key_column = entity.get("key_field_name")
        self.scalar_value_column = entity.get("value_field_name")
        self.key_type_name = entity["key_type_name"]
        self.value_type_name = entity["value_type_name"]
        codes = {"java.lang.Integer": 3, "java.lang.String": 9, "java.math.Double": 6}
        fields = entity["query_fields"]
        self.key_columns = [f["name"] for f in fields if f.get("is_key_field")]
        self.value_columns = [f["name"] for f in fields if not f.get("is_key_field")]
        self.columns = [Column(f["name"], codes[f["type_name"]]) for f in fields]
        self.created_by_ddl = False
        self.entity = entity
        self.rows: Dict[Any, Dict[str, Any]] = {}

    def query_entity(self) -> Dict[str, Any]:
        return self.entity


class Result(NamedTuple):
    columns: List[str]
    type_codes: List[int]
    rows: List[List[Any]]
    is_query: bool
    update_count: Optional[int]


class FakeEngine:
    def __init__(self, path: Optional[str]) -> None:
        self.tables_by_cache: Dict[str, FakeTable] = {}

    def tables(self) -> List[FakeTable]:
        return list(self.tables_by_cache.values())

    def table_for_cache(self, name: str) -> Optional[FakeTable]:
        return self.tables_by_cache.get(name)

    def create_table_from_query_entity(self, cache: str, schema: str, entity: Any) -> None:
        self.tables_by_cache[cache] = FakeTable(cache, entity)

    def drop_cache_table(self, cache: str) -> None:
        self.tables_by_cache.pop(cache, None)

    def put_row(self, cache: str, key: Any, row: Dict[str, Any]) -> None:
        self.tables_by_cache[cache].rows[key] = dict(row)

    def get_row(self, cache: str, key: Any) -> Optional[Dict[str, Any]]:
        return self.tables_by_cache[cache].rows.get(key)

    def remove_row(self, cache: str, key: Any) -> bool:
        return self.tables_by_cache[cache].rows.pop(key, None) is not None

    def scan_rows(self, cache: str) -> Any:
        return list(self.tables_by_cache[cache].rows.items())

    def select_rows(self, cache: str, clause: str, args: List[Any]) -> Any:
        return list(self.tables_by_cache[cache].rows.items())

    def clear_rows(self, cache: str) -> int:
        count = len(self.tables_by_cache[cache].rows)
        self.tables_by_cache[cache].rows.clear()
        return count

    def atomic(self) -> Any:
        return contextlib.nullcontext()

    def count_rows(self, cache: str) -> int:
        return len(self.tables_by_cache[cache].rows)

    def execute(self, sql: str, args: List[Any], schema: str = "PUBLIC",
                statement_type: int = 0, max_rows: int = -1) -> Result:
        table = self.tables()[0]
        names = [c.name for c in table.columns]
        rows = [[key] + [row.get(n) for n in names[1:]] for key, row in table.rows.items()]
        return Result(names, [c.type_code for c in table.columns], rows, True, None)

    def close(self) -> None:
        pass


class SqlError(Exception):
    pass


STUDENT = {
    ops.PROP_NAME: "SQL_PUBLIC_STUDENT",
    ops.PROP_SQL_SCHEMA: "PUBLIC",
    ops.PROP_QUERY_ENTITIES: [{
        "table_name": "STUDENT", "key_field_name": "SID", "key_type_name": "java.lang.Integer",
        "value_type_name": "SQL_PUBLIC_STUDENT_TYPE", "value_field_name": None,
        "field_name_aliases": [], "query_indexes": [],
        "query_fields": [
            {"name": "SID", "type_name": "java.lang.Integer", "is_key_field": True},
            {"name": "NAME", "type_name": "java.lang.String"},
            {"name": "AGE", "type_name": "java.lang.Integer"},
            {"name": "GPA", "type_name": "java.math.Double"},
        ],
    }],
}


class BridgeWithFakeEngine(SynchronousTestCase):
    def setUp(self) -> None:
        module = types.ModuleType("txkv.ignite.server.sql")
        module.SqlEngine = FakeEngine  # type: ignore[attr-defined]
        module.SqlError = SqlError  # type: ignore[attr-defined]
        saved = sys.modules.get("txkv.ignite.server.sql")
        sys.modules["txkv.ignite.server.sql"] = module

        def restore() -> None:
            if saved is None:
                sys.modules.pop("txkv.ignite.server.sql", None)
            else:
                sys.modules["txkv.ignite.server.sql"] = saved

        self.addCleanup(restore)
        self.cluster = memory_cluster(clock=Clock())
        self.client = WireClient(self.cluster)
        self.client.handshake()
        self.ctx = CodecContext()

    def test_table_cache_round_trip(self) -> None:
        header, _ = self.client.request(ops.OP_CACHE_CREATE_WITH_CONFIGURATION,
                                        m.CacheConfigOp(STUDENT))
        self.assertFalse(header.is_error, header.message)
        student = create_dataclass("SQL_PUBLIC_STUDENT_TYPE",
                                   [("NAME", String), ("AGE", IntObject), ("GPA", DoubleObject)])
        info = m.CacheInfo(cache_id("SQL_PUBLIC_STUDENT"))
        value = student(NAME="John Doe", AGE=17, GPA=4.25)
        self.ctx.register_class(student)
        self.client.request(ops.OP_PUT_BINARY_TYPE, m.PutBinaryTypeOp(
            self.ctx.registry.get(student.type_id)))
        header, _ = self.client.request(ops.OP_CACHE_PUT, m.KeyValueOp(
            info, 1, value, key_hint=IntObject))
        self.assertFalse(header.is_error, header.message)
        engine = self.cluster.sql_bridge().engine
        self.assertEqual(engine.get_row("SQL_PUBLIC_STUDENT", 1),
                         {"NAME": "John Doe", "AGE": 17, "GPA": 4.25})
        # read back as a complex object, decodable with the server's registered metadata
        frames = self.client.send(m.encode_request(99, ops.OP_CACHE_GET,
                                                   m.KeyOp(info, 1, IntObject),
                                                   self.client.proto))
        from txkv.ignite.codec.frames import decode_response_header
        reply = decode_response_header(frames[0], True)
        reader = CodecContext(registry=self.cluster.types.registry)
        got = m.decode_response_body(ops.OP_CACHE_GET, frames[0], reply.body_offset,
                                     self.client.proto, reader)
        self.assertEqual((got.NAME, got.AGE, got.GPA), ("John Doe", 17, 4.25))
        self.assertEqual(self.client.request(ops.OP_CACHE_GET_SIZE, m.SizeOp(info))[1], 1)
        names = self.client.request(ops.OP_CACHE_GET_NAMES)[1]
        self.assertEqual(names, ["SQL_PUBLIC_STUDENT"])
        config = self.client.request(ops.OP_CACHE_GET_CONFIGURATION, m.CacheOp(info))[1]
        self.assertEqual(config[ops.PROP_QUERY_ENTITIES][0]["table_name"], "STUDENT")
        page = self.client.request(ops.OP_QUERY_SQL_FIELDS, m.SqlFieldsQuery(
            m.CacheInfo(0), "SELECT * FROM Student", include_field_names=True))[1]
        self.assertEqual(page.field_names, ["SID", "NAME", "AGE", "GPA"])
        self.assertEqual(page.rows, [[1, "John Doe", 17, 4.25]])
        rows = self.client.request(ops.OP_QUERY_SQL, m.SqlQuery(
            info, "SQL_PUBLIC_STUDENT_TYPE", "AGE > ?", [10]), reader)[1]
        self.assertEqual(len(rows.rows), 1)
        self.assertEqual(rows.rows[0][0], 1)
        # removal goes to the table, also from a transaction
        tx_id = self.client.request(ops.OP_TX_START, m.TxStartOp())[1]
        in_tx = m.CacheInfo.build(info.cache_id, tx_id=tx_id)
        self.client.request(ops.OP_CACHE_REMOVE_KEY, m.KeyOp(in_tx, 1, IntObject))
        self.assertIsNotNone(engine.get_row("SQL_PUBLIC_STUDENT", 1))
        self.client.request(ops.OP_TX_END, m.TxEndOp(tx_id, True))
        self.assertIsNone(engine.get_row("SQL_PUBLIC_STUDENT", 1))
        self.client.request(ops.OP_CACHE_DESTROY, m.CacheIdOp(info.cache_id))
        self.assertEqual(engine.tables(), [])
        self.assertEqual(self.client.request(ops.OP_CACHE_GET_NAMES)[1], [])
