"""The failover-aware connection manager every txkv client is built on.

A :class:`ConnectionManager` keeps connections to a list of nodes — one or more
:class:`~twisted.application.internet.ClientService` per node, each retrying with a backoff
policy — and hands out protocols of live connections::

    manager = ConnectionManager("db1:10800,db2:10800", MyProtocolFactory(),
                                prepare_connection=handshake)
    manager.setServiceParent(application)        # or manager.startService()
    protocol = await manager.whenConnected(failAfterFailures=3)

Rules it keeps:

* a protocol is handed out only while its connection is established, its ``prepare_connection``
  (handshake, authentication) succeeded, and its transport is not closing; a connection is
  withdrawn *before* its protocol's ``connectionLost`` runs, so a request never goes to a node
  known to be down;
* :meth:`~ConnectionManager.whenConnected` stays on the preferred node while it is up and fails
  over to the next live node in list order otherwise (the new node stays preferred);
* dead nodes keep being retried in the background with backoff and come back when they answer;
* every wait can fail: ``failAfterFailures``, ``timeout=``, cancellation, and ``stopService``.

Protocols need no special base class.  If a protocol has an integer ``in_flight`` attribute, the
least-loaded pooled connection is chosen; otherwise pooled connections are used in turn.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple, Union

from twisted.application.internet import backoffPolicy
from twisted.application.service import Service
from twisted.internet.defer import Deferred, fail, gatherResults, succeed
from twisted.internet.interfaces import IDelayedCall, IProtocolFactory, IReactorTime

from txkv.endpoints import NodeSpec, TLSOption, parse_node, parse_nodes
from txkv.errors import NotConnectedError, ParameterError, ReconnectError
from txkv.pool import Node, PrepareConnection, RetryPolicy, log

__all__ = [
    "ConnectionManager",
    "Node",
    "NodeDownError",
    "ManagerStoppedError",
    "default_retry_policy",
]


class NodeDownError(NotConnectedError):
    """The node is known to be down: its last connection attempt failed or its connection
    was lost, and it has not reconnected yet."""


class ManagerStoppedError(NotConnectedError):
    """The connection manager was stopped; it hands out no more connections."""


def default_retry_policy() -> RetryPolicy:
    """Exponential backoff with jitter: about 1, 2, 4, 8, 16, 30, 30... seconds (+ 0..1 s)."""
    return backoffPolicy(initialDelay=0.5, maxDelay=30.0, factor=2.0)


class _Waiter:
    """A caller waiting for a connection: to any node (``node is None``) or to one node."""

    __slots__ = ("deferred", "node", "fail_after", "timer")

    def __init__(self, node: Optional[Node], fail_after: Optional[int],
                 canceller: Callable[[_Waiter], None]) -> None:
        self.node = node
        self.fail_after = fail_after
        self.timer: Optional[IDelayedCall] = None
        self.deferred: Deferred[Any] = Deferred(lambda _: canceller(self))


class _NodeEvents:
    """Receives the nodes' connection events and passes them to the manager."""

    def __init__(self, manager: ConnectionManager) -> None:
        self._manager = manager

    def connection_up(self, node: Node, protocol: Any, became_up: bool) -> None:
        self._manager._connection_up(node, protocol, became_up)

    def connection_failed(self, node: Node, error: BaseException) -> None:
        self._manager._connection_failed(node, error)

    def connection_going(self, node: Node, protocol: Any) -> None:
        self._manager._connection_going(node, protocol)

    def connection_lost(self, node: Node, error: BaseException) -> None:
        self._manager._connection_lost(node, error)


