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
from txkv.ignite.errors import AuthenticationError, ParameterError, ReconnectError
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
        except ReconnectError as exc:
            self.assertIn("localhost", "".join(exc.errors))
        else:
            self.fail("connected to a server with an untrusted certificate")

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
        except TxKVError:
            pass
        else:
            self.fail("a plaintext handshake succeeded against a TLS port")
