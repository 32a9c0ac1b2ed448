"""`asset materialize` prints each step as it starts and ends, while the run executes."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

SLOW = textwrap.dedent(
    """
    import os, time
    from headwater import Definitions, asset

    GATE = os.environ["GATE_FILE"]

    @asset
    def slow():
        deadline = time.monotonic() + 60
        while not os.path.exists(GATE):
            if time.monotonic() > deadline:
                raise TimeoutError("the test never opened the gate")
            time.sleep(0.05)
        return 1

    defs = Definitions(assets=[slow])
    """
)


def test_a_step_start_is_printed_before_the_step_ends(tmp_path):
    """'Step "slow" started.' reaches stdout while the step still waits for the test's gate;
    the step's success and the run summary follow once the gate opens."""
    path = tmp_path / "defs.py"
    path.write_text(SLOW)
    gate = tmp_path / "gate"
    env = {**os.environ, "HEADWATER_HOME": str(tmp_path / "home"), "GATE_FILE": str(gate)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "headwater.cli.main", "asset", "materialize", "-f", str(path),
         "--select", "*"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    assert proc.stdout is not None
    first = proc.stdout.readline()
    assert first == 'slow: Step "slow" started.\n', first + proc.stderr.read()
    assert not gate.exists() and proc.poll() is None  # the step is still running
    gate.write_text("")
    rest, errors = proc.communicate(timeout=60)
    assert proc.returncode == 0, errors
    lines = rest.splitlines()
    assert lines[0].startswith('slow: Step "slow" succeeded in ')
    assert lines[-1].endswith("succeeded; materialized 1 asset(s).")
