"""A tour of the Tokyo Tyrant client against embedded servers: records, bulk calls, counters,
ordered ranges on a B+ tree database, and queries on a table database.

Run: ``python examples/tokyo_tyrant_tour.py``.
"""

from __future__ import annotations

from twisted.internet import task
from twisted.internet.defer import ensureDeferred

from txkv.kyoto.tyrant import (
    INDEX_DECIMAL,
    TT_TABLE,
    EmbeddedTokyoTyrantServer,
    Op,
    Order,
)


async def records(reactor: object) -> None:
    # "+" is an on-memory B+ tree: ordered keys, range queries, duplicates.
    server = EmbeddedTokyoTyrantServer(reactor=reactor, database="+")
    await server.run()
    tt = server.client
    try:
        print("set:", await tt.set("k1", "v1"))
        print("add twice:", await tt.add("k2", "v2"), await tt.add("k2", "again"))
        print("append:", await tt.append("k2", "+"), await tt.get("k2"))
        print("set_bulk:", await tt.set_bulk({"a": "1", "b": "2", "c": "3"}))
        print("get_bulk:", await tt.get_bulk(["a", "b", "missing"]))
        print("incr:", await tt.incr("hits"), await tt.incr("hits", 5))
        print("incr_double:", await tt.incr_double("score", 1.5))
        print("get_range:", await tt.get_range("a", "c"))
        print("match_prefix:", await tt.match_prefix("k"))
        print("match_regex:", await tt.match_regex("^[ab]$"))
        print("seize:", await tt.seize("k1"), await tt.exists("k1"))
        print("count:", await tt.count())
        print("keys:", await tt.keys())
        print("status type:", (await tt.status())["type"])
    finally:
        await server.stop()


async def tables(reactor: object) -> None:
    # A table database: every value is a dict of columns.
    server = EmbeddedTokyoTyrantServer(reactor=reactor, database="people.tct",
                                       serializer=TT_TABLE)
    await server.run()
    tt = server.client
    try:
        await tt.set("ann", {"name": "Ann", "age": 31})
        await tt.set("bob", {"name": "Bob", "age": 25})
        await tt.set("cy", {"name": "Cy", "age": 40})
        await tt.set_index("age", INDEX_DECIMAL)
        adults = tt.query().filter("age", Op.NUM_GE, 30).order_by("age", Order.NUM_DESC)
        print("query:", await adults.execute())
        print("query count:", await adults.count())
        print("query rows:", await adults.limit(1).get())
        print("genuid:", await tt.genuid())
    finally:
        await server.stop()


async def main(reactor: object) -> None:
    await records(reactor)
    await tables(reactor)


if __name__ == "__main__":
    task.react(lambda reactor: ensureDeferred(main(reactor)))
