"""Scaffolding a component: what `headwater scaffold defs TYPE PATH` writes for a class.

A component class names its scaffolder with `@scaffold_with(MyScaffolder)`; the CLI builds a
`ScaffoldRequest` (the type name, the target folder, the project root, the format and the
parameters given with `--json-params`, checked against the scaffolder's
`get_scaffold_params()` model) and calls `scaffolder.scaffold(request)`, which typically
calls `scaffold_component(request, {...attributes})` to write the defs.yaml and may write
more files beside it. Imports this room's `component` (through `Model`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, Literal, TypeVar

import pydantic
import yaml

Params = TypeVar("Params")


@dataclass(frozen=True)
class ScaffoldRequest(Generic[Params]):
    """What to scaffold and where."""

    type_name: str
    target_path: Path
    scaffold_format: Literal["yaml", "python"] = "yaml"
    project_root: Path | None = None
    params: Any = field(default=None)


class Scaffolder(Generic[Params]):
    """Writes the files of a new component instance; override `scaffold`."""

    @classmethod
    def get_scaffold_params(cls) -> type[pydantic.BaseModel] | None:
        """A pydantic model of the parameters `--json-params` may pass (None: none)."""
        return None

    def scaffold(self, request: ScaffoldRequest[Params]) -> None:
        scaffold_component(request)


def scaffold_with(scaffolder: type[Scaffolder[Any]]) -> Any:
    """Class decorator: `headwater scaffold defs` uses `scaffolder` for this component class."""
    if not (isinstance(scaffolder, type) and issubclass(scaffolder, Scaffolder)):
        raise TypeError(f"scaffold_with takes a Scaffolder subclass, got {scaffolder!r}.")

    def decorate(cls: Any) -> Any:
        cls.__headwater_scaffolder__ = scaffolder
        return cls
    return decorate


def scaffolder_of(cls: Any) -> type[Scaffolder[Any]] | None:
    return getattr(cls, "__headwater_scaffolder__", None)


def scaffold_component(request: ScaffoldRequest[Any],
                       yaml_attributes: dict[str, Any] | None = None,
                       post_processing: dict[str, Any] | None = None) -> None:
    """Write `request.target_path/defs.yaml` declaring the component (format "yaml"), or a
    `component.py` building it with `@component_instance` (format "python")."""
    folder = Path(request.target_path)
    folder.mkdir(parents=True, exist_ok=True)
    if request.scaffold_format == "python":
        module, _, cls = request.type_name.rpartition(".")
        args = ", ".join(f"{k}={v!r}" for k, v in (yaml_attributes or {}).items())
        (folder / "component.py").write_text(
            f"from headwater import ComponentLoadContext, component_instance\n"
            f"from {module} import {cls}\n\n\n"
            f"@component_instance\n"
            f"def load(context: ComponentLoadContext) -> {cls}:\n"
            f"    return {cls}({args})\n")
        return
    document: dict[str, Any] = {"type": request.type_name}
    if yaml_attributes:
        document["attributes"] = yaml_attributes
    if post_processing:
        document["post_processing"] = post_processing
    (folder / "defs.yaml").write_text(yaml.safe_dump(document, sort_keys=False))


def parse_params(scaffolder: type[Scaffolder[Any]], json_params: str | None,
                 type_name: str) -> Any:
    """The `--json-params` of a scaffold call, checked against the scaffolder's model."""
    model = scaffolder.get_scaffold_params()
    if json_params is None:
        return model() if model is not None else None
    try:
        raw = json.loads(json_params)
    except json.JSONDecodeError as exc:
        raise ValueError(f"--json-params is not JSON ({exc.msg} at {exc.pos}).") from exc
    if model is None:
        raise ValueError(f"{type_name} takes no scaffold parameters; drop --json-params.")
    return model.model_validate(raw)
