"""The error hierarchy of headwater.

Owns every exception a user can see. Imports nothing else of headwater, so
every layer may raise these. Messages name the thing, what is wrong and the
fix; user-code failures chain the original exception.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

# The metadata of a Failure or a failed type check reads as MetadataValues, as everywhere
# else. This module imports nothing of headwater, so the arrow is inverted once:
# `definitions/metadata/value.py` registers its normalizer here when it is imported (it
# is, by anything that declares an op or asset).
_metadata_normalizer: Callable[[Mapping[str, Any]], dict[str, Any]] | None = None


def register_metadata_normalizer(fn: Callable[[Mapping[str, Any]], dict[str, Any]]) -> None:
    global _metadata_normalizer
    _metadata_normalizer = fn


def _as_metadata_values(metadata: Mapping[str, Any]) -> dict[str, Any]:
    if _metadata_normalizer is None:
        return dict(metadata)
    return _metadata_normalizer(metadata)


class HeadwaterError(Exception):
    """Base class of every error headwater raises on purpose.

    Catch it to handle any headwater error; `is_user_code_error` tells an error raised by
    your own code (wrapped by headwater) from one headwater found itself."""

    @property
    def is_user_code_error(self) -> bool:
        return False


class HeadwaterInvalidDefinitionError(HeadwaterError):
    """A definition (asset, op, graph, job, Definitions) breaks a rule.

    Raised when the definition is declared or bound (a bad name, an unknown input, config
    that cannot apply), before anything runs; the message names the definition and the fix.
    Also available as `HeadwaterInvalidConfigDefinitionError`, Dagster's name for config cases."""


class DefinitionError(HeadwaterInvalidDefinitionError):
    """Every problem found while validating a set of definitions, raised once.

    `Definitions(...)` and `materialize(...)` check cross-definition rules together (unknown
    deps, cycles, missing resources, mismatched partitions); `problems` lists each message,
    and the error's text counts them and names the file they were loaded from."""

    def __init__(self, problems: list[str], source: str | None = None):
        self.problems = list(problems)
        where = f" in definitions loaded from {source}" if source else " in definitions"
        if len(self.problems) == 1:
            message = f"1 problem{where}:\n  - {self.problems[0]}"
        else:
            body = "\n".join(f"  - {p}" for p in self.problems)
            message = f"{len(self.problems)} problems{where}:\n{body}"
        super().__init__(message)


class HeadwaterInvalidInvocationError(HeadwaterError):
    """A definition or API was called with arguments it cannot take.

    For example an op called directly without the context it needs, an input missing, or
    two arguments that exclude each other (`op_config=` and `config=`)."""


class HeadwaterInvariantViolationError(HeadwaterError):
    """An API was used in a way its contract forbids.

    The message says which call and what to do instead; for example reading the outputs of
    an `execute_job` result outside its `with` block."""


class HeadwaterUnknownPartitionError(HeadwaterError):
    """A partition key was asked for that the partitions definition does not have.

    Raised when running, loading or testing with a partition key outside the asset's or
    job's partitions (or a dynamic partition not yet added)."""


class HeadwaterInvalidConfigError(HeadwaterError):
    """Run config or resource config does not match its schema.

    Raised before the run starts; `errors` holds each problem, and the message lists them
    with their path (`ops.load.config.limit: ...`)."""

    def __init__(self, preamble: str, errors: list[Any] | None = None, config_value: Any = None):
        self.errors = list(errors or [])
        self.config_value = config_value
        message = preamble
        if self.errors:
            message += "\n" + "\n".join(
                f"    Error {i}: {_with_path(e)}" for i, e in enumerate(self.errors, start=1))
        super().__init__(message)


def _with_path(error: Any) -> str:
    """Lead with the dotted path (ops.load.config.limit) when the error knows it."""
    text = str(error)
    path = getattr(error, "dotted_path", None)
    if path and not text.startswith(path):
        return f"{path}: {text}"
    return text


def yaml_problem(error: Exception) -> str:
    """Where and why PyYAML refused a document, on one line: `line 4, column 9: expected ','
    or '}', but got ':' (while parsing a flow mapping begun at line 3, column 13)`. Read
    from the error's marks, so that this module need not import PyYAML."""
    mark, problem = getattr(error, "problem_mark", None), getattr(error, "problem", None)
    if mark is None or not problem:
        return " ".join(str(error).split())
    text = f"line {mark.line + 1}, column {mark.column + 1}: {problem}"
    context, begun = getattr(error, "context", None), getattr(error, "context_mark", None)
    if context and begun is not None and (begun.line, begun.column) != (mark.line, mark.column):
        text += f" ({context} begun at line {begun.line + 1}, column {begun.column + 1})"
    if "'\\t'" in problem:
        text += "; use spaces instead of the tab"
    return text


