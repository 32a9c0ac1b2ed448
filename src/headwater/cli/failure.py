"""How a failed run reads on the command line: the user's own exception and its causes.

A step failure is recorded as the engine's wrapper ("Error occurred while executing op ...")
whose cause is the exception the user's code raised. A user debugging from a terminal wants
`ValueError: boom` and what caused it, so the wrapper is dropped here and the chain below it
is printed, one `caused by:` line per link; `--verbose` adds each link's traceback. Imports
`execution` (the recorded error type) only, when an error is read.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from headwater.execution.event import SerializableError

# The engine's boundary wraps user exceptions in this; its own message names the op, which
# the line printed already does, so the chain starts at its cause.
_WRAPPERS = frozenset({"HeadwaterExecutionStepExecutionError", "HeadwaterUserCodeExecutionError",
                       "HeadwaterExecutionHandleOutputError", "HeadwaterExecutionLoadInputError"})
_FAILURES = frozenset({"STEP_FAILURE", "PIPELINE_FAILURE", "ENGINE_EVENT"})


def is_verbose() -> bool:
    """Whether the root `headwater --verbose` flag is set for the command running now."""
    ctx = click.get_current_context(silent=True)
    obj = ctx.find_root().obj if ctx is not None else None
    return bool(obj and obj.get("verbose"))


def error_chain(error: SerializableError) -> list[SerializableError]:
    """The error and its causes, outermost first, without the engine's wrapper."""
    chain: list[SerializableError] = []
    link: SerializableError | None = error
    while link is not None:
        if not (link.cls_name in _WRAPPERS and link.cause is not None):
            chain.append(link)
        link = link.cause
    return chain


def render_error(error: SerializableError, verbose: bool, indent: str = "  ") -> list[str]:
    """Lines for an error chain: `ValueError: boom`, then `caused by: ...` per cause."""
    lines: list[str] = []
    for depth, link in enumerate(error_chain(error)):
        head, *rest = link.message.splitlines() or [link.cls_name or "error"]
        lines.append(f"{indent}{'caused by: ' if depth else ''}{head}")
        lines.extend(f"{indent}  {line}" for line in rest)
        if verbose and link.stack:
            lines.extend(f"{indent}  {line}" for chunk in link.stack
                         for line in chunk.rstrip("\n").splitlines())
    return lines


def event_error(event: Any) -> SerializableError | None:
    """The error a failure event carries (step, run or engine failure), else None."""
    if event is None or event.event_type.value not in _FAILURES:
        return None
    from headwater.execution.event import SerializableError

    error = getattr(event.payload, "error", None)
    return error if isinstance(error, SerializableError) else None


def failure_lines(events: Iterable[Any], verbose: bool) -> list[str]:
    """For each failure event with an error: who failed, then the error chain."""
    lines: list[str] = []
    shown: list[SerializableError] = []
    for event in events:
        error = event_error(event)
        # a run that failed because a step did carries that step's error: shown once
        if error is None or error in shown:
            continue
        shown.append(error)
        who = f"step {event.step_key}" if event.step_key else f"run of {event.job_name}"
        lines.append(f"{who} failed:")
        lines.extend(render_error(error, verbose))
    return lines


def error_json(error: SerializableError | None) -> list[dict[str, Any]] | None:
    """An error chain as JSON: one {class, message} per link, outermost first."""
    if error is None:
        return None
    return [{"class": link.cls_name, "message": link.message} for link in error_chain(error)]


def echo_failures(events: Iterable[Any]) -> None:
    """Print the failures of a run's events to stderr (tracebacks with --verbose)."""
    for line in failure_lines(events, is_verbose()):
        click.echo(line, err=True)
