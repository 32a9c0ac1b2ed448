"""Where a persistent instance lives: `$HEADWATER_HOME` (default `./.headwater/`), its optional
`headwater.yaml`, and the storage URL they choose.

The URL comes from `HEADWATER_DATABASE_URL` if set, else from `headwater.yaml`'s `storage:`
section, else it is `sqlite:///$HEADWATER_HOME/headwater.db`. `storage:` takes `url:` (a
string or `{env: VAR}`), or Dagster's spellings `postgres: {postgres_url: ...}` /
`postgres: {postgres_db: {username, password, hostname, db_name, port}}` and
`sqlite: {base_dir: ...}`. Instead of `storage:`, Dagster's older per-part sections
`run_storage:` / `event_log_storage:` / `schedule_storage:` may each name a class by
`{module, class, config}` (e.g. `headwater_postgres.run_storage.PostgresRunStorage`); the
class is imported and its `storage_url_from_config(config, where)` gives the URL. headwater
keeps runs, events and schedules in one database, so the sections must name the same one.
Every other top-level section is returned as instance settings.
`check_home` refuses a home that cannot hold the instance (a file; for the SQLite database in
it, a directory this user cannot write or create) with one line naming HEADWATER_HOME, the
path and the fix. PyYAML and SQLAlchemy load only when an instance is opened. Imports
`errors` only (and the modules headwater.yaml names, when it names some).
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlencode

from headwater.errors import HeadwaterInvalidInvocationError, yaml_problem

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
        with open(path, encoding="utf-8") as f:
            data = yaml.safe_load(f)
    except yaml.YAMLError as exc:
        raise HeadwaterInvalidInvocationError(
            f"{path} is not valid YAML: {yaml_problem(exc)}; fix it there, or move the file "
            "aside to use the defaults.") from None
    except UnicodeDecodeError as exc:
        raise HeadwaterInvalidInvocationError(
            f"{path} is not UTF-8 text (byte {exc.start}); save it as UTF-8 YAML.") from None
    except OSError as exc:
        raise HeadwaterInvalidInvocationError(
            f"cannot read {path}: {exc.strerror}; make it a file this user can read, or move "
            "it aside to use the defaults.") from None
    except RecursionError:  # the parser recurses once per level of nesting
        raise HeadwaterInvalidInvocationError(
            f"{path} nests its YAML too deeply to be read; its sections are a few levels "
            "deep: flatten it.") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise HeadwaterInvalidInvocationError(
            f"{path} must be a mapping of sections (e.g. `storage: {{url: sqlite:///...}}`), "
            f"got {type(data).__name__}."
        )
    return data


def check_home(home: str, url: str) -> None:
    """Refuse a `home` that cannot hold the instance whose storage is `url`: a file, or (when
    the SQLite database lives in it) a directory this user cannot write, or create."""
    where = _home_named(home)
    if os.path.exists(home) and not os.path.isdir(home):
        raise HeadwaterInvalidInvocationError(
            f"{where} is a file, not a directory: set {HOME_ENV} to a directory (headwater "
            "creates it when missing), or move the file aside.")
    database = os.path.join(home, DB_FILE)
    if url != "sqlite:///" + database:
        return  # another database: the home holds only headwater.yaml, and may be read-only
    if not os.path.isdir(home):
        try:
            os.makedirs(home, exist_ok=True)
        except OSError as exc:
            ancestor = _existing_ancestor(home)
            why = f"{ancestor} is a file" if not os.path.isdir(ancestor) else \
                f"{(exc.strerror or str(exc)).lower()} in {ancestor}"
            raise HeadwaterInvalidInvocationError(
                f"{where} does not exist and cannot be created ({why}), so the instance "
                f"database {database} has nowhere to go: create it (mkdir -p {home}) as a user "
                f"who may, or set {HOME_ENV} to a writable directory.") from None
    if not os.access(home, os.W_OK | os.X_OK):
        if _read_only_mount(home):
            why, fix = "is on a read-only mount", "remount it read-write"
        else:
            why = "is not writable by this user"
            fix = f"make it writable (ls -ld {home} shows its owner and mode)"
        raise HeadwaterInvalidInvocationError(
            f"{where} {why}, so the instance database {database} cannot be written there: "
            f"{fix}, or set {HOME_ENV} to a writable directory.")


def _home_named(home: str) -> str:
    """How an error names the home: by the variable that chose it, or as the default."""
    given = os.environ.get(HOME_ENV)
    if not given:
        return f"The instance home {home} ({HOME_ENV} is not set, so it is ./{DEFAULT_HOME})"
    return f"{HOME_ENV}={given}" + (f" ({home})" if os.path.abspath(given) != home else "")


def _existing_ancestor(path: str) -> str:
    """The nearest folder above `path` that exists (or the file that stands in its way)."""
    ancestor = os.path.dirname(path)
    while not os.path.exists(ancestor) and os.path.dirname(ancestor) != ancestor:
        ancestor = os.path.dirname(ancestor)
    return ancestor


def _read_only_mount(path: str) -> bool:
    try:
        return bool(os.statvfs(path).f_flag & os.ST_RDONLY)
    except OSError:
        return False


def storage_url(home: str, settings: dict[str, Any]) -> str:
    """The storage URL chosen by the environment, headwater.yaml or the default."""
    from_env = os.environ.get(URL_ENV)
    if from_env:
        return from_env
    where = f"{os.path.join(home, CONFIG_FILE)}: storage"
    storage = settings.get("storage")
    parts = [name for name in STORAGE_SECTIONS if settings.get(name) is not None]
    if parts:
        if storage is not None:
            raise HeadwaterInvalidInvocationError(
                f"{os.path.join(home, CONFIG_FILE)} has both `storage:` and `{parts[0]}:`: keep "
                "one (`storage:` alone configures everything).")
        return _sections_url(settings, parts, os.path.join(home, CONFIG_FILE))
    if storage is None:
        return "sqlite:///" + os.path.join(home, DB_FILE)
    if not isinstance(storage, dict):
        raise HeadwaterInvalidInvocationError(
            f"{where} must be a mapping, e.g. `storage: {{url: postgresql://user@host/db}}`.")
    if "url" in storage:
        return _value(storage["url"], f"{where}.url")
    if "postgres" in storage:
        return postgres_url_from_config(storage["postgres"] or {}, f"{where}.postgres")
    if "sqlite" in storage:
        base = _value((storage["sqlite"] or {}).get("base_dir", home), f"{where}.sqlite.base_dir")
        return "sqlite:///" + os.path.join(os.path.abspath(base), DB_FILE)
    raise HeadwaterInvalidInvocationError(
        f"{where} has none of url, postgres, sqlite: set e.g. `url: sqlite:///{home}/{DB_FILE}`.")


STORAGE_SECTIONS = ("run_storage", "event_log_storage", "schedule_storage")
_PG_KEYS = {"postgres_url", "postgres_db", "should_autocreate_tables"}
_PG_DB_KEYS = {"username", "password", "hostname", "db_name", "port", "params", "scheme"}
_PG_SCHEMES = ("postgresql", "postgres", "postgresql+psycopg")


def postgres_url_from_config(config: Mapping[str, Any], where: str) -> str:
    """The URL of Dagster's PostgreSQL storage config: `postgres_url`, or `postgres_db:
    {username, password, hostname, db_name, port, params, scheme}` (each value a string or
    `{env: VAR}`)."""
    if not isinstance(config, Mapping):
        raise HeadwaterInvalidInvocationError(
            f"{where} must be a mapping with postgres_url or postgres_db, got {config!r}.")
    unknown = sorted(set(config) - _PG_KEYS)
    if unknown:
        raise HeadwaterInvalidInvocationError(
            f"{where} has unknown field(s) {', '.join(unknown)}: it takes "
            f"{', '.join(sorted(_PG_KEYS))}.")
    if config.get("should_autocreate_tables", True) is not True:
        raise HeadwaterInvalidInvocationError(
            f"{where}.should_autocreate_tables: headwater always creates its tables in a new "
            "database (and upgrades them with `headwater instance migrate`); remove the field.")
    if ("postgres_url" in config) == ("postgres_db" in config):
        raise HeadwaterInvalidInvocationError(
            f"{where} needs exactly one of postgres_url or postgres_db "
            "{username, password, hostname, db_name, port}.")
    if "postgres_url" in config:
        return _value(config["postgres_url"], f"{where}.postgres_url")
    db, at = config["postgres_db"], f"{where}.postgres_db"
    if not isinstance(db, Mapping):
        raise HeadwaterInvalidInvocationError(
            f"{at} must be a mapping {{username, password, hostname, db_name, port}}.")
    unknown = sorted(set(db) - _PG_DB_KEYS)
    if unknown:
        raise HeadwaterInvalidInvocationError(
            f"{at} has unknown field(s) {', '.join(unknown)}: it takes "
            f"{', '.join(sorted(_PG_DB_KEYS))}.")
    scheme = _value(db.get("scheme", "postgresql"), f"{at}.scheme")
    if scheme not in _PG_SCHEMES:
        raise HeadwaterInvalidInvocationError(
            f"{at}.scheme is {scheme!r}: headwater connects with psycopg 3, so use "
            "'postgresql' (or remove the field).")
    user = quote(_value(db.get("username", "postgres"), f"{at}.username"), safe="")
    password = db.get("password")
    auth = user + (":" + quote(_value(password, f"{at}.password"), safe="") if password else "")
    host = _value(db.get("hostname", "localhost"), f"{at}.hostname")
    port = _value(db.get("port", 5432), f"{at}.port")
    name = _value(db.get("db_name", "postgres"), f"{at}.db_name")
    url = f"postgresql://{auth}@{host}:{port}/{name}"
    params = db.get("params") or {}
    if not isinstance(params, Mapping):
        raise HeadwaterInvalidInvocationError(
            f"{at}.params must be a mapping of connection parameters, e.g. {{sslmode: require}}.")
    if params:
        url += "?" + urlencode({k: _value(v, f"{at}.params.{k}") for k, v in params.items()})
    return url


def _sections_url(settings: dict[str, Any], parts: list[str], path: str) -> str:
    """The one database that the per-part storage sections name."""
    urls = {name: _section_url(settings[name], f"{path}: {name}") for name in parts}
    if len(set(urls.values())) > 1:
        listed = "; ".join(f"{name} -> {_redact(url)}" for name, url in urls.items())
        raise HeadwaterInvalidInvocationError(
            f"{path}: headwater keeps runs, events and schedules in one database, but the "
            f"storage sections name different ones ({listed}): point them at one database, or "
            "replace them with a single `storage:` section.")
    return next(iter(urls.values()))


def _section_url(spec: Any, where: str) -> str:
    """The URL of one `{module, class, config}` storage section."""
    if not isinstance(spec, Mapping) or not {"module", "class"} <= set(spec):
        raise HeadwaterInvalidInvocationError(
            f"{where} must be a mapping with module, class and config, e.g. "
            "{module: headwater_postgres.run_storage, class: PostgresRunStorage, config: "
            "{postgres_url: ...}}.")
    module_name, class_name = str(spec["module"]), str(spec["class"])
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        hint = (f" (rename it to {module_name.replace('dagster', 'headwater', 1)})"
                if module_name.startswith("dagster") else "")
        raise HeadwaterInvalidInvocationError(
            f"{where}.module: cannot import {module_name!r}{hint}: {exc}.") from None
    cls = getattr(module, class_name, None)
    url_for = getattr(cls, "storage_url_from_config", None)
    if cls is None or not callable(url_for):
        what = "has no class" if cls is None else "has a class that is not a headwater storage,"
        raise HeadwaterInvalidInvocationError(
            f"{where}.class: {module_name} {what} {class_name!r}. headwater's storage classes "
            "are headwater_postgres.PostgresRunStorage, PostgresEventLogStorage, "
            "PostgresScheduleStorage and HeadwaterPostgresStorage.")
    return str(url_for(spec.get("config") or {}, f"{where}.config"))


def _redact(url: str) -> str:
    head, at, tail = url.rpartition("@")
    if not at or ":" not in head.split("//", 1)[-1]:
        return url
    scheme, _, auth = head.partition("//")
    return f"{scheme}//{auth.split(':', 1)[0]}:***@{tail}"


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
