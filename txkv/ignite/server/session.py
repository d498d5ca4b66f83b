"""Per-connection server state: negotiated protocol, user, cursors, transactions and the
affinity topology version last reported to the client."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional, Tuple

from txkv.ignite.codec.ops import ProtocolContext

from .cursors import CursorTable
from .transactions import TransactionTable

if TYPE_CHECKING:
    from .cluster import IgniteCluster, IgniteNode

__all__ = ["Session"]


class Session:
    """What one connection negotiated and holds open."""

    def __init__(self, cluster: IgniteCluster, node: IgniteNode, proto: ProtocolContext,
                 username: Optional[str] = None, user_attributes: Any = None) -> None:
        self.cluster = cluster
        self.node = node
        self.proto = proto
        self.username = username
        self.user_attributes = user_attributes
        options = cluster.options
        self.cursors = CursorTable(options.max_cursors)
        self.txs = TransactionTable(cluster.reactor.callLater, options.max_transactions)
        self.reported_topology: Optional[Tuple[int, int]] = None

    def topology_update(self) -> Optional[Tuple[int, int]]:
        """The topology version to put in the next response header, if the client has not
        seen it yet (always the first response; >= 1.4.0 only)."""
        if not self.proto.status_flags:
            return None
        current = self.cluster.topology
        if current == self.reported_topology:
            return None
        self.reported_topology = current
        return current

    def close(self) -> None:
        """Release every cursor and roll back every transaction (on disconnect)."""
        self.cursors.close_all()
        self.txs.rollback_all()
