"""Benchmark workloads, written once against the API headwater shares with Dagster.

Every workload takes the library module (``headwater`` or ``dagster``) as a
parameter and only touches public names; names that differ by the rename
(``DagsterType`` / ``HeadwaterType``) go through :func:`sym`. Each workload
runs in a fresh subprocess started by ``bench/run.py`` with the library's own
interpreter, and prints one JSON object on stdout:

    python bench/workloads.py chain --lib dagster --repeats 3

This file imports only the standard library at module level, so it runs
under either virtualenv. It must not import anything from ``bench/run.py``.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from types import ModuleType
from typing import Any

LIBS = ("headwater", "dagster")


def sym(lib: ModuleType, dagster_name: str) -> Any:
    """Return ``lib``'s spelling of a public Dagster name (case-preserving rename)."""
    prefix = lib.__name__
    name = (
        dagster_name.replace("dagster", prefix)
        .replace("Dagster", prefix.capitalize())
        .replace("DAGSTER", prefix.upper())
    )
    return getattr(lib, name)


def maxrss_mib() -> float:
    """Peak resident set size of this process so far, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(fn: Callable[[], Any], repeats: int, warmup: int) -> tuple[list[float], Any]:
    """Call ``fn`` ``warmup`` times untimed, then ``repeats`` times timed."""
    result = None
    for _ in range(warmup):
        result = fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return times, result


def summary(times: list[float]) -> dict[str, Any]:
    return {"median": statistics.median(times), "min": min(times), "times": times}


def count_materializations(result: Any) -> int:
    return len(result.get_asset_materialization_events())


def check(condition: bool, message: str) -> None:
    # Not `assert`: the check must survive `python -O`.
    if not condition:
        raise RuntimeError(message)


# --------------------------------------------------------------------------- assets


def make_source(lib: ModuleType, name: str, value: int = 1, **kwargs: Any) -> Any:
    def compute():
        return value

    return lib.asset(name=name, **kwargs)(compute)


def make_child(lib: ModuleType, name: str, upstream: str, **kwargs: Any) -> Any:
    """An asset that loads ``upstream``'s value through the IO manager and adds one."""

    def compute(upstream_value):
        return upstream_value + 1

    return lib.asset(name=name, ins={"upstream_value": lib.AssetIn(key=upstream)}, **kwargs)(
        compute
    )


def build_chain(lib: ModuleType, n: int) -> list[Any]:
    assets = [make_source(lib, "a0")]
    assets += [make_child(lib, f"a{i}", f"a{i - 1}") for i in range(1, n)]
    return assets


def build_fanout(lib: ModuleType, n: int) -> list[Any]:
    return [make_source(lib, "root")] + [make_child(lib, f"c{i}", "root") for i in range(n)]


# ------------------------------------------------------------------------ workloads


def w_import(libname: str, repeats: int) -> dict[str, Any]:
    """Cold import: ``python -c 'import LIB'`` minus ``python -c 'pass'``, best of N."""
    env = dict(os.environ)  # run.py's environment: bytecode cache on, no instance homes

    def best(code: str) -> float:
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            subprocess.run([sys.executable, "-c", code], check=True, env=env)
            times.append(time.perf_counter() - start)
        return min(times)

    # headwater's top level is lazy (PEP 562), so `import headwater` alone says little; the
    # second figure imports what a first script uses, which loads the definitions and engine.
    used = f"from {libname} import asset, op, job, materialize, Definitions, AssetSelection"
    best(used)  # warm the OS page cache and the .pyc files
    bare = best("pass")
    full = best(f"import {libname}")
    names = best(used)
    return {"import_s": full - bare, "import_names_s": names - bare,
            "python_startup_s": bare, "python_import_s": full}


