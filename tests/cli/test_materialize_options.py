"""`asset materialize` and `job execute` options: run config, partitions and ranges."""

from __future__ import annotations

import json
import textwrap

from click.testing import CliRunner

from headwater import AssetKey
from headwater.cli.main import main
from headwater.storage.instance import HeadwaterInstance

DEFS = textwrap.dedent(
    """
    from headwater import (BackfillPolicy, Config, DailyPartitionsDefinition, Definitions,
                           StaticPartitionsDefinition, asset, job, op)

    daily = DailyPartitionsDefinition(start_date="2024-01-01", end_date="2024-01-10")
    colors = StaticPartitionsDefinition(["red", "blue"])

    class Size(Config):
        n: int

    @asset(partitions_def=daily, backfill_policy=BackfillPolicy.single_run())
    def ranged(context):
        return list(context.partition_keys)

    @asset(partitions_def=daily)
    def per_day(context):
        return context.partition_key

    @asset(partitions_def=colors)
    def colored(context):
        return context.partition_key

    @asset
    def sized(config: Size):
        return config.n

    @op
    def echo(context, config: Size):
        context.log.info(f"size is {config.n}")

    @job
    def echo_job():
        echo()

    defs = Definitions(assets=[ranged, per_day, colored, sized], jobs=[echo_job])
    """
)


def _setup(tmp_path, monkeypatch):
    monkeypatch.setenv("HEADWATER_HOME", str(tmp_path / "home"))
    path = tmp_path / "defs.py"
    path.write_text(DEFS)
    return str(path)


def _materialize(path, *args):
    return CliRunner().invoke(main, ["asset", "materialize", "-f", path, *args])


def _runs():
    return HeadwaterInstance.get().get_runs()


def test_run_config_from_a_yaml_file_and_from_json(tmp_path, monkeypatch):
    """-c FILE.yaml and --config-json each give the run config; the JSON wins over the file."""
    path = _setup(tmp_path, monkeypatch)
    (tmp_path / "run.yaml").write_text("ops:\n  sized:\n    config:\n      n: 3\n")
    from_file = _materialize(path, "--select", "sized", "-c", str(tmp_path / "run.yaml"),
                             "--json")
    assert from_file.exit_code == 0, from_file.output
    instance = HeadwaterInstance.get()
    run_id = json.loads(from_file.stdout)["run_id"]
    assert instance.get_run_by_id(run_id).run_config == {"ops": {"sized": {"config": {"n": 3}}}}
    both = _materialize(path, "--select", "sized", "-c", str(tmp_path / "run.yaml"),
                        "--config-json", '{"ops": {"sized": {"config": {"n": 7}}}}', "--json")
    assert both.exit_code == 0, both.output
    run = instance.get_run_by_id(json.loads(both.stdout)["run_id"])
    assert run.run_config == {"ops": {"sized": {"config": {"n": 7}}}}


def test_bad_config_json_is_refused_with_an_example(tmp_path, monkeypatch):
    """--config-json that is not a JSON object is a usage error (exit 2) naming the option
    and showing one."""
    path = _setup(tmp_path, monkeypatch)
    for text in ("{n: 1", "[1]"):
        result = _materialize(path, "--select", "sized", "--config-json", text)
        assert result.exit_code == 2
        assert "--config-json" in result.output and '"ops"' in result.output
    assert _runs() == []


def test_job_execute_reads_a_yaml_config_file(tmp_path, monkeypatch):
    """job execute -c FILE.yaml runs the job with that config, as Dagster's does."""
    path = _setup(tmp_path, monkeypatch)
    (tmp_path / "run.yaml").write_text("ops:\n  echo:\n    config:\n      n: 42\n")
    result = CliRunner().invoke(main, ["job", "execute", "-f", path, "-j", "echo_job",
                                       "-c", str(tmp_path / "run.yaml")])
    assert result.exit_code == 0, result.output
    logs = HeadwaterInstance.get().all_logs(_runs()[0].run_id)
    assert any(e.message == "size is 42" for e in logs)


