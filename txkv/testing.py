"""Helpers for testing code that uses txkv (shipped for users' own tests, used by txkv's).

* :func:`connect_in_memory` — wire a server factory to a client factory with no sockets
  (:mod:`twisted.test.iosim`); bytes move when the returned pump is flushed.
* :func:`listen_tcp` — run any server factory on a free loopback port of the real reactor;
  :meth:`ListeningServer.stop` stops listening *and* closes every connection it accepted, so
  trial's dirty-reactor check stays clean.
* :func:`free_port` — a port number that was free a moment ago, for a subprocess to bind.
* :func:`start_server` / :func:`register_test_server` — start a server by name.  Store packages
  register a ``make_factory`` for their embedded server; registering a ``"module:attribute"``
  string keeps the import lazy until the server is first started.

Example (a trial test method decorated with ``inlineCallbacks``)::

    server = yield listen_tcp(MyServerFactory())
    self.addCleanup(server.stop)
    endpoint = clientFromString(reactor, server.endpoint_string)
    protocol = yield endpoint.connect(MyClientFactory())
"""

from __future__ import annotations

import importlib
import socket
from typing import Any, Callable, Dict, List, Optional, Tuple, Union

from twisted.internet.address import IPv4Address
from twisted.internet.defer import Deferred, fail, maybeDeferred, succeed
from twisted.internet.interfaces import (
    IAddress,
    IHalfCloseableProtocol,
    IHandshakeListener,
    IListeningPort,
    IProtocol,
    IProtocolFactory,
)
from twisted.internet.protocol import connectionDone
from twisted.internet.task import Clock
from twisted.logger import Logger
from twisted.protocols.policies import ProtocolWrapper, WrappingFactory
from twisted.python.failure import Failure
from twisted.test.iosim import FakeTransport, IOPump, connect
from zope.interface import alsoProvides

from txkv.endpoints import format_address
from txkv.errors import ParameterError

__all__ = [
    "IOPump",
    "ListeningServer",
    "connect_in_memory",
    "free_port",
    "listen_tcp",
    "register_test_server",
    "registered_test_servers",
    "start_server",
    "unregister_test_server",
]

log = Logger(namespace="txkv.testing")

_DEFAULT_SERVER_ADDRESS = IPv4Address("TCP", "127.0.0.1", 10000)
_DEFAULT_CLIENT_ADDRESS = IPv4Address("TCP", "127.0.0.1", 50000)


# -- in memory -----------------------------------------------------------------------------------


def connect_in_memory(
    server_factory: IProtocolFactory,
    client_factory: IProtocolFactory,
    *,
    clock: Optional[Clock] = None,
    server_address: IAddress = _DEFAULT_SERVER_ADDRESS,
    client_address: IAddress = _DEFAULT_CLIENT_ADDRESS,
    greet: bool = True,
) -> Tuple[Any, Any, IOPump]:
    """Connect a protocol of ``client_factory`` to one of ``server_factory`` in memory.

    Each factory's ``buildProtocol`` gets the peer's address; each transport's ``getHost`` /
    ``getPeer`` return the two addresses.  Nothing moves until ``pump.flush()`` (or
    ``pump.pump()`` for one step); ``greet=True`` flushes once so greetings are already
    exchanged.  ``loseConnection`` on either side is delivered by the next flush.  Every
    flush first runs the calls due now on ``clock`` (``pump.clock``; a fresh
    :class:`~twisted.internet.testing.MemoryReactorClock` when not given).  Factories are not
    started (``doStart``); start them yourself if your factory needs it.

    :return: ``(client_protocol, server_protocol, pump)``.
    :raises ParameterError: a factory refused the connection (``buildProtocol`` gave ``None``).
    """
    server = server_factory.buildProtocol(client_address)
    if server is None:
        raise ParameterError(f"{server_factory!r} refused the in-memory connection")
    client = client_factory.buildProtocol(server_address)
    if client is None:
        raise ParameterError(f"{client_factory!r} refused the in-memory connection")
    server_io = FakeTransport(server, isServer=True, hostAddress=server_address,
                              peerAddress=client_address)
    client_io = FakeTransport(client, isServer=False, hostAddress=client_address,
                              peerAddress=server_address)
    pump = connect(server, server_io, client, client_io, greet=greet, clock=clock)
    return client, server, pump


# -- real loopback sockets -----------------------------------------------------------------------


