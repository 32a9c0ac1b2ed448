"""The API fuzzed from its own OpenAPI spec (schemathesis): no input makes it answer 5xx.

Invariant: whatever a client sends to any route of the webserver, the answer is a 2xx, 3xx
or 4xx, never a 5xx. Every operation of the spec is fuzzed twice: with generated path
parameters (which mostly name nothing: the 404 paths), and with path parameters that name
real things (a job, an asset, a schedule, a sensor, a finished run, a backfill, a location),
so that the generated queries and bodies reach the handlers' own checks. Runs launched by the
fuzzer stay queued (the run queue admits none), so no run worker starts. The two streams are
included: a run's stream over a finished run ends by itself, the status stream is bounded by
its `max_seconds`. On SQLite and on PostgreSQL (which refuses some strings SQLite stores).
Examples are bounded (derandomized) so each storage takes well under a minute on an idle
machine.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

schemathesis = pytest.importorskip("schemathesis")

from fastapi.testclient import TestClient  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402

from headwater.code.location import CodeLocationOrigin  # noqa: E402
from headwater.server import create_app  # noqa: E402
from headwater.storage.instance import HeadwaterInstance  # noqa: E402

DEFS = """\
from headwater import (AssetCheckResult, Definitions, RunRequest, StaticPartitionsDefinition,
                       asset, asset_check, define_asset_job, job, op, schedule, sensor)

@asset(group_name="raw")
def orders():
    return [1]

@asset_check(asset=orders)
def orders_not_empty():
    return AssetCheckResult(passed=True)

@asset(partitions_def=StaticPartitionsDefinition(["a", "b"]), key_prefix=["p"])
def parts(context):
    return context.partition_key

@op(config_schema={"n": int})
def make(context):
    return context.op_config["n"]

@job
def numbers():
    make()

parts_job = define_asset_job("parts_job", selection=[parts])

@schedule(cron_schedule="0 * * * *", job=numbers)
def hourly(context):
    return RunRequest(run_config={"ops": {"make": {"config": {"n": 1}}}})

@sensor(job=numbers)
def watcher(context):
    return RunRequest(run_key=context.cursor or "0",
                      run_config={"ops": {"make": {"config": {"n": 2}}}})

defs = Definitions(assets=[orders, parts], asset_checks=[orders_not_empty],
                   jobs=[numbers, parts_job], schedules=[hourly], sensors=[watcher])
