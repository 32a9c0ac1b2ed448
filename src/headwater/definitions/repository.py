"""`@repository`: the older way to group definitions, kept so ported code loads.

The decorated function returns a list (or a dict of lists) of assets, jobs, schedules and
sensors; the result is a `Definitions` holding them. Imports `errors` and `definitions` only.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from headwater.definitions.asset_job import UnresolvedAssetJobDefinition
from headwater.definitions.definitions import Definitions
from headwater.definitions.graph import GraphDefinition
from headwater.definitions.job import JobDefinition
from headwater.definitions.schedule import ScheduleDefinition
from headwater.definitions.sensor import SensorDefinition


def _sort(items: list[Any]) -> dict[str, list[Any]]:
    kinds: dict[str, list[Any]] = {"assets": [], "jobs": [], "schedules": [], "sensors": []}
    for item in items:
        if isinstance(item, ScheduleDefinition):
            kinds["schedules"].append(item)
        elif isinstance(item, SensorDefinition):
            kinds["sensors"].append(item)
        elif isinstance(item, (JobDefinition, UnresolvedAssetJobDefinition, GraphDefinition)):
            kinds["jobs"].append(item)
        else:
            kinds["assets"].append(item)
    return kinds


def repository(fn: Callable[[], Any] | None = None, *, name: str | None = None,
               description: str | None = None, metadata: Mapping[str, Any] | None = None,
               default_executor_def: Any = None, default_logger_defs: Any = None,
               top_level_resources: Mapping[str, Any] | None = None,
               resource_key_mapping: Any = None) -> Any:
    """Group the definitions a function returns (a list, or {"jobs": {...}, ...})."""
    def decorate(inner: Callable[[], Any]) -> Definitions:
        value = inner()
        if isinstance(value, Mapping):
            items = [v for group in value.values()
                     for v in (group.values() if isinstance(group, Mapping) else group)]
        else:
            items = list(value)
        kinds = _sort(items)
        defs = Definitions(**kinds, resources=top_level_resources,
                           executor=default_executor_def, loggers=default_logger_defs,
                           metadata=metadata)
        defs.name = name or inner.__name__  # type: ignore[attr-defined]
        defs.description = description  # type: ignore[attr-defined]
        return defs.get_repository_def()
    return decorate(fn) if fn is not None else decorate
