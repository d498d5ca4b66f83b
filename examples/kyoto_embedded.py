"""Start an embedded Kyoto Tycoon server, use its bound client, stop it (the seed's example).

Run: ``python examples/kyoto_embedded.py``.  ``ktserver`` is used when installed, otherwise
txkv's own server.
"""

from __future__ import annotations

from twisted.internet import task
from twisted.internet.defer import ensureDeferred

from txkv.kyoto import EmbeddedServer


async def main(reactor: object) -> None:
    server = EmbeddedServer(reactor=reactor)
    print("run:", await server.run())
    client = server.client
    print("set:", await client.set("k1", "v1"))
    print("get:", await client.get("k1"))
    print("stop:", await server.stop())


if __name__ == "__main__":
    task.react(lambda reactor: ensureDeferred(main(reactor)))
