"""Throw-away TLS material for tests, generated at test time with ``cryptography``.

:func:`generate_certificates` writes PEM files into a directory and returns their paths:

* ``ca`` — a test certificate authority;
* ``server`` — a server certificate for ``localhost`` and ``127.0.0.1``, signed by ``ca``;
* ``client`` — a client certificate (``CN=txkv-test-client``), signed by ``ca``;
* ``other_ca`` — an unrelated authority, and ``other_server`` — a ``localhost`` /
  ``127.0.0.1`` certificate signed by it (a server that a client trusting ``ca`` must reject).

Keys are EC P-256, so a full set takes a few milliseconds.  Nothing here is secret or reused.
"""

from __future__ import annotations

import datetime
import ipaddress
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional, Sequence, Union

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

__all__ = ["Issued", "TestCertificates", "generate_certificates", "KEY_PASSWORD"]

#: The password of :attr:`TestCertificates.client_encrypted_key`.
KEY_PASSWORD = b"test-key-password"

_ONE_DAY = datetime.timedelta(days=1)


@dataclass(frozen=True)
class Issued:
    """One certificate's files: ``cert`` (PEM certificate), ``key`` (PEM private key) and
    ``combined`` (certificate followed by key, in one file)."""

    cert: str
    key: str
    combined: str


@dataclass(frozen=True)
class TestCertificates:
    """Paths of the generated PEM files (see the module docstring)."""

    __test__ = False  # not a pytest test class

    directory: str
    ca: Issued
    server: Issued
    client: Issued
    other_ca: Issued
    other_server: Issued
    #: ``client.key`` encrypted with :data:`KEY_PASSWORD`.
    client_encrypted_key: str
    #: ``ca`` and ``other_ca`` certificates in one bundle.
    ca_bundle: str


@dataclass
class _Authority:
    name: x509.Name
    key: ec.EllipticCurvePrivateKey
    cert: x509.Certificate


def _new_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "txkv tests"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _builder(
    subject: x509.Name, issuer: x509.Name, key: ec.EllipticCurvePrivateKey
) -> x509.CertificateBuilder:
    now = datetime.datetime.now(datetime.timezone.utc)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _ONE_DAY)
        .not_valid_after(now + _ONE_DAY)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )


def _make_authority(common_name: str) -> _Authority:
    key = _new_key()
    name = _name(common_name)
    cert = (
        _builder(name, name, key)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, content_commitment=False, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=True,
                crl_sign=True, encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    return _Authority(name, key, cert)


def _issue(
    authority: _Authority,
    common_name: str,
    *,
    usage: x509.ObjectIdentifier,
    dns_names: Sequence[str] = (),
    ip_addresses: Sequence[str] = (),
) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = _new_key()
    builder = (
        _builder(_name(common_name), authority.name, key)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(authority.key.public_key()),
            critical=False,
        )
    )
    names: List[x509.GeneralName] = [x509.DNSName(n) for n in dns_names]
    names += [x509.IPAddress(ipaddress.ip_address(a)) for a in ip_addresses]
    if names:
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    return key, builder.sign(authority.key, hashes.SHA256())


def _issue_localhost(
    authority: _Authority,
) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    return _issue(
        authority, "localhost", usage=ExtendedKeyUsageOID.SERVER_AUTH,
        dns_names=["localhost"], ip_addresses=["127.0.0.1"],
    )


def _cert_pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _key_pem(key: ec.EllipticCurvePrivateKey, password: Optional[bytes] = None) -> bytes:
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(password)
        if password
        else serialization.NoEncryption()
    )
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    )


def _write(directory: Path, name: str, data: bytes) -> str:
    path = directory / name
    path.write_bytes(data)
    return str(path)


def _save(
    directory: Path, stem: str, key: ec.EllipticCurvePrivateKey, cert: x509.Certificate
) -> Issued:
    cert_pem, key_pem = _cert_pem(cert), _key_pem(key)
    return Issued(
        cert=_write(directory, f"{stem}.crt", cert_pem),
        key=_write(directory, f"{stem}.key", key_pem),
        combined=_write(directory, f"{stem}.pem", cert_pem + key_pem),
    )


def generate_certificates(directory: Union[str, Path]) -> TestCertificates:
    """Create a fresh CA, server, client and unrelated CA/server set as PEM files in
    ``directory`` (created if missing) and return their paths."""
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    ca = _make_authority("txkv test CA")
    other = _make_authority("txkv unrelated CA")
    server_key, server_cert = _issue_localhost(ca)
    other_key, other_cert = _issue_localhost(other)
    client_key, client_cert = _issue(
        ca, "txkv-test-client", usage=ExtendedKeyUsageOID.CLIENT_AUTH
    )
    return TestCertificates(
        directory=str(out),
        ca=_save(out, "ca", ca.key, ca.cert),
        server=_save(out, "server", server_key, server_cert),
        client=_save(out, "client", client_key, client_cert),
        other_ca=_save(out, "other-ca", other.key, other.cert),
        other_server=_save(out, "other-server", other_key, other_cert),
        client_encrypted_key=_write(
            out, "client-encrypted.key", _key_pem(client_key, KEY_PASSWORD)
        ),
        ca_bundle=_write(out, "ca-bundle.crt", _cert_pem(other.cert) + _cert_pem(ca.cert)),
    )
