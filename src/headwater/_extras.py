"""The optional parts of headwater, and the one-line error when one is not installed.

`pip install headwater` runs assets, jobs, the CLI and SQLite storage. The webserver, the
PostgreSQL storage, the dask executor and each integration package (`headwater_duckdb`, ...)
need more, installed as an extra: `pip install 'headwater[ui]'`. The imports that need an
extra run inside `needs_extra`, which turns their `ModuleNotFoundError` into
`MissingExtraError` naming the extra:

    with needs_extra("ui", "headwater webserver"):
        from headwater.server.serve import serve

A missing module of headwater itself is a broken install, not a missing extra: it is left as
it is. Imports `errors` only.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from headwater.errors import HeadwaterError


class MissingExtraError(HeadwaterError, ImportError):
    """A part of headwater ran without the packages of its extra; the message says what to
    install. An ImportError, so `try: import headwater_duckdb except ImportError` still works."""

    def __init__(self, extra: str, user: str, module: str | None = None):
        super().__init__(f"{user} needs the '{extra}' extra: pip install 'headwater[{extra}]'")
        self.extra = extra
        self.user = user
        self.name = module  # ImportError's: the module that was missing


@contextmanager
def needs_extra(extra: str, user: str) -> Iterator[None]:
    """Raise `MissingExtraError` for `user` (what the person ran: a command, a package, a
    storage) when an import inside the block fails for want of a package of `extra`.

    A `MissingExtraError` from inside (headwater_duckdb_pandas importing headwater_duckdb)
    is re-raised for the outer `user` and `extra`, which is the one to install."""
    try:
        yield
    except MissingExtraError as exc:
        raise MissingExtraError(extra, user, exc.name) from None
    except ModuleNotFoundError as exc:
        if exc.name is None or exc.name.split(".")[0].startswith("headwater"):
            raise
        raise MissingExtraError(extra, user, exc.name) from None
