"""AutomationConditionSensorDefinition: the sensor that evaluates automation conditions.

Every asset or check with an `automation_condition` is evaluated by exactly one such sensor:
one the user defines (`target=` a selection), or the default one, named
`default_automation_condition_sensor`, that `Definitions` adds for the keys no user-defined
automation sensor targets (`default_automation_sensor`). Each tick evaluates the conditions of
its targets against the instance (`evaluate_automation_conditions`) with the cursor the
previous tick stored, and requests what came out true. The daemon asks the code server to run
the evaluation (code/automation.py `evaluate_automation_sensor`) and launches the requests.

Unlike Dagster, headwater always evaluates on the code server (the daemon never imports user
code); `use_user_code_server=False` (the default) keeps Dagster's meaning for the conditions a
sensor accepts: only headwater's own conditions, while `True` also allows conditions defined
in user code (subclasses of AutomationCondition). Imports `definitions` only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from headwater.definitions.assets.selection import AssetSelection
from headwater.definitions.automation.condition_tree import conditions_in
from headwater.definitions.automation.evaluate import (
    AutomationCursor,
    AutomationResult,
    conditions_of,
    evaluate_automation_conditions,
)
from headwater.definitions.automation.sensor import DefaultSensorStatus, SensorDefinition
from headwater.definitions.automation.tick_result import SensorResult
from headwater.definitions.key import AssetCheckKey, AssetKey
from headwater.definitions.tags import AUTOMATION_CONDITION_TAG
from headwater.errors import HeadwaterInvalidDefinitionError

DEFAULT_AUTOMATION_SENSOR = "default_automation_condition_sensor"
DEFAULT_AUTOMATION_INTERVAL = 30


class AutomationConditionSensorDefinition(SensorDefinition):
    """A sensor that evaluates the automation conditions of its target assets and checks.

    At each tick it evaluates the AutomationCondition of every targeted asset and check and
    requests runs of those whose condition is true. Definitions adds a default one for
    conditions no such sensor targets; declare your own to split them or change the
    interval. Each asset may be targeted by one automation sensor only. A missing name or
    target raises HeadwaterInvalidDefinitionError.

    Args:
        name: the sensor's name.
        target: the assets (and their checks) whose conditions it evaluates.
        tags: the sensor's tags.
        run_tags: tags put on each run it requests.
        default_status: whether it runs from its first deployment (RUNNING by default).
        minimum_interval_seconds: the least time between two ticks.
        description: shown in the UI.
        metadata: metadata of the sensor.
        emit_backfills: whether a request of many partitions is one backfill (else a run each).
        use_user_code_server: True also allows conditions defined in user code (subclasses).

    Example:
        ```python
        from headwater import (AssetSelection, AutomationCondition,
                               AutomationConditionSensorDefinition, Definitions, asset)

        @asset(automation_condition=AutomationCondition.eager(), group_name="marts")
        def mart() -> int:
            return 1

        marts_sensor = AutomationConditionSensorDefinition(
            "marts_automation", target=AssetSelection.groups("marts"),
            minimum_interval_seconds=60)
        defs = Definitions(assets=[mart], sensors=[marts_sensor])
        assert defs.resolve_sensor_def("marts_automation").minimum_interval_seconds == 60
        ```
    """

    def __init__(self, name: str, *, target: Any,
                 tags: Mapping[str, str] | None = None,
                 run_tags: Mapping[str, Any] | None = None,
                 default_status: DefaultSensorStatus = DefaultSensorStatus.RUNNING,
                 minimum_interval_seconds: int | None = None,
                 description: str | None = None,
                 metadata: Mapping[str, Any] | None = None,
                 emit_backfills: bool = True,
                 use_user_code_server: bool = False):
        if not isinstance(name, str) or not name:
            raise HeadwaterInvalidDefinitionError(
                "AutomationConditionSensorDefinition needs a name, e.g. "
                "AutomationConditionSensorDefinition('team_a_automation', target=...).")
        if target is None:
            raise HeadwaterInvalidDefinitionError(
                f"automation condition sensor '{name}': pass target= the assets (and checks) "
                "whose conditions it evaluates, e.g. target=AssetSelection.groups('team_a').")
        selection = AssetSelection.from_coercible(target)
        super().__init__(
            name=name, evaluation_fn=self._evaluate_for_context,
            minimum_interval_seconds=DEFAULT_AUTOMATION_INTERVAL
            if minimum_interval_seconds is None else minimum_interval_seconds,
            description=description, default_status=default_status,
            asset_selection=selection, tags=tags, metadata=metadata)
        self.run_tags = {str(k): str(v) for k, v in (run_tags or {}).items()}
        self.emit_backfills = bool(emit_backfills)
        self.use_user_code_server = bool(use_user_code_server)

    @property
    def target(self) -> AssetSelection:
        assert self.asset_selection is not None  # set from `target` in __init__
        return self.asset_selection

    @property
    def sensor_type(self) -> str:
        return "AUTOMATION"

    def __repr__(self) -> str:
        return (f"AutomationConditionSensorDefinition(name={self.name!r}, "
                f"target={self.target!s})")

    # --- evaluation -------------------------------------------------------------------------
    def evaluate(self, definitions: Any, instance: Any, cursor: AutomationCursor | str | None = None,
                 evaluation_time: datetime | None = None) -> AutomationResult:
        """One evaluation of the target's conditions from `cursor` (a previous result's cursor,
        or its JSON); the evaluator's result."""
        if not self.use_user_code_server:
            self._refuse_user_conditions(definitions)
        return evaluate_automation_conditions(
            definitions, instance, cursor=cursor, evaluation_time=evaluation_time,
            asset_selection=self.target)

    def _evaluate_for_context(self, context: Any) -> SensorResult:
        """What a direct call or `evaluate_tick` does: evaluate, request, move the cursor."""
        if context.definitions is None or context.instance is None:
            raise HeadwaterInvalidDefinitionError(
                f"automation condition sensor '{self.name}' evaluates conditions against "
                "definitions and an instance: build its context with "
                "build_sensor_context(definitions=defs, instance=instance).")
        result = self.evaluate(context.definitions, context.instance, context.cursor)
        requests = [r.with_replaced_attrs(tags={**r.tags, **self.run_tags,
                                               AUTOMATION_CONDITION_TAG: "true"})
                    for r in result.run_requests]
        return SensorResult(run_requests=requests, cursor=result.cursor.to_json())

    def _refuse_user_conditions(self, definitions: Any) -> None:
        graph = definitions.resolve_asset_graph()
        problems = []
        for key, condition in targeted_conditions(graph, self.target):
            custom = sorted({type(c).__name__ for c in conditions_in(condition)
                             if not type(c).__module__.startswith("headwater.")})
            if custom:
                problems.append(f"{_label(key)} uses {', '.join(custom)}")
        if problems:
            raise HeadwaterInvalidDefinitionError(
                f"automation condition sensor '{self.name}' evaluates only headwater's own "
                f"conditions, but {'; '.join(problems)} (defined in user code). Pass "
                f"AutomationConditionSensorDefinition({self.name!r}, ..., "
                "use_user_code_server=True) to evaluate conditions written in Python.")


