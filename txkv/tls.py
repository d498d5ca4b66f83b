"""TLS for txkv clients and embedded servers.

Clients verify by default: :func:`client_tls` returns a connection creator made by
:func:`~twisted.internet.ssl.optionsForClientTLS`, which checks the server's certificate chain
against the trusted authorities *and* the host name (with ``service_identity``), and sends SNI.
Trust is the platform store unless ``ca_file``/``ca_data`` names the authorities to trust
instead.  A client certificate (mutual TLS) comes from PEM files.

Turning verification off takes an explicit ``verify=False`` and logs a warning every time such a
creator is built.

:class:`TLSOptions` holds one TLS policy for a multi-node client and makes a creator per node
(each node verified under its own host name); it is also a ``hostname -> creator`` callable, the
form :mod:`txkv.endpoints` accepts as ``tls=``.

:func:`server_tls` builds the context factory of an embedded server (``--tls cert,key[,ca]``,
see :func:`server_tls_from_string`).

Unreadable files and bad PEM raise :class:`~txkv.errors.ParameterError` naming the file; key
material and passwords never appear in messages or logs.
"""

from __future__ import annotations

import os
from typing import Any, List, Optional, Sequence, Union

import attrs
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    PublicFormat,
    load_pem_private_key,
)
from OpenSSL.crypto import X509
from OpenSSL.SSL import Connection
from twisted.internet.abstract import isIPAddress, isIPv6Address
from twisted.internet.endpoints import wrapClientTLS
from twisted.internet.interfaces import (
    IOpenSSLClientConnectionCreator,
    IStreamClientEndpoint,
)
from twisted.internet.ssl import (
    AcceptableCiphers,
    Certificate,
    CertificateOptions,
    TLSVersion,
    optionsForClientTLS,
    platformTrust,
    trustRootFromCertificates,
)
from twisted.logger import Logger
from twisted.protocols.tls import TLSMemoryBIOProtocol
from zope.interface import implementer

from txkv.errors import ParameterError

__all__ = [
    "TLSOptions",
    "client_tls",
    "server_tls",
    "server_tls_from_string",
    "wrap_endpoint",
]

log = Logger(namespace="txkv.tls")

#: A file path as accepted everywhere in this module.
PathType = Union[str, os.PathLike]
#: A private key password.
Password = Union[str, bytes]


# -- loading PEM ---------------------------------------------------------------------------------


def _read(path: PathType, what: str) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as e:
        raise ParameterError(f"cannot read {what} file {os.fspath(path)!r}: {e.strerror}") from None


def _parse_certificates(data: bytes, source: str) -> List[x509.Certificate]:
    try:
        certs = x509.load_pem_x509_certificates(data)
    except ValueError:
        certs = []
    if not certs:
        raise ParameterError(f"no PEM certificate could be read from {source}")
    return certs


def _load_certificates(path: PathType, what: str) -> List[x509.Certificate]:
    return _parse_certificates(_read(path, what), f"{what} file {os.fspath(path)!r}")


#: Private key types usable for TLS authentication.
_SIGNING_KEYS = (
    rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey, ed25519.Ed25519PrivateKey,
    ed448.Ed448PrivateKey, dsa.DSAPrivateKey,
)


def _load_private_key(path: PathType, password: Optional[Password]) -> Any:
    source = f"private key file {os.fspath(path)!r}"
    data = _read(path, "private key")
    secret = password.encode("utf-8") if isinstance(password, str) else password
    try:
        try:
            key = load_pem_private_key(data, secret)
        except TypeError:
            if secret is None:
                raise ParameterError(f"{source} is encrypted: pass key_password") from None
            key = load_pem_private_key(data, None)  # a password for a plain key is harmless
    except ValueError:
        raise ParameterError(
            f"no usable PEM private key in {source} (bad PEM, unsupported key, or wrong "
            f"password)"
        ) from None
    if not isinstance(key, _SIGNING_KEYS):
        raise ParameterError(f"{source} holds a {type(key).__name__}, which cannot sign for TLS")
    return key


