"""ConditionTree: what every AutomationCondition is when read, whatever its kind.

A condition is an immutable tree. Reading one needs no knowledge of the kinds of condition:
its children and parameters, its identity (`_key`, equality, `unique_id`, which starts a new
evaluation history when the condition changes), its text (`to_text`, `repr`) and the
`evaluate` protocol each kind fills in with `_evaluate`. Those live here, below
`condition.py`, which holds the kinds, how they are built and combined, and the older
policies. Imports this room's `subset` only; `condition.py` is named for annotations only.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from headwater.definitions.automation import subset as S

if TYPE_CHECKING:
    from headwater.definitions.automation.condition import AutomationCondition


class ConditionTree:
    """The read-only side of AutomationCondition (its base class): structure, identity, text
    and evaluation."""

    label: str | None = None
    #: the short name shown in evaluation trees
    description: str = "condition"

    # --- structure ------------------------------------------------------------------------
    @property
    def children(self) -> tuple[AutomationCondition, ...]:
        return ()

    def _params(self) -> tuple[Any, ...]:
        return ()

    def _key(self) -> tuple[Any, ...]:
        return (type(self).__name__, self._params(), self.label,
                tuple(c._key() for c in self.children))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ConditionTree) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    @property
    def name(self) -> str:
        return self.label or self.description

    def get_label(self) -> str | None:
        return self.label

    def __repr__(self) -> str:
        inner = ", ".join(repr(c) for c in self.children)
        params = ", ".join(repr(p) for p in self._params())
        body = ", ".join(x for x in (params, inner) if x)
        text = f"{type(self).__name__}({body})"
        return f"{text}.with_label({self.label!r})" if self.label else text

    def to_text(self) -> str:
        """The condition in one line, as written in Python (labels shown as names)."""
        if self.label:
            return self.label
        found = self.__dict__.get("_text_cache")
        if found is None:
            found = self.__dict__["_text_cache"] = self._text()
        return found

    def _text(self) -> str:
        params = ", ".join(repr(p) for p in self._params())
        return f"{self.description}({params})"

    @property
    def unique_id(self) -> str:
        """Changes when the condition changes (a new condition starts a new history)."""
        found = self.__dict__.get("_unique_id")
        if found is None:
            found = hashlib.sha1(repr(self._key()).encode()).hexdigest()[:16]
            self.__dict__["_unique_id"] = found
        return found

    # --- evaluation -------------------------------------------------------------------
    def evaluate(self, ctx: Any, candidates: S.Subset) -> S.Subset:
        """The subset of `candidates` this condition is true for (recorded in ctx)."""
        ctx.enter()
        result: S.Subset = S.EMPTY if S.is_empty(candidates) else self._evaluate(ctx, candidates)
        ctx.record(self, candidates, result)
        return result

    def _evaluate(self, ctx: Any, candidates: S.Subset) -> S.Subset:
        raise NotImplementedError


def conditions_in(condition: AutomationCondition) -> Iterable[AutomationCondition]:
    """Every node of the tree, depth first."""
    yield condition
    for child in condition.children:
        yield from conditions_in(child)
