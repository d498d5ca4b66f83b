"""SqlEngine: typed results, DML/DDL, H2-isms, errors, schemas, the cache view, durability."""

from __future__ import annotations

import os
import tempfile
import uuid
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, List

from twisted.trial.unittest import SynchronousTestCase

from tests.ignite.server.test_sql_world import LANGUAGE_DATA, world_engine
from txkv.ignite.server.sql import SqlEngine, SqlError, SqlObject

ALL_TYPES_TABLE = """CREATE TABLE AllTypes (
    id BIGINT PRIMARY KEY, b BOOLEAN, t TINYINT, s SMALLINT, i INT, l BIGINT,
    d DECIMAL(20, 4), r REAL, f DOUBLE, c CHAR(5), v VARCHAR, dt DATE, tm TIME,
    ts TIMESTAMP, u UUID, bin VARBINARY)"""
ALL_TYPES_INSERT = "INSERT INTO AllTypes VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
ALL_TYPES_ROW: List[Any] = [
    1, True, -5, 300, 70000, 2**40, Decimal("1234567890123456.1234"), 1.5, 0.1, "abc",
    "hello", datetime(2020, 1, 2), timedelta(hours=13, minutes=5, seconds=7, milliseconds=250),
    (datetime(2021, 3, 4, 5, 6, 7, 123000), 456789),
    uuid.UUID("12345678-1234-5678-1234-567812345678"), b"\x00\x01\xff",
]
ALL_TYPES_CODES = [4, 8, 1, 2, 3, 4, 30, 5, 6, 9, 9, 11, 36, 33, 10, 12]


class EngineCase(SynchronousTestCase):
    def setUp(self) -> None:
        self.engine = SqlEngine()
        self.addCleanup(self.engine.close)

    def run_sql(self, sql: str, *args: Any, **kwargs: Any) -> List[List[Any]]:
        return self.engine.execute(sql, list(args), **kwargs).rows

    def assertSqlError(self, fragment: str, sql: str, *args: Any, **kwargs: Any) -> SqlError:
        with self.assertRaises(SqlError) as caught:
            self.engine.execute(sql, list(args), **kwargs)
        self.assertIn(fragment, caught.exception.message)
        return caught.exception


class TypedValueTests(EngineCase):
    def setUp(self) -> None:
        super().setUp()
        self.engine.execute(ALL_TYPES_TABLE)
        self.engine.execute(ALL_TYPES_INSERT, ALL_TYPES_ROW)

    def test_round_trip(self) -> None:
        result = self.engine.execute("SELECT * FROM AllTypes")
        self.assertEqual(result.columns, ["ID", "B", "T", "S", "I", "L", "D", "R", "F", "C", "V",
                                          "DT", "TM", "TS", "U", "BIN"])
        self.assertEqual(result.type_codes, ALL_TYPES_CODES)
        self.assertEqual(result.rows, [ALL_TYPES_ROW])
        self.assertEqual([type(v) for v in result.rows[0]],
                         [type(v) for v in ALL_TYPES_ROW])

    def test_typed_arguments_find_rows(self) -> None:
        for column, value in [("d", ALL_TYPES_ROW[6]), ("dt", ALL_TYPES_ROW[11]),
                              ("ts", ALL_TYPES_ROW[13]), ("u", ALL_TYPES_ROW[14]),
                              ("b", True), ("tm", ALL_TYPES_ROW[12]), ("bin", b"\x00\x01\xff")]:
            self.assertEqual(self.run_sql(f"SELECT id FROM AllTypes WHERE {column} = ?", value),
                             [[1]], column)

    def test_nulls_keep_the_column_type(self) -> None:
        self.engine.execute("INSERT INTO AllTypes (id) VALUES (2)")
        result = self.engine.execute("SELECT * FROM AllTypes WHERE id = 2")
        self.assertEqual(result.rows, [[2] + [None] * 15])
        self.assertEqual(result.type_codes, ALL_TYPES_CODES)

    def test_decimal_scale_and_rounding(self) -> None:
        self.engine.execute("CREATE TABLE Money (id INT PRIMARY KEY, amount DECIMAL(6, 2))")
        self.engine.execute("INSERT INTO Money VALUES (?, ?), (?, ?), (?, ?)",
                            [1, Decimal("1.005"), 2, 3, 3, "0.1"])
        self.assertEqual(self.run_sql("SELECT amount FROM Money ORDER BY id"),
                         [[Decimal("1.01")], [Decimal("3.00")], [Decimal("0.10")]])
        self.assertEqual(self.run_sql("SELECT SUM(amount), MIN(amount) FROM Money"),
                         [[Decimal("4.11"), Decimal("0.10")]])
        self.assertSqlError("Numeric value out of range", "INSERT INTO Money VALUES (?, ?)", 4,
                            Decimal("12345.6"))

    def test_real_is_float32(self) -> None:
        self.engine.execute("INSERT INTO AllTypes (id, r) VALUES (?, ?)", [3, 0.1])
        self.assertEqual(self.run_sql("SELECT r FROM AllTypes WHERE id = 3"),
                         [[0.10000000149011612]])


class WorldQueryTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.engine = world_engine()
        self.addCleanup(self.engine.close)

    def query(self, sql: str, *args: Any) -> Any:
        return self.engine.execute(sql, list(args))

    def test_aggregate_types(self) -> None:
        result = self.query("SELECT COUNT(*), SUM(population), AVG(population), MAX(name), "
                            "MIN(LifeExpectancy), SUM(GNP) FROM Country")
        self.assertEqual(result.type_codes, [4, 4, 3, 9, 30, 30])
        self.assertEqual(result.rows, [[3, 2569577000, 856525666, "United States",
                                        Decimal("62.5"), Decimal("9940082.00")]])
        self.assertEqual(result.columns[0], "COUNT(*)")

    def test_expressions_are_typed_from_values(self) -> None:
        result = self.query("SELECT population * 2, name || '!', 1.5, NULL FROM City "
                            "WHERE id = 3802")
        self.assertEqual(result.rows, [[1902540, "Detroit!", 1.5, None]])
        self.assertEqual(result.type_codes, [4, 9, 6, 101])

    def test_cast(self) -> None:
        result = self.query("SELECT CAST(population AS BIGINT), CAST(id AS VARCHAR(10)) "
                            "FROM City WHERE id = 3802")
        self.assertEqual(result.columns, ["CAST(POPULATION AS BIGINT)",
                                          "CAST(ID AS VARCHAR(10))"])
        self.assertEqual(result.type_codes, [4, 9])
        self.assertEqual(result.rows, [[951270, "3802"]])

    def test_booleans(self) -> None:
        result = self.query("SELECT IsOfficial FROM CountryLanguage WHERE Language = 'English'")
        self.assertEqual((result.rows, result.type_codes), ([[True]], [8]))
        official = sorted(row[1] for row in LANGUAGE_DATA if row[2])
        self.assertEqual(self.query("SELECT Language FROM CountryLanguage WHERE IsOfficial = ? "
                                    "ORDER BY Language", True).rows,
                         [[name] for name in official])
        self.assertEqual(self.query("SELECT COUNT(*) FROM CountryLanguage WHERE IsOfficial = "
                                    "TRUE").rows, [[len(official)]])

    def test_aliases_subqueries_and_paging(self) -> None:
        self.assertEqual(self.query("SELECT c.name FROM City c WHERE c.id = 3802").rows,
                         [["Detroit"]])
        self.assertEqual(
            self.query("SELECT name FROM City WHERE countrycode IN (SELECT code FROM Country "
                       "WHERE continent = ?) ORDER BY population DESC LIMIT 2 OFFSET 1",
                       "Asia").rows,
            [["Shanghai"], ["Peking"]])
        result = self.engine.execute("SELECT id FROM City ORDER BY id", max_rows=3)
        self.assertEqual(result.rows, [[1024], [1025], [1026]])

    def test_decimal_compares_numerically(self) -> None:
        self.assertEqual(self.query("SELECT code FROM Country WHERE SurfaceArea > 5000000 "
                                    "ORDER BY SurfaceArea").rows, [["USA"], ["CHN"]])
        self.assertEqual(self.query("SELECT code FROM Country WHERE LifeExpectancy = ?",
                                    Decimal("77.1")).rows, [["USA"]])

    def test_like_is_case_sensitive(self) -> None:
        self.assertEqual(self.query("SELECT COUNT(*) FROM City WHERE name LIKE 'new%'").rows,
                         [[0]])
        self.assertEqual(self.query("SELECT COUNT(*) FROM City WHERE name LIKE 'New%'").rows,
                         [[1]])

    def test_update_delete_counts(self) -> None:
        self.assertEqual(self.query("UPDATE City SET population = population + 1 WHERE "
                                    "countrycode = ?", "USA").rows, [[5]])
        self.assertEqual(self.query("SELECT population FROM City WHERE id = 3802").rows,
                         [[951271]])
        self.assertEqual(self.query("DELETE FROM City WHERE countrycode = 'CHN'").rows, [[9]])
        self.assertEqual(self.query("DELETE FROM City WHERE countrycode = 'CHN'").rows, [[0]])
        self.assertEqual(self.engine.count_rows("SQL_PUBLIC_CITY"), 10)

    def test_update_of_a_key_column_is_refused(self) -> None:
        with self.assertRaises(SqlError) as caught:
            self.query("UPDATE City SET id = 1 WHERE id = 3802")
        self.assertIn("can't modify key", caught.exception.message)

    def test_statement_type(self) -> None:
        for sql, wrong in [("SELECT * FROM City", 2), ("DELETE FROM City", 1),
                           ("CREATE TABLE X (A INT PRIMARY KEY, B INT)", 1)]:
            with self.assertRaises(SqlError) as caught:
                self.engine.execute(sql, statement_type=wrong)
            self.assertEqual(caught.exception.message,
                             "Given statement type does not match that declared by JDBC driver")
        self.assertEqual(self.engine.execute("SELECT COUNT(*) FROM City",
                                             statement_type=1).rows, [[19]])
        self.assertEqual(self.engine.execute("DELETE FROM City WHERE id = 1",
                                             statement_type=2).rows, [[0]])