class HeadwaterInvalidSubsetError(HeadwaterError):
    """A selection names ops, steps or assets that the job does not have.

    Raised by `op_selection=`, `asset_selection=` and job subsetting; the message names
    what was not found."""


class HeadwaterUnknownResourceError(HeadwaterError, AttributeError):
    """Code asked for a resource that was not provided.

    Raised when `context.resources.<key>` names a resource the op did not require or the
    job does not bind; also an `AttributeError`, as attribute access is how it happens."""

    def __init__(self, resource_name: str, owner: str | None = None):
        self.resource_name = resource_name
        who = f" by {owner}" if owner else ""
        super().__init__(
            f"Unknown resource '{resource_name}' requested{who}. Provide it with "
            f"resources={{'{resource_name}': ...}} or add it to required_resource_keys."
        )


class HeadwaterTypeCheckDidNotPass(HeadwaterError):
    """A value failed the type check of an input or output.

    Raised when an op's input or output value does not pass its `HeadwaterType`'s check;
    the step fails, and `description` and `metadata` say what was wrong."""

    def __init__(self, description: str, metadata: dict | None = None, headwater_type: Any = None):
        super().__init__(description)
        self.description = description
        self._metadata = metadata or {}
        self.headwater_type = headwater_type

    @property
    def metadata(self) -> dict[str, Any]:
        return _as_metadata_values(self._metadata)


class HeadwaterTypeCheckError(HeadwaterTypeCheckDidNotPass):
    """A value failed the type check of an input or output (Dagster's other name).

    The same error as `HeadwaterTypeCheckDidNotPass`, which catches it too."""


class HeadwaterUserCodeExecutionError(HeadwaterError):
    """Your code raised an exception while headwater was running it.

    The original exception is chained as `__cause__` and kept as `user_exception`; the
    step, op and definition it happened in are `step_key`, `op_name` and `op_def_name`."""

    def __init__(self, message: str, user_exception: BaseException | None = None, *,
                 step_key: str | None = None, op_name: str | None = None,
                 op_def_name: str | None = None):
        super().__init__(message)
        self.user_exception = user_exception
        self.original_exc_info = (
            (type(user_exception), user_exception, user_exception.__traceback__)
            if user_exception is not None
            else None
        )
        # Where it happened, when it happened inside a step (None for resources, mappings).
        self.step_key = step_key
        self.op_name = op_name
        self.op_def_name = op_def_name

    @property
    def is_user_code_error(self) -> bool:
        return True


class HeadwaterExecutionStepExecutionError(HeadwaterUserCodeExecutionError):
    """The function of an op or asset raised while its step ran.

    The step fails (and may be retried by its `RetryPolicy`); `user_exception` is the
    original error."""


class HeadwaterExecutionHandleOutputError(HeadwaterExecutionStepExecutionError):
    """An IO manager's handle_output raised while storing an output of a step.

    A step execution error too, so that retry policies and failure reports treat it as the
    step's own failure."""


class HeadwaterExecutionLoadInputError(HeadwaterExecutionStepExecutionError):
    """An IO manager's (or input manager's) `load_input` raised while loading a step input.

    The step fails before its function runs; `user_exception` is the original error."""


class HeadwaterResourceFunctionError(HeadwaterUserCodeExecutionError):
    """A resource's initialisation raised.

    Raised before the steps needing the resource run; `user_exception` is the original error."""


class HeadwaterConfigMappingFunctionError(HeadwaterUserCodeExecutionError):
    """A ConfigMapping's (or `configured`'s) config function raised.

    Raised while resolving the run's config, before any step runs."""


class HeadwaterExecutionStepNotFoundError(HeadwaterInvalidInvocationError):
    """A step selection (of a re-execution) names steps the job's plan does not have.

    `step_keys` lists the steps that were not found."""

    def __init__(self, message: str, step_keys: list[str] | None = None):
        super().__init__(message)
        self.step_keys = list(step_keys or [])


class HeadwaterExecutionInterruptedError(BaseException):
    """Raised inside a running step when its run is canceled (or declared dead), to stop it.

    A BaseException, like KeyboardInterrupt, so that user code's `except Exception` does not
    swallow it; `finally` blocks and context managers still run."""


class HeadwaterUnmetExecutorRequirementsError(HeadwaterError):
    """The executor needs what the run lacks (a persistent instance, a reconstructable job).

    For example the multiprocess executor with an ephemeral instance: use `execute_job`
    with `reconstructable(job)` and a persistent instance, or the in-process executor."""


