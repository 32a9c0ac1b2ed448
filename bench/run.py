"""Run the benchmark workloads on headwater and on Dagster, side by side.

    .venv/bin/python bench/run.py                 # everything, both libraries
    .venv/bin/python bench/run.py --only chain    # one workload (repeatable)
    .venv/bin/python bench/run.py --lib dagster   # one side only
    .venv/bin/python bench/run.py --json          # machine-readable output

Each workload runs in a fresh subprocess per library, with that library's
own interpreter (headwater: ``.venv/bin/python``, importing headwater from
``--headwater-src``, default the ``src/`` beside this ``bench/``; Dagster: the
interpreter in ``$HEADWATER_BENCH_DAGSTER_PYTHON``, default
``/tmp/dagster-venv/bin/python``), in an empty temporary directory and without
``DAGSTER_HOME`` or ``HEADWATER_HOME``; workloads that need a persistent
instance make their own temporary home. The workloads themselves live in
``bench/workloads.py``; this file only schedules them and prints the table.
Ratios are Dagster's figure divided by headwater's.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
WORKLOADS_PY = Path(__file__).resolve().parent / "workloads.py"
DAGSTER_VERSION = "1.13.29"
DEFAULT_DAGSTER_PYTHON = "/tmp/dagster-venv/bin/python"
HEADWATER_PROBE = (
    "from headwater import asset, materialize, materialize_to_memory, op, job, Definitions, AssetIn"
)
DAGSTER_INSTALL = f"python3 -m venv /tmp/dagster-venv && /tmp/dagster-venv/bin/pip install dagster=={DAGSTER_VERSION}"

# workload name -> (default size, default repeats); None size: the workload has no size.
PLAN: dict[str, tuple[int | None, int]] = {
    "import": (None, 7),
    "materialize1": (None, 20),
    "chain": (500, 3),
    "materialize_chain": (300, 3),
    "materialize_chain_sqlite": (300, 3),
    "checked_chain": (300, 3),
    "automation": (10_000, 1),
    "fanout": (500, 3),
    "opchain": (100, 5),
    "defs": (10_000, 3),
    "storage_write_sqlite": (1_000, 3),
    "storage_write_postgres": (1_000, 3),
    "storage_run": (None, 20),
    "storage_latest": (10_000, 3),
    "storage_partitions": (50_000, 5),
    "partition_status": (50_000, 5),
    "mp_chain": (100, 1),
    "mp_fanout": (100, 1),
    "launch": (None, 5),
}
HEADWATER_ONLY = {"launch"}  # no Dagster counterpart: its column shows "-"
QUICK: dict[str, tuple[int | None, int]] = {
    "import": (None, 2),
    "materialize1": (None, 3),
    "chain": (50, 1),
    "materialize_chain": (30, 1),
    "materialize_chain_sqlite": (30, 1),
    "checked_chain": (30, 1),
    "automation": (300, 1),
    "fanout": (50, 1),
    "opchain": (20, 1),
    "defs": (1_000, 1),
    "storage_write_sqlite": (100, 1),
    "storage_write_postgres": (100, 1),
    "storage_run": (None, 3),
    "storage_latest": (200, 1),
    "storage_partitions": (1_000, 1),
    "partition_status": (1_000, 1),
    "mp_chain": (10, 1),
    "mp_fanout": (10, 1),
    "launch": (None, 1),
}


@dataclass(frozen=True)
class Row:
    """One line of the table: how to read a figure out of a workload's result."""

    workload: str
    label: str
    unit: str  # "ms", "s" or "MiB"
    get: Callable[[dict[str, Any]], float]
    target: str = "-"
    # (headwater, dagster) -> met?; None when the row has no target
    met: Callable[[float, float | None], bool | None] | None = None
    higher_is_better: bool = False  # a rate: the ratio is then headwater / Dagster
    # headwater's result -> a caveat appended to the label (e.g. unequal work), or None
    caveat: Callable[[dict[str, Any]], str | None] | None = None