def test_a_mixed_partitions_selection_is_refused_before_anything_runs(tmp_path, monkeypatch):
    """Daily and static assets under one --partition: an error naming both groups, no run."""
    path = _setup(tmp_path, monkeypatch)
    result = _materialize(path, "--select", "ranged,colored", "--partition", "2024-01-02")
    assert result.exit_code == 1
    assert "2 different partitions definitions" in result.output
    assert "colored:" in result.output and "ranged:" in result.output
    assert _runs() == []


def test_a_partitioned_selection_without_a_partition_is_refused(tmp_path, monkeypatch):
    """A partitioned asset without --partition exits 1 saying which option to pass; no run."""
    path = _setup(tmp_path, monkeypatch)
    result = _materialize(path, "--select", "per_day")
    assert result.exit_code == 1
    assert "per_day are partitioned" in result.output and "--partition KEY" in result.output
    assert _runs() == []


def test_a_partition_range_is_one_run_over_the_range(tmp_path, monkeypatch):
    """--partition-range START...END materializes each partition of the range in one run."""
    path = _setup(tmp_path, monkeypatch)
    result = _materialize(path, "--select", "ranged", "--partition-range",
                          "2024-01-02...2024-01-04", "--json")
    assert result.exit_code == 0, result.output
    assert len(_runs()) == 1
    partitions = HeadwaterInstance.get().get_materialized_partitions(AssetKey("ranged"))
    assert sorted(partitions) == ["2024-01-02", "2024-01-03", "2024-01-04"]


def test_a_partition_range_needs_single_run_backfill_policies(tmp_path, monkeypatch):
    """A range over an asset without BackfillPolicy.single_run() is refused with the fix."""
    path = _setup(tmp_path, monkeypatch)
    result = _materialize(path, "--select", "ranged,per_day", "--partition-range",
                          "2024-01-02...2024-01-04")
    assert result.exit_code == 1
    assert "per_day" in result.output and "BackfillPolicy.single_run()" in result.output
    assert "headwater backfill launch --assets per_day" in result.output
    assert _runs() == []


def test_bad_partition_ranges_are_refused(tmp_path, monkeypatch):
    """A malformed range, an unknown endpoint and a reversed range each exit 1; no run."""
    path = _setup(tmp_path, monkeypatch)
    cases = {"2024-01-02..2024-01-04": "'...'",
             "2024-01-02...2025-01-04": "`2025-01-04`",
             "2024-01-04...2024-01-02": "START after END"}
    for text, expected in cases.items():
        result = _materialize(path, "--select", "ranged", "--partition-range", text)
        assert result.exit_code == 1 and expected in result.output, result.output
    both = _materialize(path, "--select", "ranged", "--partition", "2024-01-02",
                        "--partition-range", "2024-01-02...2024-01-04")
    assert both.exit_code == 1 and "not both" in both.output
    assert _runs() == []


def test_a_partition_key_is_checked_against_the_selected_assets_own_definition(tmp_path,
                                                                                monkeypatch):
    """Static-partitioned assets run under their own key though a daily asset comes first in
    the definitions; an unknown key names the assets and the valid keys; no run."""
    path = _setup(tmp_path, monkeypatch)
    unknown = _materialize(path, "--select", "colored", "--partition", "purple")
    assert unknown.exit_code == 1
    assert "`purple` of assets colored" in unknown.output and "'red', 'blue'" in unknown.output
    assert _runs() == []
    done = _materialize(path, "--select", "colored,sized", "--partition", "red",
                        "--config-json", '{"ops": {"sized": {"config": {"n": 1}}}}')
    assert done.exit_code == 0, done.output
    partitions = HeadwaterInstance.get().get_materialized_partitions(AssetKey("colored"))
    assert partitions == {"red"}
