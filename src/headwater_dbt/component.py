"""DbtProjectComponent: a dbt project declared in a `defs.yaml`, its models as assets.

```yaml
type: headwater_dbt.DbtProjectComponent
attributes:
  project: '{{ context.project_root }}/dbt'     # or {project_dir: ..., target: ..., ...}
  select: "tag:daily"                           # dbt selection, default every node
  exclude: "tag:skip"
  cli_args: [build]                             # the dbt command each run executes
  op: {name: nightly_dbt, tags: {team: data}, backfill_policy: {type: single_run}}
  translation:                                  # per node: `node` is the manifest entry,
    group_name: "{{ node.fqn[1] }}"             # `spec` the default asset spec
    key: "warehouse/{{ node.name }}"
  translation_settings: {enable_asset_checks: true}
  prepare_if_dev: true
```

A relative `project` path is relative to the folder holding the defs.yaml. `translation`
templates that name `node` or `spec` are rendered once per dbt node (the rest at load).
`key`, `group_name`, `description`, `code_version`, `owners` and `automation_condition`
replace the default; `key_prefix` prefixes the key; `metadata`, `tags` and `kinds` are added
to the defaults. Subclass and override `execute` to change what a run does.

Imports headwater's public names, its components room (deferred templates) and this
package's project, resource, translator, asset_decorator and selection modules.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any

from headwater import (
    AssetExecutionContext,
    AssetKey,
    AssetSpec,
    BackfillPolicy,
    Component,
    ComponentLoadContext,
    Definitions,
    Model,
    Resolvable,
    Resolver,
)
from headwater.definitions.components.templates import render_deferred
from headwater_dbt.asset_decorator import dbt_assets
from headwater_dbt.errors import HeadwaterDbtError
from headwater_dbt.manifest import load_manifest, node
from headwater_dbt.project import DbtProject
from headwater_dbt.resource import DbtCliResource
from headwater_dbt.selection import DbtManifestAssetSelection
from headwater_dbt.translator import HeadwaterDbtTranslator, HeadwaterDbtTranslatorSettings

_ASSET_TYPES = ("model", "seed", "snapshot")
_REPLACED = ("group_name", "description", "code_version", "owners", "automation_condition")
_ADDED = ("metadata", "tags", "kinds")


class DbtProjectArgs(Model):
    """`project:` as a mapping: DbtProject's arguments."""

    project_dir: str
    target_path: str | None = None
    profiles_dir: str | None = None
    profile: str | None = None
    target: str | None = None
    packaged_project_dir: str | None = None
    state_path: str | None = None


class BackfillPolicyModel(Model):
    type: str = "single_run"
    max_partitions_per_run: int | None = None


class OpSpecModel(Model):
    """`op:` of the component: the name, tags and backfill policy of the dbt step."""

    name: str | None = None
    tags: dict[str, Any] | None = None
    backfill_policy: BackfillPolicyModel | None = None
    pool: str | None = None

    def policy(self) -> BackfillPolicy | None:
        chosen = self.backfill_policy
        if chosen is None:
            return None
        if chosen.type == "single_run":
            return BackfillPolicy.single_run()
        if chosen.type == "multi_run":
            return BackfillPolicy.multi_run(chosen.max_partitions_per_run or 1)
        raise HeadwaterDbtError(
            f"DbtProjectComponent op.backfill_policy.type={chosen.type!r}: use single_run or "
            "multi_run.")


class TranslationModel(Model):
    """`translation:`: asset attributes, templated per node with `node` and `spec`."""

    key: str | None = None
    key_prefix: str | list[str] | None = None
    group_name: str | None = None
    description: str | None = None
    code_version: str | None = None
    owners: list[str] | None = None
    metadata: dict[str, Any] | None = None
    tags: dict[str, str] | None = None
    kinds: list[str] | None = None
    automation_condition: Any = None


def _project(context: Any, value: Any) -> DbtProject:
    if isinstance(value, DbtProject):
        return value
    if isinstance(value, str):
        return DbtProject(value)
    args = value.model_dump(exclude_none=True) if isinstance(value, Model) else dict(value)
    return DbtProject(args.pop("project_dir"), **args)


def _settings(context: Any, value: Any) -> HeadwaterDbtTranslatorSettings | None:
    if value is None or isinstance(value, HeadwaterDbtTranslatorSettings):
        return value
    try:
        return HeadwaterDbtTranslatorSettings(**dict(value))
    except TypeError as exc:
        raise HeadwaterDbtError(f"DbtProjectComponent translation_settings: {exc}; the "
                                "settings are the fields of HeadwaterDbtTranslatorSettings.") from exc


