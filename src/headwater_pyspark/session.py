"""Starting the SparkSession a resource holds, and explaining why it cannot start.

`start_spark_session(spark_config)` applies the (nested or dotted) Spark properties and
returns the session, and whether it started it: a session already running in this process
(a notebook's, a test's) is reused as Spark's `getOrCreate` does, and only the session a
resource started is stopped at teardown.

Why the JVM is launched here rather than by `getOrCreate`: when Spark cannot start (no Java,
a bad master URL, a bad property) pyspark raises a bare "Java gateway process exited", and
Spark's own explanation goes to the gateway's stderr. Launching the gateway with its stderr
on a pipe that is forwarded to ours keeps the console output as it was and lets the error
quote Spark's words. Both failures are raised as `PySparkSessionError` with the fix.
"""

from __future__ import annotations

import collections
import os
import re
import shutil
import threading
from collections.abc import Mapping
from typing import Any

from headwater import HeadwaterError
from headwater_spark.command import flatten_spark_conf

_STDERR_TAIL = 25
# The lines of the gateway's stderr that say why it stopped (not its INFO/WARN chatter).
_CAUSE = re.compile(r"Exception|Error|No such file|not found|cannot|Cannot|Invalid|invalid")


class PySparkSessionError(HeadwaterError):
    """A SparkSession could not be started; the message carries Spark's reason and the fix."""


def _java_problem() -> str | None:
    """Why no Java can be found, if that is visibly the case."""
    java_home = os.environ.get("JAVA_HOME")
    if java_home:
        if not os.path.exists(os.path.join(java_home, "bin", "java")):
            return (f"JAVA_HOME is {java_home}, which has no bin/java: point JAVA_HOME at a "
                    "Java 17 (or later) installation, or unset it to use the java on PATH.")
        return None
    if shutil.which("java") is None:
        return ("no Java found (JAVA_HOME is unset and java is not on PATH): install Java 17 "
                "or later, or set JAVA_HOME to its folder.")
    return None


def _pump(fd: int, tail: collections.deque[str]) -> None:
    with os.fdopen(fd, "rb") as stream:
        for line in stream:
            tail.append(line.decode("utf-8", "replace"))
            os.write(2, line)  # where the gateway would have written it


def _launch_gateway(conf: Any) -> tuple[Any, collections.deque[str]]:
    """Launch the py4j gateway (the driver JVM) with its stderr forwarded and its tail kept."""
    from pyspark.java_gateway import launch_gateway

    read_end, write_end = os.pipe()
    tail: collections.deque[str] = collections.deque(maxlen=_STDERR_TAIL)
    pump = threading.Thread(target=_pump, args=(read_end, tail), daemon=True,
                            name="headwater-spark-stderr")
    pump.start()
    try:
        gateway = launch_gateway(conf, popen_kwargs={"stderr": write_end})
    except BaseException as exc:
        os.close(write_end)
        pump.join(timeout=5)  # the gateway has exited: read what it said to the end
        raise _StartFailed(exc, tail) from exc
    os.close(write_end)  # the JVM holds its own copy; ours would keep the pipe open forever
    return gateway, tail


class _StartFailed(Exception):
    def __init__(self, cause: BaseException, tail: collections.deque[str]):
        super().__init__(str(cause))
        self.cause = cause
        self.tail = tail


def _explain(exc: BaseException, tail: collections.deque[str], settings: list[tuple[str, str]],
             owner: str) -> PySparkSessionError:
    said = [line.rstrip() for line in tail if line.strip()]
    spark_said = [line for line in said if _CAUSE.search(line)] or said
    text = [line.strip().lstrip(": ") for line in str(exc).splitlines() if line.strip()]
    message = text[0] if text else type(exc).__name__
    # A JVM error puts the Java exception on the line after py4j's "An error occurred ...".
    java_cause = next((line for line in text[1:6] if _CAUSE.search(line)
                       and not line.startswith("at ")), None)
    if java_cause:
        message = f"{message} {java_cause}"
    lines = [f"{owner} could not start a SparkSession: {message}"]
    if spark_said:
        lines.append("Spark said:\n  " + "\n  ".join(spark_said[-8:]))
    master = dict(settings).get("spark.master")
    java = _java_problem()
    if java:
        lines.append(f"Fix: {java}")
    elif master is not None:
        lines.append(f"Fix: check spark_config (spark.master is {master!r}; Spark accepts "
                     "local, local[N], local[*], spark://host:port, yarn or k8s://...) and the "
                     "other properties Spark names above.")
    else:
        lines.append("Fix: check spark_config and the Java installation Spark names above.")
    return PySparkSessionError("\n".join(lines))


def start_spark_session(spark_config: Mapping[str, Any] | None,
                        owner: str = "PySparkResource") -> tuple[Any, bool]:
    """The session with `spark_config` applied, and whether this call started it."""
    from pyspark import SparkConf, SparkContext
    from pyspark.sql import SparkSession

    settings = flatten_spark_conf(spark_config)
    builder = SparkSession.builder
    for name, value in settings:
        builder = builder.config(name, value)
    if SparkContext._active_spark_context is not None:
        return builder.getOrCreate(), False
    tail: collections.deque[str] = collections.deque()
    try:
        if SparkContext._gateway is None and "PYSPARK_GATEWAY_PORT" not in os.environ:
            conf = SparkConf()
            for name, value in settings:
                conf.set(name, value)
            gateway, tail = _launch_gateway(conf)
            SparkContext(conf=conf, gateway=gateway)
        return builder.getOrCreate(), True
    except _StartFailed as failed:
        raise _explain(failed.cause, failed.tail, settings, owner) from failed.cause
    except Exception as exc:  # noqa: BLE001 - Spark raises Py4J and JVM errors of many kinds
        raise _explain(exc, tail, settings, owner) from exc