"""
HEADER = {"X-Headwater-Request": "1"}
# a deeper hunt: HEADWATER_FUZZ_EXAMPLES=200 pytest tests/reliability/test_api_fuzz.py --timeout 0
EXAMPLES = int(os.environ.get("HEADWATER_FUZZ_EXAMPLES", "10"))
# Each of these reloads a code server or writes a run per example: a few suffice.
FEW = {("POST", "/api/locations/{name}/reload"): 2}


@pytest.fixture
def fuzzed(database_url: str, tmp_path: Path) -> Iterator[tuple[Any, dict[str, str]]]:
    """The app over a project with one of everything (on SQLite, then PostgreSQL), and the
    real names to fuzz with."""
    root = tmp_path
    (root / "defs.py").write_text(DEFS)
    instance = HeadwaterInstance.from_url(database_url, str(root),
                                          {"run_queue": {"max_concurrent_runs": 0}})
    # any Host: the fuzzer's in-process client names its own (tests/reliability covers Hosts)
    app = create_app(instance, [CodeLocationOrigin(python_file=str(root / "defs.py"))],
                     allowed_hosts=["*"])
    from headwater.code.location import CodeLocationOrigin as Origin

    defs = Origin(python_file=str(root / "defs.py")).load()
    finished = defs.get_job_def("numbers").execute_in_process(
        run_config={"ops": {"make": {"config": {"n": 1}}}}, instance=instance)
    with TestClient(app) as client:
        backfill = client.post("/api/backfills", headers=HEADER,
                               json={"keys": ["p/parts"], "partition_keys": ["a", "b"]})
        assert backfill.status_code == 200, backfill.text
        location = client.get("/api/locations").json()[0]["name"]
    names = {"run_id": finished.run_id, "backfill_id": backfill.json()["backfill_id"],
             "key": "orders", "io": "stdout", "location": location}
    try:
        yield app, names
    finally:
        app.state.headwater.workspace.shutdown()
        instance.dispose()


def real_path(path: str, names: dict[str, str]) -> dict[str, str] | None:
    """Path parameters naming real things for `path`, None when it has none."""
    if "{" not in path:
        return None
    by_kind = {"/api/jobs/": "numbers", "/api/schedules/": "hourly", "/api/sensors/": "watcher",
               "/api/locations/": names["location"], "/checks/": "orders_not_empty"}
    params: dict[str, str] = {}
    for part in ("run_id", "backfill_id", "key", "io", "evaluation_id"):
        if "{" + part + "}" in path:
            params[part] = names.get(part, "1")
    if "{name}" in path:
        params["name"] = next(v for k, v in by_kind.items() if k in path)
    if path.endswith("/partitions"):  # a partitioned job and asset
        params.update(name="parts_job", key="p/parts")
    return params


def fuzz(operation: Any, examples: int, check: Callable[[Any], None]) -> None:
    @given(case=operation.as_strategy())
    @settings(max_examples=examples, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def run(case: Any) -> None:
        check(case)

    run()


def test_no_input_gets_a_server_error(fuzzed: tuple[Any, dict[str, str]]) -> None:
    """Whatever the fuzzer sends to any operation, with made-up or real path parameters, the
    answer is a 2xx, 3xx or 4xx."""
    app, names = fuzzed
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 40
    # deleting the finished run last, so every other route sees it
    operations.sort(key=lambda op: op.method.upper() == "DELETE")
    failures: list[str] = []
    calls: list[int] = []

    def call(case: Any, path_parameters: dict[str, str] | None) -> None:
        if path_parameters is not None:
            case.path_parameters = path_parameters
        if case.path == "/api/stream":  # bounded: the stream ends after max_seconds
            case.query = {**(case.query or {}), "max_seconds": 0.2}
        if case.path == "/api/runs/{run_id}/stream" and path_parameters is None:
            case.path_parameters = {"run_id": names["run_id"]}  # a finished run's stream ends
        response = case.call(headers=HEADER)
        calls.append(response.status_code)
        if response.status_code >= 500:
            failures.append(f"{case.method} {case.formatted_path} {case.query} {case.body!r:.200}"
                            f" -> {response.status_code}: {response.text[:300]}")

    for operation in operations:
        examples = FEW.get((operation.method.upper(), operation.path), EXAMPLES)
        fuzz(operation, examples, lambda case: call(case, None))
        real = real_path(operation.path, names)
        if real is not None:
            fuzz(operation, examples, lambda case, real=real: call(case, dict(real)))
    assert not failures, f"{len(failures)} server errors:\n" + "\n".join(failures[:20])
    assert len(calls) > 5 * len(operations)


NUL_REQUESTS = [
    ("GET", "/api/runs?job=a%00b", None), ("GET", "/api/runs?tag=a%00:b", None),
    ("GET", "/api/runs/a%00b", None), ("GET", "/api/assets/a%00b", None),
    ("GET", "/api/catalog?q=a%00b", None), ("GET", "/api/backfills/a%00b", None),
    ("GET", "/api/assets/orders/events?partition=a%00", None),
    ("POST", "/api/sensors/watcher/cursor", {"cursor": "a\x00b"}),
    ("POST", "/api/jobs/numbers/launch", {"run_config": {"ops": {"make": {"config": {"n": 1}}}},
                                          "tags": {"a": "b\x00"}}),
    ("POST", "/api/backfills", {"keys": ["p/parts"], "partition_keys": ["a\x00"]}),
]


def test_nul_characters_are_refused(fuzzed: tuple[Any, dict[str, str]]) -> None:
    """Text holding NUL (which PostgreSQL can neither store nor compare) in a path, a query
    or a body is a 400, on both storages; the fuzzer seldom generates one, so these are
    tried on purpose."""
    app, _ = fuzzed
    with TestClient(app) as client:
        for method, url, body in NUL_REQUESTS:
            answer = client.request(method, url, headers=HEADER, json=body)
            assert answer.status_code == 400, (method, url, answer.status_code, answer.text)
            assert "NUL" in answer.json()["detail"]
