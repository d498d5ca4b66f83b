"""Every Cache method against the embedded server (in memory, fake clock)."""

from __future__ import annotations

from collections import OrderedDict
from datetime import timedelta
from typing import Any

from tests.ignite.client_support import MemoryClientCase
from txkv.ignite.binary import GenericObjectMeta
from txkv.ignite.cache import Cache
from txkv.ignite.codec import ops
from txkv.ignite.codec.ops import ExpiryPolicy, PeekModes
from txkv.ignite.datatypes import (
    CharObject,
    CollectionObject,
    IntObject,
    MapObject,
    ObjectArrayObject,
    ShortObject,
    String,
)
from txkv.ignite.errors import CacheError, ParameterError


class Person(metaclass=GenericObjectMeta, type_name="Person", schema=OrderedDict([
        ("first_name", String), ("last_name", String), ("age", IntObject)])):
    pass


class CacheKVTests(MemoryClientCase):
    def setUp(self) -> None:
        super().setUp()
        self.cache: Cache = self.wait(self.client.get_or_create_cache("my cache"))

    def test_identity(self) -> None:
        self.assertEqual(self.cache.name, "my cache")
        self.assertEqual(self.cache.cache_id, 2012078094)
        self.assertIs(self.cache.client, self.client)

    def test_put_get(self) -> None:
        c = self.cache
        self.assertIsNone(self.wait(c.put("my key", 42)))
        self.assertEqual(self.wait(c.get("my key")), 42)
        self.assertIsNone(self.wait(c.get("non-existent key")))

    def test_type_hints(self) -> None:
        c = self.cache
        self.wait(c.put("a", 1))
        self.wait(c.put("a", 2, key_hint=CharObject))
        self.wait(c.put("s", 42, value_hint=ShortObject))
        self.assertEqual(self.wait(c.get("a")), 1)
        self.assertEqual(self.wait(c.get("a", key_hint=CharObject)), 2)
        self.assertEqual(self.wait(c.get("s")), 42)
        self.wait(c.remove_keys(["a", ("a", CharObject)]))
        self.assertFalse(self.wait(c.contains_keys(["a"])))
        self.assertFalse(self.wait(c.contains_key("a", key_hint=CharObject)))
        # Int 1 and Long 1 are different keys
        self.wait(c.put(1, "long"))
        self.wait(c.put(1, "int", key_hint=IntObject))
        self.assertEqual(self.wait(c.get(1)), "long")
        self.assertEqual(self.wait(c.get(1, key_hint=IntObject)), "int")

    def test_get_all_put_all(self) -> None:
        c = self.cache
        self.wait(c.put_all({f"key_{i}": i for i in range(20)}))
        self.assertEqual(self.wait(c.get_all(["key_1", "key_2", "missing"])),
                         {"key_1": 1, "key_2": 2})
        self.assertEqual(self.wait(c.get_size()), 20)
        self.assertEqual(self.wait(c.get_size(PeekModes.PRIMARY)), 20)
        self.assertEqual(self.wait(c.get_size([PeekModes.PRIMARY, PeekModes.BACKUP])), 20)
        self.assertIsInstance(self.failureResultOf(c.put_all([1, 2])).value, ParameterError)
        self.assertIsInstance(self.failureResultOf(c.get_size(99)).value, ParameterError)

    def test_conditional_ops(self) -> None:
        c = self.cache
        self.assertTrue(self.wait(c.put_if_absent("k", 1)))
        self.assertFalse(self.wait(c.put_if_absent("k", 2)))
        self.assertEqual(self.wait(c.get_and_put_if_absent("k", 3)), 1)
        self.assertIsNone(self.wait(c.get_and_put_if_absent("k2", 3)))
        self.assertEqual(self.wait(c.get_and_put("k", 4)), 1)
        self.assertEqual(self.wait(c.get_and_replace("k", 5)), 4)
        self.assertIsNone(self.wait(c.get_and_replace("absent", 5)))
        self.assertIsNone(self.wait(c.get("absent")))
        self.assertTrue(self.wait(c.replace("k", 6)))
        self.assertFalse(self.wait(c.replace("absent", 6)))
        self.assertFalse(self.wait(c.replace_if_equals("k", 5, 7)))
        self.assertTrue(self.wait(c.replace_if_equals("k", 6, 7)))
        self.assertEqual(self.wait(c.get("k")), 7)
        self.assertFalse(self.wait(c.remove_if_equals("k", 6)))
        self.assertTrue(self.wait(c.remove_if_equals("k", 7)))
        self.assertEqual(self.wait(c.get_and_remove("k2")), 3)
        self.assertIsNone(self.wait(c.get_and_remove("k2")))
        self.assertFalse(self.wait(c.remove_key("k2")))

    def test_hinted_conditional_ops(self) -> None:
        c = self.cache
        self.wait(c.put(1, 10, key_hint=IntObject, value_hint=IntObject))
        self.assertFalse(self.wait(c.replace_if_equals(1, 10, 11, key_hint=IntObject)))
        self.assertTrue(self.wait(c.replace_if_equals(
            1, 10, 11, key_hint=IntObject, sample_hint=IntObject, value_hint=IntObject)))
        self.assertTrue(self.wait(c.remove_if_equals(1, 11, key_hint=IntObject,
                                                    sample_hint=IntObject)))

    def test_contains_clear_remove(self) -> None:
        c = self.cache
        self.wait(c.put_all({"a": 1, "b": 2, "c": 3, "d": 4, "e": 5}))
        self.assertTrue(self.wait(c.contains_key("a")))
        self.assertTrue(self.wait(c.contains_keys(["a", "b"])))
        self.assertFalse(self.wait(c.contains_keys(["a", "zz"])))
        self.wait(c.clear_key("a"))
        self.wait(c.clear_keys(["b"]))
        self.wait(c.clear(["c"]))
        self.assertEqual(self.wait(c.get_size()), 2)
        self.assertTrue(self.wait(c.remove_key("d")))
        self.wait(c.remove_all())
        self.assertEqual(self.wait(c.get_size()), 0)
        self.wait(c.put("x", 1))
        self.wait(c.clear([]))  # an empty key list clears nothing (None clears everything)
        self.assertEqual(self.wait(c.get_size()), 1)
        self.wait(c.clear())
        self.assertEqual(self.wait(c.get_size()), 0)

    def test_collections(self) -> None:
        c = self.cache
        value = OrderedDict([(1, "test"), ("key", 2.0)])
        self.wait(c.put("my dict", (MapObject.LINKED_HASH_MAP, value)))
        self.assertEqual(self.wait(c.get("my dict")), (MapObject.LINKED_HASH_MAP, value))
        self.wait(c.put("my list", (CollectionObject.LINKED_LIST, [1, "2", 3.0])))
        self.assertEqual(self.wait(c.get("my list")), (2, [1, "2", 3.0]))
        self.wait(c.put("arr", (ObjectArrayObject.OBJECT, [7, "8", 9.0]),
                       value_hint=ObjectArrayObject))
        self.assertEqual(self.wait(c.get("arr")), (-1, [7, "8", 9.0]))

    def test_complex_objects(self) -> None:
        c = self.cache
        self.wait(c.put(1, Person(first_name="Ivan", last_name="Ivanov", age=33)))
        person = self.wait(c.get(1))
        self.assertEqual((person.first_name, person.last_name, person.age),
                         ("Ivan", "Ivanov", 33))
        self.assertEqual(type(person).type_name, "Person")
        # a second client knows nothing: it reads the metadata from the cluster
        from txkv.ignite.client import Client

        other = Client(reactor=self.harness.clock, timeout=5.0)
        self.wait(other.connect(self.harness.nodes))
        self.addCleanup(lambda: self.wait(other.close()))
        found = self.wait(other.get_cache("my cache").get(1))
        self.assertEqual(type(found).__name__, "Person")
        self.assertEqual(found.age, 33)
        classes = self.wait(other.query_binary_type("Person"))
        self.assertEqual(list(classes), [Person.schema_id])

    def test_server_error_kept(self) -> None:
        missing = self.client.get_cache("no such cache")
        error = self.failureResultOf(self._fire(missing.get("a"))).value
        self.assertIsInstance(error, CacheError)
        self.assertEqual(error.code, ops.STATUS_CACHE_DOES_NOT_EXIST)

    def test_bad_value_fails_without_sending(self) -> None:
        error = self.failureResultOf(self._fire(self.cache.put("k", object()))).value
        self.assertIsInstance(error, ParameterError)

    def _fire(self, d: Any) -> Any:
        self.harness.settle()
        return d

    def test_settings_and_destroy(self) -> None:
        settings = self.wait(self.cache.settings())
        self.assertEqual(settings[ops.PROP_NAME], "my cache")
        self.assertIn(ops.PROP_CACHE_MODE, settings)
        self.wait(self.cache.destroy())
        self.assertNotIn("my cache", self.wait(self.client.get_cache_names()))

    def test_scan(self) -> None:
        c = self.cache
        self.wait(c.put_all({f"key_{i}": i for i in range(50)}))
        rows = self.wait(c.scan(page_size=7).collect())
        self.assertEqual(dict(rows), {f"key_{i}": i for i in range(50)})
        self.assertEqual(self.wait(c.scan().collect()), rows)

    def test_expiry_policy(self) -> None:
        c = self.cache.with_expire_policy(create=timedelta(seconds=1))
        self.assertEqual(c.expiry_policy, ExpiryPolicy(create=timedelta(seconds=1)))
        self.wait(c.put("ttl", 1))
        self.wait(self.cache.put("forever", 1))
        self.assertEqual(self.wait(self.cache.get("ttl")), 1)
        self.harness.clock.advance(1.5)
        self.assertIsNone(self.wait(self.cache.get("ttl")))
        self.assertEqual(self.wait(self.cache.get("forever")), 1)
        same = self.cache.with_expire_policy(ExpiryPolicy(access=100))
        self.assertEqual(same.expiry_policy.access, 100)
        with self.assertRaises(ParameterError):
            self.cache.with_expire_policy("soon")  # type: ignore[arg-type]
