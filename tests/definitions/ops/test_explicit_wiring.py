"""GraphDefinition built from node_defs and a dependencies dict, and OpDefinition built from
a plain function: the classic, undecorated way of declaring ops and graphs."""

import pytest

import headwater as hw
from headwater import HeadwaterInvalidDefinitionError


def _ops():
    """Two classic ops: `fn(context, inputs)` with the inputs in one dict."""
    a = hw.OpDefinition(name="a", ins={}, outs={"result": hw.Out()},
                        compute_fn=lambda _ctx, _inputs: [hw.Output(2, "result")])
    b = hw.OpDefinition(name="b", ins={"x": hw.In()}, outs={"result": hw.Out()},
                        compute_fn=lambda _ctx, inputs: [hw.Output(inputs["x"] * 10, "result")])
    return [a, b]


def test_classic_op_receives_inputs_as_one_dict():
    """An OpDefinition built from a plain function is called as fn(context, inputs)."""
    graph = hw.GraphDefinition(name="g", node_defs=_ops(),
                               dependencies={"b": {"x": hw.DependencyDefinition("a")}})
    result = graph.to_job().execute_in_process()
    assert result.output_for_node("b") == 20


def test_self_dependency_is_a_circular_reference():
    """A node fed by its own output is refused when the graph is built."""
    with pytest.raises(HeadwaterInvalidDefinitionError, match="circular reference"):
        hw.GraphDefinition(name="g", node_defs=_ops(),
                           dependencies={"b": {"x": hw.DependencyDefinition("b")}})


def test_loop_between_nodes_prints_the_path():
    """A loop over several aliases of one op is refused, with the loop spelled out."""
    add = hw.OpDefinition(name="add", ins={"x": hw.In()}, outs={"result": hw.Out()},
                          compute_fn=lambda _ctx, inputs: None)
    with pytest.raises(HeadwaterInvalidDefinitionError, match="first -> second -> first"):
        hw.GraphDefinition(name="g", node_defs=[add], dependencies={
            hw.NodeInvocation("add", alias="first"): {"x": hw.DependencyDefinition("second")},
            hw.NodeInvocation("add", alias="second"): {"x": hw.DependencyDefinition("first")},
        })


@pytest.mark.parametrize("dependencies, message", [
    ({"b": {"nope": hw.DependencyDefinition("a")}}, 'op "b" does not have input "nope"'),
    ({"b": {"x": hw.DependencyDefinition("a", "nope")}}, 'node "a" does not have output "nope"'),
    ({"b": hw.DependencyDefinition("a")}, "one level too high"),
    ({"b": {"x": {"x": hw.DependencyDefinition("a")}}}, 'node "b" input "x" must be a Dep'),
    ([], "dependencies must be a dict"),
])
def test_malformed_wiring_is_named(dependencies, message):
    """Each wiring mistake names the node, input or output concerned."""
    with pytest.raises(HeadwaterInvalidDefinitionError, match=message):
        hw.GraphDefinition(name="g", node_defs=_ops(), dependencies=dependencies)


def test_node_list_holds_definitions_only():
    """Something other than an op or graph in node_defs is refused by name."""
    with pytest.raises(HeadwaterInvalidDefinitionError, match="Invalid item in node list: 'x'"):
        hw.GraphDefinition(name="g", node_defs=["x"])  # type: ignore[list-item]


def test_values_are_not_types():
    """Out/In refuse a value where a type belongs; config schemas refuse a string."""
    with pytest.raises(HeadwaterInvalidDefinitionError, match="'foo'"):
        hw.Out("foo")
    with pytest.raises(HeadwaterInvalidDefinitionError, match="not a type"):
        hw.In({"a": 1})
    with pytest.raises(HeadwaterInvalidDefinitionError, match="'nope'"):
        hw.Field("nope")
    with pytest.raises(HeadwaterInvalidDefinitionError, match="'wut'"):
        hw.ResourceDefinition(resource_fn=lambda _: None, config_schema={"a": {"b": "wut"}})


