"""Partitioned runs: contexts, IO per partition, ranges, partitioned jobs, status."""

from datetime import datetime

import pytest

import headwater as hw
from headwater.storage.partition_status import partition_status

daily = hw.DailyPartitionsDefinition("2024-01-01", end_date="2024-02-01")


def test_context_partition_key_and_time_window():
    """An asset sees its key, its window and the run's partition tag."""
    seen = {}

    @hw.asset(partitions_def=daily)
    def sales(context):
        seen.update(key=context.partition_key, keys=context.partition_keys,
                    window=context.partition_time_window, has=context.has_partition_key,
                    tag=context.run.tags["headwater/partition"])
        return 1

    hw.materialize([sales], partition_key="2024-01-05")
    assert seen["key"] == "2024-01-05" and seen["keys"] == ["2024-01-05"] and seen["has"]
    assert seen["window"].start == datetime.fromisoformat("2024-01-05T00:00:00+00:00")
    assert seen["tag"] == "2024-01-05"


def test_unknown_partition_key_is_refused():
    """A key the definition does not have names the key and the valid range."""
    @hw.asset(partitions_def=daily)
    def sales():
        return 1

    with pytest.raises(hw.HeadwaterUnknownPartitionError, match="2023-01-01.*'2024-01-01'"):
        hw.materialize([sales], partition_key="2023-01-01")


def test_io_manager_stores_and_loads_per_partition():
    """In memory, each partition is its own value; a mapping loads the previous day's."""
    @hw.asset(partitions_def=daily)
    def raw(context):
        return context.partition_key

    @hw.asset(partitions_def=daily, ins={"raw": hw.AssetIn(
        partition_mapping=hw.TimeWindowPartitionMapping(start_offset=-1, end_offset=-1))})
    def shifted(context, raw):
        assert context.asset_partition_key_for_input("raw") == "2024-01-04"
        window = context.asset_partitions_time_window_for_input("raw")
        assert window.start.day == 4 and window.end.day == 5
        return raw

    io = hw.InMemoryIOManager() if hasattr(hw, "InMemoryIOManager") else None
    resources = {"io_manager": io} if io is not None else {}
    with hw.instance_for_test() as instance:
        hw.materialize([raw], partition_key="2024-01-04", instance=instance, resources=resources)
        result = hw.materialize([raw, shifted], partition_key="2024-01-05", instance=instance,
                                resources=resources)
    assert result.output_for_node("shifted") == "2024-01-04"


def test_range_of_upstream_partitions_loads_as_dict():
    """An unpartitioned asset reading a partitioned one gets {key: value}."""
    three = hw.StaticPartitionsDefinition(["a", "b", "c"])
    loaded = {}

    class Manager(hw.IOManager):
        def handle_output(self, context, obj):
            pass

        def load_input(self, context):
            loaded["keys"] = context.asset_partition_keys
            return {k: k.upper() for k in context.asset_partition_keys}

    @hw.asset(partitions_def=three)
    def parts():
        return 1

    @hw.asset
    def combined(parts):
        return "".join(parts[k] for k in sorted(parts))

    result = hw.materialize([parts.to_source_asset() if hasattr(parts, "to_source_asset") else parts,
                             combined], selection=[combined], resources={"io_manager": Manager()})
    assert loaded["keys"] == ["a", "b", "c"]
    assert result.output_for_node("combined") == "ABC"


def test_partition_range_run_materializes_every_key():
    """Range tags run one step over several partitions, one materialization each."""
    seen = {}

    @hw.asset(partitions_def=daily)
    def sales(context):
        seen["keys"] = context.partition_keys
        seen["range"] = context.partition_key_range
        seen["window"] = context.partition_time_window
        return {k: k for k in context.partition_keys}

    result = hw.materialize([sales], tags={
        "headwater/asset_partition_range_start": "2024-01-02",
        "headwater/asset_partition_range_end": "2024-01-04"})
    assert seen["keys"] == ["2024-01-02", "2024-01-03", "2024-01-04"]
    assert seen["range"] == hw.PartitionKeyRange("2024-01-02", "2024-01-04")
    assert seen["window"].end.day == 5
    mats = [e.partition for e in result.all_events
            if e.event_type_value == "ASSET_MATERIALIZATION"]
    assert mats == ["2024-01-02", "2024-01-03", "2024-01-04"]


def test_add_asset_metadata_for_one_partition_of_a_range():
    """add_asset_metadata(partition_key=) goes to that partition's materialization only; a key
    outside the run's partitions is refused, naming the ones it has."""
    @hw.asset(partitions_def=daily)
    def sales(context: hw.AssetExecutionContext) -> int:
        context.add_asset_metadata({"rows": 1})
        context.add_asset_metadata({"late": True}, partition_key="2024-01-03")
        return 0

    result = hw.materialize([sales], tags={
        "headwater/asset_partition_range_start": "2024-01-02",
        "headwater/asset_partition_range_end": "2024-01-04"})
    metadata = {e.partition: e.materialization.metadata for e in result.all_events
                if e.event_type_value == "ASSET_MATERIALIZATION"}
    assert {p: ("rows" in m, "late" in m) for p, m in metadata.items()} == {
        "2024-01-02": (True, False), "2024-01-03": (True, True), "2024-01-04": (True, False)}
    assert metadata["2024-01-03"]["late"].value is True

    @hw.asset(partitions_def=daily)
    def wrong(context: hw.AssetExecutionContext) -> int:
        context.add_asset_metadata({"late": True}, partition_key="2023-12-31")
        return 0

    failed = hw.materialize([wrong], partition_key="2024-01-02", raise_on_error=False)
    [failure] = [e for e in failed.all_events if e.event_type_value == "STEP_FAILURE"]
    assert ("add_asset_metadata(partition_key='2023-12-31') for asset 'wrong': this step "
            "materializes partitions ['2024-01-02']") in failure.message + str(
                failure.step_failure_data.error)


