"""Concurrent launchers against one run queue: each run executes exactly once, within limits.

Several processes call the dequeue path (`dequeue_runs`, as the daemon, the webserver,
`job launch --wait` and sensors do) at once over a few hundred queued runs of a tiny job.
Each launcher runs the real run worker (`daemon.worker.run_worker`) in its own process in
place of the run-worker subprocess, so a few hundred runs cost no few hundred interpreter
start-ups; everything from the queue to the run's last event is the product's code. Which
runs executed, how often and when is read back from the event log.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping

import pytest

from headwater import HeadwaterInstance, HeadwaterRunStatus
from headwater.code.location import CodeLocationOrigin
from headwater.code.run import create_run
from headwater.execution.event import HeadwaterEvent, HeadwaterEventType
from headwater.storage.base import EventQuery

FIXTURES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fixtures")
JOBS = os.path.join(FIXTURES, "queue_jobs.py")
LAUNCHERS = 4
_ET = HeadwaterEventType

LAUNCHER = textwrap.dedent("""
    import json, os, sys, time

    from headwater.daemon import launcher
    from headwater.storage.instance import HeadwaterInstance
    from headwater.storage.record import HeadwaterRunStatus, RunsFilter

    url, home, go, seconds, settings = sys.argv[1:6]
    # the run launcher executes each run in this process (the real worker code), instead of
    # a run-worker subprocess
    synchronous = {**json.loads(settings), "run_launcher": {"synchronous": True}}
    instance = HeadwaterInstance.from_url(url, home, synchronous)
    print("ready", flush=True)
    while not os.path.exists(go):
        time.sleep(0.005)
    deadline = time.time() + float(seconds)
    queued = RunsFilter(statuses=[HeadwaterRunStatus.QUEUED])
    while instance.get_runs_count(queued) and time.time() < deadline:
        if not launcher.dequeue_runs(instance):
            time.sleep(0.02)
    instance.dispose()
