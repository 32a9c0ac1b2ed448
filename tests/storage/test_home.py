"""headwater.yaml's storage sections: Dagster's PostgreSQL config shapes and the per-part
`run_storage` / `event_log_storage` / `schedule_storage` sections naming a class."""

from __future__ import annotations

import sys
import types

import pytest

from headwater.errors import HeadwaterInvalidInvocationError
from headwater.storage.home import postgres_url_from_config, storage_url


def test_postgres_db_builds_a_url_with_params_and_quoted_password(monkeypatch):
    """postgres_db fields (env values too) become one URL; params become its query."""
    monkeypatch.setenv("PG_PASSWORD", "p@ss/word")
    url = postgres_url_from_config({"postgres_db": {
        "username": "hw", "password": {"env": "PG_PASSWORD"}, "hostname": "db", "port": 6543,
        "db_name": "prod", "params": {"sslmode": "require"}}}, "storage.postgres")
    assert url == "postgresql://hw:p%40ss%2Fword@db:6543/prod?sslmode=require"


def test_postgres_config_mistakes_are_named():
    with pytest.raises(HeadwaterInvalidInvocationError, match="x.postgres_db.scheme is 'mysql'"):
        postgres_url_from_config({"postgres_db": {"scheme": "mysql"}}, "x")
    with pytest.raises(HeadwaterInvalidInvocationError, match="exactly one of postgres_url"):
        postgres_url_from_config({"postgres_url": "postgresql://a", "postgres_db": {}}, "x")


def test_a_section_naming_any_class_with_storage_url_from_config(tmp_path, monkeypatch):
    """A per-part section imports its module and asks the class for the URL; all sections
    must agree on one database."""
    module = types.ModuleType("hw_test_storage_module")

    class Custom:
        @classmethod
        def storage_url_from_config(cls, config, where):
            return f"sqlite:///{config['path']}"

    module.Custom = Custom  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, module.__name__, module)
    monkeypatch.delenv("HEADWATER_DATABASE_URL", raising=False)
    section = {"module": module.__name__, "class": "Custom", "config": {"path": "/a.db"}}
    settings = {"run_storage": section, "event_log_storage": section}
    assert storage_url(str(tmp_path), settings) == "sqlite:////a.db"
    other = {**section, "config": {"path": "/b.db"}}
    with pytest.raises(HeadwaterInvalidInvocationError, match="one database"):
        storage_url(str(tmp_path), {"run_storage": section, "schedule_storage": other})
    with pytest.raises(HeadwaterInvalidInvocationError, match="not a headwater storage"):
        storage_url(str(tmp_path), {"run_storage": {"module": "os", "class": "PathLike"}})
