"""headwater_dask: the dask executor under the name Dagster's `dagster_dask` ports to.

`from headwater_dask import dask_executor` is `headwater.integrations.dask.dask_executor`:
steps run as tasks on a `dask.distributed` cluster (a `LocalCluster` by default, or the
scheduler at `cluster: {existing: {address: ...}}`). Needs the `headwater[dask]` extra.
"""

from headwater.integrations.dask import DaskExecutor, dask_executor

__all__ = ["DaskExecutor", "dask_executor"]
