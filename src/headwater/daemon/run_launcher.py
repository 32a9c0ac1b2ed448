"""The run launcher: what starts the run worker of a claimed run, stops it, and says whether
it still runs.

The run coordinator (daemon/launcher.py) decides *whether* a run starts: it claims the run
in the database (NOT_STARTED or QUEUED -> STARTING) and only then hands it to the launcher,
so a launcher is only ever asked to start a run its process owns. The launcher decides
*where* the run worker `headwater run-worker RUN_ID` runs: `DefaultRunLauncher` spawns it as
a local subprocess; `headwater_docker.DockerRunLauncher` starts a container and
`headwater_k8s.K8sRunLauncher` a Kubernetes Job. A launcher implements three calls:

- `launch_run(context)`: start the worker of `context.headwater_run` (STARTING); raise if it
  cannot, and the coordinator fails the run with the error.
- `terminate(run_id) -> bool`: stop the worker of a run being canceled; whether there was one
  to stop. The coordinator has marked the run CANCELING with its reason before the call; a
  launcher called directly marks it itself (`report_canceling`). Run monitoring calls it too,
  right after it ended a dead run FAILURE or CANCELED, so that a hung worker (a container, a
  Job) stops: stop the worker whatever the run's status (`run_to_stop` gives the run).
- `check_run_worker_health(run)`: for run monitoring, whether the worker still runs (only
  asked when `supports_check_run_worker_health` is true): a worker that ended without
  ending its run means the run is dead.

A process that will launch many runs (the daemon, the webserver) calls `warm_up()` once at
its start, so that the launcher may get ready to start workers sooner: `DefaultRunLauncher`
starts its fork server (daemon/forkserver.py), which forks each worker from a process that
has imported headwater already, instead of starting a new interpreter per run.

The launcher is chosen by headwater.yaml's `run_launcher:` section, Dagster's shape
(`module`, `class`, `config`); `config` is passed to the class as keyword arguments. Without
the section it is `DefaultRunLauncher`. `run_launcher_of(instance)` builds it once per
instance. Imports `errors`, `storage`, `code`, `execution`, `definitions`.
"""

from __future__ import annotations

import importlib
import inspect
import os
import socket
import subprocess
import threading
import time
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from headwater.code.run import origin_of, spawn_run_worker
from headwater.daemon.forkserver import fork_server, start_fork_server
from headwater.daemon.worker import run_worker
from headwater.definitions.tags import RUN_WORKER_HOST_TAG, RUN_WORKER_PID_TAG
from headwater.errors import HeadwaterInvalidInvocationError
from headwater.execution.event import HeadwaterEvent, HeadwaterEventType
from headwater.storage.claim import IN_PROGRESS
from headwater.storage.home import HOME_ENV, URL_ENV
from headwater.storage.record import HeadwaterRun, HeadwaterRunStatus

SECTION = "run_launcher"
_KEYS = ("module", "class", "config")


@dataclass(frozen=True, slots=True)
class LaunchRunContext:
    """What `RunLauncher.launch_run` is given: the run to start.

    The run is already claimed for this launch (STARTING); the launcher starts its worker,
    which loads the run's code itself (from the run's code origin).

    Args:
        headwater_run: the run whose worker to start.

    Example:
        ```python
        from headwater import HeadwaterRun, LaunchRunContext

        context = LaunchRunContext(HeadwaterRun(job_name="nightly", run_id="r1"))
        assert context.headwater_run.run_id == "r1"
        ```
    """

    headwater_run: HeadwaterRun


class WorkerStatus(Enum):
    """What a launcher knows of a run's worker: RUNNING, or ended (SUCCESS, FAILED, or
    NOT_FOUND when nothing of it is left), or UNKNOWN when the launcher cannot tell."""

    RUNNING = "RUNNING"
    NOT_FOUND = "NOT_FOUND"
    FAILED = "FAILED"
    SUCCESS = "SUCCESS"
    UNKNOWN = "UNKNOWN"


#: A worker in one of these has ended: a run it leaves in progress is dead.
ENDED = frozenset({WorkerStatus.NOT_FOUND, WorkerStatus.FAILED, WorkerStatus.SUCCESS})


