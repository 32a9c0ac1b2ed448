"""The engine: plans, steps, contexts, executors, results and the events runs emit.

Imports `headwater.definitions` (never storage, code, daemon, server or cli).
Importing this package registers the engine with `headwater.definitions._runtime`.
"""

from headwater.execution.api import install

install()
