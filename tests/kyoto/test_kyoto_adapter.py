"""The IKeyValueStore adapters of Kyoto Tycoon and Tokyo Tyrant, against the embedded servers."""

from __future__ import annotations

from typing import Any, Dict, List

from twisted.internet import reactor
from twisted.internet.defer import Deferred, ensureDeferred
from twisted.trial.unittest import TestCase
from zope.interface.verify import verifyObject

from txkv.errors import ParameterError
from txkv.interfaces import IKeyValueStore
from txkv.kyoto import KT_MSGPACK, KyotoTycoon, TokyoTyrant
from txkv.kyoto.adapter import KyotoTycoonKeyValueStore, TokyoTyrantKeyValueStore
from txkv.testing import start_server

KEYS = [b"a", b"ab", b"abc", b"ac", b"b", b"b\x00", b"b\xff\xfe", b"c"]
DATA = {k: b"v-" + k for k in KEYS}


class AdapterBehaviour:
    """Shared checks; subclasses set up ``self.store`` (an empty store) and ``self.client``."""

    store: Any

    async def _load(self) -> None:
        await self.store.put_many(DATA)

    async def _scan(self, **kwargs: Any) -> Any:
        return await self.store.scan(**kwargs).collect()

    def test_provides_interface(self: Any) -> None:
        verifyObject(IKeyValueStore, self.store)

    def test_single_key_operations(self: Any) -> Deferred[None]:
        async def run() -> None:
            self.assertIsNone(await self.store.get(b"k\xff"))
            self.assertIsNone(await self.store.put(b"k\xff", b"\x00\x81binary"))
            self.assertEqual(await self.store.get(b"k\xff"), b"\x00\x81binary")
            self.assertIsNone(await self.store.put(b"k\xff", b""))
            self.assertEqual(await self.store.get(b"k\xff"), b"")
            self.assertIs(await self.store.delete(b"k\xff"), True)
            self.assertIs(await self.store.delete(b"k\xff"), False)
            self.assertIsNone(await self.store.get(b"k\xff"))
        return ensureDeferred(run())

    def test_many(self: Any) -> Deferred[None]:
        async def run() -> None:
            self.assertIsNone(await self.store.put_many(DATA))
            self.assertIsNone(await self.store.put_many({}))
            found = await self.store.get_many([b"a", b"b\xff\xfe", b"zz"])
            self.assertEqual(found, {b"a": b"v-a", b"b\xff\xfe": b"v-b\xff\xfe"})
            self.assertEqual(await self.store.get_many([]), {})
        return ensureDeferred(run())

    def test_scan_everything_in_order(self: Any) -> Deferred[None]:
        async def run() -> None:
            self.assertEqual(await self._scan(), [])
            await self._load()
            self.assertEqual(await self._scan(), sorted(DATA.items()))
            self.assertEqual(await self._scan(page_size=3), sorted(DATA.items()))
            self.assertEqual(await self._scan(page_size=1), sorted(DATA.items()))
        return ensureDeferred(run())

    def test_scan_bounds(self: Any) -> Deferred[None]:
        async def run() -> None:
            await self._load()
            cases: List[Dict[str, Any]] = [
                dict(start=b"ab"), dict(stop=b"b"), dict(start=b"ab", stop=b"b\x00"),
                           dict(prefix=b"a"), dict(prefix=b"b", page_size=2),
                           dict(prefix=b"a", start=b"abc", stop=b"ac"),
                           dict(prefix=b"ab", start=b"a"), dict(start=b"c\x00"),
                           dict(start=b"b", stop=b"a"), dict(prefix=b"zz")]
            for kwargs in cases:
                expected = sorted(
                    (k, v) for k, v in DATA.items()
                    if k >= kwargs.get("start", b"") and
                    ("stop" not in kwargs or k < kwargs["stop"]) and
                    k.startswith(kwargs.get("prefix", b"")))
                self.assertEqual(await self._scan(**kwargs), expected, kwargs)
        return ensureDeferred(run())

    def test_scan_can_stop_early(self: Any) -> Deferred[None]:
        async def run() -> None:
            await self._load()
            scanner = self.store.scan(page_size=2)
            self.assertEqual(await scanner.get_next(), (b"a", b"v-a"))
            await scanner.close()
            self.assertEqual(await self.store.get(b"c"), b"v-c")
        return ensureDeferred(run())

    def test_bad_input(self: Any) -> Deferred[None]:
        async def run() -> None:
            calls = [lambda: self.store.get("text"), lambda: self.store.put(b"k", "text"),
                     lambda: self.store.put(1, b"v"), lambda: self.store.delete(None),
                     lambda: self.store.get_many([b"a", "b"]),
                     lambda: self.store.put_many({b"a": b"1", b"b": 2})]
            for call in calls:
                with self.assertRaises(ParameterError):
                    await call()
            bad: List[Dict[str, Any]] = [dict(start="a"), dict(stop=1), dict(prefix="p"),
                                         dict(page_size=0), dict(page_size="5")]
            for kwargs in bad:
                self.assertRaises(ParameterError, self.store.scan, **kwargs)
            self.assertIsNone(await self.store.get(b"a"))  # nothing half-written
        return ensureDeferred(run())

    def test_close_keeps_or_closes_the_client(self: Any) -> Deferred[None]:
        async def run() -> None:
            await self.store.put(b"x", b"1")
            self.assertIsNone(await self.store.close())
            self.assertEqual(await self.store.get(b"x"), b"1")  # client not owned: still open
            owner = type(self.store)(self.client, owns_client=True)
            self.assertIsNone(await owner.close())
        return ensureDeferred(run())


