"""Conformance: ukt (the maintained Python KT client, blocking) against txkv's KT server over
its binary and HTTP paths; ukt runs in a thread while the server runs on the reactor.

Differential: the same scripted operations through ukt and through txkv give the same results,
and the same request bytes on the binary path.
"""

from __future__ import annotations

import datetime
import os
from typing import Any, Callable, List, Tuple

from twisted.internet import reactor
from twisted.internet.defer import Deferred, ensureDeferred
from twisted.internet.threads import deferToThread
from twisted.trial.unittest import SkipTest, TestCase

from tests.kyoto.kt_helpers import LoopbackServer
from txkv.kyoto import KyotoTycoon

try:
    import ukt
except ImportError:  # pragma: no cover - depends on the environment
    if os.environ.get("CI") == "true":
        raise
    ukt = None


def _need_ukt() -> None:
    if ukt is None:
        raise SkipTest("ukt is not installed (pip install ukt) - conformance peer missing")


class UktAgainstTxkvServer(TestCase):
    timeout = 60

    def setUp(self) -> None:
        _need_ukt()
        self.server = LoopbackServer(ulog=True)
        self.kt = ukt.KyotoTycoon("127.0.0.1", self.server.port_number, timeout=10)

    def tearDown(self) -> Deferred[Any]:
        self.kt.close_all()
        return self.server.stop()

    def run_ukt(self, fn: Callable[..., Any], *args: Any, **kw: Any) -> Deferred[Any]:
        return deferToThread(fn, *args, **kw)

    async def _binary_ops(self) -> None:
        kt, call = self.kt, self.run_ukt
        self.assertEqual(await call(kt.set, "k1", "v1"), 1)
        self.assertEqual(await call(kt.get, "k1"), "v1")
        self.assertIsNone(await call(kt.get, "missing"))
        self.assertEqual(await call(kt.set_bulk, {"a": "1", "b": "2"}, db=1), 2)
        self.assertEqual(await call(kt.get_bulk, ["a", "b", "c"], db=1), {"a": "1", "b": "2"})
        self.assertIsNone(await call(kt.set, "nr", "x", no_reply=True))
        self.assertEqual(await call(kt.get_bytes, "nr"), b"x")
        self.assertEqual(await call(kt.set_bytes, "raw", b"\x00\xff"), 1)
        self.assertEqual(await call(kt.get_bytes, "raw"), b"\x00\xff")
        details = await call(kt.get_bulk_details, [(0, "k1"), (1, "a"), (5, "k1")])
        self.assertEqual(details, [(0, "k1", "v1", 0xFFFFFFFFFF), (1, "a", "1", 0xFFFFFFFFFF)])
        self.assertEqual(await call(kt.set_bulk_details, [(0, "x", "1", 60), (1, "y", "2", None)]),
                         2)
        xt = (await call(kt.get_bulk_details, [(0, "x")]))[0][3]
        self.assertLess(abs(xt - (reactor.seconds() + 60)), 3)  # type: ignore[attr-defined]
        self.assertEqual(await call(kt.remove, "k1"), 1)
        self.assertEqual(await call(kt.remove, "k1"), 0)
        self.assertEqual(await call(kt.remove_bulk, ["a", "b", "zz"], db=1), 2)
        self.assertEqual(await call(kt.remove_bulk_details, [(0, "x"), (1, "y")]), 2)
        self.assertIsNone(await call(kt.remove, "nr", no_reply=True))
        self.assertIsNone(await call(kt.get, "nr"))

    def test_binary_protocol_operations(self) -> Deferred[None]:
        return ensureDeferred(self._binary_ops())

    async def _http_ops(self) -> None:
        kt, call = self.kt, self.run_ukt
        self.assertTrue(await call(kt.set_http, "h", "1"))
        self.assertEqual(await call(kt.get_http, "h"), "1")
        self.assertIsNone(await call(kt.get_http, "nope"))
        self.assertEqual(await call(kt.remove_http, "h"), 1)
        self.assertEqual(await call(kt.remove_http, "h"), 0)
        self.assertTrue(await call(kt.add, "a", "1"))
        self.assertFalse(await call(kt.add, "a", "2"))
        self.assertTrue(await call(kt.replace, "a", "3"))
        self.assertFalse(await call(kt.replace, "zz", "3"))
        self.assertTrue(await call(kt.append, "a", "4"))
        self.assertEqual(await call(kt.get, "a"), "34")
        self.assertEqual(await call(kt.increment, "n", 5, orig=1), 6)
        self.assertEqual(await call(kt.increment, "n", -2), 4)
        self.assertEqual(await call(kt.get_bytes, "n"), (4).to_bytes(8, "big"))
        self.assertEqual(await call(kt.increment_double, "d", 1.5), 1.5)
        self.assertEqual(await call(kt.increment_double, "d", 0.25), 1.75)
        self.assertTrue(await call(kt.cas, "a", "34", "5"))
        self.assertFalse(await call(kt.cas, "a", "34", "6"))
        self.assertTrue(await call(kt.check, "a"))
        self.assertFalse(await call(kt.exists, "zz"))
        self.assertEqual(await call(kt.length, "a"), 1)
        self.assertIsNone(await call(kt.length, "zz"))
        self.assertEqual(await call(kt.seize, "a"), "5")
        self.assertIsNone(await call(kt.seize, "a"))
        self.assertEqual(await call(kt.set_bulk_http, {"p1": "x", "p2": "y", "q": "z"}), 3)
        self.assertEqual(await call(kt.get_bulk_http, ["p1", "q", "zz"]), {"p1": "x", "q": "z"})
        self.assertEqual(await call(kt.match_prefix, "p"), ["p1", "p2"])
        self.assertEqual(await call(kt.match_prefix, "p", 1), ["p1"])
        self.assertEqual(await call(kt.match_regex, "^p[0-9]$"), ["p1", "p2"])
        self.assertEqual(await call(kt.match_similar, "p3", 1), ["p1", "p2"])
        self.assertEqual(await call(kt.remove_bulk_http, ["p1", "p2"]), 2)
        self.assertEqual(await call(kt.count), 3)
        self.assertEqual(await call(kt.keys_nonlazy), ["d", "n", "q"])
        status = await call(kt.status)
        self.assertEqual((status["count"], status["path"]), (3, "*"))
        self.assertGreater(await call(kt.size), 0)
        report = await call(kt.report)
        self.assertEqual(report["db_total_count"], 3)
        self.assertEqual(await call(lambda: kt.databases), ["*", "%"])
        self.assertEqual([p for p, _s in await call(kt.list_databases)], ["*", "%"])
        self.assertTrue(await call(kt.vacuum))
        self.assertTrue(await call(kt.synchronize, hard=True))
        self.assertTrue(await call(kt.clear, db=1))
        logs = await call(kt.ulog_list)
        self.assertEqual(len(logs), 1)
        self.assertTrue(await call(kt.ulog_remove))
        self.assertTrue(await call(kt.set_http, "e", "v", expire_time=datetime.timedelta(hours=1)))
        self.assertTrue(await call(kt.clear))
        self.assertEqual(await call(kt.count), 0)

    def test_http_rpc_operations(self) -> Deferred[None]:
        return ensureDeferred(self._http_ops())

    async def _cursor_ops(self) -> None:
        kt, call = self.kt, self.run_ukt
        await call(kt.set_bulk, {"a": "1", "b": "2", "c": "3"})
        self.assertEqual(await call(lambda: list(kt.keys())), ["a", "b", "c"])
        self.assertEqual(await call(lambda: list(kt.values())), ["1", "2", "3"])
        self.assertEqual(await call(lambda: list(kt.items())), [("a", "1"), ("b", "2"), ("c", "3")])
        self.assertEqual(await call(lambda: list(kt)), ["a", "b", "c"])

        def walk() -> List[Any]:
            cur = kt.cursor()
            out: List[Any] = [cur.jump("b"), cur.get(), cur.step(), cur.key(), cur.value()]
            out += [cur.set_value("C"), cur.get(), cur.jump_back(), cur.get()]
            out += [cur.step_back(), cur.remove(), cur.get(), cur.seize(), cur.get()]
            out += [list(kt.cursor()), cur.close()]
            return out

        self.assertEqual(await call(walk), [
            True, ("b", "2"), True, "c", "3",
            True, ("c", "C"), True, ("c", "C"),
            True, True, ("c", "C"), ("c", "C"), None,
            [("a", "1")], True])
        self.assertTrue(await call(kt.cur_jump, 999))
        self.assertTrue(await call(kt.cur_delete, 999))
        with self.assertRaises(NotImplementedError):  # deleting an unknown cursor: 501
            await call(kt.cur_delete, 999)

    def test_cursors(self) -> Deferred[None]:
        return ensureDeferred(self._cursor_ops())

    async def _mapping_and_serializers(self) -> None:
        kt, call = self.kt, self.run_ukt
        await call(kt.__setitem__, "k", "v")
        await call(kt.__setitem__, ("k", 1), "v1")
        self.assertEqual(await call(kt.__getitem__, "k"), "v")
        self.assertEqual(await call(kt.__getitem__, ("k", 1)), "v1")
        self.assertTrue(await call(kt.__contains__, ("k", 1)))
        self.assertEqual(await call(len, kt), 1)
        await call(kt.__delitem__, ("k", 1))
        self.assertFalse(await call(kt.__contains__, ("k", 1)))
        self.assertEqual(await call(kt.update, {"u1": "1"}, u2="2"), 2)
        self.assertEqual(await call(kt.pop, "u1"), "1")
        js = ukt.KyotoTycoon("127.0.0.1", self.server.port_number, serializer=ukt.KT_JSON,
                             timeout=10)
        try:
            await call(js.set, "j", {"a": [1, 2]})
            self.assertEqual(await call(js.get, "j"), {"a": [1, 2]})
        finally:
            js.close_all()
        kt.set_database(1)
        await call(kt.set, "in1", "x")
        self.assertEqual(await call(kt.get, "in1", 1), "x")
        self.assertIsNone(await call(kt.get, "in1", 0))

    def test_mapping_helpers_and_serializers(self) -> Deferred[None]:
        return ensureDeferred(self._mapping_and_serializers())

    async def _replication(self) -> None:
        from ukt.replication import ReplicationClient

        call = self.run_ukt
        start = reactor.seconds() - 1  # type: ignore[attr-defined]
        await call(self.kt.set, "r1", "v1")
        await call(self.kt.remove, "r1")
        await call(self.kt.clear)
        client = ReplicationClient(self.kt, sid=123)

        def read_three() -> List[Any]:
            stream = client.run(start)
            out = [next(stream) for _ in range(3)]
            stream.close()
            return out

        logs = await call(read_three)
        self.assertEqual([(log["op"], log.get("key")) for log in logs],
                         [(0xA1, "r1"), (0xA2, "r1"), (0xA5, None)])
        self.assertEqual((logs[0]["value"], logs[0]["xt"]), ("v1", 0xFFFFFFFFFF))

    def test_replication_client(self) -> Deferred[None]:
        return ensureDeferred(self._replication())


