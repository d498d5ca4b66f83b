"""The Ignite thin-client protocol over one connection: :class:`IgniteProtocol` and its factory.

One :class:`IgniteProtocol` owns one transport.  It

* runs the handshake (:meth:`IgniteProtocol.handshake`, called by the connection manager's
  ``prepare_connection``): protocol 1.7.0 first, then the version the server proposes — on the
  same socket, or, when the server hangs up, on the next connection (the factory remembers the
  proposal in :attr:`IgniteClientFactory.version_hint`); credentials; the feature bitmask;
* multiplexes requests by request id (many in flight, replies in any order) through
  :class:`~txkv.pending.PendingRequests`, with per-request timeouts and cancellation;
* decodes replies with the codec, fetching binary-type metadata (OP_GET_BINARY_TYPE) when a
  complex object's schema is unknown, and registering (OP_GET/PUT_BINARY_TYPE) the classes of
  complex objects it writes before sending the request that carries them;
* tracks the affinity topology version (response flag 0x2), hands server notifications
  (flag 0x4) to a listener, and sends heartbeats at a third of the server's idle timeout when
  the HEARTBEAT feature was negotiated.

The hot path (``request`` -> reply) uses plain Deferred callbacks only.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, FrozenSet, Iterable, NamedTuple, Optional, Tuple

from twisted.internet.defer import Deferred, fail, succeed
from twisted.internet.interfaces import IAddress, IDelayedCall, IReactorTime, ISSLTransport
from twisted.internet.protocol import Factory, Protocol
from twisted.logger import Logger
from twisted.python.failure import Failure

from txkv.direct_write import write_now
from txkv.endpoints import set_no_delay
from txkv.errors import ConnectionLostError, NotConnectedError, RequestTimeoutError, TxKVError
from txkv.ignite.codec import messages as m
from txkv.ignite.codec import ops
from txkv.ignite.codec.frames import (
    DEFAULT_MAX_FRAME_SIZE,
    FrameReader,
    ResponseHeader,
    decode_handshake_response,
    decode_response_header,
    encode_handshake_request,
)
from txkv.ignite.codec.ops import (
    PROTOCOL_VERSIONS,
    Feature,
    ProtocolContext,
    ProtocolVersion,
    op_name,
    version_string,
)
from txkv.ignite.codec.registry import BinaryTypeInfo, CodecContext
from txkv.ignite.errors import (
    AuthenticationError,
    BinaryTypeError,
    CacheCreationError,
    CacheError,
    ClusterError,
    HandshakeError,
    MissingSchemaError,
    ParseError,
    SQLError,
    TLSError,
)
from txkv.pending import PendingRequests

__all__ = [
    "CLIENT_FEATURES",
    "tls_failure_reason",
    "tls_advice",
    "Credentials",
    "IgniteClientFactory",
    "IgniteProtocol",
    "Notification",
    "error_for",
]

log = Logger(namespace="txkv.ignite.protocol")

#: Feature bits txkv declares in the 1.7.0 handshake (the server answers with the intersection).
CLIENT_FEATURES: FrozenSet[int] = frozenset(
    {Feature.CLUSTER_STATES, Feature.HEARTBEAT, Feature.ALL_AFFINITY_MAPPINGS}
)

#: How many metadata look-ups one reply may need before giving up.
_MAX_SCHEMA_FETCHES = 64

_CREATION_OPS = frozenset({
    ops.OP_CACHE_CREATE_WITH_NAME, ops.OP_CACHE_GET_OR_CREATE_WITH_NAME,
    ops.OP_CACHE_CREATE_WITH_CONFIGURATION, ops.OP_CACHE_GET_OR_CREATE_WITH_CONFIGURATION,
})
_SQL_OPS = frozenset({
    ops.OP_QUERY_SQL, ops.OP_QUERY_SQL_CURSOR_GET_PAGE,
    ops.OP_QUERY_SQL_FIELDS, ops.OP_QUERY_SQL_FIELDS_CURSOR_GET_PAGE,
})
_BINARY_OPS = frozenset({
    ops.OP_GET_BINARY_TYPE_NAME, ops.OP_REGISTER_BINARY_TYPE_NAME,
    ops.OP_GET_BINARY_TYPE, ops.OP_PUT_BINARY_TYPE,
})
_CLUSTER_OPS = frozenset({ops.OP_CLUSTER_GET_STATE, ops.OP_CLUSTER_CHANGE_STATE})


_TLS_ADVICE = (
    ("certificate required", "the server requires a client certificate: pass ssl_certfile= "
                             "and ssl_keyfile="),
    ("certificate verify failed", "the server's certificate did not verify: pass the CA that "
                                  "signed it as ssl_ca_certfile= and check the host name"),
    ("unknown ca", "the server does not trust the client certificate"),
    ("bad certificate", "the server refused the client certificate"),
    ("certificate unknown", "the server refused the client certificate"),
    ("wrong version number", "the peer does not seem to speak TLS"),
    ("packet length too long", "the peer does not seem to speak TLS"),
)


def tls_failure_reason(reason: Optional[Failure]) -> Optional[str]:
    """OpenSSL's reason when ``reason`` is a TLS failure (``"certificate verify failed"``...),
    else None."""
    if reason is None:
        return None
    try:
        from OpenSSL.SSL import Error as SSLError
    except ImportError:  # pragma: no cover - pyOpenSSL is a dependency of TLS support
        return None
    error = reason.value
    if not isinstance(error, SSLError):
        return None
    texts = []
    for item in error.args[0] if error.args and isinstance(error.args[0], list) else []:
        if isinstance(item, tuple) and item:
            texts.append(str(item[-1]))
    return ", ".join(t for t in texts if t) or str(error) or type(error).__name__


def tls_advice(tls_reason: str) -> str:
    """A hint on fixing a TLS failure, from OpenSSL's reason ('' when there is none)."""
    lowered = tls_reason.lower()
    for marker, advice in _TLS_ADVICE:
        if marker in lowered:
            return advice
    return ""


