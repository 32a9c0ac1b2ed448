"""Run behaviour: failures and their data, selections, re-execution, step dependencies."""

import pytest

import headwater as hw

IN_PROCESS = {"execution": {"config": {"in_process": {}}}}


def test_run_failure_event_carries_job_failure_data():
    """A run whose resource fails to start ends with a RUN_FAILURE holding its failure data."""

    def broken(_):
        raise RuntimeError("no connection")

    @hw.op(required_resource_keys={"db"})
    def use_db():
        return None

    @hw.job(resource_defs={"db": hw.ResourceDefinition(resource_fn=broken)})
    def j():
        use_db()

    result = j.execute_in_process(raise_on_error=False)
    last = result.all_events[-1]
    assert last.event_type_value == "PIPELINE_FAILURE"
    assert last.job_failure_data is not None
    assert result.all_events[0].job_failure_data is None


def test_op_selection_data_names_the_kept_nodes():
    """A job cut by op_selection says which clauses it got and which nodes they kept."""

    @hw.op
    def a():
        return 1

    @hw.op
    def b(x):
        return x

    @hw.job
    def j():
        b(a())

    assert j.op_selection_data is None
    sub = j.get_subset(op_selection=["*b"])
    assert sub.op_selection_data.op_selection == ("*b",)
    assert sub.op_selection_data.resolved_op_selection == {"a", "b"}


def test_fan_in_of_only_skipped_outputs_skips_the_step():
    """A fan-in input whose every source skipped its output skips the step; a partial one
    gets the values that were produced."""

    @hw.op(out={"maybe": hw.Out(is_required=False)})
    def nothing():
        return
        yield

    @hw.op
    def one():
        return 1

    @hw.op
    def gather(items):
        return items

    @hw.job
    def all_skipped():
        gather([nothing(), nothing()])

    @hw.job
    def some_skipped():
        gather([one(), nothing()])

    result = all_skipped.execute_in_process()
    assert result.success and result.is_node_skipped("gather")
    assert some_skipped.execute_in_process().output_for_node("gather") == [1]


def test_run_config_inputs_are_read_by_their_type():
    """Scalars inside a List or Optional input may be written as {"value": ...} selectors."""

    @hw.op(ins={"names": hw.In(hw.Optional[hw.List[hw.Optional[hw.String]]])})
    def shout(names):
        return [n.upper() if n else n for n in names or []]

    @hw.job
    def j():
        shout()

    def run(value):
        config = {"ops": {"shout": {"inputs": {"names": value}}}}
        return j.execute_in_process(run_config=config).output_for_node("shout")

    assert run([{"value": "a"}, None, "b"]) == ["A", None, "B"]
    assert run(None) == []


def test_failure_metadata_reads_as_metadata_values():
    """The metadata given to Failure and HeadwaterTypeCheckDidNotPass is normalized."""
    failure = hw.Failure(description="bad", metadata={"rows": 3, "why": "empty"})
    assert failure.metadata == {"rows": hw.MetadataValue.int(3),
                                "why": hw.MetadataValue.text("empty")}
    check = hw.HeadwaterTypeCheckDidNotPass(description="no", metadata={"k": "v"})
    assert check.metadata == {"k": hw.MetadataValue.text("v")}


def _ops_and_job():
    @hw.op(out={"a": hw.Out(), "b": hw.Out()})
    def split(context):
        yield hw.Output(1, "a")
        if "fixed" not in context.run.tags:
            raise RuntimeError("b is broken")
        yield hw.Output(2, "b")

    @hw.op
    def use(x):
        return x

    @hw.job
    def partial():
        a, b = split()
        use.alias("use_a")(a)
        use.alias("use_b")(b)

    return partial


