"""Key-value basics (pyignite docs 3.1): connect, create a cache, put, get, get_all.

Starts an embedded Ignite server on a free port, so it runs anywhere:
``python examples/ignite_key_value.py``.
"""

from __future__ import annotations

from typing import Any

from _ignite_support import run

from txkv.ignite import Client
from txkv.ignite.server import start_server


async def main(reactor: Any) -> None:
    server = await start_server(reactor, port=0)
    host, port = server.addresses[0]
    # [connect]
    client = Client()
    await client.connect(host, port)
    # [/connect]
    try:
        # [create]
        my_cache = await client.create_cache('my cache')
        # [/create]

        # [put]
        await my_cache.put('my key', 42)
        # [/put]

        # [get]
        result = await my_cache.get('my key')
        print(result)  # 42

        result = await my_cache.get('non-existent key')
        print(result)  # None
        # [/get]

        # [get_all]
        result = await my_cache.get_all([
            'my key',
            'non-existent key',
            'other-key',
        ])
        print(result)  # {'my key': 42}
        # [/get_all]

        await my_cache.destroy()
    finally:
        # [close]
        await client.close()
        # [/close]
        await server.stop()


if __name__ == '__main__':
    run(main)