def error_for(op_code: int, status: int, message: Optional[str],
              node: Optional[str] = None) -> CacheError | ClusterError:
    """The pyignite-named exception for a server error status answering ``op_code``."""
    cls: type[CacheError] | type[ClusterError]
    if op_code in _SQL_OPS:
        cls = SQLError
    elif op_code in _BINARY_OPS:
        cls = BinaryTypeError
    elif op_code in _CREATION_OPS:
        cls = CacheCreationError
    elif op_code in _CLUSTER_OPS:
        cls = ClusterError
    else:
        cls = CacheError
    name = ops.STATUS_NAMES.get(status, "")
    text = message or name or "server error"
    return cls(text, code=status, server_message=message, node=node, op=op_name(op_code))


class Credentials:
    """A user name and password that never show in ``repr``, ``str`` or logs."""

    __slots__ = ("_username", "_password")

    def __init__(self, username: Optional[str], password: Optional[str]) -> None:
        self._username = username
        self._password = password

    @property
    def username(self) -> Optional[str]:
        return self._username

    @property
    def password(self) -> Optional[str]:
        return self._password

    def __repr__(self) -> str:
        return "<Credentials (hidden)>"

    __str__ = __repr__


class Notification(NamedTuple):
    """A server-initiated message (response flag 0x4), as handed to a notification listener.

    ``resource_id`` identifies the subscription (continuous query, compute task); the payload
    starts at ``body_offset`` of ``payload`` (undecoded: its layout depends on ``op_code``).
    """

    resource_id: int
    op_code: int
    status: int
    message: Optional[str]
    payload: bytes
    body_offset: int


TopologyListener = Callable[["IgniteProtocol", Tuple[int, int]], None]
NotificationListener = Callable[["IgniteProtocol", Notification], None]


