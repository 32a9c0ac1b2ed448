"""`HeadwaterDltResource`: runs a dlt pipeline from inside a step and reports what it loaded.

`run()` loads the resources the step selected (all of them unless the run is a subset) and
yields one materialization per resource with the load's metadata:

- `dataset_name`, `destination_name`, `destination_type`, `first_run`, `started_at`,
  `finished_at`: the load as dlt reports it;
- `rows_loaded`: rows dlt normalized into the resource's table in this run (0 when the
  resource yielded nothing new);
- `jobs`: the load jobs that wrote the table (file, format, state, timings);
- `headwater/column_schema` (the table's columns) and `headwater/table_name`
  (`<destination>.<dataset>.<table>`);
- one table schema per nested table dlt split out of the resource (`<table>__<field>`);
- `headwater-dlt/write_disposition`, `headwater-dlt/resource` and, when set,
  `headwater-dlt/schema_contract`, `headwater-dlt/table_format`, `headwater-dlt/file_format`.

A failing pipeline fails the step with dlt's own message and says what reached the
destination; what earlier runs loaded is untouched.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, cast

from dlt.common import json as dlt_json
from dlt.common.destination.exceptions import DestinationHasFailedJobs
from dlt.common.pipeline import LoadInfo
from dlt.common.schema import Schema
from dlt.common.schema.utils import get_nested_tables
from dlt.extract.resource import DltResource
from dlt.extract.source import DltSource
from dlt.pipeline.exceptions import PipelineStepFailed
from dlt.pipeline.pipeline import Pipeline

from headwater import (
    AssetMaterialization,
    ConfigurableResource,
    Failure,
    HeadwaterInvalidInvocationError,
    MaterializeResult,
    MetadataValue,
    TableColumn,
    TableColumnConstraints,
    TableSchema,
)

from .asset_decorator import (
    META_KEY_PIPELINE,
    META_KEY_SOURCE,
    META_KEY_TRANSLATOR,
    check_source_and_pipeline,
)
from .event_iterator import DltEventIterator, DltEventType
from .translator import DltResourceTranslatorData, HeadwaterDltTranslator

#: The keys of dlt's load info shown on every asset of the load.
LOAD_INFO_KEYS = ("first_run", "started_at", "finished_at", "dataset_name", "destination_name",
                  "destination_type")
METADATA_NAMESPACE = "headwater-dlt"

_ADVICE_BY_STEP = {
    "extract": "Nothing of this run reached the destination; what earlier runs loaded is "
               "unchanged.",
    "normalize": "Nothing of this run reached the destination; what earlier runs loaded is "
                 "unchanged.",
    "sync": "dlt could not restore the pipeline state from the destination, so nothing was "
            "loaded; check that the destination is reachable and not locked by another "
            "process.",
    "load": "Tables of this run's load package that finished before the failure stay in the "
            "destination; the next run drops the rest of the package and extracts again.",
}


class HeadwaterDltResource(ConfigurableResource):
    """Runs dlt pipelines for `@dlt_assets` (and for ops that pass the source and pipeline)."""

    def run(
        self,
        context: Any,
        dlt_source: DltSource | None = None,
        dlt_pipeline: Pipeline | None = None,
        headwater_dlt_translator: HeadwaterDltTranslator | None = None,
        **kwargs: Any,
    ) -> DltEventIterator[DltEventType]:
        """Run `dlt_pipeline` on the selected resources of `dlt_source`, yielding one
        `MaterializeResult` per resource (an `AssetMaterialization` from an op).

        Inside `@dlt_assets` the source, pipeline and translator default to the ones the
        decorator was given; pass them to load something else (a source built for the run's
        partition, say). `kwargs` go to `dlt_pipeline.run` (`write_disposition=`, ...).
        """
        if context.has_assets_def:
            # explicit arguments win: a run may load a source built for its partition
            declared = _declared_by_dlt_assets(context)
            if dlt_source is None:
                dlt_source = declared.get(META_KEY_SOURCE)
            if dlt_pipeline is None:
                dlt_pipeline = declared.get(META_KEY_PIPELINE)
            if headwater_dlt_translator is None:
                headwater_dlt_translator = declared.get(META_KEY_TRANSLATOR)
        missing = [n for n, v in (("dlt_source", dlt_source), ("dlt_pipeline", dlt_pipeline))
                   if v is None]
        if missing:
            raise HeadwaterInvalidInvocationError(
                f"HeadwaterDltResource.run() in {_where(context)} needs "
                f"{' and '.join(m + '=' for m in missing)}: only assets built by @dlt_assets "
                "know their dlt source and pipeline. Pass them: "
                "dlt.run(context=context, dlt_source=my_source(), dlt_pipeline=my_pipeline).")
        check_source_and_pipeline(dlt_source, dlt_pipeline, "HeadwaterDltResource.run()")
        source, pipeline = cast(DltSource, dlt_source), cast(Pipeline, dlt_pipeline)
        translator = headwater_dlt_translator or HeadwaterDltTranslator()
        events = self._run(context, source, pipeline, translator, **kwargs)
        return DltEventIterator(events, context=context, dlt_pipeline=pipeline)

    def _run(
        self,
        context: Any,
        dlt_source: DltSource,
        dlt_pipeline: Pipeline,
        translator: HeadwaterDltTranslator,
        **kwargs: Any,
    ) -> Iterator[DltEventType]:
        resources = {
            translator.get_asset_spec(DltResourceTranslatorData(resource=r, pipeline=dlt_pipeline)).key: r
            for r in dlt_source.selected_resources.values()
        }
        if context.has_assets_def:
            _check_keys_are_computed(context, resources)
        if context.has_assets_def and context.is_subset:
            selected = context.selected_asset_keys
            resources = {key: r for key, r in resources.items() if key in selected}
            if not resources:  # only checks of these assets run
                return
            dlt_source = dlt_source.with_resources(*(r.name for r in resources.values()))
        # Local state left by an earlier failed run would be loaded again before this run's
        # data. When dlt can restore state from the destination, the whole local working
        # directory can go; otherwise only the pending packages, keeping incremental cursors.
        if dlt_pipeline.config.restore_from_destination:
            dlt_pipeline.drop()
        else:
            dlt_pipeline.drop_pending_packages()
        load_info = _load(dlt_pipeline, dlt_source, **kwargs)
        in_asset = context.has_assets_def
        for key, resource in resources.items():
            metadata = self.extract_resource_metadata(context, resource, load_info, dlt_pipeline)
            if in_asset:
                yield MaterializeResult(asset_key=key, metadata=metadata)
            else:
                yield AssetMaterialization(asset_key=key, metadata=metadata)

    def extract_resource_metadata(
        self,
        context: Any,
        resource: DltResource,
        load_info: LoadInfo,
        dlt_pipeline: Pipeline,
    ) -> Mapping[str, Any]:
        """The metadata of one resource's asset after `dlt_pipeline` loaded `load_info`."""
        # dlt's encoder turns its datetimes and other non-JSON values into plain JSON.
        info = dlt_json.loads(dlt_json.dumps(load_info.asdict()))
        schema = dlt_pipeline.default_schema
        table = schema.naming.normalize_table_identifier(str(resource.table_name))
        metadata: dict[str, Any] = {k: info[k] for k in LOAD_INFO_KEYS if k in info}
        # a run that loaded nothing new reports no dataset; the pipeline still knows it
        metadata["dataset_name"] = info.get("dataset_name") or dlt_pipeline.dataset_name
        metadata["jobs"] = [job for package in info.get("load_packages", [])
                            for job in package.get("jobs", []) if job.get("table_name") == table]
        trace = dlt_pipeline.last_trace
        normalize_info = trace.last_normalize_info if trace is not None else None
        if normalize_info is not None:  # a resource that yielded nothing loaded 0 rows
            metadata["rows_loaded"] = MetadataValue.int(normalize_info.row_counts.get(table, 0))
        for nested in get_nested_tables(schema.tables, table):
            name = nested.get("name")
            if name and name != table:
                metadata[name] = _table_schema(schema, name)
        metadata.update(_dlt_table_settings(schema, table))
        metadata["headwater/column_schema"] = _table_schema(schema, table)
        destination, dataset = info.get("destination_name"), metadata["dataset_name"]
        if destination and dataset:
            metadata["headwater/table_name"] = f"{destination}.{dataset}.{table}"
        return metadata


