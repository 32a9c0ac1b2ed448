"""Where a job is defined, so that another process can load it: `reconstructable(job)`.

A `ReconstructableJob` names a Python file or module (plus optional working directory and
attribute) and a job name; `get()` imports the code once per process and returns the job
(narrowed to an asset selection, and to a selection of asset checks, when given). Worker processes of the multiprocess
and dask executors load their job this way. Imports `headwater.definitions`.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from headwater.definitions.assets.job import subset_asset_job
from headwater.definitions.assets.selection import AssetSelection
from headwater.definitions.definitions import Definitions, LazyDefinitions
from headwater.definitions.key import AssetCheckKey, AssetKey
from headwater.definitions.ops.job import JobDefinition
from headwater.errors import HeadwaterInvariantViolationError

_LOADED: dict[ReconstructableJob, Any] = {}


@dataclass(frozen=True)
class ReconstructableJob:
    """A job by where its code lives, so that another process can import it and run its steps.

    Executors that run steps in other processes (multiprocess, dask) and `execute_job`
    need it: pass `reconstructable(job)` rather than building one. `get()` returns the job,
    importing its code on first use in this process.

    Args:
        job_name: the job's name.
        python_file: the file defining it, when loaded from a file.
        module_name: the module defining it, when loaded from a module.
        working_directory: the directory to import from.
        attribute: the module-level name of the job (or of the function returning it).
        asset_selection: the assets it is narrowed to, as key strings.
        call: whether `attribute` is a function to call for the job.
        asset_check_selection: the asset checks it evaluates, as key strings.
        op_selection: the ops it is narrowed to (names or queries such as `"load*"`).
        call_args: the positional arguments `attribute` is called with.
        call_kwargs: the keyword arguments `attribute` is called with, as pairs.

    Example:
        ```python
        import os, pathlib, sys
        from headwater import ReconstructableJob

        pathlib.Path("recon_jobs.py").write_text('''from headwater import job, op

        @op
        def hello() -> str:
            return "hello"

        @job
        def nightly():
            hello()
        ''')  # a module of yours, written here to run on its own
        sys.path.insert(0, os.getcwd())

        recon = ReconstructableJob("nightly", module_name="recon_jobs", attribute="nightly")
        assert recon.get().execute_in_process().output_for_node("hello") == "hello"
        ```
    """

    job_name: str
    python_file: str | None = None
    module_name: str | None = None
    working_directory: str | None = None
    attribute: str | None = None
    asset_selection: tuple[str, ...] | None = None
    call: bool = False  # the attribute is a function that returns the job
    #: AssetCheckKey db strings: the job evaluates these checks (and only the selected assets)
    asset_check_selection: tuple[str, ...] | None = None
    #: op names or selection queries ("op_a*"): the job narrowed to those ops
    op_selection: tuple[str, ...] | None = None
    #: what the function is called with when `call` is set (build_reconstructable_job)
    call_args: tuple[Any, ...] = ()
    call_kwargs: tuple[tuple[str, Any], ...] = ()

    def get(self) -> Any:
        """The JobDefinition, importing its code on first use in this process."""
        job = _LOADED.get(self)
        if job is None:
            job = self._load()
            _LOADED[self] = job
        return job

    def get_definition(self) -> Any:
        return self.get()

    def with_asset_selection(self, keys: Sequence[Any] | None,
                             check_keys: Sequence[AssetCheckKey] | None = None
                             ) -> ReconstructableJob:
        """The same job narrowed to these asset keys (strings like "a/b" or AssetKeys) and,
        when `check_keys` is given, to exactly those asset checks."""
        if not keys and check_keys is None:
            return self
        names = tuple(sorted(k if isinstance(k, str) else k.to_user_string() for k in keys or ()))
        checks = tuple(sorted(k.to_db_string() for k in check_keys)) \
            if check_keys is not None else None
        return replace(self, asset_selection=names or None, asset_check_selection=checks)

    def with_op_selection(self, op_selection: Sequence[str] | None) -> ReconstructableJob:
        """The same job narrowed to the selected ops (as `job.get_subset(op_selection=...)`)."""
        return replace(self, op_selection=tuple(op_selection) if op_selection else None)

    def _load(self) -> Any:
        module = _import(self.python_file, self.module_name, self.working_directory)
        if self.call:
            job = getattr(module, self.attribute or "")(*self.call_args, **dict(self.call_kwargs))
        else:
            job = _find_job(module, self.attribute, self.job_name, self.describe())
        if self.asset_check_selection is not None:
            selection = AssetSelection.assets(
                *(AssetKey.from_user_string(k) for k in self.asset_selection or ())) | \
                AssetSelection.checks(
                    *(AssetCheckKey.from_db_string(k) for k in self.asset_check_selection))
            job = subset_asset_job(job, selection)
        elif self.asset_selection:
            job = subset_asset_job(job, list(self.asset_selection))
        if self.op_selection:
            job = job.get_subset(op_selection=list(self.op_selection))
        return job

    def describe(self) -> str:
        where = self.python_file or self.module_name or "?"
        return f"{where}{':' + self.attribute if self.attribute else ''}"

    def __repr__(self) -> str:
        return f"ReconstructableJob({self.job_name!r}, {self.describe()!r})"


def reconstructable(target: Any) -> ReconstructableJob:
    """Record where a job is defined, so that other processes can import it and run its steps.

    Needed by `execute_job` with executors that run steps elsewhere (multiprocess, dask).
    The job must be bound to a module-level name (or be a module-level function returning
    it); anything else raises `HeadwaterInvariantViolationError`. For jobs built by a
    factory, use `build_reconstructable_job`.

    Args:
        target: the job (or a module-level function returning it).

    Example:
        ```python
        import os, pathlib, sys
        from headwater import reconstructable

        pathlib.Path("nightly_jobs.py").write_text('''from headwater import job, op

        @op
        def hello() -> str:
            return "hello"

        @job
        def nightly():
            hello()
        ''')  # a module of yours, written here to run on its own
        sys.path.insert(0, os.getcwd())
        import nightly_jobs

        recon = reconstructable(nightly_jobs.nightly)
        assert recon.job_name == "nightly" and recon.get() is nightly_jobs.nightly
        ```
    """
    if isinstance(target, ReconstructableJob):
        return target
    if inspect.isfunction(target) and target.__qualname__ == target.__name__:
        job = target()  # a module-level function that builds the job (Dagster allows it)
        namespace = target.__globals__
        recon = _origin_of(_Namespace(namespace), target.__name__, job.name)
        return ReconstructableJob(recon.job_name, recon.python_file, recon.module_name,
                                  recon.working_directory, recon.attribute, None, True)
    if not isinstance(target, JobDefinition):
        raise HeadwaterInvariantViolationError(
            f"reconstructable() takes a job defined at module level, got {type(target).__name__}."
        )
    for namespace in _defining_namespaces(target):
        name = next((k for k, v in list(namespace.items()) if v is target), None)
        if name is not None and namespace.get("__file__"):
            return _origin_of(_Namespace(namespace), name, target.name)
    modules = [sys.modules.get("__main__")] + [m for n, m in list(sys.modules.items())
                                                 if n != "__main__"]
    for module in modules:
        found = _name_in(module, target)
        if found is not None:
            return _origin_of(module, found, target.name)
    for module in modules:  # a job Definitions resolves (define_asset_job) is not a global
        for name, value in list(vars(module).items()) if module is not None else []:
            if isinstance(value, Definitions) and _defines(value, target.name):
                return _origin_of(module, name, target.name)
    raise HeadwaterInvariantViolationError(
        f"reconstructable(job '{target.name}'): the job is not bound to a name at module level "
        "of any imported module, so another process cannot import it. Define it at module "
        "level (`my_job = define_my_job()`), not inside a function."
    )


def build_reconstructable_job(
    reconstructor_module_name: str,
    reconstructor_function_name: str,
    reconstructable_args: Sequence[Any] | None = None,
    reconstructable_kwargs: Mapping[str, Any] | None = None,
    reconstructor_working_directory: str | None = None,
) -> ReconstructableJob:
    """Record how to rebuild a job made by a factory, so that other processes can run its steps.

    Each process imports `reconstructor_module_name` and calls its
    `reconstructor_function_name(*args, **kwargs)`; the arguments travel pickled. For jobs
    built at run time, which `reconstructable` cannot find at module level. The function
    is called once now, and must return a `JobDefinition`.

    Args:
        reconstructor_module_name: the module holding the factory, importable from the
            working directory.
        reconstructor_function_name: the factory's name in that module.
        reconstructable_args: positional arguments for the factory.
        reconstructable_kwargs: keyword arguments for the factory.
        reconstructor_working_directory: the directory to import from; the current one
            by default.

    Example:
        ```python
        import os, pathlib, sys
        from headwater import build_reconstructable_job

        pathlib.Path("job_factory.py").write_text('''from headwater import job, op

        @op
        def hello() -> str:
            return "hello"

        @job
        def nightly():
            hello()

        def make_job(name):
            @job(name=name)
            def built():
                hello()
            return built
        ''')  # a module of yours, written here to run on its own
        sys.path.insert(0, os.getcwd())

        recon = build_reconstructable_job("job_factory", "make_job", reconstructable_args=["weekly"])
        assert recon.get().name == "weekly"
        ```
    """
    directory = reconstructor_working_directory or os.getcwd()
    origin = ReconstructableJob(
        "", module_name=reconstructor_module_name, working_directory=directory,
        attribute=reconstructor_function_name, call=True,
        call_args=tuple(reconstructable_args or ()),
        call_kwargs=tuple(sorted((reconstructable_kwargs or {}).items())),
    )
    job = origin._load()
    if not isinstance(job, JobDefinition):
        raise HeadwaterInvariantViolationError(
            f"build_reconstructable_job: {reconstructor_module_name}.{reconstructor_function_name}"
            f"(...) returned {type(job).__name__}; it must return a JobDefinition."
        )
    recon = replace(origin, job_name=job.name)
    _LOADED[recon] = job
    return recon


class _Namespace:
    """A module's globals seen as the module (it may have left sys.modules since)."""

    def __init__(self, namespace: dict[str, Any]):
        self.__name__ = namespace.get("__name__", "")
        self.__file__ = namespace.get("__file__")
        self.__spec__ = namespace.get("__spec__")


