"""``twistd -n txkv`` / ``txkv serve``: every embedded server in one process."""

from __future__ import annotations

import importlib
from typing import Any, Dict, List, Tuple

from twisted.application.service import IService, MultiService
from twisted.logger import Logger
from twisted.python import usage

_log = Logger(namespace="txkv.serve")

#: (name, tap module, default listen port) of every embedded server txkv ships.
SERVERS: List[Tuple[str, str, int]] = [
    ("ignite", "txkv.tap.ignite", 10800),
    ("kt", "txkv.tap.kt", 1978),
    ("tt", "txkv.tap.tt", 1979),
]


def available_servers() -> List[Tuple[str, str, int]]:
    """The servers whose tap module can be imported in this installation."""
    found = []
    for name, module, port in SERVERS:
        try:
            importlib.import_module(module)
        except ImportError:
            continue
        found.append((name, module, port))
    return found


class Options(usage.Options):
    """Options of ``twistd txkv``: a data directory and a port per server (0 = disabled)."""

    optParameters: List[List[Any]] = [
        ["data", "d", None, "Directory for durable data (one subdirectory per server)."],
        ["interface", "i", "127.0.0.1", "Interface to listen on."],
    ]
    optParameters += [
        [name, None, port, f"Port of the embedded {name} server (0 = do not start).", int]
        for name, _module, port in SERVERS
    ]


def make_server_options(name: str, module: str, port: int, data: str | None, interface: str) -> Any:
    """Parse the server's own twistd options for a listen address and data directory."""
    tap = importlib.import_module(module)
    opts = tap.Options()
    argv = ["--listen", f"tcp:{port}:interface={interface}"]
    if data:
        argv += ["--data", f"{data}/{name}"]
    opts.parseOptions(argv)
    return tap, opts


def makeService(options: Dict[str, Any]) -> IService:
    top = MultiService()
    for name, module, _default in available_servers():
        port = options[name]
        if not port:
            continue
        tap, opts = make_server_options(name, module, port, options["data"], options["interface"])
        service = tap.makeService(opts)
        service.setName(name)
        service.setServiceParent(top)
        _log.info("txkv serve: {name} on {interface}:{port}", name=name,
                  interface=options["interface"], port=port)
    return top
