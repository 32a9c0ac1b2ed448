"""Checking a run config against a job without running it (the code server's
`validate_run_config`), as a JSON-able reply.

The checking itself belongs to the definitions layer (`validate_run_config(job, config)` in
`headwater.definitions.config.run_config`); this module turns its outcome into
{"valid": bool, "errors": [...]}. Imports `definitions` and `errors`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from headwater.definitions.config.run_config import validate_run_config as check
from headwater.errors import HeadwaterError, HeadwaterInvalidConfigError


def validate_run_config(job: Any, run_config: Mapping[str, Any]) -> dict[str, Any]:
    """{"valid": bool, "errors": [...]}: every problem of `run_config` for `job`."""
    try:
        check(job, run_config)
    except HeadwaterInvalidConfigError as exc:
        return {"valid": False, "errors": [str(e) for e in exc.errors] or [str(exc)]}
    except HeadwaterError as exc:
        return {"valid": False, "errors": [str(exc)]}
    return {"valid": True, "errors": []}
