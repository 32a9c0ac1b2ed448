"""Compute logs: what a step prints goes to its own files under the instance's storage
directory (and still to the process's streams), and nowhere for an ephemeral instance."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from headwater import asset, materialize
from headwater.execution.event import HeadwaterEventType
from headwater.execution.log import run_log_path, step_log_path
from headwater.storage.instance import HeadwaterInstance


@asset
def loud(context):
    print("loud says hi")
    print("loud complains", file=sys.stderr)
    context.log.info("a log message, not output")
    return 1


@asset
def quiet(loud):
    print("quiet whispers")
    return loud


def test_each_step_writes_its_own_files(tmp_path: Path, capsys) -> None:
    """stdout and stderr of each step land in its files and in the run's; context.log
    stays an event; the output still reaches the process's streams."""
    instance = HeadwaterInstance.from_url(f"sqlite:///{tmp_path}/h.db", str(tmp_path))
    try:
        result = materialize([loud, quiet], instance=instance)
        storage = instance.storage_directory()
        run_id = result.run_id
        assert Path(step_log_path(storage, run_id, "loud", "stdout")).read_text() == "loud says hi\n"
        assert Path(step_log_path(storage, run_id, "loud", "stderr")).read_text() == "loud complains\n"
        assert Path(step_log_path(storage, run_id, "quiet", "stdout")).read_text() == "quiet whispers\n"
        assert not os.path.exists(step_log_path(storage, run_id, "quiet", "stderr"))
        assert Path(run_log_path(storage, run_id, "stdout")).read_text() == (
            "loud says hi\nquiet whispers\n")
        messages = [e.message for e in instance.all_logs(run_id, HeadwaterEventType.LOG)]
        assert "a log message, not output" in messages
        assert "loud says hi" in capsys.readouterr().out
    finally:
        instance.dispose()


def test_an_ephemeral_instance_keeps_no_compute_logs(tmp_path: Path) -> None:
    """materialize() in memory writes no compute-log files."""
    instance = HeadwaterInstance.ephemeral()
    result = materialize([loud, quiet], instance=instance)
    assert result.success
    assert not os.path.exists(os.path.join(instance.storage_directory(), result.run_id,
                                           "compute_logs"))
