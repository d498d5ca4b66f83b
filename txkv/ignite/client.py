"""The Ignite thin client: :class:`Client`, pyignite's ``AioClient`` API with Deferreds.

::

    client = Client(timeout=4.0)
    await client.connect([('127.0.0.1', 10800), ('127.0.0.1', 10801)])
    cache = await client.get_or_create_cache('my cache')
    await cache.put('my key', 42)
    async with client.sql('SELECT name FROM City', include_field_names=True) as cursor:
        async for row in cursor:
            ...
    await client.close()

(``await`` inside ``async def`` functions run with ``Deferred.fromCoroutine``; every method
returns a ``Deferred``, so ``inlineCallbacks`` and plain callbacks work too.)

Connections come from a :class:`~txkv.connection.ConnectionManager` (a pool per node; the
handshake runs as its ``prepare_connection``).  A call whose connection breaks fails with a
:class:`~txkv.errors.ConnectionLostError` (an ``OSError``, like pyignite's socket errors); later
calls go to a live node, and :class:`~txkv.ignite.errors.ReconnectError` is raised only when
every node is down.  Key operations go to the key's primary node (partition awareness, on by
default).

Security: ``use_ssl=True`` (or ``tls=``) verifies the server certificate and host name by
default (:mod:`txkv.tls`).  Giving ``username``/``password`` turns TLS on unless
``use_ssl=False`` is passed explicitly — sending credentials in plaintext is an explicit choice.
Credentials never appear in logs, errors or reprs.
"""

from __future__ import annotations

import random
import ssl
from collections import OrderedDict
from typing import Any, Dict, Generator, List, Optional, Sequence, Tuple, Union

from twisted.internet.defer import Deferred, fail, succeed
from twisted.internet.interfaces import IStreamClientEndpoint
from twisted.internet.ssl import TLSVersion
from twisted.logger import Logger
from twisted.python.failure import Failure

from txkv import errors as base_errors
from txkv.connection import ConnectionManager
from txkv.ignite.affinity import AffinityMap
from txkv.ignite.cache import Cache
from txkv.ignite.cluster import Cluster
from txkv.ignite.codec import messages as m
from txkv.ignite.codec import ops
from txkv.ignite.codec.generic import GenericObjectMeta
from txkv.ignite.codec.hashing import cache_id as cache_id_of
from txkv.ignite.codec.hashing import entity_id, schema_id
from txkv.ignite.codec.hints import hint_for_type_code
from txkv.ignite.codec.ops import (
    PROTOCOL_VERSIONS,
    ProtocolContext,
    StatementType,
    TransactionConcurrency,
    TransactionIsolation,
)
from txkv.ignite.codec.registry import BinaryTypeInfo, CodecContext
from txkv.ignite.codec.values import unwrap_binary as codec_unwrap_binary
from txkv.ignite.cursors import SqlFieldsCursor
from txkv.ignite.errors import (
    AuthenticationError,
    HandshakeError,
    MissingSchemaError,
    ParameterError,
    ReconnectError,
    TLSError,
)
from txkv.ignite.protocol import Credentials, IgniteClientFactory, IgniteProtocol, tls_advice
from txkv.ignite.transactions import Transaction
from txkv.tls import TLSOptions

__all__ = ["Client", "AioClient", "ConnectDeferred", "DEFAULT_PORT"]

log = Logger(namespace="txkv.ignite.client")

#: The thin-client port of an Ignite node.
DEFAULT_PORT = 10800
_UNSET: Any = object()


class ConnectDeferred(Deferred["Client"]):
    """What :meth:`Client.connect` returns: a Deferred (firing with the client once a node is
    connected) that is also an async context manager closing the client on exit::

        async with client.connect('127.0.0.1', 10800):
            ...
    """

    client: Client

    async def __aenter__(self) -> Client:
        return await self

    async def __aexit__(self, *exc: object) -> None:
        await self.client.close()


def _connect_nodes(args: Tuple[Any, ...]) -> List[Any]:
    """The node list of ``connect(*args)`` (pyignite's forms plus txkv's)."""
    if not args:
        return [("127.0.0.1", DEFAULT_PORT)]
    if len(args) == 2 and isinstance(args[0], str) and isinstance(args[1], int) \
            and not isinstance(args[1], bool):
        return [(args[0], args[1])]
    if len(args) == 1:
        only = args[0]
        if isinstance(only, str):
            return [part.strip() for part in only.split(",") if part.strip()]
        if isinstance(only, tuple) and len(only) == 2 and isinstance(only[0], str):
            return [only]
        if IStreamClientEndpoint.providedBy(only):
            return [only]
        try:
            return list(only)
        except TypeError:
            raise ParameterError(f"cannot connect to {only!r}") from None
    return list(args)


