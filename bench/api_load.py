"""The webserver's API under many concurrent clients while a run streams (issue 16).

    .venv/bin/python bench/api_load.py                          # 50 clients, 30 s
    .venv/bin/python bench/api_load.py --clients 10 --seconds 5 --json
    .venv/bin/python bench/api_load.py --profile /tmp/api.prof  # cProfile of every server thread

headwater only. It writes a project (chains of assets in groups, jobs, a schedule, a sensor,
and a job `stream` whose one op logs a line every 50 ms), then starts the real webserver in
a subprocess (`serve()`, what `headwater webserver` runs: uvicorn, one code server
subprocess) over an on-disk SQLite instance in a temporary HEADWATER_HOME. Through the API it
launches a few short runs (so the run list has history) and then the streaming run (a run
worker subprocess writing events the whole time), and reports materializations of some
assets. Then `--clients` asyncio clients (httpx, one connection each) hit the API for
`--seconds`: `--sse` of them hold the streaming run's event stream open (reading every
event, reconnecting with Last-Event-ID if it ends), the others loop over a weighted mix of
what the UI asks for, with `--think-ms` (uniformly 0..2x) between requests:

    run list, one run, its events page, assets, catalog page, one asset, an asset's events,
    jobs, schedules, sensors, health

Per route and overall: requests, errors (any non-2xx status or exception), p50/p95/p99/max
latency in ms; for the SSE clients the events received. The load average before and after
is printed too: the machine is shared. No test asserts on these times (tests/reliability/
test_api_load.py runs a small version and asserts no errors).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src"
HEADERS = {"X-Headwater-Request": "1"}

PROJECT = '''
import time

from headwater import (AssetSpec, Definitions, ScheduleDefinition, SensorResult, asset,
                       define_asset_job, job, op, sensor)

GROUPS = {groups}
CHAIN = {chain}
specs = []
for g in range(GROUPS):
    for i in range(CHAIN):
        deps = [f"g{{g}}_a{{i - 1}}"] if i else []
        specs.append(AssetSpec(f"g{{g}}_a{{i}}", deps=deps, group_name=f"group_{{g}}",
                               kinds={{"python"}}, owners=[f"team:t{{g % 3}}"]))


@asset(group_name="computed")
def quick_source():
    return 1


@asset(group_name="computed")
def quick_child(quick_source):
    return quick_source + 1


@op
def stream_op(context):
    end = time.time() + {stream_seconds}
    i = 0
    while time.time() < end:
        context.log.info(f"tick {{i}}")
        i += 1
        time.sleep(0.05)
    return i


@job
def stream():
    stream_op()


quick_job = define_asset_job("quick", selection=["quick_source", "quick_child"])
nightly = ScheduleDefinition(name="nightly", job=quick_job, cron_schedule="0 2 * * *")


@sensor(job=quick_job, minimum_interval_seconds=30)
def watcher(context):
    return SensorResult(run_requests=[])


defs = Definitions(assets=[*specs, quick_source, quick_child], jobs=[stream, quick_job],
                   schedules=[nightly], sensors=[watcher])
'''


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process `pid` so far (Linux /proc), 0 where unknown."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def loadavg() -> list[float]:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return []


# --- the server process -----------------------------------------------------------------
def serve_main(argv: list[str]) -> None:
    """`api_load.py _serve DEFS PORT [PROFILE]`: the webserver, as `headwater webserver` runs
    it, with HEADWATER_HOME from the environment; with PROFILE, every thread is profiled and
    the merged pstats written there at exit (SIGTERM)."""
    import signal

    sys.path.insert(0, str(SRC))
    from headwater.code.location import CodeLocationOrigin
    from headwater.server.serve import serve
    from headwater.storage.instance import HeadwaterInstance

    defs, port = argv[0], int(argv[1])
    profile = argv[2] if len(argv) > 2 else None
    profiles: list[Any] = []
    if profile:
        import cProfile
        import threading

        def start_thread_profile(*_args: Any) -> None:
            prof = cProfile.Profile(time.thread_time)  # CPU time, not time waiting
            profiles.append(prof)
            prof.enable()  # replaces this hook for the thread's remaining life

        threading.setprofile(start_thread_profile)
        main_prof = cProfile.Profile(time.thread_time)
        profiles.append(main_prof)
        main_prof.enable()
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    instance = HeadwaterInstance.get()
    try:
        serve(instance, [CodeLocationOrigin(python_file=defs)], port=port)
    except KeyboardInterrupt:
        pass
    finally:
        instance.dispose()
        if profile:
            import pstats

            for prof in profiles:
                prof.disable()
            stats = pstats.Stats(profiles[0])
            for prof in profiles[1:]:
                try:
                    stats.add(prof)
                except TypeError:  # a thread whose profile recorded nothing
                    pass
            stats.dump_stats(profile)


def start_server(home: Path, defs: Path, port: int, profile: str | None) -> subprocess.Popen:
    env = {**os.environ, "HEADWATER_HOME": str(home),
           "PYTHONPATH": os.pathsep.join(filter(None, [str(SRC), os.environ.get("PYTHONPATH")]))}
    args = [sys.executable, __file__, "_serve", str(defs), str(port)] + ([profile] if profile
                                                                           else [])
    log = open(home / "webserver.log", "w")  # noqa: SIM115 - closed with the process
    return subprocess.Popen(args, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=home)


# --- the clients ------------------------------------------------------------------------
class Stats:
    def __init__(self) -> None:
        self.times: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, list[str]] = defaultdict(list)
        self.sse_events = 0
        self.sse_connects = 0

    def record(self, route: str, ms: float, error: str | None) -> None:
        self.times[route].append(ms)
        if error is not None:
            self.errors[route].append(error)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, int(round(q / 100 * len(ordered) + 0.5)) - 1))
    return ordered[index]


def summary(values: list[float], errors: int) -> dict[str, Any]:
    return {"requests": len(values), "errors": errors,
            "p50_ms": round(percentile(values, 50), 1), "p95_ms": round(percentile(values, 95), 1),
            "p99_ms": round(percentile(values, 99), 1),
            "max_ms": round(max(values), 1) if values else float("nan"),
            "mean_ms": round(statistics.fmean(values), 1) if values else float("nan")}


def mix(ctx: dict[str, Any]) -> list[tuple[str, str, int]]:
    """(route label, URL, weight): what the UI's pages ask for."""
    run_id = ctx["stream_run"]
    assets = ctx["assets"]
    return [
        ("runs", "/api/runs?limit=50", 14),
        ("run", f"/api/runs/{run_id}", 10),
        ("run_events", f"/api/runs/{run_id}/events?limit=100", 10),
        ("assets", "/api/assets", 8),
        ("catalog", "/api/catalog?limit=100", 10),
        ("asset", "/api/assets/{key}", 8),
        ("asset_events", "/api/assets/{key}/events?limit=25", 8),
        ("jobs", "/api/jobs", 8),
        ("schedules", "/api/schedules", 6),
        ("sensors", "/api/sensors", 6),
        ("health", "/api/health", 12),
    ] if assets else []


