"""The errors headwater_dbt raises: one base class and the failure of a dbt command."""

from __future__ import annotations

from headwater.errors import HeadwaterError


class HeadwaterDbtError(HeadwaterError):
    """Something about a dbt project, its manifest or a dbt command is wrong."""


class HeadwaterDbtCliRuntimeError(HeadwaterDbtError):
    """A dbt command exited with an error; the message carries dbt's own error lines."""

    def __init__(self, message: str, *, returncode: int | None = None,
                 errors: list[str] | None = None):
        super().__init__(message)
        self.returncode = returncode
        self.errors = list(errors or [])


class HeadwaterDbtManifestNotFoundError(HeadwaterDbtError):
    """The manifest.json a definition needs does not exist (the project was never parsed)."""


class HeadwaterDbtProjectNotFoundError(HeadwaterDbtError):
    """The directory given as a dbt project holds no dbt_project.yml."""