# -- differential: ukt vs txkv, same script ------------------------------------------------------

Script = List[Tuple[str, Tuple[Any, ...], dict]]

SCRIPT: Script = [
    ("set", ("k1", "v1"), {}),
    ("set", ("k2", "v2"), {"db": 1, "expire_time": 3600}),
    ("set", ("nr", "x"), {"no_reply": True}),
    ("get", ("k1",), {}),
    ("get", ("k2",), {"db": 1}),
    ("get", ("zz",), {}),
    ("set_bulk", ({"a": "1", "b": "2", "c": "3"},), {}),
    ("get_bulk", (["a", "b", "zz"],), {}),
    ("get_bytes", ("a",), {}),
    ("remove", ("a",), {}),
    ("remove_bulk", (["b", "c", "zz"],), {}),
    ("remove", ("nr",), {"no_reply": True}),
    ("set_bulk_details", ([(0, "d1", "x", None), (1, "d2", "y", 60)],), {}),
    ("get_bulk_details", ([(0, "d1"), (1, "d2"), (0, "zz")],), {}),
    ("remove_bulk_details", ([(0, "d1"), (1, "d2")],), {}),
    ("add", ("h", "1"), {}),
    ("add", ("h", "2"), {}),
    ("replace", ("h", "3"), {}),
    ("append", ("h", "4"), {}),
    ("increment", ("n", 5), {"orig": 1}),
    ("increment_double", ("f", 2.5), {}),
    ("cas", ("h", "34", "5"), {}),
    ("cas", ("h", "34", "6"), {}),
    ("check", ("h",), {}),
    ("length", ("h",), {}),
    ("seize", ("h",), {}),
    ("match_prefix", ("k",), {}),
    ("match_regex", ("^[kn]",), {}),
    ("count", (), {}),
    ("get_http", ("k1",), {}),
    ("set_bulk_http", ({"m1": "a", "m2": "b"},), {}),
    ("get_bulk_http", (["m1", "m2"],), {}),
    ("remove_bulk_http", (["m1"],), {}),
    ("clear", (), {"db": 1}),
]


