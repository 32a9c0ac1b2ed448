"""headwater_k8s: headwater on Kubernetes, under the name Dagster's `dagster_k8s` ports to.

`k8s_job_executor` runs each step of a run as its own Kubernetes Job (`executor.py`; the
Job's manifest is built as data in `step_job.py`, and Kubernetes is reached through the small
interface in `cluster.py`). Needs the `headwater[k8s]` extra.
"""

from headwater_k8s.executor import K8sJobExecutor, create_k8s_job_executor, k8s_job_executor
from headwater_k8s.step_job import K8S_CONFIG_TAG, K8sConfig, StepJobSettings, step_job_manifest

__all__ = ["K8S_CONFIG_TAG", "K8sConfig", "K8sJobExecutor", "StepJobSettings",
           "create_k8s_job_executor", "k8s_job_executor", "step_job_manifest"]
