"""The in-memory IO manager's reads of values it never stored."""

import pytest

import headwater as hw


def test_in_memory_missing_value_is_a_key_error():
    """Reading a value the in-memory IO manager never stored raises a KeyError (as a mapping would)."""

    @hw.asset(headwater_type=hw.Nothing)
    def marker():
        pass

    @hw.asset
    def reader(marker):
        return marker

    with pytest.raises(KeyError, match="No value stored in memory for 'marker'"):
        hw.materialize_to_memory([marker, reader])
