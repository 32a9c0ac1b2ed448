"""The webserver's kept asset statuses (server/assets/status.py): updated from the events and
runs added since, they must equal a full rebuild after any mix of materializations, failures,
check results, observations, queued and canceled runs, deleted runs and wipes."""

from __future__ import annotations

import importlib.util
import json
import random
import uuid
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi")

from fastapi.testclient import TestClient  # noqa: E402

from headwater import (  # noqa: E402
    AssetCheckResult,
    AssetKey,
    AssetMaterialization,
    AssetObservation,
    materialize,
    observe,
)
from headwater.code.location import CodeLocationOrigin  # noqa: E402
from headwater.definitions.checks.result import AssetCheckEvaluationPlanned  # noqa: E402
from headwater.definitions.tags import PARTITION_TAG  # noqa: E402
from headwater.execution.event import HeadwaterEvent, HeadwaterEventType  # noqa: E402
from headwater.server import create_app  # noqa: E402
from headwater.server.assets.status import AssetStatuses, View  # noqa: E402
from headwater.storage.instance import HeadwaterInstance  # noqa: E402
from headwater.storage.record import HeadwaterRun, HeadwaterRunStatus  # noqa: E402

PROJECT = Path(__file__).resolve().parents[1] / "fixtures" / "status_project.py"
_ET = HeadwaterEventType
KEYS = ["raw", "clean", "report", "daily_summary", "daily", "daily_child"]


