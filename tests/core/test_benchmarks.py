"""The benchmark harness counts and compares correctly, and the benchmarks run end to end.

Nothing here asserts a speed: figures are only checked to be present and well formed.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any, List

from twisted.internet.defer import Deferred, succeed
from twisted.python.failure import Failure
from twisted.trial.unittest import SynchronousTestCase

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # benchmarks/ is not an installed package
    sys.path.insert(0, str(ROOT))

from benchmarks.harness import Report, Scenario, compare, format_report  # noqa: E402


def run_module(*args: str) -> str:
    out = subprocess.run(
        [sys.executable, "-m", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    return out.stdout


def result_of(d: Deferred[Any]) -> Any:
    box: List[Any] = []
    d.addBoth(box.append)
    assert box, "Deferred has not fired"
    if isinstance(box[0], Failure):
        box[0].raiseException()
    return box[0]


class Counter:
    def __init__(self) -> None:
        self.calls = 0

    def op(self) -> Deferred[None]:
        self.calls += 1
        return succeed(None)


class CompareTests(SynchronousTestCase):
    """compare() on in-memory ops, whose Deferreds fire at once (no reactor needed)."""

    def compare(self, scenarios: List[Scenario], **kw: Any) -> Report:
        report: Report = result_of(Deferred.fromCoroutine(compare(scenarios, **kw)))
        return report

    def test_counts_warmup_and_rounds(self) -> None:
        a, b = Counter(), Counter()
        report = self.compare(
            [Scenario("a", a.op), Scenario("b", b.op, inflight=4)], ops=50, rounds=3, warmup=7
        )
        self.assertEqual((a.calls, b.calls), (7 + 3 * 50, 7 + 3 * 50))
        self.assertEqual([r.ops_per_round for r in report.results], [[50, 50, 50]] * 2)
        self.assertEqual(report.baseline, "a")
        self.assertEqual(report.results[0].ratio, 1.0)
        self.assertTrue(all(x > 0 for r in report.results for x in r.ops_per_second))

    def test_ratio_is_relative_to_the_named_baseline(self) -> None:
        report = self.compare(
            [Scenario("a", Counter().op), Scenario("b", Counter().op)],
            ops=20,
            rounds=1,
            baseline="b",
        )
        a, b = report.results
        self.assertEqual(b.ratio, 1.0)
        self.assertAlmostEqual(a.ratio, a.median / b.median)
        table = format_report(report)
        self.assertIn("(baseline)", table.splitlines()[-1])

    def test_pairs_are_compared_round_by_round(self) -> None:
        report = self.compare(
            [Scenario("a", Counter().op), Scenario("b", Counter().op)],
            ops=20, rounds=3, pairs=[("a", "b")],
        )
        a, b = report.results
        (pair,) = report.pairs
        expected = [x / y for x, y in zip(a.ops_per_second, b.ops_per_second)]
        self.assertEqual(pair.ratios, expected)
        self.assertEqual(pair.median, sorted(expected)[1])
        self.assertEqual(report.as_dict()["pairs"][0]["first"], "a")
        self.assertIn("a / b", format_report(report))

    def test_every_other_round_runs_in_reverse_order(self) -> None:
        ran: List[str] = []

        def op(name: str) -> Any:
            return lambda: ran.append(name) or succeed(None)

        self.compare([Scenario("a", op("a")), Scenario("b", op("b")), Scenario("c", op("c"))],
                     ops=1, rounds=3, warmup=0)
        self.assertEqual(ran, ["a", "b", "c", "c", "b", "a", "a", "b", "c"])

    def test_pair_of_unknown_scenario_is_refused(self) -> None:
        d = Deferred.fromCoroutine(
            compare([Scenario("a", Counter().op)], ops=1, pairs=[("a", "nope")]))
        self.assertRaises(ValueError, result_of, d)

    def test_already_fired_ops_do_not_recurse(self) -> None:
        counter = Counter()
        self.compare([Scenario("deep", counter.op)], ops=20_000, rounds=1, warmup=0)
        self.assertEqual(counter.calls, 20_000)

    def test_coroutine_ops_are_awaited(self) -> None:
        done: List[int] = []

        async def op() -> None:
            done.append(1)

        self.compare([Scenario("coro", op)], ops=10, rounds=2, warmup=0)
        self.assertEqual(len(done), 20)

    def test_duration_mode_counts_what_ran(self) -> None:
        report = self.compare([Scenario("timed", Counter().op)], duration=0.01, rounds=1)
        self.assertGreater(report.results[0].ops_per_round[0], 0)

    def test_failing_op_fails_the_comparison_and_tears_down(self) -> None:
        torn_down: List[str] = []

        def op() -> Deferred[None]:
            raise ValueError("boom")

        d = Deferred.fromCoroutine(
            compare(
                [Scenario("bad", op, teardown=lambda: torn_down.append("bad"))],
                ops=5,
                rounds=1,
            )
        )
        self.assertRaises(ValueError, result_of, d)
        self.assertEqual(torn_down, ["bad"])

    def test_bad_arguments(self) -> None:
        op = Counter().op
        self.assertRaises(ValueError, Scenario, "x", op, inflight=0)
        for kw in ({"rounds": 0}, {"baseline": "nope"}):
            d = Deferred.fromCoroutine(compare([Scenario("x", op)], ops=1, **kw))
            self.assertRaises(ValueError, result_of, d)
        d = Deferred.fromCoroutine(compare([Scenario("x", op), Scenario("x", op)], ops=1))
        self.assertRaises(ValueError, result_of, d)


FIGURE = re.compile(r"^(?P<name>.+?)\s+(?P<median>[\d,]+)\s+[\d,]+\s+[\d,]+\s+(?P<ratio>[\d.]+)x")


def table_rows(output: str) -> List[re.Match[str]]:
    return [m for m in map(FIGURE.match, output.splitlines()) if m is not None]


class CommandLineSmokeTests(SynchronousTestCase):
    """The real thing on the real reactor, in a subprocess, with tiny op counts."""

    def test_harness_self_check_prints_figures_and_ratios(self) -> None:
        rows = table_rows(run_module("benchmarks.harness", "--ops", "200", "--rounds", "1"))
        names = [m.group("name").strip() for m in rows]
        self.assertIn("blocking no-op (thread)", names)
        self.assertEqual(rows[0].group("ratio"), "1.00")
        self.assertTrue(all(int(m.group("median").replace(",", "")) > 0 for m in rows))

    def test_echo_ceiling_table(self) -> None:
        out = run_module(
            "benchmarks.echo_ceiling", "--ops", "200", "--rounds", "1", "--inflight", "8"
        )
        self.assertIn("64-byte frames", out)
        names = [m.group("name").strip() for m in table_rows(out)]
        self.assertEqual(names, ["sequential", "pipelined x8", "blocking socket (thread)"])

    def test_echo_ceiling_json(self) -> None:
        out = run_module(
            "benchmarks.echo_ceiling",
            "--ops",
            "200",
            "--rounds",
            "2",
            "--size",
            "1024",
            "--json",
        )
        report = json.loads(out)
        self.assertEqual(report["params"], {"size": 1024, "inflight": 64})
        self.assertEqual(report["baseline"], "sequential")
        results = report["results"]
        self.assertEqual(len(results), 3)
        self.assertEqual(results[0]["ratio_to_baseline"], 1.0)
        for r in results:
            self.assertEqual(r["ops_per_round"], [200, 200])
            self.assertGreater(r["median_ops_per_second"], 0)
            self.assertGreater(r["ratio_to_baseline"], 0)
