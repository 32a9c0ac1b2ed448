"""The module path a Dagster `dagster.yaml` names for `PostgresRunStorage` (`dagster_postgres.run_storage`)."""

from headwater_postgres.storage import PostgresRunStorage

__all__ = ["PostgresRunStorage"]
