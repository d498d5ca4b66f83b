"""A compact sample of the "world" database the pyignite SQL examples use (seed §3.3, §4.2), the
seed's statements, and a check that the sample loads.  Other SQL tests import the data."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, List, Sequence

from twisted.trial.unittest import SynchronousTestCase

from tests.conformance.ignite_seed_data import (  # the seed's statements, written once
    CITY_CREATE_INDEX,
    CITY_CREATE_TABLE_QUERY,
    CITY_INSERT_QUERY,
    COUNTRY_CREATE_TABLE_QUERY,
    COUNTRY_INSERT_QUERY,
    LANGUAGE_CREATE_INDEX,
    LANGUAGE_CREATE_TABLE_QUERY,
    LANGUAGE_INSERT_QUERY,
)
from txkv.ignite.server.sql import SqlEngine

MOST_POPULATED_QUERY = '''
SELECT name, population FROM City ORDER BY population DESC LIMIT 10'''

MOST_POPULATED_IN_3_COUNTRIES_QUERY = '''
SELECT country.name as country_name, city.name as city_name, MAX(city.population) AS max_pop FROM country
    JOIN city ON city.countrycode = country.code
    WHERE country.code IN ('USA','IND','CHN')
    GROUP BY country.name, city.name ORDER BY max_pop DESC LIMIT 10
'''  # noqa: E501

CITY_INFO_QUERY = '''SELECT * FROM City WHERE id = ?'''

DROP_TABLE_QUERY = '''DROP TABLE {} IF EXISTS'''

TABLE_NAMES = ["City", "CountryLanguage", "Country"]

COUNTRY_DATA: List[List[Any]] = [
    ['USA', 'United States', 'North America', 'North America', Decimal('9363520.00'), 1776,
     278357000, Decimal('77.1'), Decimal('8510700.00'), Decimal('8110900.00'),
     'United States', 'Federal Republic', 'George W. Bush', 3813, 'US'],
    ['IND', 'India', 'Asia', 'Southern and Central Asia', Decimal('3287263.00'), 1947,
     1013662000, Decimal('62.5'), Decimal('447114.00'), Decimal('430572.00'),
     'Bharat/India', 'Federal Republic', 'Kocheril Raman Narayanan', 1109, 'IN'],
    ['CHN', 'China', 'Asia', 'Eastern Asia', Decimal('9572900.00'), -1523, 1277558000,
     Decimal('71.4'), Decimal('982268.00'), Decimal('917719.00'), 'Zhongquo',
     'PeoplesRepublic', 'Jiang Zemin', 1891, 'CN'],
]

CITY_DATA: List[List[Any]] = [
    [3793, 'New York', 'USA', 'New York', 8008278],
    [3794, 'Los Angeles', 'USA', 'California', 3694820],
    [3795, 'Chicago', 'USA', 'Illinois', 2896016],
    [3802, 'Detroit', 'USA', 'Michigan', 951270],
    [3805, 'San Francisco', 'USA', 'California', 776733],
    [1024, 'Mumbai (Bombay)', 'IND', 'Maharashtra', 10500000],
    [1025, 'Delhi', 'IND', 'Delhi', 7206704],
    [1026, 'Calcutta [Kolkata]', 'IND', 'West Bengali', 4399819],
    [1027, 'Chennai (Madras)', 'IND', 'Tamil Nadu', 3841396],
    [1036, 'Jaipur', 'IND', 'Rajasthan', 1458483],
    [1890, 'Shanghai', 'CHN', 'Shanghai', 9696300],
    [1891, 'Peking', 'CHN', 'Peking', 7472000],
    [1892, 'Chongqing', 'CHN', 'Chongqing', 6351600],
    [1893, 'Tianjin', 'CHN', 'Tianjin', 5286800],
    [1894, 'Wuhan', 'CHN', 'Hubei', 4344600],
    [1895, 'Harbin', 'CHN', 'Heilongjiang', 4289800],
    [1896, 'Shenyang', 'CHN', 'Liaoning', 4265200],
    [1897, 'Kanton [Guangzhou]', 'CHN', 'Guangdong', 4256300],
    [1901, 'Xi´an', 'CHN', 'Shaanxi', 2761400],
]

LANGUAGE_DATA: List[List[Any]] = [
    ['USA', 'English', True, Decimal('86.2')],
    ['USA', 'Spanish', False, Decimal('7.5')],
    ['USA', 'Chinese', False, Decimal('0.6')],
    ['IND', 'Hindi', True, Decimal('39.9')],
    ['IND', 'Bengali', False, Decimal('8.2')],
    ['IND', 'Telugu', False, Decimal('7.8')],
    ['CHN', 'Chinese', True, Decimal('92.0')],
    ['CHN', 'Zhuang', False, Decimal('1.4')],
    ['CHN', 'Mantšu', False, Decimal('0.9')],
]

#: what the seed prints for MOST_POPULATED_QUERY
MOST_POPULATED_ROWS = [
    ['Mumbai (Bombay)', 10500000],
    ['Shanghai', 9696300],
    ['New York', 8008278],
    ['Peking', 7472000],
    ['Delhi', 7206704],
    ['Chongqing', 6351600],
    ['Tianjin', 5286800],
    ['Calcutta [Kolkata]', 4399819],
    ['Wuhan', 4344600],
    ['Harbin', 4289800],
]

#: what the seed prints for MOST_POPULATED_IN_3_COUNTRIES_QUERY
MOST_POPULATED_IN_3_COUNTRIES_ROWS = [
    ['India', 'Mumbai (Bombay)', 10500000],
    ['China', 'Shanghai', 9696300],
    ['United States', 'New York', 8008278],
    ['China', 'Peking', 7472000],
    ['India', 'Delhi', 7206704],
    ['China', 'Chongqing', 6351600],
    ['China', 'Tianjin', 5286800],
    ['India', 'Calcutta [Kolkata]', 4399819],
    ['China', 'Wuhan', 4344600],
    ['China', 'Harbin', 4289800],
]


def create_world(engine: SqlEngine) -> None:
    """The seed's tables and indexes."""
    for query in [COUNTRY_CREATE_TABLE_QUERY, CITY_CREATE_TABLE_QUERY,
                  LANGUAGE_CREATE_TABLE_QUERY, CITY_CREATE_INDEX, LANGUAGE_CREATE_INDEX]:
        engine.execute(query)