class DmlTests(EngineCase):
    def setUp(self) -> None:
        super().setUp()
        self.engine.execute("CREATE TABLE Student (id INT(11) PRIMARY KEY, first_name CHAR(24), "
                            "last_name CHAR(32), grade INT(11))")

    def test_multi_row_insert(self) -> None:
        result = self.engine.execute("INSERT INTO Student (id, first_name, last_name, grade) "
                                     "VALUES (?, ?, ?, ?), (2, 'Jane', 'Roe', 4), (?, ?, ?, ?)",
                                     [1, "John", "Doe", 5, 3, "Joe", "Bloggs", 4])
        self.assertEqual(result.rows, [[3]])
        self.assertEqual(self.run_sql("SELECT id, first_name, last_name, grade FROM Student "
                                      "ORDER BY ID ASC"),
                         [[1, "John", "Doe", 5], [2, "Jane", "Roe", 4], [3, "Joe", "Bloggs", 4]])

    def test_merge_upserts(self) -> None:
        merge = "MERGE INTO Student (id, first_name, grade) VALUES (?, ?, ?)"
        self.assertEqual(self.run_sql(merge, 1, "John", 5), [[1]])
        self.assertEqual(self.run_sql(merge, 1, "Johnny", 3), [[1]])
        self.assertEqual(self.run_sql("MERGE INTO Student (id, first_name) KEY (id) VALUES "
                                      "(2, 'Jane')"), [[1]])
        self.assertEqual(self.run_sql("SELECT * FROM Student ORDER BY id"),
                         [[1, "Johnny", None, 3], [2, "Jane", None, None]])

    def test_scalar_key_cache_view(self) -> None:
        table = self.engine.table_for_cache("SQL_PUBLIC_STUDENT")
        assert table is not None
        self.assertEqual((table.key_type_name, table.key_field_name),
                         ("java.lang.Integer", "ID"))
        self.engine.put_row("SQL_PUBLIC_STUDENT", 7, {"FIRST_NAME": "Abe", "GRADE": 2})
        self.assertEqual(self.engine.get_row("SQL_PUBLIC_STUDENT", 7),
                         {"FIRST_NAME": "Abe", "LAST_NAME": None, "GRADE": 2})
        self.assertEqual(list(self.engine.scan_rows("SQL_PUBLIC_STUDENT")),
                         [(7, {"FIRST_NAME": "Abe", "LAST_NAME": None, "GRADE": 2})])
        result = self.engine.execute("SELECT _KEY, _VAL FROM Student")
        self.assertEqual(result.columns, ["_KEY", "_VAL"])
        self.assertEqual(result.type_codes, [3, 103])
        self.assertEqual(result.rows[0][0], 7)
        self.assertEqual(result.rows[0][1].as_dict(),
                         {"FIRST_NAME": "Abe", "LAST_NAME": None, "GRADE": 2})
        self.assertEqual(self.run_sql("SELECT first_name FROM Student WHERE _KEY = ?", 7),
                         [["Abe"]])
        self.assertTrue(self.engine.remove_row("SQL_PUBLIC_STUDENT", 7))
        self.assertFalse(self.engine.remove_row("SQL_PUBLIC_STUDENT", 7))
        self.assertIsNone(self.engine.get_row("SQL_PUBLIC_STUDENT", 7))

    def test_select_rows_clause(self) -> None:
        for key in range(1, 5):
            self.engine.put_row("SQL_PUBLIC_STUDENT", key, {"GRADE": key * 10})
        self.assertEqual([k for k, _ in self.engine.select_rows("SQL_PUBLIC_STUDENT",
                                                                "ORDER BY ID DESC")],
                         [4, 3, 2, 1])
        self.assertEqual([v["GRADE"] for _, v in self.engine.select_rows(
            "SQL_PUBLIC_STUDENT", "grade > ?", [25])], [30, 40])

    def test_errors(self) -> None:
        insert = "INSERT INTO Student (id, first_name) VALUES (?, ?)"
        self.run_sql(insert, 1, "John")
        error = self.assertSqlError("Duplicate key during INSERT [key=1]", insert, 1, "Jim")
        self.assertEqual(error.sql_state, "23000")
        self.assertSqlError("Null value is not allowed for column 'ID'", insert, None, "x")
        self.assertSqlError("is too long. Maximum length: 24", insert, 2, "x" * 25)
        self.assertSqlError("Data conversion error", insert, "two", "x")
        self.assertSqlError('Table "NOPE" not found', "SELECT * FROM nope")
        self.assertSqlError('Column "NOPE" not found', "SELECT nope FROM Student")
        self.assertSqlError("Syntax error", "SELEKT * FROM Student")
        self.assertSqlError("Table already exists: STUDENT",
                            "CREATE TABLE Student (id INT PRIMARY KEY, x INT)")
        self.assertSqlError("Table doesn't exist: NOPE", "DROP TABLE nope")
        self.assertSqlError("No PRIMARY KEY", "CREATE TABLE T (a INT, b INT)")
        self.assertSqlError("Multiple statements", "SELECT 1; SELECT 2")
        self.assertSqlError("Failed to set schema", "SELECT 1", schema="NOT_EXISTING")
        self.assertEqual(self.run_sql("CREATE TABLE IF NOT EXISTS Student (id INT PRIMARY KEY, "
                                      "x INT)"), [[0]])
        self.assertEqual(self.run_sql("SELECT COUNT(*) FROM Student"), [[1]])

    def test_literal_type_checks(self) -> None:
        self.engine.execute("CREATE TABLE Small (id INT PRIMARY KEY, b TINYINT)")
        self.assertSqlError("Data conversion error", "INSERT INTO Small VALUES (1, 300)")
        self.assertSqlError("Numeric value out of range", "INSERT INTO Small VALUES (?, ?)", 1,
                            300)
        self.assertSqlError("Data conversion error", "INSERT INTO Small VALUES (1, 'abc')")


