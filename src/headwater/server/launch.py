"""Starting, canceling and re-executing runs from the API, through the run launcher.

The webserver never runs user code. To launch, it asks the location's code server to store
the run (its `create_run` call: `code.run.create_run` needs the job to check the config and
plan the steps), then submits it here (`daemon.launcher.submit_run`: queued, or started
at once in a run-worker subprocess). `RunLauncher` is that adapter; `create_app(launcher=None)`
makes a webserver that refuses to launch (503, and says so).

Partitions are settled here, before anything is stored: a partitioned job or asset launches
only with a partition (one run) or several (a backfill, which the daemon turns into runs as
the assets' backfill policy says); a selection that mixes partitioned and unpartitioned
assets becomes one run of the unpartitioned ones beside the partitioned run or backfill,
since a partition applied to an unpartitioned asset fails its run.
Imports `code`, `daemon`, `storage` and this package.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from typing import Any

from headwater.code.client import CodeServerError, CodeServerTimeoutError
from headwater.code.run import origin_tag
from headwater.daemon import backfill
from headwater.daemon import launcher as run_launcher
from headwater.daemon.run_launcher import run_launcher_of
from headwater.definitions.assets.job import IMPLICIT_JOB
from headwater.definitions.tags import (
    PARTITION_TAG,
    RANGE_END_TAG,
    RANGE_START_TAG,
    oversized_tag,
)
from headwater.errors import HeadwaterError
from headwater.server.state import ApiError, ServerState, query_with_dynamic
from headwater.storage.record import HeadwaterRunStatus


class RunLauncher:
    """Create a run in a location's code server and hand it to the run coordinator."""

    def launch(self, state: ServerState, location: str, **params: Any) -> str:
        """Store and submit a run; `params` as the code server's `create_run` takes them."""
        instance = state.instance
        try:
            ref = dataclasses.asdict(instance.get_ref())
            run_launcher_of(instance)  # a misconfigured run_launcher, before a run is stored
        except HeadwaterError as exc:
            raise ApiError(400, f"Cannot launch runs on this instance: {exc}") from exc
        try:
            run_id = state.workspace.client(location).call(
                "create_run", {"instance": ref, **params})
        except CodeServerTimeoutError:
            raise  # no answer in time: a 504 (app.py), not a refusal
        except CodeServerError as exc:
            raise ApiError(400, f"Code location {location!r} refused the run: "
                                f"{exc.error.get('message') or exc}") from exc
        run_launcher.submit_run(instance, run_id)
        return str(run_id)

    def cancel(self, state: ServerState, run_id: str) -> None:
        run_launcher.cancel_run(state.instance, run_id, "Cancel requested from the webserver.")


def _launcher(state: ServerState, doing: str) -> Any:
    if state.launcher is None:
        raise ApiError(503, f"Cannot {doing}: this webserver has no run launcher (it was "
                            "created with launcher=None).")
    return state.launcher


def check_tags(tags: Mapping[str, str]) -> None:
    """Refuse (400, naming the tag) a tag key or value over the size limit."""
    problem = oversized_tag(dict(tags))
    if problem is not None:
        raise ApiError(400, problem)


def _error(exc: Exception, doing: str) -> ApiError:
    return ApiError(400, f"Cannot {doing}: {exc}")


def launch_assets(state: ServerState, location: str, keys: Sequence[str],
                  partition_key: str | None) -> str:
    launcher = _launcher(state, "materialize assets")
    tags = {PARTITION_TAG: partition_key} if partition_key is not None else {}
    try:
        return launcher.launch(state, location, job_name=IMPLICIT_JOB, run_config={},
                               tags=tags, asset_selection=list(keys))
    except (HeadwaterError, ValueError, KeyError, LookupError) as exc:
        raise _error(exc, "materialize assets") from exc


