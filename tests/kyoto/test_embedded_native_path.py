"""EmbeddedServer / EmbeddedTokyoTyrantServer with a native executable on PATH.

No ``ktserver`` or ``ttserver`` is installed here, so a stand-in named like it is put first on
PATH: it records the command line it was given, then runs txkv's own server, which accepts the
native servers' spellings (``-host``, ``-port``, ``-le``, ``-scr``, ``-ext``).  This checks the
native path's mechanics — finding the executable, the ktserver/ttserver command line, waiting for
a server that prints nothing, stopping it — not the native servers themselves.
"""

from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path
from typing import Any, List

from twisted.internet.defer import Deferred, ensureDeferred
from twisted.trial.unittest import TestCase

from txkv.kyoto import KT_NONE, EmbeddedServer
from txkv.kyoto.tyrant import EmbeddedTokyoTyrantServer

STAND_IN = """#!{python}
import json, os, sys
with open({record!r}, "w") as f:
    json.dump(sys.argv[1:], f)
sys.stdout = open(os.devnull, "w")  # a native server prints no "listening" line
os.execv({python!r}, [{python!r}, "-m", {module!r}, *sys.argv[1:]])
"""


class NativePathTests(TestCase):
    timeout = 60

    def on_path(self, name: str, text: str) -> Path:
        """Put an executable ``name`` with ``text`` first on PATH; returns its directory."""
        bin_dir = Path(self.mktemp())
        bin_dir.mkdir(parents=True)
        exe = bin_dir / name
        exe.write_text(text)
        exe.chmod(exe.stat().st_mode | stat.S_IXUSR)
        old_path = os.environ.get("PATH", "")
        os.environ["PATH"] = f"{bin_dir}{os.pathsep}{old_path}"
        self.addCleanup(os.environ.__setitem__, "PATH", old_path)
        return bin_dir

    def stand_in(self, name: str, module: str) -> Path:
        """A stand-in ``name`` running txkv's ``module``; returns the file its argv goes to."""
        record = Path(self.mktemp())
        self.on_path(name, STAND_IN.format(python=sys.executable, record=str(record),
                                           module=module))
        return record

    def test_ktserver_command_line_and_lifecycle(self) -> Deferred[Any]:
        record = self.stand_in("ktserver", "txkv.kyoto.kt_server")
        script = Path(self.mktemp())
        script.write_text("function echo(inmap, outmap)\n"
                          "  for k, v in pairs(inmap) do outmap[k] = v end\n"
                          "  return kt.RVSUCCESS\nend\n")

        async def go() -> None:
            server = EmbeddedServer(serializer=KT_NONE, script=str(script))
            self.assertTrue(await server.run())
            self.assertTrue(server.native)
            argv: List[str] = json.loads(record.read_text())
            self.assertEqual(argv, ["-host", "127.0.0.1", "-port", str(server.port), "-le",
                                    "-scr", str(script), "*"])
            self.assertEqual(await server.client.set(b"k", b"v"), 1)
            self.assertEqual(await server.client.get(b"k"), b"v")
            self.assertEqual(await server.client.script("echo", {"a": "1"}), {"a": b"1"})
            self.assertTrue(await server.stop())
            self.assertFalse(server.running)

        return ensureDeferred(go())

    def test_ttserver_command_line_and_lifecycle(self) -> Deferred[Any]:
        record = self.stand_in("ttserver", "txkv.kyoto.tyrant.server")

        async def go() -> None:
            server = EmbeddedTokyoTyrantServer(database="+")
            self.assertTrue(await server.run())
            self.assertTrue(server.native)
            argv: List[str] = json.loads(record.read_text())
            self.assertEqual(argv, ["-host", "127.0.0.1", "-port", str(server.port), "+"])
            self.assertTrue(await server.client.set("b", "2"))
            self.assertTrue(await server.client.set("a", "1"))
            self.assertEqual(await server.client.keys(), ["a", "b"])  # "+" is a B+ tree
            self.assertTrue(await server.stop())
            self.assertFalse(server.running)

        return ensureDeferred(go())

    def test_a_native_server_that_exits_fails_run_with_its_error(self) -> Deferred[Any]:
        self.on_path("ktserver", "#!/bin/sh\necho 'ktserver: cannot open the database' >&2\n"
                                 "exit 1\n")

        async def go() -> None:
            server = EmbeddedServer(start_timeout=20)
            with self.assertRaises(Exception) as caught:
                await server.run()
            self.assertIn("cannot open the database", str(caught.exception))
            self.assertFalse(server.running)

        return ensureDeferred(go())
