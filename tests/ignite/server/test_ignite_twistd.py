"""``twistd -n txkv-ignite`` as a real command: a TLS, password-protected, two-node, durable
cluster in a child process, spoken to by pyignite's synchronous client.

Every wait is bounded: connecting polls until a deadline, and the child is stopped with SIGTERM
(SIGKILL after a grace period).
"""

from __future__ import annotations

import os
import signal
import ssl
import subprocess
import sys
import time
from pathlib import Path
from typing import IO, Any, List, Optional

from twisted.trial.unittest import SkipTest, SynchronousTestCase

from tests.certs import generate_certificates
from txkv.testing import free_port

try:
    from pyignite import Client
    from pyignite.exceptions import AuthenticationError
except ImportError:  # pragma: no cover - depends on the environment
    if os.environ.get("CI") == "true":
        raise
    Client = None

ROOT = Path(__file__).resolve().parents[3]
START_DEADLINE = 60.0
STOP_GRACE = 20.0
USER, PASSWORD = "ignite", "ignite"


class TwistdIgnite:
    """One ``twistd -n txkv-ignite`` child process, its output going to ``log_path``."""

    def __init__(self, cwd: str, log_path: str, options: List[str]) -> None:
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT)] + sys.path))
        command = [sys.executable, "-c", "from twisted.scripts.twistd import run; run()",
                   "-n", "--pidfile=", "--logfile=-", "txkv-ignite", *options]
        self.log_path = log_path
        self._log: IO[bytes] = open(log_path, "ab")
        self.process = subprocess.Popen(command, cwd=cwd, env=env, stdout=self._log,
                                        stderr=subprocess.STDOUT)

    def output(self) -> str:
        return Path(self.log_path).read_text("utf-8", "replace")

    def stop(self) -> Optional[int]:
        """SIGTERM, then SIGKILL if still running after the grace period; the exit code."""
        try:
            if self.process.poll() is None:
                self.process.terminate()
                try:
                    self.process.wait(STOP_GRACE)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait(STOP_GRACE)
            return self.process.returncode
        finally:
            self._log.close()


class TwistdIgniteTests(SynchronousTestCase):
    """TLS with a CA-verified server certificate, login, two nodes sharing one store, and the
    data directory surviving a SIGTERM and a fresh ``twistd`` on it."""

    def setUp(self) -> None:
        if Client is None:
            raise SkipTest("pyignite is not installed (pip install pyignite)")
        self.base = Path(self.mktemp()).resolve()
        self.base.mkdir(parents=True)
        self.certs = generate_certificates(self.base / "certs")
        self.data = str(self.base / "data")
        self.ports = [free_port(), free_port()]
        while self.ports[1] == self.ports[0]:
            self.ports[1] = free_port()

    def start(self, run: int) -> TwistdIgnite:
        options = [f"--listen=tcp:{port}:interface=127.0.0.1" for port in self.ports]
        options += ["--nodes", "2", "--data", self.data, "--auth", f"{USER}:{PASSWORD}",
                    "--tls", f"{self.certs.server.cert},{self.certs.server.key}"]
        child = TwistdIgnite(str(self.base), str(self.base / f"twistd-{run}.log"), options)
        self.addCleanup(child.stop)
        return child

    def client(self, password: str = PASSWORD) -> Any:
        return Client(username=USER, password=password, use_ssl=True, timeout=10,
                      ssl_ca_certfile=self.certs.ca.cert, ssl_cert_reqs=ssl.CERT_REQUIRED)

    def connect(self, child: TwistdIgnite, port: int) -> Any:
        """A logged-in pyignite client of ``port``, polling until the node listens."""
        deadline = time.monotonic() + START_DEADLINE
        while True:
            if child.process.poll() is not None:
                self.fail(f"twistd exited with {child.process.returncode}:\n{child.output()}")
            client = self.client()
            try:
                client.connect("127.0.0.1", port)
                return client
            except AuthenticationError:
                raise
            except Exception as error:  # pyignite's socket, handshake and reconnect errors
                client.close()
                if time.monotonic() > deadline:
                    self.fail(f"node {port} not reachable in {START_DEADLINE}s: {error!r}\n"
                              f"{child.output()}")
                time.sleep(0.1)  # the server is another process: no reactor to drive here

    def test_tls_auth_two_nodes_durable_through_restart(self) -> None:
        child = self.start(1)
        first, second = (self.connect(child, port) for port in self.ports)
        try:
            cache = first.get_or_create_cache("twistd")
            cache.put("key", "value")
            self.assertEqual(second.get_cache("twistd").get("key"), "value")  # one cluster
            second.get_cache("twistd").put("other", 42)
            self.assertEqual(cache.get("other"), 42)
        finally:
            first.close()
            second.close()

        for port in self.ports:
            intruder = self.client(password="wrong")
            with self.assertRaises(AuthenticationError):
                intruder.connect("127.0.0.1", port)
            intruder.close()

        # twistd re-raises SIGTERM on itself after a clean shutdown; SIGKILL (-9) is not clean.
        self.assertIn(child.stop(), (0, -signal.SIGTERM), child.output())
        self.assertIn("Server Shut Down.", child.output())

        restarted = self.start(2)
        for port in self.ports:
            client = self.connect(restarted, port)
            try:
                cache = client.get_cache("twistd")
                self.assertEqual((cache.get("key"), cache.get("other")), ("value", 42))
            finally:
                client.close()
