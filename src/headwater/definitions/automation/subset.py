"""Which partitions of one target a condition is true for.

A subset is a frozenset of partition keys (`None` stands for the one "partition" of an
unpartitioned target), or `ALL`, every partition of the target, kept symbolic so that
narrowing `ALL` to the latest time window never lists two years of days.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

PartitionKey = Any  # str, or None for an unpartitioned target


class _All:
    """Every partition of the target (resolved only when a set difference needs the list)."""

    _instance: _All | None = None

    def __new__(cls) -> _All:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "ALL"


ALL: Any = _All()
EMPTY: frozenset[PartitionKey] = frozenset()
Subset = Any  # frozenset[PartitionKey] | _All


def resolve(subset: Subset, universe: Callable[[], frozenset[PartitionKey]]) -> frozenset[PartitionKey]:
    return universe() if subset is ALL else subset


def intersect(a: Subset, b: Subset) -> Subset:
    if a is ALL:
        return b
    if b is ALL:
        return a
    return a & b


def union(a: Subset, b: Subset) -> Subset:
    if a is ALL or b is ALL:
        return ALL
    return a | b


def minus(a: Subset, b: Subset, universe: Callable[[], frozenset[PartitionKey]]) -> Subset:
    if b is ALL:
        return EMPTY
    if not b:
        return a
    return resolve(a, universe) - b


def is_empty(subset: Subset) -> bool:
    return subset is not ALL and not subset


def to_json(subset: frozenset[PartitionKey]) -> list[Any]:
    return sorted(subset, key=lambda k: "" if k is None else k)


def from_json(data: Iterable[Any] | None) -> frozenset[PartitionKey]:
    return frozenset(data or ())
