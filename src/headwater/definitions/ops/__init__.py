"""Ops, graphs and jobs: the compute layer underneath assets.

`op.py` declares a unit of work whose typed ins and outs are declared in `inout.py` and produced
as `output.py`'s events; `composition.py` records the calls made inside a `@graph` body, and
`graph.py` and `job.py` turn those calls into a wiring of nodes (`wiring.py` holds the explicit
form, for graphs built without a body); `hook.py` and `policy.py` hold what happens around an
op (success/failure hooks, retries). A job only describes; it runs through the `_runtime`
seam, which the engine fills, so `job.execute_in_process()` works without this package
importing the engine.

May import: `headwater.errors`, `definitions.config`, `definitions.metadata`,
`definitions.partitions`, the vocabulary at the top (`key.py`, `tags.py`), and
`definitions._runtime`. Not `assets`: an asset is built on an op, never the reverse.
"""
