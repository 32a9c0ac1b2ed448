"""Checking a run config against a job without running it (the code server's
`validate_run_config`), as a JSON-able reply.

The checking itself belongs to the definitions layer (`validate_run_config(job, config)`
in `headwater.definitions.config.run_config`); this module finds it and turns its outcome into
{"valid": bool, "errors": [...]}. Imports `definitions` and `errors`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

from headwater.errors import HeadwaterError, HeadwaterInvalidConfigError


def validate_run_config(job: Any, run_config: Mapping[str, Any]) -> dict[str, Any]:
    """{"valid": bool, "errors": [...]}: every problem of `run_config` for `job`."""
    check = _checker()
    if check is None:
        return {"valid": False, "errors": [
            "Run-config validation is not available in this version of headwater "
            "(no validate_run_config(job, config) in headwater.definitions)."]}
    try:
        result = check(job, run_config)
    except HeadwaterInvalidConfigError as exc:
        return {"valid": False, "errors": [str(e) for e in exc.errors] or [str(exc)]}
    except HeadwaterError as exc:
        return {"valid": False, "errors": [str(exc)]}
    if isinstance(result, Mapping) and "valid" in result:
        return dict(result)
    errors = [str(e) for e in getattr(result, "errors", None) or []]
    return {"valid": bool(getattr(result, "success", not errors)), "errors": errors}


def _checker() -> Callable[[Any, Mapping[str, Any]], Any] | None:
    for module_name in ("headwater.definitions.config.run_config", "headwater.definitions.config.schema"):
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        fn = getattr(module, "validate_run_config", None)
        if callable(fn):
            return fn
    return None
