"""`DltLoadCollectionComponent`: dlt loads declared in a defs.yaml, one multi-asset each.

    type: headwater_dlt.DltLoadCollectionComponent
    attributes:
      loads:
        - source: .loads.github_source       # a DltSource object, by dotted path
          pipeline: .loads.github_pipeline   # a dlt Pipeline object
          translation:                       # optional, applied to every asset of the load
            group_name: github
            key_prefix: ingest

A path starting with `.` is a module of the component's folder. Each resource becomes the
asset `<dataset name>/<table name>` (the component's rule, as in dagster-dlt; `@dlt_assets`
keys by source and resource instead). Subclass to change more: `get_asset_spec(data)` for the
specs of every load, `execute(context, dlt_pipeline_resource)` for how a load runs.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from typing import Any

from dlt.extract.source import DltSource
from dlt.pipeline.pipeline import Pipeline

from headwater import (
    AssetKey,
    AssetSpec,
    Component,
    ComponentLoadContext,
    Definitions,
    HeadwaterInvalidDefinitionError,
    Model,
    multi_asset,
)

from .asset_decorator import build_dlt_asset_specs
from .resource import HeadwaterDltResource
from .translator import DltResourceTranslatorData, HeadwaterDltTranslator


class DltTranslation(Model):
    """Attributes given to every asset of one load: a key prefix, a group, a description, and
    metadata, tags, owners and kinds added to what the translator gives."""

    key_prefix: str | list[str] | None = None
    group_name: str | None = None
    description: str | None = None
    metadata: dict[str, Any] | None = None
    tags: dict[str, str] | None = None
    owners: list[str] | None = None
    kinds: list[str] | None = None

    def apply(self, spec: AssetSpec) -> AssetSpec:
        spec = spec.merge_attributes(metadata=self.metadata, tags=self.tags,
                                     owners=self.owners or (), kinds=self.kinds or ())
        changes: dict[str, Any] = {}
        if self.key_prefix:
            prefix = [self.key_prefix] if isinstance(self.key_prefix, str) else self.key_prefix
            changes["key"] = AssetKey([*prefix, *spec.key.path])
        if self.group_name is not None:
            changes["group_name"] = self.group_name
        if self.description is not None:
            changes["description"] = self.description
        return spec.replace_attributes(**changes) if changes else spec


class DltLoadSpecModel(Model):
    """One dlt load: a source and the pipeline that loads it (objects, or dotted paths to
    them), and an optional translation: `DltTranslation` attributes, or in Python a function
    `(spec, data) -> spec`."""

    source: Any
    pipeline: Any
    translation: (DltTranslation | Callable[[AssetSpec, DltResourceTranslatorData], AssetSpec]
                  | None) = None


class DltLoadCollectionComponent(Component, Model):
    """Expose one or more dlt loads as assets."""

    loads: list[DltLoadSpecModel]

    @property
    def dlt_pipeline_resource(self) -> HeadwaterDltResource:
        """The resource that runs the loads."""
        return HeadwaterDltResource()

    def get_asset_spec(self, data: DltResourceTranslatorData) -> AssetSpec:
        """The spec of one dlt resource before the component's key rule and the load's
        translation; by default what `HeadwaterDltTranslator` gives."""
        return HeadwaterDltTranslator().get_asset_spec(data)

    def execute(self, context: Any, dlt_pipeline_resource: HeadwaterDltResource) -> Iterator[Any]:
        """Run the load of the assets the step selected; override to add steps around it."""
        yield from dlt_pipeline_resource.run(context=context)

    def build_defs(self, context: ComponentLoadContext) -> Definitions:
        assets = []
        for index, load in enumerate(self.loads):
            source = _resolve(load.source, DltSource, f"loads[{index}].source", context)
            pipeline = _resolve(load.pipeline, Pipeline, f"loads[{index}].pipeline", context)
            translator = _ComponentTranslator(self, load)
            specs = build_dlt_asset_specs(source, pipeline, translator)
            assets.append(multi_asset(name=f"dlt_assets_{source.name}_{pipeline.dataset_name}",
                                      specs=specs, can_subset=True)(self._body()))
        return Definitions(assets=assets)

    def _body(self) -> Callable[..., Iterator[Any]]:
        component = self

        def load(context: Any) -> Iterator[Any]:
            yield from component.execute(context, component.dlt_pipeline_resource)

        return load


class _ComponentTranslator(HeadwaterDltTranslator):
    """The component's spec, keyed `<dataset>/<table>`, then the load's translation."""

    def __init__(self, component: DltLoadCollectionComponent, load: DltLoadSpecModel):
        self._component = component
        self._load = load

    def get_asset_spec(self, data: DltResourceTranslatorData) -> AssetSpec:
        table = data.resource.table_name
        if callable(table):  # a table name computed per item: key by the resource instead
            table = data.resource.name
        dataset = data.pipeline.dataset_name if data.pipeline is not None else None
        key = AssetKey([dataset, str(table)] if dataset else [str(table)])
        spec = self._component.get_asset_spec(data).replace_attributes(key=key)
        translation = self._load.translation
        if translation is None:
            return spec
        if isinstance(translation, DltTranslation):
            return translation.apply(spec)
        return translation(spec, data)


def _resolve(value: Any, kind: type, field: str, context: ComponentLoadContext) -> Any:
    """`value`, or the object a dotted path names (`.module.name` from the component's
    folder), checked to be a `kind`."""
    if isinstance(value, kind):
        return value
    if not isinstance(value, str) or "." not in value.lstrip("."):
        raise HeadwaterInvalidDefinitionError(
            f"{field} in {context.path}: expected a dotted path to a dlt "
            f"{kind.__name__} such as `.loads.my_{field.rsplit('.', 1)[-1]}`, got {value!r}.")
    path = context.module_name_for(context.path) + value if value.startswith(".") else value
    module_name, _, attribute = path.rpartition(".")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise HeadwaterInvalidDefinitionError(
            f"{field} {value!r} in {context.path}: cannot import {module_name!r} ({exc}).") from exc
    if not hasattr(module, attribute):
        raise HeadwaterInvalidDefinitionError(
            f"{field} {value!r} in {context.path}: module {module_name} has no {attribute!r}.")
    found = getattr(module, attribute)
    if isinstance(found, kind):
        return found
    if callable(found):
        raise HeadwaterInvalidDefinitionError(
            f"{field} {value!r} in {context.path} names a function, not a dlt {kind.__name__}. "
            f"Call it in {module_name} (`{attribute}_obj = {attribute}()`) and point {field} "
            "at the result.")
    raise HeadwaterInvalidDefinitionError(
        f"{field} {value!r} in {context.path} is a {type(found).__name__}, not a dlt "
        f"{kind.__name__}.")
