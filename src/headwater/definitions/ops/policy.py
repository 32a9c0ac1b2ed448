"""RetryPolicy and its Backoff/Jitter options.

Imports only `headwater.errors`.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from enum import Enum

from headwater.errors import HeadwaterInvalidDefinitionError


class Backoff(Enum):
    """How the delay between retries grows, for `RetryPolicy(backoff=...)`.

    LINEAR waits `delay`, then 2x, 3x, ...; EXPONENTIAL waits `delay`, then 3x, 7x, ...
    (doubling the total each time)."""

    LINEAR = "LINEAR"
    EXPONENTIAL = "EXPONENTIAL"


class Jitter(Enum):
    """Randomness added to the delay, for `RetryPolicy(jitter=...)`, so retries spread out.

    FULL waits a random time between 0 and the computed delay; PLUS_MINUS adds or removes up
    to `delay` seconds."""

    FULL = "FULL"
    PLUS_MINUS = "PLUS_MINUS"


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How to retry a failed step: how many times, and how long to wait between attempts.

    Set it on an op or asset (`retry_policy=`), or on a job for all its ops
    (`op_retry_policy=`). A step is retried when its function raises; `Failure(...,
    allow_retries=False)` stops it. Bad values raise `HeadwaterInvalidDefinitionError`.

    Args:
        max_retries: retries after the first attempt (1 by default).
        delay: seconds to wait before each retry; no wait when None.
        backoff: how the delay grows with each retry (`Backoff`); needs `delay`.
        jitter: randomness added to the delay (`Jitter`); needs `delay`.

    Example:
        ```python
        from headwater import RetryPolicy, job, op

        attempts = []

        @op(retry_policy=RetryPolicy(max_retries=2))
        def flaky() -> int:
            attempts.append(1)
            if len(attempts) < 3:
                raise ConnectionError("try again")
            return len(attempts)

        @job
        def fetch():
            flaky()

        assert fetch.execute_in_process().output_for_node("flaky") == 3
        ```
    """

    max_retries: int = 1
    delay: float | int | None = None
    backoff: Backoff | None = None
    jitter: Jitter | None = None

    def __post_init__(self) -> None:
        if self.max_retries < 0:
            raise HeadwaterInvalidDefinitionError(
                f"RetryPolicy(max_retries={self.max_retries}) must be 0 or more."
            )
        if self.delay is not None and self.delay < 0:
            raise HeadwaterInvalidDefinitionError(
                f"RetryPolicy(delay={self.delay}) must be 0 or more seconds."
            )
        if self.delay is None and (self.backoff is not None or self.jitter is not None):
            raise HeadwaterInvalidDefinitionError(
                "RetryPolicy with backoff or jitter needs a delay: pass delay=<seconds>."
            )

    def calculate_delay(self, attempt_num: int) -> float:
        """Seconds to wait before retry number `attempt_num` (1 for the first retry)."""
        if not self.delay:
            return 0.0
        base = float(self.delay)
        if self.backoff is Backoff.EXPONENTIAL:
            # the waits sum like a binary counter: delay, 3*delay, 7*delay, ...
            base = base * (2 ** attempt_num - 1)
        elif self.backoff is Backoff.LINEAR:
            base = base * attempt_num
        if self.jitter is Jitter.FULL:
            return random.random() * base
        if self.jitter is Jitter.PLUS_MINUS:
            return max(0.0, base + random.uniform(-float(self.delay), float(self.delay)))
        return base
