"""headwater_postgres: instance storage in PostgreSQL, under the names of Dagster's
`dagster_postgres`.

headwater keeps runs, event logs and schedule state in one SQL storage, so each of
`PostgresRunStorage`, `PostgresEventLogStorage`, `PostgresScheduleStorage` and
`HeadwaterPostgresStorage` (storage.py) is that whole storage on one PostgreSQL database; they
are importable from the module paths a Dagster `dagster.yaml` names (`.run_storage`,
`.event_log`, `.schedule_storage`, `.storage`), so the renamed file works as
`headwater.yaml`. Needs the `headwater[postgres]` extra (psycopg 3). Imports headwater's SQL
storage (`headwater.storage.sql`) and the yaml parser of `headwater.storage.home`;
`import headwater` never imports this package.
"""

from headwater_postgres.storage import (
    HeadwaterPostgresStorage,
    PostgresEventLogStorage,
    PostgresRunStorage,
    PostgresScheduleStorage,
)

__all__ = ["HeadwaterPostgresStorage", "PostgresEventLogStorage", "PostgresRunStorage",
           "PostgresScheduleStorage"]
