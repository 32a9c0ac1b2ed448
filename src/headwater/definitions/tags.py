"""Every `headwater/...` tag and reserved metadata key, declared once.

Tags are the one place where headwater's own bookkeeping meets user-visible strings: they are
written on runs, materializations and assets, read back by the daemon, the UI and user code
(`context.run.tags["headwater/partition"]`), and must match Dagster's keys after the rename.
Keeping them here means a typo is an import error rather than a tag nobody reads.

Imports nothing.
"""

#: Prefix of every tag headwater itself writes; user tags must not start with it.
SYSTEM_TAG_PREFIX = "headwater/"

#: The largest tag key or value, in bytes of UTF-8: tags travel with every run and every run
#: list, so one huge value would make every page of runs huge.
MAX_TAG_BYTES = 4096


def oversized_tag(tags: dict[str, str]) -> str | None:
    """What is wrong with the first tag whose key or value is over MAX_TAG_BYTES, naming it
    (None when every tag fits)."""
    for key, value in tags.items():
        for part, text in (("key", key), ("value", value)):
            size = len(str(text).encode("utf-8", "surrogatepass"))
            if size > MAX_TAG_BYTES:
                shown = key if len(key) <= 60 else key[:60] + "..."
                return (f"Tag {shown!r} has a {part} of {size} bytes, over the limit of "
                        f"{MAX_TAG_BYTES}: keep tags short (labels, ids) and put large "
                        "values in run config or asset metadata.")
    return None

# Runs: partitions and ranges
PARTITION_TAG = "headwater/partition"
#: `headwater/partition/<dimension>`: one tag per dimension of a multi-partition key.
MULTIDIMENSIONAL_PARTITION_PREFIX = "headwater/partition/"
RANGE_START_TAG = "headwater/asset_partition_range_start"
RANGE_END_TAG = "headwater/asset_partition_range_end"

# Runs: who launched them
RUN_KEY_TAG = "headwater/run_key"
SENSOR_NAME_TAG = "headwater/sensor_name"
SCHEDULE_NAME_TAG = "headwater/schedule_name"
TICK_ID_TAG = "headwater/tick"
BACKFILL_ID_TAG = "headwater/backfill"
PRIORITY_TAG = "headwater/priority"

# Runs: re-execution lineage
PARENT_RUN_ID_TAG = "headwater/parent_run_id"
ROOT_RUN_ID_TAG = "headwater/root_run_id"
RESUME_RETRY_TAG = "headwater/is_resume_retry"
STEP_SELECTION_TAG = "headwater/step_selection"

# Assets and materializations
COMPUTE_KIND_TAG = "headwater/compute_kind"
#: `headwater/kind/<kind>`: the asset's kinds, as tags with an empty value.
KIND_PREFIX = "headwater/kind/"
CODE_VERSION_TAG = "headwater/code_version"
DATA_VERSION_TAG = "headwater/data_version"
#: "true" when the data version was given by user code (Output/MaterializeResult/ObserveResult).
DATA_VERSION_IS_USER_PROVIDED_TAG = "headwater/data_version_is_user_provided"
#: `headwater/input_data_version/<asset key>`: a parent's data version when this was computed.
INPUT_DATA_VERSION_PREFIX = "headwater/input_data_version/"
#: `headwater/input_event_pointer/<asset key>`: the storage id of that parent's event.
INPUT_EVENT_POINTER_PREFIX = "headwater/input_event_pointer/"
#: Run tag: "true" skips each step whose inputs and code version did not change.
SKIP_UNCHANGED_TAG = "headwater/skip_unchanged"
#: Asset metadata: True skips the asset's step when unchanged, in every run.
SKIP_UNCHANGED_METADATA = "headwater/skip_unchanged"
#: Asset metadata: True makes the asset's data version a hash of its stored content.
CONTENT_HASH_METADATA = "headwater/content_hash"
# a run requested by declarative automation (the automation sensor)
AUTOMATION_CONDITION_TAG = "headwater/automation_condition"
#: AssetDep metadata: True says the dep is an asset defined outside headwater on purpose (a
#: dbt source, say), so a key that resembles a defined one is not reported as a typo.
EXTERNAL_DEP_METADATA = "headwater/external_dep"
#: Metadata key set by `AssetSpec.with_io_manager_key`.
IO_MANAGER_KEY_METADATA = "headwater/io_manager_key"
#: The columns of a table asset: a TableSchema, compared by the column schema change checks.
COLUMN_SCHEMA_METADATA = "headwater/column_schema"
#: Table metadata, as Dagster's TableMetadataSet records it: rows of the whole table, rows of
#: the partition just written, and the table's fully qualified name (under both keys).
ROW_COUNT_METADATA = "headwater/row_count"
PARTITION_ROW_COUNT_METADATA = "headwater/partition_row_count"
RELATION_IDENTIFIER_METADATA = "headwater/relation_identifier"
TABLE_NAME_METADATA = "headwater/table_name"

# Freshness: the metadata of freshness check evaluations (and of their specs, for the params)
FRESHNESS_PARAMS_METADATA = "headwater/freshness_params"
LAST_UPDATED_TIMESTAMP_METADATA = "headwater/last_updated_timestamp"
FRESH_UNTIL_METADATA = "headwater/fresh_until_timestamp"
OVERDUE_DEADLINE_METADATA = "headwater/overdue_deadline_timestamp"
OVERDUE_SECONDS_METADATA = "headwater/overdue_seconds"
LATEST_CRON_TICK_METADATA = "headwater/latest_cron_tick_timestamp"
EXPECTED_PARTITION_METADATA = "headwater/expected_partition"
FRESHNESS_STATE_METADATA = "headwater/freshness_state"

# Runs: the launcher's own bookkeeping. The leading dot hides them from users (the CLI drops
# them when it prints a run); the run monitor reads the worker's pid and host back.
#: A run tag: the most seconds the run may take; run monitoring cancels it past that.
MAX_RUNTIME_SECONDS_TAG = "headwater/max_runtime"
HIDDEN_TAG_PREFIX = ".headwater/"
RUN_ORIGIN_TAG = ".headwater/origin"
RUN_WORKER_PID_TAG = ".headwater/run_worker_pid"
RUN_WORKER_HOST_TAG = ".headwater/run_worker_host"
#: The run launcher (module.Class) that started the run's worker; cancel and run monitoring
#: ask that launcher about the run (a run executed in its caller's process has none).
RUN_LAUNCHER_TAG = ".headwater/run_launcher"
#: The asset checks a run launched from a RunRequest(asset_check_keys=...) evaluates: a JSON
#: list of AssetCheckKey db strings, read by the run worker to narrow the job to them.
RUN_CHECK_SELECTION_TAG = ".headwater/asset_check_selection"