def _spki(public_key: Any) -> bytes:
    spki: bytes = public_key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    return spki


@attrs.frozen
class _Identity:
    """A certificate, its private key and the intermediates to send with it, as the
    ``certificate``/``privateKey``/``extraCertChain`` options of ``CertificateOptions``
    (``cryptography`` objects, which pyOpenSSL prefers to its own wrappers)."""

    certificate: x509.Certificate
    key: Any
    chain: List[x509.Certificate]

    def options(self) -> dict[str, Any]:
        return {
            "certificate": self.certificate,
            "privateKey": self.key,
            "extraCertChain": self.chain or None,
        }


def _load_identity(
    cert_file: PathType, key_file: Optional[PathType], password: Optional[Password]
) -> _Identity:
    """The certificate + key (``key_file`` defaults to ``cert_file``, a combined PEM) and the
    rest of the certificate file's chain."""
    chain = _load_certificates(cert_file, "certificate")
    key_path = cert_file if key_file is None else key_file
    key = _load_private_key(key_path, password)
    if _spki(chain[0].public_key()) != _spki(key.public_key()):
        raise ParameterError(
            f"private key file {os.fspath(key_path)!r} does not match the certificate in "
            f"{os.fspath(cert_file)!r}"
        )
    return _Identity(chain[0], key, chain[1:])


def _trust_root(
    ca_file: Optional[PathType], ca_data: Optional[Union[str, bytes]]
) -> Any:
    """A trust root for the given authorities, or ``None`` when neither is given."""
    if ca_file is not None and ca_data is not None:
        raise ParameterError("give ca_file or ca_data, not both")
    if ca_file is not None:
        certs = _load_certificates(ca_file, "CA")
    elif ca_data is not None:
        data = ca_data.encode("ascii") if isinstance(ca_data, str) else ca_data
        certs = _parse_certificates(data, "ca_data")
    else:
        return None
    return trustRootFromCertificates([Certificate(X509.from_cryptography(c)) for c in certs])


# -- client --------------------------------------------------------------------------------------


@implementer(IOpenSSLClientConnectionCreator)
class _UnverifiedClientCreator:
    """Client connections that accept any server certificate; still send SNI for DNS names."""

    def __init__(self, options: CertificateOptions, hostname: str) -> None:
        self._options = options
        self._hostname = hostname
        self._server_name: Optional[bytes] = None
        if not (isIPAddress(hostname) or isIPv6Address(hostname)):
            try:
                self._server_name = hostname.encode("idna")
            except UnicodeError as e:
                raise ParameterError(f"bad TLS host name {hostname!r}: {e}") from None

    def clientConnectionForTLS(self, tlsProtocol: TLSMemoryBIOProtocol) -> Connection:
        connection = self._options.clientConnectionForTLS(tlsProtocol)
        if self._server_name:
            connection.set_tlsext_host_name(self._server_name)
        return connection

    def __repr__(self) -> str:
        return f"<unverified TLS client creator for {self._hostname!r}>"


def _check_hostname(hostname: object) -> str:
    if not isinstance(hostname, str) or not hostname:
        raise ParameterError(
            f"TLS needs the server's host name as a non-empty str, not {hostname!r}"
        )
    return hostname


