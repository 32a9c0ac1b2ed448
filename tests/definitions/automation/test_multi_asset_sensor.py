"""Multi-asset sensors: what a context reads as unconsumed, how advancing moves the cursor,
and the partition helpers."""

from __future__ import annotations

import json

import pytest

import headwater as hw

DAILY = hw.DailyPartitionsDefinition("2024-01-01")


@hw.asset(partitions_def=DAILY)
def daily():
    return 1


@hw.asset(partitions_def=DAILY)
def daily_copy(daily):
    return daily


@hw.asset
def plain():
    return 1


DEFS = hw.Definitions(assets=[daily, daily_copy, plain])


def _context(instance, keys, cursor=None):
    return hw.build_multi_asset_sensor_context(
        monitored_assets=keys, instance=instance, definitions=DEFS, cursor=cursor)


def test_consuming_a_partition_leaves_earlier_other_partitions_unconsumed():
    """Advancing past a partition's record keeps earlier records of other partitions
    unconsumed (trailing), and they stay visible until consumed."""
    with hw.instance_for_test() as instance:
        for key in ("2024-01-02", "2024-01-03"):
            hw.materialize([daily], partition_key=key, instance=instance)
        context = _context(instance, [daily.key])
        records = context.latest_materialization_records_by_partition(daily.key)
        assert list(records) == ["2024-01-02", "2024-01-03"]
        context.advance_cursor({daily.key: records["2024-01-03"]})
        assert context.get_cursor_partition(daily.key) == "2024-01-03"
        state = json.loads(context.cursor)[str(daily.key)]
        assert state[2] == {"2024-01-02": records["2024-01-02"].storage_id}
        assert list(context.latest_materialization_records_by_partition(daily.key)) == [
            "2024-01-02"]
        # a record after the cursor is new; after_cursor_partition drops earlier partitions
        hw.materialize([daily], partition_key="2024-01-01", instance=instance)
        assert context.latest_materialization_records_by_key()[daily.key].partition_key == \
            "2024-01-01"
        assert list(context.latest_materialization_records_by_partition(
            daily.key, after_cursor_partition=True)) == []
        context.advance_all_cursors()
        assert context.latest_materialization_records_by_partition(daily.key) == {}
        assert json.loads(context.cursor)[str(daily.key)][2] == {}


def test_an_unpartitioned_record_consumes_everything_before_it():
    """Advancing past an unpartitioned record consumes every earlier record."""
    with hw.instance_for_test() as instance:
        hw.materialize([plain], instance=instance)
        hw.materialize([plain], instance=instance)
        context = _context(instance, [plain.key])
        assert len(context.materialization_records_for_key(plain.key)) == 2
        context.advance_cursor(context.latest_materialization_records_by_key())
        assert context.materialization_records_for_key(plain.key) == []


def test_asset_sensor_cursor_is_read_as_a_storage_id():
    """A plain integer cursor (an @asset_sensor's) counts as consumed up to that id."""
    with hw.instance_for_test() as instance:
        hw.materialize([plain], instance=instance)
        first = _context(instance, [plain.key]).latest_materialization_records_by_key()
        storage_id = first[plain.key].storage_id
        context = _context(instance, [plain.key], cursor=str(storage_id))
        assert context.latest_materialization_records_by_key() == {plain.key: None}
        context.advance_all_cursors()
        assert json.loads(context.cursor) == {str(plain.key): [None, storage_id, {}]}


def test_partition_helpers():
    """Grouping by partition and asset, all_partitions_materialized and mapping a partition
    to the downstream asset's."""
    with hw.instance_for_test() as instance:
        hw.materialize([daily, daily_copy], partition_key="2024-01-05", instance=instance)
        context = _context(instance, [daily.key, daily_copy.key])
        grouped = context.latest_materialization_records_by_partition_and_asset()
        assert list(grouped) == ["2024-01-05"]
        assert set(grouped["2024-01-05"]) == {daily.key, daily_copy.key}
        assert context.all_partitions_materialized(daily.key, ["2024-01-05"]) is True
        assert context.all_partitions_materialized(daily.key) is False
        assert context.get_downstream_partition_keys(
            "2024-01-05", from_asset_key=daily.key, to_asset_key=daily_copy.key) == ["2024-01-05"]
        with pytest.raises(hw.HeadwaterInvalidInvocationError, match="does not depend"):
            context.get_downstream_partition_keys(
                "2024-01-05", from_asset_key=daily_copy.key, to_asset_key=daily.key)


def test_build_context_from_latest_materializations_needs_an_instance_and_no_cursor():
    """cursor_from_latest_materializations needs an instance and excludes cursor=."""
    with pytest.raises(hw.HeadwaterInvalidInvocationError, match="Headwater instance"):
        hw.build_multi_asset_sensor_context(
            monitored_assets=[plain.key], definitions=DEFS,
            cursor_from_latest_materializations=True)
    with pytest.raises(hw.HeadwaterInvalidInvocationError, match="cursor"):
        hw.build_multi_asset_sensor_context(
            monitored_assets=[plain.key], definitions=DEFS, cursor="{}",
            cursor_from_latest_materializations=True)


def test_tick_on_a_plain_sensor_context_keeps_the_moved_cursor():
    """Evaluated with a plain sensor context (as a daemon tick is), a multi-asset sensor's
    advanced cursor is the tick's cursor."""
    @hw.multi_asset_sensor(monitored_assets=[plain.key], job_name="some_job")
    def watch(context):
        records = context.latest_materialization_records_by_key()
        if records[plain.key] is None:
            return hw.SkipReason("nothing new")
        context.advance_all_cursors()
        return hw.RunRequest(run_key=str(records[plain.key].storage_id))

    with hw.instance_for_test() as instance:
        hw.materialize([plain], instance=instance)
        first = watch.evaluate_tick(hw.build_sensor_context(instance=instance, definitions=DEFS))
        assert len(first.run_requests) == 1 and first.cursor
        again = watch.evaluate_tick(hw.build_sensor_context(
            instance=instance, definitions=DEFS, cursor=first.cursor))
        assert again.run_requests == [] and again.skip_message == "nothing new"
