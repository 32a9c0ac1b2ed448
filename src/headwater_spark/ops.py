"""Submitting a Spark application from an op: `spark_resource` and `create_spark_op`.

```python
calculate_pi = create_spark_op(name="calculate_pi", main_class="org.example.Pi")

@job(resource_defs={"spark": spark_resource})
def pi_job():
    calculate_pi()

pi_job.execute_in_process(run_config={"ops": {"calculate_pi": {"config": {
    "master_url": "local[2]", "application_jar": "/jobs/pi.jar"}}}})
```

The resource runs `spark-submit` as a subprocess, its stdout passing through; the end of its
stderr is kept for the `SparkOpError` raised when the application fails.
"""

from __future__ import annotations

import collections
import os
import subprocess
import sys
import threading
from collections.abc import Mapping, Set
from typing import Any
from urllib.parse import urlparse

from headwater import In, Nothing, OpDefinition, Out, op, resource
from headwater_spark.command import (
    SparkOpError,
    construct_spark_shell_command,
    define_spark_config,
)

_STDERR_TAIL = 30


class SparkResource:
    """Runs Spark applications with `spark-submit`, logging to the step's log."""

    def __init__(self, logger: Any):
        self.logger = logger

    def run_spark_job(self, config: Mapping[str, Any], main_class: str) -> None:
        """Submit the application `config` describes (see `define_spark_config`) and wait."""
        jar = config.get("application_jar")
        if not jar:
            raise SparkOpError("the Spark op config needs application_jar, the jar (or .py "
                               "file) to submit.")
        if urlparse(jar).scheme in ("", "file") and not os.path.exists(urlparse(jar).path):
            raise SparkOpError(f"application_jar {jar} does not exist: build the application "
                               "before running the op, or fix the path in the op config.")
        command = construct_spark_shell_command(
            application_jar=jar, main_class=main_class, master_url=config.get("master_url"),
            spark_conf=config.get("spark_conf"), deploy_mode=config.get("deploy_mode"),
            application_arguments=config.get("application_arguments"),
            spark_home=config.get("spark_home"))
        self.logger.info("Running spark-submit: " + " ".join(command))
        process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True,
                                   errors="replace")
        tail: collections.deque[str] = collections.deque(maxlen=_STDERR_TAIL)
        pump = threading.Thread(target=_forward, args=(process, tail), daemon=True)
        pump.start()
        try:
            code = process.wait()
        except BaseException:
            process.kill()
            raise
        finally:
            pump.join()
        if code != 0:
            stderr = "".join(tail).rstrip()
            raise SparkOpError(
                f"the Spark application {main_class} ({jar}) failed: spark-submit exited with "
                f"code {code}." + (f" The end of its stderr:\n{stderr}" if stderr else ""))


def _forward(process: subprocess.Popen[str], tail: collections.deque[str]) -> None:
    assert process.stderr is not None
    for line in process.stderr:
        tail.append(line)
        sys.stderr.write(line)


@resource(description="Submits Spark applications with spark-submit.")
def spark_resource(context: Any) -> SparkResource:
    return SparkResource(context.log)


def create_spark_op(name: str, main_class: str, description: str | None = None,
                    required_resource_keys: Set[str] = frozenset(["spark"]),
                    ) -> OpDefinition:
    """An op that submits the application whose entry point is `main_class`; where and how
    comes from its config (`define_spark_config`). It takes a `start` input of type Nothing
    to order it after other ops, and returns nothing."""
    if "spark" not in required_resource_keys:
        raise SparkOpError(f"create_spark_op({name!r}): required_resource_keys must contain "
                           f"'spark' (the resource that submits the application); got "
                           f"{sorted(required_resource_keys)}.")
    @op(name=name, description=description or "Submits a Spark application.",
        config_schema=define_spark_config(), ins={"start": In(Nothing)}, out=Out(Nothing),
        tags={"kind": "spark", "main_class": main_class},
        required_resource_keys=sorted(required_resource_keys))
    def spark_op(context: Any) -> None:
        context.resources.spark.run_spark_job(context.op_config, main_class)

    return spark_op
