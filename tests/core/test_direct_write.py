"""txkv.direct_write: send at once when that keeps byte order, else queue in the transport."""

from __future__ import annotations

from typing import Any, List

from twisted.internet.interfaces import IPushProducer
from twisted.internet.protocol import Protocol
from twisted.internet.ssl import optionsForClientTLS
from twisted.internet.testing import StringTransport
from twisted.trial.unittest import SynchronousTestCase
from zope.interface import implementer

from tests.tcp_pair import read_available, tcp_pair
from txkv.direct_write import write_now


class _Socket:
    """Stands in for the transport's socket: records sends, takes ``accept`` bytes or raises."""

    def __init__(self, real: Any, accept: int = -1, error: Any = None) -> None:
        self.real = real
        self.accept = accept
        self.error = error
        self.sent: List[bytes] = []

    def send(self, data: bytes) -> int:
        if self.error is not None:
            raise self.error
        taken = data if self.accept < 0 else data[: self.accept]
        self.sent.append(bytes(taken))
        return len(taken)

    def fileno(self) -> int:
        return int(self.real.fileno())


@implementer(IPushProducer)
class _Producer:
    def pauseProducing(self) -> None:
        pass

    def resumeProducing(self) -> None:
        pass

    def stopProducing(self) -> None:
        pass


class WriteNowTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.transport, self.peer, self.reactor = tcp_pair(Protocol())
        self.addCleanup(self.peer.close)
        self.addCleanup(self.transport.socket.close)

    def queued(self) -> bytes:
        t = self.transport
        return bytes(t.dataBuffer[t.offset:]) + b"".join(t._tempDataBuffer)

    def test_idle_connection_sends_on_the_socket(self) -> None:
        write_now(self.transport, b"hello")
        self.assertEqual(read_available(self.peer), b"hello")
        self.assertEqual(self.queued(), b"")
        self.assertNotIn(self.transport, self.reactor.getWriters())

    def test_queued_bytes_go_first(self) -> None:
        self.transport.write(b"first")
        write_now(self.transport, b"second")
        self.assertEqual(read_available(self.peer), b"")
        self.assertEqual(self.queued(), b"firstsecond")

    def test_partial_send_queues_the_rest(self) -> None:
        fake = _Socket(self.transport.socket, accept=2)
        self.transport.socket = fake
        write_now(self.transport, b"abcdef")
        self.assertEqual((fake.sent, self.queued()), ([b"ab"], b"cdef"))
        self.assertIn(self.transport, self.reactor.getWriters())

    def test_socket_error_leaves_the_bytes_to_the_transport(self) -> None:
        real = self.transport.socket
        self.transport.socket = _Socket(real, error=ConnectionResetError())
        write_now(self.transport, b"abc")
        self.assertEqual(self.queued(), b"abc")
        self.assertIn(self.transport, self.reactor.getWriters())
        self.transport.socket = real

    def test_would_block_leaves_the_bytes_to_the_transport(self) -> None:
        real = self.transport.socket
        self.transport.socket = _Socket(real, error=BlockingIOError())
        write_now(self.transport, b"abc")
        self.assertEqual(self.queued(), b"abc")
        self.transport.socket = real

    def test_closing_connection_is_not_bypassed(self) -> None:
        self.transport.disconnecting = True
        write_now(self.transport, b"late")
        self.assertEqual(read_available(self.peer), b"")

    def test_registered_producer_is_not_bypassed(self) -> None:
        self.transport.registerProducer(_Producer(), True)
        write_now(self.transport, b"abc")
        self.assertEqual((read_available(self.peer), self.queued()), (b"", b"abc"))

    def test_started_tls_is_not_bypassed(self) -> None:
        # after startTLS the transport encrypts in write(); a direct send would leak plaintext
        self.transport.startTLS(optionsForClientTLS("example.com"))
        self.transport.doWrite()  # the handshake's first flight leaves: nothing is queued now
        self.assertNotEqual(read_available(self.peer), b"")
        self.assertEqual(self.queued(), b"")
        write_now(self.transport, b"plaintext secret")
        sent = read_available(self.peer) + self.queued()
        self.assertNotIn(b"plaintext secret", sent)

    def test_other_transports_use_write(self) -> None:
        transport = StringTransport()
        write_now(transport, b"abc")
        self.assertEqual(transport.value(), b"abc")
