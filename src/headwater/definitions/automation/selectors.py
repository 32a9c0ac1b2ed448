"""Selectors naming what a run status sensor watches beyond its own code location:
`JobSelector` (one job), `RepositorySelector` and `CodeLocationSelector` (every job of a
repository or location). A run records no location, so the last two match every run and a
`JobSelector` matches by job name. Imports nothing of headwater.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class JobSelector:
    """Names one job, for `monitored_jobs=` of run-status sensors.

    The location and repository are recorded but narrow nothing within one instance.

    Args:
        job_name: the job's name.
        location_name: the code location holding it.
        repository_name: the repository holding it.

    Example:
        ```python
        from headwater import JobSelector

        selector = JobSelector(job_name="nightly", location_name="analytics")
        assert selector.matches("nightly") and not selector.matches("hourly")
        ```
    """

    job_name: str
    location_name: str | None = None
    repository_name: str | None = None

    def matches(self, job_name: str) -> bool:
        return job_name == self.job_name


@dataclass(frozen=True)
class RepositorySelector:
    """Names every job of a repository, for `monitored_jobs=` of run-status sensors.

    Args:
        location_name: the code location holding the repository.
        repository_name: the repository's name.

    Example:
        ```python
        from headwater import RepositorySelector

        selector = RepositorySelector(location_name="analytics", repository_name="__repository__")
        assert selector.matches("any_job")
        ```
    """

    location_name: str
    repository_name: str

    def matches(self, job_name: str) -> bool:
        return True


@dataclass(frozen=True)
class CodeLocationSelector:
    """Names every job of a code location, for `monitored_jobs=` of run-status sensors.

    Args:
        location_name: the code location's name.
        repository_name: the repository, when the location holds several.

    Example:
        ```python
        from headwater import CodeLocationSelector

        selector = CodeLocationSelector(location_name="analytics")
        assert selector.matches("nightly")
        ```
    """

    location_name: str
    repository_name: str | None = None

    def matches(self, job_name: str) -> bool:
        return True


def watches(monitored: list[Any], job_name: str) -> bool:
    """Whether a run of `job_name` is one that `monitored` (job names and selectors) names;
    an empty list watches every job."""
    if not monitored:
        return True
    return any(m.matches(job_name) if hasattr(m, "matches") else m == job_name
               for m in monitored)
