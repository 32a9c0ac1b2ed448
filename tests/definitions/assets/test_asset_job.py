"""One recipe from an asset selection to a job: subset_asset_job over the job's own graph."""

from __future__ import annotations

import headwater as hw
from headwater.definitions.assets.job import IMPLICIT_JOB, selected_asset_keys, subset_asset_job


@hw.asset
def raw():
    return 1


@hw.asset
def cleaned(raw):
    return raw + 1


@hw.asset
def report(cleaned):
    return cleaned * 2


@hw.logger
def quiet(init_context):
    import logging

    return logging.Logger("quiet")


@hw.success_hook
def noted(context):
    return None


def _defs() -> hw.Definitions:
    return hw.Definitions(
        assets=[raw, cleaned, report, hw.AssetSpec("outside")],
        executor=hw.in_process_executor, loggers={"quiet": quiet},
        jobs=[hw.define_asset_job("tagged", selection="*", tags={"team": "data"},
                                  hooks={noted})])


def test_subset_keeps_the_job_and_its_graph():
    """A subset is the same job (executor, loggers, tags, hooks, resources) over fewer assets
    of the very graph the Definitions resolved: no second asset graph is built."""
    defs = _defs()
    graph = defs.resolve_asset_graph()
    for job in (defs.resolve_job_def(IMPLICIT_JOB), defs.resolve_job_def("tagged")):
        sub = subset_asset_job(job, "raw+")
        assert sub.asset_layer.asset_graph is graph
        assert sorted(sub.graph.invocations) == ["cleaned", "raw"]
        assert sub.asset_layer.selected_keys == {hw.AssetKey("raw"), hw.AssetKey("cleaned")}
        assert sub.executor_def is job.executor_def is hw.in_process_executor
        assert sub.logger_defs == job.logger_defs == {"quiet": quiet}
        assert (sub.name, sub.tags, sub.hook_defs, sub.resource_defs) == (
            job.name, job.tags, job.hook_defs, job.resource_defs)


def test_selected_keys_leave_out_external_assets():
    """A selection resolves against the graph; external assets are not materializable."""
    graph = _defs().resolve_asset_graph()
    assert selected_asset_keys(graph, "*") == {hw.AssetKey(k) for k in ("raw", "cleaned", "report")}
    assert selected_asset_keys(graph, ["outside"]) == set()


def test_execute_in_process_with_asset_selection_keeps_the_job_hooks():
    """execute_in_process(asset_selection=...) runs the same subset, hooks included."""
    job = _defs().resolve_job_def("tagged")
    result = job.execute_in_process(asset_selection=[hw.AssetKey("raw")],
                                    run_config=None, input_values=None)
    assert result.success
    assert [e.asset_key for e in result.get_asset_materialization_events()] == [
        hw.AssetKey("raw")]
    assert any(e.event_type_value == "HOOK_COMPLETED" for e in result.all_events)


def test_asset_job_owners_metadata_and_snapshot():
    """define_asset_job takes owners (validated at once) and with_metadata; both carry over
    to the resolved job and its snapshot."""
    import pytest

    job = hw.define_asset_job("owned", selection=[raw], owners=["a@b.com", "team:data"],
                              metadata={"k": "v"})
    assert job.owners == ["a@b.com", "team:data"]
    assert job.with_metadata({}).metadata == {}
    resolved = hw.Definitions(assets=[raw], jobs=[job.with_metadata({"k": "w"})]).resolve_job_def(
        "owned")
    assert resolved.owners == ["a@b.com", "team:data"]
    assert resolved.metadata["k"] == hw.TextMetadataValue("w")
    snapshot = resolved.get_job_snapshot()
    assert snapshot.owners == ["a@b.com", "team:data"]
    assert snapshot.snapshot_id == resolved.get_job_snapshot().snapshot_id
    with pytest.raises(hw.HeadwaterInvalidDefinitionError, match="Team name cannot be empty"):
        hw.define_asset_job("bad", owners=["team:"])


def test_unknown_selection_names_the_asset_job():
    """An asset job selecting unknown assets fails to resolve with an error naming the job
    (a definition error and a subset error alike)."""
    import pytest

    defs = hw.Definitions(assets=[raw], jobs=[hw.define_asset_job("broken", selection=["nope"])])
    with pytest.raises(hw.HeadwaterInvalidDefinitionError, match="asset job broken") as info:
        defs.resolve_job_def("broken")
    assert isinstance(info.value, hw.HeadwaterInvalidSubsetError)


def test_assets_definition_asset_deps_and_is_subset():
    """AssetsDefinition(asset_deps=...) sets each output's upstream assets (every input when
    not given), and context.is_subset tells a step it computes only some outputs."""
    @hw.op(ins={"up": hw.In()}, out={"x": hw.Out(is_required=False), "y": hw.Out(is_required=False)})
    def two(context, up):
        seen.append((context.is_subset, context.selected_output_names))
        for name in sorted(context.selected_output_names):
            yield hw.Output(up, name)

    seen: list = []
    keys = {"keys_by_input_name": {"up": hw.AssetKey("raw")},
            "keys_by_output_name": {"x": hw.AssetKey("x"), "y": hw.AssetKey("y")}, "node_def": two}
    shaped = hw.AssetsDefinition(**keys, can_subset=True,
                                 asset_deps={hw.AssetKey("x"): {hw.AssetKey("raw")}})
    assert shaped.asset_deps == {hw.AssetKey("x"): {hw.AssetKey("raw")}, hw.AssetKey("y"): set()}
    assert hw.AssetsDefinition(**keys).asset_deps[hw.AssetKey("y")] == {hw.AssetKey("raw")}
    defs = hw.Definitions(assets=[raw, shaped])
    assert defs.resolve_implicit_global_asset_job_def().execute_in_process().success
    subset = defs.resolve_implicit_global_asset_job_def().execute_in_process(
        asset_selection=[hw.AssetKey("x"), hw.AssetKey("raw")])
    assert subset.success
    assert seen == [(False, {"x", "y"}), (True, {"x"})]


def test_independent_assets_run_in_key_order():
    """Assets with no dependency between them run in key order."""
    @hw.asset
    def zeta():
        return 1

    @hw.asset
    def alpha():
        return 1

    result = hw.materialize([zeta, alpha, raw])
    assert [e.asset_key.to_user_string() for e in result.get_asset_materialization_events()] == [
        "alpha", "raw", "zeta"]
