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
    """What to scaffold and where: what a Scaffolder's `scaffold` method receives.

    Built by `headwater scaffold defs TYPE PATH` (and `DefsFolderSandbox.scaffold_component`);
    build one yourself to call `scaffold_component` directly.

    Args:
        type_name: the component class's importable name, e.g. `my_lib.Tables`.
        target_path: the folder to write the component into.
        scaffold_format: "yaml" (a defs.yaml) or "python" (a `@component_instance` module).
        project_root: the project's folder, when known.
        params: the scaffolder's parameters (an instance of `get_scaffold_params()`).

    Example:
        ```python
        from pathlib import Path

        from headwater import ScaffoldRequest, scaffold_component

        request = ScaffoldRequest(type_name="my_lib.Tables", target_path=Path("defs/tables"),
                                  scaffold_format="python")
        scaffold_component(request, {"names": ["orders"]})
        print(Path("defs/tables/component.py").read_text())
        ```
    """

    type_name: str
    target_path: Path
    scaffold_format: Literal["yaml", "python"] = "yaml"
    project_root: Path | None = None
    params: Any = field(default=None)


class Scaffolder(Generic[Params]):
    """Writes the files of a new component instance; override `scaffold`.

    Attach it to a component class with `@scaffold_with`. `scaffold(request)` writes the
    files (by default only the defs.yaml naming the type); `get_scaffold_params()` may
    return a pydantic model of the parameters `--json-params` passes, checked before
    `scaffold` gets them as `request.params`.

    Example:
        ```python
        import pydantic
        import yaml

        from headwater import Component, Definitions, Scaffolder, create_defs_folder_sandbox
        from headwater import scaffold_component, scaffold_with

        class TableParams(pydantic.BaseModel):
            table: str

        class TableScaffolder(Scaffolder):
            @classmethod
            def get_scaffold_params(cls):
                return TableParams

            def scaffold(self, request) -> None:
                scaffold_component(request, {"table": request.params.table})
                (request.target_path / "query.sql").write_text(f"select * from {request.params.table}")

        @scaffold_with(TableScaffolder)
        class Table(Component):
            def build_defs(self, context) -> Definitions:
                return Definitions()

        with create_defs_folder_sandbox() as sandbox:
            path = sandbox.scaffold_component(Table, scaffold_params={"table": "orders"})
            assert yaml.safe_load((path / "defs.yaml").read_text())["attributes"] == {"table": "orders"}
            assert (path / "query.sql").read_text() == "select * from orders"
        ```
    """

    @classmethod
    def get_scaffold_params(cls) -> type[pydantic.BaseModel] | None:
        """A pydantic model of the parameters `--json-params` may pass (None: none)."""
        return None

    def scaffold(self, request: ScaffoldRequest[Params]) -> None:
        scaffold_component(request)


def scaffold_with(scaffolder: type[Scaffolder[Any]]) -> Any:
    """Class decorator: `headwater scaffold defs` uses `scaffolder` for this component class.

    Without it, scaffolding writes a defs.yaml naming the type and nothing else. Anything
    but a Scaffolder subclass raises TypeError.

    Args:
        scaffolder: the Scaffolder subclass.

    Example:
        ```python
        from headwater import Component, Definitions, Scaffolder, create_defs_folder_sandbox
        from headwater import scaffold_with

        class NotesScaffolder(Scaffolder):
            def scaffold(self, request) -> None:
                super().scaffold(request)  # the defs.yaml
                (request.target_path / "NOTES.md").write_text("# What this component loads")

        @scaffold_with(NotesScaffolder)
        class Documented(Component):
            def build_defs(self, context) -> Definitions:
                return Definitions()

        with create_defs_folder_sandbox() as sandbox:
            path = sandbox.scaffold_component(Documented, defs_path="documented")
            assert sorted(p.name for p in path.iterdir()) == ["NOTES.md", "defs.yaml"]
        ```
    """
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
    `component.py` building it with `@component_instance` (format "python").

    What the default Scaffolder does; a custom one calls it with the attributes it chose.
    The folder is created if needed.

    Args:
        request: the ScaffoldRequest (type, folder, format).
        yaml_attributes: the component's `attributes:` (or constructor arguments, for
            "python").
        post_processing: a `post_processing:` section for the defs.yaml.

    Example:
        ```python
        from pathlib import Path

        import yaml

        from headwater import ScaffoldRequest, scaffold_component

        request = ScaffoldRequest(type_name="my_lib.Tables", target_path=Path("defs/raw"))
        scaffold_component(request, {"names": ["orders", "users"]},
                           post_processing={"assets": [{"attributes": {"group_name": "raw"}}]})
        written = yaml.safe_load(Path("defs/raw/defs.yaml").read_text())
        assert written["type"] == "my_lib.Tables"
        assert written["attributes"] == {"names": ["orders", "users"]}
        ```
    """
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
