"""Tests for txkv.tls: real TLS handshakes on 127.0.0.1 with certificates made at test time.

Every connection test runs an echo server (``txkv.testing.listen_tcp`` with ``tls=``) and a
client that sends ``ping`` through ``txkv.tls.wrap_endpoint``; a rejected connection must end
with no echoed bytes *and* the specific verification failure.
"""

from __future__ import annotations

import os
from typing import Any, List, Optional, Tuple

from cryptography.x509.oid import NameOID
from OpenSSL import SSL
from service_identity import VerificationError
from twisted.internet import reactor
from twisted.internet.defer import Deferred, inlineCallbacks
from twisted.internet.endpoints import TCP4ClientEndpoint
from twisted.internet.error import ConnectionDone
from twisted.internet.interfaces import IOpenSSLClientConnectionCreator
from twisted.internet.protocol import Factory, Protocol
from twisted.internet.testing import EventLoggingObserver
from twisted.logger import LogLevel, globalLogPublisher
from twisted.python.failure import Failure
from twisted.trial.unittest import SynchronousTestCase, TestCase

from tests.certs import KEY_PASSWORD, TestCertificates, generate_certificates
from txkv.endpoints import TLSOption, parse_node
from txkv.errors import ParameterError
from txkv.testing import ListeningServer, listen_tcp
from txkv.tls import (
    TLSOptions,
    client_tls,
    server_tls,
    server_tls_from_string,
    wrap_endpoint,
)

TIMEOUT = 10.0


class RecordingEcho(Protocol):
    """Echoes bytes; records the SNI name, the client's certificate and how the connection
    ended on the factory."""

    factory: EchoFactory

    def dataReceived(self, data: bytes) -> None:
        handle = self.transport.getHandle()  # type: ignore[union-attr]
        self.factory.server_names.append(handle.get_servername())
        peer = handle.get_peer_certificate(as_cryptography=True)
        self.factory.client_subjects.append(
            None if peer is None
            else peer.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
        )
        self.transport.write(data)  # type: ignore[union-attr]

    def connectionLost(self, reason: Failure = ConnectionDone) -> None:  # type: ignore[assignment]
        self.factory.lost.append(reason)


class EchoFactory(Factory):
    protocol = RecordingEcho  # type: ignore[assignment]

    def __init__(self) -> None:
        self.server_names: List[Optional[bytes]] = []
        self.client_subjects: List[Optional[str]] = []
        self.lost: List[Failure] = []


class Probe(Protocol):
    """Sends ``ping``, closes once the echo is back; ``done`` fires with (bytes, reason)."""

    def __init__(self) -> None:
        self.done: Deferred[Tuple[bytes, Failure]] = Deferred()
        self.received = b""
        self.alpn: Optional[bytes] = None

    def connectionMade(self) -> None:
        self.transport.write(b"ping")  # type: ignore[union-attr]

    def dataReceived(self, data: bytes) -> None:
        self.alpn = self.transport.negotiatedProtocol  # type: ignore[union-attr]
        self.received += data
        if len(self.received) >= 4:
            self.transport.loseConnection()  # type: ignore[union-attr]

    def connectionLost(self, reason: Failure = ConnectionDone) -> None:  # type: ignore[assignment]
        self.done.callback((self.received, reason))


class TLSTestCase(TestCase):
    """Certificates per test, echo servers stopped (with their connections) at cleanup."""

    def setUp(self) -> None:
        self.certs: TestCertificates = generate_certificates(self.mktemp())

    @inlineCallbacks
    def serve(self, tls: Any) -> Any:
        factory = EchoFactory()
        server: ListeningServer = yield listen_tcp(factory, tls=tls)
        self.addCleanup(server.stop)
        self.server = server
        self.echo = factory
        return server

    def exchange(
        self, creator: Any, endpoint: Optional[Any] = None
    ) -> Deferred[Tuple[bytes, Failure]]:
        """Connect with ``creator``, send ping; fires with (echoed bytes, close reason)."""
        if endpoint is None:
            plain = TCP4ClientEndpoint(reactor, "127.0.0.1", self.server.port, timeout=TIMEOUT)
            endpoint = wrap_endpoint(plain, creator)
        self.probe = Probe()
        self.served_before = len(self.echo.server_names)
        probe = self.probe
        d: Deferred[Any] = endpoint.connect(Factory.forProtocol(lambda: probe))
        d.addCallback(lambda _: probe.done)
        return d.addTimeout(TIMEOUT, reactor)

    def assert_echoed(self, outcome: Tuple[bytes, Failure]) -> None:
        received, reason = outcome
        self.assertEqual(received, b"ping")
        self.assertTrue(reason.check(ConnectionDone), reason)

    def assert_rejected(self, outcome: Tuple[bytes, Failure], kind: type, text: str) -> Failure:
        received, reason = outcome
        self.assertEqual(received, b"", "data crossed a connection that should be refused")
        self.assertTrue(reason.check(kind), f"expected {kind.__name__}, got {reason!r}")
        self.assertIn(text, str(reason.value))
        self.assertEqual(len(self.echo.server_names), self.served_before,
                         "the server received application data")
        return reason

    def server_tls(self, **kw: Any) -> Any:
        return server_tls(self.certs.server.cert, self.certs.server.key, **kw)

    def other_server_tls(self) -> Any:
        return server_tls(self.certs.other_server.cert, self.certs.other_server.key)


