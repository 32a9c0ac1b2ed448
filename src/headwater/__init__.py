"""headwater: a data-aware orchestrator for Python.

The public API, with Dagster's names under the rename dagster -> headwater.

Every public name is loaded on first use (PEP 562): `import headwater` costs a few
milliseconds, and `from headwater import asset` loads only what an asset needs.
The engine registers itself with the declarations layer when it is first needed
(see definitions/_runtime.py). Every public function and class is handed out through
`guard_keywords`, so a misspelled keyword argument is refused with the right spelling
(see definitions/keywords.py). Type checkers and IDEs read the imports below.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

__version__ = "0.1.0"

if TYPE_CHECKING:
    from headwater.daemon.run_launcher import (
        CheckRunHealthResult,
        DefaultRunLauncher,
        LaunchRunContext,
        RunLauncher,
        WorkerStatus,
    )
    from headwater.definitions.assets.code_reference import (
        AnchorBasedFilePathMapping,
        FilePathMapping,
        link_code_references_to_git,
        with_source_code_references,
    )
    from headwater.definitions.assets.decorators import (
        asset,
        multi_asset,
        multi_observable_source_asset,
        observable_source_asset,
    )
    from headwater.definitions.assets.definition import AssetDep, AssetsDefinition, AssetSpec
    from headwater.definitions.assets.graph_decorators import graph_asset, graph_multi_asset
    from headwater.definitions.assets.inout import AssetIn, AssetOut, LegacyFreshnessPolicy
    from headwater.definitions.assets.job import define_asset_job
    from headwater.definitions.assets.resources import with_resources
    from headwater.definitions.assets.selection import AssetSelection
    from headwater.definitions.assets.source_asset import SourceAsset
    from headwater.definitions.assets.spec_mapping import map_asset_specs
    from headwater.definitions.assets.staleness import StaleCause, StaleCauseCategory, StaleStatus
    from headwater.definitions.automation.condition import (
        AutoMaterializePolicy,
        AutoMaterializeRule,
        AutomationCondition,
    )
    from headwater.definitions.automation.condition_sensor import (
        AutomationConditionSensorDefinition,
    )
    from headwater.definitions.automation.email_sensor import make_email_on_run_failure_sensor
    from headwater.definitions.automation.evaluate import (
        AutomationResult,
        AutomationResultNode,
        evaluate_automation_conditions,
    )
    from headwater.definitions.automation.evaluate import (
        AutomationResult as EvaluateAutomationConditionsResult,
    )
    from headwater.definitions.automation.multi_asset_sensor import (
        MultiAssetSensorDefinition,
        MultiAssetSensorEvaluationContext,
        build_multi_asset_sensor_context,
        multi_asset_sensor,
    )
    from headwater.definitions.automation.run_status_sensor import (
        RunFailureSensorContext,
        RunStatusSensorContext,
        RunStatusSensorDefinition,
        build_run_status_sensor_context,
        run_failure_sensor,
        run_status_sensor,
    )
    from headwater.definitions.automation.schedule import (
        DefaultScheduleStatus,
        ScheduleDefinition,
        ScheduleEvaluationContext,
        build_schedule_context,
        build_schedule_from_partitioned_job,
        schedule,
    )
    from headwater.definitions.automation.selectors import (
        CodeLocationSelector,
        JobSelector,
        RepositorySelector,
    )
    from headwater.definitions.automation.sensor import (
        AssetSensorDefinition,
        DefaultSensorStatus,
        SensorDefinition,
        SensorEvaluationContext,
        asset_sensor,
        build_sensor_context,
        sensor,
    )
    from headwater.definitions.automation.tick_result import SensorResult, SkipReason
    from headwater.definitions.checks.decorators import asset_check, multi_asset_check
    from headwater.definitions.checks.definition import AssetChecksDefinition
    from headwater.definitions.checks.freshness import (
        build_last_update_freshness_checks,
        build_time_partition_freshness_checks,
    )
    from headwater.definitions.checks.freshness_policy import (
        FreshnessPolicy,
        apply_freshness_policy,
        build_freshness_policy_checks,
    )
    from headwater.definitions.checks.freshness_sensor import build_sensor_for_freshness_checks
    from headwater.definitions.checks.metadata_bounds import build_metadata_bounds_checks
    from headwater.definitions.checks.result import AssetCheckEvaluation, AssetCheckResult
    from headwater.definitions.checks.schema_change import build_column_schema_change_checks
    from headwater.definitions.checks.spec import AssetCheckSeverity, AssetCheckSpec
    from headwater.definitions.components.component import Component, ComponentLoadContext
    from headwater.definitions.components.defs_folder import (
        ComponentTree,
        DefinitionsComponent,
        DefsFolderComponent,
        build_defs_for_component,
        component_instance,
        get_all_components_defs_within_project,
        get_component_defs_within_project,
        load_defs,
        load_from_defs_folder,
    )
    from headwater.definitions.components.resolved import (
        Model,
        ResolutionContext,
        Resolvable,
        ResolvedAssetCheckSpec,
        ResolvedAssetKey,
        ResolvedAssetSpec,
        Resolver,
    )
    from headwater.definitions.components.sandbox import (
        DefsFolderSandbox,
        create_defs_folder_sandbox,
    )
    from headwater.definitions.components.scaffold import (
        Scaffolder,
        ScaffoldRequest,
        scaffold_component,
        scaffold_with,
    )
    from headwater.definitions.components.templates import template_var
    from headwater.definitions.config.config_class import Config, EnvVar, PermissiveConfig
    from headwater.definitions.config.configurable import (
        ConfigurableIOManager,
        ConfigurableIOManagerFactory,
        ConfigurableLegacyIOManagerAdapter,
        ConfigurableResource,
        ConfigurableResourceFactory,
        IAttachDifferentObjectToOpContext,
        PartialResource,
        ResourceDependency,
    )
    from headwater.definitions.config.executor import (
        ExecutorDefinition,
        ExecutorRequirement,
        InitExecutorContext,
        executor,
        in_process_executor,
        multi_or_in_process_executor,
        multiple_process_executor_requirements,
        multiprocess_executor,
    )
    from headwater.definitions.config.file_manager import (
        FileHandle,
        LocalFileHandle,
        local_file_manager,
    )
    from headwater.definitions.config.filesystem_io_manager import FilesystemIOManager
    from headwater.definitions.config.fs_io_manager import (
        CustomPathPickledObjectFilesystemIOManager,
        PickledObjectFilesystemIOManager,
        custom_path_fs_io_manager,
        fs_io_manager,
    )
    from headwater.definitions.config.io_manager import (
        InMemoryIOManager,
        InputManager,
        InputManagerDefinition,
        IOManager,
        IOManagerDefinition,
        OutputManager,
        input_manager,
        io_manager,
        mem_io_manager,
    )
    from headwater.definitions.config.logger import (
        InitLoggerContext,
        JsonLogFormatter,
        LoggerDefinition,
        build_init_logger_context,
        colored_console_logger,
        default_loggers,
        json_console_logger,
        logger,
    )
    from headwater.definitions.config.resource import (
        ResourceDefinition,
        ResourceParam,
        make_values_resource,
        resource,
    )
    from headwater.definitions.config.run_config import (
        ConfigMapping,
        RunConfig,
        config_from_files,
        config_from_pkg_resources,
        config_from_yaml_strings,
        config_mapping,
        configured,
        validate_run_config,
    )
    from headwater.definitions.config.scalars import (
        BoolSource,
        Enum,
        EnumValue,
        IntSource,
        StringSource,
    )
    from headwater.definitions.config.schema import (
        Array,
        Field,
        Map,
        Noneable,
        Permissive,
        ScalarUnion,
        Selector,
        Shape,
    )
    from headwater.definitions.config.upath_io_manager import UPathIOManager
    from headwater.definitions.definitions import BindResourcesToJobs, Definitions
    from headwater.definitions.key import AssetCheckKey, AssetJobKey, AssetKey, AssetOrCheckKey
    from headwater.definitions.metadata.annotation import (
        Dict,
        List,
        Optional,
        Set,
        Tuple,
        check_headwater_type,
    )
    from headwater.definitions.metadata.code_reference import (
        CodeReferencesMetadataValue,
        LocalFileCodeReference,
        UrlCodeReference,
    )
    from headwater.definitions.metadata.table import (
        TableColumn,
        TableColumnConstraints,
        TableColumnDep,
        TableColumnLineage,
        TableConstraints,
        TableRecord,
        TableSchema,
    )
    from headwater.definitions.metadata.types import (
        Any,
        Bool,
        Float,
        HeadwaterType,
        HeadwaterTypeLoader,
        Int,
        Nothing,
        PythonObjectHeadwaterType,
        String,
        TypeCheck,
        TypeCheckContext,
        headwater_type_loader,
        make_python_type_usable_as_headwater_type,
        usable_as_headwater_type,
    )
    from headwater.definitions.metadata.value import (
        BoolMetadataValue,
        FloatMetadataValue,
        HeadwaterAssetMetadataValue,
        HeadwaterJobMetadataValue,
        HeadwaterRunMetadataValue,
        IntMetadataValue,
        JsonMetadataValue,
        MarkdownMetadataValue,
        MetadataValue,
        NotebookMetadataValue,
        NullMetadataValue,
        PathMetadataValue,
        PoolMetadataValue,
        PythonArtifactMetadataValue,
        TableColumnLineageMetadataValue,
        TableMetadataValue,
        TableSchemaMetadataValue,
        TextMetadataValue,
        TimestampMetadataValue,
        UrlMetadataValue,
    )
    from headwater.definitions.module_loader import (
        file_relative_path,
        load_asset_checks_from_current_module,
        load_asset_checks_from_modules,
        load_asset_checks_from_package_module,
        load_asset_checks_from_package_name,
        load_assets_from_current_module,
        load_assets_from_modules,
        load_assets_from_package_module,
        load_assets_from_package_name,
        load_definitions_from_current_module,
        load_definitions_from_module,
        load_definitions_from_modules,
        load_definitions_from_package_module,
        load_definitions_from_package_name,
        repository,
    )
    from headwater.definitions.ops.composition import OutputHandle as InvokedNodeOutputHandle
    from headwater.definitions.ops.data_version import (
        DataProvenance,
        DataVersion,
        DataVersionsByPartition,
    )
    from headwater.definitions.ops.graph import GraphDefinition, graph, job
    from headwater.definitions.ops.hook import (
        HookDefinition,
        HookExecutionResult,
        event_list_hook,
        failure_hook,
        success_hook,
    )
    from headwater.definitions.ops.inout import (
        DynamicOut,
        In,
        InputDefinition,
        Out,
        OutputDefinition,
    )
    from headwater.definitions.ops.job import JobDefinition
    from headwater.definitions.ops.op import OpDefinition, op
    from headwater.definitions.ops.output import (
        AssetMaterialization,
        AssetObservation,
        DynamicOutput,
        ExpectationResult,
        MaterializeResult,
        ObserveResult,
        Output,
    )
    from headwater.definitions.ops.policy import Backoff, Jitter, RetryPolicy
    from headwater.definitions.ops.wiring import (
        DependencyDefinition,
        GraphIn,
        GraphOut,
        InputMapping,
        MultiDependencyDefinition,
        NodeInvocation,
        OutputMapping,
    )
    from headwater.definitions.partitions.backfill_policy import BackfillPolicy, BackfillPolicyType
    from headwater.definitions.partitions.base import (
        AddDynamicPartitionsRequest,
        DeleteDynamicPartitionsRequest,
        DynamicPartitionsDefinition,
        PartitionKeyRange,
        PartitionsDefinition,
        StaticPartitionsDefinition,
        partition_loading_context,
    )
    from headwater.definitions.partitions.mapping import (
        AllPartitionMapping,
        IdentityPartitionMapping,
        LastPartitionMapping,
        PartitionMapping,
        SpecificPartitionsPartitionMapping,
        StaticPartitionMapping,
        TimeWindowPartitionMapping,
        UpstreamPartitionsResult,
    )
    from headwater.definitions.partitions.multi import (
        MultiPartitionKey,
        MultiPartitionsDefinition,
        PartitionDimensionDefinition,
    )
    from headwater.definitions.partitions.multi_mapping import (
        DimensionPartitionMapping,
        MultiPartitionMapping,
        MultiToSingleDimensionPartitionMapping,
    )
    from headwater.definitions.partitions.pagination import PaginatedResults
    from headwater.definitions.partitions.partitioned_config import (
        PartitionedConfig,
        daily_partitioned_config,
        dynamic_partitioned_config,
        hourly_partitioned_config,
        monthly_partitioned_config,
        partitioned_config,
        static_partitioned_config,
        weekly_partitioned_config,
    )
    from headwater.definitions.partitions.periodic import (
        DailyPartitionsDefinition,
        HourlyPartitionsDefinition,
        MonthlyPartitionsDefinition,
        WeeklyPartitionsDefinition,
    )
    from headwater.definitions.partitions.time_window import (
        TimeWindow,
        TimeWindowPartitionsDefinition,
    )
    from headwater.definitions.repository import RepositoryData, RepositoryDefinition
    from headwater.definitions.run_request import RunRequest
    from headwater.definitions.serdes import deserialize_value, serialize_value
    from headwater.definitions.tags import MAX_RUNTIME_SECONDS_TAG
    from headwater.errors import (
        BetaWarning,
        ConfigArgumentWarning,
        DefinitionError,
        Failure,
        HeadwaterAssetCheckFailedError,
        HeadwaterConfigMappingFunctionError,
        HeadwaterError,
        HeadwaterExecutionHandleOutputError,
        HeadwaterExecutionInterruptedError,
        HeadwaterExecutionLoadInputError,
        HeadwaterExecutionStepExecutionError,
        HeadwaterExecutionStepNotFoundError,
        HeadwaterInvalidConfigDefinitionError,
        HeadwaterInvalidConfigError,
        HeadwaterInvalidDefinitionError,
        HeadwaterInvalidInvocationError,
        HeadwaterInvalidPropertyError,
        HeadwaterInvalidSubsetError,
        HeadwaterInvariantViolationError,
        HeadwaterPipesExecutionError,
        HeadwaterResourceFunctionError,
        HeadwaterRunNotFoundError,
        HeadwaterStepOutputNotFoundError,
        HeadwaterSubprocessError,
        HeadwaterTypeCheckDidNotPass,
        HeadwaterTypeCheckError,
        HeadwaterUnknownPartitionError,
        HeadwaterUnknownResourceError,
        HeadwaterUnmetExecutorRequirementsError,
        HeadwaterUserCodeExecutionError,
        PreviewWarning,
        RetryRequested,
        SupersessionWarning,
    )
    from headwater.execution.api import (
        ExecuteJobResult,
        JobExecutionResult,
        execute_job,
        materialize,
        materialize_to_memory,
        observe,
    )
    from headwater.execution.context import (
        AssetCheckExecutionContext,
        AssetExecutionContext,
        InputContext,
        OpExecutionContext,
        OutputContext,
    )
    from headwater.execution.event import HeadwaterEvent, HeadwaterEventType
    from headwater.execution.executor import Executor, InProcessExecutor, StepReport, StepTask
    from headwater.execution.log import HeadwaterLogManager, get_headwater_logger
    from headwater.execution.reconstruct import (
        ReconstructableJob,
        build_reconstructable_job,
        reconstructable,
    )
    from headwater.execution.reexecution import ReexecutionOptions
    from headwater.execution.resources import InitResourceContext, build_resources
    from headwater.execution.result import ExecuteInProcessResult
    from headwater.execution.retry import HookContext
    from headwater.execution.testing import (
        build_asset_check_context,
        build_asset_context,
        build_hook_context,
        build_init_resource_context,
        build_input_context,
        build_op_context,
        build_output_context,
    )
    from headwater.pipes.channels import (
        PipesCompositeMessageReader,
        PipesContextInjector,
        PipesEnvContextInjector,
        PipesFileContextInjector,
        PipesFileMessageReader,
        PipesMessageReader,
        PipesTempFileContextInjector,
        PipesTempFileMessageReader,
    )
    from headwater.pipes.components import (
        FunctionComponent,
        PythonScriptComponent,
        UvRunComponent,
    )
    from headwater.pipes.session import (
        PipesExecutionResult,
        PipesMessageHandler,
        PipesSession,
        open_pipes_session,
    )
    from headwater.pipes.subprocess import (
        PipesClient,
        PipesClientCompletedInvocation,
        PipesSubprocessClient,
    )
    from headwater.storage.instance import HeadwaterInstance, instance_for_test
    from headwater.storage.record import (
        AssetPartitionStatus,
        AssetRecordsFilter,
        EventLogEntry,
        EventLogRecord,
        EventRecordsFilter,
        EventRecordsResult,
        HeadwaterRun,
        HeadwaterRunStatus,
        RunRecord,
        RunsFilter,
        RunStatusChangeRecordsFilter,
    )

# public name -> (module, name in that module)
from headwater._exports import EXPORTS as _EXPORTS  # noqa: E402  (name -> (module, attribute))

__all__ = sorted(_EXPORTS)

# Dagster's private module paths (headwater._core.errors, ...) answer with public names
from headwater._compat import install as _install_private_paths  # noqa: E402

_install_private_paths()


def __getattr__(name: str) -> object:
    if name == "components":
        # `dg.components.load_defs(...)`: Dagster's components module, answered by _compat
        return importlib.import_module("headwater.components")
    if name == "definitions":
        # `@headwater.definitions` is the package itself, callable as the decorator; before the
        # package is first imported, Python asks here
        return importlib.import_module("headwater.definitions")
    try:
        module, attribute = _EXPORTS[name]
    except KeyError:
        raise AttributeError(f"module 'headwater' has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module), attribute)
    if getattr(value, "__module__", "").startswith("headwater"):  # not re-exported builtins
        from headwater.definitions.keywords import guard_keywords  # loaded with the first name

        value = guard_keywords(value)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
