"""Partition mappings: which upstream partitions each downstream partition reads."""

import pytest

import headwater as hw

daily = hw.DailyPartitionsDefinition("2024-01-01", end_date="2024-03-01")
weekly = hw.WeeklyPartitionsDefinition("2024-01-01", end_date="2024-03-01")
hourly = hw.HourlyPartitionsDefinition("2024-01-01-00:00", end_date="2024-01-03-00:00")
static = hw.StaticPartitionsDefinition(["a", "b", "c"])


def upstream(mapping, down_def, keys, up_def):
    result = mapping.get_upstream_mapped_partitions_result_for_partitions(
        down_def.empty_subset().with_partition_keys(keys), down_def, up_def)
    return sorted(result.partitions_subset.get_partition_keys()), \
        result.required_but_nonexistent_partition_keys


def downstream(mapping, up_def, keys, down_def):
    return sorted(mapping.get_downstream_partitions_for_partitions(
        up_def.empty_subset().with_partition_keys(keys), up_def, down_def).get_partition_keys())


def test_identity():
    """Same key upstream; keys the upstream lacks are reported as nonexistent."""
    other = hw.StaticPartitionsDefinition(["a", "b"])
    assert upstream(hw.IdentityPartitionMapping(), static, ["a", "c"], other) == (["a"], ["c"])
    assert downstream(hw.IdentityPartitionMapping(), other, ["b"], static) == ["b"]


def test_time_window_previous_day_and_first_day_missing():
    """(-1, -1) reads yesterday; the day before the first partition does not exist."""
    mapping = hw.TimeWindowPartitionMapping(start_offset=-1, end_offset=-1)
    assert upstream(mapping, daily, ["2024-01-05"], daily) == (["2024-01-04"], [])
    assert upstream(mapping, daily, ["2024-01-01"], daily) == ([], ["2023-12-31"])
    assert downstream(mapping, daily, ["2024-01-04"], daily) == ["2024-01-05"]
    allowed = hw.TimeWindowPartitionMapping(-1, -1, allow_nonexistent_upstream_partitions=True)
    assert upstream(allowed, daily, ["2024-01-01"], daily) == ([], [])


def test_time_window_across_granularities():
    """A week reads its 7 days; a day reads its week; a day reads its 24 hours."""
    mapping = hw.TimeWindowPartitionMapping()
    days, _ = upstream(mapping, weekly, ["2024-01-07"], daily)
    assert days == [f"2024-01-{d:02d}" for d in range(7, 14)]
    assert upstream(mapping, daily, ["2024-01-10"], weekly) == (["2024-01-07"], [])
    assert downstream(mapping, daily, ["2024-01-10"], weekly) == ["2024-01-07"]
    hours, _ = upstream(mapping, daily, ["2024-01-02"], hourly)
    assert len(hours) == 24 and hours[0] == "2024-01-02-00:00"


def test_time_window_range_with_offsets():
    """(-2, 0): a day reads itself and the two days before."""
    mapping = hw.TimeWindowPartitionMapping(start_offset=-2, end_offset=0)
    assert upstream(mapping, daily, ["2024-01-10"], daily)[0] == [
        "2024-01-08", "2024-01-09", "2024-01-10"]
    with pytest.raises(hw.HeadwaterInvalidDefinitionError, match="end_offset"):
        hw.TimeWindowPartitionMapping(start_offset=0, end_offset=-1)


def test_all_last_and_specific():
    """All, last and specific mappings ignore the downstream key."""
    assert upstream(hw.AllPartitionMapping(), daily, ["2024-01-02"], static)[0] == ["a", "b", "c"]
    assert upstream(hw.LastPartitionMapping(), daily, ["2024-01-02"], static)[0] == ["c"]
    assert upstream(hw.SpecificPartitionsPartitionMapping(["b"]), daily, ["2024-01-02"],
                    static)[0] == ["b"]
    assert downstream(hw.LastPartitionMapping(), static, ["a"], static) == []
    assert len(downstream(hw.AllPartitionMapping(), static, ["a"], weekly)) == len(
        weekly.get_partition_keys())


def test_static_mapping_and_unknown_keys():
    """An explicit key map works both ways; keys outside either definition raise."""
    up = hw.StaticPartitionsDefinition(["p1", "p2", "q"])
    down = hw.StaticPartitionsDefinition(["p", "q"])
    mapping = hw.StaticPartitionMapping({"p1": "p", "p2": "p", "q": "q"})
    assert upstream(mapping, down, ["p"], up)[0] == ["p1", "p2"]
    assert downstream(mapping, up, ["p2"], down) == ["p"]
    with pytest.raises(ValueError, match="OTHER"):
        hw.StaticPartitionMapping({"OTHER": "p"}).validate_partition_mapping(up, down)


def test_multi_to_single_dimension():
    """A daily asset downstream of date x region reads every region of its day."""
    multi = hw.MultiPartitionsDefinition({"date": daily, "region": static})
    mapping = hw.MultiToSingleDimensionPartitionMapping()
    assert upstream(mapping, daily, ["2024-01-02"], multi)[0] == [
        "2024-01-02|a", "2024-01-02|b", "2024-01-02|c"]
    assert downstream(mapping, multi, ["2024-01-02|b"], daily) == ["2024-01-02"]


