"""The module path a Dagster `dagster.yaml` names for `PostgresScheduleStorage` (`dagster_postgres.schedule_storage`)."""

from headwater_postgres.storage import PostgresScheduleStorage

__all__ = ["PostgresScheduleStorage"]