class DialectTests(EngineCase):
    def test_quoted_identifiers_keep_their_case(self) -> None:
        self.engine.execute('CREATE TABLE "MixedCase" ("Id" INT PRIMARY KEY, "Val" VARCHAR, '
                            'other VARCHAR)')
        self.engine.execute('INSERT INTO "MixedCase" ("Id", "Val", Other) VALUES (1, ?, ?)',
                            ["a", "b"])
        result = self.engine.execute('SELECT * FROM "MixedCase"')
        self.assertEqual((result.columns, result.rows), (["Id", "Val", "OTHER"], [[1, "a", "b"]]))
        table = self.engine.table_for_cache("SQL_PUBLIC_MixedCase")
        assert table is not None
        self.assertEqual(table.table, "MixedCase")
        self.assertSqlError('Table "MIXEDCASE" not found', "SELECT * FROM MixedCase")

    def test_drop_table_if_exists_both_orders(self) -> None:
        for sql in ["DROP TABLE IF EXISTS T", "DROP TABLE T IF EXISTS"]:
            self.engine.execute("CREATE TABLE T (a INT PRIMARY KEY, b INT)")
            self.assertEqual(self.run_sql(sql), [[0]])
            self.assertIsNone(self.engine.table_for_cache("SQL_PUBLIC_T"))
            self.assertEqual(self.run_sql(sql), [[0]])

    def test_indexes(self) -> None:
        self.engine.execute("CREATE TABLE T (a INT PRIMARY KEY, b INT, c VARCHAR)")
        self.run_sql("CREATE INDEX IF NOT EXISTS idx_bc ON T (b DESC, c ASC) INLINE_SIZE 10")
        self.assertEqual(self.run_sql("CREATE INDEX IF NOT EXISTS idx_bc ON T (b)"), [[0]])
        self.assertSqlError("Index already exists: IDX_BC", "CREATE INDEX idx_bc ON T (b)")
        self.assertSqlError("Column doesn't exist: NOPE", "CREATE INDEX idx_x ON T (nope)")
        self.run_sql("DROP INDEX idx_bc")
        self.assertSqlError("Index doesn't exist: IDX_BC", "DROP INDEX idx_bc")
        self.assertEqual(self.run_sql("DROP INDEX IF EXISTS idx_bc"), [[0]])
        self.run_sql("CREATE INDEX idx_bc ON T (b)")

    def test_add_column(self) -> None:
        self.engine.execute("CREATE TABLE T (a INT PRIMARY KEY, b INT)")
        self.run_sql("INSERT INTO T VALUES (1, 2)")
        self.run_sql("ALTER TABLE T ADD COLUMN c DECIMAL(5, 1)")
        self.run_sql("UPDATE T SET c = ? WHERE a = 1", Decimal("2.25"))
        result = self.engine.execute("SELECT * FROM T")
        self.assertEqual((result.rows, result.type_codes), ([[1, 2, Decimal("2.3")]], [3, 3, 30]))

    def test_schemas(self) -> None:
        self.engine.execute("CREATE TABLE s1.T (a INT PRIMARY KEY, b VARCHAR)")
        self.engine.execute("INSERT INTO s1.T VALUES (1, 'one')")
        self.assertEqual(self.run_sql("SELECT b FROM T", schema="S1"), [["one"]])
        self.assertEqual(self.run_sql("SELECT t.b FROM s1.t"), [["one"]])
        self.assertSqlError('Table "T" not found', "SELECT b FROM T")
        table = self.engine.table_for_cache("SQL_S1_T")
        assert table is not None
        self.assertEqual(table.schema, "S1")
        self.assertIn("S1", self.engine.schemas())

    def test_with_options(self) -> None:
        self.engine.execute('''CREATE TABLE StudentTable (
            id INT(11), dept VARCHAR, name CHAR(24), PRIMARY KEY (id, dept))
            WITH "CACHE_NAME=StudentCache, KEY_TYPE=test.model.StudentKey,
                  VALUE_TYPE=test.model.Student, template=replicated, backups=1"''')
        table = self.engine.table_for_cache("StudentCache")
        assert table is not None
        self.assertEqual((table.key_type_name, table.value_type_name),
                         ("test.model.StudentKey", "test.model.Student"))
        self.assertEqual(table.options["TEMPLATE"], "replicated")
        self.assertEqual(table.options["BACKUPS"], "1")
        self.engine.put_row("StudentCache", {"ID": 2, "DEPT": "Business"}, {"NAME": "Abe"})
        result = self.engine.execute("SELECT _key, _val FROM StudentTable")
        key, value = result.rows[0]
        assert isinstance(key, SqlObject) and isinstance(value, SqlObject)
        self.assertEqual((key.type_name, key.as_dict()),
                         ("test.model.StudentKey", {"ID": 2, "DEPT": "Business"}))
        self.assertEqual((value.type_name, value.as_dict()),
                         ("test.model.Student", {"NAME": "Abe"}))
        self.assertEqual(self.run_sql("SELECT id, dept, name FROM StudentTable"),
                         [[2, "Business", "Abe"]])
        self.assertSqlError("Unsupported parameter: nope",
                            'CREATE TABLE X (a INT PRIMARY KEY, b INT) WITH "nope=1"')

    def test_varbinary_merge(self) -> None:
        self.engine.execute("CREATE TABLE VarbinTable(id int primary key, varbin VARBINARY)")
        for value in [bytearray(b"Test message"), b"Test message"]:
            self.engine.execute("MERGE INTO VarbinTable(id, varbin) VALUES (?, ?)", [1, value])
            row = self.run_sql("SELECT * FROM VarbinTable")[0]
            self.assertEqual(row, [1, b"Test message"])
            self.assertIs(type(row[1]), bytes)


