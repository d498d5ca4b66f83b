"""EmbeddedTokyoTyrantServer, the ``txkv-tt`` twistd plugin, and the examples."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any, List

from twisted.internet.defer import Deferred, ensureDeferred
from twisted.python import usage
from twisted.trial.unittest import TestCase

from txkv.kyoto.tyrant import EmbeddedServerError, EmbeddedTokyoTyrantServer, TokyoTyrant
from txkv.kyoto.tyrant.server import _parse_args

REPO = Path(__file__).resolve().parents[3]


class EmbeddedServerTests(TestCase):
    timeout = 60

    def test_run_use_stop(self) -> Deferred[Any]:
        server = EmbeddedTokyoTyrantServer(server="no-such-ttserver-binary", database="+")

        async def go() -> None:
            with self.assertRaises(EmbeddedServerError):
                _ = server.client
            self.assertIs(await server.run(), True)
            self.assertIs(await server.run(), False)
            self.assertIsInstance(server.port, int)
            client = server.client
            self.assertIs(await client.set("k1", "v1"), True)
            self.assertEqual(await client.get("k1"), "v1")
            self.assertEqual((await client.status())["type"], "B+ tree")
            self.assertIs(await server.stop(), True)
            self.assertIs(server.running, False)
            self.assertIs(await server.stop(), False)

        return ensureDeferred(go())

    def test_start_failure_is_reported(self) -> Deferred[Any]:
        server = EmbeddedTokyoTyrantServer(server="no-such-ttserver-binary",
                                           server_args=["--kind", "nonsense"])
        d = server.run()
        return self.assertFailure(d, EmbeddedServerError)

    def test_persistent_data_dir(self) -> Deferred[Any]:
        data = self.mktemp()

        async def go() -> None:
            for expected in (None, "kept"):
                server = EmbeddedTokyoTyrantServer(server="no-such-ttserver-binary",
                                                   data_dir=data)
                await server.run()
                try:
                    self.assertEqual(await server.client.get("k"), expected)
                    await server.client.set("k", "kept")
                finally:
                    await server.stop()

        return ensureDeferred(go())


class TapTests(TestCase):
    timeout = 30

    def test_options(self) -> None:
        from txkv.tap.tt import Options

        options = Options()
        options.parseOptions(["--listen", "tcp:0", "--btree"])
        self.assertEqual(options["kind"], "btree")
        options = Options()
        options.parseOptions(["--table"])
        self.assertEqual(options["kind"], "table")
        with self.assertRaises(usage.UsageError):
            Options().parseOptions(["--kind", "nope"])

    def test_service_serves(self) -> Deferred[Any]:
        from txkv.tap.tt import Options, makeService

        options = Options()
        options.parseOptions(["--listen", "tcp:0:interface=127.0.0.1", "--kind", "btree"])
        service = makeService(options)
        service.startService()
        listening: List[Any] = [s for s in service if hasattr(s, "_waitingForPort")]

        async def go() -> None:
            port = await listening[0]._waitingForPort
            tt = TokyoTyrant(nodes=[f"tcp:127.0.0.1:{port.getHost().port}"], timeout=5)
            try:
                await tt.set_bulk({"b": "2", "a": "1"})
                self.assertEqual(await tt.get_range("a"), {"a": "1", "b": "2"})
            finally:
                await tt.close()
                await service.stopService()

        return ensureDeferred(go())


def test_server_command_line_database_names() -> None:
    assert _parse_args(["+"]).kind == "btree"
    assert _parse_args(["casket.tcb"]).kind == "btree"
    assert _parse_args(["casket.tct"]).kind == "table"
    assert _parse_args(["*"]).kind == "hash"
    assert _parse_args(["--btree"]).kind == "btree"


def _run_example(name: str) -> str:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO)] + sys.path))
    done = subprocess.run([sys.executable, str(REPO / "examples" / name)], capture_output=True,
                          text=True, timeout=120, env=env, cwd=str(REPO))
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_example_embedded() -> None:
    assert _run_example("tokyo_tyrant_embedded.py").splitlines() == [
        "run: True", "set: True", "get: v1", "stop: True"]


def test_example_tour() -> None:
    out = _run_example("tokyo_tyrant_tour.py")
    for line in ("add twice: True False", "append: True v2+", "incr: 1 6",
                 "get_bulk: {'a': '1', 'b': '2'}", "get_range: {'a': '1', 'b': '2'}",
                 "seize: v1 False", "keys: ['a', 'b', 'c', 'hits', 'k2', 'score']",
                 "status type: B+ tree", "query: ['cy', 'ann']", "query count: 2",
                 "query rows: [('cy', {'name': 'Cy', 'age': '40'})]", "genuid: 1"):
        assert line in out.splitlines(), line

