"""Run a Tokyo Tyrant server in a child process, for tests, examples and development.

``ttserver`` is used when that executable is on ``PATH``; otherwise txkv's own server runs as
``python -m txkv.kyoto.tyrant.server``.  Both speak the binary protocol, so the bound
:attr:`EmbeddedTokyoTyrantServer.client` works with either.
"""

from __future__ import annotations

from typing import Any, List, Optional, Sequence

from txkv.kyoto.embedded_process import EmbeddedProcess, EmbeddedServerError
from txkv.kyoto.serializers import KT_BINARY
from txkv.kyoto.tyrant.client import TokyoTyrant

__all__ = ["EmbeddedTokyoTyrantServer", "EmbeddedServerError"]


class EmbeddedTokyoTyrantServer(EmbeddedProcess[TokyoTyrant]):
    """A Tokyo Tyrant server in a child process (the seed's ``EmbeddedTokyoTyrantServer``).

    :param server: the ``ttserver`` executable to prefer (used when found on ``PATH``).
    :param host: interface to bind.
    :param port: port; None picks a free one.
    :param database: ttserver database spec: ``*`` in-memory hash (default), ``+`` in-memory
        B+ tree, ``*.tct``-style names for a table database (txkv's server keeps data in
        memory unless ``data_dir`` is given).
    :param server_args: extra command-line arguments for the server.
    :param serializer: serializer of the bound :attr:`client`.
    :param data_dir: txkv server only: LevelDB directory for persistent storage.
    :param ext_script: Lua file of ext functions (``-ext`` of ttserver).
    :param reactor: reactor to spawn on (default: the global one).
    :param start_timeout: seconds to wait for the server to listen.

    :meth:`run` and :meth:`stop` return Deferreds firing with the seed's booleans.
    """

    txkv_module = "txkv.kyoto.tyrant.server"
    label = "Tokyo Tyrant server"

    def __init__(self, server: str = "ttserver", host: str = "127.0.0.1",
                 port: Optional[int] = None, database: str = "*",
                 server_args: Optional[Sequence[str]] = None, serializer: Any = KT_BINARY,
                 data_dir: Optional[str] = None, ext_script: Optional[str] = None,
                 reactor: Any = None, start_timeout: float = 30.0) -> None:
        super().__init__(server, host, port, database, server_args, serializer, reactor,
                         start_timeout)
        self.data_dir = data_dir
        self.ext_script = ext_script

    def _native_args(self) -> List[str]:
        return ["-ext", self.ext_script] if self.ext_script else []

    def _txkv_args(self) -> List[str]:
        args = ["--data", self.data_dir] if self.data_dir else []
        return args + (["--ext", self.ext_script] if self.ext_script else [])

    def _make_client(self) -> TokyoTyrant:
        assert self.port is not None
        return TokyoTyrant(self.host, self.port, serializer=self.serializer,
                           reactor=self.reactor, timeout=30.0)