def _project() -> Any:
    spec = importlib.util.spec_from_file_location("status_project_in_test", PROJECT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def setup(tmp_path: Path) -> Any:
    home = tmp_path / "home"
    home.mkdir()
    instance = HeadwaterInstance.from_url(f"sqlite:///{home}/headwater.db", str(home))
    app = create_app(instance, [CodeLocationOrigin(python_file=str(PROJECT))])
    yield instance, app.state.headwater, _project()
    app.state.headwater.workspace.shutdown()
    instance.dispose()


def _same(kept: View, rebuilt: View, step: str) -> None:
    assert kept.statuses == rebuilt.statuses, step
    assert kept.rows == rebuilt.rows, step
    assert kept.facets == rebuilt.facets, step
    assert kept.summaries == rebuilt.summaries, step
    assert kept.items == rebuilt.items, step
    assert kept.assets_body() == rebuilt.assets_body(), step


def _run(project: Any, instance: Any, rng: random.Random) -> str:
    """A run in this process: some assets fail, the check passes or fails."""
    behaviour = project.BEHAVIOUR
    behaviour["fail"] = {k for k in KEYS if rng.random() < 0.2}
    behaviour["check_passes"] = rng.random() < 0.5
    if rng.random() < 0.4:
        chosen = rng.sample(project.PARTITIONED, rng.randint(1, 2))
        materialize(project.PARTITIONED + [project.raw], instance=instance,
                    selection=[a.key for a in chosen], raise_on_error=False,
                    partition_key=rng.choice(["a", "b", "c"]))
        return f"partitioned run of {[a.key.to_user_string() for a in chosen]}"
    chosen = rng.sample(project.UNPARTITIONED, rng.randint(1, 3))
    materialize([*project.UNPARTITIONED, project.daily, project.clean_is_clean],
                instance=instance, selection=[a.key for a in chosen], raise_on_error=False)
    return f"run of {[a.key.to_user_string() for a in chosen]}, fail {behaviour['fail']}"


def _step(project: Any, instance: Any, rng: random.Random, queued: list[HeadwaterRun]) -> str:
    choice = rng.random()
    if choice < 0.35:
        return _run(project, instance, rng)
    if choice < 0.5:
        key = rng.choice(KEYS)
        partition = rng.choice(["a", "b", "c"]) if key.startswith("daily") and \
            key != "daily_summary" else None
        instance.report_runless_asset_event(AssetMaterialization(key, partition=partition))
        return f"runless materialization of {key} {partition}"
    if choice < 0.6:
        project.BEHAVIOUR["feed_version"] = str(rng.randint(1, 3))
        if rng.random() < 0.5:
            observe([project.feed], instance=instance)
        else:
            instance.report_runless_asset_event(AssetObservation(
                "feed", tags={"headwater/data_version": project.BEHAVIOUR["feed_version"]}))
        return f"observation of feed, version {project.BEHAVIOUR['feed_version']}"
    if choice < 0.7:
        passed = rng.random() < 0.5
        instance.report_runless_asset_event(AssetCheckResult(
            passed=passed, asset_key=AssetKey("clean"), check_name="clean_is_clean"))
        return f"runless check result, passed={passed}"
    if choice < 0.8 or not queued:
        return _queue(instance, rng, queued)
    run = queued.pop(rng.randrange(len(queued)))
    if rng.random() < 0.5:
        instance.report_run_failed(run)
        return "a queued run failed"
    instance.report_run_canceled(run)
    return "a queued run canceled"


def _queue(instance: Any, rng: random.Random, queued: list[HeadwaterRun]) -> str:
    """A run created but not run here: queued, or started with a partition in progress or a
    check planned, so that its end (a later step) closes what an earlier look saw open."""
    partition = rng.choice(["a", "b", "c"]) if rng.random() < 0.4 else None
    keys = frozenset({AssetKey("daily")} if partition else
                     {AssetKey(k) for k in rng.sample(KEYS, 2)} | {AssetKey("clean")})
    run = instance.add_run(HeadwaterRun(
        job_name="__ASSET_JOB", run_id=str(uuid.uuid4()), asset_selection=keys,
        status=HeadwaterRunStatus.QUEUED, tags={PARTITION_TAG: partition} if partition else {}))
    queued.append(run)
    if rng.random() < 0.6:
        instance.store_event(HeadwaterEvent(_ET.RUN_START, run.run_id, run.job_name))
        if partition is None:
            instance.store_event(HeadwaterEvent(
                _ET.ASSET_CHECK_EVALUATION_PLANNED, run.run_id, run.job_name,
                asset_key=AssetKey("clean"),
                payload=AssetCheckEvaluationPlanned(AssetKey("clean"), "clean_is_clean")))
        return f"started run over {sorted(k.to_user_string() for k in keys)} {partition}"
    return f"queued run over {sorted(k.to_user_string() for k in keys)} {partition}"


def test_updates_equal_a_full_rebuild(setup: Any) -> None:
    """After each of many random changes, the kept statuses equal a full rebuild, and they
    were updated (not rebuilt) each time."""
    instance, state, project = setup
    kept = AssetStatuses()
    _same(kept.current(state), AssetStatuses().build(state), "start")
    rng = random.Random(15)
    queued: list[HeadwaterRun] = []
    seen: set[str] = set()  # what the random steps reached, so that the test covers it
    for i in range(80):
        step = f"step {i}: {_step(project, instance, rng, queued)}"
        view = kept.current(state)
        _same(view, AssetStatuses().build(state), step)
        seen |= {s["status"] for s in view.statuses.values()}
        seen |= {f"check {b}" for s in view.summaries.values() for b, n in s.items() if n}
        seen |= {f"partition {h}" for r in view.rows if r["partitions"]
                 for h in ("failed", "in_progress") if r["partitions"][h]}
    assert kept.full_builds == 1
    assert seen >= {"never", "in_progress", "failed", "stale", "materialized", "check passed",
                    "check failed", "check in_progress", "partition failed",
                    "partition in_progress"}


def test_deleted_runs_and_wipes_rebuild(setup: Any) -> None:
    """What the event log cannot tell (a deleted run, a wiped asset or partition) makes the
    next look a full rebuild, equal to a fresh one."""
    instance, state, project = setup
    kept = AssetStatuses()
    rng = random.Random(7)
    for _ in range(6):
        _run(project, instance, rng)
    kept.current(state)
    builds = kept.full_builds
    run_id = instance.get_run_records(limit=1)[0].headwater_run.run_id
    instance.delete_run(run_id)
    _same(kept.current(state), AssetStatuses().build(state), "deleted run")
    instance.wipe_assets([AssetKey("clean")])
    _same(kept.current(state), AssetStatuses().build(state), "wiped asset")
    instance.wipe_asset_partitions(AssetKey("daily"), ["a"])
    _same(kept.current(state), AssetStatuses().build(state), "wiped partition")
    assert kept.full_builds == builds + 3


def test_routes_show_updates(tmp_path: Path) -> None:
    """The asset list, the catalog and an asset's page show a materialization made after
    the statuses were built (at startup, in the background)."""
    home = tmp_path / "home"
    home.mkdir()
    instance = HeadwaterInstance.from_url(f"sqlite:///{home}/headwater.db", str(home))
    app = create_app(instance, [CodeLocationOrigin(python_file=str(PROJECT))])
    try:
        with TestClient(app, base_url="http://127.0.0.1", headers={"X-Headwater-Request": "1"}) as client:
            before = json.loads(client.get("/api/assets").content)["items"]
            assert {i["key"]: i["status"] for i in before}["raw"] == "never"
            instance.report_runless_asset_event(AssetMaterialization("raw"))
            after = {i["key"]: i for i in client.get("/api/assets").json()["items"]}
            # Reported without its code version: stale.
            assert after["raw"]["status"] == "stale" and after["raw"]["latest"] is not None
            assert [c["kind"] for c in after["raw"]["stale_causes"]] == ["code_version_changed"]
            catalog = client.get("/api/catalog?status=stale").json()
            assert [r["key"] for r in catalog["items"]] == ["raw"]
            assert client.get("/api/assets/raw").json()["status"] == "stale"
            failed = client.get("/api/assets?checks=not_run").json()["items"]
            assert [i["key"] for i in failed] == ["clean"]
            zipped = client.get("/api/assets")
            plain = client.get("/api/assets", headers={"Accept-Encoding": "identity"})
            assert zipped.headers["content-encoding"] == "gzip"
            assert "content-encoding" not in plain.headers
            assert zipped.json() == plain.json() and len(plain.json()["items"]) == 7
    finally:
        instance.dispose()