@dataclass(frozen=True, slots=True)
class CheckRunHealthResult:
    """The answer of `RunLauncher.check_run_worker_health`: the worker's status and why.

    Run monitoring declares a run dead when its worker ended (SUCCESS, FAILED, NOT_FOUND)
    while the run was still in progress, with `msg` in the run's failure.

    Args:
        status: what the launcher knows of the worker.
        msg: why, in words, for the run's failure event.
        run_worker_id: the launcher's name for the worker (a pid, a container id, a Job).

    Example:
        ```python
        from headwater import CheckRunHealthResult, WorkerStatus

        result = CheckRunHealthResult(WorkerStatus.FAILED, "container exited with code 137")
        assert result.status is WorkerStatus.FAILED
        ```
    """

    status: WorkerStatus
    msg: str | None = None
    run_worker_id: str | None = None


class RunLauncher:
    """Starts, stops and checks the worker process of a launched run.

    Subclass it to run workers elsewhere, and name the subclass in headwater.yaml:

    ```yaml
    run_launcher:
      module: my_company.launchers
      class: BatchRunLauncher
      config:
        queue: nightly
    ```

    `config` becomes the class's keyword arguments. The instance the launcher serves is
    `self.instance` (set by `register_instance` before any other call).

    Example:
        ```python
        from headwater import RunLauncher


        class RecordingRunLauncher(RunLauncher):
            def __init__(self, label: str = "test"):
                self.label = label
                self.launched: list[str] = []

            def launch_run(self, context):
                self.launched.append(context.headwater_run.run_id)

            def terminate(self, run_id):
                return self.report_canceling(run_id) is not None


        assert RecordingRunLauncher(label="x").launched == []
        ```
    """

    _instance_ref: Any = None

    def register_instance(self, instance: Any) -> None:
        """Attach the instance whose runs this launcher starts (held weakly)."""
        self._instance_ref = weakref.ref(instance)

    @property
    def instance(self) -> Any:
        instance = self._instance_ref() if self._instance_ref is not None else None
        if instance is None:
            raise HeadwaterInvalidInvocationError(
                f"{type(self).__name__} serves no instance: get it with "
                "run_launcher_of(instance), which registers the instance.")
        return instance

    def launch_run(self, context: LaunchRunContext) -> None:
        """Start the worker of `context.headwater_run`; raise when it cannot be started."""
        raise NotImplementedError(f"{type(self).__name__} must implement launch_run(context).")

    def warm_up(self, wait: float = 0.0) -> None:
        """Get ready to start workers sooner: called once by a process that will launch many
        runs, up to `wait` seconds until ready (benchmarks wait; the daemon does not). Does
        nothing unless a launcher has something to prepare; never raises for it."""

    def terminate(self, run_id: str) -> bool:
        """Stop the worker of the run; whether there was one to stop. Also called by run
        monitoring for a run it has just ended (its worker hung or lost): stop the worker
        then too."""
        raise NotImplementedError(f"{type(self).__name__} must implement terminate(run_id).")

    @property
    def supports_check_run_worker_health(self) -> bool:
        """Whether run monitoring may ask `check_run_worker_health`."""
        return False

    def check_run_worker_health(self, run: HeadwaterRun) -> CheckRunHealthResult:
        """Whether the worker of the launched `run` still runs."""
        return CheckRunHealthResult(WorkerStatus.UNKNOWN,
                                    f"{type(self).__name__} cannot check run workers.")

    def report_canceling(self, run_id: str,
                         message: str = "Sending run cancellation request.") -> HeadwaterRun | None:
        """Mark the run CANCELING (once); the run, or None when it is not in progress."""
        run = self.instance.get_run_by_id(run_id)
        if run is None or run.status not in IN_PROGRESS:
            return None
        if run.status is not HeadwaterRunStatus.CANCELING:
            self.instance.store_event(HeadwaterEvent(
                HeadwaterEventType.RUN_CANCELING, run.run_id, run.job_name, time.time(),
                message=message))
        return run

    def run_to_stop(self, run_id: str) -> HeadwaterRun | None:
        """The run whose worker `terminate` is to stop: marked CANCELING first while it is in
        progress (a cancel), taken as it is once it has ended (run monitoring ends a dead run,
        then has its worker stopped); None when there is no such run."""
        return self.report_canceling(run_id) or self.instance.get_run_by_id(run_id)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


def worker_command(run_id: str) -> list[str]:
    """The command a container or Job runs for a launched run (headwater on its PATH); the
    default launcher runs the same through `python -m headwater.daemon.worker`."""
    return ["headwater", "run-worker", run_id]


