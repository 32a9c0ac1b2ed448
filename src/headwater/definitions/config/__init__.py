"""Configuration and the things configured: schemas, `Config` classes, resources, IO managers.

`schema.py` is the config-schema language (fields, types, `Shape`, `Permissive`...) and its
validator; `config_class.py` maps pydantic `Config` classes onto it and `json_schema.py` exports
it as JSON Schema; `run_config.py` builds the schema of a whole job's run config and resolves
a run config against it. Resources (`resource.py`, `configurable.py`), IO managers
(`io_manager.py`, the two filesystem ones, `upath_io_manager.py`, and `db_io_manager.py`, the
table-per-asset machinery database integrations build on) and executors and loggers *as definitions*
(`executor.py`, `logger.py`) live here because each is, to a user, "a thing with a config".

May import: `headwater.errors`, `definitions.metadata` and `definitions.partitions` (the
database IO manager turns partitions into table slices); executors reach the engine only
through `definitions._runtime`. Nothing here knows about assets or ops.
"""
