"""Configuration and the things configured: schemas, `Config` classes, resources, IO managers.

`schema.py` is the config-schema language (fields, types, `Shape`, `Permissive`...) and its
validator; `config_class.py` maps pydantic `Config` classes onto it and `json_schema.py` exports
it as JSON Schema; `run_config.py` builds the schema of a whole job's run config and resolves
a run config against it. Resources (`resource.py`, `configurable.py`), IO managers
(`io_manager.py`, the two filesystem ones) and executors and loggers *as definitions*
(`executor.py`, `logger.py`) live here because each is, to a user, "a thing with a config".

May import: `headwater.errors` and `definitions.metadata`; executors reach the engine only
through `definitions._runtime`. Nothing here knows about assets or ops.
"""
