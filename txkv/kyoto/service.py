"""The twistd service of an embedded Kyoto Tycoon or Tokyo Tyrant server: a listening endpoint
whose storage is closed after the listener stopped (used by ``txkv.tap.kt`` and ``tt``)."""

from __future__ import annotations

from typing import Any

from twisted.application.internet import StreamServerEndpointService
from twisted.application.service import IService, MultiService
from twisted.internet.defer import Deferred
from twisted.internet.endpoints import serverFromString
from twisted.internet.interfaces import IProtocolFactory

__all__ = ["ServerService", "server_service"]


class ServerService(MultiService):
    """The listening service(s) of a server; its storage closes once they have stopped."""

    def __init__(self, storage: Any) -> None:
        super().__init__()
        self.storage = storage

    def stopService(self) -> Deferred[None]:
        d: Deferred[None] = super().stopService()

        def close(result: object) -> object:
            self.storage.close()
            return result

        return d.addBoth(close)


def server_service(listen: str, factory: IProtocolFactory, storage: Any,
                   reactor: Any = None) -> IService:
    """Serve ``factory`` on the endpoint description ``listen``; close ``storage`` once the
    listener has stopped."""
    if reactor is None:
        from twisted.internet import reactor as _reactor

        reactor = _reactor
    top = ServerService(storage)
    StreamServerEndpointService(serverFromString(reactor, listen), factory).setServiceParent(top)
    return top
