"""A launchable run, stored: what the code server (or the CLI) writes before a worker starts.

Creating a run needs the user's job: its run config is checked and its steps planned now, so
a bad config is refused before any process is spawned, and the planned steps are what a later
re-execution from failure compares against. That is why it lives with the code and is served
by the code server (`calls.create_run`) rather than run by the webserver. The run carries its
code origin in a tag, so that a run worker (daemon/worker.py) can load the same job
(`reconstructable_job`).
Starting, queueing and canceling stored runs is `daemon.launcher`'s. Imports `code.location`,
`definitions`, `execution`, `storage`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from headwater.code.location import CodeLocationOrigin
from headwater.definitions.assets.job import subset_asset_job
from headwater.definitions.assets.selection import AssetSelection
from headwater.definitions.config.run_config import validate_run_config
from headwater.definitions.key import AssetCheckKey, to_asset_key, to_check_key
from headwater.definitions.tags import RUN_CHECK_SELECTION_TAG, RUN_ORIGIN_TAG
from headwater.errors import HeadwaterInvalidInvocationError, HeadwaterRunNotFoundError
from headwater.execution.partition import check_run_partition
from headwater.execution.plan import build_plan
from headwater.execution.reconstruct import ReconstructableJob
from headwater.execution.reexecution import ReexecutionOptions, reexecution_tags, select_steps
from headwater.storage.record import HeadwaterRun, HeadwaterRunStatus


def origin_tag(origin: CodeLocationOrigin) -> str:
    """The value of a run's RUN_ORIGIN_TAG: the origin as JSON, with absolute paths."""
    origin = origin.resolved()
    return json.dumps({k: v for k, v in (
        ("python_file", origin.python_file), ("module_name", origin.module_name),
        ("working_directory", origin.working_directory), ("attribute", origin.attribute),
        ("location_name", origin.location_name), ("code_server", origin.code_server)) if v})


def origin_of(run: HeadwaterRun) -> CodeLocationOrigin:
    """Where the code of a launched run lives (read back from its RUN_ORIGIN_TAG)."""
    raw = run.tags.get(RUN_ORIGIN_TAG)
    if not raw:
        raise HeadwaterInvalidInvocationError(
            f"Run {run.run_id} has no code origin (it was not launched with `headwater job "
            "launch`), so no worker can load its job. Re-execute it from the CLI with -f/-m."
        )
    return CodeLocationOrigin(**json.loads(raw))


def reconstructable_job(origin: CodeLocationOrigin, job_name: str,
                        asset_selection: Iterable[Any] | None = None,
                        asset_check_selection: Iterable[AssetCheckKey] | None = None
                        ) -> ReconstructableJob:
    """A job of the location (narrowed to `asset_selection`, and to exactly the checks of
    `asset_check_selection` when given) as executors and run workers load it: by origin, so
    that worker processes can import it too."""
    origin = origin.resolved()
    job = ReconstructableJob(job_name, origin.python_file, origin.module_name,
                             origin.working_directory, origin.attribute)
    return job.with_asset_selection(
        list(asset_selection or ()),
        list(asset_check_selection) if asset_check_selection is not None else None)


def run_check_selection(run: HeadwaterRun) -> list[AssetCheckKey] | None:
    """The asset checks a run was launched to evaluate (RunRequest(asset_check_keys=...)), or
    None when it evaluates the checks of its assets as usual."""
    raw = run.tags.get(RUN_CHECK_SELECTION_TAG)
    return None if raw is None else [AssetCheckKey.from_db_string(k) for k in json.loads(raw)]


def create_run(instance: Any, origin: CodeLocationOrigin, job_def: Any,
               run_config: Mapping[str, Any] | None = None, tags: Mapping[str, str] | None = None,
               asset_selection: Sequence[Any] | None = None,
               reexecution_options: ReexecutionOptions | None = None,
               asset_check_selection: Sequence[Any] | None = None) -> HeadwaterRun:
    """Store a run of `job_def` (not started) that a run worker can load from `origin`.

    `asset_check_selection` (AssetCheckKeys or "a/b:check" strings) makes the run evaluate
    exactly those checks besides `asset_selection`; with no assets it materializes nothing.
    A re-execution keeps its parent's check selection."""
    all_tags = {**{k: str(v) for k, v in (tags or {}).items()}, RUN_ORIGIN_TAG: origin_tag(origin)}
    checks = None if asset_check_selection is None else sorted(
        {to_check_key(k) for k in asset_check_selection})
    parent = None
    if reexecution_options is not None:
        parent = instance.get_run_by_id(reexecution_options.parent_run_id)
        if parent is None:
            raise HeadwaterRunNotFoundError(
                f"No run with id {reexecution_options.parent_run_id}: check `headwater run list`.")
        all_tags = {**reexecution_tags(parent, reexecution_options), **all_tags}
        if run_config is None:
            run_config = parent.run_config
        if checks is None:
            checks = run_check_selection(parent)
        if asset_selection is None and parent.asset_selection:
            asset_selection = sorted(parent.asset_selection)
    if checks is not None:
        all_tags[RUN_CHECK_SELECTION_TAG] = json.dumps([k.to_db_string() for k in checks])
        planned = subset_asset_job(job_def, AssetSelection.assets(
            *(to_asset_key(k) for k in asset_selection or ())) | AssetSelection.checks(*checks))
    else:
        planned = subset_asset_job(job_def, list(asset_selection)) if asset_selection else job_def
    # a partition the run cannot have is refused before the run exists (as every other
    # entry point refuses it: execution/partition.py)
    check_run_partition(planned, None, all_tags, instance)
    plan = build_plan(planned, None, validate_run_config(planned, dict(run_config or {})))
    steps = [s.key for s in plan.steps]
    if reexecution_options is not None and reexecution_options.step_selection is not None:
        chosen = select_steps(plan, reexecution_options.step_selection)
        # a mapped step re-executed copy by copy is recorded as its copies, name[key]
        steps = [c for k in steps for c in
                 ([k] if k in chosen else sorted(x for x in chosen if x.startswith(f"{k}[")))]
    job_tags = {k: str(v) for k, v in (job_def.tags if job_def.run_tags is None
                                       else job_def.run_tags).items()}
    return instance.add_run(HeadwaterRun(
        job_name=job_def.name, run_id=str(uuid.uuid4()), run_config=dict(run_config or {}),
        asset_selection=frozenset(to_asset_key(k) for k in asset_selection or ())
        if asset_selection or checks is not None else None,
        step_keys_to_execute=tuple(steps), status=HeadwaterRunStatus.NOT_STARTED,
        tags={**job_tags, **all_tags},
        parent_run_id=parent.run_id if parent else None,
        root_run_id=(parent.get_root_run_id() or parent.run_id) if parent else None,
    ))


def spawn_run_worker(run_id: str, instance_url: str, home: str,
                     cwd: str) -> subprocess.Popen[bytes]:
    """Start `python -m headwater.daemon.worker run-worker RUN_ID` as a new interpreter in
    its own session, in `cwd`, against the instance at `instance_url` with `home` as its
    instance home, its output appended to `home/logs/RUN_ID.log`. The caller waits on it."""
    logs = os.path.join(home, "logs")
    os.makedirs(logs, exist_ok=True)
    with open(os.path.join(logs, f"{run_id}.log"), "ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "headwater.daemon.worker", "run-worker", run_id,
             "--instance-url", instance_url, "--instance-home", home],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            cwd=cwd, start_new_session=True)
