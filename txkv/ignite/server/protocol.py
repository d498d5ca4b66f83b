"""The Twisted side of one node: a protocol per client connection, and its factory.

A connection starts with the handshake (10 s limit on the reactor's clock; a first message
that is not a handshake closes it; a refused handshake leaves it open for another try), then
serves requests in order.  A frame that cannot be parsed closes the connection without a
reply, as Ignite does; an exception in a handler becomes a status-1 reply and is logged.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, List, Optional, Set, Union

from twisted.internet.interfaces import IAddress, IDelayedCall
from twisted.internet.protocol import Factory, Protocol, connectionDone
from twisted.logger import Logger
from twisted.python.failure import Failure

from txkv.endpoints import set_no_delay
from txkv.ignite.codec import ops
from txkv.ignite.codec.frames import (
    FrameReader,
    HandshakeRequest,
    decode_handshake_request,
    encode_error_response,
    encode_handshake_failure,
    encode_handshake_success,
)
from txkv.ignite.codec.messages import decode_request, encode_response
from txkv.ignite.codec.ops import ProtocolContext, version_string

from .session import Session
from .status import OpError

if TYPE_CHECKING:
    from .cluster import IgniteCluster, IgniteNode

__all__ = ["IgniteServerProtocol", "IgniteServerFactory"]

_log = Logger(namespace="txkv.ignite.server")

AUTH_MISSING = "Unauthenticated sessions are prohibited."


class IgniteServerProtocol(Protocol):
    """One client connection to one node."""

    def __init__(self, cluster: IgniteCluster, node: IgniteNode) -> None:
        self.cluster = cluster
        self.node = node
        self.session: Optional[Session] = None
        self.reader = FrameReader(cluster.options.max_frame_size)
        self.closing = False
        self._handshake_timer: Optional[IDelayedCall] = None

    # -- connection lifecycle ---------------------------------------------------------------

    def connectionMade(self) -> None:
        set_no_delay(self.transport)
        self.node.factory.connections.add(self)
        timeout = self.cluster.options.handshake_timeout
        if timeout and timeout > 0:
            self._handshake_timer = self.cluster.reactor.callLater(
                timeout, self._handshake_expired)

    def connectionLost(self, reason: Failure = connectionDone) -> None:
        self.closing = True
        self.node.factory.connections.discard(self)
        self._cancel_handshake_timer()
        if self.session is not None:
            self.session.close()
            self.session = None

    def _cancel_handshake_timer(self) -> None:
        timer, self._handshake_timer = self._handshake_timer, None
        if timer is not None and timer.active():
            timer.cancel()

    def _handshake_expired(self) -> None:
        self._handshake_timer = None
        if self.session is None and not self.closing:
            _log.info("Ignite client {peer} sent no handshake in time; closing", peer=self._peer())
            self.drop()

    def drop(self) -> None:
        """Close the connection at once, without a reply."""
        if self.closing:
            return
        self.closing = True
        if self.transport is not None:
            self.transport.abortConnection()  # type: ignore[attr-defined]

    def _peer(self) -> str:
        try:
            return str(self.transport.getPeer())  # type: ignore[union-attr]
        except Exception:
            return "?"

    # -- input ------------------------------------------------------------------------------

    def dataReceived(self, data: bytes) -> None:
        if self.closing:
            return
        try:
            frames = self.reader.feed(data)
        except Exception as exc:
            _log.warn("Ignite client {peer} sent a bad frame ({error}); closing",
                      peer=self._peer(), error=str(exc))
            self.drop()
            return
        for payload in frames:
            if self.closing:
                return
            if self.session is None:
                self._on_handshake(payload)
            else:
                self._on_request(payload)

    def _write(self, frame: Union[bytes, bytearray]) -> None:
        if not self.closing and self.transport is not None:
            self.transport.write(bytes(frame))

    # -- handshake --------------------------------------------------------------------------

    def _on_handshake(self, payload: bytes) -> None:
        try:
            request = decode_handshake_request(payload)
        except Exception as exc:
            _log.info("Ignite client {peer}: bad handshake ({error}); closing",
                      peer=self._peer(), error=str(exc))
            self.drop()
            return
        options = self.cluster.options
        if request.client_code != ops.CLIENT_CODE_THIN:
            self._refuse(request, options.max_version,
                         f"Unsupported client type: {request.client_code}", ops.STATUS_FAILED)
            return
        if not options.accepts(request.version):
            self._refuse(request, options.max_version,
                         f"Unsupported version: {version_string(request.version)}",
                         ops.STATUS_FAILED)
            return
        if options.auth is not None:
            user, password = options.auth
            if not request.username:
                self._refuse(request, (0, 0, 0), AUTH_MISSING, ops.STATUS_AUTH_FAILED)
                return
            if request.username != user or request.password != password:
                self._refuse(request, (0, 0, 0),
                             "The user name or password is incorrect "
                             f"[userName={request.username}]", ops.STATUS_AUTH_FAILED)
                return
        features: frozenset = frozenset()
        if request.version >= (1, 7, 0):
            features = request.feature_set & frozenset(int(f) for f in options.features)
        proto = ProtocolContext(request.version, features)
        self.session = Session(self.cluster, self.node, proto, request.username,
                               request.user_attributes)
        self._cancel_handshake_timer()
        self._write(encode_handshake_success(request.version, features=sorted(features),
                                             node_id=self.node.node_id))

    def _refuse(self, request: HandshakeRequest, version: ops.ProtocolVersion, message: str,
                status: int) -> None:
        _log.info("Ignite client {peer}: handshake refused: {message}", peer=self._peer(),
                  message=message)
        self._write(encode_handshake_failure(version, message, client_version=request.version,
                                             status=status))

    # -- requests ---------------------------------------------------------------------------

    def _on_request(self, payload: bytes) -> None:
        session = self.session
        assert session is not None
        proto = session.proto
        try:
            request = decode_request(payload, proto)
        except Exception as exc:
            _log.warn("Ignite client {peer} sent a malformed request ({error}); closing",
                      peer=self._peer(), error=str(exc))
            self.drop()
            return
        op_code, request_id = request.op_code, request.request_id
        try:
            if request.args is None:
                raise OpError(ops.STATUS_INVALID_OP_CODE, f"Invalid request op code: {op_code}")
            result = self.cluster.dispatcher.handle(session, op_code, request.args)
            frame = encode_response(request_id, op_code, result, proto,
                                    topology=session.topology_update())
        except OpError as exc:
            self._error(session, request_id, exc.status, exc.message)
            return
        except Exception as exc:
            _log.failure("Ignite request {op} failed", op=ops.op_name(op_code))
            self._error(session, request_id, ops.STATUS_FAILED,
                        str(exc) or exc.__class__.__name__)
            return
        self._write(frame)

    def _error(self, session: Session, request_id: int, status: int, message: str) -> None:
        self._write(encode_error_response(request_id, status, message,
                                          status_flags=session.proto.status_flags,
                                          topology=session.topology_update()))


class IgniteServerFactory(Factory):
    """Builds the protocol of each connection to one node."""

    def __init__(self, cluster: IgniteCluster, node: IgniteNode) -> None:
        self.cluster = cluster
        self.node = node
        self.connections: Set[IgniteServerProtocol] = set()

    def buildProtocol(self, addr: Optional[IAddress]) -> Optional[Protocol]:
        return IgniteServerProtocol(self.cluster, self.node)

    def close_connections(self) -> None:
        """Abort every open connection of this node."""
        live: List[Any] = list(self.connections)
        for proto in live:
            proto.drop()