def fill_world(engine: SqlEngine, order: Sequence[int] = ()) -> None:
    """Insert the sample rows (cities in ``order`` of their positions, if given)."""
    for row in COUNTRY_DATA:
        engine.execute(COUNTRY_INSERT_QUERY, row)
    for position in order or range(len(CITY_DATA)):
        engine.execute(CITY_INSERT_QUERY, CITY_DATA[position])
    for row in LANGUAGE_DATA:
        engine.execute(LANGUAGE_INSERT_QUERY, row)


def world_engine() -> SqlEngine:
    engine = SqlEngine()
    create_world(engine)
    fill_world(engine)
    return engine


class WorldSampleTests(SynchronousTestCase):
    def test_sample_loads(self) -> None:
        engine = world_engine()
        self.addCleanup(engine.close)
        for table, rows in [("Country", COUNTRY_DATA), ("City", CITY_DATA),
                            ("CountryLanguage", LANGUAGE_DATA)]:
            result = engine.execute(f"SELECT COUNT(*) FROM {table}")
            self.assertEqual(result.rows, [[len(rows)]])

    def test_rows_round_trip(self) -> None:
        engine = world_engine()
        self.addCleanup(engine.close)
        self.assertEqual(engine.execute("SELECT * FROM Country ORDER BY Population").rows,
                         sorted(COUNTRY_DATA, key=lambda row: row[6]))
        self.assertEqual(
            engine.execute("SELECT * FROM CountryLanguage ORDER BY CountryCode, Language").rows,
            sorted(LANGUAGE_DATA, key=lambda row: (row[0], row[1])))
