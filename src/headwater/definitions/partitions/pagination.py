"""PaginatedResults: one page of an ordered sequence (partition keys, typically), and the
cursor that resumes after it.

A cursor is the position after the last item returned, written as a string of its number;
it is only meaningful for the same sequence in the same order. Imports `headwater.errors`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from headwater.errors import HeadwaterInvalidInvocationError

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class PaginatedResults(Generic[T]):
    """A page of results, the cursor to pass for the next page, and whether there is one.

    Build one from a sequence with `create_from_sequence`, passing the previous page's
    `cursor` to get the next page (the cursor is the position after the page's last item).

    Args:
        results: the items of this page.
        cursor: the cursor of the next page.
        has_more: whether another page follows.

    Example:
        ```python
        from headwater import PaginatedResults

        first = PaginatedResults.create_from_sequence(["a", "b", "c"], limit=2)
        assert first.results == ["a", "b"] and first.has_more
        second = PaginatedResults.create_from_sequence(["a", "b", "c"], limit=2, cursor=first.cursor)
        assert second.results == ["c"] and not second.has_more
        ```
    """

    results: Sequence[T]
    cursor: str
    has_more: bool

    @classmethod
    def create_from_sequence(cls, seq: Sequence[T], limit: int, ascending: bool = True,
                             cursor: str | None = None) -> PaginatedResults[T]:
        """The page of `seq` (reversed unless `ascending`) of at most `limit` items that
        starts where `cursor` (from the previous page) left off, or at the start."""
        if limit < 0:
            raise HeadwaterInvalidInvocationError(
                f"PaginatedResults.create_from_sequence: limit must be 0 or more, got {limit}.")
        ordered = list(seq) if ascending else list(reversed(seq))
        start = 0
        if cursor:
            if not cursor.isdigit():
                raise HeadwaterInvalidInvocationError(
                    f"PaginatedResults: cursor {cursor!r} is not one this class produced; pass "
                    "the cursor of the previous page, or None for the first page.")
            start = int(cursor)
        end = min(start + limit, len(ordered))
        return cls(ordered[start:end], str(end), end < len(ordered))
