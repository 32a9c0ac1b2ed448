"""What schedules and sensors return: `RunRequest`, `SkipReason`, `SensorResult`, requests to
add or delete dynamic partitions, and `TickEvaluation`, the normalized outcome of one tick.

Also the pieces schedules and sensors share: calling an evaluation function with a context
and resources (`invoke_evaluation_fn`), and owner validation. Imports `errors` and
`definitions` only.
"""

from __future__ import annotations

import inspect
import json
import re
import sys
import typing
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from headwater.definitions.key import AssetKey, to_asset_key
from headwater.definitions.partitions import (
    AddDynamicPartitionsRequest,
    DeleteDynamicPartitionsRequest,
)
from headwater.definitions.resource import ResourceDefinition, ResourceParam
from headwater.errors import (
    HeadwaterInvalidDefinitionError,
    HeadwaterInvalidInvocationError,
    HeadwaterInvariantViolationError,
)

PARTITION_TAG = "headwater/partition"
RUN_KEY_TAG = "headwater/run_key"
SENSOR_NAME_TAG = "headwater/sensor_name"
SCHEDULE_NAME_TAG = "headwater/schedule_name"
TICK_ID_TAG = "headwater/tick"
BACKFILL_ID_TAG = "headwater/backfill"


def _run_config_dict(run_config: Any) -> dict[str, Any]:
    if run_config is None:
        return {}
    to_dict = getattr(run_config, "to_config_dict", None)
    if callable(to_dict):
        return dict(to_dict())
    if not isinstance(run_config, Mapping):
        raise HeadwaterInvalidDefinitionError(
            f"RunRequest(run_config=...) must be a dict or a RunConfig, got {type(run_config).__name__}."
        )
    return dict(run_config)


class RunRequest:
    """A request, from a schedule or sensor, to launch one run.

    `run_key` makes it idempotent: a sensor or schedule launches at most one run per key, ever.
    """

    __slots__ = ("run_key", "run_config", "tags", "job_name", "asset_selection",
                 "asset_check_keys", "partition_key", "stale_assets_only")

    def __init__(self, run_key: str | None = None, run_config: Any = None,
                 tags: Mapping[str, Any] | None = None, job_name: str | None = None,
                 asset_selection: Sequence[Any] | None = None, stale_assets_only: bool = False,
                 partition_key: str | None = None, asset_check_keys: Sequence[Any] | None = None):
        if run_key is not None and not isinstance(run_key, str):
            raise HeadwaterInvalidDefinitionError(
                f"RunRequest(run_key={run_key!r}): a run key must be a string (e.g. a file name "
                "or a timestamp); use str(...).")
        self.run_key = run_key
        self.run_config = _run_config_dict(run_config)
        self.tags = {str(k): v if isinstance(v, str) else json.dumps(v)
                     for k, v in (tags or {}).items()}
        if partition_key is not None:
            self.tags.setdefault(PARTITION_TAG, partition_key)
        self.job_name = job_name
        self.asset_selection = ([to_asset_key(k) for k in asset_selection]
                                if asset_selection is not None else None)
        self.asset_check_keys = list(asset_check_keys) if asset_check_keys is not None else None
        self.partition_key = partition_key
        self.stale_assets_only = stale_assets_only

    def with_replaced_attrs(self, **changes: Any) -> RunRequest:
        values = {name: getattr(self, name) for name in self.__slots__}
        values.update(changes)
        return RunRequest(**values)

    def with_resolved_tags_and_config(self, target_definition: Any, current_time: Any = None,
                                      dynamic_partitions_store: Any = None,
                                      dynamic_partitions_requests: Any = None) -> RunRequest:
        return resolve_partition_request(self, target_definition)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RunRequest) and all(
            getattr(self, n) == getattr(other, n) for n in self.__slots__)

    def __hash__(self) -> int:
        return hash((self.run_key, self.job_name, self.partition_key))

    def __repr__(self) -> str:
        parts = [f"{n}={getattr(self, n)!r}" for n in self.__slots__
                 if getattr(self, n) not in (None, {}, False)]
        return f"RunRequest({', '.join(parts)})"

    def to_json(self) -> dict[str, Any]:
        return {"run_key": self.run_key, "run_config": self.run_config, "tags": dict(self.tags),
                "job_name": self.job_name, "partition_key": self.partition_key,
                "asset_selection": [k.to_user_string() for k in self.asset_selection]
                if self.asset_selection is not None else None}

    @staticmethod
    def from_json(data: Mapping[str, Any]) -> RunRequest:
        keys = data.get("asset_selection")
        return RunRequest(run_key=data.get("run_key"), run_config=data.get("run_config"),
                          tags=data.get("tags"), job_name=data.get("job_name"),
                          partition_key=data.get("partition_key"),
                          asset_selection=[AssetKey.from_user_string(k) for k in keys]
                          if keys is not None else None)