def _declared_by_dlt_assets(context: Any) -> Mapping[str, Any]:
    """The source, pipeline and translator `@dlt_assets` stored with its specs, if any."""
    for spec in context.assets_def.specs:
        if META_KEY_SOURCE in spec.metadata:
            return spec.metadata
    return {}


def _check_keys_are_computed(context: Any, resources: Mapping[Any, DltResource]) -> None:
    """Refuse, before loading anything, resources whose asset this step does not compute."""
    declared = context.assets_def.specs_by_key  # all of the definition's assets, subset or not
    strays = [(key, r) for key, r in resources.items() if key not in declared]
    if strays:
        key, resource = strays[0]
        raise HeadwaterInvalidInvocationError(
            f"HeadwaterDltResource.run() in {_where(context)}: dlt resource '{resource.name}' "
            f"is the asset '{key.to_user_string()}' by the translator, which this step does not "
            "compute. Declare the assets with @dlt_assets(dlt_source=..., dlt_pipeline=...) "
            "(one asset per resource), or pass a headwater_dlt_translator whose keys are this "
            "step's assets.")


def _where(context: Any) -> str:
    if context.has_assets_def:
        keys = sorted(k.to_user_string() for k in context.assets_def.keys)
        return f"asset {', '.join(repr(k) for k in keys)}"
    return f"op '{context.op_def.name}'"


