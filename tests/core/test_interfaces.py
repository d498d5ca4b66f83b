"""Tests for txkv.interfaces: the IKeyValueStore surface and the store adapters that provide it."""

from __future__ import annotations

import importlib
import inspect
from typing import Any, Dict, List, Optional

from twisted.internet.defer import Deferred, succeed
from twisted.trial.unittest import SynchronousTestCase
from zope.interface import Interface, implementer
from zope.interface.exceptions import BrokenImplementation, BrokenMethodImplementation
from zope.interface.verify import verifyClass, verifyObject

from txkv.interfaces import IKeyValueStore
from txkv.scanner import PagedScanner, Scanner

#: The store adapters that exist, as ``module:class``.  Add each new store's adapter here.
ADAPTERS = ["txkv.ignite.adapter:IgniteKeyValueStore",
            "txkv.kyoto.adapter:KyotoTycoonKeyValueStore",
            "txkv.kyoto.adapter:TokyoTyrantKeyValueStore"]

#: The surface issue 2 asks for, with the arguments each method takes.
SURFACE = {
    "get": ["key"],
    "put": ["key", "value"],
    "delete": ["key"],
    "get_many": ["keys"],
    "put_many": ["mapping"],
    "scan": ["start", "stop", "prefix", "page_size"],
    "close": [],
}


@implementer(IKeyValueStore)
class DictStore:
    """A minimal in-memory provider, to check the interface is implementable as documented."""

    def __init__(self) -> None:
        self.data: Dict[bytes, bytes] = {}

    def get(self, key: bytes) -> Deferred[Optional[bytes]]:
        return succeed(self.data.get(key))

    def put(self, key: bytes, value: bytes) -> Deferred[None]:
        self.data[key] = value
        return succeed(None)

    def delete(self, key: bytes) -> Deferred[bool]:
        return succeed(self.data.pop(key, None) is not None)

    def get_many(self, keys: List[bytes]) -> Deferred[Dict[bytes, bytes]]:
        return succeed({k: self.data[k] for k in keys if k in self.data})

    def put_many(self, mapping: Dict[bytes, bytes]) -> Deferred[None]:
        self.data.update(mapping)
        return succeed(None)

    def scan(self, start: Optional[bytes] = None, stop: Optional[bytes] = None,
             prefix: Optional[bytes] = None, page_size: Optional[int] = None) -> Scanner[Any]:
        rows = sorted((k, v) for k, v in self.data.items()
                      if (start is None or k >= start) and (stop is None or k < stop)
                      and (prefix is None or k.startswith(prefix)))
        return PagedScanner(lambda: succeed((rows, False)))

    def close(self) -> Deferred[None]:
        return succeed(None)


class InterfaceTests(SynchronousTestCase):
    def test_is_a_zope_interface_with_the_issue_surface(self) -> None:
        self.assertTrue(IKeyValueStore.isOrExtends(Interface))
        self.assertEqual(set(IKeyValueStore.names()), set(SURFACE))
        for name, arguments in SURFACE.items():
            self.assertEqual(list(IKeyValueStore[name].positional), arguments, name)
            self.assertTrue(IKeyValueStore[name].getDoc(), f"{name} has no docstring")

    def test_minimal_provider_verifies_and_works(self) -> None:
        store = DictStore()
        verifyObject(IKeyValueStore, store)
        self.assertIsNone(self.successResultOf(store.put(b"b", b"2")))
        self.successResultOf(store.put_many({b"a": b"1", b"c": b"3"}))
        self.assertEqual(self.successResultOf(store.get(b"a")), b"1")
        self.assertEqual(self.successResultOf(store.get_many([b"a", b"x"])), {b"a": b"1"})
        self.assertEqual(self.successResultOf(store.scan(start=b"b").collect()),
                         [(b"b", b"2"), (b"c", b"3")])
        self.assertTrue(self.successResultOf(store.delete(b"a")))
        self.assertFalse(self.successResultOf(store.delete(b"a")))

    def test_verification_rejects_incomplete_providers(self) -> None:
        @implementer(IKeyValueStore)
        class NoScan(DictStore):
            scan = None  # type: ignore[assignment]

        @implementer(IKeyValueStore)
        class BadPut(DictStore):
            def put(self) -> None:  # type: ignore[override]
                pass

        self.assertRaises((BrokenImplementation, BrokenMethodImplementation),
                          verifyObject, IKeyValueStore, NoScan())
        self.assertRaises(BrokenMethodImplementation, verifyClass, IKeyValueStore, BadPut)


class AdapterTests(SynchronousTestCase):
    """Every store adapter declares and implements the interface (signatures included)."""

    def test_adapters(self) -> None:
        for spec in ADAPTERS:
            module_name, class_name = spec.split(":")
            adapter = getattr(importlib.import_module(module_name), class_name)
            self.assertTrue(IKeyValueStore.implementedBy(adapter), spec)
            verifyClass(IKeyValueStore, adapter)
            for name in SURFACE:
                method = getattr(adapter, name)
                self.assertTrue(inspect.isfunction(method), f"{spec}.{name}")
