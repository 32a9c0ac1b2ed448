"""Live progress of a run that executes in this process (`asset materialize`, `job execute`).

The run executes on the main thread (so Ctrl-C reaches it); a watcher thread reads the run's
events from its own connection to the instance and prints each step as it starts and ends.
Step starts and ends are written at once (storage/sql.py holds only a step's inner events
until its boundary), so the lines appear as they happen. In a terminal, a status line
counts the finished steps; elsewhere, plain lines. `execute_here` runs a job so. Imports
`storage` and `execution`, inside the functions that use them (`--help` loads neither).
"""

from __future__ import annotations

import sys
import threading
import uuid
from types import TracebackType
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from headwater.execution.reconstruct import ReconstructableJob

SHOWN = frozenset({"STEP_START", "STEP_SUCCESS", "STEP_FAILURE", "STEP_SKIPPED",
                   "STEP_UP_FOR_RETRY"})
_POLL_SECONDS = 0.2


class RunProgress:
    """Prints the step events of run `run_id` while the `with` block executes it."""

    def __init__(self, run_id: str, enabled: bool = True) -> None:
        self.run_id = run_id
        self.enabled = enabled
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="headwater-progress",
                                        daemon=True)
        self._finished = 0

    def __repr__(self) -> str:
        return f"RunProgress({self.run_id!r}, enabled={self.enabled})"

    def __enter__(self) -> RunProgress:
        if self.enabled:
            self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def _watch(self) -> None:
        from headwater.storage.instance import HeadwaterInstance

        instance = HeadwaterInstance.get()
        cursor: str | None = None
        if sys.stdout.isatty():
            from rich.console import Console

            console = Console()
            with console.status(f"run {self.run_id}") as status:
                while True:
                    ended = self._stop.is_set()
                    cursor, lines = self._read(instance, cursor)
                    for line, style in lines:
                        console.print(line, style=style, highlight=False)
                    status.update(f"run {self.run_id}: {self._finished} step(s) finished")
                    if ended:
                        return
                    self._stop.wait(_POLL_SECONDS)
        while True:
            # The stop is set once the run has ended and its events are flushed, so a read
            # begun after it sees the last ones.
            ended = self._stop.is_set()
            cursor, lines = self._read(instance, cursor)
            for line, _ in lines:
                click.echo(line)
            if ended:
                return
            self._stop.wait(_POLL_SECONDS)

    def _read(self, instance: Any, cursor: str | None) -> tuple[str | None, list[tuple[str, Any]]]:
        page = instance.get_records_for_run(self.run_id, cursor=cursor)
        lines: list[tuple[str, Any]] = []
        for record in page.records:
            entry = record.event_log_entry
            kind = entry.headwater_event_type.value if entry.headwater_event_type else "LOG"
            if kind not in SHOWN or not entry.step_key:
                continue
            if kind in ("STEP_SUCCESS", "STEP_FAILURE", "STEP_SKIPPED"):
                self._finished += 1
            style = "red" if kind == "STEP_FAILURE" else "green" if kind == "STEP_SUCCESS" \
                else None
            lines.append((f"{entry.step_key}: {entry.message}", style))
        return page.cursor or cursor, lines


def execute_here(job: ReconstructableJob, run_config: Any, partition: str | None,
                 tags: dict[str, str], show_progress: bool) -> Any:
    """Run a job of the location in this process, with the job's own executor, in the instance
    of $HEADWATER_HOME (./.headwater by default, as `dev` shows it), printing each step as it
    starts and ends when `show_progress`; the run's result."""
    from headwater.definitions.tags import PARTITION_TAG
    from headwater.execution.api import execute_job
    from headwater.execution.partition import resolve_partitioned_run
    from headwater.storage.instance import HeadwaterInstance

    instance = HeadwaterInstance.get()
    run_config, partition_key, tags = resolve_partitioned_run(job.get(), run_config, partition,
                                                              tags, instance)
    if partition_key is not None:
        tags[PARTITION_TAG] = str(partition_key)
    run_id = str(uuid.uuid4())
    with RunProgress(run_id, enabled=show_progress):
        return execute_job(job, instance, run_config=run_config, tags=tags,
                           raise_on_error=False, run_id=run_id)
