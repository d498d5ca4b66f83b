"""A tour of the asynchronous KyotoTycoon client against an embedded server.

Run: ``python examples/kyoto_tour.py``.
"""

from __future__ import annotations

from twisted.internet import task
from twisted.internet.defer import ensureDeferred, gatherResults

from txkv.kyoto import KT_JSON, EmbeddedServer, KyotoTycoon


async def main(reactor: object) -> None:
    server = EmbeddedServer(reactor=reactor)
    await server.run()
    assert server.port is not None
    kt = KyotoTycoon("127.0.0.1", server.port, serializer=KT_JSON, reactor=reactor)
    try:
        # binary protocol: get / set / remove and their bulk forms
        await kt.set("user:1", {"name": "ann", "langs": ["py", "c"]})
        print("get:", await kt.get("user:1"))
        print("set_bulk:", await kt.set_bulk({"user:2": {"name": "bob"}, "user:3": {}}))
        print("get_bulk:", await kt.get_bulk(["user:2", "user:9"]))
        await kt.set("session", "abc", expire_time=60)  # expires in a minute
        # many requests in flight on one connection (pipelined)
        values = await gatherResults([kt.get(f"user:{i}") for i in range(1, 4)])
        print("pipelined:", values)
        # HTTP RPC: conditional writes, counters, matching, status
        print("add twice:", await kt.add("lock", 1), await kt.add("lock", 2))
        print("incr:", await kt.incr("hits", 5), await kt.incr("hits"))
        print("cas:", await kt.cas("lock", 1, 2), await kt.get("lock"))
        print("match_prefix:", await kt.match_prefix("user:"))
        print("count:", await kt.count(), "exists:", await kt.exists("user:1"))
        # a scan is a producer; collect() gathers it
        print("keys:", await kt.keys().collect())
        cursor = kt.cursor()
        await cursor.jump("user:2")
        print("cursor:", await cursor.get(step=True), await cursor.key())
        await cursor.close()
        print("remove_bulk:", await kt.remove_bulk(["user:1", "user:2", "user:3"]))
    finally:
        await kt.close()
        await server.stop()


if __name__ == "__main__":
    task.react(lambda reactor: ensureDeferred(main(reactor)))
