"""Shared pieces of the ``examples/ignite_*.py`` scripts (not part of txkv's API).

* :func:`run` -- run an example's ``main(reactor)`` coroutine with ``task.react``;
* :func:`make_certificates` -- throw-away TLS material (a CA, a server certificate for
  ``localhost``/``127.0.0.1`` and a client certificate) written into a directory;
* ``COUNTRY_DATA``, ``CITY_DATA``, ``LANGUAGE_DATA`` -- a small sample of the classic "world"
  database (three countries and their largest cities) for the SQL examples.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
from decimal import Decimal
from typing import Any, Callable, Coroutine, Dict, List, Tuple

__all__ = [
    "run",
    "make_certificates",
    "COUNTRY_DATA",
    "CITY_DATA",
    "LANGUAGE_DATA",
]


def run(main: Callable[[Any], Coroutine[Any, Any, None]]) -> None:
    """Run ``main(reactor)`` on the real reactor and exit when it is done."""
    from twisted.internet import task
    from twisted.internet.defer import Deferred

    task.react(lambda reactor: Deferred.fromCoroutine(main(reactor)))


# -- TLS material --------------------------------------------------------------------------------


def make_certificates(directory: str) -> Dict[str, str]:
    """Write a CA, a server and a client certificate (EC P-256 PEM files) into ``directory``.

    Returns the paths: ``ca``, ``server_cert``, ``server_key``, ``client_cert``, ``client_key``.
    The server certificate names ``localhost`` and ``127.0.0.1``; everything is valid for a day.
    """
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.timezone.utc)

    def name(common_name: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])

    def issue(subject: str, issuer: Tuple[x509.Name, Any] | None, *, ca: bool,
              hosts: List[str]) -> Tuple[x509.Certificate, Any]:
        key = ec.generate_private_key(ec.SECP256R1())
        issuer_name, issuer_key = issuer if issuer else (name(subject), key)
        builder = (
            x509.CertificateBuilder()
            .subject_name(name(subject))
            .issuer_name(issuer_name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        )
        if hosts:
            alt_names: List[x509.GeneralName] = [x509.DNSName("localhost")]
            alt_names += [x509.IPAddress(ipaddress.ip_address(h)) for h in hosts]
            builder = builder.add_extension(x509.SubjectAlternativeName(alt_names), False)
        return builder.sign(issuer_key, hashes.SHA256()), key

    def write(file_name: str, data: bytes) -> str:
        path = os.path.join(directory, file_name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def pem_key(key: Any) -> bytes:
        return bytes(key.private_bytes(serialization.Encoding.PEM,
                                       serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))

    ca_cert, ca_key = issue("txkv example CA", None, ca=True, hosts=[])
    server_cert, server_key = issue("localhost", (ca_cert.subject, ca_key), ca=False,
                                    hosts=["127.0.0.1"])
    client_cert, client_key = issue("txkv example client", (ca_cert.subject, ca_key),
                                    ca=False, hosts=[])
    pem = serialization.Encoding.PEM
    return {
        "ca": write("ca.pem", ca_cert.public_bytes(pem)),
        "server_cert": write("server.pem", server_cert.public_bytes(pem)),
        "server_key": write("server.key", pem_key(server_key)),
        "client_cert": write("client.pem", client_cert.public_bytes(pem)),
        "client_key": write("client.key", pem_key(client_key)),
    }


# -- SQL sample data -----------------------------------------------------------------------------

#: Code, Name, Continent, Region, SurfaceArea, IndepYear, Population, LifeExpectancy, GNP,
#: GNPOld, LocalName, GovernmentForm, HeadOfState, Capital, Code2
COUNTRY_DATA: List[List[Any]] = [
    ["USA", "United States", "North America", "North America", Decimal("9363520.00"), 1776,
     278357000, Decimal("77.1"), Decimal("8510700.00"), Decimal("8110900.00"),
     "United States", "Federal Republic", "George W. Bush", 3813, "US"],
    ["IND", "India", "Asia", "Southern and Central Asia", Decimal("3287263.00"), 1947,
     1013662000, Decimal("62.5"), Decimal("447114.00"), Decimal("430572.00"),
     "Bharat/India", "Federal Republic", "Kocheril Raman Narayanan", 1109, "IN"],
    ["CHN", "China", "Asia", "Eastern Asia", Decimal("9572900.00"), -1523, 1277558000,
     Decimal("71.4"), Decimal("982268.00"), Decimal("917719.00"), "Zhongquo",
     "People'sRepublic", "Jiang Zemin", 1891, "CN"],
]

#: ID, Name, CountryCode, District, Population
CITY_DATA: List[List[Any]] = [
    [1024, "Mumbai (Bombay)", "IND", "Maharashtra", 10500000],
    [1025, "Delhi", "IND", "Delhi", 7206704],
    [1026, "Calcutta [Kolkata]", "IND", "West Bengali", 4399819],
    [1027, "Chennai (Madras)", "IND", "Tamil Nadu", 3841396],
    [1890, "Shanghai", "CHN", "Shanghai", 9696300],
    [1891, "Peking", "CHN", "Peking", 7472000],
    [1892, "Chongqing", "CHN", "Chongqing", 6351600],
    [1893, "Tianjin", "CHN", "Tianjin", 5286800],
    [1894, "Wuhan", "CHN", "Hubei", 4344600],
    [1895, "Harbin", "CHN", "Heilongjiang", 4289800],
    [1896, "Shenyang", "CHN", "Liaoning", 4265200],
    [3793, "New York", "USA", "New York", 8008278],
    [3794, "Los Angeles", "USA", "California", 3694820],
    [3795, "Chicago", "USA", "Illinois", 2896016],
    [3802, "Detroit", "USA", "Michigan", 951270],
]

#: CountryCode, Language, IsOfficial, Percentage
LANGUAGE_DATA: List[List[Any]] = [
    ["USA", "English", True, Decimal("86.2")],
    ["USA", "Spanish", False, Decimal("7.5")],
    ["IND", "Hindi", True, Decimal("39.9")],
    ["IND", "Bengali", False, Decimal("8.2")],
    ["CHN", "Chinese", True, Decimal("92.0")],
    ["CHN", "Zhuang", False, Decimal("1.4")],
]
