"""The TokyoTyrant client against txkv's server over real loopback TCP."""

from __future__ import annotations

import math
from typing import Any, Coroutine

from twisted.internet.defer import Deferred, ensureDeferred
from twisted.trial.unittest import TestCase

from tests.kyoto.tyrant.tt_helpers import LoopbackServer
from txkv.errors import ParameterError, ReconnectError, TxKVError
from txkv.kyoto.tyrant import (
    INDEX_DECIMAL,
    KT_JSON,
    KT_NONE,
    TT_TABLE,
    Op,
    Order,
    TokyoTyrant,
    TokyoTyrantError,
)


def run(coro: Coroutine[Any, Any, Any]) -> Deferred[Any]:
    return ensureDeferred(coro)


class _ClientCase(TestCase):
    kind = "hash"
    serializer: Any = None
    timeout = 30

    def setUp(self) -> None:
        self.server = LoopbackServer(self.kind)
        kwargs = {} if self.serializer is None else {"serializer": self.serializer}
        self.tt = TokyoTyrant("127.0.0.1", self.server.port_number, timeout=10, **kwargs)

    def tearDown(self) -> Deferred[Any]:
        return self.tt.close().addCallback(lambda _: self.server.stop())


class HashClientTests(_ClientCase):
    def test_records(self) -> Deferred[Any]:
        async def go() -> None:
            tt = self.tt
            self.assertIs(await tt.set("k1", "v1"), True)
            self.assertEqual(await tt.get("k1"), "v1")
            self.assertIsNone(await tt.get("missing"))
            self.assertEqual(await tt.get_bytes("k1"), b"v1")
            self.assertIs(await tt.add("k1", "x"), False)
            self.assertIs(await tt.add("k2", "v2"), True)
            self.assertIs(await tt.append("k2", "+"), True)
            self.assertEqual(await tt.get("k2"), "v2+")
            self.assertIs(await tt.addshl("k2", "abc", 4), True)
            self.assertEqual(await tt.get("k2"), "+abc")
            self.assertIs(await tt.exists("k2"), True)
            self.assertIs(await tt.contains("nope"), False)
            self.assertEqual(await tt.length("k2"), 4)
            self.assertIsNone(await tt.length("nope"))
            self.assertEqual(await tt.remove("k2"), 1)
            self.assertEqual(await tt.remove("k2"), 0)
            self.assertIs(await tt.set("nr", "x", no_reply=True), True)
            self.assertEqual(await tt["nr"], "x")
            self.assertEqual(await tt.seize("nr"), "x")
            self.assertIsNone(await tt.seize("nr"))
            self.assertEqual(await tt.set_item("é", "ü"), True)
            self.assertEqual(await tt.item("é"), "ü")
            self.assertEqual(await tt.del_item("é"), 1)
            self.assertEqual(await tt.get_part("k1", 1), "1")
            self.assertEqual(await tt.get_part("k1", 0, 1), "v")
            self.assertIs(await tt.get_part("k1", 5), False)
            self.assertIs(await tt.get_part("missing"), False)

        return run(go())

    def test_counters(self) -> Deferred[Any]:
        async def go() -> None:
            tt = self.tt
            self.assertEqual(await tt.incr("n"), 1)
            self.assertEqual(await tt.incr("n", 41), 42)
            self.assertEqual(await tt.get_bytes("n"), (42).to_bytes(4, "little"))
            self.assertEqual(await tt.incr_double("d", 1.5), 1.5)
            self.assertEqual(await tt.incr_double("d", -2.25), -0.75)
            await tt.set("s", "not a number")
            with self.assertRaises(TokyoTyrantError):
                await tt.incr("s")
            with self.assertRaises(TokyoTyrantError):
                await tt.incr_double("s")
            self.assertTrue(math.isinf(await tt.incr_double("inf", math.inf)))

        return run(go())

    def test_bulk(self) -> Deferred[Any]:
        async def go() -> None:
            tt = self.tt
            self.assertIs(await tt.set_bulk({"a": "1", "b": "2"}, c="3"), True)
            self.assertEqual(await tt.get_bulk(["a", "b", "c", "d"]),
                             {"a": "1", "b": "2", "c": "3"})
            self.assertIs(await tt.set_bulk({"x": "1", "y": "2"}, no_reply=True), True)
            self.assertEqual(await tt.get_bulk(["x", "y"]), {"x": "1", "y": "2"})
            self.assertIs(await tt.update({"z": "9"}), True)
            self.assertIs(await tt.remove_bulk(["a", "b", "nope"]), True)
            self.assertEqual(await tt.count(), 4)
            self.assertEqual(await tt.len(), 4)
            self.assertEqual(sorted(await tt.keys()), ["c", "x", "y", "z"])
            self.assertEqual(sorted(await tt.keys_fast()), ["c", "x", "y", "z"])
            self.assertEqual(sorted(await tt.match_prefix("", None)), ["c", "x", "y", "z"])
            self.assertEqual(await tt.match_prefix("x"), ["x"])
            self.assertEqual(await tt.match_regex("^[xy]$"), ["x", "y"])
            self.assertEqual(await tt.match_regex_items("^[xy]$", 1), [("x", "1")])
            self.assertEqual(dict(await tt.items()), {"c": "3", "x": "1", "y": "2", "z": "9"})
            self.assertEqual(await tt.iter_from("y"), {"y": "2", "z": "9"})
            self.assertGreater(await tt.size, 0)
            self.assertIs(await tt.clear(), True)
            self.assertEqual(await tt.count(), 0)
            self.assertEqual(await tt.keys(), [])

        return run(go())

    def test_many_keys_pipelined(self) -> Deferred[Any]:
        async def go() -> None:
            data = {f"key-{i:04d}": str(i) for i in range(300)}
            await self.tt.set_bulk(data)
            self.assertEqual(sorted(await self.tt.keys()), sorted(data))
            got = await self.tt.get_bulk(list(data))
            self.assertEqual(got, data)

        return run(go())

    def test_misc_and_management(self) -> Deferred[Any]:
        async def go() -> None:
            tt = self.tt
            self.assertIs(await tt.misc("put", data={"m": "1"}), True)
            self.assertEqual(await tt.misc("get", ["m"]), [b"1"])
            self.assertIs(await tt.misc("out", ["m"]), True)
            self.assertIs(await tt.misc("out", ["m"]), False)
            self.assertIs(await tt.misc("sync", update_log=False), True)
            with self.assertRaises(ParameterError):
                await tt.misc("put", keys=["a"], data={"b": 1})
            self.assertTrue((await tt.error).startswith("22: "))
            self.assertIs(await tt.optimize(), True)
            self.assertIs(await tt.synchronize(), True)
            self.assertIs(await tt.clear_cache(), True)
            self.assertIs(await tt.defragment(10), True)
            self.assertIs(await tt.set_master("", 0), True)
            self.assertIs(await tt.copy("/nonexistent/dir/file"), False)
            self.assertIs(await tt.restore("/nonexistent", 1), False)
            status = await tt.status()
            self.assertEqual(status["type"], "hash")
            self.assertIsInstance(status["rnum"], int)
            with self.assertRaises(TokyoTyrantError):
                await tt.get_range("a")
            with self.assertRaises(TokyoTyrantError):
                await tt.search([("addcond", "x", Op.STR_EQ, "y")])

        return run(go())

    def test_scripts(self) -> Deferred[Any]:
        self.server.db.ext[b"join"] = lambda k, v: k + b"|" + v
        self.server.db.ext[b"yes"] = lambda k, v: b"true"
        self.server.db.ext[b"lines"] = lambda k, v: b"a\tb\nc\td\n"

        async def go() -> None:
            tt = self.tt
            self.assertEqual(await tt.script("join", "k", "v"), b"k|v")
            self.assertEqual(await tt.script("join", "k", "v", decode_value=True), "k|v")
            self.assertEqual(await tt.script("join"), b"|")
            self.assertIs(await tt.script("yes", lock_records=True), True)
            self.assertEqual(await tt.script("lines", as_list=True), ["a\tb", "c\td"])
            self.assertEqual(await tt.script("lines", as_dict=True), {"a": "b", "c": "d"})
            with self.assertRaises(TokyoTyrantError):
                await tt.script("missing")
            with self.assertRaises(ParameterError):
                await tt.script("join", lock_records=True, lock_all=True)

        return run(go())


