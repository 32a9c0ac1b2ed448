"""The events a run emits, their JSON codec, and the instance that records them.

Every event is one frozen `HeadwaterEvent` row (run, time, type, step, asset, partition)
with a typed payload dataclass; the codec turns it into JSON and back, keyed by the
payload's type name. `RunInstance` says what the engine needs from the instance a run is
recorded in; `storage/instance.py` provides it, and a run given no instance gets an
ephemeral one from `ephemeral_instance()`. Imports `headwater.definitions` only (the
storage layer is loaded by name, once, in `ephemeral_instance`).
"""

from __future__ import annotations

import dataclasses
import importlib
import json
import time
import traceback
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Protocol

from headwater.definitions.checks.result import (
    AssetCheckEvaluation,
    AssetCheckEvaluationPlanned,
    AssetCheckEvaluationTargetMaterializationData,
)
from headwater.definitions.key import AssetKey
from headwater.definitions.metadata.codec import metadata_from_jsonable, metadata_to_jsonable
from headwater.definitions.ops.output import (
    AssetMaterialization,
    AssetObservation,
    ExpectationResult,
)
from headwater.errors import HeadwaterInvariantViolationError


def with_logged_metadata(item: AssetMaterialization, logged: Mapping[str, Any],
                         where: str) -> AssetMaterialization:
    """A materialization an IO manager yielded, carrying the metadata it logged as it stored
    the output (`where`); one that brings its own metadata must be the only source of it."""
    if item.metadata:
        raise HeadwaterInvariantViolationError(
            f"The IO manager handling {where} yielded a materialization with metadata and also "
            "logged metadata (context.add_output_metadata or a yielded dict) in the same "
            "handle_output call; give the metadata in one of the two places.")
    return AssetMaterialization(item.asset_key, item.description, dict(logged), item.partition,
                                item.tags)


class HeadwaterEventType(str, Enum):
    """The kinds of event a run records, with the names (and stored values) Dagster uses.

    RUN_* events move a run's status; STEP_* events follow each step (start, output,
    success, failure, retry, skip); ASSET_MATERIALIZATION, ASSET_OBSERVATION and
    ASSET_CHECK_EVALUATION record what happened to assets. Filter events by these, as in
    `EventRecordsFilter(event_type=HeadwaterEventType.ASSET_MATERIALIZATION)`."""

    RUN_ENQUEUED = "PIPELINE_ENQUEUED"
    RUN_STARTING = "PIPELINE_STARTING"
    RUN_START = "PIPELINE_START"
    RUN_SUCCESS = "PIPELINE_SUCCESS"
    RUN_FAILURE = "PIPELINE_FAILURE"
    RUN_CANCELING = "PIPELINE_CANCELING"
    RUN_CANCELED = "PIPELINE_CANCELED"
    STEP_START = "STEP_START"
    STEP_SUCCESS = "STEP_SUCCESS"
    STEP_FAILURE = "STEP_FAILURE"
    STEP_SKIPPED = "STEP_SKIPPED"
    STEP_UP_FOR_RETRY = "STEP_UP_FOR_RETRY"
    STEP_RESTARTED = "STEP_RESTARTED"
    STEP_OUTPUT = "STEP_OUTPUT"
    STEP_INPUT = "STEP_INPUT"
    STEP_EXPECTATION_RESULT = "STEP_EXPECTATION_RESULT"
    STEP_WORKER_STARTING = "STEP_WORKER_STARTING"
    STEP_WORKER_STARTED = "STEP_WORKER_STARTED"
    HANDLED_OUTPUT = "HANDLED_OUTPUT"
    LOADED_INPUT = "LOADED_INPUT"
    ASSET_MATERIALIZATION = "ASSET_MATERIALIZATION"
    ASSET_MATERIALIZATION_PLANNED = "ASSET_MATERIALIZATION_PLANNED"
    ASSET_OBSERVATION = "ASSET_OBSERVATION"
    ASSET_CHECK_EVALUATION = "ASSET_CHECK_EVALUATION"
    ASSET_CHECK_EVALUATION_PLANNED = "ASSET_CHECK_EVALUATION_PLANNED"
    RESOURCE_INIT_STARTED = "RESOURCE_INIT_STARTED"
    RESOURCE_INIT_SUCCESS = "RESOURCE_INIT_SUCCESS"
    RESOURCE_INIT_FAILURE = "RESOURCE_INIT_FAILURE"
    ENGINE_EVENT = "ENGINE_EVENT"
    HOOK_COMPLETED = "HOOK_COMPLETED"
    HOOK_ERRORED = "HOOK_ERRORED"
    HOOK_SKIPPED = "HOOK_SKIPPED"
    LOGS_CAPTURED = "LOGS_CAPTURED"
    LOG = "LOG"

    # Dagster's aliases for the run events
    PIPELINE_START = "PIPELINE_START"
    PIPELINE_SUCCESS = "PIPELINE_SUCCESS"
    PIPELINE_FAILURE = "PIPELINE_FAILURE"


