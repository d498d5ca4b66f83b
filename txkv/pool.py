"""Per-node connection pools: each pooled connection is one ``ClientService``.

:class:`ClientService` supplies the retry loop (backoff policy, ``prepareConnection``, injectable
clock, stop).  This module adds what a failover manager needs on top of it and keeps
``ClientService``'s state machine consistent:

* every connection attempt, success, failure and loss is observed (the endpoint and the protocol
  factory handed to ``ClientService`` are thin wrappers), so each :class:`Node` knows its state,
  its last error and its consecutive failures;
* the user's protocol talks to the transport through a small proxy that marks the connection
  unusable *before* the protocol's own ``connectionLost`` runs (so retries triggered by failing
  requests never get the dying protocol back);
* ``ClientService`` only sees a placeholder protocol, and is told about a connection loss only
  once it considers the connection established.  A connection lost during the handshake, or a
  handshake that fails (the connection is then aborted), is reported as a failed attempt
  instead; ``ClientService`` itself cannot take a disconnect in those states.
* ``ClientService`` is never re-entered from inside its own transitions: a connection attempt
  that completes synchronously is resumed on the next clock tick, and listeners are called
  only after ``ClientService`` has settled.

Nothing here is specific to a store; :mod:`txkv.connection` builds the failover manager on it.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional, cast

from twisted.application.internet import ClientService
from twisted.internet.defer import Deferred, fail, maybeDeferred, succeed
from twisted.internet.interfaces import (
    IAddress,
    IDelayedCall,
    IProtocol,
    IProtocolFactory,
    IReactorTime,
    IStreamClientEndpoint,
)
from twisted.internet.protocol import Factory, Protocol
from twisted.logger import ILogObserver, Logger
from twisted.python.failure import Failure
from zope.interface import implementer

from txkv.endpoints import NodeEndpoint
from txkv.errors import ConnectionLostError, HandshakeError

__all__ = ["Node", "RetryPolicy", "PrepareConnection", "NODE_STATES"]

#: ``attempt number (1, 2, ...) -> seconds to wait`` before the next connection attempt.
RetryPolicy = Callable[[int], float]
#: Called with each new protocol; may return a Deferred; a failure rejects the connection.
PrepareConnection = Callable[[Any], Any]

#: The states a node (and each of its connections) can be in.
NODE_STATES = ("connecting", "up", "down", "stopped")

log = Logger(namespace="txkv.connection")


@implementer(ILogObserver)
class _DiscardEvents:
    """Log observer for ClientService's own messages: the pool logs richer ones itself."""

    def __call__(self, event: Dict[str, Any]) -> None:
        pass


class _PoolClientService(ClientService):
    """A ClientService whose own log lines are replaced by the pool's structured events."""

    _log = Logger(namespace="txkv.connection.clientservice", observer=_DiscardEvents())


def _error_of(failure: Failure) -> BaseException:
    value = failure.value
    return value if value is not None else Exception(failure.getErrorMessage())


def _error_text(error: BaseException) -> str:
    return str(error) or error.__class__.__name__


class _LifecycleProtocol:
    """Sits between the transport and the user's protocol; reports the connection's end.

    Everything except ``makeConnection`` and ``connectionLost`` is forwarded (including the
    interfaces the protocol provides, so half-close and TLS handshake notifications still
    reach it); ``dataReceived`` is the protocol's own bound method, so data costs no extra call.
    """

    def __init__(self, protocol: Any, attempt: _Attempt) -> None:
        self._protocol = protocol
        self._attempt = attempt
        self.transport: Any = None
        self.dataReceived = protocol.dataReceived

    def makeConnection(self, transport: Any) -> None:
        self.transport = transport
        self._protocol.makeConnection(transport)

    def connectionLost(self, reason: Failure) -> None:
        self._attempt.before_protocol_lost(reason)
        try:
            self._protocol.connectionLost(reason)
        finally:
            self._attempt.after_protocol_lost(reason)

    def __getattr__(self, name: str) -> Any:
        if name in ("_protocol", "_attempt"):
            raise AttributeError(name)
        return getattr(self._protocol, name)

    def __repr__(self) -> str:
        return f"<txkv connection to {self._attempt.slot.node.address} for {self._protocol!r}>"


