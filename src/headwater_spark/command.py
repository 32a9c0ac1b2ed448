"""The `spark-submit` command line, and the config schema that describes it.

`define_spark_config()` is the op config of `create_spark_op`: where the cluster is
(`master_url`, `deploy_mode`), what to run (`application_jar`, `application_arguments`),
Spark properties (`spark_conf`, nested or dotted) and the Spark installation (`spark_home`).
`construct_spark_shell_command(...)` turns those values into the argv of `spark-submit`.
`flatten_spark_conf` is shared with `headwater_pyspark`, which applies the same properties
to a SparkSession. Imports headwater's public names only; no third-party package.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Mapping
from typing import Any

from headwater import Enum, EnumValue, Field, HeadwaterError, Permissive, StringSource


class SparkOpError(HeadwaterError):
    """A Spark application could not be submitted, or it failed."""


SparkDeployMode = Enum("SparkDeployMode", [EnumValue("cluster"), EnumValue("client")])


def spark_conf_field() -> Field:
    """Spark properties, as a nested mapping (`{"spark": {"executor": {"memory": "2g"}}}`) or
    with dotted keys (`{"spark.executor.memory": "2g"}`)."""
    return Field(Permissive(), is_required=False, default_value={},
                 description="Spark properties, nested by the dots of their names or dotted.")


def define_spark_config() -> dict[str, Field]:
    """The config schema of an op that submits a Spark application."""
    return {
        "master_url": Field(StringSource, is_required=True,
                            description="Where the cluster is: local[2], spark://host:7077, "
                                        "yarn, k8s://..."),
        "deploy_mode": Field(SparkDeployMode, is_required=False,
                             description="Run the driver here (client, Spark's default) or on "
                                         "the cluster (cluster)."),
        "application_jar": Field(StringSource, is_required=True,
                                 description="The jar (or .py file) of the application, "
                                             "visible from wherever the driver runs."),
        "spark_conf": spark_conf_field(),
        "spark_home": Field(StringSource, is_required=False,
                            description="The Spark installation; defaults to $SPARK_HOME, "
                                        "then to the one pyspark ships."),
        "application_arguments": Field(StringSource, is_required=False,
                                       description="Arguments for the application's main "
                                                   "method, split like a shell would."),
    }


def _conf_value(name: str, value: Any) -> str:
    if isinstance(value, bool):  # Spark spells booleans in lower case
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    raise SparkOpError(f"Spark property {name!r} is {value!r}; a Spark property takes a "
                       "string, a number or a boolean.")


def flatten_spark_conf(spark_conf: Mapping[str, Any] | None) -> list[tuple[str, str]]:
    """`{"spark": {"app": {"name": "x"}}, "spark.ui.enabled": False}` ->
    `[("spark.app.name", "x"), ("spark.ui.enabled", "false")]`."""
    flat: list[tuple[str, str]] = []

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, Mapping):
            for key, inner in value.items():
                walk(f"{prefix}.{key}" if prefix else str(key), inner)
        else:
            flat.append((prefix, _conf_value(prefix, value)))

    walk("", dict(spark_conf or {}))
    return flat


def find_spark_home(spark_home: str | None = None) -> str:
    """`spark_home`, else $SPARK_HOME, else the Spark distribution inside pyspark."""
    home = spark_home or os.environ.get("SPARK_HOME")
    if not home:
        try:
            from pyspark.find_spark_home import _find_spark_home
        except ImportError:
            raise SparkOpError(
                "No Spark installation found: set spark_home in the op config or the "
                "SPARK_HOME environment variable, or pip install 'headwater[pyspark]' to use "
                "the spark-submit that pyspark ships.") from None
        home = _find_spark_home()
    submit = os.path.join(home, "bin", "spark-submit")
    if not os.path.exists(submit):
        raise SparkOpError(f"{submit} does not exist: spark_home (or SPARK_HOME) must be the "
                           "folder of a Spark installation, the one holding bin/spark-submit.")
    return home


def construct_spark_shell_command(application_jar: str, main_class: str,
                                  master_url: str | None = None,
                                  spark_conf: Mapping[str, Any] | None = None,
                                  deploy_mode: str | None = None,
                                  application_arguments: str | None = None,
                                  spark_home: str | None = None) -> list[str]:
    """The argv of `spark-submit` for one application."""
    if not application_jar:
        raise SparkOpError("construct_spark_shell_command() needs application_jar, the jar "
                           "(or .py file) to submit.")
    command = [os.path.join(find_spark_home(spark_home), "bin", "spark-submit"),
               "--class", main_class]
    if master_url:
        command += ["--master", master_url]
    if deploy_mode:
        command += ["--deploy-mode", deploy_mode]
    for name, value in flatten_spark_conf(spark_conf):
        command += ["--conf", f"{name}={value}"]
    command.append(application_jar)
    if application_arguments:
        command += shlex.split(application_arguments)
    return command
