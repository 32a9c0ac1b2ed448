"""`backoff`: call a function again, after growing waits, while it raises given errors.

Dagster keeps it at `dagster._utils.backoff`, and ported projects use it in test fixtures
(to open a DuckDB file another process may hold), so `headwater._utils.backoff` is this
module (see `_compat.MODULE_ALIASES`). Imports nothing of headwater.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, TypeVar

T = TypeVar("T")
BACKOFF_MAX_RETRIES = 4


def backoff_delay_generator() -> Iterator[float]:
    """0.1 s, then twice the previous wait, without end."""
    delay = 0.1
    while True:
        yield delay
        delay *= 2


def backoff(fn: Callable[..., T], retry_on: tuple[type[BaseException], ...],
            args: Sequence[Any] | None = None, kwargs: Mapping[str, Any] | None = None,
            max_retries: int = BACKOFF_MAX_RETRIES,
            delay_generator: Iterator[float] | None = None) -> T:
    """`fn(*args, **kwargs)`, retried up to `max_retries` times while it raises one of
    `retry_on`, sleeping the next value of `delay_generator` before each retry; the last
    error is raised when the retries are spent."""
    if max_retries < 0:
        raise ValueError(f"backoff: max_retries must be 0 or more, got {max_retries}.")
    delays = delay_generator if delay_generator is not None else backoff_delay_generator()
    retries = 0
    while True:
        try:
            return fn(*(args or ()), **(kwargs or {}))
        except retry_on:
            if retries >= max_retries:
                raise
            retries += 1
            time.sleep(next(delays))