def materialize(state: ServerState, location: str, assets: Mapping[str, Mapping[str, Any]],
                partition_key: str | None, partition_keys: Sequence[str] | None
                ) -> dict[str, Any]:
    """Launch what materializing `assets` ({key: snapshot entry}) takes: a run of the
    partitioned ones for `partition_key`, or a backfill of them over `partition_keys`, and a
    run of the unpartitioned ones. {"run_id", "run_ids", "backfill_id"}."""
    partitioned = [k for k, a in assets.items() if a.get("partitions")]
    plain = [k for k in assets if k not in partitioned]
    if partition_key is not None and partition_keys:
        raise ApiError(400, "Give partition_key (one partition, one run) or partition_keys "
                            "(several, a backfill), not both.")
    if not partitioned:
        if partition_key is not None or partition_keys:
            asked = repr(partition_key) if partition_key is not None else \
                ", ".join(repr(k) for k in partition_keys or ())
            raise ApiError(400, f"{_names(plain)} not partitioned, so it has no partition "
                                f"{asked}: materialize without partition_key or "
                                "partition_keys.")
        run_id = launch_assets(state, location, plain, None)
        return {"run_id": run_id, "run_ids": [run_id], "backfill_id": None}
    kinds = {json.dumps(assets[k]["partitions"], sort_keys=True) for k in partitioned}
    if len(kinds) > 1:
        described = "; ".join(f"{k}: {_describe(assets[k])}" for k in partitioned)
        raise ApiError(400, f"The selected assets have different partitions ({described}): "
                            "materialize the assets that share partitions in their own request.")
    if partition_key is None and not partition_keys:
        raise ApiError(422, f"{_names(partitioned)} partitioned ({_describe(assets[partitioned[0]])}"
                            "): say which partition to materialize (partition_key), or request "
                            "several as a backfill (partition_keys).")
    run_ids: list[str] = []
    backfill_id = None
    if partition_key is not None:
        check_partition(state, location, partition_key, {"asset": partitioned[0]},
                        f"Asset {partitioned[0]!r}")
        run_ids.append(launch_assets(state, location, partitioned, partition_key))
    else:
        backfill_id = request_backfill(state, location, list(partition_keys or ()),
                                       asset_keys=partitioned)
    if plain:
        run_ids.append(launch_assets(state, location, plain, None))
    return {"run_id": run_ids[0] if run_ids else None, "run_ids": run_ids,
            "backfill_id": backfill_id}


def _names(keys: Sequence[str]) -> str:
    quoted = ", ".join(repr(k) for k in keys)
    return f"Asset {quoted} is" if len(keys) == 1 else f"Assets {quoted} are"


def _describe(entry: Mapping[str, Any]) -> str:
    partitions = entry.get("partitions") or {}
    return f"{partitions.get('type')}: {partitions.get('description')}"


def check_partition(state: ServerState, location: str, key: str, owner: dict[str, str],
                    what: str) -> None:
    """Refuse (422) a partition key that `owner` ({"asset": k} or {"job": name}) lacks."""
    try:
        keys = query_with_dynamic(state, location, "partition_keys", owner).get("keys") or []
    except CodeServerTimeoutError:
        raise  # no answer in time: a 504 (app.py), not a refusal
    except CodeServerError as exc:
        raise ApiError(400, f"Cannot list the partitions of {what}: "
                            f"{exc.error.get('message') or exc}") from exc
    if key not in set(keys):
        span = f"its {len(keys)} partitions run from {keys[0]!r} to {keys[-1]!r}" if keys \
            else "it has no partitions yet"
        raise ApiError(422, f"{what} has no partition {key!r}; {span}.")


def job_partition_tags(state: ServerState, location: str, job: Mapping[str, Any],
                       partition_key: str | None, tags: Mapping[str, str]) -> dict[str, str]:
    """The tags a run of `job` launches with: its partition (from `partition_key` or the
    partition tag) is required when the job is partitioned, and refused when it is not."""
    name = job["name"]
    chosen = partition_key if partition_key is not None else tags.get(PARTITION_TAG)
    ranged = RANGE_START_TAG in tags and RANGE_END_TAG in tags
    if not job.get("partitions"):
        if partition_key is not None:
            raise ApiError(400, f"Job {name!r} is not partitioned: launch it without "
                                "partition_key.")
        return dict(tags)
    if chosen is None and not ranged:
        raise ApiError(422, f"Job {name!r} is partitioned ({_describe(job)}): say which "
                            "partition to run (partition_key, or the tag "
                            f"{PARTITION_TAG}); to run several, request a backfill "
                            "(POST /api/backfills with job_name and partition_keys).")
    if chosen is None:
        return dict(tags)
    check_partition(state, location, chosen, {"job": name}, f"Job {name!r}")
    return {**tags, PARTITION_TAG: chosen}