class QueryEntityTests(EngineCase):
    def test_key_and_value_fields(self) -> None:
        self.engine.add_schema("INDEXED_CACHE_SCHEMA")
        self.engine.create_table_from_query_entity("indexed_cache", "INDEXED_CACHE_SCHEMA", {
            "table_name": "INDEXED_CACHE_TABLE", "key_field_name": "KEY",
            "value_field_name": "VALUE", "key_type_name": "java.lang.Long",
            "value_type_name": "java.lang.String", "query_indexes": [],
            "field_name_aliases": [],
            "query_fields": [
                {"name": "KEY", "type_name": "java.lang.Long", "is_key_field": True,
                 "is_notnull_constraint_field": True},
                {"name": "VALUE", "type_name": "java.lang.String"},
            ]})
        self.engine.put_row("indexed_cache", 42, "Lorem ipsum")
        self.assertEqual(self.run_sql("select value from INDEXED_CACHE_TABLE",
                                      schema="INDEXED_CACHE_SCHEMA"), [["Lorem ipsum"]])
        self.assertEqual(self.engine.get_row("indexed_cache", 42), {"VALUE": "Lorem ipsum"})
        table = self.engine.table_for_cache("indexed_cache")
        assert table is not None
        self.assertEqual((table.key_field_name, table.value_field_name), ("KEY", "VALUE"))

    def test_entity_without_fields_gets_key_and_val_columns(self) -> None:
        self.engine.create_table_from_query_entity("plain", "PUBLIC", {
            "table_name": "PLAIN", "key_type_name": "java.lang.Long",
            "value_type_name": "java.lang.String", "query_fields": []})
        self.engine.put_row("plain", 5, "five")
        result = self.engine.execute("SELECT _KEY, _VAL FROM plain")
        self.assertEqual((result.rows, result.type_codes), ([[5, "five"]], [4, 9]))

    def test_composite_key_entity(self) -> None:
        self.engine.create_table_from_query_entity("people", "PUBLIC", {
            "table_name": "PERSON", "key_type_name": "PersonKey",
            "value_type_name": "Person",
            "query_fields": [
                {"name": "ORG", "type_name": "java.lang.String", "is_key_field": True},
                {"name": "ID", "type_name": "java.lang.Integer", "is_key_field": True},
                {"name": "NAME", "type_name": "java.lang.String"},
                {"name": "SALARY", "type_name": "java.math.BigDecimal", "precision": 10,
                 "scale": 2},
            ]})
        self.engine.put_row("people", {"ORG": "acme", "ID": 1},
                            {"NAME": "Ann", "SALARY": Decimal("1000.5"), "EXTRA": "ignored"})
        self.assertEqual(list(self.engine.scan_rows("people")),
                         [({"ORG": "acme", "ID": 1},
                           {"NAME": "Ann", "SALARY": Decimal("1000.50")})])
        with self.assertRaises(SqlError):
            self.engine.put_row("people", 1, {"NAME": "Bob"})


