"""The SQL statements of seed §3.3, §3.4.1, §3.4.2 and §4.2 give exactly the printed outputs."""

from __future__ import annotations

import random
import re

from twisted.trial.unittest import SynchronousTestCase

from tests.ignite.server.test_sql_world import (
    CITY_DATA,
    CITY_INFO_QUERY,
    DROP_TABLE_QUERY,
    MOST_POPULATED_IN_3_COUNTRIES_QUERY,
    MOST_POPULATED_IN_3_COUNTRIES_ROWS,
    MOST_POPULATED_QUERY,
    MOST_POPULATED_ROWS,
    TABLE_NAMES,
    create_world,
    fill_world,
    world_engine,
)
from txkv.ignite.server.sql import SqlEngine, SqlError, SqlObject

_TYPE_NAME = r"SQL_PUBLIC_CITY_[0-9a-f]{8}_[0-9a-f]{4}_[0-9a-f]{4}_[0-9a-f]{4}_[0-9a-f]{12}"


class SeedSqlTests(SynchronousTestCase):
    """Seed §3.3 (and §4.2, which runs the same statements concurrently)."""

    def setUp(self) -> None:
        self.engine = world_engine()
        self.addCleanup(self.engine.close)

    def test_ddl_returns_zero_updated(self) -> None:
        engine = SqlEngine()
        self.addCleanup(engine.close)
        for statement in ["CREATE TABLE T (ID INT PRIMARY KEY, V VARCHAR)",
                          "CREATE INDEX IDX_V ON T (V)"]:
            result = engine.execute(statement)
            self.assertEqual((result.columns, result.type_codes, result.rows, result.is_query),
                             (["UPDATED"], [4], [[0]], False))

    def test_insert_returns_one_updated(self) -> None:
        result = self.engine.execute(
            "INSERT INTO City(ID, Name, CountryCode, District, Population) VALUES (?, ?, ?, ?, ?)",
            [1, "Somewhere", "USA", "Nowhere", 1])
        self.assertEqual((result.columns, result.type_codes, result.rows, result.update_count),
                         (["UPDATED"], [4], [[1]], 1))

    def test_most_populated(self) -> None:
        result = self.engine.execute(MOST_POPULATED_QUERY)
        self.assertEqual(result.columns, ["NAME", "POPULATION"])
        self.assertEqual(result.type_codes, [9, 3])
        self.assertEqual(result.rows, MOST_POPULATED_ROWS)
        self.assertEqual({(type(n), type(p)) for n, p in result.rows}, {(str, int)})

    def test_most_populated_in_3_countries(self) -> None:
        result = self.engine.execute(MOST_POPULATED_IN_3_COUNTRIES_QUERY)
        self.assertEqual(result.columns, ["COUNTRY_NAME", "CITY_NAME", "MAX_POP"])
        self.assertEqual(result.type_codes, [9, 9, 3])
        self.assertEqual(result.rows, MOST_POPULATED_IN_3_COUNTRIES_ROWS)

    def test_city_info(self) -> None:
        result = self.engine.execute(CITY_INFO_QUERY, [3802])
        printed = [f"{name}: {value}" for name, value in zip(result.columns, result.rows[0])]
        self.assertEqual(printed, ["ID: 3802", "NAME: Detroit", "COUNTRYCODE: USA",
                                   "DISTRICT: Michigan", "POPULATION: 951270"])
        self.assertEqual(result.rows, [[3802, "Detroit", "USA", "Michigan", 951270]])
        self.assertEqual(result.type_codes, [3, 9, 9, 9, 3])

    def test_drop_tables_if_exists_h2_order(self) -> None:
        for name in TABLE_NAMES:
            self.assertEqual(self.engine.execute(DROP_TABLE_QUERY.format(name)).rows, [[0]])
        self.assertEqual(self.engine.tables(), [])
        for name in TABLE_NAMES:  # already gone: still no error
            self.assertEqual(self.engine.execute(DROP_TABLE_QUERY.format(name)).rows, [[0]])
        with self.assertRaises(SqlError) as caught:
            self.engine.execute(CITY_INFO_QUERY, [3802])
        self.assertIn('Table "CITY" not found', caught.exception.message)

    def test_inserts_in_any_order_give_the_same_answers(self) -> None:
        """§4.2 gathers the inserts concurrently: their order must not matter."""
        for seed in range(3):
            engine = SqlEngine()
            self.addCleanup(engine.close)
            create_world(engine)
            order = list(range(len(CITY_DATA)))
            random.Random(seed).shuffle(order)
            fill_world(engine, order)
            self.assertEqual(engine.execute(MOST_POPULATED_QUERY).rows, MOST_POPULATED_ROWS)
            self.assertEqual(engine.execute(MOST_POPULATED_IN_3_COUNTRIES_QUERY).rows,
                             MOST_POPULATED_IN_3_COUNTRIES_ROWS)


