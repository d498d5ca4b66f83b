"""Apache Ignite: txkv's client against pyignite's ``Client`` and ``AioClient``, all on the same
txkv embedded server, in one run.

The server runs in a subprocess (``python -m txkv.ignite.server``) so that it does not share
the clients' GIL.  Scenarios, each on one connection:

* put / get of a ``--size``-character string, sequential: txkv (one Deferred at a time),
  pyignite ``Client`` (blocking, on the reactor thread: nothing else runs there meanwhile),
  pyignite ``AioClient`` (awaited one at a time);
* the same with ``--inflight`` requests outstanding: txkv keeps that many Deferreds pending
  at all times; ``AioClient`` runs ``asyncio.gather`` batches of that size (its documented way
  to have many requests in flight);
* a full scan of ``--records`` entries with page size ``--page-size``: records/s.

``AioClient`` runs on its own asyncio loop in a dedicated thread; the reactor thread waits for
each of its calls.  Batch and scan figures are converted to operations (records) per second.

Run: ``python -m benchmarks.bench_ignite --duration 2 --rounds 3``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import threading
from typing import Any, Coroutine, Dict, List, Optional, Tuple

from twisted.internet.defer import Deferred

from benchmarks.harness import (
    Report,
    Scenario,
    add_common_arguments,
    compare,
    format_report,
)
from txkv.ignite.client import Client


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--size", type=int, default=64, help="value characters (64)")
    parser.add_argument("--inflight", type=int, default=64, help="requests in flight (64)")
    parser.add_argument("--records", type=int, default=10_000, help="entries scanned (10000)")
    parser.add_argument("--page-size", type=int, default=1024, help="scan page size (1024)")
    parser.add_argument("--no-pyignite", action="store_true", help="txkv scenarios only")


# -- the server -----------------------------------------------------------------------------------


class ServerProcess:
    """``python -m txkv.ignite.server`` on a free port, in a child process."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "txkv.ignite.server", "--port", "0", "--print-port"],
            stdout=subprocess.PIPE, text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline().split()
        if not line or line[0] != "PORTS":
            self.stop()
            raise RuntimeError(f"the Ignite server did not start (printed {line!r})")
        self.port = int(line[1])

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


# -- pyignite's AioClient on its own loop ---------------------------------------------------------


