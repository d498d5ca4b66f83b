"""What the Kyoto Tycoon and Tokyo Tyrant clients share: the seed's constructor arguments, the
value codec, and connections from :class:`txkv.connection.ConnectionManager` (failover across
a node list, ``pool_size`` pipelined connections per node, TLS)."""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from twisted.internet.defer import Deferred
from twisted.logger import Logger
from twisted.python.failure import Failure

from txkv.kyoto.serializers import KT_BINARY, Decoder, Encoder, decode_key, value_codec

__all__ = ["ManagedClient", "first_error"]

_log = Logger(namespace="txkv.kyoto.client")


class ManagedClient:
    """Base of :class:`~txkv.kyoto.KyotoTycoon` and :class:`~txkv.kyoto.TokyoTyrant`.

    :param host: server host (ignored when ``nodes`` is given).
    :param port: server port.
    :param serializer: value serializer constant (``KT_BINARY``...) or a
        :class:`txkv.serializers.Serializer`.
    :param decode_keys: return keys as str (UTF-8; bytes when not valid UTF-8), else bytes.
    :param timeout: seconds before a request fails with RequestTimeoutError (None: never).
    :param nodes: ``"host:port"`` strings, endpoint strings or endpoints to fail over across.
    :param reactor: reactor (tests: a memory reactor); default the global reactor.
    :param tls: TLS for ``host:port`` nodes (see :func:`txkv.tls.client_tls`).
    :param pool_size: connections per node (and per connection kind).
    :param retry_policy: ``failed attempts -> delay`` for reconnecting.
    :param connect_timeout: seconds to wait for a connection before a request fails.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 1978,
        serializer: Any = KT_BINARY,
        decode_keys: bool = True,
        timeout: Optional[float] = None,
        *,
        nodes: Optional[Sequence[Any]] = None,
        reactor: Any = None,
        tls: Any = None,
        pool_size: int = 1,
        retry_policy: Optional[Callable[[int], float]] = None,
        connect_timeout: float = 10.0,
    ) -> None:
        if reactor is None:
            from twisted.internet import reactor as _reactor

            reactor = _reactor
        self.host = host
        self.port = port
        self.reactor = reactor
        self.serializer = serializer
        self.encode_value, self.decode_value = self._value_codec(serializer)
        self.decode_keys = decode_keys
        self.timeout = timeout
        self.nodes: List[Any] = list(nodes) if nodes else [f"{host}:{port}"]
        self.tls = tls
        self.pool_size = pool_size
        self.retry_policy = retry_policy
        self.connect_timeout = connect_timeout

    @staticmethod
    def _value_codec(serializer: Any) -> Tuple[Encoder, Decoder]:
        return value_codec(serializer)

    def _start_manager(self, factory: Any) -> Any:
        """A started :class:`~txkv.connection.ConnectionManager` over :attr:`nodes`."""
        from txkv.connection import ConnectionManager

        kwargs: Dict[str, Any] = {"reactor": self.reactor, "tls": self.tls,
                                  "pool_size": self.pool_size,
                                  "connect_timeout": self.connect_timeout}
        if self.retry_policy is not None:
            kwargs["retry_policy"] = self.retry_policy
        manager = ConnectionManager(self.nodes, factory, **kwargs)
        manager.startService()
        return manager

    def _live_connection(self, manager: Any) -> Deferred[Any]:
        """A connection of ``manager``: fails (ReconnectError) once every node failed an
        attempt, or after ``connect_timeout``; never waits forever."""
        d: Deferred[Any] = manager.whenConnected(failAfterFailures=1,
                                                 timeout=self.connect_timeout)
        return d

    def _ready(self, proto: Any) -> bool:
        """Whether ``proto`` (the connection used last) can take a request at once: with one
        connection per node, requests skip asking the manager while it stays usable."""
        return proto is not None and self.pool_size == 1 and proto.usable

    def checkin(self) -> None:
        """Seed compatibility: connections are pooled automatically; nothing to return."""

    def _key(self, data: bytes) -> Any:
        return decode_key(data, self.decode_keys)

    # ``len()`` and ``in`` must answer at once, which a network client cannot: point to the
    # Deferred forms instead of answering wrongly (a Deferred is always true)

    def __contains__(self, key: object) -> bool:
        raise TypeError("'in' needs an immediate answer: use `await client.contains(key)`")

    def __len__(self) -> int:
        raise TypeError("len() needs an immediate answer: use `await client.len()`")

    def __bool__(self) -> bool:
        # ``__len__`` cannot be asynchronous: keep truthiness independent of it
        return True

    def __iter__(self) -> Any:
        # without this, ``__getitem__`` would make ``iter(client)`` call client[0], client[1]...
        # forever
        raise TypeError("a client is not iterable: scan it with `keys()`")

    def _log_unobserved(self, d: Deferred[Any], op: str) -> None:
        """Log the failure of a request whose Deferred nobody can see (``client[k] = v``)."""

        def log(failure: Any) -> None:
            _log.failure("{op} failed (use the Deferred-returning method to observe errors)",
                         failure, op=op)

        d.addErrback(log)


def first_error(failure: Failure) -> Failure:
    """Errback for ``gatherResults(..., consumeErrors=True)``: the first request's own failure
    instead of the :class:`~twisted.internet.defer.FirstError` wrapping it."""
    sub = getattr(failure.value, "subFailure", None)
    return sub if isinstance(sub, Failure) else failure