class DurabilityTests(SynchronousTestCase):
    def test_everything_survives_a_restart(self) -> None:
        directory = tempfile.mkdtemp()
        path = os.path.join(directory, "sql.db")
        engine = SqlEngine(path)
        engine.execute(ALL_TYPES_TABLE)
        engine.execute(ALL_TYPES_INSERT, ALL_TYPES_ROW)
        engine.execute("CREATE TABLE City (ID INT, Name CHAR(35), CountryCode CHAR(3), "
                       "PRIMARY KEY (ID, CountryCode)) WITH \"affinityKey=CountryCode\"")
        engine.execute("CREATE INDEX idx_country_code ON city (CountryCode)")
        engine.create_table_from_query_entity("SQL_PUBLIC_STUDENT", "PUBLIC", {
            "table_name": "STUDENT", "key_field_name": "SID", "key_type_name": "java.lang.Integer",
            "value_type_name": "SQL_PUBLIC_STUDENT_TYPE",
            "query_fields": [{"name": "SID", "type_name": "java.lang.Integer",
                              "is_key_field": True},
                             {"name": "NAME", "type_name": "java.lang.String"}]})
        engine.put_row("SQL_PUBLIC_STUDENT", 1, {"NAME": "John Doe"})
        before = {t.cache_name: t.query_entity() for t in engine.tables()}
        engine.close()

        engine = SqlEngine(path)
        self.addCleanup(engine.close)
        self.assertEqual({t.cache_name: t.query_entity() for t in engine.tables()}, before)
        result = engine.execute("SELECT * FROM AllTypes")
        self.assertEqual((result.rows, result.type_codes), ([ALL_TYPES_ROW], ALL_TYPES_CODES))
        city = engine.table_for_cache("SQL_PUBLIC_CITY")
        assert city is not None
        self.assertEqual((city.affinity_key, city.created_by_ddl), ("COUNTRYCODE", True))
        with self.assertRaises(SqlError) as caught:
            engine.execute("CREATE INDEX idx_country_code ON city (CountryCode)")
        self.assertIn("Index already exists", caught.exception.message)
        self.assertEqual(engine.execute("SELECT * FROM Student").rows, [[1, "John Doe"]])
        with self.assertRaises(SqlError):
            engine.execute("DROP TABLE Student")
        self.assertEqual(engine.execute("DROP TABLE City").rows, [[0]])


