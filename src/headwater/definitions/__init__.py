"""Pure declarations: assets, ops, graphs, jobs, types, metadata, selection, Definitions.

Imports nothing of headwater but `headwater.errors`; performs no I/O.
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