async def request_loop(client: Any, ctx: dict[str, Any], stats: Stats, deadline: float,
                       think: float, rng: random.Random) -> None:
    routes = mix(ctx)
    weights = [w for _, _, w in routes]
    while time.monotonic() < deadline:
        label, url, _ = rng.choices(routes, weights)[0]
        url = url.replace("{key}", rng.choice(ctx["assets"]))
        start = time.perf_counter()
        error = None
        try:
            response = await client.get(url)
            await response.aread()
            if not 200 <= response.status_code < 300:
                error = f"{response.status_code} {response.text[:200]}"
        except Exception as exc:  # every failure counts, whatever it is
            error = f"{type(exc).__name__}: {exc}"
        stats.record(label, (time.perf_counter() - start) * 1000, error)
        if think:
            await asyncio.sleep(rng.uniform(0, 2 * think))


async def sse_loop(client: Any, ctx: dict[str, Any], stats: Stats, deadline: float) -> None:
    """Hold the streaming run's event stream open; reconnect from the last id if it ends."""
    last_id: str | None = None
    url = f"/api/runs/{ctx['stream_run']}/stream"
    while time.monotonic() < deadline:
        headers = {"Last-Event-ID": last_id} if last_id else {}
        start = time.perf_counter()
        first = True
        try:
            async with client.stream("GET", url, headers=headers) as response:
                if response.status_code != 200:
                    stats.record("run_stream (connect)", (time.perf_counter() - start) * 1000,
                                 f"{response.status_code}")
                    await asyncio.sleep(0.5)
                    continue
                stats.sse_connects += 1
                async for line in response.aiter_lines():
                    if first:
                        stats.record("run_stream (first line)",
                                     (time.perf_counter() - start) * 1000, None)
                        first = False
                    if line.startswith("id:"):
                        last_id = line[3:].strip()
                        stats.sse_events += 1
                    if time.monotonic() >= deadline:
                        return
        except Exception as exc:
            if time.monotonic() < deadline:
                stats.record("run_stream (connect)", (time.perf_counter() - start) * 1000,
                             f"{type(exc).__name__}: {exc}")
        if first and time.monotonic() < deadline:
            await asyncio.sleep(0.5)


