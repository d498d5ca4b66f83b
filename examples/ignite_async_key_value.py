"""Many requests in flight (pyignite docs 4.1): concurrent puts, get_all, async scan.

Every cache method returns a Deferred at once, so requests are pipelined on the connection;
``gatherResults`` waits for a batch of them (pyignite's AioClient uses ``asyncio.gather``).

``python examples/ignite_async_key_value.py`` (starts an embedded server on a free port).
"""

from __future__ import annotations

from typing import Any

from _ignite_support import run
from twisted.internet.defer import gatherResults, inlineCallbacks

from txkv.ignite import Client
from txkv.ignite.server import start_server


async def main(reactor: Any) -> None:
    server = await start_server(reactor, port=0)
    client = Client()
    await client.connect(server.addresses)
    try:
        # [key_value]
        # Create cache
        cache = await client.get_or_create_cache('test_async_cache')

        # Load data concurrently.
        await gatherResults(
            [cache.put(f'key_{i}', f'value_{i}') for i in range(0, 20)]
        )

        # Key-value queries.
        print(await cache.get('key_10'))
        print(await cache.get_all([f'key_{i}' for i in range(0, 10)]))
        # value_10
        # {'key_0': 'value_0', 'key_1': 'value_1', ...}
        # [/key_value]

        # [scan]
        # Scan query.
        async with cache.scan() as cursor:
            async for k, v in cursor:
                print(f'key = {k}, value = {v}')
        # key = key_0, value = value_0
        # ...
        # [/scan]

        # [inline_callbacks]
        @inlineCallbacks
        def count_entries(cache: Any) -> Any:
            """The same API from callback-style code: yield the Deferreds."""
            size = yield cache.get_size()
            present = yield cache.contains_keys(['key_0', 'key_19'])
            return size, present

        print(await count_entries(cache))  # (20, True)
        # [/inline_callbacks]

        await cache.destroy()
    finally:
        await client.close()
        await server.stop()


if __name__ == '__main__':
    run(main)
