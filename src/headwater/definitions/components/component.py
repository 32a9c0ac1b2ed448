"""What a component is: a class that builds Definitions from attributes read out of YAML.

`Component` subclasses implement `build_defs(context)`. A component that takes attributes
also inherits `Resolvable` (as a dataclass or a plain class with an annotated `__init__`),
or `Model` (a pydantic model); `Component.load` checks the attributes with pydantic and
builds the instance (resolved.py turns YAML values into field values). Pydantic is imported
only in this room, so `import headwater` never loads it.
Imports the `definitions` bundle and `errors`.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pydantic

from headwater.definitions.components.resolved import (
    Model,
    Resolvable,
    attributes_model,
    resolve_fields,
)
from headwater.definitions.definitions import Definitions

__all__ = ["Component", "ComponentLoadContext", "Model", "Resolvable", "build_component",
           "attribute_fields"]


@dataclass(frozen=True)
class ComponentLoadContext:
    """Where a component is being loaded: its folder, the project root and the defs module.

    `build_defs(context)` receives one; use it to find files beside the component's
    defs.yaml (`context.path / "queries"`). `relative_path` is the folder relative to
    the defs folder; `module_name_for(path)` the importable name of a file in it.

    Args:
        path: the component's folder.
        project_root: the folder holding the project's pyproject.toml.
        defs_module_path: the defs folder (the defs package's directory).
        defs_module_name: the defs package's importable name, e.g. `my_project.defs`.

    Example:
        ```python
        from pathlib import Path

        from headwater import AssetSpec, Component, ComponentLoadContext, Definitions

        class FolderNamed(Component):
            def build_defs(self, context: ComponentLoadContext) -> Definitions:
                return Definitions(assets=[AssetSpec(context.relative_path.name)])

        root = Path.cwd()
        context = ComponentLoadContext(path=root / "defs" / "sales", project_root=root,
                                       defs_module_path=root / "defs", defs_module_name="defs")
        assert str(context.relative_path) == "sales"
        assert context.module_name_for(root / "defs" / "sales" / "orders.py") == "defs.sales.orders"
        defs = FolderNamed().build_defs(context)
        assert [spec.key.to_user_string() for spec in defs.get_all_asset_specs()] == ["sales"]
        ```
    """

    path: Path
    project_root: Path
    defs_module_path: Path
    defs_module_name: str

    @property
    def relative_path(self) -> Path:
        """The component's folder relative to the defs folder, e.g. `ingest/raw`."""
        return self.path.relative_to(self.defs_module_path)

    def module_name_for(self, path: Path) -> str:
        """The importable name of a file or folder inside the defs folder."""
        relative = path.relative_to(self.defs_module_path)
        parts = relative.with_suffix("").parts if path.suffix == ".py" else relative.parts
        return ".".join((self.defs_module_name, *parts))

    def for_path(self, path: Path) -> ComponentLoadContext:
        return dataclasses.replace(self, path=path)


class Component:
    """Something that builds Definitions; declared in a `defs.yaml` by its `type:`.

    Subclass it and implement `build_defs(context) -> Definitions`. To take attributes
    from the defs.yaml, also inherit Resolvable (a dataclass, or a class whose annotated
    `__init__` lists them) or Model (pydantic). `Component.load(attributes, context)`
    checks the attributes (a pydantic ValidationError names each bad key; the defs.yaml
    loader reports it with its file and line) and builds the instance. A component without
    Resolvable or Model given attributes raises TypeError. `build_defs_for_component`
    builds one in a test.

    Example:
        ```python
        from headwater import (
            AssetKey, AssetSpec, Component, Definitions, Resolvable, build_defs_for_component,
        )

        class Tables(Component, Resolvable):
            def __init__(self, names: list[str], group: str = "raw"):
                self.names, self.group = names, group

            def build_defs(self, context) -> Definitions:
                return Definitions(assets=[AssetSpec(n, group_name=self.group) for n in self.names])

        component = Tables.load({"names": ["orders", "users"]}, None)  # as from a defs.yaml
        defs = build_defs_for_component(component)
        assert defs.asset_keys == {AssetKey("orders"), AssetKey("users")}
        ```
    """

    def build_defs(self, context: ComponentLoadContext) -> Definitions:
        raise NotImplementedError(
            f"{type(self).__name__} must implement build_defs(self, context) and return a "
            "Definitions.")

    @classmethod
    def load(cls, attributes: Mapping[str, Any] | None, context: ComponentLoadContext) -> Component:
        """An instance from the `attributes:` of a defs.yaml (pydantic checks the values; a
        `pydantic.ValidationError` carries the location of each bad key)."""
        return build_component(cls, attributes)


def build_component(cls: type[Component], attributes: Mapping[str, Any] | None) -> Component:
    """Validate `attributes` against the fields `cls` declares, resolve them and build it."""
    attrs = dict(attributes or {})
    if issubclass(cls, pydantic.BaseModel):
        return typing.cast(Component, cls.model_validate(attrs))
    if not issubclass(cls, Resolvable):
        if attrs:
            raise TypeError(
                f"{cls.__name__} takes no attributes (got {', '.join(sorted(attrs))}). Make it "
                "Resolvable (class X(Component, Resolvable) as a dataclass), or a Model.")
        return cls()
    return cls(**resolve_fields(cls, attrs))


def attribute_fields(cls: type) -> dict[str, tuple[bool, Any]]:
    """YAML key -> (required?, default) of the attributes a component class takes."""
    if issubclass(cls, pydantic.BaseModel):
        model: type[pydantic.BaseModel] = cls
    elif issubclass(cls, Resolvable):
        model = attributes_model(cls)
    else:
        return {}
    return {f.alias or name: (f.is_required(), None if f.is_required() else f.get_default(
        call_default_factory=True)) for name, f in model.model_fields.items()}