def no_events_caveat(res: dict[str, Any]) -> str | None:
    """Rows run without `instance=`: equal work only if headwater's implicit instance records."""
    if res.get("records_events") is False:
        return "headwater: no events recorded, unequal work"
    return None


def ratio_at_least(k: float) -> Callable[[float, float | None], bool | None]:
    def met(hw: float, dg: float | None) -> bool | None:
        return None if dg is None else dg / hw >= k

    return met


def at_most(limit: float) -> Callable[[float, float | None], bool | None]:
    return lambda hw, dg: hw <= limit


ROWS = [
    Row("import", "cold import", "ms", lambda r: r["import_s"], "-", None),
    Row("import", "cold import + the names a script uses", "ms", lambda r: r["import_names_s"],
        ">= 4x faster", ratio_at_least(4)),
    Row("materialize1", "materialize_to_memory, 1 asset, per call", "ms",
        lambda r: r["to_memory_s"]["median"], caveat=no_events_caveat),
    Row("materialize1", "materialize (each side's default IO), 1 asset, per call", "ms",
        lambda r: r["default_io_s"]["median"], caveat=no_events_caveat),
    Row("chain", "chain of {n}, materialize_to_memory: total", "s",
        lambda r: r["total_s"]["median"], caveat=no_events_caveat),
    Row("chain", "chain of {n}, materialize_to_memory: per asset", "ms",
        lambda r: r["per_asset_s"], ">= 20x lower", ratio_at_least(20), caveat=no_events_caveat),
    Row("materialize_chain", "chain of {n}, materialize, ephemeral instance (implicit): total",
        "s", lambda r: r["implicit_total_s"]["median"], caveat=no_events_caveat),
    Row("materialize_chain", "chain of {n}, materialize, ephemeral instance (implicit): per asset",
        "ms", lambda r: r["implicit_per_asset_s"], ">= 100x lower", ratio_at_least(100),
        caveat=no_events_caveat),
    Row("materialize_chain",
        "chain of {n}, materialize, instance=Instance.ephemeral(), events read back: total",
        "s", lambda r: r["explicit_total_s"]["median"]),
    Row("materialize_chain",
        "chain of {n}, materialize, instance=Instance.ephemeral(), events read back: per asset",
        "ms", lambda r: r["explicit_per_asset_s"], ">= 100x lower", ratio_at_least(100)),
    Row("materialize_chain_sqlite",
        "chain of {n}, materialize, fresh on-disk SQLite home, persisted: total",
        "s", lambda r: r["total_s"]["median"]),
    Row("materialize_chain_sqlite",
        "chain of {n}, materialize, fresh on-disk SQLite home, persisted: per asset",
        "ms", lambda r: r["per_asset_s"], ">= 30x lower", ratio_at_least(30)),
    Row("checked_chain",
        "chain of {n} with one asset check each, materialize, Instance.ephemeral(): total",
        "s", lambda r: r["total_s"]["median"]),
    Row("checked_chain",
        "chain of {n} with one asset check each, materialize, Instance.ephemeral(): per asset",
        "ms", lambda r: r["per_asset_s"], ">= 50x lower", ratio_at_least(50)),
    Row("automation",
        "automation conditions of {n} assets (1/3 daily over 2 years), one tick", "s",
        lambda r: r["tick_s"]["median"], ">= 10x faster", ratio_at_least(10)),
    Row("fanout", "fan-out 1 -> {n}, materialize_to_memory: total", "s",
        lambda r: r["total_s"]["median"], caveat=no_events_caveat),
    Row("fanout", "fan-out 1 -> {n}, materialize_to_memory: per asset", "ms",
        lambda r: r["per_asset_s"], ">= 20x lower", ratio_at_least(20), caveat=no_events_caveat),
    Row("opchain", "op job, {n} ops chained, execute_in_process: total", "s",
        lambda r: r["total_s"]["median"], caveat=no_events_caveat),
    Row("opchain", "op job, {n} ops chained, execute_in_process: per op", "ms",
        lambda r: r["per_op_s"], caveat=no_events_caveat),
    Row(
        "defs",
        "{n} assets: build + validate (implicit asset job included)",
        "s",
        lambda r: r["build_validate_s"],
        "about 1 s (<= 1.25 s)",
        at_most(1.25),
    ),
    Row("defs", "{n} assets: decorate only", "s", lambda r: r["decorate_s"]),
    Row("defs", "{n} assets: Definitions + validate_loadable + all jobs", "s",
        lambda r: r["definitions_validate_s"]),
    Row(
        "defs",
        "{n} assets: peak RSS of the process",
        "MiB",
        lambda r: r["peak_rss_mib"],
        "< 150 MiB",
        lambda hw, dg: hw < 150,
    ),
    Row("defs", "{n} assets: peak RSS above import", "MiB", lambda r: r["peak_rss_delta_mib"]),
    *[
        Row(f"storage_write_{db}", f"{name} write, {label}, {how}", "ev/s",
            lambda r, k=f"{how}_{shape}_eps": r.get(k), higher_is_better=True)
        for db, name in (("sqlite", "SQLite"), ("postgres", "PostgreSQL"))
        for shape, label in (("output", "STEP_OUTPUT"), ("materialization", "ASSET_MATERIALIZATION"))
        for how in ("single", "batch")
    ],
    Row("storage_run", "1 trivial asset on SQLite: time per run", "ms",
        lambda r: r["run_s"]["median"]),
    Row("storage_run", "1 trivial asset on SQLite: event rows per run", "rows",
        lambda r: r["event_rows_per_run"]),
    Row("storage_run", "1 trivial asset on SQLite: rows in all tables per run", "rows",
        lambda r: r["rows_per_run"]),
    Row("storage_latest", "latest materialization, {n} assets (SQLite): all keys", "s",
        lambda r: r["all_keys_s"]["median"]),
    Row("storage_latest", "latest materialization, {n} assets (SQLite): one key", "ms",
        lambda r: r["one_key_s"]["median"]),
    Row("storage_partitions", "partition status, {n} partitions (PostgreSQL)", "s",
        lambda r: r["status_s"]["median"]),
    Row("storage_partitions", "materialized partitions, {n} partitions (PostgreSQL)", "s",
        lambda r: r["materialized_s"]["median"]),
    Row("partition_status", "partition status of {n} hourly partitions, keys included (SQLite)",
        "s", lambda r: r["status_s"]["median"]),
    Row("mp_chain", "multiprocess chain of {n}: total", "s", lambda r: r["total_s"]["median"]),
    Row("mp_chain", "multiprocess chain of {n}: per step", "ms", lambda r: r["per_step_s"],
        ">= 10x lower", ratio_at_least(10)),
    Row("mp_fanout", "multiprocess fan-out 1 -> {n}: total", "s",
        lambda r: r["total_s"]["median"]),
    Row("mp_fanout", "multiprocess fan-out 1 -> {n}: per step", "ms", lambda r: r["per_step_s"],
        ">= 10x lower", ratio_at_least(10)),
    Row("launch", "job launch -> first user-code line", "ms", lambda r: r["to_first_line_s"]),
    Row("launch", "job launch: CLI returns", "ms", lambda r: r["cli_returns_s"]),
]


