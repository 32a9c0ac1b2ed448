"""Multiprocess workloads: runs whose steps execute in worker processes, on SQLite.

    mp_chain   a chain of n ops, executor = each library's default multiprocess executor
    mp_fanout  one op feeding n ops
    launch     `headwater job launch` to the first line of user code (headwater only)

Both libraries run `execute_job(reconstructable(job), instance)` against
`instance_for_test()` (a SQLite instance in a temporary home; for Dagster a temporary
DAGSTER_HOME). The jobs live in a module written to the working directory, because worker
processes import them by name. Loaded by workloads.py; standard library only at import.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
import time
from types import ModuleType
from typing import Any

JOBS = '''
import os
import importlib

lib = importlib.import_module(os.environ["BENCH_LIB"])
N = int(os.environ["BENCH_N"])


def _first():
    return 1


def _step(x):
    return x + 1


first = lib.op(name="op0")(_first)
steps = [lib.op(name=f"op{i}")(_step) for i in range(1, N)]


@lib.job
def mp_chain():
    x = first()
    for o in steps:
        x = o(x)


@lib.job
def mp_fanout():
    x = first()
    for o in steps:
        o(x)
'''

LAUNCH_DEFS = '''
import time
from headwater import Definitions, job, op


@op
def hello():
    with open("first_line.txt", "w") as f:
        f.write(repr(time.time()))


@job
def launched():
    hello()


defs = Definitions(jobs=[launched])
'''


def _jobs_module(lib: ModuleType, n: int) -> ModuleType:
    os.environ["BENCH_LIB"] = lib.__name__
    os.environ["BENCH_N"] = str(n)
    with open("bench_mp_jobs.py", "w") as f:
        f.write(textwrap.dedent(JOBS))
    sys.path.insert(0, os.getcwd())
    import bench_mp_jobs

    return bench_mp_jobs


def _run(lib: ModuleType, name: str, repeats: int, n: int) -> dict[str, Any]:
    module = _jobs_module(lib, n)
    job = getattr(module, name)
    times = []
    with lib.instance_for_test() as instance:
        for _ in range(repeats):
            started = time.perf_counter()
            result = lib.execute_job(lib.reconstructable(job), instance)
            times.append(time.perf_counter() - started)
            steps = len(result.get_step_success_events())
            if not result.success or steps != n:
                raise SystemExit(f"{name}: run failed or ran {steps} of {n} steps")
    os.unlink("bench_mp_jobs.py")
    times.sort()
    median = times[len(times) // 2]
    return {"steps": n, "total_s": {"median": median, "min": times[0], "all": times},
            "per_step_s": median / n}


def w_mp_chain(lib: ModuleType, repeats: int, n: int = 100) -> dict[str, Any]:
    """n ops in a chain with the multiprocess executor (default concurrency)."""
    return _run(lib, "mp_chain", repeats, n)


def w_mp_fanout(lib: ModuleType, repeats: int, n: int = 100) -> dict[str, Any]:
    """One op feeding n - 1 ops with the multiprocess executor (default concurrency)."""
    return _run(lib, "mp_fanout", repeats, n)


def _read(path: str) -> str:
    if not os.path.exists(path):
        return ""
    with open(path) as f:
        return f.read()


def w_launch(lib: ModuleType, repeats: int) -> dict[str, Any]:
    """`headwater job launch` to the op's first line, and until the command returns."""
    if lib.__name__ != "headwater":
        raise SystemExit("launch: headwater only")
    with open("launch_defs.py", "w") as f:
        f.write(textwrap.dedent(LAUNCH_DEFS))
    home = os.path.abspath("launch_home")
    env = dict(os.environ, HEADWATER_HOME=home)
    cli = os.path.join(os.path.dirname(sys.executable), "headwater")
    to_first, to_return = [], []
    for _ in range(repeats):
        if os.path.exists("first_line.txt"):
            os.unlink("first_line.txt")
        started = time.time()
        subprocess.run([cli, "job", "launch", "-f", "launch_defs.py", "-j", "launched"],
                       env=env, check=True, capture_output=True)
        to_return.append(time.time() - started)
        deadline = time.monotonic() + 60
        while not _read("first_line.txt"):
            if time.monotonic() > deadline:
                raise SystemExit("launch: the op never ran")
            time.sleep(0.005)
        to_first.append(float(_read("first_line.txt")) - started)
        time.sleep(0.5)  # let the run worker finish before the next launch
    time.sleep(1.0)
    shutil.rmtree(home, ignore_errors=True)
    for leftover in ("first_line.txt", "launch_defs.py"):
        os.unlink(leftover)
    to_first.sort()
    to_return.sort()
    return {"to_first_line_s": to_first[len(to_first) // 2],
            "cli_returns_s": to_return[len(to_return) // 2]}


WORKLOADS = {"mp_chain": w_mp_chain, "mp_fanout": w_mp_fanout, "launch": w_launch}
