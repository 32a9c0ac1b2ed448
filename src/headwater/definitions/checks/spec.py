"""AssetCheckSpec and AssetCheckSeverity: what a check is, before anything runs.

Imports `key`, `keywords`, the `assets` room (a spec's extra dependencies are AssetDeps) and
`errors`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import Enum
from typing import Any

from headwater.definitions.assets.definition import AssetDep, to_asset_dep
from headwater.definitions.assets.rules import as_automation_condition
from headwater.definitions.key import AssetCheckKey, AssetKey, to_asset_key
from headwater.errors import HeadwaterInvalidDefinitionError


class AssetCheckSeverity(str, Enum):
    """How bad a failed check is, set on its AssetCheckResult.

    ERROR (the default) fails a blocking check and stops the assets downstream; WARN only
    reports the failure.
    """

    WARN = "WARN"
    ERROR = "ERROR"


def to_severity(value: Any, owner: str) -> AssetCheckSeverity:
    if isinstance(value, AssetCheckSeverity):
        return value
    try:
        return AssetCheckSeverity(value)
    except ValueError:
        raise HeadwaterInvalidDefinitionError(
            f"{owner}: severity {value!r} is not a severity; use AssetCheckSeverity.ERROR or "
            "AssetCheckSeverity.WARN."
        ) from None


class AssetCheckSpec:
    """The declaration of one check on an asset, without how it is evaluated.

    Give specs to `@multi_asset_check(specs=...)`, or to `@asset(check_specs=...)` when the
    asset's own function reports the result. A name that is not letters, digits and '_', or an
    asset listed among its own additional deps, raises HeadwaterInvalidDefinitionError.

    Args:
        name: the check's name, unique among the checks of the asset.
        asset: the checked asset: a key, a string or an asset definition.
        additional_deps: other assets the check depends on.
        description: shown in the UI.
        blocking: whether a failure (ERROR severity) stops downstream assets in the run.
        metadata: static metadata of the check.
        automation_condition: when automation should run the check.
        partitions_def: the partitions the check runs per.

    Example:
        ```python
        from headwater import AssetCheckResult, AssetCheckSpec, Output, asset, materialize

        @asset(check_specs=[AssetCheckSpec("has_rows", asset="orders")])
        def orders():
            rows = [1, 2]
            yield Output(rows)
            yield AssetCheckResult(passed=len(rows) > 0)

        result = materialize([orders])
        assert result.get_asset_check_evaluations()[0].check_name == "has_rows"
        ```
    """

    __slots__ = ("name", "asset_key", "description", "additional_deps", "blocking", "metadata",
                 "automation_condition", "partitions_def", "key")

    def __init__(
        self,
        name: str,
        *,
        asset: Any,
        additional_deps: Iterable[Any] | None = None,
        description: str | None = None,
        blocking: bool = False,
        metadata: Mapping[str, Any] | None = None,
        automation_condition: Any = None,
        partitions_def: Any = None,
    ):
        if not isinstance(name, str) or not name or not all(c.isalnum() or c == "_" for c in name):
            raise HeadwaterInvalidDefinitionError(
                f"AssetCheckSpec name {name!r} is invalid: a check name is letters, digits and "
                "'_', e.g. 'no_nulls'."
            )
        asset_key = to_asset_key(asset)
        automation_condition = as_automation_condition(
            automation_condition, f"asset check '{asset_key.to_user_string()}:{name}'")
        deps: list[AssetDep] = []
        for dep in additional_deps or ():
            dep = to_asset_dep(dep)
            if dep.asset_key == asset_key:
                raise HeadwaterInvalidDefinitionError(
                    f"asset check '{asset_key.to_user_string()}:{name}' lists its own asset "
                    f"'{asset_key.to_user_string()}' in additional_deps; the checked asset is a "
                    "dependency already. Remove it from additional_deps."
                )
            if dep not in deps:
                deps.append(dep)
        self.name = name
        self.asset_key: AssetKey = asset_key
        self.description = description
        self.additional_deps: tuple[AssetDep, ...] = tuple(deps)
        self.blocking = bool(blocking)
        self.metadata = dict(metadata or {})
        self.automation_condition = automation_condition
        self.partitions_def = partitions_def
        self.key = AssetCheckKey(asset_key, name)

    @property
    def additional_deps_keys(self) -> tuple[AssetKey, ...]:
        return tuple(d.asset_key for d in self.additional_deps)

    def get_python_identifier(self) -> str:
        """The name of the check's op output: the asset key and check name, joined."""
        return self.key.to_python_identifier()

    def replace_attributes(self, **changes: Any) -> AssetCheckSpec:
        values: dict[str, Any] = {
            "name": self.name, "asset": self.asset_key, "additional_deps": self.additional_deps,
            "description": self.description, "blocking": self.blocking,
            "metadata": self.metadata, "automation_condition": self.automation_condition,
            "partitions_def": self.partitions_def,
        }
        values.update(changes)
        return AssetCheckSpec(**values)

    def with_metadata(self, metadata: Mapping[str, Any]) -> AssetCheckSpec:
        return self.replace_attributes(metadata=metadata)

    def _fields(self) -> tuple[Any, ...]:
        return (self.name, self.asset_key, self.description, self.additional_deps,
                self.blocking, tuple(sorted(self.metadata.items(), key=lambda kv: kv[0])),
                self.partitions_def)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, AssetCheckSpec):
            return NotImplemented
        try:
            return self._fields() == other._fields()
        except TypeError:
            return self is other

    def __hash__(self) -> int:
        return hash(self.key)

    def __repr__(self) -> str:
        return (f"AssetCheckSpec(name={self.name!r}, asset={self.asset_key!r}, "
                f"blocking={self.blocking})")
