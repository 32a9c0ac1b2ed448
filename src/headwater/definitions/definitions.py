"""Definitions: everything a code location offers, validated once, all problems together.

Imports `assets.definition`, `assets.graph`, `assets.job`, `graph`, `job`, `repository` (for
`get_repository_def`), `key` and `errors` of this layer.
"""

from __future__ import annotations

import functools
import inspect
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from headwater.definitions.assets.definition import DEFAULT_GROUP, AssetsDefinition, AssetSpec
from headwater.definitions.assets.graph import AssetGraph, where
from headwater.definitions.assets.job import (
    IMPLICIT_JOB,
    AssetJobResolutionError,
    UnresolvedAssetJobDefinition,
    build_asset_job,
    flatten_assets,
)
from headwater.definitions.assets.staleness import (
    AssetGraphStaleness,
    StaleCause,
    StalenessResolver,
    StaleStatus,
)
from headwater.definitions.automation.condition_sensor import (
    AutomationConditionSensorDefinition,
    default_automation_sensor,
    targeted_keys,
)
from headwater.definitions.config.requirement import resource_requirements
from headwater.definitions.config.resource import ResourceDefinition, as_resource_definition
from headwater.definitions.key import AssetKey, to_asset_key
from headwater.definitions.metadata.value import normalize_metadata
from headwater.definitions.ops.graph import GraphDefinition
from headwater.definitions.ops.job import JobDefinition
from headwater.definitions.repository import RepositoryDefinition
from headwater.errors import (
    DefinitionError,
    HeadwaterInvalidDefinitionError,
    HeadwaterInvariantViolationError,
)