def client_tls(
    hostname: str,
    *,
    ca_file: Optional[PathType] = None,
    ca_data: Optional[Union[str, bytes]] = None,
    client_cert: Optional[PathType] = None,
    client_key: Optional[PathType] = None,
    key_password: Optional[Password] = None,
    verify: bool = True,
    acceptable_protocols: Optional[Sequence[bytes]] = None,
    ciphers: Optional[str] = None,
    minimum_version: Optional[TLSVersion] = None,
) -> IOpenSSLClientConnectionCreator:
    """A client TLS connection creator for a server reached as ``hostname``.

    :param hostname: the name (or IP address) the server's certificate must carry; also sent as
        SNI when it is a DNS name.
    :param ca_file: PEM file of the authorities to trust (one or more certificates) instead of
        the platform's trust store.
    :param ca_data: the same as PEM text or bytes (exclusive with ``ca_file``).
    :param client_cert: PEM file with the client certificate (followed by any intermediate
        certificates, and optionally by the key) for servers that require one.
    :param client_key: PEM file with the client's private key (default: read from
        ``client_cert``).
    :param key_password: password of an encrypted private key.
    :param verify: ``False`` disables certificate *and* host name checks (CA options are then
        ignored) and logs a warning; use only for throw-away test setups.
    :param acceptable_protocols: ALPN protocol names, most preferred first.
    :param ciphers: an OpenSSL cipher string restricting the cipher suites offered.
    :param minimum_version: the oldest TLS version accepted (a ``twisted.internet.ssl.
        TLSVersion``; it can only raise Twisted's secure default).
    :raises ParameterError: bad host name, unreadable file, bad PEM, key/certificate mismatch,
        a cipher string matching no cipher.
    """
    _check_hostname(hostname)
    if not isinstance(verify, bool):
        raise ParameterError(f"verify must be True or False, not {verify!r}")
    if client_key is not None and client_cert is None:
        raise ParameterError("client_key was given without client_cert")
    identity: dict[str, Any] = {}
    if client_cert is not None:
        identity = _load_identity(client_cert, client_key, key_password).options()
    protocols = list(acceptable_protocols) if acceptable_protocols is not None else None
    if ciphers is not None:
        identity["acceptableCiphers"] = AcceptableCiphers.fromOpenSSLCipherString(ciphers)
    if minimum_version is not None:
        identity["raiseMinimumTo"] = minimum_version

    if not verify:
        try:
            options = CertificateOptions(verify=False, acceptableProtocols=protocols,
                                         **identity)
        except ValueError as e:
            raise ParameterError(f"bad TLS options: {e}") from None
        unverified = _UnverifiedClientCreator(options, hostname)
        log.warn(
            "TLS verification is DISABLED for {hostname}: any certificate is accepted, so the "
            "connection can be intercepted",
            hostname=hostname,
        )
        return unverified

    trust = _trust_root(ca_file, ca_data)
    try:
        creator: IOpenSSLClientConnectionCreator = optionsForClientTLS(
            hostname,
            trustRoot=trust if trust is not None else platformTrust(),
            acceptableProtocols=protocols,
            extraCertificateOptions=identity,
        )
    except (ValueError, UnicodeError) as e:
        raise ParameterError(f"bad TLS host name or options for {hostname!r}: {e}") from None
    return creator


@attrs.frozen(kw_only=True)
class TLSOptions:
    """One client TLS policy, turned into a creator per node by :meth:`creator_for`.

    The fields mean what :func:`client_tls`'s parameters mean; ``hostname`` is only the
    default for :meth:`creator`.  An instance is also a ``hostname -> creator`` callable, so
    it can be passed as ``tls=`` to :func:`txkv.endpoints.parse_nodes` and the clients, and
    each ``host:port`` node is verified under its own host name.  Files are read each time a
    creator is made, so a renewed certificate is picked up by the next connection.
    """

    hostname: Optional[str] = None
    ca_file: Optional[PathType] = None
    ca_data: Optional[Union[str, bytes]] = attrs.field(default=None, repr=False)
    client_cert: Optional[PathType] = None
    client_key: Optional[PathType] = None
    key_password: Optional[Password] = attrs.field(default=None, repr=False)
    verify: bool = True
    acceptable_protocols: Optional[Sequence[bytes]] = None
    ciphers: Optional[str] = None
    minimum_version: Optional[TLSVersion] = None

    def creator_for(self, hostname: str) -> IOpenSSLClientConnectionCreator:
        """A connection creator verifying the server as ``hostname``."""
        return client_tls(
            hostname,
            ca_file=self.ca_file,
            ca_data=self.ca_data,
            client_cert=self.client_cert,
            client_key=self.client_key,
            key_password=self.key_password,
            verify=self.verify,
            acceptable_protocols=self.acceptable_protocols,
            ciphers=self.ciphers,
            minimum_version=self.minimum_version,
        )

    def creator(self) -> IOpenSSLClientConnectionCreator:
        """A connection creator for :attr:`hostname`."""
        if self.hostname is None:
            raise ParameterError("TLSOptions.hostname is not set; use creator_for(hostname)")
        return self.creator_for(self.hostname)

    def __call__(self, hostname: str) -> IOpenSSLClientConnectionCreator:
        return self.creator_for(hostname)