def run_request_for_partition(job: Any, partition_key: str, run_key: str | None = None,
                              tags: Mapping[str, Any] | None = None,
                              asset_selection: Sequence[Any] | None = None,
                              run_config: Any = None, **_ignored: Any) -> RunRequest:
    """`job.run_request_for_partition(...)`: a RunRequest of one partition of a partitioned job."""
    partitions_def = getattr(job, "partitions_def", None)
    if partitions_def is None:
        raise HeadwaterInvalidDefinitionError(
            f"job '{job.name}' is not partitioned, so it has no partition {partition_key!r}; "
            "pass partitions_def= to the job (or its assets).")
    tags_for = getattr(partitions_def, "get_tags_for_partition_key", None)
    partition_tags = dict(tags_for(partition_key) or {}) if callable(tags_for) else {}
    return RunRequest(run_key=run_key, run_config=run_config,
                      tags={**partition_tags, **dict(tags or {})}, job_name=job.name,
                      asset_selection=asset_selection, partition_key=partition_key)


def resolve_partition_request(request: RunRequest, job_def: Any) -> RunRequest:
    """Add the partition's run config and tags from the job's partitioned config, if any."""
    if request.partition_key is None or job_def is None:
        return request
    partitioned = getattr(job_def, "partitioned_config", None)
    config = dict(request.run_config)
    tags = dict(request.tags)
    if partitioned is not None and not config:
        config_for = getattr(partitioned, "get_run_config_for_partition_key", None)
        if callable(config_for):
            config = dict(config_for(request.partition_key) or {})
        tags_for = getattr(partitioned, "get_tags_for_partition_key", None)
        if callable(tags_for):
            tags = {**dict(tags_for(request.partition_key) or {}), **tags}
    return request.with_replaced_attrs(run_config=config, tags=tags)


@dataclass(frozen=True)
class SkipReason:
    """A schedule or sensor decided not to request runs this tick, and says why."""

    skip_message: str | None = None


def _partition_request_json(request: Any) -> dict[str, Any]:
    kind = "add" if isinstance(request, AddDynamicPartitionsRequest) else "delete"
    return {"kind": kind, "partitions_def_name": request.partitions_def_name,
            "partition_keys": list(request.partition_keys)}


class SensorResult:
    """Everything a sensor returns from one evaluation."""

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


@dataclass
class TickEvaluation:
    """The normalized outcome of evaluating a schedule or sensor once."""

    run_requests: list[RunRequest] = field(default_factory=list)
    skip_message: str | None = None
    cursor: str | None = None
    dynamic_partitions_requests: list[Any] = field(default_factory=list)
    asset_events: list[Any] = field(default_factory=list)
    log_key: Any = None

    def to_json(self) -> dict[str, Any]:
        return {"run_requests": [r.to_json() for r in self.run_requests],
                "skip_message": self.skip_message, "cursor": self.cursor,
                "dynamic_partitions_requests": [_partition_request_json(r)
                                                for r in self.dynamic_partitions_requests]}


def normalize_result(result: Any, owner: str, cursor: str | None) -> TickEvaluation:
    """Turn whatever an evaluation function returned or yielded into a TickEvaluation."""
    if inspect.isgenerator(result) or isinstance(result, (list, tuple)):
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


# --- calling an evaluation function --------------------------------------------------------
def _is_resource_param(annotation: Any) -> bool:
    if typing.get_origin(annotation) is typing.Annotated and any(
            m is ResourceParam for m in annotation.__metadata__):
        return True
    # configurable.py loads pydantic; until something imported it, no annotation can name a
    # ConfigurableResource, so `import headwater` stays light.
    configurable = sys.modules.get("headwater.definitions.configurable")
    if configurable is None:
        return isinstance(annotation, type) and issubclass(annotation, ResourceDefinition)
    try:
        return bool(configurable._is_resource_annotation(annotation))
    except Exception:
        return False


@dataclass(frozen=True)
class EvaluationSignature:
    """Which parameter of an evaluation function takes the context, which take resources."""

    context_param: str | None
    resource_params: tuple[str, ...]


