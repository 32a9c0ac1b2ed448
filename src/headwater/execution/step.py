"""Running one step: the user-code error boundary, type checks, outputs, IO managers.

`StepRunner.run(step, mapping_key)` loads the inputs, calls the op's function inside
the error boundary, checks and stores each output, and emits the step's events.
Imports `headwater.definitions` and `context`, `event`, `plan`, `log` of this layer.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator, Mapping
from typing import Any

from headwater.definitions.checks.definition import AssetChecksDefinition
from headwater.definitions.checks.result import AssetCheckResult, check_results_of
from headwater.definitions.config.io_manager import IOManager, hash_value
from headwater.definitions.config.schema import process_config
from headwater.definitions.metadata.types import TypeCheck
from headwater.definitions.metadata.value import normalize_metadata
from headwater.definitions.ops.data_version import (
    DataProvenance,
    DataVersion,
    DataVersionsByPartition,
    compute_logical_data_version,
    data_version_of,
    observed_version_tags,
)
from headwater.definitions.ops.output import (
    AssetMaterialization,
    AssetObservation,
    DynamicOutput,
    ExpectationResult,
    MaterializeResult,
    ObserveResult,
    Output,
    dynamic_outputs_of,
    multiple_outputs_error,
)
from headwater.definitions.tags import (
    CONTENT_HASH_METADATA,
    DATA_VERSION_IS_USER_PROVIDED_TAG,
    DATA_VERSION_TAG,
)
from headwater.errors import (
    Failure,
    HeadwaterError,
    HeadwaterExecutionHandleOutputError,
    HeadwaterExecutionLoadInputError,
    HeadwaterExecutionStepExecutionError,
    HeadwaterInvariantViolationError,
    HeadwaterStepOutputNotFoundError,
    HeadwaterTypeCheckDidNotPass,
)
from headwater.execution import event as ev
from headwater.execution import partition as _partition
from headwater.execution.context import (
    InputContext,
    OpExecutionContext,
    OutputContext,
    context_class_for,
    enter_step_context,
    exit_step_context,
)
from headwater.execution.log import (
    capture_compute_logs,
    capture_logs,
    release_compute_logs,
    release_logs,
)
from headwater.execution.plan import (
    FromAsset,
    FromCollect,
    FromDefault,
    FromFanIn,
    FromInputManager,
    FromNothing,
    FromStep,
    FromValue,
    Step,
)
from headwater.execution.resources import resource_argument

_SKIP = object()
# user code an IO manager runs for a step fails with an error that says which part it was
_IO_ERRORS: dict[str, type[HeadwaterExecutionStepExecutionError]] = {
    "handle_output": HeadwaterExecutionHandleOutputError,
    "load_input": HeadwaterExecutionLoadInputError,
}


_PASSED = TypeCheck(True)


def _type_check_data(label: str, check: TypeCheck) -> ev.TypeCheckData:
    return ev.TypeCheckData(check.success, label, check.description, check.metadata)


class StepSkipped(Exception):
    """An input's upstream output was not produced, so the step does not run."""


def user_code_error_message(kind: str, name: str) -> str:
    return f'Error occurred while executing {kind} "{name}":'