def wrap_endpoint(
    endpoint: IStreamClientEndpoint,
    creator: Union[IOpenSSLClientConnectionCreator, TLSOptions],
) -> IStreamClientEndpoint:
    """``endpoint`` upgraded to TLS as soon as it connects.

    :param creator: a connection creator (:func:`client_tls`), or a :class:`TLSOptions` with
        its ``hostname`` set.
    """
    if isinstance(creator, TLSOptions):
        creator = creator.creator()
    wrapped: IStreamClientEndpoint = wrapClientTLS(creator, endpoint)
    return wrapped


# -- server --------------------------------------------------------------------------------------


def server_tls(
    cert_file: PathType,
    key_file: Optional[PathType] = None,
    *,
    ca_file: Optional[PathType] = None,
    require_client_cert: bool = False,
    key_password: Optional[Password] = None,
    acceptable_protocols: Optional[Sequence[bytes]] = None,
) -> CertificateOptions:
    """The TLS context factory of a server (for ``listenSSL``, ``SSL4ServerEndpoint``,
    ``TLSMemoryBIOFactory``...).

    :param cert_file: PEM file with the server certificate, then any intermediates (and
        optionally the key).
    :param key_file: PEM file with the private key (default: read from ``cert_file``).
    :param ca_file: PEM file of the authorities whose client certificates are accepted;
        clients are asked for a certificate, and one that does not verify is refused.
    :param require_client_cert: refuse clients that present no certificate (needs
        ``ca_file``).
    :param key_password: password of an encrypted private key.
    :param acceptable_protocols: ALPN protocol names, most preferred first.
    :raises ParameterError: unreadable file, bad PEM, key/certificate mismatch.
    """
    if require_client_cert and ca_file is None:
        raise ParameterError("require_client_cert needs ca_file to verify client certificates")
    identity = _load_identity(cert_file, key_file, key_password)
    client_cas = (
        [X509.from_cryptography(c) for c in _load_certificates(ca_file, "CA")]
        if ca_file is not None
        else None
    )
    return CertificateOptions(
        **identity.options(),
        verify=client_cas is not None,
        caCerts=client_cas,
        requireCertificate=require_client_cert,
        acceptableProtocols=list(acceptable_protocols) if acceptable_protocols else None,
    )


def server_tls_from_string(spec: str) -> CertificateOptions:
    """:func:`server_tls` from a command-line value: ``"cert.pem"`` (combined PEM),
    ``"cert.pem,key.pem"``, or ``"cert.pem,key.pem,ca.pem"`` (clients must then present a
    certificate signed by ``ca.pem``)."""
    parts = [p.strip() for p in spec.split(",")]
    if not 1 <= len(parts) <= 3 or not all(parts):
        raise ParameterError(f"bad TLS option {spec!r}: expected cert[,key[,ca]]")
    cert, key, ca = (parts + [None, None])[:3]
    assert cert is not None
    return server_tls(cert, key, ca_file=ca, require_client_cert=ca is not None)
