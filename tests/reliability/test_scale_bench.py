"""bench/scale.py at tiny sizes, headwater's side: every workload finishes without error.

The figures are the bench's business; here the invariants are the ones the bench checks
itself: every queued run succeeds and no more than `max_concurrent_runs` are ever in progress
at once, the code server's snapshot holds every asset, and each launched run starts.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SCALE = Path(__file__).resolve().parents[2] / "bench" / "scale.py"


def test_scale_bench_runs_its_workloads_at_tiny_sizes() -> None:
    """The daemon drains 4 queued runs two at a time, a 50-asset code server answers with its
    snapshot, and a launched run worker reaches its first step."""
    done = subprocess.run(
        [sys.executable, str(SCALE), "--lib", "headwater", "--json", "--storage", "sqlite",
         "--only", "queue", "--only", "code_server", "--only", "worker_start",
         "--runs", "4", "--max-concurrent", "2", "--assets", "50", "--launches", "1"],
        capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    results = {key: sides["headwater"] for key, sides in json.loads(done.stdout).items()}
    assert [k for k, v in results.items() if "error" in v] == [], results
    queue = results["queue_sqlite"]
    assert queue["runs"] == 4 and 1 <= queue["max_in_progress"] <= 2
    assert queue["failed_runs"] == 0, queue["failures"]
    assert results["code_server"]["assets"] == 50
    start = results["worker_start"]
    assert start["to_first_step_s"] >= start["to_run_start_s"]  # forked workers
    assert start["spawned_to_first_step_s"] >= start["spawned_to_run_start_s"]  # spawned
