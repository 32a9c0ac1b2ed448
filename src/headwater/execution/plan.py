"""The plan: a job's graph flattened into steps in dependency order.

A step is one op invocation (nested graphs are flattened, their step keys joined with
"."), with each input resolved to where its value comes from. Steps downstream of a
dynamic output are templates that run once per mapping key. Imports
`headwater.definitions` only.
"""

from __future__ import annotations

import heapq
import json
import pickle
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from headwater.definitions.key import AssetKey
from headwater.definitions.ops.composition import (
    AssetInputHandle,
    CollectHandle,
    GraphInputHandle,
    OutputHandle,
)
from headwater.definitions.ops.graph import GraphDefinition
from headwater.definitions.ops.input_source import graph_input_destinations
from headwater.definitions.tags import PRIORITY_TAG
from headwater.errors import (
    HeadwaterInvalidConfigError,
    HeadwaterInvalidDefinitionError,
    HeadwaterInvariantViolationError,
)


class UnconnectedInputError(HeadwaterInvalidConfigError, HeadwaterInvalidDefinitionError):
    """An input fed by nothing whose value run config could give: the graph leaves it open
    and the run config lacks it, so it is both kinds of error."""


@dataclass(frozen=True, slots=True)
class FromStep:
    """The output `output_name` of step `step_key` (per mapping key when `mapped`)."""

    step_key: str
    output_name: str
    mapped: bool = False


@dataclass(frozen=True, slots=True)
class FromCollect:
    """Every element of a dynamic output, or of a mapped step's output, as a list."""

    step_key: str
    output_name: str


@dataclass(frozen=True, slots=True)
class FromFanIn:
    """A list gathered from several sources."""

    sources: tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class FromAsset:
    """An asset outside this run, loaded through its IO manager.

    `assets_def` is set when a graph body passed the asset itself (a SourceAsset or
    AssetSpec); otherwise the job's asset layer knows it.
    """

    asset_key: AssetKey
    assets_def: Any = None


@dataclass(frozen=True, slots=True)
class FromValue:
    """A value given directly: a job input value or run config `inputs`.

    A value from run config is the config of the input's type loader, when its type has one.
    """

    value: Any
    from_config: bool = False


@dataclass(frozen=True, slots=True)
class FromDefault:
    """The input's default value."""


@dataclass(frozen=True, slots=True)
class FromNothing:
    """An ordering-only input whose upstream is not in this run."""


@dataclass(frozen=True, slots=True)
class StepConfig:
    """A step's part of the run config, validated once per run: `ops.<step>` (nested graphs
    followed) split into the op's `config`, and `inputs` / `outputs` for its IO managers."""

    config: Any = None
    inputs: Mapping[str, Any] = field(default_factory=dict)
    outputs: Mapping[str, Any] = field(default_factory=dict)

    @staticmethod
    def of(entry: Any) -> StepConfig:
        if not isinstance(entry, Mapping):
            return _NO_CONFIG
        inputs, outputs = entry.get("inputs"), entry.get("outputs")
        return StepConfig(entry.get("config"),
                          inputs if isinstance(inputs, Mapping) else {},
                          outputs if isinstance(outputs, Mapping) else {})


_NO_CONFIG = StepConfig()


@dataclass(slots=True)
class Step:
    """One op invocation to run."""

    key: str
    node_name: str
    top_node: str
    op_def: Any
    inputs: dict[str, Any]
    tags: dict[str, Any]
    retry_policy: Any
    hook_defs: frozenset[Any]
    dynamic_source: tuple[str, str] | None = None
    asset_keys_by_output: dict[str, AssetKey] = field(default_factory=dict)
    asset_keys_by_input: dict[str, AssetKey] = field(default_factory=dict)
    assets_def: Any = None
    upstream: set[str] = field(default_factory=set)
    config: StepConfig = _NO_CONFIG

    @property
    def is_mapped(self) -> bool:
        return self.dynamic_source is not None


@dataclass(slots=True)
class Plan:
    """Steps in an order where every step comes after the steps it depends on."""

    steps: list[Step]
    by_key: dict[str, Step]

    def step_keys(self) -> list[str]:
        return [s.key for s in self.steps]


