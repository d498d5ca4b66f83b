"""Every serializer, class, method and property of seed 003 exists in :mod:`txkv.kyoto` under
the seed's name and signature, and each seed method answers as the seed documents (as a
Deferred) against txkv's servers.

The seed's directive lines are kept in ``seed_003_api.txt`` next to this file.
"""

from __future__ import annotations

import inspect
import re
from pathlib import Path
from typing import Any, Dict, List, Tuple

import pytest
from twisted.internet.defer import Deferred, ensureDeferred
from twisted.trial.unittest import TestCase

import txkv.kyoto as kyoto
from tests.kyoto.kt_helpers import LoopbackServer as KTLoopback
from tests.kyoto.tyrant.tt_helpers import LoopbackServer as TTLoopback
from txkv.kyoto import KyotoTycoon, TokyoTyrant
from txkv.kyoto.client_base import ManagedClient

SEED = Path(__file__).with_name("seed_003_api.txt")
#: Seed dunders Python needs answered at once; the clients refuse them (see ManagedClient).
REFUSED = {"__contains__", "__len__"}
_DIRECTIVE = re.compile(r"^(?P<indent>\s*)\.\. py:(?P<kind>data|class|method|attribute):: "
                        r"(?P<name>\w+)(?:\((?P<args>.*)\))?\s*$")

Entry = Tuple[str, str, str]  # (kind, name, argument text)


def seed_api() -> Tuple[List[str], Dict[str, Tuple[str, List[Entry]]]]:
    """``(data names, {class: (constructor args, [(kind, name, args)...])})``."""
    data: List[str] = []
    classes: Dict[str, Tuple[str, List[Entry]]] = {}
    current = None
    for line in SEED.read_text().splitlines():
        match = _DIRECTIVE.match(line)
        if match is None:
            continue
        kind, name, args = match["kind"], match["name"], match["args"] or ""
        if kind == "data":
            data.append(name)
        elif kind == "class":
            current = name
            classes[name] = (args, [])
        else:
            assert current is not None, line
            classes[current][1].append((kind, name, args))
    return data, classes


DATA, CLASSES = seed_api()
MEMBERS = [(cls, kind, name, args) for cls, (_c, entries) in CLASSES.items()
           for kind, name, args in entries]


def seed_parameters(args: str) -> List[Tuple[str, Any]]:
    """``[(name, default or inspect.Parameter.empty)]`` of a seed argument list; the seed's
    defaults are evaluated with txkv.kyoto's names (``KT_BINARY``...)."""
    params: List[Tuple[str, Any]] = []
    for part in (p.strip() for p in args.split(",") if p.strip()):
        name, eq, default = part.partition("=")
        value = eval(default, vars(kyoto)) if eq else inspect.Parameter.empty
        params.append((name.strip(), value))
    return params


def our_parameters(func: Any) -> List[inspect.Parameter]:
    params = list(inspect.signature(func).parameters.values())
    return params[1:] if params and params[0].name == "self" else params


def plain_name(name: str) -> str:
    """``_KyotoTycoon__data`` (a mangled ``__data``) -> ``__data``."""
    return "__" + name.split("__", 1)[1] if re.match(r"^_[A-Za-z]\w*__\w+$", name) else name


