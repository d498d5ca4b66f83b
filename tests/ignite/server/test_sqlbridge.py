"""The SQL bridge over the real SQL engine, driven with raw frames: result cells as Ignite
encodes them (exact decimals, wrapped ``_KEY``/``_VAL`` objects), CREATE TABLE options in the
cache configuration, paging and cursor release, errors, and a restart on the same data
directory keeping SQL tables, rows and their key-value view."""

from __future__ import annotations

import shutil
import tempfile
from decimal import Decimal
from typing import Any, List

from twisted.internet.task import Clock
from twisted.trial.unittest import SynchronousTestCase

from tests.ignite.server.fixtures import WireClient, memory_cluster
from txkv.ignite.codec import CodecContext, cache_id, ops
from txkv.ignite.codec import messages as m
from txkv.ignite.codec.frames import decode_response_header
from txkv.ignite.codec.generic import create_dataclass
from txkv.ignite.datatypes import IntObject, String
from txkv.ignite.server.cluster import IgniteCluster, ServerOptions
from txkv.ignite.server.sqlbridge import decimal_cell, table_options

CITY = ('CREATE TABLE City (ID INT, Name VARCHAR, CountryCode CHAR(3), Population INT, '
        'PRIMARY KEY (ID, CountryCode)) WITH "affinityKey=CountryCode"')
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
        ],
    }],
}


class DecimalCellTests(SynchronousTestCase):
    def test_layout_is_bigdecimal_with_its_own_scale(self) -> None:
        # scale 2, two bytes of magnitude 1050 (0x041A): what Ignite writes for 10.50
        self.assertEqual(decimal_cell(Decimal("10.50")).hex(), "1e0200000002000000041a")
        self.assertEqual(decimal_cell(Decimal("-0.10")).hex(), "1e02000000010000008a")
        # 128 needs a leading zero byte for the sign bit, which a negative value then sets
        self.assertEqual(decimal_cell(Decimal("-128")).hex(), "1e00000000020000008080")
        self.assertEqual(decimal_cell(Decimal("1E+3")).hex(), "1efdffffff0100000001")


class TableOptionTests(SynchronousTestCase):
    def test_options_become_cache_properties(self) -> None:
        settings = table_options({"TEMPLATE": "replicated", "BACKUPS": "2",
                                  "ATOMICITY": "transactional", "CACHE_GROUP": "grp",
                                  "WRITE_SYNCHRONIZATION_MODE": "full_sync",
                                  "DATA_REGION": "dr"})
        self.assertEqual(settings, {
            ops.PROP_CACHE_MODE: ops.CacheMode.REPLICATED, ops.PROP_BACKUPS_NUMBER: 2,
            ops.PROP_CACHE_ATOMICITY_MODE: ops.CacheAtomicityMode.TRANSACTIONAL,
            ops.PROP_GROUP_NAME: "grp",
            ops.PROP_WRITE_SYNCHRONIZATION_MODE: ops.WriteSynchronizationMode.FULL_SYNC,
            ops.PROP_DATA_REGION_NAME: "dr"})
        self.assertEqual(table_options({}), {
            ops.PROP_CACHE_MODE: ops.CacheMode.PARTITIONED, ops.PROP_BACKUPS_NUMBER: 0,
            ops.PROP_CACHE_ATOMICITY_MODE: ops.CacheAtomicityMode.ATOMIC})


class SqlOverWire:
    """Raw-frame helpers for a cluster with SQL."""

    cluster: IgniteCluster
    client: WireClient

    def reader(self) -> CodecContext:
        return CodecContext(registry=self.cluster.types.registry)

    def sql(self, query: str, *args: Any, page_size: int = 1024) -> Any:
        """The first page (WireClient reads it with field names)."""
        header, page = self.client.request(ops.OP_QUERY_SQL_FIELDS, m.SqlFieldsQuery(
            m.CacheInfo(0), query, list(args), schema="PUBLIC", page_size=page_size,
            include_field_names=True), self.reader())
        if header.is_error:
            raise AssertionError(f"{header.status}: {header.message}")
        return page

    def next_fields_page(self, cursor_id: int, columns: int) -> Any:
        """An SQL-fields next page (2005), read with the cursor's column count."""
        frames = self.client.send(bytes(m.encode_request(
            900, ops.OP_QUERY_SQL_FIELDS_CURSOR_GET_PAGE, m.ResourceOp(cursor_id),
            self.client.proto)))
        header = decode_response_header(frames[0], self.client.proto.status_flags)
        assert not header.is_error, header.message
        return m.decode_response_body(ops.OP_QUERY_SQL_FIELDS_CURSOR_GET_PAGE, frames[0],
                                      header.body_offset, self.client.proto, self.reader(),
                                      column_count=columns)

    def sql_error(self, query: str, *args: Any) -> Any:
        header, _ = self.client.request(ops.OP_QUERY_SQL_FIELDS, m.SqlFieldsQuery(
            m.CacheInfo(0), query, list(args), schema="PUBLIC"))
        assert header.is_error, query
        return header

    def get(self, cache: str, key: Any, key_hint: Any = None) -> Any:
        header, value = self.client.request(ops.OP_CACHE_GET, m.KeyOp(
            m.CacheInfo(cache_id(cache)), key, key_hint), self.reader())
        assert not header.is_error, header.message
        return value


