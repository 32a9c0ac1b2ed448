"""A running dbt command and the events it reports, turned into headwater events as they come.

`DbtCliInvocation` owns the dbt subprocess. dbt runs with JSON logs, so each line of its
output is one structured event; `stream_raw_events()` yields them as the process writes them
(no polling, no waiting for the end), and `stream()` turns every finished node into headwater
events at once:

    model / seed / snapshot finished OK   -> Output (the asset is one of this step's) or
                                             AssetMaterialization (any other asset)
    data test finished                    -> AssetCheckResult (the test is one of this step's
                                             checks) or AssetObservation of the tested asset

When the process has ended with an error, the stream raises `HeadwaterDbtCliRuntimeError`
with dbt's own error lines, after every event before it was yielded (so what succeeded is
recorded).

Imports headwater's public names and this package's `manifest`, `translator`, `errors`.
"""

from __future__ import annotations

import json
import logging
import re
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from headwater import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetMaterialization,
    AssetObservation,
    Output,
)
from headwater_dbt.asset_decorator import dbt_info
from headwater_dbt.errors import HeadwaterDbtCliRuntimeError, HeadwaterDbtError
from headwater_dbt.manifest import attached_node, load_manifest, node
from headwater_dbt.translator import HeadwaterDbtTranslator, relation_identifier

logger = logging.getLogger("headwater_dbt")

#: the dbt events that say a node finished, with its status in data.node_info.node_status
_RESULT_EVENTS = {"LogModelResult", "LogSeedResult", "LogSnapshotResult", "LogTestResult"}
_ASSET_OK = {"success"}
_TEST_DONE = {"pass", "fail", "warn", "error"}
_ROWS = re.compile(r"\b(?:INSERT|SELECT|UPDATE|MERGE|CREATE|COPY)\s+(\d+)\b")


@dataclass
class DbtCliEventMessage:
    """One structured event from dbt's JSON log: `raw_event` is the parsed line."""

    raw_event: dict[str, Any]
    event_history_metadata: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return str(self.raw_event.get("info", {}).get("msg", ""))

    @property
    def log_level(self) -> str:
        return str(self.raw_event.get("info", {}).get("level", "info"))

    @property
    def node_info(self) -> dict[str, Any]:
        return dict(self.raw_event.get("data", {}).get("node_info") or {})

    def is_result_event(self) -> bool:
        return self.raw_event.get("info", {}).get("name") in _RESULT_EVENTS

    def to_default_asset_events(
        self,
        manifest: Any,
        headwater_dbt_translator: HeadwaterDbtTranslator | None = None,
        context: Any = None,
        check_by_test_id: Mapping[str, Any] | None = None,
    ) -> Iterator[Any]:
        """The headwater events this dbt event stands for (none for most events)."""
        if not self.is_result_event():
            return
        if context is not None and (headwater_dbt_translator is None or check_by_test_id is None):
            assets_info = dbt_info(context.assets_def) if _is_asset_step(context) else None
            if assets_info is not None:
                headwater_dbt_translator = headwater_dbt_translator or assets_info.translator
                if check_by_test_id is None:
                    check_by_test_id = assets_info.check_by_test_id
        manifest = load_manifest(manifest)  # a path or a DbtProject, as users pass it
        info = self.node_info
        unique_id = str(info.get("unique_id") or "")
        status = str(info.get("node_status") or "")
        kind = unique_id.split(".")[0]
        translator = headwater_dbt_translator or HeadwaterDbtTranslator()
        if kind in ("model", "seed", "snapshot") and status in _ASSET_OK:
            yield self._asset_event(manifest, translator, context, unique_id)
        elif kind == "test" and status in _TEST_DONE:
            yield from self._test_event(manifest, translator, context, unique_id, status,
                                        check_by_test_id or {})

    def _metadata(self) -> dict[str, Any]:
        data = self.raw_event.get("data", {})
        metadata: dict[str, Any] = {
            "unique_id": self.node_info.get("unique_id"),
            "invocation_id": self.raw_event.get("info", {}).get("invocation_id"),
        }
        if data.get("execution_time") is not None:
            metadata["Execution Duration"] = float(data["execution_time"])
        return metadata

    def _asset_event(self, manifest: Mapping[str, Any], translator: HeadwaterDbtTranslator,
                     context: Any, unique_id: str) -> Any:
        props = node(manifest, unique_id)
        key = translator.get_asset_key(props)
        metadata = self._metadata()
        built = self.node_info.get("node_relation") or {}  # as named in this run
        relation = ".".join(str(built[k]) for k in ("database", "schema", "alias")
                            if built.get(k)) or relation_identifier(props)
        if relation:
            metadata["headwater/relation_identifier"] = relation
        rows = _ROWS.search(str(self.raw_event.get("data", {}).get("result_message") or ""))
        if rows:
            metadata["headwater/row_count"] = int(rows.group(1))
        if context is not None and key in _selected_keys(context):
            return Output(None, output_name=context.output_for_asset_key(key), metadata=metadata)
        return AssetMaterialization(asset_key=key, metadata=metadata)

    def _test_event(self, manifest: Mapping[str, Any], translator: HeadwaterDbtTranslator,
                    context: Any, unique_id: str, status: str,
                    check_by_test_id: Mapping[str, Any]) -> Iterator[Any]:
        data = self.raw_event.get("data", {})
        metadata = {**self._metadata(), "status": status}
        if data.get("num_failures") is not None:
            metadata["failures"] = int(data["num_failures"])
        check_key = check_by_test_id.get(unique_id)
        if check_key is not None and context is not None \
                and check_key in _selected_check_keys(context):
            yield AssetCheckResult(
                asset_key=check_key.asset_key, check_name=check_key.name,
                passed=status == "pass", metadata=metadata,
                severity=AssetCheckSeverity.WARN if status == "warn" else AssetCheckSeverity.ERROR)
            return
        tested = attached_node(manifest, node(manifest, unique_id))
        if tested is not None:
            key = translator.get_asset_key(node(manifest, tested))
            yield AssetObservation(asset_key=key, metadata=metadata)


