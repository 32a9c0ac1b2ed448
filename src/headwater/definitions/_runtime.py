"""The seam through which declarations reach the engine without importing it.

`headwater.execution` fills these slots at import time (dependency inversion), so that
`JobDefinition.execute_in_process()` and direct invocation of an op work while
`headwater.definitions` imports nothing of the layers above it.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

#: (job, **kwargs) -> ExecuteInProcessResult
execute_job_in_process: Callable[..., Any] | None = None
#: (op_or_assets_def, args, kwargs) -> the body's result
invoke_directly: Callable[..., Any] | None = None
#: (kind, init_context) -> an execution.executor.Executor for a built-in executor
create_executor: Callable[..., Any] | None = None
#: (defs, asset_key, **kwargs) -> the stored value, for Definitions.load_asset_value
load_asset_value: Callable[..., Any] | None = None
#: (resource_defs, resources_config) -> (values, teardown), for schedule and sensor contexts
build_resource_values: Callable[..., Any] | None = None


def require(slot: str, what: str) -> Callable[..., Any]:
    """The engine function in `slot`, loading the engine package on first use.

    The engine is named by string: this layer never imports it, it only asks for it to be
    loaded, so that `import headwater` and pure declarations stay free of the engine.
    """
    value = globals().get(slot)
    if value is None:
        importlib.import_module("headwater.execution")
        value = globals().get(slot)
    if value is None:
        raise RuntimeError(f"{what} needs the engine, which did not register '{slot}'.")
    return value