async def drive(base: str, ctx: dict[str, Any], clients: int, sse: int, seconds: float,
                think_ms: float, seed: int) -> Stats:
    import httpx

    stats = Stats()
    deadline = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    opened = [httpx.AsyncClient(base_url=base, headers=HEADERS, limits=limits,
                                timeout=httpx.Timeout(60, read=60)) for _ in range(clients)]
    try:
        tasks = []
        for i, client in enumerate(opened):
            if i < sse:
                tasks.append(sse_loop(client, ctx, stats, deadline))
            else:
                tasks.append(request_loop(client, ctx, stats, deadline, think_ms / 1000,
                                          random.Random(seed + i)))
        await asyncio.gather(*tasks)
    finally:
        for client in opened:
            await client.aclose()
    return stats


# --- setup ------------------------------------------------------------------------------
def wait_for(predicate: Any, timeout: float, what: str) -> Any:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise RuntimeError(f"timed out after {timeout:.0f} s waiting for {what}")


def prepare(client: Any, instance: Any, groups: int, chain: int, quick_runs: int) -> dict[str, Any]:
    from headwater import AssetMaterialization

    def launch(job: str) -> str:
        response = client.post(f"/api/jobs/{job}/launch", json={})
        response.raise_for_status()
        return str(response.json()["run_id"])

    def finished(run_id: str) -> bool:
        return client.get(f"/api/runs/{run_id}").json()["status"] in ("SUCCESS", "FAILURE",
                                                                      "CANCELED")

    quick = [launch("quick") for _ in range(quick_runs)]
    for run_id in quick:
        wait_for(lambda r=run_id: finished(r), 180, f"run {run_id} to finish")
    failed = [r for r in quick if client.get(f"/api/runs/{r}").json()["status"] != "SUCCESS"]
    if failed:
        raise RuntimeError(f"seed runs failed: {failed} (see the webserver log)")
    keys = [f"g{g}_a{i}" for g in range(groups) for i in range(0, chain, 5)]
    for n, key in enumerate(keys * 2):
        instance.report_runless_asset_event(AssetMaterialization(asset_key=key,
                                                                 metadata={"n": n}))
    stream_run = launch("stream")

    def streaming() -> bool:
        events = client.get(f"/api/runs/{stream_run}/events?type=LOG&limit=5").json()
        return len(events["items"]) >= 3

    wait_for(streaming, 120, "the streaming run to log")
    return {"stream_run": stream_run, "quick_runs": quick,
            "assets": keys[:20] + ["quick_source", "quick_child"]}


