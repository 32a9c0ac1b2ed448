"""`HeadwaterPostgresStorage` and the per-part names Dagster has for it.

Each class opens headwater's SQL storage on a PostgreSQL URL (tables are created in a new,
empty database). `from_config_value(inst_data, config)` and `storage_url_from_config(config,
where)` read Dagster's config shape: `postgres_url`, or `postgres_db: {username, password,
hostname, db_name, port, params, scheme}`, values being strings or `{env: VAR}`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from headwater.storage.home import postgres_url_from_config
from headwater.storage.sql import SqlStorage

_SCHEMES = ("postgresql://", "postgres://", "postgresql+psycopg://")


class HeadwaterPostgresStorage(SqlStorage):
    """Runs, events, the asset index and schedule/sensor state in one PostgreSQL database."""

    def __init__(self, postgres_url: str, should_autocreate_tables: bool = True,
                 inst_data: Any = None):
        name = type(self).__name__
        if not isinstance(postgres_url, str) or not postgres_url.startswith(_SCHEMES):
            raise ValueError(f"{name} needs a PostgreSQL URL such as "
                             f"postgresql://user:password@host:5432/dbname; got {postgres_url!r}.")
        if should_autocreate_tables is not True:
            raise ValueError(f"{name}: headwater always creates its tables in a new database and "
                             "upgrades them with `headwater instance migrate`; drop "
                             "should_autocreate_tables=False.")
        self._inst_data = inst_data
        super().__init__(postgres_url)

    def __repr__(self) -> str:
        from headwater.storage.database import redact

        return f"{type(self).__name__}({redact(self.url)!r})"

    @property
    def postgres_url(self) -> str:
        return self.url

    @property
    def inst_data(self) -> Any:
        """What Dagster's config loader passed in (kept for code that reads it back)."""
        return self._inst_data

    @classmethod
    def storage_url_from_config(cls, config_value: Mapping[str, Any],
                                where: str | None = None) -> str:
        """The database URL that a `dagster.yaml`-style config names."""
        return postgres_url_from_config(config_value, where or f"{cls.__name__} config")

    @classmethod
    def from_config_value(cls, inst_data: Any, config_value: Mapping[str, Any]) -> Any:
        """The storage a `headwater.yaml` section's `config:` describes."""
        return cls(cls.storage_url_from_config(config_value), inst_data=inst_data)

    @classmethod
    def create_clean_storage(cls, postgres_url: str, should_autocreate_tables: bool = True) -> Any:
        """The storage on `postgres_url` with every row deleted (for tests)."""
        storage = cls(postgres_url, should_autocreate_tables)
        storage.wipe()
        return storage

    # one storage plays every part of Dagster's split storage
    @property
    def run_storage(self) -> HeadwaterPostgresStorage:
        return self

    @property
    def event_log_storage(self) -> HeadwaterPostgresStorage:
        return self

    @property
    def schedule_storage(self) -> HeadwaterPostgresStorage:
        return self


class PostgresRunStorage(HeadwaterPostgresStorage):
    """The PostgreSQL storage, by the name a `run_storage:` section gives it."""


class PostgresEventLogStorage(HeadwaterPostgresStorage):
    """The PostgreSQL storage, by the name an `event_log_storage:` section gives it."""


class PostgresScheduleStorage(HeadwaterPostgresStorage):
    """The PostgreSQL storage, by the name a `schedule_storage:` section gives it."""