@dataclass(frozen=True, slots=True)
class SerializableError:
    """An exception as data: message, class, traceback lines, and its cause."""

    message: str
    cls_name: str | None
    stack: tuple[str, ...] = ()
    cause: SerializableError | None = None

    @staticmethod
    def from_exception(exc: BaseException) -> SerializableError:
        cause = exc.__cause__ or (exc.__context__ if not exc.__suppress_context__ else None)
        return SerializableError(
            message="".join(traceback.format_exception_only(type(exc), exc)).strip(),
            cls_name=type(exc).__name__,
            stack=tuple(traceback.format_tb(exc.__traceback__)),
            cause=SerializableError.from_exception(cause) if cause is not None else None,
        )

    def to_string(self) -> str:
        text = self.message + "\n" + "".join(self.stack)
        if self.cause is not None:
            text += "\nThe above exception was caused by the following exception:\n"
            text += self.cause.to_string()
        return text


# --- payloads ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TypeCheckData:
    """The outcome of the type check of one input or output, as recorded in its event."""

    success: bool
    label: str
    description: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class StepOutputData:
    output_name: str
    mapping_key: str | None = None
    type_check_success: bool = True
    type_name: str = "Any"
    metadata: dict[str, Any] = field(default_factory=dict)
    type_check_data: TypeCheckData | None = None

    @property
    def step_output_handle(self) -> Any:
        return _OutputRef(self.output_name, self.mapping_key)


@dataclass(frozen=True, slots=True)
class _StepHandle:
    key: str

    def to_key(self) -> str:
        return self.key


@dataclass(frozen=True, slots=True)
class _OutputRef:
    output_name: str
    mapping_key: str | None


@dataclass(frozen=True, slots=True)
class StepInputData:
    input_name: str
    type_check_success: bool = True
    type_name: str = "Any"
    type_check_data: TypeCheckData | None = None


@dataclass(frozen=True, slots=True)
class StepFailureData:
    error: SerializableError | None
    user_failure_description: str | None = None
    user_failure_metadata: dict[str, Any] = field(default_factory=dict)
    error_source: str = "USER_CODE_ERROR"

    @property
    def user_failure_data(self) -> Any:
        if self.user_failure_description is None and not self.user_failure_metadata:
            return None
        return _UserFailure(self.user_failure_description, self.user_failure_metadata)


@dataclass(frozen=True, slots=True)
class _UserFailure:
    description: str | None
    metadata: dict[str, Any]
    label: str = "intentional-failure"


@dataclass(frozen=True, slots=True)
class StepRetryData:
    error: SerializableError | None
    attempt: int
    seconds_to_wait: float | None = None


@dataclass(frozen=True, slots=True)
class StepSuccessData:
    duration_ms: float


@dataclass(frozen=True, slots=True)
class StepUnchangedData:
    """Why a step was skipped as unchanged (skip-unchanged): for each asset it would have
    materialized, the materialization it keeps (storage id, run), its code version, and the
    input data versions that are the same as when that materialization was computed."""

    asset_keys: tuple[AssetKey, ...]
    storage_ids: tuple[int | None, ...]
    run_ids: tuple[str, ...]
    code_versions: tuple[str, ...]
    input_data_versions: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class MaterializationData:
    materialization: AssetMaterialization


@dataclass(frozen=True, slots=True)
class ObservationData:
    asset_observation: AssetObservation


@dataclass(frozen=True, slots=True)
class ExpectationData:
    expectation_result: ExpectationResult


@dataclass(frozen=True, slots=True)
class HandledOutputData:
    output_name: str
    manager_key: str
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class LoadedInputData:
    input_name: str
    manager_key: str
    upstream_output_name: str | None = None
    upstream_step_key: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RunFailureData:
    error: SerializableError | None = None
    failed_steps: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class EngineData:
    metadata: dict[str, Any] = field(default_factory=dict)
    error: SerializableError | None = None


@dataclass(frozen=True, slots=True)
class LogData:
    level: int
    logger_name: str = "headwater"


