"""Conformance: pyignite's SQL examples (seed §3.3, §3.4.1, §3.4.2 and §4.2) against txkv's
embedded Ignite server and its SQL engine."""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from decimal import Decimal
from typing import Any, List

from tests.conformance import ignite_seed_data as data
from tests.ignite.server.fixtures import PyigniteServerCase, pyignite

if pyignite is not None:
    from pyignite import AioClient, Client, GenericObjectMeta
    from pyignite.datatypes import DoubleObject, IntObject, String
    from pyignite.datatypes.prop_codes import (
        PROP_BACKUPS_NUMBER,
        PROP_CACHE_ATOMICITY_MODE,
        PROP_CACHE_MODE,
        PROP_NAME,
        PROP_QUERY_ENTITIES,
        PROP_SQL_SCHEMA,
    )
    from pyignite.exceptions import SQLError

MOST_POPULATED_QUERY = '''
SELECT name, population FROM City ORDER BY population DESC LIMIT 10'''

MOST_POPULATED_IN_3_COUNTRIES_QUERY = '''
SELECT country.name as country_name, city.name as city_name, MAX(city.population) AS max_pop
    FROM country
    JOIN city ON city.countrycode = country.code
    WHERE country.code IN ('USA','IND','CHN')
    GROUP BY country.name, city.name ORDER BY max_pop DESC LIMIT 10
'''

CITY_INFO_QUERY = '''SELECT * FROM City WHERE id = ?'''


def _load(client: Any) -> None:
    for query in [data.COUNTRY_CREATE_TABLE_QUERY, data.CITY_CREATE_TABLE_QUERY,
                  data.LANGUAGE_CREATE_TABLE_QUERY]:
        client.sql(query)
    for query in [data.CITY_CREATE_INDEX, data.LANGUAGE_CREATE_INDEX]:
        client.sql(query)
    for row in data.COUNTRY_DATA:
        client.sql(data.COUNTRY_INSERT_QUERY, query_args=row)
    for row in data.CITY_DATA:
        client.sql(data.CITY_INSERT_QUERY, query_args=row)
    for row in data.LANGUAGE_DATA:
        client.sql(data.LANGUAGE_INSERT_QUERY, query_args=row)