def worker_environment(instance: Any) -> dict[str, str]:
    """The environment that points a run worker elsewhere at this instance: its database URL
    and home (the worker reads them as `HeadwaterInstance.get()` does)."""
    ref = instance.get_ref()
    return {URL_ENV: ref.url, HOME_ENV: ref.root_directory}


def env_from_entries(entries: Any, where: str) -> dict[str, str]:
    """`env_vars` entries as a dict: `KEY=VALUE`, or `KEY` to pass this process's value on
    (an error naming the entry when it is not set here)."""
    if entries is None:
        return {}
    if isinstance(entries, str) or not isinstance(entries, (list, tuple)):
        raise HeadwaterInvalidInvocationError(
            f"{where}: expected a list of KEY=VALUE or KEY entries, got {entries!r}.")
    env: dict[str, str] = {}
    for entry in entries:
        if not isinstance(entry, str) or not entry or entry.startswith("="):
            raise HeadwaterInvalidInvocationError(
                f"{where}: {entry!r} is not KEY=VALUE or KEY.")
        key, equals, value = entry.partition("=")
        if not equals:
            if key not in os.environ:
                raise HeadwaterInvalidInvocationError(
                    f"{where}: {key} is passed on from the environment, but it is not set "
                    f"here: export it, or write {key}=VALUE.")
            value = os.environ[key]
        env[key] = value
    return env


_CHILDREN: dict[int, subprocess.Popen[bytes]] = {}


class DefaultRunLauncher(RunLauncher):
    """Runs each run's worker as a process of its own, on this machine, or, for a run of a
    location served by `headwater code-server start` (a `grpc_server:` entry of
    workspace.yaml), as a subprocess of that code server, on its machine.

    The launcher used when headwater.yaml has no `run_launcher:` section. The worker's
    output goes to `$HEADWATER_HOME/logs/RUN_ID.log`; its pid and host are tagged on the
    run, so run monitoring can tell when it dies. Canceling needs no signal: the worker
    watches its run's status and stops itself once the run is CANCELING.

    After `warm_up()` (the daemon and the webserver call it) the worker is forked from the
    process's fork server, which has imported headwater already (daemon/forkserver.py says
    what a forked worker shares with a spawned one: nothing of the run); without it, or
    when the server cannot fork one, `python -m headwater.daemon.worker run-worker RUN_ID`
    is spawned. `fork_server=False` (in headwater.yaml: `run_launcher: {module: headwater,
    class: DefaultRunLauncher, config: {fork_server: false}}`) always spawns.

    Args:
        fork_server: whether workers are forked from this process's fork server (which
            `warm_up()` starts); False spawns a new interpreter for every run.

    Example:
        ```python
        from headwater import DefaultRunLauncher
        from headwater.daemon.run_launcher import load_run_launcher

        assert isinstance(load_run_launcher({}), DefaultRunLauncher)
        ```
    """

    def __init__(self, fork_server: bool = True):
        self.fork_server = fork_server

    def launch_run(self, context: LaunchRunContext) -> None:
        run = context.headwater_run
        address = origin_of(run).code_server
        if address is not None:
            started = start_on_code_server(self.instance, run, address)
            self.instance.add_run_tags(run.run_id, {RUN_WORKER_PID_TAG: str(started["pid"]),
                                                    RUN_WORKER_HOST_TAG: str(started["host"])})
            return
        pid = spawn_worker(self.instance, run, fork=self.fork_server)
        self.instance.add_run_tags(run.run_id, {RUN_WORKER_PID_TAG: str(pid),
                                                RUN_WORKER_HOST_TAG: socket.gethostname()})

    def __repr__(self) -> str:
        return f"{type(self).__name__}({'' if self.fork_server else 'fork_server=False'})"

    def warm_up(self, wait: float = 0.0) -> None:
        if not self.fork_server:
            return
        try:
            server = start_fork_server()
        except OSError:  # no fork server: workers are spawned, as without warm_up
            return
        if server is not None and wait > 0:
            server.wait_ready(wait)

    def terminate(self, run_id: str) -> bool:
        run = self.report_canceling(run_id)
        if run is None:
            return False
        pid = local_pid(run)
        return pid is None or pid_alive(pid)

    @property
    def supports_check_run_worker_health(self) -> bool:
        return True

    def check_run_worker_health(self, run: HeadwaterRun) -> CheckRunHealthResult:
        pid = local_pid(run)
        if pid is None:
            return CheckRunHealthResult(WorkerStatus.UNKNOWN, "its worker runs on another host")
        reap_children()
        if pid_alive(pid):
            return CheckRunHealthResult(WorkerStatus.RUNNING, run_worker_id=str(pid))
        return CheckRunHealthResult(WorkerStatus.FAILED, f"its process (pid {pid}) exited",
                                    run_worker_id=str(pid))


