"""Table-database queries from the client side: a small immutable query builder.

    q = client.query().filter("age", OP_NUM_GE, 18).order_by("name").limit(10)
    keys = yield q.execute()            # primary keys
    rows = yield q.get()                # [(key, {column: value})]
    n = yield q.count()
    yield q.delete()
"""

from __future__ import annotations

from typing import Any, List, Optional, Sequence, Tuple

from twisted.internet.defer import Deferred

from txkv.kyoto.tyrant.table import Op, Order

__all__ = ["QueryBuilder", "Op", "Order"]


class QueryBuilder:
    """Conditions, orders and a limit for misc ``search``; each method returns a new builder.

    :param client: the :class:`~txkv.kyoto.tyrant.TokyoTyrant` that runs the query (it can
        also be passed to :meth:`execute` and friends, as in the seed's API).
    """

    def __init__(self, client: Any = None) -> None:
        self.client = client
        self._conditions: List[Tuple[Any, int, Any]] = []
        self._orders: List[Tuple[Any, int]] = []
        self._limit: Optional[int] = None
        self._offset: Optional[int] = None

    def clone(self) -> QueryBuilder:
        other = QueryBuilder(self.client)
        other._conditions = list(self._conditions)
        other._orders = list(self._orders)
        other._limit = self._limit
        other._offset = self._offset
        return other

    def filter(self, column: Any, op: int, value: Any) -> QueryBuilder:
        """Keep records whose ``column`` matches (``Op.STR_EQ``, ``Op.NUM_GT``...;
        ``| Op.NEGATE`` inverts).  Column ``""`` is the primary key."""
        other = self.clone()
        other._conditions.append((column, op, value))
        return other

    def order_by(self, column: Any, ordering: int = Order.STR_ASC) -> QueryBuilder:
        other = self.clone()
        other._orders.append((column, ordering))
        return other

    def limit(self, limit: Optional[int] = None) -> QueryBuilder:
        other = self.clone()
        other._limit = limit
        return other

    def offset(self, offset: Optional[int] = None) -> QueryBuilder:
        other = self.clone()
        other._offset = offset
        return other

    def build_search(self) -> List[Sequence[Any]]:
        """The expressions :meth:`TokyoTyrant.search` sends."""
        expressions: List[Sequence[Any]] = [("addcond", c, op, v)
                                            for c, op, v in self._conditions]
        expressions += [("setorder", c, o) for c, o in self._orders]
        if self._limit is not None or self._offset is not None:
            limit = self._limit if self._limit is not None else -1
            expressions.append(("setlimit", limit, self._offset or 0))
        return expressions

    def _client(self, client: Any) -> Any:
        chosen = client if client is not None else self.client
        if chosen is None:
            raise ValueError("no client: pass one to the builder or to this method")
        return chosen

    def execute(self, client: Any = None) -> Deferred[List[Any]]:
        """The matching primary keys."""
        return self._client(client).search(self.build_search())

    def get(self, client: Any = None) -> Deferred[List[Tuple[Any, Any]]]:
        """``[(key, {column: value})]`` of the matching records."""
        return self._client(client).search(
            self.build_search(), "get")

    def count(self, client: Any = None) -> Deferred[int]:
        return self._client(client).search(
            self.build_search(), "count")

    def delete(self, client: Any = None) -> Deferred[bool]:
        """Delete the matching records."""
        return self._client(client).search(
            self.build_search(), "out")
