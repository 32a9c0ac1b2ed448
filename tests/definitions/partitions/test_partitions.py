"""Partitions definitions: keys, windows, DST days, ranges, subsets, errors."""

import re
from datetime import datetime

import pytest

import headwater as hw
from headwater import partition_loading_context


def test_daily_keys_stop_at_the_current_time():
    """A day exists once it has ended; end_offset adds (or removes) days."""
    pdef = hw.DailyPartitionsDefinition(start_date="2024-01-01")
    now = datetime(2024, 1, 5, 12)
    assert pdef.get_partition_keys(current_time=now) == [
        "2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04"]
    assert hw.DailyPartitionsDefinition("2024-01-01", end_offset=1) \
        .get_last_partition_key(current_time=now) == "2024-01-05"
    with partition_loading_context(now):
        assert hw.DailyPartitionsDefinition("2024-01-01", end_offset=-1) \
            .get_last_partition_key() == "2024-01-03"


def test_end_date_caps_the_keys():
    """With end_date, only windows ending by it exist, whatever the offset."""
    pdef = hw.DailyPartitionsDefinition("2024-01-01", end_date="2024-01-04", end_offset=1)
    assert pdef.get_partition_keys(current_time=datetime(2024, 2, 1)) == [
        "2024-01-01", "2024-01-02", "2024-01-03"]


def test_hourly_spring_forward_skips_the_missing_hour_new_york():
    """America/New_York 2024-03-10 has 23 hours: no 02:00 partition."""
    pdef = hw.HourlyPartitionsDefinition("2024-03-10-00:00", end_date="2024-03-10-05:00",
                                         timezone="America/New_York")
    assert pdef.get_partition_keys() == [
        "2024-03-10-00:00", "2024-03-10-01:00", "2024-03-10-03:00", "2024-03-10-04:00"]


def test_hourly_fall_back_has_two_one_oclock_partitions_berlin():
    """Europe/Berlin 2024-10-27 has 25 hours: the repeated 02:00 carries its offset."""
    pdef = hw.HourlyPartitionsDefinition("2024-10-27-01:00", end_date="2024-10-27-04:00",
                                         timezone="Europe/Berlin")
    keys = pdef.get_partition_keys()
    assert keys == ["2024-10-27-01:00", "2024-10-27-02:00", "2024-10-27-02:00+0100",
                    "2024-10-27-03:00"]
    first, second = (pdef.time_window_for_partition_key(k) for k in keys[1:3])
    assert first.end.timestamp() - first.start.timestamp() == 3600
    assert first.end == second.start and second.start.fold == 1
    assert not pdef.has_partition_key("2024-10-27-02:00+0200")


@pytest.mark.parametrize("tz, day, hours", [
    ("America/New_York", "2024-03-10", 23), ("America/New_York", "2024-11-03", 25),
    ("Europe/Berlin", "2024-03-31", 23), ("Europe/Berlin", "2024-10-27", 25),
    ("Europe/Berlin", "2024-06-01", 24),
])
def test_daily_windows_on_dst_days(tz, day, hours):
    """A daily window is a local calendar day: 23 or 25 hours on DST days."""
    pdef = hw.DailyPartitionsDefinition("2024-01-01", timezone=tz)
    window = pdef.time_window_for_partition_key(day)
    assert (window.end.timestamp() - window.start.timestamp()) / 3600 == hours
    assert window.start.hour == 0 and window.end.hour == 0


def test_daily_tick_inside_the_skipped_hour_moves_to_the_gap_end():
    """A 02:30 daily schedule on a spring-forward day starts at 03:00 local."""
    pdef = hw.DailyPartitionsDefinition("2024-03-08", timezone="America/New_York",
                                        hour_offset=2, minute_offset=30)
    window = pdef.time_window_for_partition_key("2024-03-10")
    assert (window.start.hour, window.start.minute) == (3, 0)
    assert (window.end.hour, window.end.minute) == (2, 30)