class Definitions:
    """The assets, jobs, resources, schedules and sensors of one code location.

    A module (or `definitions.py`) exposes one Definitions object; `headwater dev` and the
    daemon load it. Construction checks every definition together (unknown deps, missing
    resources, cycles, two definitions with one name) and raises one
    HeadwaterInvalidDefinitionError listing all the problems. Resources given here are bound
    to every asset, job, schedule and sensor.

    Args:
        assets: assets, source assets, asset specs and multi-assets.
        schedules: schedule definitions.
        sensors: sensor definitions.
        jobs: jobs (`@job`, `define_asset_job(...)`).
        resources: resource per key, shared by everything above.
        executor: the executor of every job that does not set its own.
        loggers: logger per name, for every job.
        asset_checks: checks (`@asset_check`, `build_*_checks(...)`).
        metadata: metadata of the code location itself.
        component_tree: the component tree these definitions were loaded from, if any.

    Example:
        ```python
        from headwater import Definitions, asset, define_asset_job

        @asset
        def numbers() -> list[int]:
            return [1, 2, 3]

        defs = Definitions(assets=[numbers], jobs=[define_asset_job("refresh")])
        job = defs.resolve_job_def("refresh")
        assert job.execute_in_process().success
        ```
    """

    def __init__(
        self,
        assets: Iterable[Any] | None = None,
        schedules: Iterable[Any] | None = None,
        sensors: Iterable[Any] | None = None,
        jobs: Iterable[Any] | None = None,
        resources: Mapping[str, Any] | None = None,
        executor: Any = None,
        loggers: Mapping[str, Any] | None = None,
        asset_checks: Iterable[Any] | None = None,
        metadata: Mapping[str, Any] | None = None,
        component_tree: Any = None,
    ):
        self.assets = list(assets or [])
        self.schedules = list(schedules or [])
        self.sensors = list(sensors or [])
        self.jobs = list(jobs or [])
        self.resources = dict(resources or {})
        self.executor = executor
        self.loggers = dict(loggers or {})
        self.asset_checks = list(asset_checks or [])
        self.metadata: dict[str, Any] = normalize_metadata(metadata, owner="Definitions(metadata=...)")
        # the component tree these definitions were loaded from (load_from_defs_folder), kept
        # for tools that show where each definition came from
        self.component_tree = component_tree
        self._asset_graph: AssetGraph | None = None
        self._jobs: dict[str, JobDefinition] | None = None
        self._implicit_job: JobDefinition | None = None
        # the automation sensor for conditions no user-defined one targets (resolved with the graph)
        self._default_sensors: list[Any] = []
        # @repository defers the asset resource checks to the first job lookup, as Dagster does
        self._defer_asset_resource_checks = False
        for value in self.jobs:
            if not isinstance(value, (JobDefinition, UnresolvedAssetJobDefinition, GraphDefinition)):
                raise HeadwaterInvalidDefinitionError(
                    f"Definitions(jobs=[...]) got {type(value).__name__}; pass @job definitions "
                    "or define_asset_job(...)."
                )

    # --- resolution -------------------------------------------------------------------
    def resolve_asset_graph(self) -> AssetGraph:
        if self._asset_graph is None:
            self._validate()
        assert self._asset_graph is not None
        return self._asset_graph

    get_asset_graph = resolve_asset_graph

    def _validate(self) -> None:
        """Build the asset graph and every job, collecting every problem, raising once."""
        problems: list[str] = []
        try:
            assets_defs = flatten_assets(self.assets)
        except HeadwaterInvalidDefinitionError as exc:
            raise DefinitionError([str(exc)]) from exc
        for check in self.asset_checks:
            if isinstance(check, AssetsDefinition):
                assets_defs.append(check)
        graph = AssetGraph(assets_defs)
        problems.extend(graph.find_problems())
        problems.extend(_automation_overlap_problems(graph, self.sensors))
        if not self._defer_asset_resource_checks:
            problems.extend(self._resource_problems(graph))
        jobs: dict[str, JobDefinition] = {}
        given: dict[str, Any] = {}  # job name -> the object passed in (jobs=, or a target)
        if not problems:
            for value in self.jobs:
                if value.name in given:
                    if given[value.name] is not value:
                        problems.append(_duplicate_job_problem(value))
                    continue
                given[value.name] = value
                try:
                    job_def = self._resolve_job(value, graph)
                except AssetJobResolutionError:
                    raise  # a selection naming unknown assets: raised alone, as a subset error
                except HeadwaterInvalidDefinitionError as exc:
                    problems.append(str(exc))
                    continue
                jobs[job_def.name] = job_def
                problems.extend(_op_resource_problems(job_def))
        for kind, source in (("schedule", self.schedules), ("sensor", self.sensors)):
            for item in source:
                targets = getattr(item, "jobs", None)  # sensors may target several jobs
                for target in targets if targets is not None else [getattr(item, "job", None)]:
                    if not isinstance(target, (JobDefinition, UnresolvedAssetJobDefinition,
                                               GraphDefinition)):
                        continue
                    if target.name in given:
                        if not _same_job(given[target.name], target):
                            problems.append(_different_target_problem(kind, item.name, target))
                        continue
                    given[target.name] = target
                    try:
                        jobs[target.name] = self._resolve_job(target, graph)
                    except AssetJobResolutionError:
                        raise
                    except HeadwaterInvalidDefinitionError as exc:
                        problems.append(str(exc))
        if not problems:
            problems.extend(self._target_name_problems(jobs))
        if problems:
            raise DefinitionError(problems)
        self._asset_graph = graph
        self._jobs = jobs
        default = default_automation_sensor(graph, self.sensors)
        self._default_sensors = [default] if default is not None else []

    def _target_name_problems(self, jobs: Mapping[str, JobDefinition]) -> list[str]:
        """Schedules and sensors that name (job_name=) a job these definitions lack."""
        problems = []
        for kind, source in (("schedule", self.schedules), ("sensor", self.sensors)):
            for item in source:
                name = getattr(item, "_job_name", None)
                has_target = bool(getattr(item, "jobs", None)) if kind == "sensor" else \
                    getattr(item, "job", None) is not None
                if isinstance(name, str) and not has_target and name not in jobs \
                        and name != IMPLICIT_JOB:
                    problems.append(
                        f'{kind} \'{item.name}\' targets job "{name}" which was not found in this '
                        f"repository. Pass the job in jobs=[...], or target it with job= instead "
                        "of job_name=."
                    )
        return problems

    def _resolve_job(self, value: Any, graph: AssetGraph) -> JobDefinition:
        if isinstance(value, UnresolvedAssetJobDefinition):
            job_def = value.resolve(graph, resource_defs=self.resources, executor_def=self.executor)
        else:
            if isinstance(value, GraphDefinition):
                value = value.to_job()
            job_def = value
            if set(self.resources) - set(value.resource_defs):
                job_def = value.with_top_level_resources(self.resources)
            if self.executor is not None and job_def.executor_def is None:
                job_def = job_def._copy(executor_def=self.executor)
        if self.loggers and not job_def.logger_defs:
            job_def = job_def._copy(logger_defs=dict(self.loggers))
        return job_def

    def _check_asset_resources(self) -> None:
        """Raise the asset resource problems that @repository defers to the first job lookup."""
        graph = self.resolve_asset_graph()
        if self._defer_asset_resource_checks:
            problems = self._resource_problems(graph)
            if problems:
                raise DefinitionError(problems)
            self._defer_asset_resource_checks = False

    def _resource_problems(self, graph: AssetGraph) -> list[str]:
        problems = _bound_resource_problems(graph, self.resources)
        for assets_def in graph.assets_defs:
            io_key = getattr(assets_def, "io_manager_key", None)
            if (assets_def.node_def is None and io_key and io_key != "io_manager"
                    and io_key not in set(self.resources) | set(assets_def.resource_defs)):
                problems.append(
                    f"source asset '{assets_def.key.to_user_string()}' is loaded with "
                    f"io_manager_key '{io_key}', which Definitions(resources=...) lacks. Add "
                    f"resources={{'{io_key}': <an IO manager>}}."
                )
            if assets_def.node_def is None:
                continue
            available = set(self.resources) | set(assets_def.resource_defs) | {"io_manager"}
            for key in sorted(assets_def.required_resource_keys - available):
                names = ", ".join(sorted(k.to_user_string() for k in assets_def.keys))
                problems.append(
                    f"asset '{names}'{where(assets_def)} needs resource '{key}', which "
                    "Definitions(resources=...) lacks (resource with key '" + key + "' required "
                    f"by op '{assets_def.node_def.name}' was not provided). Add "
                    "resources={'" + key + "': ...}."
                )
            for asset_key, io_key in assets_def.io_manager_keys.items():
                if io_key not in available:
                    problems.append(
                        f"asset '{asset_key.to_user_string()}'{where(assets_def)} uses io_manager_key "
                        f"'{io_key}', which Definitions(resources=...) lacks. Add "
                        f"resources={{'{io_key}': <an IO manager>}}."
                    )
        return problems

    @staticmethod
    def validate_loadable(defs: Definitions) -> None:
        """Raise DefinitionError listing every problem, or return quietly.

        Builds what loading the definitions in a code location builds: the asset graph, every
        job (the implicit asset job included), schedules and sensors with their targets."""
        defs.resolve_asset_graph()
        if defs.assets:
            defs.get_implicit_global_asset_job_def()
        defs.get_repository_def().load_all_definitions()

    # --- lookups ------------------------------------------------------------------------
    def has_resolved_repository_def(self) -> bool:
        """Whether the asset graph and jobs have been built and validated yet."""
        return self._asset_graph is not None

    def _all_jobs(self) -> dict[str, JobDefinition]:
        self.resolve_asset_graph()
        assert self._jobs is not None
        return self._jobs

    def resolve_job_def(self, name: str) -> JobDefinition:
        jobs = self._all_jobs()
        if name in jobs:
            return jobs[name]
        if name == IMPLICIT_JOB:
            return self.get_implicit_global_asset_job_def()
        raise HeadwaterInvalidDefinitionError(
            f"Could not find job '{name}'. Found: "
            f"{', '.join(repr(n) for n in sorted(jobs)) or 'none'}. Pass it in "
            "Definitions(jobs=[...]) or target it from a schedule or sensor."
        )

    def get_job_def(self, name: str) -> JobDefinition:
        """The job named `name`; warns, pointing to resolve_job_def, unless it was passed in directly."""
        message = self._indirect_job_message(name)
        if message is not None:
            warnings.warn(message, stacklevel=2)
        return self.resolve_job_def(name)

    def _indirect_job_message(self, name: str) -> str | None:
        fix = f"Call Definitions.resolve_job_def({name!r}) instead; get_job_def is deprecated."
        for value in self.jobs:
            if value.name == name:
                if isinstance(value, UnresolvedAssetJobDefinition):
                    return (f"Found asset job named {name} in Definitions(jobs=[...]): an asset "
                            "job (define_asset_job) becomes a JobDefinition only once the asset "
                            f"graph is built. {fix}")
                return None
        for kind, source in (("schedule", self.schedules), ("sensor", self.sensors)):
            for item in source:
                targets = getattr(item, "jobs", None)
                for target in targets if targets is not None else [getattr(item, "job", None)]:
                    if getattr(target, "name", None) == name:
                        what = "job or graph" if kind == "sensor" else "job"  # sensors take graphs
                        return (f"Found {what} named {name} only as the target of {kind} "
                                f"'{item.name}', not in Definitions(jobs=[...]). {fix}")
        if name == IMPLICIT_JOB:
            return None
        return (f"Definitions.get_job_def({name!r}): no job of that name was given in "
                f"jobs=[...], so it is looked up among the resolved jobs. {fix}")

    def get_all_job_defs(self) -> list[JobDefinition]:
        return list(self._all_jobs().values())

    resolve_all_job_defs = get_all_job_defs

    def has_job(self, name: str) -> bool:
        return name in self._all_jobs()

    def has_implicit_global_asset_job_def(self) -> bool:
        """Whether there is an implicit asset job: whether any asset can be materialized."""
        return bool(self.resolve_asset_graph().executable_keys)

    def get_implicit_global_asset_job_def(self) -> JobDefinition:
        if self._implicit_job is None:
            graph = self.resolve_asset_graph()
            job_def = build_asset_job(IMPLICIT_JOB, graph, None, self.resources,
                                      executor_def=self.executor)
            if self.loggers:
                job_def = job_def._copy(logger_defs=dict(self.loggers))
            self._implicit_job = job_def
        return self._implicit_job

    resolve_implicit_global_asset_job_def = get_implicit_global_asset_job_def

    def resolve_implicit_job_def_def_for_assets(self, asset_keys: Iterable[Any]
                                                ) -> JobDefinition | None:
        """The implicit asset job that can materialize these assets (the name is Dagster's),
        or None when one of them is not an asset these definitions can materialize."""
        graph = self.resolve_asset_graph()
        if not all(to_asset_key(k) in graph.executable_keys for k in asset_keys):
            return None
        return self.get_implicit_global_asset_job_def()

    def get_assets_def(self, key: Any) -> AssetsDefinition:
        """The AssetsDefinition passed in for `key`, else (with a warning) the resolved one."""
        key = to_asset_key(key)
        for value in [*self.assets, *self.asset_checks]:
            if isinstance(value, AssetsDefinition) and key in value.keys:
                return value
        warnings.warn(
            f"Could not find assets_def with key {key.to_user_string()!r} among the assets "
            "given to Definitions(assets=[...]), so it is taken from the resolved asset graph. "
            "Call Definitions.resolve_assets_def(key) instead; get_assets_def is deprecated.",
            stacklevel=2)
        return self.resolve_assets_def(key)

    def resolve_assets_def(self, key: Any) -> AssetsDefinition:
        key = to_asset_key(key)
        graph = self.resolve_asset_graph()
        if key not in graph.assets_def_by_key:
            raise HeadwaterInvalidDefinitionError(
                f"Definitions has no asset {key.to_user_string()!r}. Pass it in assets=[...].")
        return graph.assets_def_by_key[key]

    def get_all_asset_specs(self) -> list[AssetSpec]:
        """The spec of every asset, as resolved: an asset without a group is in "default"."""
        graph = self.resolve_asset_graph()
        specs = [graph.spec_by_key[k] for k in sorted(graph.all_keys)]
        return [s if s.group_name else s.replace_attributes(group_name=DEFAULT_GROUP)
                for s in specs]

    resolve_all_asset_specs = get_all_asset_specs

    def resolve_schedule_def(self, name: str) -> Any:
        item = self._find("schedule", self.schedules, name, HeadwaterInvalidDefinitionError)
        self.resolve_asset_graph()
        resolve = getattr(item, "_with_definitions", None)  # binds an asset job
        item = resolve(self) if resolve is not None else item
        job = getattr(item, "job", None)
        bound = self._bound_job(job)
        return item.with_updated_job(bound) if bound is not job else item

    def _bound_job(self, job: Any) -> Any:
        """A job a schedule or sensor targets, as these definitions run it (with their
        resources, executor and loggers); anything else as it is."""
        if not isinstance(job, JobDefinition):
            return job
        resolved = self._all_jobs().get(job.name)
        return resolved if resolved is not None and resolved.graph is job.graph else job

    def get_schedule_def(self, name: str) -> Any:
        warnings.warn(
            f"Definitions.get_schedule_def({name!r}) is deprecated. Call "
            f"resolve_schedule_def({name!r}) for the schedule bound to its job and resources, or "
            "get_unresolved_schedule_def for it exactly as passed in.", stacklevel=2)
        return self.resolve_schedule_def(name)

    def resolve_sensor_def(self, name: str) -> Any:
        self.resolve_asset_graph()
        item = self._find("sensor", self.resolve_all_sensor_defs(), name,
                          HeadwaterInvalidDefinitionError)
        if not item.has_jobs:
            return item
        jobs = item.jobs
        bound = [self._bound_job(job) for job in jobs]
        changed = any(new is not old for new, old in zip(bound, jobs, strict=True))
        return item.with_updated_jobs(bound) if changed else item

    def resolve_all_sensor_defs(self) -> list[Any]:
        """The sensors passed in, plus `default_automation_condition_sensor` when an asset or
        check carries an automation condition that no AutomationConditionSensorDefinition
        targets."""
        self.resolve_asset_graph()
        return [*self.sensors, *self._default_sensors]

    def get_sensor_def(self, name: str) -> Any:
        warnings.warn(
            f"Definitions.get_sensor_def({name!r}) is deprecated. Call "
            f"resolve_sensor_def({name!r}) for the sensor with its targets resolved, or "
            "get_unresolved_sensor_def for it exactly as passed in.", stacklevel=2)
        return self.resolve_sensor_def(name)

    def get_unresolved_schedule_def(self, name: str) -> Any:
        """The schedule passed in as is, without building the asset graph or its job."""
        item = self._find("schedule", self.schedules, name, ValueError)
        if getattr(item, "_rebuild", None) is not None:
            raise ValueError(
                f"schedule '{name}' is an UnresolvedPartitionedAssetScheduleDefinition: it was "
                "built by build_schedule_from_partitioned_job from an asset job, and exists only "
                f"once that job is resolved. Call Definitions.resolve_schedule_def({name!r}).")
        return item

    def get_unresolved_sensor_def(self, name: str) -> Any:
        """The sensor passed in as is, without building the asset graph or its jobs."""
        return self._find("sensor", self.sensors, name, ValueError)

    @staticmethod
    def _find(kind: str, items: list[Any], name: str, error: type[Exception]) -> Any:
        for item in items:
            if getattr(item, "name", None) == name:
                return item
        known = ", ".join(sorted(str(getattr(s, "name", "?")) for s in items)) or "none"
        raise error(f"{kind.capitalize()}Definition with name {name} not found. Definitions has "
                    f"these {kind}s: {known}.")

    def get_repository_def(self) -> Any:
        """These definitions as a RepositoryDefinition (see repository.py)."""
        self.resolve_asset_graph()
        return RepositoryDefinition.from_definitions(self)

    @property
    def asset_keys(self) -> frozenset[AssetKey]:
        return self.resolve_asset_graph().all_keys

    # --- combination --------------------------------------------------------------------
    @staticmethod
    def merge(*defs: Definitions) -> Definitions:
        resources: dict[str, Any] = {}
        for d in defs:
            for key, value in d.resources.items():
                if key in resources and resources[key] is not value:
                    raise HeadwaterInvalidDefinitionError(
                        f"Definitions.merge: resource '{key}' is defined differently in two of "
                        "the merged Definitions."
                    )
                resources[key] = value
        executors = {id(d.executor): d.executor for d in defs if d.executor is not None}
        if len(executors) > 1:
            raise HeadwaterInvalidDefinitionError(
                "Definitions.merge: more than one executor is set; keep one."
            )
        return Definitions(
            assets=[a for d in defs for a in d.assets],
            schedules=[s for d in defs for s in d.schedules],
            sensors=[s for d in defs for s in d.sensors],
            jobs=[j for d in defs for j in d.jobs],
            resources=resources,
            executor=next(iter(executors.values()), None),
            loggers={k: v for d in defs for k, v in d.loggers.items()},
            asset_checks=[c for d in defs for c in d.asset_checks],
            metadata={k: v for d in defs for k, v in d.metadata.items()},
            component_tree=next((d.component_tree for d in defs
                                 if d.component_tree is not None), None),
        )

    def with_reconstruction_metadata(self, reconstruction_metadata: Mapping[str, str]) -> Definitions:
        """A copy carrying string state that lets a code server rebuild these definitions."""
        for key, value in reconstruction_metadata.items():
            if not isinstance(value, str):
                raise HeadwaterInvariantViolationError(
                    f"with_reconstruction_metadata: key {key!r} holds a "
                    f"{type(value).__name__}, {value!r}. Reconstruction metadata values must be "
                    "strings; serialize the state first, e.g. json.dumps(value)."
                )
        copy = Definitions.merge(self)
        copy.metadata = {**self.metadata, **reconstruction_metadata}
        return copy

    def with_resources(self, resources: Mapping[str, Any]) -> Definitions:
        return Definitions(self.assets, self.schedules, self.sensors, self.jobs,
                           {**self.resources, **resources}, self.executor, self.loggers,
                           self.asset_checks, self.metadata)

    def get_staleness(self, instance: Any) -> StalenessResolver:
        """Staleness of these assets against what `instance` recorded, now:
        `defs.get_staleness(instance).status(AssetKey("b"))` (and `.causes(key, partition)`)."""
        return StalenessResolver(AssetGraphStaleness(self.resolve_asset_graph(), instance), instance)

    def get_stale_status(self, asset_key: Any, instance: Any,
                         partition_key: str | None = None) -> StaleStatus:
        """MISSING, STALE or FRESH for one asset (partition)."""
        return self.get_staleness(instance).status(to_asset_key(asset_key), partition_key)

    def get_stale_causes(self, asset_key: Any, instance: Any,
                         partition_key: str | None = None) -> list[StaleCause]:
        """Why one asset (partition) is stale; empty when it is not."""
        return self.get_staleness(instance).causes(to_asset_key(asset_key), partition_key)

    def get_asset_value_loader(self, instance: Any = None) -> Any:
        """An `AssetValueLoader` for these assets; use it as a context manager, so that the
        resources its loads initialise are torn down when the block ends."""
        from headwater.definitions import _runtime

        graph = self.resolve_asset_graph()
        return _runtime.engine().asset_value_loader(graph.assets_def_by_key, self.resources,
                                                    instance)

    def load_asset_value(self, asset_key: Any, *, python_type: Any = None,
                         instance: Any = None, partition_key: str | None = None,
                         metadata: Mapping[str, Any] | None = None,
                         resource_config: Mapping[str, Any] | None = None) -> Any:
        """The stored value of one asset, through its IO manager (resources built and torn
        down for this one load; use `get_asset_value_loader` to load several)."""
        with self.get_asset_value_loader(instance) as loader:
            return loader.load_asset_value(asset_key, python_type=python_type,
                                           partition_key=partition_key, metadata=metadata,
                                           resource_config=resource_config)


