"""txkv's KyotoTycoon client against txkv's KT server over real loopback TCP."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any, List

from twisted.internet import reactor
from twisted.internet.defer import Deferred, ensureDeferred, gatherResults
from twisted.trial.unittest import TestCase

from tests.kyoto.kt_helpers import LoopbackServer
from txkv.errors import SerializationError
from txkv.kyoto import KT_MSGPACK, KT_NONE, KTLogicError, KTNotImplementedError, KyotoTycoon
from txkv.kyoto.kt_values import pack_double

ROOT = Path(__file__).resolve().parents[2]
LUA = b"""
function echo_upper(inmap, outmap)
  for k, v in pairs(inmap) do outmap[k] = string.upper(v) end
  return kt.RVSUCCESS
end
function fail(inmap, outmap) return kt.RVELOGIC end
function incr_twice(inmap, outmap)
  local n = kt.db:increment(inmap.key, 1)
  n = kt.db:increment(inmap.key, 1)
  outmap.n = n
  return kt.RVSUCCESS
end
"""


class ClientTests(TestCase):
    timeout = 30

    def setUp(self) -> None:
        script = Path(self.mktemp())
        script.write_bytes(LUA)
        self.server = LoopbackServer(script=str(script), ulog=True)
        self.kt = KyotoTycoon("127.0.0.1", self.server.port_number, timeout=10)

    def tearDown(self) -> Deferred[Any]:
        return self.kt.close().addBoth(lambda _: self.server.stop())

    def run_async(self, coro: Any) -> Deferred[Any]:
        return ensureDeferred(coro)

    def test_binary_operations(self) -> Deferred[Any]:
        async def go() -> None:
            kt = self.kt
            self.assertEqual(await kt.set("k", "v"), 1)
            self.assertEqual(await kt.get("k"), "v")
            self.assertIsNone(await kt.get("nope"))
            self.assertEqual(await kt.set_bulk({"a": "1"}, b="2", db=1), 2)
            self.assertEqual(await kt.get_bulk(["a", "b", "c"], db=1), {"a": "1", "b": "2"})
            self.assertEqual(await kt.set_bulk([("p", "1"), (b"q", b"2")], db=1), 2)  # pairs
            self.assertEqual(await kt.get_bulk([b"p", "q"], db=1), {"p": "1", "q": "2"})
            self.assertIsNone(await kt.set("nr", "x", no_reply=True))
            self.assertEqual(await kt.get_bytes("nr"), b"x")
            self.assertEqual(await kt.expire_time("k"), 0xFFFFFFFFFF)
            await kt.set("t", "v", expire_time=100)
            xt = await kt.expire_time("t")
            self.assertLess(abs(xt - reactor.seconds() - 100), 3)  # type: ignore[attr-defined]
            self.assertEqual(await kt.remove("k"), 1)
            self.assertEqual(await kt.remove_bulk(["a", "b", "c"], db=1), 2)
            self.assertIsNone(await kt.remove("nr", no_reply=True))
            self.assertEqual(await kt.get_bulk_details([(0, "nr"), (0, "t")]),
                             [(0, "t", "v", xt)])

        return self.run_async(go())

    def test_pipelining_many_in_flight(self) -> Deferred[Any]:
        async def go() -> None:
            await self.kt.set_bulk({f"k{i}": str(i) for i in range(200)})
            values = await gatherResults([self.kt.get(f"k{i}") for i in range(200)])
            self.assertEqual(values, [str(i) for i in range(200)])
            counts = await gatherResults([self.kt.incr("c") for _ in range(50)])
            self.assertEqual(sorted(counts), list(range(1, 51)))

        return self.run_async(go())

    def test_http_operations(self) -> Deferred[Any]:
        async def go() -> None:
            kt = self.kt
            self.assertTrue(await kt.add("a", "1"))
            self.assertFalse(await kt.add("a", "2"))
            self.assertTrue(await kt.replace("a", "3"))
            self.assertTrue(await kt.append("a", "4"))
            self.assertEqual(await kt.get_http("a"), "34")
            self.assertTrue(await kt.cas("a", "34", "5"))
            self.assertFalse(await kt.cas("a", "34", "6"))
            self.assertTrue(await kt.exists("a"))
            self.assertEqual(await kt.length("a"), 1)
            self.assertEqual(await kt.seize("a"), "5")
            self.assertIsNone(await kt.pop("a"))
            self.assertEqual(await kt.incr("n", 5, orig=10), 15)
            self.assertEqual(await kt.incr_double("d", 1.5), 1.5)
            self.assertEqual(await kt.get_bytes("d"), pack_double(1.5))
            with self.assertRaises(KTLogicError):
                await kt.incr("d", 1)  # a 16-byte double is not an integer record
            self.assertEqual(await kt.set_bulk_http({"p1": "x", "p2": "y"}), 2)
            self.assertEqual(await kt.get_bulk_http(["p1", "zz"]), {"p1": "x"})
            self.assertEqual(await kt.match_prefix("p"), ["p1", "p2"])
            self.assertEqual(await kt.match_regex("2$"), ["p2"])
            self.assertEqual(await kt.match_similar("p3", max_keys=1), ["p1"])
            self.assertEqual(await kt.remove_bulk_http(["p1", "p2"]), 2)
            self.assertEqual(await kt.count(), 2)
            self.assertGreater(await kt.size, 0)
            self.assertEqual(await kt.path, "*")
            self.assertEqual(await kt.databases(), ["*", "%"])
            report = await kt.report()
            self.assertEqual(report["db_total_count"], 2)
            self.assertTrue(await kt.vacuum())
            self.assertTrue(await kt.synchronize())
            self.assertEqual(len(await kt.ulog_list()), 1)
            self.assertTrue(await kt.clear())
            self.assertEqual(await kt.len(), 0)
            with self.assertRaises(KTNotImplementedError):
                await kt.rpc("no_such_procedure")

        return self.run_async(go())

    def test_mapping_helpers_and_default_db(self) -> Deferred[Any]:
        async def go() -> None:
            kt = self.kt
            await kt.set_item(("k", 1), ("v", 60))
            self.assertEqual(await kt.item(("k", 1)), "v")
            self.assertTrue(await kt.contains(("k", 1)))
            self.assertFalse(await kt.contains("k"))
            kt.set_database(1)
            self.assertEqual(await kt.item("k"), "v")
            self.assertEqual(await kt.update({"x": "1"}, y="2"), 2)
            self.assertEqual(await kt.count(), 3)
            await kt.del_item("k")
            self.assertEqual(await kt.len(), 2)

        return self.run_async(go())

    def test_serializers(self) -> Deferred[Any]:
        async def go() -> None:
            port = self.server.port_number
            packed = KyotoTycoon("127.0.0.1", port, serializer=KT_MSGPACK)
            raw = KyotoTycoon("127.0.0.1", port, serializer=KT_NONE, decode_keys=False)
            try:
                await packed.set("m", {"a": [1, b"x"]})
                self.assertEqual(await packed.get("m"), {"a": [1, b"x"]})
                self.assertEqual(await raw.get_bulk(["m"]), {b"m": await raw.get("m")})
                self.assertIsInstance(await raw.get("m"), bytes)
                with self.assertRaises(SerializationError):
                    await packed.set("bad", object())
            finally:
                await packed.close()
                await raw.close()

        return self.run_async(go())

    def test_cursor_and_scanners(self) -> Deferred[Any]:
        async def go() -> None:
            kt = self.kt
            await kt.set_bulk({f"k{i:03d}": str(i) for i in range(25)})
            self.assertEqual(await kt.keys(page_size=7).collect(),
                             [f"k{i:03d}" for i in range(25)])
            self.assertEqual(await kt.items(page_size=10).collect(limit=3),
                             [("k000", "0"), ("k001", "1"), ("k002", "2")])
            self.assertEqual(len(await kt.values().collect()), 25)
            seen: List[str] = []
            async for key in kt.keys(page_size=4):
                seen.append(key)
                if len(seen) == 5:
                    break
            self.assertEqual(len(seen), 5)
            cur = kt.cursor()
            self.assertTrue(await cur.jump("k010"))
            self.assertEqual(await cur.get(step=True), ("k010", "10"))
            self.assertEqual(await cur.key(), "k011")
            self.assertTrue(await cur.set_value("X"))
            self.assertEqual(await cur.value(), "X")
            self.assertEqual(await cur.seize(), ("k011", "X"))
            self.assertTrue(await cur.remove())
            self.assertTrue(await cur.jump_back())
            self.assertEqual(await cur.key(), "k024")
            self.assertTrue(await cur.step_back())
            self.assertFalse(await cur.jump("zzz"))
            self.assertTrue(await cur.close())
            self.assertEqual(await kt.count(), 23)
            empty = await kt.keys(db=1).collect()
            self.assertEqual(empty, [])

        return self.run_async(go())

    def test_scripts(self) -> Deferred[Any]:
        async def go() -> None:
            kt = self.kt
            self.assertEqual(await kt.script("echo_upper", {"a": "x"}, b="y"), {"a": "X", "b": "Y"})
            self.assertEqual(await kt.raw_script("incr_twice", {"key": "c"}), {b"n": b"2"})
            self.assertIsNone(await kt.script("echo_upper", {"a": "x"}, no_reply=True))
            from txkv.kyoto import KTBinaryError

            with self.assertRaises(KTBinaryError):
                await kt.script("fail")
            with self.assertRaises(KTBinaryError):
                await kt.script("missing")
            # the connection survives a failed script
            self.assertEqual(await kt.script("echo_upper", q="z"), {"q": "Z"})
            reply = await kt.rpc("play_script", [(b"name", b"echo_upper"), (b"_k", b"v")])
            self.assertEqual(reply.data, {b"_k": b"V"})

        return self.run_async(go())

    def test_replication_scanner_resumes(self) -> Deferred[Any]:
        async def go() -> None:
            kt = self.kt
            start = reactor.seconds() - 1  # type: ignore[attr-defined]
            await kt.set("r1", "v1")
            tail = kt.replicate(sid=50, timestamp=start, retry_policy=lambda attempt: 0.0)
            first = await tail.get_next()
            self.assertEqual((first["op"], first["key"], first["value"]), (0xA1, "r1", "v1"))
            # drop the stream server-side; the scanner reconnects from the last timestamp
            for proto in list(self.server.factory.live):
                if proto._replicating:
                    proto.transport.abortConnection()
            await kt.remove("r1")
            second = await tail.get_next()
            self.assertEqual((second["op"], second["key"]), (0xA2, "r1"))
            self.assertGreaterEqual(tail.reconnects, 1)
            await tail.close()

        return self.run_async(go())


class EmbeddedAndExamplesTests(TestCase):
    timeout = 60

    def test_embedded_server_run_stop(self) -> Deferred[Any]:
        from txkv.kyoto import EmbeddedServer

        async def go() -> None:
            server = EmbeddedServer(server="no-such-ktserver-binary")
            self.assertTrue(await server.run())
            self.assertFalse(await server.run())
            self.assertEqual(await server.client.set("k1", "v1"), 1)
            self.assertEqual(await server.client.get("k1"), "v1")
            self.assertTrue(await server.stop())
            self.assertFalse(server.running)
            self.assertFalse(await server.stop())

        return ensureDeferred(go())

    def _run_example(self, name: str) -> Deferred[str]:
        def run() -> str:
            env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT)] + sys.path))
            done = subprocess.run([sys.executable, str(ROOT / "examples" / name)], env=env,
                                  capture_output=True, text=True, timeout=60)
            self.assertEqual(done.returncode, 0, done.stderr)
            return done.stdout

        from twisted.internet.threads import deferToThread

        return deferToThread(run)

    def test_example_embedded(self) -> Deferred[Any]:
        return self._run_example("kyoto_embedded.py").addCallback(
            lambda out: self.assertEqual(out.split("\n")[:4],
                                         ["run: True", "set: 1", "get: v1", "stop: True"]))

    def test_example_tour(self) -> Deferred[Any]:
        def check(out: str) -> None:
            self.assertIn("add twice: True False", out)
            self.assertIn("incr: 5 6", out)
            self.assertIn("remove_bulk: 3", out)

        return self._run_example("kyoto_tour.py").addCallback(check)

