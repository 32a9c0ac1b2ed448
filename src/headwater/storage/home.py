"""Where a persistent instance lives: `$HEADWATER_HOME` (default `./.headwater/`), its optional
`headwater.yaml`, and the storage URL they choose.

The URL comes from `HEADWATER_DATABASE_URL` if set, else from `headwater.yaml`'s `storage:`
section, else it is `sqlite:///$HEADWATER_HOME/headwater.db`. `storage:` takes `url:` (a
string or `{env: VAR}`), or Dagster's spellings `postgres: {postgres_url: ...}` /
`postgres: {postgres_db: {username, password, hostname, db_name, port}}` and
`sqlite: {base_dir: ...}`. Every other top-level section is returned as instance settings.
PyYAML and SQLAlchemy load only when an instance is opened. Imports `errors` only.
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import quote

from headwater.errors import HeadwaterInvalidInvocationError

HOME_ENV = "HEADWATER_HOME"
URL_ENV = "HEADWATER_DATABASE_URL"
CONFIG_FILE = "headwater.yaml"
DEFAULT_HOME = ".headwater"
DB_FILE = "headwater.db"


def resolve_home(home: str | None = None) -> str:
    """The instance directory: `home`, else $HEADWATER_HOME, else ./.headwater (absolute)."""
    path = home or os.environ.get(HOME_ENV) or DEFAULT_HOME
    return os.path.abspath(os.path.expanduser(path))


def load_settings(home: str) -> dict[str, Any]:
    """The parsed headwater.yaml of `home` ({} when there is none)."""
    path = os.path.join(home, CONFIG_FILE)
    if not os.path.exists(path):
        return {}
    import yaml

    try:
        with open(path) as f:
            data = yaml.safe_load(f)
    except yaml.YAMLError as exc:
        raise HeadwaterInvalidInvocationError(f"{path} is not valid YAML: {exc}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise HeadwaterInvalidInvocationError(
            f"{path} must be a mapping of sections (e.g. `storage: {{url: sqlite:///...}}`), "
            f"got {type(data).__name__}."
        )
    return data


def storage_url(home: str, settings: dict[str, Any]) -> str:
    """The storage URL chosen by the environment, headwater.yaml or the default."""
    from_env = os.environ.get(URL_ENV)
    if from_env:
        return from_env
    where = f"{os.path.join(home, CONFIG_FILE)}: storage"
    storage = settings.get("storage")
    if storage is None:
        return "sqlite:///" + os.path.join(home, DB_FILE)
    if not isinstance(storage, dict):
        raise HeadwaterInvalidInvocationError(
            f"{where} must be a mapping, e.g. `storage: {{url: postgresql://user@host/db}}`.")
    if "url" in storage:
        return _value(storage["url"], f"{where}.url")
    if "postgres" in storage:
        pg = storage["postgres"] or {}
        if "postgres_url" in pg:
            return _value(pg["postgres_url"], f"{where}.postgres.postgres_url")
        db = pg.get("postgres_db")
        if not isinstance(db, dict):
            raise HeadwaterInvalidInvocationError(
                f"{where}.postgres needs postgres_url or postgres_db "
                "{username, password, hostname, db_name, port}.")
        user = quote(_value(db.get("username", "postgres"), f"{where}.postgres.postgres_db.username"))
        password = db.get("password")
        auth = user + (":" + quote(_value(password, "password"), safe="") if password else "")
        host = _value(db.get("hostname", "localhost"), f"{where}.postgres.postgres_db.hostname")
        port = db.get("port", 5432)
        name = _value(db.get("db_name", "postgres"), f"{where}.postgres.postgres_db.db_name")
        return f"postgresql://{auth}@{host}:{port}/{name}"
    if "sqlite" in storage:
        base = _value((storage["sqlite"] or {}).get("base_dir", home), f"{where}.sqlite.base_dir")
        return "sqlite:///" + os.path.join(os.path.abspath(base), DB_FILE)
    raise HeadwaterInvalidInvocationError(
        f"{where} has none of url, postgres, sqlite: set e.g. `url: sqlite:///{home}/{DB_FILE}`.")


def _value(value: Any, where: str) -> str:
    """A config string, or `{env: VAR}` read from the environment."""
    if isinstance(value, dict) and set(value) == {"env"}:
        name = value["env"]
        if name not in os.environ:
            raise HeadwaterInvalidInvocationError(
                f"{where} reads the environment variable {name!r}, which is not set: export it.")
        return os.environ[name]
    if not isinstance(value, (str, int)):
        raise HeadwaterInvalidInvocationError(
            f"{where} must be a string or {{env: VAR}}, got {value!r}.")
    return str(value)
