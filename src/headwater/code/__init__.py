"""headwater.code."""
