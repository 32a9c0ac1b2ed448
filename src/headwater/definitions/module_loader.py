"""Collecting loose definitions into a bundle: load_assets_from_modules and friends.

The loaders only look at module attributes (and import a package's submodules when asked to);
they build nothing new except prefixed or regrouped copies of the assets they find, and the
`Definitions` that the `load_definitions_*` loaders return. `@repository`, which groups what
a function returns, lives in `repository_decorator.py` and is re-exported here, the path it
is imported by. Imports `assets.definition`, `assets.job`, `assets.source_asset`,
`definitions`, `ops.job`, `repository_decorator`, `key`, `keywords` and `errors` of this layer.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import sys
from collections.abc import Iterable, Mapping, Sequence
from types import ModuleType
from typing import Any

from headwater.definitions.assets.definition import (
    DEFAULT_GROUP,
    AssetsDefinition,
    AssetSpec,
)
from headwater.definitions.assets.job import UnresolvedAssetJobDefinition
from headwater.definitions.assets.source_asset import SourceAsset
from headwater.definitions.definitions import Definitions
from headwater.definitions.key import AssetKey, prefix_path
from headwater.definitions.keywords import check_keywords
from headwater.definitions.ops.job import JobDefinition
from headwater.definitions.repository_decorator import repository as repository  # re-export
from headwater.errors import HeadwaterInvalidDefinitionError

_ASSET_TYPES = (AssetsDefinition, AssetSpec)
# Kinds defined by later layers of the definitions package are recognised by class name,
# so that this module does not have to import every one of them.
_NAMED_KINDS = {"ScheduleDefinition": "schedules", "SensorDefinition": "sensors",
                "AssetChecksDefinition": "asset_checks"}


def _module_values(module: ModuleType) -> Iterable[Any]:
    """Top-level attributes, and the elements of top-level lists and tuples."""
    for value in list(vars(module).values()):
        if isinstance(value, (list, tuple)):
            yield from value
        else:
            yield value


def _kind(value: Any) -> str | None:
    for cls in type(value).__mro__:
        if cls.__name__ in _NAMED_KINDS:
            return _NAMED_KINDS[cls.__name__]
    if isinstance(value, AssetsDefinition):
        return "asset_checks" if _is_check(value) else "assets"
    if isinstance(value, AssetSpec):
        return "specs"
    if isinstance(value, (JobDefinition, UnresolvedAssetJobDefinition)):
        return "jobs"
    return None


def _is_check(value: AssetsDefinition) -> bool:
    return bool(value.check_specs) and not value.keys


def _collect(modules: Iterable[ModuleType]) -> dict[str, list[Any]]:
    """Every definition found, once per object, grouped by kind; duplicate asset keys raise."""
    found: dict[str, list[Any]] = {"assets": [], "specs": [], "asset_checks": [], "jobs": [],
                                   "schedules": [], "sensors": []}
    seen: set[int] = set()
    owner_by_key: dict[AssetKey, tuple[Any, str]] = {}
    spec_owner_by_key: dict[AssetKey, tuple[Any, str]] = {}
    for module in modules:
        for value in _module_values(module):
            kind = _kind(value)
            if kind is None or id(value) in seen:
                continue
            seen.add(id(value))
            found[kind].append(value)
            if kind == "assets":
                keys: Iterable[AssetKey] = value.keys
                owners = owner_by_key
            elif kind == "specs":  # compared with assets only if include_specs asks for them
                keys = [value.key]
                owners = spec_owner_by_key
            else:
                continue
            for key in keys:
                previous = owners.get(key)
                if previous is not None and previous[0] is not value and previous[0] != value:
                    raise HeadwaterInvalidDefinitionError(
                        f"Asset key {key.to_user_string()} is defined multiple times: in module "
                        f"{previous[1]} and in module {module.__name__}. Rename one of them, or "
                        "load the modules with different key_prefix= values."
                    )
                owners[key] = (value, module.__name__)
    for key, (_spec, module_name) in spec_owner_by_key.items():
        if key in owner_by_key:
            found.setdefault("spec_conflicts", []).append((key, owner_by_key[key][1], module_name))
    return found


def _with_group(value: Any, group_name: str | None) -> Any:
    if group_name is None:
        return value
    keys = [value.key] if isinstance(value, AssetSpec) else value.keys
    for key in keys:
        spec = value if isinstance(value, AssetSpec) else value.specs_by_key[key]
        if spec.group_name not in (None, DEFAULT_GROUP, group_name):
            raise HeadwaterInvalidDefinitionError(
                f"Asset {key.to_user_string()} already sets group_name={spec.group_name!r}, "
                f"which conflicts with the group name {group_name!r} given to "
                "load_assets_from_modules. Keep only one of the two."
            )
    if isinstance(value, AssetSpec):
        return value.replace_attributes(group_name=group_name)
    return value.with_attributes(group_names_by_key=dict.fromkeys(value.keys, group_name))


def _prefixed(found: Mapping[str, list[Any]], key_prefix: Any, source_key_prefix: Any,
              group_name: str | None) -> list[Any]:
    """Assets with key_prefix, source assets with source_key_prefix, deps rewritten to match."""
    prefix, source_prefix = prefix_path(key_prefix), prefix_path(source_key_prefix)
    computed = [a for a in found["assets"] if not isinstance(a, SourceAsset)]
    sources = [a for a in found["assets"] if isinstance(a, SourceAsset)]
    replacements: dict[AssetKey, AssetKey] = {}
    if prefix:
        for assets_def in computed:
            replacements.update({k: AssetKey([*prefix, *k.path]) for k in assets_def.keys})
    source_replacements: dict[AssetKey, AssetKey] = {}
    if source_prefix:
        source_replacements = {s.key: AssetKey([*source_prefix, *s.key.path]) for s in sources}
    all_replacements = {**source_replacements, **replacements}
    result: list[Any] = []
    for assets_def in computed:
        if all_replacements:
            assets_def = assets_def.with_attributes(asset_key_replacements=all_replacements)
        result.append(_with_group(assets_def, group_name))
    for spec in found["specs"]:
        result.append(_with_group(spec, group_name))
    for source in sources:
        renamed: AssetsDefinition = source
        if source_replacements:
            renamed = source.with_attributes(asset_key_replacements=source_replacements)
        result.append(_with_group(renamed, group_name))
    return result


def load_assets_from_modules(
    modules: Iterable[ModuleType],
    group_name: str | None = None,
    key_prefix: str | Sequence[str] | None = None,
    *,
    automation_condition: Any = None,
    backfill_policy: Any = None,
    source_key_prefix: str | Sequence[str] | None = None,
    include_specs: bool = False,
) -> list[Any]:
    """Collect the assets defined at the top level of modules, to pass to `Definitions`.

    Finds assets and source assets (and `AssetSpec`s with `include_specs=True`), also inside
    top-level lists; each object once. An asset key defined twice raises
    `HeadwaterInvalidDefinitionError` naming both modules.

    Args:
        modules: the imported modules to search.
        group_name: the group to put the loaded assets in (replacing theirs).
        key_prefix: a prefix (string or list) added to the keys of the loaded assets.
        automation_condition: set on every loaded asset headwater computes.
        backfill_policy: set on every loaded asset that has none of its own.
        source_key_prefix: a prefix added to the keys of loaded source assets (and of deps
            on them).
        include_specs: also load `AssetSpec`s (external assets).

    Example:
        ```python
        import types
        from headwater import asset, load_assets_from_modules

        @asset
        def orders() -> list[int]:
            return [1, 2]

        shop = types.ModuleType("shop")  # stands for a module of yours: `import shop`
        shop.orders = orders

        assets = load_assets_from_modules([shop], group_name="sales", key_prefix="shop")
        assert [a.key.to_user_string() for a in assets] == ["shop/orders"]
        ```
    """
    found = _collect(modules)
    if not include_specs:
        found["specs"] = []
    else:
        for key, asset_module, spec_module in found.get("spec_conflicts", ()):
            raise HeadwaterInvalidDefinitionError(
                f"Asset key {key.to_user_string()} is defined multiple times: by an asset in "
                f"module {asset_module} and by an AssetSpec in module {spec_module}. Drop the "
                "AssetSpec, or load without include_specs=True."
            )
    if backfill_policy is not None:
        found["assets"] = [a.with_attributes(backfill_policy=backfill_policy)
                           if not isinstance(a, SourceAsset) and a.backfill_policy is None else a
                           for a in found["assets"]]
    if automation_condition is not None:
        found["assets"] = [a.with_attributes(automation_condition=automation_condition)
                           if a.is_executable and not isinstance(a, SourceAsset) else a
                           for a in found["assets"]]
    return _prefixed(found, key_prefix, source_key_prefix, group_name)


#: What load_assets_from_current_module and the package variants pass on.
_LOAD_ASSETS_KEYWORDS = ("automation_condition", "backfill_policy", "source_key_prefix",
                         "include_specs")


def _caller_module() -> ModuleType:
    """The user module that called a load_*_from_current_module function: the first frame
    outside headwater's declarations (the public names are wrapped by definitions/keywords.py,
    so the depth is not fixed)."""
    frame = sys._getframe(1)
    while frame is not None and str(frame.f_globals.get("__name__", "")).startswith(
            "headwater.definitions"):
        frame = frame.f_back  # type: ignore[assignment]
    name = frame.f_globals.get("__name__") if frame is not None else None
    module = sys.modules.get(name) if name else None
    if module is None:
        raise HeadwaterInvalidDefinitionError(
            "Could not tell which module called load_*_from_current_module; call it at the top "
            "level of a module, or use load_assets_from_modules([module])."
        )
    return module


def load_assets_from_current_module(
    group_name: str | None = None,
    key_prefix: str | Sequence[str] | None = None,
    **kwargs: Any,
) -> list[Any]:
    """Collect the assets defined in the module that calls this function.

    Call it at the top level of a module (a `defs.py`); it sees the assets defined above it.

    Args:
        group_name: the group to put the loaded assets in (replacing theirs).
        key_prefix: a prefix (string or list) added to the keys of the loaded assets.
        **kwargs: also `automation_condition`, `backfill_policy`, `source_key_prefix` and
            `include_specs`, as for `load_assets_from_modules`.

    Example:
        ```python
        import importlib, os, pathlib, sys

        os.makedirs("shop_here")  # a package of yours, written here to run on its own
        pathlib.Path("shop_here/defs.py").write_text('''from headwater import asset, load_assets_from_current_module
        @asset
        def orders() -> list[int]:
            return [1, 2]
        assets = load_assets_from_current_module(group_name='sales')''')
        sys.path.insert(0, os.getcwd())
        [orders] = importlib.import_module("shop_here.defs").assets
        assert orders.group_names_by_key[orders.key] == "sales"
        ```
    """
    check_keywords("load_assets_from_current_module", kwargs, _LOAD_ASSETS_KEYWORDS)
    return load_assets_from_modules([_caller_module()], group_name, key_prefix, **kwargs)


def find_modules_in_package(package_module: ModuleType) -> list[ModuleType]:
    """The package and every module below it, imported."""
    modules = [package_module]
    path = getattr(package_module, "__path__", None)
    if path is None:
        return modules
    for info in pkgutil.walk_packages(path, prefix=package_module.__name__ + "."):
        modules.append(importlib.import_module(info.name))
    return modules


def load_assets_from_package_module(
    package_module: ModuleType,
    group_name: str | None = None,
    key_prefix: str | Sequence[str] | None = None,
    **kwargs: Any,
) -> list[Any]:
    """Collect the assets defined in an imported package and all of its submodules.

    Every submodule is imported, so import-time errors there surface here.

    Args:
        package_module: the package (as imported), e.g. `import my_project.assets`.
        group_name: the group to put the loaded assets in (replacing theirs).
        key_prefix: a prefix (string or list) added to the keys of the loaded assets.
        **kwargs: also `automation_condition`, `backfill_policy`, `source_key_prefix` and
            `include_specs`, as for `load_assets_from_modules`.

    Example:
        ```python
        import importlib, os, pathlib, sys
        from headwater import load_assets_from_package_module

        os.makedirs("shop_pkg")  # a package of yours, written here to run on its own
        pathlib.Path("shop_pkg/orders.py").write_text('''from headwater import asset
        @asset
        def orders() -> list[int]:
            return [1, 2]''')
        sys.path.insert(0, os.getcwd())
        shop_pkg = importlib.import_module("shop_pkg")
        assets = load_assets_from_package_module(shop_pkg, group_name="sales")
        assert [a.key.to_user_string() for a in assets] == ["orders"]
        ```
    """
    check_keywords("load_assets_from_package_module", kwargs, _LOAD_ASSETS_KEYWORDS)
    return load_assets_from_modules(find_modules_in_package(package_module), group_name,
                                    key_prefix, **kwargs)


def load_assets_from_package_name(
    package_name: str,
    group_name: str | None = None,
    key_prefix: str | Sequence[str] | None = None,
    **kwargs: Any,
) -> list[Any]:
    """Collect the assets defined in a package, given by name, and all of its submodules.

    The package and every submodule are imported, so it must be on `sys.path`.

    Args:
        package_name: the dotted name of the package, e.g. `"my_project.assets"`.
        group_name: the group to put the loaded assets in (replacing theirs).
        key_prefix: a prefix (string or list) added to the keys of the loaded assets.
        **kwargs: also `automation_condition`, `backfill_policy`, `source_key_prefix` and
            `include_specs`, as for `load_assets_from_modules`.

    Example:
        ```python
        import os, pathlib, sys
        from headwater import load_assets_from_package_name

        os.makedirs("shop_named")  # a package of yours, written here to run on its own
        pathlib.Path("shop_named/orders.py").write_text('''from headwater import asset
        @asset
        def orders() -> list[int]:
            return [1, 2]''')
        sys.path.insert(0, os.getcwd())
        assets = load_assets_from_package_name("shop_named", key_prefix=["shop"])
        assert [a.key.to_user_string() for a in assets] == ["shop/orders"]
        ```
    """
    check_keywords("load_assets_from_package_name", kwargs, _LOAD_ASSETS_KEYWORDS)
    return load_assets_from_package_module(importlib.import_module(package_name), group_name,
                                           key_prefix, **kwargs)


def load_asset_checks_from_modules(
    modules: Iterable[ModuleType],
    asset_key_prefix: str | Sequence[str] | None = None,
) -> list[Any]:
    """Collect the asset checks (`@asset_check`, `@multi_asset_check`) that modules define.

    The checks' counterpart of `load_assets_from_modules`; pass the result to
    `Definitions(asset_checks=...)`.

    Args:
        modules: the imported modules to search.
        asset_key_prefix: a prefix added to the keys of the checked assets, to match
            assets loaded with the same `key_prefix`.

    Example:
        ```python
        import types
        from headwater import AssetCheckResult, asset_check
        from headwater import load_asset_checks_from_modules

        @asset_check(asset="orders")
        def orders_not_empty() -> AssetCheckResult:
            return AssetCheckResult(passed=True)

        checks_module = types.ModuleType("checks")  # stands for `import checks`
        checks_module.orders_not_empty = orders_not_empty

        checks = load_asset_checks_from_modules([checks_module], asset_key_prefix="shop")
        [spec] = checks[0].check_specs
        assert spec.asset_key.to_user_string() == "shop/orders"
        ```
    """
    checks = _collect(modules)["asset_checks"]
    prefix = prefix_path(asset_key_prefix)
    if not prefix:
        return checks
    result = []
    for check in checks:
        targets = {*check.keys_by_input_name.values(),
                   *(k.asset_key for k in check.check_specs_by_key)}
        result.append(check.with_attributes(
            asset_key_replacements={k: AssetKey([*prefix, *k.path]) for k in targets}))
    return result


def load_asset_checks_from_current_module(
    asset_key_prefix: str | Sequence[str] | None = None,
) -> list[Any]:
    """Collect the asset checks defined in the module that calls this function.

    Call it at the top level of a module; it sees the checks defined above it.

    Args:
        asset_key_prefix: a prefix added to the keys of the checked assets, to match
            assets loaded with the same `key_prefix`.

    Example:
        ```python
        import importlib, os, pathlib, sys

        os.makedirs("checks_here")  # a package of yours, written here to run on its own
        pathlib.Path("checks_here/defs.py").write_text('''from headwater import AssetCheckResult, asset_check, load_asset_checks_from_current_module
        @asset_check(asset='orders')
        def orders_not_empty() -> AssetCheckResult:
            return AssetCheckResult(passed=True)
        checks = load_asset_checks_from_current_module()''')
        sys.path.insert(0, os.getcwd())
        checks = importlib.import_module("checks_here.defs").checks
        assert [c.check_specs[0].name for c in checks] == ["orders_not_empty"]
        ```
    """
    return load_asset_checks_from_modules([_caller_module()], asset_key_prefix)


def load_asset_checks_from_package_module(
    package_module: ModuleType,
    asset_key_prefix: str | Sequence[str] | None = None,
) -> list[Any]:
    """Collect the asset checks defined in an imported package and all of its submodules.

    Args:
        package_module: the package (as imported).
        asset_key_prefix: a prefix added to the keys of the checked assets, to match
            assets loaded with the same `key_prefix`.

    Example:
        ```python
        import importlib, os, pathlib, sys
        from headwater import load_asset_checks_from_package_module

        os.makedirs("checks_pkg")  # a package of yours, written here to run on its own
        pathlib.Path("checks_pkg/orders_checks.py").write_text('''from headwater import AssetCheckResult, asset_check
        @asset_check(asset='orders')
        def orders_not_empty() -> AssetCheckResult:
            return AssetCheckResult(passed=True)''')
        sys.path.insert(0, os.getcwd())
        checks = load_asset_checks_from_package_module(importlib.import_module("checks_pkg"))
        assert [c.check_specs[0].name for c in checks] == ["orders_not_empty"]
        ```
    """
    return load_asset_checks_from_modules(find_modules_in_package(package_module),
                                          asset_key_prefix)


def load_asset_checks_from_package_name(
    package_name: str,
    asset_key_prefix: str | Sequence[str] | None = None,
) -> list[Any]:
    """Collect the asset checks defined in a package, given by name, and its submodules.

    Args:
        package_name: the dotted name of the package, importable from `sys.path`.
        asset_key_prefix: a prefix added to the keys of the checked assets, to match
            assets loaded with the same `key_prefix`.

    Example:
        ```python
        import os, pathlib, sys
        from headwater import load_asset_checks_from_package_name

        os.makedirs("checks_named")  # a package of yours, written here to run on its own
        pathlib.Path("checks_named/orders_checks.py").write_text('''from headwater import AssetCheckResult, asset_check
        @asset_check(asset='orders')
        def orders_not_empty() -> AssetCheckResult:
            return AssetCheckResult(passed=True)''')
        sys.path.insert(0, os.getcwd())
        checks = load_asset_checks_from_package_name("checks_named")
        assert [c.check_specs[0].name for c in checks] == ["orders_not_empty"]
        ```
    """
    return load_asset_checks_from_package_module(importlib.import_module(package_name),
                                                 asset_key_prefix)


def load_definitions_from_modules(
    modules: Iterable[ModuleType],
    resources: Mapping[str, Any] | None = None,
    loggers: Mapping[str, Any] | None = None,
    executor: Any = None,
) -> Definitions:
    """Build a `Definitions` of every asset, check, job, schedule and sensor modules define.

    A shortcut for collecting each kind and passing them to `Definitions`; the same
    validation applies (a `DefinitionError` lists every problem).

    Args:
        modules: the imported modules to search.
        resources: resources by key, bound to every loaded asset and job.
        loggers: loggers by name for the loaded jobs.
        executor: the executor of the loaded jobs that set none.

    Example:
        ```python
        import types
        from headwater import asset, define_asset_job, load_definitions_from_modules

        @asset
        def orders() -> list[int]:
            return [1, 2]

        shop = types.ModuleType("shop")  # stands for `import shop`
        shop.orders = orders
        shop.refresh = define_asset_job("refresh", selection="orders")

        defs = load_definitions_from_modules([shop])
        assert defs.get_job_def("refresh").execute_in_process().success
        ```
    """
    found = _collect(modules)
    return Definitions(
        assets=_prefixed(found, None, None, None),
        asset_checks=found["asset_checks"],
        jobs=found["jobs"],
        schedules=found["schedules"],
        sensors=found["sensors"],
        resources=resources,
        loggers=loggers,
        executor=executor,
    )


def load_definitions_from_module(
    module: ModuleType,
    resources: Mapping[str, Any] | None = None,
    loggers: Mapping[str, Any] | None = None,
    executor: Any = None,
) -> Definitions:
    """Build a `Definitions` of everything one module defines.

    Args:
        module: the imported module to search.
        resources: resources by key, bound to every loaded asset and job.
        loggers: loggers by name for the loaded jobs.
        executor: the executor of the loaded jobs that set none.

    Example:
        ```python
        import types
        from headwater import asset, load_definitions_from_module

        @asset
        def orders() -> list[int]:
            return [1, 2]

        shop = types.ModuleType("shop")  # stands for `import shop`
        shop.orders = orders

        defs = load_definitions_from_module(shop)
        assert [k.to_user_string() for k in defs.asset_keys] == ["orders"]
        ```
    """
    return load_definitions_from_modules([module], resources, loggers, executor)


def load_definitions_from_current_module(
    resources: Mapping[str, Any] | None = None,
    loggers: Mapping[str, Any] | None = None,
    executor: Any = None,
) -> Definitions:
    """Build a `Definitions` of everything the module that calls this function defines.

    Call it at the top level of a `defs.py`, below the definitions it should see.

    Args:
        resources: resources by key, bound to every loaded asset and job.
        loggers: loggers by name for the loaded jobs.
        executor: the executor of the loaded jobs that set none.

    Example:
        ```python
        import importlib, os, pathlib, sys

        os.makedirs("defs_here")  # a package of yours, written here to run on its own
        pathlib.Path("defs_here/defs.py").write_text('''from headwater import asset, load_definitions_from_current_module
        @asset
        def orders() -> list[int]:
            return [1, 2]
        defs = load_definitions_from_current_module()''')
        sys.path.insert(0, os.getcwd())
        defs = importlib.import_module("defs_here.defs").defs
        assert [k.to_user_string() for k in defs.asset_keys] == ["orders"]
        ```
    """
    return load_definitions_from_modules([_caller_module()], resources, loggers, executor)


def load_definitions_from_package_module(
    package_module: ModuleType,
    resources: Mapping[str, Any] | None = None,
    loggers: Mapping[str, Any] | None = None,
    executor: Any = None,
) -> Definitions:
    """Build a `Definitions` of everything an imported package and its submodules define.

    Args:
        package_module: the package (as imported).
        resources: resources by key, bound to every loaded asset and job.
        loggers: loggers by name for the loaded jobs.
        executor: the executor of the loaded jobs that set none.

    Example:
        ```python
        import importlib, os, pathlib, sys
        from headwater import load_definitions_from_package_module

        os.makedirs("defs_pkg")  # a package of yours, written here to run on its own
        pathlib.Path("defs_pkg/orders.py").write_text('''from headwater import asset
        @asset
        def orders() -> list[int]:
            return [1, 2]''')
        sys.path.insert(0, os.getcwd())
        defs = load_definitions_from_package_module(importlib.import_module("defs_pkg"))
        assert [k.to_user_string() for k in defs.asset_keys] == ["orders"]
        ```
    """
    return load_definitions_from_modules(find_modules_in_package(package_module), resources,
                                         loggers, executor)


def load_definitions_from_package_name(
    package_name: str,
    resources: Mapping[str, Any] | None = None,
    loggers: Mapping[str, Any] | None = None,
    executor: Any = None,
) -> Definitions:
    """Build a `Definitions` of everything a package, given by name, and its submodules define.

    Args:
        package_name: the dotted name of the package, importable from `sys.path`.
        resources: resources by key, bound to every loaded asset and job.
        loggers: loggers by name for the loaded jobs.
        executor: the executor of the loaded jobs that set none.

    Example:
        ```python
        import os, pathlib, sys
        from headwater import load_definitions_from_package_name

        os.makedirs("defs_named")  # a package of yours, written here to run on its own
        pathlib.Path("defs_named/orders.py").write_text('''from headwater import asset
        @asset
        def orders() -> list[int]:
            return [1, 2]''')
        sys.path.insert(0, os.getcwd())
        defs = load_definitions_from_package_name("defs_named")
        assert [k.to_user_string() for k in defs.asset_keys] == ["orders"]
        ```
    """
    return load_definitions_from_package_module(importlib.import_module(package_name),
                                                resources, loggers, executor)


def file_relative_path(dunderfile: str, relative_path: str) -> str:
    """Resolve a path relative to the directory of a module, whatever the working directory.

    `file_relative_path(__file__, "data/raw.csv")` finds a file beside the code, for assets
    and configs that ship data files with the code.

    Args:
        dunderfile: the `__file__` of the calling module.
        relative_path: the path, relative to that module's directory.

    Example:
        ```python
        from headwater import file_relative_path

        path = file_relative_path("/project/pipelines/defs.py", "data/raw.csv")
        assert path == "/project/pipelines/data/raw.csv"
        ```
    """
    return os.path.join(os.path.dirname(dunderfile), relative_path)
