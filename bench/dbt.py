"""dbt build alone, headwater + headwater_dbt, and Dagster + dagster-dbt on one dbt project.

    .venv/bin/python bench/dbt.py                      # all sides, best of 3
    .venv/bin/python bench/dbt.py --repeats 5 --json   # more repeats, machine-readable
    .venv/bin/python bench/dbt.py --side dbt --side dagster   # some sides only

The project is ``examples/warehouse`` (5 seeds, a snapshot, 27 models, 50 tests:
83 dbt nodes). This file copies it into a temporary workspace three times: as it
is for the dbt CLI and for headwater, and with the reverse rename
(headwater -> dagster, case-preserving) for Dagster, so that Dagster runs the same
definitions file a Dagster user would have written. Each copy gets its manifest
from one untimed ``dbt parse``.

Each repeat runs every side once, interleaved, each in a fresh process and on a
fresh DuckDB file (``$WAREHOUSE_DUCKDB_PATH``):

- ``dbt``: ``dbt build`` from the project directory, the whole process timed; once
  with the project's ``target/`` (dbt's partial parsing reuses the saved parse, as
  when a user runs ``dbt build`` again) and once with a new ``--target-path`` (a
  full parse, as in a target directory of its own per invocation).
- ``headwater`` / ``dagster``: a worker process (this file with ``--worker``) that
  imports the library, loads the definitions file, opens the persistent instance
  of a temporary home (``HEADWATER_HOME`` / ``DAGSTER_HOME``, SQLite, kept across
  repeats) and times ``materialize([warehouse_dbt_assets], instance=instance,
  resources={"dbt": DbtCliResource(project_dir=warehouse_project)})``: the
  in-process executor, every event recorded in the instance. The import and load
  are timed apart.

Every run is checked (``RuntimeError``, not ``assert``): the dbt invocation's
``run_results.json`` must list 83 executed nodes, none in error, exactly one
warning; the DuckDB file must hold 2,400 rows in ``marts.fct_orders``; the
orchestrators must report success, 33 materializations in the result and 33 read
back from the instance, and their asset check evaluations are counted. Each
side's wall time and CPU time (user + system of the timed process and the
processes it waited for; the orchestrators' split into their own and dbt's) are
reported as the best and the median of the repeats; every repeat is in the JSON.
On a shared machine the CPU time is the steadier figure. Ratios are time / time.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "warehouse"
DEFAULT_DAGSTER_PYTHON = "/tmp/dagster-venv/bin/python"
DAGSTER_INSTALL = (
    "python3 -m venv /tmp/dagster-venv && /tmp/dagster-venv/bin/pip install dagster dagster-dbt "
    "dagster-duckdb 'dbt-core>=1.10,<1.12' 'dbt-duckdb<1.11'"
)
SIDES = ("dbt", "headwater", "dagster")
DBT_NODES = 83  # 5 seeds + 1 snapshot + 27 models + 50 tests
ASSETS = 33  # seeds, snapshot and models
ORDERS = 2400
TARGET_RATIO = 1.2  # headwater / dbt build


def cpu_seconds(who: int) -> float:
    """User + system CPU time of this process (RUSAGE_SELF) or its reaped children."""
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def check(condition: bool, message: str) -> None:
    # Not `assert`: the check must survive `python -O`.
    if not condition:
        raise RuntimeError(message)


def rename_to_dagster(text: str) -> str:
    """The reverse of the port: headwater -> dagster, case-preserving."""
    return (
        text.replace("headwater", "dagster").replace("Headwater", "Dagster")
        .replace("HEADWATER", "DAGSTER")
    )


def copy_example(dest: Path, dagster: bool) -> Path:
    """Copy examples/warehouse to ``dest`` without build output; for Dagster, renamed."""
    shutil.copytree(
        EXAMPLE, dest,
        ignore=shutil.ignore_patterns("target", "logs", "*.duckdb", "*.duckdb.wal", "__pycache__"),
    )
    if dagster:
        for path in dest.rglob("*"):
            if path.suffix in {".py", ".yml", ".yaml", ".sql", ".md"}:
                text = path.read_text()
                if rename_to_dagster(text) != text:
                    path.write_text(rename_to_dagster(text))
    return dest / "dbt_project"


def venv_env(python: str, extra: dict[str, str]) -> dict[str, str]:
    """The environment of a side's process: its venv's ``bin`` (and so its dbt) first on PATH."""
    env = {k: v for k, v in os.environ.items()
           if k not in {"DAGSTER_HOME", "HEADWATER_HOME", "PYTHONPATH", "WAREHOUSE_DUCKDB_PATH"}}
    env["PATH"] = f"{Path(python).parent}{os.pathsep}{env.get('PATH', '')}"
    env["DBT_SEND_ANONYMOUS_USAGE_STATS"] = "false"  # both integrations turn it off; so do we
    env["PYTHONPYCACHEPREFIX"] = os.path.join(tempfile.gettempdir(), "headwater-bench-pycache")
    env.update(extra)
    return env


def run(cmd: list[str], cwd: Path, env: dict[str, str], timeout: float) -> str:
    """Run ``cmd``; return its stdout, or raise with the tail of its output."""
    with tempfile.TemporaryFile("w+") as err:
        proc = subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=err,
                              text=True, timeout=timeout)
        if proc.returncode != 0:
            err.seek(0)
            tail = (proc.stdout + err.read()).strip().splitlines()[-12:]
            raise RuntimeError(f"{' '.join(cmd[:3])} ... failed (exit {proc.returncode}):\n  "
                               + "\n  ".join(tail))
    return proc.stdout


def latest_run_results(project_dir: Path) -> dict[str, Any]:
    """The newest run_results.json under the project's target directory (any depth)."""
    found = sorted((project_dir / "target").rglob("run_results.json"),
                   key=lambda p: p.stat().st_mtime)
    check(bool(found), f"no run_results.json under {project_dir / 'target'}")
    return json.loads(found[-1].read_text())


