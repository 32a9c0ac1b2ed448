"""A throwaway defs folder for testing a component type (`create_defs_folder_sandbox`).

```python
with create_defs_folder_sandbox() as sandbox:
    path = sandbox.scaffold_component(component_cls=Table, scaffold_params={"table": "x"})
    with sandbox.load_component_and_build_defs(defs_path=path) as (component, defs):
        assert defs.resolve_asset_graph().get_all_asset_keys() == {AssetKey("x")}
```

The sandbox is a project in a temporary folder (`pyproject.toml`, `src/<name>/defs/`), put on
`sys.path` while the block runs and removed afterwards, with its modules. Imports this room's
`component`, `defs_folder` and `scaffold`.
"""

from __future__ import annotations

import re
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

from headwater.definitions.components.component import Component
from headwater.definitions.components.defs_folder import ComponentTree
from headwater.definitions.components.scaffold import (
    ScaffoldRequest,
    parse_params,
    scaffold_component,
    scaffolder_of,
)
from headwater.definitions.definitions import Definitions


class DefsFolderSandbox:
    """A temporary components project: scaffold components into it, then load them.

    Made by `create_defs_folder_sandbox()`. `defs_folder_path` is its defs folder (write
    modules and defs.yaml files there); `scaffold_component(cls, ...)` writes a component
    the way `headwater scaffold defs` does and returns its folder;
    `load_component_and_build_defs(defs_path=...)` is a context manager giving the
    component and its Definitions; `build_all_defs()` loads the whole folder; `tree()`
    gives its ComponentTree.

    Args:
        project_root: the project's folder (holding pyproject.toml).
        project_name: its package name.

    Example:
        ```python
        from headwater import AssetKey, DefinitionsComponent, create_defs_folder_sandbox

        with create_defs_folder_sandbox() as sandbox:
            path = sandbox.scaffold_component(
                DefinitionsComponent, defs_path="reports",
                defs_yaml_contents={"type": "headwater.DefinitionsComponent",
                                    "attributes": {"path": "reports.py"}})
            (path / "reports.py").write_text('''
        from headwater import asset

        @asset
        def weekly() -> str:
            return "report"
        ''')
            with sandbox.load_component_and_build_defs(defs_path=path) as (component, defs):
                assert component.path == "reports.py"
                assert defs.asset_keys == {AssetKey("weekly")}
        ```
    """

    def __init__(self, project_root: Path, project_name: str):
        self.project_root = project_root
        self.project_name = project_name
        self.defs_folder_path = project_root / "src" / project_name / "defs"

    def scaffold_component(self, component_cls: Any, defs_path: Path | str | None = None,
                           scaffold_params: dict[str, Any] | None = None,
                           scaffold_format: str = "yaml",
                           defs_yaml_contents: dict[str, Any] | None = None) -> Path:
        """Scaffold `component_cls` at `defs_path` (default: a fresh name) the way
        `headwater scaffold defs` would; `defs_yaml_contents` replaces the defs.yaml written.
        The folder's path."""
        target = self.defs_folder_path / (defs_path or f"component_{uuid.uuid4().hex[:8]}")
        type_name = f"{component_cls.__module__}.{component_cls.__qualname__}"
        scaffolder = scaffolder_of(component_cls)
        request: ScaffoldRequest[Any] = ScaffoldRequest(
            type_name, target, scaffold_format, self.project_root, None)  # type: ignore[arg-type]
        if scaffolder is not None:
            import json

            params = parse_params(scaffolder, json.dumps(scaffold_params)
                                  if scaffold_params is not None else None, type_name)
            scaffolder().scaffold(ScaffoldRequest(type_name, target,
                                                  scaffold_format,  # type: ignore[arg-type]
                                                  self.project_root, params))
        else:
            scaffold_component(request)
        if defs_yaml_contents is not None:
            target.mkdir(parents=True, exist_ok=True)
            (target / "defs.yaml").write_text(yaml.safe_dump(defs_yaml_contents, sort_keys=False))
        return target

    def tree(self) -> ComponentTree:
        return ComponentTree.for_project(self.project_root)

    @contextmanager
    def load_component_and_build_defs(self, defs_path: Path | str
                                      ) -> Iterator[tuple[Component, Definitions]]:
        """The component at `defs_path` (a folder of the sandbox, absolute or relative to
        its defs folder) and the Definitions it builds."""
        tree = self.tree()
        relative = Path(defs_path)
        if relative.is_absolute():
            relative = relative.relative_to(self.defs_folder_path)
        yield tree.load_component_at_path(relative), tree.build_defs_at_path(relative)

    def build_all_defs(self) -> Definitions:
        """Everything the sandbox's defs folder defines."""
        return self.tree().build_defs()


@contextmanager
def create_defs_folder_sandbox(*, project_name: str | None = None) -> Iterator[DefsFolderSandbox]:
    """A components project in a temporary folder, importable while the block runs.

    For testing a component type: the project has a pyproject.toml and a
    `src/<name>/defs/` package; its `src` folder is on sys.path inside the block, and the
    folder and its imported modules are removed afterwards. Yields a DefsFolderSandbox.

    Args:
        project_name: the package name; default a unique `sandbox_...`. A name that is
            not a Python identifier raises ValueError.

    Example:
        ```python
        from headwater import AssetKey, create_defs_folder_sandbox

        with create_defs_folder_sandbox(project_name="demo") as sandbox:
            (sandbox.defs_folder_path / "numbers.py").write_text('''
        from headwater import asset

        @asset
        def digits() -> list[int]:
            return list(range(10))
        ''')
            assert sandbox.build_all_defs().asset_keys == {AssetKey("digits")}
        ```
    """
    name = project_name or f"sandbox_{uuid.uuid4().hex[:10]}"
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise ValueError(f"create_defs_folder_sandbox: project_name {name!r} must be a Python "
                         "identifier (it becomes the package name).")
    with tempfile.TemporaryDirectory(prefix="headwater-sandbox-") as folder:
        root = Path(folder)
        (root / "pyproject.toml").write_text(
            f'[project]\nname = "{name}"\nversion = "0.0.0"\n\n'
            f'[tool.dg.project]\nroot_module = "{name}"\n')
        defs = root / "src" / name / "defs"
        defs.mkdir(parents=True)
        (defs.parent / "__init__.py").write_text("")
        (defs / "__init__.py").write_text("")
        sys.path.insert(0, str(root / "src"))
        try:
            yield DefsFolderSandbox(root, name)
        finally:
            if str(root / "src") in sys.path:
                sys.path.remove(str(root / "src"))
            for module in [m for m in sys.modules if m == name or m.startswith(name + ".")]:
                del sys.modules[module]