def _parse_settings(settings: Union[str, Dict[int, Any]]) -> Tuple[str, Optional[Dict[int, Any]]]:
    """``(name, settings or None)`` the way pyignite reads a cache argument."""
    if isinstance(settings, str):
        if not settings:
            raise ParameterError("the cache name must not be empty")
        return settings, None
    if isinstance(settings, dict) and ops.PROP_NAME in settings:
        name = settings[ops.PROP_NAME]
        if not isinstance(name, str) or not name:
            raise ParameterError(f"PROP_NAME must be a non-empty str, not {name!r}")
        if len(settings) == 1:
            return name, None
        unknown = [code for code in settings if code not in ops.PROP_NAMES]
        if unknown:
            raise ParameterError(f"One or more settings was not recognized: {unknown}")
        return name, dict(settings)
    raise ParameterError("You should supply at least cache name")


def _minimum_tls_version(ssl_version: Any) -> Optional[TLSVersion]:
    """The minimum TLS version for pyignite's ``ssl_version`` (an ``ssl.PROTOCOL_*`` constant,
    an ``ssl.TLSVersion`` or a Twisted ``TLSVersion``); None: the secure default."""
    if ssl_version is None:
        return None
    if any(ssl_version is version for version in TLSVersion.iterconstants()):
        return ssl_version
    by_name = {"TLSv1": TLSVersion.TLSv1_0, "TLSv1_1": TLSVersion.TLSv1_1,
               "TLSv1_2": TLSVersion.TLSv1_2, "TLSv1_3": TLSVersion.TLSv1_3}
    if isinstance(ssl_version, ssl.TLSVersion):
        if ssl_version in (ssl.TLSVersion.MINIMUM_SUPPORTED, ssl.TLSVersion.MAXIMUM_SUPPORTED):
            return None
        found = by_name.get(ssl_version.name)
    elif isinstance(ssl_version, ssl._SSLMethod):
        if ssl_version in (ssl.PROTOCOL_TLS_CLIENT, ssl.PROTOCOL_TLS):
            return None
        found = by_name.get(ssl_version.name.replace("PROTOCOL_", ""))
    else:
        found = None
    if found is None:
        raise ParameterError(f"unsupported ssl_version {ssl_version!r}")
    return found


def _send(protocol: IgniteProtocol, op_code: int, args: Any) -> Deferred[Any]:
    return protocol.request(op_code, args)


def _ignite_reconnect_error(error: base_errors.ReconnectError) -> ReconnectError:
    """The pyignite-named ReconnectError for the connection manager's one."""
    return ReconnectError(error.message, errors=error.errors, node=error.node, op=error.op)