class _TrackedProtocol(ProtocolWrapper):
    """Wraps one accepted connection so the listener can close it and learn when it is gone.

    Forwards the optional protocol interfaces (half-close, TLS handshake) of the wrapped
    protocol, which a plain :class:`ProtocolWrapper` would hide.
    """

    factory: _TrackingFactory

    def makeConnection(self, transport: Any) -> None:
        super().makeConnection(transport)  # provides the transport's interfaces
        for iface in (IHalfCloseableProtocol, IHandshakeListener):
            if self.wrappedProtocol is not None and iface.providedBy(self.wrappedProtocol):
                alsoProvides(self, iface)

    def readConnectionLost(self) -> None:
        IHalfCloseableProtocol(self.wrappedProtocol).readConnectionLost()

    def writeConnectionLost(self) -> None:
        IHalfCloseableProtocol(self.wrappedProtocol).writeConnectionLost()

    def handshakeCompleted(self) -> None:
        IHandshakeListener(self.wrappedProtocol).handshakeCompleted()

    def connectionLost(self, reason: Failure = connectionDone) -> None:
        try:
            super().connectionLost(reason)
        finally:
            self.factory.connection_gone(self)


class _TrackingFactory(WrappingFactory[_TrackedProtocol]):
    protocol = _TrackedProtocol

    def __init__(self, wrapped: IProtocolFactory) -> None:
        super().__init__(wrapped)
        self.live: Dict[_TrackedProtocol, IProtocol] = {}
        self._waiters: List[Deferred[None]] = []

    def buildProtocol(self, addr: Optional[IAddress]) -> Optional[_TrackedProtocol]:  # type: ignore[override]
        inner = self.wrappedFactory.buildProtocol(addr)
        return None if inner is None else self.protocol(self, inner)

    def registerProtocol(self, p: _TrackedProtocol) -> None:
        super().registerProtocol(p)
        self.live[p] = p.wrappedProtocol

    def connection_gone(self, p: _TrackedProtocol) -> None:
        self.live.pop(p, None)
        if not self.live:
            waiters, self._waiters = self._waiters, []
            for d in waiters:
                d.callback(None)

    def close_all(self) -> Deferred[None]:
        """Abort every live connection; fires once all of them have reported their loss."""
        if not self.live:
            return succeed(None)
        d: Deferred[None] = Deferred()
        self._waiters.append(d)
        for p in list(self.live):
            p.abortConnection()
        return d


_PENDING = object()


class ListeningServer:
    """A server factory listening on a loopback port (see :func:`listen_tcp`).

    :ivar factory: the server factory given to :func:`listen_tcp`.
    :ivar host: the interface listened on.
    :ivar port: the port number.
    :ivar address: ``"host:port"``, the form txkv clients take as a node.
    :ivar endpoint_string: a client endpoint description of the server's TCP address
        (``"tcp:host=127.0.0.1:port=N"``), for :func:`~twisted.internet.endpoints.clientFromString`.
    :ivar tls: whether connections are TLS (the server was started with ``tls=``).
    """

    def __init__(
        self, factory: IProtocolFactory, listening: IListeningPort, tracker: _TrackingFactory,
        tls: bool,
    ) -> None:
        self.factory = factory
        self._listening = listening
        self._tracker = tracker
        self._stop_outcome: Any = _PENDING
        self._stop_waiters: List[Deferred[None]] = []
        host = listening.getHost()
        self.host: str = host.host  # type: ignore[attr-defined]
        self.port: int = host.port  # type: ignore[attr-defined]
        self.tls = tls
        self.address = format_address(self.host, self.port)
        host_field = self.host.replace(":", "\\:")
        self.endpoint_string = f"tcp:host={host_field}:port={self.port}"

    @property
    def connections(self) -> List[IProtocol]:
        """The server protocols of the connections open right now."""
        return list(self._tracker.live.values())

    def close_connections(self) -> Deferred[None]:
        """Abort every open connection but keep listening; fires when they are all closed."""
        return self._tracker.close_all()

    def stop(self) -> Deferred[None]:
        """Stop listening, then abort every accepted connection; fires when the port and all
        the connections are closed.  Later calls fire with the same outcome."""
        if self._stop_outcome is _PENDING and not self._stop_waiters:
            d = maybeDeferred(self._listening.stopListening)
            d.addCallback(lambda _: self._tracker.close_all())
            d.addBoth(self._stopped)
        waiter: Deferred[None] = Deferred()
        if self._stop_outcome is _PENDING:
            self._stop_waiters.append(waiter)
        else:
            waiter.callback(self._stop_outcome)
        return waiter

    def _stopped(self, outcome: Union[None, Failure]) -> None:
        self._stop_outcome = outcome
        waiters, self._stop_waiters = self._stop_waiters, []
        for d in waiters:
            d.callback(outcome)

    def __repr__(self) -> str:
        return f"<ListeningServer {self.address} {self.factory!r}>"


