"""An embedded Apache Ignite thin-client server over :mod:`txkv.storage`.

It speaks the binary protocol 1.0.0-1.7.0 with the same sans-IO codec as txkv's client, so the
official ``pyignite`` client works against it unchanged.  Several nodes (listening ports) can
form one cluster over one shared store, with a real partition map for partition awareness.

Entry points (imported lazily, so ``txkv.ignite.server.sql`` stays importable on its own):

* :func:`start_server` -- start a cluster of ``nodes`` listeners on the reactor; returns a
  ``Deferred`` firing with the :class:`IgniteCluster` (``.addresses``, ``.stop()``).
* :class:`IgniteCluster` / :class:`ServerOptions` -- build and run a cluster by hand.
* :class:`IgniteServerFactory` -- the Twisted protocol factory of one node.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "IgniteCluster",
    "IgniteNode",
    "IgniteServerFactory",
    "IgniteServerProtocol",
    "ServerOptions",
    "start_server",
    "start_cluster",
]

_LAZY = {
    "IgniteCluster": "txkv.ignite.server.cluster",
    "IgniteNode": "txkv.ignite.server.cluster",
    "ServerOptions": "txkv.ignite.server.cluster",
    "start_server": "txkv.ignite.server.cluster",
    "start_cluster": "txkv.ignite.server.cluster",
    "IgniteServerFactory": "txkv.ignite.server.protocol",
    "IgniteServerProtocol": "txkv.ignite.server.protocol",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
