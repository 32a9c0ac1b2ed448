"""`@repository`: the definitions a function returns, grouped into a RepositoryDefinition.

The older form of `Definitions`. The decorated function returns a list of definitions, a dict
{"jobs": {...}, "schedules": {...}, "sensors": {...}} whose job values may be zero-argument
functions building the job on first use, or a RepositoryData. A list or a dict is held as a
`Definitions` and validated when the repository is built, except for the resources of
assets, which are checked on the first job lookup. It lives here, above both
`definitions.py` and `repository.py`, because it builds one of each; `module_loader.py`
re-exports it, the path it has always been imported by. Imports `assets`, `automation`,
`ops`, `definitions`, `repository` and `errors` of this layer.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from headwater.definitions.assets.definition import AssetsDefinition, AssetSpec
from headwater.definitions.assets.job import UnresolvedAssetJobDefinition
from headwater.definitions.assets.source_asset import SourceAsset
from headwater.definitions.automation.schedule import ScheduleDefinition
from headwater.definitions.automation.sensor import SensorDefinition
from headwater.definitions.definitions import Definitions
from headwater.definitions.ops.graph import GraphDefinition
from headwater.definitions.ops.job import JobDefinition
from headwater.definitions.repository import (
    DefinitionsData,
    RepositoryData,
    RepositoryDefinition,
    check_resource_key_mapping,
)
from headwater.errors import HeadwaterInvalidDefinitionError

__all__ = ["repository"]

_LISTED_JOB_TYPES = (JobDefinition, UnresolvedAssetJobDefinition, GraphDefinition)
_LISTED_ASSET_TYPES = (AssetsDefinition, AssetSpec, SourceAsset)
_CHECK_TYPE_NAMES = {"AssetChecksDefinition"}


def _listed_kind(item: Any) -> str | None:
    if isinstance(item, ScheduleDefinition):
        return "schedules"
    if isinstance(item, SensorDefinition):
        return "sensors"
    if isinstance(item, _LISTED_JOB_TYPES):
        return "jobs"
    if any(cls.__name__ in _CHECK_TYPE_NAMES for cls in type(item).__mro__):
        return "asset_checks"
    if isinstance(item, _LISTED_ASSET_TYPES) or hasattr(item, "build_definitions"):
        return "assets"
    return None


def _sort_list(repo_name: str, items: Sequence[Any]) -> dict[str, list[Any]]:
    """Definitions of a list-form repository by kind; one level of nested lists is allowed."""
    kinds: dict[str, list[Any]] = {"assets": [], "asset_checks": [], "jobs": [], "schedules": [],
                                   "sensors": []}
    for item in items:
        nested = isinstance(item, (list, tuple))
        for inner in item if nested else [item]:
            if nested and isinstance(inner, (list, tuple)):
                raise HeadwaterInvalidDefinitionError(
                    f"Bad return value from repository '{repo_name}': it holds a list nested "
                    "in a list nested in the returned list. Flatten it to at most one level of "
                    "nesting.")
            kind = _listed_kind(inner)
            if kind is None:
                raise HeadwaterInvalidDefinitionError(
                    f"Bad return value from repository '{repo_name}': got {inner!r} "
                    f"({type(inner).__name__}); all elements of list must be of type "
                    "JobDefinition, GraphDefinition, UnresolvedAssetJobDefinition, "
                    "ScheduleDefinition, SensorDefinition, AssetsDefinition, SourceAsset or "
                    "AssetSpec.")
            kinds[kind].append(inner)
    return kinds


def _sort_dict(repo_name: str, value: Mapping[str, Any]
               ) -> tuple[dict[str, list[Any]], dict[str, Callable[[], Any]]]:
    """The dict form: {"jobs": {name: job or function}, "schedules": {...}, "sensors": {...}}."""
    unknown = set(value) - {"jobs", "schedules", "sensors"}
    if unknown:
        raise HeadwaterInvalidDefinitionError(
            f"Bad return value from repository '{repo_name}': unexpected keys "
            f"{sorted(unknown)}; a dict may only have the keys 'jobs', 'schedules' and 'sensors'.")
    kinds: dict[str, list[Any]] = {"jobs": [], "schedules": [], "sensors": []}
    lazy: dict[str, Callable[[], Any]] = {}
    for name, job in dict(value.get("jobs") or {}).items():
        if isinstance(job, _LISTED_JOB_TYPES):
            kinds["jobs"].append(job)
        elif callable(job):
            lazy[name] = job
        else:
            raise HeadwaterInvalidDefinitionError(
                f"Bad return value from repository '{repo_name}': Object mapped to {name} is not "
                "an instance of JobDefinition or GraphDefinition. Map it to a job, a graph, "
                "define_asset_job(...) or a function returning a job.")
    for kind in ("schedules", "sensors"):
        for item in dict(value.get(kind) or {}).values():
            kinds[kind].append(item() if callable(item) and not isinstance(
                item, (ScheduleDefinition, SensorDefinition)) else item)
    return kinds, lazy


def repository(fn: Callable[[], Any] | None = None, *, name: str | None = None,
               description: str | None = None, metadata: Mapping[str, Any] | None = None,
               default_executor_def: Any = None, default_logger_defs: Any = None,
               top_level_resources: Mapping[str, Any] | None = None,
               resource_key_mapping: Mapping[int, str] | None = None) -> Any:
    """Group the definitions a function returns into a repository (the older form of `Definitions`).

    The function returns a list of definitions (jobs, assets, schedules, sensors, checks), a
    dict `{"jobs": {...}, "schedules": {...}, "sensors": {...}}` whose jobs may be functions
    built on first use, or a `RepositoryData`. Anything else raises
    `HeadwaterInvalidDefinitionError`. New code should use `Definitions`.

    Args:
        fn: the function, when used bare.
        name: the repository's name; defaults to the function's name.
        description: shown in the UI.
        metadata: metadata shown with the repository.
        default_executor_def: the executor of jobs that set none.
        default_logger_defs: loggers of jobs that set none.
        top_level_resources: resources by key for the repository's assets.
        resource_key_mapping: id(resource object) -> key, how resources nested in others
            are recognised as top-level keys. headwater derives it from
            `top_level_resources` (`get_resource_key_mapping()` returns it); a mapping given
            here must agree with it, or `HeadwaterInvalidDefinitionError` says which entry.

    Example:
        ```python
        from headwater import job, op, repository

        @op
        def hello() -> str:
            return "hello"

        @job
        def greet():
            hello()

        @repository
        def project():
            return [greet]

        assert project.get_job("greet").execute_in_process().success
        ```
    """
    def decorate(inner: Callable[[], Any]) -> RepositoryDefinition:
        repo_name = name or inner.__name__
        check_resource_key_mapping(repo_name, resource_key_mapping or {},
                                   top_level_resources or {})
        value = inner()
        if isinstance(value, RepositoryData):
            return RepositoryDefinition(repo_name, repository_data=value,
                                        description=description, metadata=metadata)
        lazy: dict[str, Callable[[], Any]] = {}
        if isinstance(value, Mapping):
            kinds, lazy = _sort_dict(repo_name, value)
        elif isinstance(value, (list, tuple)):
            kinds = _sort_list(repo_name, value)
        else:
            raise HeadwaterInvalidDefinitionError(
                f"Bad return value from repository '{repo_name}': got {type(value).__name__}; "
                "return a list of definitions, a dict {'jobs': {...}, ...} or a RepositoryData.")
        defs = Definitions(**kinds, resources=top_level_resources,
                           executor=default_executor_def, loggers=default_logger_defs,
                           metadata=metadata)
        defs._defer_asset_resource_checks = True
        defs.resolve_asset_graph()  # everything but asset resources is validated now
        return RepositoryDefinition(repo_name, repository_data=DefinitionsData(defs, lazy),
                                    description=description, metadata=metadata)
    return decorate(fn) if fn is not None else decorate