def listen_tcp(
    factory: IProtocolFactory,
    *,
    reactor: Any = None,
    interface: str = "127.0.0.1",
    tls: Any = None,
) -> Deferred[ListeningServer]:
    """Start ``factory`` on a free port of ``interface`` (port 0 on the real reactor).

    :param reactor: an ``IReactorTCP`` (and ``IReactorSSL`` with ``tls``); default the
        global reactor.
    :param tls: a server context factory (:func:`txkv.tls.server_tls`) to serve TLS.
    :return: a Deferred firing with the :class:`ListeningServer`; stop it with
        :meth:`~ListeningServer.stop` (``self.addCleanup(server.stop)`` in trial).
    """
    if reactor is None:
        from twisted.internet import reactor as global_reactor

        reactor = global_reactor
    tracker = _TrackingFactory(factory)
    try:
        if tls is not None:
            port = reactor.listenSSL(0, tracker, tls, interface=interface)
        else:
            port = reactor.listenTCP(0, tracker, interface=interface)
    except Exception:
        return fail()
    return succeed(ListeningServer(factory, port, tracker, tls is not None))


def free_port(interface: str = "127.0.0.1") -> int:
    """A TCP port of ``interface`` that was free when this returned.

    For code that must hand a port number to a subprocess; another process may take the port
    before it is bound, so prefer :func:`listen_tcp` (port 0) whenever the server is in-process.
    """
    family = socket.AF_INET6 if ":" in interface else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.bind((interface, 0))
        port: int = s.getsockname()[1]
    return port


# -- named test servers --------------------------------------------------------------------------

#: Makes a server factory from keyword options; may return a Deferred of the factory.
MakeFactory = Callable[..., Any]

_test_servers: Dict[str, Union[MakeFactory, str]] = {
    # txkv's own embedded servers, imported on first use.
    "ignite": "txkv.ignite.server.testing:make_server_factory",
    "kt": "txkv.kyoto.kt_server:make_test_factory",
    "tt": "txkv.kyoto.tyrant.server:make_test_factory",
}


def register_test_server(
    name: str, make_factory: Union[MakeFactory, str], *, replace: bool = False
) -> None:
    """Make :func:`start_server` know ``name``.

    :param make_factory: called as ``make_factory(**options)`` with the options given to
        :func:`start_server`; returns a server factory (or a Deferred of one).  May be given as
        ``"package.module:attribute"``, imported on first use, so registering costs no import:
        a store package registers its embedded server with, e.g.,
        ``register_test_server("kt", "txkv.kyoto.kt_testing:make_server_factory")``.
    :param replace: allow replacing an existing registration.
    :raises ParameterError: ``name`` is taken (without ``replace``), or a string
        ``make_factory`` is not ``"module:attribute"``.
    """
    if not isinstance(name, str) or not name:
        raise ParameterError(f"test server name must be a non-empty str, not {name!r}")
    if isinstance(make_factory, str):
        module, _, attribute = make_factory.partition(":")
        if not module or not attribute:
            raise ParameterError(
                f"test server {name!r}: expected 'module:attribute', got {make_factory!r}"
            )
    elif not callable(make_factory):
        raise ParameterError(f"test server {name!r}: make_factory must be callable or a string")
    if name in _test_servers and not replace:
        raise ParameterError(f"test server {name!r} is already registered")
    _test_servers[name] = make_factory


def unregister_test_server(name: str) -> None:
    """Forget ``name`` (no error if it was not registered)."""
    _test_servers.pop(name, None)


def registered_test_servers() -> List[str]:
    """The names :func:`start_server` accepts, sorted."""
    return sorted(_test_servers)


def _resolve(name: str) -> MakeFactory:
    try:
        entry = _test_servers[name]
    except KeyError:
        known = ", ".join(registered_test_servers()) or "none"
        raise ParameterError(f"no test server named {name!r} (registered: {known})") from None
    if callable(entry):
        return entry
    module_name, _, attribute = entry.partition(":")
    try:
        target = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as e:
        raise ParameterError(f"test server {name!r}: cannot load {entry!r}: {e}") from None
    if not callable(target):
        raise ParameterError(f"test server {name!r}: {entry!r} is not callable")
    _test_servers[name] = target
    return target


def start_server(
    name_or_factory: Union[str, IProtocolFactory],
    *,
    reactor: Any = None,
    interface: str = "127.0.0.1",
    tls: Any = None,
    **options: Any,
) -> Deferred[ListeningServer]:
    """Start a server on a free loopback port, like :func:`listen_tcp`.

    :param name_or_factory: a server factory, or the name of a registered test server
        (see :func:`register_test_server`), built with ``**options``.
    :raises ParameterError: (as a failed Deferred) unknown name, or options given with a
        factory.
    """
    if isinstance(name_or_factory, str):
        try:
            make = _resolve(name_or_factory)
        except ParameterError:
            return fail()
        built = maybeDeferred(make, **options)
    elif options:
        return fail(ParameterError(
            f"options {sorted(options)} are only for named test servers, not a factory"
        ))
    else:
        built = succeed(name_or_factory)
    return built.addCallback(
        lambda factory: listen_tcp(factory, reactor=reactor, interface=interface, tls=tls)
    )