class ConnectionManager(Service):
    """Connections to a list of nodes, with failover; an ``IService``.

    :param nodes: the nodes: a comma-separated string, or a list of ``"host:port"``,
        ``("host", port)``, endpoint descriptions or ``IStreamClientEndpoint`` providers
        (see :mod:`txkv.endpoints`).
    :param factory: the protocol factory of the store's client protocol.
    :param reactor: the reactor to connect with (default: the global reactor).
    :param clock: the clock for retries and timeouts (default: ``reactor``).
    :param prepare_connection: ``protocol -> Deferred | None``, run on each new connection
        (handshake, authentication); a failure makes the attempt a failed one.
    :param retry_policy: ``failed attempts -> delay`` (default :func:`default_retry_policy`).
    :param tls: TLS for ``host:port`` nodes: a connection creator or ``hostname -> creator``.
    :param pool_size: connections per node.
    :param default_port: port of nodes given without one.
    :param name: service name (for ``setServiceParent`` / ``getServiceNamed``).
    :param connect_timeout: connect timeout of ``host:port`` nodes, seconds.
    :param prepare_timeout: time allowed to ``prepare_connection``, seconds (``None``: no limit).
    :param stop_timeout: on stop, connections still open after this many seconds are aborted.
    """

    def __init__(
        self,
        nodes: Union[str, NodeSpec, Iterable[NodeSpec]],
        factory: IProtocolFactory,
        *,
        reactor: Any = None,
        clock: Optional[IReactorTime] = None,
        prepare_connection: Optional[PrepareConnection] = None,
        retry_policy: Optional[RetryPolicy] = None,
        tls: Optional[TLSOption] = None,
        pool_size: int = 1,
        default_port: Optional[int] = None,
        name: Optional[str] = None,
        connect_timeout: float = 30.0,
        prepare_timeout: Optional[float] = 30.0,
        stop_timeout: Optional[float] = 10.0,
    ) -> None:
        if reactor is None:
            from twisted.internet import reactor as _global

            reactor = _global
        if isinstance(pool_size, bool) or not isinstance(pool_size, int) or pool_size < 1:
            raise ParameterError(f"pool_size must be a positive integer, not {pool_size!r}")
        if retry_policy is not None and not callable(retry_policy):
            raise ParameterError(f"retry_policy must be callable, not {retry_policy!r}")
        if prepare_connection is not None and not callable(prepare_connection):
            raise ParameterError(
                f"prepare_connection must be callable, not {prepare_connection!r}")
        self.name = name
        self.factory = factory
        self.pool_size = pool_size
        self._reactor = reactor
        self._clock: IReactorTime = clock if clock is not None else reactor
        self._prepare_connection = prepare_connection
        self._retry_policy = retry_policy if retry_policy is not None else default_retry_policy()
        self._tls = tls
        self._default_port = default_port
        self._connect_timeout = connect_timeout
        self._prepare_timeout = prepare_timeout
        self._stop_timeout = stop_timeout
        self._events = _NodeEvents(self)
        specs = parse_nodes(nodes, reactor, tls, default_port, connect_timeout)
        self._nodes: List[Node] = [self._make_node(spec) for spec in specs]
        self._preferred = 0
        self._waiters: List[_Waiter] = []
        self._by_protocol: Dict[int, Tuple[Any, Node]] = {}
        self._stopped = False

    def __repr__(self) -> str:
        return f"<ConnectionManager {self.name or ''} nodes={[n.address for n in self._nodes]}>"

    # -- nodes ---------------------------------------------------------------------------------

    @property
    def nodes(self) -> List[Node]:
        """The nodes, in failover order."""
        return list(self._nodes)

    @property
    def preferred_node(self) -> Optional[Node]:
        """The node :meth:`whenConnected` uses while it is up."""
        return self._nodes[self._preferred] if self._nodes else None

    def live_nodes(self) -> List[Node]:
        """Nodes with at least one open, usable connection."""
        return [node for node in self._nodes if node.connected_protocols()]

    def node(self, address: Union[str, Node]) -> Node:
        """The node with this address (or the node itself, if it belongs to this manager).

        :raises ParameterError: no such node.
        """
        if isinstance(address, Node):
            if address in self._nodes:
                return address
            raise ParameterError(f"node {address.address} does not belong to this manager")
        for node in self._nodes:
            if node.address == address:
                return node
        raise ParameterError(f"unknown node {address!r}")

    def node_for_protocol(self, protocol: Any) -> Optional[Node]:
        """The node an open connection's protocol belongs to (``None`` once it closed)."""
        entry = self._by_protocol.get(id(protocol))
        return entry[1] if entry is not None and entry[0] is protocol else None

    def add_node(self, spec: NodeSpec) -> Node:
        """Add a node at the end of the failover order; it connects at once if running."""
        parsed = parse_node(spec, self._reactor, self._tls, self._default_port,
                            self._connect_timeout)
        if any(node.address == parsed.address for node in self._nodes):
            raise ParameterError(f"node {parsed.address} is already managed")
        node = self._make_node(parsed)
        self._nodes.append(node)
        if self.running:
            node.start()
        log.info("added node {node}", node=node.address)
        return node

    def remove_node(self, node: Union[str, Node]) -> Deferred[None]:
        """Stop using a node and close its connections; fires once they are closed."""
        target = self.node(node)
        preferred = self.preferred_node
        self._nodes.remove(target)
        if preferred is not None and preferred is not target:
            self._preferred = self._nodes.index(preferred)
        elif self._nodes:
            self._preferred %= len(self._nodes)
        else:
            self._preferred = 0
        for waiter in list(self._waiters):
            if waiter.node is target:
                self._fail_waiter(waiter, NodeDownError("node removed", node=target.address))
        log.info("removed node {node}", node=target.address)
        return target.stop(self._stop_timeout).addCallback(lambda _: None)

    def _make_node(self, spec: Any) -> Node:
        return Node(
            spec,
            factory=self.factory,
            clock=self._clock,
            retry_policy=self._retry_policy,
            prepare_connection=self._prepare_connection,
            prepare_timeout=self._prepare_timeout,
            pool_size=self.pool_size,
            listener=self._events,
        )

    # -- service -------------------------------------------------------------------------------

    def startService(self) -> None:
        """Start connecting to every node (``pool_size`` connections each)."""
        if self.running:
            return
        Service.startService(self)
        self._stopped = False
        for node in self._nodes:
            node.start()

    def stopService(self) -> Deferred[None]:
        """Stop: fail every waiting caller with :class:`ManagerStoppedError`, stop retrying,
        and close every connection.

        :return: fires once every connection is closed.
        """
        was_running = self.running
        if was_running:
            Service.stopService(self)
        self._stopped = True
        error = ManagerStoppedError("the connection manager was stopped")
        for waiter in list(self._waiters):
            self._fail_waiter(waiter, error)
        if not was_running:
            return succeed(None)
        log.info("stopping connections to {count} nodes", count=len(self._nodes))
        stopping = [node.stop(self._stop_timeout) for node in self._nodes]
        return gatherResults(stopping, consumeErrors=True).addCallback(lambda _: None)

    # -- handing out connections -----------------------------------------------------------------

    def whenConnected(
        self, failAfterFailures: Optional[int] = None, timeout: Optional[float] = None
    ) -> Deferred[Any]:
        """A protocol of a live connection: on the preferred node, else the next live node.

        If no node is up, wait for one.

        :param failAfterFailures: fail with :class:`~txkv.errors.ReconnectError` (``errors``
            maps every node's address to its last error) once every node has failed this many
            consecutive connection attempts (:attr:`Node.failures`) — at once if that is
            already the case.  ``0`` means: never wait.  ``None``: wait until stopped.
        :param timeout: fail with ``ReconnectError`` after this many seconds without a
            connection.
        :return: a cancellable Deferred; it fails with :class:`ManagerStoppedError` when the
            manager stops.
        :raises ParameterError: ``failAfterFailures`` is not ``None`` or an integer >= 0.
        """
        if failAfterFailures is not None and (
            isinstance(failAfterFailures, bool) or not isinstance(failAfterFailures, int)
            or failAfterFailures < 0
        ):
            raise ParameterError(
                f"failAfterFailures must be None or an integer >= 0, not {failAfterFailures!r}")
        if self._stopped:
            return fail(ManagerStoppedError("the connection manager was stopped"))
        protocol = self._pick_any()
        if protocol is not None:
            return succeed(protocol)
        if failAfterFailures is not None and self._all_failed(failAfterFailures):
            return fail(self._reconnect_error())
        return self._wait(None, failAfterFailures, timeout)

    def connection_for(
        self, node: Union[str, Node], timeout: Optional[float] = None
    ) -> Deferred[Any]:
        """A protocol of a live connection to one node (for partition-aware routing).

        Fails at once with :class:`NodeDownError` if the node is known to be down; while the
        node is still making its first connection, waits for it (failing on its first failed
        attempt, or after ``timeout`` seconds).

        :raises ParameterError: unknown node.
        """
        target = self.node(node)
        if self._stopped:
            return fail(ManagerStoppedError("the connection manager was stopped",
                                            node=target.address))
        protocol = target.pick()
        if protocol is not None:
            return succeed(protocol)
        if target.state == "down":
            return fail(self._node_down_error(target))
        return self._wait(target, None, timeout)

    def stats(self) -> Dict[str, Any]:
        """Pool statistics: per node state, connections, in-flight requests, failures..."""
        preferred = self.preferred_node
        return {
            "name": self.name,
            "running": bool(self.running),
            "preferred": preferred.address if preferred is not None else None,
            "waiters": len(self._waiters),
            "live_nodes": len(self.live_nodes()),
            "nodes": {node.address: node.stats() for node in self._nodes},
        }

    # -- selection -----------------------------------------------------------------------------

    def _pick_any(self) -> Any:
        count = len(self._nodes)
        for step in range(count):
            index = (self._preferred + step) % count
            node = self._nodes[index]
            protocol = node.pick()
            if protocol is not None:
                if index != self._preferred:
                    log.info("failing over from {previous} to {node}",
                             previous=self._nodes[self._preferred].address, node=node.address)
                    self._preferred = index
                return protocol
        return None

    def _all_failed(self, failures: int) -> bool:
        return all(node.state != "up" and node.failures >= failures for node in self._nodes)

    def _reconnect_error(self, message: str = "") -> ReconnectError:
        errors: Dict[str, BaseException] = {}
        for node in self._nodes:
            errors[node.address] = node.last_error or NotConnectedError(
                "not connected yet", node=node.address)
        return ReconnectError(message, errors=errors)

    def _node_down_error(self, node: Node) -> NodeDownError:
        reason = f": {node.last_error}" if node.last_error is not None else ""
        return NodeDownError(f"node is down{reason}", node=node.address)

    # -- waiting -------------------------------------------------------------------------------

    def _wait(self, node: Optional[Node], fail_after: Optional[int],
              timeout: Optional[float]) -> Deferred[Any]:
        waiter = _Waiter(node, fail_after, self._forget)
        self._waiters.append(waiter)
        if timeout is not None:
            waiter.timer = self._clock.callLater(timeout, self._timed_out, waiter, timeout)
        return waiter.deferred

    def _forget(self, waiter: _Waiter) -> None:
        """Remove a waiter (fired, failed or cancelled by its caller) and its timer."""
        if waiter in self._waiters:
            self._waiters.remove(waiter)
        if waiter.timer is not None and waiter.timer.active():
            waiter.timer.cancel()
        waiter.timer = None

    def _timed_out(self, waiter: _Waiter, timeout: float) -> None:
        waiter.timer = None
        if waiter.node is None:
            error: Exception = self._reconnect_error(f"no node connected within {timeout} s")
        else:
            error = NotConnectedError(f"not connected within {timeout} s",
                                      node=waiter.node.address)
        self._fail_waiter(waiter, error)

    def _fail_waiter(self, waiter: _Waiter, error: Exception) -> None:
        if waiter in self._waiters:
            self._forget(waiter)
            waiter.deferred.errback(error)

    def _give(self, waiter: _Waiter, protocol: Any) -> None:
        if waiter in self._waiters:
            self._forget(waiter)
            waiter.deferred.callback(protocol)

    # -- node events ---------------------------------------------------------------------------

    def _connection_up(self, node: Node, protocol: Any, became_up: bool) -> None:
        self._by_protocol[id(protocol)] = (protocol, node)
        if became_up:
            log.info("node {node} is up", node=node.address)
        for waiter in list(self._waiters):
            if waiter not in self._waiters:
                continue
            if waiter.node is None:
                picked = self._pick_any()
            elif waiter.node is node:
                picked = node.pick()
            else:
                continue
            if picked is not None:
                self._give(waiter, picked)

    def _connection_failed(self, node: Node, error: BaseException) -> None:
        for waiter in list(self._waiters):
            if waiter not in self._waiters:
                continue
            if waiter.node is node:
                if node.state == "down":
                    self._fail_waiter(waiter, self._node_down_error(node))
            elif (waiter.node is None and waiter.fail_after is not None
                  and self._all_failed(waiter.fail_after)):
                self._fail_waiter(waiter, self._reconnect_error())

    def _connection_going(self, node: Node, protocol: Any) -> None:
        self._by_protocol.pop(id(protocol), None)
        if node.state != "down":
            return
        log.warn("node {node} is down", node=node.address)
        if node is self.preferred_node:
            self._fail_over()

    def _fail_over(self) -> None:
        """Make the next live node (in list order) the preferred one, if there is one."""
        count = len(self._nodes)
        for step in range(1, count):
            index = (self._preferred + step) % count
            if self._nodes[index].connected_protocols():
                log.info("failing over from {previous} to {node}",
                         previous=self._nodes[self._preferred].address,
                         node=self._nodes[index].address)
                self._preferred = index
                return

    def _connection_lost(self, node: Node, error: BaseException) -> None:
        if node.state != "down":
            return
        for waiter in list(self._waiters):
            if waiter.node is node:
                self._fail_waiter(waiter, self._node_down_error(node))
