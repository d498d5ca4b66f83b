"""Scans (pyignite docs 3.1.7): a cursor over a whole cache, pulled or pushed.

A scan cursor is a :mod:`txkv.scanner` producer: iterate it with ``async for``, pull with
``get_next()``, ``collect()`` it, or push it into an ``IConsumer`` that may pause it.

``python examples/ignite_scans.py`` (starts an embedded server on a free port).
"""

from __future__ import annotations

from typing import Any, List, Tuple

from _ignite_support import run
from twisted.internet.interfaces import IConsumer, IPushProducer
from zope.interface import implementer

from txkv.ignite import Client
from txkv.ignite.server import start_server


# [consumer]
@implementer(IConsumer)
class SlowConsumer:
    """Takes entries in batches of 5, pausing the producer after each batch."""

    def __init__(self, reactor: Any) -> None:
        self.reactor = reactor
        self.producer: IPushProducer | None = None
        self.received: List[Tuple[str, int]] = []
        self.pauses = 0

    def registerProducer(self, producer: Any, streaming: bool) -> None:
        self.producer = producer

    def unregisterProducer(self) -> None:
        self.producer = None

    def write(self, entry: Any) -> None:  # a (key, value) pair, not bytes
        self.received.append(entry)
        if len(self.received) % 5 == 0 and self.producer is not None:
            self.pauses += 1
            self.producer.pauseProducing()  # no more entries (nor pages) until resumed
            self.reactor.callLater(0.01, self.producer.resumeProducing)
# [/consumer]


async def main(reactor: Any) -> None:
    server = await start_server(reactor, port=0)
    client = Client()
    await client.connect(server.addresses)
    try:
        # [put_all]
        my_cache = await client.create_cache('my cache')
        await my_cache.put_all({f'key_{v}': v for v in range(20)})
        # [/put_all]

        # [iterate]
        async with my_cache.scan() as cursor:
            async for k, v in cursor:
                print(k, v)
        # 'key_17' 17
        # 'key_10' 10
        # ... 20 elements in total...
        # [/iterate]

        # [collect]
        async with my_cache.scan() as cursor:
            print(dict(await cursor.collect()))
        # {'key_17': 17, 'key_10': 10, ... 20 elements in total...}
        # [/collect]

        # [get_next]
        cursor = my_cache.scan(page_size=8)
        first = await cursor.get_next()  # None once the cursor is exhausted
        assert first is not None
        print('first entry is a pair:', len(first))
        await cursor.close()  # releases the server-side cursor
        # [/get_next]

        # [produce]
        consumer = SlowConsumer(reactor)
        await my_cache.scan(page_size=4).produce_to(consumer)
        print('pushed', len(consumer.received), 'entries with', consumer.pauses, 'pauses')
        # pushed 20 entries with 4 pauses
        # [/produce]

        await my_cache.destroy()
    finally:
        await client.close()
        await server.stop()


if __name__ == '__main__':
    run(main)
