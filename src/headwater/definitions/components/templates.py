"""`{{ ... }}` in a defs.yaml: Jinja expressions rendered before the attributes are checked.

In scope: `env` (`{{ env.WAREHOUSE }}` or `{{ env("WAREHOUSE", "dev") }}`), `context` (the
ComponentLoadContext), `project_root`, `automation_condition`
(`{{ automation_condition.eager() }}`), the `@template_var` functions of the declaration's
`template_vars_module:` and the `@template_var` static methods of the component class. A
function taking one parameter receives the context; its result is the variable's value. A
value that is one whole `{{ expr }}` keeps the expression's type (a list stays a list); a
value mixing text and templates becomes a string. A component class may name variables that
exist only later, per item it builds (`deferred_template_vars = frozenset({"node"})` for
`{{ node.name }}` in a dbt component's translation): a string using one of them is kept as
written and rendered by the component with `render_deferred`. Imports `component` of this room.
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Callable, Mapping
from types import ModuleType
from typing import Any

import jinja2
import jinja2.meta

from headwater.definitions.automation.condition import AutomationCondition
from headwater.definitions.components.component import ComponentLoadContext

_MARK = "__headwater_template_var__"
_ENVIRONMENT = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False)


def template_var(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a function (or a static method of a Component) as a template variable of the
    defs.yaml files that name its module in `template_vars_module:`.

    The variable's value is the function's result, computed when the defs.yaml loads; a
    function taking one parameter gets the ComponentLoadContext. A static method of the
    component class is in scope of that class's declarations without
    `template_vars_module:`; a module path starting with `.` is relative to the folder.

    Args:
        fn: the function (or staticmethod).

    Example:
        ```python
        from headwater import AssetKey, create_defs_folder_sandbox

        with create_defs_folder_sandbox(project_name="regions") as sandbox:
            (sandbox.defs_folder_path.parent / "components.py").write_text('''
        from headwater import AssetSpec, Component, Definitions, Resolvable

        class Sales(Component, Resolvable):
            def __init__(self, region: str):
                self.region = region

            def build_defs(self, context):
                return Definitions(assets=[AssetSpec(f"sales_{self.region}")])
        ''')
            folder = sandbox.defs_folder_path / "sales"
            folder.mkdir()
            (folder / "vars.py").write_text('''
        from headwater import template_var

        @template_var
        def region() -> str:
            return "eu"
        ''')
            (folder / "defs.yaml").write_text('''
        type: regions.components.Sales
        template_vars_module: .vars
        attributes:
          region: "{{ region }}"
        ''')
            assert sandbox.build_all_defs().asset_keys == {AssetKey("sales_eu")}
        ```
    """
    target = fn.__func__ if isinstance(fn, staticmethod) else fn
    setattr(target, _MARK, True)
    return fn


class _Env:
    """`env.NAME` and `env("NAME", default)` in a template."""

    def __getattr__(self, name: str) -> str:
        return self(name)

    def __call__(self, name: str, default: str | None = None) -> str:
        value = os.environ.get(name, default)
        if value is None:
            raise jinja2.UndefinedError(
                f"environment variable {name} is not set; set it, or give a default: "
                f"env(\"{name}\", \"...\")")
        return value


def template_scope(context: ComponentLoadContext, module: ModuleType | None,
                   component_class: type) -> dict[str, Any]:
    """The names a defs.yaml template can use."""
    functions: dict[str, Callable[..., Any]] = {}
    for name, value in vars(component_class).items():
        if isinstance(value, staticmethod) and getattr(value.__func__, _MARK, False):
            functions[name] = value.__func__
    if module is not None:
        functions.update({name: value for name, value in vars(module).items()
                          if callable(value) and getattr(value, _MARK, False)})
    scope: dict[str, Any] = {"env": _Env(), "context": context,
                             "project_root": str(context.project_root),
                             "automation_condition": AutomationCondition}
    for name, fn in functions.items():
        scope[name] = fn(context) if inspect.signature(fn).parameters else fn()
    return scope


def render(value: Any, scope: Mapping[str, Any], path: list[Any],
           on_error: Callable[[list[Any], str], Exception],
           deferred: frozenset[str] = frozenset()) -> Any:
    """`value` with every template string rendered; `on_error(path, message)` makes the
    exception raised for a template that fails. Strings using a `deferred` name stay as is."""
    if isinstance(value, dict):
        return {k: render(v, scope, [*path, k], on_error, deferred) for k, v in value.items()}
    if isinstance(value, list):
        return [render(v, scope, [*path, i], on_error, deferred) for i, v in enumerate(value)]
    if not isinstance(value, str) or "{{" not in value:
        return value
    try:
        if deferred and jinja2.meta.find_undeclared_variables(_ENVIRONMENT.parse(value)) & deferred:
            return value
        stripped = value.strip()
        inner = stripped[2:-2]
        if stripped.startswith("{{") and stripped.endswith("}}") and "{{" not in inner:
            result = _ENVIRONMENT.compile_expression(inner.strip(), undefined_to_none=False)(
                **scope)
            if isinstance(result, jinja2.Undefined):
                result._fail_with_undefined_error()
            return result
        return _ENVIRONMENT.from_string(value).render(**scope)
    except jinja2.TemplateError as exc:
        raise on_error(path, f"template {value!r} failed: {exc.message or exc}") from exc


def deferred_vars(component_class: type) -> frozenset[str]:
    """The template variables a component class renders itself, later (see the docstring)."""
    return frozenset(getattr(component_class, "deferred_template_vars", frozenset()))


def render_deferred(value: Any, context: ComponentLoadContext | None, **names: Any) -> Any:
    """Render the templates a component kept for later, with `names` (e.g. `node=...`) in
    scope beside `env`, `context` and `project_root`. A failing template raises ValueError
    naming the template."""
    scope: dict[str, Any] = {"env": _Env(), "automation_condition": AutomationCondition, **names}
    if context is not None:
        scope.update(context=context, project_root=str(context.project_root))

    def error(path: list[Any], message: str) -> Exception:
        where = ".".join(str(p) for p in path)
        return ValueError(f"{where + ': ' if where else ''}{message}")
    return render(value, scope, [], error)