@dataclass(frozen=True, slots=True)
class HookData:
    hook_name: str
    error: SerializableError | None = None


@dataclass(frozen=True, slots=True)
class PlannedData:
    asset_key: AssetKey | None = None
    partition: str | None = None


# --- the event row ----------------------------------------------------------------------

_STEP_EVENTS = frozenset({
    HeadwaterEventType.STEP_START, HeadwaterEventType.STEP_SUCCESS,
    HeadwaterEventType.STEP_FAILURE, HeadwaterEventType.STEP_SKIPPED,
    HeadwaterEventType.STEP_UP_FOR_RETRY, HeadwaterEventType.STEP_RESTARTED,
    HeadwaterEventType.STEP_OUTPUT, HeadwaterEventType.STEP_INPUT,
    HeadwaterEventType.STEP_EXPECTATION_RESULT, HeadwaterEventType.HANDLED_OUTPUT,
    HeadwaterEventType.LOADED_INPUT, HeadwaterEventType.ASSET_MATERIALIZATION,
    HeadwaterEventType.ASSET_OBSERVATION,
})


@dataclass(frozen=True, slots=True)
class HeadwaterEvent:
    """One thing that happened in a run: a row of its append-only event log.

    Run results list them (`result.all_events`, `get_asset_materialization_events()`), and
    the instance stores them. The engine creates them; `payload` holds the event's own data
    (a materialization, an error, ...), also read through properties such as
    `materialization` or `is_failure`.

    Args:
        event_type: what kind of event it is (`HeadwaterEventType`).
        run_id: the run it belongs to.
        job_name: the job of that run.
        timestamp: when it happened (a Unix timestamp); now by default.
        step_key: the step it came from, for step events.
        node_name: the op it came from, for step events.
        asset_key: the asset it is about, for asset events.
        partition: the partition it is about, if any.
        message: a human-readable description.
        payload: the event's own data, by type.

    Example:
        ```python
        from headwater import HeadwaterEventType, asset, materialize

        @asset
        def orders() -> list[int]:
            return [1, 2]

        result = materialize([orders])
        [event] = result.get_asset_materialization_events()
        assert event.event_type is HeadwaterEventType.ASSET_MATERIALIZATION
        assert event.asset_key.to_user_string() == "orders" and event.step_key == "orders"
        ```
    """

    event_type: HeadwaterEventType
    run_id: str
    job_name: str
    timestamp: float = field(default_factory=time.time)
    step_key: str | None = None
    node_name: str | None = None
    asset_key: AssetKey | None = None
    partition: str | None = None
    message: str = ""
    payload: Any = None

    @property
    def event_type_value(self) -> str:
        return self.event_type.value

    @property
    def step_handle(self) -> _StepHandle | None:
        return _StepHandle(self.step_key) if self.step_key is not None else None

    @property
    def event_specific_data(self) -> Any:
        return self.payload

    @property
    def job_name_(self) -> str:
        return self.job_name

    @property
    def is_step_event(self) -> bool:
        return self.event_type in _STEP_EVENTS

    @property
    def asset_check_evaluation_data(self) -> AssetCheckEvaluation:
        return self.payload

    @property
    def asset_check_planned_data(self) -> AssetCheckEvaluationPlanned:
        return self.payload

    @property
    def is_asset_check_evaluation(self) -> bool:
        return self.event_type is HeadwaterEventType.ASSET_CHECK_EVALUATION

    @property
    def is_step_success(self) -> bool:
        return self.event_type is HeadwaterEventType.STEP_SUCCESS

    @property
    def is_step_failure(self) -> bool:
        return self.event_type is HeadwaterEventType.STEP_FAILURE

    @property
    def is_step_start(self) -> bool:
        return self.event_type is HeadwaterEventType.STEP_START

    @property
    def is_step_skipped(self) -> bool:
        return self.event_type is HeadwaterEventType.STEP_SKIPPED

    @property
    def is_step_up_for_retry(self) -> bool:
        return self.event_type is HeadwaterEventType.STEP_UP_FOR_RETRY

    @property
    def is_successful_output(self) -> bool:
        return self.event_type is HeadwaterEventType.STEP_OUTPUT

    @property
    def is_handled_output(self) -> bool:
        return self.event_type is HeadwaterEventType.HANDLED_OUTPUT

    @property
    def is_loaded_input(self) -> bool:
        return self.event_type is HeadwaterEventType.LOADED_INPUT

    @property
    def is_step_materialization(self) -> bool:
        return self.event_type is HeadwaterEventType.ASSET_MATERIALIZATION

    @property
    def is_asset_observation(self) -> bool:
        return self.event_type is HeadwaterEventType.ASSET_OBSERVATION

    @property
    def is_expectation_result(self) -> bool:
        return self.event_type is HeadwaterEventType.STEP_EXPECTATION_RESULT

    @property
    def is_run_success(self) -> bool:
        return self.event_type is HeadwaterEventType.RUN_SUCCESS

    @property
    def is_run_failure(self) -> bool:
        return self.event_type is HeadwaterEventType.RUN_FAILURE

    @property
    def is_failure(self) -> bool:
        return self.event_type in (HeadwaterEventType.STEP_FAILURE, HeadwaterEventType.RUN_FAILURE)

    @property
    def is_hook_event(self) -> bool:
        return self.event_type in (HeadwaterEventType.HOOK_COMPLETED,
                                   HeadwaterEventType.HOOK_ERRORED, HeadwaterEventType.HOOK_SKIPPED)

    @property
    def step_materialization_data(self) -> MaterializationData:
        return self.payload

    @property
    def asset_observation_data(self) -> ObservationData:
        return self.payload

    @property
    def step_output_data(self) -> StepOutputData:
        return self.payload

    @property
    def step_input_data(self) -> StepInputData:
        return self.payload

    @property
    def node_handle(self) -> str | None:
        return self.node_name

    @property
    def step_failure_data(self) -> StepFailureData:
        return self.payload

    @property
    def job_failure_data(self) -> RunFailureData | None:
        """Why the run failed, on its RUN_FAILURE event (None on any other event)."""
        return self.payload if isinstance(self.payload, RunFailureData) else None

    @property
    def materialization(self) -> AssetMaterialization:
        return self.payload.materialization

    @property
    def partition_key(self) -> str | None:
        return self.partition

    @property
    def level(self) -> int:
        return getattr(self.payload, "level", 20)

    @property
    def headwater_event(self) -> HeadwaterEvent:
        return self

    @property
    def user_message(self) -> str:
        return self.message

    @property
    def error_info(self) -> SerializableError | None:
        return getattr(self.payload, "error", None)


