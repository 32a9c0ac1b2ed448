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

from types import TracebackType

from headwater.errors import HeadwaterError


class MissingExtraError(HeadwaterError, ImportError):
    """A part of headwater ran without the packages of its extra; the message says what to
    install. An ImportError, so `try: import headwater_duckdb except ImportError` still works."""

    def __init__(self, extra: str, user: str, module: str | None = None):
        super().__init__(f"{user} needs the '{extra}' extra: pip install 'headwater[{extra}]'")
        self.extra = extra
        self.user = user
        self.name = module  # ImportError's: the module that was missing


class needs_extra:
    """Raise `MissingExtraError` for `user` (what the person ran: a command, a package, a
    storage) when an import inside the block fails for want of a package of `extra`.

    A `MissingExtraError` from inside (headwater_duckdb_pandas importing headwater_duckdb)
    is raised again for the outer `user` and `extra`, which is the one to install. A class
    (named as a phrase, like `contextlib.suppress`) rather than a generator, so that a
    traceback ends in this module, not in contextlib."""

    def __init__(self, extra: str, user: str):
        self.extra = extra
        self.user = user

    def __repr__(self) -> str:
        return f"needs_extra({self.extra!r}, {self.user!r})"

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if isinstance(exc, MissingExtraError) or (
                isinstance(exc, ModuleNotFoundError) and exc.name is not None
                and not exc.name.split(".")[0].startswith("headwater")):
            raise MissingExtraError(self.extra, self.user, exc.name) from None
