"""`headwater-celery worker start -d | list | terminate`, run as `python -m headwater_celery.cli`
against the real brokers, and the command's one-line errors."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import yaml

from headwater import execute_job, reconstructable

SRC = Path(__file__).resolve().parents[3] / "src"
WITHOUT_EXTRA = SRC.parent / "tests" / "fixtures" / "without_extra"


def cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "C_FORCE_ROOT": "1", "WORKER_LABEL": "background",
           "PYTHONPATH": os.pathsep.join([str(SRC), str(tmp_path)])}
    return subprocess.run([sys.executable, "-m", "headwater_celery.cli", *args], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=120)


def _listed(tmp_path: Path, config: str, name: str, present: bool) -> None:
    for _ in range(120):
        done = cli(tmp_path, "worker", "list", "-y", config)
        if (name in done.stdout.split()) == present:
            return
        time.sleep(0.5)
    raise AssertionError(f"worker {name} {'never appeared' if present else 'never left'}")


def test_a_background_worker_is_listed_runs_steps_and_terminates(cluster, instance):
    """Invariant: `worker start -d` returns at once with a worker running in the background;
    `worker list` names it, it runs the job's steps, and `worker terminate NAME` stops it."""
    tmp_path = cluster.tmp_path
    config = tmp_path / "celery.yaml"
    config.write_text(yaml.safe_dump({"execution": {"config": cluster.config}}))
    name = f"background-{os.getpid()}@{os.uname().nodename}"
    started = cli(tmp_path, "worker", "start", "-d", "-y", str(config), "-q", cluster.queue,
                  "-n", name, "--logfile", str(tmp_path / "bg.log"))
    assert started.returncode == 0, started.stderr
    assert started.stdout.startswith(f"Started worker {name} in the background (pid ")
    pid = int(started.stdout.split("(pid ")[1].split(")")[0])
    try:
        _listed(tmp_path, str(config), name, present=True)
        result = execute_job(reconstructable(cluster.module.fan), instance)
        assert result.success
        assert cluster.where("total") == "background"
        stopped = cli(tmp_path, "worker", "terminate", name, "-y", str(config))
        assert stopped.stdout == f"Asked {name} to shut down.\n"
        _listed(tmp_path, str(config), name, present=False)
    finally:
        try:
            os.killpg(pid, 9)
        except ProcessLookupError:
            pass


def test_config_file_errors_name_the_file_and_the_fix(tmp_path):
    """Invariant: a config file with an unknown key, or -A with -y, is one line saying what
    to change, and exit status 2."""
    config = tmp_path / "celery.yaml"
    config.write_text(yaml.safe_dump({"execution": {"config": {"brokr": "redis://"}}}))
    done = cli(tmp_path, "worker", "list", "-y", str(config))
    assert done.returncode == 2
    assert done.stderr.splitlines()[-1] == (
        f"Error: {config}: unknown celery config key(s) brokr; the keys are broker, backend, "
        "include and config_source.")
    done = cli(tmp_path, "worker", "list", "-A", "headwater_celery.app", "-y", str(config))
    assert done.stderr.splitlines()[-1] == (
        "Error: pass either -A (an app) or -y (a config file), not both: an app carries its "
        "own config.")
    done = cli(tmp_path, "worker", "terminate", "-A", "headwater_celery.app")
    assert done.stderr.splitlines()[-1] == (
        "Error: name one worker (as `headwater-celery worker list` shows it) or pass --all: "
        "one of the two.")


def test_without_the_celery_extra_the_executor_and_the_command_name_it(tmp_path):
    """Invariant: with celery not installed, `import headwater_celery` still works, and both a
    run on celery_executor and `headwater-celery worker start` fail with one line naming the
    `celery` extra."""
    path = tmp_path / "celery_defs.py"
    path.write_text("from headwater import Definitions, job, op\n"
                    "from headwater_celery import celery_executor\n\n"
                    "@op\ndef one() -> int:\n    return 1\n\n"
                    "@job(executor_def=celery_executor)\ndef everything():\n    one()\n\n"
                    "defs = Definitions(jobs=[everything])\n")
    env = {**os.environ, "HEADWATER_TEST_UNIMPORTABLE": "celery,kombu",
           "HEADWATER_HOME": str(tmp_path / "home"),
           "PYTHONPATH": os.pathsep.join([str(WITHOUT_EXTRA), str(SRC)])}
    done = subprocess.run([sys.executable, "-m", "headwater.cli.main", "job", "execute", "-f",
                           str(path), "-j", "everything"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert done.stderr.splitlines()[-1] == ("Error: the celery executor needs the 'celery' "
                                            "extra: pip install 'headwater[celery]'")
    done = subprocess.run([sys.executable, "-m", "headwater_celery.cli", "worker", "start"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert done.stderr == ("Error: headwater_celery needs the 'celery' extra: "
                           "pip install 'headwater[celery]'\n")
