"""`@dlt_assets` and `build_dlt_asset_specs`: one asset per selected resource of a dlt source.

The multi-asset built by `@dlt_assets` can be subset: a run that selects some of its assets
loads only their resources. The source, pipeline and translator ride along in each spec's
metadata (under `headwater_dlt/...`) so that `HeadwaterDltResource.run(context=context)` finds
them without being told again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from dlt.extract.resource import DltResource
from dlt.extract.source import DltSource
from dlt.pipeline.pipeline import Pipeline

from headwater import (
    AssetsDefinition,
    AssetSpec,
    BackfillPolicy,
    HeadwaterInvalidDefinitionError,
    PartitionsDefinition,
    TimeWindowPartitionsDefinition,
    multi_asset,
)

from .translator import DltResourceTranslatorData, HeadwaterDltTranslator

META_KEY_SOURCE = "headwater_dlt/source"
META_KEY_PIPELINE = "headwater_dlt/pipeline"
META_KEY_TRANSLATOR = "headwater_dlt/translator"


def build_dlt_asset_specs(
    dlt_source: DltSource,
    dlt_pipeline: Pipeline,
    headwater_dlt_translator: HeadwaterDltTranslator | None = None,
) -> Sequence[AssetSpec]:
    """The asset specs of the selected resources of `dlt_source` loaded by `dlt_pipeline`,
    as `headwater_dlt_translator` (the default rules if None) maps them."""
    where = "build_dlt_asset_specs"
    check_source_and_pipeline(dlt_source, dlt_pipeline, where)
    translator = _check_translator(headwater_dlt_translator, where)
    extra = {META_KEY_SOURCE: dlt_source, META_KEY_PIPELINE: dlt_pipeline,
             META_KEY_TRANSLATOR: translator}
    specs = [
        translator.get_asset_spec(DltResourceTranslatorData(resource=resource,
                                                            pipeline=dlt_pipeline))
        .merge_attributes(metadata=extra)
        for resource in dlt_source.selected_resources.values()
    ]
    if not specs:
        raise HeadwaterInvalidDefinitionError(
            f"{where}: dlt source '{dlt_source.name}' has no selected resources, so there is "
            "no asset to build. Select at least one with `source.with_resources(...)` or mark "
            "a resource `selected=True`.")
    _check_unique_keys(specs, dlt_source, where)
    return specs


def dlt_assets(
    *,
    dlt_source: DltSource,
    dlt_pipeline: Pipeline,
    name: str | None = None,
    group_name: str | None = None,
    headwater_dlt_translator: HeadwaterDltTranslator | None = None,
    partitions_def: PartitionsDefinition | None = None,
    backfill_policy: BackfillPolicy | None = None,
    hooks: Iterable[Any] | None = None,
    op_tags: Mapping[str, Any] | None = None,
    pool: str | None = None,
) -> Callable[[Callable[..., Any]], AssetsDefinition]:
    """Turn a function into the assets loaded by one dlt source through one dlt pipeline.

    The function usually is `yield from dlt.run(context=context)` with `dlt` a
    `HeadwaterDltResource`. `name` names the op (the function's name by default); `group_name`
    puts every asset in one group, and cannot be combined with a translator that sets groups
    itself. A time-window `partitions_def` without a `backfill_policy` runs backfills as one run
    over the whole range (`BackfillPolicy.single_run()`). `op_tags`, `hooks` and `pool` are
    those of the op.
    """
    where = f"@dlt_assets(name={name!r})" if name else "@dlt_assets"
    check_source_and_pipeline(dlt_source, dlt_pipeline, where)
    translator = _check_translator(headwater_dlt_translator, where)
    if isinstance(partitions_def, TimeWindowPartitionsDefinition) and backfill_policy is None:
        backfill_policy = BackfillPolicy.single_run()
    specs = build_dlt_asset_specs(dlt_source, dlt_pipeline, translator)
    grouped = [spec.key.to_user_string() for spec in specs if spec.group_name]
    if grouped and group_name:
        raise HeadwaterInvalidDefinitionError(
            f"{where}: group_name={group_name!r} conflicts with the groups the translator gives "
            f"to {', '.join(repr(k) for k in grouped)} (dlt source '{dlt_source.name}', pipeline "
            f"'{dlt_pipeline.pipeline_name}'). Drop group_name= or stop setting groups in the "
            "translator's get_asset_spec.")
    return multi_asset(
        name=name,
        group_name=group_name,
        can_subset=True,
        partitions_def=partitions_def,
        backfill_policy=backfill_policy,
        op_tags=op_tags,
        hooks=hooks,
        specs=specs,
        pool=pool,
    )


def check_source_and_pipeline(dlt_source: Any, dlt_pipeline: Any, where: str) -> None:
    """Raise a definition error naming the fix when either is not what dlt makes."""
    if not isinstance(dlt_source, DltSource):
        raise HeadwaterInvalidDefinitionError(f"{where}: dlt_source= {_source_problem(dlt_source)}")
    if not isinstance(dlt_pipeline, Pipeline):
        raise HeadwaterInvalidDefinitionError(
            f"{where}: dlt_pipeline= must be a dlt Pipeline, got {type(dlt_pipeline).__name__}. "
            "Create it with dlt.pipeline(pipeline_name=..., destination=..., dataset_name=...).")


def _source_problem(value: Any) -> str:
    if isinstance(value, DltResource):
        return (f"got the dlt resource '{value.name}', not a source. Return it from a "
                "@dlt.source function and pass the call: dlt_source=my_source().")
    if callable(value):
        label = getattr(value, "__name__", type(value).__name__)
        return (f"got the function '{label}' instead of the source it makes. Call it: "
                f"dlt_source={label}().")
    return (f"must be a dlt source (what a @dlt.source function returns when called), got "
            f"{type(value).__name__}.")


def _check_translator(translator: Any, where: str) -> HeadwaterDltTranslator:
    if translator is None:
        return HeadwaterDltTranslator()
    if isinstance(translator, type) and issubclass(translator, HeadwaterDltTranslator):
        raise HeadwaterInvalidDefinitionError(
            f"{where}: headwater_dlt_translator= got the class {translator.__name__}; pass an "
            f"instance: headwater_dlt_translator={translator.__name__}().")
    if not isinstance(translator, HeadwaterDltTranslator):
        raise HeadwaterInvalidDefinitionError(
            f"{where}: headwater_dlt_translator= must be a HeadwaterDltTranslator (or a "
            f"subclass instance), got {type(translator).__name__}.")
    return translator


def _check_unique_keys(specs: Sequence[AssetSpec], dlt_source: DltSource, where: str) -> None:
    seen: dict[Any, str] = {}
    names = list(dlt_source.selected_resources)
    for spec, resource_name in zip(specs, names):
        if spec.key in seen:
            raise HeadwaterInvalidDefinitionError(
                f"{where}: dlt resources '{seen[spec.key]}' and '{resource_name}' of source "
                f"'{dlt_source.name}' both map to asset key '{spec.key.to_user_string()}'. "
                "Give each resource its own key in the translator's get_asset_spec.")
        seen[spec.key] = resource_name