def _defining_namespaces(job: Any) -> list[dict[str, Any]]:
    """The globals of the modules that define the job's ops (where the job usually is)."""
    seen: dict[int, dict[str, Any]] = {}
    for inv in job.graph.invocations.values():
        fn = getattr(inv.node_def, "compute_fn", None)
        namespace = getattr(inspect.unwrap(fn), "__globals__", None) if callable(fn) else None
        if isinstance(namespace, dict):
            seen.setdefault(id(namespace), namespace)
    return list(seen.values())


def _name_in(module: Any, target: Any) -> str | None:
    if module is None or getattr(module, "__file__", None) is None:
        return None
    try:
        items = list(vars(module).items())
    except TypeError:
        return None
    for name, value in items:
        if value is target:
            return name
    return None


def _defines(defs: Definitions, job_name: str) -> bool:
    try:
        defs.resolve_job_def(job_name)
    except Exception:
        return False
    return True


def _origin_of(module: Any, attribute: str, job_name: str) -> ReconstructableJob:
    name = module.__name__
    file = os.path.abspath(module.__file__)
    if name == "__main__" or getattr(module, "__spec__", None) is None:
        return ReconstructableJob(job_name, python_file=file, attribute=attribute)
    return ReconstructableJob(job_name, module_name=name, attribute=attribute,
                              working_directory=_import_root(file, name))