class BTreeClientTests(_ClientCase):
    kind = "btree"

    def test_ranges(self) -> Deferred[Any]:
        async def go() -> None:
            tt = self.tt
            await tt.set_bulk({k: k.upper() for k in "edcba"})
            self.assertEqual(list((await tt.get_range("b", "d")).items()),
                             [("b", "B"), ("c", "C")])
            self.assertEqual(await tt.get_range("b", max_keys=1), {"b": "B"})
            self.assertEqual(await tt[slice("c", None)], {"c": "C", "d": "D", "e": "E"})
            self.assertEqual(await tt.items_fast(), [(k, k.upper()) for k in "abcde"])
            self.assertEqual(await tt.keys(), list("abcde"))
            self.assertEqual(list(await tt.iter_from("c")), ["c", "d", "e"])
            scanner = tt.scan("b", page_size=2)
            self.assertEqual(await scanner.collect(), [(k, k.upper()) for k in "bcde"])
            self.assertEqual(await tt.scan(stop="c", page_size=1).collect(),
                             [("a", "A"), ("b", "B")])

        return run(go())

    def test_duplicates(self) -> Deferred[Any]:
        async def go() -> None:
            tt = self.tt
            await tt.set("k", "1")
            self.assertIs(await tt.setdup("k", "2"), True)
            self.assertIs(await tt.setdupback("k", "0"), True)
            self.assertEqual(await tt.get_dup("k"), ["0", "1", "2"])
            self.assertEqual(await tt.range_items(), [("k", "0"), ("k", "1"), ("k", "2")])
            self.assertEqual(await tt.count(), 3)

        return run(go())


