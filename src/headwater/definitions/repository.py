"""RepositoryDefinition and RepositoryData: the older way to group definitions.

A repository answers lookups of jobs, schedules and sensors from its RepositoryData: one the
user wrote, or `DefinitionsData`, a `Definitions` plus jobs built on first use. This is what
`Definitions.get_repository_def()` returns, so `definitions.py` imports this module and this
module names `Definitions` for annotations only. The `@repository` decorator, which builds a
`Definitions` from what a function returns, sits above both, in `repository_decorator.py`.
Imports `assets`, `automation`, `ops`, `key`, `_runtime` (to load asset values) and `errors`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from headwater.definitions import _runtime
from headwater.definitions.assets.definition import AssetsDefinition
from headwater.definitions.assets.graph import AssetGraph
from headwater.definitions.assets.job import IMPLICIT_JOB, UnresolvedAssetJobDefinition
from headwater.definitions.automation.schedule import ScheduleDefinition
from headwater.definitions.automation.sensor import SensorDefinition
from headwater.definitions.key import AssetKey, to_asset_key
from headwater.definitions.ops.graph import GraphDefinition
from headwater.definitions.ops.job import JobDefinition
from headwater.errors import HeadwaterInvalidDefinitionError, HeadwaterInvariantViolationError

if TYPE_CHECKING:
    from headwater.definitions.definitions import Definitions  # definitions.py imports this module

_JOB_TYPES = (JobDefinition, UnresolvedAssetJobDefinition, GraphDefinition)


class RepositoryData:
    """What a repository holds: its jobs, schedules, sensors and assets.

    Subclass it and implement `get_all_jobs` to build jobs lazily (for example, one per table
    found at load time) and return the instance from a `@repository` function; the other
    methods default to empty. Asking for a job it lacks raises
    HeadwaterInvariantViolationError naming the jobs it has.

    Example:
        ```python
        from headwater import RepositoryData, job, op

        @op
        def ping() -> int:
            return 1

        class Jobs(RepositoryData):
            def get_all_jobs(self):
                @job(name="ping_job")
                def ping_job():
                    ping()
                return [ping_job]

        data = Jobs()
        assert data.get_job_names() == ["ping_job"]
        assert data.get_job("ping_job").execute_in_process().success
        ```
    """

    def get_all_jobs(self) -> Sequence[JobDefinition]:
        raise NotImplementedError(f"{type(self).__name__} must implement get_all_jobs().")

    def get_job_names(self) -> list[str]:
        return [job_def.name for job_def in self.get_all_jobs()]

    def has_job(self, name: str) -> bool:
        return name in self.get_job_names()

    def get_job(self, name: str) -> JobDefinition:
        for job_def in self.get_all_jobs():
            if job_def.name == name:
                return job_def
        raise HeadwaterInvariantViolationError(
            f"Could not find job '{name}'. Found: "
            f"{', '.join(repr(n) for n in self.get_job_names()) or 'none'}.")

    def get_all_schedules(self) -> Sequence[ScheduleDefinition]:
        return []

    def get_all_sensors(self) -> Sequence[SensorDefinition]:
        return []

    def get_top_level_resources(self) -> Mapping[str, Any]:
        return {}

    def get_env_vars_by_top_level_resource(self) -> Mapping[str, Any]:
        return {}

    def get_resource_key_mapping(self) -> Mapping[int, str]:
        """id(resource object) -> its key among the top-level resources: how a resource
        nested in another one is recognised as that key (and shared through it)."""
        return {id(value): key for key, value in self.get_top_level_resources().items()}

    def get_assets_defs_by_key(self) -> Mapping[AssetKey, AssetsDefinition]:
        return {}

    def get_asset_checks_defs_by_key(self) -> Mapping[Any, Any]:
        return {}

    def get_asset_job_nodes(self) -> list[Any]:
        return []

    def get_asset_graph(self) -> AssetGraph:
        return AssetGraph(list({id(a): a for a in self.get_assets_defs_by_key().values()}.values()))

    def get_implicit_global_asset_job_def(self) -> JobDefinition:
        return self.get_job(IMPLICIT_JOB)

    def load_all_definitions(self) -> None:
        self.get_all_jobs()
        self.get_all_schedules()
        self.get_all_sensors()


class DefinitionsData(RepositoryData):
    """Repository data held as a Definitions, plus jobs built on first use (dict form)."""

    def __init__(self, defs: Definitions,
                 lazy_jobs: Mapping[str, Callable[[], Any]] | None = None):
        self.defs = defs
        self._lazy = dict(lazy_jobs or {})
        self._built: dict[str, JobDefinition] = {}
        self._all: list[JobDefinition] | None = None

    def _build(self, name: str) -> JobDefinition:
        if name not in self._built:
            value = self._lazy[name]()
            if isinstance(value, GraphDefinition):
                value = value.to_job()
            if not isinstance(value, JobDefinition):
                raise HeadwaterInvalidDefinitionError(
                    f"The function mapped to job '{name}' returned {type(value).__name__}; it must "
                    "return a JobDefinition (a @job, or graph.to_job()).")
            if value.name != name:
                raise HeadwaterInvalidDefinitionError(
                    f"Job '{name}': name in JobDefinition does not match: the function mapped to "
                    f"'{name}' built a job named '{value.name}'. Use the same name for both.")
            self._built[name] = value
        return self._built[name]

    def _has_implicit(self) -> bool:
        return bool(self.defs.resolve_asset_graph().executable_keys)

    def get_job_names(self) -> list[str]:
        names = set(self.defs._all_jobs()) | set(self._lazy)
        if self._has_implicit():
            names.add(IMPLICIT_JOB)
        return sorted(names)

    def has_job(self, name: str) -> bool:
        return name in self.get_job_names()

    def get_job(self, name: str) -> JobDefinition:
        if name in self._lazy:
            return self._build(name)
        self.defs._check_asset_resources()
        return self.defs.resolve_job_def(name)

    def get_all_jobs(self) -> Sequence[JobDefinition]:
        if self._all is None:
            self.defs._check_asset_resources()
            jobs = [self.get_job(name) for name in self.get_job_names()]
            _check_unique_node_names(jobs)
            self._all = jobs
        return list(self._all)

    def get_all_schedules(self) -> Sequence[ScheduleDefinition]:
        return [self.defs.resolve_schedule_def(s.name) for s in self.defs.schedules]

    def get_all_sensors(self) -> Sequence[SensorDefinition]:
        return self.defs.resolve_all_sensor_defs()

    def get_top_level_resources(self) -> Mapping[str, Any]:
        return dict(self.defs.resources)

    def get_assets_defs_by_key(self) -> Mapping[AssetKey, AssetsDefinition]:
        return dict(self.defs.resolve_asset_graph().assets_def_by_key)

    def get_asset_checks_defs_by_key(self) -> Mapping[Any, Any]:
        return {key: check for check in self.defs.asset_checks
                for key in getattr(check, "check_keys", ())}

    def get_asset_graph(self) -> AssetGraph:
        return self.defs.resolve_asset_graph()

    def get_implicit_global_asset_job_def(self) -> JobDefinition:
        self.defs._check_asset_resources()
        return self.defs.get_implicit_global_asset_job_def()


def check_resource_key_mapping(repo_name: str, mapping: Mapping[int, str],
                               resources: Mapping[str, Any]) -> None:
    """A `resource_key_mapping` given to @repository must agree with the mapping derived
    from its top-level resources (the one resources are bound by)."""
    for object_id, key in mapping.items():
        if key in resources and id(resources[key]) == object_id:
            continue
        why = (f"top_level_resources['{key}'] is another object" if key in resources
               else f"top_level_resources has no resource '{key}'")
        raise HeadwaterInvalidDefinitionError(
            f"@repository '{repo_name}': resource_key_mapping maps object id {object_id} to "
            f"'{key}', but {why}. headwater derives this mapping from top_level_resources "
            "(each resource object's id to its key; see get_resource_key_mapping()): drop "
            "resource_key_mapping= or make it agree with top_level_resources.")


def _check_unique_node_names(jobs: Sequence[JobDefinition]) -> None:
    """Ops and graphs of different jobs that share a name must be the same definition."""
    seen: dict[str, Any] = {}
    for job_def in jobs:
        if job_def.is_asset_job:
            continue
        pending: list[Any] = [job_def.graph]
        while pending:
            node_def = pending.pop()
            # A graph cut by an op selection stands for the graph it was cut from.
            origin = getattr(node_def, "parent_graph_def", None) or node_def
            previous = seen.setdefault(node_def.name, origin)
            if previous is not origin:
                raise HeadwaterInvalidDefinitionError(
                    f"Conflicting definitions found in repository with name '{node_def.name}'. "
                    "Op/Graph definition names must be unique within a repository: rename one "
                    f"of the two definitions named '{node_def.name}'.")
            pending.extend(inv.node_def for inv in getattr(node_def, "invocations", {}).values())


class RepositoryDefinition:
    """A named group of jobs, schedules, sensors and assets (what `@repository` builds).

    The older grouping of definitions, kept beside Definitions (which new code should use);
    `RepositoryDefinition.from_definitions` wraps a Definitions in one.

    Args:
        name: the repository's name.
        repository_data: the RepositoryData holding the definitions.
        description: shown in the UI.
        metadata: metadata of the repository.
        repository_load_data: data cached when the repository was first loaded, if any.

    Example:
        ```python
        from headwater import Definitions, RepositoryDefinition, asset

        @asset
        def numbers() -> list[int]:
            return [1, 2]

        repo = RepositoryDefinition.from_definitions(Definitions(assets=[numbers]), name="main")
        assert repo.name == "main"
        assert repo.get_assets_def("numbers").key.to_user_string() == "numbers"
        ```
    """

    def __init__(self, name: str, *, repository_data: RepositoryData,
                 description: str | None = None, metadata: Mapping[str, Any] | None = None,
                 repository_load_data: Any = None):
        self.name = name
        self.description = description
        self.metadata = dict(metadata or {})
        self.repository_load_data = repository_load_data
        self._data = repository_data

    @classmethod
    def from_definitions(cls, defs: Definitions, name: str = "__repository__",
                         description: str | None = None) -> RepositoryDefinition:
        return cls(name, repository_data=DefinitionsData(defs), description=description,
                   metadata=defs.metadata)

    @property
    def repository_data(self) -> RepositoryData:
        return self._data

    @property
    def definitions(self) -> Definitions | None:
        """The Definitions behind a list-form repository (None for custom RepositoryData)."""
        data = self._data
        return data.defs if isinstance(data, DefinitionsData) and not data._lazy else None

    # --- jobs ---------------------------------------------------------------------------
    @property
    def job_names(self) -> list[str]:
        return list(self._data.get_job_names())

    def has_job(self, name: str) -> bool:
        return self._data.has_job(name)

    def get_job(self, name: str) -> JobDefinition:
        return self._data.get_job(name)

    get_job_def = resolve_job_def = get_job

    def get_all_jobs(self) -> list[JobDefinition]:
        return list(self._data.get_all_jobs())

    def get_implicit_global_asset_job_def(self) -> JobDefinition:
        return self._data.get_implicit_global_asset_job_def()

    # --- schedules and sensors ------------------------------------------------------------
    @property
    def schedule_defs(self) -> list[ScheduleDefinition]:
        return list(self._data.get_all_schedules())

    def has_schedule_def(self, name: str) -> bool:
        return any(s.name == name for s in self.schedule_defs)

    def get_schedule_def(self, name: str) -> ScheduleDefinition:
        return _named("schedule", self.schedule_defs, name)

    @property
    def sensor_defs(self) -> list[SensorDefinition]:
        return list(self._data.get_all_sensors())

    def has_sensor_def(self, name: str) -> bool:
        return any(s.name == name for s in self.sensor_defs)

    def get_sensor_def(self, name: str) -> SensorDefinition:
        return _named("sensor", self.sensor_defs, name)

    # --- assets -----------------------------------------------------------------------------
    @property
    def asset_graph(self) -> AssetGraph:
        return self._data.get_asset_graph()

    @property
    def assets_defs_by_key(self) -> dict[AssetKey, AssetsDefinition]:
        return dict(self._data.get_assets_defs_by_key())

    @property
    def asset_checks_defs_by_key(self) -> dict[Any, Any]:
        return dict(self._data.get_asset_checks_defs_by_key())

    def resolve_asset_graph(self) -> AssetGraph:
        """The asset graph, as `Definitions.resolve_asset_graph` gives it (sensor contexts use it)."""
        return self.asset_graph

    get_asset_graph = resolve_asset_graph

    def get_assets_def(self, key: Any) -> AssetsDefinition:
        key = to_asset_key(key)
        found = self.assets_defs_by_key.get(key)
        if found is None:
            raise HeadwaterInvalidDefinitionError(
                f"Repository '{self.name}' has no asset {key.to_user_string()!r}.")
        return found

    def get_top_level_resources(self) -> Mapping[str, Any]:
        return self._data.get_top_level_resources()

    def get_asset_value_loader(self, instance: Any = None) -> Any:
        """An `AssetValueLoader` for this repository's assets (use it with `with`)."""
        return _runtime.engine().asset_value_loader(self.assets_defs_by_key,
                                                    self.get_top_level_resources(), instance)

    def load_asset_value(self, asset_key: Any, *, python_type: Any = None,
                         instance: Any = None, partition_key: str | None = None,
                         metadata: Mapping[str, Any] | None = None,
                         resource_config: Mapping[str, Any] | None = None) -> Any:
        """The stored value of one asset, through its IO manager."""
        with self.get_asset_value_loader(instance) as loader:
            return loader.load_asset_value(asset_key, python_type=python_type,
                                           partition_key=partition_key, metadata=metadata,
                                           resource_config=resource_config)

    def get_env_vars_by_top_level_resource(self) -> Mapping[str, Any]:
        return self._data.get_env_vars_by_top_level_resource()

    def get_resource_key_mapping(self) -> Mapping[int, str]:
        """id(resource object) -> key, for the top-level resources (see RepositoryData)."""
        return self._data.get_resource_key_mapping()

    def load_all_definitions(self) -> None:
        self._data.load_all_definitions()

    def __repr__(self) -> str:
        return f"RepositoryDefinition(name={self.name!r})"

    def __call__(self, *args: Any, **kwargs: Any) -> RepositoryDefinition:
        # `@repository` replaces the user's function by this object; code written against the
        # function (`my_repo()`) still gets the repository.
        return self


def _named(kind: str, items: Sequence[Any], name: str) -> Any:
    for item in items:
        if item.name == name:
            return item
    known = ", ".join(sorted(i.name for i in items)) or "none"
    raise HeadwaterInvalidDefinitionError(
        f"Repository has no {kind} named '{name}'. Its {kind}s: {known}.")
