"""Executable components: assets (and checks) whose body is a Python function or a script.

    type: headwater.PythonScriptComponent      # or UvRunComponent, FunctionComponent
    attributes:
      execution:
        path: update_table.py                  # FunctionComponent: fn: .module.function
        args: ["--full"]
      assets:
        - key: warehouse/table
          deps: [raw/events]
      checks:
        - name: has_rows
          asset: warehouse/table

The component builds one multi-asset (or, with checks only, one multi-asset check) named
after `execution.name` (default: the function's or the script's name). A script runs in a
subprocess through Pipes (`PipesSubprocessClient`), with the component's folder as working
directory, and reports through `headwater_pipes`; whatever it does not report is recorded as
materialized when it exits 0. A function is called with `context`, a `config` parameter
typed as a `Config` class (from run config), and resources named by its other parameters.
"""

from __future__ import annotations

import importlib
import inspect
import shutil
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pydantic

from headwater.definitions.assets.decorators import multi_asset
from headwater.definitions.assets.definition import AssetSpec
from headwater.definitions.checks.decorators import multi_asset_check
from headwater.definitions.checks.result import AssetCheckResult
from headwater.definitions.checks.spec import AssetCheckSpec
from headwater.definitions.components.component import Component, ComponentLoadContext, Model
from headwater.definitions.components.resolved import AssetSpecModel, CheckSpecModel
from headwater.definitions.definitions import Definitions
from headwater.definitions.ops.output import MaterializeResult
from headwater.errors import HeadwaterInvalidDefinitionError


class OpSpec(Model):
    """The op that runs the body: its name, tags, description and pool."""

    name: str | None = None
    tags: dict[str, str] = {}
    description: str | None = None
    pool: str | None = None


class ScriptSpec(OpSpec):
    """A script, relative to the component's folder, and its arguments."""

    path: str
    args: list[str] | str | None = None


class FunctionSpec(OpSpec):
    """A function: a dotted path (`pkg.module.fn`, or `.module.fn` from the component's
    folder) or the function itself."""

    fn: Any


def _specs(items: Iterable[Any] | None, model: type[Model], kind: type) -> list[Any]:
    out = []
    for item in items or []:
        if isinstance(item, kind):
            out.append(item)
        else:
            parsed = item if isinstance(item, model) else model.model_validate(item)
            out.append(parsed.to_spec())  # type: ignore[attr-defined]
    return out


def _results(value: Any) -> Iterable[MaterializeResult | AssetCheckResult]:
    if value is None:
        return []
    if isinstance(value, (MaterializeResult, AssetCheckResult)):
        return [value]
    if isinstance(value, Iterable) and not isinstance(value, (str, bytes, dict)):
        return value
    raise HeadwaterInvalidDefinitionError(
        f"an executable component's body returned {type(value).__name__}; return or yield "
        "MaterializeResult and AssetCheckResult objects (or None).")


class ExecutableComponent(Component, Model):
    """Shared by the executable components: the assets and checks, and the op around them."""

    assets: list[Any] | None = None
    checks: list[Any] | None = None

    def op_spec(self, context: ComponentLoadContext) -> OpSpec:
        raise NotImplementedError

    def resource_keys(self) -> list[str]:
        return []

    def config_class(self, context: ComponentLoadContext) -> Any:
        return None

    def execute(self, context: Any, load_context: ComponentLoadContext,
                config: Any) -> Iterable[Any]:
        raise NotImplementedError

    def build_defs(self, context: ComponentLoadContext) -> Definitions:
        specs = _specs(self.assets, AssetSpecModel, AssetSpec)
        checks = _specs(self.checks, CheckSpecModel, AssetCheckSpec)
        op = self.op_spec(context)
        if not specs and not checks:
            raise HeadwaterInvalidDefinitionError(
                f"{type(self).__name__} '{op.name}' in {context.path}: declare at least one "
                "asset (assets: [{key: ...}]) or check (checks: [{name: ..., asset: ...}]).")
        component, load_context = self, context
        config = self.config_class(context)
        if config is None:
            def body(context: Any) -> Iterable[Any]:
                yield from _results(component.execute(context, load_context, None))
        else:
            def body(context: Any, config: Any) -> Iterable[Any]:  # type: ignore[misc]
                yield from _results(component.execute(context, load_context, config))
            body.__annotations__ = {"config": config}
        body.__name__ = op.name or "component"
        kwargs: dict[str, Any] = dict(
            name=op.name, description=op.description, op_tags=op.tags or None,
            required_resource_keys=self.resource_keys() or None, pool=op.pool)
        if specs:
            built: Any = multi_asset(specs=specs, check_specs=checks or None, **kwargs)(body)
            return Definitions(assets=[built])
        kwargs.pop("description")
        built = multi_asset_check(specs=checks, description=op.description, **kwargs)(body)
        return Definitions(asset_checks=[built])


