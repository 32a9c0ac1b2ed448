"""Asset checks on the command line: `headwater asset check --select ...` runs checks only, and
the check columns of `asset list` and `run show`.

`asset check` takes the selection syntax of the other asset commands (`orders`, `group:sales`,
`*report`) and runs every check of the selected assets, or names checks directly
(`orders:no_nulls`); it materializes nothing, records into the instance of $HEADWATER_HOME
like `asset materialize`, prints each result, and exits 1 when a check failed with severity
ERROR (or could not run). Results read as code/check_result.py says. Imports `code`,
`definitions`, `execution`, `storage` (inside the functions that use them), and
`cli.options`.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import click

from headwater.cli.options import Locations, location_options
from headwater.errors import HeadwaterInvalidInvocationError

if TYPE_CHECKING:
    from headwater.definitions.key import AssetCheckKey

_MARK = {"passed": "PASSED", "warn": "FAILED (WARN)", "failed": "FAILED (ERROR)",
         "in_progress": "RUNNING", "not_run": "NOT RUN"}


def check_counts(graph: Any, keys: Iterable[Any]) -> dict[str, dict[str, int]]:
    """{asset key: {result: n, "total": n}} for the assets among `keys` that have checks,
    from the latest executions in the instance of $HEADWATER_HOME."""
    from headwater.code.check_result import bucket, count
    from headwater.storage.instance import HeadwaterInstance

    by_asset = {k: graph.check_keys_for_asset(k) for k in keys}
    check_keys = [c for found in by_asset.values() for c in found]
    if not check_keys:
        return {}
    with HeadwaterInstance.get() as instance:
        latest = instance.get_latest_asset_check_execution_by_key(check_keys)
    return {asset.to_user_string(): count(bucket(latest.get(c)) for c in found)
            for asset, found in by_asset.items() if found}


def describe_counts(counts: dict[str, int] | None) -> str:
    from headwater.code.check_result import describe

    return describe(counts) if counts else ""


def run_checks_json(entries: Iterable[Any], run: Any) -> list[dict[str, Any]]:
    """A run's check results as plain data, for `run show` and `asset check`."""
    from headwater.code.check_result import run_check_results

    out = []
    for item in run_check_results(entries, run):
        evaluation = item.pop("evaluation")
        out.append({
            "key": item["key"], "partition": item["partition"], "step_key": item["step_key"],
            "status": item["status"], "result": item["result"],
            "passed": evaluation.passed if evaluation is not None else None,
            "severity": evaluation.severity.value if evaluation is not None else None,
            "description": evaluation.description if evaluation is not None else None,
        })
    return out


def check_line(check: dict[str, Any]) -> str:
    """'orders:no_nulls: FAILED (ERROR) - 3 null ids' (with the partition when there is one)."""
    where = f" [{check['partition']}]" if check.get("partition") else ""
    text = f"{check['key']}{where}: {_MARK.get(check['result'], check['status'])}"
    return f"{text} - {check['description']}" if check.get("description") else text


def selected_check_keys(graph: Any, select: str) -> list[AssetCheckKey]:
    """The checks `--select` names: check keys ("orders:no_nulls", comma-separated) or every
    check of the assets an asset selection string picks."""
    from headwater.definitions.assets.selection import AssetSelection
    from headwater.definitions.key import AssetCheckKey

    parts = [p.strip() for p in select.split(",") if p.strip()]
    if parts and all(":" in p and not p.startswith(("group:", "kind:", "owner:", "tag:", "key:",
                                                    "code_location:"))
                     for p in parts):
        keys = [AssetCheckKey.from_user_string(p) for p in parts]
        known = graph.check_keys()
        unknown = [k.to_user_string() for k in keys if k not in known]
        if unknown:
            names = ", ".join(sorted(k.to_user_string() for k in known)) or "none"
            raise HeadwaterInvalidInvocationError(
                f"--select names no check {unknown[0]!r}; the checks are: {names}.")
        return sorted(set(keys))
    assets = AssetSelection.from_string(select).resolve(graph)
    return sorted(c for asset in assets for c in graph.check_keys_for_asset(asset))


def _failing(checks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [c for c in checks if c["result"] == "failed"]


@click.command("check")
@location_options
@click.option("--select", required=True,
              help="Assets whose checks to run ('orders', 'group:sales', '*report'), or check "
                   "keys ('orders:no_nulls,orders:fresh').")
@click.option("--partition", default=None, help="Partition key to check.")
@click.option("--json", "as_json", is_flag=True)
def asset_check(locations: Locations, select: str, partition: str | None, as_json: bool) -> None:
    """Run asset checks only (no materialization), recorded in the instance of
    $HEADWATER_HOME; exit 1 if a check failed with severity ERROR."""
    from headwater.code.check_result import count, describe
    from headwater.code.run import reconstructable_job
    from headwater.definitions.assets.job import IMPLICIT_JOB
    from headwater.definitions.tags import PARTITION_TAG, RUN_CHECK_SELECTION_TAG
    from headwater.execution.api import execute_job
    from headwater.execution.partition import resolve_partitioned_run
    from headwater.storage.instance import HeadwaterInstance

    origin, defs = locations.load_one()
    graph = defs.resolve_asset_graph()
    check_keys = selected_check_keys(graph, select)
    if not check_keys:
        raise HeadwaterInvalidInvocationError(
            f"--select {select!r} picks no asset check; `headwater asset list` shows the checks "
            "of each asset.")
    job = reconstructable_job(origin, IMPLICIT_JOB, [], check_keys)
    instance = HeadwaterInstance.get()
    run_config, partition_key, tags = resolve_partitioned_run(job.get(), None, partition,
                                                              None, instance)
    if partition_key is not None:
        tags[PARTITION_TAG] = str(partition_key)
    # Recorded as a launched run records it, so that a re-execution checks the same checks.
    tags[RUN_CHECK_SELECTION_TAG] = json.dumps([k.to_db_string() for k in check_keys])
    result = execute_job(job, instance, run_config=run_config, tags=tags, raise_on_error=False)
    run = instance.get_run_by_id(result.run_id)
    checks = run_checks_json(instance.all_logs(result.run_id), run)
    failing = _failing(checks)
    if as_json:
        click.echo(json.dumps({"run_id": result.run_id, "success": result.success,
                               "checks": checks}))
    else:
        for check in checks:
            click.echo(check_line(check))
        verdict = ("failed" if failing else "passed") if result.success else "failed"
        click.echo(f"Run {result.run_id}: {describe(count(c['result'] for c in checks))}; "
                   f"checks {verdict}.")
    if not result.success:
        for event in result.get_step_failure_events():
            error = event.payload.error
            click.echo(f"{event.step_key} failed: {error.message if error else ''}", err=True)
    if failing or not result.success:
        sys.exit(1)