class DifferentialUktTxkv(TestCase):
    timeout = 60

    def setUp(self) -> None:
        _need_ukt()
        self.ukt_server = LoopbackServer()
        self.txkv_server = LoopbackServer()

    async def _script(self) -> None:
        peer = ukt.KyotoTycoon("127.0.0.1", self.ukt_server.port_number, timeout=10)
        ours = KyotoTycoon("127.0.0.1", self.txkv_server.port_number, timeout=10)
        try:
            for name, args, kwargs in SCRIPT:
                expected = await deferToThread(getattr(peer, name), *args, **kwargs)
                got = await getattr(ours, name)(*args, **kwargs)
                if name == "get_bulk_details":
                    # the absolute xt of a relative expiry depends on the second it ran
                    self.assertEqual([r[:3] for r in got], [r[:3] for r in expected], name)
                else:
                    self.assertEqual(got, expected, name)
        finally:
            peer.close_all()
            await ours.close()
        self.assertEqual(self.txkv_server.factory.binary_bytes(),
                         self.ukt_server.factory.binary_bytes())
        self.assertTrue(self.ukt_server.factory.binary_bytes())

    def test_same_results_and_binary_bytes(self) -> Deferred[None]:
        return ensureDeferred(self._script())

    def tearDown(self) -> Deferred[Any]:
        d1 = self.ukt_server.stop()
        return d1.addCallback(lambda _: self.txkv_server.stop())



