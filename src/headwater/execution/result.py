"""The result of an in-process run, queried the way Dagster users know.

Imports `headwater.definitions` and this layer's `event`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from headwater.definitions.key import AssetKey, to_asset_key
from headwater.definitions.ops.output import AssetMaterialization, AssetObservation
from headwater.errors import HeadwaterInvariantViolationError
from headwater.execution.event import HeadwaterEvent, HeadwaterEventType

_ET = HeadwaterEventType


class ExecuteInProcessResult:
    """The result of a run in this process: what `execute_in_process` and `materialize` return.

    `success` says whether every step succeeded; `output_for_node` and `asset_value` give the
    values produced; `all_events` and the `get_*_events` methods give what was recorded; and
    `instance` is where the run was stored.

    Args:
        run: the finished run the result reads (built by the engine, not by users).

    Example:
        ```python
        from headwater import asset, materialize

        @asset
        def orders() -> list[int]:
            return [1, 2]

        @asset
        def broken(orders: list[int]) -> int:
            raise ValueError("bad data")

        result = materialize([orders, broken], raise_on_error=False)
        assert not result.success
        assert result.asset_value("orders") == [1, 2]
        assert result.get_failed_step_keys() == {"broken"}
        ```
    """

    def __init__(self, run: Any):
        self._run = run
        self.job_def = run.job
        self.run_id: str = run.run_id
        self.all_records: list[HeadwaterEvent] = run.events
        self.all_events: list[HeadwaterEvent] = [e for e in run.events if e.event_type is not _ET.LOG]

    # --- the run ------------------------------------------------------------------------
    @property
    def success(self) -> bool:
        return not self._run.failed and self._run.fatal_error is None

    @property
    def headwater_run(self) -> Any:
        return self._run.info

    @property
    def instance(self) -> Any:
        """The instance the run was recorded in: the one passed as `instance=`, else the
        ephemeral in-memory instance created for the run (what `context.instance` was)."""
        return self._run.instance

    @property
    def run_config(self) -> dict[str, Any]:
        return self._run.run_config

    def get_job_success_event(self) -> HeadwaterEvent:
        return self._one(_ET.RUN_SUCCESS)

    def get_job_failure_event(self) -> HeadwaterEvent:
        return self._one(_ET.RUN_FAILURE)

    get_run_success_event = get_job_success_event
    get_run_failure_event = get_job_failure_event

    def _one(self, event_type: HeadwaterEventType) -> HeadwaterEvent:
        for e in self.all_events:
            if e.event_type is event_type:
                return e
        raise HeadwaterInvariantViolationError(f"No {event_type.value} event in run {self.run_id}.")

    # --- events -------------------------------------------------------------------------
    def filter_events(self, predicate: Callable[[HeadwaterEvent], bool]) -> list[HeadwaterEvent]:
        return [e for e in self.all_events if predicate(e)]

    def events_for_node(self, node_name: str) -> list[HeadwaterEvent]:
        return [e for e in self.all_events if e.node_name == node_name or
                (e.node_name or "").startswith(node_name + ".")]

    @property
    def all_node_events(self) -> list[HeadwaterEvent]:
        return [e for e in self.all_events if e.step_key is not None]

    def get_step_success_events(self) -> list[HeadwaterEvent]:
        return self.filter_events(lambda e: e.event_type is _ET.STEP_SUCCESS)

    def get_step_failure_events(self) -> list[HeadwaterEvent]:
        return self.filter_events(lambda e: e.event_type is _ET.STEP_FAILURE)

    def get_step_skipped_events(self) -> list[HeadwaterEvent]:
        return self.filter_events(lambda e: e.event_type is _ET.STEP_SKIPPED)

    def get_failed_step_keys(self) -> set[str]:
        return set(self._run.failed)

    def get_asset_materialization_events(self) -> list[HeadwaterEvent]:
        return self.filter_events(lambda e: e.event_type is _ET.ASSET_MATERIALIZATION)

    def get_asset_observation_events(self) -> list[HeadwaterEvent]:
        return self.filter_events(lambda e: e.event_type is _ET.ASSET_OBSERVATION)

    def get_asset_check_evaluations(self) -> list[Any]:
        return [e.payload for e in self.all_events if e.event_type is _ET.ASSET_CHECK_EVALUATION]

    def get_asset_materialization_planned_events(self) -> list[HeadwaterEvent]:
        return self.filter_events(lambda e: e.event_type is _ET.ASSET_MATERIALIZATION_PLANNED)

    def asset_materializations_for_node(self, node_name: str) -> list[AssetMaterialization]:
        return [e.payload.materialization for e in self.events_for_node(node_name)
                if e.event_type is _ET.ASSET_MATERIALIZATION]

    def asset_observations_for_node(self, node_name: str) -> list[AssetObservation]:
        return [e.payload.asset_observation for e in self.events_for_node(node_name)
                if e.event_type is _ET.ASSET_OBSERVATION]

    def expectation_results_for_node(self, node_name: str) -> list[Any]:
        return [e.payload.expectation_result for e in self.events_for_node(node_name)
                if e.event_type is _ET.STEP_EXPECTATION_RESULT]

    def retry_attempts_for_node(self, node_name: str) -> int:
        return len([e for e in self.events_for_node(node_name)
                    if e.event_type is _ET.STEP_UP_FOR_RETRY])

    def failure_data_for_node(self, node_name: str) -> Any:
        for e in self.events_for_node(node_name):
            if e.event_type is _ET.STEP_FAILURE:
                return e.payload
        return None

    # --- step status --------------------------------------------------------------------
    def _status(self, node_name: str) -> str | None:
        status = self._run.step_status
        if node_name in status:
            return status[node_name]
        matches = [v for k, v in status.items() if k.startswith(node_name + "[") or
                   k.startswith(node_name + ".")]
        if not matches:
            return None
        if "FAILURE" in matches:
            return "FAILURE"
        return matches[0]

    def is_node_success(self, node_name: str) -> bool:
        return self._status(node_name) == "SUCCESS"

    def is_node_failed(self, node_name: str) -> bool:
        return self._status(node_name) == "FAILURE"

    def is_node_skipped(self, node_name: str) -> bool:
        return self._status(node_name) == "SKIPPED"

    def is_node_untouched(self, node_name: str) -> bool:
        return self._status(node_name) in (None, "NOT_RUN")

    # --- values -------------------------------------------------------------------------
    def output_for_node(self, node_name: str, output_name: str = "result") -> Any:
        """The value an op (or graph node) produced; a dict by mapping key for dynamic ones."""
        step_key, out = self._resolve(node_name, output_name)
        run = self._run
        values = {mk: v for (k, n, mk), v in run.captured.items() if k == step_key and n == out}
        if not values:
            # Values the filesystem IO manager stored were released during the run.
            # (outputs a re-execution loads from earlier runs are not this run's)
            stored = sorted((r for r in run.produced if r[0] == step_key and r[1] == out
                             and r not in run.captured and r not in run.output_run_ids),
                            key=lambda r: r[2] or "")
            values = {ref[2]: run.load_stored_output(ref) for ref in stored}
        if not values:
            steps = self._run.plan.by_key
            if step_key not in steps:
                raise HeadwaterInvariantViolationError(
                    f"{self.job_def.name} has no op named {node_name}. The nodes of job "
                    f"'{self.job_def.name}' are: "
                    f"{', '.join(sorted(s.split('.')[0] for s in steps))}."
                )
            if out not in steps[step_key].op_def.output_dict:
                raise HeadwaterInvariantViolationError(
                    f"node '{node_name}' has no output '{output_name}'. Outputs: "
                    f"{', '.join(steps[step_key].op_def.output_dict)}."
                )
            raise HeadwaterInvariantViolationError(
                f"No outputs found for output '{output_name}' from node '{node_name}'. In run "
                f"{self.run_id} it failed, was skipped, or was not yielded (a dynamic output "
                "may yield no element)."
            )
        if list(values) == [None]:
            return values[None]
        return {mk: v for mk, v in values.items()}

    def _resolve(self, node_name: str, output_name: str) -> tuple[str, str]:
        graph = self.job_def.graph
        parts = node_name.split(".")
        prefix = ""
        for i, part in enumerate(parts):
            inv = graph.invocations.get(part)
            if inv is None:
                return node_name, output_name
            if i < len(parts) - 1:
                graph = inv.node_def
                prefix += part + "."
        node = graph.invocations[parts[-1]].node_def
        step_key = prefix + parts[-1]
        out = output_name
        while hasattr(node, "output_mappings"):
            if out not in node.output_mappings:
                raise HeadwaterInvariantViolationError(
                    f"graph '{node_name}' has no output '{output_name}'."
                )
            inner, out = node.output_mappings[out]
            step_key = f"{step_key}.{inner}"
            node = node.invocations[inner].node_def
        return step_key, out

    def output_value(self, output_name: str = "result") -> Any:
        """The value of an output of the job's graph itself."""
        mappings = self.job_def.graph.output_mappings
        if not mappings:
            raise HeadwaterInvariantViolationError(
                f"Attempted to retrieve top-level outputs for '{self.job_def.name}', which has no "
                "outputs. Use output_for_node(name) for the output of a node inside it."
            )
        if output_name not in mappings:
            raise HeadwaterInvariantViolationError(
                f"Could not find top-level output '{output_name}' in '{self.job_def.name}'. Its "
                f"outputs: {', '.join(mappings)}."
            )
        node, out = mappings[output_name]
        return self.output_for_node(node, out)

    def asset_value(self, asset_key: Any) -> Any:
        """The value materialized for an asset in this run."""
        key = to_asset_key(asset_key)
        layer = self.job_def.asset_layer
        for (node, out), k in layer.key_by_output.items():
            if k == key:
                return self.output_for_node(node, out)
        raise HeadwaterInvariantViolationError(
            f"Asset {key.to_user_string()} was not materialized in run {self.run_id}."
        )

    @property
    def asset_keys_materialized(self) -> set[AssetKey]:
        return {e.asset_key for e in self.get_asset_materialization_events() if e.asset_key}