class BridgeOverEngineTests(SqlOverWire, SynchronousTestCase):
    def setUp(self) -> None:
        self.cluster = memory_cluster(clock=Clock())
        self.addCleanup(self.cluster.stop)
        self.client = WireClient(self.cluster)
        self.client.handshake()

    def test_decimals_keep_their_scale_on_the_wire(self) -> None:
        self.sql("CREATE TABLE Price (id INT PRIMARY KEY, amount DECIMAL(10, 2))")
        self.sql("INSERT INTO Price (id, amount) VALUES (?, ?), (?, ?)",
                 1, Decimal("10.5"), 2, 3)
        rows = self.sql("SELECT amount FROM Price ORDER BY id").rows
        self.assertEqual([str(row[0]) for row in rows], ["10.50", "3.00"])
        self.assertEqual(str(self.get("SQL_PUBLIC_PRICE", 1, IntObject).AMOUNT), "10.5")

    def test_key_and_value_objects_in_results(self) -> None:
        self.sql(CITY)
        self.sql("INSERT INTO City (ID, Name, CountryCode, Population) VALUES (?, ?, ?, ?)",
                 3802, "Detroit", "USA", 951270)
        page = self.sql("SELECT _KEY, _VAL, Name FROM City")
        self.assertEqual(page.field_names, ["_KEY", "_VAL", "NAME"])
        key, value, name = page.rows[0]
        config = self.client.request(ops.OP_CACHE_GET_CONFIGURATION, m.CacheOp(
            m.CacheInfo(cache_id("SQL_PUBLIC_CITY"))))[1]
        entity = config[ops.PROP_QUERY_ENTITIES][0]
        self.assertEqual((key.type_name, key.ID, key.COUNTRYCODE),
                         (entity["key_type_name"], 3802, "USA"))
        self.assertEqual((value.type_name, value.NAME, value.POPULATION, name),
                         (entity["value_type_name"], "Detroit", 951270, "Detroit"))
        # the key object from the result is a key of the cache
        self.assertEqual(self.get("SQL_PUBLIC_CITY", key).POPULATION, 951270)

    def test_create_table_options_in_the_configuration(self) -> None:
        self.sql('CREATE TABLE Tx (id INT PRIMARY KEY, v VARCHAR) WITH "template=replicated,'
                 'backups=3,atomicity=transactional,cache_name=TxCache,cache_group=g1"')
        config = self.client.request(ops.OP_CACHE_GET_CONFIGURATION, m.CacheOp(
            m.CacheInfo(cache_id("TxCache"))))[1]
        self.assertEqual((config[ops.PROP_NAME], config[ops.PROP_CACHE_MODE],
                          config[ops.PROP_BACKUPS_NUMBER], config[ops.PROP_CACHE_ATOMICITY_MODE],
                          config[ops.PROP_GROUP_NAME], config[ops.PROP_SQL_SCHEMA]),
                         ("TxCache", 1, 3, 0, "g1", "PUBLIC"))

    def test_paging_releases_the_cursor(self) -> None:
        self.sql("CREATE TABLE Num (n INT PRIMARY KEY, sq INT)")
        for n in range(7):
            self.sql("INSERT INTO Num (n, sq) VALUES (?, ?)", n, n * n)
        first = self.sql("SELECT n FROM Num ORDER BY n", page_size=3)
        rows: List[Any] = list(first.rows)
        self.assertTrue(first.more)
        more = True
        pages = 1
        while more:
            page = self.next_fields_page(first.cursor_id, 1)
            rows.extend(page.rows)
            more = page.more
            pages += 1
        self.assertEqual((rows, pages), ([[n] for n in range(7)], 3))
        header, _ = self.client.request(ops.OP_RESOURCE_CLOSE, m.ResourceOp(first.cursor_id))
        self.assertEqual(header.status, ops.STATUS_RESOURCE_DOES_NOT_EXIST)

    def test_errors_are_replies(self) -> None:
        header = self.sql_error("SELECT * FROM Missing")
        self.assertEqual(header.status, ops.STATUS_FAILED)
        self.assertIn('Table "MISSING" not found', header.message)
        self.sql(CITY)
        # a scalar where the table needs a key object: an error reply, nothing stored
        header, _ = self.client.request(ops.OP_CACHE_PUT, m.KeyValueOp(
            m.CacheInfo(cache_id("SQL_PUBLIC_CITY")), 1, "x"))
        self.assertEqual(header.status, ops.STATUS_FAILED)
        self.assertEqual(self.sql("SELECT COUNT(*) FROM City").rows, [[0]])
        header = self.sql_error("INSERT INTO City (ID, Name) VALUES (1, 'x')")
        self.assertIn("Null value is not allowed", header.message)


