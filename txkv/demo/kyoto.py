"""Tour of the Kyoto Tycoon client against an embedded server on a free port."""

from __future__ import annotations

from typing import Any, Callable

from txkv.kyoto import KT_JSON, EmbeddedServer


async def tour(reactor: Any, say: Callable[[str], Any]) -> None:
    server = EmbeddedServer(reactor=reactor, serializer=KT_JSON)
    await server.run()
    kt = server.client
    try:
        await kt.set("user:1", {"name": "Ann", "langs": ["py", "lua"]})
        say(f"binary-protocol get: {await kt.get('user:1')}")
        await kt.set_bulk({"user:2": {"name": "Bob"}, "user:3": {"name": "Cy"}})
        say(f"get_bulk: {sorted(await kt.get_bulk(['user:2', 'user:3', 'nobody']))}")
        say(f"http add (exists -> False): {await kt.add('user:1', {})}")
        say(f"incr: {await kt.incr('counter', 3)} then {await kt.incr('counter', 4)}")
        say(f"match_prefix('user:'): {await kt.match_prefix('user:')}")
        say(f"count: {await kt.count()}")
        keys = await kt.keys().collect()
        say(f"keys() scanner: {keys}")
    finally:
        await server.stop()