def run_bench(args: argparse.Namespace) -> dict[str, Any]:
    import httpx

    sys.path.insert(0, str(SRC))
    from headwater.storage.instance import HeadwaterInstance

    out: dict[str, Any] = {"storage": (args.database_url or "sqlite").split(":")[0],
                           "clients": args.clients, "sse_clients": args.sse,
                           "seconds": args.seconds, "think_ms": args.think_ms,
                           "server_nice": args.nice,
                           "loadavg_before": loadavg(), "cpus": os.cpu_count()}
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        home.mkdir()
        defs = Path(tmp) / "defs.py"
        stream_seconds = args.seconds + 60  # setup and a margin: the run streams throughout
        defs.write_text(PROJECT.format(groups=args.groups, chain=args.chain,
                                       stream_seconds=stream_seconds))
        if args.database_url:
            (home / "headwater.yaml").write_text(
                "storage:\n  url: " + json.dumps(args.database_url) + "\n")
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        os.environ["HEADWATER_HOME"] = str(home)
        instance = HeadwaterInstance.get()
        server = start_server(home, defs, port, args.profile)
        try:
            with httpx.Client(base_url=base, headers=HEADERS, timeout=120) as client:
                def up() -> bool:
                    if server.poll() is not None:
                        raise RuntimeError("the webserver exited: "
                                           + (home / "webserver.log").read_text()[-3000:])
                    try:
                        return client.get("/api/health").status_code == 200
                    except httpx.TransportError:
                        return False

                wait_for(up, 120, "the webserver")
                ctx = prepare(client, instance, args.groups, args.chain, args.quick_runs)
                status = client.get(f"/api/runs/{ctx['stream_run']}").json()["status"]
                out["stream_status_before"] = status
                server_cpu, client_cpu = cpu_seconds(server.pid), time.process_time()
                start = time.monotonic()
                stats = asyncio.run(drive(base, ctx, args.clients, args.sse, args.seconds,
                                          args.think_ms, args.seed))
                out["elapsed_s"] = round(time.monotonic() - start, 1)
                out["server_cpu_s"] = round(cpu_seconds(server.pid) - server_cpu, 1)
                out["client_cpu_s"] = round(time.process_time() - client_cpu, 1)
                out["stream_status_after"] = client.get(
                    f"/api/runs/{ctx['stream_run']}").json()["status"]
                client.post(f"/api/runs/{ctx['stream_run']}/cancel")
        finally:
            server.terminate()
            try:
                server.wait(30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
            instance.dispose()
            os.environ.pop("HEADWATER_HOME", None)
            log = (home / "webserver.log").read_text()
        out["loadavg_after"] = loadavg()
        routes = {label: summary(times, len(stats.errors.get(label, ())))
                  for label, times in sorted(stats.times.items())}
        plain = [t for label, times in stats.times.items() if not label.startswith("run_stream")
                 for t in times]
        plain_errors = sum(len(v) for k, v in stats.errors.items()
                           if not k.startswith("run_stream"))
        out["routes"] = routes
        out["overall"] = summary(plain, plain_errors)
        out["overall"]["requests_per_s"] = round(len(plain) / out["elapsed_s"], 1)
        # what does not depend on the machine's load: the webserver's CPU per request
        out["server_cpu_ms_per_request"] = round(out["server_cpu_s"] * 1000 / max(len(plain), 1),
                                                 2)
        out["errors_total"] = sum(len(v) for v in stats.errors.values())
        out["errors_5xx"] = sum(1 for v in stats.errors.values() for e in v if e[:1] == "5")
        out["error_samples"] = {k: v[:3] for k, v in stats.errors.items()}
        out["sse_events"] = stats.sse_events
        out["sse_connects"] = stats.sse_connects
        out["server_log_tail"] = log[-2000:] if "Traceback" in log else ""
    return out


def print_table(out: dict[str, Any]) -> None:
    print(f"{out['storage']}: {out['clients']} clients ({out['sse_clients']} on the run's SSE stream), "
          f"{out['seconds']} s, think {out['think_ms']} ms; load average "
          f"{out['loadavg_before']} -> {out['loadavg_after']} on {out['cpus']} CPUs")
    print(f"streaming run: {out['stream_status_before']} -> {out['stream_status_after']}; "
          f"SSE events received {out['sse_events']} over {out['sse_connects']} connection(s)")
    print(f"{'route':26} {'requests':>8} {'errors':>6} {'p50':>8} {'p95':>8} {'p99':>8} "
          f"{'max':>8}")
    for label, row in [*out["routes"].items(), ("overall (not SSE)", out["overall"])]:
        print(f"{label:26} {row['requests']:8} {row['errors']:6} {row['p50_ms']:8.1f} "
              f"{row['p95_ms']:8.1f} {row['p99_ms']:8.1f} {row['max_ms']:8.1f}")
    print(f"requests/s {out['overall']['requests_per_s']}; errors total {out['errors_total']}; "
          f"CPU in the window: webserver {out['server_cpu_s']} s, clients {out['client_cpu_s']} s "
          f"of {out['elapsed_s']} s ({out['server_cpu_ms_per_request']} ms per request); "
          f"webserver nice {out['server_nice']:+d}")
    for label, samples in out["error_samples"].items():
        print(f"  {label}: {samples}")
    if out["server_log_tail"]:
        print("webserver log (tail):\n" + out["server_log_tail"])


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--sse", type=int, default=4, help="clients holding the SSE stream")
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--think-ms", type=float, default=100,
                        help="mean pause between a client's requests (uniform 0..2x)")
    parser.add_argument("--groups", type=int, default=10)
    parser.add_argument("--chain", type=int, default=50)
    parser.add_argument("--quick-runs", type=int, default=6)
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--profile", help="write the server's merged cProfile stats here")
    parser.add_argument("--nice", type=int, default=0,
                        help="niceness added to the bench: clients, webserver, code server, run "
                             "worker (negative needs root)")
    parser.add_argument("--database-url", help="the instance's storage (default: SQLite in "
                                               "the temporary home), e.g. postgresql://...")
    parser.add_argument("--json", action="store_true")
    return parser


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "_serve":
        serve_main(sys.argv[2:])
        return
    options = parser()
    args = options.parse_args()
    if args.sse >= args.clients:
        options.error("--sse must be fewer than --clients")
    if args.nice:
        os.nice(args.nice)  # inherited by the webserver, its code server and run workers
    out = run_bench(args)
    if args.json:
        print(json.dumps(out, indent=2))
    else:
        print_table(out)


if __name__ == "__main__":
    main()
