"""Pure declarations: assets, ops, graphs, jobs, types, metadata, selection, Definitions.

Imports nothing of headwater but `headwater.errors`; performs no I/O.
"""