def _is_asset_step(context: Any) -> bool:
    try:
        return bool(context.has_assets_def)
    except AttributeError:
        return False


def _selected_keys(context: Any) -> set[Any]:
    try:
        return set(context.selected_asset_keys)
    except Exception:  # an op context outside any asset
        return set()


def _selected_check_keys(context: Any) -> set[Any]:
    try:
        return set(context.selected_asset_check_keys)
    except Exception:
        return set()


class DbtEventIterator(Iterator[Any]):
    """The events of `DbtCliInvocation.stream()`; iterate it (or `yield from` it).

    `fetch_row_counts()` and `fetch_column_metadata()` return an iterator whose
    materializations also carry row counts, column schemas and column lineage, asked of the
    warehouse once the command has finished (see `fetch`)."""

    def __init__(self, events: Iterator[Any], invocation: DbtCliInvocation, *,
                 row_counts: bool = False, columns: bool = False, lineage: bool = False):
        self._source = events
        self._invocation = invocation
        self._flags = (row_counts, columns, lineage)
        self._events: Iterator[Any] | None = None

    def __iter__(self) -> DbtEventIterator:
        return self

    def __next__(self) -> Any:
        if self._events is None:
            self._events = self._enriched() if any(self._flags) else self._source
        return next(self._events)

    def _enriched(self) -> Iterator[Any]:
        from headwater_dbt.fetch import enrich

        collected, failure = [], None
        try:
            for event in self._source:
                collected.append(event)
        except HeadwaterDbtCliRuntimeError as exc:
            failure = exc  # what finished is still enriched and recorded, then the error
        row_counts, columns, lineage = self._flags
        yield from enrich(collected, self._invocation, row_counts=row_counts, columns=columns,
                          lineage=lineage)
        if failure is not None:
            raise failure

    def _with(self, **flags: bool) -> DbtEventIterator:
        if self._events is not None:
            raise HeadwaterDbtError(
                "fetch_row_counts()/fetch_column_metadata() must be called on the stream "
                "before iterating it: dbt.cli([...], context=context).stream()"
                ".fetch_row_counts().")
        row_counts, columns, lineage = self._flags
        return DbtEventIterator(self._source, self._invocation,
                                row_counts=flags.get("row_counts", row_counts),
                                columns=flags.get("columns", columns),
                                lineage=flags.get("lineage", lineage))

    def fetch_row_counts(self) -> DbtEventIterator:
        """Add headwater/row_count (rows in each built table or view) to materializations."""
        return self._with(row_counts=True)

    def fetch_column_metadata(self, with_column_lineage: bool = True) -> DbtEventIterator:
        """Add headwater/column_schema (from the warehouse) and, with sqlglot installed,
        headwater/column_lineage to materializations."""
        return self._with(columns=True, lineage=with_column_lineage)

    def with_insights(self, *args: Any, **kwargs: Any) -> DbtEventIterator:
        raise HeadwaterDbtError(
            "DbtEventIterator.with_insights() reports to Dagster+ Insights, a hosted service "
            "headwater has no counterpart of. Drop the call.")


