"""The dask executor against an existing cluster: a `dask scheduler` and two `dask worker`
processes started from the command line, each step a task on them, on an on-disk SQLite
instance; and what happens to a step whose worker is SIGKILLed while it runs."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("distributed")

import headwater as hw  # noqa: E402
from headwater import HeadwaterEventType, execute_job, reconstructable  # noqa: E402

TESTS = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(TESTS / "fixtures"))

import dask_jobs  # noqa: E402

DASK = Path(sys.executable).with_name("dask")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """A scheduler and two workers, each a `dask` CLI subprocess of this test."""

    def __init__(self, tmp: Path, allowed_failures: int = 3):
        self.address = f"tcp://127.0.0.1:{_free_port()}"
        env = dict(os.environ)
        # how many workers may die running a task before dask gives up on it (3: the default)
        env["DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES"] = str(allowed_failures)
        # the workers import the job from the fixtures and headwater from this tree
        env["PYTHONPATH"] = os.pathsep.join(
            [str(TESTS.parent / "src"), str(TESTS / "fixtures"), env.get("PYTHONPATH", "")])
        port = self.address.rsplit(":", 1)[1]
        self.logs = [open(tmp / f"{name}.log", "w")  # noqa: SIM115 (closed in stop())
                     for name in ("scheduler", "w1", "w2")]
        self.processes = [subprocess.Popen(
            [str(DASK), "scheduler", "--host", "127.0.0.1", "--port", port, "--no-dashboard"],
            env=env, stdout=self.logs[0], stderr=subprocess.STDOUT)]
        for log, name in zip(self.logs[1:], ("w1", "w2"), strict=True):
            self.processes.append(subprocess.Popen(
                [str(DASK), "worker", self.address, "--name", name, "--nthreads", "2",
                 "--no-dashboard", "--death-timeout", "60"],
                env=env, stdout=log, stderr=subprocess.STDOUT))

    def worker_pids(self) -> set[int]:
        """The process ids of the worker processes (the nannies' children) right now."""
        from distributed import Client

        with Client(self.address, timeout=60) as client:
            client.wait_for_workers(2, timeout=120)
            return set(client.run(os.getpid).values())

    def stop(self) -> None:
        for process in reversed(self.processes):
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for log in self.logs:
            log.close()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    running = Cluster(tmp_path_factory.mktemp("dask-cluster"))
    try:
        yield running
    finally:
        running.stop()


def _run_config(cluster: Cluster, directory: Path) -> dict:
    return {
        "ops": {name: {"config": {"dir": str(directory)}} for name in dask_jobs.OPS},
        "execution": {"config": {"cluster": {"existing": {"address": cluster.address}}}},
    }


def _pids(directory: Path, name: str) -> list[int]:
    return [int(p) for p in (directory / f"{name}.pid").read_text().split()]


def _steps(instance: hw.HeadwaterInstance, run_id: str,
           kind: HeadwaterEventType) -> list[str | None]:
    return [e.step_key for e in instance.all_logs(run_id) if e.headwater_event_type is kind]


def test_every_step_runs_on_a_worker_of_the_existing_cluster(cluster, tmp_path):
    """20 ops run as tasks on the two `dask worker` processes, never in this process; the run
    succeeds and the SQLite instance holds every step's start and success."""
    workers = cluster.worker_pids()
    with hw.instance_for_test() as instance:
        result = execute_job(reconstructable(dask_jobs.twenty_ops), instance,
                             run_config=_run_config(cluster, tmp_path))
        assert result.success
        with result:
            assert result.output_for_node("total") == \
                dask_jobs.PARTS + sum(range(dask_jobs.PARTS))
        ran_in = {name: _pids(tmp_path, name) for name in dask_jobs.OPS}
        assert all(len(pids) == 1 for pids in ran_in.values())
        used = {pids[0] for pids in ran_in.values()}
        assert used <= workers and os.getpid() not in used
        assert len(used) == 2  # 18 independent parts spread over both workers
        assert instance.get_run_by_id(result.run_id).status is hw.HeadwaterRunStatus.SUCCESS
        for kind in (HeadwaterEventType.STEP_START, HeadwaterEventType.STEP_SUCCESS):
            assert sorted(_steps(instance, result.run_id, kind)) == sorted(dask_jobs.OPS)
        assert _steps(instance, result.run_id, HeadwaterEventType.RUN_SUCCESS) == [None]


def _run_killing_part5(cluster: Cluster, instance: hw.HeadwaterInstance,
                       directory: Path) -> tuple[hw.ExecuteJobResult, int]:
    """Run the job with `part5` held, SIGKILL the worker process running it, and return the
    run's result and the killed process id."""
    (directory / "part5.hold").touch()
    workers = cluster.worker_pids()
    outcome: dict[str, hw.ExecuteJobResult] = {}

    def run() -> None:
        outcome["result"] = execute_job(reconstructable(dask_jobs.twenty_ops), instance,
                                        run_config=_run_config(cluster, directory))

    runner = threading.Thread(target=run)
    runner.start()
    pid_file = directory / "part5.pid"
    for _ in range(1200):
        if pid_file.exists() and pid_file.read_text().strip():
            break
        time.sleep(0.1)
    victim = _pids(directory, "part5")[0]
    assert victim in workers
    os.kill(victim, signal.SIGKILL)
    runner.join(timeout=300)
    assert not runner.is_alive()
    return outcome["result"], victim


def test_a_step_whose_worker_is_killed_runs_again_on_a_surviving_worker(cluster, tmp_path):
    """SIGKILL the worker process running `part5`: dask reschedules the task, the run
    succeeds, and the killed attempt leaves no event (a step's events travel in its task's
    result), so `part5` has one start and one success in the log."""
    with hw.instance_for_test() as instance:
        result, victim = _run_killing_part5(cluster, instance, tmp_path)
        assert result.success
        first, second = _pids(tmp_path, "part5")
        assert first == victim and second != victim and second != os.getpid()
        assert _steps(instance, result.run_id, HeadwaterEventType.STEP_START).count("part5") == 1
        assert sorted(_steps(instance, result.run_id, HeadwaterEventType.STEP_SUCCESS)) == \
            sorted(dask_jobs.OPS)
        with result:
            assert result.output_for_node("total") == \
                dask_jobs.PARTS + sum(range(dask_jobs.PARTS))


def test_a_step_fails_when_dask_gives_up_on_its_killed_worker(tmp_path):
    """With `allowed-failures: 0` the scheduler does not rerun a task whose worker died: the
    step fails with an error naming it and the dask failure, and `total`, downstream, never
    starts."""
    cluster = Cluster(tmp_path, allowed_failures=0)
    try:
        with hw.instance_for_test() as instance:
            result, _ = _run_killing_part5(cluster, instance, tmp_path)
            assert not result.success
            assert _pids(tmp_path, "part5") == [_pids(tmp_path, "part5")[0]]
            failures = [e for e in instance.all_logs(result.run_id)
                        if e.headwater_event_type is HeadwaterEventType.STEP_FAILURE]
            # every task on the killed worker fails with it (part5, and any step the
            # scheduler had given that worker at that moment); a failed step ran on it
            failed = {e.step_key: e for e in failures}
            assert "part5" in failed
            killed = _pids(tmp_path, "part5")[0]
            for step in failed:  # a step the dead worker held but had not started has no pid
                ran_on = _pids(tmp_path, step) if (tmp_path / f"{step}.pid").exists() else [killed]
                assert killed in ran_on, f"{step} failed but ran only on a live worker"
            assert 'Step "part5" failed on the dask cluster' in failed["part5"].message
            assert "total" not in _steps(instance, result.run_id, HeadwaterEventType.STEP_START)
            assert instance.get_run_by_id(result.run_id).status is \
                hw.HeadwaterRunStatus.FAILURE
    finally:
        cluster.stop()