# --- JSON codec -------------------------------------------------------------------------

_PAYLOADS: dict[str, type] = {
    cls.__name__: cls
    for cls in (
        StepOutputData, StepInputData, TypeCheckData, StepFailureData, StepRetryData, StepSuccessData,
        MaterializationData, ObservationData, ExpectationData, StepUnchangedData, HandledOutputData,
        LoadedInputData, RunFailureData, EngineData, LogData, HookData, PlannedData,
        SerializableError, AssetMaterialization, AssetObservation, ExpectationResult,
        AssetCheckEvaluation, AssetCheckEvaluationPlanned,
        AssetCheckEvaluationTargetMaterializationData,
    )
}
_RECORDS = (AssetMaterialization, AssetObservation, ExpectationResult)


def _encode(value: Any) -> Any:
    if isinstance(value, AssetKey):
        return {"__key__": list(value.path)}
    if isinstance(value, _RECORDS):
        data = {f.name: _encode(getattr(value, f.name)) for f in dataclasses.fields(value)
                if f.name != "metadata"}
        data["metadata"] = metadata_to_jsonable(value.metadata)
        return {"__type__": type(value).__name__, **data}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        data = {}
        for f in dataclasses.fields(value):
            item = getattr(value, f.name)
            if f.name == "metadata" and isinstance(item, dict):
                data[f.name] = {"__metadata__": metadata_to_jsonable(item)}
            else:
                data[f.name] = _encode(item)
        return {"__type__": type(value).__name__, **data}
    if isinstance(value, (list, tuple)):
        return [_encode(v) for v in value]
    if isinstance(value, dict):
        return {k: _encode(v) for k, v in value.items()}
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, list):
        return [_decode(v) for v in value]
    if not isinstance(value, dict):
        return value
    if "__key__" in value:
        return AssetKey(value["__key__"])
    if "__metadata__" in value:
        return metadata_from_jsonable(value["__metadata__"])
    if "__type__" in value:
        cls = _PAYLOADS[value["__type__"]]
        fields = {k: v for k, v in value.items() if k != "__type__"}
        if cls in _RECORDS:
            metadata = metadata_from_jsonable(fields.pop("metadata", {}))
            decoded = {k: _decode(v) for k, v in fields.items()}
            return cls(metadata=metadata, **decoded)
        decoded = {k: _decode(v) for k, v in fields.items()}
        for f in dataclasses.fields(cls):
            if f.name in decoded and isinstance(decoded[f.name], list) and "tuple" in str(f.type):
                decoded[f.name] = tuple(decoded[f.name])
        return cls(**decoded)
    return {k: _decode(v) for k, v in value.items()}


