"""headwater.integrations."""
