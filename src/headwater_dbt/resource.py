"""DbtCliResource: runs dbt commands for a project, scoped to the assets of the current step.

`cli(["build"], context=context)` inside `@dbt_assets` runs dbt on exactly what the step
computes: the whole selection of the definition when nothing was left out, else the selected
models, seeds, snapshots and tests by their fqn (with indirect test selection off, so only the
selected checks run). Each invocation writes to its own target directory under the project's
`target/`, seeded with the project's partial-parse file so dbt does not parse from scratch.

Imports headwater's public names and this package's other modules.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import Field, model_validator

from headwater import ConfigurableResource, EnvVar
from headwater_dbt.asset_decorator import dbt_info
from headwater_dbt.errors import HeadwaterDbtError
from headwater_dbt.invocation import DbtCliInvocation
from headwater_dbt.manifest import load_manifest, node
from headwater_dbt.project import DbtProject, dbt_executable_path
from headwater_dbt.translator import HeadwaterDbtTranslator

#: dbt commands that take --select/--exclude/--selector
_SELECTING = {"build", "run", "seed", "snapshot", "test", "compile", "ls", "list", "show",
              "source", "docs", "clone"}
_USER_SELECTION = {"--select", "-s", "--exclude", "--selector", "--models", "-m"}


class DbtCliResource(ConfigurableResource):
    """Runs the dbt CLI in `project_dir` (a path or a DbtProject)."""

    project_dir: str = Field(description="The dbt project folder (with dbt_project.yml).")
    global_config_flags: list[str] = Field(
        default_factory=list, description="Flags put before the dbt command, e.g. ['--debug'].")
    profiles_dir: str | None = Field(default=None, description="Folder of profiles.yml.")
    profile: str | None = Field(default=None, description="The profile to use.")
    target: str | None = Field(default=None, description="The target of the profile.")
    dbt_executable: str = Field(default="dbt", description="The dbt executable to run.")
    state_path: str | None = Field(default=None, description="dbt artifacts for state: and "
                                   "--defer, relative to the project folder.")

    @model_validator(mode="before")
    @classmethod
    def _from_project(cls, values: Any) -> Any:
        if not isinstance(values, dict):
            return values
        project = values.get("project_dir")
        if isinstance(project, DbtProject):
            values = dict(values)
            values["project_dir"] = str(project.project_dir)
            for name, value in (("profiles_dir", project.profiles_dir),
                                ("profile", project.profile), ("target", project.target),
                                ("state_path", project.state_path)):
                if values.get(name) is None and value is not None:
                    values[name] = str(value)
        elif isinstance(project, os.PathLike):
            values = {**values, "project_dir": os.fspath(project)}
        return values

    @model_validator(mode="after")
    def _project_exists(self) -> DbtCliResource:
        folder = Path(self.project_dir)
        if isinstance(self.project_dir, EnvVar):  # read when the run launches
            return self
        if not folder.joinpath("dbt_project.yml").exists():
            raise ValueError(
                f"DbtCliResource(project_dir='{self.project_dir}'): no dbt_project.yml there. "
                "Pass the folder of your dbt project, or a DbtProject.")
        return self

    # --- state ----------------------------------------------------------------------------------
    def _state_dir(self) -> Path | None:
        if not self.state_path:
            return None
        state = (Path(self.project_dir) / self.state_path).resolve()
        return state if state.joinpath("manifest.json").exists() else None

    def get_defer_args(self) -> list[str]:
        """`--defer --defer-state <state_path>` when state_path holds a manifest, else []."""
        state = self._state_dir()
        return ["--defer", "--defer-state", str(state)] if state else []

    def get_state_args(self) -> list[str]:
        """`--state <state_path>` when state_path holds a manifest, else []."""
        state = self._state_dir()
        return ["--state", str(state)] if state else []

    # --- running dbt --------------------------------------------------------------------------
    def cli(
        self,
        args: Sequence[str],
        *,
        raise_on_error: bool = True,
        manifest: Any = None,
        headwater_dbt_translator: HeadwaterDbtTranslator | None = None,
        context: Any = None,
        target_path: str | os.PathLike[str] | None = None,
    ) -> DbtCliInvocation:
        """Start `dbt <args>` and return the invocation; read it with `.stream()` (yields
        headwater events), `.wait()` or `.stream_raw_events()`."""
        if isinstance(args, str):
            raise HeadwaterDbtError(
                f"DbtCliResource.cli({args!r}): pass the dbt arguments as a list, e.g. "
                f"dbt.cli({args.split()!r}).")
        project_dir = Path(self.project_dir).resolve()
        info = dbt_info(context.assets_def) if _has_assets_def(context) else None
        translator = headwater_dbt_translator or (info.translator if info else None) \
            or HeadwaterDbtTranslator()
        if manifest is not None:
            manifest_data: Mapping[str, Any] | None = load_manifest(manifest)
        elif info is not None:
            manifest_data = info.manifest
        elif project_dir.joinpath("target", "manifest.json").exists():
            manifest_data = load_manifest(project_dir / "target" / "manifest.json")
        else:
            manifest_data = None
        target = Path(target_path) if target_path else \
            project_dir / "target" / f"headwater-{uuid.uuid4().hex[:12]}"
        _seed_partial_parse(project_dir, target)
        env = self._env(target)
        full_args = [*args]
        if info is not None and args and args[0] in _SELECTING \
                and not _USER_SELECTION.intersection(args):
            selection, indirect_empty = _selection_args(info, context)
            full_args += selection
            if indirect_empty:
                env["DBT_INDIRECT_SELECTION"] = "empty"
        command = [dbt_executable_path(self.dbt_executable), *self.global_config_flags,
                   *full_args]
        if context is not None:
            context.log.info(f"Running dbt command: `dbt {' '.join(full_args)}`.")
        try:
            process = subprocess.Popen(command, cwd=project_dir, env=env, text=True, bufsize=1,
                                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        except OSError as exc:
            raise HeadwaterDbtError(
                f"could not start dbt ({command[0]}): {exc}. Check dbt_executable=.") from exc
        return DbtCliInvocation(
            process=process, args=full_args, env=env, project_dir=project_dir,
            target_path=target, manifest=manifest_data, translator=translator,
            context=context, raise_on_error=raise_on_error,
            check_by_test_id=info.check_by_test_id if info else None,
            command_prefix=command[:len(command) - len(full_args)])

    def _env(self, target: Path) -> dict[str, str]:
        env = dict(os.environ)
        env["DBT_LOG_FORMAT"] = "json"
        env["DBT_USE_COLORS"] = "false"
        env["DBT_TARGET_PATH"] = str(target)
        env.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
        # a dbt command run from a run worker must not litter the project folder with logs
        env.setdefault("DBT_LOG_PATH", str(target / "logs"))
        if self.profiles_dir:
            env["DBT_PROFILES_DIR"] = str(Path(self.profiles_dir).resolve())
        if self.profile:
            env["DBT_PROFILE"] = self.profile
        if self.target:
            env["DBT_TARGET"] = self.target
        state = self._state_dir()
        if state is not None:  # for state: selection in args
            env["DBT_STATE"] = str(state)
        return env


def _has_assets_def(context: Any) -> bool:
    try:
        return context is not None and bool(context.has_assets_def)
    except AttributeError:
        return False


def _seed_partial_parse(project_dir: Path, target: Path) -> None:
    """Copy the project's partial-parse file into a fresh target folder: dbt then re-parses
    only what changed since, instead of the whole project."""
    target.mkdir(parents=True, exist_ok=True)
    source = project_dir / "target" / "partial_parse.msgpack"
    if source.exists() and not (target / "partial_parse.msgpack").exists():
        shutil.copyfile(source, target / "partial_parse.msgpack")


def _selection_args(info: Any, context: Any) -> tuple[list[str], bool]:
    """The dbt selection for this step, and whether tests must be selected explicitly."""
    if not context.is_subset:
        if info.selector:
            return ["--selector", info.selector], False
        args = ["--select", info.select]
        if info.exclude:
            args += ["--exclude", info.exclude]
        return args, False
    by_name = info.translator.settings.enable_dbt_selection_by_name
    chosen = []
    for key in sorted(context.selected_asset_keys, key=lambda k: k.to_user_string()):
        uid = info.unique_id_by_key.get(key)
        if uid is not None:
            chosen.append(_node_selector(info.manifest, uid, by_name))
    wanted_checks = set(context.selected_asset_check_keys)
    for test_id, check_key in info.check_by_test_id.items():
        if check_key in wanted_checks:
            chosen.append(_node_selector(info.manifest, test_id, by_name))
    return ["--select", " ".join(chosen)], True


def _node_selector(manifest: Mapping[str, Any], unique_id: str, by_name: bool) -> str:
    props = node(manifest, unique_id)
    if by_name:
        return str(props["name"])
    return "fqn:" + ".".join(str(p) for p in props["fqn"])
