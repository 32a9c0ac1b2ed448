"""The one seam through which a declaration runs itself, without importing the engine.

A user expects `job.execute_in_process()`, `my_asset(1)`, `defs.load_asset_value(...)` and a
sensor context's resources to work, yet `headwater.definitions` sits below
`headwater.execution` and must not import it. So the arrow is inverted here, once: this
module declares, as the `Engine` protocol, exactly which five things a definition may ask of
the engine, and the engine registers an object that provides them when it is imported
(`headwater.execution.api`). mypy checks the registered object against the protocol, and
`tests/test_layering.py` checks that no other module of `definitions` names a layer above it.

Imports nothing of headwater.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any, Protocol


class Engine(Protocol):
    """What the declarations layer may ask of the engine."""

    def execute_job_in_process(self, job: Any, /, *args: Any, **kwargs: Any) -> Any:
        """Run a job (or a graph as a job) in this process; returns its result."""

    def invoke_directly(self, definition: Any, args: tuple[Any, ...],
                        kwargs: dict[str, Any]) -> Any:
        """Call an op's or asset's body (or a resource's init function) as a function, as
        `my_asset(...)` does."""

    def create_executor(self, kind: str, init_context: Any) -> Any:
        """An `execution.executor.Executor` for one of the built-in executor kinds."""

    def load_asset_value(self, defs: Any, key: Any, *, python_type: Any = None,
                         instance: Any = None, partition_key: str | None = None) -> Any:
        """The stored value of an asset, through its IO manager."""

    def build_resource_values(self, resource_defs: Mapping[str, Any],
                              resources_config: Mapping[str, Any], /,
                              *args: Any, **kwargs: Any) -> tuple[dict[str, Any], Callable[[], None]]:
        """Initialize resources; returns (values by key, teardown)."""


_engine: Engine | None = None


def register(engine: Engine) -> None:
    """Called once by the engine package when it is imported."""
    global _engine
    _engine = engine


def engine() -> Engine:
    """The registered engine, loading the engine package on first use.

    The engine is named by string: this layer never imports it, it only asks for it to be
    loaded, so that `import headwater` and pure declarations stay free of the engine.
    """
    if _engine is None:
        importlib.import_module("headwater.execution")
    if _engine is None:
        raise RuntimeError("headwater.execution was imported but registered no engine; "
                           "the installation is broken (reinstall headwater).")
    return _engine