def inspect_evaluation_fn(fn: Callable[..., Any]) -> EvaluationSignature:
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return EvaluationSignature("context", ())
    try:
        hints = typing.get_type_hints(fn, include_extras=True)
    except Exception:
        hints = {}
    if not hints and not inspect.isfunction(fn) and callable(fn):
        try:
            hints = typing.get_type_hints(type(fn).__call__, include_extras=True)
        except Exception:
            hints = {}
    context_param = None
    resources = []
    for param in params:
        if param.kind in (inspect.Parameter.VAR_KEYWORD, inspect.Parameter.VAR_POSITIONAL):
            continue
        annotation = hints.get(param.name, param.annotation)
        if param.name != "context" and _is_resource_param(annotation):
            resources.append(param.name)
        elif context_param is None:
            context_param = param.name
    return EvaluationSignature(context_param, tuple(resources))


def invoke_evaluation_fn(kind: str, name: str, fn: Callable[..., Any], sig: EvaluationSignature,
                         args: tuple[Any, ...], kwargs: Mapping[str, Any],
                         build_context: Callable[[], Any]) -> tuple[Any, Any]:
    """Direct invocation: work out the context and resources from args/kwargs, call `fn`,
    return (result, context). `kind` is 'sensor' or 'schedule'."""
    title = kind.capitalize()
    kwargs = dict(kwargs)
    resource_kwargs = {k: kwargs.pop(k) for k in list(kwargs) if k in sig.resource_params}
    if len(args) > 1 or (args and kwargs):
        if args and sig.resource_params and not kwargs:
            raise HeadwaterInvalidInvocationError(
                f"If directly invoking a {kind}, you may not provide resources as positional "
                "arguments, only as keyword arguments.")
        raise HeadwaterInvalidInvocationError(
            f"{title} invocation received multiple non-resource arguments. Only a first positional"
            " context parameter should be provided when invoking.")
    context: Any = None
    if args:
        context = args[0]
        if context is not None and not hasattr(context, "_resources_for"):
            if sig.resource_params:
                raise HeadwaterInvalidInvocationError(
                    f"If directly invoking a {kind}, you may not provide resources as positional "
                    "arguments, only as keyword arguments.")
            raise HeadwaterInvalidInvocationError(
                f"{title} invocation: the context argument must be built with build_{kind}_"
                f"context(...), got {type(context).__name__}.")
    elif kwargs:
        key, value = next(iter(kwargs.items()))
        if len(kwargs) > 1 or (sig.context_param is not None and key != sig.context_param
                               and key != "context"):
            raise HeadwaterInvalidInvocationError(
                f"{title} invocation expected argument '{sig.context_param}'.")
        if sig.context_param is None and key != "context":
            raise HeadwaterInvalidInvocationError(
                f"{title} invocation got argument '{key}', but its function takes no context.")
        context = value
    elif sig.context_param is not None and not sig.resource_params and not resource_kwargs:
        raise HeadwaterInvalidInvocationError(
            f"{title} evaluation function expected context argument, but no context argument "
            "was provided when invoking.")
    if context is None:
        context = build_context()
    call_kwargs = {}
    if sig.resource_params:
        available = context._resources_for(sig.resource_params, resource_kwargs)
        for key in sig.resource_params:
            if key not in available:
                raise HeadwaterInvalidDefinitionError(
                    f"Resource with key '{key}' required by {kind} '{name}' was not provided. "
                    f"Pass it with build_{kind}_context(resources={{'{key}': ...}}) or as "
                    f"{key}=... when invoking.")
            call_kwargs[key] = available[key]
    if sig.context_param is not None:
        call_kwargs[sig.context_param] = context
    return fn(**call_kwargs), context


_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def validate_owners(owner: str, owners: Iterable[str] | None) -> list[str]:
    """Owners are user emails or team names prefixed with 'team:'."""
    for value in owners or ():
        if value.startswith("team:"):
            if not value[5:].strip():
                raise HeadwaterInvalidDefinitionError(
                    f"{owner}: owner {value!r} is invalid. Team name cannot be empty after "
                    "'team:' prefix; write e.g. 'team:data-eng'.")
        elif not _EMAIL.fullmatch(value):
            raise HeadwaterInvalidDefinitionError(
                f"{owner}: invalid owner {value!r}. Owner must be an email address or a team name "
                "prefixed with 'team:' (e.g. 'user@example.com' or 'team:data-eng').")
    return list(owners or ())