@implementer(IProtocolFactory)
class _ConnectionFactory:
    """Wraps the user's factory: builds its protocol behind a :class:`_LifecycleProtocol`."""

    def __init__(self, factory: IProtocolFactory, attempt: _Attempt) -> None:
        self._factory = factory
        self._attempt = attempt

    def buildProtocol(self, addr: IAddress) -> Optional[IProtocol]:
        protocol = self._factory.buildProtocol(addr)
        if protocol is None:
            return None
        proxy = _LifecycleProtocol(protocol, self._attempt)
        self._attempt.protocol = protocol
        self._attempt.proxy = proxy
        return cast(IProtocol, proxy)

    def doStart(self) -> None:
        self._factory.doStart()

    def doStop(self) -> None:
        self._factory.doStop()

    def __getattr__(self, name: str) -> Any:
        if name in ("_factory", "_attempt"):
            raise AttributeError(name)
        return getattr(self._factory, name)


class _PlaceholderFactory(Factory):
    """What ClientService connects: placeholder protocols standing in for the real ones."""

    protocol = Protocol


@implementer(IStreamClientEndpoint)
class _SlotEndpoint:
    """The endpoint ClientService connects through: every call starts an observed attempt."""

    def __init__(self, slot: _Slot) -> None:
        self._slot = slot

    def connect(self, protocolFactory: IProtocolFactory) -> Deferred[Any]:
        return self._slot.start_attempt(protocolFactory)

    def __repr__(self) -> str:
        return f"<txkv node {self._slot.node.address} connection #{self._slot.index}>"