def request_backfill(state: ServerState, location: str, partition_keys: Sequence[str], *,
                     asset_keys: Sequence[str] | None = None, job_name: str | None = None,
                     tags: Mapping[str, str] | None = None) -> str:
    """Store a backfill of the assets (or of the job) over `partition_keys` for the daemon
    to launch, its runs tagged with `tags`; its id. Unknown partitions are a 400."""
    what = job_name if job_name is not None else list(asset_keys or ())
    try:
        spec: dict[str, Any] | None = dataclasses.asdict(state.instance.get_ref())
    except HeadwaterError:
        spec = None
    try:
        plan = state.workspace.client(location).call("plan_backfill", {
            "job_name": job_name, "asset_selection": list(asset_keys) if asset_keys else None,
            "partition_keys": list(partition_keys), "instance": spec})
    except CodeServerTimeoutError:
        raise  # no answer in time: a 504 (app.py), not a refusal
    except CodeServerError as exc:
        raise ApiError(400, f"Cannot backfill {what}: "
                            f"{exc.error.get('message') or exc}") from exc
    record = backfill.create_backfill(
        state.instance, origin_tag(state.workspace.origin(location)), plan,
        job_name=job_name, asset_selection=list(asset_keys) if asset_keys else None,
        tags=dict(tags or {}), requested_by="webserver")
    return str(record.backfill_id)


def launch_checks(state: ServerState, location: str, check_keys: Sequence[str],
                  partition_key: str | None) -> str:
    """A run of the location's asset job that evaluates the checks `check_keys` ("a/b:name")
    and materializes nothing."""
    launcher = _launcher(state, "run checks")
    tags = {PARTITION_TAG: partition_key} if partition_key is not None else {}
    try:
        return launcher.launch(state, location, job_name=IMPLICIT_JOB, run_config={},
                               tags=tags, asset_check_selection=list(check_keys))
    except (HeadwaterError, ValueError, KeyError, LookupError) as exc:
        raise _error(exc, f"run checks {', '.join(check_keys)}") from exc


def launch_job(state: ServerState, location: str, job_name: str,
               run_config: Mapping[str, Any], tags: Mapping[str, str]) -> str:
    launcher = _launcher(state, f"launch job {job_name!r}")
    try:
        return launcher.launch(state, location, job_name=job_name,
                               run_config=dict(run_config), tags=dict(tags))
    except (HeadwaterError, ValueError, KeyError, LookupError) as exc:
        raise _error(exc, f"launch job {job_name!r}") from exc


def cancel(state: ServerState, run_id: str) -> dict[str, Any]:
    """Cancel a run: a run no worker picked up yet is marked canceled here."""
    record = state.instance.get_run_record_by_id(run_id)
    if record is None:
        raise ApiError(404, f"No run {run_id!r}.")
    run = record.headwater_run
    if not run.is_cancelable:
        raise ApiError(409, f"Run {run_id} is {run.status.value} and cannot be canceled.")
    if run.status in (HeadwaterRunStatus.QUEUED, HeadwaterRunStatus.NOT_STARTED):
        state.instance.report_run_canceled(run, "Canceled from the webserver before it started.")
        return {"run_id": run_id, "status": "CANCELED"}
    launcher = _launcher(state, f"cancel run {run_id}")
    launcher.cancel(state, run_id)
    current = state.instance.get_run_by_id(run_id)
    return {"run_id": run_id, "status": current.status.value if current else "CANCELED"}


def reexecute(state: ServerState, run_id: str, strategy: str,
              step_keys: Sequence[str] | None) -> str:
    record = state.instance.get_run_record_by_id(run_id)
    if record is None:
        raise ApiError(404, f"No run {run_id!r}.")
    run = record.headwater_run
    if not run.is_finished:
        raise ApiError(409, f"Run {run_id} is {run.status.value}: re-execute it once it "
                            "has finished (or cancel it first).")
    if strategy == "from_failure" and not run.is_failure_or_canceled:
        raise ApiError(409, f"Run {run_id} did not fail ({run.status.value}): re-execute "
                            "'all' or 'selected' steps instead of 'from_failure'.")
    if strategy == "selected" and not step_keys:
        raise ApiError(400, "strategy 'selected' needs step_keys: the steps to run again.")
    location = _location_of_job(state, run.job_name, run)
    launcher = _launcher(state, f"re-execute run {run_id}")
    try:
        return launcher.launch(state, location, job_name=run.job_name, run_config=None,
                               parent_run_id=run_id, strategy=strategy,
                               step_keys=list(step_keys or []) or None)
    except (HeadwaterError, ValueError, KeyError, LookupError) as exc:
        raise _error(exc, f"re-execute run {run_id}") from exc


def _location_of_job(state: ServerState, job_name: str, run: Any) -> str:
    index = state.workspace.index
    if job_name in index.jobs:
        return index.jobs[job_name][0]
    for key in run.asset_selection or ():
        found = index.assets.get(key.to_user_string())
        if found is not None:
            return found[0]
    names = state.workspace.names
    if len(names) == 1:
        return names[0]
    raise ApiError(409, f"Job {job_name!r} of this run is in no loaded code location; reload "
                        "the location that defines it.")
