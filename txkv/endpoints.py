"""Turn the ways users name a server node into Twisted client endpoints.

A node may be given as

* any :class:`~twisted.internet.interfaces.IStreamClientEndpoint` (used as is);
* a ``(name, endpoint)`` pair, to give such an endpoint a readable address;
* ``"host:port"``, ``"[::1]:port"``, ``"host"`` / ``"[::1]"`` (with a default port), or a
  ``("host", port)`` tuple — connected with :class:`~twisted.internet.endpoints.HostnameEndpoint`
  and, when ``tls`` is given, wrapped with :func:`~twisted.internet.endpoints.wrapClientTLS`;
* a Twisted endpoint description such as ``"tcp:host=example.com:port=10800"``,
  ``"tls:example.com:443"`` or ``"unix:/run/store.sock"``
  (see :func:`~twisted.internet.endpoints.clientFromString`).

:func:`parse_nodes` also accepts a comma-separated string (``"a:1,b:2"``) or a list of the above.
Every bad spec raises :class:`~txkv.errors.ParameterError` naming the spec.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable, Iterable, List, Optional, Tuple, Union

from twisted.internet.endpoints import HostnameEndpoint, clientFromString, wrapClientTLS
from twisted.internet.interfaces import IOpenSSLClientConnectionCreator, IStreamClientEndpoint

from txkv.errors import ParameterError

__all__ = [
    "NodeSpec",
    "TLSOption",
    "NodeEndpoint",
    "parse_node",
    "parse_nodes",
    "describe_endpoint",
    "format_address",
    "set_no_delay",
]

#: A client TLS policy: a connection creator, or a callable ``hostname -> connection creator``
#: (for instance ``txkv.tls.client_tls`` partially applied) so each node is verified by its name.
TLSOption = Union[IOpenSSLClientConnectionCreator, Callable[[str], IOpenSSLClientConnectionCreator]]

#: Everything :func:`parse_node` accepts.
NodeSpec = Union[IStreamClientEndpoint, str, Tuple[str, int], Tuple[str, IStreamClientEndpoint]]

_HOST_PORT = re.compile(r"^(?P<host>[^\s:\[\]/=,]+)(?::(?P<port>\d+))?$")
_BRACKETED = re.compile(r"^\[(?P<host>[0-9A-Fa-f:.%\w]+)\](?::(?P<port>\d+))?$")
_ENDPOINT_TYPE = re.compile(r"^[A-Za-z][A-Za-z0-9+._-]*:")


@dataclass(frozen=True)
class NodeEndpoint:
    """A parsed node: how to name it and how to reach it.

    :ivar address: ``"host:port"`` (``"[v6]:port"``) or a description of the endpoint; used in
        logs, errors (``ReconnectError.errors`` keys) and :meth:`ConnectionManager.connection_for`.
    :ivar endpoint: the client endpoint to connect with.
    :ivar host: the host name, when the node was given as host and port.
    :ivar port: the port, when the node was given as host and port.
    """

    address: str
    endpoint: IStreamClientEndpoint
    host: Optional[str] = None
    port: Optional[int] = None


def format_address(host: str, port: int) -> str:
    """``host:port``, with IPv6 literals in brackets."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def describe_endpoint(endpoint: IStreamClientEndpoint) -> str:
    """A readable address for an endpoint object (``host:port`` when it can be found)."""
    inner = getattr(endpoint, "_wrappedEndpoint", None)
    if inner is not None:
        return describe_endpoint(inner)
    host = getattr(endpoint, "_hostText", None) or getattr(endpoint, "_host", None)
    port = getattr(endpoint, "_port", None)
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if isinstance(host, str) and isinstance(port, int):
        return format_address(host, port)
    path = getattr(endpoint, "_path", None)
    if isinstance(path, (str, bytes)):
        return f"unix:{path if isinstance(path, str) else path.decode('utf-8', 'replace')}"
    return repr(endpoint)


def _check_port(spec: object, port: object) -> int:
    if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
        raise ParameterError(f"bad port {port!r} in node {spec!r}: expected 1..65535")
    return port


def _creator_for(tls: TLSOption, host: str) -> IOpenSSLClientConnectionCreator:
    if IOpenSSLClientConnectionCreator.providedBy(tls):
        return tls
    if callable(tls):
        return tls(host)
    raise ParameterError(
        f"tls must be an IOpenSSLClientConnectionCreator or a callable hostname -> creator, "
        f"not {tls!r}"
    )


def _host_port_node(
    spec: object,
    host: str,
    port: Optional[int],
    reactor: Any,
    tls: Optional[TLSOption],
    default_port: Optional[int],
    timeout: float,
) -> NodeEndpoint:
    if not host:
        raise ParameterError(f"empty host in node {spec!r}")
    if port is None:
        if default_port is None:
            raise ParameterError(f"node {spec!r} has no port and no default port was given")
        port = default_port
    port = _check_port(spec, port)
    endpoint: IStreamClientEndpoint = HostnameEndpoint(reactor, host, port, timeout=timeout)
    if tls is not None:
        endpoint = wrapClientTLS(_creator_for(tls, host), endpoint)
    return NodeEndpoint(format_address(host, port), endpoint, host, port)


