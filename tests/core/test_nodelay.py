"""Every txkv client and embedded server turns Nagle off on its TCP sockets.

Small request/reply frames must not wait for the peer's delayed ACK.
"""

from __future__ import annotations

import socket
from typing import Any

from twisted.internet import reactor
from twisted.internet.defer import Deferred
from twisted.trial.unittest import TestCase

from txkv.testing import start_server


def nodelay(transport: Any) -> int:
    handle = transport.getHandle()
    return int(handle.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))


class NoDelayTests(TestCase):
    def check_server(self, server: Any) -> None:
        transports = [p.transport for p in server.connections]
        self.assertTrue(transports)
        for transport in transports:
            self.assertEqual(nodelay(transport), 1)

    def test_kyoto_tycoon_and_tokyo_tyrant(self) -> Deferred[None]:
        from txkv.kyoto import KyotoTycoon, TokyoTyrant

        async def scenario() -> None:
            for name, client_class in (("kt", KyotoTycoon), ("tt", TokyoTyrant)):
                server = await start_server(name, reactor=reactor)
                client = client_class("127.0.0.1", server.port, reactor=reactor)
                try:
                    await client.set("k", "v")
                    self.check_server(server)
                    managers = [getattr(client, attr, None)
                                for attr in ("_binary", "_manager")]
                    protocols = [p for manager in managers if manager is not None
                                 for node in manager.nodes for p in node.connected_protocols()]
                    self.assertTrue(protocols)
                    for protocol in protocols:
                        self.assertEqual(nodelay(protocol.transport), 1)
                finally:
                    await client.close()
                    await server.stop()

        return Deferred.fromCoroutine(scenario())

    def test_ignite(self) -> Deferred[None]:
        from txkv.ignite import Client

        async def scenario() -> None:
            server = await start_server("ignite", reactor=reactor)
            client = Client(reactor=reactor)
            try:
                await client.connect("127.0.0.1", server.port)
                cache = await client.get_or_create_cache("c")
                await cache.put(1, 1)
                self.check_server(server)
                node = await client.random_node()
                self.assertEqual(nodelay(node.transport), 1)
            finally:
                await client.close()
                await server.stop()

        return Deferred.fromCoroutine(scenario())