def dbt_work(run_results: dict[str, Any]) -> dict[str, Any]:
    """What one dbt invocation did, from its run_results.json; checks it is the full build."""
    statuses: dict[str, int] = {}
    for node in run_results["results"]:
        statuses[node["status"]] = statuses.get(node["status"], 0) + 1
    args = run_results.get("args", {})
    work = {"command": args.get("which"), "select": args.get("select"),
            "nodes": len(run_results["results"]), "statuses": statuses,
            "dbt_elapsed_s": run_results.get("elapsed_time")}
    check(work["nodes"] == DBT_NODES, f"dbt ran {work['nodes']} nodes, expected {DBT_NODES}")
    check(statuses.get("warn") == 1 and not statuses.get("error") and not statuses.get("fail"),
          f"expected one warning and no error, got {statuses}")
    return work


def count_orders(db: Path) -> int:
    import duckdb

    with duckdb.connect(str(db), read_only=True) as con:
        row = con.execute("select count(*) from marts.fct_orders").fetchone()
    return int(row[0]) if row else 0


# ---------------------------------------------------------------------------- worker side


def worker(lib_name: str, example_dir: Path) -> dict[str, Any]:
    """In a side's own interpreter: load the definitions, materialize the dbt assets once."""
    start = time.perf_counter()
    lib = importlib.import_module(lib_name)
    lib_dbt = importlib.import_module(f"{lib_name}_dbt")
    spec = importlib.util.spec_from_file_location("warehouse_definitions",
                                                  example_dir / "definitions.py")
    check(spec is not None and spec.loader is not None, "cannot load definitions.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    instance_cls = getattr(lib, "DagsterInstance" if lib_name == "dagster" else "HeadwaterInstance")
    instance = instance_cls.get()
    dbt = lib_dbt.DbtCliResource(project_dir=module.warehouse_project)
    self_before = cpu_seconds(resource.RUSAGE_SELF)
    children_before = cpu_seconds(resource.RUSAGE_CHILDREN)
    loaded = time.perf_counter()
    result = lib.materialize([module.warehouse_dbt_assets], instance=instance,
                             resources={"dbt": dbt})
    elapsed = time.perf_counter() - loaded
    own_cpu = cpu_seconds(resource.RUSAGE_SELF) - self_before
    dbt_cpu = cpu_seconds(resource.RUSAGE_CHILDREN) - children_before
    check(result.success, f"{lib_name}: the run failed")
    materialized = len(result.get_asset_materialization_events())
    check(materialized == ASSETS, f"{lib_name}: {materialized} materializations, expected {ASSETS}")
    kind = getattr(lib, "DagsterEventType" if lib_name == "dagster" else "HeadwaterEventType")
    stored = len(instance.all_logs(result.run_id, of_type=kind.ASSET_MATERIALIZATION))
    check(stored == ASSETS, f"{lib_name}: {stored} materializations stored, expected {ASSETS}")
    evaluations = result.get_asset_check_evaluations()
    instance.dispose()
    return {
        "load_s": loaded - start,
        "materialize_s": elapsed,
        "cpu_s": own_cpu + dbt_cpu,
        "own_cpu_s": own_cpu,  # the orchestrator's process: events, storage, its dbt adapter
        "dbt_cpu_s": dbt_cpu,  # the dbt subprocess
        "materializations": materialized,
        "stored_materializations": stored,
        "check_evaluations": len(evaluations),
        "failed_checks": sorted(e.check_name for e in evaluations if not e.passed),
        "module_file": lib.__file__,
    }


# ---------------------------------------------------------------------------- driver side


class Bench:
    """One workspace: a copy of the example per side, the interpreters, the timings."""

    def __init__(self, workspace: Path, pythons: dict[str, str], headwater_src: str | None,
                 timeout: float):
        self.ws = workspace
        self.pythons = pythons
        self.headwater_src = headwater_src
        self.timeout = timeout
        self.projects = {side: copy_example(workspace / side, dagster=side == "dagster")
                         for side in SIDES}
        for side in ("headwater", "dagster"):
            home = workspace / f"home-{side}"
            home.mkdir()
            text = "telemetry:\n  enabled: false\n" if side == "dagster" else ""
            (home / f"{side}.yaml").write_text(text)
        (workspace / "db").mkdir()

    def env(self, side: str, db: Path, **extra: str) -> dict[str, str]:
        python = self.pythons["dagster" if side == "dagster" else "headwater"]
        env = venv_env(python, {"WAREHOUSE_DUCKDB_PATH": str(db), **extra})
        if side == "headwater" and self.headwater_src:
            env["PYTHONPATH"] = self.headwater_src
        if side in ("headwater", "dagster"):
            env[f"{side.upper()}_HOME"] = str(self.ws / f"home-{side}")
        return env

    def dbt(self, side: str) -> str:
        return str(Path(self.pythons["dagster" if side == "dagster" else "headwater"]).parent / "dbt")

    def db(self, name: str) -> Path:
        """A side's DuckDB file, deleted first: every build starts from an empty warehouse.

        The path stays the same across repeats because dbt keeps its saved parse only
        while the rendered profile (which holds the path) is unchanged.
        """
        db = self.ws / "db" / f"{name}.duckdb"
        for path in (db, db.with_suffix(".duckdb.wal")):
            path.unlink(missing_ok=True)
        return db

    def parse(self, side: str) -> None:
        """The manifest the definitions file reads at import; untimed."""
        name = "dbt-warm" if side == "dbt" else side
        run([self.dbt(side), "parse", "--quiet"], self.projects[side],
            self.env(side, self.db(name)), self.timeout)

    def dbt_build(self, repeat: int, fresh_target: bool) -> dict[str, Any]:
        project = self.projects["dbt"]
        db = self.db("dbt-cold" if fresh_target else "dbt-warm")
        cmd = [self.dbt("dbt"), "build"]
        if fresh_target:
            cmd += ["--target-path", str(project / "target" / f"fresh-{repeat}")]
        cpu_before = cpu_seconds(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        run(cmd, project, self.env("dbt", db), self.timeout)
        elapsed = time.perf_counter() - start
        cpu = cpu_seconds(resource.RUSAGE_CHILDREN) - cpu_before
        results_dir = project / "target" / (f"fresh-{repeat}" if fresh_target else "")
        work = dbt_work(json.loads((results_dir / "run_results.json").read_text()))
        check(count_orders(db) == ORDERS, f"{db}: marts.fct_orders is incomplete")
        return {"s": elapsed, "cpu_s": cpu, "work": work}

    def orchestrator(self, side: str, repeat: int) -> dict[str, Any]:
        project = self.projects[side]
        db = self.db(side)
        cmd = [self.pythons[side], str(Path(__file__).resolve()), "--worker", side,
               "--example", str(project.parent)]
        out = run(cmd, self.ws, self.env(side, db), self.timeout)
        res = json.loads(out.strip().splitlines()[-1])
        res["work"] = dbt_work(latest_run_results(project))
        check(count_orders(db) == ORDERS, f"{db}: marts.fct_orders is incomplete")
        res["s"] = res["materialize_s"]
        return res


def summarize(runs: list[dict[str, Any]]) -> dict[str, Any]:
    times = [r["s"] for r in runs]
    cpus = [r["cpu_s"] for r in runs]
    out = {"best_s": min(times), "median_s": statistics.median(times), "times_s": times,
           "best_cpu_s": min(cpus), "median_cpu_s": statistics.median(cpus), "cpu_s": cpus,
           "work": runs[-1]["work"]}
    if "load_s" in runs[-1]:
        out["load_s"] = min(r["load_s"] for r in runs)
        out["median_own_cpu_s"] = statistics.median(r["own_cpu_s"] for r in runs)
        out["median_dbt_cpu_s"] = statistics.median(r["dbt_cpu_s"] for r in runs)
        for key in ("check_evaluations", "failed_checks", "stored_materializations",
                    "module_file"):
            out[key] = runs[-1][key]
    return out


def measure(args: argparse.Namespace) -> dict[str, Any]:
    pythons = {"headwater": args.headwater_python, "dagster": args.dagster_python}
    sides = args.side or list(SIDES)
    if "dagster" in sides and not Path(args.dagster_python).exists():
        raise SystemExit(f"{args.dagster_python} not found. Install Dagster with:\n  "
                         f"{DAGSTER_INSTALL}")
    load_at_start = os.getloadavg()
    results: dict[str, list[dict[str, Any]]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-dbt-") as tmp:
        bench = Bench(Path(tmp), pythons, args.headwater_src or None, args.timeout)
        for side in SIDES:
            if side in sides:
                bench.parse(side)
        for repeat in range(args.repeats):
            for side in sides:
                print(f"repeat {repeat + 1}/{args.repeats}: {side} ...", file=sys.stderr,
                      flush=True)
                if side == "dbt":
                    results.setdefault("dbt_warm", []).append(bench.dbt_build(repeat, False))
                    results.setdefault("dbt_cold", []).append(bench.dbt_build(repeat, True))
                else:
                    results.setdefault(side, []).append(bench.orchestrator(side, repeat))
    versions = {side: run([pythons[side], "-c", VERSIONS.format(packages=packages)], ROOT,
                          venv_env(pythons[side], {}), args.timeout).strip()
                for side, packages in PACKAGES.items() if side in sides or side == "headwater"}
    return {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "loadavg_at_start": list(load_at_start), "loadavg": list(os.getloadavg())},
        "versions": versions,
        "repeats": args.repeats,
        "results": {name: summarize(runs) for name, runs in results.items()},
    }


PACKAGES = {
    "headwater": ("headwater", "dbt-core", "dbt-duckdb", "duckdb"),
    "dagster": ("dagster", "dagster-dbt", "dbt-core", "dbt-duckdb", "duckdb"),
}
VERSIONS = """
import importlib.metadata as m
def version(p):
    try:
        return f"{{p}} {{m.version(p)}}"
    except m.PackageNotFoundError:
        return f"{{p}} (not installed)"
print(", ".join(version(p) for p in {packages!r}))
"""


def ratio(res: dict[str, Any], a: str, b: str, key: str) -> float | None:
    if a in res and b in res:
        return float(figure(res[a], key) / figure(res[b], key))
    return None


def figure(side: dict[str, Any], key: str) -> float:
    """A side's summary figure; the median CPU time from its repeats (older saved runs)."""
    if key == "median_cpu_s":
        return float(statistics.median(side["cpu_s"]))
    return float(side[key])


LABELS = {
    "dbt_warm": "dbt build (CLI, project target/, partial parse)",
    "dbt_cold": "dbt build (CLI, fresh --target-path, full parse)",
    "headwater": "headwater materialize (in-process, SQLite home)",
    "dagster": "Dagster materialize (in-process, SQLite home)",
}
SHORT = {"dbt_warm": "dbt build (warm)", "dbt_cold": "dbt build (cold)",
         "headwater": "headwater", "dagster": "Dagster"}


def report(data: dict[str, Any]) -> str:
    res = data["results"]
    machine = data["machine"]
    lines = [f"examples/warehouse: {DBT_NODES} dbt nodes ({ASSETS} assets, 50 tests), "
             f"best of {data['repeats']}; {machine['cpus']} CPUs, load average "
             f"{machine['loadavg_at_start'][0]:.2f} at the start, "
             f"{machine['loadavg'][0]:.2f} at the end", *data["versions"].values(), ""]
    width = max(len(v) for v in LABELS.values())
    lines.append(f"{'side'.ljust(width)}  "
                 f"{'best':>7}  {'median':>7}  {'CPU':>7}  {'CPU med':>7}  {'load':>6}"
                 "  dbt nodes, command")
    for key, label in LABELS.items():
        if key not in res:
            continue
        r, work = res[key], res[key]["work"]
        load = f"{r['load_s']:.1f} s" if "load_s" in r else "-"
        lines.append(f"{label.ljust(width)}  {r['best_s']:>5.1f} s  {r['median_s']:>5.1f} s  "
                     f"{r['best_cpu_s']:>5.1f} s  {figure(r, 'median_cpu_s'):>5.1f} s  {load:>6}  {work['nodes']} {work['statuses']}, "
                     f"dbt {work['command']} --select {work['select'] or '(all)'}")
    lines.append("")
    for a, b in (("headwater", "dbt_warm"), ("headwater", "dbt_cold"), ("dagster", "dbt_warm"),
                 ("dagster", "dbt_cold"), ("headwater", "dagster")):
        wall, median = ratio(res, a, b, "best_s"), ratio(res, a, b, "median_s")
        cpu = ratio(res, a, b, "median_cpu_s")
        if wall is None or median is None or cpu is None:
            continue
        note = ""
        if (a, b) == ("headwater", "dbt_warm"):
            met = ", ".join(f"{name} {'yes' if value <= TARGET_RATIO else 'NO'}" for name, value
                            in (("best wall", wall), ("median wall", median), ("CPU", cpu)))
            note = f"  (target <= {TARGET_RATIO}x: {met})"
        lines.append(f"{SHORT[a]} / {SHORT[b]}: {wall:.2f}x best wall, {median:.2f}x median "
                     f"wall, {cpu:.2f}x median CPU{note}")
    for side in ("headwater", "dagster"):
        if side in res:
            r = res[side]
            if "median_own_cpu_s" in r:
                lines.append(f"{SHORT[side]}: median CPU {r['median_own_cpu_s']:.1f} s in its "
                             f"own process, {r['median_dbt_cpu_s']:.1f} s in dbt's")
            lines.append(f"{SHORT[side]}: {r['stored_materializations']} materializations "
                         f"stored, {r['check_evaluations']} asset check evaluations, failed "
                         f"(warn): {', '.join(r['failed_checks']) or 'none'}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--side", action="append", choices=SIDES,
                        help="run only this side (repeatable); default all")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="print JSON instead of the table")
    parser.add_argument("--timeout", type=float, default=600, help="seconds per process")
    parser.add_argument("--headwater-python",
                        default=str(ROOT / ".venv" / "bin" / "python")
                        if (ROOT / ".venv" / "bin" / "python").exists() else sys.executable)
    parser.add_argument("--headwater-src", default=str(ROOT / "src"),
                        help="put first on headwater's PYTHONPATH ('' for the installed one)")
    parser.add_argument("--dagster-python", default=os.environ.get(
        "HEADWATER_BENCH_DAGSTER_PYTHON", DEFAULT_DAGSTER_PYTHON))
    parser.add_argument("--save", metavar="FILE", help="also write the JSON to FILE")
    parser.add_argument("--from-json", metavar="FILE",
                        help="print the table of a saved --json/--save run, running nothing")
    parser.add_argument("--worker", choices=("headwater", "dagster"), help=argparse.SUPPRESS)
    parser.add_argument("--example", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args.worker, Path(args.example))))
        return 0
    if args.from_json:
        print(report(json.loads(Path(args.from_json).read_text())))
        return 0
    data = measure(args)
    if args.save:
        Path(args.save).write_text(json.dumps(data, indent=2))
    print(json.dumps(data, indent=2) if args.json else report(data))
    return 0


if __name__ == "__main__":
    sys.exit(main())