def _parse_string(
    spec: str,
    reactor: Any,
    tls: Optional[TLSOption],
    default_port: Optional[int],
    timeout: float,
) -> NodeEndpoint:
    text = spec.strip()
    if not text:
        raise ParameterError("empty node specification")
    for pattern in (_BRACKETED, _HOST_PORT):
        match = pattern.match(text)
        if match:
            port = match.group("port")
            return _host_port_node(
                spec, match.group("host"), int(port) if port else None,
                reactor, tls, default_port, timeout,
            )
    if not _ENDPOINT_TYPE.match(text):
        raise ParameterError(
            f"cannot parse node {spec!r}: expected host:port, [ipv6]:port or an endpoint "
            f"description such as tcp:host=HOST:port=PORT"
        )
    try:
        endpoint = clientFromString(reactor, text)
    except Exception as exc:  # clientFromString raises ValueError, KeyError, TypeError...
        raise ParameterError(f"bad endpoint description {spec!r}: {exc}") from exc
    return NodeEndpoint(text, endpoint)


def parse_node(
    spec: NodeSpec,
    reactor: Any = None,
    tls: Optional[TLSOption] = None,
    default_port: Optional[int] = None,
    timeout: float = 30.0,
) -> NodeEndpoint:
    """Parse one node specification (see the module docstring for the accepted forms).

    :param reactor: reactor for the endpoints (the global reactor when ``None``).
    :param tls: for host/port nodes, a connection creator or ``hostname -> creator`` callable;
        the endpoint is then wrapped with ``wrapClientTLS``.  Endpoints and endpoint strings
        carry their own transport settings and are not wrapped.
    :param default_port: port for specs that name only a host.
    :param timeout: connect timeout (seconds) of host/port endpoints.
    :raises ParameterError: the spec cannot be understood.
    """
    if reactor is None:
        from twisted.internet import reactor as _global

        reactor = _global
    if IStreamClientEndpoint.providedBy(spec):
        return NodeEndpoint(describe_endpoint(spec), spec)
    if isinstance(spec, str):
        return _parse_string(spec, reactor, tls, default_port, timeout)
    if isinstance(spec, tuple) and len(spec) == 2 and isinstance(spec[0], str):
        first, second = spec
        if IStreamClientEndpoint.providedBy(second):
            if not first:
                raise ParameterError(f"empty name in node {spec!r}")
            return NodeEndpoint(first, second)
        host = first[1:-1] if first.startswith("[") and first.endswith("]") else first
        return _host_port_node(spec, host, _check_port(spec, second), reactor, tls,
                               default_port, timeout)
    raise ParameterError(
        f"cannot use {spec!r} as a node: give an IStreamClientEndpoint, 'host:port', "
        f"('host', port) or an endpoint description"
    )


def parse_nodes(
    specs: Union[str, NodeSpec, Iterable[NodeSpec]],
    reactor: Any = None,
    tls: Optional[TLSOption] = None,
    default_port: Optional[int] = None,
    timeout: float = 30.0,
) -> List[NodeEndpoint]:
    """Parse a node list: a comma-separated string, one node, or an iterable of nodes.

    :raises ParameterError: the list is empty, a spec is bad, or two nodes share an address.
    """
    items: List[Any]
    if isinstance(specs, str):
        items = [part for part in specs.split(",") if part.strip()]
    elif IStreamClientEndpoint.providedBy(specs) or (
        isinstance(specs, tuple) and len(specs) == 2 and isinstance(specs[0], str)
        and not isinstance(specs[1], str)
    ):
        items = [specs]
    else:
        try:
            items = list(specs)
        except TypeError:
            raise ParameterError(f"cannot use {specs!r} as a node list") from None
    if not items:
        raise ParameterError("no nodes given")
    nodes = [parse_node(item, reactor, tls, default_port, timeout) for item in items]
    seen: set[str] = set()
    for node in nodes:
        if node.address in seen:
            raise ParameterError(f"node {node.address} is listed twice")
        seen.add(node.address)
    return nodes


def set_no_delay(transport: Any) -> None:
    """Turn Nagle's algorithm off on a TCP transport (TLS-wrapped or not).

    A request/reply protocol writes small frames; with Nagle on, a frame written while an
    earlier one is unacknowledged waits for the peer's (possibly delayed) ACK.
    """
    setter = getattr(transport, "setTcpNoDelay", None)
    if setter is None:
        return
    try:
        setter(True)
    except (OSError, AttributeError, NotImplementedError):
        pass  # not a TCP socket (UNIX socket, in-memory transport...)
