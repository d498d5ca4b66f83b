"""TLS (seed §3.6) and password authentication (seed §3.7)."""

from __future__ import annotations

import ssl
from typing import Any, List

from twisted.internet import reactor
from twisted.internet.defer import inlineCallbacks
from twisted.logger import globalLogPublisher
from twisted.trial.unittest import SynchronousTestCase, TestCase

from tests.certs import generate_certificates
from tests.ignite.client_support import MemoryCluster
from txkv.errors import TxKVError
from txkv.ignite.client import Client
from txkv.ignite.errors import (
    AuthenticationError,
    HandshakeError,
    ParameterError,
    ReconnectError,
    TLSError,
)
from txkv.ignite.server.cluster import start_cluster
from txkv.tls import TLSOptions, server_tls

PASSWORD = "pa55-w0rd-never-logged"


class LogCapture:
    def __init__(self, case: Any) -> None:
        self.events: List[dict] = []
        globalLogPublisher.addObserver(self.events.append)
        case.addCleanup(globalLogPublisher.removeObserver, self.events.append)

    def text(self) -> str:
        from twisted.logger import formatEvent

        return "\n".join(repr(e) + formatEvent(e) for e in self.events)


class AuthTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.harness = MemoryCluster(1, auth=("ignite", PASSWORD))
        self.logs = LogCapture(self)

    def client(self, **options: Any) -> Client:
        client = Client(reactor=self.harness.clock, timeout=5.0, **options)
        self.addCleanup(lambda: self.harness.run(client.close(), seconds=20))
        return client

    def connect(self, client: Any) -> Any:
        d = client.connect(self.harness.nodes)
        self.harness.settle()
        self.harness.clock.advance(1)
        self.harness.settle()
        return d

    def test_right_credentials(self) -> None:
        client = self.client(username="ignite", password=PASSWORD, use_ssl=False)
        self.harness.run(client.connect(self.harness.nodes))
        cache = self.harness.run(client.get_or_create_cache("secure"))
        self.harness.run(cache.put("k", "v"))
        self.assertEqual(self.harness.run(cache.get("k")), "v")
        self.assertNotIn(PASSWORD, repr(client) + self.logs.text())

    def test_wrong_password(self) -> None:
        client = self.client(username="ignite", password="wrong-" + PASSWORD, use_ssl=False)
        error = self.failureResultOf(self.connect(client)).value
        self.assertIsInstance(error, AuthenticationError)
        self.assertNotIn(PASSWORD, str(error) + repr(error) + repr(client) + self.logs.text())
        self.assertIsNone(client.connection_manager)  # nothing keeps retrying

    def test_no_credentials(self) -> None:
        client = self.client()
        error = self.failureResultOf(self.connect(client)).value
        self.assertIsInstance(error, AuthenticationError)
        self.assertIn("Unauthenticated", str(error))


class TLSChoiceTests(SynchronousTestCase):
    def test_credentials_turn_tls_on(self) -> None:
        client = Client(username="u", password=PASSWORD)
        self.assertIsInstance(client._tls, TLSOptions)
        self.assertTrue(client._tls.verify)
        self.assertNotIn(PASSWORD, repr(client))
        self.assertIn("TLS", repr(client))

    def test_plaintext_credentials_are_explicit(self) -> None:
        logs = LogCapture(self)
        client = Client(username="u", password=PASSWORD, use_ssl=False)
        self.assertIsNone(client._tls)
        self.assertIn("WITHOUT TLS", logs.text())
        self.assertNotIn(PASSWORD, logs.text())

    def test_no_tls_by_default(self) -> None:
        self.assertIsNone(Client()._tls)

    def test_cert_none_disables_verification(self) -> None:
        client = Client(use_ssl=True, ssl_cert_reqs=ssl.CERT_NONE)
        self.assertFalse(client._tls.verify)
        self.assertTrue(Client(use_ssl=True)._tls.verify)

    def test_ssl_version_maps_to_minimum_version(self) -> None:
        from twisted.internet.ssl import TLSVersion

        for given, expected in [(ssl.PROTOCOL_TLSv1_2, TLSVersion.TLSv1_2),
                                (ssl.TLSVersion.TLSv1_3, TLSVersion.TLSv1_3),
                                (TLSVersion.TLSv1_1, TLSVersion.TLSv1_1),
                                (ssl.PROTOCOL_TLS_CLIENT, None), (None, None)]:
            client = Client(use_ssl=True, ssl_version=given, ssl_ciphers="HIGH")
            self.assertEqual(client._tls.minimum_version, expected, given)
            self.assertEqual(client._tls.ciphers, "HIGH")

    def test_conflicting_options(self) -> None:
        with self.assertRaises(ParameterError):
            Client(use_ssl=False, tls=TLSOptions())


