"""What one evaluation of a schedule or sensor returns: `SkipReason`, `SensorResult`, requests
to add or delete dynamic partitions, and `TickEvaluation`, the one normalized shape the daemon,
the code server and direct invocation all read.

Imports `errors` and `definitions` (the run request, partitions) only.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from headwater.definitions.partitions.base import (
    AddDynamicPartitionsRequest,
    DeleteDynamicPartitionsRequest,
)
from headwater.definitions.run_request import RunRequest
from headwater.errors import HeadwaterInvalidDefinitionError, HeadwaterInvariantViolationError


@dataclass(frozen=True)
class SkipReason:
    """A schedule or sensor decided not to request runs this tick, and says why.

    Return it from the function; the message is shown on the tick in the UI.

    Args:
        skip_message: why the tick requested nothing.

    Example:
        ```python
        from headwater import SkipReason, build_sensor_context, sensor

        @sensor(job_name="ingest")
        def quiet(context):
            return SkipReason("nothing new upstream")

        assert quiet(build_sensor_context()).skip_message == "nothing new upstream"
        ```
    """

    skip_message: str | None = None


def _partition_request_json(request: Any) -> dict[str, Any]:
    kind = "add" if isinstance(request, AddDynamicPartitionsRequest) else "delete"
    return {"kind": kind, "partitions_def_name": request.partitions_def_name,
            "partition_keys": list(request.partition_keys)}


class SensorResult:
    """Everything a sensor returns from one evaluation.

    Use it when a tick does more than request runs: store a cursor, add or delete dynamic
    partitions, or report asset events. Run requests and a skip reason together raise
    HeadwaterInvariantViolationError; a cursor that is not a string raises
    HeadwaterInvalidDefinitionError.

    Args:
        run_requests: the runs to launch.
        skip_reason: why nothing is requested (a SkipReason or a string).
        cursor: the cursor to store for the next tick.
        dynamic_partitions_requests: AddDynamicPartitionsRequest / DeleteDynamicPartitionsRequest.
        asset_events: materializations or observations to record (of external assets).
        automation_condition_evaluations: evaluations recorded by automation sensors.

    Example:
        ```python
        from headwater import (AddDynamicPartitionsRequest, DynamicPartitionsDefinition, RunRequest,
                               SensorResult, asset, build_sensor_context, sensor)

        files = DynamicPartitionsDefinition(name="files")

        @asset(partitions_def=files)
        def parsed_file() -> int:
            return 0

        @sensor(target=[parsed_file])
        def file_sensor(context):
            new = ["a.csv", "b.csv"]
            return SensorResult(
                run_requests=[RunRequest(partition_key=f) for f in new],
                dynamic_partitions_requests=[files.build_add_request(new)],
                cursor="b.csv")

        result = file_sensor(build_sensor_context())
        assert result.cursor == "b.csv" and len(result.run_requests) == 2
        assert isinstance(result.dynamic_partitions_requests[0], AddDynamicPartitionsRequest)
        ```
    """

    def __init__(self, run_requests: Sequence[RunRequest] | None = None,
                 skip_reason: SkipReason | str | None = None, cursor: str | None = None,
                 dynamic_partitions_requests: Sequence[Any] | None = None,
                 asset_events: Sequence[Any] | None = None,
                 automation_condition_evaluations: Sequence[Any] | None = None):
        if skip_reason is not None and run_requests:
            raise HeadwaterInvariantViolationError(
                "SensorResult: expected only one of run_requests or skip_reason; a tick that "
                "requests runs is not skipped.")
        if cursor is not None and not isinstance(cursor, str):
            raise HeadwaterInvalidDefinitionError(
                f"SensorResult(cursor=...) must be a string, got {type(cursor).__name__}; "
                "serialize it (e.g. json.dumps).")
        self.run_requests = list(run_requests) if run_requests is not None else None
        self.skip_reason = SkipReason(skip_reason) if isinstance(skip_reason, str) else skip_reason
        self.cursor = cursor
        self.dynamic_partitions_requests = list(dynamic_partitions_requests or [])
        self.asset_events = list(asset_events or [])
        self.automation_condition_evaluations = automation_condition_evaluations

    def __repr__(self) -> str:
        return (f"SensorResult(run_requests={self.run_requests!r}, skip_reason="
                f"{self.skip_reason!r}, cursor={self.cursor!r})")


@dataclass(frozen=True)
class RunReaction:
    """A run a run status sensor evaluated its function for, and how that went."""

    headwater_run: Any
    run_status: Any = None
    error: Any = None


# what a sensor may report as having happened outside any run (by class name: the check
# evaluation lives in a room above this one)
_ASSET_EVENT_TYPES = frozenset({"AssetMaterialization", "AssetObservation", "AssetCheckEvaluation"})


@dataclass
class TickEvaluation:
    """The normalized outcome of evaluating a schedule or sensor once."""

    run_requests: list[RunRequest] = field(default_factory=list)
    skip_message: str | None = None
    cursor: str | None = None
    dynamic_partitions_requests: list[Any] = field(default_factory=list)
    asset_events: list[Any] = field(default_factory=list)
    log_key: Any = None
    # run-status sensors: the runs this evaluation reacted to (RunReaction)
    headwater_run_reactions: list[Any] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"run_requests": [r.to_json() for r in self.run_requests],
                "skip_message": self.skip_message, "cursor": self.cursor,
                "dynamic_partitions_requests": [_partition_request_json(r)
                                                for r in self.dynamic_partitions_requests]}


def _drain(generator: Any) -> list[Any]:
    """What a generator yielded, then what it returned (a function may yield run requests
    and return a SkipReason, or one more request)."""
    items: list[Any] = []
    while True:
        try:
            items.append(next(generator))
        except StopIteration as stop:
            if isinstance(stop.value, (list, tuple)):
                items.extend(stop.value)
            elif stop.value is not None:
                items.append(stop.value)
            return items


def normalize_result(result: Any, owner: str, cursor: str | None) -> TickEvaluation:
    """Turn whatever an evaluation function returned or yielded into a TickEvaluation."""
    if inspect.isgenerator(result):
        items = _drain(result)
    elif isinstance(result, (list, tuple)):
        items = list(result)
    elif result is None:
        items = []
    else:
        items = [result]
    out = TickEvaluation(cursor=cursor)
    for item in items:
        if isinstance(item, RunRequest):
            out.run_requests.append(item)
        elif isinstance(item, SkipReason):
            out.skip_message = item.skip_message
        elif isinstance(item, SensorResult):
            if len(items) > 1:
                raise HeadwaterInvariantViolationError(
                    f"{owner}: when a SensorResult is returned, nothing else may be returned or "
                    "yielded; put the run requests in SensorResult(run_requests=[...]).")
            out.run_requests.extend(item.run_requests or [])
            if item.skip_reason is not None:
                out.skip_message = item.skip_reason.skip_message
            if item.cursor is not None:
                out.cursor = item.cursor
            out.dynamic_partitions_requests.extend(item.dynamic_partitions_requests)
            for event in item.asset_events:
                if type(event).__name__ not in _ASSET_EVENT_TYPES:
                    raise HeadwaterInvariantViolationError(
                        f"{owner}: SensorResult(asset_events=[...]) got {type(event).__name__}; "
                        "it takes AssetMaterialization, AssetObservation and "
                        "AssetCheckEvaluation objects.")
            out.asset_events.extend(item.asset_events)
        elif isinstance(item, Mapping):  # a schedule returning run config
            out.run_requests.append(RunRequest(run_key=None, run_config=item))
        elif isinstance(item, (AddDynamicPartitionsRequest, DeleteDynamicPartitionsRequest)):
            out.dynamic_partitions_requests.append(item)
        else:
            raise HeadwaterInvariantViolationError(
                f"{owner}: the evaluation function returned {type(item).__name__}; return "
                "RunRequest(s), a SkipReason, a SensorResult or (schedules) a run config dict.")
    if not out.run_requests and out.skip_message is None and not items:
        out.skip_message = None
    return out
