"""Object collections (pyignite docs 3.2): maps, collections and object arrays.

Ignite's collection types are ``(kind, value)`` tuples, the kind being a constant of
:class:`MapObject`, :class:`CollectionObject` or :class:`ObjectArrayObject`.

``python examples/ignite_collections.py`` (starts an embedded server on a free port).
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from _ignite_support import run

from txkv.ignite import Client
from txkv.ignite.datatypes import CollectionObject, MapObject, ObjectArrayObject
from txkv.ignite.server import start_server


async def main(reactor: Any) -> None:
    server = await start_server(reactor, port=0)
    client = Client()
    await client.connect(server.addresses)
    try:
        my_cache = await client.get_or_create_cache('my cache')

        # [map]
        value: Any = OrderedDict([(1, 'test'), ('key', 2.0)])

        # saving ordered dictionary
        type_id = MapObject.LINKED_HASH_MAP
        await my_cache.put('my dict', (type_id, value))
        result = await my_cache.get('my dict')
        print(result)  # (2, OrderedDict([(1, 'test'), ('key', 2.0)]))

        # saving unordered dictionary
        type_id = MapObject.HASH_MAP
        await my_cache.put('my dict', (type_id, value))
        result = await my_cache.get('my dict')
        print(result)  # (1, {1: 'test', 'key': 2.0})
        # [/map]

        # [collection]
        type_id = CollectionObject.LINKED_LIST
        value = [1, '2', 3.0]

        await my_cache.put('my list', (type_id, value))

        result = await my_cache.get('my list')
        print(result)  # (2, [1, '2', 3.0])

        type_id = CollectionObject.HASH_SET
        value = [4, 4, 'test', 5.6]

        await my_cache.put('my set', (type_id, value))

        result = await my_cache.get('my set')
        print(result)  # (3, [5.6, 4, 'test']) -- a Java HashSet: no duplicates
        # [/collection]

        # [object_array]
        type_id = ObjectArrayObject.OBJECT
        value = [7, '8', 9.0]

        await my_cache.put(
            'my array of objects',
            (type_id, value),
            value_hint=ObjectArrayObject,  # this hint is mandatory!
        )
        result = await my_cache.get('my array of objects')
        print(result)  # (-1, [7, '8', 9.0])
        # [/object_array]

        await my_cache.destroy()
    finally:
        await client.close()
        await server.stop()


if __name__ == '__main__':
    run(main)