class SqlRestartTests(SqlOverWire, SynchronousTestCase):
    """Data written through SQL or the key-value view survives a restart."""

    def setUp(self) -> None:
        self.directory = tempfile.mkdtemp(prefix="txkv-ignite-sql-")
        self.addCleanup(shutil.rmtree, self.directory, True)

    def start(self) -> None:
        self.cluster = IgniteCluster(ServerOptions(data=self.directory), reactor=Clock())
        self.cluster.add_node()
        self.client = WireClient(self.cluster)
        self.client.handshake()

    def test_tables_rows_and_caches_survive(self) -> None:
        self.start()
        self.sql(CITY)
        self.sql("CREATE INDEX idx_city_country ON City (CountryCode)")
        self.sql("INSERT INTO City (ID, Name, CountryCode, Population) VALUES (?, ?, ?, ?)",
                 1890, "Shanghai", "CHN", 9696300)
        header, _ = self.client.request(ops.OP_CACHE_CREATE_WITH_CONFIGURATION,
                                        m.CacheConfigOp(STUDENT))
        self.assertFalse(header.is_error, header.message)
        student = create_dataclass("SQL_PUBLIC_STUDENT_TYPE",
                                   [("NAME", String), ("AGE", IntObject)])
        writer = CodecContext()
        writer.register_class(student)
        self.client.request(ops.OP_PUT_BINARY_TYPE, m.PutBinaryTypeOp(
            writer.registry.get(student.type_id)))
        header, _ = self.client.request(ops.OP_CACHE_PUT, m.KeyValueOp(
            m.CacheInfo(cache_id("SQL_PUBLIC_STUDENT")), 1, student(NAME="John Doe", AGE=17),
            key_hint=IntObject))
        self.assertFalse(header.is_error, header.message)
        self.cluster.stop()

        self.start()
        self.addCleanup(self.cluster.stop)
        names = self.client.request(ops.OP_CACHE_GET_NAMES)[1]
        self.assertEqual(sorted(names), ["SQL_PUBLIC_CITY", "SQL_PUBLIC_STUDENT"])
        self.assertEqual(self.sql("SELECT Name, Population FROM City").rows,
                         [["Shanghai", 9696300]])
        self.assertEqual(self.sql("SELECT * FROM Student").field_names,
                         ["SID", "NAME", "AGE"])
        self.assertEqual(self.sql("SELECT * FROM Student").rows, [[1, "John Doe", 17]])
        got = self.get("SQL_PUBLIC_STUDENT", 1, IntObject)
        self.assertEqual((got.type_name, got.NAME, got.AGE),
                         ("SQL_PUBLIC_STUDENT_TYPE", "John Doe", 17))
        header = self.sql_error("CREATE INDEX idx_city_country ON City (CountryCode)")
        self.assertIn("Index already exists", header.message)
        self.sql("DROP TABLE City")
        self.assertEqual(self.client.request(ops.OP_CACHE_GET_NAMES)[1],
                         ["SQL_PUBLIC_STUDENT"])