""")


def _queue_runs(instance: HeadwaterInstance, tags: Iterable[Mapping[str, str]]) -> list[str]:
    """Store a QUEUED run of tiny_job per tag set; their ids."""
    origin = CodeLocationOrigin(python_file=JOBS)
    job_def = origin.load().get_job_def("tiny_job")
    runs = [create_run(instance, origin, job_def, tags=t) for t in tags]
    instance.store_events([HeadwaterEvent(_ET.RUN_ENQUEUED, r.run_id, r.job_name, time.time(),
                                          message="Run enqueued.") for r in runs])
    return [r.run_id for r in runs]


def _drain(url: str, home: str, settings: Mapping[str, object]) -> None:
    """Start LAUNCHERS processes dequeuing at once; wait until they have emptied the queue."""
    go = os.path.join(home, "go")
    procs = [subprocess.Popen(
        [sys.executable, "-c", LAUNCHER, url, home, go, "150", json.dumps(settings)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=FIXTURES)
        for _ in range(LAUNCHERS)]
    try:
        for proc in procs:  # all launchers loaded before any starts: they race from the start
            assert proc.stdout is not None and proc.stdout.readline().strip() == "ready", \
                proc.communicate()[1]
        open(go, "w").close()
        for proc in procs:
            _, err = proc.communicate(timeout=170)
            assert proc.returncode == 0, err
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def _executions(instance: HeadwaterInstance) -> dict[str, list[tuple[float, float]]]:
    """Per run id, the (start, end) times of each time it executed, from its RUN_START and
    RUN_SUCCESS events."""
    events: dict[str, dict[HeadwaterEventType, list[float]]] = defaultdict(lambda: defaultdict(list))
    query = EventQuery(event_types=frozenset({_ET.RUN_START, _ET.RUN_SUCCESS}))
    for record in instance.storage.get_event_records(query):
        event = record.event_log_entry
        events[event.run_id][event.headwater_event_type].append(event.timestamp)
    return {run_id: list(zip(sorted(by_type[_ET.RUN_START]), sorted(by_type[_ET.RUN_SUCCESS])))
            for run_id, by_type in events.items()}


def _most_at_once(intervals: Iterable[tuple[float, float]]) -> int:
    """The largest number of the (start, end) intervals that overlap at one time."""
    points = sorted(p for start, end in intervals for p in ((start, 1), (end, -1)))
    most = running = 0
    for _, step in points:
        running += step
        most = max(most, running)
    return most


def _assert_each_ran_once(instance: HeadwaterInstance, run_ids: list[str]) -> None:
    starting = Counter(r.event_log_entry.run_id for r in instance.storage.get_event_records(
        EventQuery(event_types=frozenset({_ET.RUN_STARTING}))))
    success = Counter(r.event_log_entry.run_id for r in instance.storage.get_event_records(
        EventQuery(event_types=frozenset({_ET.RUN_SUCCESS}))))
    statuses = Counter(r.status for r in instance.get_runs())
    assert statuses == {HeadwaterRunStatus.SUCCESS: len(run_ids)}, statuses
    twice = Counter(n for n in success.values() if n != 1)
    assert not twice, f"runs executed more than once (times: runs): {dict(twice)}"
    assert set(success) == set(run_ids)
    relaunched = Counter(n for n in starting.values() if n != 1)
    assert not relaunched, f"runs launched more than once (times: runs): {dict(relaunched)}"


def _limited(executions: Mapping[str, list[tuple[float, float]]],
             chosen: Callable[[str], bool]) -> int:
    return _most_at_once(span for run_id, spans in executions.items() if chosen(run_id)
                         for span in spans)


@pytest.mark.timeout(240)
def test_concurrent_launchers_start_each_queued_run_once(database_url, tmp_path):
    """Invariant: with 4 launchers dequeuing 80 queued runs at once, every run executes
    exactly once (one RUN_STARTING, one RUN_SUCCESS), none is lost, and never more than
    max_concurrent_runs (2) execute at the same time."""
    settings = {"run_queue": {"max_concurrent_runs": 2}}
    with HeadwaterInstance.from_url(database_url, str(tmp_path), settings) as instance:
        run_ids = _queue_runs(instance, [{}] * 80)
        _drain(database_url, str(tmp_path), settings)
        _assert_each_ran_once(instance, run_ids)
        # == rather than <=: the launchers did overlap, so the limit was really put to the test
        assert _limited(_executions(instance), lambda _: True) == 2


@pytest.mark.timeout(240)
def test_concurrent_launchers_hold_tag_limits(database_url, tmp_path):
    """Invariant: with 4 launchers dequeuing 60 queued runs at once, every run executes
    exactly once, never more than 3 at a time, never more than one tagged db=main at a time,
    and never more than one per value of the team tag (applyLimitPerUniqueValue)."""
    settings = {"run_queue": {"max_concurrent_runs": 3, "tag_concurrency_limits": [
        {"key": "db", "value": "main", "limit": 1},
        {"key": "team", "value": {"applyLimitPerUniqueValue": True}, "limit": 1}]}}
    tags = [{"db": "main"} if i % 3 == 0 else {"team": "ab"[i % 2]} if i % 3 == 1 else {}
            for i in range(60)]
    with HeadwaterInstance.from_url(database_url, str(tmp_path), settings) as instance:
        run_ids = _queue_runs(instance, tags)
        tags_of = dict(zip(run_ids, tags))
        _drain(database_url, str(tmp_path), settings)
        _assert_each_ran_once(instance, run_ids)
        executions = _executions(instance)
        assert _limited(executions, lambda _: True) <= 3
        assert _limited(executions, lambda r: tags_of[r].get("db") == "main") <= 1
        for team in "ab":
            assert _limited(executions, lambda r, t=team: tags_of[r].get("team") == t) <= 1
