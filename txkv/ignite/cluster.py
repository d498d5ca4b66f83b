"""The cluster facade of a client: :class:`Cluster` (cluster state)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from twisted.internet.defer import Deferred, fail

from txkv.ignite.codec import messages as m
from txkv.ignite.codec import ops
from txkv.ignite.codec.ops import ClusterState, Feature
from txkv.ignite.errors import NotSupportedByClusterError, ParameterError
from txkv.ignite.protocol import IgniteProtocol

if TYPE_CHECKING:  # pragma: no cover
    from txkv.ignite.client import Client

__all__ = ["Cluster"]


class Cluster:
    """Cluster-wide operations (``client.get_cluster()``), as pyignite's ``AioCluster``.

    Every method returns a Deferred.  They need the CLUSTER_STATES feature (protocol 1.7.0);
    otherwise they fail with :class:`~txkv.ignite.errors.NotSupportedByClusterError`.
    """

    def __init__(self, client: Client) -> None:
        self.client = client

    def _request(self, op_code: int, args: Any = m.NO_ARGS) -> Deferred[Any]:
        def send(connection: IgniteProtocol) -> Deferred[Any]:
            context = connection.context
            if context is None or not context.has_feature(Feature.CLUSTER_STATES):
                raise NotSupportedByClusterError(
                    "cluster API is not supported by the cluster", node=connection.peer)
            return connection.request(op_code, args)

        return self.client._any_connection().addCallback(send)

    def get_state(self) -> Deferred[ClusterState]:
        """The cluster state (:class:`~txkv.ignite.codec.ops.ClusterState`)."""
        return self._request(ops.OP_CLUSTER_GET_STATE).addCallback(ClusterState)

    def set_state(self, state: int) -> Deferred[None]:
        """Change the cluster state (deactivating clears in-memory caches)."""
        if isinstance(state, bool) or state not in {int(s) for s in ClusterState}:
            return fail(ParameterError(f"unknown cluster state {state!r}"))
        return self._request(ops.OP_CLUSTER_CHANGE_STATE, m.ClusterStateOp(int(state))
                             ).addCallback(lambda _: None)

    def activate(self) -> Deferred[None]:
        return self.set_state(ClusterState.ACTIVE)

    def deactivate(self) -> Deferred[None]:
        return self.set_state(ClusterState.INACTIVE)
