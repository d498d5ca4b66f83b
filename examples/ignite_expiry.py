"""Expiry policies (protocol 1.6+): per cache, or per operation with ``with_expire_policy``.

``python examples/ignite_expiry.py`` (starts an embedded server on a free port; waits 0.4 s).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from _ignite_support import run
from twisted.internet.task import deferLater

from txkv.ignite import Client
from txkv.ignite.datatypes import ExpiryPolicy
from txkv.ignite.prop_codes import PROP_EXPIRY_POLICY, PROP_NAME
from txkv.ignite.server import start_server


async def main(reactor: Any) -> None:
    server = await start_server(reactor, port=0)
    client = Client()
    await client.connect(server.addresses)
    try:
        # [cache_policy]
        ttl_cache = await client.get_or_create_cache({
            PROP_NAME: 'short lived',
            PROP_EXPIRY_POLICY: ExpiryPolicy(create=timedelta(milliseconds=200)),
        })
        await ttl_cache.put('session', 'abc')
        # [/cache_policy]

        # [operation_policy]
        cache = await client.get_or_create_cache('plain')
        short = cache.with_expire_policy(create=timedelta(milliseconds=200))
        await short.put('flash', 'gone soon')
        await cache.put('stays', 'here')
        # [/operation_policy]

        print('before:', await ttl_cache.get('session'), '|', await cache.get('flash'))
        # before: abc | gone soon
        await deferLater(reactor, 0.4, lambda: None)
        print('after:', await ttl_cache.get('session'), '|', await cache.get('flash'),
              '|', await cache.get('stays'))
        # after: None | None | here
    finally:
        await client.close()
        await server.stop()


if __name__ == '__main__':
    run(main)