def w_materialize1(lib: ModuleType, repeats: int) -> dict[str, Any]:
    """One trivial asset: per-call time of materialize_to_memory and of materialize."""
    one = make_source(lib, "one")

    def to_memory():
        result = lib.materialize_to_memory([one])
        check(result.success, "run failed")
        check(count_materializations(result) == 1, "expected 1 materialization")
        return result

    def default_io():
        result = lib.materialize([one])
        check(result.success, "run failed")
        check(count_materializations(result) == 1, "expected 1 materialization")
        return result

    mem_times, _ = timed(to_memory, repeats, warmup=3)
    fs_times, _ = timed(default_io, repeats, warmup=3)
    return {
        "materializations": 1,
        "to_memory_s": summary(mem_times),
        "default_io_s": summary(fs_times),
        **implicit_instance_records(lib),
    }


def run_assets(lib: ModuleType, assets: list[Any], expect: int, last: str, value: int) -> Any:
    result = lib.materialize_to_memory(assets)
    check(result.success, "run failed")
    got = count_materializations(result)
    check(got == expect, f"expected {expect} materializations, got {got}")
    out = result.output_for_node(last)
    check(out == value, f"expected {last} == {value}, got {out!r}")
    return result


def w_chain(lib: ModuleType, repeats: int, n: int = 500) -> dict[str, Any]:
    """A chain a0 -> a1 -> ... of n trivial assets, each loading its parent's value."""
    assets = build_chain(lib, n)
    times, _ = timed(lambda: run_assets(lib, assets, n, f"a{n - 1}", n), repeats, warmup=1)
    total = summary(times)
    return {"materializations": n, "total_s": total, "per_asset_s": total["median"] / n,
            **implicit_instance_records(lib)}


def w_fanout(lib: ModuleType, repeats: int, n: int = 500) -> dict[str, Any]:
    """One root asset and n children that each load the root's value."""
    assets = build_fanout(lib, n)
    times, _ = timed(lambda: run_assets(lib, assets, n + 1, f"c{n - 1}", 2), repeats, warmup=1)
    total = summary(times)
    return {"materializations": n + 1, "total_s": total, "per_asset_s": total["median"] / (n + 1),
            **implicit_instance_records(lib)}


# ------------------------------------------- a chain through materialize, on an instance


def stored_materializations(lib: ModuleType, instance: Any, run_id: str) -> int:
    """ASSET_MATERIALIZATION entries of one run, read back from the instance's event log."""
    kind = sym(lib, "DagsterEventType").ASSET_MATERIALIZATION
    return len(instance.all_logs(run_id, of_type=kind))


def implicit_instance_records(lib: ModuleType) -> dict[str, Any]:
    """Does ``materialize()`` without ``instance=`` record events where a step can read them?

    Untimed, once per process: asset ``probe1`` asks ``context.instance`` for the latest
    materialization of its parent ``probe0``. Dagster: yes (its ephemeral instance stores every
    event as it happens). headwater before issue 10's engine change: no (no instance at all).
    """
    source = make_source(lib, "probe0")

    def probe1(context, upstream_value):
        del upstream_value
        return context.instance.get_latest_materialization_event(lib.AssetKey("probe0"))

    child = lib.asset(name="probe1", ins={"upstream_value": lib.AssetIn(key="probe0")})(probe1)
    try:
        result = lib.materialize([source, child], resources={"io_manager": lib.mem_io_manager})
        found = result.output_for_node("probe1") is not None
        return {"records_events": found, "records_events_error": None}
    except Exception as exc:  # the probe's answer, not a benchmark failure
        return {"records_events": False, "records_events_error": f"{type(exc).__name__}: {exc}"}


def timed_runs(
    run: Callable[[], Any], verify: Callable[[Any], None], repeats: int, warmup: int
) -> list[float]:
    """Like :func:`timed`, but ``verify(run())`` happens after the clock stops, every time."""
    times = []
    for i in range(warmup + repeats):
        start = time.perf_counter()
        out = run()
        elapsed = time.perf_counter() - start
        verify(out)
        if i >= warmup:
            times.append(elapsed)
    return times


def check_chain_result(result: Any, n: int) -> None:
    check(result.success, "run failed")
    got = count_materializations(result)
    check(got == n, f"expected {n} materializations in the result, got {got}")
    out = result.output_for_node(f"a{n - 1}")
    check(out == n, f"expected a{n - 1} == {n}, got {out!r}")


