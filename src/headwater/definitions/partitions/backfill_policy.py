"""BackfillPolicy: how many partitions of an asset one backfill run may cover.

Imports only `errors`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from headwater.errors import HeadwaterInvalidDefinitionError


class BackfillPolicyType(Enum):
    """How a backfill of an asset is split into runs.

    SINGLE_RUN: one run covers the whole range of partitions. MULTI_RUN: runs of at most
    `max_partitions_per_run` partitions each.
    """

    SINGLE_RUN = "SINGLE_RUN"
    MULTI_RUN = "MULTI_RUN"


@dataclass(frozen=True, slots=True)
class BackfillPolicy:
    """How many partitions of an asset one run of a backfill computes.

    `BackfillPolicy.single_run()` covers every partition of a backfill in one run (the asset
    reads the range from `context.partition_key_range`); `BackfillPolicy.multi_run(n)`
    launches runs of at most n. Without a policy each partition is its own run. A limit under
    1 raises HeadwaterInvalidDefinitionError.

    Args:
        max_partitions_per_run: at most this many partitions per run; None for one run.

    Example:
        ```python
        from headwater import BackfillPolicy, BackfillPolicyType, DailyPartitionsDefinition, asset

        @asset(partitions_def=DailyPartitionsDefinition(start_date="2024-01-01"),
               backfill_policy=BackfillPolicy.single_run())
        def events(context) -> None:
            context.log.info(f"loading {context.partition_key_range}")

        assert BackfillPolicy.single_run().policy_type == BackfillPolicyType.SINGLE_RUN
        assert BackfillPolicy.multi_run(10).max_partitions_per_run == 10
        ```
    """

    max_partitions_per_run: int | None = 1

    def __post_init__(self) -> None:
        if self.max_partitions_per_run is not None and self.max_partitions_per_run < 1:
            raise HeadwaterInvalidDefinitionError(
                f"BackfillPolicy.multi_run(max_partitions_per_run={self.max_partitions_per_run}) "
                "must be 1 or more; use BackfillPolicy.single_run() for one run over the range."
            )

    @staticmethod
    def single_run() -> BackfillPolicy:
        return BackfillPolicy(max_partitions_per_run=None)

    @staticmethod
    def multi_run(max_partitions_per_run: int = 1) -> BackfillPolicy:
        return BackfillPolicy(max_partitions_per_run=max_partitions_per_run)

    @property
    def policy_type(self) -> BackfillPolicyType:
        if self.max_partitions_per_run is None:
            return BackfillPolicyType.SINGLE_RUN
        return BackfillPolicyType.MULTI_RUN

    def __repr__(self) -> str:
        if self.max_partitions_per_run is None:
            return "BackfillPolicy.single_run()"
        return f"BackfillPolicy.multi_run(max_partitions_per_run={self.max_partitions_per_run})"


def runs_per_range(policies: list[BackfillPolicy | None]) -> int | None:
    """Partitions per run for assets backfilled together: the strictest policy wins.

    No policy means one partition per run; all single-run means None (the whole range).
    """
    if not policies or any(p is None for p in policies):
        return 1
    limits = [p.max_partitions_per_run for p in policies if p is not None]
    bounded = [n for n in limits if n is not None]
    return min(bounded) if bounded else None
