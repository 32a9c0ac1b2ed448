"""Pipes on a real subprocess: context out, logs, materializations and checks back, failures."""

from __future__ import annotations

import sys
import textwrap

import pytest

from headwater import (
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    AssetSpec,
    DailyPartitionsDefinition,
    Definitions,
    HeadwaterInstance,
    HeadwaterPipesExecutionError,
    PipesEnvContextInjector,
    PipesSubprocessClient,
    asset,
    materialize,
    multi_asset,
)


def _script(tmp_path, body: str) -> str:
    path = tmp_path / "external.py"
    path.write_text(textwrap.dedent(body))
    return str(path)


def test_a_script_reports_a_materialization_a_check_and_logs(tmp_path):
    script = _script(tmp_path, """
        from headwater_pipes import open_headwater_pipes

        with open_headwater_pipes() as pipes:
            pipes.log.info(f"working on {pipes.asset_key} for {pipes.get_extra('who')}")
            pipes.report_asset_materialization(metadata={"rows": 42, "doc": {"raw_value": "# hi", "type": "md"}},
                                               data_version="v7")
            pipes.report_asset_check(check_name="positive", passed=True, metadata={"min": 1})
            pipes.report_custom_message({"seen": pipes.run_id})
    """)
    seen = {}

    @asset(check_specs=[AssetCheckSpec("positive", asset="table")])
    def table(context: AssetExecutionContext, pipes_subprocess_client: PipesSubprocessClient):
        done = pipes_subprocess_client.run(command=[sys.executable, script], context=context,
                                           extras={"who": "tests"})
        seen["custom"] = done.get_custom_messages()
        return done.get_materialize_result()

    instance = HeadwaterInstance.ephemeral()
    result = materialize([table], instance=instance,
                         resources={"pipes_subprocess_client": PipesSubprocessClient()})
    assert result.success
    [mat] = result.asset_materializations_for_node("table")
    assert mat.metadata["rows"].value == 42
    assert mat.metadata["doc"].value == "# hi"
    assert mat.tags["headwater/data_version"] == "v7"
    [check] = result.get_asset_check_evaluations()
    assert check.passed and check.check_name == "positive"
    assert seen["custom"] == [{"seen": result.run_id}]
    logs = [e.user_message for e in instance.all_logs(result.run_id)]
    assert any("working on table for tests" in m for m in logs)


def test_partition_and_multi_asset_context_reach_the_script(tmp_path):
    script = _script(tmp_path, """
        from headwater_pipes import open_headwater_pipes

        with open_headwater_pipes() as pipes:
            assert pipes.partition_key == "2024-01-02", pipes.partition_key
            assert pipes.partition_time_window["start"].day == 2
            for key in pipes.asset_keys:
                pipes.report_asset_materialization(asset_key=key, metadata={"part": pipes.partition_key})
    """)

    @multi_asset(specs=[AssetSpec("a"), AssetSpec(["deep", "b"])],
                 partitions_def=DailyPartitionsDefinition("2024-01-01"))
    def both(context: AssetExecutionContext):
        yield from PipesSubprocessClient(context_injector=PipesEnvContextInjector()).run(
            command=[sys.executable, script], context=context).get_results()

    result = materialize([both], partition_key="2024-01-02")
    mats = result.get_asset_materialization_events()
    assert {m.asset_key for m in mats} == {AssetKey("a"), AssetKey(["deep", "b"])}
    assert all(m.materialization.metadata["part"].value == "2024-01-02" for m in mats)


def test_unreported_assets_are_materialized_implicitly(tmp_path):
    script = _script(tmp_path, "print('no pipes here')\n")

    @asset
    def quiet(context: AssetExecutionContext):
        return PipesSubprocessClient().run(command=[sys.executable, script],
                                           context=context).get_materialize_result()

    result = materialize([quiet])
    assert [m.asset_key for m in result.get_asset_materialization_events()] == [AssetKey("quiet")]


@pytest.mark.parametrize("body, expected", [
    ("import sys\nsys.stderr.write('disk full\\n')\nsys.exit(3)\n", "exited with code 3"),
    ("""
        from headwater_pipes import open_headwater_pipes
        with open_headwater_pipes():
            raise ValueError("bad input row 7")
     """, "ValueError: bad input row 7"),
    ("""
        import os, base64, zlib, json
        params = json.loads(zlib.decompress(base64.b64decode(os.environ["HEADWATER_PIPES_MESSAGES"])))
        open(params["path"], "a").write("garbage that is not json\\n")
     """, "headwater cannot use on the message file"),
])
def test_failures_fail_the_step_with_the_cause(tmp_path, body, expected):
    script = _script(tmp_path, body)

    @asset
    def fragile(context: AssetExecutionContext):
        return PipesSubprocessClient().run(command=[sys.executable, script],
                                           context=context).get_materialize_result()

    with pytest.raises(HeadwaterPipesExecutionError, match=expected) as raised:
        materialize([fragile])
    if "code 3" in expected:
        assert "disk full" in str(raised.value)


def test_the_client_refuses_a_misspelled_argument(tmp_path):
    @asset
    def typo(context: AssetExecutionContext):
        PipesSubprocessClient().run(context=context, comand=["true"])

    with pytest.raises(TypeError, match="comand"):
        materialize([typo])


def test_a_client_is_a_resource_by_annotation(tmp_path):
    script = _script(tmp_path, "from headwater_pipes import open_headwater_pipes\n"
                               "open_headwater_pipes().close()\n")

    @asset
    def uses(context: AssetExecutionContext, client: PipesSubprocessClient):
        return client.run(command=[sys.executable, script], context=context).get_results()

    defs = Definitions(assets=[uses], resources={"client": PipesSubprocessClient()})
    assert defs.get_implicit_global_asset_job_def().execute_in_process().success


def test_a_file_message_reader_reused_hears_only_its_own_session(tmp_path):
    """A fixed messages file is emptied when a session opens: a rerun (or a retry) does not
    hear the previous session's reports again."""
    from headwater import PipesFileMessageReader

    script = _script(tmp_path, """
        from headwater_pipes import open_headwater_pipes

        with open_headwater_pipes() as pipes:
            pipes.report_asset_materialization(metadata={"run": pipes.get_extra("run")})
    """)
    client = PipesSubprocessClient(message_reader=PipesFileMessageReader(tmp_path / "messages"))

    @asset
    def table(context: AssetExecutionContext, pipes_subprocess_client: PipesSubprocessClient):
        return pipes_subprocess_client.run(command=[sys.executable, script], context=context,
                                           extras={"run": context.run_id}).get_materialize_result()

    for _ in range(2):
        result = materialize([table], resources={"pipes_subprocess_client": client})
        [mat] = result.asset_materializations_for_node("table")
        assert mat.metadata["run"].value == result.run_id
