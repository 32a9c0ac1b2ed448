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
    return {"materializations": n, "total_s": total, "per_asset_s": total["median"] / n}


def w_fanout(lib: ModuleType, repeats: int, n: int = 500) -> dict[str, Any]:
    """One root asset and n children that each load the root's value."""
    assets = build_fanout(lib, n)
    times, _ = timed(lambda: run_assets(lib, assets, n + 1, f"c{n - 1}", 2), repeats, warmup=1)
    total = summary(times)
    return {"materializations": n + 1, "total_s": total, "per_asset_s": total["median"] / (n + 1)}


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
    return {"steps": n, "total_s": total, "per_op_s": total["median"] / n}


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


def define_and_validate(lib: ModuleType, assets: list[Any]) -> tuple[Any, str]:
    """Build Definitions and make the library do all its load-time checks.

    Dagster's Definitions is lazy; ``Definitions.validate_loadable`` builds the
    repository, resolves every job (the implicit asset job too) and the asset
    graph, and checks partitions. Returns the definitions and the call used.
    """
    defs = lib.Definitions(assets=assets)
    validate = getattr(lib.Definitions, "validate_loadable", None)
    if validate is not None:
        validate(defs)
        return defs, "Definitions.validate_loadable(defs)"
    defs.resolve_asset_graph()
    return defs, "defs.resolve_asset_graph()"


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
    defs, how = define_and_validate(lib, assets)
    end = time.perf_counter()
    rss_after = maxrss_mib()
    keys = len(defs.resolve_all_asset_specs())
    check(keys == n, f"expected {n} asset keys, got {keys}")
    return {
        "assets": n,
        "validated_with": how,
        "build_validate_s": end - start,
        "decorate_s": decorated - start,
        "definitions_validate_s": end - decorated,
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
}


def _storage_workload(name: str) -> Callable[..., dict[str, Any]]:
    """A workload of bench/storage.py, loaded from its path on first use."""

    def run(lib: ModuleType, **kwargs: Any) -> dict[str, Any]:
        import importlib.util

        path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "storage.py")
        spec = importlib.util.spec_from_file_location("headwater_bench_storage", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module.WORKLOADS[name](lib, **kwargs)

    return run


for _name in ("storage_write_sqlite", "storage_write_postgres", "storage_run", "storage_latest",
              "storage_partitions"):
    WORKLOADS[_name] = _storage_workload(_name)


def _multiprocess_workload(name: str) -> Callable[..., dict[str, Any]]:
    """A workload of bench/multiprocess.py, loaded from its path on first use."""

    def run(lib: ModuleType, **kwargs: Any) -> dict[str, Any]:
        import importlib.util

        path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "multiprocess.py")
        spec = importlib.util.spec_from_file_location("headwater_bench_multiprocess", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module.WORKLOADS[name](lib, **kwargs)

    return run


for _name in ("mp_chain", "mp_fanout", "launch"):
    WORKLOADS[_name] = _multiprocess_workload(_name)


def _partitions_workload(lib: ModuleType, **kwargs: Any) -> dict[str, Any]:
    """bench/partitions.py's partition_status, loaded from its path on first use."""
    import importlib.util

    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "partitions.py")
    spec = importlib.util.spec_from_file_location("headwater_bench_partitions", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.WORKLOADS["partition_status"](lib, **kwargs)


WORKLOADS["partition_status"] = _partitions_workload


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
