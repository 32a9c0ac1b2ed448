"""`build_column_schema_change_checks`: a check that an asset's columns did not change between
its previous and its latest materialization.

The columns are the `headwater/column_schema` metadata (a TableSchema) the asset reports when
it materializes. A change fails the check and is spelled out: the added and removed columns
(as TableSchemas) and the columns whose type changed, in the evaluation's metadata and
description. An asset materialized fewer than twice has nothing to compare and passes.

Imports `key`, `tags`, `errors`, the `metadata` room and this room's `spec`, `result`,
`decorators`, `history` and `target`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from headwater.definitions.checks.decorators import multi_asset_check
from headwater.definitions.checks.history import AssetUpdate, latest_materializations
from headwater.definitions.checks.result import AssetCheckResult
from headwater.definitions.checks.spec import AssetCheckSeverity, AssetCheckSpec, to_severity
from headwater.definitions.checks.target import asset_targets, factory_node_name
from headwater.definitions.metadata.table import TableColumn, TableSchema
from headwater.definitions.metadata.value import MetadataValue
from headwater.definitions.tags import COLUMN_SCHEMA_METADATA

_OWNER = "build_column_schema_change_checks"
CHECK_NAME = "column_schema_change"


@dataclass(frozen=True, slots=True)
class SchemaChange:
    """How the columns changed from one schema to the next."""

    added: list[TableColumn]
    removed: list[TableColumn]
    #: column name -> (old type, new type)
    type_changes: dict[str, tuple[str, str]]

    @property
    def is_empty(self) -> bool:
        return not (self.added or self.removed or self.type_changes)

    def describe(self) -> str:
        lines = ["Column schema changed between previous and latest materialization."]
        if self.added:
            lines.append("Added columns: " + ", ".join(
                f"{c.name} ({c.type})" for c in self.added))
        if self.removed:
            lines.append("Removed columns: " + ", ".join(
                f"{c.name} ({c.type})" for c in self.removed))
        if self.type_changes:
            lines.append("Columns with changed types: " + ", ".join(
                f"{name} ({old} -> {new})" for name, (old, new) in self.type_changes.items()))
        return "\n".join(lines)

    def metadata(self) -> dict[str, Any]:
        return {
            "added_columns": MetadataValue.table_schema(TableSchema(list(self.added))),
            "removed_columns": MetadataValue.table_schema(TableSchema(list(self.removed))),
            "column_type_changes": MetadataValue.json(
                {name: {"old": old, "new": new} for name, (old, new) in self.type_changes.items()}),
        }


def schema_change(old: TableSchema, new: TableSchema) -> SchemaChange:
    """The columns added, removed and retyped from `old` to `new` (in `new`'s / `old`'s order)."""
    before = {c.name: c for c in old.columns}
    after = {c.name: c for c in new.columns}
    return SchemaChange(
        added=[c for name, c in after.items() if name not in before],
        removed=[c for name, c in before.items() if name not in after],
        type_changes={name: (before[name].type, c.type) for name, c in after.items()
                      if name in before and before[name].type != c.type},
    )


def _schema_of(update: AssetUpdate) -> TableSchema | None:
    value = update.metadata.get(COLUMN_SCHEMA_METADATA)
    value = value.value if isinstance(value, MetadataValue) else value
    return value if isinstance(value, TableSchema) else None


def _outcome(updates: list[AssetUpdate]) -> tuple[bool, str, dict[str, Any]]:
    if len(updates) < 2:
        return True, "The asset has been materialized fewer than 2 times", {}
    latest, previous = _schema_of(updates[0]), _schema_of(updates[1])
    if latest is None:
        return False, (f"Latest materialization has no `{COLUMN_SCHEMA_METADATA}` metadata: "
                       "report the columns as a TableSchema under that key."), {}
    if previous is None:
        return False, (f"Previous materialization has no `{COLUMN_SCHEMA_METADATA}` metadata, "
                       "so there is nothing to compare the latest columns with."), {}
    change = schema_change(previous, latest)
    if change.is_empty:
        return True, "No changes to column schema between previous and latest materialization", {}
    return False, change.describe(), change.metadata()


def build_column_schema_change_checks(
    *,
    assets: Any,
    severity: AssetCheckSeverity = AssetCheckSeverity.WARN,
) -> list[Any]:
    """Build checks that each asset's column schema did not change.

    Each check compares the `headwater/column_schema` metadata of the asset's latest and
    previous materializations and fails (WARN by default) listing added, removed and retyped
    columns. Returns one AssetChecksDefinition with a check named `column_schema_change` per
    asset.

    Args:
        assets: the assets to check (definitions, specs or keys).
        severity: the severity of a failure.

    Example:
        ```python
        from headwater import (HeadwaterInstance, MaterializeResult, TableColumn, TableSchema,
                               asset, build_column_schema_change_checks, materialize)

        @asset
        def users():
            schema = TableSchema(columns=[TableColumn("id", "int")])
            return MaterializeResult(metadata={"headwater/column_schema": schema})

        checks = build_column_schema_change_checks(assets=[users])
        instance = HeadwaterInstance.ephemeral()
        materialize([users], instance=instance)
        result = materialize([users, *checks], instance=instance)
        assert result.get_asset_check_evaluations()[0].passed
        ```
    """
    severity = to_severity(severity, _OWNER)
    targets = asset_targets(assets, _OWNER)
    specs = [AssetCheckSpec(CHECK_NAME, asset=t.key,
                            description="Checks whether the column schema of the latest "
                                        "materialization differs from the previous one")
             for t in targets]

    @multi_asset_check(specs=specs, can_subset=True,
                       name=factory_node_name("column_schema_change_checks",
                                              [s.key for s in specs]))
    def column_schema_change_checks(context: Any) -> Iterator[AssetCheckResult]:
        for check_key in sorted(context.selected_asset_check_keys):
            updates = latest_materializations(context.instance, check_key.asset_key, 2)
            passed, text, metadata = _outcome(updates)
            yield AssetCheckResult(asset_key=check_key.asset_key, check_name=check_key.name,
                                   passed=passed, severity=severity, description=text,
                                   metadata=metadata)

    return [column_schema_change_checks]