def _resolve_callable(value: Any, context: ComponentLoadContext) -> Callable[..., Any]:
    if callable(value):
        return value
    if not isinstance(value, str) or "." not in value.lstrip("."):
        raise HeadwaterInvalidDefinitionError(
            f"execution.fn {value!r} in {context.path}: write a dotted path such as "
            "`my_project.defs.jobs.update_table`, or `.update.update_table` for a module in "
            "the component's folder.")
    name = value
    if name.startswith("."):
        name = context.module_name_for(context.path) + name
    module_name, _, attribute = name.rpartition(".")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise HeadwaterInvalidDefinitionError(
            f"execution.fn {value!r} in {context.path}: cannot import {module_name!r} ({exc})."
        ) from exc
    fn = getattr(module, attribute, None)
    if not callable(fn):
        raise HeadwaterInvalidDefinitionError(
            f"execution.fn {value!r} in {context.path}: {module_name} has no function "
            f"{attribute!r}.")
    return fn


class FunctionComponent(ExecutableComponent):
    """A component whose assets are computed by a Python function, named in `defs.yaml`.

    `execution.fn` is a dotted path (`.logic.update` for a module beside the `defs.yaml`)
    or, from Python, the function. It is called with `context`, a `config` parameter typed
    as a `Config` class, and resources named by its other parameters; it returns what an
    asset would (`MaterializeResult`s, check results).

    Example:
        ```python
        import pathlib
        from headwater import ComponentLoadContext, FunctionComponent, MaterializeResult, materialize

        def update_table(context) -> MaterializeResult:
            return MaterializeResult(metadata={"rows": 3})

        component = FunctionComponent(execution=update_table, assets=[{"key": "warehouse/table"}])
        here = pathlib.Path.cwd()
        defs = component.build_defs(ComponentLoadContext(here, here, here, "defs"))
        [event] = materialize(defs.assets).get_asset_materialization_events()
        assert event.materialization.metadata["rows"].value == 3
        ```
    """

    execution: FunctionSpec | Any

    @classmethod
    def scaffold_files(cls, folder: Path, type_name: str) -> dict[str, str]:
        """`headwater scaffold defs headwater.FunctionComponent PATH`: a defs.yaml and the
        module holding the function it names."""
        name = folder.name
        return {
            "defs.yaml": f"type: {type_name}\nattributes:\n  execution:\n"
                         f"    fn: .logic.{name}\n  assets:\n    - key: {name}\n",
            "logic.py": "from headwater import AssetExecutionContext, MaterializeResult\n\n\n"
                        f"def {name}(context: AssetExecutionContext) -> MaterializeResult:\n"
                        f"    context.log.info(\"computing {name}\")\n"
                        "    return MaterializeResult(metadata={\"rows\": 0})\n",
        }

    def _spec(self) -> FunctionSpec:
        if isinstance(self.execution, FunctionSpec):
            return self.execution
        if isinstance(self.execution, dict):
            return FunctionSpec.model_validate(self.execution)
        return FunctionSpec(fn=self.execution)

    def _fn(self, context: ComponentLoadContext) -> Callable[..., Any]:
        return _resolve_callable(self._spec().fn, context)

    def op_spec(self, context: ComponentLoadContext) -> OpSpec:
        spec = self._spec()
        name = spec.name or getattr(self._fn(context), "__name__", None)
        return OpSpec(name=name, tags=spec.tags, description=spec.description, pool=spec.pool)

    def _params(self, context: ComponentLoadContext) -> dict[str, inspect.Parameter]:
        return dict(inspect.signature(self._fn(context)).parameters)

    def config_class(self, context: ComponentLoadContext) -> Any:
        param = self._params(context).get("config")
        hint = None if param is None else param.annotation
        if isinstance(hint, str):
            hint = self._fn(context).__annotations__.get("config")
        return hint if getattr(hint, "__headwater_config__", False) else None

    def resource_keys(self) -> list[str]:
        fn = self._fn_for_keys
        return [] if fn is None else [n for n in inspect.signature(fn).parameters
                                      if n not in ("context", "config")]

    _fn_for_keys: Callable[..., Any] | None = pydantic.PrivateAttr(default=None)

    def build_defs(self, context: ComponentLoadContext) -> Definitions:
        self._fn_for_keys = self._fn(context)
        return super().build_defs(context)

    def execute(self, context: Any, load_context: ComponentLoadContext,
                config: Any) -> Iterable[Any]:
        fn = self._fn(load_context)
        kwargs: dict[str, Any] = {}
        for name in inspect.signature(fn).parameters:
            if name == "context":
                kwargs[name] = context
            elif name == "config":
                kwargs[name] = config
            else:
                kwargs[name] = getattr(context.resources, name)
        return _results(fn(**kwargs))