def build_plan(job: Any, input_values: Mapping[str, Any] | None = None,
               run_config: Mapping[str, Any] | None = None) -> Plan:
    """Flatten the job's graph into steps and sort them.

    `run_config` is the validated run config (`validate_run_config`); each step gets its
    part of it as `step.config`, so nothing later walks the nested config again.
    """
    builder = _Builder(job, dict(input_values or {}), dict(run_config or {}))
    builder.add_graph(job.graph, prefix="", scope_inputs=None, hooks=frozenset())
    return Plan(builder.order(), builder.steps)


class _Builder:
    def __init__(self, job: Any, input_values: dict[str, Any], run_config: dict[str, Any]):
        self.job = job
        self.layer = job.asset_layer
        self.input_values = {**job.input_values, **input_values}
        self.run_config = run_config
        ops = run_config.get("ops") if isinstance(run_config, Mapping) else None
        self.ops_config: Mapping[str, Any] = ops if isinstance(ops, Mapping) else {}
        self.steps: dict[str, Step] = {}

    def add_graph(self, graph: GraphDefinition, prefix: str, scope_inputs: Any,
                  hooks: frozenset[Any]) -> None:
        for inv in graph.invocations.values():
            handle = f"{prefix}{inv.name}"
            if isinstance(inv.node_def, GraphDefinition):
                resolver = _ScopeInputs(self, graph, inv, prefix, scope_inputs)
                self.add_graph(inv.node_def, prefix=f"{handle}.", scope_inputs=resolver,
                               hooks=hooks | inv.hook_defs)
                continue
            self.add_step(graph, inv, prefix, scope_inputs, hooks)

    def add_step(self, graph: GraphDefinition, inv: Any, prefix: str, scope_inputs: Any,
                 hooks: frozenset[Any] = frozenset()) -> None:
        key = f"{prefix}{inv.name}"
        top = key.split(".", 1)[0]
        op_def = inv.node_def
        config = StepConfig.of(_nested_node_config(self.ops_config, key))
        inputs: dict[str, Any] = {}
        for name, input_def in op_def.input_dict.items():
            binding = inv.bindings.get(name)
            if isinstance(binding, GraphInputHandle):
                try:
                    inputs[name] = self.resolve(graph, binding, prefix, scope_inputs)
                except _NoGraphInputValue as missing:
                    # A graph input given no value leaves each input it feeds to its own
                    # default; an ordering-only input needs no value at all.
                    if input_def.has_default_value:
                        inputs[name] = FromDefault()
                    elif input_def.headwater_type.is_nothing:
                        inputs[name] = FromNothing()
                    elif input_def.input_manager_key:
                        inputs[name] = _FromInputManager()
                    else:
                        raise missing.error(self.job, key, name) from None
            elif binding is not None:
                inputs[name] = self.resolve(graph, binding, prefix, scope_inputs)
            else:
                inputs[name] = self.unbound(key, top, op_def, name, input_def, config)
        assets_def = self.layer.assets_defs_by_node.get(top)
        step = Step(
            key=key,
            node_name=key,
            top_node=top,
            op_def=op_def,
            inputs=inputs,
            tags={**op_def.tags, **inv.tags},
            retry_policy=inv.retry_policy or op_def.retry_policy or self.job.op_retry_policy,
            hook_defs=inv.hook_defs | hooks | self.job.hook_defs,
            assets_def=assets_def,
            config=config,
        )
        if assets_def is not None:
            self.attach_assets(step, graph, inv, prefix)
        step.upstream = set(_upstream_keys(inputs.values()))
        if key == top and top in self.layer.blocking_upstream:
            step.upstream |= self.layer.blocking_upstream[top]  # blocking checks it waits for
        step.dynamic_source = self.dynamic_source_of(inputs.values())
        self.steps[key] = step

    def attach_assets(self, step: Step, graph: GraphDefinition, inv: Any, prefix: str) -> None:
        """Map this op's outputs/inputs to asset keys (through graph output mappings)."""
        top = step.top_node
        for out_name, key in self.layer.outputs_of_node(top).items():
            inner = _resolve_output_path(self.job.graph, top, out_name)
            if inner is not None and inner[0] == step.key:
                step.asset_keys_by_output[inner[1]] = key
        if step.key == top:
            step.asset_keys_by_input.update(self.layer.inputs_of_node(top))
            return
        # an op inside a graph-backed asset reads the asset of the output (or graph input)
        # its input comes from
        for name, source in step.inputs.items():
            if isinstance(source, FromStep) and source.step_key in self.steps:
                key = self.steps[source.step_key].asset_keys_by_output.get(source.output_name)
            else:
                key = source.asset_key if isinstance(source, FromAsset) else None
            if key is not None:
                step.asset_keys_by_input[name] = key

    def resolve(self, graph: GraphDefinition, binding: Any, prefix: str, scope_inputs: Any) -> Any:
        if isinstance(binding, list):
            return FromFanIn(tuple(self.resolve(graph, b, prefix, scope_inputs) for b in binding))
        if isinstance(binding, CollectHandle):
            step_key, out = _resolve_output_path(graph, binding.handle.node_name,
                                                 binding.handle.output_name, prefix)  # type: ignore[misc]
            return FromCollect(step_key, out)
        if isinstance(binding, OutputHandle):
            step_key, out = _resolve_output_path(graph, binding.node_name, binding.output_name,
                                                 prefix)  # type: ignore[misc]
            # Inside a graph invoked by .map(), the body was composed unmapped: a step is
            # mapped when what it reads runs once per element.
            upstream = self.steps.get(step_key)
            mapped = binding.mapped or (upstream is not None and upstream.dynamic_source
                                        is not None)
            return FromStep(step_key, out, mapped=mapped)
        if isinstance(binding, GraphInputHandle):
            if scope_inputs is None:
                return self.job_input(binding.input_name, graph)
            return scope_inputs.resolve(binding.input_name)
        if isinstance(binding, AssetInputHandle):
            return FromAsset(binding.asset_key, binding.assets_def)
        raise HeadwaterInvalidDefinitionError(f"Cannot resolve input binding {binding!r}.")

    def job_input(self, name: str, graph: GraphDefinition) -> Any:
        if name in self.input_values:
            return FromValue(self.input_values[name])
        input_def = graph.input_dict.get(name)
        if input_def is not None and input_def.has_default_value:
            return FromValue(input_def.default_value)
        configured = self.run_config.get("inputs", {}) if isinstance(self.run_config, Mapping) else {}
        if name in configured:
            htype = input_def.headwater_type if input_def is not None else None
            value = configured[name]
            if getattr(htype, "loader", None) is None:  # a type loader reads the raw config
                value = input_value_from_config(htype, value, f"inputs.{name}")
            return FromValue(value, from_config=True)
        raise _NoGraphInputValue(name, None, graph)

    def unbound(self, step_key: str, top: str, op_def: Any, name: str, input_def: Any,
                config: StepConfig) -> Any:
        asset_key = self.layer.key_by_input.get((top, name)) if step_key == top else None
        if asset_key is None and input_def.asset_key is not None and not self.layer.assets_defs_by_node:
            asset_key = input_def.asset_key if isinstance(input_def.asset_key, AssetKey) else None
        # an input manager's inputs config is its per-input config (context.config), not a value
        if name in config.inputs and not input_def.input_manager_key:
            value = config.inputs[name]
            htype = input_def.headwater_type
            if getattr(htype, "loader", None) is None:  # a type loader reads the raw config
                value = input_value_from_config(htype, value, f"ops.{step_key}.inputs.{name}")
            return FromValue(value, from_config=True)
        if input_def.headwater_type.is_nothing:
            return FromNothing()
        if asset_key is not None:
            return FromAsset(asset_key)
        if input_def.has_default_value:
            return FromDefault()
        if input_def.input_manager_key:
            return FromAsset(AssetKey(step_key.split(".") + [name])) if False else _FromInputManager()
        message = (
            f"Input '{name}' of op '{step_key}' is not connected to the output of another op and "
            f"has no default value. Connect it in the job body, give it a default, or pass it with "
            f"run_config={{'ops': {{'{step_key}': {{'inputs': {{'{name}': ...}}}}}}}}."
        )
        htype = input_def.headwater_type
        if getattr(htype, "loader", None) is not None or getattr(htype, "is_builtin", False):
            raise UnconnectedInputError(message)
        raise HeadwaterInvalidDefinitionError(message)

    def dynamic_source_of(self, sources: Any) -> tuple[str, str] | None:
        for source in sources:
            if isinstance(source, FromStep) and source.mapped:
                upstream = self.steps[source.step_key]
                out = upstream.op_def.output_dict[source.output_name]
                if out.is_dynamic:
                    return (source.step_key, source.output_name)
                return upstream.dynamic_source
            if isinstance(source, FromFanIn):
                found = self.dynamic_source_of(source.sources)
                if found:
                    return found
        return None

    def order(self) -> list[Step]:
        """Kahn's algorithm; ties broken by insertion order, which follows the body."""
        indegree = {k: len(s.upstream) for k, s in self.steps.items()}
        children: dict[str, list[str]] = {k: [] for k in self.steps}
        for key, step in self.steps.items():
            for up in step.upstream:
                if up not in children:
                    raise HeadwaterInvalidDefinitionError(
                        f"Step '{key}' depends on '{up}', which is not part of this job."
                    )
                children[up].append(key)
        # Ready steps run by their headwater/priority tag (higher first), then in the
        # order they became ready.
        priority = {k: _priority(s) for k, s in self.steps.items()}
        ready = [(-priority[k], i, k) for i, k in enumerate(
            k for k in self.steps if indegree[k] == 0)]
        heapq.heapify(ready)
        counter = len(ready)
        result: list[Step] = []
        while ready:
            key = heapq.heappop(ready)[2]
            result.append(self.steps[key])
            for child in children[key]:
                indegree[child] -= 1
                if indegree[child] == 0:
                    heapq.heappush(ready, (-priority[child], counter, child))
                    counter += 1
        if len(result) != len(self.steps):
            stuck = sorted(k for k, d in indegree.items() if d > 0)
            raise HeadwaterInvalidDefinitionError(
                f"Job '{self.job.name}' has a dependency cycle among steps: {', '.join(stuck)}."
            )
        return result


