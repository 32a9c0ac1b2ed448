"""The defs folder of a components project, loaded into one Definitions.

Rules: a folder holding a `defs.yaml` is the component(s) that file declares; any other
folder is a `DefsFolderComponent` whose children are its Python modules and its subfolders.
A Python module contributes its Definitions objects, the results of its `@definitions`
functions, and its loose assets, checks, jobs, schedules and sensors (each object once).
`load_from_defs_folder` reads `[tool.dg.project]` of the project's pyproject.toml to find the
defs module. Imports `component` and `declaration` of this room, and the bundle.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from headwater.definitions.components.component import Component, ComponentLoadContext
from headwater.definitions.components.declaration import read_declarations
from headwater.definitions.components.post_processing import PostProcessing, post_process
from headwater.definitions.components.resolved import Model
from headwater.definitions.definitions import Definitions, LazyDefinitions
from headwater.definitions.module_loader import load_definitions_from_modules
from headwater.errors import HeadwaterInvalidDefinitionError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

DECLARATION_FILE = "defs.yaml"
_LOOSE_KINDS = ("assets", "asset_checks", "jobs", "schedules", "sensors")


@dataclass
class PythonModuleComponent(Component):
    """One Python module of the defs folder and what it defines."""

    module_name: str

    def build_defs(self, context: ComponentLoadContext) -> Definitions:
        return definitions_of_module(importlib.import_module(self.module_name), context)


@dataclass
class DefsFolderComponent(Component):
    """A folder of the defs tree: its children's Definitions, merged.

    Every folder of the defs folder without a defs.yaml is one: its children are its
    Python modules and its subfolders (names starting with `.` or `_` skipped, except
    `__init__.py`). A defs.yaml may also declare `type: headwater.DefsFolderComponent` to
    load its folder this way; it takes no attributes (TypeError if given some).

    Args:
        path: the folder.
        children: the component of each child (module or subfolder), by path.

    Example:
        ```python
        from headwater import AssetKey, DefsFolderComponent, create_defs_folder_sandbox

        with create_defs_folder_sandbox() as sandbox:
            sales = sandbox.defs_folder_path / "sales"
            sales.mkdir()
            (sales / "orders.py").write_text('''
        from headwater import asset

        @asset
        def orders() -> list[int]:
            return [1, 2]
        ''')
            component = sandbox.tree().load_component_at_path("sales")
            assert isinstance(component, DefsFolderComponent)
            assert sandbox.tree().build_defs_at_path("sales").asset_keys == {AssetKey("orders")}
        ```
    """

    path: Path
    children: Mapping[Path, Component]

    @classmethod
    def from_path(cls, path: Path, context: ComponentLoadContext) -> DefsFolderComponent:
        children: dict[Path, Component] = {}
        for entry in sorted(path.iterdir()):
            if entry.name.startswith((".", "_")) and entry.name != "__init__.py":
                continue
            if entry.is_dir():
                children[entry] = component_at(entry, context.for_path(entry))
            elif entry.suffix == ".py":
                module = context.module_name_for(path if entry.name == "__init__.py" else entry)
                children[entry] = PythonModuleComponent(module)
        return cls(path, children)

    @classmethod
    def load(cls, attributes: Mapping[str, object] | None,
             context: ComponentLoadContext) -> DefsFolderComponent:
        """`type: headwater.DefsFolderComponent` in a defs.yaml: the folder's modules and
        subfolders (its own defs.yaml aside), as if it had none."""
        if attributes:
            raise TypeError(f"DefsFolderComponent takes no attributes (got "
                            f"{', '.join(sorted(attributes))}); write `attributes: {{}}` or "
                            "leave it out.")
        return cls.from_path(context.path, context)

    def build_defs(self, context: ComponentLoadContext) -> Definitions:
        built = [child.build_defs(context.for_path(path if path.is_dir() else self.path))
                 for path, child in self.children.items()]
        return merge_unique(built)


class DefinitionsComponent(Component, Model):
    """`type: headwater.DefinitionsComponent` with `attributes: {path: defs.py}`: what a
    Python file beside the defs.yaml defines (Definitions objects, @definitions functions and
    loose definitions), loaded as a module of the defs package.

    Use it to bring existing Python definitions into a components project, or to pick one
    file of a folder. A path that is not a Python file in the component's folder raises
    HeadwaterInvalidDefinitionError naming the defs.yaml.

    Args:
        path: the Python file, relative to the defs.yaml's folder.

    Example:
        ```python
        from headwater import AssetKey, create_defs_folder_sandbox

        with create_defs_folder_sandbox() as sandbox:
            folder = sandbox.defs_folder_path / "legacy"
            folder.mkdir()
            (folder / "defs.yaml").write_text('''
        type: headwater.DefinitionsComponent
        attributes:
          path: pipeline.py
        ''')
            (folder / "pipeline.py").write_text('''
        from headwater import Definitions, asset

        @asset
        def report() -> str:
            return "ok"

        defs = Definitions(assets=[report])
        ''')
            assert sandbox.build_all_defs().asset_keys == {AssetKey("report")}
        ```
    """

    path: str

    def build_defs(self, context: ComponentLoadContext) -> Definitions:
        file = (context.path / self.path).resolve()
        if file.suffix != ".py" or not file.is_file():
            raise HeadwaterInvalidDefinitionError(
                f"DefinitionsComponent in {context.path / DECLARATION_FILE}: path {self.path!r} "
                f"is not a Python file in {context.path}.")
        module = importlib.import_module(context.module_name_for(file))
        return definitions_of_module(module, context)


@dataclass
class _DeclaredComponents(Component):
    """The components a defs.yaml declares (one per YAML document)."""

    components: Sequence[tuple[Component, PostProcessing | None]]

    def build_defs(self, context: ComponentLoadContext) -> Definitions:
        built = []
        for component, rules in self.components:
            defs = component.build_defs(context)
            if not isinstance(defs, Definitions):
                raise HeadwaterInvalidDefinitionError(
                    f"{type(component).__name__}.build_defs (declared in "
                    f"{context.path / DECLARATION_FILE}) returned {type(defs).__name__}; it "
                    "must return a Definitions.")
            built.append(post_process(defs, rules) if rules else defs)
        return merge_unique(built)


def component_at(path: Path, context: ComponentLoadContext) -> Component:
    """The component a folder of the defs tree stands for."""
    declaration = path / DECLARATION_FILE
    if declaration.is_file():
        return _DeclaredComponents([d.load(context) for d in read_declarations(declaration)])
    return DefsFolderComponent.from_path(path, context)


class ComponentInstance:
    """A function `(context) -> Component` marked with `@component_instance`: the defs folder
    loader calls it and builds the component it returns."""

    def __init__(self, fn: Any):
        self.fn = fn
        self.takes_context = bool(inspect.signature(fn).parameters)
        functools.update_wrapper(self, fn)

    def __call__(self, context: ComponentLoadContext | None = None) -> Component:
        component = self.fn(context) if self.takes_context else self.fn()
        if not isinstance(component, Component):
            raise HeadwaterInvalidDefinitionError(
                f"@component_instance function '{self.fn.__name__}' returned "
                f"{type(component).__name__}; it must return a Component instance.")
        return component


def component_instance(fn: Any) -> ComponentInstance:
    """Declare a component in Python inside the defs folder, instead of in a defs.yaml.

    The defs folder loader calls the decorated function (with the ComponentLoadContext, if
    it takes a parameter) and builds the Component it returns; returning anything else
    raises HeadwaterInvalidDefinitionError. `headwater scaffold defs --format python`
    writes such a function.

    Args:
        fn: `fn(context) -> Component` or `fn() -> Component`.

    Example:
        ```python
        from headwater import AssetKey, create_defs_folder_sandbox

        with create_defs_folder_sandbox() as sandbox:
            (sandbox.defs_folder_path / "tables.py").write_text('''
        from headwater import AssetSpec, Component, ComponentLoadContext, Definitions
        from headwater import component_instance

        class Tables(Component):
            def __init__(self, names):
                self.names = names

            def build_defs(self, context):
                return Definitions(assets=[AssetSpec(name) for name in self.names])

        @component_instance
        def raw_tables(context: ComponentLoadContext) -> Tables:
            return Tables(names=["orders", "users"])
        ''')
            assert sandbox.build_all_defs().asset_keys == {AssetKey("orders"), AssetKey("users")}
        ```
    """
    return ComponentInstance(fn)


def definitions_of_module(module: ModuleType, context: ComponentLoadContext) -> Definitions:
    """What one module defines: Definitions objects, @definitions results, components from
    @component_instance functions, loose definitions."""
    bundles = []
    for value in list(vars(module).values()):
        if isinstance(value, LazyDefinitions):
            value = value(context) if value.takes_context else value()
        elif isinstance(value, ComponentInstance):
            value = build_defs_for_component(value(context), context)
        if isinstance(value, Definitions):
            bundles.append(value)
    loose = load_definitions_from_modules([module])
    held = {id(x) for d in bundles for kind in _LOOSE_KINDS for x in getattr(d, kind)}
    for kind in _LOOSE_KINDS:
        setattr(loose, kind, [x for x in getattr(loose, kind) if id(x) not in held])
    return merge_unique([*bundles, loose])


def merge_unique(defs: Sequence[Definitions]) -> Definitions:
    """Definitions.merge, keeping each definition object once (a module importing another's
    asset does not define it twice)."""
    merged = Definitions.merge(*defs)
    for kind in _LOOSE_KINDS:
        seen: set[int] = set()
        setattr(merged, kind, [x for x in getattr(merged, kind)
                               if id(x) not in seen and not seen.add(id(x))])  # type: ignore[func-returns-value]
    return merged


def load_defs(defs_root: ModuleType, project_root: Path | str | None = None) -> Definitions:
    """Every definition under the package `defs_root`, merged into one Definitions.

    Each folder of the package is a component: the components its defs.yaml declares, or
    else its Python modules and subfolders. A module contributes its Definitions objects,
    `@definitions` results, `@component_instance` components and loose assets, checks,
    jobs, schedules and sensors, each object once. A module that is not a package raises
    HeadwaterInvalidDefinitionError. `load_from_defs_folder` finds the package for you.

    Args:
        defs_root: the defs package, imported (`import my_project.defs`).
        project_root: the folder holding pyproject.toml; default: the first folder above
            the package that has one.

    Example:
        ```python
        import importlib

        from headwater import AssetKey, create_defs_folder_sandbox, load_defs

        with create_defs_folder_sandbox(project_name="shop") as sandbox:
            (sandbox.defs_folder_path / "assets.py").write_text('''
        from headwater import asset

        @asset
        def products() -> list[str]:
            return ["tea"]
        ''')
            defs = load_defs(importlib.import_module("shop.defs"))
            assert defs.asset_keys == {AssetKey("products")}
        ```
    """
    files = getattr(defs_root, "__path__", None)
    if not files:
        raise HeadwaterInvalidDefinitionError(
            f"load_defs(defs_root={defs_root.__name__}): not a package; pass the defs package "
            "(a folder with __init__.py), e.g. `import my_project.defs`.")
    defs_path = Path(list(files)[0]).resolve()
    root = Path(project_root).resolve() if project_root else _project_root_above(defs_path)
    context = ComponentLoadContext(defs_path, root, defs_path, defs_root.__name__)
    return component_at(defs_path, context).build_defs(context)


def _project_root_above(path: Path) -> Path:
    for parent in path.parents:
        if (parent / "pyproject.toml").is_file():
            return parent
    return path.parent


def project_settings(project_root: Path) -> dict[str, str]:
    """root_module, defs_module and code_location_name of a project's pyproject.toml
    (`[tool.dg.project]`, with `[tool.headwater]` code_location_name/location_name too)."""
    pyproject = project_root / "pyproject.toml"
    if not pyproject.is_file():
        raise HeadwaterInvalidDefinitionError(
            f"No pyproject.toml in {project_root}; pass the folder holding the project's "
            "pyproject.toml as project_root.")
    with open(pyproject, "rb") as f:
        data = tomllib.load(f)
    tool = data.get("tool", {})
    table = tool.get("dg", {}).get("project", {})
    name = str(data.get("project", {}).get("name", project_root.name))
    root_module = table.get("root_module") or name.replace("-", "_")
    own = tool.get("headwater", {})
    location = (table.get("code_location_name") or own.get("code_location_name")
                or own.get("location_name") or name)
    return {"root_module": root_module, "defs_module": table.get("defs_module") or
            f"{root_module}.defs", "code_location_name": location}


class ComponentTree:
    """The components of a project's defs folder, for tests: load or build one of them by
    its path relative to the defs folder.

    `ComponentTree.for_project(project_root)` finds the defs package from pyproject.toml;
    `load_component_at_path(path)` gives the component, `build_defs_at_path(path)` its
    Definitions (post-processing applied), `build_defs()` the whole folder's. A path with
    nothing at it raises HeadwaterInvalidDefinitionError.

    Args:
        defs_root: the defs package, imported.
        project_root: the folder holding the project's pyproject.toml.

    Example:
        ```python
        import importlib

        from headwater import AssetKey, ComponentTree, create_defs_folder_sandbox

        with create_defs_folder_sandbox(project_name="analytics") as sandbox:
            (sandbox.defs_folder_path / "daily.py").write_text('''
        from headwater import asset

        @asset
        def visits() -> int:
            return 10
        ''')
            tree = ComponentTree(importlib.import_module("analytics.defs"), sandbox.project_root)
            assert tree.build_defs_at_path("daily.py").asset_keys == {AssetKey("visits")}
            assert tree.build_defs().asset_keys == {AssetKey("visits")}
        ```
    """

    def __init__(self, defs_root: ModuleType, project_root: Path | str):
        files = getattr(defs_root, "__path__", None)
        if not files:
            raise HeadwaterInvalidDefinitionError(
                f"ComponentTree: {defs_root.__name__} is not a package; pass the defs package.")
        defs_path = Path(list(files)[0]).resolve()
        self.context = ComponentLoadContext(defs_path, Path(project_root).resolve(), defs_path,
                                            defs_root.__name__)

    @classmethod
    def for_project(cls, project_root: Path | str) -> ComponentTree:
        """The tree of the project whose pyproject.toml is in `project_root`."""
        root = Path(project_root).resolve()
        return cls(_import_defs_module(root), root)

    def _path(self, path: Path | str) -> Path:
        full = (self.context.defs_module_path / path).resolve()
        if not full.exists():
            raise HeadwaterInvalidDefinitionError(
                f"ComponentTree: nothing at {path!r} in {self.context.defs_module_path}; give a "
                "folder or a .py file relative to the defs folder.")
        return full

    def load_component_at_path(self, path: Path | str) -> Component:
        """The component at `path`: a defs.yaml's component (a folder declaring several
        gives them all, as one), a folder's DefsFolderComponent, or a Python module's."""
        full = self._path(path)
        if full.is_file():
            return PythonModuleComponent(self.context.module_name_for(full))
        component = component_at(full, self.context.for_path(full))
        if isinstance(component, _DeclaredComponents) and len(component.components) == 1:
            return component.components[0][0]
        return component

    def build_defs_at_path(self, path: Path | str) -> Definitions:
        """The Definitions of the component at `path`, post-processing applied."""
        full = self._path(path)
        folder = full.parent if full.is_file() else full
        if full.is_file():
            component: Component = PythonModuleComponent(self.context.module_name_for(full))
        else:
            component = component_at(full, self.context.for_path(full))
        return component.build_defs(self.context.for_path(folder))

    def build_defs(self) -> Definitions:
        """The Definitions of the whole defs folder."""
        return self.build_defs_at_path(".")


def _import_defs_module(root: Path) -> ModuleType:
    settings = project_settings(root)
    for folder in (root / "src", root):
        top = settings["root_module"].split(".")[0]
        if (folder / top).is_dir() and str(folder) not in sys.path:
            sys.path.insert(0, str(folder))
            break
    try:
        return importlib.import_module(settings["defs_module"])
    except ModuleNotFoundError as exc:
        raise HeadwaterInvalidDefinitionError(
            f"Cannot import the defs module {settings['defs_module']!r} of the project in "
            f"{root} ({exc}); set [tool.dg.project] defs_module in {root / 'pyproject.toml'} "
            f"or create {os.path.join('src', *settings['defs_module'].split('.'))}/__init__.py."
        ) from exc


def build_defs_for_component(component: Component,
                             context: ComponentLoadContext | None = None) -> Definitions:
    """The Definitions of one component, e.g. in a test (`context` defaults to the current
    folder as the project, defs folder and component folder).

    A `build_defs` that returns something other than a Definitions raises
    HeadwaterInvalidDefinitionError naming the component class.

    Args:
        component: the component instance.
        context: where it is loaded; default: the current folder.

    Example:
        ```python
        from headwater import AssetKey, AssetSpec, Component, Definitions, build_defs_for_component

        class Static(Component):
            def build_defs(self, context) -> Definitions:
                return Definitions(assets=[AssetSpec("landing_zone")])

        defs = build_defs_for_component(Static())
        assert defs.asset_keys == {AssetKey("landing_zone")}
        ```
    """
    if context is None:
        here = Path.cwd()
        context = ComponentLoadContext(here, here, here, "defs")
    defs = component.build_defs(context)
    if not isinstance(defs, Definitions):
        raise HeadwaterInvalidDefinitionError(
            f"{type(component).__name__}.build_defs returned {type(defs).__name__}; it must "
            "return a Definitions.")
    return defs


def get_all_components_defs_within_project(
        *, project_root: Path | str,
        component_path: Path | str) -> list[tuple[Component, Definitions]]:
    """Every component declared at `component_path` (relative to the project's defs folder)
    with the Definitions it builds, post-processing applied.

    A defs.yaml with several YAML documents gives one pair per document; a folder without
    one gives its DefsFolderComponent; a .py file its module's component.

    Args:
        project_root: the folder holding the project's pyproject.toml.
        component_path: the component's folder (or file), relative to the defs folder.

    Example:
        ```python
        from headwater import AssetKey, create_defs_folder_sandbox
        from headwater import get_all_components_defs_within_project

        with create_defs_folder_sandbox() as sandbox:
            folder = sandbox.defs_folder_path / "pair"
            folder.mkdir()
            (folder / "defs.yaml").write_text('''
        type: headwater.DefinitionsComponent
        attributes: {path: first.py}
        ---
        type: headwater.DefinitionsComponent
        attributes: {path: second.py}
        ''')
            for name, key in (("first", "a"), ("second", "b")):
                (folder / f"{name}.py").write_text(f'''
        from headwater import AssetSpec, Definitions

        defs = Definitions(assets=[AssetSpec("{key}")])
        ''')
            found = get_all_components_defs_within_project(
                project_root=sandbox.project_root, component_path="pair")
            assert [defs.asset_keys for _, defs in found] == [{AssetKey("a")}, {AssetKey("b")}]
        ```
    """
    tree = ComponentTree.for_project(project_root)
    full = tree._path(component_path)
    context = tree.context.for_path(full if full.is_dir() else full.parent)
    if full.is_file():
        module = PythonModuleComponent(tree.context.module_name_for(full))
        return [(module, module.build_defs(context))]
    found = component_at(full, context)
    if isinstance(found, _DeclaredComponents):
        return [(c, post_process(c.build_defs(context), rules) if rules else c.build_defs(context))
                for c, rules in found.components]
    return [(found, found.build_defs(context))]


def get_component_defs_within_project(
        *, project_root: Path | str, component_path: Path | str,
        instance_key: int = 0) -> tuple[Component, Definitions]:
    """One component at `component_path` and its Definitions (`instance_key` picks among the
    documents of a defs.yaml declaring several).

    An `instance_key` out of range raises HeadwaterInvalidDefinitionError giving the count.

    Args:
        project_root: the folder holding the project's pyproject.toml.
        component_path: the component's folder (or file), relative to the defs folder.
        instance_key: which YAML document of the defs.yaml, from 0.

    Example:
        ```python
        from headwater import (
            AssetKey, DefinitionsComponent, create_defs_folder_sandbox,
            get_component_defs_within_project,
        )

        with create_defs_folder_sandbox() as sandbox:
            folder = sandbox.scaffold_component(
                DefinitionsComponent, defs_path="billing",
                defs_yaml_contents={"type": "headwater.DefinitionsComponent",
                                    "attributes": {"path": "assets.py"}})
            (folder / "assets.py").write_text('''
        from headwater import asset

        @asset
        def invoices() -> int:
            return 3
        ''')
            component, defs = get_component_defs_within_project(
                project_root=sandbox.project_root, component_path="billing")
            assert isinstance(component, DefinitionsComponent)
            assert defs.asset_keys == {AssetKey("invoices")}
        ```
    """
    found = get_all_components_defs_within_project(project_root=project_root,
                                                   component_path=component_path)
    if not 0 <= instance_key < len(found):
        raise HeadwaterInvalidDefinitionError(
            f"{component_path} declares {len(found)} component(s); instance_key {instance_key} "
            f"is out of range (0 to {len(found) - 1}).")
    return found[instance_key]


def load_from_defs_folder(*, project_root: Path | str | None = None,
                          path_within_project: Path | str | None = None) -> Definitions:
    """The Definitions of a components project: every module and defs.yaml under its defs
    module (`[tool.dg.project] defs_module`, default `<root_module>.defs`).

    The usual body of a project's `definitions.py`:
    `defs = load_from_defs_folder(path_within_project=Path(__file__))`. The project's
    `src/` folder is put on sys.path if needed. A defs module that cannot be imported
    raises HeadwaterInvalidDefinitionError saying what to set; giving neither argument
    raises too.

    Args:
        project_root: the folder holding the project's pyproject.toml.
        path_within_project: any path inside the project (e.g. `Path(__file__)`); the
            project root is the first folder above it with a pyproject.toml.

    Example:
        ```python
        from headwater import AssetKey, create_defs_folder_sandbox, load_from_defs_folder

        with create_defs_folder_sandbox() as sandbox:
            (sandbox.defs_folder_path / "weather.py").write_text('''
        from headwater import asset

        @asset
        def forecast() -> str:
            return "sunny"
        ''')
            defs = load_from_defs_folder(project_root=sandbox.project_root)
            assert defs.asset_keys == {AssetKey("forecast")}
        ```
    """
    if project_root is None:
        if path_within_project is None:
            raise HeadwaterInvalidDefinitionError(
                "load_from_defs_folder: pass project_root=Path(__file__).parent... (the folder "
                "holding pyproject.toml), or path_within_project=Path(__file__).")
        project_root = _project_root_above(Path(path_within_project).resolve())
    root = Path(project_root).resolve()
    return load_defs(_import_defs_module(root), project_root=root)
