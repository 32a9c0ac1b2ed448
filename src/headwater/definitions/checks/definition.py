"""AssetChecksDefinition: one or more checks and the op that evaluates them.

A checks definition is an `AssetsDefinition` that computes no asset: its node's inputs are
the checked assets (and any extra ones), and its function returns or yields
`AssetCheckResult`s. Jobs wire it like an asset node (assets/job.py), the asset graph
indexes its specs by check key (assets/graph.py). Imports the `assets` room and `errors`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from headwater.definitions.assets.definition import AssetsDefinition
from headwater.definitions.checks.spec import AssetCheckSpec
from headwater.definitions.key import AssetCheckKey, AssetKey
from headwater.errors import HeadwaterInvalidDefinitionError, HeadwaterInvalidInvocationError


class AssetChecksDefinition(AssetsDefinition):
    """Checks evaluated by one op, built by @asset_check or @multi_asset_check.

    Pass it to `Definitions(asset_checks=...)` (or `assets=`). Build it directly only to
    wrap an existing op. Two specs with one key raise HeadwaterInvalidDefinitionError.

    Args:
        node_def: the op that evaluates the checks.
        check_specs: the AssetCheckSpecs it evaluates.
        keys_by_input_name: the asset key each op input loads.
        resource_defs: resources bound to these checks only.
        can_subset: whether a run may evaluate only some of the checks.
        partitions_def: the partitions the checks run per.

    Example:
        ```python
        from headwater import AssetChecksDefinition, AssetCheckResult, asset_check

        @asset_check(asset="orders")
        def orders_present() -> AssetCheckResult:
            return AssetCheckResult(passed=True)

        assert isinstance(orders_present, AssetChecksDefinition)
        assert [k.name for k in orders_present.check_keys] == ["orders_present"]
        ```
    """

    def __init__(
        self,
        *,
        node_def: Any,
        check_specs: Sequence[AssetCheckSpec],
        keys_by_input_name: Mapping[str, AssetKey],
        resource_defs: Mapping[str, Any] | None = None,
        can_subset: bool = False,
        partitions_def: Any = None,
    ):
        super().__init__(keys_by_input_name=keys_by_input_name, node_def=node_def,
                         can_subset=can_subset, resource_defs=resource_defs,
                         partitions_def=partitions_def)
        by_key: dict[AssetCheckKey, AssetCheckSpec] = {}
        for spec in check_specs:
            if not isinstance(spec, AssetCheckSpec):
                raise HeadwaterInvalidDefinitionError(
                    f"'{node_def.name}': specs=[...] got {type(spec).__name__} ({spec!r}); pass "
                    "AssetCheckSpec(name, asset=...) objects."
                )
            if spec.key in by_key:
                raise HeadwaterInvalidDefinitionError(
                    f"Duplicate check specs: '{node_def.name}' declares check "
                    f"'{spec.key.to_user_string()}' twice. Give each check a distinct name."
                )
            by_key[spec.key] = spec
        if not by_key:
            raise HeadwaterInvalidDefinitionError(
                f"'{node_def.name}' declares no checks: pass specs=[AssetCheckSpec(...)]."
            )
        self.check_specs_by_key = by_key
        self._selected_checks = frozenset(by_key)

    # --- what users read ---------------------------------------------------------------
    @property
    def spec(self) -> AssetCheckSpec:
        if len(self.check_specs_by_key) != 1:
            raise HeadwaterInvalidInvocationError(
                f"{self!r} evaluates {len(self.check_specs_by_key)} checks; .spec is for a "
                "single check. Use .check_specs."
            )
        return next(iter(self.check_specs_by_key.values()))

    @property
    def check_key(self) -> AssetCheckKey:
        return self.spec.key

    @property
    def name(self) -> str:
        return self.op.name

    @property
    def asset_keys_targeted(self) -> frozenset[AssetKey]:
        return frozenset(k.asset_key for k in self.check_keys)

    @property
    def is_materializable(self) -> bool:
        return False

    def subset_for(self, selected_asset_keys: Iterable[AssetKey],
                   selected_asset_check_keys: Iterable[Any] | None = None) -> AssetsDefinition:
        checks = frozenset(self.check_specs_by_key if selected_asset_check_keys is None
                           else selected_asset_check_keys)
        return self._copy(_selected_checks=checks & frozenset(self.check_specs_by_key))

    def __repr__(self) -> str:
        keys = sorted(k.to_user_string() for k in self.check_keys)
        return f"AssetChecksDefinition(checks={keys!r})"