class JsonClientTests(_ClientCase):
    serializer = KT_JSON

    def test_json_values(self) -> Deferred[Any]:
        async def go() -> None:
            await self.tt.set("doc", {"a": [1, 2]})
            self.assertEqual(await self.tt.get("doc"), {"a": [1, 2]})
            self.assertEqual(await self.tt.get_bytes("doc"), b'{"a":[1,2]}')

        return run(go())


class RawBytesClientTests(_ClientCase):
    serializer = KT_NONE

    def test_bytes_keys(self) -> Deferred[Any]:
        self.tt.decode_keys = False

        async def go() -> None:
            await self.tt.set(b"\xff\x00", b"\x01")
            self.assertEqual(await self.tt.get(b"\xff\x00"), b"\x01")
            self.assertEqual(await self.tt.keys(), [b"\xff\x00"])

        return run(go())


class TableClientTests(_ClientCase):
    kind = "table"
    serializer = TT_TABLE

    def test_table_queries(self) -> Deferred[Any]:
        async def go() -> None:
            tt = self.tt
            people = {"ann": {"name": "ann", "age": 31}, "bob": {"name": "bob", "age": 25},
                      "cy": {"name": "cy", "age": 40}}
            for key, row in people.items():
                self.assertIs(await tt.set(key, row), True)
            self.assertEqual(await tt.get("bob"), {"name": "bob", "age": "25"})
            self.assertIs(await tt.set_index("age", INDEX_DECIMAL), True)
            self.assertIs(await tt.set_index("age", INDEX_DECIMAL, check_exists=True), False)
            self.assertIs(await tt.optimize_index("age"), True)
            self.assertIs(await tt.delete_index("age"), True)
            self.assertEqual(await tt.genuid(), 1)
            query = tt.query().filter("age", Op.NUM_GE, 30).order_by("age", Order.NUM_DESC)
            self.assertEqual(await query.execute(), ["cy", "ann"])
            self.assertEqual(await query.count(), 2)
            self.assertEqual(await query.limit(1).get(),
                             [("cy", {"name": "cy", "age": "40"})])
            self.assertEqual(await query.offset(1).execute(), ["ann"])
            self.assertEqual(await tt.search([("addcond", "name", Op.STR_STARTSWITH, "b")]),
                             ["bob"])
            self.assertIs(await query.delete(), True)
            self.assertEqual(await tt.keys(), ["bob"])
            with self.assertRaises(ParameterError):
                await tt.set("x", "not a dict")

        return run(go())


class FailoverTests(TestCase):
    timeout = 30

    def test_fails_over_to_the_live_node(self) -> Deferred[Any]:
        server = LoopbackServer()
        # A port that refuses connections first, then the live server.
        dead = LoopbackServer()
        dead_port = dead.port_number

        async def go() -> None:
            await dead.stop()
            tt = TokyoTyrant(nodes=[f"tcp:127.0.0.1:{dead_port}",
                                    f"tcp:127.0.0.1:{server.port_number}"],
                             retry_policy=lambda n: 0.05, timeout=5)
            try:
                await tt.set("k", "v")
                self.assertEqual(await tt.get("k"), "v")
            finally:
                await tt.close()
                await server.stop()

        return run(go())

    def test_no_server_fails_cleanly(self) -> Deferred[Any]:
        dead = LoopbackServer()
        port = dead.port_number

        async def go() -> None:
            await dead.stop()
            tt = TokyoTyrant(nodes=[f"tcp:127.0.0.1:{port}"], connect_timeout=0.5,
                             retry_policy=lambda n: 0.1)
            try:
                with self.assertRaises((ReconnectError, TxKVError)):
                    await tt.get("k")
            finally:
                await tt.close()

        return run(go())
