"""The IKeyValueStore adapter over an Ignite cache (in memory, fake clock)."""

from __future__ import annotations

from tests.ignite.client_support import MemoryClientCase
from txkv.ignite.adapter import IgniteKeyValueStore
from txkv.ignite.datatypes import ByteArrayObject
from txkv.ignite.errors import ParameterError
from txkv.interfaces import IKeyValueStore


class AdapterTests(MemoryClientCase):
    def setUp(self) -> None:
        super().setUp()
        self.wait(self.client.get_or_create_cache("kv"))
        self.store = IgniteKeyValueStore(self.client, "kv")

    def test_interface(self) -> None:
        self.assertTrue(IKeyValueStore.providedBy(self.store))

    def test_get_put_delete(self) -> None:
        s = self.store
        self.assertIsNone(self.wait(s.get(b"a")))
        self.wait(s.put(b"a", b"\x00\xff value"))
        self.assertEqual(self.wait(s.get(b"a")), b"\x00\xff value")
        self.assertTrue(self.wait(s.delete(b"a")))
        self.assertFalse(self.wait(s.delete(b"a")))
        # stored as byte[]: visible to typed clients
        cache = self.client.get_cache("kv")
        self.wait(s.put(b"k", b"v"))
        self.assertEqual(self.wait(cache.get(b"k", key_hint=ByteArrayObject)), b"v")

    def test_many_and_scan(self) -> None:
        s = self.store
        data = {f"key{i:02}".encode(): f"v{i}".encode() for i in range(30)}
        data[b"other"] = b"x"
        self.wait(s.put_many(data))
        self.assertEqual(self.wait(s.get_many([b"key01", b"key02", b"nope"])),
                         {b"key01": b"v1", b"key02": b"v2"})
        self.assertEqual(self.wait(s.get_many([])), {})
        everything = self.wait(s.scan(page_size=7).collect())
        self.assertEqual(dict(everything), data)
        prefixed = self.wait(s.scan(prefix=b"key1").collect())
        self.assertEqual(sorted(k for k, _ in prefixed), [f"key1{i}".encode() for i in range(10)])
        ranged = self.wait(s.scan(start=b"key05", stop=b"key08").collect())
        self.assertEqual(sorted(k for k, _ in ranged), [b"key05", b"key06", b"key07"])

    def test_scan_stop_closes(self) -> None:
        self.wait(self.store.put_many({bytes([i]): b"x" for i in range(50)}))
        rows = self.wait(self.store.scan(page_size=5).collect(limit=3))
        self.assertEqual(len(rows), 3)
        self.harness.settle()
        self.assertEqual(self.harness.endpoints[0].node.stats.ops["OP_RESOURCE_CLOSE"], 1)

    def test_bad_input(self) -> None:
        for d in (self.store.get("str"), self.store.put(b"k", 1), self.store.delete(None),
                  self.store.get_many(["x"]), self.store.put_many({b"k": "v"})):
            self.assertIsInstance(self.failureResultOf(d).value, ParameterError)

    def test_close_owns_client(self) -> None:
        store = IgniteKeyValueStore(self.client, "kv", owns_client=True)
        self.wait(store.close())
        self.assertIsNone(self.client.connection_manager)
