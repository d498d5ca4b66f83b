"""Run a store's server in a child process (``reactor.spawnProcess``): the shared launcher of
:class:`~txkv.kyoto.EmbeddedServer` and :class:`~txkv.kyoto.EmbeddedTokyoTyrantServer`.

The native executable (``ktserver``, ``ttserver``) is used when it is on ``PATH``; it is started
on a free port and polled until it accepts connections.  Otherwise txkv's own server runs as
``python -m <module> --port 0`` and reports the port it bound on stdout
(``... listening on HOST:PORT``).
"""

from __future__ import annotations

import os
import shutil
import socket
import sys
from typing import Any, Generic, List, Optional, Sequence, TypeVar

from twisted.internet.defer import Deferred, succeed
from twisted.internet.protocol import ProcessProtocol
from twisted.logger import Logger
from twisted.python.failure import Failure

from txkv.errors import TxKVError

__all__ = ["EmbeddedProcess", "EmbeddedServerError", "ServerProcess", "free_port"]

_log = Logger(namespace="txkv.kyoto.embedded")

C = TypeVar("C")


class EmbeddedServerError(TxKVError):
    """The server process could not be started (or died while starting)."""


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


class ServerProcess(ProcessProtocol):
    """Watches the child: ``listening`` fires with the port txkv's server prints, ``ended`` when
    the process is gone; the tail of stderr is kept for error messages."""

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


class EmbeddedProcess(Generic[C]):
    """Start, watch and stop one server process; subclasses say how to launch it
    (:meth:`_native_args`, :meth:`_txkv_args`) and which client binds to it
    (:meth:`_make_client`).

    :param server: the native executable to prefer (used when found on ``PATH``).
    :param host: interface to bind.
    :param port: port; None picks a free one.
    :param database: database spec, the server's last argument.
    :param server_args: extra command-line arguments for the server.
    :param serializer: serializer of the bound :attr:`client`.
    :param reactor: reactor to spawn on (default: the global one).
    :param start_timeout: seconds to wait for the server to listen.
    :param stop_timeout: seconds after SIGTERM before the process is killed.
    """

    #: ``python -m`` module of txkv's own server.
    txkv_module = ""
    #: Names the server in log messages.
    label = "server"

    def __init__(self, server: str, host: str = "127.0.0.1", port: Optional[int] = None,
                 database: str = "*", server_args: Optional[Sequence[str]] = None,
                 serializer: Any = None, reactor: Any = None, start_timeout: float = 30.0,
                 stop_timeout: float = 10.0) -> None:
        if reactor is None:
            from twisted.internet import reactor as _reactor

            reactor = _reactor
        self.server = server
        self.host = host
        self.port = port
        self.database = database
        self.server_args = list(server_args or [])
        self.serializer = serializer
        self.reactor = reactor
        self.start_timeout = start_timeout
        self.stop_timeout = stop_timeout
        self.native = False
        self._process: Any = None
        self._proto: Optional[ServerProcess] = None
        self._client: Optional[C] = None

    # -- what subclasses provide --------------------------------------------------------------

    def _native_args(self) -> List[str]:  # pragma: no cover - abstract
        """Arguments of the native executable, after ``-host H -port P``."""
        raise NotImplementedError

    def _txkv_args(self) -> List[str]:  # pragma: no cover - abstract
        """Arguments of txkv's server, after ``--host H --port P``."""
        raise NotImplementedError

    def _make_client(self) -> C:  # pragma: no cover - abstract
        raise NotImplementedError

    # -- state ----------------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        """True while the child process is alive."""
        return self._proto is not None and not self._proto.ended.called

    @property
    def pid(self) -> Optional[int]:
        """The child's process id while it runs."""
        return self._process.pid if self.running else None

    @property
    def client(self) -> C:
        """The client bound to the running server (created on first access)."""
        if not self.running or self.port is None:
            raise EmbeddedServerError("server not running")
        if self._client is None:
            self._client = self._make_client()
        return self._client

    def _command(self) -> List[str]:
        executable = shutil.which(self.server)
        self.native = executable is not None
        if executable is not None:
            if self.port is None:
                self.port = free_port(self.host)
            return [executable, "-host", self.host, "-port", str(self.port),
                    *self._native_args(), *self.server_args, self.database]
        return [sys.executable, "-m", self.txkv_module, "--host", self.host,
                "--port", str(self.port or 0), *self._txkv_args(), *self.server_args,
                self.database]

    # -- lifecycle ------------------------------------------------------------------------------

    def run(self) -> Deferred[bool]:
        """Start the server; fires True once it accepts connections (False if already
        running), fails with :class:`EmbeddedServerError` if it cannot start."""
        if self.running:
            return succeed(False)
        command = self._command()
        proto = ServerProcess()
        self._proto = proto
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
        self._process = self.reactor.spawnProcess(proto, command[0], command, env=env)
        d: Deferred[int] = self._wait_for_port() if self.native else proto.listening
        d.addTimeout(self.start_timeout, self.reactor)

        def started(port: int) -> bool:
            self.port = port
            _log.info("embedded {label} running on {host}:{port}", label=self.label,
                      host=self.host, port=port)
            return True

        def failed(f: Failure) -> Failure:
            self._kill()
            return f

        return d.addCallbacks(started, failed)

    def _wait_for_port(self) -> Deferred[int]:
        """Native servers print nothing useful: poll the port until it accepts."""
        from twisted.internet.endpoints import TCP4ClientEndpoint
        from twisted.internet.protocol import Factory, Protocol
        from twisted.internet.task import deferLater

        assert self.port is not None and self._proto is not None
        port = self.port
        proto = self._proto
        endpoint = TCP4ClientEndpoint(self.reactor, self.host, port)

        def attempt(_: object = None) -> Deferred[int]:
            def ok(p: Protocol) -> int:
                assert p.transport is not None
                p.transport.loseConnection()
                return port

            def retry(f: Failure) -> Deferred[int]:
                if proto.ended.called:
                    return proto.listening  # failed with the process's stderr
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
        """Close the bound client and stop the server; fires True once the process ended
        (False if it was not running).  SIGTERM first, SIGKILL after ``stop_timeout``."""
        client, self._client = self._client, None
        closing: Deferred[Any] = (client.close()  # type: ignore[attr-defined]
                                  if client is not None else succeed(None))
        if not self.running:
            return closing.addCallback(lambda _: False)
        assert self._proto is not None
        ended = self._proto.ended

        def terminate(_: object) -> Deferred[None]:
            try:
                self._process.signalProcess("TERM")
            except Exception:
                pass
            killer = self.reactor.callLater(self.stop_timeout, self._kill)

            def done(result: object) -> object:
                if killer.active():
                    killer.cancel()
                return result

            return ended.addBoth(done)

        return closing.addBoth(terminate).addCallback(lambda _: True)
