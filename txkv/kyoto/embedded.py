"""Run a Kyoto Tycoon server in a child process, for tests, examples and development.

``ktserver`` is used when that executable is on ``PATH``; otherwise txkv's own server runs as
``python -m txkv.kyoto.kt_server``.  Both speak the same protocols, so the bound
:attr:`EmbeddedServer.client` works with either.
"""

from __future__ import annotations

import os
import shutil
import socket
import sys
from typing import Any, List, Optional, Sequence

from twisted.internet.defer import Deferred, succeed
from twisted.internet.protocol import ProcessProtocol
from twisted.logger import Logger
from twisted.python.failure import Failure

from txkv.errors import TxKVError
from txkv.kyoto.kt_client import KyotoTycoon
from txkv.kyoto.serializers import KT_BINARY

__all__ = ["EmbeddedServer", "EmbeddedServerError"]

_log = Logger(namespace="txkv.kyoto.embedded")


class EmbeddedServerError(TxKVError):
    """The server process could not be started (or died while starting)."""


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


class _ServerProcess(ProcessProtocol):
    def __init__(self) -> None:
        self.listening: Deferred[int] = Deferred()
        self.ended: Deferred[None] = Deferred()
        self._out = b""
        self.stderr = b""

    def outReceived(self, data: bytes) -> None:
        self._out += data
        while b"\n" in self._out:
            line, self._out = self._out.split(b"\n", 1)
            text = line.decode("utf-8", "replace")
            if "listening on" in text and not self.listening.called:
                self.listening.callback(int(text.rsplit(":", 1)[1]))

    def errReceived(self, data: bytes) -> None:
        self.stderr = (self.stderr + data)[-8192:]

    def processEnded(self, reason: Failure) -> None:
        if not self.listening.called:
            message = self.stderr.decode("utf-8", "replace").strip()
            self.listening.errback(EmbeddedServerError(
                f"server exited before listening: {reason.getErrorMessage()} {message}"))
        self.ended.callback(None)


class EmbeddedServer:
    """A Kyoto Tycoon server in a child process.

    :param server: the ``ktserver`` executable to prefer (used when found on ``PATH``).
    :param host: interface to bind.
    :param port: port; None picks a free one.
    :param database: database spec (``*`` in-memory; with txkv's server any name is kept in
        memory unless ``data_dir`` is given).
    :param server_args: extra command-line arguments for the server.
    :param serializer: serializer of the bound :attr:`client`.
    :param script: Lua file of procedures (``-scr``).
    :param data_dir: txkv server only: LevelDB directory for persistent storage.
    :param reactor: reactor to spawn on (default: the global one).
    :param start_timeout: seconds to wait for the server to listen.
    """

    def __init__(self, server: str = "ktserver", host: str = "127.0.0.1",
                 port: Optional[int] = None, database: str = "*",
                 server_args: Optional[Sequence[str]] = None, serializer: Any = KT_BINARY,
                 script: Optional[str] = None, data_dir: Optional[str] = None,
                 reactor: Any = None, start_timeout: float = 30.0) -> None:
        if reactor is None:
            from twisted.internet import reactor as _reactor

            reactor = _reactor
        self.server = server
        self.host = host
        self.port = port
        self.database = database
        self.server_args = list(server_args or [])
        self.serializer = serializer
        self.script = script
        self.data_dir = data_dir
        self.reactor = reactor
        self.start_timeout = start_timeout
        self._process: Any = None
        self._proto: Optional[_ServerProcess] = None
        self._client: Optional[KyotoTycoon] = None

    @property
    def running(self) -> bool:
        return self._proto is not None and not self._proto.ended.called

    @property
    def pid(self) -> Optional[int]:
        return self._process.pid if self.running else None

    @property
    def client(self) -> KyotoTycoon:
        """A :class:`~txkv.kyoto.KyotoTycoon` bound to the running server."""
        if not self.running or self.port is None:
            raise EmbeddedServerError("server not running")
        if self._client is None:
            self._client = KyotoTycoon(self.host, self.port, serializer=self.serializer,
                                       reactor=self.reactor, timeout=30.0)
        return self._client

    def _command(self) -> List[str]:
        executable = shutil.which(self.server)
        if executable is not None:
            if self.port is None:
                self.port = free_port(self.host)
            args = [executable, "-le", "-host", self.host, "-port", str(self.port)]
            if self.script:
                args += ["-scr", self.script]
            return args + self.server_args + [self.database]
        args = [sys.executable, "-m", "txkv.kyoto.kt_server", "--host", self.host,
                "--port", str(self.port or 0)]
        if self.script:
            args += ["--script", self.script]
        if self.data_dir:
            args += ["--data", self.data_dir]
        return args + self.server_args + [self.database]

    def run(self) -> Deferred[bool]:
        """Start the server; fires True once it accepts connections (False if already
        running)."""
        if self.running:
            return succeed(False)
        command = self._command()
        proto = _ServerProcess()
        self._proto = proto
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
        self._process = self.reactor.spawnProcess(proto, command[0], command, env=env)
        if not command[0].endswith("ktserver"):
            d = proto.listening
        else:
            d = self._wait_for_port()
        d.addTimeout(self.start_timeout, self.reactor)

        def started(port: Any) -> bool:
            if isinstance(port, int):
                self.port = port
            _log.info("embedded KT server running on {host}:{port}", host=self.host,
                      port=self.port)
            return True

        def failed(f: Failure) -> Failure:
            self._kill()
            return f

        return d.addCallbacks(started, failed)

    def _wait_for_port(self) -> Deferred[int]:
        from twisted.internet.endpoints import TCP4ClientEndpoint
        from twisted.internet.protocol import Factory, Protocol
        from twisted.internet.task import deferLater

        assert self.port is not None
        port = self.port
        endpoint = TCP4ClientEndpoint(self.reactor, self.host, port)

        def attempt(_: object = None) -> Deferred[int]:
            def ok(p: Protocol) -> int:
                assert p.transport is not None
                p.transport.loseConnection()
                return port

            def retry(f: Failure) -> Deferred[int]:
                if self._proto is None or self._proto.ended.called:
                    return self._proto.listening if self._proto else f  # type: ignore[return-value]
                return deferLater(self.reactor, 0.05, lambda: None).addCallback(attempt)

            return endpoint.connect(Factory.forProtocol(Protocol)).addCallbacks(ok, retry)

        return attempt()

    def _kill(self) -> None:
        if self.running:
            try:
                self._process.signalProcess("KILL")
            except Exception:
                pass

    def stop(self) -> Deferred[bool]:
        """Stop the server; fires True once the process ended (False if it was not running)."""
        client, self._client = self._client, None
        closing = client.close() if client is not None else succeed(None)
        if not self.running:
            return closing.addCallback(lambda _: False)
        assert self._proto is not None
        ended = self._proto.ended

        def terminate(_: object) -> Deferred[None]:
            try:
                self._process.signalProcess("TERM")
            except Exception:
                pass
            killer = self.reactor.callLater(10.0, self._kill)

            def done(result: object) -> object:
                if killer.active():
                    killer.cancel()
                return result

            return ended.addBoth(done)

        return closing.addBoth(terminate).addCallback(lambda _: True)



