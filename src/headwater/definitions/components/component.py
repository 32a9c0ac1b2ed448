"""What a component is: a class that builds Definitions from attributes read out of YAML.

`Component` subclasses implement `build_defs(context)`. A component that takes attributes
also inherits `Resolvable` (as a dataclass or a plain class with an annotated `__init__`),
or `Model` (a pydantic model); `Component.load` checks the attributes with pydantic and
builds the instance. Pydantic is imported only here, so `import headwater` never loads it.
Imports the `definitions` bundle and `errors`.
"""

from __future__ import annotations

import dataclasses
import inspect
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pydantic

from headwater.definitions.definitions import Definitions


@dataclass(frozen=True)
class ComponentLoadContext:
    """Where a component is being loaded: its folder, the project root and the defs module."""

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


class Resolvable:
    """Mixin: the class's attributes are read from a `defs.yaml` `attributes:` mapping.

    The fields come from the dataclass fields, or else from the `__init__` signature."""


class Model(pydantic.BaseModel):
    """A pydantic model for component attributes; unknown keys are refused."""

    model_config = pydantic.ConfigDict(extra="forbid", arbitrary_types_allowed=True)


class Component:
    """Something that builds Definitions; declared in a `defs.yaml` by its `type:`."""

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
    """Validate `attributes` against the fields `cls` declares and build it."""
    attrs = dict(attributes or {})
    if issubclass(cls, pydantic.BaseModel):
        return typing.cast(Component, cls.model_validate(attrs))
    if not issubclass(cls, Resolvable):
        if attrs:
            raise TypeError(
                f"{cls.__name__} takes no attributes (got {', '.join(sorted(attrs))}). Make it "
                "Resolvable (class X(Component, Resolvable) as a dataclass), or a Model.")
        return cls()
    validated = attributes_model(cls).model_validate(attrs)
    values = {name: getattr(validated, name) for name in type(validated).model_fields
              if name in validated.model_fields_set or name in attrs}
    return cls(**values)


def attribute_fields(cls: type) -> dict[str, tuple[bool, Any]]:
    """name -> (required?, default) of the attributes a component class takes."""
    if issubclass(cls, pydantic.BaseModel):
        model: type[pydantic.BaseModel] = cls
    elif issubclass(cls, Resolvable):
        model = attributes_model(cls)
    else:
        return {}
    return {name: (f.is_required(), None if f.is_required() else f.get_default(
        call_default_factory=True)) for name, f in model.model_fields.items()}


def attributes_model(cls: type) -> type[pydantic.BaseModel]:
    """A pydantic model of the constructor arguments of a Resolvable class."""
    fields: dict[str, Any] = {}
    if dataclasses.is_dataclass(cls):
        hints = typing.get_type_hints(cls)
        for f in dataclasses.fields(cls):
            if not f.init:
                continue
            if f.default is not dataclasses.MISSING:
                default: Any = f.default
            elif f.default_factory is not dataclasses.MISSING:
                default = pydantic.Field(default_factory=f.default_factory)
            else:
                default = ...
            fields[f.name] = (hints.get(f.name, Any), default)
    else:
        init = cls.__init__  # type: ignore[misc]
        hints = typing.get_type_hints(init)
        for param in list(inspect.signature(init).parameters.values())[1:]:
            if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
                continue
            default = ... if param.default is param.empty else param.default
            fields[param.name] = (hints.get(param.name, Any), default)
    config = pydantic.ConfigDict(extra="forbid", arbitrary_types_allowed=True)
    return pydantic.create_model(f"{cls.__name__}Attributes", __config__=config, **fields)
