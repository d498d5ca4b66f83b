"""Transactions (protocol 1.5+): commit, rollback, and what other clients see.

``python examples/ignite_transactions.py`` (starts an embedded server on a free port).
"""

from __future__ import annotations

from typing import Any

from _ignite_support import run

from txkv.ignite import Client
from txkv.ignite.datatypes import (
    CacheAtomicityMode,
    TransactionConcurrency,
    TransactionIsolation,
)
from txkv.ignite.prop_codes import PROP_CACHE_ATOMICITY_MODE, PROP_NAME
from txkv.ignite.server import start_server


async def main(reactor: Any) -> None:
    server = await start_server(reactor, port=0)
    client = Client()
    await client.connect(server.addresses)
    try:
        # [cache]
        cache = await client.get_or_create_cache({
            PROP_NAME: 'tx_cache',
            PROP_CACHE_ATOMICITY_MODE: CacheAtomicityMode.TRANSACTIONAL,
        })
        # [/cache]

        # [commit]
        async with client.tx_start(
            isolation=TransactionIsolation.REPEATABLE_READ,
            concurrency=TransactionConcurrency.PESSIMISTIC,
        ) as tx:
            await cache.put(1, 'success')
            await tx.commit()
        print(await cache.get(1))  # success
        # [/commit]

        # [rollback]
        async with client.tx_start() as tx:
            await cache.put(1, 'fail')
            await tx.rollback()
        print(await cache.get(1))  # success
        # [/rollback]

        # [implicit_rollback]
        try:
            async with client.tx_start():
                await cache.put(1, 'never seen')
                raise RuntimeError('something went wrong')
        except RuntimeError:
            pass
        print(await cache.get(1))  # success: leaving the block without commit rolls back
        # [/implicit_rollback]

        await cache.destroy()
    finally:
        await client.close()
        await server.stop()


if __name__ == '__main__':
    run(main)