def test_op_tags_must_survive_json():
    """Non-string tag values are kept as JSON: unencodable or changed-by-encoding is refused."""
    @hw.op(tags={"fine": {"ok": [1, 2]}})
    def fine():
        pass

    with pytest.raises(HeadwaterInvalidDefinitionError, match="Could not JSON encode"):
        hw.op(name="bad", tags={"bad": object()})(lambda: None)
    with pytest.raises(HeadwaterInvalidDefinitionError, match="not equivalent"):
        @hw.op(tags={"tuple": (1, 2)})
        def tupled():
            pass


def test_op_pool_and_version():
    """A pool name has no whitespace; version= is the older spelling of code_version=."""
    with pytest.raises(HeadwaterInvalidDefinitionError, match="pool"):
        hw.op(name="pooled", pool="foo bar")(lambda: None)
    with pytest.warns(DeprecationWarning):
        @hw.op(version="42")
        def versioned():
            pass
    assert versioned.version == "42" and versioned.code_version == "42"


def test_context_is_not_an_input_name():
    """ins={'context': ...} is refused: the context is passed by position."""
    with pytest.raises(HeadwaterInvalidDefinitionError, match='"context" is not a valid name'):
        @hw.op(ins={"context": hw.In(str)})
        def takes(_, _context):
            pass


def _numbers():
    @hw.op
    def one() -> int:
        return 1

    @hw.op
    def total(values: list[int]) -> int:
        return sum(values)

    return one, total


def test_output_mappings_alone_give_the_graph_its_outputs():
    """OutputMapping without input mappings: the graph output exists, described and typed by it."""
    one, _ = _numbers()
    graph = hw.GraphDefinition(name="g", node_defs=[one], output_mappings=[
        hw.OutputMapping("answer", "one", "result", graph_output_description="the answer",
                         headwater_type=hw.Any)])
    [out] = graph.output_defs
    assert (out.name, out.description, out.headwater_type.display_name) == (
        "answer", "the answer", "Any")
    assert graph.to_job().execute_in_process().output_value("answer") == 1


def test_output_mapping_from_a_dynamic_mapping_is_a_dynamic_output():
    """from_dynamic_mapping=True marks the graph output dynamic, as a body returning .map() does."""
    one, _ = _numbers()
    graph = hw.GraphDefinition(name="g", node_defs=[one], output_mappings=[
        hw.OutputMapping("result", "one", "result", from_dynamic_mapping=True)])
    assert graph.output_defs[0].is_dynamic


def test_output_mapping_to_a_missing_output_names_it():
    """An OutputMapping pointing at no output of the graph's nodes is refused when built."""
    one, _ = _numbers()
    with pytest.raises(HeadwaterInvalidDefinitionError,
                       match=r"output mapping 'answer' points to 'one\.nope'"):
        hw.GraphDefinition(name="g", node_defs=[one],
                           output_mappings=[hw.OutputMapping("answer", "one", "nope")])


def test_input_mapping_types_and_describes_the_graph_input():
    """InputMapping(headwater_type=, graph_input_description=) set the graph input's definition."""
    _, total = _numbers()
    graph = hw.GraphDefinition(name="g", node_defs=[total], input_mappings=[
        hw.InputMapping("values", "total", "values", graph_input_description="the numbers",
                        headwater_type=hw.Any)])
    [values] = graph.input_defs
    assert (values.description, values.headwater_type.display_name) == ("the numbers", "Any")


def test_fan_in_index_places_the_graph_input_among_the_upstream_outputs():
    """fan_in_index puts the graph input's value at that position of a fan-in list input."""
    one, _ = _numbers()

    @hw.op
    def listed(values: list[int]) -> list[int]:
        return values

    graph = hw.GraphDefinition(
        name="g", node_defs=[one, listed],
        dependencies={
            hw.NodeInvocation("one", alias="a"): {},
            hw.NodeInvocation("one", alias="b"): {},
            "listed": {"values": hw.MultiDependencyDefinition(
                [hw.DependencyDefinition("a"), hw.DependencyDefinition("b")])},
        },
        input_mappings=[hw.InputMapping("extra", "listed", "values", fan_in_index=1)],
        output_mappings=[hw.OutputMapping("result", "listed", "result")])
    assert graph.input_defs[0].headwater_type.display_name == "Int"
    job = graph.to_job(input_values={"extra": 7})
    assert job.execute_in_process().output_value() == [1, 7, 1]