class ServerVerificationTests(TLSTestCase):
    @inlineCallbacks
    def test_trusted_certificate_and_hostname(self) -> Any:
        yield self.serve(self.server_tls())
        creator = client_tls("localhost", ca_file=self.certs.ca.cert)
        self.assertTrue(IOpenSSLClientConnectionCreator.providedBy(creator))
        self.assert_echoed((yield self.exchange(creator)))
        self.assertEqual(self.echo.server_names, [b"localhost"])  # SNI was sent

    @inlineCallbacks
    def test_ip_address_in_certificate(self) -> Any:
        yield self.serve(self.server_tls())
        self.assert_echoed((yield self.exchange(client_tls("127.0.0.1",
                                                           ca_file=self.certs.ca.cert))))
        self.assertEqual(self.echo.server_names, [None])  # no SNI for an IP address

    @inlineCallbacks
    def test_ca_data_bundle_with_several_authorities(self) -> Any:
        yield self.serve(self.server_tls())
        with open(self.certs.ca_bundle, "rb") as f:
            bundle = f.read()
        self.assertEqual(bundle.count(b"BEGIN CERTIFICATE"), 2)
        self.assert_echoed((yield self.exchange(client_tls("localhost", ca_data=bundle))))
        self.assert_echoed((yield self.exchange(client_tls("localhost",
                                                           ca_data=bundle.decode()))))

    @inlineCallbacks
    def test_wrong_hostname_rejected(self) -> Any:
        yield self.serve(self.server_tls())
        outcome = yield self.exchange(client_tls("other.example", ca_file=self.certs.ca.cert))
        reason = self.assert_rejected(outcome, VerificationError, "other.example")
        self.assertEqual(len(reason.value.errors), 1)  # type: ignore[union-attr]

    @inlineCallbacks
    def test_unknown_authority_rejected(self) -> Any:
        yield self.serve(self.other_server_tls())
        outcome = yield self.exchange(client_tls("localhost", ca_file=self.certs.ca.cert))
        self.assert_rejected(outcome, SSL.Error, "certificate verify failed")

    @inlineCallbacks
    def test_platform_trust_by_default_rejects_private_authority(self) -> Any:
        yield self.serve(self.server_tls())
        outcome = yield self.exchange(client_tls("localhost"))
        self.assert_rejected(outcome, SSL.Error, "certificate verify failed")

    @inlineCallbacks
    def test_alpn_negotiated(self) -> Any:
        yield self.serve(self.server_tls(acceptable_protocols=[b"txkv/1"]))
        creator = client_tls("localhost", ca_file=self.certs.ca.cert,
                             acceptable_protocols=[b"other", b"txkv/1"])
        self.assert_echoed((yield self.exchange(creator)))
        self.assertEqual(self.probe.alpn, b"txkv/1")