class _Attempt:
    """One connection attempt of a slot, from ``connect`` to the end of that connection.

    Stages: ``connecting`` -> ``preparing`` -> ``up`` -> ``closed``; or ``failed`` (the attempt
    failed; any connection it made is aborted) or ``cancelled`` (the slot was stopped).
    """

    def __init__(self, slot: _Slot, service_factory: IProtocolFactory) -> None:
        self.slot = slot
        self.stage = "connecting"
        self.protocol: Any = None
        self.proxy: Optional[_LifecycleProtocol] = None
        self._service_factory = service_factory
        self._placeholder: Any = None
        self._inner: Optional[Deferred[Any]] = None
        self._user_prepare: Optional[Deferred[Any]] = None
        self._prepared: Optional[Deferred[None]] = None
        self._timer: Optional[IDelayedCall] = None
        self._in_connect = False
        self._in_chain = False
        self._after_chain: List[Callable[[], None]] = []
        self._deferred_actions: List[Callable[[], None]] = []
        self.proxy_lost = False
        self.outer: Deferred[Any] = Deferred(self._cancel)

    # -- connecting -------------------------------------------------------------------------

    def start(self) -> Deferred[Any]:
        self._in_connect = True
        try:
            inner = self.slot.node.endpoint.connect(_ConnectionFactory(self.slot.factory, self))
        except Exception:
            inner = fail()
        self._inner = inner
        inner.addCallbacks(self._connected, self._connect_failed)
        self._in_connect = False
        return self.outer

    def _resume(self, action: Callable[[], None]) -> None:
        """Run ``action`` now, or on the next tick when the endpoint answered synchronously
        (ClientService is then still inside its own transition and must not be re-entered)."""
        if not self._in_connect:
            action()
            return
        self._deferred_actions.append(action)
        if self._timer is None:
            self._timer = self.slot.clock.callLater(0, self._run_deferred_actions)

    def _run_deferred_actions(self) -> None:
        self._timer = None
        actions, self._deferred_actions = self._deferred_actions, []
        for action in actions:
            action()

    def _connected(self, result: object) -> None:
        self._resume(self._deliver_connection)

    def _connect_failed(self, failure: Failure) -> None:
        if self.stage == "cancelled":
            return
        self._resume(lambda: self._fail(failure))

    def _deliver_connection(self) -> None:
        if self.stage != "connecting":
            return
        proxy = self.proxy
        if self.proxy_lost:
            return  # the loss is already being reported as a failed attempt
        if proxy is None or proxy.transport is None:
            self._fail(Failure(ConnectionLostError(
                "the endpoint connected without building a protocol", node=self.slot.node.address)))
            return
        # The placeholder never sees any data; ClientService's proxy ignores the address.
        placeholder = self._service_factory.buildProtocol(cast(IAddress, None))
        if placeholder is None:
            self._fail(Failure(ConnectionLostError("no placeholder protocol",
                                                   node=self.slot.node.address)))
            return
        placeholder.makeConnection(proxy.transport)
        self._placeholder = placeholder
        self.stage = "preparing"
        self._in_chain = True
        try:
            self.outer.callback(placeholder)
        finally:
            self._in_chain = False
        self._run_after_chain()

    # -- preparing (ClientService's prepareConnection) --------------------------------------

    def prepare(self) -> Deferred[None]:
        """ClientService's ``prepareConnection``: run the user's handshake on the protocol."""
        if self.stage != "preparing":
            return fail(ConnectionLostError("connection lost before the handshake",
                                            node=self.slot.node.address))
        self._prepared = Deferred(self._cancel)
        user = self.slot.prepare_connection
        if user is None:
            self._prepare_succeeded(None)
            return self._prepared
        timeout = self.slot.prepare_timeout
        if timeout is not None:
            self._timer = self.slot.clock.callLater(timeout, self._prepare_timed_out, timeout)
        self._user_prepare = maybeDeferred(user, self.protocol)
        self._user_prepare.addCallbacks(self._prepare_succeeded, self._prepare_failed)
        return self._prepared

    def _prepare_timed_out(self, timeout: float) -> None:
        self._timer = None
        self._prepare_failed(Failure(HandshakeError(
            f"connection setup did not finish within {timeout} s", node=self.slot.node.address)))

    def _prepare_succeeded(self, result: object) -> None:
        if self.stage != "preparing" or self._prepared is None:
            return
        self._stop_timer()
        self.stage = "up"
        self._prepared.callback(None)
        self._settled(lambda: self.slot.connection_up(self))

    def _prepare_failed(self, failure: Failure) -> None:
        if self.stage != "preparing" or self._prepared is None:
            return
        self._fail(failure)

    # -- outcome ----------------------------------------------------------------------------

    def _fail(self, failure: Failure) -> None:
        """The attempt failed: tell ClientService (which schedules a retry), then the slot."""
        if self.stage in ("failed", "cancelled", "closed"):
            return
        self.stage = "failed"
        self._stop_timer()
        if self._user_prepare is not None and not self._user_prepare.called:
            self._user_prepare.cancel()
        self._abort_transport()
        self.slot.attempt_failed_early(self, failure)
        target = self._prepared if self._prepared is not None else self.outer
        if not target.called:
            target.errback(failure)
        self._settled(lambda: self.slot.attempt_failed(self, failure))

    def _settled(self, action: Callable[[], None]) -> None:
        """Run ``action`` once ClientService has processed the outcome just delivered."""
        if self._in_chain:
            self._after_chain.append(action)
        else:
            action()

    def _run_after_chain(self) -> None:
        actions, self._after_chain = self._after_chain, []
        for action in actions:
            action()

    # -- connection lost ----------------------------------------------------------------------

    def before_protocol_lost(self, reason: Failure) -> None:
        if self.stage == "up":
            self.stage = "closed"
            self.slot.connection_going(self)

    def after_protocol_lost(self, reason: Failure) -> None:
        self.proxy_lost = True
        if self.stage == "closed":
            self._stop_timer()
            if self._placeholder is not None:
                self._placeholder_lost(reason)
            self.slot.connection_lost(self, reason)
        elif self.stage in ("connecting", "preparing"):
            error = ConnectionLostError(
                f"connection lost while connecting: {reason.getErrorMessage()}",
                node=self.slot.node.address)
            error.__cause__ = reason.value
            self._resume(lambda: self._fail(Failure(error)))

    def _placeholder_lost(self, reason: Failure) -> None:
        placeholder, self._placeholder = self._placeholder, None
        placeholder.connectionLost(reason)

    # -- cancellation / teardown --------------------------------------------------------------

    def _cancel(self, d: Deferred[Any]) -> None:
        """ClientService cancels the attempt when it is stopped while connecting."""
        if self.stage in ("failed", "cancelled", "closed", "up"):
            return
        self.stage = "cancelled"
        self._stop_timer()
        if self._user_prepare is not None and not self._user_prepare.called:
            self._user_prepare.cancel()
        if self._inner is not None:
            # Even once ``called``, the endpoint's Deferred may be waiting on a chained one
            # (HostnameEndpoint: resolution done, connection attempts still running with their
            # own timers); ``cancel`` reaches it, and is a no-op once a protocol was delivered.
            self._inner.cancel()
        self._abort_transport()

    def _stop_timer(self) -> None:
        if self._timer is not None and self._timer.active():
            self._timer.cancel()
        self._timer = None
        self._deferred_actions = []

    def _abort_transport(self) -> None:
        transport = self.proxy.transport if self.proxy is not None else None
        if transport is None or self.proxy_lost:
            return
        abort = getattr(transport, "abortConnection", None)
        if abort is not None:
            abort()
        else:
            transport.loseConnection()

    def abort(self) -> None:
        """Force the connection closed (used when a graceful stop takes too long)."""
        self._abort_transport()

    def live(self) -> bool:
        """True while the connection is established, prepared and not closing."""
        if self.stage != "up" or self.proxy is None:
            return False
        transport = self.proxy.transport
        return not (
            transport is None
            or getattr(transport, "disconnecting", False)
            or getattr(transport, "disconnected", False)
        )


