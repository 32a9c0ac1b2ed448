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
    """One job, by name (the location and repository narrow nothing in one instance)."""

    job_name: str
    location_name: str | None = None
    repository_name: str | None = None

    def matches(self, job_name: str) -> bool:
        return job_name == self.job_name


@dataclass(frozen=True)
class RepositorySelector:
    """Every job of a repository."""

    location_name: str
    repository_name: str

    def matches(self, job_name: str) -> bool:
        return True


@dataclass(frozen=True)
class CodeLocationSelector:
    """Every job of a code location."""

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