class UktLuaHelpers(TestCase):
    """ukt's own ``kt.lua`` loaded into txkv's server (``--script``), driven by ukt."""

    timeout = 60

    def setUp(self) -> None:
        _need_ukt()
        from pathlib import Path

        script = str(Path(ukt.__file__).parent / "scripts" / "kt.lua")
        self.server = LoopbackServer(script=script)
        self.kt = ukt.KyotoTycoon("127.0.0.1", self.server.port_number, timeout=10)

    def tearDown(self) -> Deferred[Any]:
        self.kt.close_all()
        return self.server.stop()

    async def _helpers(self) -> None:
        kt = self.kt

        def expiry_and_errors() -> List[Any]:
            kt.set("k", "v")
            out: List[Any] = [kt.expire_time("k"), kt.touch("k", 100)]
            out.append(kt.expire_time("k") - int(reactor.seconds()))  # type: ignore[attr-defined]
            out += [kt.touch("k"), kt.expire_time("k"), kt.expire_time("zz"), kt.error()]
            return out

        out = await deferToThread(expiry_and_errors)
        self.assertEqual(out[:2], [0xFFFFFFFFFF, 0xFFFFFFFFFF])
        self.assertIn(out[2], (99, 100, 101))
        # the failed lookup of "zz" is the last error, as in Kyoto Cabinet
        self.assertEqual(out[4:], [0xFFFFFFFFFF, None, (7, "norec")])

        def containers() -> List[Any]:
            h = kt.Hash("h")
            h["a"] = "1"
            h.update({"b": "2"})
            lst = kt.List("l")
            lst.append("x")
            lst.extend(["y", "z"])
            s = kt.Set("s")
            s.add("a", "b")
            q = kt.Queue("q")
            q.add("one")
            q.extend(["two", "three"])
            return [h["a"], len(h), lst[0], len(lst), lst[1:], len(s), "a" in s,
                    q.pop(), q.peek(), len(q)]

        self.assertEqual(await deferToThread(containers),
                         ["1", 2, "x", 3, ["y", "z"], 2, True, "one", "two", 2])

    def test_kt_lua_helpers_and_containers(self) -> Deferred[None]:
        return ensureDeferred(self._helpers())
