"""headwater: a data-aware orchestrator for Python.

The public API, with Dagster's names under the rename dagster -> headwater. Nothing
heavy is imported here: storage, the server and integrations load on first use.
"""

from headwater import execution as _execution  # noqa: F401  (registers the engine)
from headwater.definitions.asset import (
    AssetDep,
    AssetIn,
    AssetOut,
    AssetsDefinition,
    AssetSpec,
    SourceAsset,
    asset,
    graph_asset,
    graph_multi_asset,
    multi_asset,
    multi_observable_source_asset,
    observable_source_asset,
    with_resources,
)
from headwater.definitions.asset_job import define_asset_job
from headwater.definitions.composition import OutputHandle as InvokedNodeOutputHandle
from headwater.definitions.config import (
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
from headwater.definitions.executor import (
    ExecutorDefinition,
    ExecutorRequirement,
    InitExecutorContext,
    executor,
    in_process_executor,
    multi_or_in_process_executor,
    multiple_process_executor_requirements,
    multiprocess_executor,
)
from headwater.definitions.fs_io_manager import PickledObjectFilesystemIOManager, fs_io_manager
from headwater.definitions.graph import (
    DependencyDefinition,
    GraphDefinition,
    GraphIn,
    GraphOut,
    InputMapping,
    MultiDependencyDefinition,
    NodeInvocation,
    OutputMapping,
    graph,
)
from headwater.definitions.hook import (
    HookDefinition,
    HookExecutionResult,
    event_list_hook,
    failure_hook,
    success_hook,
)
from headwater.definitions.io_manager import (
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
from headwater.definitions.job import JobDefinition, job
from headwater.definitions.key import AssetKey
from headwater.definitions.logger import (
    InitLoggerContext,
    LoggerDefinition,
    build_init_logger_context,
    logger,
)
from headwater.definitions.metadata import (
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
    TableColumn,
    TableColumnConstraints,
    TableColumnDep,
    TableColumnLineage,
    TableColumnLineageMetadataValue,
    TableConstraints,
    TableMetadataValue,
    TableRecord,
    TableSchema,
    TableSchemaMetadataValue,
    TextMetadataValue,
    TimestampMetadataValue,
    UrlMetadataValue,
)
from headwater.definitions.module_loader import (
    load_assets_from_current_module,
    load_assets_from_modules,
    load_assets_from_package_module,
    load_assets_from_package_name,
    load_definitions_from_current_module,
    load_definitions_from_module,
    load_definitions_from_modules,
    load_definitions_from_package_module,
    load_definitions_from_package_name,
)
from headwater.definitions.multi_asset_sensor import (
    MultiAssetSensorDefinition,
    MultiAssetSensorEvaluationContext,
    build_multi_asset_sensor_context,
    multi_asset_sensor,
)
from headwater.definitions.multi_partitions import (
    MultiPartitionKey,
    MultiPartitionsDefinition,
    PartitionDimensionDefinition,
)
from headwater.definitions.op import (
    DynamicOut,
    In,
    InputDefinition,
    OpDefinition,
    Out,
    OutputDefinition,
    op,
)
from headwater.definitions.output import (
    AssetMaterialization,
    AssetObservation,
    DataVersion,
    DynamicOutput,
    ExpectationResult,
    MaterializeResult,
    ObserveResult,
    Output,
)
from headwater.definitions.partition_mapping import (
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
from headwater.definitions.partitioned_config import (
    PartitionedConfig,
    daily_partitioned_config,
    dynamic_partitioned_config,
    hourly_partitioned_config,
    monthly_partitioned_config,
    partitioned_config,
    static_partitioned_config,
    weekly_partitioned_config,
)
from headwater.definitions.partitions import (
    AddDynamicPartitionsRequest,
    DeleteDynamicPartitionsRequest,
    DynamicPartitionsDefinition,
    PartitionKeyRange,
    PartitionsDefinition,
    StaticPartitionsDefinition,
    partition_loading_context,
)
from headwater.definitions.policy import Backoff, Jitter, RetryPolicy
from headwater.definitions.repository import repository
from headwater.definitions.resource import ResourceDefinition, ResourceParam, resource
from headwater.definitions.run_config import (
    ConfigMapping,
    RunConfig,
    config_from_files,
    config_from_pkg_resources,
    config_from_yaml_strings,
    config_mapping,
    configured,
    validate_run_config,
)
from headwater.definitions.run_request import (
    RunRequest,
    SensorResult,
    SkipReason,
)
from headwater.definitions.run_status_sensor import (
    RunFailureSensorContext,
    RunStatusSensorContext,
    RunStatusSensorDefinition,
    build_run_status_sensor_context,
    run_failure_sensor,
    run_status_sensor,
)
from headwater.definitions.schedule import (
    DefaultScheduleStatus,
    ScheduleDefinition,
    ScheduleEvaluationContext,
    build_schedule_context,
    build_schedule_from_partitioned_job,
    schedule,
)
from headwater.definitions.selection import AssetSelection
from headwater.definitions.sensor import (
    AssetSensorDefinition,
    DefaultSensorStatus,
    SensorDefinition,
    SensorEvaluationContext,
    asset_sensor,
    build_sensor_context,
    sensor,
)
from headwater.definitions.serdes import deserialize_value, serialize_value
from headwater.definitions.time_window_partitions import (
    DailyPartitionsDefinition,
    HourlyPartitionsDefinition,
    MonthlyPartitionsDefinition,
    TimeWindow,
    TimeWindowPartitionsDefinition,
    WeeklyPartitionsDefinition,
)
from headwater.definitions.types import (
    Any,
    Bool,
    Dict,
    Float,
    HeadwaterType,
    HeadwaterTypeLoader,
    Int,
    List,
    Nothing,
    Optional,
    PythonObjectHeadwaterType,
    Set,
    String,
    Tuple,
    TypeCheck,
    check_headwater_type,
    headwater_type_loader,
    make_python_type_usable_as_headwater_type,
    usable_as_headwater_type,
)
from headwater.errors import (
    DefinitionError,
    Failure,
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
    execute_job,
    materialize,
    materialize_to_memory,
)
from headwater.execution.context import (
    AssetExecutionContext,
    InitResourceContext,
    InputContext,
    OpExecutionContext,
    OutputContext,
    build_asset_context,
    build_init_resource_context,
    build_input_context,
    build_op_context,
    build_output_context,
)
from headwater.execution.event import HeadwaterEvent, HeadwaterEventType
from headwater.execution.executor import Executor, InProcessExecutor, StepReport, StepTask
from headwater.execution.hooks import HookContext, build_hook_context
from headwater.execution.log import get_headwater_logger
from headwater.execution.reconstruct import ReconstructableJob, reconstructable
from headwater.execution.reexecution import ReexecutionOptions
from headwater.execution.resources import build_resources
from headwater.execution.result import ExecuteInProcessResult
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

__version__ = "0.1.0"

# Pythonic config and resources load pydantic, so they are imported on first use.
_LAZY = {
    "Config": "headwater.definitions.config_class",
    "PermissiveConfig": "headwater.definitions.config_class",
    "FilesystemIOManager": "headwater.definitions.filesystem_io_manager",
    "EnvVar": "headwater.definitions.config_class",
    "ConfigurableResource": "headwater.definitions.configurable",
    "ConfigurableResourceFactory": "headwater.definitions.configurable",
    "ConfigurableIOManager": "headwater.definitions.configurable",
    "ConfigurableIOManagerFactory": "headwater.definitions.configurable",
    "ConfigurableLegacyIOManagerAdapter": "headwater.definitions.configurable",
    "ResourceDependency": "headwater.definitions.configurable",
    "PartialResource": "headwater.definitions.configurable",
}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'headwater' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