def assert_signature_starts_with(func: Any, seed_args: str, where: str) -> None:
    ours = our_parameters(func)
    positional = [p for p in ours if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    wanted = seed_parameters(seed_args)
    expected_names = [n for n, _d in wanted if not n.startswith("**")]
    assert [plain_name(p.name) for p in positional[:len(expected_names)]] == expected_names, (
        f"{where}: seed parameters {expected_names}, ours {[p.name for p in ours]}")
    for (name, default), param in zip((w for w in wanted if not w[0].startswith("**")),
                                      positional):
        if default is not inspect.Parameter.empty:
            assert param.default == default, f"{where}: {name} defaults to {param.default!r}"
    if any(n.startswith("**") for n, _d in wanted):
        assert any(p.kind == p.VAR_KEYWORD for p in ours), f"{where}: no **kwargs"


def test_seed_file_lists_the_whole_api() -> None:
    assert DATA == ["KT_BINARY", "KT_JSON", "KT_MSGPACK", "KT_NONE", "KT_PICKLE"]
    assert list(CLASSES) == ["KyotoTycoon", "TokyoTyrant", "EmbeddedServer",
                             "EmbeddedTokyoTyrantServer"]
    assert len(MEMBERS) == 71  # 34 KyotoTycoon, 31 TokyoTyrant, 3 + 3 embedded servers


@pytest.mark.parametrize("name", DATA)
def test_serializer_constants(name: str) -> None:
    assert isinstance(getattr(kyoto, name), str)
    assert name in kyoto.__all__


@pytest.mark.parametrize("cls_name", list(CLASSES))
def test_class_and_constructor(cls_name: str) -> None:
    cls = getattr(kyoto, cls_name)
    assert cls_name in kyoto.__all__
    assert_signature_starts_with(cls.__init__, CLASSES[cls_name][0], cls_name)


@pytest.mark.parametrize("cls_name,kind,name,args", MEMBERS,
                         ids=[f"{c}.{n}" for c, _k, n, _a in MEMBERS])
def test_member(cls_name: str, kind: str, name: str, args: str) -> None:
    cls = getattr(kyoto, cls_name)
    assert hasattr(cls, name), f"{cls_name}.{name} is missing"
    member = inspect.getattr_static(cls, name)
    if kind == "attribute":
        assert isinstance(member, property), f"{cls_name}.{name} is not a property"
        return
    assert callable(getattr(cls, name))
    if name in REFUSED:
        # ``in`` must answer at once: both clients share one method raising TypeError that
        # points to the Deferred form (checked in the semantics tests below)
        assert member is inspect.getattr_static(ManagedClient, name)
        return
    assert_signature_starts_with(getattr(cls, name), args, f"{cls_name}.{name}")


def run(coro: Any) -> Deferred[Any]:
    return ensureDeferred(coro)


class KyotoTycoonSeedSemantics(TestCase):
    """Each seed method of KyotoTycoon, called as the seed shows, returns a Deferred of the
    value the seed documents."""

    timeout = 30

    def setUp(self) -> None:
        self.server = KTLoopback()
        self.kt = KyotoTycoon("127.0.0.1", self.server.port_number, timeout=10)

    def tearDown(self) -> Deferred[Any]:
        return self.kt.close().addBoth(lambda _: self.server.stop())

    def test_every_method(self) -> Deferred[Any]:
        async def go() -> None:
            kt = self.kt
            d = kt.set("k1", "v1")
            self.assertIsInstance(d, Deferred)
            self.assertEqual(await d, 1)
            self.assertEqual(await kt.get("k1"), "v1")
            self.assertIsNone(await kt.get("nope"))
            self.assertEqual(await kt.set_bulk({"a": "1"}, b="2"), 2)
            self.assertEqual(await kt.get_bulk(["a", "b", "zz"]), {"a": "1", "b": "2"})
            self.assertEqual(await kt.remove_bulk(["a", "b", "zz"]), 2)
            self.assertEqual(await kt.remove("k1"), 1)
            self.assertEqual(await kt.remove("k1"), 0)
            self.assertTrue(await kt.add("k", "v"))
            self.assertFalse(await kt.add("k", "v"))
            self.assertTrue(await kt.replace("k", "w"))
            self.assertFalse(await kt.replace("absent", "w"))
            self.assertTrue(await kt.append("k", "x"))
            self.assertTrue(await kt.append("new", "x"))  # a plain set when missing
            self.assertTrue(await kt.exists("k"))
            self.assertFalse(await kt.exists("absent"))
            self.assertTrue(await kt.cas("k", "wx", "y"))
            self.assertFalse(await kt.cas("k", "wx", "z"))
            self.assertEqual(await kt.seize("k"), "y")
            self.assertIsNone(await kt.seize("k"))
            self.assertEqual(await kt.incr("n"), 1)
            self.assertEqual(await kt.incr("n2", 5, orig=10), 15)
            self.assertEqual(await kt.incr_double("f", 1.5), 1.5)
            self.assertEqual(await kt.incr_double("f"), 2.5)
            # item helpers: key or (key, db); value or (value, expire_time)
            self.assertEqual(await kt["new"], "x")
            kt["t", 1] = ("tv", 60)
            self.assertEqual(await kt["t", 1], "tv")
            del kt["t", 1]
            self.assertIsNone(await kt.get("t", db=1))
            with self.assertRaises(TypeError):
                "k" in kt  # noqa: B015 - needs an immediate answer: use contains()
            with self.assertRaises(TypeError):
                len(kt)
            with self.assertRaises(TypeError):
                list(kt)
            self.assertTrue(kt)
            self.assertTrue(await kt.contains("new"))
            self.assertEqual(await kt.update({"u1": "1"}, u2="2"), 2)
            self.assertEqual(await kt.pop("u1"), "1")
            await kt.set_bulk({"pa": "1", "pb": "2", "pc": "3", "qa": "4"})
            self.assertEqual(await kt.match_prefix("p"), ["pa", "pb", "pc"])
            self.assertEqual(await kt.match_prefix("p", max_keys=2), ["pa", "pb"])
            self.assertEqual(await kt.match_regex("a$"), ["pa", "qa"])
            self.assertEqual(await kt.match_regex("a$", max_keys=1), ["pa"])
            self.assertEqual(await kt.match_similar("pa", 1, 2), ["pa", "pb"])
            keys = await kt.keys().collect()
            self.assertEqual(len(keys), await kt.len())
            self.assertIn("pa", keys)
            status = await kt.status()
            self.assertEqual(status["count"], len(keys))
            self.assertEqual(await kt.size, status["size"])
            self.assertEqual(await kt.path, status["path"])
            report = await kt.report()
            self.assertEqual(report["db_total_count"], len(keys))
            kt.set_database(1)
            self.assertEqual(await kt.set("other", "db1"), 1)
            self.assertEqual(await kt.get("other", db=1), "db1")
            self.assertIsNone(await kt.get("other", db=0))
            self.assertEqual(await kt.len(), 1)
            self.assertTrue(await kt.clear())
            self.assertEqual(await kt.len(), 0)
            self.assertEqual(await kt.status(0), status)
            self.assertIsNone(kt.checkin())
            await kt.close()

        return run(go())


class TokyoTyrantSeedSemantics(TestCase):
    """Each seed method of TokyoTyrant, as the seed documents it."""

    timeout = 30

    def setUp(self) -> None:
        self.server = TTLoopback(kind="btree")
        self.tt = TokyoTyrant("127.0.0.1", self.server.port_number, timeout=10)

    def tearDown(self) -> Deferred[Any]:
        return self.tt.close().addBoth(lambda _: self.server.stop())

    def test_every_method(self) -> Deferred[Any]:
        async def go() -> None:
            tt = self.tt
            d = tt.set("k1", "v1")
            self.assertIsInstance(d, Deferred)
            self.assertIs(await d, True)
            self.assertEqual(await tt.get("k1"), "v1")
            self.assertIsNone(await tt.get("nope"))
            self.assertIs(await tt.set_bulk({"a": "1"}, b="2"), True)
            self.assertEqual(await tt.get_bulk(["a", "b", "zz"]), {"a": "1", "b": "2"})
            self.assertIs(await tt.remove_bulk(["a", "b", "zz"]), True)
            self.assertEqual(await tt.remove("k1"), 1)
            self.assertEqual(await tt.remove("k1"), 0)
            self.assertIs(await tt.add("k", "v"), True)
            self.assertIs(await tt.add("k", "v"), False)
            self.assertIs(await tt.append("k", "wxyz"), True)
            self.assertEqual(await tt.get_part("k", 1, 2), "wx")
            self.assertEqual(await tt.get_part("k", 2), "xyz")
            self.assertIs(await tt.get_part("k", 10), False)
            self.assertIs(await tt.get_part("absent"), False)
            self.assertIs(await tt.exists("k"), True)
            self.assertIs(await tt.exists("absent"), False)
            self.assertEqual(await tt.incr("n"), 1)
            self.assertEqual(await tt.incr("n", 4), 5)
            self.assertEqual(await tt.incr_double("f", 1.5), 1.5)
            self.assertEqual(await tt.incr_double("f"), 2.5)
            self.assertEqual(await tt.misc("putlist", ["m1", "x", "m2", "y"]), True)
            self.assertEqual(await tt.misc("getlist", ["m1", "m2"]),
                             [b"m1", b"x", b"m2", b"y"])
            self.assertIs(await tt.misc("no_such_function"), False)
            self.assertEqual(await tt["k"], "vwxyz")
            tt["s"] = "set by item"
            self.assertEqual(await tt.get("s"), "set by item")
            del tt["s"]
            self.assertIs(await tt.exists("s"), False)
            with self.assertRaises(TypeError):
                "k" in tt  # noqa: B015 - needs an immediate answer: use contains()
            with self.assertRaises(TypeError):
                len(tt)
            with self.assertRaises(TypeError):
                list(tt)
            self.assertTrue(tt)
            self.assertIs(await tt.contains("k"), True)
            self.assertIs(await tt.update({"u1": "1"}, u2="2"), True)
            self.assertEqual(await tt.get_bulk(["u1", "u2"]), {"u1": "1", "u2": "2"})
            await tt.clear()
            await tt.set_bulk({"a": "1", "b": "2", "c": "3", "d": "4"})
            self.assertEqual(await tt.get_range("b", "d"), {"b": "2", "c": "3"})
            self.assertEqual(await tt.get_range("b"), {"b": "2", "c": "3", "d": "4"})
            self.assertEqual(await tt.get_range("a", None, 2), {"a": "1", "b": "2"})
            self.assertEqual(await tt["b":"d"], {"b": "2", "c": "3"})
            self.assertEqual(await tt.match_prefix("c"), ["c"])
            self.assertEqual(await tt.match_regex("[bd]"), ["b", "d"])
            self.assertEqual(await tt.match_regex("[a-d]", max_keys=2), ["a", "b"])
            self.assertEqual(await tt.iter_from("c"), {"c": "3", "d": "4"})
            self.assertEqual(sorted(await tt.keys()), ["a", "b", "c", "d"])
            self.assertEqual(await tt.len(), 4)
            self.assertGreater(await tt.size, 0)
            status = await tt.status()
            self.assertEqual(status["rnum"], 4)
            self.assertIsInstance(await tt.error, str)
            self.assertIs(await tt.clear(), True)
            self.assertEqual(await tt.len(), 0)
            self.assertIsNone(tt.checkin())

        return run(go())
