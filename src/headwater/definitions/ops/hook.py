"""Hooks: functions run after a step succeeds or fails (alerts, cleanup).

Imports `errors` only.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

from headwater.errors import HeadwaterInvalidDefinitionError, HeadwaterInvalidInvocationError


class HookExecutionResult(NamedTuple):
    """What an `event_list_hook` returns: its name, and whether it chose to do nothing.

    Example:
        ```python
        from headwater import HookExecutionResult, build_hook_context, event_list_hook

        @event_list_hook
        def count_events(context, event_list):
            return HookExecutionResult(hook_name="count_events", is_skipped=not event_list)

        assert count_events(build_hook_context(), []).is_skipped
        ```
    """

    hook_name: str
    is_skipped: bool | None = None


class HookDefinition:
    """A function called with a `HookContext` after each step it is attached to finishes.

    Built by `@success_hook`, `@failure_hook` or `@event_list_hook`. Attach it to one op
    call (`my_op.with_hooks({hook})()`), to a job (`@hook` over the job, or `hooks=`), or
    call it directly with `build_hook_context()` in a test.

    Args:
        name: the hook's name.
        hook_fn: the function the engine calls.
        required_resource_keys: resources the hook reaches through `context.resources`.
        decorated_fn: the function as the user wrote it, for direct calls.
        trigger: when it runs: "success", "failure", "events" or "any".

    Example:
        ```python
        from headwater import HookDefinition, job, op, success_hook

        done = []

        @success_hook
        def note(context):
            done.append(context.op.name)

        @op
        def work():
            pass

        @note
        @job
        def nightly():
            work()

        assert isinstance(note, HookDefinition)
        nightly.execute_in_process()
        assert done == ["work"]
        ```
    """

    def __init__(self, name: str, hook_fn: Callable[..., Any],
                 required_resource_keys: Iterable[str] | None = None,
                 decorated_fn: Callable[..., Any] | None = None, trigger: str = "any"):
        self.name = name
        self.hook_fn = hook_fn
        self.required_resource_keys = frozenset(required_resource_keys or ())
        self.decorated_fn = decorated_fn
        self.trigger = trigger

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        # Applied to a job/graph as a decorator: attach this hook to all of its ops.
        if len(args) == 1 and not kwargs and hasattr(args[0], "hook_defs") and hasattr(args[0], "graph"):
            job = args[0]
            return job._copy(hook_defs=job.hook_defs | {self})
        if len(args) == 1 and not kwargs and hasattr(args[0], "with_node_hooks"):
            return args[0].with_node_hooks({self})
        if self.decorated_fn is None:
            raise HeadwaterInvalidInvocationError(f"hook '{self.name}' cannot be invoked directly.")
        args = self._context_from_kwargs(args, kwargs)
        if args and hasattr(args[0], "hook_def") and args[0].hook_def is None:
            args[0].hook_def = self  # a context from build_hook_context learns which hook it serves
        return self.decorated_fn(*args, **kwargs)

    def _context_from_kwargs(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, ...]:
        """A direct call passes the context positionally or by its parameter's name."""
        params = list(inspect.signature(self.decorated_fn).parameters)  # type: ignore[arg-type]
        if args or not params:
            return args
        name = params[0]
        if name in kwargs:
            return (kwargs.pop(name),)
        if kwargs:
            raise HeadwaterInvalidInvocationError(
                f"Could not find expected argument '{name}'. Provided kwargs: {sorted(kwargs)}. "
                f"Call hook '{self.name}' with its context: {self.name}(build_hook_context())."
            )
        raise HeadwaterInvalidInvocationError(
            f"Decorated function expects one parameter, {name}, but 0 were provided. Call hook "
            f"'{self.name}' with its context: {self.name}(build_hook_context())."
        )

    def __hash__(self) -> int:
        return hash(self.name)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, HookDefinition) and other.name == self.name and \
            other.hook_fn is self.hook_fn

    def __repr__(self) -> str:
        return f"HookDefinition(name={self.name!r})"


def _hook_decorator(trigger: str, hook_fn: Any, name: str | None,
                    required_resource_keys: Iterable[str] | None) -> Any:
    def decorate(fn: Callable[..., Any]) -> HookDefinition:
        params = list(inspect.signature(fn).parameters)
        if len(params) not in (1, 2):
            raise HeadwaterInvalidDefinitionError(
                f"hook '{fn.__name__}' must take (context) or (context, event_list)."
            )
        return HookDefinition(name or fn.__name__, fn, required_resource_keys, fn, trigger)

    if callable(hook_fn):
        return decorate(hook_fn)
    return decorate


def success_hook(hook_fn: Any = None, *, name: str | None = None,
                 required_resource_keys: Iterable[str] | None = None) -> Any:
    """Declare a hook that runs after each step it is attached to succeeds.

    The function takes the `HookContext` (step, run, resources); use it for notifications
    or bookkeeping. Returns a `HookDefinition`.

    Args:
        hook_fn: the function, when used bare.
        name: the hook's name; defaults to the function's name.
        required_resource_keys: resources the hook reaches through `context.resources`.

    Example:
        ```python
        from headwater import job, op, success_hook

        finished = []

        @success_hook
        def record(context):
            finished.append(context.op.name)

        @op
        def load():
            pass

        @job(hooks={record})
        def loading():
            load()

        loading.execute_in_process()
        assert finished == ["load"]
        ```
    """
    return _hook_decorator("success", hook_fn, name, required_resource_keys)


def failure_hook(hook_fn: Any = None, *, name: str | None = None,
                 required_resource_keys: Iterable[str] | None = None) -> Any:
    """Declare a hook that runs after each step it is attached to fails.

    The function takes the `HookContext`; `context.op_exception` is the error the step
    raised. Use it to alert. Returns a `HookDefinition`.

    Args:
        hook_fn: the function, when used bare.
        name: the hook's name; defaults to the function's name.
        required_resource_keys: resources the hook reaches through `context.resources`.

    Example:
        ```python
        from headwater import failure_hook, job, op

        alerts = []

        @failure_hook
        def alert(context):
            alerts.append(f"{context.op.name} failed: {context.op_exception}")

        @op
        def load():
            raise ValueError("no rows")

        @job(hooks={alert})
        def loading():
            load()

        loading.execute_in_process(raise_on_error=False)
        assert alerts == ["load failed: no rows"]
        ```
    """
    return _hook_decorator("failure", hook_fn, name, required_resource_keys)


def event_list_hook(hook_fn: Any = None, *, name: str | None = None,
                    required_resource_keys: Iterable[str] | None = None) -> Any:
    """Declare a hook that gets the step's events and decides itself what to do.

    The function takes `(context, event_list)` and returns a `HookExecutionResult`; it runs
    after each step it is attached to, whatever the outcome. Returns a `HookDefinition`.

    Args:
        hook_fn: the function, when used bare.
        name: the hook's name; defaults to the function's name.
        required_resource_keys: resources the hook reaches through `context.resources`.

    Example:
        ```python
        from headwater import HookExecutionResult, event_list_hook, job, op

        seen = []

        @event_list_hook
        def count(context, event_list):
            seen.append(len(event_list) > 0)
            return HookExecutionResult(hook_name="count", is_skipped=False)

        @op
        def work():
            pass

        @job(hooks={count})
        def working():
            work()

        working.execute_in_process()
        assert seen == [True]
        ```
    """
    return _hook_decorator("events", hook_fn, name, required_resource_keys)