def _label(key: AssetKey | AssetCheckKey) -> str:
    kind = "check" if isinstance(key, AssetCheckKey) else "asset"
    return f"{kind} '{key.to_user_string()}'"


def targeted_keys(graph: Any, selection: AssetSelection) -> set[AssetKey | AssetCheckKey]:
    """The assets and checks a target selection holds."""
    keys: set[AssetKey | AssetCheckKey] = set(selection.resolve(graph, allow_missing=True))
    keys.update(selection.resolve_checks(graph, allow_missing=True))
    return keys


def targeted_conditions(graph: Any, selection: AssetSelection
                        ) -> list[tuple[AssetKey | AssetCheckKey, Any]]:
    """(key, condition) of the targets that carry a condition: assets, then checks, each
    sorted by key."""
    keys = targeted_keys(graph, selection)
    found = [(k, c) for k, c in conditions_of(graph).items() if k in keys]
    return sorted(found, key=lambda kc: (isinstance(kc[0], AssetCheckKey),
                                         kc[0].to_user_string()))


def default_automation_sensor(graph: Any, sensors: Iterable[Any]
                              ) -> AutomationConditionSensorDefinition | None:
    """The sensor for the keys with a condition that no automation sensor of `sensors` targets,
    or None when there are none."""
    automation = [s for s in sensors if isinstance(s, AutomationConditionSensorDefinition)]
    if any(s.name == DEFAULT_AUTOMATION_SENSOR for s in automation):
        return None  # the user defined it under its default name
    covered: set[AssetKey | AssetCheckKey] = set()
    for sensor in automation:
        covered |= targeted_keys(graph, sensor.target)
    left = [k for k in conditions_of(graph) if k not in covered]
    if not left:
        return None
    assets = [k for k in left if isinstance(k, AssetKey)]
    checks = [k for k in left if isinstance(k, AssetCheckKey)]
    target = _union([AssetSelection.keys(*assets).without_checks()] if assets else [],
                    [AssetSelection.checks(*checks)] if checks else [])
    return AutomationConditionSensorDefinition(
        DEFAULT_AUTOMATION_SENSOR, target=target,
        description="Evaluates the automation conditions of every asset and check that no "
                    "other automation condition sensor targets.")


def _union(*parts: Sequence[AssetSelection]) -> AssetSelection:
    flat = [p for group in parts for p in group]
    out = flat[0]
    for part in flat[1:]:
        out = out | part
    return out


__all__ = ["AutomationConditionSensorDefinition", "DEFAULT_AUTOMATION_SENSOR",
           "default_automation_sensor", "targeted_conditions"]
