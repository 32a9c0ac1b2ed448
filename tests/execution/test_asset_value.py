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
    assert seen[1].is_any  # like an input without annotation


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


def test_asset_value_loader_builds_resources_once_and_tears_them_down_on_exit():
    """Resources a loader needs are built on the first load, shared, and closed with the block."""
    events: list[str] = []

    @hw.resource
    def shared():
        events.append("shared up")
        yield "s"
        events.append("shared down")

    class Echo(hw.IOManager):
        def handle_output(self, context, obj):
            pass

        def load_input(self, context):
            return f"{context.asset_key.path[-1]}:{context.resources.shared}"

    @hw.io_manager(required_resource_keys={"shared"})
    def echo():
        return Echo()

    @hw.asset(io_manager_key="one")
    def a():
        return 1

    @hw.asset(io_manager_key="two")
    def b():
        return 2

    defs = hw.Definitions(assets=[a, b], resources={"one": echo, "two": echo, "shared": shared})
    with defs.get_asset_value_loader() as loader:
        assert events == []
        assert loader.load_asset_value("a") == "a:s"
        assert loader.load_asset_value(hw.AssetKey("b")) == "b:s"
        assert events == ["shared up"]
    assert events == ["shared up", "shared down"]


def test_asset_value_loader_passes_partition_resource_config_and_metadata():
    """partition_key, resource_config and input metadata reach the IO manager's load_input."""
    seen = {}

    class Recording(hw.IOManager):
        def __init__(self, prefix):
            self.prefix = prefix

        def handle_output(self, context, obj):
            pass

        def load_input(self, context):
            seen.update(keys=context.asset_partition_keys, meta=context.definition_metadata,
                        config=context.resource_config,
                        upstream_meta=context.upstream_output.definition_metadata)
            return self.prefix + context.partition_key

    @hw.io_manager(config_schema={"prefix": str})
    def recording(init_context):
        return Recording(init_context.resource_config["prefix"])

    @hw.asset(partitions_def=hw.StaticPartitionsDefinition(["x", "y"]), metadata={"owner": "me"})
    def parted():
        return 1

    defs = hw.Definitions(assets=[parted], resources={"io_manager": recording})
    with defs.get_asset_value_loader() as loader:
        value = loader.load_asset_value(
            "parted", partition_key="y", input_definition_metadata={"why": "test"},
            resource_config={"io_manager": {"config": {"prefix": "p-"}}})
    assert value == "p-y"
    assert seen == {"keys": ["y"], "meta": {"why": "test"}, "config": {"prefix": "p-"},
                    "upstream_meta": {"owner": "me"}}


def test_repository_loads_asset_values_and_configured_io_manager_shows_its_config():
    """A @repository loads values too; a configured IO manager's context has its fixed config."""

    class FromConfig(hw.IOManager):
        def handle_output(self, context, obj):
            pass

        def load_input(self, context):
            return context.resource_config["value"]

    @hw.io_manager(config_schema={"value": int})
    def from_config():
        return FromConfig()

    @hw.asset(io_manager_key="cfg")
    def thing():
        return 0

    @hw.repository
    def repo():
        return hw.with_resources([thing], {"cfg": from_config.configured({"value": 9})})

    assert repo.load_asset_value("thing") == 9
    with repo.get_asset_value_loader() as loader:
        assert loader.load_asset_value("thing") == 9
