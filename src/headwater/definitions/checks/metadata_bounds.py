"""`build_metadata_bounds_checks`: a check that a numeric metadata value of each asset's latest
materialization lies within bounds (a row count between 1 and 10,000, a null ratio below 0.1).

One `@multi_asset_check` covers every asset of a call, one check per asset, named after the
metadata key (`row_count_bounds_check`). It reads the latest materialization through
`context.instance` when it runs, so it sees the materialization made earlier in the same run.

Imports `key`, `tags`, `errors`, the `metadata` room and this room's `spec`, `result`,
`decorators`, `history` and `target`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from headwater.definitions.checks.decorators import multi_asset_check
from headwater.definitions.checks.history import latest_materializations
from headwater.definitions.checks.result import AssetCheckResult
from headwater.definitions.checks.spec import AssetCheckSeverity, AssetCheckSpec, to_severity
from headwater.definitions.checks.target import asset_targets, check_name_part, factory_node_name
from headwater.definitions.metadata.value import MetadataValue
from headwater.errors import HeadwaterInvalidDefinitionError

_OWNER = "build_metadata_bounds_checks"


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _check_bound(name: str, value: Any) -> None:
    if value is not None and not _is_number(value):
        raise HeadwaterInvalidDefinitionError(
            f"{_OWNER}: `{name}` must be a number, got {type(value).__name__} {value!r}.")


def _describe_bounds(min_value: float | None, max_value: float | None, exclusive_min: bool,
                     exclusive_max: bool) -> str:
    parts = []
    if min_value is not None:
        parts.append(f"greater than {'' if exclusive_min else 'or equal to '}{min_value}")
    if max_value is not None:
        parts.append(f"less than {'' if exclusive_max else 'or equal to '}{max_value}")
    return " and ".join(parts)


def bounds_outcome(value: Any, min_value: float | None, max_value: float | None,
                   exclusive_min: bool = False, exclusive_max: bool = False
                   ) -> tuple[bool, str]:
    """Whether `value` lies within the bounds, and the sentence that says why."""
    if not _is_number(value):
        return False, f"Value `{value}` is not a number"
    if min_value is not None and (value < min_value or (exclusive_min and value == min_value)):
        relation = "less than or equal to" if exclusive_min else "less than"
        return False, f"Value `{value}` is {relation} {min_value}"
    if max_value is not None and (value > max_value or (exclusive_max and value == max_value)):
        relation = "greater than or equal to" if exclusive_max else "greater than"
        return False, f"Value `{value}` is {relation} {max_value}"
    return True, f"Value `{value}` is within range"


def build_metadata_bounds_checks(
    *,
    assets: Any,
    metadata_key: str,
    min_value: float | None = None,
    max_value: float | None = None,
    exclusive_min: bool = False,
    exclusive_max: bool = False,
    severity: AssetCheckSeverity = AssetCheckSeverity.WARN,
    blocking: bool = False,
) -> list[Any]:
    """Build checks that a numeric metadata value of each asset stays within bounds.

    Each check reads `metadata_key` from the asset's latest materialization and passes when
    it is at least `min_value` and at most `max_value` (strictly, with `exclusive_min` /
    `exclusive_max`). Returns one AssetChecksDefinition with a check per asset, named
    `<metadata_key>_bounds_check`. An empty key or no bound raises
    HeadwaterInvalidDefinitionError.

    Args:
        assets: the assets to check (definitions, specs or keys).
        metadata_key: the metadata entry to read, e.g. "row_count".
        min_value: the lowest allowed value; no lower bound when not given.
        max_value: the highest allowed value; no upper bound when not given.
        exclusive_min: whether `min_value` itself is refused.
        exclusive_max: whether `max_value` itself is refused.
        severity: the severity of a failure (WARN by default).
        blocking: whether a failure stops downstream assets in the run.

    Example:
        ```python
        from headwater import (HeadwaterInstance, MaterializeResult, asset,
                               build_metadata_bounds_checks, materialize)

        @asset
        def orders():
            return MaterializeResult(metadata={"row_count": 42})

        checks = build_metadata_bounds_checks(assets=[orders], metadata_key="row_count",
                                              min_value=1)
        instance = HeadwaterInstance.ephemeral()
        result = materialize([orders, *checks], instance=instance)
        [evaluation] = result.get_asset_check_evaluations()
        assert evaluation.check_name == "row_count_bounds_check" and evaluation.passed
        ```
    """
    if not isinstance(metadata_key, str) or not metadata_key:
        raise HeadwaterInvalidDefinitionError(
            f"{_OWNER}: `metadata_key` must be a non-empty string such as 'row_count', got "
            f"{metadata_key!r}.")
    _check_bound("min_value", min_value)
    _check_bound("max_value", max_value)
    if min_value is None and max_value is None:
        raise HeadwaterInvalidDefinitionError(
            f"{_OWNER}: give `min_value`, `max_value` or both; with neither, every value would "
            "pass.")
    if min_value is not None and max_value is not None:
        if min_value > max_value:
            raise HeadwaterInvalidDefinitionError(
                f"{_OWNER}: `min_value` may not be greater than `max_value` (got {min_value} > "
                f"{max_value}); swap them.")
        if min_value == max_value and (exclusive_min or exclusive_max):
            raise HeadwaterInvalidDefinitionError(
                f"{_OWNER}: `min_value` and `max_value` are both {min_value} and a bound is "
                "exclusive, so no value could pass; make both bounds inclusive or widen them.")
    severity = to_severity(severity, _OWNER)
    targets = asset_targets(assets, _OWNER)
    check_name = f"{check_name_part(metadata_key)}_bounds_check"
    description = (f"Checks that the latest materialization has metadata value `{metadata_key}` "
                   + _describe_bounds(min_value, max_value, exclusive_min, exclusive_max))
    specs = [AssetCheckSpec(check_name, asset=t.key, description=description, blocking=blocking)
             for t in targets]

    @multi_asset_check(specs=specs, can_subset=True,
                       name=factory_node_name("metadata_bounds_checks", [s.key for s in specs]))
    def metadata_bounds_checks(context: Any) -> Iterator[AssetCheckResult]:
        for check_key in sorted(context.selected_asset_check_keys):
            latest = latest_materializations(context.instance, check_key.asset_key, 1)
            if not latest:
                passed, text = False, "Asset has not been materialized"
            elif metadata_key not in latest[0].metadata:
                passed, text = False, f"Metadata key `{metadata_key}` not found"
            else:
                value = latest[0].metadata[metadata_key]
                value = value.value if isinstance(value, MetadataValue) else value
                passed, text = bounds_outcome(value, min_value, max_value, exclusive_min,
                                              exclusive_max)
            yield AssetCheckResult(asset_key=check_key.asset_key, check_name=check_key.name,
                                   passed=passed, severity=severity, description=text)

    return [metadata_bounds_checks]