class SqlExamples(PyigniteServerCase):
    def test_sql_examples(self) -> Any:
        def scenario() -> None:
            client = Client()
            with client.connect(self.host, self.port):
                _load(client)
                with client.sql(MOST_POPULATED_QUERY) as cursor:
                    self.assertEqual(list(cursor), data.MOST_POPULATED)
                with client.sql(MOST_POPULATED_IN_3_COUNTRIES_QUERY,
                                include_field_names=True) as cursor:
                    self.assertEqual(next(cursor), ['COUNTRY_NAME', 'CITY_NAME', 'MAX_POP'])
                    rows = list(cursor)
                self.assertEqual([row[1:] for row in rows], data.MOST_POPULATED)
                for country, city, _pop in rows:
                    self.assertEqual(country, data.COUNTRY_OF.get(city, 'China'))
                with client.sql(CITY_INFO_QUERY, query_args=[3802],
                                include_field_names=True) as cursor:
                    field_names = next(cursor)
                    field_data: List[Any] = list(*cursor)
                self.assertEqual(dict(zip(field_names, field_data)), {
                    'ID': 3802, 'NAME': 'Detroit', 'COUNTRYCODE': 'USA',
                    'DISTRICT': 'Michigan', 'POPULATION': 951270})
                with client.sql(MOST_POPULATED_QUERY, page_size=3) as cursor:
                    self.assertEqual(list(cursor), data.MOST_POPULATED)

                # seed 3.4.1: the tables' caches and their binary objects
                names = client.get_cache_names()
                for name in ['SQL_PUBLIC_CITY', 'SQL_PUBLIC_COUNTRY',
                             'SQL_PUBLIC_COUNTRYLANGUAGE']:
                    self.assertIn(name, names)
                city_cache = client.get_or_create_cache('SQL_PUBLIC_CITY')
                self.assertEqual(city_cache.settings[PROP_NAME], 'SQL_PUBLIC_CITY')
                entity = city_cache.settings[PROP_QUERY_ENTITIES][0]
                self.assertEqual(entity['table_name'], 'CITY')
                with city_cache.scan() as cursor:
                    key, value = next(cursor)
                self.assertEqual(key.__class__.__name__,
                                 client._create_type_name(entity['key_type_name']))
                self.assertEqual(value.__class__.__name__,
                                 client._create_type_name(entity['value_type_name']))
                row = [r for r in data.CITY_DATA if r[0] == key.ID][0]
                self.assertEqual((key.ID, key.COUNTRYCODE), (row[0], row[2]))
                self.assertEqual((value.NAME, value.DISTRICT, value.POPULATION),
                                 (row[1], row[3], row[4]))

                # the key-value view: composite key objects of the key type
                key_class = key.__class__
                detroit = city_cache.get(key_class(ID=3802, COUNTRYCODE='USA'))
                self.assertEqual((detroit.NAME, detroit.POPULATION), ('Detroit', 951270))
                city_cache.put(key_class(ID=9999, COUNTRYCODE='USA'),
                               value.__class__(NAME='Springfield', DISTRICT='Illinois',
                                               POPULATION=116250))
                with client.sql('SELECT Name, Population FROM City WHERE ID = ?',
                                query_args=[9999]) as cursor:
                    self.assertEqual(list(cursor), [['Springfield', 116250]])
                self.assertEqual(city_cache.get_size(), len(data.CITY_DATA) + 1)

                # DECIMAL columns (pyignite drops trailing zeros when it reads a decimal, with
                # Ignite too: the exact scale on the wire is checked in test_sqlbridge)
                with client.sql('SELECT Code, SurfaceArea, LifeExpectancy, GNP FROM Country '
                                'ORDER BY Code') as cursor:
                    decimals = list(cursor)
                expected = sorted([[r[0], r[4], r[7], r[8]] for r in data.COUNTRY_DATA])
                self.assertEqual(decimals, expected)
                with client.sql('SELECT Language, Percentage FROM CountryLanguage WHERE '
                                'CountryCode = ? ORDER BY Percentage DESC',
                                query_args=['USA']) as cursor:
                    self.assertEqual(list(cursor), [['English', Decimal('86.2')],
                                                    ['Spanish', Decimal('7.5')]])

                for table_name in ['City', 'CountryLanguage', 'Country']:
                    client.sql(data.DROP_TABLE_QUERY.format(table_name))
                self.assertNotIn('SQL_PUBLIC_CITY', client.get_cache_names())
        return self.in_thread(scenario)

    def test_create_binary(self) -> Any:
        def scenario() -> None:
            client = Client()
            with client.connect(self.host, self.port):
                student_cache = client.create_cache({
                    PROP_NAME: 'SQL_PUBLIC_STUDENT',
                    PROP_SQL_SCHEMA: 'PUBLIC',
                    PROP_QUERY_ENTITIES: [{
                        'table_name': 'Student'.upper(),
                        'key_field_name': 'SID',
                        'key_type_name': 'java.lang.Integer',
                        'field_name_aliases': [],
                        'query_fields': [
                            {'name': 'SID', 'type_name': 'java.lang.Integer',
                             'is_key_field': True, 'is_notnull_constraint_field': True},
                            {'name': 'NAME', 'type_name': 'java.lang.String'},
                            {'name': 'LOGIN', 'type_name': 'java.lang.String'},
                            {'name': 'AGE', 'type_name': 'java.lang.Integer'},
                            {'name': 'GPA', 'type_name': 'java.math.Double'},
                        ],
                        'query_indexes': [],
                        'value_type_name': 'SQL_PUBLIC_STUDENT_TYPE',
                        'value_field_name': None,
                    }],
                })

                student_schema = OrderedDict([('NAME', String), ('LOGIN', String),
                                              ('AGE', IntObject), ('GPA', DoubleObject)])

                class Student(  # type: ignore[call-arg]
                        metaclass=GenericObjectMeta, type_name='SQL_PUBLIC_STUDENT_TYPE',
                        schema=student_schema):
                    pass

                john = Student(LOGIN='jdoe', NAME='John Doe', AGE=17,  # type: ignore[call-arg]
                               GPA=4.25)
                student_cache.put(1, john, key_hint=IntObject)
                with client.sql(r'SELECT * FROM Student', include_field_names=True) as cursor:
                    self.assertEqual(next(cursor), ['SID', 'NAME', 'LOGIN', 'AGE', 'GPA'])
                    self.assertEqual(list(cursor), [[1, 'John Doe', 'jdoe', 17, 4.25]])
                got = student_cache.get(1, key_hint=IntObject)
                self.assertEqual((got.NAME, got.LOGIN, got.AGE, got.GPA),
                                 ('John Doe', 'jdoe', 17, 4.25))
                # the deprecated SQL query returns whole entries
                with student_cache.select_row('AGE > ?', query_args=[10]) as cursor:
                    rows = list(cursor)
                self.assertEqual(len(rows), 1)
                self.assertEqual(rows[0][0], 1)
                self.assertEqual(rows[0][1]._type_name, 'SQL_PUBLIC_STUDENT_TYPE')
                self.assertEqual(rows[0][1].LOGIN, 'jdoe')
                with self.assertRaises(SQLError) as caught:
                    client.sql('DROP TABLE Student')
                self.assertEqual(
                    str(caught.exception),
                    'class org.apache.ignite.IgniteCheckedException: Only cache created with '
                    'CREATE TABLE may be removed with DROP TABLE [cacheName=SQL_PUBLIC_STUDENT]')
                student_cache.destroy()
                self.assertNotIn('SQL_PUBLIC_STUDENT', client.get_cache_names())
        return self.in_thread(scenario)

    def test_async_sql(self) -> Any:
        async def scenario() -> None:
            client = AioClient()
            async with client.connect(self.host, self.port):
                for query in [data.COUNTRY_CREATE_TABLE_QUERY, data.CITY_CREATE_TABLE_QUERY,
                              data.LANGUAGE_CREATE_TABLE_QUERY]:
                    await client.sql(query)
                for query in [data.CITY_CREATE_INDEX, data.LANGUAGE_CREATE_INDEX]:
                    await client.sql(query)
                await asyncio.gather(*[client.sql(data.COUNTRY_INSERT_QUERY, query_args=row)
                                       for row in data.COUNTRY_DATA])
                await asyncio.gather(*[client.sql(data.CITY_INSERT_QUERY, query_args=row)
                                       for row in data.CITY_DATA])
                await asyncio.gather(*[client.sql(data.LANGUAGE_INSERT_QUERY, query_args=row)
                                       for row in data.LANGUAGE_DATA])
                async with client.sql(MOST_POPULATED_QUERY) as cursor:
                    self.assertEqual([row async for row in cursor], data.MOST_POPULATED)
                async with client.sql(MOST_POPULATED_IN_3_COUNTRIES_QUERY,
                                      include_field_names=True) as cursor:
                    self.assertEqual(await cursor.__anext__(),
                                     ['COUNTRY_NAME', 'CITY_NAME', 'MAX_POP'])
                    rows = [row async for row in cursor]
                self.assertEqual([row[1:] for row in rows], data.MOST_POPULATED)
                async with client.sql(CITY_INFO_QUERY, query_args=[3802],
                                      include_field_names=True) as cursor:
                    field_names = await cursor.__anext__()
                    field_data = await cursor.__anext__()
                self.assertEqual(dict(zip(field_names, field_data))['NAME'], 'Detroit')
                await asyncio.gather(*[client.sql(data.DROP_TABLE_QUERY.format(name))
                                       for name in ['City', 'CountryLanguage', 'Country']])
        return self.in_asyncio(scenario)


