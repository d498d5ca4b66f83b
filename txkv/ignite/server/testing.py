"""The embedded Ignite server as a named test server of :mod:`txkv.testing`.

``txkv.testing.start_server("ignite", data=None, auth=None, ...)`` listens with the factory of
a one-node cluster built by :func:`make_server_factory`.
"""

from __future__ import annotations

from typing import Any

from .protocol import IgniteServerFactory

__all__ = ["make_server_factory"]


def make_server_factory(reactor: Any = None, **options: Any) -> IgniteServerFactory:
    """The protocol factory of a fresh one-node cluster (``options``: ServerOptions fields).

    The factory's ``cluster`` attribute is the cluster; ``factory.cluster.stop()`` closes its
    storage.
    """
    from .cluster import IgniteCluster, ServerOptions

    cluster = IgniteCluster(ServerOptions(**options), reactor=reactor)
    return cluster.add_node().factory