def _priority(step: Step) -> int:
    value = step.tags.get(PRIORITY_TAG)
    if value is None:
        return 0
    try:
        return int(value)
    except (TypeError, ValueError):
        raise HeadwaterInvalidDefinitionError(
            f"op '{step.key}': tag {PRIORITY_TAG}={value!r} must be an integer, e.g. \"1\" or \"-1\"."
        ) from None


class _NoGraphInputValue(Exception):
    """A graph input got no value (`graph_key` None: the job's own input).

    Raised while resolving; the step whose input it feeds falls back to that input's
    default or, having none, turns it into the user's error (`error`)."""

    def __init__(self, input_name: str, graph_key: str | None, graph: GraphDefinition):
        super().__init__(input_name)
        self.input_name = input_name
        self.graph_key = graph_key
        self.graph = graph

    def error(self, job: Any, step_key: str, step_input: str) -> Exception:
        name = self.input_name
        if self.graph_key is not None:
            return HeadwaterInvalidDefinitionError(
                f"Input '{name}' of graph '{self.graph_key}' is not connected and has no "
                f"default value, and op '{step_key}' needs a value for its input "
                f"'{step_input}'. Pass it an output in the outer graph's body."
            )
        if any(d.has_default_value for d in graph_input_destinations(self.graph, name)):
            # Other inputs it feeds make do with their defaults: the job is valid without
            # a value, this step is not.
            return HeadwaterInvariantViolationError(
                f"Input '{step_input}' of op '{step_key}' takes job input '{name}', which was "
                f"given no value, and has no default of its own. Pass "
                f"input_values={{'{name}': ...}} or run config inputs: {{'{name}': ...}}."
            )
        return HeadwaterInvalidConfigError(f"Error in config for job {job.name}", [
            f"inputs.{name}: job input '{name}' needs a value and was given none. Pass it in "
            f"run config ({{'inputs': {{'{name}': {{'value': ...}}}}}}) or with "
            f"input_values={{'{name}': ...}}."])