def test_multi_partition_mapping_per_dimension():
    """Each upstream dimension follows a downstream dimension through its own mapping."""
    multi = hw.MultiPartitionsDefinition({"date": daily, "region": static})
    mapping = hw.MultiPartitionMapping({
        "date": hw.DimensionPartitionMapping("date", hw.TimeWindowPartitionMapping(-1, -1)),
        "region": hw.DimensionPartitionMapping("region", hw.IdentityPartitionMapping())})
    assert upstream(mapping, multi, ["2024-01-05|b"], multi)[0] == ["2024-01-04|b"]
    assert "Upstream dimension 'date' mapped to downstream dimension 'date'" in mapping.description


class EvenOddMapping(hw.PartitionMapping):
    """A user-defined mapping written with the simple per-key hook."""

    def upstream_partition_keys(self, downstream_partition_key, upstream_partitions_def,
                                downstream_partitions_def):
        parity = int(downstream_partition_key) % 2
        return [k for k in upstream_partitions_def.get_partition_keys() if int(k) % 2 == parity]


def test_user_defined_mapping_with_the_per_key_hook():
    """Subclassing PartitionMapping with upstream_partition_keys gives both directions."""
    nums = hw.StaticPartitionsDefinition([str(i) for i in range(6)])
    parity = hw.StaticPartitionsDefinition(["0", "1"])
    assert upstream(EvenOddMapping(), parity, ["1"], nums)[0] == ["1", "3", "5"]
    assert downstream(EvenOddMapping(), nums, ["4"], parity) == ["0"]


def test_definitions_report_mismatched_partitions_without_mapping():
    """A daily asset reading a static one without a mapping is a definitions problem."""
    @hw.asset(partitions_def=static)
    def regions():
        return 1

    @hw.asset(partitions_def=daily)
    def sales(regions):
        return 1

    with pytest.raises(hw.DefinitionError, match="'sales'.*depends on 'regions'.*partition_mapping"):
        hw.Definitions.validate_loadable(hw.Definitions(assets=[regions, sales]))

    @hw.asset(partitions_def=daily, ins={"regions": hw.AssetIn(
        partition_mapping=hw.AllPartitionMapping())})
    def sales_all(regions):
        return 1

    hw.Definitions.validate_loadable(hw.Definitions(assets=[regions, sales_all]))


def test_time_window_mapping_needs_one_timezone():
    """Windows in two timezones cannot be related by a TimeWindowPartitionMapping."""
    utc = hw.DailyPartitionsDefinition(start_date="2020-01-01")
    pacific = hw.DailyPartitionsDefinition(start_date="2020-01-01", timezone="US/Pacific")
    mapping = hw.TimeWindowPartitionMapping(start_offset=-1, end_offset=0)
    with pytest.raises(hw.HeadwaterInvalidDefinitionError, match="Timezones UTC and US/Pacific"):
        mapping.validate_partition_mapping(utc, pacific)
    mapping.validate_partition_mapping(utc, utc)


def test_definitions_name_the_invalid_mapping():
    """Validation names both ends of a mapping that cannot hold, explicit mappings to an
    unpartitioned asset included; a spec upstream is not checked."""
    daily = hw.DailyPartitionsDefinition(start_date="2023-01-01")

    @hw.asset(partitions_def=daily)
    def up():
        pass

    @hw.asset(ins={"up": hw.AssetIn(partition_mapping=hw.TimeWindowPartitionMapping(-1, -1))})
    def flat(up):
        pass

    with pytest.raises(hw.HeadwaterInvalidDefinitionError,
                       match="Invalid partition mapping from flat to up"):
        hw.Definitions.validate_loadable(hw.Definitions(assets=[up, flat]))

    @hw.asset(deps=["up"], partitions_def=hw.DailyPartitionsDefinition(
        start_date="2023-01-01", timezone="US/Pacific"))
    def pacific():
        pass

    hw.Definitions.validate_loadable(hw.Definitions(assets=[hw.AssetSpec("up", partitions_def=daily),
                                                            pacific]))


def test_offsets_count_downstream_partitions():
    """Across granularities, an offset moves the downstream window by whole downstream
    partitions: a daily partition with start_offset=-1 reads 48 hourly partitions."""
    hourly = hw.HourlyPartitionsDefinition(start_date="2021-05-05-00:00")
    daily = hw.DailyPartitionsDefinition(start_date="2021-05-06")
    mapping = hw.TimeWindowPartitionMapping(start_offset=-1)
    up = mapping.get_upstream_mapped_partitions_result_for_partitions(
        daily.empty_subset().with_partition_keys(["2022-07-04"]), daily, hourly
    ).partitions_subset.get_partition_keys()
    assert up[0] == "2022-07-03-00:00" and up[-1] == "2022-07-04-23:00" and len(up) == 48
    down = mapping.get_downstream_partitions_for_partitions(
        hourly.empty_subset().with_partition_keys(["2022-07-03-23:00"]), hourly, daily)
    assert down.get_partition_keys() == ["2022-07-03", "2022-07-04"]
