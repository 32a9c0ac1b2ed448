"""Executors as declarations: ExecutorDefinition, @executor and the built-in executors.

An executor decides where a run's steps execute (in the run's process, in a pool of
worker processes, on a dask cluster). This module only declares them: name, config
schema and a creation function called with an `InitExecutorContext`. The built-in
creation functions reach the engine through `_runtime.create_executor`, so that this
layer imports nothing above it. Imports `errors` and this layer's `config`, `_runtime`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from headwater.definitions import _runtime
from headwater.definitions.config.schema import Array, Field, Noneable, Permissive, Selector, Shape
from headwater.errors import HeadwaterInvalidDefinitionError

MULTIPLE_PROCESSES = "MULTIPLE_PROCESSES"
RECONSTRUCTABLE_JOB = "RECONSTRUCTABLE_JOB"
NON_EPHEMERAL_INSTANCE = "NON_EPHEMERAL_INSTANCE"


class ExecutorRequirement:
    """What an executor needs from a run, named by these constants.

    An ExecutorDefinition lists them in `requirements`; launching checks the first two
    and fails with HeadwaterUnmetExecutorRequirementsError saying what to change.
    RECONSTRUCTABLE_JOB: the job can be imported again in another process (it is defined
    at module level). NON_EPHEMERAL_INSTANCE: the instance persists (HEADWATER_HOME), so
    other processes see the run's events. PERSISTENT_OUTPUTS: outputs are stored where
    other processes can read them (not in memory).

    Example:
        ```python
        from headwater import ExecutorRequirement, multiprocess_executor

        assert ExecutorRequirement.RECONSTRUCTABLE_JOB in multiprocess_executor.requirements
        ```
    """

    RECONSTRUCTABLE_JOB = RECONSTRUCTABLE_JOB
    NON_EPHEMERAL_INSTANCE = NON_EPHEMERAL_INSTANCE
    PERSISTENT_OUTPUTS = "PERSISTENT_OUTPUTS"


def multiple_process_executor_requirements() -> list[str]:
    """The requirements of an executor that runs steps in other processes.

    All three ExecutorRequirement values: a reconstructable job, a persistent instance and
    persistent outputs. Give it as `@executor(requirements=...)` for such an executor.

    Example:
        ```python
        from headwater import ExecutorRequirement, multiple_process_executor_requirements

        needs = multiple_process_executor_requirements()
        assert ExecutorRequirement.PERSISTENT_OUTPUTS in needs
        ```
    """
    return [RECONSTRUCTABLE_JOB, NON_EPHEMERAL_INSTANCE, ExecutorRequirement.PERSISTENT_OUTPUTS]


@dataclass(frozen=True)
class InitExecutorContext:
    """What an executor's creation function gets: its config, the job and the instance.

    Args:
        job: the job being run.
        executor_def: the ExecutorDefinition being created.
        executor_config: the checked `execution.config` of the run config.
        instance: the HeadwaterInstance the run belongs to (None in tests).

    Example:
        ```python
        from headwater import InitExecutorContext, in_process_executor, job, op

        @op
        def one() -> int:
            return 1

        @job
        def single():
            one()

        context = InitExecutorContext(job=single, executor_def=in_process_executor,
                                      executor_config={})
        step_executor = in_process_executor.executor_creation_fn(context)
        print(type(step_executor).__name__)
        ```
    """

    job: Any
    executor_def: ExecutorDefinition
    executor_config: Mapping[str, Any]
    instance: Any = None


@dataclass(frozen=True)
class ExecutorDefinition:
    """A named way to execute a run's steps, with a config schema.

    Give one to `@job(executor_def=...)` or `Definitions(executor=...)`; the default runs
    steps in worker processes (`multi_or_in_process_executor`), `in_process_executor` runs
    them one at a time in the run's process. Run config sets its options under
    `execution: {config: {...}}`; `configured(config)` fixes defaults. `execute_in_process`
    always runs in process. A definition is not callable; calling it raises saying how to
    use it. `@executor` declares one from a function.

    Args:
        name: the executor's name; an empty name raises.
        config_schema: the schema of `execution.config`.
        requirements: ExecutorRequirement values it needs from a run.
        executor_creation_fn: `fn(InitExecutorContext) -> executor`.
        description: shown in the UI.
        default_config: config used where run config gives none (set by `configured`).

    Example:
        ```python
        from headwater import in_process_executor, job, op

        @op
        def hello() -> str:
            return "hello"

        quiet = in_process_executor.configured({"retries": {"disabled": {}}}, name="quiet")

        @job(executor_def=quiet)
        def greet():
            hello()

        assert greet.executor_def.name == "quiet"
        assert greet.executor_def.default_config == {"retries": {"disabled": {}}}
        assert greet.execute_in_process().output_for_node("hello") == "hello"
        ```
    """

    name: str
    config_schema: Any = None
    requirements: tuple[str, ...] = ()
    executor_creation_fn: Callable[[InitExecutorContext], Any] | None = None
    description: str | None = None
    default_config: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.name:
            raise HeadwaterInvalidDefinitionError(
                "ExecutorDefinition needs a name, e.g. ExecutorDefinition(name='my_executor', ...)."
            )
        object.__setattr__(self, "requirements", tuple(self.requirements or ()))

    def configured(self, config: Mapping[str, Any], name: str | None = None) -> ExecutorDefinition:
        """The same executor with `config` as the default of its run config."""
        return replace(self, name=name or self.name,
                       default_config={**self.default_config, **dict(config)})

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise HeadwaterInvalidDefinitionError(
            f"executor '{self.name}' is a definition, not a function: pass it as "
            f"@job(executor_def={self.name}_executor) or Definitions(executor=...), and set its "
            "options with .configured({...}) or run config execution: {config: {...}}."
        )


def executor(name: Any = None, config_schema: Any = None,
             requirements: Any = None) -> Any:
    """Declare an executor from a function `(init_context) -> Executor`.

    Used bare or with arguments; returns an ExecutorDefinition named after the function.
    The function gets an InitExecutorContext whose `executor_config` is the run's checked
    `execution.config`.

    Args:
        name: the executor's name; defaults to the function's name.
        config_schema: the schema of `execution.config`.
        requirements: ExecutorRequirement values, or a function of the config returning
            them (e.g. `multiple_process_executor_requirements`).

    Example:
        ```python
        from headwater import executor, in_process_executor, job, op, validate_run_config

        @executor(name="labelled", config_schema={"label": str})
        def labelled_executor(init_context):
            print("running with label", init_context.executor_config["label"])
            return in_process_executor.executor_creation_fn(init_context)

        @op
        def one() -> int:
            return 1

        @job(executor_def=labelled_executor)
        def single():
            one()

        checked = validate_run_config(single, {"execution": {"config": {"label": "nightly"}}})
        assert checked["execution"] == {"config": {"label": "nightly"}}
        ```
    """

    def decorate(fn: Callable[[InitExecutorContext], Any]) -> ExecutorDefinition:
        reqs = requirements(None) if callable(requirements) else requirements
        return ExecutorDefinition(name=name or fn.__name__, config_schema=config_schema,
                                  requirements=tuple(reqs or ()), executor_creation_fn=fn,
                                  description=fn.__doc__)

    if callable(name) and not isinstance(name, str):
        fn, name = name, None
        return decorate(fn)
    return decorate


def _builtin(kind: str) -> Callable[[InitExecutorContext], Any]:
    def create(init_context: InitExecutorContext) -> Any:
        create_executor = _runtime.engine().create_executor
        return create_executor(kind, init_context)

    return create


TAG_CONCURRENCY_LIMITS = Field(Noneable(Array(Shape({
    "key": str,
    "value": Field(Noneable(str), is_required=False),
    "limit": int,
}))), is_required=False)

# Whether a step waits for its upstream steps to succeed (the default), or runs once the
# outputs it reads were produced, even by an upstream step that failed after producing them.
STEP_DEPENDENCY_CONFIG = Field(Shape({
    "require_upstream_step_success": Field(bool, is_required=False, default_value=True),
}), is_required=False)

_MULTIPROCESS_CONFIG = Shape({
    "max_concurrent": Field(Noneable(int), is_required=False,
                            description="Steps at once; 0 or unset: the number of CPUs."),
    "tag_concurrency_limits": TAG_CONCURRENCY_LIMITS,
    "start_method": Field(Permissive(), is_required=False),
    "retries": Field(Permissive(), is_required=False),
    "step_dependency_config": STEP_DEPENDENCY_CONFIG,
})
_IN_PROCESS_CONFIG = Shape({
    "retries": Field(Permissive(), is_required=False),
    "marker_to_close": Field(str, is_required=False),
    "step_dependency_config": STEP_DEPENDENCY_CONFIG,
})

in_process_executor = ExecutorDefinition(
    name="in_process", config_schema=_IN_PROCESS_CONFIG,
    executor_creation_fn=_builtin("in_process"),
    description="Runs every step in the run's process, one at a time.",
)
multiprocess_executor = ExecutorDefinition(
    name="multiprocess", config_schema=_MULTIPROCESS_CONFIG,
    requirements=tuple(multiple_process_executor_requirements()),
    executor_creation_fn=_builtin("multiprocess"),
    description="Runs steps in a pool of worker processes that import the code once per run.",
)
multi_or_in_process_executor = ExecutorDefinition(
    name="multi_or_in_process_executor",
    config_schema=Field(Selector({"multiprocess": _MULTIPROCESS_CONFIG,
                                  "in_process": _IN_PROCESS_CONFIG}),
                        default_value={"multiprocess": {}}),
    requirements=tuple(multiple_process_executor_requirements()),
    executor_creation_fn=_builtin("multi_or_in_process"),
    description="The multiprocess executor, or in-process with config {in_process: {}}.",
)