class SeedCacheViewTests(SynchronousTestCase):
    """Seed §3.4.1: SQL tables are caches of binary objects."""

    def setUp(self) -> None:
        self.engine = world_engine()
        self.addCleanup(self.engine.close)

    def test_cache_names(self) -> None:
        self.assertEqual(sorted(t.cache_name for t in self.engine.tables()),
                         ["SQL_PUBLIC_CITY", "SQL_PUBLIC_COUNTRY", "SQL_PUBLIC_COUNTRYLANGUAGE"])

    def test_query_entity(self) -> None:
        city = self.engine.table_for_cache("SQL_PUBLIC_CITY")
        assert city is not None
        entity = city.query_entity()
        self.assertRegex(entity["key_type_name"], "^" + _TYPE_NAME + "_KEY$")
        self.assertEqual(entity["value_type_name"] + "_KEY", entity["key_type_name"])
        self.assertRegex(entity["value_type_name"], "^" + _TYPE_NAME + "$")
        self.assertEqual(entity["table_name"], "CITY")
        self.assertEqual(entity["query_indexes"], [])
        self.assertIsNone(entity["key_field_name"])
        self.assertEqual(
            [(f["name"], f["type_name"], f["is_key_field"], f["precision"])
             for f in entity["query_fields"]],
            [("ID", "java.lang.Integer", True, -1), ("NAME", "java.lang.String", False, 35),
             ("COUNTRYCODE", "java.lang.String", True, 3),
             ("DISTRICT", "java.lang.String", False, 20),
             ("POPULATION", "java.lang.Integer", False, -1)])
        self.assertEqual(city.affinity_key, "COUNTRYCODE")
        self.assertEqual(city.key_columns, ["ID", "COUNTRYCODE"])
        self.assertEqual(city.value_columns, ["NAME", "DISTRICT", "POPULATION"])
        self.assertTrue(city.created_by_ddl)

    def test_scan(self) -> None:
        rows = list(self.engine.scan_rows("SQL_PUBLIC_CITY"))
        self.assertEqual(len(rows), len(CITY_DATA))
        self.assertEqual([key["ID"] for key, _ in rows], sorted(r[0] for r in CITY_DATA))
        self.assertIn(({"ID": 1890, "COUNTRYCODE": "CHN"},
                       {"NAME": "Shanghai", "DISTRICT": "Shanghai", "POPULATION": 9696300}),
                      rows)
        self.assertEqual(self.engine.count_rows("SQL_PUBLIC_CITY"), len(CITY_DATA))

    def test_key_and_value_objects(self) -> None:
        result = self.engine.execute("SELECT _KEY, _VAL FROM CITY WHERE ID = ?", [1890])
        self.assertEqual(result.columns, ["_KEY", "_VAL"])
        self.assertEqual(result.type_codes, [103, 103])
        key, value = result.rows[0]
        assert isinstance(key, SqlObject) and isinstance(value, SqlObject)
        city = self.engine.table_for_cache("SQL_PUBLIC_CITY")
        assert city is not None
        self.assertEqual(key.type_name, city.key_type_name)
        self.assertEqual(key.fields, [("ID", 3, 1890), ("COUNTRYCODE", 9, "CHN")])
        self.assertEqual(value.type_name, city.value_type_name)
        self.assertEqual(value.as_dict(),
                         {"NAME": "Shanghai", "DISTRICT": "Shanghai", "POPULATION": 9696300})

    def test_row_put_through_the_cache_is_visible_to_sql(self) -> None:
        self.engine.put_row("SQL_PUBLIC_CITY", {"ID": 1, "COUNTRYCODE": "USA"},
                            {"NAME": "Springfield", "DISTRICT": "Nowhere", "POPULATION": 30720})
        self.assertEqual(self.engine.execute(CITY_INFO_QUERY, [1]).rows,
                         [[1, "Springfield", "USA", "Nowhere", 30720]])