class ClientCertificateTests(TLSTestCase):
    def mutual_server(self) -> Any:
        return self.serve(self.server_tls(ca_file=self.certs.ca.cert, require_client_cert=True))

    @inlineCallbacks
    def test_client_certificate_accepted(self) -> Any:
        yield self.mutual_server()
        creator = client_tls("localhost", ca_file=self.certs.ca.cert,
                             client_cert=self.certs.client.cert, client_key=self.certs.client.key)
        self.assert_echoed((yield self.exchange(creator)))
        self.assertEqual(self.echo.client_subjects, ["txkv-test-client"])

    @inlineCallbacks
    def test_combined_pem_and_encrypted_key(self) -> Any:
        yield self.mutual_server()
        combined = client_tls("localhost", ca_file=self.certs.ca.cert,
                              client_cert=self.certs.client.combined)
        self.assert_echoed((yield self.exchange(combined)))
        encrypted = client_tls("localhost", ca_file=self.certs.ca.cert,
                               client_cert=self.certs.client.cert,
                               client_key=self.certs.client_encrypted_key,
                               key_password=KEY_PASSWORD.decode())
        self.assert_echoed((yield self.exchange(encrypted)))
        self.assertEqual(self.echo.client_subjects, ["txkv-test-client"] * 2)

    @inlineCallbacks
    def test_missing_client_certificate_rejected(self) -> Any:
        yield self.mutual_server()
        outcome = yield self.exchange(client_tls("localhost", ca_file=self.certs.ca.cert))
        self.assert_rejected(outcome, SSL.Error, "certificate required")
        yield self.server.stop()
        self.assertEqual(len(self.echo.lost), 1)
        self.assertTrue(self.echo.lost[0].check(SSL.Error))
        self.assertIn("peer did not return a certificate", str(self.echo.lost[0].value))

    @inlineCallbacks
    def test_client_certificate_from_unknown_authority_rejected(self) -> Any:
        yield self.mutual_server()
        creator = client_tls("localhost", ca_file=self.certs.ca.cert,
                             client_cert=self.certs.other_server.combined)
        outcome = yield self.exchange(creator)
        received, _ = outcome
        self.assertEqual(received, b"")
        yield self.server.stop()
        self.assertEqual(len(self.echo.lost), 1)
        self.assertTrue(self.echo.lost[0].check(SSL.Error))
        self.assertIn("certificate verify failed", str(self.echo.lost[0].value))

    @inlineCallbacks
    def test_optional_client_certificate(self) -> Any:
        yield self.serve(self.server_tls(ca_file=self.certs.ca.cert))
        self.assert_echoed((yield self.exchange(client_tls("localhost",
                                                           ca_file=self.certs.ca.cert))))
        creator = client_tls("localhost", ca_file=self.certs.ca.cert,
                             client_cert=self.certs.client.combined)
        self.assert_echoed((yield self.exchange(creator)))
        self.assertEqual(self.echo.client_subjects, [None, "txkv-test-client"])

    @inlineCallbacks
    def test_server_tls_from_string_requires_client_certificate(self) -> Any:
        c = self.certs
        yield self.serve(server_tls_from_string(f"{c.server.cert},{c.server.key},{c.ca.cert}"))
        outcome = yield self.exchange(client_tls("localhost", ca_file=c.ca.cert))
        self.assert_rejected(outcome, SSL.Error, "certificate required")
        with_cert = client_tls("localhost", ca_file=c.ca.cert, client_cert=c.client.combined)
        self.assert_echoed((yield self.exchange(with_cert)))


class UnverifiedTests(TLSTestCase):
    @inlineCallbacks
    def test_verify_false_connects_and_warns(self) -> Any:
        yield self.serve(self.other_server_tls())
        events = EventLoggingObserver.createWithCleanup(self, globalLogPublisher)
        creator = client_tls("localhost", ca_file=self.certs.ca.cert, verify=False)
        warnings = [e for e in events if e.get("log_namespace") == "txkv.tls"]
        self.assertEqual(len(warnings), 1)
        self.assertEqual(warnings[0]["log_level"], LogLevel.warn)
        self.assertEqual(warnings[0]["hostname"], "localhost")
        self.assert_echoed((yield self.exchange(creator)))
        self.assertEqual(self.echo.server_names, [b"localhost"])  # SNI still sent

        client_tls("db.example", verify=False)
        warnings = [e for e in events if e.get("log_namespace") == "txkv.tls"]
        self.assertEqual([e["hostname"] for e in warnings], ["localhost", "db.example"])

    @inlineCallbacks
    def test_verify_false_still_presents_client_certificate(self) -> Any:
        yield self.serve(self.server_tls(ca_file=self.certs.ca.cert, require_client_cert=True))
        EventLoggingObserver.createWithCleanup(self, globalLogPublisher)
        creator = client_tls("localhost", verify=False, client_cert=self.certs.client.combined)
        self.assert_echoed((yield self.exchange(creator)))
        self.assertEqual(self.echo.client_subjects, ["txkv-test-client"])

    def test_verified_creator_logs_no_warning(self) -> None:
        events = EventLoggingObserver.createWithCleanup(self, globalLogPublisher)
        client_tls("localhost", ca_file=self.certs.ca.cert)
        self.assertEqual([e for e in events if e.get("log_namespace") == "txkv.tls"], [])


