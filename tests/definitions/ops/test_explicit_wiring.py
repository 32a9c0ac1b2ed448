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
