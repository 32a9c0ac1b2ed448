"""`DltEventIterator`: the materializations `HeadwaterDltResource.run()` yields, with a step to
add the destination table's row count to each.

`dlt.run(context=context).fetch_row_count()` queries `select count(*)` on each loaded table
through the pipeline's SQL client and records it as `headwater/row_count`; when the assets are
partitioned it records the rows this run loaded as `headwater/partition_row_count` instead
(the table holds every partition). A destination without a SQL client (a filesystem bucket) logs why
and records no count; the materialization is kept.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any, Generic, TypeVar, Union

from dlt.pipeline.pipeline import Pipeline

from headwater import AssetMaterialization, MaterializeResult

DltEventType = Union[AssetMaterialization, MaterializeResult]
T = TypeVar("T", bound=DltEventType)

ROW_COUNT = "headwater/row_count"
PARTITION_ROW_COUNT = "headwater/partition_row_count"


class DltEventIterator(Iterator[T], Generic[T]):
    """An iterator of materializations from one dlt load, with post-processing steps."""

    def __init__(self, events: Iterator[T], context: Any, dlt_pipeline: Pipeline) -> None:
        self._events: Iterator[T] = events
        self._context = context
        self._dlt_pipeline = dlt_pipeline

    def __next__(self) -> T:
        return next(self._events)

    def __iter__(self) -> DltEventIterator[T]:
        return self

    def fetch_row_count(self) -> DltEventIterator[T]:
        """The same events, each with the row count of its table added to its metadata."""

        def with_counts() -> Iterator[T]:
            for event in self:
                counted = {**_row_count_metadata(event, self._context, self._dlt_pipeline),
                           **event.metadata}
                yield replace(event, metadata=counted)

        return DltEventIterator(with_counts(), self._context, self._dlt_pipeline)


def _row_count_metadata(event: DltEventType, context: Any, pipeline: Pipeline) -> dict[str, Any]:
    if _is_partitioned(context):
        rows = event.metadata.get("rows_loaded")
        return {PARTITION_ROW_COUNT: _plain(rows) if rows is not None else 0}
    table = _table_name(event)
    if table is None:
        context.log.warning(f"No row count for {_label(event)}: its metadata names no table.")
        return {}
    try:
        with pipeline.sql_client() as client, client.execute_query(
                f"select count(*) from {client.make_qualified_table_name(table)}") as cursor:
            row = cursor.fetchone()
    except Exception as exc:  # a destination without SQL, or a table that is not there
        context.log.error(
            f"Could not count the rows of table '{table}' for {_label(event)}; the "
            f"materialization is recorded without a row count. dlt said: {exc}")
        return {}
    count = row[0] if row else None
    return {ROW_COUNT: int(count)} if isinstance(count, int) else {}


def _table_name(event: DltEventType) -> str | None:
    """The destination table of the event: from its load jobs, else from its table name (a
    run that loaded nothing new has no job for the table, which exists all the same)."""
    jobs = _plain(event.metadata.get("jobs"))
    if jobs:
        return jobs[0].get("table_name")
    qualified = _plain(event.metadata.get("headwater/table_name"))
    return qualified.rsplit(".", 1)[-1] if qualified else None


def _is_partitioned(context: Any) -> bool:
    """Whether the step writes one partition of its assets (an unpartitioned asset in a
    partitioned run counts its whole table)."""
    if not context.has_partition_key:
        return False
    return not context.has_assets_def or context.assets_def.partitions_def is not None


def _plain(value: Any) -> Any:
    """The raw value of a metadata entry, whether given raw or as a MetadataValue."""
    return getattr(value, "value", value)


def _label(event: DltEventType) -> str:
    key = event.asset_key
    return f"asset '{key.to_user_string()}'" if key is not None else "the asset"
