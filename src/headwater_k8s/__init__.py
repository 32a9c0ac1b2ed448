"""headwater_k8s: headwater on Kubernetes, under the name Dagster's `dagster_k8s` ports to.

- `job.py` builds every Job headwater starts, as data: `job_manifest` from a `K8sJobConfig`
  (what all Jobs of a deployment share) and `K8sConfig` (raw config, including the
  `headwater-k8s/config` tag of a job or an op).
- `K8sRunLauncher` (launcher.py), named in headwater.yaml's `run_launcher:` section, runs
  each launched run's worker `headwater run-worker RUN_ID` as a Job (`run_job_manifest`).
- `k8s_job_executor` runs each step of a run as its own Kubernetes Job (`executor.py`; the
  step's Job is `step_job.py`'s `step_job_manifest`, job.py's builder given the step, and
  Kubernetes is reached through the small interface in `cluster.py`).

Needs the `headwater[k8s]` extra (the official `kubernetes` client, loaded on first use).
"""

from headwater_k8s.executor import K8sJobExecutor, create_k8s_job_executor, k8s_job_executor
from headwater_k8s.job import K8S_CONFIG_TAG, K8sConfig, K8sJobConfig, job_manifest
from headwater_k8s.launcher import K8sRunLauncher, job_worker_status, run_job_manifest
from headwater_k8s.step_job import StepJobSettings, step_job_manifest

__all__ = [
    "K8S_CONFIG_TAG",
    "K8sConfig",
    "K8sJobConfig",
    "K8sJobExecutor",
    "K8sRunLauncher",
    "StepJobSettings",
    "create_k8s_job_executor",
    "job_manifest",
    "job_worker_status",
    "k8s_job_executor",
    "run_job_manifest",
    "step_job_manifest",
]
