"""Failover (pyignite docs 3.5): a 3-node cluster whose nodes are shut down one by one.

The client keeps working while at least one node is up: a request caught on a dying
connection fails (``ConnectionLostError``), the next one goes to a live node.  When every node
is gone the client raises ``ReconnectError``.

``python examples/ignite_failover.py`` (starts an embedded 3-node cluster on free ports).
"""

from __future__ import annotations

from typing import Any

from _ignite_support import run

from txkv.errors import ConnectionLostError, ReconnectError, RequestTimeoutError
from txkv.ignite import Client
from txkv.ignite.datatypes import CacheMode
from txkv.ignite.prop_codes import PROP_BACKUPS_NUMBER, PROP_CACHE_MODE, PROP_NAME
from txkv.ignite.server import start_server

#: increments between two node shutdowns
WORK_PER_NODE = 200


async def main(reactor: Any) -> None:
    server = await start_server(reactor, port=0, nodes=3)
    nodes = server.addresses  # [('127.0.0.1', p1), ('127.0.0.1', p2), ('127.0.0.1', p3)]
    victims = list(server.nodes)
    # [connect]
    client = Client(timeout=4.0)
    await client.connect(nodes)
    print('Connected')

    my_cache = await client.get_or_create_cache({
        PROP_NAME: 'my_cache',
        PROP_CACHE_MODE: CacheMode.PARTITIONED,
        PROP_BACKUPS_NUMBER: 2,
    })
    await my_cache.put('test_key', 0)
    test_value = 0
    # [/connect]
    done = 0
    try:
        # [loop]
        while True:
            try:
                # do the work
                test_value = await my_cache.get('test_key') or 0
                await my_cache.put('test_key', test_value + 1)
            except (ConnectionLostError, RequestTimeoutError) as e:
                # recover from error (repeat last command, check data
                # consistency or just continue depends on the task)
                print(f'Error: {e}')
                print(f'Last value: {test_value}')
                print('Reconnecting')
            # [/loop]
            done += 1
            if done % WORK_PER_NODE == 0 and victims:
                # shut a node down without waiting: requests in flight on it fail
                server.stop_node(victims.pop(0))
    except ReconnectError as e:
        print(f'ReconnectError: {e}')
        print(f'Last value: {test_value}')
    finally:
        await client.close()
        await server.stop()


if __name__ == '__main__':
    run(main)