class IgniteClientFactory(Factory):
    """Builds :class:`IgniteProtocol` instances sharing one configuration.

    :param codec: the codec context (binary metadata, footer style) shared by every connection.
    :param credentials: user name and password for the handshake (protocol >= 1.1.0).
    :param versions: protocol versions this client accepts, newest first.
    :param features: feature bits declared in the 1.7.0 handshake.
    :param timeout: default per-request timeout, seconds (``None`` or 0: none).
    :param handshake_timeout: seconds allowed for the handshake.
    :param clock: timeouts and heartbeats run on it (default: the global reactor).
    :param heartbeats: send heartbeats when the server has an idle timeout (and HEARTBEAT).
    :param on_topology: called with ``(protocol, (major, minor))`` for every topology version a
        reply reports.
    :param on_notification: called with ``(protocol, Notification)`` for server notifications.
    :ivar version_hint: the version the last handshake settled on (or the server proposed);
        new connections start with it.
    """


    def __init__(
        self,
        *,
        codec: Optional[CodecContext] = None,
        credentials: Optional[Credentials] = None,
        versions: Iterable[ProtocolVersion] = PROTOCOL_VERSIONS,
        features: Iterable[int] = CLIENT_FEATURES,
        timeout: Optional[float] = 30.0,
        handshake_timeout: Optional[float] = 10.0,
        clock: Optional[IReactorTime] = None,
        heartbeats: bool = True,
        on_topology: Optional[TopologyListener] = None,
        on_notification: Optional[NotificationListener] = None,
        max_frame_size: int = DEFAULT_MAX_FRAME_SIZE,
    ) -> None:
        if clock is None:
            from twisted.internet import reactor

            clock = reactor
        assert clock is not None
        self.clock: IReactorTime = clock
        self.codec = codec if codec is not None else CodecContext()
        self.credentials = credentials
        self.versions: Tuple[ProtocolVersion, ...] = tuple(
            sorted({tuple(v) for v in versions}, reverse=True))  # type: ignore[misc]
        unknown = [v for v in self.versions if v not in PROTOCOL_VERSIONS]
        if not self.versions or unknown:
            raise HandshakeError(None, f"unsupported protocol versions {unknown or 'none'}")
        self.features = frozenset(int(f) for f in features)
        self.timeout = timeout
        self.handshake_timeout = handshake_timeout
        self.heartbeats = heartbeats
        self.on_topology = on_topology
        self.on_notification = on_notification
        self.max_frame_size = max_frame_size
        self.version_hint: Optional[ProtocolVersion] = None
        self.registrations: Dict[Tuple[int, int], SharedResult] = {}

    def __repr__(self) -> str:
        auth = "with credentials" if self.credentials is not None else "anonymous"
        return f"<IgniteClientFactory versions={[version_string(v) for v in self.versions]} {auth}>"

    def first_version(self) -> ProtocolVersion:
        """The version a new connection's handshake starts with."""
        hint = self.version_hint
        return hint if hint is not None and hint in self.versions else self.versions[0]

    def buildProtocol(self, addr: Optional[IAddress]) -> IgniteProtocol:  # type: ignore[override]
        protocol = IgniteProtocol(self)
        protocol.factory = self
        return protocol