class DbtCliInvocation:
    """A dbt command started by `DbtCliResource.cli`; read its events with `stream()`."""

    def __init__(self, *, process: subprocess.Popen[str], args: Sequence[str], env: dict[str, str],
                 project_dir: Path, target_path: Path, manifest: Mapping[str, Any] | None,
                 translator: HeadwaterDbtTranslator, context: Any, raise_on_error: bool,
                 check_by_test_id: Mapping[str, Any] | None = None,
                 command_prefix: Sequence[str] = ("dbt",)):
        self.process = process
        self.command_prefix = list(command_prefix)
        #: unique_id -> the relation dbt built for it, as dbt named it in this command
        self.relation_names: dict[str, str] = {}
        self.args = list(args)
        self.env = env
        self.project_dir = project_dir
        self.target_path = target_path
        self.manifest = manifest
        self.headwater_dbt_translator = translator
        self.context = context
        self.raise_on_error = raise_on_error
        self._check_by_test_id = dict(check_by_test_id or {})
        self._events: list[DbtCliEventMessage] = []
        self._errors: list[str] = []
        self._plain_lines: list[str] = []
        self._done = False
        self._error: HeadwaterDbtCliRuntimeError | None = None

    def __repr__(self) -> str:
        return f"DbtCliInvocation(args={self.args!r}, target_path='{self.target_path}')"

    # --- raw events ---------------------------------------------------------------------------
    def stream_raw_events(self) -> Iterator[DbtCliEventMessage]:
        """Each structured event of dbt's log, as dbt writes it."""
        if self._done:
            yield from self._events
            self._finish()
            return
        assert self.process.stdout is not None
        read_to_end = False
        try:
            for line in self.process.stdout:
                event = self._parse(line)
                if event is not None:
                    self._events.append(event)
                    yield event
            read_to_end = True
        finally:
            if not read_to_end:
                self.terminate()  # the reader went away (step canceled or failed): stop dbt
        self.process.wait()
        self._done = True
        self._finish()

    def terminate(self, grace_seconds: float = 10.0) -> None:
        """Stop dbt: SIGTERM, then SIGKILL if it has not exited after `grace_seconds`."""
        if self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=grace_seconds)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def _parse(self, line: str) -> DbtCliEventMessage | None:
        text = line.rstrip("\n")
        if not text.strip():
            return None
        try:
            raw = json.loads(text)
        except ValueError:
            raw = None
        if not isinstance(raw, dict) or "info" not in raw:
            self._plain_lines.append(text)  # a crash traceback, or output of a dbt plugin
            print(text, file=sys.stdout, flush=True)
            return None
        event = DbtCliEventMessage(raw)
        relation = (event.node_info.get("node_relation") or {}).get("relation_name")
        if relation and event.is_result_event():
            self.relation_names[str(event.node_info.get("unique_id"))] = str(relation)
        msg = str(event)
        if msg.strip():
            print(msg, file=sys.stdout, flush=True)
        if event.log_level == "error" and not event.is_result_event() and msg.strip():
            self._errors.append(msg.rstrip())
        return event

    def _finish(self) -> None:
        code = self.process.returncode
        if code == 0 or self._error is not None:
            if self._error is not None and self.raise_on_error:
                raise self._error
            return
        details = "\n".join(self._errors) or "\n".join(self._plain_lines[-30:]) \
            or "(dbt printed no error message)"
        self._error = HeadwaterDbtCliRuntimeError(
            f"dbt command `{' '.join(['dbt', *self.args])}` failed with exit code {code} in "
            f"dbt project {self.project_dir}:\n{details}\n"
            "Nodes that finished before the failure were recorded; fix the error above and "
            "run again (re-executing from failure runs only what did not finish).",
            returncode=code, errors=self._errors or self._plain_lines[-30:])
        if self.raise_on_error:
            raise self._error

    # --- headwater events ---------------------------------------------------------------------
    def stream(self) -> DbtEventIterator:
        """The headwater events of the command, yielded as each dbt node finishes."""
        return DbtEventIterator(self._asset_events(), self)

    def _asset_events(self) -> Iterator[Any]:
        for event in self.stream_raw_events():
            if not event.is_result_event():
                continue
            if self.manifest is None:
                raise HeadwaterDbtError(
                    f"dbt command `dbt {' '.join(self.args)}` has no manifest to map its nodes "
                    "to assets. Call dbt.cli(..., context=context) inside @dbt_assets, or pass "
                    "manifest=project.manifest_path.")
            yield from event.to_default_asset_events(
                self.manifest, self.headwater_dbt_translator, self.context,
                self._check_by_test_id)

    # --- the end ------------------------------------------------------------------------------
    def wait(self) -> DbtCliInvocation:
        """Run the command to its end (raising on failure when raise_on_error)."""
        for _ in self.stream_raw_events():
            pass
        return self

    def is_successful(self) -> bool:
        """Whether dbt exited with code 0 (runs the command to its end first)."""
        try:
            self.wait()
        except HeadwaterDbtCliRuntimeError:
            return False
        return self.process.returncode == 0

    def get_error(self) -> HeadwaterDbtCliRuntimeError | None:
        """The error of a finished, failed command (None while running or on success)."""
        return self._error

    def get_artifact(self, artifact: str) -> dict[str, Any]:
        """A JSON artifact dbt wrote for this command (run_results.json, manifest.json, ...)."""
        path = self.target_path / artifact
        if not path.exists():
            written = sorted(p.name for p in self.target_path.glob("*.json")) \
                if self.target_path.exists() else []
            raise HeadwaterDbtError(
                f"dbt wrote no {artifact} in {self.target_path} for `dbt "
                f"{' '.join(self.args)}` (found: {', '.join(written) or 'nothing'}). Call "
                "get_artifact after the stream is consumed (or after wait()).")
        return dict(json.loads(path.read_text()))