@dataclass
class DbtProjectComponent(Component, Resolvable):
    """A dbt project's models, seeds and snapshots as assets (see the module docstring)."""

    project: Annotated[DbtProject, Resolver(_project, model_field_type=str | DbtProjectArgs)]
    op: OpSpecModel | None = None
    translation: TranslationModel | None = None
    select: str = "fqn:*"
    exclude: str | None = None
    selector: str | None = None
    cli_args: list[str] = field(default_factory=lambda: ["build"])
    translation_settings: Annotated[
        HeadwaterDbtTranslatorSettings | None,
        Resolver(_settings, model_field_type=dict[str, bool] | None)] = None
    prepare_if_dev: bool = True

    deferred_template_vars = frozenset({"node", "spec"})

    @classmethod
    def load(cls, attributes: Mapping[str, Any] | None,
             context: ComponentLoadContext) -> Component:
        """As Component.load, with a relative project path taken from the defs.yaml folder."""
        attrs = dict(attributes or {})
        project = attrs.get("project")
        if isinstance(project, str):
            attrs["project"] = str(context.path / project)
        elif isinstance(project, Mapping) and isinstance(project.get("project_dir"), str):
            attrs["project"] = {**project, "project_dir": str(context.path / project["project_dir"])}
        component = super().load(attrs, context)
        component._load_context = context  # type: ignore[attr-defined]
        return component

    # --- what users reach for -----------------------------------------------------------------
    @cached_property
    def translator(self) -> HeadwaterDbtTranslator:
        if self.translation is not None:
            return _TemplatedTranslator(self.translation, self.translation_settings,
                                        getattr(self, "_load_context", None))
        return HeadwaterDbtTranslator(self.translation_settings)

    @cached_property
    def cli_resource(self) -> DbtCliResource:
        return DbtCliResource(project_dir=self.project)

    def get_asset_selection(self, select: str, exclude: str | None = None
                            ) -> DbtManifestAssetSelection:
        """An asset selection of the project's nodes matching dbt's `select`/`exclude`."""
        return DbtManifestAssetSelection.build(
            manifest=self.project.manifest_path, headwater_dbt_translator=self.translator,
            select=select, exclude=exclude)

    def asset_key_for_model(self, model_name: str) -> AssetKey:
        """The asset key this component gives dbt model (seed, snapshot) `model_name`."""
        manifest = load_manifest(self.project.manifest_path)
        for unique_id, props in manifest.get("nodes", {}).items():
            if props.get("resource_type") in _ASSET_TYPES and props.get("name") == model_name:
                return self.translator.get_asset_spec(manifest, unique_id, self.project).key
        raise HeadwaterDbtError(
            f"DbtProjectComponent at {self.project.project_dir}: no dbt model, seed or snapshot "
            f"named '{model_name}'.")

    # --- building -----------------------------------------------------------------------------
    def build_defs(self, context: ComponentLoadContext) -> Definitions:
        if self.prepare_if_dev:
            self.project.prepare_if_dev()
        if not Path(self.project.manifest_path).exists():
            raise HeadwaterDbtError(
                f"DbtProjectComponent: {self.project.manifest_path} does not exist. Run "
                f"`dbt parse` in {self.project.project_dir}, or load the definitions under "
                "`headwater dev` (or with HEADWATER_DBT_PARSE_PROJECT_ON_LOAD=1) so it is made.")
        op = self.op or OpSpecModel()
        component = self

        @dbt_assets(
            manifest=self.project.manifest_path, project=self.project,
            name=op.name or _op_name(self.project), op_tags=op.tags,
            headwater_dbt_translator=self.translator, select=self.select,
            exclude=self.exclude, selector=self.selector, backfill_policy=op.policy(),
            pool=op.pool)
        def _dbt_project(context: AssetExecutionContext) -> Iterator[Any]:
            yield from component.execute(context=context, dbt=component.cli_resource)

        return Definitions(assets=[_dbt_project])

    def execute(self, context: AssetExecutionContext, dbt: DbtCliResource) -> Iterator[Any]:
        """What a run of the component's assets does: `dbt <cli_args>` for the selection."""
        yield from dbt.cli(list(self.cli_args), context=context).stream()


def _op_name(project: DbtProject) -> str:
    name = "".join(c if c.isalnum() else "_" for c in Path(project.project_dir).name)
    return name if name and not name[0].isdigit() else f"dbt_{name}"


class _TemplatedTranslator(HeadwaterDbtTranslator):
    """The default translation, then the component's `translation:` applied per node."""

    def __init__(self, translation: TranslationModel,
                 settings: HeadwaterDbtTranslatorSettings | None,
                 context: ComponentLoadContext | None):
        super().__init__(settings)
        self._translation = translation.model_dump(exclude_unset=True)
        self._context = context

    def get_asset_spec(self, manifest: Mapping[str, Any], unique_id: str,
                       project: Any = None) -> AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        props = node(manifest, unique_id)
        return self._apply(spec, props)

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> AssetKey:
        # keys of parents (deps) and of check targets go through here: keep them consistent
        key = super().get_asset_key(dbt_resource_props)
        if {"key", "key_prefix"} & self._translation.keys():
            rendered = self._render(dbt_resource_props, AssetSpec(key=key))
            key = _key_of(rendered, key)
        return key

    def _render(self, props: Mapping[str, Any], spec: AssetSpec) -> dict[str, Any]:
        try:
            rendered = render_deferred(self._translation, self._context, node=dict(props),
                                       spec=spec)
        except ValueError as exc:
            raise HeadwaterDbtError(
                f"DbtProjectComponent translation for dbt node '{props.get('unique_id')}': "
                f"{exc}") from exc
        return dict(rendered)

    def _apply(self, spec: AssetSpec, props: Mapping[str, Any]) -> AssetSpec:
        rendered = self._render(props, spec)
        # the key is already translated: get_asset_spec asks get_asset_key, overridden below
        changes: dict[str, Any] = {name: rendered[name] for name in _REPLACED if name in rendered}
        if "metadata" in rendered:
            changes["metadata"] = {**spec.metadata, **(rendered["metadata"] or {})}
        if "tags" in rendered:
            changes["tags"] = {**spec.tags, **{k: str(v) for k, v in (rendered["tags"] or {}).items()}}
        if "kinds" in rendered:
            changes["kinds"] = {*spec.kinds, *(rendered["kinds"] or ())}
        return spec.replace_attributes(**changes) if changes else spec


def _key_of(rendered: Mapping[str, Any], default: AssetKey) -> AssetKey:
    key = AssetKey.from_user_string(rendered["key"]) if rendered.get("key") else default
    prefix = rendered.get("key_prefix")
    if prefix:
        parts: Sequence[str] = prefix.split("/") if isinstance(prefix, str) else prefix
        key = AssetKey([*parts, *key.path])
    return key
