"""Resolvers in components: YAML values turned into AssetSpecs, AssetKeys and custom types."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path
from typing import Annotated

import pydantic
import pytest

from headwater import AssetKey, Resolvable, Resolver, load_from_defs_folder
from headwater.definitions.components.declaration import ComponentDeclarationError
from headwater.definitions.components.resolved import attributes_model, resolve_fields

COMPONENTS = """
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Annotated, Optional

from headwater import (
    AssetSpec, Component, Definitions, MaterializeResult, Resolvable, ResolvedAssetKey,
    ResolvedAssetSpec, Resolver, multi_asset,
)


@dataclass
class Limits(Resolvable):
    low: int = 0
    high: int = 10


@dataclass
class Tables(Component, Resolvable):
    assets: Sequence[ResolvedAssetSpec]
    owner_of: Optional[ResolvedAssetKey] = None
    factor: Annotated[int, Resolver(lambda context, value: value * 2, model_field_type=int)] = 1
    limits: Limits = field(default_factory=Limits)

    def build_defs(self, context):
        specs = [s.replace_attributes(metadata={"factor": self.factor, "high": self.limits.high})
                 for s in self.assets]

        @multi_asset(specs=specs, name="tables")
        def _tables():
            for spec in specs:
                yield MaterializeResult(asset_key=spec.key)
        self.__class__.last = self
        return Definitions(assets=[_tables])
"""


@pytest.fixture
def project(components_project):
    return components_project("res", {
        "src/{name}/components.py": COMPONENTS,
        "src/{name}/defs/tables/defs.yaml": """
            type: {name}.components.Tables
            attributes:
              assets:
                - key: shop/orders
                  group_name: shop
                - key: shop/customers
                  deps: [shop/orders]
              owner_of: shop/orders
              factor: 21
              limits: {high: 99}
        """,
    })


def test_resolved_fields_become_specs_keys_and_custom_values(project):
    root, name = project
    defs = load_from_defs_folder(project_root=root)
    graph = defs.resolve_asset_graph()
    customers = graph.get(AssetKey(["shop", "customers"]))
    assert customers.parent_keys == {AssetKey(["shop", "orders"])}
    assert graph.get(AssetKey(["shop", "orders"])).group_name == "shop"
    component = sys.modules[f"{name}.components"].Tables.last
    assert component.owner_of == AssetKey(["shop", "orders"])
    assert component.factor == 42
    assert component.limits.high == 99 and component.limits.low == 0


def test_a_bad_nested_value_names_the_line_and_the_key(project):
    root, name = project
    yaml_file = Path(root / "src" / name / "defs" / "tables" / "defs.yaml")
    yaml_file.write_text(yaml_file.read_text().replace("group_name: shop", "group: shop"))
    with pytest.raises(ComponentDeclarationError, match=r"defs.yaml:\d+: attributes.assets.0.group"):
        load_from_defs_folder(project_root=root)


def test_component_instance_and_the_project_helpers(project):
    root, name = project
    (root / "src" / name / "defs" / "more.py").write_text(textwrap.dedent(f"""
        from headwater import component_instance
        from {name}.components import Tables
        from headwater import AssetSpec

        @component_instance
        def extra(context):
            return Tables(assets=[AssetSpec("extra_table")])
    """))
    from headwater import (
        build_defs_for_component,
        get_all_components_defs_within_project,
        get_component_defs_within_project,
    )

    defs = load_from_defs_folder(project_root=root)
    assert AssetKey("extra_table") in defs.resolve_asset_graph().all_keys
    component, built = get_component_defs_within_project(project_root=root,
                                                         component_path="tables")
    assert type(component).__name__ == "Tables"
    assert AssetKey(["shop", "orders"]) in built.resolve_asset_graph().all_keys
    assert len(get_all_components_defs_within_project(project_root=root,
                                                      component_path="tables")) == 1
    with pytest.raises(Exception, match="instance_key 3 is out of range"):
        get_component_defs_within_project(project_root=root, component_path="tables",
                                          instance_key=3)
    alone = build_defs_for_component(type(component)(assets=[]))
    assert alone.resolve_asset_graph().all_keys == set()


def test_definitions_component_loads_a_file_beside_its_yaml(project):
    root, name = project
    folder = root / "src" / name / "defs" / "legacy"
    folder.mkdir()
    (folder / "old_defs.py").write_text(textwrap.dedent("""
        from headwater import Definitions, asset

        @asset
        def legacy_table():
            return 1

        defs = Definitions(assets=[legacy_table])
    """))
    (folder / "defs.yaml").write_text("type: headwater.DefinitionsComponent\n"
                                      "attributes:\n  path: old_defs.py\n")
    defs = load_from_defs_folder(project_root=root)
    assert AssetKey("legacy_table") in defs.resolve_asset_graph().all_keys
    (folder / "defs.yaml").write_text("type: headwater.DefinitionsComponent\n"
                                      "attributes:\n  path: missing.py\n")
    with pytest.raises(Exception, match="'missing.py' is not a Python file"):
        load_from_defs_folder(project_root=root)


def test_a_defs_folder_sandbox_scaffolds_and_loads_a_component():
    from headwater.components import Component, Resolvable  # Dagster's components module path
    from headwater.components.testing import create_defs_folder_sandbox

    assert Component is __import__("headwater").Component and Resolvable is not None
    from headwater._core import errors  # noqa: F401  (a private path answers too)

    with create_defs_folder_sandbox(project_name="sandboxed") as sandbox:
        module = sandbox.defs_folder_path.parent / "things.py"
        module.write_text(textwrap.dedent("""
            from dataclasses import dataclass
            from headwater import Component, Definitions, Resolvable, asset

            @dataclass
            class Thing(Component, Resolvable):
                name: str = "thing"

                def build_defs(self, context):
                    @asset(name=self.name)
                    def _thing():
                        return 1
                    return Definitions(assets=[_thing])
        """))
        import importlib

        thing_cls = importlib.import_module("sandboxed.things").Thing
        path = sandbox.scaffold_component(component_cls=thing_cls, defs_path="one",
                                          defs_yaml_contents={"type": "sandboxed.things.Thing",
                                                              "attributes": {"name": "first"}})
        with sandbox.load_component_and_build_defs(defs_path=path) as (component, defs):
            assert component.name == "first"
            assert defs.resolve_asset_graph().get_all_asset_keys() == {AssetKey("first")}
    assert "sandboxed" not in sys.modules



def _minutes(context, value: int) -> int:
    return value * 60


class _Lag(Resolvable):
    def __init__(self, lag_seconds: Annotated[int, Resolver(
            _minutes, model_field_type=int, model_field_name="lag_minutes",
            description="allowed lag", examples=[5, 90])] = 0):
        self.lag_seconds = lag_seconds


def test_resolver_model_field_name_is_the_yaml_key_and_documents_it():
    """Resolver(model_field_name=) renames the field in YAML; description and examples reach
    the attributes' JSON schema."""
    assert resolve_fields(_Lag, {"lag_minutes": 2}) == {"lag_seconds": 120}
    assert resolve_fields(_Lag, {}) == {}
    with pytest.raises(pydantic.ValidationError, match="lag_seconds"):
        resolve_fields(_Lag, {"lag_seconds": 2})
    schema = attributes_model(_Lag).model_json_schema()["properties"]["lag_minutes"]
    assert schema["description"] == "allowed lag" and schema["examples"] == [5, 90]