@dataclass(frozen=True, slots=True)
class _FromInputManager:
    """Loaded by the input's input manager, with no upstream output."""


FromInputManager = _FromInputManager


class _ScopeInputs:
    """Resolves the inputs of a nested graph to what the outer graph bound them to."""

    def __init__(self, builder: _Builder, outer: GraphDefinition, inv: Any, prefix: str,
                 outer_scope: Any):
        self.builder = builder
        self.outer = outer
        self.inv = inv
        self.prefix = prefix
        self.outer_scope = outer_scope

    def resolve(self, input_name: str) -> Any:
        binding = self.inv.bindings.get(input_name)
        if binding is not None:
            return self.builder.resolve(self.outer, binding, self.prefix, self.outer_scope)
        input_def = self.inv.node_def.input_dict.get(input_name)
        key = f"{self.prefix}{self.inv.name}"
        top = key.split(".", 1)[0]
        asset_key = self.builder.layer.key_by_input.get((top, input_name)) if key == top else None
        if asset_key is not None:
            return FromAsset(asset_key)
        if input_def is not None and input_def.has_default_value:
            return FromValue(input_def.default_value)
        if input_def is not None and input_def.headwater_type.is_nothing:
            return FromNothing()
        node_config = _nested_node_config(self.builder.ops_config, key)
        if isinstance(node_config, Mapping) and input_name in (node_config.get("inputs") or {}):
            htype = input_def.headwater_type if input_def is not None else None
            value = node_config["inputs"][input_name]
            if getattr(htype, "loader", None) is None:  # a type loader reads the raw config
                value = input_value_from_config(htype, value, f"ops.{key}.inputs.{input_name}")
            return FromValue(value, from_config=True)
        raise _NoGraphInputValue(input_name, key, self.inv.node_def)