class AsyncioThread:
    """An asyncio event loop running in a daemon thread; :meth:`run` waits for a coroutine."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="bench-asyncio",
                                       daemon=True)
        self.thread.start()

    def run(self, coroutine: Coroutine[Any, Any, Any]) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result()

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()


# -- scenarios ------------------------------------------------------------------------------------


class Setup:
    """Everything the scenarios use, and how to release it."""

    def __init__(self) -> None:
        self.server: Optional[ServerProcess] = None
        self.txkv: Optional[Client] = None
        self.sync: Any = None
        self.aio: Any = None
        self.aio_thread: Optional[AsyncioThread] = None

    async def close(self) -> None:
        if self.txkv is not None:
            await self.txkv.close()
        if self.sync is not None:
            self.sync.close()
        if self.aio is not None and self.aio_thread is not None:
            self.aio_thread.run(self.aio.close())
        if self.aio_thread is not None:
            self.aio_thread.stop()
        if self.server is not None:
            self.server.stop()


def _drain_sync_scan(cache: Any, page_size: int) -> int:
    count = 0
    with cache.scan(page_size=page_size) as cursor:
        for _ in cursor:
            count += 1
    return count


async def _drain_aio_scan(cache: Any, page_size: int) -> int:
    count = 0
    async with cache.scan(page_size=page_size) as cursor:
        async for _ in cursor:
            count += 1
    return count


async def build(reactor: Any, options: argparse.Namespace, setup: Setup
                ) -> Tuple[List[Scenario], List[Scenario], Dict[str, int]]:
    """(key-value scenarios, scan scenarios, items per call of each scenario)."""
    setup.server = ServerProcess()
    port = setup.server.port
    value = "x" * options.size
    n = options.inflight
    records = {f"rec{i:07d}": i for i in range(options.records)}
    per_call: Dict[str, int] = {}

    client = setup.txkv = Client(reactor=reactor, partition_aware=False)
    await client.connect("127.0.0.1", port)
    cache = await client.get_or_create_cache("bench")
    await cache.put("key", value)
    if await cache.get("key") != value:
        raise RuntimeError("the server returned a different value")
    scan_cache = await client.get_or_create_cache("bench-scan")
    for start in range(0, options.records, 1000):
        chunk = dict(list(records.items())[start:start + 1000])
        await scan_cache.put_all(chunk)

    def txkv_scan() -> Deferred[Any]:
        return scan_cache.scan(page_size=options.page_size).collect()

    kv = [
        Scenario("txkv put", lambda: cache.put("key", value)),
        Scenario("txkv get", lambda: cache.get("key")),
        Scenario(f"txkv put x{n} in flight", lambda: cache.put("key", value), inflight=n),
        Scenario(f"txkv get x{n} in flight", lambda: cache.get("key"), inflight=n),
    ]
    scans = [Scenario(f"txkv scan (page {options.page_size})", txkv_scan)]
    per_call[scans[0].name] = options.records

    if not options.no_pyignite:
        from pyignite import AioClient
        from pyignite import Client as SyncClient

        setup.sync = SyncClient(partition_aware=False)
        setup.sync.connect("127.0.0.1", port)
        sync_cache = setup.sync.get_cache("bench")
        sync_scan = setup.sync.get_cache("bench-scan")

        aio_thread = setup.aio_thread = AsyncioThread()
        setup.aio = AioClient(partition_aware=False)
        aio = setup.aio

        async def aio_connect() -> Tuple[Any, Any]:
            await aio.connect("127.0.0.1", port)
            return await aio.get_cache("bench"), await aio.get_cache("bench-scan")

        aio_cache, aio_scan = aio_thread.run(aio_connect())

        async def gather_puts() -> None:
            await asyncio.gather(*[aio_cache.put("key", value) for _ in range(n)])

        async def gather_gets() -> None:
            await asyncio.gather(*[aio_cache.get("key") for _ in range(n)])

        kv += [
            Scenario("pyignite Client put", lambda: sync_cache.put("key", value),
                     blocking=True, in_thread=False),
            Scenario("pyignite Client get", lambda: sync_cache.get("key"),
                     blocking=True, in_thread=False),
            Scenario("pyignite AioClient put", lambda: aio_thread.run(aio_cache.put("key", value)),
                     blocking=True, in_thread=False),
            Scenario("pyignite AioClient get", lambda: aio_thread.run(aio_cache.get("key")),
                     blocking=True, in_thread=False),
            Scenario(f"pyignite AioClient put gather x{n}",
                     lambda: aio_thread.run(gather_puts()), blocking=True, in_thread=False),
            Scenario(f"pyignite AioClient get gather x{n}",
                     lambda: aio_thread.run(gather_gets()), blocking=True, in_thread=False),
        ]
        per_call[f"pyignite AioClient put gather x{n}"] = n
        per_call[f"pyignite AioClient get gather x{n}"] = n
        scans += [
            Scenario(f"pyignite Client scan (page {options.page_size})",
                     lambda: _drain_sync_scan(sync_scan, options.page_size),
                     blocking=True, in_thread=False),
            Scenario(f"pyignite AioClient scan (page {options.page_size})",
                     lambda: aio_thread.run(_drain_aio_scan(aio_scan, options.page_size)),
                     blocking=True, in_thread=False),
        ]
        per_call[scans[1].name] = per_call[scans[2].name] = options.records
    return kv, scans, per_call


def scale(report: Report, per_call: Dict[str, int]) -> Report:
    """Turn calls/s into items/s for scenarios whose one call handles many items."""
    for result in report.results:
        factor = per_call.get(result.name, 1)
        result.ops_per_second = [x * factor for x in result.ops_per_second]
    base = next(r for r in report.results if r.name == report.baseline).median
    for result in report.results:
        result.ratio = result.median / base if base > 0 else float("nan")
    return report


def _median(report: Report, name: str) -> Optional[float]:
    for result in report.results:
        if result.name == name:
            return result.median
    return None


def targets(kv: Report, n: int) -> List[str]:
    """The issue's targets: txkv >= 2x AioClient pipelined, >= pyignite sync sequential."""
    lines = []
    for op in ("put", "get"):
        pairs = [
            (f"txkv {op} x{n} in flight", f"pyignite AioClient {op} gather x{n}", 2.0),
            (f"txkv {op}", f"pyignite Client {op}", 1.0),
        ]
        for ours, theirs, goal in pairs:
            a, b = _median(kv, ours), _median(kv, theirs)
            if a is None or b is None or b <= 0:
                continue
            verdict = "met" if a / b >= goal else "NOT met"
            lines.append(f"{ours!r} / {theirs!r} = {a / b:.2f}x (target >= {goal:g}x: {verdict})")
    return lines


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_common_arguments(parser)
    add_arguments(parser)
    options = parser.parse_args(argv)
    if options.ops is None and options.duration is None:
        options.duration = 1.0

    from twisted.internet import task

    async def run(reactor: Any) -> None:
        setup = Setup()
        try:
            kv_scenarios, scan_scenarios, per_call = await build(reactor, options, setup)
            common: Dict[str, Any] = dict(
                ops=options.ops, duration=options.duration, rounds=options.rounds,
                warmup=options.warmup, reactor=reactor,
            )
            params = {"size": options.size, "inflight": options.inflight,
                      "records": options.records, "page_size": options.page_size}
            kv = scale(await Deferred.fromCoroutine(compare(
                kv_scenarios, baseline=options.baseline, params=params,
                title=f"Ignite put/get, {options.size}-char values over 127.0.0.1 (ops/s)",
                **common)), per_call)
            scans = scale(await Deferred.fromCoroutine(compare(
                scan_scenarios, params=params,
                title=f"Ignite scan of {options.records} entries (records/s)",
                **common)), per_call)
        finally:
            await setup.close()
        if options.json:
            print(json.dumps({"kv": kv.as_dict(), "scan": scans.as_dict(),
                              "targets": targets(kv, options.inflight)}, indent=2))
        else:
            print(format_report(kv))
            print()
            print(format_report(scans))
            for line in targets(kv, options.inflight):
                print(line)
        sys.stdout.flush()

    task.react(lambda reactor: Deferred.fromCoroutine(run(reactor)))


if __name__ == "__main__":
    main()