class IgniteProtocol(Protocol):
    """One Ignite thin-client connection.  See the module docstring.

    :ivar context: the negotiated :class:`~txkv.ignite.codec.ops.ProtocolContext` (``None``
        before the handshake).
    :ivar node_uuid: the server node's id from the handshake (>= 1.4.0).
    :ivar topology_version: the newest affinity topology version a reply reported.
    :ivar idle_timeout: the server's idle timeout in seconds (0: none, ``None``: unknown).
    :ivar peer: the peer's ``host:port`` (for errors and logs).
    """

    def __init__(self, factory: IgniteClientFactory) -> None:
        self.factory: IgniteClientFactory = factory
        self.clock = factory.clock
        self.codec = factory.codec
        self.context: Optional[ProtocolContext] = None
        self.node_uuid: Any = None
        self.topology_version: Optional[Tuple[int, int]] = None
        self.idle_timeout: Optional[float] = None
        self.connected = False
        self.peer = "?"
        self.notification_listener: Optional[NotificationListener] = factory.on_notification
        self._reader = FrameReader(factory.max_frame_size)
        self._pending = PendingRequests(self.clock, factory.timeout)
        self._handshake_d: Optional[Deferred[IgniteProtocol]] = None
        self._handshake_version: Optional[ProtocolVersion] = None
        self._handshake_timer: Optional[IDelayedCall] = None
        self._tried: set[ProtocolVersion] = set()
        self._heartbeat_call: Optional[IDelayedCall] = None
        self._heartbeat_interval = 0.0
        self._last_write = 0.0
        self._closed_reason: Optional[BaseException] = None

    def __repr__(self) -> str:
        version = version_string(self.context.version) if self.context else "handshaking"
        return (f"<IgniteProtocol {self.peer} {version} node={self.node_uuid} "
                f"in_flight={self.in_flight}>")

    # -- state ---------------------------------------------------------------------------------

    @property
    def in_flight(self) -> int:
        """Requests waiting for their replies (the pool picks the least-loaded connection)."""
        return len(self._pending)

    @property
    def ready(self) -> bool:
        """Handshake done and the connection open."""
        return bool(self.connected and self.context is not None)

    # -- connection ----------------------------------------------------------------------------

    def connectionMade(self) -> None:
        self.connected = True
        self._last_write = self.clock.seconds()
        set_no_delay(self.transport)
        try:
            peer = self.transport.getPeer()  # type: ignore[union-attr]
            host, port = getattr(peer, "host", None), getattr(peer, "port", None)
            self.peer = f"{host}:{port}" if host is not None else str(peer)
        except Exception:
            self.peer = "?"
        self._pending.node = self.peer

    def connectionLost(self, reason: Optional[Failure] = None) -> None:
        self.connected = False
        self._stop_heartbeats()
        error = self._closed_reason or self._lost_error(reason)
        self._pending.fail_all(error)
        if self._handshake_d is not None:
            self._fail_handshake(error, abort=False)

    def _lost_error(self, reason: Optional[Failure]) -> BaseException:
        """The error a lost connection fails its requests (and handshake) with."""
        text = reason.getErrorMessage() if reason is not None else "closed"
        tls_reason = tls_failure_reason(reason)
        if tls_reason is not None:
            advice = tls_advice(tls_reason)
            if self.context is None:
                return TLSError(f"TLS handshake with {self.peer} failed: {tls_reason}"
                                f"{' (' + advice + ')' if advice else ''}",
                                reason=tls_reason, node=self.peer)
            return ConnectionLostError(f"connection to {self.peer} lost: TLS error: {tls_reason}",
                                       node=self.peer)
        if self.context is None and self._handshake_d is not None:
            secure = ISSLTransport.providedBy(self.transport)
            hint = ("does the server speak TLS?" if secure
                    else "if the server requires TLS, pass use_ssl=True")
            return ConnectionLostError(
                f"connection to {self.peer} lost during the handshake ({hint}): {text}",
                node=self.peer)
        return ConnectionLostError(f"connection to {self.peer} lost: {text}", node=self.peer)

    def close(self) -> None:
        """Close the connection; every waiting request fails with ConnectionLostError."""
        if self.transport is not None and self.connected:
            self.transport.loseConnection()

    def _abort(self, error: BaseException) -> None:
        """Fail everything with ``error`` and drop the connection (bad frames, bad handshake)."""
        self._closed_reason = error
        self._pending.fail_all(error)
        if self.transport is not None:
            abort = getattr(self.transport, "abortConnection", None)
            if abort is not None:
                abort()
            else:
                self.transport.loseConnection()

    def _write(self, frame: bytes | bytearray) -> None:
        self._last_write = self.clock.seconds()
        self.transport.write(bytes(frame))  # type: ignore[union-attr]

    # -- handshake -----------------------------------------------------------------------------

    def handshake(self) -> Deferred[IgniteProtocol]:
        """Negotiate the protocol version (and authenticate); fires with this protocol.

        Fails with :class:`~txkv.ignite.errors.AuthenticationError` (credentials refused, never
        retried), :class:`~txkv.ignite.errors.HandshakeError` (no common version),
        :class:`~txkv.errors.RequestTimeoutError` (no answer in time) or
        :class:`~txkv.errors.ConnectionLostError`.  A failed handshake closes the connection.
        """
        if self.context is not None:
            return succeed(self)
        if self._handshake_d is not None:
            return fail(HandshakeError(None, "handshake already running", node=self.peer))
        if not self.connected:
            return fail(NotConnectedError("not connected", node=self.peer))
        self._handshake_d = Deferred(lambda _d: self._cancel_handshake())
        timeout = self.factory.handshake_timeout
        if timeout:
            self._handshake_timer = self.clock.callLater(timeout, self._handshake_timed_out,
                                                         timeout)
        self._send_handshake(self.factory.first_version())
        return self._handshake_d

    def _send_handshake(self, version: ProtocolVersion) -> None:
        credentials = self.factory.credentials
        if credentials is not None and version < (1, 1, 0):
            self._fail_handshake(HandshakeError(
                version, "credentials need protocol 1.1.0 or newer; the server offers "
                f"{version_string(version)}", node=self.peer))
            return
        self._handshake_version = version
        self._tried.add(version)
        frame = encode_handshake_request(
            version,
            features=self.factory.features if version >= (1, 7, 0) else None,
            username=credentials.username if credentials is not None else None,
            password=credentials.password if credentials is not None else None,
        )
        self._write(frame)

    def _handshake_reply(self, payload: bytes) -> None:
        version = self._handshake_version
        assert version is not None
        try:
            reply = decode_handshake_response(payload, version)
        except ParseError as exc:
            self._fail_handshake(HandshakeError(None, f"bad handshake reply: {exc}",
                                                node=self.peer))
            return
        if reply.success:
            features = reply.feature_set & self.factory.features if version >= (1, 7, 0) \
                else frozenset()
            self.context = ProtocolContext(version, features)
            self.node_uuid = reply.node_id
            self.factory.version_hint = version
            self.codec.protocol_version = version
            d, self._handshake_d = self._handshake_d, None
            self._stop_handshake_timer()
            log.debug("handshake with {peer} done: protocol {version}, node {node}",
                      peer=self.peer, version=version_string(version), node=reply.node_id)
            self._after_handshake()
            if d is not None:
                d.callback(self)
            return
        proposed = reply.server_version
        message = reply.message or "handshake refused"
        if reply.is_auth_failure or proposed == (0, 0, 0):
            self._fail_handshake(AuthenticationError(message, node=self.peer))
            return
        if proposed in self.factory.versions and proposed not in self._tried:
            assert proposed is not None
            log.info("{peer} refused protocol {ours}; retrying with {theirs}", peer=self.peer,
                     ours=version_string(version), theirs=version_string(proposed))
            self.factory.version_hint = proposed
            self._send_handshake(proposed)
            return
        self._fail_handshake(HandshakeError(proposed, message, node=self.peer))

    def _fail_handshake(self, error: BaseException, abort: bool = True) -> None:
        d, self._handshake_d = self._handshake_d, None
        self._stop_handshake_timer()
        if abort and self.connected:
            self._abort(error)
        if d is not None:
            d.errback(Failure(error))

    def _handshake_timed_out(self, timeout: float) -> None:
        self._handshake_timer = None
        hint = "" if ISSLTransport.providedBy(self.transport) else \
            " (if the server requires TLS, pass use_ssl=True)"
        self._fail_handshake(RequestTimeoutError(
            f"no handshake reply within {timeout} s{hint}", timeout=timeout, node=self.peer,
            op="handshake"))

    def _cancel_handshake(self) -> None:
        self._handshake_d = None
        self._stop_handshake_timer()
        if self.connected:
            self._abort(HandshakeError(None, "handshake cancelled", node=self.peer))

    def _stop_handshake_timer(self) -> None:
        if self._handshake_timer is not None and self._handshake_timer.active():
            self._handshake_timer.cancel()
        self._handshake_timer = None

    def _after_handshake(self) -> None:
        assert self.context is not None
        if self.factory.heartbeats and self.context.has_feature(Feature.HEARTBEAT):
            self.request(ops.OP_GET_IDLE_TIMEOUT).addCallbacks(
                self._start_heartbeats, self._idle_timeout_failed)

    # -- heartbeats ----------------------------------------------------------------------------

    def _idle_timeout_failed(self, failure: Failure) -> None:
        log.info("cannot read the idle timeout of {peer}: {error}", peer=self.peer,
                 error=failure.getErrorMessage())

    def _start_heartbeats(self, idle_ms: int) -> None:
        self.idle_timeout = max(0, idle_ms) / 1000.0
        if idle_ms <= 0 or not self.connected:
            return
        self._heartbeat_interval = idle_ms / 3000.0
        self._schedule_heartbeat(self._heartbeat_interval)

    def _schedule_heartbeat(self, delay: float) -> None:
        self._heartbeat_call = self.clock.callLater(delay, self._heartbeat_tick)

    def _heartbeat_tick(self) -> None:
        self._heartbeat_call = None
        if not self.connected:
            return
        interval = self._heartbeat_interval
        quiet = self.clock.seconds() - self._last_write
        if quiet >= interval - 1e-9:
            self.request(ops.OP_HEARTBEAT, timeout=max(interval, 1.0)).addErrback(
                self._heartbeat_failed)
            delay = interval
        else:
            delay = interval - quiet
        self._schedule_heartbeat(delay)

    def _heartbeat_failed(self, failure: Failure) -> None:
        log.warn("heartbeat to {peer} failed: {error}", peer=self.peer,
                 error=failure.getErrorMessage())

    def _stop_heartbeats(self) -> None:
        if self._heartbeat_call is not None and self._heartbeat_call.active():
            self._heartbeat_call.cancel()
        self._heartbeat_call = None

    # -- receiving -----------------------------------------------------------------------------

    def dataReceived(self, data: bytes) -> None:
        try:
            frames = self._reader.feed(data)
        except ParseError as exc:
            log.error("bad frame from {peer}: {error}", peer=self.peer, error=str(exc))
            self._fail_everything(exc)
            return
        for payload in frames:
            if not self.connected:
                return
            if self.context is None:
                if self._handshake_d is None:
                    self._fail_everything(ParseError("unexpected message before the handshake",
                                                     node=self.peer))
                    return
                self._handshake_reply(payload)
            else:
                self._response(payload)

    def _fail_everything(self, error: BaseException) -> None:
        if self._handshake_d is not None:
            self._fail_handshake(error)
        else:
            self._abort(error)

    def _response(self, payload: bytes) -> None:
        assert self.context is not None
        try:
            header = decode_response_header(payload, self.context.status_flags)
        except ParseError as exc:
            log.error("bad response header from {peer}: {error}", peer=self.peer, error=str(exc))
            self._abort(exc)
            return
        if header.topology is not None:
            self._note_topology(header.topology)
        if header.is_notification:
            self._notification(header, payload)
            return
        if not self._pending.reply(header.request_id, (header, payload)):
            log.debug("dropped reply {request_id} from {peer} (nobody waits for it)",
                      request_id=header.request_id, peer=self.peer)

    def _note_topology(self, version: Tuple[int, int]) -> None:
        version = (int(version[0]), int(version[1]))
        if self.topology_version is None or version > self.topology_version:
            self.topology_version = version
        listener = self.factory.on_topology
        if listener is not None:
            listener(self, version)

    def _notification(self, header: ResponseHeader, payload: bytes) -> None:
        note = Notification(header.request_id, header.notification_op or 0, header.status,
                            header.message, payload, header.body_offset)
        listener = self.notification_listener
        if listener is None:
            log.debug("notification {op} for resource {resource} from {peer} ignored",
                      op=note.op_code, resource=note.resource_id, peer=self.peer)
            return
        try:
            listener(self, note)
        except Exception:
            log.failure("notification listener failed")

    # -- requests ------------------------------------------------------------------------------

    def request(
        self,
        op_code: int,
        args: Any = m.NO_ARGS,
        *,
        timeout: Optional[float] = None,
        include_field_names: bool = False,
        column_count: int = 0,
    ) -> Deferred[Any]:
        """Send one request; the Deferred fires with the decoded reply body.

        :param timeout: seconds (default: the factory's); ``0``: none.
        :param include_field_names: / :param column_count: decoding options of the SQL-fields
            ops (see :func:`~txkv.ignite.codec.messages.decode_response_body`).
        :return: a cancellable Deferred; failures: a :class:`~txkv.ignite.errors.CacheError`
            family error for a server error status, ``RequestTimeoutError``,
            ``ConnectionLostError`` / ``NotConnectedError``, ``ParameterError`` /
            ``SerializationError`` for arguments that cannot be encoded (nothing sent).
        """
        context = self.context
        if context is None or not self.connected:
            return fail(NotConnectedError(
                "connection not ready" if self.connected else "connection is closed",
                node=self.peer, op=op_name(op_code)))
        pending = self._pending
        request_id = pending.next_id()
        codec = self.codec
        try:
            frame = m.encode_request(request_id, op_code, args, context, codec)
        except TxKVError:
            return fail()
        d = pending.add(request_id, ops.OP_NAMES.get(op_code) or op_name(op_code), timeout)
        if codec.unregistered:
            self._register_then_send(request_id, frame)
        else:
            self._last_write = self.clock.seconds()
            if len(pending) == 1:
                write_now(self.transport, bytes(frame))  # alone in flight: send at once
            else:
                self.transport.write(bytes(frame))  # type: ignore[union-attr]
        if include_field_names or column_count:
            d.addCallback(self._decode, op_code, include_field_names, column_count, 0)
        else:
            d.addCallback(self._decode_body, op_code)
        return d

    def _decode_body(self, reply: Tuple[ResponseHeader, bytes], op_code: int) -> Any:
        """:meth:`_decode` for the common case (no SQL-fields decoding options)."""
        header, payload = reply
        if header.status == 0:
            try:
                return m.decode_response_body(op_code, payload, header.body_offset,
                                              self.context, self.codec)
            except MissingSchemaError:
                pass
        return self._decode(reply, op_code, False, 0, 0)

    def _decode(self, reply: Tuple[ResponseHeader, bytes], op_code: int,
                include_field_names: bool, column_count: int, fetched: int) -> Any:
        header, payload = reply
        if header.status != 0:
            raise error_for(op_code, header.status, header.message, self.peer)
        assert self.context is not None
        try:
            return m.decode_response_body(
                op_code, payload, header.body_offset, self.context, self.codec,
                include_field_names=include_field_names, column_count=column_count)
        except MissingSchemaError as missing:
            if fetched >= _MAX_SCHEMA_FETCHES:
                raise
            return self._fetch_type(missing).addCallback(
                lambda _: self._decode(reply, op_code, include_field_names, column_count,
                                       fetched + 1))

    def _fetch_type(self, missing: MissingSchemaError) -> Deferred[None]:
        """Load the metadata of a type a reply needs (OP_GET_BINARY_TYPE) into the registry."""
        registry = self.codec.registry

        def store(info: Optional[BinaryTypeInfo]) -> None:
            if info is not None:
                registry.put(info)
            if not registry.has_schema(missing.type_id, missing.schema_id):
                raise MissingSchemaError(missing.type_id, missing.schema_id, node=self.peer)

        return self.request(ops.OP_GET_BINARY_TYPE, m.TypeIdOp(missing.type_id)).addCallback(
            store)

    # -- registering the classes of written complex objects ---------------------------------------

    def _register_then_send(self, request_id: int, frame: bytearray) -> None:
        classes = self.codec.take_unregistered()
        waits = [self._register_class(cls) for cls in classes]

        def send(_: object) -> None:
            if request_id in self._pending and self.connected:
                self._write(frame)

        def failed(failure: Failure) -> None:
            self._pending.error(request_id, failure)

        gather(waits).addCallbacks(send, failed)

    def _register_class(self, data_class: Any) -> Deferred[None]:
        """OP_GET_BINARY_TYPE + OP_PUT_BINARY_TYPE for a class (once per type and schema)."""
        key = (data_class.type_id, data_class.schema_id)
        registrations = self.factory.registrations
        running = registrations.get(key)
        if running is not None:
            return running.wait()
        registry = self.codec.registry

        def merge_and_put(existing: Optional[BinaryTypeInfo]) -> Deferred[Any]:
            if existing is not None:
                registry.put(existing)
            merged = registry.put(BinaryTypeInfo.from_class(data_class))
            return self.request(ops.OP_PUT_BINARY_TYPE, m.PutBinaryTypeOp(merged))

        def done(result: object) -> object:
            registrations.pop(key, None)
            if not isinstance(result, Failure):
                self.codec.register_class(data_class)
            return result

        d = self.request(ops.OP_GET_BINARY_TYPE, m.TypeIdOp(data_class.type_id))
        d.addCallback(merge_and_put).addBoth(done)
        shared = SharedResult(d)
        if not d.called:
            registrations[key] = shared
        return shared.wait()