STUDENT_ENTITY = {
    "table_name": "STUDENT",
    "key_field_name": "SID",
    "key_type_name": "java.lang.Integer",
    "field_name_aliases": [],
    "query_fields": [
        {"name": "SID", "type_name": "java.lang.Integer", "is_key_field": True,
         "is_notnull_constraint_field": True},
        {"name": "NAME", "type_name": "java.lang.String"},
        {"name": "LOGIN", "type_name": "java.lang.String"},
        {"name": "AGE", "type_name": "java.lang.Integer"},
        {"name": "GPA", "type_name": "java.math.Double"},
    ],
    "query_indexes": [],
    "value_type_name": "SQL_PUBLIC_STUDENT_TYPE",
    "value_field_name": None,
}


class SeedQueryEntityTests(SynchronousTestCase):
    """Seed §3.4.2: a cache created with a QueryEntity is a SQL table."""

    def setUp(self) -> None:
        self.engine = SqlEngine()
        self.addCleanup(self.engine.close)
        self.table = self.engine.create_table_from_query_entity("SQL_PUBLIC_STUDENT", "PUBLIC",
                                                                STUDENT_ENTITY)

    def test_put_then_select(self) -> None:
        self.engine.put_row("SQL_PUBLIC_STUDENT", 1,
                            {"LOGIN": "jdoe", "NAME": "John Doe", "AGE": 17, "GPA": 4.25})
        result = self.engine.execute(r"SELECT * FROM Student")
        self.assertEqual(result.columns, ["SID", "NAME", "LOGIN", "AGE", "GPA"])
        self.assertEqual(result.rows, [[1, "John Doe", "jdoe", 17, 4.25]])
        self.assertEqual(result.type_codes, [3, 9, 9, 3, 6])

    def test_table_shape(self) -> None:
        self.assertFalse(self.table.created_by_ddl)
        self.assertEqual(self.table.key_field_name, "SID")
        self.assertEqual(self.table.value_type_name, "SQL_PUBLIC_STUDENT_TYPE")
        entity = self.table.query_entity()
        self.assertEqual(entity["table_name"], "STUDENT")
        self.assertEqual([f["name"] for f in entity["query_fields"]],
                         ["SID", "NAME", "LOGIN", "AGE", "GPA"])
        self.assertEqual(entity["query_fields"][4]["type_name"], "java.math.Double")

    def test_drop_table_refused(self) -> None:
        with self.assertRaises(SqlError) as caught:
            self.engine.execute("DROP TABLE Student")
        self.assertEqual(caught.exception.message,
                         "class org.apache.ignite.IgniteCheckedException: Only cache created "
                         "with CREATE TABLE may be removed with DROP TABLE "
                         "[cacheName=SQL_PUBLIC_STUDENT]")
        self.assertIsNotNone(self.engine.table_for_cache("SQL_PUBLIC_STUDENT"))

    def test_destroying_the_cache_drops_the_table(self) -> None:
        self.assertTrue(self.engine.drop_cache_table("SQL_PUBLIC_STUDENT"))
        self.assertIsNone(self.engine.table_for_cache("SQL_PUBLIC_STUDENT"))
        self.assertFalse(self.engine.drop_cache_table("SQL_PUBLIC_STUDENT"))
        with self.assertRaises(SqlError):
            self.engine.execute("SELECT * FROM Student")


class KeyTypeNameTests(SynchronousTestCase):
    def test_every_create_table_gets_fresh_type_names(self) -> None:
        names = set()
        for _ in range(2):
            engine = world_engine()
            self.addCleanup(engine.close)
            city = engine.table_for_cache("SQL_PUBLIC_CITY")
            assert city is not None
            self.assertTrue(re.match(_TYPE_NAME, city.value_type_name))
            names.add(city.value_type_name)
        self.assertEqual(len(names), 2)
