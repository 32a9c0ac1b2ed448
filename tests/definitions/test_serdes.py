"""serialize_value / deserialize_value round trips and legacy documents."""

from __future__ import annotations

import pytest

import headwater as hw
from headwater.errors import HeadwaterInvariantViolationError


def test_metadata_values_round_trip():
    """Metadata values and keys come back equal."""
    for value in (hw.MetadataValue.table([hw.TableRecord({"a": 1})]), hw.AssetKey(["a", "b"]),
                  hw.MetadataValue.json({"x": [1, 2]}), hw.MetadataValue.timestamp(1.5)):
        assert hw.deserialize_value(hw.serialize_value(value)) == value


def test_legacy_documents_are_read():
    """Dagster-style class documents, including ...MetadataEntryData names, decode."""
    text = '{"__class__": "JsonMetadataEntryData", "data": {"f": {"__class__": "X", "v": 1}}}'
    value = hw.deserialize_value(text, hw.JsonMetadataValue)
    assert value.data == {"f": {"__class__": "X", "v": 1}}
    stamp = hw.deserialize_value('{"__class__": "TimestampMetadataValue", "value": 2.0}')
    assert stamp == hw.TimestampMetadataValue(2.0)


def test_wrong_type_is_refused():
    """as_type guards what was read."""
    with pytest.raises(HeadwaterInvariantViolationError, match="expected TextMetadataValue"):
        hw.deserialize_value(hw.serialize_value(hw.AssetKey("a")), hw.TextMetadataValue)


def test_asset_job_key_round_trips_and_keeps_to_its_own_strings():
    """An AssetJobKey survives serdes and its strings; other entity strings are not job keys."""
    key = hw.AssetJobKey("nightly")
    assert hw.deserialize_value(hw.serialize_value(key), hw.AssetJobKey) == key
    assert hw.AssetJobKey.from_user_string(key.to_user_string()) == key
    assert hw.AssetJobKey.from_db_string(key.to_db_string()) == key
    assert hw.AssetJobKey.from_graphql_input({"jobName": "nightly"}) == key
    for other in ('["a"]', hw.AssetCheckKey("a", "c").to_db_string(), "plain", ""):
        assert hw.AssetJobKey.from_db_string(other) is None
