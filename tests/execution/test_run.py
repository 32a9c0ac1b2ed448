"""Running jobs in process: hooks, dynamic outputs, priorities, results."""

from collections import defaultdict

import headwater as hw
from headwater import HeadwaterEventType


def test_hooks_see_alias_tags_outputs_and_metadata():
    """A hook gets the node under its alias, its tags, output values and metadata."""
    seen = {}

    @hw.success_hook
    def record(context):
        seen[context.op.name] = (context.op.tags, context.op_output_values,
                                 context.op_output_metadata)

    @hw.op(out=hw.DynamicOut())
    def fan():
        yield hw.DynamicOutput(1, mapping_key="a", metadata={"m": 1})
        yield hw.DynamicOutput(2, mapping_key="b")

    @hw.op
    def echo(x):
        return x

    @record
    @hw.job
    def j():
        fan.alias("spread").tag({"pos": 1})().map(echo)

    assert j.execute_in_process().success
    assert seen["spread"][0] == {"pos": "1"}
    assert seen["spread"][1] == {"result": {"a": 1, "b": 2}}
    assert seen["spread"][2]["result"]["a"] == {"m": hw.IntMetadataValue(1)}
    assert seen["echo"][1] == {"result": 2} or seen["echo"][1] == {"result": 1}


def test_hook_on_graph_reaches_nested_ops():
    """A hook applied to a graph runs for every op inside it, nested graphs included."""
    called = defaultdict(set)

    @hw.success_hook
    def record(context):
        called[context.hook_def.name].add(context.op.name)

    @hw.op
    def a():
        pass

    @record
    @hw.graph
    def inner():
        a()

    @hw.graph
    def outer():
        inner()

    assert outer.execute_in_process().success
    assert called["record"] == {"a"}


def test_event_list_hook_can_skip():
    """An event-list hook returning HookExecutionResult(is_skipped=True) records a skip."""
    @hw.event_list_hook
    def maybe(context, events):
        return hw.HookExecutionResult("maybe", is_skipped=True)

    @hw.op
    def a():
        pass

    @hw.job
    def j():
        a.with_hooks({maybe})()

    result = j.execute_in_process()
    assert HeadwaterEventType.HOOK_SKIPPED in [e.event_type for e in result.all_events]


def test_collect_of_all_skipped_mapped_outputs_skips():
    """Collecting an optional output that no mapped copy produced skips the consumer."""
    @hw.op(out=hw.DynamicOut())
    def emit():
        yield hw.DynamicOutput(1, mapping_key="one")

    @hw.op(out={"a": hw.Out(is_required=False), "b": hw.Out(is_required=False)})
    def split(x):
        yield hw.Output(x, "a")

    @hw.op
    def total(xs):
        return sum(xs)

    @hw.job
    def j():
        a, b = emit().map(split)
        total.alias("total_a")(a.collect())
        total.alias("total_b")(b.collect())

    result = j.execute_in_process()
    assert result.output_for_node("total_a") == 1
    assert HeadwaterEventType.STEP_SKIPPED in [
        e.event_type for e in result.all_events if e.step_key == "total_b"]


def test_map_of_a_mapped_output_chains():
    """.map() on the result of .map() keeps fanning out."""
    @hw.op(out=hw.DynamicOut())
    def emit():
        for i in range(3):
            yield hw.DynamicOutput(i, mapping_key=str(i))

    @hw.op
    def inc(x):
        return x + 1

    @hw.job
    def j():
        emit().map(inc).map(inc)

    assert j.execute_in_process().success


def test_priority_tag_orders_ready_steps():
    """Ready steps run by headwater/priority, highest first."""
    @hw.op(tags={"headwater/priority": "-1"})
    def low():
        pass

    @hw.op(tags={"headwater/priority": "1"})
    def high():
        pass

    @hw.op
    def mid():
        pass

    @hw.job
    def j():
        low()
        mid()
        high()

    result = j.execute_in_process()
    assert [e.node_handle for e in result.get_step_success_events()] == ["high", "mid", "low"]


def test_run_status_and_tags():
    """headwater_run reports success; run_tags replace job tags when given."""
    @hw.op
    def a():
        pass

    @hw.graph
    def g():
        a()

    result = g.to_job(tags={"foo": "bar"}).execute_in_process()
    assert result.headwater_run.is_success
    assert result.headwater_run.tags == {"foo": "bar"}
    assert g.to_job(tags={"foo": "bar"}, run_tags={}).execute_in_process().headwater_run.tags == {}


def test_job_config_applies_when_no_run_config():
    """A job's config= is used when execute_in_process gets no run_config."""
    @hw.op
    def echo(x: int):
        return x

    @hw.job(config={"ops": {"echo": {"inputs": {"x": 3}}}})
    def j():
        echo()

    assert j.execute_in_process().output_for_node("echo") == 3


def test_aliased_graph_executes_and_default_io_manager_is_on_job():
    """graph.alias(...).execute_in_process() runs; the run's job shows its io_manager."""
    @hw.op
    def check(context):
        assert "io_manager" in context.job_def.resource_defs
        return 1

    @hw.graph
    def g():
        check()

    assert g.alias("renamed").execute_in_process().job_def.name == "renamed"