class BindResourcesToJobs(list):  # type: ignore[type-arg]
    """A list of jobs for `Definitions(jobs=BindResourcesToJobs([...]))`.

    Kept for code written against older Dagster releases: every job given to Definitions runs
    with the Definitions' resources anyway, so this is simply the list of jobs.

    Example:
        ```python
        from headwater import BindResourcesToJobs, Definitions, job, op

        @op
        def hello() -> str:
            return "hi"

        @job
        def greet():
            hello()

        defs = Definitions(jobs=BindResourcesToJobs([greet]))
        assert defs.get_job_def("greet").execute_in_process().success
        ```
    """


class LazyDefinitions:
    """A function that builds Definitions when the code location loads (see `definitions`)."""

    def __init__(self, fn: Callable[..., Any]):
        params = list(inspect.signature(fn).parameters.values())
        if len(params) > 1:
            raise HeadwaterInvariantViolationError(
                f"@definitions function '{fn.__name__}' takes {len(params)} parameters; give it "
                "none, or a single one to receive the load context."
            )
        self.fn = fn
        self.takes_context = bool(params)
        functools.update_wrapper(self, fn)

    def __call__(self, context: Any = None) -> Definitions:
        result = self.fn(context) if self.takes_context else self.fn()
        if not isinstance(result, Definitions):
            raise HeadwaterInvariantViolationError(
                f"@definitions function '{self.fn.__name__}' must return a Definitions object, "
                f"got {type(result).__name__}."
            )
        return result


