"""headwater_k8s: headwater on Kubernetes (Dagster's `dagster_k8s`).

- launcher.py: `K8sRunLauncher`, named in headwater.yaml's `run_launcher:` section, runs each
  launched run's worker `headwater run-worker RUN_ID` as a batch/v1 Job.
- job.py: the Job manifest as data (`job_manifest`, `K8sJobConfig`), shared by everything
  here that starts Jobs.
- executor.py: `k8s_job_executor`, each step of a run in its own Job.

Needs the `headwater[k8s]` extra (the official `kubernetes` client, loaded on first use).
"""

from headwater_k8s.job import K8sJobConfig, job_manifest
from headwater_k8s.launcher import K8sRunLauncher, job_worker_status, run_job_manifest

# k8s_job_executor (executor.py) is exported here too, beside the launcher's names.

__all__ = [
    "K8sJobConfig",
    "K8sRunLauncher",
    "job_manifest",
    "job_worker_status",
    "run_job_manifest",
]