@pytest.mark.parametrize("require_success", [True, False])
def test_step_dependency_config_and_reexecution_from_failure(require_success):
    """With require_upstream_step_success=False a step runs on outputs its failed upstream
    produced; re-execution from failure reruns the failed step and all below it."""
    job = _ops_and_job()
    config = {"execution": {"config": {"in_process": {"step_dependency_config": {
        "require_upstream_step_success": require_success}}}}}
    with hw.instance_for_test() as instance:
        with hw.execute_job(job, instance=instance, run_config=config) as result:
            ran = {e.step_key for e in result.get_step_success_events()}
            assert ran == (set() if require_success else {"use_a"})
            assert result.get_failed_step_keys() == {"split"}
        options = hw.ReexecutionOptions.from_failure(result.run_id, instance)
        with hw.execute_job(job, instance=instance, reexecution_options=options,
                            tags={"fixed": "1"}) as again:
            assert {e.step_key for e in again.get_step_success_events()} == {
                "split", "use_a", "use_b"}


def test_execute_job_outputs_are_released_when_the_block_exits():
    """Outputs of an execute_job result are read inside its with block, not after."""

    @hw.op
    def one():
        return 1

    @hw.job
    def j():
        one()

    with hw.instance_for_test() as instance:
        with hw.execute_job(j, instance=instance, run_config=IN_PROCESS) as result:
            assert result.output_for_node("one") == 1
        assert result.success
        with pytest.raises(hw.HeadwaterInvariantViolationError, match="released"):
            result.output_for_node("one")


def test_reexecution_keeps_the_parent_op_selection():
    """Re-executing a run made with op_selection runs the same ops; a step outside them is
    an unknown step."""

    @hw.op
    def first():
        return 1

    @hw.op
    def second(x):
        return x + 1

    @hw.job
    def j():
        second(first())

    with hw.instance_for_test() as instance:
        with hw.execute_job(j, instance=instance, op_selection=["first"],
                            run_config=IN_PROCESS) as parent:
            assert parent.success
        options = hw.ReexecutionOptions(parent_run_id=parent.run_id)
        with hw.execute_job(j, instance=instance, reexecution_options=options) as child:
            assert {e.step_key for e in child.get_step_success_events()} == {"first"}
        with pytest.raises(hw.HeadwaterExecutionStepNotFoundError) as info:
            hw.execute_job(j, instance=instance, reexecution_options=hw.ReexecutionOptions(
                parent_run_id=parent.run_id, step_selection=["second"]))
        assert info.value.step_keys == ["second"]


def test_materialize_refuses_an_asset_passed_twice():
    """An asset passed to materialize() both computed and as an AssetSpec is a duplicate."""

    @hw.asset(key="orders")
    def orders():
        return 1

    with pytest.raises(hw.HeadwaterInvalidDefinitionError, match="Duplicate asset key"):
        hw.materialize([orders, hw.AssetSpec("orders")])


def test_assets_definition_asset_deps_set_the_dependencies():
    """AssetsDefinition(asset_deps=...) gives each asset its deps; without it each asset
    depends on every input asset."""

    @hw.op(out={"o1": hw.Out(), "o2": hw.Out()})
    def two():
        return 1, 2

    assets = hw.AssetsDefinition(
        keys_by_input_name={}, node_def=two,
        keys_by_output_name={"o1": hw.AssetKey("x"), "o2": hw.AssetKey("y")},
        asset_deps={hw.AssetKey("x"): set(), hw.AssetKey("y"): {hw.AssetKey("x")}},
    )
    assert assets.asset_deps == {hw.AssetKey("x"): set(), hw.AssetKey("y"): {hw.AssetKey("x")}}
    assert hw.materialize([assets]).success


def test_filesystem_io_manager_reports_a_path_metadata_value(tmp_path):
    """The default IO manager records where it stored an asset as a path metadata value."""

    @hw.asset
    def thing():
        return 5

    with hw.instance_for_test(temp_dir=str(tmp_path)) as instance:
        result = hw.materialize([thing], instance=instance)
    (mat,) = result.asset_materializations_for_node("thing")
    assert mat.metadata["path"] == hw.MetadataValue.path(str(tmp_path / "storage" / "thing"))
