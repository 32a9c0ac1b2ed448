"""How long `headwater --help` (and a group's --help) takes, as a new process each time.

    .venv/bin/python bench/cli_startup.py [--repeats 20] [--headwater-src DIR]
                                          [--dagster-python PATH]

Each command runs `--repeats` times in a fresh interpreter, the way the `headwater` console
script starts (`from headwater.cli.main import main; main()`); the table gives the median and
fastest wall-clock time and the median CPU time, next to a bare `python -c pass` and
`import click`, the floor of any click CLI. With `--dagster-python` (default
/tmp/dagster-venv/bin/python when it exists), `dagster --help` is timed the same way. The
headwater tree measured is `--headwater-src` (default: the `src/` beside this `bench/`), put
first on PYTHONPATH, so a worktree measures its own code and an older tree (`git archive`)
can be measured beside it at the same moment.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time

SRC = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "src")
ENTRY = "import sys; from headwater.cli.main import main; sys.exit(main())"
DAGSTER_ENTRY = "import sys; from dagster.cli import main; sys.exit(main())"


def timed(argv: list[str], repeats: int, src: str) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU (user + system) seconds of `repeats` runs of `argv`, after one
    warm-up run. CPU time is what the command costs; on a busy machine the wall clock also
    counts the time it waited for a core."""
    env = {**os.environ, "PYTHONPATH": src}
    subprocess.run(argv, env=env, capture_output=True, check=True)
    wall, cpu = [], []
    for _ in range(repeats):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        subprocess.run(argv, env=env, capture_output=True, check=True)
        wall.append(time.perf_counter() - started)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--headwater-src", default=SRC)
    default_dagster = "/tmp/dagster-venv/bin/python"
    parser.add_argument("--dagster-python",
                        default=default_dagster if os.path.exists(default_dagster) else None)
    args = parser.parse_args()
    py = sys.executable
    rows = [
        ("python -c pass", [py, "-c", "pass"]),
        ("python -c 'import click'", [py, "-c", "import click"]),
        ("headwater --help", [py, "-c", ENTRY, "--help"]),
        ("headwater asset --help", [py, "-c", ENTRY, "asset", "--help"]),
        ("headwater run --help", [py, "-c", ENTRY, "run", "--help"]),
        ("headwater dev --help", [py, "-c", ENTRY, "dev", "--help"]),
    ]
    if args.dagster_python:
        rows.append(("dagster --help", [args.dagster_python, "-c", DAGSTER_ENTRY, "--help"]))
    print(f"| command ({args.repeats} runs each) | wall, median | wall, fastest | CPU, median |")
    print("|---|---:|---:|---:|")
    for name, argv in rows:
        wall, cpu = timed(argv, args.repeats, args.headwater_src)
        print(f"| `{name}` | {statistics.median(wall) * 1000:.0f} ms "
              f"| {min(wall) * 1000:.0f} ms | {statistics.median(cpu) * 1000:.0f} ms |",
              flush=True)


if __name__ == "__main__":
    main()
