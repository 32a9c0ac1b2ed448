"""Work the webserver asks a code server to do with the user's job: create a run.

Storing a launchable run needs the job itself (`daemon.launcher.create_run` validates the run
config and plans the steps), and only the code server holds it. The webserver calls
`CodeServerClient.call("headwater.server.code_calls:create_run", {...})`; this function runs
in the code server process, opens the instance from its URL (kept open for later calls) and
returns the new run's id. The webserver then submits the run. No FastAPI here: this module
is imported by the code server. Imports `code`, `daemon`, `execution`, `storage`.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from typing import Any

from headwater.code.location import CodeLocationOrigin
from headwater.daemon import launcher
from headwater.definitions.key import AssetKey
from headwater.execution.reexecution import ReexecutionOptions
from headwater.storage.instance import HeadwaterInstance

_INSTANCES: dict[tuple[str, str | None], HeadwaterInstance] = {}
_LOCK = threading.Lock()


def _instance(url: str, home: str | None, settings: Mapping[str, Any] | None) -> HeadwaterInstance:
    with _LOCK:
        key = (url, home)
        if key not in _INSTANCES:
            _INSTANCES[key] = HeadwaterInstance.from_url(url, home, settings)
        return _INSTANCES[key]


def create_run(defs: Any, *, instance_url: str, instance_home: str | None = None,
               settings: Mapping[str, Any] | None = None, origin: Mapping[str, Any],
               job_name: str, run_config: Mapping[str, Any] | None = None,
               tags: Mapping[str, str] | None = None,
               asset_selection: Sequence[str] | None = None,
               parent_run_id: str | None = None, strategy: str = "all",
               step_keys: Sequence[str] | None = None) -> str:
    """Store a NOT_STARTED run of `job_name` (or a re-execution of `parent_run_id`)."""
    instance = _instance(instance_url, instance_home, settings)
    options = None
    if parent_run_id is not None:
        if strategy == "from_failure":
            options = ReexecutionOptions.from_failure(parent_run_id, instance)
        else:
            options = ReexecutionOptions(parent_run_id, list(step_keys)
                                         if strategy == "selected" and step_keys else None)
    job_def = defs.resolve_job_def(job_name)
    keys = [AssetKey.from_user_string(k) for k in asset_selection] if asset_selection else None
    run = launcher.create_run(instance, CodeLocationOrigin(**origin), job_def,
                              dict(run_config) if run_config is not None else None,
                              dict(tags or {}), asset_selection=keys,
                              reexecution_options=options)
    return run.run_id