def payload_to_jsonable(value: Any) -> Any:
    """A payload (an AssetMaterialization, AssetObservation, AssetCheckEvaluation ...) as
    plain JSON data, e.g. to cross the code-server boundary; `payload_from_jsonable` inverts it."""
    return _encode(value)


def payload_from_jsonable(value: Any) -> Any:
    return _decode(value)


def event_to_json(event: HeadwaterEvent) -> str:
    """Serialize an event to a JSON string."""
    return json.dumps({
        "event_type": event.event_type.value,
        "run_id": event.run_id,
        "job_name": event.job_name,
        "timestamp": event.timestamp,
        "step_key": event.step_key,
        "node_name": event.node_name,
        "asset_key": list(event.asset_key.path) if event.asset_key else None,
        "partition": event.partition,
        "message": event.message,
        "payload": _encode(event.payload),
    }, default=repr)


def event_from_json(text: str) -> HeadwaterEvent:
    """Parse an event serialized by `event_to_json`."""
    data = json.loads(text)
    return HeadwaterEvent(
        event_type=HeadwaterEventType(data["event_type"]),
        run_id=data["run_id"],
        job_name=data["job_name"],
        timestamp=data["timestamp"],
        step_key=data["step_key"],
        node_name=data.get("node_name"),
        asset_key=AssetKey(data["asset_key"]) if data["asset_key"] else None,
        partition=data["partition"],
        message=data["message"],
        payload=_decode(data["payload"]),
    )


# --- where a run's events are recorded ----------------------------------------------------


class RunInstance(Protocol):
    """What the engine needs from the instance a run is recorded in.

    `storage/instance.py`'s `HeadwaterInstance` satisfies it (mypy checks the registration
    below), and so does a worker process's lazily opened instance (`execution/remote.py`).
    Everything else user code asks of `context.instance` is the instance's own API.
    """

    @property
    def is_ephemeral(self) -> bool:
        """True when runs and events live only in this process's memory."""

    def register_run(self, run: Any) -> None:
        """Record a run (an `execution.run.Run`) before its RUN_START event."""

    def store_event(self, event: HeadwaterEvent) -> None:
        """Append one event of a run, as it is emitted; called for every event."""

    def flush(self) -> None:
        """Write whatever `store_event` is holding (a SQL storage batches per step)."""

    def storage_directory(self) -> str:
        """Where the default (filesystem) IO manager keeps values."""

    def latest_materialization_target(self, asset_key: AssetKey, partition: str | None
                                      ) -> AssetCheckEvaluationTargetMaterializationData | None:
        """The latest materialization of an asset (partition) a check evaluates, if any."""

    def get_latest_data_version_record(self, key: Any, is_source: bool | None = None,
                                       partition_key: str | None = None) -> Any:
        """The event holding an asset's current data version (provenance, skip-unchanged)."""

    def get_latest_data_version_records(self, key: AssetKey, partition_keys: Sequence[str],
                                        is_source: bool = False) -> Mapping[str, Any]:
        """{partition: the event holding its data version} for several partitions at once."""

    def get_ref(self) -> Any:
        """How another process opens this instance (persistent instances only)."""


class _EphemeralFactory(Protocol):
    def __call__(self) -> RunInstance: ...


_ephemeral_factory: _EphemeralFactory | None = None


def register_ephemeral_instance(factory: _EphemeralFactory) -> None:
    """Called once by `storage/instance.py` when it is imported."""
    global _ephemeral_factory
    _ephemeral_factory = factory


def ephemeral_instance() -> RunInstance:
    """A fresh in-memory instance for a run that was given none.

    The engine sits below storage and never imports it; as with `definitions/_runtime.py`,
    the arrow is inverted once: the storage module registers its constructor here when it
    is loaded, and this function asks for it to be loaded on first use.
    """
    if _ephemeral_factory is None:
        importlib.import_module("headwater.storage.instance")
    if _ephemeral_factory is None:
        raise RuntimeError("headwater.storage.instance was imported but registered no "
                           "ephemeral instance; the installation is broken (reinstall headwater).")
    return _ephemeral_factory()