class Client:
    """An Ignite thin client.  See the module docstring.

    :param compact_footer: write complex objects with compact (True, default) or full footers.
    :param partition_aware: send key operations to the key's primary node (default True).
    :param timeout: seconds a request may wait for its reply, and a call for a connection
        (default 30; ``None``: wait forever).
    :param handshake_timeout: seconds allowed for each connection's handshake.
    :param username: / :param password: credentials (protocol >= 1.1.0).
    :param use_ssl: connect with TLS (default: False, but True when credentials are given).
    :param tls: a :class:`txkv.tls.TLSOptions`, a connection creator or a ``hostname ->
        creator`` callable (implies TLS); overrides the ``ssl_*`` parameters.
    :param ssl_ca_certfile: PEM file of the authorities to trust (default: the platform's).
    :param ssl_certfile: / :param ssl_keyfile: / :param ssl_keyfile_password: client
        certificate and key for servers that require one.
    :param ssl_cert_reqs: ``ssl.CERT_NONE`` turns certificate *and* host name verification off
        (logged); anything else verifies (the default).
    :param ssl_version: the oldest TLS version to accept (``ssl.PROTOCOL_TLSv1_2``,
        ``ssl.TLSVersion.TLSv1_3``...); it can only raise the secure default, never lower it.
    :param ssl_ciphers: an OpenSSL cipher string restricting the cipher suites offered.
    :param reactor: the reactor to connect with; :param clock: the clock for timeouts,
        heartbeats and retries (default: the reactor).
    :param pool_size: connections per node.
    :param retry_policy: ``failed attempts -> delay`` for reconnecting to nodes.
    :param protocol_versions: versions to accept (default 1.7.0 down to 1.0.0).
    :param heartbeats: send heartbeats when the server has an idle timeout.
    :param connect_timeout: TCP connect timeout, seconds.
    """

    def __init__(
        self,
        compact_footer: Optional[bool] = None,
        partition_aware: bool = True,
        *,
        timeout: Optional[float] = 30.0,
        handshake_timeout: Optional[float] = 10.0,
        username: Optional[str] = None,
        password: Optional[str] = None,
        use_ssl: Optional[bool] = None,
        tls: Any = None,
        ssl_ca_certfile: Optional[str] = None,
        ssl_certfile: Optional[str] = None,
        ssl_keyfile: Optional[str] = None,
        ssl_keyfile_password: Optional[str] = None,
        ssl_cert_reqs: Any = _UNSET,
        ssl_version: Any = None,
        ssl_ciphers: Optional[str] = None,
        reactor: Any = None,
        clock: Any = None,
        pool_size: int = 1,
        retry_policy: Any = None,
        protocol_versions: Optional[Sequence[Tuple[int, int, int]]] = None,
        heartbeats: bool = True,
        connect_timeout: float = 30.0,
    ) -> None:
        if reactor is None:
            from twisted.internet import reactor as global_reactor

            reactor = global_reactor
        if timeout is not None and (isinstance(timeout, bool) or timeout < 0):
            raise ParameterError(f"timeout must be None or >= 0 seconds, not {timeout!r}")
        self._reactor = reactor
        self._clock = clock if clock is not None else reactor
        self._timeout = timeout or None
        self._partition_aware = bool(partition_aware)
        self._pool_size = pool_size
        self._retry_policy = retry_policy
        self._connect_timeout = connect_timeout
        self._handshake_timeout = handshake_timeout
        credentials = None
        if username is not None or password is not None:
            credentials = Credentials(username, password)
        self._tls = self._tls_option(credentials is not None, use_ssl, tls, ssl_ca_certfile,
                                     ssl_certfile, ssl_keyfile, ssl_keyfile_password,
                                     ssl_cert_reqs, _minimum_tls_version(ssl_version),
                                     ssl_ciphers)
        self._codec = CodecContext(compact_footer=True if compact_footer is None
                                   else bool(compact_footer))
        self._affinity = AffinityMap(self._fetch_partitions, self._codec)
        self._factory = IgniteClientFactory(
            codec=self._codec,
            credentials=credentials,
            versions=protocol_versions or PROTOCOL_VERSIONS,
            timeout=self._timeout,
            handshake_timeout=handshake_timeout,
            clock=self._clock,
            heartbeats=heartbeats,
            on_topology=self._on_topology,
        )
        self._manager: Optional[ConnectionManager] = None
        self._by_node_uuid: Dict[Any, List[IgniteProtocol]] = {}
        #: The connection the manager handed out last, reused while it stays open (with one
        #: connection per node the manager keeps handing out the same one until it breaks).
        self._current: Optional[IgniteProtocol] = None

    @staticmethod
    def _tls_option(has_credentials: bool, use_ssl: Optional[bool], tls: Any,
                    ca_file: Optional[str], cert_file: Optional[str], key_file: Optional[str],
                    key_password: Optional[str], cert_reqs: Any, minimum_version: Any,
                    ciphers: Optional[str]) -> Any:
        ssl_params = any(p is not None for p in (ca_file, cert_file, key_file, minimum_version,
                                                 ciphers)) or cert_reqs is not _UNSET
        if use_ssl is None:
            use_ssl = has_credentials or tls is not None or ssl_params
        elif use_ssl is False:
            if tls is not None:
                raise ParameterError("tls= was given with use_ssl=False")
            if has_credentials:
                log.warn("Ignite credentials will be sent WITHOUT TLS (use_ssl=False)")
        if not use_ssl:
            return None
        if tls is not None:
            return tls
        verify = cert_reqs is _UNSET or cert_reqs != ssl.CERT_NONE
        if ciphers is not None and (not isinstance(ciphers, str) or not ciphers):
            raise ParameterError(f"ssl_ciphers must be an OpenSSL cipher string, not {ciphers!r}")
        options = TLSOptions(ca_file=ca_file, client_cert=cert_file, client_key=key_file,
                             key_password=key_password, verify=verify, ciphers=ciphers,
                             minimum_version=minimum_version)
        return options

    def __repr__(self) -> str:
        nodes = [n.address for n in self._manager.nodes] if self._manager is not None else []
        auth = ", with credentials" if self._factory.credentials is not None else ""
        tls = ", TLS" if self._tls is not None else ""
        return f"<txkv.ignite.Client nodes={nodes}{tls}{auth}>"

    # -- properties -----------------------------------------------------------------------------

    @property
    def compact_footer(self) -> bool:
        """Whether complex objects are written with compact footers."""
        return self._codec.compact_footer

    @compact_footer.setter
    def compact_footer(self, value: bool) -> None:
        self._codec.compact_footer = bool(value)

    @property
    def partition_aware(self) -> bool:
        """Whether key operations are routed to the key's primary node."""
        return self._partition_aware

    @property
    def partition_awareness_supported_by_protocol(self) -> bool:
        """Whether the negotiated protocol (>= 1.4.0) allows partition awareness."""
        context = self.protocol_context
        return context is not None and context.partition_awareness

    @property
    def protocol_context(self) -> Optional[ProtocolContext]:
        """The negotiated version and features of a live connection (None if none)."""
        current = self._ready_connection()
        if current is not None:
            return current.context
        for protocol in self._live_protocols():
            if protocol.context is not None:
                return protocol.context
        return None

    @property
    def codec(self) -> CodecContext:
        """The codec context (binary-type registry, footer style) of this client."""
        return self._codec

    @property
    def connection_manager(self) -> Optional[ConnectionManager]:
        """The connection manager (None before :meth:`connect`)."""
        return self._manager

    @property
    def affinity(self) -> AffinityMap:
        """The partition maps used for partition awareness."""
        return self._affinity

    # -- connecting -----------------------------------------------------------------------------

    def connect(self, *args: Any) -> ConnectDeferred:
        """Connect to the cluster; fires with the client once a node is connected.

        Accepts ``connect()`` (localhost:10800), ``connect('host', port)``,
        ``connect([('host', port), ...])`` (seed §3.5), ``"host:port"`` strings (or one
        comma-separated string), Twisted endpoint descriptions and ``IStreamClientEndpoint``
        objects.  Every node is connected in the background; the returned Deferred fails with
        :class:`~txkv.ignite.errors.AuthenticationError` /
        :class:`~txkv.ignite.errors.HandshakeError` when the nodes refuse the client, and
        with :class:`~txkv.ignite.errors.ReconnectError` when none can be reached.
        """
        result = ConnectDeferred()
        result.client = self
        if self._manager is not None:
            result.errback(ParameterError("the client is already connected; close() it first"))
            return result
        try:
            manager = ConnectionManager(
                _connect_nodes(args), self._factory, reactor=self._reactor, clock=self._clock,
                prepare_connection=self._prepare_connection, retry_policy=self._retry_policy,
                tls=self._tls, pool_size=self._pool_size, default_port=DEFAULT_PORT,
                connect_timeout=self._connect_timeout,
                prepare_timeout=None if not self._handshake_timeout
                else self._handshake_timeout * 2,
                name="ignite")
        except base_errors.ParameterError as exc:
            error = exc if isinstance(exc, ParameterError) else ParameterError(exc.message)
            result.errback(error)
            return result
        self._manager = manager
        manager.startService()
        hint_before = self._factory.version_hint

        def retry_if_version_moved(failure: Failure) -> Any:
            # A server that hangs up after proposing another version: the next attempt uses
            # the proposal (IgniteClientFactory.version_hint), so wait for that attempt too.
            failure.trap(base_errors.ReconnectError)
            if self._factory.version_hint != hint_before and self._manager is manager:
                return manager.whenConnected(failAfterFailures=2)
            return failure

        def connected(_: object) -> Client:
            return self

        def refused(failure: Failure) -> Failure:
            error = self._connect_error(failure)
            if self._manager is manager:
                self._manager = None
                manager.stopService()
            return Failure(error)

        d = manager.whenConnected(failAfterFailures=1)
        d.addErrback(retry_if_version_moved).addCallbacks(connected, refused)
        d.chainDeferred(result)
        return result

    @staticmethod
    def _connect_error(failure: Failure) -> BaseException:
        error = failure.value
        if isinstance(error, base_errors.ReconnectError):
            errors = list(error.errors.values())
            for cause in errors:
                if isinstance(cause, AuthenticationError):
                    return cause
            if errors and all(isinstance(cause, TLSError) for cause in errors):
                first = errors[0]
                assert isinstance(first, TLSError)
                if len(errors) == 1:
                    return first
                same = all(getattr(cause, "reason", None) == first.reason for cause in errors)
                advice = tls_advice(first.reason)
                text = (f"TLS handshake failed with all {len(errors)} nodes: {first.reason}"
                        f"{' (' + advice + ')' if advice else ''}" if same else
                        "TLS handshake failed with every node: " + "; ".join(
                            f"{node}: {cause}" for node, cause in error.errors.items()))
                return TLSError(text, reason=first.reason if same else "",
                                errors=error.errors)
            if errors and all(isinstance(cause, HandshakeError) for cause in errors):
                return errors[0]
            if not isinstance(error, ReconnectError):
                return _ignite_reconnect_error(error)
        assert error is not None
        return error

    def _prepare_connection(self, protocol: IgniteProtocol) -> Deferred[None]:
        def ready(connected: IgniteProtocol) -> None:
            if connected.node_uuid is not None:
                known = [p for p in self._by_node_uuid.get(connected.node_uuid, []) if p.ready]
                known.append(connected)
                self._by_node_uuid[connected.node_uuid] = known

        return protocol.handshake().addCallback(ready)

    def close(self) -> Deferred[None]:
        """Close every connection; pending calls fail.  Idempotent."""
        manager, self._manager = self._manager, None
        self._current = None
        self._by_node_uuid.clear()
        if manager is None:
            return succeed(None)
        return manager.stopService()

    # -- picking connections ----------------------------------------------------------------------

    def _live_protocols(self) -> List[IgniteProtocol]:
        manager = self._manager
        if manager is None:
            return []
        found: List[IgniteProtocol] = []
        for node in manager.live_nodes():
            found.extend(p for p in node.connected_protocols() if p.ready)
        return found

    def _ready_connection(self) -> Optional[IgniteProtocol]:
        """The connection to use now without asking the manager, or None.

        That is the last connection the manager handed out, while it is open and not closing,
        when there is one connection per node: the manager's choice is sticky (it moves to
        another node only when the preferred one goes down), so this is the connection it
        would pick, without a Deferred per call.
        """
        current = self._current
        if current is None:
            return None
        transport = current.transport
        if current.connected and current.context is not None and transport is not None \
                and not transport.disconnecting:  # type: ignore[attr-defined]
            return current
        self._current = None
        return None

    def _remember(self, protocol: IgniteProtocol) -> IgniteProtocol:
        if self._pool_size == 1 and self._manager is not None:
            self._current = protocol
        return protocol

    def _any_connection(self) -> Deferred[IgniteProtocol]:
        """A live connection (failing over); ReconnectError when every node is down."""
        current = self._ready_connection()
        if current is not None:
            return succeed(current)
        manager = self._manager
        if manager is None:
            return fail(base_errors.NotConnectedError("the client is not connected; call "
                                                      "connect() first"))
        return manager.whenConnected(failAfterFailures=1, timeout=self._timeout
                                     ).addCallbacks(self._remember, self._translate_reconnect)

    def _request(self, op_code: int, args: Any = m.NO_ARGS) -> Deferred[Any]:
        """Send a request on any live connection (no Deferred chaining when one is ready)."""
        current = self._ready_connection()
        if current is not None:
            return current.request(op_code, args)
        return self._any_connection().addCallback(_send, op_code, args)

    def _key_request(self, cache_id: int, key: Any, key_hint: Any, op_code: int,
                     args: Any) -> Deferred[Any]:
        """Send a key operation to the key's primary node (any live node when unknown)."""
        if self._partition_aware and self._routing_enabled():
            fresh = self._affinity.get(cache_id)
            if fresh is None:
                return self._affinity.owner(cache_id, key, key_hint).addCallback(
                    self._connection_for_node).addCallback(_send, op_code, args)
            owner = self._protocol_for_node(self._affinity._owner(fresh, key, key_hint))
            if owner is not None:
                return owner.request(op_code, args)
        return self._request(op_code, args)

    @staticmethod
    def _translate_reconnect(failure: Failure) -> Failure:
        error = failure.value
        if isinstance(error, base_errors.ReconnectError) and \
                not isinstance(error, ReconnectError):
            return Failure(_ignite_reconnect_error(error))
        return failure

    def _protocol_for_node(self, node_uuid: Any) -> Optional[IgniteProtocol]:
        if node_uuid is None:
            return None
        found = self._by_node_uuid.get(node_uuid)
        if not found:
            return None
        if len(found) == 1 and found[0].ready:
            return found[0]
        live = [p for p in found if p.ready]
        if len(live) != len(found):
            self._by_node_uuid[node_uuid] = live
        if not live:
            return None
        return min(live, key=lambda p: p.in_flight)

    def _connection_for_node(self, node_uuid: Any) -> Deferred[IgniteProtocol]:
        protocol = self._protocol_for_node(node_uuid)
        return succeed(protocol) if protocol is not None else self._any_connection()

    def _routing_enabled(self) -> bool:
        manager = self._manager
        if not self._partition_aware or manager is None or len(manager.nodes) < 2:
            return False
        current = self._ready_connection()
        context = current.context if current is not None else self.protocol_context
        return context is not None and context.partition_awareness

    def _connection_for_key(self, cache_id: int, key: Any, key_hint: Any = None
                            ) -> Deferred[IgniteProtocol]:
        """The connection to the node owning ``key`` (any live one when unknown)."""
        if not self._routing_enabled():
            return self._any_connection()
        fresh = self._affinity.get(cache_id)
        if fresh is not None:
            owner = self._affinity._owner(fresh, key, key_hint)
            protocol = self._protocol_for_node(owner)
            return succeed(protocol) if protocol is not None else self._any_connection()
        return self._affinity.owner(cache_id, key, key_hint).addCallback(
            self._connection_for_node)

    def _connection_for_partition(self, cache_id: int, partition: int
                                  ) -> Deferred[IgniteProtocol]:
        if not self._routing_enabled():
            return self._any_connection()
        return self._affinity.partition_owner(cache_id, partition).addCallback(
            self._connection_for_node)

    def _fetch_partitions(self, cache_ids: List[int]) -> Deferred[m.PartitionsResult]:
        return self._any_connection().addCallback(
            lambda p: p.request(ops.OP_CACHE_PARTITIONS, m.PartitionsOp(cache_ids, False)))

    def _on_topology(self, protocol: IgniteProtocol, version: Tuple[int, int]) -> None:
        self._affinity.note_topology(version)

    def random_node(self) -> Deferred[IgniteProtocol]:
        """A connection to a random live node (for extending the client)."""
        live = self._live_protocols()
        if live:
            return succeed(random.choice(live))
        return self._any_connection()

    def get_best_node(self, cache: Union[int, str, Cache, None] = None, key: Any = None,
                      key_hint: Any = None) -> Deferred[IgniteProtocol]:
        """The connection that most probably holds ``key`` of ``cache`` (IEP-23)."""
        if cache is None or key is None:
            return self._any_connection()
        if isinstance(cache, Cache):
            cid = cache.cache_id
        elif isinstance(cache, str):
            cid = cache_id_of(cache)
        else:
            cid = int(cache)
        return self._connection_for_key(cid, key, key_hint)

    def register_cache(self, cache_id: int) -> Deferred[None]:
        """Read the partition map of a cache now (it is otherwise read on first use)."""
        if not self._routing_enabled():
            return succeed(None)
        return self._affinity.refresh(cache_id)

    # -- caches ---------------------------------------------------------------------------------

    def get_cache(self, settings: Union[str, Dict[int, Any]]) -> Cache:
        """A cache object for an existing cache (nothing is sent; pyignite's ``get_cache``)."""
        name, extra = _parse_settings(settings)
        if extra:
            raise ParameterError("Only cache name allowed as a parameter")
        return Cache(self, name)

    def create_cache(self, settings: Union[str, Dict[int, Any]]) -> Deferred[Cache]:
        """Create a cache by name or ``{PROP_*: value}`` settings; fails with
        :class:`~txkv.ignite.errors.CacheCreationError` if it exists."""
        return self._create(settings, ops.OP_CACHE_CREATE_WITH_NAME,
                            ops.OP_CACHE_CREATE_WITH_CONFIGURATION)

    def get_or_create_cache(self, settings: Union[str, Dict[int, Any]]) -> Deferred[Cache]:
        """The cache, created (by name or ``{PROP_*: value}`` settings) if missing."""
        return self._create(settings, ops.OP_CACHE_GET_OR_CREATE_WITH_NAME,
                            ops.OP_CACHE_GET_OR_CREATE_WITH_CONFIGURATION)

    def _create(self, settings: Union[str, Dict[int, Any]], by_name: int,
                by_config: int) -> Deferred[Cache]:
        try:
            name, extra = _parse_settings(settings)
        except ParameterError:
            return fail()
        if extra:
            request = self._request(by_config, m.CacheConfigOp(extra))
        else:
            request = self._request(by_name, m.CacheNameOp(name))
        return request.addCallback(lambda _: Cache(self, name))

    def get_cache_names(self) -> Deferred[List[str]]:
        """The names of every cache."""
        return self._request(ops.OP_CACHE_GET_NAMES).addCallback(list)

    # -- SQL ------------------------------------------------------------------------------------

    def sql(
        self,
        query_str: str,
        page_size: int = 1024,
        query_args: Optional[Sequence[Any]] = None,
        schema: Optional[str] = "PUBLIC",
        statement_type: int = StatementType.ANY,
        distributed_joins: bool = False,
        local: bool = False,
        replicated_only: bool = False,
        enforce_join_order: bool = False,
        collocated: bool = False,
        lazy: bool = False,
        include_field_names: bool = False,
        max_rows: int = -1,
        timeout: int = 0,
        cache: Union[int, str, Cache, None] = None,
    ) -> SqlFieldsCursor:
        """Run an SQL query; returns a cursor of rows (lists).

        The query runs when the cursor is first read, awaited (``await client.sql(ddl)``) or
        entered (``async with``).  With ``include_field_names`` the first item is the list of
        field names.  ``timeout`` is the server-side query timeout in ms (0: none).  With
        ``cache`` (name, id or :class:`Cache`) the cache's schema is used and ``schema`` ignored.
        """
        if not isinstance(query_str, str):
            raise ParameterError("query_str must be a str")
        if isinstance(page_size, bool) or not isinstance(page_size, int) or page_size <= 0:
            raise ParameterError(f"page_size must be a positive int, not {page_size!r}")
        if isinstance(timeout, bool) or not isinstance(timeout, int) or timeout < 0:
            raise ParameterError(f"timeout must be a non-negative int (ms), not {timeout!r}")
        if statement_type not in {int(s) for s in StatementType}:
            raise ParameterError(f"unknown statement type {statement_type!r}")
        if cache is not None:
            if isinstance(cache, Cache):
                cid = cache.cache_id
            elif isinstance(cache, str):
                cid = cache_id_of(cache)
            else:
                cid = int(cache)
            schema = None
        else:
            cid = 0
        args = m.SqlFieldsQuery(
            m.CacheInfo(cid), query_str, list(query_args or ()), schema, page_size, max_rows,
            int(statement_type), bool(distributed_joins), bool(local), bool(replicated_only),
            bool(enforce_join_order), bool(collocated), bool(lazy), int(timeout),
            bool(include_field_names))
        return SqlFieldsCursor(self._any_connection, args)

    # -- cluster, transactions --------------------------------------------------------------------

    def get_cluster(self) -> Cluster:
        """The cluster facade (state)."""
        return Cluster(self)

    def tx_start(self, concurrency: int = TransactionConcurrency.PESSIMISTIC,
                 isolation: int = TransactionIsolation.REPEATABLE_READ, timeout: int = 0,
                 label: Optional[str] = None) -> Transaction:
        """A new transaction; start it with ``async with`` or ``await`` (or ``begin()``)."""
        return Transaction(self, concurrency, isolation, timeout, label)

    # -- binary types ---------------------------------------------------------------------------

    def get_binary_type(self, binary_type: Union[str, int]) -> Deferred[Dict[str, Any]]:
        """The cluster's metadata of a binary type, as pyignite's dict (``type_exists``,
        ``type_id``, ``type_name``, ``affinity_key_field``, ``is_enum``, ``schemas``...)."""
        type_id = entity_id(binary_type) if isinstance(binary_type, str) else int(binary_type)

        def describe(info: Optional[BinaryTypeInfo]) -> Dict[str, Any]:
            if info is None:
                return {"type_exists": False}
            self._codec.registry.put(info)
            schemas = []
            for field_ids in info.schemas.values():
                schema: OrderedDict[str, Any] = OrderedDict()
                for fid in field_ids:
                    name = info.name_of(fid)
                    if name is not None:
                        schema[name] = hint_for_type_code(info.fields.get(name, 103))
                schemas.append(schema)
            result: Dict[str, Any] = {
                "type_exists": True,
                "type_id": info.type_id,
                "type_name": info.type_name,
                "affinity_key_field": info.affinity_key_field,
                "is_enum": info.is_enum,
                "schemas": schemas,
            }
            if info.is_enum:
                result["enums"] = list(info.enum_values.items())
            return result

        return self._request(ops.OP_GET_BINARY_TYPE, m.TypeIdOp(type_id)).addCallback(describe)

    def put_binary_type(self, type_name: str, affinity_key_field: Optional[str] = None,
                        is_enum: bool = False, schema: Optional[Dict[str, Any]] = None
                        ) -> Deferred[None]:
        """Register a binary type in the cluster (OP_PUT_BINARY_TYPE; the local registry is
        not updated).  ``schema``: field name -> type hint, or for enums literal -> ordinal."""
        try:
            if is_enum:
                info = BinaryTypeInfo.enum(type_name, dict(schema or {}))
                info.affinity_key_field = affinity_key_field
            else:
                data_class = GenericObjectMeta(
                    type_name, (), {}, type_name=type_name, schema=OrderedDict(schema or {}))
                info = BinaryTypeInfo.from_class(data_class, affinity_key_field)
        except base_errors.TxKVError:
            return fail()
        return self._request(ops.OP_PUT_BINARY_TYPE, m.PutBinaryTypeOp(info))

    def register_binary_type(self, data_class: Any, affinity_key_field: Optional[str] = None
                             ) -> Deferred[None]:
        """Register a :class:`~txkv.ignite.binary.GenericObjectMeta` class: its metadata goes
        to the cluster (merged with what the cluster knows) and complex objects of its type
        are read into it."""
        if not isinstance(data_class, GenericObjectMeta):
            return fail(ParameterError(f"{data_class!r} is not a GenericObjectMeta class"))
        registry = self._codec.registry

        def merge_and_put(existing: Optional[BinaryTypeInfo]) -> Deferred[Any]:
            if existing is not None:
                registry.put(existing)
            merged = registry.put(BinaryTypeInfo.from_class(data_class, affinity_key_field))
            return self._request(ops.OP_PUT_BINARY_TYPE, m.PutBinaryTypeOp(merged))

        def local(_: object) -> None:
            self._codec.register_class(data_class, affinity_key_field)

        return self._request(ops.OP_GET_BINARY_TYPE, m.TypeIdOp(data_class.type_id)
                             ).addCallback(merge_and_put).addCallback(local)

    def query_binary_type(self, binary_type: Union[str, int],
                          schema: Union[int, Dict[str, Any], None] = None) -> Deferred[Any]:
        """The classes of a binary type: ``{schema id: class}``, or with ``schema`` (id or
        field mapping) that schema's class or None.  Unknown types are read from the
        cluster."""
        type_id = entity_id(binary_type) if isinstance(binary_type, str) else int(binary_type)
        registry = self._codec.registry

        def answer(_: object) -> Any:
            info = registry.get(type_id)
            classes: Dict[int, Any] = {}
            if info is not None:
                for sid, field_ids in info.schemas.items():
                    try:
                        classes[sid] = registry.dataclass(type_id, sid, list(field_ids))
                    except KeyError:
                        continue
            user = self._codec.classes.get(type_id)
            if user is not None:
                classes[user.schema_id] = user
            if schema is None:
                return classes
            sid = schema if isinstance(schema, int) else schema_id(
                entity_id(name) for name in schema)
            return classes.get(sid)

        if type_id in registry or type_id in self._codec.classes:
            return succeed(None).addCallback(answer)
        return self._request(ops.OP_GET_BINARY_TYPE, m.TypeIdOp(type_id)).addCallback(
            lambda info: registry.put(info) if info is not None else None).addCallback(answer)

    def unwrap_binary(self, value: Any) -> Deferred[Any]:
        """Decode wrapped binary objects (``(bytes, offset)`` tuples), recursively; reads
        missing binary-type metadata from the cluster first."""
        def attempt(_: object, tries: int) -> Any:
            try:
                return codec_unwrap_binary(value, self._codec)
            except MissingSchemaError as exc:
                if tries > 32:
                    raise
                missing = exc

                def store(info: Optional[BinaryTypeInfo]) -> None:
                    if info is None:
                        raise missing
                    self._codec.registry.put(info)

                return self._request(ops.OP_GET_BINARY_TYPE, m.TypeIdOp(missing.type_id)
                                     ).addCallback(store).addCallback(attempt, tries + 1)

        return succeed(None).addCallback(attempt, 0)

    def __await__(self) -> Generator[Any, Any, Client]:
        """``await client`` waits for a live connection (after :meth:`connect`)."""
        return self._any_connection().addCallback(lambda _: self).__await__()


#: pyignite's name for the asynchronous client class.
AioClient = Client