class KyotoTycoonAdapterTests(AdapterBehaviour, TestCase):
    async def _setup(self) -> None:
        self.server = await start_server("kt", reactor=reactor)
        # a msgpack client that decodes keys: the adapter must still speak raw bytes
        self.client = KyotoTycoon("127.0.0.1", self.server.port, serializer=KT_MSGPACK,
                                  timeout=10)
        self.store = KyotoTycoonKeyValueStore(self.client)

    def setUp(self) -> Deferred[None]:  # type: ignore[override]
        return ensureDeferred(self._setup())

    def tearDown(self) -> Deferred[Any]:  # type: ignore[override]
        return self.client.close().addBoth(lambda _: self.server.stop())

    def test_unordered_database_filters_on_the_client(self) -> Deferred[None]:
        async def run() -> None:
            await self._load()
            store = KyotoTycoonKeyValueStore(self.client, ordered=False)
            self.assertEqual(sorted(await store.scan(prefix=b"a", stop=b"ac").collect()),
                             [(b"a", b"v-a"), (b"ab", b"v-ab"), (b"abc", b"v-abc")])
        return ensureDeferred(run())

    def test_second_database(self) -> Deferred[None]:
        async def run() -> None:
            await self.server.stop()
            self.server = await start_server("kt", reactor=reactor, databases=("*", "%"))
            await self.client.close()
            self.client = KyotoTycoon("127.0.0.1", self.server.port, timeout=10)
            other = KyotoTycoonKeyValueStore(self.client, db=1)
            await other.put(b"k", b"v")
            self.assertEqual(await other.get(b"k"), b"v")
            self.assertIsNone(await KyotoTycoonKeyValueStore(self.client).get(b"k"))
            self.assertEqual(await other.scan().collect(), [(b"k", b"v")])
        return ensureDeferred(run())


class TokyoTyrantAdapterTests(AdapterBehaviour, TestCase):
    async def _setup(self) -> None:
        self.server = await start_server("tt", reactor=reactor, kind="btree")
        self.client = TokyoTyrant("127.0.0.1", self.server.port, timeout=10)
        self.store = TokyoTyrantKeyValueStore(self.client)

    def setUp(self) -> Deferred[None]:  # type: ignore[override]
        return ensureDeferred(self._setup())

    def tearDown(self) -> Deferred[Any]:  # type: ignore[override]
        return self.client.close().addBoth(lambda _: self.server.stop())