class SyncInMemoryRunLauncher(DefaultRunLauncher):
    """Executes each launched run in the launching process, returning once it finished (for
    tests: `instance_for_test(synchronous_run_launcher=True)`, or headwater.yaml
    `run_launcher: {synchronous: true}`)."""

    def launch_run(self, context: LaunchRunContext) -> None:
        run = context.headwater_run
        self.instance.add_run_tags(run.run_id, {RUN_WORKER_PID_TAG: str(os.getpid()),
                                                RUN_WORKER_HOST_TAG: socket.gethostname()})
        run_worker(self.instance, run.run_id)

    def warm_up(self, wait: float = 0.0) -> None:
        return None  # runs execute in the launching process

def start_on_code_server(instance: Any, run: HeadwaterRun, address: str) -> dict[str, Any]:
    """Have the network code server at `address`, which serves the run's code, start its run
    worker on its machine; the worker's pid and host."""
    from headwater.code.client import CodeServerError
    from headwater.code.remote import client_at

    try:
        return client_at(address).start_run(run.run_id, instance.get_ref().url)
    except CodeServerError as exc:
        raise HeadwaterInvalidInvocationError(
            f"Run {run.run_id} of job '{run.job_name}' could not start: its code location is "
            f"served by the code server at {address}, which starts its runs, and it failed: "
            f"{exc}") from None


def spawn_worker(instance: Any, run: HeadwaterRun, fork: bool = True) -> int:
    """Start the run's worker in the run's working directory, its output appended to
    `logs/RUN_ID.log` of the instance's home: forked from this process's fork server when
    `fork` and one runs and can fork it, else `python -m headwater.daemon.worker run-worker
    RUN_ID ...` as a subprocess. The worker's pid."""
    ref = instance.get_ref()
    cwd = origin_of(run).working_directory or os.getcwd()
    server = fork_server() if fork else None
    if server is not None:
        logs = os.path.join(ref.root_directory, "logs")
        os.makedirs(logs, exist_ok=True)
        argv = ["run-worker", run.run_id, "--instance-url", ref.url,
                "--instance-home", ref.root_directory]
        pid = server.fork_worker(argv, cwd, os.path.join(logs, f"{run.run_id}.log"))
        if pid is not None:
            return pid  # the fork server's child: the kernel reaps it, not this process
    proc = spawn_run_worker(run.run_id, ref.url, ref.root_directory, cwd)
    _CHILDREN[proc.pid] = proc
    # A long-lived launcher (the webserver, the daemon) must wait on every worker it spawned,
    # or each finished run leaves a zombie behind; a thread per worker waits without blocking.
    threading.Thread(target=_reap, args=(proc,), name=f"reap-run-worker-{proc.pid}",
                     daemon=True).start()
    return proc.pid


def local_pid(run: HeadwaterRun) -> int | None:
    """The pid of the run's process when it runs on this host (None otherwise)."""
    pid = run.tags.get(RUN_WORKER_PID_TAG)
    if not pid or not pid.isdigit() or run.tags.get(RUN_WORKER_HOST_TAG) != socket.gethostname():
        return None
    return int(pid)