def clean_env(headwater_src: str | None = None) -> dict[str, str]:
    """No instance homes (ephemeral instances), and bytecode caching on for both sides.

    headwater is installed editable from src/ and this sandbox sets
    PYTHONDONTWRITEBYTECODE, so without this its every import would compile
    from source while Dagster's wheel came with .pyc files. The cache goes to
    a prefix directory under the system temp dir, not into either tree.
    ``headwater_src`` (headwater's side only) goes first on ``PYTHONPATH``, so
    that the tree being measured is the one imported, whatever the
    interpreter's editable install points at.
    """
    env = dict(os.environ)
    for var in ("DAGSTER_HOME", "HEADWATER_HOME", "PYTHONPATH", "PYTHONDONTWRITEBYTECODE"):
        env.pop(var, None)
    if headwater_src:
        env["PYTHONPATH"] = headwater_src
    env["PYTHONHASHSEED"] = "0"
    env["PYTHONPYCACHEPREFIX"] = os.path.join(tempfile.gettempdir(), "headwater-bench-pycache")
    return env


def run_workload(
    python: str, lib: str, name: str, n: int | None, repeats: int, timeout: float,
    env: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Run one workload in a fresh subprocess, in an empty directory; return its JSON."""
    cmd = [python, str(WORKLOADS_PY), name, "--lib", lib, "--repeats", str(repeats)]
    if n is not None:
        cmd += ["--n", str(n)]
    with (
        tempfile.TemporaryDirectory(prefix=f"bench-{lib}-") as cwd,
        tempfile.TemporaryFile("w+") as err,
    ):
        try:
            proc = subprocess.run(
                cmd,
                cwd=cwd,
                env=env or clean_env(),
                stdout=subprocess.PIPE,
                stderr=err,
                text=True,
                timeout=timeout,
            )
        except subprocess.TimeoutExpired:
            return {"error": f"timed out after {timeout:.0f} s"}
        left = sorted(os.listdir(cwd))
        if proc.returncode != 0:
            err.seek(0)
            tail = err.read().strip().splitlines()[-6:]
            return {"error": " | ".join(tail) or f"exit code {proc.returncode}"}
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    if left:
        out["left_files"] = left
    return out


def run_defs(python: str, lib: str, n: int | None, repeats: int, timeout: float,
             env: dict[str, str] | None = None) -> dict[str, Any]:
    """One fresh process per repeat, so each build is cold; median time, worst memory."""
    runs = [run_workload(python, lib, "defs", n, 1, timeout, env) for _ in range(repeats)]
    errors = [r for r in runs if "error" in r]
    if errors:
        return errors[0]
    out = dict(runs[0])
    for key in ("build_validate_s", "decorate_s", "definitions_validate_s", "definitions_s",
                "validate_loadable_s", "load_all_definitions_s"):
        out[key] = statistics.median(r[key] for r in runs)
        out[key + "_all"] = [r[key] for r in runs]
    for key in ("peak_rss_mib", "peak_rss_delta_mib"):
        out[key] = max(r[key] for r in runs)
    return out


def headwater_problem(python: str, env: dict[str, str]) -> str | None:
    """None if headwater's core API imports under ``python``, else why not."""
    if not Path(python).exists():
        return f"{python} is missing (run `make dev` first)"
    proc = subprocess.run([python, "-c", HEADWATER_PROBE], env=env, capture_output=True, text=True)
    if proc.returncode == 0:
        return None
    lines = proc.stderr.strip().splitlines()
    return lines[-1] if lines else f"exit code {proc.returncode}"


def machine() -> dict[str, Any]:
    model = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpus": os.cpu_count(),
        "cpu": model,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "loadavg": list(os.getloadavg()),
    }


def fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit == "ms" or (unit == "s" and value < 1):
        ms = value * 1000
        return f"{ms:.3f} ms" if ms < 1 else f"{ms:.2f} ms" if ms < 100 else f"{ms:.0f} ms"
    if unit == "s":
        return f"{value:.3f} s"
    if unit == "ev/s":
        return f"{value:,.0f} ev/s"
    if unit == "rows":
        return f"{value:g}"
    return f"{value:.1f} MiB"


def build_rows(
    results: dict[str, dict[str, Any]],
    sizes: dict[str, int | None],
    libs: list[str],
    skipped: dict[str, str],
) -> list[dict[str, Any]]:
    rows = []
    for row in ROWS:
        if row.workload not in sizes:
            continue
        n = sizes[row.workload]
        label = row.label.format(n=f"{n:,}" if n is not None else "")
        hw_res = results.get("headwater", {}).get(row.workload)
        caveat = row.caveat(hw_res) if row.caveat and hw_res and "error" not in hw_res else None
        if caveat:
            label += f" ({caveat})"
        cells: dict[str, Any] = {}
        values: dict[str, float | None] = {}
        for lib in ("headwater", "dagster"):
            res = results.get(lib, {}).get(row.workload)
            if lib not in libs or (lib == "dagster" and row.workload in HEADWATER_ONLY):
                cells[lib], values[lib] = "-", None
            elif lib in skipped:
                cells[lib], values[lib] = "not importable", None
            elif res is None or "error" in res:
                cells[lib], values[lib] = "error", None
            else:
                values[lib] = row.get(res)
                cells[lib] = fmt(values[lib], row.unit)
        hw, dg = values["headwater"], values["dagster"]
        ratio = (hw / dg if row.higher_is_better else dg / hw) if hw and dg else None
        met = row.met(hw, dg) if row.met and hw is not None else None
        rows.append(
            {
                "workload": row.workload,
                "label": label,
                "unit": row.unit,
                "headwater": hw,
                "dagster": dg,
                "ratio": ratio,
                "target": row.target,
                "met": met,
                "cells": cells,
            }
        )
    return rows