class TLSOptionsTests(TLSTestCase):
    @inlineCallbacks
    def test_creator_per_node_hostname(self) -> Any:
        yield self.serve(self.server_tls())
        options = TLSOptions(ca_file=self.certs.ca.cert)
        self.assert_echoed((yield self.exchange(options.creator_for("localhost"))))
        outcome = yield self.exchange(options.creator_for("other.example"))
        self.assert_rejected(outcome, VerificationError, "other.example")

    @inlineCallbacks
    def test_is_a_tls_option_for_endpoints(self) -> Any:
        yield self.serve(self.server_tls())
        options: TLSOption = TLSOptions(ca_file=self.certs.ca.cert)
        node = parse_node(("127.0.0.1", self.server.port), reactor, options)
        self.assert_echoed((yield self.exchange(None, endpoint=node.endpoint)))

    @inlineCallbacks
    def test_wrap_endpoint_with_options(self) -> Any:
        yield self.serve(self.server_tls())
        options = TLSOptions(hostname="localhost", ca_file=self.certs.ca.cert)
        plain = TCP4ClientEndpoint(reactor, "127.0.0.1", self.server.port, timeout=TIMEOUT)
        self.assert_echoed((yield self.exchange(None, endpoint=wrap_endpoint(plain, options))))

    def test_creator_needs_hostname(self) -> None:
        exc = self.assertRaises(ParameterError, TLSOptions(ca_file=self.certs.ca.cert).creator)
        self.assertIn("creator_for", str(exc))

    def test_repr_hides_secrets(self) -> None:
        options = TLSOptions(client_cert=self.certs.client.cert, key_password="hunter2",
                             ca_data="-----BEGIN CERTIFICATE-----")
        self.assertNotIn("hunter2", repr(options))
        self.assertNotIn("BEGIN", repr(options))
        self.assertIn("client.crt", repr(options))


class ParameterErrorTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.certs = generate_certificates(self.mktemp())
        self.garbage = os.path.join(self.certs.directory, "garbage.pem")
        with open(self.garbage, "w") as f:
            f.write("-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n")

    def raises(self, fn: Any, *args: Any, **kw: Any) -> str:
        return str(self.assertRaises(ParameterError, fn, *args, **kw))

    def test_missing_ca_file_named(self) -> None:
        missing = os.path.join(self.certs.directory, "nope.crt")
        self.assertIn(repr(missing), self.raises(client_tls, "localhost", ca_file=missing))

    def test_bad_pem_named(self) -> None:
        for kw in ({"ca_file": self.garbage}, {"client_cert": self.garbage},
                   {"client_cert": self.certs.client.cert, "client_key": self.garbage}):
            self.assertIn(repr(self.garbage), self.raises(client_tls, "localhost", **kw))
        self.assertIn(repr(self.garbage), self.raises(server_tls, self.garbage,
                                                      self.certs.server.key))
        self.assertIn(repr(self.garbage), self.raises(server_tls, self.certs.server.cert,
                                                      self.certs.server.key,
                                                      ca_file=self.garbage))
        self.assertIn("ca_data", self.raises(client_tls, "localhost", ca_data=b"nothing"))

    def test_certificate_without_key(self) -> None:
        message = self.raises(client_tls, "localhost", client_cert=self.certs.client.cert)
        self.assertIn(repr(self.certs.client.cert), message)

    def test_key_does_not_match_certificate(self) -> None:
        message = self.raises(server_tls, self.certs.server.cert, self.certs.client.key)
        self.assertIn("does not match", message)
        self.assertIn(repr(self.certs.client.key), message)

    def test_encrypted_key_password(self) -> None:
        key = self.certs.client_encrypted_key
        message = self.raises(client_tls, "localhost", client_cert=self.certs.client.cert,
                              client_key=key)
        self.assertIn("key_password", message)
        message = self.raises(client_tls, "localhost", client_cert=self.certs.client.cert,
                              client_key=key, key_password="wrong-secret")
        self.assertIn(repr(key), message)
        self.assertNotIn("wrong-secret", message)

    def test_password_for_plain_key_is_harmless(self) -> None:
        creator = client_tls("localhost", client_cert=self.certs.client.cert,
                             client_key=self.certs.client.key, key_password=b"unused")
        self.assertTrue(IOpenSSLClientConnectionCreator.providedBy(creator))

    def test_bad_arguments(self) -> None:
        ca = self.certs.ca.cert
        self.raises(client_tls, "", ca_file=ca)
        self.raises(client_tls, b"localhost", ca_file=ca)
        self.raises(client_tls, "localhost", ca_file=ca, ca_data=b"x")
        self.raises(client_tls, "localhost", client_key=self.certs.client.key)
        self.assertIn("True or False", self.raises(client_tls, "localhost", verify="no"))
        self.raises(client_tls, "bad..name", ca_file=ca)
        self.raises(client_tls, "bad..name", verify=False)
        self.raises(server_tls, self.certs.server.combined, require_client_cert=True)

    def test_server_tls_from_string(self) -> None:
        c = self.certs
        self.assertFalse(server_tls_from_string(c.server.combined).verify)
        options = server_tls_from_string(f"{c.server.cert}, {c.server.key}, {c.ca.cert}")
        self.assertTrue(options.verify)
        self.assertTrue(options.requireCertificate)
        for bad in ("", "a,,b", "a,b,c,d"):
            self.assertIn("cert[,key[,ca]]", self.raises(server_tls_from_string, bad))
