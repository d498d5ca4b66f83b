"""Reading SQL rows as complex objects (pyignite docs 3.4.1).

Ignite SQL stores each table in a cache named ``SQL_<SCHEMA>_<TABLE>``, keys and rows being
complex objects; the key-value API reads them directly.

``python examples/ignite_read_binary.py`` (starts an embedded server on a free port).
"""

from __future__ import annotations

from typing import Any

from _ignite_support import run
from ignite_sql import DROP_TABLE_QUERY, create_and_fill

from txkv.ignite import Client
from txkv.ignite.prop_codes import PROP_NAME, PROP_QUERY_ENTITIES
from txkv.ignite.server import start_server


async def main(reactor: Any) -> None:
    server = await start_server(reactor, port=0)
    client = Client()
    await client.connect(server.addresses)
    try:
        await create_and_fill(client)

        # [cache_names]
        result = await client.get_cache_names()
        print(sorted(result))
        # ['SQL_PUBLIC_CITY', 'SQL_PUBLIC_COUNTRY', 'SQL_PUBLIC_COUNTRYLANGUAGE']
        # [/cache_names]

        # [settings]
        city_cache = await client.get_or_create_cache('SQL_PUBLIC_CITY')
        settings = await city_cache.settings()
        print(settings[PROP_NAME])
        # SQL_PUBLIC_CITY

        entity = settings[PROP_QUERY_ENTITIES][0]
        print(entity['table_name'])
        # CITY
        print(entity['key_type_name'])
        # SQL_PUBLIC_CITY_..._KEY
        print(entity['value_type_name'])
        # SQL_PUBLIC_CITY_...
        print([field['name'] for field in entity['query_fields']])
        # ['ID', 'NAME', 'COUNTRYCODE', 'DISTRICT', 'POPULATION']
        # [/settings]

        # [scan]
        async with city_cache.scan() as cursor:
            key, value = await cursor.__anext__()
        print(key.type_name.endswith('_KEY'), sorted(key.schema))
        # True ['COUNTRYCODE', 'ID']
        print(sorted(value.schema))
        # ['DISTRICT', 'NAME', 'POPULATION']
        # [/scan]

        # [by_key]
        rows = dict([(key.ID, value) async for key, value in city_cache.scan()])
        detroit = rows[3802]
        print(detroit.NAME, detroit.DISTRICT, detroit.POPULATION)
        # Detroit Michigan 951270
        # [/by_key]

        for table_name in ['City', 'CountryLanguage', 'Country']:
            await client.sql(DROP_TABLE_QUERY.format(table_name))
    finally:
        await client.close()
        await server.stop()


if __name__ == '__main__':
    run(main)