class StepRunner:
    """Executes steps of one run against its resources, emitting events to `run`."""

    def __init__(self, run: Any):
        self.run = run

    # --- inputs -------------------------------------------------------------------------
    def load_inputs(self, step: Step, ctx: OpExecutionContext, mapping_key: str | None) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for name, source in step.inputs.items():
            input_def = step.op_def.input_dict[name]
            value = self.load_source(step, name, source, ctx, mapping_key)
            if value is _SKIP:
                raise StepSkipped(name)
            if input_def.headwater_type.is_nothing:
                continue
            self.type_check_input(step, name, input_def, value, ctx)
            values[name] = value
        return values

    def load_source(self, step: Step, name: str, source: Any, ctx: OpExecutionContext,
                    mapping_key: str | None) -> Any:
        run = self.run
        if isinstance(source, FromStep):
            ref = self.run.upstream_ref(source, mapping_key)
            if ref not in run.produced:
                return _SKIP
            if step.op_def.input_dict[name].headwater_type.is_nothing:
                return None  # ordering-only: no value to load
            return self.load_from_output(step, name, ref, ctx)
        if isinstance(source, FromCollect):
            if self.run.collect_skipped(source):
                return _SKIP
            refs = run.collect_refs(source.step_key, source.output_name)
            return [self.load_from_output(step, name, ref, ctx) for ref in refs]
        if isinstance(source, FromFanIn):
            items = []
            for inner in source.sources:
                value = self.load_source(step, name, inner, ctx, mapping_key)
                if value is not _SKIP:
                    items.append(value)
            # A fan-in whose every source skipped its output skips the step, as one input would.
            return _SKIP if source.sources and not items else items
        if isinstance(source, FromValue):
            loader = step.op_def.input_dict[name].headwater_type.loader
            if not source.from_config or loader is None:
                return source.value
            loader_ctx = self.run.type_loader_context(loader, name, step.op_def, ctx.log)
            # The validated run config keeps env sources as written; read them now, as for
            # op config, so the loader sees values.
            value = process_config(loader.schema_type, source.value,
                                   f"ops.{step.key}.inputs.{name}")
            return self.user_call(step, "input loader", lambda: loader.construct_from_config_value(
                loader_ctx, value))
        if isinstance(source, FromDefault):
            return step.op_def.input_dict[name].default_value
        if isinstance(source, FromNothing):
            return None
        if isinstance(source, FromAsset):
            if step.op_def.input_dict[name].headwater_type.is_nothing:
                return None
            return self.load_asset(step, name, source, ctx)
        if isinstance(source, FromInputManager):
            return self.load_with_input_manager(step, name, ctx, None)
        raise HeadwaterInvariantViolationError(f"Unknown input source {source!r}.")

    def unproduced_input(self, step: Step, mapping_key: str | None) -> str | None:
        """The first input whose upstream output was not produced (the step is skipped
        before it starts, as Dagster does), or None when every input has its value."""
        for name, source in step.inputs.items():
            if isinstance(source, FromStep) and \
                    self.run.upstream_ref(source, mapping_key) not in self.run.produced:
                return name
            if isinstance(source, FromCollect) and self.run.collect_skipped(source):
                return name
        return None

    def load_from_output(self, step: Step, name: str, ref: tuple[str, str, str | None],
                         ctx: OpExecutionContext) -> Any:
        # Always through the IO manager, never handed over in memory: a step that mutates
        # its input must not change what the upstream stored (the in-memory IO manager
        # returns the object itself, as Dagster's does), and the run holds no value beyond
        # what its IO managers keep.
        run = self.run
        input_def = step.op_def.input_dict[name]
        upstream_ctx = run.output_contexts[ref]
        manager_key = input_def.input_manager_key or upstream_ctx._manager_key
        return self.load_with_manager(step, name, manager_key, upstream_ctx, ctx)

    def load_asset(self, step: Step, name: str, source: FromAsset, ctx: OpExecutionContext) -> Any:
        run = self.run
        input_def = step.op_def.input_dict[name]
        assets_def = source.assets_def or run.job.asset_layer.assets_def_for_key(source.asset_key)
        manager_key = input_def.input_manager_key or (
            getattr(assets_def, "io_manager_key", None) if assets_def is not None
            and type(assets_def).__name__ == "SourceAsset" else None
        ) or (assets_def.get_io_manager_key_for_asset_key(source.asset_key)
              if assets_def is not None else "io_manager")
        upstream = OutputContext(
            step_key=assets_def.node_def.name if assets_def is not None and assets_def.node_def else None,
            name=(assets_def.output_name_by_key.get(source.asset_key, "result")
                  if assets_def is not None else "result"),
            job_name=run.job.name, run_id=run.run_id, log=ctx.log,
            asset_key=source.asset_key, partition_key=run.partition_key,
            definition_metadata=(assets_def.specs_by_key[source.asset_key].metadata
                                 if assets_def is not None and source.asset_key in assets_def.specs_by_key else {}),
            assets_def=assets_def, resources=run.resource_view, instance=run.instance,
        )
        upstream._unpartitioned_asset = _is_unpartitioned_asset(assets_def)
        partitions = (_partition.whole_asset_partitions(assets_def, run.instance)
                      if source.assets_def is not None and run.partition_key is None else None)
        return self.load_with_manager(step, name, manager_key, upstream, ctx,
                                      asset_key=source.asset_key, partitions=partitions)

    def load_with_manager(self, step: Step, name: str, manager_key: str, upstream: OutputContext,
                          ctx: OpExecutionContext, asset_key: Any = None,
                          partitions: tuple[Any, Any] | None = None) -> Any:
        run = self.run
        manager = run.resources.get(manager_key)
        if manager is None:
            raise HeadwaterInvariantViolationError(
                f"Input '{name}' of '{step.key}' is loaded with IO manager '{manager_key}', which "
                f"is not among the run's resources. Add resources={{'{manager_key}': ...}}."
            )
        input_def = step.op_def.input_dict[name]
        up_keys, up_def = partitions or _partition.upstream_partitions(ctx, name)
        if up_keys is not None and upstream is not None:
            upstream._asset_partition_keys = up_keys
            upstream.asset_partitions_def = up_def
        input_ctx = InputContext(
            name=name, job_name=run.job.name, op_def=step.op_def,
            config=step.config.inputs.get(name),
            definition_metadata=input_def.metadata, upstream_output=upstream,
            headwater_type=input_def.headwater_type, log=ctx.log, resources=run.resource_view,
            step_context=ctx,
            asset_key=asset_key or step.asset_keys_by_input.get(name) or (
                upstream._asset_key if upstream is not None else None),
            partition_key=run.partition_key, instance=run.instance,
            asset_partition_keys=up_keys, asset_partitions_def=up_def,
            resource_config=run.resource_configs.get(manager_key),
        )
        if upstream is not None and upstream._unpartitioned_asset and up_keys is None:
            input_ctx._unpartitioned_asset = True
        value = self.user_call(step, "load_input", lambda: manager.load_input(input_ctx))
        run.emit(ev.HeadwaterEventType.LOADED_INPUT, step.key,
                 f'Input "{name}" loaded by "{manager_key}".',
                 ev.LoadedInputData(name, manager_key, upstream.name if upstream else None,
                                    upstream.step_key if upstream else None))
        return value

    def load_with_input_manager(self, step: Step, name: str, ctx: OpExecutionContext,
                                upstream: OutputContext | None) -> Any:
        input_def = step.op_def.input_dict[name]
        return self.load_with_manager(step, name, input_def.input_manager_key, upstream, ctx)  # type: ignore[arg-type]

    def type_check_input(self, step: Step, name: str, input_def: Any, value: Any,
                         ctx: OpExecutionContext) -> None:
        htype = input_def.headwater_type
        check = _PASSED if htype.is_any else self.type_check(step, htype, value, ctx)
        self.run.emit(ev.HeadwaterEventType.STEP_INPUT, ctx.step_key,
                      f'Input "{name}" of type "{htype.display_name}" '
                      f'{"passed" if check.success else "failed"} its type check.',
                      ev.StepInputData(name, check.success, htype.display_name,
                                       _type_check_data(name, check)))
        if not check.success:
            raise HeadwaterTypeCheckDidNotPass(
                f'Type check failed for step input "{name}" - expected type "{htype.display_name}". '
                f"Description: {check.description}"
                f"\n  (op '{step.key}', input '{name}', type {htype.display_name})",
                metadata=check.metadata, headwater_type=htype,
            )

    def type_check(self, step: Step, htype: Any, value: Any, ctx: OpExecutionContext) -> TypeCheck:
        type_ctx = self.run.type_check_context(htype, ctx.log)
        try:
            return self.user_call(step, "type_check", lambda: htype.type_check(type_ctx, value))
        except Failure as exc:
            # A Failure raised by a type check is user code failing, like any other exception.
            raise HeadwaterExecutionStepExecutionError(
                user_code_error_message(f'type check of type "{htype.display_name}" in op',
                                        step.key),
                user_exception=exc, step_key=step.key, op_name=step.key,
                op_def_name=step.op_def.name,
            ) from exc

    # --- the body -----------------------------------------------------------------------
    def user_call(self, step: Step, what: str, fn: Any) -> Any:
        watch = self.run.watch  # a canceled run interrupts user code (executor.RunWatch)
        try:
            watch.enter_user_code()
            return fn()
        except (HeadwaterError, StepSkipped):
            raise
        except Exception as exc:
            kind = "op" if what == "compute" else what
            error_cls = _IO_ERRORS.get(what, HeadwaterExecutionStepExecutionError)
            raise error_cls(
                user_code_error_message(kind, step.key), user_exception=exc,
                step_key=step.key, op_name=step.key, op_def_name=step.op_def.name,
            ) from exc
        finally:
            watch.leave_user_code()

    def make_context(self, step: Step, mapping_key: str | None, retry_number: int) -> OpExecutionContext:
        run = self.run
        cls = context_class_for(step)
        selected_outputs = None
        if step.assets_def is not None and step.assets_def.is_subset:
            selected_outputs = run.job.asset_layer.selected_outputs.get(step.key)
            if selected_outputs is None:
                selected_outputs = {n for n, k in step.asset_keys_by_output.items()
                                    if k in step.assets_def.keys}
        key = f"{step.key}[{mapping_key}]" if mapping_key else step.key
        return cls(
            op_def=step.op_def,
            node_name=step.node_name,
            node_tags=step.tags,
            step_key=key,
            run=run.info,
            op_config=self.op_config(step),
            resources=run.resources_for(step),
            log=run.log_for(key),
            instance=run.instance,
            partition_key=run.partition_key,
            mapping_key=mapping_key,
            asset_keys_by_output=step.asset_keys_by_output,
            asset_keys_by_input=step.asset_keys_by_input,
            selected_output_names=selected_outputs,
            assets_def=step.assets_def,
            retry_number=retry_number,
            job_def=run.job,
            emit=lambda user_event: self.emit_user_event(step, key, user_event),
            partitions_def=run.job.partitions_def,
        )

    def op_config(self, step: Step) -> Any:
        """The op's config value, made once per step from its validated run config: env
        sources read and enums converted here (the validated run config keeps them as
        written, so that no secret is stored), or the op's Config class built."""
        cached = self.run.op_configs.get(step.key, _SKIP)
        if cached is not _SKIP:
            return cached
        raw = step.config.config
        schema = step.op_def.config_schema
        config_class = step.op_def.signature.config_class
        if config_class is not None:
            value = config_class._from_run_config(raw, path=f"ops.{step.key}.config")
        elif schema is not None:
            value = process_config(schema, raw, f"ops.{step.key}.config")
        else:
            value = raw
        self.run.op_configs[step.key] = value
        return value

    def call_body(self, step: Step, ctx: OpExecutionContext, inputs: dict[str, Any]) -> Iterator[Any]:
        op_def = step.op_def
        sig = op_def.signature
        kwargs = dict(inputs)
        if sig.config_arg is not None:
            kwargs[sig.config_arg] = ctx.op_config
        for param, resource_key in sig.resource_args.items():
            kwargs[param] = resource_argument(ctx.resources, resource_key)
        fn = op_def.compute_fn
        args = (ctx,) if sig.context_arg is not None or sig.inputs_as_dict else ()
        result = fn(*args, dict(inputs)) if sig.inputs_as_dict else fn(*args, **kwargs)
        if sig.inputs_as_dict and isinstance(result, (list, tuple)):  # a classic op's events
            result = (e for e in result)
        if inspect.iscoroutine(result):
            result = _run_coroutine(result)
        elif inspect.isasyncgen(result):
            result = _drain_async(result)
        if op_def.is_generator or inspect.isgenerator(result) or isinstance(result, list) and op_def.is_async:
            yield from result
            return
        if result is None and ctx.requires_typed_event_stream:
            return  # a typed event stream has no implicit output: None yields nothing
        yield from self.coerce_return(step, result)

    def coerce_return(self, step: Step, result: Any) -> Iterator[Any]:
        outputs = step.op_def.output_dict
        if isinstance(step.assets_def, AssetChecksDefinition):
            yield from check_results_of(result, f"asset check op '{step.key}'")
            return
        if isinstance(result, AssetCheckResult):
            yield result
            if step.key != step.top_node and len(outputs) == 1:
                # an op inside a graph asset: its output (a check's graph output) flows on
                yield Output(result, next(iter(outputs)))
            return
        if isinstance(result, (Output, MaterializeResult, ObserveResult, DataVersionsByPartition)):
            yield result
            return
        if isinstance(result, tuple) and result and all(
                isinstance(r, (MaterializeResult, AssetCheckResult, ObserveResult)) for r in result):
            yield from result  # e.g. `return MaterializeResult(), AssetCheckResult(passed=True)`
            return
        if isinstance(result, DataVersion) and step.assets_def is not None \
                and step.assets_def.is_observable:
            yield ObserveResult(data_version=result)
            return
        if len(outputs) == 0:
            if result is not None:
                raise HeadwaterInvariantViolationError(
                    f'op "{step.key}" has no outputs, but its function returned a '
                    f"{type(result).__name__}. Declare an output with out=Out(), or return None."
                )
            return
        if len(outputs) == 1:
            (name, out), = outputs.items()
            if out.is_dynamic:
                yield from dynamic_outputs_of(step.key, name, result)
                return
            if out.is_nothing and result is None:
                yield Output(None, name)
                return
            yield Output(result, name)
            return
        if isinstance(result, tuple) and not isinstance(result, (Output,)):
            if len(result) != len(outputs):
                raise HeadwaterInvariantViolationError(
                        f'Length mismatch: op "{step.key}" has {len(outputs)} outputs '
                    f'({", ".join(outputs)}) but returned a tuple of {len(result)} values. Return '
                    "one value per output, in order."
                )
            for (name, out), value in zip(outputs.items(), result):
                if isinstance(value, (Output, MaterializeResult)):
                    if isinstance(value, Output) and value.output_name != name:
                        if value.output_name == "result":
                            value = Output(value.value, name, value.metadata, value.data_version, value.tags)
                        else:
                            raise HeadwaterInvariantViolationError(
                                f'op "{step.key}" returned Output(output_name="{value.output_name}") '
                                f'in the place of output "{name}". Return the outputs in the order '
                                "of out={...}, or fix the output_name."
                            )
                    yield value
                elif out.is_dynamic:
                    yield from dynamic_outputs_of(step.key, name, value)
                else:
                    yield Output(value, name)
            return
        if result is None and all(o.is_nothing and o.is_required for o in outputs.values()):
            for name in outputs:  # returning nothing produces every (required) Nothing output
                yield Output(None, name)
            return
        raise multiple_outputs_error(step.key, outputs, result)

    # --- outputs ------------------------------------------------------------------------
    def handle_item(self, step: Step, ctx: OpExecutionContext, mapping_key: str | None, item: Any) -> None:
        if isinstance(item, MaterializeResult):
            self.handle_materialize_result(step, ctx, mapping_key, item)
        elif isinstance(item, ObserveResult):
            self.handle_observe_result(step, ctx, item)
        elif isinstance(item, DataVersionsByPartition):
            self.handle_versions_by_partition(step, ctx, item)
        elif isinstance(item, Output):
            self.handle_output(step, ctx, mapping_key, item)
        elif isinstance(item, (AssetMaterialization, AssetObservation, ExpectationResult)):
            self.emit_user_event(step, ctx.step_key, item)
        elif isinstance(item, AssetCheckResult) or isinstance(step.assets_def, AssetChecksDefinition):
            self.run.handle_check_result(step, ctx, item)
        else:
            raise HeadwaterInvariantViolationError(
                f'op "{step.key}" yielded a value of type {type(item)}: an op yields Output, '
                "DynamicOutput, AssetMaterialization, AssetObservation or ExpectationResult "
                "(return a plain value instead of yielding it)."
            )

    def handle_materialize_result(self, step: Step, ctx: OpExecutionContext,
                                  mapping_key: str | None, result: MaterializeResult) -> None:
        if result.asset_key is not None:
            output_name = next((n for n, k in step.asset_keys_by_output.items()
                                if k == result.asset_key), None)
            if output_name is None:
                raise HeadwaterInvariantViolationError(
                    f"Asset key {result.asset_key.to_user_string()} not found in AssetsDefinition "
                    f"of op '{step.key}'."
                )
        else:
            names = [n for n in step.op_def.output_dict if (n, mapping_key) not in ctx.outputs_seen]
            if len(step.op_def.output_dict) > 1:
                raise HeadwaterInvariantViolationError(
                    f"op '{step.key}' computes several assets: a MaterializeResult must name "
                    "its asset_key."
                )
            output_name = names[0] if names else next(iter(step.op_def.output_dict))
        output = Output(result.value, output_name, result.metadata, result.data_version, result.tags)
        self.handle_output(step, ctx, mapping_key, output, store=result.value is not None)
        for check in result.check_results:  # after the output: checks see this materialization
            self.run.handle_check_result(step, ctx, check)

    def handle_observe_result(self, step: Step, ctx: OpExecutionContext, result: ObserveResult) -> None:
        key = result.asset_key or next(iter(step.asset_keys_by_output.values()))
        tags = {**result.tags, **observed_version_tags(result.data_version, f"observation of op '{step.key}'")}
        obs = AssetObservation(key, metadata=result.metadata, partition=self.run.asset_partition(key),
                               tags=tags)
        self.emit_user_event(step, ctx.step_key, obs)
        for check in result.check_results:
            self.run.handle_check_result(step, ctx, check)
        self.observed(step, ctx, key)

    def observed(self, step: Step, ctx: OpExecutionContext, key: Any) -> None:
        """The step's output for an observed asset counts as produced (ordering for the
        assets that depend on it)."""
        name = next((n for n, k in step.asset_keys_by_output.items() if k == key), "result")
        ctx.outputs_seen.add((name, None))
        ref = (step.key, name, None)
        if name in step.op_def.output_dict and ref not in self.run.produced:
            self.run.output_contexts[ref] = self.run.output_context_for(ref, self.run.run_id)
            self.run.produced.add(ref)

    def handle_versions_by_partition(self, step: Step, ctx: OpExecutionContext,
                                     result: DataVersionsByPartition) -> None:
        """One observation per partition of a partitioned observable source asset."""
        key = next(iter(step.asset_keys_by_output.values()))
        pdef = getattr(step.assets_def, "partitions_def", None)
        if pdef is None:
            raise HeadwaterInvariantViolationError(
                f"observable source asset '{key.to_user_string()}' returned "
                "DataVersionsByPartition, but it is not partitioned: return a DataVersion, or "
                "declare partitions_def= on it.")
        for partition, version in result.data_versions_by_partition.items():
            self.emit_user_event(step, ctx.step_key, AssetObservation(
                key, partition=partition, tags=observed_version_tags(version, f"observation of op '{step.key}'")))
        self.observed(step, ctx, key)

    def version_tags(self, step: Step, asset_key: Any, partition: str | None, output: Output,
                     out_ctx: OutputContext) -> dict[str, str]:
        """The code version, data version and input provenance of a materialization."""
        run = self.run
        spec = step.assets_def.specs_by_key.get(asset_key) if step.assets_def is not None else None
        code_version = (spec.code_version if spec is not None else None) or run.run_id
        resolver = run.versions(asset_key)
        inputs = resolver.input_versions(asset_key, partition) if resolver is not None else {}
        provenance = DataProvenance(code_version,
                                    {k: v.data_version for k, v in inputs.items()},
                                    {k: v.storage_id for k, v in inputs.items()})
        tags = provenance.to_tags()
        if output.data_version is not None:
            version = data_version_of(output.data_version, f"output '{output.output_name}' of "
                                                           f"op '{step.key}'")
            tags[DATA_VERSION_IS_USER_PROVIDED_TAG] = "true"
        elif out_ctx.wants_content_hash:
            version = DataVersion(out_ctx.content_hash or hash_value(output.value))
        else:
            version = compute_logical_data_version(code_version, provenance.input_data_versions)
        tags[DATA_VERSION_TAG] = version.value
        return tags

    def handle_output(self, step: Step, ctx: OpExecutionContext, mapping_key: str | None,
                      output: Output, store: bool = True) -> None:
        run = self.run
        out_def = step.op_def.output_dict.get(output.output_name)
        if out_def is None:
            raise HeadwaterInvariantViolationError(
                f'op "{step.key}" returned an output named "{output.output_name}", which it does '
                f"not declare; its outputs are {list(step.op_def.output_dict)}. Fix the "
                "output_name, or add the output to out={...}."
            )
        if isinstance(output, DynamicOutput):
            if not out_def.is_dynamic:
                raise HeadwaterInvariantViolationError(
                    f'op "{step.key}" yielded a DynamicOutput for output "{output.output_name}", '
                    "but did not use DynamicOutputDefinition: declare it with out=DynamicOut()."
                )
            out_mk: str | None = output.mapping_key
        else:
            if out_def.is_dynamic:
                raise HeadwaterInvariantViolationError(
                    f'op "{step.key}" returned an Output for dynamic output "{output.output_name}": '
                    "dynamic outputs must yield DynamicOutput(value, mapping_key=...) for each "
                    "element."
                )
            out_mk = mapping_key
        seen_key = (output.output_name, output.mapping_key if isinstance(output, DynamicOutput) else None)
        if seen_key in ctx.outputs_seen:
            what = (f' with mapping_key "{output.mapping_key}"'
                    if isinstance(output, DynamicOutput) else "")
            raise HeadwaterInvariantViolationError(
                f'Compute for op "{step.key}" returned an output "{output.output_name}"{what} '
                "multiple times. Yield each output (and each mapping key) once."
            )
        if step.assets_def is not None and ctx._selected_output_names is not None and \
                output.output_name not in ctx._selected_output_names:
            raise HeadwaterInvariantViolationError(
                f'op "{step.key}" yielded output "{output.output_name}", whose asset was not '
                "selected. Check context.selected_output_names before yielding."
            )
        if len(step.asset_keys_by_output) > 1 and output.output_name in step.asset_keys_by_output:
            ctx._check_yield_order(output.output_name)
        ctx.outputs_seen.add(seen_key)
        check = _PASSED
        htype = out_def.headwater_type
        if not htype.is_any:
            check = self.type_check(step, htype, output.value, ctx)
            if not check.success:
                run.emit(ev.HeadwaterEventType.STEP_OUTPUT, ctx.step_key,
                         f'Type check failed for output "{output.output_name}" of type '
                         f'"{htype.display_name}".',
                         ev.StepOutputData(output.output_name, out_mk, False, htype.display_name,
                                           {}, _type_check_data(output.output_name, check)))
                raise HeadwaterTypeCheckDidNotPass(
                    f'Type check failed for step output "{output.output_name}" - expected type '
                    f'"{htype.display_name}". Description: {check.description}'
                    f"\n  (op '{step.key}', output '{output.output_name}', type {htype.display_name})",
                    metadata=check.metadata, headwater_type=htype,
                )
        step_key = ctx.step_key
        ref = (step.key, output.output_name, out_mk)
        added = ctx.output_metadata.get((output.output_name, out_mk if isinstance(output, DynamicOutput) else None), {})
        if not added and mapping_key:
            added = ctx.output_metadata.get((output.output_name, None), {})
        metadata = {**output.metadata, **normalize_metadata(added, allow_invalid=True)} if added \
            else dict(output.metadata)
        run.emit(ev.HeadwaterEventType.STEP_OUTPUT, step_key,
                 f'Yielded output "{output.output_name}"'
                 + (f' mapping key "{out_mk}"' if out_mk else "")
                 + f' of type "{htype.display_name}". (Type check passed).',
                 ev.StepOutputData(output.output_name, out_mk, check.success, htype.display_name, metadata,
                                   _type_check_data(output.output_name, check)))
        asset_key = step.asset_keys_by_output.get(output.output_name)
        manager_key = out_def.io_manager_key
        spec = step.assets_def.specs_by_key.get(asset_key) if asset_key is not None else None
        out_ctx = OutputContext(
            step_key=step.key, name=output.output_name, job_name=run.job.name, run_id=run.run_id,
            definition_metadata={**(spec.metadata if spec else {}), **out_def.metadata},
            output_metadata=metadata, mapping_key=out_mk, headwater_type=htype,
            config=step.config.outputs.get(output.output_name),
            log=ctx.log, resources=run.resource_view, step_context=ctx, op_def=step.op_def,
            asset_key=asset_key, partition_key=run.partition_key,
            assets_def=step.assets_def, instance=run.instance,
            resource_config=run.resource_configs.get(manager_key),
        )
        out_ctx._manager_key = manager_key  # type: ignore[attr-defined]
        out_ctx._unpartitioned_asset = asset_key is not None and _is_unpartitioned_asset(step.assets_def)
        out_pdef = getattr(step.assets_def, "partitions_def", None) if asset_key is not None else None
        if out_pdef is not None:
            out_ctx.asset_partitions_def = out_pdef
            if run.partition_key is None and _partition.key_range(ctx) is not None:
                out_ctx._asset_partition_keys = _partition.run_keys(ctx)
        run.output_contexts[ref] = out_ctx
        run.produced.add(ref)
        run.record_mapping_key(step.key, output.output_name, out_mk)
        is_observation = step.assets_def is not None and step.assets_def.is_observable
        value_flows = store and not (out_def.is_nothing and asset_key is None and output.value is None)
        if value_flows and not is_observation and not (out_def.is_nothing and output.value is None):
            manager = run.resources.get(manager_key)
            if manager is None:
                raise HeadwaterInvariantViolationError(
                    f'Output "{output.output_name}" of op "{step.key}" uses IO manager '
                    f"'{manager_key}', which is not provided. Add resources={{'{manager_key}': ...}}."
                )
            out_ctx.wants_content_hash = asset_key is not None and (
                (isinstance(manager, IOManager) and manager.hashes_content()) or out_ctx._asset_opts_in(CONTENT_HASH_METADATA))
            self.store_output(step, manager, out_ctx, output.value)
            out_ctx.output_metadata = {}  # downstream inputs see the output as it is defined
            metadata.update(out_ctx.added_metadata)
            run.keep_output(step, ref, output.value, manager)
        else:
            run.captured[ref] = output.value
        if asset_key is not None and (step.assets_def is None or asset_key in step.assets_def.keys):
            if is_observation:
                self.emit_user_event(step, step_key, AssetObservation(
                    asset_key, metadata=metadata, partition=run.asset_partition(asset_key),
                    tags={**output.tags, **observed_version_tags(output.data_version, f"observation of op '{step.key}'")}))
            else:
                for partition in (out_ctx._asset_partition_keys or [run.asset_partition(asset_key)]):
                    tags = {**output.tags,
                            **self.version_tags(step, asset_key, partition, output, out_ctx)}
                    own = ctx.partition_metadata.get((asset_key, partition))
                    mat = AssetMaterialization(asset_key, partition=partition, tags=tags, metadata={
                        **metadata, **normalize_metadata(own or {}, allow_invalid=True)})
                    run.emit(ev.HeadwaterEventType.ASSET_MATERIALIZATION, step_key,
                             f"Materialized value {asset_key.to_user_string()}.",
                             ev.MaterializationData(mat), asset_key=asset_key, partition=partition)
        if value_flows and not is_observation and not (out_def.is_nothing and output.value is None):
            run.emit(ev.HeadwaterEventType.HANDLED_OUTPUT, step_key,
                     f'Output "{output.output_name}" stored by "{manager_key}".',
                     ev.HandledOutputData(output.output_name, manager_key, dict(out_ctx.added_metadata)))

    def store_output(self, step: Step, manager: Any, out_ctx: OutputContext, value: Any) -> None:
        """Call handle_output; a generator one may yield metadata and events as it stores.

        Yielded events are emitted once it has finished, materializations carrying the
        metadata it logged (which describes what it stored) under their own."""
        result = self.user_call(step, "handle_output", lambda: manager.handle_output(out_ctx, value))
        events = []
        while inspect.isgenerator(result):
            item = self.user_call(step, "handle_output", lambda: next(result, _SKIP))
            if item is _SKIP:
                break
            if isinstance(item, Mapping):
                out_ctx.add_output_metadata(item)
            else:
                events.append(item)
        for item in events:
            if isinstance(item, AssetMaterialization) and out_ctx.added_metadata:
                item = ev.with_logged_metadata(item, out_ctx.added_metadata,
                                               f"output '{out_ctx.name}' of op '{step.key}'")
            self.emit_user_event(step, out_ctx.step_key, item)

    def emit_user_event(self, step: Step, step_key: str | None, item: Any) -> None:
        run = self.run
        if isinstance(item, AssetMaterialization):
            if item.partition is None and run.asset_partition(item.asset_key) is not None:
                item = AssetMaterialization(item.asset_key, item.description, item.metadata,
                                            run.partition_key, item.tags)
            run.emit(ev.HeadwaterEventType.ASSET_MATERIALIZATION, step_key,
                     f"Materialized value {item.asset_key.to_user_string()}.",
                     ev.MaterializationData(item), asset_key=item.asset_key)
        elif isinstance(item, AssetObservation):
            run.emit(ev.HeadwaterEventType.ASSET_OBSERVATION, step_key,
                     f"Observed value {item.asset_key.to_user_string()}.",
                     ev.ObservationData(item), asset_key=item.asset_key)
        elif isinstance(item, ExpectationResult):
            run.emit(ev.HeadwaterEventType.STEP_EXPECTATION_RESULT, step_key,
                     f"Expectation {item.label or ''} {'passed' if item.success else 'failed'}.",
                     ev.ExpectationData(item))

    # --- one attempt ----------------------------------------------------------------------
    def attempt(self, step: Step, mapping_key: str | None, retry_number: int) -> OpExecutionContext:
        """Run the step once; raise what the body raised (wrapped at the boundary)."""
        run = self.run
        ctx = self.make_context(step, mapping_key, retry_number)
        key = ctx.step_key
        token = capture_logs(run.log_sink(key))
        output = capture_compute_logs(run.instance, run.run_id, key or step.key)
        current = enter_step_context(ctx)
        try:
            inputs = self.load_inputs(step, ctx, mapping_key)
            body = self.call_body(step, ctx, inputs)
            while True:
                item = self.user_call(step, "compute", lambda: next(body, _SKIP))
                if item is _SKIP:
                    break
                self.handle_item(step, ctx, mapping_key, item)
            self.check_typed_event_stream(step, ctx)
            self.check_required_outputs(step, ctx, mapping_key)
            run.finish_checks(step, ctx)
        finally:
            exit_step_context(current)
            release_compute_logs(output)
            release_logs(token)
        return ctx

    def check_typed_event_stream(self, step: Step, ctx: OpExecutionContext) -> None:
        """With `context.set_requires_typed_event_stream()`, every selected output and
        asset check must have been yielded or returned (optional ones included)."""
        if ctx._typed_stream_error is None:
            return
        selected = ctx._selected_output_names
        seen = {name for name, _ in ctx.outputs_seen}
        missing = [name for name, out in step.op_def.output_dict.items()
                   if not out.is_dynamic and name not in seen
                   and (selected is None or name in selected)]
        assets_def = step.assets_def
        if assets_def is not None and not isinstance(assets_def, AssetChecksDefinition):
            missing += [key.to_user_string() for key in assets_def.check_keys
                        if key not in ctx.check_evaluations]
        if missing:
            raise HeadwaterInvariantViolationError(
                f"op '{step.key}' did not yield or return expected outputs {missing}: its body "
                "asked for a typed event stream (set_requires_typed_event_stream), so each "
                "must be an Output, MaterializeResult or AssetCheckResult."
                + (f" {ctx._typed_stream_error}" if ctx._typed_stream_error else "")
            )

    def check_required_outputs(self, step: Step, ctx: OpExecutionContext, mapping_key: str | None) -> None:
        selected = ctx._selected_output_names
        for name, out in step.op_def.output_dict.items():
            if not out.is_required or out.is_dynamic:
                continue
            if selected is not None and name not in selected:
                continue
            if (name, None) in ctx.outputs_seen or any(n == name for n, _ in ctx.outputs_seen):
                continue
            if out.is_nothing:  # nothing to hand over: an asset's is produced all the same
                if step.assets_def is not None:
                    self.handle_item(step, ctx, mapping_key, Output(None, name))
                continue
            raise HeadwaterStepOutputNotFoundError(
                f'op "{step.key}" did not return an output for non-optional output "{name}". '
                "Return or yield it, or declare it with Out(is_required=False).",
                step_key=step.key, output_name=name,
            )


def _run_coroutine(coroutine: Any) -> Any:
    # asyncio costs ~15 ms to import (ssl, sockets); only async ops pay for it.
    import asyncio

    return asyncio.run(coroutine)


def _drain_async(agen: Any) -> list[Any]:
    async def collect() -> list[Any]:
        return [item async for item in agen]

    return _run_coroutine(collect())


def _is_unpartitioned_asset(assets_def: Any) -> bool:
    """An asset definition known to have no partitions (None: not an asset, nothing known)."""
    return assets_def is not None and getattr(assets_def, "partitions_def", None) is None