class DecimalScaleTests(EngineCase):
    """DECIMAL values come back with exactly the column's scale, however they are stored."""

    def setUp(self) -> None:
        super().setUp()
        self.engine.execute("CREATE TABLE Price (id INT PRIMARY KEY, small DECIMAL(10, 2), "
                            "big DECIMAL(30, 3), free DECIMAL)")

    def test_values_keep_the_column_scale(self) -> None:
        rows = [[1, Decimal("10.50"), Decimal("123456789012345678901.250"), Decimal("2.5")],
                [2, Decimal("-0.10"), Decimal("-0.001"), Decimal("100")],
                [3, Decimal("7"), Decimal("99999999999999.999"), Decimal("-3.25")]]
        for row in rows:
            self.engine.execute("INSERT INTO Price VALUES (?, ?, ?, ?)", row)
        got = self.run_sql("SELECT small, big, free FROM Price ORDER BY id")
        self.assertEqual([[str(v) for v in row] for row in got],
                         [["10.50", "123456789012345678901.250", "2.5"],
                          ["-0.10", "-0.001", "100"],
                          ["7.00", "99999999999999.999", "-3.25"]])
        result = self.engine.execute("SELECT small FROM Price WHERE small > ? ORDER BY small",
                                     [Decimal("0")])
        self.assertEqual((result.rows, result.type_codes),
                         ([[Decimal("7.00")], [Decimal("10.50")]], [30]))

    def test_cache_view_keeps_the_scale(self) -> None:
        self.engine.put_row("SQL_PUBLIC_PRICE", 9, {"SMALL": Decimal("0.5"), "BIG": 12,
                                                    "FREE": Decimal("1.25")})
        row = self.engine.get_row("SQL_PUBLIC_PRICE", 9)
        assert row is not None
        self.assertEqual({k: str(v) for k, v in row.items()},
                         {"SMALL": "0.50", "BIG": "12.000", "FREE": "1.25"})