def test_multi_partition_run():
    """A multi-partitioned asset gets a MultiPartitionKey and per-dimension tags."""
    multi = hw.MultiPartitionsDefinition({
        "date": daily, "region": hw.StaticPartitionsDefinition(["eu", "us"])})
    seen = {}

    @hw.asset(partitions_def=multi)
    def sales(context):
        seen["dims"] = context.multi_partition_key.keys_by_dimension
        seen["tags"] = dict(context.run.tags)
        return 1

    hw.materialize([sales], partition_key="2024-01-03|us")
    assert seen["dims"] == {"date": "2024-01-03", "region": "us"}
    assert seen["tags"]["headwater/partition/region"] == "us"


def test_daily_partitioned_config_job():
    """A partitioned job resolves its run config from the partition's window."""
    @hw.op(config_schema={"date": str})
    def load(context):
        return context.op_config["date"]

    @hw.daily_partitioned_config(start_date="2024-01-01")
    def config(start, _end):
        return {"ops": {"load": {"config": {"date": start.strftime("%Y-%m-%d")}}}}

    @hw.job(config=config)
    def load_job():
        load()

    result = load_job.execute_in_process(partition_key="2024-01-07")
    assert result.output_for_node("load") == "2024-01-07"
    assert result.headwater_run.tags["headwater/partition"] == "2024-01-07"
    assert load_job.partitions_def == config.partitions_def


def test_static_partitioned_config_tags_and_unknown_key():
    """static_partitioned_config adds tags per key and refuses unknown keys."""
    @hw.op
    def noop():
        return None

    @hw.static_partitioned_config(["x", "y"], tags_for_partition_key_fn=lambda k: {"k": k})
    def config(key):
        return {}

    @hw.job(config=config)
    def static_job():
        noop()

    assert static_job.execute_in_process(partition_key="y").headwater_run.tags["k"] == "y"
    with pytest.raises(hw.HeadwaterUnknownPartitionError, match="Could not find a partition"):
        static_job.execute_in_process(partition_key="z")


def test_dynamic_partitions_run_from_the_instance():
    """A dynamic partition added through the instance can be materialized."""
    customers = hw.DynamicPartitionsDefinition(name="customers")

    @hw.asset(partitions_def=customers)
    def invoice(context):
        return context.partition_key

    with hw.instance_for_test() as instance:
        instance.add_dynamic_partitions("customers", ["acme"])
        result = hw.materialize([invoice], partition_key="acme", instance=instance)
        assert result.success
        with pytest.raises(hw.HeadwaterUnknownPartitionError, match="initech"):
            hw.materialize([invoice], partition_key="initech", instance=instance)


def test_partition_status_splits_keys_by_latest_attempt():
    """partition_status: materialized, failed and missing partitions of an asset."""
    small = hw.StaticPartitionsDefinition(["a", "b", "c"])

    @hw.asset(partitions_def=small)
    def flaky(context):
        if context.partition_key == "b":
            raise ValueError("boom")
        return 1

    with hw.instance_for_test() as instance:
        hw.materialize([flaky], partition_key="a", instance=instance)
        hw.materialize([flaky], partition_key="b", instance=instance, raise_on_error=False)
        status = partition_status(instance, flaky)
    assert status.materialized == {"a"} and status.missing == {"c"}
    assert status.failed == {"b"} and status.in_progress == set()


def test_unpartitioned_asset_in_a_partitioned_run_records_no_partition():
    """A partitioned run that also materializes an unpartitioned asset records that asset's
    materialization without a partition: the asset has none, and its partition status must not
    grow a phantom one (issue 16)."""
    @hw.asset(partitions_def=daily)
    def sales():
        return 1

    @hw.asset
    def summary(context):
        context.log_event(hw.AssetObservation("summary", metadata={"n": 1}))
        return 2

    instance = hw.HeadwaterInstance.ephemeral()
    result = hw.materialize([sales, summary], partition_key="2024-01-05", instance=instance)
    by_key = {m.asset_key.to_user_string(): m.partition for m in result.asset_materializations_for_node("sales")
              + result.asset_materializations_for_node("summary")}
    assert by_key == {"sales": "2024-01-05", "summary": None}
    record = instance.get_latest_materialization_event(hw.AssetKey("summary"))
    assert record.asset_materialization.partition is None
    observations = instance.fetch_observations(hw.AssetKey("summary"), limit=5).records
    assert [o.asset_observation.partition for o in observations] == [None]
    assert instance.get_materialized_partitions(hw.AssetKey("summary")) == set()


def test_unpartitioned_asset_in_a_partitioned_run_is_stored_whole(tmp_path):
    """The filesystem IO manager stores an unpartitioned asset of a partitioned run at the
    asset's own path, where an unpartitioned run later reads it (not under a partition folder)."""
    @hw.asset(partitions_def=daily)
    def sales():
        return 1

    @hw.asset
    def summary():
        return 2

    @hw.asset(partitions_def=daily)
    def per_day(summary, sales):
        return summary + sales

    @hw.asset
    def report(summary):
        return summary * 10

    assets = [sales, summary, per_day, report]
    with hw.instance_for_test(temp_dir=str(tmp_path)) as instance:
        hw.materialize(assets, selection=[sales, summary], partition_key="2024-01-05", instance=instance)
        assert hw.materialize(assets, selection=[report], instance=instance).output_for_node("report") == 20
        result = hw.materialize(assets, selection=[per_day], partition_key="2024-01-05", instance=instance)
        assert result.output_for_node("per_day") == 3
    assert (tmp_path / "storage" / "summary").is_file()
