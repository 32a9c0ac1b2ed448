"""Definitions.load_asset_value and multi-partition loads through the filesystem IO manager."""

from __future__ import annotations

import pytest

import headwater as hw


def test_load_asset_value_reads_what_a_persistent_run_stored():
    """After materializing on a persistent instance, the value loads back outside any run."""

    @hw.asset
    def numbers():
        return [1, 2, 3]

    daily = hw.StaticPartitionsDefinition(["a", "b"])

    @hw.asset(partitions_def=daily)
    def lettered(context):
        return context.partition_key * 2

    defs = hw.Definitions(assets=[numbers, lettered])
    with hw.instance_for_test() as instance:
        hw.materialize([numbers], instance=instance)
        hw.materialize([lettered], instance=instance, partition_key="b")
        assert defs.load_asset_value("numbers", instance=instance) == [1, 2, 3]
        assert defs.load_asset_value("lettered", instance=instance, partition_key="b") == "bb"
    with pytest.raises(hw.HeadwaterInvalidInvocationError, match="persistent instance"):
        defs.load_asset_value("numbers")


def test_filesystem_io_manager_loads_many_upstream_partitions_as_a_dict():
    """A monthly asset reading a daily one gets {day: value} from the files of each day."""
    daily = hw.DailyPartitionsDefinition(start_date="2024-01-01", end_date="2024-02-01")
    monthly = hw.MonthlyPartitionsDefinition(start_date="2024-01-01", end_date="2024-02-01")

    @hw.asset(partitions_def=daily)
    def daily_sales(context):
        return int(context.partition_key[-2:])

    @hw.asset(partitions_def=monthly)
    def monthly_sales(daily_sales):
        assert len(daily_sales) == 31
        return sum(daily_sales.values())

    with hw.instance_for_test() as instance:
        for day in daily.get_partition_keys():
            hw.materialize([daily_sales], partition_key=day, instance=instance)
        result = hw.materialize([daily_sales, monthly_sales], selection=[monthly_sales],
                                partition_key="2024-01-01", instance=instance)
        assert result.asset_value("monthly_sales") == sum(range(1, 32))


def test_load_asset_value_hands_python_type_to_the_io_manager():
    """python_type= reaches the IO manager as the input's type, as a downstream input's would."""
    seen = []

    class Recording(hw.IOManager):
        def handle_output(self, context, obj):
            pass

        def load_input(self, context):
            seen.append(context.headwater_type)
            return 7

    @hw.asset(io_manager_key="rec")
    def seven():
        return 7

    defs = hw.Definitions(assets=[seven], resources={"rec": Recording()})
    assert defs.load_asset_value("seven", python_type=int) == 7
    assert defs.load_asset_value("seven") == 7
    assert seen[0] is not None and seen[0].display_name == "Int"
    assert seen[1] is None


def test_context_load_asset_value_reads_through_the_io_manager(tmp_path):
    @hw.asset(io_manager_key="files")
    def numbers():
        return [1, 2, 3]

    @hw.asset(io_manager_key="files", deps=[numbers])
    def total(context):
        with pytest.raises(KeyError, match="'nowhere' is not in the asset graph"):
            context.load_asset_value(hw.AssetKey("nowhere"))
        return sum(context.load_asset_value(numbers.key))

    defs = hw.Definitions(assets=[numbers, total],
                          resources={"files": hw.FilesystemIOManager(base_dir=str(tmp_path))})
    result = defs.get_implicit_global_asset_job_def().execute_in_process()
    assert result.output_for_node("total") == 6