def w_materialize_chain(lib: ModuleType, repeats: int, n: int = 300) -> dict[str, Any]:
    """A chain of n assets through ``materialize``, in-memory IO manager, ephemeral instance.

    Two ways, both with ``resources={"io_manager": mem_io_manager}`` so that neither side
    pickles values (Dagster's default IO manager would pickle to files even on an ephemeral
    instance, headwater's keeps values in memory there):

    - *implicit*: ``materialize(assets)``, each library's own ephemeral instance;
    - *explicit*: ``materialize(assets, instance=Instance.ephemeral())``, the instance created
      inside the timed section (as ``materialize`` does without one); afterwards, untimed, the
      run's materializations are read back from that instance (``all_logs``) and must be n.
    """
    assets = build_chain(lib, n)
    memory = {"io_manager": lib.mem_io_manager}
    instance_cls = sym(lib, "DagsterInstance")

    def implicit() -> Any:
        return lib.materialize(assets, resources=memory)

    def explicit() -> tuple[Any, Any]:
        instance = instance_cls.ephemeral()
        return instance, lib.materialize(assets, instance=instance, resources=memory)

    def verify_explicit(out: tuple[Any, Any]) -> None:
        instance, result = out
        check_chain_result(result, n)
        stored = stored_materializations(lib, instance, result.run_id)
        check(stored == n, f"expected {n} materializations stored in the instance, got {stored}")
        check(instance.get_run_by_id(result.run_id) is not None, "run not recorded")
        instance.dispose()

    implicit_times = timed_runs(implicit, lambda r: check_chain_result(r, n), repeats, warmup=1)
    explicit_times = timed_runs(explicit, verify_explicit, repeats, warmup=1)
    implicit_total, explicit_total = summary(implicit_times), summary(explicit_times)
    return {
        "materializations": n,
        "io_manager": "mem_io_manager (both sides)",
        "implicit_total_s": implicit_total,
        "implicit_per_asset_s": implicit_total["median"] / n,
        "explicit_total_s": explicit_total,
        "explicit_per_asset_s": explicit_total["median"] / n,
        **implicit_instance_records(lib),
    }


def build_checked_chain(lib: ModuleType, n: int) -> list[Any]:
    """The chain of :func:`build_chain`, plus one check per asset that reads the asset's value."""
    assets = build_chain(lib, n)

    def make_check(i: int) -> Any:
        def positive(value):
            return lib.AssetCheckResult(passed=value > 0, metadata={"value": value})

        # the one parameter of a check is its asset's value, whatever its name
        return lib.asset_check(asset=f"a{i}", name=f"a{i}_positive")(positive)

    return assets + [make_check(i) for i in range(n)]


def w_checked_chain(lib: ModuleType, repeats: int, n: int = 300) -> dict[str, Any]:
    """A chain of n assets with one asset check each, through ``materialize`` with
    ``instance=Instance.ephemeral()`` (created in the timed section) and the in-memory IO
    manager on both sides: 2n steps, every check in its own step reading its asset's value.
    Afterwards, untimed, the run's check evaluations are read back from the instance and must
    be n, all passed, and n materializations must be stored."""
    definitions = build_checked_chain(lib, n)
    memory = {"io_manager": lib.mem_io_manager}
    instance_cls = sym(lib, "DagsterInstance")
    evaluation_kind = sym(lib, "DagsterEventType").ASSET_CHECK_EVALUATION

    def run() -> tuple[Any, Any]:
        instance = instance_cls.ephemeral()
        return instance, lib.materialize(definitions, instance=instance, resources=memory)

    def verify(out: tuple[Any, Any]) -> None:
        instance, result = out
        check_chain_result(result, n)
        evaluations = result.get_asset_check_evaluations()
        check(len(evaluations) == n and all(e.passed for e in evaluations),
              f"expected {n} passed check evaluations, got {len(evaluations)}")
        stored = len(instance.all_logs(result.run_id, of_type=evaluation_kind))
        check(stored == n, f"expected {n} check evaluations stored, got {stored}")
        materialized = stored_materializations(lib, instance, result.run_id)
        check(materialized == n, f"expected {n} materializations stored, got {materialized}")
        instance.dispose()

    total = summary(timed_runs(run, verify, repeats, warmup=1))
    return {"materializations": n, "checks": n, "io_manager": "mem_io_manager (both sides)",
            "total_s": total, "per_asset_s": total["median"] / n}


