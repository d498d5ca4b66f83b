"""Tour of the Tokyo Tyrant client against an embedded server on a free port."""

from __future__ import annotations

from typing import Any, Callable

from txkv.kyoto.tyrant import TT_TABLE, EmbeddedTokyoTyrantServer, Op, Order


async def tour(reactor: Any, say: Callable[[str], Any]) -> None:
    server = EmbeddedTokyoTyrantServer(reactor=reactor, database="+")  # ordered B+ tree
    await server.run()
    tt = server.client
    try:
        await tt.set_bulk({"apple": "1", "avocado": "2", "banana": "3"})
        say(f"get_bulk: {await tt.get_bulk(['apple', 'banana', 'missing'])}")
        say(f"match_prefix('a'): {await tt.match_prefix('a')}")
        say(f"get_range('a', 'b'): {await tt.get_range('a', 'b')}")
        say(f"incr('hits', 5): {await tt.incr('hits', 5)}")
        say(f"count: {await tt.count()}")
    finally:
        await server.stop()

    server = EmbeddedTokyoTyrantServer(reactor=reactor, database="demo.tct", serializer=TT_TABLE)
    await server.run()
    tt = server.client
    try:
        await tt.set("ann", {"name": "Ann", "age": 31})
        await tt.set("bob", {"name": "Bob", "age": 25})
        query = tt.query().filter("age", Op.NUM_GE, 30).order_by("age", Order.NUM_DESC)
        say(f"table query age >= 30: {await query.execute()}")
    finally:
        await server.stop()