def definitions(fn: Callable[..., Any]) -> LazyDefinitions:
    """Mark a function that returns Definitions, to be called when the code location loads."""
    return LazyDefinitions(fn)


def assets_from(values: Sequence[Any]) -> list[AssetsDefinition]:
    return flatten_assets(values)


def _bound_resource_problems(graph: AssetGraph, top_level: Mapping[str, Any]) -> list[str]:
    """Resources that assets bind themselves (resource_defs=, io_manager_def=, with_resources):
    two assets binding different definitions to one key, and a bound resource needing a
    resource that neither the asset nor the top level provides."""
    problems = []
    bound: dict[str, tuple[Any, AssetsDefinition]] = {}
    for assets_def in graph.assets_defs:
        names = ", ".join(sorted(repr(k.to_user_string()) for k in assets_def.keys))
        available = set(top_level) | set(assets_def.resource_defs)
        for key, value in sorted(assets_def.resource_defs.items()):
            first = bound.setdefault(key, (value, assets_def))
            if first[0] is not value and not _same_resource(first[0], value):
                other = ", ".join(sorted(repr(k.to_user_string()) for k in first[1].keys))
                problems.append(
                    f"Conflicting versions of resource with key '{key}' were provided to "
                    f"different assets: {other} and {names} each bind their own. Bind one "
                    "definition for the key (e.g. one with_resources call over both), or use "
                    "two keys.")
            needs = getattr(as_resource_definition(value), "required_resource_keys", ())
            for dep in sorted(set(needs) - available):
                problems.append(
                    f"asset {names}{where(assets_def)}: resource with key '{dep}' required by "
                    f"resource with key '{key}' was not provided. Bind '{dep}' with the asset's "
                    f"resources or add it to Definitions(resources={{'{dep}': ...}}).")
    return problems