def pid_alive(pid: int) -> bool:
    """Whether process `pid` runs (a zombie, killed but not yet reaped, does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except (OSError, IndexError):
        return True


def reap_children() -> None:
    """Collect run workers this process started that have exited (no zombies)."""
    for pid, proc in list(_CHILDREN.items()):
        if proc.poll() is not None:
            del _CHILDREN[pid]


def _reap(proc: subprocess.Popen[bytes]) -> None:
    proc.wait()
    _CHILDREN.pop(proc.pid, None)


# --- choosing the launcher: headwater.yaml `run_launcher:` ---------------------------------
_LAUNCHERS: weakref.WeakKeyDictionary[Any, RunLauncher] = weakref.WeakKeyDictionary()


def run_launcher_of(instance: Any) -> RunLauncher:
    """The instance's run launcher (headwater.yaml `run_launcher:`, else the default), built
    once per instance."""
    try:
        return _LAUNCHERS[instance]
    except (KeyError, TypeError):
        pass
    get = getattr(instance, "get_settings", None)
    launcher = load_run_launcher(get(SECTION) if callable(get) else {})
    launcher.register_instance(instance)
    try:
        _LAUNCHERS[instance] = launcher
    except TypeError:  # an instance that cannot be weakly referenced: built per call
        pass
    return launcher


def load_run_launcher(section: Mapping[str, Any] | None) -> RunLauncher:
    """The launcher a `run_launcher:` section ({module, class, config}) names; the default
    for an empty section. Every mistake is one error naming the key and the fix."""
    if not section:
        return DefaultRunLauncher()
    if not isinstance(section, Mapping):
        raise HeadwaterInvalidInvocationError(
            f"headwater.yaml {SECTION}: expected a mapping with module, class and config, got "
            f"{section!r}.")
    if set(section) == {"synchronous"}:
        return _synchronous(section["synchronous"])
    unknown = sorted(set(section) - set(_KEYS))
    if unknown:
        raise HeadwaterInvalidInvocationError(
            f"headwater.yaml {SECTION}: unknown key(s) {', '.join(unknown)}; the keys are "
            "module, class and config (the class's keyword arguments), or `synchronous: true` "
            "alone.")
    for key in ("module", "class"):
        if not isinstance(section.get(key), str) or not section[key]:
            raise HeadwaterInvalidInvocationError(
                f"headwater.yaml {SECTION}.{key}: expected the {key} name as a string, e.g. "
                "`module: headwater_docker`, `class: DockerRunLauncher`; got "
                f"{section.get(key)!r}.")
    cls = _launcher_class(section["module"], section["class"])
    config = section.get("config") or {}
    if not isinstance(config, Mapping):
        raise HeadwaterInvalidInvocationError(
            f"headwater.yaml {SECTION}.config: expected a mapping of {cls.__name__}'s "
            f"arguments, got {config!r}.")
    _check_arguments(cls, config)
    return cls(**config)


def _synchronous(value: Any) -> RunLauncher:
    if not isinstance(value, bool):
        raise HeadwaterInvalidInvocationError(
            f"headwater.yaml {SECTION}.synchronous: expected true or false, got {value!r}.")
    return SyncInMemoryRunLauncher() if value else DefaultRunLauncher()


def _launcher_class(module_name: str, class_name: str) -> type[RunLauncher]:
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        hint = (f" (rename it to {module_name.replace('dagster', 'headwater', 1)})"
                if module_name.startswith("dagster") else "")
        raise HeadwaterInvalidInvocationError(
            f"headwater.yaml {SECTION}.module: cannot import {module_name!r}{hint}: {exc}. "
            "Install the package that provides it, or fix the name.") from None
    cls = getattr(module, class_name, None)
    if not (isinstance(cls, type) and issubclass(cls, RunLauncher)):
        what = "has no class" if cls is None else "has no RunLauncher subclass named"
        raise HeadwaterInvalidInvocationError(
            f"headwater.yaml {SECTION}.class: {module_name} {what} {class_name!r}; name a "
            "subclass of headwater.RunLauncher (e.g. DefaultRunLauncher, "
            "headwater_docker.DockerRunLauncher, headwater_k8s.K8sRunLauncher).")
    return cls


def _check_arguments(cls: type[RunLauncher], config: Mapping[str, Any]) -> None:
    params = inspect.signature(cls).parameters
    takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
    named = [n for n, p in params.items()
             if p.kind in (inspect.Parameter.KEYWORD_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    takes = ", ".join(named) or "no arguments"
    unknown = sorted(set(config) - set(named))
    if unknown and not takes_any:
        raise HeadwaterInvalidInvocationError(
            f"headwater.yaml {SECTION}.config: {cls.__name__} has no argument(s) "
            f"{', '.join(unknown)}; it takes {takes}.")
    missing = [n for n in named if params[n].default is inspect.Parameter.empty
               and n not in config]
    if missing:
        raise HeadwaterInvalidInvocationError(
            f"headwater.yaml {SECTION}.config: {cls.__name__} needs "
            f"{', '.join(missing)}; add {'it' if len(missing) == 1 else 'them'} under config.")
