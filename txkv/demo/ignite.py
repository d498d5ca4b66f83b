"""Tour of the Apache Ignite client against an embedded 2-node cluster on free ports."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, Callable

from twisted.internet.defer import gatherResults

from txkv.ignite.binary import GenericObjectMeta
from txkv.ignite.client import Client
from txkv.ignite.codec.ops import PROP_CACHE_ATOMICITY_MODE, PROP_NAME, CacheAtomicityMode
from txkv.ignite.datatypes import CharObject, IntObject, MapObject, String
from txkv.ignite.server import start_server

#: A complex-object class (built by calling the metaclass, as pyignite does for types it reads).
Person: Any = GenericObjectMeta('Person', (), {}, schema=OrderedDict([
    ('name', String),
    ('age', IntObject),
]))


async def tour(reactor: Any, say: Callable[[str], Any]) -> None:
    server = await start_server(reactor, port=0, nodes=2)
    client = Client(reactor=reactor, timeout=10.0)
    try:
        await client.connect(server.addresses)
        say(f"connected to {len(server.addresses)} nodes (partition aware)")
        cache = await client.get_or_create_cache('tour')
        await cache.put('answer', 42)
        await cache.put('a', 'char key', key_hint=CharObject)
        say(f"get: {await cache.get('answer')}; "
            f"char-typed key: {await cache.get('a', key_hint=CharObject)}")
        await gatherResults([cache.put(i, i * i) for i in range(10)])
        say(f"10 puts in flight, then get_all: {await cache.get_all([2, 3, 99])}")
        await cache.put('person', Person(name='Ann', age=30))
        say(f"complex object: {await cache.get('person')}")
        await cache.put('map', (MapObject.HASH_MAP, {'x': 1}))
        say(f"map: {await cache.get('map')}")
        entries = await cache.scan(page_size=4).collect()
        say(f"scan (pages of 4): {len(entries)} entries")

        tx_cache = await client.get_or_create_cache({
            PROP_NAME: 'tour-tx',
            PROP_CACHE_ATOMICITY_MODE: CacheAtomicityMode.TRANSACTIONAL,
        })
        async with client.tx_start() as tx:
            await tx_cache.put('k', 'committed')
            await tx.commit()
        async with client.tx_start() as tx:
            await tx_cache.put('k', 'rolled back')
            await tx.rollback()
        say(f"transactions: {await tx_cache.get('k')}")

        await client.sql('CREATE TABLE city (id INT PRIMARY KEY, name VARCHAR, pop INT)')
        for row in [(1, 'Oslo', 700000), (2, 'Bergen', 285000), (3, 'Tromso', 77000)]:
            await client.sql('INSERT INTO city (id, name, pop) VALUES (?, ?, ?)',
                             query_args=list(row))
        async with client.sql('SELECT name FROM city WHERE pop > ? ORDER BY pop DESC',
                              query_args=[100000], include_field_names=True) as cursor:
            rows = await cursor.collect()
        say(f"sql: {rows}")
        say(f"caches: {sorted(await client.get_cache_names())}")
    finally:
        await client.close()
        await server.stop()