def test_weekly_and_monthly_start_at_the_first_tick():
    """Weekly keys fall on day_offset (0 = Sunday), monthly on day_offset of the month."""
    assert hw.WeeklyPartitionsDefinition("2024-01-01").get_partition_keys()[:2] == [
        "2024-01-07", "2024-01-14"]
    assert hw.MonthlyPartitionsDefinition("2024-01-15").get_partition_keys()[:2] == [
        "2024-02-01", "2024-03-01"]
    assert hw.WeeklyPartitionsDefinition("2024-01-01", day_offset=1).get_partition_keys()[0] \
        == "2024-01-01"


def test_cron_schedule_definition_and_bad_cron():
    """TimeWindowPartitionsDefinition takes any 5-field cron; others are named in the error."""
    pdef = hw.TimeWindowPartitionsDefinition(start="2024-01-01-00:00", fmt="%Y-%m-%d-%H:%M",
                                             cron_schedule="0 */6 * * *",
                                             end="2024-01-02-00:00")
    assert pdef.get_partition_keys() == [
        "2024-01-01-00:00", "2024-01-01-06:00", "2024-01-01-12:00", "2024-01-01-18:00"]
    with pytest.raises(hw.HeadwaterInvalidDefinitionError, match="invalid cron schedule '0 0 \\* \\*'"):
        hw.TimeWindowPartitionsDefinition(start="2024-01-01", fmt="%Y-%m-%d", cron_schedule="0 0 * *")
    with pytest.raises(hw.HeadwaterInvalidDefinitionError, match="invalid cron schedule"):
        hw.WeeklyPartitionsDefinition("2024-01-01", day_offset=8)


def test_bad_dates_and_timezones_are_named():
    """A start date in the wrong format or an unknown timezone names the value and the fix."""
    with pytest.raises(hw.HeadwaterInvalidDefinitionError, match="'2024/01/01'.*'%Y-%m-%d'"):
        hw.DailyPartitionsDefinition(start_date="2024/01/01")
    with pytest.raises(hw.HeadwaterInvalidDefinitionError, match="Mars/Base"):
        hw.DailyPartitionsDefinition(start_date="2024-01-01", timezone="Mars/Base")


def test_unknown_key_error_names_definition_key_and_range():
    """validate_partition_key shows the definition, the key and the valid range."""
    pdef = hw.DailyPartitionsDefinition("2024-01-01", end_date="2024-02-01")
    with pytest.raises(hw.HeadwaterUnknownPartitionError) as info:
        pdef.validate_partition_key("2023-12-31")
    text = str(info.value)
    assert "2023-12-31" in text and "Daily" in text and "'2024-01-01' to '2024-01-31'" in text


def test_keys_in_range_and_invalid_range():
    """A range lists keys in order; an endpoint outside the definition is an error."""
    pdef = hw.DailyPartitionsDefinition("2024-01-01", end_date="2024-02-01")
    assert pdef.get_partition_keys_in_range(hw.PartitionKeyRange("2024-01-30", "2024-01-31")) \
        == ["2024-01-30", "2024-01-31"]
    with pytest.raises(hw.HeadwaterInvalidInvocationError, match="2023-12-01"):
        pdef.get_partition_keys_in_range(hw.PartitionKeyRange("2023-12-01", "2024-01-03"))
    static = hw.StaticPartitionsDefinition(["a", "b", "c"])
    assert static.get_partition_keys_in_range(hw.PartitionKeyRange("b", "c")) == ["b", "c"]
    with pytest.raises(hw.HeadwaterInvalidInvocationError, match="'z'"):
        static.get_partition_keys_in_range(hw.PartitionKeyRange("a", "z"))


def test_static_keys_must_be_unique():
    """Duplicate static keys are listed."""
    with pytest.raises(hw.HeadwaterInvalidDefinitionError, match=r"\['a'\]"):
        hw.StaticPartitionsDefinition(["a", "b", "a"])