_SOURCES = ("value", "json", "pickle")


def input_value_from_config(htype: Any, config: Any, path: str, nested: bool = False) -> Any:
    """The value of an input given in run config, read according to the input's type.

    A value may always be given as a one-key source: `{"value": v}`, `{"json": {"path": p}}`
    or `{"pickle": {"path": p}}`. Scalars (and, at the top level, values of any type) may also
    be given bare. Typed dicts and lists are read member by member; a member whose type is
    `Any` must use a source form, since a bare mapping there would be ambiguous.
    """
    if _is_source(config):
        return _read_source(config, path)
    if htype is None:
        return config
    if getattr(htype, "kind", None) is not None and htype.kind.name == "NULLABLE":
        return None if config is None else input_value_from_config(
            htype.inner_type, config, path, nested)
    if htype.key.startswith("TypedPythonDict.") and isinstance(config, Mapping):
        value_type = htype.params[1]
        return {k: input_value_from_config(value_type, v, f"{path}.{k}", True)
                for k, v in config.items()}
    if htype.key.startswith("List.") and isinstance(config, list):
        return [input_value_from_config(htype.inner_type, v, f"{path}[{i}]", True)
                for i, v in enumerate(config)]
    if nested and htype.is_any:
        raise HeadwaterInvalidConfigError(
            f"Invalid input config at {path}:",
            [f"{path}: a value of type Any is given as {{'value': ...}}, {{'json': {{'path': "
             f"...}}}} or {{'pickle': {{'path': ...}}}}; got {config!r}."], config)
    return config


def _is_source(config: Any) -> bool:
    return isinstance(config, Mapping) and len(config) == 1 and next(iter(config)) in _SOURCES


def _read_source(config: Mapping[str, Any], path: str) -> Any:
    (kind, spec), = config.items()
    if kind == "value":
        return spec
    file_path = spec.get("path") if isinstance(spec, Mapping) else None
    if not isinstance(file_path, str):
        raise HeadwaterInvalidConfigError(
            f"Invalid input config at {path}:",
            [f"{path}.{kind}: expected {{'path': '<file>'}}, got {spec!r}."], config)
    if kind == "json":
        with open(file_path) as f:
            return json.load(f)
    with open(file_path, "rb") as f:
        return pickle.load(f)


def _resolve_output_path(graph: GraphDefinition, node_name: str, output_name: str,
                         prefix: str = "") -> tuple[str, str] | None:
    """Follow graph output mappings down to the op that produces the value."""
    inv = graph.invocations.get(node_name)
    if inv is None:
        return None
    if isinstance(inv.node_def, GraphDefinition):
        if output_name not in inv.node_def.output_mappings:
            return None  # cut from a graph-backed asset run in part
        inner_node, inner_out = inv.node_def.output_mappings[output_name]
        return _resolve_output_path(inv.node_def, inner_node, inner_out, f"{prefix}{node_name}.")
    return (f"{prefix}{node_name}", output_name)


def _upstream_keys(sources: Any) -> list[str]:
    keys: list[str] = []
    for source in sources:
        if isinstance(source, (FromStep, FromCollect)):
            keys.append(source.step_key)
        elif isinstance(source, FromFanIn):
            keys.extend(_upstream_keys(source.sources))
    return keys


def _nested_node_config(ops_config: Any, step_key: str) -> Any:
    """run_config ops entry for a step, following nested graphs ("g.op" -> ops.g.ops.op)."""
    if not isinstance(ops_config, Mapping):
        return None
    parts = step_key.split(".")
    current: Any = ops_config
    for i, part in enumerate(parts):
        if not isinstance(current, Mapping) or part not in current:
            return None
        entry = current[part]
        if i == len(parts) - 1:
            return entry
        current = entry.get("ops") if isinstance(entry, Mapping) else None
    return None

