"""SQL (pyignite docs 3.3): tables, indexes, inserts with arguments, queries, field names.

``python examples/ignite_sql.py`` (starts an embedded server on a free port).
"""

from __future__ import annotations

from typing import Any

from _ignite_support import CITY_DATA, COUNTRY_DATA, LANGUAGE_DATA, run

from txkv.ignite import Client
from txkv.ignite.server import start_server

# [schema]
COUNTRY_CREATE_TABLE_QUERY = '''CREATE TABLE Country (
    Code CHAR(3) PRIMARY KEY,
    Name CHAR(52),
    Continent CHAR(50),
    Region CHAR(26),
    SurfaceArea DECIMAL(10,2),
    IndepYear SMALLINT(6),
    Population INT(11),
    LifeExpectancy DECIMAL(3,1),
    GNP DECIMAL(10,2),
    GNPOld DECIMAL(10,2),
    LocalName CHAR(45),
    GovernmentForm CHAR(45),
    HeadOfState CHAR(60),
    Capital INT(11),
    Code2 CHAR(2)
)'''

CITY_CREATE_TABLE_QUERY = '''CREATE TABLE City (
    ID INT(11),
    Name CHAR(35),
    CountryCode CHAR(3),
    District CHAR(20),
    Population INT(11),
    PRIMARY KEY (ID, CountryCode)
) WITH "affinityKey=CountryCode"'''

LANGUAGE_CREATE_TABLE_QUERY = '''CREATE TABLE CountryLanguage (
    CountryCode CHAR(3),
    Language CHAR(30),
    IsOfficial BOOLEAN,
    Percentage DECIMAL(4,1),
    PRIMARY KEY (CountryCode, Language)
) WITH "affinityKey=CountryCode"'''

CITY_CREATE_INDEX = '''
CREATE INDEX idx_country_code ON city (CountryCode)'''

LANGUAGE_CREATE_INDEX = '''
CREATE INDEX idx_lang_country_code ON CountryLanguage (CountryCode)'''
# [/schema]

# [inserts]
COUNTRY_INSERT_QUERY = '''INSERT INTO Country(
    Code, Name, Continent, Region,
    SurfaceArea, IndepYear, Population,
    LifeExpectancy, GNP, GNPOld,
    LocalName, GovernmentForm, HeadOfState,
    Capital, Code2
) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)'''

CITY_INSERT_QUERY = '''INSERT INTO City(
    ID, Name, CountryCode, District, Population
) VALUES (?, ?, ?, ?, ?)'''

LANGUAGE_INSERT_QUERY = '''INSERT INTO CountryLanguage(
    CountryCode, Language, IsOfficial, Percentage
) VALUES (?, ?, ?, ?)'''
# [/inserts]

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

DROP_TABLE_QUERY = '''DROP TABLE {} IF EXISTS'''


async def create_and_fill(client: Client) -> None:
    """Create the three tables with their indexes and insert the sample rows, one by one."""
    # [setup]
    for query in [
        COUNTRY_CREATE_TABLE_QUERY,
        CITY_CREATE_TABLE_QUERY,
        LANGUAGE_CREATE_TABLE_QUERY,
    ]:
        await client.sql(query)

    for query in [CITY_CREATE_INDEX, LANGUAGE_CREATE_INDEX]:
        await client.sql(query)

    for row in COUNTRY_DATA:
        await client.sql(COUNTRY_INSERT_QUERY, query_args=row)

    for row in CITY_DATA:
        await client.sql(CITY_INSERT_QUERY, query_args=row)

    for row in LANGUAGE_DATA:
        await client.sql(LANGUAGE_INSERT_QUERY, query_args=row)
    # [/setup]


async def main(reactor: Any) -> None:
    server = await start_server(reactor, port=0)
    client = Client()
    await client.connect(server.addresses)
    try:
        await create_and_fill(client)

        # [most_populated]
        async with client.sql(MOST_POPULATED_QUERY) as cursor:
            print('Most 10 populated cities:')
            async for row in cursor:
                print(row)
        # Most 10 populated cities:
        # ['Mumbai (Bombay)', 10500000]
        # ['Shanghai', 9696300]
        # ...
        # [/most_populated]

        # [field_names]
        async with client.sql(MOST_POPULATED_IN_3_COUNTRIES_QUERY,
                              include_field_names=True) as cursor:
            print('Most 10 populated cities in USA, India and China:')
            print(await cursor.get_next())
            print('-----')
            async for row in cursor:
                print(row)
        # Most 10 populated cities in USA, India and China:
        # ['COUNTRY_NAME', 'CITY_NAME', 'MAX_POP']
        # -----
        # ['India', 'Mumbai (Bombay)', 10500000]
        # ...
        # [/field_names]

        # [city_info]
        async with client.sql(CITY_INFO_QUERY, query_args=[3802],
                              include_field_names=True) as cursor:
            field_names = await cursor.__anext__()
            field_data = await cursor.__anext__()

            print('City info:')
            for field_name, field_value in zip(field_names, field_data):
                print(f'{field_name}: {field_value}')
        # City info:
        # ID: 3802
        # NAME: Detroit
        # COUNTRYCODE: USA
        # DISTRICT: Michigan
        # POPULATION: 951270
        # [/city_info]

        # [drop]
        for table_name in ['City', 'CountryLanguage', 'Country']:
            await client.sql(DROP_TABLE_QUERY.format(table_name))
        # [/drop]
        print('caches left:', await client.get_cache_names())  # []
    finally:
        await client.close()
        await server.stop()


if __name__ == '__main__':
    run(main)