def test_dynamic_keys_come_from_the_instance():
    """DynamicPartitionsDefinition(name=) reads keys added through the instance."""
    pdef = hw.DynamicPartitionsDefinition(name="customers")
    with hw.instance_for_test() as instance:
        instance.add_dynamic_partitions("customers", ["acme", "globex"])
        assert pdef.get_partition_keys(dynamic_partitions_store=instance) == ["acme", "globex"]
        with partition_loading_context(dynamic_partitions_store=instance):
            assert pdef.has_partition_key("acme") and not pdef.has_partition_key("initech")
    with pytest.raises(hw.HeadwaterInvalidInvocationError, match="customers"):
        pdef.get_partition_keys()


def test_multi_partition_keys_and_dimensions():
    """Multi keys join dimension keys in dimension-name order and know their dimensions."""
    pdef = hw.MultiPartitionsDefinition({
        "region": hw.StaticPartitionsDefinition(["eu", "us"]),
        "date": hw.DailyPartitionsDefinition("2024-01-01", end_date="2024-01-03")})
    keys = pdef.get_partition_keys()
    assert keys == ["2024-01-01|eu", "2024-01-01|us", "2024-01-02|eu", "2024-01-02|us"]
    assert keys[1].keys_by_dimension == {"date": "2024-01-01", "region": "us"}
    assert pdef.primary_dimension.name == "date"
    assert pdef.has_partition_key("2024-01-02|eu") and not pdef.has_partition_key("eu|2024-01-02")


def test_subsets_serialize_and_merge_windows():
    """A time subset keeps merged windows and round-trips through JSON."""
    pdef = hw.DailyPartitionsDefinition("2024-01-01", end_date="2024-02-01")
    subset = pdef.empty_subset().with_partition_keys(["2024-01-03", "2024-01-02", "2024-01-05"])
    assert len(subset.included_time_windows) == 2
    assert subset.get_partition_key_ranges(pdef) == [
        hw.PartitionKeyRange("2024-01-02", "2024-01-03"),
        hw.PartitionKeyRange("2024-01-05", "2024-01-05")]
    again = pdef.deserialize_subset(subset.serialize())
    assert again == subset and "2024-01-05" in again and "2024-01-04" not in again


def test_definitions_serialize_and_compare():
    """serialize_value/deserialize_value round-trip partitions definitions and mappings."""
    for value in (hw.DailyPartitionsDefinition("2024-01-01", timezone="Europe/Berlin"),
                  hw.StaticPartitionsDefinition(["a"]),
                  hw.TimeWindowPartitionMapping(start_offset=-1, end_offset=0),
                  hw.StaticPartitionMapping({"a": ["x", "y"]})):
        assert hw.deserialize_value(hw.serialize_value(value)) == value


def test_fifty_thousand_hourly_keys_are_cheap():
    """Keys of a long hourly definition are computed arithmetically, not tick by tick."""
    pdef = hw.HourlyPartitionsDefinition(start_date="2015-01-01-00:00",
                                         end_date="2020-09-14-08:00")
    keys = pdef.get_partition_keys()
    assert len(keys) == 50_000 and keys[-1] == "2020-09-14-07:00"
    assert pdef.get_num_partitions() == 50_000


def test_static_partition_keys_refuse_separators_and_control_characters():
    """'...' (the key-range separator) and control characters cannot appear in a key."""
    for bad in ["a...b", "a\nb", "a\bb", "a\tb"]:
        with pytest.raises(hw.HeadwaterInvalidDefinitionError, match=re.escape(repr(bad))):
            hw.StaticPartitionsDefinition(["ok", bad])


def test_key_subsets_serialize_the_same_whatever_the_order():
    """Equal subsets of keys encode to the same string, and decode back to an equal subset."""
    partitions = hw.StaticPartitionsDefinition([str(i) for i in range(50)])
    keys = [str(i) for i in range(20)]
    forward = partitions.subset_with_partition_keys(keys)
    backward = partitions.subset_with_partition_keys(reversed(keys))
    assert hw.serialize_value(forward) == hw.serialize_value(backward)
    assert hw.deserialize_value(hw.serialize_value(forward)) == forward
