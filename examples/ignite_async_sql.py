"""SQL with many requests in flight (pyignite docs 4.2): concurrent inserts and drops.

Every call returns a Deferred, so independent statements can run concurrently with
``gatherResults`` (pyignite's AioClient uses ``asyncio.gather`` for this).

``python examples/ignite_async_sql.py`` (starts an embedded server on a free port).
"""

from __future__ import annotations

from typing import Any

from _ignite_support import CITY_DATA, COUNTRY_DATA, LANGUAGE_DATA, run
from ignite_sql import (
    CITY_CREATE_INDEX,
    CITY_CREATE_TABLE_QUERY,
    CITY_INFO_QUERY,
    CITY_INSERT_QUERY,
    COUNTRY_CREATE_TABLE_QUERY,
    COUNTRY_INSERT_QUERY,
    DROP_TABLE_QUERY,
    LANGUAGE_CREATE_INDEX,
    LANGUAGE_CREATE_TABLE_QUERY,
    LANGUAGE_INSERT_QUERY,
    MOST_POPULATED_QUERY,
)
from twisted.internet.defer import Deferred, gatherResults

from txkv.ignite import Client
from txkv.ignite.server import start_server


async def main(reactor: Any) -> None:
    server = await start_server(reactor, port=0)
    client = Client()
    await client.connect(server.addresses)
    try:
        for query in [COUNTRY_CREATE_TABLE_QUERY, CITY_CREATE_TABLE_QUERY,
                      LANGUAGE_CREATE_TABLE_QUERY, CITY_CREATE_INDEX, LANGUAGE_CREATE_INDEX]:
            await client.sql(query)

        # [concurrent_inserts]
        def run_query(query: str, row: Any) -> Deferred[Any]:
            # start() sends the query now; it fires once the (one-row) reply has arrived
            return client.sql(query, query_args=row).start()

        await gatherResults([run_query(COUNTRY_INSERT_QUERY, row) for row in COUNTRY_DATA])
        await gatherResults([run_query(CITY_INSERT_QUERY, row) for row in CITY_DATA])
        await gatherResults([run_query(LANGUAGE_INSERT_QUERY, row) for row in LANGUAGE_DATA])
        # [/concurrent_inserts]

        # [async_for]
        async with client.sql(MOST_POPULATED_QUERY) as cursor:
            print('Most 10 populated cities:')
            async for row in cursor:
                print(row)
        # [/async_for]

        # [anext]
        async with client.sql(CITY_INFO_QUERY, query_args=[3802],
                              include_field_names=True) as cursor:
            field_names = await cursor.__anext__()
            field_data = await cursor.__anext__()
            print('City info:')
            for field_name, field_value in zip(field_names, field_data):
                print(f'{field_name}: {field_value}')
        # [/anext]

        # [concurrent_drops]
        await gatherResults([
            run_query(DROP_TABLE_QUERY.format(table_name), None)
            for table_name in ['City', 'CountryLanguage', 'Country']
        ])
        # [/concurrent_drops]
        print('caches left:', await client.get_cache_names())  # []
    finally:
        await client.close()
        await server.stop()


if __name__ == '__main__':
    run(main)
