"""Partition awareness: key operations go straight to the node owning the key.

With ``partition_aware=True`` (the default) the client connects to every node, reads the
cache's partition map once (OP_CACHE_PARTITIONS) and sends each single-key request to the
owner of the key's partition; with ``False`` everything goes to one node, which forwards.

``python examples/ignite_partition_awareness.py`` (starts an embedded 3-node cluster).
"""

from __future__ import annotations

from typing import Any

from _ignite_support import run

from txkv.ignite import Client
from txkv.ignite.server import start_server


async def puts_per_node(server: Any, partition_aware: bool) -> list:
    for node in server.nodes:
        node.stats.reset()
    # [client]
    client = Client(partition_aware=partition_aware)
    await client.connect(server.addresses)
    # [/client]
    try:
        cache = await client.get_or_create_cache('spread')
        for i in range(300):
            await cache.put(i, str(i))
    finally:
        await client.close()
    return [node.stats.ops['OP_CACHE_PUT'] for node in server.nodes]


async def main(reactor: Any) -> None:
    server = await start_server(reactor, port=0, nodes=3)
    try:
        aware = await puts_per_node(server, True)
        print('partition aware, puts per node:', aware)
        # e.g. partition aware, puts per node: [97, 103, 100]
        print('every node served some:', all(aware), '| total:', sum(aware))
        # every node served some: True | total: 300
        unaware = await puts_per_node(server, False)
        print('not partition aware, nodes used:', sum(1 for n in unaware if n))
        # not partition aware, nodes used: 1
    finally:
        await server.stop()


if __name__ == '__main__':
    run(main)
