"""The module path a Dagster `dagster.yaml` names for `PostgresEventLogStorage` (`dagster_postgres.event_log`)."""

from headwater_postgres.storage import PostgresEventLogStorage

__all__ = ["PostgresEventLogStorage"]