class _Slot:
    """One pooled connection of a node: a ClientService and its current attempt."""

    def __init__(self, node: Node, index: int) -> None:
        self.node = node
        self.index = index
        self.state = "stopped"
        self.failures = 0
        self.attempts = 0
        self.current: Optional[_Attempt] = None
        self._stopping = False
        self._service = _PoolClientService(
            _SlotEndpoint(self),
            _PlaceholderFactory(),
            retryPolicy=self._retry_delay,
            clock=node.clock,
            prepareConnection=self._prepare,
        )

    @property
    def factory(self) -> IProtocolFactory:
        return self.node.factory

    @property
    def clock(self) -> IReactorTime:
        return self.node.clock

    @property
    def prepare_connection(self) -> Optional[PrepareConnection]:
        return self.node.prepare_connection

    @property
    def prepare_timeout(self) -> Optional[float]:
        return self.node.prepare_timeout

    @property
    def protocol(self) -> Any:
        """The user's protocol of the established connection, or ``None``."""
        attempt = self.current
        return attempt.protocol if attempt is not None and attempt.stage == "up" else None

    def live(self) -> bool:
        """Established, prepared, announced to the node, and not closing."""
        return self.state == "up" and self.current is not None and self.current.live()

    def in_flight(self) -> int:
        value = getattr(self.protocol, "in_flight", 0)
        return value if isinstance(value, int) else 0

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> None:
        self._stopping = False
        if self.state == "stopped":
            self.state = "connecting"
        if not self._service.running:
            self._service.startService()

    def stop(self, timeout: Optional[float]) -> Deferred[None]:
        """Stop retrying and close the connection; fires once it is closed."""
        self._stopping = True
        self.state = "stopped"
        if not self._service.running:
            return succeed(None)
        stopped = self._service.stopService()
        if stopped.called or timeout is None:
            return stopped
        attempt = self.current
        timer = self.clock.callLater(timeout, attempt.abort) if attempt is not None else None

        def done(result: object) -> object:
            if timer is not None and timer.active():
                timer.cancel()
            return result

        return stopped.addBoth(done)

    # -- ClientService hooks ----------------------------------------------------------------

    def start_attempt(self, service_factory: IProtocolFactory) -> Deferred[Any]:
        attempt = _Attempt(self, service_factory)
        self.current = attempt
        self.attempts += 1
        if self.state == "stopped":
            self.state = "connecting"
        log.debug("connecting to {node} (connection {index}, attempt {attempt})",
                  node=self.node.address, index=self.index, attempt=self.attempts)
        return attempt.start()

    def _prepare(self, placeholder: object) -> Deferred[None]:
        assert self.current is not None
        return self.current.prepare()

    def _retry_delay(self, failed_attempts: int) -> float:
        try:
            delay = float(self.node.retry_policy(failed_attempts))
        except Exception:
            log.failure("retry policy failed for {node}; retrying in 1 s", node=self.node.address)
            delay = 1.0
        delay = max(0.0, delay)
        log.info("retry {attempt} of {node} (connection {index}) in {delay:.3f} s",
                 node=self.node.address, index=self.index, attempt=failed_attempts, delay=delay)
        return delay

    # -- attempt outcomes -------------------------------------------------------------------

    def attempt_failed_early(self, attempt: _Attempt, failure: Failure) -> None:
        """Book-keeping of a failed attempt, before ClientService is told about it."""
        if self._stopping or attempt is not self.current:
            return
        self.failures += 1
        self.state = "down"
        self.node.record_failure(self, _error_of(failure))

    def attempt_failed(self, attempt: _Attempt, failure: Failure) -> None:
        if self._stopping or attempt is not self.current:
            return
        self.node.listener.connection_failed(self.node, _error_of(failure))

    def connection_up(self, attempt: _Attempt) -> None:
        if attempt is not self.current or attempt.stage != "up":
            return
        if self._stopping:
            attempt.abort()
            return
        self.failures = 0
        self.state = "up"
        self.node.record_up(self)

    def connection_going(self, attempt: _Attempt) -> None:
        """The connection is ending; it must not be handed out any more (runs first)."""
        if attempt is self.current and not self._stopping:
            self.state = "down"
        self.node.record_going(self, attempt.protocol)

    def connection_lost(self, attempt: _Attempt, reason: Failure) -> None:
        if self._stopping or attempt is not self.current:
            return
        self.node.record_lost(self, _error_of(reason))


