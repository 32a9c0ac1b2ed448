"""headwater.daemon."""