def _open_cursors(case: PyigniteServerCase) -> int:
    """Cursors the server holds open for all connections (read between requests)."""
    total = 0
    for node in case.cluster.nodes:
        for proto in list(node.factory.connections):
            if proto.session is not None:
                total += len(proto.session.cursors)
    return total


PERSON_TABLE = '''CREATE TABLE Person (
    id INT PRIMARY KEY,
    name VARCHAR(40) NOT NULL,
    city_id INT,
    salary DECIMAL(10, 2)
) WITH "template=replicated,backups=1,atomicity=transactional,cache_name=PersonCache,
value_type=PersonValue"'''


class SqlBeyondTheSeed(PyigniteServerCase):
    """DDL options, DML, paging, the key-value view of DDL tables, transactions, the
    deprecated SQL query and hidden key/value columns."""

    def test_ddl_table_as_a_cache(self) -> Any:
        def scenario() -> None:
            client = Client()
            with client.connect(self.host, self.port):
                client.sql(PERSON_TABLE)
                client.sql('CREATE INDEX person_name ON Person (name DESC)')
                for row in [[1, 'Ann', 10, Decimal('10.50')], [2, 'Bob', 20, Decimal('7')],
                            [3, 'Cid', 10, None]]:
                    self.assertEqual(list(client.sql(
                        'INSERT INTO Person (id, name, city_id, salary) VALUES (?, ?, ?, ?)',
                        query_args=row)), [[1]])
                self.assertIn('PersonCache', client.get_cache_names())
                self.assertNotIn('SQL_PUBLIC_PERSON', client.get_cache_names())
                cache = client.get_cache('PersonCache')
                self.assertEqual(cache.settings[PROP_CACHE_MODE], 1)  # REPLICATED
                self.assertEqual(cache.settings[PROP_BACKUPS_NUMBER], 1)
                self.assertEqual(cache.settings[PROP_CACHE_ATOMICITY_MODE], 0)  # TRANSACTIONAL
                self.assertEqual(cache.settings[PROP_SQL_SCHEMA], 'PUBLIC')
                entity = cache.settings[PROP_QUERY_ENTITIES][0]
                self.assertEqual((entity['table_name'], entity['key_type_name'],
                                  entity['value_type_name'], entity['key_field_name']),
                                 ('PERSON', 'java.lang.Integer', 'PersonValue', 'ID'))

                with client.sql('SELECT salary FROM Person ORDER BY id') as cursor:
                    self.assertEqual(list(cursor), [[Decimal('10.50')], [Decimal('7')], [None]])

                # key-value view: scalar key, value objects of the VALUE_TYPE
                ann = cache.get(1)
                self.assertEqual(ann.__class__.__name__, 'PersonValue')
                self.assertEqual((ann.NAME, ann.CITY_ID, ann.SALARY),
                                 ('Ann', 10, Decimal('10.50')))
                person = ann.__class__
                cache.put(4, person(NAME='Dee', CITY_ID=30, SALARY=Decimal('99.90')))
                with client.sql('SELECT name, salary FROM Person WHERE id = ?',
                                query_args=[4]) as cursor:
                    self.assertEqual(list(cursor), [['Dee', Decimal('99.90')]])
                self.assertTrue(cache.contains_key(4))
                self.assertEqual(cache.get_size(), 4)
                self.assertTrue(cache.remove_key(4))
                self.assertIsNone(cache.get(4))

                # UPDATE / DELETE with their counts, GROUP BY, LIMIT/OFFSET
                self.assertEqual(list(client.sql(
                    'UPDATE Person SET salary = salary * 2 WHERE city_id = ?',
                    query_args=[10])), [[2]])
                self.assertEqual(cache.get(1).SALARY, Decimal('21.00'))
                with client.sql('SELECT city_id, COUNT(*) AS n FROM Person GROUP BY city_id '
                                'ORDER BY city_id', include_field_names=True) as cursor:
                    self.assertEqual(list(cursor), [['CITY_ID', 'N'], [10, 2], [20, 1]])
                with client.sql('SELECT name FROM Person ORDER BY name LIMIT 2 OFFSET 1'
                                ) as cursor:
                    self.assertEqual(list(cursor), [['Bob'], ['Cid']])
                self.assertEqual(list(client.sql('DELETE FROM Person WHERE id = ?',
                                                 query_args=[3])), [[1]])
                self.assertIsNone(cache.get(3))

                # the deprecated SQL query (op 2002) with a clause, one row per page
                with cache.select_row('ORDER BY ID ASC') as cursor:
                    self.assertEqual([(k, v.NAME) for k, v in cursor], [(1, 'Ann'), (2, 'Bob')])
                with cache.select_row('name = ?', query_args=['Bob']) as cursor:
                    self.assertEqual([k for k, _v in cursor], [2])

                client.sql('DROP TABLE Person')
                self.assertNotIn('PersonCache', client.get_cache_names())
                with self.assertRaises(SQLError):
                    client.sql('SELECT * FROM Person')
        return self.in_thread(scenario)

    def test_transactions_on_a_table_cache(self) -> Any:
        def scenario() -> None:
            client = Client()
            with client.connect(self.host, self.port):
                client.sql('CREATE TABLE Account (id INT PRIMARY KEY, balance BIGINT) '
                           'WITH "atomicity=transactional"')
                client.sql('INSERT INTO Account (id, balance) VALUES (1, 100), (2, 0)')
                cache = client.get_cache('SQL_PUBLIC_ACCOUNT')
                account = cache.get(1).__class__
                with client.tx_start() as tx:
                    cache.put(1, account(BALANCE=60))
                    cache.put(2, account(BALANCE=40))
                    self.assertEqual(cache.get(2).BALANCE, 40)  # reads its own writes
                    tx.commit()
                with client.sql('SELECT id, balance FROM Account ORDER BY id') as cursor:
                    self.assertEqual(list(cursor), [[1, 60], [2, 40]])
                with client.tx_start() as tx:
                    cache.put(1, account(BALANCE=0))
                    cache.remove_key(2)
                    tx.rollback()
                with client.sql('SELECT id, balance FROM Account ORDER BY id') as cursor:
                    self.assertEqual(list(cursor), [[1, 60], [2, 40]])
                with client.tx_start() as tx:
                    cache.remove_key(2)
                    tx.commit()
                with client.sql('SELECT COUNT(*) FROM Account') as cursor:
                    self.assertEqual(list(cursor), [[1]])
        return self.in_thread(scenario)

    def test_paging_and_cursor_close(self) -> Any:
        def scenario() -> None:
            client = Client()
            with client.connect(self.host, self.port):
                client.sql('CREATE TABLE Num (n INT PRIMARY KEY, sq BIGINT)')
                for n in range(25):
                    client.sql('INSERT INTO Num (n, sq) VALUES (?, ?)', query_args=[n, n * n])
                with client.sql('SELECT n, sq FROM Num ORDER BY n', page_size=4,
                                include_field_names=True) as cursor:
                    self.assertEqual(next(cursor), ['N', 'SQ'])
                    self.assertEqual(list(cursor), [[n, n * n] for n in range(25)])
                self.assertEqual(_open_cursors(self), 0)
                with client.sql('SELECT n FROM Num ORDER BY n', page_size=5) as cursor:
                    self.assertEqual([next(cursor) for _ in range(7)],
                                     [[n] for n in range(7)])
                    self.assertEqual(_open_cursors(self), 1)
                self.assertEqual(_open_cursors(self), 0)  # closed by the context manager
                with client.sql('SELECT n FROM Num ORDER BY n DESC', page_size=2,
                                max_rows=5) as cursor:
                    self.assertEqual(list(cursor), [[24], [23], [22], [21], [20]])
                cache = client.get_cache('SQL_PUBLIC_NUM')
                with cache.select_row('n < ? ORDER BY n', query_args=[6], page_size=2
                                      ) as cursor:
                    self.assertEqual([(k, v.SQ) for k, v in cursor],
                                     [(n, n * n) for n in range(6)])
                self.assertEqual(_open_cursors(self), 0)
        return self.in_thread(scenario)

    def test_hidden_key_and_value_columns(self) -> Any:
        def scenario() -> None:
            client = Client()
            with client.connect(self.host, self.port):
                cache = client.create_cache({
                    PROP_NAME: 'people',
                    PROP_SQL_SCHEMA: 'PUBLIC',
                    PROP_QUERY_ENTITIES: [{
                        'table_name': 'PEOPLE', 'key_type_name': 'java.lang.Integer',
                        'value_type_name': 'People', 'key_field_name': None,
                        'value_field_name': None, 'field_name_aliases': [],
                        'query_indexes': [],
                        'query_fields': [
                            {'name': 'NAME', 'type_name': 'java.lang.String'},
                            {'name': 'AGE', 'type_name': 'java.lang.Integer'},
                        ],
                    }],
                })

                class People(  # type: ignore[call-arg]
                        metaclass=GenericObjectMeta, type_name='People',
                        schema=OrderedDict([('NAME', String), ('AGE', IntObject)])):
                    pass

                eve = People(NAME='Eve', AGE=31)  # type: ignore[call-arg]
                cache.put(7, eve, key_hint=IntObject)
                with client.sql('SELECT * FROM People', include_field_names=True) as cursor:
                    self.assertEqual(list(cursor), [['NAME', 'AGE'], ['Eve', 31]])
                with client.sql('SELECT _KEY, name FROM People') as cursor:
                    self.assertEqual(list(cursor), [[7, 'Eve']])
                with client.sql('SELECT p.* FROM People p WHERE age > ?',
                                query_args=[30]) as cursor:
                    self.assertEqual(list(cursor), [['Eve', 31]])
                self.assertEqual(list(client.sql(
                    'INSERT INTO People (_KEY, name, age) VALUES (?, ?, ?)',
                    query_args=[8, 'Fay', 22])), [[1]])
                fay = cache.get(8, key_hint=IntObject)
                self.assertEqual((fay.NAME, fay.AGE), ('Fay', 22))
                cache.destroy()
        return self.in_thread(scenario)