class Node:
    """A server node and its pool of connections.

    :ivar address: ``"host:port"`` or the endpoint's description.
    :ivar endpoint: the client endpoint used to connect.
    :ivar last_error: the most recent error (failed attempt or lost connection), or ``None``.
    :ivar last_error_at: clock time of ``last_error``.
    :ivar handed_out: how many times one of its connections was handed to a caller.
    """

    def __init__(
        self,
        spec: NodeEndpoint,
        *,
        factory: IProtocolFactory,
        clock: IReactorTime,
        retry_policy: RetryPolicy,
        prepare_connection: Optional[PrepareConnection],
        prepare_timeout: Optional[float],
        pool_size: int,
        listener: Any,
    ) -> None:
        self.address = spec.address
        self.host = spec.host
        self.port = spec.port
        self.endpoint = spec.endpoint
        self.factory = factory
        self.clock = clock
        self.retry_policy = retry_policy
        self.prepare_connection = prepare_connection
        self.prepare_timeout = prepare_timeout
        self.listener = listener
        self.last_error: Optional[BaseException] = None
        self.last_error_at: Optional[float] = None
        self.handed_out = 0
        self._running = False
        self._known_down = False
        self._rotation = 0
        self._slots = [_Slot(self, i) for i in range(pool_size)]

    def __repr__(self) -> str:
        return f"<Node {self.address} {self.state}>"

    @property
    def pool_size(self) -> int:
        return len(self._slots)

    @property
    def state(self) -> str:
        """``"connecting"``, ``"up"``, ``"down"`` (known down) or ``"stopped"``."""
        if not self._running:
            return "stopped"
        if any(slot.state == "up" for slot in self._slots):
            return "up"
        return "down" if self._known_down else "connecting"

    @property
    def failures(self) -> int:
        """Consecutive failed connection attempts: the fewest among the node's connections
        (so ``n`` means every pooled connection failed at least ``n`` times in a row)."""
        if self.state == "up":
            return 0
        return min(slot.failures for slot in self._slots)

    @property
    def attempts(self) -> int:
        """Connection attempts made so far, all pooled connections together."""
        return sum(slot.attempts for slot in self._slots)

    def connected_protocols(self) -> List[Any]:
        """The protocols of this node's established, open connections."""
        return [slot.protocol for slot in self._slots if slot.live()]

    def in_flight(self) -> int:
        """Requests in flight on this node (from the protocols' optional ``in_flight``)."""
        return sum(slot.in_flight() for slot in self._slots if slot.live())

    def pick(self) -> Any:
        """The least-loaded open connection's protocol (round-robin among equals), or None."""
        live = [slot for slot in self._slots if slot.live()]
        if not live:
            return None
        start = self._rotation % len(live)
        self._rotation += 1
        ordered = live[start:] + live[:start]
        best = min(ordered, key=_Slot.in_flight)
        self.handed_out += 1
        return best.protocol

    def stats(self) -> Dict[str, Any]:
        """Pool statistics of this node."""
        return {
            "state": self.state,
            "pool_size": self.pool_size,
            "connected": len(self.connected_protocols()),
            "in_flight": self.in_flight(),
            "attempts": self.attempts,
            "failures": self.failures,
            "handed_out": self.handed_out,
            "last_error": None if self.last_error is None else _error_text(self.last_error),
        }

    # -- lifecycle (driven by the manager) -------------------------------------------------------

    def start(self) -> None:
        self._running = True
        for slot in self._slots:
            slot.start()

    def stop(self, timeout: Optional[float]) -> Deferred[Any]:
        from twisted.internet.defer import gatherResults

        self._running = False
        return gatherResults([slot.stop(timeout) for slot in self._slots], consumeErrors=True)

    # -- events from the slots -------------------------------------------------------------------

    def record_failure(self, slot: _Slot, error: BaseException) -> None:
        self._set_error(error)
        if self.state != "up":
            self._known_down = True
        log.warn("connection attempt {attempt} to {node} failed: {error}",
                 node=self.address, attempt=slot.attempts, error=_error_text(error))

    def record_up(self, slot: _Slot) -> None:
        became_up = not any(other.state == "up" for other in self._slots if other is not slot)
        self._known_down = False
        log.info("connected to {node} (connection {index}, attempt {attempt})",
                 node=self.address, index=slot.index, attempt=slot.attempts)
        self.listener.connection_up(self, slot.protocol, became_up)

    def record_going(self, slot: _Slot, protocol: Any) -> None:
        if self._running and self.state != "up":
            self._known_down = True
        self.listener.connection_going(self, protocol)

    def record_lost(self, slot: _Slot, error: BaseException) -> None:
        self._set_error(error)
        log.warn("lost connection {index} to {node}: {error}",
                 node=self.address, index=slot.index, error=_error_text(error))
        self.listener.connection_lost(self, error)

    def _set_error(self, error: BaseException) -> None:
        self.last_error = error
        self.last_error_at = self.clock.seconds()
