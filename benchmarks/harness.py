"""Side-by-side throughput of several clients against the same server, in one process run.

A :class:`Scenario` is one client doing one operation: either an asynchronous op (returns a
Deferred or a coroutine), run on the real reactor with ``inflight`` requests outstanding, or a
blocking op (a synchronous peer client such as pyignite or ukt), run in ``inflight`` threads so
that a server on this process's reactor keeps serving.  :func:`compare` warms every scenario up,
then runs ``rounds`` rounds, interleaving the scenarios inside each round so that drift (CPU
frequency, caches, the server's data growing) hits them all alike, and reports the median ops/s of
each and its ratio to the baseline (the first scenario unless named).

A benchmark module builds its scenarios and hands them to :func:`run_cli`, which gives it the
common options (``--ops``, ``--duration``, ``--rounds``, ``--warmup``, ``--baseline``, ``--json``).
``python -m benchmarks.harness`` measures the harness's own overhead.
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import platform
import statistics
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Dict, List, Optional, Sequence, Tuple, Union

from twisted.internet.defer import (
    Deferred,
    FirstError,
    ensureDeferred,
    fail,
    gatherResults,
    maybeDeferred,
    succeed,
)
from twisted.internet.interfaces import IReactorCore, IReactorThreads, IReactorTime
from twisted.internet.threads import deferToThreadPool
from twisted.python.failure import Failure
from twisted.python.threadpool import ThreadPool

__all__ = ["Scenario", "Bench", "Result", "Report", "compare", "run_cli", "format_report"]

Op = Callable[[], Any]


@dataclass
class Scenario:
    """One client and one operation to measure.

    :param name: shown in the report.
    :param op: the operation; asynchronous ops return a Deferred or a coroutine, blocking ops
        return when done.
    :param blocking: ``op`` is synchronous.
    :param inflight: asynchronous: requests kept outstanding (1 = sequential); blocking: threads.
    :param in_thread: blocking only; False runs ``op`` on the reactor thread itself, which is only
        right when the server lives in another process (and then ``inflight`` must be 1).
    :param setup: run once before the warm-up (may return a Deferred), e.g. to connect.
    :param teardown: run once at the end (may return a Deferred), e.g. to disconnect.
    """

    name: str
    op: Op
    blocking: bool = False
    inflight: int = 1
    in_thread: bool = True
    setup: Optional[Callable[[], Any]] = None
    teardown: Optional[Callable[[], Any]] = None

    def __post_init__(self) -> None:
        if self.inflight < 1:
            raise ValueError(f"{self.name}: inflight must be >= 1")
        if self.blocking and not self.in_thread and self.inflight != 1:
            raise ValueError(f"{self.name}: a blocking op on the reactor thread runs one at a time")


@dataclass
class Result:
    """Measurements of one scenario: ops/s of every round, their median, ratio to the baseline."""

    name: str
    inflight: int
    blocking: bool
    ops_per_round: List[int]
    ops_per_second: List[float]
    ratio: float = 1.0

    @property
    def median(self) -> float:
        return statistics.median(self.ops_per_second)

    def as_dict(self) -> Dict[str, Any]:
        return {
            "name": self.name,
            "inflight": self.inflight,
            "blocking": self.blocking,
            "ops_per_round": self.ops_per_round,
            "ops_per_second": [round(x, 1) for x in self.ops_per_second],
            "median_ops_per_second": round(self.median, 1),
            "ratio_to_baseline": round(self.ratio, 4),
        }


@dataclass
class Pair:
    """``first`` against ``second``, round by round: each round's ratio of their ops/s.

    The median of per-round ratios is steadier than the ratio of the medians on a machine whose
    speed drifts, because both scenarios of a round ran seconds apart under the same load.
    """

    first: str
    second: str
    ratios: List[float]

    @property
    def median(self) -> float:
        return statistics.median(self.ratios)

    def as_dict(self) -> Dict[str, Any]:
        return {
            "first": self.first,
            "second": self.second,
            "ratios": [round(x, 4) for x in self.ratios],
            "median_ratio": round(self.median, 4),
        }


@dataclass
class Report:
    title: str
    baseline: str
    rounds: int
    ops: Optional[int]
    duration: Optional[float]
    results: List[Result]
    params: Dict[str, Any] = field(default_factory=dict)
    pairs: List[Pair] = field(default_factory=list)

    def as_dict(self) -> Dict[str, Any]:
        return {
            "title": self.title,
            "baseline": self.baseline,
            "rounds": self.rounds,
            "ops": self.ops,
            "duration": self.duration,
            "params": self.params,
            "machine": machine_info(),
            "results": [r.as_dict() for r in self.results],
            "pairs": [p.as_dict() for p in self.pairs],
        }


def machine_info() -> Dict[str, Any]:
    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
    }


# -- budgets: how many ops a run may still start ---------------------------------------------------


class _Budget:
    """Hands out permission for ops: a fixed count, or until a deadline (thread-safe)."""

    def __init__(self, ops: Optional[int], duration: Optional[float]) -> None:
        if (ops is None) == (duration is None):
            raise ValueError("give exactly one of ops and duration")
        self._left = ops
        self._deadline = None if duration is None else time.perf_counter() + duration
        self._lock = threading.Lock()
        self.taken = 0

    def take(self) -> bool:
        with self._lock:
            if self._deadline is not None:
                if time.perf_counter() >= self._deadline:
                    return False
            else:
                assert self._left is not None
                if self._left <= 0:
                    return False
                self._left -= 1
            self.taken += 1
            return True


# -- asynchronous runs -----------------------------------------------------------------------------


def _as_deferred(result: Any) -> Deferred[Any]:
    """A Deferred for a Deferred, a coroutine, or a plain value."""
    if isinstance(result, Deferred):
        return result
    if inspect.iscoroutine(result):
        return ensureDeferred(result)
    return succeed(result)


class _AsyncWorker:
    """Issues ops one after the other until the budget is spent.

    Ops whose Deferred has already fired are handled in a loop, not by recursion, so in-memory
    ops cannot exhaust the stack.
    """

    def __init__(self, op: Op, budget: _Budget, on_done: Callable[[Optional[Failure]], None]):
        self._op = op
        self._budget = budget
        self._on_done = on_done
        self._in_call = False
        self._fired_in_call = False

    def start(self) -> None:
        self._pump()

    def _pump(self) -> None:
        while self._budget.take():
            self._in_call = True
            self._fired_in_call = False
            try:
                d = _as_deferred(self._op())
            except Exception:
                self._in_call = False
                self._on_done(Failure())
                return
            d.addCallbacks(self._completed, self._failed)
            self._in_call = False
            if not self._fired_in_call:
                return  # the reply will call _completed later
        self._on_done(None)

    def _completed(self, _result: object) -> None:
        if self._in_call:
            self._fired_in_call = True
        else:
            self._pump()

    def _failed(self, failure: Failure) -> None:
        self._in_call = False
        self._on_done(failure)


def _run_async(scenario: Scenario, budget: _Budget) -> Deferred[float]:
    """Run ``scenario`` until the budget is spent; fire with the elapsed seconds."""
    result: Deferred[float] = Deferred()
    remaining = [scenario.inflight]
    start = time.perf_counter()

    def worker_done(failure: Optional[Failure]) -> None:
        if result.called:
            return
        if failure is not None:
            result.errback(failure)
            return
        remaining[0] -= 1
        if remaining[0] == 0:
            result.callback(time.perf_counter() - start)

    for _ in range(scenario.inflight):
        _AsyncWorker(scenario.op, budget, worker_done).start()
    return result


# -- blocking runs ---------------------------------------------------------------------------------


def _blocking_loop(op: Op, budget: _Budget) -> float:
    """Run ``op`` while the budget allows; return the perf_counter time it finished."""
    while budget.take():
        op()
    return time.perf_counter()


class _Threads:
    """A dedicated thread pool for a blocking scenario, sized to its ``inflight``."""

    def __init__(self, reactor: Any, size: int, name: str) -> None:
        self.reactor = reactor
        self.pool = ThreadPool(minthreads=size, maxthreads=size, name=f"bench-{name}")
        self.pool.start()

    def stop(self) -> None:
        self.pool.stop()


def _run_blocking(
    scenario: Scenario, budget: _Budget, threads: Optional[_Threads]
) -> Deferred[float]:
    start = time.perf_counter()
    if threads is None:
        try:
            return succeed(_blocking_loop(scenario.op, budget) - start)
        except Exception:
            return fail()
    runs = [
        deferToThreadPool(threads.reactor, threads.pool, _blocking_loop, scenario.op, budget)
        for _ in range(scenario.inflight)
    ]
    elapsed: Deferred[float] = Deferred()
    gatherResults(runs, consumeErrors=True).addCallbacks(
        lambda ends: elapsed.callback(max(ends) - start),
        lambda failure: elapsed.errback(_first_error(failure)),
    )
    return elapsed


def _first_error(failure: Failure) -> Failure:
    """The failure of the thread that failed first, unwrapped from gatherResults' FirstError."""
    error = failure.value
    if isinstance(error, FirstError):
        sub: Failure = error.subFailure
        return sub
    return failure