def _import_root(file: str, module_name: str) -> str:
    """The sys.path entry `module_name` was imported from."""
    root = os.path.dirname(file)
    depth = module_name.count(".") + (1 if os.path.basename(file) == "__init__.py" else 0)
    for _ in range(depth):
        root = os.path.dirname(root)
    return root


def _import(python_file: str | None, module_name: str | None, working_directory: str | None) -> Any:
    if working_directory and working_directory not in sys.path:
        sys.path.insert(0, working_directory)
    if module_name:
        return importlib.import_module(module_name)
    if not python_file:
        raise HeadwaterInvariantViolationError("A ReconstructableJob needs python_file or module_name.")
    path = os.path.abspath(python_file)
    name = os.path.splitext(os.path.basename(path))[0]
    existing = sys.modules.get(name)
    if existing is not None and os.path.abspath(getattr(existing, "__file__", "") or "") == path:
        return existing
    directory = os.path.dirname(path)
    if directory not in sys.path:
        sys.path.insert(0, directory)
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise HeadwaterInvariantViolationError(f"Cannot import {python_file}.")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _find_job(module: Any, attribute: str | None, job_name: str, where: str) -> Any:
    values = [getattr(module, attribute)] if attribute else list(vars(module).values())
    for value in values:
        if isinstance(value, JobDefinition) and value.name == job_name:
            return value
    for value in values:
        if isinstance(value, LazyDefinitions):
            value = value()
        if isinstance(value, Definitions) and _defines(value, job_name):
            return value.resolve_job_def(job_name)
    raise HeadwaterInvariantViolationError(
        f"No job named '{job_name}' in {where}: was it renamed since the run was created?"
    )

