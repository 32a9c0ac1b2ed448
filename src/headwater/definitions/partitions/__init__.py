"""Partitions: how an asset is cut into slices, and how slices of two assets relate.

`base.py` holds the abstract definition and static/dynamic partitions, `time_window.py` the
calendar ones (cron-based, with timezones), `periodic.py` its hourly to monthly kinds,
`multi.py` their products,
`mapping.py` the mappings between a child's and a parent's partitions (`multi_mapping.py`
those of multi-dimensional ones, `relation.py` the default when none is given), `partitioned_config.py`
run config per partition, `backfill_policy.py` how many partitions a run takes,
`pagination.py` pages of keys, and `cron.py` the cron arithmetic shared with schedules. All
of it is pure computation over keys and datetimes; storage of which partitions exist lives in the storage layer.

May import: `headwater.errors` only (and `croniter`, lazily, on first cron use).
"""
