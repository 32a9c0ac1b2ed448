"""Pure declarations: what a user writes, checked, and nothing that runs it.

The rooms follow the concepts of the docs, and import downwards only (tests/test_layering.py):

    metadata/, partitions/   the bottom: values about data, slices of data
    config/                  config schemas, Config classes, resources, IO managers, executors
    ops/                     ops, graphs, jobs, hooks, retry policy
    assets/                  assets, their graph, selection, asset jobs (an asset runs as an op)
    automation/              schedules, sensors, what a tick returns

At the top sit the shared vocabulary that every room may use (`key.py` for `AssetKey`,
`tags.py` for every `headwater/...` tag, `keywords.py` for refusing misspelled keywords,
`run_request.py`, and `_runtime.py`, the one typed seam through which a definition asks the
engine to run it), and the bundle that sits on all rooms (`definitions.py`,
`repository.py`, `repository_decorator.py` for `@repository`, `module_loader.py`,
`serdes.py`).

Imports nothing of headwater but `headwater.errors` (the engine only by name, through
`_runtime`); performs no I/O.
"""

import sys
from types import ModuleType
from typing import Any


class _DefinitionsPackage(ModuleType):
    """`headwater.definitions` is this package and, as in Dagster, the `@definitions`
    decorator: calling the package decorates a function that returns Definitions."""

    def __call__(self, fn: Any) -> Any:
        from headwater.definitions.definitions import definitions  # same layer, loaded lazily

        return definitions(fn)


sys.modules[__name__].__class__ = _DefinitionsPackage