def _load(dlt_pipeline: Pipeline, dlt_source: DltSource, **kwargs: Any) -> LoadInfo:
    """`dlt_pipeline.run`, with a failure turned into a step failure that keeps dlt's message
    and says what reached the destination."""
    where = (f"dlt pipeline '{dlt_pipeline.pipeline_name}' (source '{dlt_source.name}', "
             f"dataset '{dlt_pipeline.dataset_name}')")
    try:
        load_info = dlt_pipeline.run(dlt_source, **kwargs)
    except PipelineStepFailed as exc:
        advice = _ADVICE_BY_STEP.get(exc.step, "")
        raise Failure(description=(
            f"{where} failed in its {exc.step} step:\n{exc.exception}\n{advice} Fix the cause "
            "above and materialize again.")) from exc
    try:
        load_info.raise_on_failed_jobs()
    except DestinationHasFailedJobs as exc:
        raise Failure(description=(
            f"{where}: the destination rejected some load jobs:\n{exc}\nThe tables whose jobs "
            "completed are loaded. Fix the cause above and materialize again.")) from exc
    return load_info


def _table_schema(schema: Schema, table: str) -> TableSchema:
    """The columns of `table` in the dlt schema; empty if dlt does not know the table (the
    asset still materializes)."""
    try:
        columns = schema.get_table_columns(table)
    except KeyError:
        return TableSchema(columns=[])
    known = {"name", "data_type", "nullable", "unique"}
    return TableSchema(columns=[
        TableColumn(
            name=str(column.get("name", "")),
            type=str(column.get("data_type", "string")),
            constraints=TableColumnConstraints(
                nullable=bool(column.get("nullable", True)),
                unique=bool(column.get("unique", False)),
                other=[k for k in column if k not in known],  # primary_key, row_key, ...
            ),
        )
        for column in columns.values()
    ])


def _dlt_table_settings(schema: Schema, table: str) -> dict[str, Any]:
    """dlt's own settings of the table (write disposition, contract, formats), namespaced."""
    settings = schema.tables.get(table)
    if settings is None:
        return {}
    out: dict[str, Any] = {}
    for name in ("write_disposition", "schema_contract", "resource", "table_format",
                 "file_format"):
        value = settings.get(name)
        if value is None:
            continue
        out[f"{METADATA_NAMESPACE}/{name}"] = (MetadataValue.json(dict(value))
                                               if isinstance(value, Mapping) else str(value))
    return out