def _automation_overlap_problems(graph: AssetGraph, sensors: Iterable[Any]) -> list[str]:
    """An asset (or check) is evaluated by one automation condition sensor only."""
    owner: dict[Any, str] = {}
    problems = []
    for sensor in sensors:
        if not isinstance(sensor, AutomationConditionSensorDefinition):
            continue
        shared = set()
        for key in targeted_keys(graph, sensor.target):
            first = owner.setdefault(key, sensor.name)
            if first != sensor.name:
                shared.add((first, key))
        for first in sorted({name for name, _ in shared}):
            keys = sorted(k.to_user_string() for name, k in shared if name == first)
            problems.append(
                f"automation condition sensors '{first}' and '{sensor.name}' both target "
                f"{', '.join(repr(k) for k in keys)}; each asset and check is evaluated by one "
                "automation sensor only. Narrow the target of one of them.")
    return problems


def _same_resource(a: Any, b: Any) -> bool:
    """Two bindings of one key that are the same resource (equal pythonic resources count)."""
    try:
        return bool(a == b) and type(a) is type(b) and not isinstance(a, ResourceDefinition)
    except Exception:  # a user's __eq__ may raise on foreign types
        return False


def _op_resource_problems(job_def: JobDefinition) -> list[str]:
    """Ops of an op job whose resources neither the job nor Definitions(resources=) bind."""
    if job_def.is_asset_job:
        return []  # assets are checked against the asset graph
    available = set(job_def.resource_defs) | {"io_manager"}
    problems = []
    for requirement in resource_requirements(job_def):
        key = requirement.key
        if key in available:
            continue
        problem = (f"{requirement.owner} in job '{job_def.name}' needs {requirement.kind} "
                   f"'{key}' ({requirement.describe_missing()}). Add it to the job's "
                   f"resource_defs or to Definitions(resources={{'{key}': ...}}).")
        if problem not in problems:
            problems.append(problem)
    return problems


