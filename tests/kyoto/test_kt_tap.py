"""``twistd txkv-kt`` options and service."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from twisted.internet.defer import Deferred, ensureDeferred
from twisted.trial.unittest import SynchronousTestCase, TestCase

from txkv.kyoto import KyotoTycoon
from txkv.tap import kt as tap


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
