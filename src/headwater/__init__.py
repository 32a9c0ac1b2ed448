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
    from headwater.definitions.assets.code_reference import (
        AnchorBasedFilePathMapping,
        FilePathMapping,
        link_code_references_to_git,
        with_source_code_references,
    )
    from headwater.definitions.assets.decorators import (
        asset,
        graph_asset,
        graph_multi_asset,
        multi_asset,
        multi_observable_source_asset,
        observable_source_asset,
    )
    from headwater.definitions.assets.definition import (
        AssetDep,
        AssetsDefinition,
        AssetSpec,
        map_asset_specs,
    )
    from headwater.definitions.assets.inout import AssetIn, AssetOut
    from headwater.definitions.assets.job import define_asset_job
    from headwater.definitions.assets.resources import with_resources
    from headwater.definitions.assets.selection import AssetSelection
    from headwater.definitions.assets.source_asset import SourceAsset
    from headwater.definitions.assets.staleness import StaleCause, StaleCauseCategory, StaleStatus
    from headwater.definitions.automation.condition import (
        AutoMaterializePolicy,
        AutoMaterializeRule,
        AutomationCondition,
    )
    from headwater.definitions.automation.condition_sensor import (
        AutomationConditionSensorDefinition,
    )
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
    from headwater.definitions.components.component import (
        Component,
        ComponentLoadContext,
        Model,
        Resolvable,
    )
    from headwater.definitions.components.defs_folder import (
        ComponentTree,
        DefsFolderComponent,
        load_defs,
        load_from_defs_folder,
    )
    from headwater.definitions.components.templates import template_var
    from headwater.definitions.config.config_class import Config, EnvVar, PermissiveConfig
    from headwater.definitions.config.configurable import (
        ConfigurableIOManager,
        ConfigurableIOManagerFactory,
        ConfigurableLegacyIOManagerAdapter,
        ConfigurableResource,
        ConfigurableResourceFactory,
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
    from headwater.definitions.config.schema import (
        Array,
        BoolSource,
        Enum,
        EnumValue,
        Field,
        IntSource,
        Map,
        Noneable,
        Permissive,
        ScalarUnion,
        Selector,
        Shape,
        StringSource,
    )
    from headwater.definitions.definitions import Definitions
    from headwater.definitions.key import AssetCheckKey, AssetKey
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
    from headwater.definitions.ops.graph import (
        DependencyDefinition,
        GraphDefinition,
        GraphIn,
        GraphOut,
        InputMapping,
        MultiDependencyDefinition,
        NodeInvocation,
        OutputMapping,
        graph,
        job,
    )
    from headwater.definitions.ops.hook import (
        HookDefinition,
        HookExecutionResult,
        event_list_hook,
        failure_hook,
        success_hook,
    )
    from headwater.definitions.ops.job import JobDefinition
    from headwater.definitions.ops.op import (
        DynamicOut,
        In,
        InputDefinition,
        OpDefinition,
        Out,
        OutputDefinition,
        op,
    )
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
        DimensionPartitionMapping,
        IdentityPartitionMapping,
        LastPartitionMapping,
        MultiPartitionMapping,
        MultiToSingleDimensionPartitionMapping,
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
    from headwater.definitions.partitions.time_window import (
        DailyPartitionsDefinition,
        HourlyPartitionsDefinition,
        MonthlyPartitionsDefinition,
        TimeWindow,
        TimeWindowPartitionsDefinition,
        WeeklyPartitionsDefinition,
    )
    from headwater.definitions.repository import RepositoryData, RepositoryDefinition
    from headwater.definitions.run_request import RunRequest
    from headwater.definitions.serdes import deserialize_value, serialize_value
    from headwater.errors import (
        DefinitionError,
        Failure,
        HeadwaterAssetCheckFailedError,
        HeadwaterConfigMappingFunctionError,
        HeadwaterError,
        HeadwaterExecutionStepExecutionError,
        HeadwaterInvalidConfigDefinitionError,
        HeadwaterInvalidConfigError,
        HeadwaterInvalidDefinitionError,
        HeadwaterInvalidInvocationError,
        HeadwaterInvalidPropertyError,
        HeadwaterInvalidSubsetError,
        HeadwaterInvariantViolationError,
        HeadwaterResourceFunctionError,
        HeadwaterRunNotFoundError,
        HeadwaterStepOutputNotFoundError,
        HeadwaterTypeCheckDidNotPass,
        HeadwaterTypeCheckError,
        HeadwaterUnknownPartitionError,
        HeadwaterUnknownResourceError,
        HeadwaterUnmetExecutorRequirementsError,
        HeadwaterUserCodeExecutionError,
        RetryRequested,
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
    from headwater.execution.log import get_headwater_logger
    from headwater.execution.reconstruct import ReconstructableJob, reconstructable
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
_EXPORTS: dict[str, tuple[str, str]] = {
    "BackfillPolicy": ("headwater.definitions.partitions.backfill_policy", "BackfillPolicy"),
    "BackfillPolicyType": ("headwater.definitions.partitions.backfill_policy", "BackfillPolicyType"),
    "AddDynamicPartitionsRequest": ("headwater.definitions.partitions.base", "AddDynamicPartitionsRequest"),
    "AllPartitionMapping": ("headwater.definitions.partitions.mapping", "AllPartitionMapping"),
    "Any": ("headwater.definitions.metadata.types", "Any"),
    "Array": ("headwater.definitions.config.schema", "Array"),
    "AssetDep": ("headwater.definitions.assets.definition", "AssetDep"),
    "AssetExecutionContext": ("headwater.execution.context", "AssetExecutionContext"),
    "AssetIn": ("headwater.definitions.assets.inout", "AssetIn"),
    "AssetKey": ("headwater.definitions.key", "AssetKey"),
    "AssetCheckKey": ("headwater.definitions.key", "AssetCheckKey"),
    "AutomationCondition": ("headwater.definitions.automation.condition", "AutomationCondition"),
    "AutoMaterializePolicy": ("headwater.definitions.automation.condition", "AutoMaterializePolicy"),
    "AutoMaterializeRule": ("headwater.definitions.automation.condition", "AutoMaterializeRule"),
    "AutomationResult": ("headwater.definitions.automation.evaluate", "AutomationResult"),
    "AutomationResultNode": ("headwater.definitions.automation.evaluate", "AutomationResultNode"),
    "EvaluateAutomationConditionsResult": ("headwater.definitions.automation.evaluate", "AutomationResult"),
    "evaluate_automation_conditions": ("headwater.definitions.automation.evaluate", "evaluate_automation_conditions"),
    "AssetCheckSpec": ("headwater.definitions.checks.spec", "AssetCheckSpec"),
    "AssetCheckSeverity": ("headwater.definitions.checks.spec", "AssetCheckSeverity"),
    "AssetCheckResult": ("headwater.definitions.checks.result", "AssetCheckResult"),
    "AssetCheckEvaluation": ("headwater.definitions.checks.result", "AssetCheckEvaluation"),
    "AssetChecksDefinition": ("headwater.definitions.checks.definition", "AssetChecksDefinition"),
    "asset_check": ("headwater.definitions.checks.decorators", "asset_check"),
    "multi_asset_check": ("headwater.definitions.checks.decorators", "multi_asset_check"),
    "build_metadata_bounds_checks": ("headwater.definitions.checks.metadata_bounds", "build_metadata_bounds_checks"),
    "build_column_schema_change_checks": ("headwater.definitions.checks.schema_change", "build_column_schema_change_checks"),
    "build_last_update_freshness_checks": ("headwater.definitions.checks.freshness", "build_last_update_freshness_checks"),
    "build_time_partition_freshness_checks": ("headwater.definitions.checks.freshness", "build_time_partition_freshness_checks"),
    "build_sensor_for_freshness_checks": ("headwater.definitions.checks.freshness_sensor", "build_sensor_for_freshness_checks"),
    "FreshnessPolicy": ("headwater.definitions.checks.freshness_policy", "FreshnessPolicy"),
    "apply_freshness_policy": ("headwater.definitions.checks.freshness_policy", "apply_freshness_policy"),
    "build_freshness_policy_checks": ("headwater.definitions.checks.freshness_policy", "build_freshness_policy_checks"),
    "map_asset_specs": ("headwater.definitions.assets.definition", "map_asset_specs"),
    "AssetCheckExecutionContext": ("headwater.execution.context", "AssetCheckExecutionContext"),
    "build_asset_check_context": ("headwater.execution.testing", "build_asset_check_context"),
    "load_asset_checks_from_modules": ("headwater.definitions.module_loader", "load_asset_checks_from_modules"),
    "load_asset_checks_from_current_module": ("headwater.definitions.module_loader", "load_asset_checks_from_current_module"),
    "load_asset_checks_from_package_module": ("headwater.definitions.module_loader", "load_asset_checks_from_package_module"),
    "load_asset_checks_from_package_name": ("headwater.definitions.module_loader", "load_asset_checks_from_package_name"),
    "AssetMaterialization": ("headwater.definitions.ops.output", "AssetMaterialization"),
    "AssetObservation": ("headwater.definitions.ops.output", "AssetObservation"),
    "AssetOut": ("headwater.definitions.assets.inout", "AssetOut"),
    "AssetPartitionStatus": ("headwater.storage.record", "AssetPartitionStatus"),
    "AssetRecordsFilter": ("headwater.storage.record", "AssetRecordsFilter"),
    "AssetSelection": ("headwater.definitions.assets.selection", "AssetSelection"),
    "AssetSensorDefinition": ("headwater.definitions.automation.sensor", "AssetSensorDefinition"),
    "AssetSpec": ("headwater.definitions.assets.definition", "AssetSpec"),
    "AssetsDefinition": ("headwater.definitions.assets.definition", "AssetsDefinition"),
    "AutomationConditionSensorDefinition": ("headwater.definitions.automation.condition_sensor", "AutomationConditionSensorDefinition"),
    "Backoff": ("headwater.definitions.ops.policy", "Backoff"),
    "Bool": ("headwater.definitions.metadata.types", "Bool"),
    "BoolMetadataValue": ("headwater.definitions.metadata.value", "BoolMetadataValue"),
    "BoolSource": ("headwater.definitions.config.schema", "BoolSource"),
    "Config": ("headwater.definitions.config.config_class", "Config"),
    "ConfigMapping": ("headwater.definitions.config.run_config", "ConfigMapping"),
    "ConfigurableIOManager": ("headwater.definitions.config.configurable", "ConfigurableIOManager"),
    "ConfigurableIOManagerFactory": ("headwater.definitions.config.configurable", "ConfigurableIOManagerFactory"),
    "ConfigurableLegacyIOManagerAdapter": ("headwater.definitions.config.configurable", "ConfigurableLegacyIOManagerAdapter"),
    "ConfigurableResource": ("headwater.definitions.config.configurable", "ConfigurableResource"),
    "ConfigurableResourceFactory": ("headwater.definitions.config.configurable", "ConfigurableResourceFactory"),
    "DailyPartitionsDefinition": ("headwater.definitions.partitions.time_window", "DailyPartitionsDefinition"),
    "DataVersion": ("headwater.definitions.ops.data_version", "DataVersion"),
    "DataVersionsByPartition": ("headwater.definitions.ops.data_version", "DataVersionsByPartition"),
    "DataProvenance": ("headwater.definitions.ops.data_version", "DataProvenance"),
    "StaleStatus": ("headwater.definitions.assets.staleness", "StaleStatus"),
    "StaleCause": ("headwater.definitions.assets.staleness", "StaleCause"),
    "StaleCauseCategory": ("headwater.definitions.assets.staleness", "StaleCauseCategory"),
    "DefaultScheduleStatus": ("headwater.definitions.automation.schedule", "DefaultScheduleStatus"),
    "DefaultSensorStatus": ("headwater.definitions.automation.sensor", "DefaultSensorStatus"),
    "DefinitionError": ("headwater.errors", "DefinitionError"),
    "Definitions": ("headwater.definitions.definitions", "Definitions"),
    "Component": ("headwater.definitions.components.component", "Component"),
    "ComponentLoadContext": ("headwater.definitions.components.component", "ComponentLoadContext"),
    "Model": ("headwater.definitions.components.component", "Model"),
    "Resolvable": ("headwater.definitions.components.component", "Resolvable"),
    "DefsFolderComponent": ("headwater.definitions.components.defs_folder", "DefsFolderComponent"),
    "load_defs": ("headwater.definitions.components.defs_folder", "load_defs"),
    "ComponentTree": ("headwater.definitions.components.defs_folder", "ComponentTree"),
    "load_from_defs_folder": ("headwater.definitions.components.defs_folder", "load_from_defs_folder"),
    "template_var": ("headwater.definitions.components.templates", "template_var"),
    "DeleteDynamicPartitionsRequest": ("headwater.definitions.partitions.base", "DeleteDynamicPartitionsRequest"),
    "DependencyDefinition": ("headwater.definitions.ops.graph", "DependencyDefinition"),
    "Dict": ("headwater.definitions.metadata.annotation", "Dict"),
    "DimensionPartitionMapping": ("headwater.definitions.partitions.mapping", "DimensionPartitionMapping"),
    "DynamicOut": ("headwater.definitions.ops.op", "DynamicOut"),
    "DynamicOutput": ("headwater.definitions.ops.output", "DynamicOutput"),
    "DynamicPartitionsDefinition": ("headwater.definitions.partitions.base", "DynamicPartitionsDefinition"),
    "Enum": ("headwater.definitions.config.schema", "Enum"),
    "EnumValue": ("headwater.definitions.config.schema", "EnumValue"),
    "EnvVar": ("headwater.definitions.config.config_class", "EnvVar"),
    "EventLogEntry": ("headwater.storage.record", "EventLogEntry"),
    "EventLogRecord": ("headwater.storage.record", "EventLogRecord"),
    "EventRecordsFilter": ("headwater.storage.record", "EventRecordsFilter"),
    "EventRecordsResult": ("headwater.storage.record", "EventRecordsResult"),
    "ExecuteInProcessResult": ("headwater.execution.result", "ExecuteInProcessResult"),
    "ExecuteJobResult": ("headwater.execution.api", "ExecuteJobResult"),
    "Executor": ("headwater.execution.executor", "Executor"),
    "ExecutorDefinition": ("headwater.definitions.config.executor", "ExecutorDefinition"),
    "ExecutorRequirement": ("headwater.definitions.config.executor", "ExecutorRequirement"),
    "ExpectationResult": ("headwater.definitions.ops.output", "ExpectationResult"),
    "Failure": ("headwater.errors", "Failure"),
    "Field": ("headwater.definitions.config.schema", "Field"),
    "FilesystemIOManager": ("headwater.definitions.config.filesystem_io_manager", "FilesystemIOManager"),
    "Float": ("headwater.definitions.metadata.types", "Float"),
    "FloatMetadataValue": ("headwater.definitions.metadata.value", "FloatMetadataValue"),
    "GraphDefinition": ("headwater.definitions.ops.graph", "GraphDefinition"),
    "GraphIn": ("headwater.definitions.ops.graph", "GraphIn"),
    "GraphOut": ("headwater.definitions.ops.graph", "GraphOut"),
    "HeadwaterAssetMetadataValue": ("headwater.definitions.metadata.value", "HeadwaterAssetMetadataValue"),
    "HeadwaterConfigMappingFunctionError": ("headwater.errors", "HeadwaterConfigMappingFunctionError"),
    "HeadwaterError": ("headwater.errors", "HeadwaterError"),
    "HeadwaterEvent": ("headwater.execution.event", "HeadwaterEvent"),
    "HeadwaterEventType": ("headwater.execution.event", "HeadwaterEventType"),
    "HeadwaterExecutionStepExecutionError": ("headwater.errors", "HeadwaterExecutionStepExecutionError"),
    "HeadwaterInstance": ("headwater.storage.instance", "HeadwaterInstance"),
    "HeadwaterInvalidConfigDefinitionError": ("headwater.errors", "HeadwaterInvalidConfigDefinitionError"),
    "HeadwaterInvalidConfigError": ("headwater.errors", "HeadwaterInvalidConfigError"),
    "HeadwaterInvalidDefinitionError": ("headwater.errors", "HeadwaterInvalidDefinitionError"),
    "HeadwaterInvalidInvocationError": ("headwater.errors", "HeadwaterInvalidInvocationError"),
    "HeadwaterInvalidPropertyError": ("headwater.errors", "HeadwaterInvalidPropertyError"),
    "HeadwaterInvalidSubsetError": ("headwater.errors", "HeadwaterInvalidSubsetError"),
    "HeadwaterAssetCheckFailedError": ("headwater.errors", "HeadwaterAssetCheckFailedError"),
    "HeadwaterInvariantViolationError": ("headwater.errors", "HeadwaterInvariantViolationError"),
    "HeadwaterJobMetadataValue": ("headwater.definitions.metadata.value", "HeadwaterJobMetadataValue"),
    "HeadwaterResourceFunctionError": ("headwater.errors", "HeadwaterResourceFunctionError"),
    "HeadwaterRun": ("headwater.storage.record", "HeadwaterRun"),
    "HeadwaterRunMetadataValue": ("headwater.definitions.metadata.value", "HeadwaterRunMetadataValue"),
    "HeadwaterRunNotFoundError": ("headwater.errors", "HeadwaterRunNotFoundError"),
    "HeadwaterRunStatus": ("headwater.storage.record", "HeadwaterRunStatus"),
    "HeadwaterStepOutputNotFoundError": ("headwater.errors", "HeadwaterStepOutputNotFoundError"),
    "HeadwaterType": ("headwater.definitions.metadata.types", "HeadwaterType"),
    "HeadwaterTypeCheckDidNotPass": ("headwater.errors", "HeadwaterTypeCheckDidNotPass"),
    "HeadwaterTypeCheckError": ("headwater.errors", "HeadwaterTypeCheckError"),
    "HeadwaterTypeLoader": ("headwater.definitions.metadata.types", "HeadwaterTypeLoader"),
    "HeadwaterUnknownPartitionError": ("headwater.errors", "HeadwaterUnknownPartitionError"),
    "HeadwaterUnknownResourceError": ("headwater.errors", "HeadwaterUnknownResourceError"),
    "HeadwaterUnmetExecutorRequirementsError": ("headwater.errors", "HeadwaterUnmetExecutorRequirementsError"),
    "HeadwaterUserCodeExecutionError": ("headwater.errors", "HeadwaterUserCodeExecutionError"),
    "HookContext": ("headwater.execution.retry", "HookContext"),
    "HookDefinition": ("headwater.definitions.ops.hook", "HookDefinition"),
    "HookExecutionResult": ("headwater.definitions.ops.hook", "HookExecutionResult"),
    "HourlyPartitionsDefinition": ("headwater.definitions.partitions.time_window", "HourlyPartitionsDefinition"),
    "IOManager": ("headwater.definitions.config.io_manager", "IOManager"),
    "IOManagerDefinition": ("headwater.definitions.config.io_manager", "IOManagerDefinition"),
    "IdentityPartitionMapping": ("headwater.definitions.partitions.mapping", "IdentityPartitionMapping"),
    "In": ("headwater.definitions.ops.op", "In"),
    "InMemoryIOManager": ("headwater.definitions.config.io_manager", "InMemoryIOManager"),
    "InProcessExecutor": ("headwater.execution.executor", "InProcessExecutor"),
    "InitExecutorContext": ("headwater.definitions.config.executor", "InitExecutorContext"),
    "InitLoggerContext": ("headwater.definitions.config.logger", "InitLoggerContext"),
    "InitResourceContext": ("headwater.execution.resources", "InitResourceContext"),
    "InputContext": ("headwater.execution.context", "InputContext"),
    "InputDefinition": ("headwater.definitions.ops.op", "InputDefinition"),
    "InputManager": ("headwater.definitions.config.io_manager", "InputManager"),
    "InputManagerDefinition": ("headwater.definitions.config.io_manager", "InputManagerDefinition"),
    "InputMapping": ("headwater.definitions.ops.graph", "InputMapping"),
    "Int": ("headwater.definitions.metadata.types", "Int"),
    "IntMetadataValue": ("headwater.definitions.metadata.value", "IntMetadataValue"),
    "IntSource": ("headwater.definitions.config.schema", "IntSource"),
    "InvokedNodeOutputHandle": ("headwater.definitions.ops.composition", "OutputHandle"),
    "Jitter": ("headwater.definitions.ops.policy", "Jitter"),
    "JobDefinition": ("headwater.definitions.ops.job", "JobDefinition"),
    "JsonMetadataValue": ("headwater.definitions.metadata.value", "JsonMetadataValue"),
    "LastPartitionMapping": ("headwater.definitions.partitions.mapping", "LastPartitionMapping"),
    "List": ("headwater.definitions.metadata.annotation", "List"),
    "LoggerDefinition": ("headwater.definitions.config.logger", "LoggerDefinition"),
    "Map": ("headwater.definitions.config.schema", "Map"),
    "MarkdownMetadataValue": ("headwater.definitions.metadata.value", "MarkdownMetadataValue"),
    "MaterializeResult": ("headwater.definitions.ops.output", "MaterializeResult"),
    "MetadataValue": ("headwater.definitions.metadata.value", "MetadataValue"),
    "MonthlyPartitionsDefinition": ("headwater.definitions.partitions.time_window", "MonthlyPartitionsDefinition"),
    "MultiAssetSensorDefinition": ("headwater.definitions.automation.multi_asset_sensor", "MultiAssetSensorDefinition"),
    "MultiAssetSensorEvaluationContext": ("headwater.definitions.automation.multi_asset_sensor", "MultiAssetSensorEvaluationContext"),
    "MultiDependencyDefinition": ("headwater.definitions.ops.graph", "MultiDependencyDefinition"),
    "MultiPartitionKey": ("headwater.definitions.partitions.multi", "MultiPartitionKey"),
    "MultiPartitionMapping": ("headwater.definitions.partitions.mapping", "MultiPartitionMapping"),
    "MultiPartitionsDefinition": ("headwater.definitions.partitions.multi", "MultiPartitionsDefinition"),
    "MultiToSingleDimensionPartitionMapping": ("headwater.definitions.partitions.mapping", "MultiToSingleDimensionPartitionMapping"),
    "NodeInvocation": ("headwater.definitions.ops.graph", "NodeInvocation"),
    "Noneable": ("headwater.definitions.config.schema", "Noneable"),
    "NotebookMetadataValue": ("headwater.definitions.metadata.value", "NotebookMetadataValue"),
    "Nothing": ("headwater.definitions.metadata.types", "Nothing"),
    "NullMetadataValue": ("headwater.definitions.metadata.value", "NullMetadataValue"),
    "ObserveResult": ("headwater.definitions.ops.output", "ObserveResult"),
    "OpDefinition": ("headwater.definitions.ops.op", "OpDefinition"),
    "OpExecutionContext": ("headwater.execution.context", "OpExecutionContext"),
    "Optional": ("headwater.definitions.metadata.annotation", "Optional"),
    "Out": ("headwater.definitions.ops.op", "Out"),
    "Output": ("headwater.definitions.ops.output", "Output"),
    "OutputContext": ("headwater.execution.context", "OutputContext"),
    "OutputDefinition": ("headwater.definitions.ops.op", "OutputDefinition"),
    "OutputManager": ("headwater.definitions.config.io_manager", "OutputManager"),
    "OutputMapping": ("headwater.definitions.ops.graph", "OutputMapping"),
    "PartialResource": ("headwater.definitions.config.configurable", "PartialResource"),
    "PartitionDimensionDefinition": ("headwater.definitions.partitions.multi", "PartitionDimensionDefinition"),
    "PartitionKeyRange": ("headwater.definitions.partitions.base", "PartitionKeyRange"),
    "PartitionMapping": ("headwater.definitions.partitions.mapping", "PartitionMapping"),
    "PartitionedConfig": ("headwater.definitions.partitions.partitioned_config", "PartitionedConfig"),
    "PartitionsDefinition": ("headwater.definitions.partitions.base", "PartitionsDefinition"),
    "PathMetadataValue": ("headwater.definitions.metadata.value", "PathMetadataValue"),
    "Permissive": ("headwater.definitions.config.schema", "Permissive"),
    "PermissiveConfig": ("headwater.definitions.config.config_class", "PermissiveConfig"),
    "PickledObjectFilesystemIOManager": ("headwater.definitions.config.fs_io_manager", "PickledObjectFilesystemIOManager"),
    "PoolMetadataValue": ("headwater.definitions.metadata.value", "PoolMetadataValue"),
    "PythonArtifactMetadataValue": ("headwater.definitions.metadata.value", "PythonArtifactMetadataValue"),
    "PythonObjectHeadwaterType": ("headwater.definitions.metadata.types", "PythonObjectHeadwaterType"),
    "ReconstructableJob": ("headwater.execution.reconstruct", "ReconstructableJob"),
    "ReexecutionOptions": ("headwater.execution.reexecution", "ReexecutionOptions"),
    "RepositoryData": ("headwater.definitions.repository", "RepositoryData"),
    "RepositoryDefinition": ("headwater.definitions.repository", "RepositoryDefinition"),
    "ResourceDefinition": ("headwater.definitions.config.resource", "ResourceDefinition"),
    "ResourceDependency": ("headwater.definitions.config.configurable", "ResourceDependency"),
    "ResourceParam": ("headwater.definitions.config.resource", "ResourceParam"),
    "RetryPolicy": ("headwater.definitions.ops.policy", "RetryPolicy"),
    "RetryRequested": ("headwater.errors", "RetryRequested"),
    "RunConfig": ("headwater.definitions.config.run_config", "RunConfig"),
    "RunFailureSensorContext": ("headwater.definitions.automation.run_status_sensor", "RunFailureSensorContext"),
    "RunRecord": ("headwater.storage.record", "RunRecord"),
    "RunRequest": ("headwater.definitions.run_request", "RunRequest"),
    "RunStatusChangeRecordsFilter": ("headwater.storage.record", "RunStatusChangeRecordsFilter"),
    "RunStatusSensorContext": ("headwater.definitions.automation.run_status_sensor", "RunStatusSensorContext"),
    "RunStatusSensorDefinition": ("headwater.definitions.automation.run_status_sensor", "RunStatusSensorDefinition"),
    "RunsFilter": ("headwater.storage.record", "RunsFilter"),
    "ScalarUnion": ("headwater.definitions.config.schema", "ScalarUnion"),
    "ScheduleDefinition": ("headwater.definitions.automation.schedule", "ScheduleDefinition"),
    "ScheduleEvaluationContext": ("headwater.definitions.automation.schedule", "ScheduleEvaluationContext"),
    "Selector": ("headwater.definitions.config.schema", "Selector"),
    "SensorDefinition": ("headwater.definitions.automation.sensor", "SensorDefinition"),
    "SensorEvaluationContext": ("headwater.definitions.automation.sensor", "SensorEvaluationContext"),
    "SensorResult": ("headwater.definitions.automation.tick_result", "SensorResult"),
    "Set": ("headwater.definitions.metadata.annotation", "Set"),
    "Shape": ("headwater.definitions.config.schema", "Shape"),
    "SkipReason": ("headwater.definitions.automation.tick_result", "SkipReason"),
    "SourceAsset": ("headwater.definitions.assets.source_asset", "SourceAsset"),
    "SpecificPartitionsPartitionMapping": ("headwater.definitions.partitions.mapping", "SpecificPartitionsPartitionMapping"),
    "StaticPartitionMapping": ("headwater.definitions.partitions.mapping", "StaticPartitionMapping"),
    "StaticPartitionsDefinition": ("headwater.definitions.partitions.base", "StaticPartitionsDefinition"),
    "StepReport": ("headwater.execution.executor", "StepReport"),
    "StepTask": ("headwater.execution.executor", "StepTask"),
    "String": ("headwater.definitions.metadata.types", "String"),
    "StringSource": ("headwater.definitions.config.schema", "StringSource"),
    "TableColumn": ("headwater.definitions.metadata.table", "TableColumn"),
    "TableColumnConstraints": ("headwater.definitions.metadata.table", "TableColumnConstraints"),
    "TableColumnDep": ("headwater.definitions.metadata.table", "TableColumnDep"),
    "TableColumnLineage": ("headwater.definitions.metadata.table", "TableColumnLineage"),
    "TableColumnLineageMetadataValue": ("headwater.definitions.metadata.value", "TableColumnLineageMetadataValue"),
    "TableConstraints": ("headwater.definitions.metadata.table", "TableConstraints"),
    "TableMetadataValue": ("headwater.definitions.metadata.value", "TableMetadataValue"),
    "TableRecord": ("headwater.definitions.metadata.table", "TableRecord"),
    "TableSchema": ("headwater.definitions.metadata.table", "TableSchema"),
    "TableSchemaMetadataValue": ("headwater.definitions.metadata.value", "TableSchemaMetadataValue"),
    "TextMetadataValue": ("headwater.definitions.metadata.value", "TextMetadataValue"),
    "TimeWindow": ("headwater.definitions.partitions.time_window", "TimeWindow"),
    "TimeWindowPartitionMapping": ("headwater.definitions.partitions.mapping", "TimeWindowPartitionMapping"),
    "TimeWindowPartitionsDefinition": ("headwater.definitions.partitions.time_window", "TimeWindowPartitionsDefinition"),
    "TimestampMetadataValue": ("headwater.definitions.metadata.value", "TimestampMetadataValue"),
    "Tuple": ("headwater.definitions.metadata.annotation", "Tuple"),
    "TypeCheck": ("headwater.definitions.metadata.types", "TypeCheck"),
    "UpstreamPartitionsResult": ("headwater.definitions.partitions.mapping", "UpstreamPartitionsResult"),
    "UrlMetadataValue": ("headwater.definitions.metadata.value", "UrlMetadataValue"),
    "WeeklyPartitionsDefinition": ("headwater.definitions.partitions.time_window", "WeeklyPartitionsDefinition"),
    "asset": ("headwater.definitions.assets.decorators", "asset"),
    "asset_sensor": ("headwater.definitions.automation.sensor", "asset_sensor"),
    "build_asset_context": ("headwater.execution.testing", "build_asset_context"),
    "build_hook_context": ("headwater.execution.testing", "build_hook_context"),
    "build_init_logger_context": ("headwater.definitions.config.logger", "build_init_logger_context"),
    "build_init_resource_context": ("headwater.execution.testing", "build_init_resource_context"),
    "build_input_context": ("headwater.execution.testing", "build_input_context"),
    "build_multi_asset_sensor_context": ("headwater.definitions.automation.multi_asset_sensor", "build_multi_asset_sensor_context"),
    "build_op_context": ("headwater.execution.testing", "build_op_context"),
    "build_output_context": ("headwater.execution.testing", "build_output_context"),
    "build_resources": ("headwater.execution.resources", "build_resources"),
    "build_run_status_sensor_context": ("headwater.definitions.automation.run_status_sensor", "build_run_status_sensor_context"),
    "build_schedule_context": ("headwater.definitions.automation.schedule", "build_schedule_context"),
    "build_schedule_from_partitioned_job": ("headwater.definitions.automation.schedule", "build_schedule_from_partitioned_job"),
    "build_sensor_context": ("headwater.definitions.automation.sensor", "build_sensor_context"),
    "check_headwater_type": ("headwater.definitions.metadata.annotation", "check_headwater_type"),
    "config_from_files": ("headwater.definitions.config.run_config", "config_from_files"),
    "config_from_pkg_resources": ("headwater.definitions.config.run_config", "config_from_pkg_resources"),
    "config_from_yaml_strings": ("headwater.definitions.config.run_config", "config_from_yaml_strings"),
    "config_mapping": ("headwater.definitions.config.run_config", "config_mapping"),
    "configured": ("headwater.definitions.config.run_config", "configured"),
    "daily_partitioned_config": ("headwater.definitions.partitions.partitioned_config", "daily_partitioned_config"),
    "define_asset_job": ("headwater.definitions.assets.job", "define_asset_job"),
    "deserialize_value": ("headwater.definitions.serdes", "deserialize_value"),
    "dynamic_partitioned_config": ("headwater.definitions.partitions.partitioned_config", "dynamic_partitioned_config"),
    "event_list_hook": ("headwater.definitions.ops.hook", "event_list_hook"),
    "execute_job": ("headwater.execution.api", "execute_job"),
    "executor": ("headwater.definitions.config.executor", "executor"),
    "failure_hook": ("headwater.definitions.ops.hook", "failure_hook"),
    "fs_io_manager": ("headwater.definitions.config.fs_io_manager", "fs_io_manager"),
    "get_headwater_logger": ("headwater.execution.log", "get_headwater_logger"),
    "graph": ("headwater.definitions.ops.graph", "graph"),
    "graph_asset": ("headwater.definitions.assets.decorators", "graph_asset"),
    "graph_multi_asset": ("headwater.definitions.assets.decorators", "graph_multi_asset"),
    "headwater_type_loader": ("headwater.definitions.metadata.types", "headwater_type_loader"),
    "hourly_partitioned_config": ("headwater.definitions.partitions.partitioned_config", "hourly_partitioned_config"),
    "in_process_executor": ("headwater.definitions.config.executor", "in_process_executor"),
    "input_manager": ("headwater.definitions.config.io_manager", "input_manager"),
    "instance_for_test": ("headwater.storage.instance", "instance_for_test"),
    "io_manager": ("headwater.definitions.config.io_manager", "io_manager"),
    "job": ("headwater.definitions.ops.graph", "job"),
    "load_assets_from_current_module": ("headwater.definitions.module_loader", "load_assets_from_current_module"),
    "load_assets_from_modules": ("headwater.definitions.module_loader", "load_assets_from_modules"),
    "load_assets_from_package_module": ("headwater.definitions.module_loader", "load_assets_from_package_module"),
    "load_assets_from_package_name": ("headwater.definitions.module_loader", "load_assets_from_package_name"),
    "load_definitions_from_current_module": ("headwater.definitions.module_loader", "load_definitions_from_current_module"),
    "load_definitions_from_module": ("headwater.definitions.module_loader", "load_definitions_from_module"),
    "load_definitions_from_modules": ("headwater.definitions.module_loader", "load_definitions_from_modules"),
    "load_definitions_from_package_module": ("headwater.definitions.module_loader", "load_definitions_from_package_module"),
    "load_definitions_from_package_name": ("headwater.definitions.module_loader", "load_definitions_from_package_name"),
    "logger": ("headwater.definitions.config.logger", "logger"),
    "make_python_type_usable_as_headwater_type": ("headwater.definitions.metadata.types", "make_python_type_usable_as_headwater_type"),
    "materialize": ("headwater.execution.api", "materialize"),
    "materialize_to_memory": ("headwater.execution.api", "materialize_to_memory"),
    "observe": ("headwater.execution.api", "observe"),
    "mem_io_manager": ("headwater.definitions.config.io_manager", "mem_io_manager"),
    "monthly_partitioned_config": ("headwater.definitions.partitions.partitioned_config", "monthly_partitioned_config"),
    "multi_asset": ("headwater.definitions.assets.decorators", "multi_asset"),
    "multi_asset_sensor": ("headwater.definitions.automation.multi_asset_sensor", "multi_asset_sensor"),
    "multi_observable_source_asset": ("headwater.definitions.assets.decorators", "multi_observable_source_asset"),
    "multi_or_in_process_executor": ("headwater.definitions.config.executor", "multi_or_in_process_executor"),
    "multiple_process_executor_requirements": ("headwater.definitions.config.executor", "multiple_process_executor_requirements"),
    "multiprocess_executor": ("headwater.definitions.config.executor", "multiprocess_executor"),
    "observable_source_asset": ("headwater.definitions.assets.decorators", "observable_source_asset"),
    "op": ("headwater.definitions.ops.op", "op"),
    "partition_loading_context": ("headwater.definitions.partitions.base", "partition_loading_context"),
    "partitioned_config": ("headwater.definitions.partitions.partitioned_config", "partitioned_config"),
    "reconstructable": ("headwater.execution.reconstruct", "reconstructable"),
    "repository": ("headwater.definitions.module_loader", "repository"),
    "resource": ("headwater.definitions.config.resource", "resource"),
    "run_failure_sensor": ("headwater.definitions.automation.run_status_sensor", "run_failure_sensor"),
    "run_status_sensor": ("headwater.definitions.automation.run_status_sensor", "run_status_sensor"),
    "schedule": ("headwater.definitions.automation.schedule", "schedule"),
    "sensor": ("headwater.definitions.automation.sensor", "sensor"),
    "serialize_value": ("headwater.definitions.serdes", "serialize_value"),
    "static_partitioned_config": ("headwater.definitions.partitions.partitioned_config", "static_partitioned_config"),
    "success_hook": ("headwater.definitions.ops.hook", "success_hook"),
    "usable_as_headwater_type": ("headwater.definitions.metadata.types", "usable_as_headwater_type"),
    "validate_run_config": ("headwater.definitions.config.run_config", "validate_run_config"),
    "weekly_partitioned_config": ("headwater.definitions.partitions.partitioned_config", "weekly_partitioned_config"),
    "with_resources": ("headwater.definitions.assets.resources", "with_resources"),
    "CustomPathPickledObjectFilesystemIOManager": ("headwater.definitions.config.fs_io_manager", "CustomPathPickledObjectFilesystemIOManager"),
    "custom_path_fs_io_manager": ("headwater.definitions.config.fs_io_manager", "custom_path_fs_io_manager"),
    "colored_console_logger": ("headwater.definitions.config.logger", "colored_console_logger"),
    "default_loggers": ("headwater.definitions.config.logger", "default_loggers"),
    "json_console_logger": ("headwater.definitions.config.logger", "json_console_logger"),
    "make_values_resource": ("headwater.definitions.config.resource", "make_values_resource"),
    "TypeCheckContext": ("headwater.definitions.metadata.types", "TypeCheckContext"),
    "file_relative_path": ("headwater.definitions.module_loader", "file_relative_path"),
    "JobExecutionResult": ("headwater.execution.api", "JobExecutionResult"),
    "AnchorBasedFilePathMapping": ("headwater.definitions.assets.code_reference", "AnchorBasedFilePathMapping"),
    "FilePathMapping": ("headwater.definitions.assets.code_reference", "FilePathMapping"),
    "link_code_references_to_git": ("headwater.definitions.assets.code_reference", "link_code_references_to_git"),
    "with_source_code_references": ("headwater.definitions.assets.code_reference", "with_source_code_references"),
    "CodeReferencesMetadataValue": ("headwater.definitions.metadata.code_reference", "CodeReferencesMetadataValue"),
    "LocalFileCodeReference": ("headwater.definitions.metadata.code_reference", "LocalFileCodeReference"),
    "UrlCodeReference": ("headwater.definitions.metadata.code_reference", "UrlCodeReference"),
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> object:
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
