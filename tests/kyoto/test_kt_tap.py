"""``twistd txkv-kt`` options and service; ``twistd -n txkv-kt``/``txkv-tt`` and ``txkv serve``
as real commands."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import Any, List

from twisted.internet import reactor
from twisted.internet.defer import Deferred, ensureDeferred
from twisted.internet.protocol import ProcessProtocol
from twisted.trial.unittest import SynchronousTestCase, TestCase

from txkv.kyoto import KyotoTycoon, TokyoTyrant
from txkv.tap import kt as tap
from txkv.testing import free_port

ROOT = Path(__file__).resolve().parents[2]


class OptionsTests(SynchronousTestCase):
    def test_defaults_and_arguments(self) -> None:
        opts = tap.Options()
        opts.parseOptions([])
        self.assertEqual((opts["listen"], opts["databases"], opts["ulog"]),
                         ("tcp:1978", ["*"], 0))
        opts = tap.Options()
        opts.parseOptions(["--listen", "tcp:0", "--ulog", "--sid", "4", "*", "users"])
        self.assertEqual((opts["databases"], opts["sid"], opts["ulog"]), (["*", "users"], 4, 1))


class ServiceTests(TestCase):
    timeout = 30

    def test_service_serves_and_persists(self) -> Deferred[Any]:
        data = str(Path(self.mktemp()))

        async def go() -> None:
            for round_ in range(2):
                opts = tap.Options()
                opts.parseOptions(["--listen", "tcp:0:interface=127.0.0.1", "--data", data])
                service = tap.makeService(opts)
                service.startService()
                listening = [s for s in service if hasattr(s, "_waitingForPort")][0]
                port = (await listening._waitingForPort).getHost().port
                client = KyotoTycoon("127.0.0.1", port, timeout=10)
                try:
                    if round_ == 0:
                        self.assertEqual(await client.set("k", "v"), 1)
                    else:
                        self.assertEqual(await client.get("k"), "v")  # survived the restart
                finally:
                    await client.close()
                    await service.stopService()

        return ensureDeferred(go())


class _Child(ProcessProtocol):
    """A child process whose output is watched for a line matching ``pattern``."""

    def __init__(self, pattern: str) -> None:
        self.pattern = re.compile(pattern)
        self.output = ""
        self.matched: Deferred[re.Match[str]] = Deferred()
        self.ended: Deferred[None] = Deferred()

    def outReceived(self, data: bytes) -> None:
        self.output += data.decode("utf-8", "replace")
        match = self.pattern.search(self.output)
        if match is not None and not self.matched.called:
            self.matched.callback(match)

    errReceived = outReceived

    def processEnded(self, reason: Any) -> None:
        if not self.matched.called:
            self.matched.errback(RuntimeError(f"exited before listening:\n{self.output}"))
        self.ended.callback(None)


class CommandLineTests(TestCase):
    """``twistd -n txkv-kt``, ``twistd -n txkv-tt`` and ``txkv serve`` really start servers
    (each in a child process, stopped with SIGTERM; every wait is bounded)."""

    timeout = 90

    async def start(self, args: List[str], pattern: str) -> re.Match[str]:
        child = _Child(pattern)
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT)] + sys.path))
        process = reactor.spawnProcess(child, sys.executable, [sys.executable, *args],
                                       env=env, path=self.mktemp_dir())

        async def stop() -> None:
            if not child.ended.called:
                process.signalProcess("TERM")
                killer = reactor.callLater(20, process.signalProcess, "KILL")
                await child.ended
                if killer.active():
                    killer.cancel()

        self.addCleanup(lambda: ensureDeferred(stop()))
        child.matched.addTimeout(60, reactor)
        return await child.matched

    def mktemp_dir(self) -> str:
        path = Path(self.mktemp())
        path.mkdir(parents=True)
        return str(path)

    def twistd(self, plugin: str, *options: str) -> List[str]:
        return ["-c", "from twisted.scripts.twistd import run; run()", "-n", "--pidfile=",
                "--logfile=-", plugin, *options]

    def test_twistd_txkv_kt(self) -> Deferred[Any]:
        async def go() -> None:
            found = await self.start(self.twistd("txkv-kt", "--listen",
                                                 "tcp:0:interface=127.0.0.1", "*", "%"),
                                     r"KTServerFactory starting on (\d+)")
            client = KyotoTycoon("127.0.0.1", int(found[1]), timeout=10)
            try:
                self.assertEqual(await client.set("k", "v", db=1), 1)
                self.assertEqual(await client.get("k", db=1), "v")
                self.assertEqual((await client.report())["db_1"].split()[-1], "path=%")
            finally:
                await client.close()

        return ensureDeferred(go())

    def test_twistd_txkv_tt(self) -> Deferred[Any]:
        async def go() -> None:
            found = await self.start(self.twistd("txkv-tt", "--listen",
                                                 "tcp:0:interface=127.0.0.1", "--btree"),
                                     r"TTServerFactory starting on (\d+)")
            client = TokyoTyrant("127.0.0.1", int(found[1]), timeout=10)
            try:
                self.assertIs(await client.set("k", "v"), True)
                self.assertEqual(await client.get_range("a"), {"k": "v"})
            finally:
                await client.close()

        return ensureDeferred(go())

    def test_txkv_serve_runs_kt_and_tt(self) -> Deferred[Any]:
        async def go() -> None:
            kt_port, tt_port = free_port(), free_port()
            await self.start(["-m", "txkv", "serve", "--ignite", "0", "--kt", str(kt_port),
                              "--tt", str(tt_port)],
                             r"txkv serve: tt on \S+(?s:.*)TTServerFactory starting")
            kt = KyotoTycoon("127.0.0.1", kt_port, timeout=10)
            tt = TokyoTyrant("127.0.0.1", tt_port, timeout=10)
            try:
                self.assertEqual(await kt.set("k", "kt"), 1)
                self.assertIs(await tt.set("k", "tt"), True)
                self.assertEqual(await kt.get("k"), "kt")
                self.assertEqual(await tt.get("k"), "tt")
            finally:
                await kt.close()
                await tt.close()

        return ensureDeferred(go())
