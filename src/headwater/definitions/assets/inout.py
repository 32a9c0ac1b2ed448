"""AssetIn and AssetOut: how an asset names its inputs and its outputs.

Plain option holders that the decorators read once; they know nothing of how an asset
is built. `AssetOut.from_spec` reads an AssetSpec but needs no import of it at run
time. Imports only `key`, `ops.output` and `errors`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from headwater.definitions.assets.definition import AssetSpec, as_automation_condition
from headwater.definitions.key import (
    prefix_path,
    to_asset_key,
)
from headwater.definitions.ops.output import NO_VALUE
from headwater.errors import (
    HeadwaterInvalidDefinitionError,
)


class AssetIn:
    """How an asset takes an upstream asset as an input: its key, type, partition mapping."""

    __slots__ = ("key", "metadata", "key_prefix", "input_manager_key", "partition_mapping",
                 "headwater_type")

    def __init__(
        self,
        key: Any = None,
        metadata: Mapping[str, Any] | None = None,
        key_prefix: Any = None,
        input_manager_key: str | None = None,
        partition_mapping: Any = None,
        headwater_type: Any = NO_VALUE,
    ):
        if key is not None and key_prefix is not None:
            raise HeadwaterInvalidDefinitionError(
                "AssetIn takes key= or key_prefix=, not both: key_prefix only applies when the "
                "key comes from the parameter name."
            )
        self.key = to_asset_key(key) if key is not None else None
        self.metadata = dict(metadata or {})
        self.key_prefix = prefix_path(key_prefix) if key_prefix is not None else None
        self.input_manager_key = input_manager_key
        self.partition_mapping = partition_mapping
        self.headwater_type = headwater_type

    def __repr__(self) -> str:
        return f"AssetIn(key={self.key!r})"


class AssetOut:
    """One output of a multi-asset, and the asset it materializes."""

    __slots__ = ("key", "key_prefix", "headwater_type", "description", "is_required",
                 "io_manager_key", "metadata", "group_name", "code_version", "owners", "tags",
                 "kinds", "automation_condition", "backfill_policy")

    def __init__(
        self,
        key_prefix: Any = None,
        key: Any = None,
        headwater_type: Any = NO_VALUE,
        description: str | None = None,
        is_required: bool = True,
        io_manager_key: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        group_name: str | None = None,
        code_version: str | None = None,
        automation_condition: Any = None,
        backfill_policy: Any = None,
        owners: Sequence[str] | None = None,
        tags: Mapping[str, str] | None = None,
        kinds: Iterable[str] | None = None,
    ):
        if key is not None and key_prefix is not None:
            raise HeadwaterInvalidDefinitionError("AssetOut takes key= or key_prefix=, not both.")
        automation_condition = as_automation_condition(automation_condition, "AssetOut")
        self.key = to_asset_key(key) if key is not None else None
        self.key_prefix = prefix_path(key_prefix) if key_prefix is not None else None
        self.headwater_type = headwater_type
        self.description = description
        self.is_required = is_required
        self.io_manager_key = io_manager_key
        self.metadata = dict(metadata or {})
        self.group_name = group_name
        self.code_version = code_version
        self.owners = tuple(owners or ())
        self.tags = dict(tags or {})
        self.kinds = frozenset(kinds or ())
        self.automation_condition = automation_condition
        self.backfill_policy = backfill_policy

    @staticmethod
    def from_spec(spec: AssetSpec, headwater_type: Any = NO_VALUE, is_required: bool = True,
                  io_manager_key: str | None = None) -> AssetOut:
        if spec.deps:
            # An AssetOut is one output; what the asset reads is declared on the decorator.
            raise HeadwaterInvalidDefinitionError(
                f"AssetOut.from_spec: the spec of '{spec.key.to_user_string()}' has deps "
                f"{sorted(d.asset_key.to_user_string() for d in spec.deps)}, which an AssetOut "
                "cannot carry. Declare them with ins= (or deps=) on the decorator instead.")
        return AssetOut(key=spec.key, headwater_type=headwater_type, description=spec.description,
                        is_required=is_required, io_manager_key=io_manager_key,
                        metadata=spec.metadata, group_name=spec.group_name,
                        code_version=spec.code_version, owners=spec.owners, tags=spec.tags,
                        kinds=spec.kinds)