class LoopbackTLSTests(TestCase):
    timeout = 30

    def setUp(self) -> None:
        self.certs = generate_certificates(self.mktemp())

    def serve(self, issued: Any, **options: Any) -> Any:
        cluster = start_cluster(reactor, 1, tls=server_tls(issued.cert, issued.key), **options)
        self.addCleanup(cluster.stop)
        return cluster.addresses[0][1]

    def client(self, **options: Any) -> Client:
        client = Client(timeout=5.0, retry_policy=lambda attempt: 0.05, **options)
        self.addCleanup(client.close)
        return client

    @inlineCallbacks
    def test_verified_tls_and_auth(self) -> Any:
        port = self.serve(self.certs.server, auth=("ignite", PASSWORD))
        client = self.client(username="ignite", password=PASSWORD,
                             ssl_ca_certfile=self.certs.ca.cert)
        yield client.connect("localhost", port)
        cache = yield client.get_or_create_cache("tls")
        yield cache.put(1, "one")
        self.assertEqual((yield cache.get(1)), "one")

    @inlineCallbacks
    def test_client_certificate(self) -> Any:
        port = self.serve(self.certs.server)
        client = self.client(use_ssl=True, ssl_ca_certfile=self.certs.ca.cert,
                             ssl_certfile=self.certs.client.cert,
                             ssl_keyfile=self.certs.client.key)
        yield client.connect([("127.0.0.1", port)])
        self.assertEqual((yield client.get_cache_names()), [])

    @inlineCallbacks
    def test_untrusted_server_refused(self) -> Any:
        port = self.serve(self.certs.other_server)
        client = self.client(use_ssl=True, ssl_ca_certfile=self.certs.ca.cert)
        try:
            yield client.connect("localhost", port)
        except TLSError as exc:
            self.assertIn("certificate verify failed", str(exc))
            self.assertIn("ssl_ca_certfile", str(exc))
            self.assertIsInstance(exc, HandshakeError)
        else:
            self.fail("connected to a server with an untrusted certificate")

    def serve_requiring_client_cert(self, nodes: int = 1) -> List[Any]:
        cluster = start_cluster(reactor, nodes, tls=server_tls(
            self.certs.server.cert, self.certs.server.key, ca_file=self.certs.ca.cert,
            require_client_cert=True))
        self.addCleanup(cluster.stop)
        return [("localhost", port) for _, port in cluster.addresses]

    @inlineCallbacks
    def test_missing_client_certificate_is_named(self) -> Any:
        """A server requiring a client certificate: the error says so (not a bare
        'all nodes are down')."""
        nodes = self.serve_requiring_client_cert()
        client = self.client(use_ssl=True, ssl_ca_certfile=self.certs.ca.cert)
        try:
            yield client.connect(nodes)
        except TLSError as exc:
            self.assertIn("certificate required", exc.reason)
            self.assertIn("client certificate", str(exc))
            self.assertIn("ssl_certfile", str(exc))
        else:
            self.fail("connected without the client certificate the server requires")
        self.assertIsNone(client.connection_manager)

    @inlineCallbacks
    def test_missing_client_certificate_every_node(self) -> Any:
        nodes = self.serve_requiring_client_cert(2)
        client = self.client(use_ssl=True, ssl_ca_certfile=self.certs.ca.cert)
        try:
            yield client.connect(nodes)
        except TLSError as exc:
            self.assertIn("all 2 nodes", str(exc))
            self.assertIn("certificate required", str(exc))
            self.assertEqual(sorted(exc.errors), sorted(f"{h}:{p}" for h, p in nodes))
            for cause in exc.errors.values():
                self.assertIsInstance(cause, TLSError)
        else:
            self.fail("connected without the client certificate the server requires")

    @inlineCallbacks
    def test_client_certificate_accepted_when_required(self) -> Any:
        nodes = self.serve_requiring_client_cert()
        client = self.client(use_ssl=True, ssl_ca_certfile=self.certs.ca.cert,
                             ssl_certfile=self.certs.client.cert,
                             ssl_keyfile=self.certs.client.key)
        yield client.connect(nodes)
        self.assertEqual((yield client.get_cache_names()), [])

    @inlineCallbacks
    def test_ssl_version_and_ciphers(self) -> Any:
        """pyignite's ``ssl_version`` (the oldest version accepted) and ``ssl_ciphers``."""
        port = self.serve(self.certs.server)
        client = self.client(use_ssl=True, ssl_ca_certfile=self.certs.ca.cert,
                             ssl_version=ssl.TLSVersion.TLSv1_3, ssl_ciphers="HIGH:!aNULL")
        yield client.connect("localhost", port)
        protocol = yield client.random_node()
        self.assertEqual(protocol.transport.getHandle().get_protocol_version_name(), "TLSv1.3")
        legacy = self.client(use_ssl=True, ssl_ca_certfile=self.certs.ca.cert,
                             ssl_version=ssl.PROTOCOL_TLSv1_2)
        yield legacy.connect("localhost", port)
        self.assertEqual((yield legacy.get_cache_names()), [])

    @inlineCallbacks
    def test_bad_ssl_options(self) -> Any:
        with self.assertRaises(ParameterError):
            Client(use_ssl=True, ssl_version="TLS 9")
        with self.assertRaises(ParameterError):
            Client(use_ssl=True, ssl_ciphers="")
        port = self.serve(self.certs.server)
        client = self.client(use_ssl=True, ssl_ca_certfile=self.certs.ca.cert,
                             ssl_ciphers="NO-SUCH-CIPHER")
        with self.assertRaises(ParameterError):
            yield client.connect("localhost", port)

    @inlineCallbacks
    def test_tls_client_to_plaintext_server(self) -> Any:
        cluster = start_cluster(reactor, 1)
        self.addCleanup(cluster.stop)
        client = self.client(use_ssl=True, ssl_ca_certfile=self.certs.ca.cert,
                             handshake_timeout=2.0)
        try:
            yield client.connect("localhost", cluster.addresses[0][1])
        except ReconnectError as exc:
            self.assertIn("during the handshake", str(exc))
        except TLSError:
            pass  # some OpenSSL builds report the garbage reply as a TLS failure
        else:
            self.fail("a TLS handshake succeeded against a plaintext port")

    @inlineCallbacks
    def test_verification_off_is_explicit(self) -> Any:
        port = self.serve(self.certs.other_server)
        client = self.client(use_ssl=True, ssl_cert_reqs=ssl.CERT_NONE)
        yield client.connect("localhost", port)
        self.assertIsNotNone(client.protocol_context)

    @inlineCallbacks
    def test_plaintext_client_to_tls_server_fails_cleanly(self) -> Any:
        port = self.serve(self.certs.server)
        client = self.client(handshake_timeout=1.0)
        try:
            yield client.connect("localhost", port)
        except TxKVError as exc:
            self.assertIn("use_ssl=True", str(exc))
        else:
            self.fail("a plaintext handshake succeeded against a TLS port")