def _same_job(given: Any, target: Any) -> bool:
    """Whether a schedule/sensor target is the job passed in (a graph and its jobs count)."""
    if given is target:
        return True
    if isinstance(given, UnresolvedAssetJobDefinition) or \
            isinstance(target, UnresolvedAssetJobDefinition):
        return False
    given_graph = given if isinstance(given, GraphDefinition) else given.graph
    target_graph = target if isinstance(target, GraphDefinition) else target.graph
    return bool(given_graph is target_graph)


def _duplicate_job_problem(value: Any) -> str:
    fix = "two jobs passed to Definitions share this name. Rename one of them."
    if isinstance(value, UnresolvedAssetJobDefinition):
        return f"Duplicate definition found for unresolved job '{value.name}': {fix}"
    kind = "graph" if isinstance(value, GraphDefinition) else "job"
    return f"Duplicate job definition found for {kind} '{value.name}': {fix}"


def _different_target_problem(kind: str, owner: str, target: Any) -> str:
    what = "unresolved asset job" if isinstance(target, UnresolvedAssetJobDefinition) else "job"
    return (
        f"{kind} '{owner}' targets {what} '{target.name}', but a different {what} with the same "
        f"name was provided. Pass the same {what} object to jobs=[...] and to the {kind}, or "
        "rename one of them."
    )
