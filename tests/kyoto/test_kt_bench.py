"""benchmarks/bench_kt.py runs end to end (server in a child process) and reports every
scenario, txkv's and ukt's (no speed asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_bench_kt_json_report() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench_kt", "--ops", "20", "--bulk", "50",
         "--rounds", "1", "--warmup", "5", "--json"],
        cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    names = {r["name"] for r in report["results"]}
    assert names == {"txkv get", "txkv set", "txkv get_bulk 50", "txkv set_bulk 50",
                     "txkv get x64 in flight", "txkv set x64 in flight", "ukt get", "ukt set",
                     "ukt get_bulk 50", "ukt set_bulk 50", "floor get", "floor set"}
    assert all(r["median_ops_per_second"] > 0 for r in report["results"])
    pairs = {(p["first"], p["second"]) for p in report["pairs"]}
    assert pairs == {("txkv get", "ukt get"), ("txkv set", "ukt set"),
                     ("txkv get_bulk 50", "ukt get_bulk 50"),
                     ("txkv set_bulk 50", "ukt set_bulk 50"),
                     ("txkv get x64 in flight", "ukt get"), ("txkv set x64 in flight", "ukt set"),
                     ("floor get", "ukt get"), ("floor set", "ukt set"),
                     ("txkv get", "floor get"), ("txkv set", "floor set")}
    assert all(p["median_ratio"] > 0 for p in report["pairs"])
