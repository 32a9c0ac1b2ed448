"""headwater_spark on the real spark-submit that pyspark ships, and a PySpark job launched
through Pipes reporting back."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap

import pytest

from headwater import (
    AssetExecutionContext,
    HeadwaterInstance,
    PipesSubprocessClient,
    asset,
    job,
    materialize,
)
from headwater_spark import (
    SparkOpError,
    construct_spark_shell_command,
    create_spark_op,
    define_spark_config,
    spark_resource,
)
from headwater_spark.command import find_spark_home

SPARK_HOME = find_spark_home()
SPARK_SUBMIT = os.path.join(SPARK_HOME, "bin", "spark-submit")

APP = """
import java.nio.file.*;

public class Echo {
    public static void main(String[] args) throws Exception {
        if (args.length > 1 && args[1].equals("fail")) {
            System.err.println("Echo: refusing to run, asked to fail");
            System.exit(2);
        }
        String line = String.join(" ", args) + " app=" + System.getProperty("spark.app.name");
        Files.writeString(Paths.get(args[0]), line);
    }
}
"""


@pytest.fixture(scope="module")
def echo_jar(tmp_path_factory):
    """A one-class application jar, compiled here with the JDK's javac and jar."""
    if shutil.which("javac") is None or shutil.which("jar") is None:
        pytest.skip("needs a JDK (javac and jar) to build the test application")
    folder = tmp_path_factory.mktemp("echo")
    (folder / "Echo.java").write_text(APP)
    subprocess.run(["javac", "Echo.java"], cwd=folder, check=True)
    subprocess.run(["jar", "cf", "echo.jar", "Echo.class"], cwd=folder, check=True)
    return str(folder / "echo.jar")


def test_the_command_line_carries_every_setting():
    """construct_spark_shell_command flattens spark_conf and splits the arguments."""
    command = construct_spark_shell_command(
        application_jar="/jobs/app.jar", main_class="org.example.Main", master_url="local[2]",
        deploy_mode="client", spark_conf={"spark": {"ui": {"enabled": False}},
                                          "spark.executor.memory": "1g"},
        application_arguments="--day 2024-01-01 'two words'", spark_home=SPARK_HOME)
    assert command == [SPARK_SUBMIT, "--class", "org.example.Main", "--master", "local[2]",
                       "--deploy-mode", "client", "--conf", "spark.ui.enabled=false",
                       "--conf", "spark.executor.memory=1g", "/jobs/app.jar",
                       "--day", "2024-01-01", "two words"]


def test_a_wrong_spark_home_or_property_is_refused(tmp_path):
    """A spark_home without bin/spark-submit, or a property that is not a scalar, is named."""
    with pytest.raises(SparkOpError, match="bin/spark-submit does not exist"):
        construct_spark_shell_command("/a.jar", "Main", spark_home=str(tmp_path))
    with pytest.raises(SparkOpError, match="'spark.jars' is \\['a', 'b'\\]"):
        construct_spark_shell_command("/a.jar", "Main", spark_conf={"spark.jars": ["a", "b"]},
                                      spark_home=SPARK_HOME)
    with pytest.raises(SparkOpError, match="must contain 'spark'"):
        create_spark_op("x", "Main", required_resource_keys={"other"})
    assert create_spark_op("echo", "Echo").tags == {"kind": "spark", "main_class": "Echo"}
    assert set(define_spark_config()) == {"master_url", "deploy_mode", "application_jar",
                                          "spark_conf", "spark_home", "application_arguments"}


def _echo_job(config: dict):
    echo = create_spark_op(name="echo", main_class="Echo")

    @job(resource_defs={"spark": spark_resource})
    def echo_job():
        echo()

    return echo_job, {"ops": {"echo": {"config": config}}}


@pytest.mark.slow
def test_create_spark_op_submits_the_application(tmp_path, echo_jar):
    """The op runs spark-submit with the jar, its arguments and the Spark properties."""
    out = tmp_path / "out.txt"
    echo_job, run_config = _echo_job({
        "master_url": "local[1]", "application_jar": echo_jar,
        "application_arguments": f"{out} hello",
        "spark_conf": {"spark": {"app": {"name": "echo-test"}, "ui": {"enabled": False}}}})
    instance = HeadwaterInstance.ephemeral()
    result = echo_job.execute_in_process(run_config=run_config, instance=instance)
    assert result.success
    assert out.read_text() == f"{out} hello app=echo-test"
    logs = [e.user_message for e in instance.all_logs(result.run_id)]
    assert any(m.startswith("Running spark-submit: ") and "--class Echo" in m for m in logs)


@pytest.mark.slow
def test_a_failing_application_fails_the_op_with_its_stderr(tmp_path, echo_jar):
    """A non-zero exit of spark-submit fails the op with the code and the end of stderr."""
    echo_job, run_config = _echo_job({
        "master_url": "local[1]", "application_jar": echo_jar,
        "application_arguments": f"{tmp_path / 'x'} fail"})
    with pytest.raises(SparkOpError, match="exited with code 2") as raised:
        echo_job.execute_in_process(run_config=run_config)
    assert "Echo: refusing to run, asked to fail" in str(raised.value)


def test_a_missing_jar_fails_before_submitting(tmp_path):
    """An application_jar that does not exist is named before spark-submit runs."""
    echo_job, run_config = _echo_job({"master_url": "local[1]",
                                      "application_jar": str(tmp_path / "nope.jar")})
    with pytest.raises(SparkOpError, match="nope.jar does not exist: build the application"):
        echo_job.execute_in_process(run_config=run_config)


@pytest.mark.slow
def test_a_pyspark_job_launched_through_pipes_reports_a_materialization(tmp_path):
    """spark-submit runs a PySpark script under Pipes; its count comes back as metadata."""
    script = tmp_path / "count_job.py"
    script.write_text(textwrap.dedent("""
        from pyspark.sql import SparkSession
        from headwater_pipes import open_headwater_pipes

        with open_headwater_pipes() as pipes:
            spark = SparkSession.builder.getOrCreate()
            rows = spark.range(pipes.get_extra("n")).filter("id % 2 = 0").count()
            pipes.log.info(f"spark counted {rows} even ids")
            pipes.report_asset_materialization(metadata={"rows": rows},
                                               data_version=str(rows))
            spark.stop()
    """))

    @asset
    def evens(context: AssetExecutionContext, pipes_subprocess_client: PipesSubprocessClient):
        command = [SPARK_SUBMIT, "--master", "local[1]", "--conf", "spark.ui.enabled=false",
                   "--conf", "spark.driver.host=127.0.0.1", str(script)]
        return pipes_subprocess_client.run(command=command, context=context,
                                           extras={"n": 10}).get_materialize_result()

    client = PipesSubprocessClient(env={"PYSPARK_PYTHON": sys.executable,
                                        "PYSPARK_DRIVER_PYTHON": sys.executable})
    instance = HeadwaterInstance.ephemeral()
    result = materialize([evens], instance=instance,
                         resources={"pipes_subprocess_client": client})
    [mat] = result.asset_materializations_for_node("evens")
    assert mat.metadata["rows"].value == 5
    assert mat.tags["headwater/data_version"] == "5"
    assert any("spark counted 5 even ids" in e.user_message
               for e in instance.all_logs(result.run_id))