def print_table(rows: list[dict[str, Any]]) -> None:
    header = ["workload", "headwater", "dagster", "ratio d/h", "target", "met"]
    lines = []
    for r in rows:
        ratio = f"{r['ratio']:.1f}x" if r["ratio"] is not None else "-"
        met = {True: "yes", False: "NO", None: "-"}[r["met"]]
        lines.append(
            [r["label"], r["cells"]["headwater"], r["cells"]["dagster"], ratio, r["target"], met]
        )
    widths = [max(len(x[i]) for x in [header, *lines]) for i in range(len(header))]
    sep = "  "
    print(sep.join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    print(sep.join("-" * w for w in widths))
    for line in lines:
        print(
            sep.join(
                [line[0].ljust(widths[0])]
                + [c.rjust(w) for c, w in zip(line[1:4], widths[1:4], strict=True)]
                + [c.ljust(w) for c, w in zip(line[4:], widths[4:], strict=True)]
            )
        )


def machine_line(m: dict[str, Any]) -> str:
    start = m.get("loadavg_at_start")
    load = f"load average {start[0]:.2f} at the start, " if start else "load average "
    return (f"{m['cpus']} CPUs, {m['cpu']}, Python {m['python']}; Dagster {DAGSTER_VERSION}; "
            f"{load}{m['loadavg'][0]:.2f} at the end; ratio = Dagster / headwater")


def markdown_table(rows: list[dict[str, Any]]) -> str:
    out = [
        "| workload | headwater | dagster | ratio (dagster / headwater) | target | met |",
        "|---|---:|---:|---:|---|---|",
    ]
    for r in rows:
        ratio = f"{r['ratio']:.1f}x" if r["ratio"] is not None else "-"
        met = {True: "yes", False: "**no**", None: "-"}[r["met"]]
        cells = r["cells"]
        out.append(
            f"| {r['label']} | {cells['headwater']} | {cells['dagster']} | {ratio} "
            f"| {r['target']} | {met} |"
        )
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="headwater vs Dagster benchmarks")
    parser.add_argument(
        "--only",
        action="append",
        choices=sorted(PLAN),
        metavar="NAME",
        help=f"run only this workload (repeatable): {', '.join(PLAN)}",
    )
    parser.add_argument("--lib", choices=["headwater", "dagster", "both"], default="both")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--markdown", action="store_true",
                        help="print the table in bench/README.md's Markdown format")
    parser.add_argument("--save", metavar="FILE", default=None,
                        help="also write the --json output to FILE (re-print it with --from-json)")
    parser.add_argument(
        "--from-json",
        metavar="FILE",
        default=None,
        help="print the table of a saved --json run instead of running anything",
    )
    parser.add_argument("--quick", action="store_true", help="small sizes, one repeat (smoke test)")
    parser.add_argument("--repeats", type=int, default=None, help="override every repeat count")
    parser.add_argument(
        "--n", type=int, default=None, help="override the size of the selected sized workloads"
    )
    parser.add_argument("--timeout", type=float, default=900, help="seconds per subprocess")
    parser.add_argument("--headwater-python", default=None)
    parser.add_argument(
        "--headwater-src",
        default=str(ROOT / "src"),
        help="directory put first on headwater's PYTHONPATH (default: the src/ beside bench/); "
        "'' to import whatever the interpreter has installed",
    )
    parser.add_argument(
        "--dagster-python",
        default=os.environ.get("HEADWATER_BENCH_DAGSTER_PYTHON", DEFAULT_DAGSTER_PYTHON),
    )
    args = parser.parse_args(argv)

    if args.from_json:
        saved = json.loads(Path(args.from_json).read_text())
        if args.markdown:
            print(f"{machine_line(saved['machine'])}\n\n{markdown_table(saved['rows'])}")
        else:
            print_table(saved["rows"])
        return 0

    plan = QUICK if args.quick else PLAN
    names = args.only or list(plan)
    libs = ["headwater", "dagster"] if args.lib == "both" else [args.lib]
    hw_python = args.headwater_python or str(ROOT / ".venv" / "bin" / "python")
    if not Path(hw_python).exists():
        hw_python = sys.executable
    pythons = {"headwater": hw_python, "dagster": args.dagster_python}
    envs = {"headwater": clean_env(args.headwater_src or None), "dagster": clean_env()}

    skipped: dict[str, str] = {}
    if "headwater" in libs:
        problem = headwater_problem(hw_python, envs["headwater"])
        if problem:
            skipped["headwater"] = problem
            print(
                f"headwater: not importable ({problem}); running Dagster's side only",
                file=sys.stderr,
            )
    if "dagster" in libs and not Path(args.dagster_python).exists():
        skipped["dagster"] = "venv missing"
        print(
            f"dagster: {args.dagster_python} not found. Install it with:\n  {DAGSTER_INSTALL}",
            file=sys.stderr,
        )

    load_at_start = os.getloadavg()
    load = load_at_start[0]
    if load > (os.cpu_count() or 2) / 2:
        print(
            f"warning: load average is {load:.2f} on {os.cpu_count()} CPUs; "
            "other processes will skew the timings",
            file=sys.stderr,
        )
    sizes: dict[str, int | None] = {}
    results: dict[str, dict[str, Any]] = {lib: {} for lib in libs}
    for name in names:
        n, repeats = plan[name]
        if args.n is not None and n is not None:
            n = args.n
        if args.repeats is not None:
            repeats = args.repeats
        sizes[name] = n
        for lib in libs:
            if lib in skipped or (lib == "dagster" and name in HEADWATER_ONLY):
                continue
            print(f"running {name} on {lib} ...", file=sys.stderr, flush=True)
            if name == "defs":
                res = run_defs(pythons[lib], lib, n, repeats, args.timeout, envs[lib])
            else:
                res = run_workload(pythons[lib], lib, name, n, repeats, args.timeout, envs[lib])
            if "error" in res:
                print(f"  {lib} {name} failed: {res['error']}", file=sys.stderr)
            if res.get("left_files"):
                print(f"  {lib} {name} left files behind: {res['left_files']}", file=sys.stderr)
            results[lib][name] = res

    rows = build_rows(results, sizes, libs, skipped)
    everything = {
        "machine": {**machine(), "loadavg_at_start": list(load_at_start)},
        "headwater_src": args.headwater_src,
        "sizes": sizes,
        "skipped": skipped,
        "results": results,
        "rows": rows,
    }
    if args.save:
        Path(args.save).write_text(json.dumps(everything, indent=2))
    if args.markdown:
        print(f"{machine_line(everything['machine'])}\n\n{markdown_table(rows)}")
    elif args.json:
        print(json.dumps(everything, indent=2))
    else:
        print(f"\n{machine_line(everything['machine'])}\n")
        print_table(rows)
        for lib, why in skipped.items():
            print(f"\n{lib}: not run ({why})")
    failed = any("error" in r for per in results.values() for r in per.values())
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