# -- comparing -------------------------------------------------------------------------------------


async def _run_once(
    scenario: Scenario,
    ops: Optional[int],
    duration: Optional[float],
    threads: Optional[_Threads],
) -> Tuple[int, float]:
    """Run one round of ``scenario``: (ops done, seconds elapsed)."""
    budget = _Budget(ops, duration)
    if scenario.blocking:
        elapsed = await _run_blocking(scenario, budget, threads)
    else:
        elapsed = await _run_async(scenario, budget)
    return budget.taken, elapsed


async def compare(
    scenarios: Sequence[Scenario],
    *,
    ops: Optional[int] = None,
    duration: Optional[float] = None,
    rounds: int = 5,
    warmup: Optional[int] = None,
    baseline: Optional[str] = None,
    title: str = "",
    params: Optional[Dict[str, Any]] = None,
    reactor: Any = None,
    pairs: Sequence[Tuple[str, str]] = (),
) -> Report:
    """Measure every scenario and compare them; run it with ``Deferred.fromCoroutine``.

    :param ops: ops per scenario per round (give this or ``duration``).
    :param duration: seconds per scenario per round.
    :param rounds: measured rounds; the report gives the median.  Every other round runs the
        scenarios in reverse order.
    :param warmup: ops per scenario before the first round (default: a tenth of ``ops``, at
        least 1; with ``duration``, ops for a tenth of it).
    :param baseline: the scenario the ratios are relative to (default: the first one).
    :param pairs: ``(first, second)`` scenario names to compare round by round (see :class:`Pair`).
    """
    if not scenarios:
        raise ValueError("nothing to compare")
    if ops is None and duration is None:
        ops = 10_000
    if rounds < 1:
        raise ValueError("rounds must be >= 1")
    names = [s.name for s in scenarios]
    if len(set(names)) != len(names):
        raise ValueError(f"scenario names must be unique: {names}")
    baseline = baseline or names[0]
    if baseline not in names:
        raise ValueError(f"baseline {baseline!r} is not one of {names}")
    for pair in pairs:
        unknown = [n for n in pair if n not in names]
        if unknown:
            raise ValueError(f"pair {pair!r} names unknown scenarios {unknown}")
    if reactor is None:
        from twisted.internet import reactor as global_reactor

        reactor = global_reactor
    assert IReactorThreads.providedBy(reactor) and IReactorTime.providedBy(reactor)

    threads: Dict[str, _Threads] = {}
    results = {s.name: Result(s.name, s.inflight, s.blocking, [], []) for s in scenarios}
    started: List[Scenario] = []
    try:
        for s in scenarios:
            if s.setup is not None:
                await maybeDeferred(s.setup)
            started.append(s)
            if s.blocking and s.in_thread:
                threads[s.name] = _Threads(reactor, s.inflight, s.name)
        for s in scenarios:
            if warmup is None:
                warm_ops = max(1, ops // 10) if ops is not None else None
                warm_duration = duration / 10 if duration is not None else None
            else:
                warm_ops, warm_duration = warmup, None
            if warm_ops != 0:
                await _run_once(s, warm_ops, warm_duration, threads.get(s.name))
        for round_index in range(rounds):
            # odd rounds run the scenarios in reverse order (A B, B A, A B...), so that no
            # scenario always runs first, right after the previous round's last one
            order = scenarios if round_index % 2 == 0 else list(reversed(scenarios))
            for s in order:
                done, elapsed = await _run_once(s, ops, duration, threads.get(s.name))
                r = results[s.name]
                r.ops_per_round.append(done)
                r.ops_per_second.append(done / elapsed if elapsed > 0 else float("inf"))
    finally:
        for pool in threads.values():
            pool.stop()
        for s in reversed(started):
            if s.teardown is not None:
                await maybeDeferred(s.teardown)

    base = results[baseline].median
    for r in results.values():
        r.ratio = r.median / base if base > 0 else float("nan")
    paired = [
        Pair(first, second, [a / b if b > 0 else float("nan") for a, b in
                             zip(results[first].ops_per_second, results[second].ops_per_second)])
        for first, second in pairs
    ]
    return Report(
        title=title,
        baseline=baseline,
        rounds=rounds,
        ops=ops,
        duration=duration,
        results=[results[n] for n in names],
        params=dict(params or {}),
        pairs=paired,
    )


def format_report(report: Report) -> str:
    """The report as a table: median, min and max ops/s, and the ratio to the baseline."""
    amount = f"{report.ops} ops" if report.ops is not None else f"{report.duration} s"
    lines = []
    if report.title:
        lines.append(report.title)
    lines.append(
        f"{report.rounds} round(s) of {amount} per scenario; median ops/s; "
        f"ratio = median / median of {report.baseline!r}"
    )
    width = max(8, *(len(r.name) for r in report.results))
    lines.append(f"{'scenario':<{width}}  {'ops/s':>11}  {'min':>11}  {'max':>11}  {'ratio':>7}")
    for r in report.results:
        mark = "  (baseline)" if r.name == report.baseline else ""
        lines.append(
            f"{r.name:<{width}}  {r.median:>11,.0f}  {min(r.ops_per_second):>11,.0f}  "
            f"{max(r.ops_per_second):>11,.0f}  {r.ratio:>6.2f}x{mark}"
        )
    if report.pairs:
        lines.append("")
        lines.append("round by round: median of each round's ratio (lowest - highest round)")
        pair_width = max(len(f"{p.first} / {p.second}") for p in report.pairs)
        for p in report.pairs:
            label = f"{p.first} / {p.second}"
            lines.append(f"{label:<{pair_width}}  {p.median:>6.2f}x  "
                         f"({min(p.ratios):.2f}x - {max(p.ratios):.2f}x)")
    return "\n".join(lines)


# -- command line ----------------------------------------------------------------------------------


@dataclass
class Bench:
    """What a benchmark module builds: its scenarios, and how to clean up after all of them."""

    scenarios: List[Scenario]
    title: str = ""
    params: Dict[str, Any] = field(default_factory=dict)
    cleanup: Optional[Callable[[], Any]] = None
    pairs: List[Tuple[str, str]] = field(default_factory=list)


BuildResult = Union[Bench, Awaitable[Bench], Deferred[Bench]]


def add_common_arguments(parser: argparse.ArgumentParser) -> None:
    amount = parser.add_mutually_exclusive_group()
    amount.add_argument("--ops", type=int, default=None, help="ops per scenario per round")
    amount.add_argument("--duration", type=float, default=None, help="seconds per round instead")
    parser.add_argument("--rounds", type=int, default=5, help="measured rounds (default 5)")
    parser.add_argument("--warmup", type=int, default=None, help="warm-up ops per scenario")
    parser.add_argument("--baseline", default=None, help="scenario the ratios refer to")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")


def run_cli(
    build: Callable[[Any, argparse.Namespace], BuildResult],
    *,
    description: str,
    default_ops: int = 10_000,
    add_arguments: Optional[Callable[[argparse.ArgumentParser], None]] = None,
    argv: Optional[Sequence[str]] = None,
) -> None:
    """Parse the command line, build the scenarios on the reactor, compare them, print, exit."""
    parser = argparse.ArgumentParser(description=description)
    add_common_arguments(parser)
    if add_arguments is not None:
        add_arguments(parser)
    options = parser.parse_args(argv)
    if options.ops is None and options.duration is None:
        options.ops = default_ops

    from twisted.internet import task

    async def main(reactor: IReactorCore) -> None:
        bench = await _as_deferred(build(reactor, options))
        try:
            report = await Deferred.fromCoroutine(
                compare(
                    bench.scenarios,
                    ops=options.ops,
                    duration=options.duration,
                    rounds=options.rounds,
                    warmup=options.warmup,
                    baseline=options.baseline,
                    title=bench.title,
                    params=bench.params,
                    reactor=reactor,
                    pairs=bench.pairs,
                )
            )
        finally:
            if bench.cleanup is not None:
                await maybeDeferred(bench.cleanup)
        if options.json:
            print(json.dumps(report.as_dict(), indent=2))
        else:
            print(format_report(report))
        sys.stdout.flush()

    task.react(lambda reactor: Deferred.fromCoroutine(main(reactor)))


# -- self-measurement: the harness's own overhead ------------------------------------------------


def _build_self_check(reactor: Any, options: argparse.Namespace) -> Bench:
    from twisted.internet.task import deferLater

    return Bench(
        title="harness overhead (no I/O)",
        scenarios=[
            Scenario("fired Deferred", lambda: succeed(None)),
            Scenario("reactor turn", lambda: deferLater(reactor, 0, lambda: None)),
            Scenario("reactor turn x16", lambda: deferLater(reactor, 0, lambda: None), inflight=16),
            Scenario("blocking no-op (thread)", lambda: None, blocking=True),
        ],
    )


if __name__ == "__main__":
    run_cli(
        _build_self_check,
        description="Measure the harness's own per-op overhead.",
        default_ops=20_000,
    )
