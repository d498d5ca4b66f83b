"""Type hints (pyignite docs 3.1.6): choosing the Ignite type of a key or a value.

``python examples/ignite_type_hints.py`` (starts an embedded server on a free port).
"""

from __future__ import annotations

from typing import Any

from _ignite_support import run

from txkv.ignite import Client
from txkv.ignite.datatypes import CharObject, ShortObject
from txkv.ignite.server import start_server


async def main(reactor: Any) -> None:
    server = await start_server(reactor, port=0)
    client = Client()
    await client.connect(server.addresses)
    try:
        my_cache = await client.get_or_create_cache('my cache')
        # [hints]
        await my_cache.put('my key', 42)
        # value '42' takes 9 bytes of memory as a LongObject

        await my_cache.put('my key', 42, value_hint=ShortObject)
        # value '42' takes only 3 bytes as a ShortObject

        await my_cache.put('a', 1)
        # 'a' is a key of type String

        await my_cache.put('a', 2, key_hint=CharObject)
        # another key 'a' of type CharObject was created

        value = await my_cache.get('a')
        print(value)
        # 1

        value = await my_cache.get('a', key_hint=CharObject)
        print(value)
        # 2

        # now let us delete both keys at once
        await my_cache.remove_keys([
            'a',                # a default type key
            ('a', CharObject),  # a key of type CharObject
        ])
        # [/hints]
        print('size after remove_keys:', await my_cache.get_size())  # 1 ('my key')
        await my_cache.destroy()
    finally:
        await client.close()
        await server.stop()


if __name__ == '__main__':
    run(main)
