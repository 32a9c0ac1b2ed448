"""The in-process engine end to end: plans, events, dynamic fan-out, retries, codecs."""

from __future__ import annotations

import headwater as hw
from headwater.execution.event import HeadwaterEventType, event_from_json, event_to_json


def _types(result):
    return [e.event_type_value for e in result.all_events]


def test_asset_chain_emits_events_in_order():
    """Each asset step emits start, inputs, output, materialization, handled output, success."""

    @hw.asset
    def raw():
        return [3, 1, 2]

    @hw.asset
    def ordered(raw):
        return sorted(raw)

    result = hw.materialize([raw, ordered])
    assert result.success
    assert result.asset_value("ordered") == [1, 2, 3]
    step = ["STEP_START", "STEP_OUTPUT", "ASSET_MATERIALIZATION", "HANDLED_OUTPUT", "STEP_SUCCESS"]
    with_input = [step[0], "LOADED_INPUT", "STEP_INPUT", *step[1:]]
    assert _types(result) == ["PIPELINE_START", *step, *with_input, "PIPELINE_SUCCESS"]
    assert [m.asset_key for m in result.asset_materializations_for_node("ordered")] == [
        hw.AssetKey("ordered")
    ]


def test_unselected_upstream_is_loaded_from_the_io_manager():
    """Selecting only the downstream asset loads the upstream value through its IO manager."""
    store = hw.InMemoryIOManager()

    @hw.asset
    def base():
        return 10

    @hw.asset
    def plus_one(base):
        return base + 1

    io = hw.IOManagerDefinition.hardcoded_io_manager(store)
    hw.materialize([base, plus_one], resources={"io_manager": io})
    result = hw.materialize([base, plus_one], selection=[plus_one], resources={"io_manager": io})
    assert [e.step_key for e in result.get_step_success_events()] == ["plus_one"]
    assert result.asset_value("plus_one") == 11


def test_dynamic_map_and_collect():
    """A DynamicOut fans out one step per element; collect gathers them in order."""

    @hw.op(out=hw.DynamicOut())
    def files():
        for name in ["a", "b", "c"]:
            yield hw.DynamicOutput(name, mapping_key=name)

    @hw.op
    def size(name):
        return len(name) * 10

    @hw.op
    def total(sizes):
        return sum(sizes)

    @hw.job
    def scan():
        total(files().map(size).collect())

    result = scan.execute_in_process()
    assert result.output_for_node("size") == {"a": 10, "b": 10, "c": 10}
    assert result.output_for_node("total") == 30
    assert sorted(e.step_key for e in result.get_step_success_events()) == [
        "files", "size[a]", "size[b]", "size[c]", "total"
    ]


def test_nested_graph_steps_are_flattened_with_dotted_keys():
    """Ops inside a graph node run as steps named graph.op; graph outputs resolve inward."""

    @hw.op
    def one():
        return 1

    @hw.op
    def inc(x):
        return x + 1

    @hw.graph
    def twice(x):
        return inc.alias("second")(inc(x))

    @hw.job
    def pipeline():
        twice(one())

    result = pipeline.execute_in_process()
    assert result.output_for_node("twice") == 3
    assert result.output_for_node("twice.second") == 3
    assert "twice.inc" in {e.step_key for e in result.get_step_success_events()}


def test_retry_policy_retries_then_succeeds():
    """A step failing twice under RetryPolicy(max_retries=2) succeeds on the third attempt."""
    attempts = []

    @hw.op(retry_policy=hw.RetryPolicy(max_retries=2))
    def flaky():
        attempts.append(1)
        if len(attempts) < 3:
            raise ConnectionError("try again")
        return "ok"

    @hw.job
    def retrying():
        flaky()

    result = retrying.execute_in_process()
    assert result.output_for_node("flaky") == "ok"
    assert _types(result).count("STEP_UP_FOR_RETRY") == 2
    assert result.retry_attempts_for_node("flaky") == 2


