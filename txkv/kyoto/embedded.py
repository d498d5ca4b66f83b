"""Run a Kyoto Tycoon server in a child process, for tests, examples and development.

``ktserver`` is used when that executable is on ``PATH``; otherwise txkv's own server runs as
``python -m txkv.kyoto.kt_server``.  Both speak the same protocols, so the bound
:attr:`EmbeddedServer.client` works with either.
"""

from __future__ import annotations

from typing import Any, List, Optional, Sequence

from txkv.kyoto.embedded_process import EmbeddedProcess, EmbeddedServerError
from txkv.kyoto.kt_client import KyotoTycoon
from txkv.kyoto.serializers import KT_BINARY

__all__ = ["EmbeddedServer", "EmbeddedServerError"]


class EmbeddedServer(EmbeddedProcess[KyotoTycoon]):
    """A Kyoto Tycoon server in a child process (the seed's ``EmbeddedServer``).

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

    :meth:`run` and :meth:`stop` return Deferreds firing with the seed's booleans.
    """

    txkv_module = "txkv.kyoto.kt_server"
    label = "KT server"

    def __init__(self, server: str = "ktserver", host: str = "127.0.0.1",
                 port: Optional[int] = None, database: str = "*",
                 server_args: Optional[Sequence[str]] = None, serializer: Any = KT_BINARY,
                 script: Optional[str] = None, data_dir: Optional[str] = None,
                 reactor: Any = None, start_timeout: float = 30.0) -> None:
        super().__init__(server, host, port, database, server_args, serializer, reactor,
                         start_timeout)
        self.script = script
        self.data_dir = data_dir

    def _native_args(self) -> List[str]:
        return ["-le"] + (["-scr", self.script] if self.script else [])

    def _txkv_args(self) -> List[str]:
        args = ["--script", self.script] if self.script else []
        return args + (["--data", self.data_dir] if self.data_dir else [])

    def _make_client(self) -> KyotoTycoon:
        assert self.port is not None
        return KyotoTycoon(self.host, self.port, serializer=self.serializer,
                           reactor=self.reactor, timeout=30.0)
