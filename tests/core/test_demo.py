"""Every demo tour runs to completion (in-process, on the test reactor)."""

from __future__ import annotations

from typing import List

from twisted.internet import reactor
from twisted.internet.defer import Deferred
from twisted.trial.unittest import TestCase

from txkv.demo import DEMOS, run_tour_in_reactor


class DemoTests(TestCase):
    def test_core_tour(self) -> Deferred[None]:
        lines: List[str] = []
        d = run_tour_in_reactor("core", reactor, lines.append)

        def check(_: None) -> None:
            text = "\n".join(lines)
            self.assertIn("10 keys written", text)
            self.assertIn("snapshot still sees user:000 = b'name-0'", text)
            self.assertIn("no reply within 2.0 s", text)

        return d.addCallback(check)

    def test_every_tour_is_registered_and_importable(self) -> None:
        import importlib

        for name, module in DEMOS.items():
            self.assertTrue(callable(importlib.import_module(module).tour), name)


class StoreTourTests(TestCase):
    def test_tyrant_tour(self) -> Deferred[None]:
        lines: List[str] = []
        d = run_tour_in_reactor("tyrant", reactor, lines.append)

        def check(_: None) -> None:
            text = "\n".join(lines)
            self.assertIn("match_prefix('a'): ['apple', 'avocado']", text)
            self.assertIn("table query age >= 30: ['ann']", text)

        return d.addCallback(check)

    def test_kyoto_tour(self) -> Deferred[None]:
        lines: List[str] = []
        d = run_tour_in_reactor("kyoto", reactor, lines.append)

        def check(_: None) -> None:
            text = "\n".join(lines)
            self.assertIn("binary-protocol get: {'name': 'Ann', 'langs': ['py', 'lua']}", text)
            self.assertIn("incr: 3 then 7", text)
            self.assertIn("keys() scanner: ['counter', 'user:1', 'user:2', 'user:3']", text)

        return d.addCallback(check)
