"""headwater.cli."""
