"""The Ignite demo tour (``txkv demo ignite``) runs to completion on the test reactor."""

from __future__ import annotations

from typing import List

from twisted.internet import reactor
from twisted.internet.defer import Deferred
from twisted.trial.unittest import TestCase

from txkv.demo.ignite import tour


class IgniteTourTests(TestCase):
    timeout = 60

    def test_tour(self) -> Deferred[None]:
        lines: List[str] = []
        d = Deferred.fromCoroutine(tour(reactor, lines.append))

        def check(_: None) -> None:
            self.assertEqual(lines, [
                "connected to 2 nodes (partition aware)",
                "get: 42; char-typed key: char key",
                "10 puts in flight, then get_all: {2: 4, 3: 9}",
                "complex object: Person(name='Ann', age=30, version=1)",
                "map: (1, {'x': 1})",
                "scan (pages of 4): 14 entries",
                "transactions: committed",
                "sql: [['NAME'], ['Oslo'], ['Bergen']]",
                "caches: ['SQL_PUBLIC_CITY', 'tour', 'tour-tx']",
            ])

        return d.addCallback(check)
