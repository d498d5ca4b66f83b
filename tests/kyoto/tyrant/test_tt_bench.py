"""benchmarks/bench_tt.py runs end to end and prints its three scenarios (no speed asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_bench_tt_json_report() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench_tt", "--ops", "200", "--rounds", "1", "--json"],
        cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    text = json.dumps(report)
    for name in ("txkv sequential", "txkv pipelined x64", "blocking socket"):
        assert name in text