def test_failure_stops_downstream_and_reports_user_metadata():
    """Failure(description, metadata) fails the step; downstream steps do not run."""

    @hw.op
    def check():
        raise hw.Failure("rows missing", metadata={"missing": 3})

    @hw.op
    def after(x):
        return x

    @hw.job
    def guarded():
        after(check())

    result = guarded.execute_in_process(raise_on_error=False)
    assert not result.success
    failure = result.failure_data_for_node("check")
    assert failure.user_failure_data.description == "rows missing"
    assert failure.user_failure_data.metadata["missing"] == hw.MetadataValue.int(3)
    assert result.is_node_untouched("after")


def test_optional_output_not_yielded_skips_downstream():
    """An op that does not yield an optional output skips the steps that need it."""

    @hw.op(out={"maybe": hw.Out(is_required=False), "always": hw.Out()})
    def branch():
        yield hw.Output(1, "always")

    @hw.op
    def use(x):
        return x

    @hw.job
    def branching():
        maybe, always = branch()
        use(maybe)
        use.alias("use_always")(always)

    result = branching.execute_in_process()
    assert result.is_node_skipped("use")
    assert result.output_for_node("use_always") == 1


def test_multi_asset_subset_runs_only_selected_outputs():
    """A subsettable multi-asset sees only the selected outputs and yields only those."""

    @hw.multi_asset(outs={"left": hw.AssetOut(), "right": hw.AssetOut()}, can_subset=True)
    def pair(context):
        for name in sorted(context.selected_output_names):
            yield hw.Output(name.upper(), name)

    result = hw.materialize([pair], selection=["right"])
    assert result.asset_keys_materialized == {hw.AssetKey("right")}
    assert result.asset_value("right") == "RIGHT"


def test_graph_backed_asset_materializes_through_its_ops():
    """@graph_asset runs its ops and materializes the graph's output as the asset."""

    @hw.op
    def fetch():
        return 4

    @hw.op
    def square(x):
        return x * x

    @hw.graph_asset
    def area():
        return square(fetch())

    result = hw.materialize([area])
    assert result.asset_value("area") == 16
    assert result.asset_materializations_for_node("area")[0].asset_key == hw.AssetKey("area")


def test_context_log_becomes_log_events():
    """context.log messages are recorded as LOG events of the step."""

    @hw.asset
    def noisy(context):
        context.log.info("loading %d rows", 5)
        return 1

    result = hw.materialize([noisy])
    logs = [e for e in result.all_records if e.event_type is HeadwaterEventType.LOG]
    assert [(e.step_key, e.message) for e in logs] == [("noisy", "loading 5 rows")]


def test_every_event_round_trips_through_json():
    """event_from_json(event_to_json(e)) == e for every event of a run with metadata."""

    @hw.asset(metadata={"owner": "data"})
    def measured():
        return hw.MaterializeResult(metadata={"rows": 3, "schema": hw.TableSchema(
            columns=[hw.TableColumn("id", "int")])})

    @hw.op
    def bad():
        raise ValueError("nope")

    @hw.job
    def failing():
        bad()

    events = hw.materialize([measured]).all_records
    events += failing.execute_in_process(raise_on_error=False).all_records
    for event in events:
        assert event_from_json(event_to_json(event)) == event


def test_direct_invocation_runs_the_body_with_or_without_context():
    """Calling an asset or op function directly runs it, type checking its inputs."""

    @hw.asset
    def doubled(context, numbers: list) -> list:
        context.log.info("doubling")
        return [n * 2 for n in numbers]

    @hw.op
    def add(a: int, b: int) -> int:
        return a + b

    assert doubled(hw.build_asset_context(), [1, 2]) == [2, 4]
    assert add(1, b=2) == 3
    try:
        add("x", 2)
    except hw.HeadwaterTypeCheckDidNotPass as exc:
        assert 'input "a"' in str(exc)
    else:
        raise AssertionError("a str passed as int input should fail the type check")
