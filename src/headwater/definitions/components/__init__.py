"""Components: a project's `defs/` folder loaded into one Definitions (see defs_folder.py)."""
