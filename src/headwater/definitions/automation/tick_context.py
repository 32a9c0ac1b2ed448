"""The part every schedule and sensor context shares: the instance, resources (built lazily,
torn down when a `with` block exits), a logger and the definitions the tick belongs to.

Resources are built through the `_runtime.build_resource_values` slot that the engine fills.
Imports `errors` and `definitions` only.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from headwater.definitions import _runtime
from headwater.errors import HeadwaterInvariantViolationError

_Context = TypeVar("_Context", bound="TickContext")


class _Resources:
    """`context.resources`: resources by attribute."""

    def __init__(self, values: Mapping[str, Any]):
        object.__setattr__(self, "_values", dict(values))

    def __getattr__(self, name: str) -> Any:
        values = object.__getattribute__(self, "_values")
        if name in values:
            return values[name]
        raise AttributeError(f"No resource '{name}' on this context; resources: {sorted(values)}.")

    def __contains__(self, name: str) -> bool:
        return name in object.__getattribute__(self, "_values")

    def original_resource_dict(self) -> dict[str, Any]:
        return dict(object.__getattribute__(self, "_values"))


def _is_generator_resource(value: Any) -> bool:
    fn = getattr(value, "resource_fn", None)
    if fn is None:
        return False
    fn = getattr(fn, "__wrapped__", fn)
    return inspect.isgeneratorfunction(fn)


class TickContext:
    """Base of ScheduleEvaluationContext and SensorEvaluationContext."""

    _kind = "sensor"

    def __init__(self, instance: Any = None, resources: Mapping[str, Any] | None = None,
                 definitions: Any = None, repository_def: Any = None,
                 instance_ref: Any = None, log_key: Any = None):
        self._instance = instance
        self._instance_ref = instance_ref
        self._log_key = log_key
        self._resource_defs = dict(resources or {})
        self._definitions = definitions if definitions is not None else repository_def
        self._built: dict[str, Any] | None = None
        self._teardown: Callable[[], None] | None = None
        self._entered = False
        self._logger: logging.Logger | None = None

    # --- instance ------------------------------------------------------------------------
    @property
    def instance(self) -> Any:
        if self._instance is None and self._instance_ref is not None:
            # opened on first use from the ref handed over, and disposed with the context
            self._instance = self._instance_ref.open()
            self._extra_teardowns.append(self._dispose_opened_instance)
        if self._instance is None:
            raise HeadwaterInvariantViolationError(
                "Attempted to initialize headwater instance, but no instance reference was "
                f"provided. Pass build_{self._kind}_context(instance=...).")
        return self._instance

    def _dispose_opened_instance(self) -> None:
        instance, self._instance = self._instance, None
        instance.dispose()

    @property
    def instance_ref(self) -> Any:
        """The `InstanceRef` the context was built with (None when given an instance)."""
        return self._instance_ref

    @property
    def log_key(self) -> Any:
        """The key the tick's captured logs are stored under, as given (None in tests)."""
        return self._log_key

    @property
    def repository_def(self) -> Any:
        return self._definitions

    @property
    def definitions(self) -> Any:
        return self._definitions

    @property
    def repository_name(self) -> str | None:
        return "__repository__" if self._definitions is not None else None

    @property
    def log(self) -> logging.Logger:
        if self._logger is None:
            self._logger = logging.getLogger(f"headwater.{self._kind}")
        return self._logger

    # --- resources ------------------------------------------------------------------------
    @property
    def resource_defs(self) -> dict[str, Any]:
        return dict(self._resource_defs)

    @property
    def resources(self) -> _Resources:
        return _Resources(self._build_resources())

    def _build_resources(self) -> dict[str, Any]:
        if self._built is None:
            if not self._entered and any(_is_generator_resource(v)
                                         for v in self._resource_defs.values()):
                raise HeadwaterInvariantViolationError(
                    "At least one provided resource is a generator, so its setup and teardown "
                    "need the context to be entered before the resources are used: "
                    f"`with build_{self._kind}_context(resources=...) as context:`.")
            if not self._resource_defs:
                self._built = {}
            else:
                build = _runtime.engine().build_resource_values
                self._built, self._teardown = build(self._resource_defs, {},
                                                    instance=self._instance)
        return self._built

    def _resources_for(self, keys: Sequence[str], overrides: Mapping[str, Any]) -> dict[str, Any]:
        """Resource values for the function's resource parameters (overrides are raw values or
        resource definitions passed as keyword arguments when invoking directly)."""
        out: dict[str, Any] = {}
        missing_defs = {k: v for k, v in overrides.items()}
        if missing_defs:
            build = _runtime.engine().build_resource_values
            values, teardown = build(missing_defs, {}, instance=self._instance)
            out.update(values)
            self._extra_teardowns.append(teardown)
        wanted = [k for k in keys if k not in out and k in self._resource_defs]
        if wanted:
            out.update({k: v for k, v in self._build_resources().items() if k in wanted})
        return out

    @property
    def _extra_teardowns(self) -> list[Callable[[], None]]:
        found = self.__dict__.setdefault("_teardowns", [])
        return found

    def _required_resources(self, keys: Sequence[str]) -> None:
        if keys:
            self._build_resources()

    def __enter__(self: _Context) -> _Context:
        self._entered = True
        return self

    def __exit__(self, *exc: Any) -> None:
        self._close()
        self._entered = False

    def _close(self) -> None:
        if self._teardown is not None:
            self._teardown()
            self._teardown = None
        self._built = None
        for teardown in self._extra_teardowns:
            teardown()
        self._extra_teardowns.clear()