class HeadwaterRunNotFoundError(HeadwaterError):
    """No run with that id in the instance.

    Raised when re-executing, or reading the results of, a run the instance does not hold."""


class HeadwaterStepOutputNotFoundError(HeadwaterError):
    """A step finished without yielding a required output.

    Raised for an op that returns or yields fewer outputs than its required ones; mark an
    output `Out(is_required=False)` if it may be skipped."""

    def __init__(self, message: str, step_key: str | None = None, output_name: str | None = None):
        super().__init__(message)
        self.step_key = step_key
        self.output_name = output_name


class HeadwaterAssetCheckFailedError(HeadwaterError):
    """A blocking asset check failed with ERROR severity: its step fails, so the assets
    downstream of the checked asset are not materialized."""


class HeadwaterPipesExecutionError(HeadwaterError):
    """A process launched through Pipes failed: it exited non-zero, closed on an exception,
    or wrote something that is not a Pipes message to its message channel."""


class HeadwaterSubprocessError(HeadwaterError):
    """A subprocess headwater started (a run worker, a code server) failed; `subprocess_error_infos`
    holds what each reported."""

    def __init__(self, *args: object, subprocess_error_infos: list | None = None):
        super().__init__(*args)
        self.subprocess_error_infos = list(subprocess_error_infos or [])


class HeadwaterInvalidPropertyError(HeadwaterError):
    """A context property was read where it does not exist.

    For example `context.partition_key` in a run that is not partitioned, or
    `context.check_key` in a step that evaluates several checks."""


class HeadwaterInstanceMigrationRequired(HeadwaterError):
    """The instance database was written by an older headwater: run `headwater instance migrate`."""


class HeadwaterStorageError(HeadwaterError):
    """The instance database cannot be used as it is; the message says why and the fix.

    `kind` names the fault: unreachable, auth, unknown_database, unknown_role, corrupt,
    read_only, disk_full, io, foreign, dagster."""

    def __init__(self, message: str, *, kind: str):
        super().__init__(message)
        self.kind = kind


class HeadwaterStorageUnavailableError(HeadwaterStorageError):
    """The database server does not answer (down, restarting, network): it may come back, so
    long-lived processes (the daemon, the webserver) wait and retry instead of exiting."""


class HeadwaterInvalidMetadata(HeadwaterError):
    """Metadata could not be normalised into MetadataValue objects."""


class HeadwaterUndefinedLogicalVersionError(HeadwaterError):
    """No data version is known for the requested asset."""


class Failure(HeadwaterError):
    """Raised from user code to fail a step on purpose, with description and metadata.

    With ``allow_retries=False`` a retry policy does not retry the step.
    """

    def __init__(
        self,
        description: str | None = None,
        metadata: dict[str, Any] | None = None,
        allow_retries: bool = True,
    ):
        super().__init__(description)
        self.description = description
        self._metadata = metadata or {}
        self.allow_retries = allow_retries

    @property
    def metadata(self) -> dict[str, Any]:
        return _as_metadata_values(self._metadata)


class RetryRequested(HeadwaterError):
    """Raise it from an op or asset to ask for the step to run again.

    `max_retries` caps the attempts (1 by default) and `seconds_to_wait` sets the delay
    before the next one; raise it `from` the error that prompted the retry."""

    def __init__(self, max_retries: int | None = 1, seconds_to_wait: float | int | None = None):
        super().__init__()
        self.max_retries = max_retries
        self.seconds_to_wait = seconds_to_wait


class HeadwaterDeprecationWarning(DeprecationWarning):
    """Emitted for an argument that still works but has a newer spelling."""


class BetaWarning(Warning):
    """Emitted for an API that may still change (filter it with
    `warnings.filterwarnings("ignore", category=BetaWarning)`)."""


HeadwaterBetaWarning = BetaWarning


class PreviewWarning(Warning):
    """Emitted for an API in preview: it may change or go away in a minor release.

    Filter it with `warnings.filterwarnings("ignore", category=PreviewWarning)`."""


class SupersessionWarning(FutureWarning):
    """Emitted for an API that still works but has a preferred replacement.

    The message names the replacement; the old API keeps working meanwhile."""


class ConfigArgumentWarning(Warning):
    """Emitted for a config argument given where it has no effect.

    The message names the argument; drop it, or pass it where it applies."""


# Dagster's public names for the same errors, after the rename.
HeadwaterInvalidConfigDefinitionError = HeadwaterInvalidDefinitionError
