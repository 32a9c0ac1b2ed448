"""AutomationCondition: when a target (an asset's partitions, or a check) should be requested.

A condition is an immutable tree. Leaves (operands) read the state of one target; `&`, `|`,
`~`, `.since()` and `.newly_true()` combine conditions; `any_deps_match()` / `all_deps_match()`
evaluate a condition on each dependency and map the answer back through partition mappings;
the composites (`eager()`, `on_cron()`, `on_missing()` ...) are built from those parts and
carry a label. `AutoMaterializePolicy` (the older API: a set of rules) is kept here too, as
the condition it stands for. `evaluate(ctx, candidates)` returns the subset of `candidates` for which the
condition is true; the context (evaluate.py) gives the state and remembers each node's result.
What every condition is when read (children, identity, text, the evaluate protocol) is its
base class, ConditionTree, in `condition_tree.py`, which never imports this module.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from headwater.definitions.automation import subset as S
from headwater.definitions.automation.condition_tree import ConditionTree
from headwater.definitions.partitions.cron import validate_cron_string
from headwater.errors import HeadwaterInvalidDefinitionError


class AutomationCondition(ConditionTree):
    """When automation should request an asset or check, set with `automation_condition=`.

    Start from the ready-made ones (`eager()`, `on_cron(...)`, `on_missing()`), or build your
    own from the parts (`missing()`, `any_deps_updated()`, `in_progress()`, ...), combined with
    `&`, `|`, `~`, `.since(...)` and `.newly_true()`. The automation sensor evaluates each
    target's condition at every tick and requests what is true. `eager()` and `on_missing()`
    react to changes: an asset already missing at the first evaluation is not requested.

    Example:
        ```python
        from headwater import (AutomationCondition, Definitions, HeadwaterInstance, asset,
                               evaluate_automation_conditions)

        condition = AutomationCondition.missing() & ~AutomationCondition.in_progress()

        @asset(automation_condition=condition)
        def daily_summary() -> int:
            return 1

        result = evaluate_automation_conditions(Definitions(assets=[daily_summary]),
                                                HeadwaterInstance.ephemeral())
        assert result.total_requested == 1
        ```
    """

    # --- copies (reading a condition: its children, identity and text, is ConditionTree's) --
    def _rebuild(self, children: Sequence[AutomationCondition]) -> AutomationCondition:
        return self

    def _copy(self, **changes: Any) -> AutomationCondition:
        new = object.__new__(type(self))
        new.__dict__.update(self.__dict__)
        new.__dict__.pop("_unique_id", None)
        new.__dict__.pop("_text_cache", None)
        new.__dict__.pop("_policy", None)  # changed: no longer the policy it came from
        new.__dict__.update(changes)
        return new

    # --- building ---------------------------------------------------------------------
    def __and__(self, other: AutomationCondition) -> AutomationCondition:
        _check_operand(other, "&")
        left = self.operands if isinstance(self, AndAutomationCondition) and not self.label else (self,)
        right = other.operands if isinstance(other, AndAutomationCondition) and not other.label else (other,)
        return AndAutomationCondition(*left, *right)

    def __or__(self, other: AutomationCondition) -> AutomationCondition:
        _check_operand(other, "|")
        left = self.operands if isinstance(self, OrAutomationCondition) and not self.label else (self,)
        right = other.operands if isinstance(other, OrAutomationCondition) and not other.label else (other,)
        return OrAutomationCondition(*left, *right)

    def __invert__(self) -> AutomationCondition:
        return NotAutomationCondition(self)

    def with_label(self, label: str | None) -> AutomationCondition:
        return self._copy(label=label)

    def since(self, reset_condition: AutomationCondition) -> AutomationCondition:
        """True once this becomes true, until `reset_condition` becomes true."""
        _check_operand(reset_condition, "since")
        return SinceCondition(self, reset_condition)

    def newly_true(self) -> AutomationCondition:
        """True where this is true now and was false at the previous evaluation."""
        return NewlyTrueCondition(self)

    def since_last_handled(self) -> AutomationCondition:
        """True once this becomes true, until the target is requested or updated (or the
        condition is evaluated for the first time)."""
        reset = (AutomationCondition.newly_requested() | AutomationCondition.newly_updated()
                 | AutomationCondition.initial_evaluation())
        return self.since(reset).with_label("handled")

    def replace(self, old: AutomationCondition | str, new: AutomationCondition) -> AutomationCondition:
        """This tree with every sub-condition equal to `old` (or labelled `old`) replaced."""
        if (isinstance(old, str) and self.label == old) or (
                isinstance(old, AutomationCondition) and self == old):
            return new
        if not self.children:
            return self
        return self._rebuild([c.replace(old, new) for c in self.children])

    def as_auto_materialize_policy(self) -> AutoMaterializePolicy:
        """This condition as an AutoMaterializePolicy (for code that reads the older name):
        the policy it was made from, if it was made from one."""
        return self.__dict__.get("_policy") or AutoMaterializePolicy.from_automation_condition(self)

    def without(self, condition: AutomationCondition) -> AutomationCondition:
        """An `&` or `|` with one of its operands removed."""
        raise HeadwaterInvalidDefinitionError(
            f"without() removes an operand of an & or | condition; {self.to_text()} is neither.")

    def allow(self, selection: Any) -> AutomationCondition:
        """Only the dependencies in `selection` count in the dependency conditions inside."""
        return self._map_deps(lambda d: d._copy(allow_selection=_merge(d.allow_selection, selection, "&")))

    def ignore(self, selection: Any) -> AutomationCondition:
        """The dependencies in `selection` do not count in the dependency conditions inside."""
        return self._map_deps(lambda d: d._copy(ignore_selection=_merge(d.ignore_selection, selection, "|")))

    def _map_deps(self, fn: Any) -> AutomationCondition:
        mapped = [c._map_deps(fn) for c in self.children]
        node = self._rebuild(mapped) if self.children else self
        return fn(node) if isinstance(node, DepsAutomationCondition) else node

    # --- constructors: operands -------------------------------------------------------
    @staticmethod
    def missing() -> AutomationCondition:
        return MissingCondition()

    @staticmethod
    def in_progress() -> AutomationCondition:
        return InProgressCondition()

    @staticmethod
    def execution_failed() -> AutomationCondition:
        return ExecutionFailedCondition()

    @staticmethod
    def newly_updated() -> AutomationCondition:
        return NewlyUpdatedCondition()

    @staticmethod
    def newly_requested() -> AutomationCondition:
        return NewlyRequestedCondition()

    @staticmethod
    def code_version_changed() -> AutomationCondition:
        return CodeVersionChangedCondition()

    @staticmethod
    def cron_tick_passed(cron_schedule: str, cron_timezone: str = "UTC") -> AutomationCondition:
        return CronTickPassedCondition(cron_schedule, cron_timezone)

    @staticmethod
    def in_latest_time_window(lookback_delta: _dt.timedelta | None = None) -> AutomationCondition:
        return InLatestTimeWindowCondition(lookback_delta)

    @staticmethod
    def will_be_requested() -> AutomationCondition:
        return WillBeRequestedCondition()

    @staticmethod
    def initial_evaluation() -> AutomationCondition:
        return InitialEvaluationCondition()

    @staticmethod
    def check_passed() -> AutomationCondition:
        """(On a check) its latest evaluation passed."""
        return CheckResultCondition(True)

    @staticmethod
    def check_failed() -> AutomationCondition:
        """(On a check) its latest evaluation failed."""
        return CheckResultCondition(False)

    @staticmethod
    def any_checks_match(condition: AutomationCondition,
                         blocking_only: bool = False) -> AutomationCondition:
        """(On an asset) the condition is true for some check of the asset."""
        return ChecksAutomationCondition("any", condition, blocking_only)

    @staticmethod
    def all_checks_match(condition: AutomationCondition,
                         blocking_only: bool = False) -> AutomationCondition:
        """(On an asset) the condition is true for every check of the asset (or it has none)."""
        return ChecksAutomationCondition("all", condition, blocking_only)

    @staticmethod
    def all_deps_blocking_checks_passed() -> AutomationCondition:
        """Every blocking check of every dependency passed its latest evaluation."""
        return AutomationCondition.all_deps_match(AutomationCondition.all_checks_match(
            AutomationCondition.check_passed(), blocking_only=True)
        ).with_label("all_deps_blocking_checks_passed")

    # --- constructors: dependencies ---------------------------------------------------
    @staticmethod
    def any_deps_match(condition: AutomationCondition) -> AutomationCondition:
        return DepsAutomationCondition("any", condition)

    @staticmethod
    def all_deps_match(condition: AutomationCondition) -> AutomationCondition:
        return DepsAutomationCondition("all", condition)

    @staticmethod
    def any_deps_updated() -> AutomationCondition:
        return AutomationCondition.any_deps_match(
            AutomationCondition.newly_updated() | AutomationCondition.will_be_requested()
        ).with_label("any_deps_updated")

    @staticmethod
    def any_deps_missing() -> AutomationCondition:
        return AutomationCondition.any_deps_match(
            AutomationCondition.missing() & ~AutomationCondition.will_be_requested()
        ).with_label("any_deps_missing")

    @staticmethod
    def any_deps_in_progress() -> AutomationCondition:
        return AutomationCondition.any_deps_match(
            AutomationCondition.in_progress()).with_label("any_deps_in_progress")

    @staticmethod
    def all_deps_updated_since_cron(cron_schedule: str, cron_timezone: str = "UTC") -> AutomationCondition:
        tick = AutomationCondition.cron_tick_passed(cron_schedule, cron_timezone)
        return AutomationCondition.all_deps_match(
            AutomationCondition.newly_updated().since(tick) | AutomationCondition.will_be_requested()
        ).with_label(f"all_deps_updated_since_cron({cron_schedule!r})")

    # --- constructors: composites -----------------------------------------------------
    @staticmethod
    def eager() -> AutomationCondition:
        """Request the latest partition when a dependency updates, or when it becomes missing
        after the condition is in place; never while deps are missing or in progress, or while
        the target itself is in progress."""
        newly_missing = AutomationCondition.missing().newly_true().with_label("newly_missing")
        return (
            AutomationCondition.in_latest_time_window()
            & (newly_missing | AutomationCondition.any_deps_updated()).since_last_handled()
            & ~AutomationCondition.any_deps_missing()
            & ~AutomationCondition.any_deps_in_progress()
            & ~AutomationCondition.in_progress()
        ).with_label("eager")

    @staticmethod
    def on_cron(cron_schedule: str, cron_timezone: str = "UTC") -> AutomationCondition:
        """Request the latest partition once per cron tick, as soon as every dependency has
        updated since that tick."""
        return (
            AutomationCondition.in_latest_time_window()
            & AutomationCondition.cron_tick_passed(cron_schedule, cron_timezone).since_last_handled()
            & AutomationCondition.all_deps_updated_since_cron(cron_schedule, cron_timezone)
        ).with_label(f"on_cron({cron_schedule!r}, {cron_timezone!r})")

    @staticmethod
    def on_missing() -> AutomationCondition:
        """Request a partition of the latest window once, when it becomes missing after the
        condition is in place and its dependencies are all there."""
        newly_missing = AutomationCondition.missing().newly_true().with_label("newly_missing")
        return (
            AutomationCondition.in_latest_time_window()
            & newly_missing.since_last_handled()
            & ~AutomationCondition.any_deps_missing()
            & ~AutomationCondition.in_progress()
        ).with_label("on_missing")


def _check_operand(value: Any, op: str) -> None:
    if not isinstance(value, AutomationCondition):
        raise HeadwaterInvalidDefinitionError(
            f"AutomationCondition {op} got {type(value).__name__} ({value!r}); combine "
            "AutomationCondition objects, e.g. AutomationCondition.eager() & "
            "~AutomationCondition.in_progress().")


def _merge(current: Any, selection: Any, op: str) -> Any:
    from headwater.definitions.assets.selection import AssetSelection

    new = AssetSelection.from_coercible(selection)
    if current is None:
        return new
    return (current & new) if op == "&" else (current | new)


# --- boolean operators ------------------------------------------------------------------

class _Composite(AutomationCondition):
    def __init__(self, *operands: AutomationCondition):
        for operand in operands:
            _check_operand(operand, self.description)
        self.operands = tuple(operands)

    @property
    def children(self) -> tuple[AutomationCondition, ...]:
        return self.operands

    def _rebuild(self, children: Sequence[AutomationCondition]) -> AutomationCondition:
        return self._copy(operands=tuple(children))

    def without(self, condition: AutomationCondition) -> AutomationCondition:
        if condition not in self.operands:
            raise HeadwaterInvalidDefinitionError(
                f"without(): {condition.to_text()} is not an operand of {self.to_text()}; its "
                f"operands are {[o.to_text() for o in self.operands]}.")
        return self._copy(operands=tuple(o for o in self.operands if o != condition))


class AndAutomationCondition(_Composite):
    description = "and"

    def _evaluate(self, ctx: Any, candidates: S.Subset) -> S.Subset:
        current = candidates
        for operand in self.operands:
            current = operand.evaluate(ctx, current)
        return current

    def _text(self) -> str:
        return " & ".join(_wrap(o) for o in self.operands)


class OrAutomationCondition(_Composite):
    description = "or"

    def _evaluate(self, ctx: Any, candidates: S.Subset) -> S.Subset:
        result: S.Subset = S.EMPTY
        for operand in self.operands:
            result = S.union(result, operand.evaluate(ctx, candidates))
        return result

    def _text(self) -> str:
        return " | ".join(_wrap(o) for o in self.operands)


class NotAutomationCondition(AutomationCondition):
    description = "not"

    def __init__(self, operand: AutomationCondition):
        _check_operand(operand, "~")
        self.operand = operand

    @property
    def children(self) -> tuple[AutomationCondition, ...]:
        return (self.operand,)

    def _rebuild(self, children: Sequence[AutomationCondition]) -> AutomationCondition:
        return self._copy(operand=children[0])

    def _evaluate(self, ctx: Any, candidates: S.Subset) -> S.Subset:
        return S.minus(candidates, self.operand.evaluate(ctx, candidates), ctx.universe)

    def _text(self) -> str:
        return f"~{_wrap(self.operand)}"


def _wrap(condition: AutomationCondition) -> str:
    text = condition.to_text()
    return f"({text})" if not condition.label and isinstance(
        condition, (AndAutomationCondition, OrAutomationCondition)) else text


# --- conditions with memory ------------------------------------------------------------

class SinceCondition(AutomationCondition):
    """True where `trigger` became true more recently than `reset` (both true at once: false)."""

    description = "since"

    def __init__(self, trigger: AutomationCondition, reset: AutomationCondition):
        self.trigger, self.reset = trigger, reset

    @property
    def children(self) -> tuple[AutomationCondition, ...]:
        return (self.trigger, self.reset)

    def _rebuild(self, children: Sequence[AutomationCondition]) -> AutomationCondition:
        return self._copy(trigger=children[0], reset=children[1])

    def _evaluate(self, ctx: Any, candidates: S.Subset) -> S.Subset:
        before = ctx.previous_true(self)
        trig = self.trigger.evaluate(ctx, candidates)
        reset = self.reset.evaluate(ctx, candidates)
        kept = S.union(S.intersect(before, candidates), trig)
        result = S.minus(kept, reset, ctx.universe)
        ctx.remember(self, candidates, result)
        return result

    def _text(self) -> str:
        return f"{_wrap(self.trigger)}.since({self.reset.to_text()})"


class NewlyTrueCondition(AutomationCondition):
    """True where the operand is true now and was not at the previous evaluation."""

    description = "newly_true"

    def __init__(self, operand: AutomationCondition):
        self.operand = operand

    @property
    def children(self) -> tuple[AutomationCondition, ...]:
        return (self.operand,)

    def _rebuild(self, children: Sequence[AutomationCondition]) -> AutomationCondition:
        return self._copy(operand=children[0])

    def _evaluate(self, ctx: Any, candidates: S.Subset) -> S.Subset:
        before = ctx.previous_true(self)
        now = self.operand.evaluate(ctx, candidates)
        ctx.remember(self, candidates, now)
        return S.minus(now, before, ctx.universe)

    def _text(self) -> str:
        return f"{_wrap(self.operand)}.newly_true()"


# --- operands ------------------------------------------------------------------------------

class MissingCondition(AutomationCondition):
    description = "missing"

    def _evaluate(self, ctx: Any, candidates: S.Subset) -> S.Subset:
        return S.minus(candidates, ctx.present(), ctx.universe)


class InProgressCondition(AutomationCondition):
    description = "in_progress"

    def _evaluate(self, ctx: Any, candidates: S.Subset) -> S.Subset:
        return S.intersect(candidates, ctx.in_progress())


class ExecutionFailedCondition(AutomationCondition):
    description = "execution_failed"

    def _evaluate(self, ctx: Any, candidates: S.Subset) -> S.Subset:
        return S.intersect(candidates, ctx.failed())


class NewlyUpdatedCondition(AutomationCondition):
    description = "newly_updated"

    def _evaluate(self, ctx: Any, candidates: S.Subset) -> S.Subset:
        if ctx.previous_storage_id is None:
            return S.EMPTY
        return S.intersect(candidates, ctx.updated_since(ctx.previous_storage_id))


class NewlyRequestedCondition(AutomationCondition):
    description = "newly_requested"

    def _evaluate(self, ctx: Any, candidates: S.Subset) -> S.Subset:
        return S.intersect(candidates, ctx.previous_requested())


class CodeVersionChangedCondition(AutomationCondition):
    description = "code_version_changed"

    def _evaluate(self, ctx: Any, candidates: S.Subset) -> S.Subset:
        return candidates if ctx.code_version_changed() else S.EMPTY


class CronTickPassedCondition(AutomationCondition):
    description = "cron_tick_passed"

    def __init__(self, cron_schedule: str, cron_timezone: str = "UTC"):
        validate_cron_string(cron_schedule, "AutomationCondition.cron_tick_passed")
        self.cron_schedule, self.cron_timezone = cron_schedule, cron_timezone

    def _params(self) -> tuple[Any, ...]:
        return (self.cron_schedule, self.cron_timezone)

    def _evaluate(self, ctx: Any, candidates: S.Subset) -> S.Subset:
        return candidates if ctx.cron_tick_passed(self.cron_schedule, self.cron_timezone) else S.EMPTY


class InLatestTimeWindowCondition(AutomationCondition):
    description = "in_latest_time_window"

    def __init__(self, lookback_delta: _dt.timedelta | None = None):
        self.lookback_delta = lookback_delta

    def _params(self) -> tuple[Any, ...]:
        return (self.lookback_delta,) if self.lookback_delta is not None else ()

    def _evaluate(self, ctx: Any, candidates: S.Subset) -> S.Subset:
        latest = ctx.latest_time_window(self.lookback_delta)
        return candidates if latest is S.ALL else S.intersect(candidates, latest)


class WillBeRequestedCondition(AutomationCondition):
    description = "will_be_requested"

    def _evaluate(self, ctx: Any, candidates: S.Subset) -> S.Subset:
        return S.intersect(candidates, ctx.requested_this_tick(ctx.target))


class InitialEvaluationCondition(AutomationCondition):
    description = "initial_evaluation"

    def _evaluate(self, ctx: Any, candidates: S.Subset) -> S.Subset:
        return candidates if ctx.is_initial_evaluation else S.EMPTY


class CheckResultCondition(AutomationCondition):
    """The latest evaluation of the target check passed (or failed)."""

    def __init__(self, passed: bool):
        self.passed = passed

    @property
    def description(self) -> str:  # type: ignore[override]
        return "check_passed" if self.passed else "check_failed"

    def _params(self) -> tuple[Any, ...]:
        return (self.passed,)

    def _text(self) -> str:
        return f"{self.description}()"

    def _evaluate(self, ctx: Any, candidates: S.Subset) -> S.Subset:
        return candidates if ctx.check_outcome() is self.passed else S.EMPTY


class ChecksAutomationCondition(AutomationCondition):
    """`any_checks_match` / `all_checks_match`: the operand evaluated on each check of the
    target asset (a check is evaluated as a whole, for every partition of its asset)."""

    def __init__(self, mode: str, operand: AutomationCondition, blocking_only: bool = False):
        _check_operand(operand, f"{mode}_checks_match")
        self.mode, self.operand, self.blocking_only = mode, operand, blocking_only

    @property
    def description(self) -> str:  # type: ignore[override]
        return f"{self.mode}_checks_match"

    @property
    def children(self) -> tuple[AutomationCondition, ...]:
        return (self.operand,)

    def _params(self) -> tuple[Any, ...]:
        return (self.mode, self.blocking_only)

    def _rebuild(self, children: Sequence[AutomationCondition]) -> AutomationCondition:
        return self._copy(operand=children[0])

    def _text(self) -> str:
        extra = ", blocking_only=True" if self.blocking_only else ""
        return f"AutomationCondition.{self.mode}_checks_match({self.operand.to_text()}{extra})"

    def _evaluate(self, ctx: Any, candidates: S.Subset) -> S.Subset:
        checks = ctx.checks_of_target(self.blocking_only)
        if not checks:
            return S.EMPTY if self.mode == "any" else candidates
        for check in checks:
            true = ctx.on_dependency(check, self, lambda c: self.operand.evaluate(c, S.ALL))
            if self.mode == "any" and not S.is_empty(true):
                return candidates
            if self.mode == "all" and S.is_empty(true):
                return S.EMPTY
        return S.EMPTY if self.mode == "any" else candidates


# --- dependencies ----------------------------------------------------------------------

class DepsAutomationCondition(AutomationCondition):
    """`any_deps_match` / `all_deps_match`: the operand evaluated on each dependency (each
    checked asset and extra dep, for a check), mapped back through partition mappings."""

    allow_selection: Any = None
    ignore_selection: Any = None

    def __init__(self, mode: str, operand: AutomationCondition):
        _check_operand(operand, f"{mode}_deps_match")
        self.mode, self.operand = mode, operand

    @property
    def description(self) -> str:  # type: ignore[override]
        return f"{self.mode}_deps_match"

    @property
    def children(self) -> tuple[AutomationCondition, ...]:
        return (self.operand,)

    def _params(self) -> tuple[Any, ...]:
        return (self.mode, str(self.allow_selection) if self.allow_selection is not None else None,
                str(self.ignore_selection) if self.ignore_selection is not None else None)

    def _rebuild(self, children: Sequence[AutomationCondition]) -> AutomationCondition:
        return self._copy(operand=children[0])

    def _text(self) -> str:
        text = f"AutomationCondition.{self.mode}_deps_match({self.operand.to_text()})"
        if self.allow_selection is not None:
            text += f".allow({self.allow_selection})"
        if self.ignore_selection is not None:
            text += f".ignore({self.ignore_selection})"
        return text

    def _evaluate(self, ctx: Any, candidates: S.Subset) -> S.Subset:
        deps = ctx.dependencies(self.allow_selection, self.ignore_selection)
        if not deps:
            return S.EMPTY if self.mode == "any" else candidates
        result: S.Subset = S.EMPTY if self.mode == "any" else candidates
        for dep in deps:
            upstream = ctx.upstream_candidates(dep, candidates)
            true_upstream = ctx.on_dependency(
                dep, self, lambda c, up=upstream: self.operand.evaluate(c, up))
            matched = ctx.downstream_of(dep, candidates, true_upstream)
            result = S.union(result, matched) if self.mode == "any" else S.intersect(result, matched)
            if self.mode == "all" and S.is_empty(result):
                break
        return result


# --- the older policies, mapped onto conditions ------------------------------------------

_SKIPS_EACH = "leave it False: the rule skips each partition in progress (in_progress())"


def _each_partition(rule: str, all_partitions: bool, instead: str) -> None:
    """The rules act partition by partition; `all_partitions=True` has no counterpart."""
    if all_partitions:
        raise HeadwaterInvalidDefinitionError(
            f"AutoMaterializeRule.{rule}(all_partitions=True) is not supported: {instead}.")


@dataclass(frozen=True)
class AutoMaterializeRule:
    """One rule of an AutoMaterializePolicy: a reason to materialize or to skip.

    The older way to say when to materialize; build rules with the static methods
    (`materialize_on_missing()`, `skip_on_parent_missing()`, ...). Each rule maps onto an
    AutomationCondition, which is what headwater evaluates.

    Args:
        name: the rule's name, e.g. "materialize_on_missing".
        kind: "materialize" or "skip".
        params: the rule's parameters, in the order of its static method.

    Example:
        ```python
        from headwater import AutoMaterializeRule

        rule = AutoMaterializeRule.materialize_on_cron("0 6 * * *")
        assert rule.kind == "materialize"
        print(rule.description)
        ```
    """

    name: str
    kind: str
    params: tuple[Any, ...] = ()

    def to_automation_condition(self) -> AutomationCondition:
        build = _RULES[self.name]
        return build(*self.params)

    @property
    def description(self) -> str:
        return self.to_automation_condition().to_text()

    @staticmethod
    def materialize_on_missing() -> AutoMaterializeRule:
        return AutoMaterializeRule("materialize_on_missing", "materialize")

    @staticmethod
    def materialize_on_parent_updated(updated_parent_filter: Any = None) -> AutoMaterializeRule:
        if updated_parent_filter is not None:
            raise HeadwaterInvalidDefinitionError(
                "AutoMaterializeRule.materialize_on_parent_updated(updated_parent_filter=...) is "
                "not supported: use AutomationCondition.any_deps_updated().allow(selection).")
        return AutoMaterializeRule("materialize_on_parent_updated", "materialize")

    @staticmethod
    def materialize_on_cron(cron_schedule: str, timezone: str = "UTC",
                            all_partitions: bool = False) -> AutoMaterializeRule:
        _each_partition("materialize_on_cron", all_partitions, "write AutomationCondition."
                        "cron_tick_passed(...).since_last_handled() without in_latest_time_window()")
        return AutoMaterializeRule("materialize_on_cron", "materialize", (cron_schedule, timezone))

    @staticmethod
    def skip_on_parent_missing() -> AutoMaterializeRule:
        return AutoMaterializeRule("skip_on_parent_missing", "skip")

    @staticmethod
    def skip_on_required_but_nonexistent_parents() -> AutoMaterializeRule:
        return AutoMaterializeRule("skip_on_required_but_nonexistent_parents", "skip")

    @staticmethod
    def skip_on_parent_outdated() -> AutoMaterializeRule:
        return AutoMaterializeRule("skip_on_parent_outdated", "skip")

    @staticmethod
    def skip_on_backfill_in_progress(all_partitions: bool = False) -> AutoMaterializeRule:
        _each_partition("skip_on_backfill_in_progress", all_partitions, _SKIPS_EACH)
        return AutoMaterializeRule("skip_on_backfill_in_progress", "skip")

    @staticmethod
    def skip_on_run_in_progress(all_partitions: bool = False) -> AutoMaterializeRule:
        _each_partition("skip_on_run_in_progress", all_partitions, _SKIPS_EACH)
        return AutoMaterializeRule("skip_on_run_in_progress", "skip")

    @staticmethod
    def skip_on_not_all_parents_updated_since_cron(cron_schedule: str,
                                                   timezone: str = "UTC") -> AutoMaterializeRule:
        return AutoMaterializeRule("skip_on_not_all_parents_updated_since_cron", "skip",
                                   (cron_schedule, timezone))


_RULES: dict[str, Any] = {
    "materialize_on_missing": lambda: AutomationCondition.missing().newly_true().with_label(
        "newly_missing"),
    "materialize_on_parent_updated": AutomationCondition.any_deps_updated,
    "materialize_on_cron": AutomationCondition.cron_tick_passed,
    "skip_on_parent_missing": AutomationCondition.any_deps_missing,
    "skip_on_required_but_nonexistent_parents": AutomationCondition.any_deps_missing,
    "skip_on_parent_outdated": AutomationCondition.any_deps_in_progress,
    "skip_on_backfill_in_progress": AutomationCondition.in_progress,
    "skip_on_run_in_progress": AutomationCondition.in_progress,
    "skip_on_not_all_parents_updated_since_cron":
        lambda cron, tz: ~AutomationCondition.all_deps_updated_since_cron(cron, tz),
}


class AutoMaterializePolicy:
    """A set of rules, converted to an AutomationCondition when assets are defined.

    The older spelling of `automation_condition=` (pass it as `auto_materialize_policy=`):
    `AutoMaterializePolicy.eager()` and `.lazy()`, changed with `with_rules` and
    `without_rules`. A rate limit other than 1 or None is not enforced, so it raises
    HeadwaterInvalidDefinitionError.

    Args:
        rules: the materialize and skip rules.
        max_materializations_per_minute: 1 or None (no other limit is enforced).
        asset_condition: the condition the policy stands for, when built from one.

    Example:
        ```python
        from headwater import AutoMaterializePolicy, AutoMaterializeRule, asset

        policy = AutoMaterializePolicy.eager().without_rules(
            AutoMaterializeRule.skip_on_parent_missing())

        @asset(auto_materialize_policy=policy)
        def report() -> int:
            return 1

        assert report.specs[0].automation_condition is not None
        ```
    """

    def __init__(self, rules: Iterable[AutoMaterializeRule],
                 max_materializations_per_minute: int | None = 1,
                 asset_condition: AutomationCondition | None = None):
        if max_materializations_per_minute not in (None, 1):
            raise HeadwaterInvalidDefinitionError(
                f"AutoMaterializePolicy(max_materializations_per_minute="
                f"{max_materializations_per_minute}) is not enforced by headwater, so it is "
                "refused: pass 1 or None, and limit partitions with a BackfillPolicy instead.")
        self.rules = frozenset(rules)
        self.max_materializations_per_minute = max_materializations_per_minute
        self.asset_condition = asset_condition

    @staticmethod
    def from_automation_condition(condition: AutomationCondition) -> AutoMaterializePolicy:
        """A policy that stands for `condition` (what AssetSpec.auto_materialize_policy shows)."""
        return AutoMaterializePolicy((), None, condition)

    @staticmethod
    def eager(max_materializations_per_minute: int | None = 1) -> AutoMaterializePolicy:
        return AutoMaterializePolicy({
            AutoMaterializeRule.materialize_on_missing(),
            AutoMaterializeRule.materialize_on_parent_updated(),
            AutoMaterializeRule.skip_on_parent_missing(),
            AutoMaterializeRule.skip_on_required_but_nonexistent_parents(),
            AutoMaterializeRule.skip_on_backfill_in_progress(),
        }, max_materializations_per_minute)

    @staticmethod
    def lazy(max_materializations_per_minute: int | None = 1) -> AutoMaterializePolicy:
        """Only the skip rules of `eager`: with no freshness policy to satisfy, a lazy policy
        requests nothing (as it did in Dagster); kept so that code using it loads."""
        return AutoMaterializePolicy({
            AutoMaterializeRule.skip_on_parent_missing(),
            AutoMaterializeRule.skip_on_required_but_nonexistent_parents(),
            AutoMaterializeRule.skip_on_backfill_in_progress(),
        }, max_materializations_per_minute)

    def with_rules(self, *rules: AutoMaterializeRule) -> AutoMaterializePolicy:
        return AutoMaterializePolicy(self.rules | set(rules), self.max_materializations_per_minute)

    def without_rules(self, *rules: AutoMaterializeRule) -> AutoMaterializePolicy:
        missing = [r.name for r in rules if r not in self.rules]
        if missing:
            raise HeadwaterInvalidDefinitionError(
                f"without_rules(): the policy has no rule {missing}; its rules are "
                f"{sorted(r.name for r in self.rules)}.")
        return AutoMaterializePolicy(self.rules - set(rules), self.max_materializations_per_minute)

    @property
    def materialize_rules(self) -> set[AutoMaterializeRule]:
        return {r for r in self.rules if r.kind == "materialize"}

    @property
    def skip_rules(self) -> set[AutoMaterializeRule]:
        return {r for r in self.rules if r.kind == "skip"}

    def to_automation_condition(self) -> AutomationCondition:
        if self.asset_condition is not None:
            return self.asset_condition
        materialize = sorted(self.materialize_rules, key=lambda r: (r.name, r.params))
        skip = sorted(self.skip_rules, key=lambda r: (r.name, r.params))
        if not materialize:
            condition: AutomationCondition = AutomationCondition.initial_evaluation() & \
                ~AutomationCondition.initial_evaluation()
        else:
            trigger = materialize[0].to_automation_condition()
            for rule in materialize[1:]:
                trigger = trigger | rule.to_automation_condition()
            condition = AutomationCondition.in_latest_time_window() & trigger.since_last_handled()
        for rule in skip:
            condition = condition & ~rule.to_automation_condition()
        condition = condition.with_label("auto_materialize_policy")
        condition.__dict__["_policy"] = self  # what as_auto_materialize_policy gives back
        return condition

    def __eq__(self, other: object) -> bool:
        return isinstance(other, AutoMaterializePolicy) and self.rules == other.rules and \
            self.asset_condition == other.asset_condition

    def __hash__(self) -> int:
        return hash((self.rules, self.asset_condition))

    def __repr__(self) -> str:
        return f"AutoMaterializePolicy(rules={sorted(r.name for r in self.rules)})"