class _ScriptComponent(ExecutableComponent):
    execution: ScriptSpec

    @classmethod
    def scaffold_files(cls, folder: Path, type_name: str) -> dict[str, str]:
        """`headwater scaffold defs headwater.PythonScriptComponent PATH`: a defs.yaml and
        the script it runs, which reports through headwater_pipes."""
        name = folder.name
        return {
            "defs.yaml": f"type: {type_name}\nattributes:\n  execution:\n"
                         f"    path: {name}.py\n  assets:\n    - key: {name}\n",
            f"{name}.py": "from headwater_pipes import open_headwater_pipes\n\n"
                          "with open_headwater_pipes() as pipes:\n"
                          "    pipes.log.info(f\"computing {pipes.asset_key}\")\n"
                          "    pipes.report_asset_materialization(metadata={\"rows\": 0})\n",
        }

    def op_spec(self, context: ComponentLoadContext) -> OpSpec:
        spec = self.execution
        return OpSpec(name=spec.name or Path(spec.path).stem, tags=spec.tags,
                      description=spec.description, pool=spec.pool)

    def command(self, script: Path) -> list[str]:
        raise NotImplementedError

    def execute(self, context: Any, load_context: ComponentLoadContext,
                config: Any) -> Iterable[Any]:
        from headwater.pipes.subprocess import PipesSubprocessClient

        script = load_context.path / self.execution.path
        if not script.is_file():
            raise HeadwaterInvalidDefinitionError(
                f"{type(self).__name__} '{self.op_spec(load_context).name}': no script at "
                f"{script} (execution.path is relative to {load_context.path}).")
        args = self.execution.args
        extra = args.split() if isinstance(args, str) else list(args or [])
        client = PipesSubprocessClient(cwd=str(load_context.path))
        return client.run(context=context, command=[*self.command(script), *extra]).get_results()


class PythonScriptComponent(_ScriptComponent):
    """A component whose assets are computed by a Python script, run in a subprocess (Pipes).

    `execution.path` is relative to the component's folder, which is also the script's
    working directory; the script reports through `headwater_pipes`, and assets it does not
    report are recorded as materialized when it exits 0.

    Example:
        ```python
        import pathlib
        from headwater import ComponentLoadContext, PythonScriptComponent, materialize

        pathlib.Path("update_table.py").write_text('''from headwater_pipes import open_headwater_pipes

        with open_headwater_pipes() as pipes:
            pipes.report_asset_materialization(metadata={"rows": 3})
        ''')  # the script; written here to run on its own

        component = PythonScriptComponent(execution={"path": "update_table.py"},
                                          assets=[{"key": "warehouse/table"}])
        here = pathlib.Path.cwd()
        defs = component.build_defs(ComponentLoadContext(here, here, here, "defs"))
        [event] = materialize(defs.assets).get_asset_materialization_events()
        assert event.materialization.metadata["rows"].value == 3
        ```
    """

    def command(self, script: Path) -> list[str]:
        return [sys.executable, str(script)]


class UvRunComponent(_ScriptComponent):
    """A component whose assets are computed by a script run with `uv run`, in a subprocess.

    Like `PythonScriptComponent`, but the script's inline dependencies (PEP 723) are
    installed by uv. Needs the `uv` program; without it, running raises
    `HeadwaterInvalidDefinitionError`.

    Example:
        ```python
        import pathlib
        from headwater import ComponentLoadContext, UvRunComponent

        component = UvRunComponent(execution={"path": "update_table.py"},
                                   assets=[{"key": "warehouse/table"}])
        here = pathlib.Path.cwd()
        defs = component.build_defs(ComponentLoadContext(here, here, here, "defs"))
        assert [k.to_user_string() for k in defs.asset_keys] == ["warehouse/table"]
        ```
    """

    def command(self, script: Path) -> list[str]:
        uv = find_uv()
        if uv is None:
            raise HeadwaterInvalidDefinitionError(
                f"UvRunComponent '{self.op_spec_name()}' needs the `uv` program: install it "
                "(pip install uv, in this environment or on PATH), or use "
                "PythonScriptComponent to run the script with this Python.")
        return [uv, "run", str(script)]

    def op_spec_name(self) -> str:
        return self.execution.name or Path(self.execution.path).stem


def find_uv() -> str | None:
    """`uv` on PATH, or installed beside this Python (pip install uv puts it there)."""
    beside = Path(sys.executable).parent / "uv"
    return shutil.which("uv") or (str(beside) if beside.is_file() else None)