class HiddenColumnTests(EngineCase):
    """``SELECT *`` leaves out the ``_KEY``/``_VAL`` columns of QueryEntity tables."""

    def setUp(self) -> None:
        super().setUp()
        self.engine.create_table_from_query_entity("people", "PUBLIC", {
            "table_name": "PEOPLE", "key_type_name": "java.lang.Integer",
            "value_type_name": "People",
            "query_fields": [{"name": "NAME", "type_name": "java.lang.String"},
                             {"name": "AGE", "type_name": "java.lang.Integer"}]})
        self.engine.put_row("people", 7, {"NAME": "Eve", "AGE": 31})
        self.engine.execute("CREATE TABLE Pet (id INT PRIMARY KEY, owner INT, kind VARCHAR)")
        self.engine.execute("INSERT INTO Pet VALUES (1, 7, 'cat')")

    def test_star_has_no_hidden_columns(self) -> None:
        result = self.engine.execute("SELECT * FROM People")
        self.assertEqual((result.columns, result.rows), (["NAME", "AGE"], [["Eve", 31]]))
        result = self.engine.execute("SELECT p.*, _KEY FROM People p WHERE age > ?", [30])
        self.assertEqual((result.columns, result.rows),
                         (["NAME", "AGE", "_KEY"], [["Eve", 31, 7]]))

    def test_star_over_a_join(self) -> None:
        result = self.engine.execute(
            "SELECT * FROM People p JOIN Pet ON Pet.owner = p._KEY")
        self.assertEqual(result.columns, ["NAME", "AGE", "ID", "OWNER", "KIND"])
        self.assertEqual(result.rows, [["Eve", 31, 1, 7, "cat"]])
        result = self.engine.execute(
            "SELECT COUNT(*) FROM (SELECT * FROM People) AS sub")
        self.assertEqual(result.rows, [[1]])

    def test_hidden_key_in_an_insert_column_list(self) -> None:
        self.engine.execute("INSERT INTO People (_KEY, name, age) VALUES (?, ?, ?)",
                            [8, "Fay", 22])
        self.assertEqual(self.engine.get_row("people", 8), {"NAME": "Fay", "AGE": 22})

    def test_table_of_hidden_columns_only_shows_them(self) -> None:
        self.engine.create_table_from_query_entity("plain", "PUBLIC", {
            "table_name": "PLAIN", "key_type_name": "java.lang.Long",
            "value_type_name": "java.lang.String", "query_fields": []})
        self.engine.put_row("plain", 5, "five")
        self.assertEqual(self.run_sql("SELECT * FROM Plain"), [[5, "five"]])