AUTOMATION_NOW = (2024, 6, 1, 12, 30)  # evaluation time of the automation workload (UTC)


def build_automated_assets(lib: ModuleType, n: int) -> list[Any]:
    """n assets in chains of 10 (each depends on the previous one of its chain), conditions
    rotating eager / on_cron (hourly) / on_missing, every third chain daily partitioned over
    the two years before the evaluation time."""
    import datetime as dt

    condition_of = [lambda: lib.AutomationCondition.eager(),
                    lambda: lib.AutomationCondition.on_cron("0 * * * *"),
                    lambda: lib.AutomationCondition.on_missing()]
    start = dt.datetime(*AUTOMATION_NOW[:3]) - dt.timedelta(days=730)
    daily = lib.DailyPartitionsDefinition(start_date=start.strftime("%Y-%m-%d"))
    assets = []
    for i in range(n):
        chain, pos = divmod(i, 10)

        def compute():
            return 1

        assets.append(lib.asset(
            name=f"a{i}", deps=[f"a{i - 1}"] if pos else [],
            partitions_def=daily if chain % 3 == 0 else None,
            automation_condition=condition_of[i % 3](),
        )(compute))
    return assets


def w_automation(lib: ModuleType, repeats: int, n: int = 10_000) -> dict[str, Any]:
    """One tick of `evaluate_automation_conditions` over n assets (build_automated_assets) on an
    ephemeral instance. Untimed: the definitions, a first tick (its cursor), then one
    runless materialization of the root of every chain (unpartitioned roots only) so that the
    timed tick has updates to react to. Timed: the second tick, given the first tick's cursor
    and an evaluation time one hour later (so on_cron's hourly tick has passed)."""
    import datetime as dt

    assets = build_automated_assets(lib, n)
    defs = lib.Definitions(assets=assets)
    instance = sym(lib, "DagsterInstance").ephemeral()
    first_time = dt.datetime(*AUTOMATION_NOW, tzinfo=dt.timezone.utc)
    first = lib.evaluate_automation_conditions(defs=defs, instance=instance,
                                               evaluation_time=first_time)
    roots = [f"a{i}" for i in range(0, n, 10) if (i // 10) % 3 != 0]
    for key in roots:
        instance.report_runless_asset_event(lib.AssetMaterialization(asset_key=key))
    times = []
    requested = None
    for i in range(repeats):
        start = time.perf_counter()
        result = lib.evaluate_automation_conditions(
            defs=defs, instance=instance, cursor=first.cursor,
            evaluation_time=first_time + dt.timedelta(hours=1, minutes=i))
        times.append(time.perf_counter() - start)
        requested = result.total_requested
    check(requested is not None and requested > 0, "the timed tick requested nothing")
    total = summary(times)
    return {"assets": n, "partitioned_assets": sum(1 for i in range(n) if (i // 10) % 3 == 0),
            "total_requested": requested, "tick_s": total}


def home_files(home: str) -> dict[str, int]:
    """Files under an instance home, by top-level entry (``storage``, ``history``, ...)."""
    counts: dict[str, int] = {}
    for dirpath, _dirs, files in os.walk(home):
        rel = os.path.relpath(dirpath, home)
        top = "." if rel == "." else rel.split(os.sep)[0]
        counts[top] = counts.get(top, 0) + len(files)
    return counts


def w_materialize_chain_sqlite(lib: ModuleType, repeats: int, n: int = 300) -> dict[str, Any]:
    """A chain of n assets through ``materialize`` on a fresh on-disk SQLite home, per run.

    Each measured run gets a new temporary home (``HEADWATER_HOME`` / ``DAGSTER_HOME``, default
    SQLite storage; Dagster's ``dagster.yaml`` turns telemetry off) and ``Instance.get()``,
    opened before the clock starts; the timed call is ``materialize(assets, instance=instance)``
    with each library's default IO manager, which for a persistent instance is the filesystem
    pickle IO manager under ``instance.storage_directory()`` on both sides. Afterwards,
    untimed: the result's checks; the home is reopened with a second ``Instance.get()`` and
    must hold the run, its n materializations and the latest materialization of the last asset;
    the last asset's pickle file must hold n. One warm-up run of a 10-asset chain, untimed.
    """
    import pickle

    storage = bench_module("storage.py")
    instance_cls = sym(lib, "DagsterInstance")
    # Warm-up: a 10-asset chain in its own home (warms the same code paths as n assets; a
    # warm-up of n would double Dagster's share of the run for no better figure).
    warm = min(n, 10)
    plan = [(warm, build_chain(lib, warm))] + [(n, build_chain(lib, n))] * repeats
    times: list[float] = []
    files: dict[str, int] = {}
    for i, (size, assets) in enumerate(plan):
        last = f"a{size - 1}"
        with storage.open_instance(lib, "sqlite") as (instance, home):
            start = time.perf_counter()
            result = lib.materialize(assets, instance=instance)
            elapsed = time.perf_counter() - start
            check_chain_result(result, size)
            reopened = instance_cls.get()
            try:
                stored = stored_materializations(lib, reopened, result.run_id)
                latest = reopened.get_latest_materialization_event(lib.AssetKey(last))
                run = reopened.get_run_by_id(result.run_id)
            finally:
                reopened.dispose()
            check(stored == size, f"expected {size} materializations persisted, got {stored}")
            check(latest is not None and latest.run_id == result.run_id,
                  f"latest materialization of {last} not persisted")
            check(run is not None, "run not persisted")
            path = os.path.join(instance.storage_directory(), last)
            check(os.path.isfile(path), f"no pickled value at {path}")
            with open(path, "rb") as f:
                check(pickle.load(f) == size, f"wrong value pickled at {path}")
            files = home_files(home)
        if i >= 1:
            times.append(elapsed)
    total = summary(times)
    return {
        "materializations": n,
        "io_manager": "default for a persistent instance: filesystem pickle IO manager",
        "total_s": total,
        "per_asset_s": total["median"] / n,
        "home_files": files,
    }


def build_op_chain_job(lib: ModuleType, n: int) -> Any:
    def make_op(i: int) -> Any:
        if i == 0:

            def first():
                return 1

            return lib.op(name="op0")(first)

        def step(x):
            return x + 1

        return lib.op(name=f"op{i}")(step)

    ops = [make_op(i) for i in range(n)]

    def body():
        x = ops[0]()
        for o in ops[1:]:
            x = o(x)

    return lib.job(name="op_chain")(body)


def w_opchain(lib: ModuleType, repeats: int, n: int = 100) -> dict[str, Any]:
    """A job of n ops chained by their outputs, run with execute_in_process."""
    job = build_op_chain_job(lib, n)

    def run():
        result = job.execute_in_process()
        check(result.success, "run failed")
        steps = len(result.get_step_success_events())
        check(steps == n, f"expected {n} successful steps, got {steps}")
        out = result.output_for_node(f"op{n - 1}")
        check(out == n, f"expected op{n - 1} == {n}, got {out!r}")
        return result

    times, _ = timed(run, repeats, warmup=1)
    total = summary(times)
    return {"steps": n, "total_s": total, "per_op_s": total["median"] / n,
            **implicit_instance_records(lib)}


def build_big_assets(lib: ModuleType, n: int) -> list[Any]:
    """Definitions of n assets in groups of 100: chains, fan-ins and cross-group edges.

    A group is 10 layers of 10 assets. Asset k of a layer loads asset k of the
    layer above as data (ten parallel chains); one in three also depends on
    two neighbours of that layer (a fan-in). The first layer of group g reads
    the last layer of group (g - 1) // 2, so groups form a binary tree and the
    longest path stays short (about 70 for 10,000 assets), like real pipelines.
    """
    width, per_group = 10, 100
    assets = []
    for i in range(n):
        group, j = divmod(i, per_group)
        layer, k = divmod(j, width)
        name = f"g{group}_a{j}"
        kwargs: dict[str, Any] = {"group_name": f"g{group}"}
        if layer == 0:
            if group == 0:
                assets.append(make_source(lib, name, **kwargs))
            else:
                parent = (group - 1) // 2
                assets.append(
                    make_child(lib, name, f"g{parent}_a{per_group - width + k}", **kwargs)
                )
            continue
        above = j - width
        if k % 3 == 0:
            kwargs["deps"] = [f"g{group}_a{above - k + (k + d) % width}" for d in (1, 2)]
        assets.append(make_child(lib, name, f"g{group}_a{above}", **kwargs))
    return assets


def define_and_validate(lib: ModuleType, assets: list[Any]) -> tuple[Any, Any, dict[str, float]]:
    """Build Definitions and make the library do all its load-time work, the same on both sides.

    1. ``Definitions(assets=...)``.
    2. ``Definitions.validate_loadable(defs)``. Dagster 1.13.29: ``get_repository_def()
       .validate_loadable()``, i.e. the repository, every job built (``load_all_definitions``:
       the implicit asset job ``__ASSET_JOB`` over all assets, its graph of n op nodes
       checked), schedules, sensors, source assets, partition mappings validated.
    3. ``defs.get_repository_def().load_all_definitions()``: on Dagster a no-op after 2 (its
       repository and jobs are cached: ~20 us); on headwater, whose ``validate_loadable``
       resolves the asset graph only, this builds the implicit asset job, so that both sides
       have built the same things when the clock stops.
    4. ``defs.resolve_implicit_global_asset_job_def()``: cached on both sides after 2-3; the
       caller checks that it covers all n assets.

    Returns the definitions, the implicit asset job and the time of each step.
    """
    t0 = time.perf_counter()
    defs = lib.Definitions(assets=assets)
    t1 = time.perf_counter()
    lib.Definitions.validate_loadable(defs)
    t2 = time.perf_counter()
    defs.get_repository_def().load_all_definitions()
    t3 = time.perf_counter()
    job = defs.resolve_implicit_global_asset_job_def()
    t4 = time.perf_counter()
    return defs, job, {"definitions_s": t1 - t0, "validate_loadable_s": t2 - t1,
                       "load_all_definitions_s": t3 - t2, "implicit_job_s": t4 - t3}


def w_defs(lib: ModuleType, repeats: int, n: int = 10_000) -> dict[str, Any]:
    """Build and validate Definitions of n assets once, in this fresh process.

    ``repeats`` is ignored: run.py starts one process per repeat so every
    measurement is cold, like loading a code location.
    """
    del repeats
    rss_before = maxrss_mib()
    start = time.perf_counter()
    assets = build_big_assets(lib, n)
    decorated = time.perf_counter()
    defs, job, steps = define_and_validate(lib, assets)
    end = time.perf_counter()
    rss_after = maxrss_mib()
    keys = len(defs.resolve_all_asset_specs())
    check(keys == n, f"expected {n} asset keys, got {keys}")
    check(job.name == "__ASSET_JOB", f"implicit asset job is named {job.name!r}")
    nodes = len(job.graph.nodes)
    check(nodes == n, f"expected {n} nodes in the implicit asset job, got {nodes}")
    executable = len(job.asset_layer.executable_asset_keys)
    check(executable == n, f"expected {n} executable keys in the implicit job, got {executable}")
    return {
        "assets": n,
        "validated_with": "Definitions.validate_loadable(defs); "
        "defs.get_repository_def().load_all_definitions(); "
        "defs.resolve_implicit_global_asset_job_def()",
        "implicit_job_nodes": nodes,
        "build_validate_s": end - start,
        "decorate_s": decorated - start,
        "definitions_validate_s": end - decorated,
        **steps,
        "peak_rss_mib": rss_after,
        "rss_after_import_mib": rss_before,
        "peak_rss_delta_mib": rss_after - rss_before,
    }


WORKLOADS: dict[str, Callable[..., dict[str, Any]]] = {
    "import": w_import,
    "materialize1": w_materialize1,
    "chain": w_chain,
    "fanout": w_fanout,
    "opchain": w_opchain,
    "defs": w_defs,
    "materialize_chain": w_materialize_chain,
    "materialize_chain_sqlite": w_materialize_chain_sqlite,
    "checked_chain": w_checked_chain,
    "automation": w_automation,
}


_BENCH_MODULES: dict[str, ModuleType] = {}


def bench_module(filename: str) -> ModuleType:
    """A sibling file of this one (storage.py, multiprocess.py, ...), loaded once by path."""
    if filename not in _BENCH_MODULES:
        import importlib.util

        path = os.path.join(os.path.dirname(os.path.abspath(__file__)), filename)
        spec = importlib.util.spec_from_file_location(f"headwater_bench_{filename[:-3]}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        _BENCH_MODULES[filename] = module
    return _BENCH_MODULES[filename]


def _workload_in(filename: str, name: str) -> Callable[..., dict[str, Any]]:
    """Workload `name` of a sibling file, loaded on first use."""

    def run(lib: ModuleType, **kwargs: Any) -> dict[str, Any]:
        return bench_module(filename).WORKLOADS[name](lib, **kwargs)

    return run


for _file, _names in (
    ("storage.py", ("storage_write_sqlite", "storage_write_postgres", "storage_run",
                    "storage_latest", "storage_partitions")),
    ("multiprocess.py", ("mp_chain", "mp_fanout", "launch")),
    ("partitions.py", ("partition_status",)),
):
    for _name in _names:
        WORKLOADS[_name] = _workload_in(_file, _name)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workload", choices=sorted(WORKLOADS))
    parser.add_argument("--lib", choices=LIBS, required=True)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--n", type=int, default=None, help="size of the workload")
    parser.add_argument(
        "--profile",
        metavar="FILE",
        default=None,
        help="run under cProfile, save the stats to FILE and print the top entries to stderr",
    )
    args = parser.parse_args(argv)
    for var in ("DAGSTER_HOME", "HEADWATER_HOME"):
        os.environ.pop(var, None)

    fn = WORKLOADS[args.workload]
    kwargs: dict[str, Any] = {"repeats": args.repeats}
    if args.n is not None:
        kwargs["n"] = args.n
    if args.workload == "import":
        out = fn(args.lib, **kwargs)
    elif args.profile:
        out = profiled(fn, args.lib, kwargs, args.profile)
    else:
        lib = importlib.import_module(args.lib)
        out = fn(lib, **kwargs)
    out["lib"] = args.lib
    out["version"] = version_of(args.lib)
    if args.workload != "import":
        out["module_file"] = getattr(sys.modules.get(args.lib), "__file__", None)
    out["python"] = sys.version.split()[0]
    print(json.dumps(out))


def profiled(
    fn: Callable[..., dict[str, Any]], libname: str, kwargs: dict[str, Any], path: str
) -> dict[str, Any]:
    """Run a workload (import of the library included) under cProfile."""
    import cProfile
    import pstats

    profile = cProfile.Profile()
    profile.enable()
    lib = importlib.import_module(libname)
    out = fn(lib, **kwargs)
    profile.disable()
    profile.dump_stats(path)
    stats = pstats.Stats(path, stream=sys.stderr).strip_dirs()
    stats.sort_stats("tottime").print_stats(25)
    stats.sort_stats("cumulative").print_stats(25)
    return out


def version_of(libname: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(libname)
    except PackageNotFoundError:
        return "unknown"


if __name__ == "__main__":
    main()