class SharedResult:
    """The outcome of one Deferred, handed to any number of waiters (it consumes the source)."""

    def __init__(self, source: Deferred[Any]) -> None:
        self._done = False
        self._result: Any = None
        self._waiters: list[Deferred[Any]] = []
        source.addBoth(self._fire)

    def _fire(self, result: object) -> None:
        self._done = True
        self._result = result
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            self._give(waiter)

    def _give(self, waiter: Deferred[Any]) -> None:
        if isinstance(self._result, Failure):
            waiter.errback(self._result)
        else:
            waiter.callback(self._result)

    def wait(self) -> Deferred[Any]:
        """A new Deferred with the source's result (or failure)."""
        waiter: Deferred[Any] = Deferred()
        if self._done:
            self._give(waiter)
        else:
            self._waiters.append(waiter)
        return waiter


def gather(deferreds: Iterable[Deferred[Any]]) -> Deferred[None]:
    """Fire with None once every Deferred succeeded; fail with the first failure."""
    items = list(deferreds)
    if not items:
        return succeed(None)
    out: Deferred[None] = Deferred()
    remaining = [len(items)]

    def ok(_: object) -> None:
        remaining[0] -= 1
        if remaining[0] == 0 and not out.called:
            out.callback(None)

    def bad(failure: Failure) -> None:
        if not out.called:
            out.errback(failure)

    for d in items:
        d.addCallbacks(ok, bad)
    return out
