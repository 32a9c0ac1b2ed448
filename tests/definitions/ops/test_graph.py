"""Graphs, jobs and composition: wiring rules and the errors they raise."""

import warnings

import pytest

import headwater as hw
from headwater import HeadwaterInvalidDefinitionError, HeadwaterInvariantViolationError


@hw.op
def one():
    return 1


@hw.op
def add_one(num):
    return num + 1


def test_uninvoked_op_as_input_asks_for_parentheses():
    """Passing an op instead of its output names the fix."""
    with pytest.raises(HeadwaterInvalidDefinitionError, match="Did you forget parentheses"):
        @hw.graph
        def g():
            add_one(one)


def test_uninvoked_alias_warns():
    """An aliased op that is never called warns once per alias."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")

        @hw.job
        def j():
            one.alias("a")
            one.alias("b")
            one.tag({"k": "v"}).alias("c")()

    messages = [str(w.message) for w in caught if "uninvoked op" in str(w.message)]
    assert len(messages) == 2


def test_alias_name_is_validated():
    """Aliases follow the node name rules."""
    with pytest.raises(HeadwaterInvalidDefinitionError, match="not a valid name"):
        one.alias("bad name")


def test_indexing_a_single_output_fails():
    """A single output handle cannot be indexed or iterated."""
    with pytest.raises(HeadwaterInvariantViolationError, match="index in to an InvokedNodeOutputHandle"):
        @hw.graph
        def g():
            add_one(one()[0])


def test_conflicting_definitions_with_same_name():
    """Two different ops under one name are rejected."""
    def first():
        return 1

    def second():
        return 2

    a = hw.op(name="same")(first)
    b = hw.op(name="same")(second)
    with pytest.raises(HeadwaterInvalidDefinitionError, match="conflicting node definitions"):
        @hw.graph
        def g():
            a()
            b()


def test_unmapped_graph_input():
    """A graph input that feeds nothing is an error."""
    with pytest.raises(HeadwaterInvalidDefinitionError, match="unmapped input 'x'"):
        @hw.graph
        def g(x):
            one()


def test_input_mappings_are_objects_in_input_order():
    """input_mappings lists InputMapping records, ordered by graph input."""
    @hw.op
    def take(a, b):
        return a + b

    @hw.graph
    def g(m_b, m_a):
        take(m_a, b=m_b)

    assert [(m.graph_input_name, m.maps_to.input_name) for m in g.input_mappings] == [
        ("m_b", "b"), ("m_a", "a")]


def test_explicit_input_mapping_runs():
    """GraphDefinition(input_mappings=[InputMapping(...)]) wires the graph input in."""
    graph = hw.GraphDefinition(
        name="g", node_defs=[add_one],
        input_mappings=[hw.InputMapping("x", "add_one", "num")])
    assert graph.execute_in_process(input_values={"x": 4}).output_for_node("add_one") == 5


def test_string_key_and_aliases_of_same_op_in_dependencies():
    """A node named by string sits next to aliased copies of the same op."""
    graph = hw.GraphDefinition(
        name="g", node_defs=[one, add_one],
        dependencies={
            "add_one": {"num": hw.DependencyDefinition("one")},
            hw.NodeInvocation("add_one", "again"): {"num": hw.DependencyDefinition("add_one")},
        })
    assert graph.execute_in_process().output_for_node("again") == 3


def test_job_has_node_searches_nested_graphs():
    """has_node finds nodes inside nested graphs."""
    @hw.graph
    def inner():
        return add_one(one())

    @hw.job
    def j():
        inner()

    assert j.has_node("add_one") and j.has_node("inner") and not j.has_node("missing")


def test_job_metadata_tags_owners():
    """Job metadata is normalized, tags become strings, owners are validated."""
    @hw.job(metadata={"n": 4}, tags={"t": {"a": 1}}, owners=["team:data"])
    def j():
        one()

    assert j.metadata["n"] == hw.IntMetadataValue(4)
    assert j.tags == {"t": '{"a": 1}'}
    assert j.owners == ["team:data"]
    with pytest.raises(HeadwaterInvalidDefinitionError, match="Owner must be an email"):
        @hw.job(owners=["nobody"])
        def k():
            one()


def test_ambiguous_positional_inputs_need_keywords():
    """Extra positional arguments to an op taking **kwargs must be named."""
    @hw.op(ins={"b": hw.In(), "a": hw.In(), "c": hw.In()})
    def add(a, **kwargs):
        return a

    with pytest.raises(HeadwaterInvalidDefinitionError, match="Use keyword args instead"):
        @hw.graph
        def g():
            add(one(), one(), one())


def test_op_ins_first_and_docstring_descriptions():
    """Inputs declared in ins= come first; Args/Returns sections describe inputs and output."""
    @hw.op(ins={"b": hw.In()})
    def f(a, b):
        """Add.

        Args:
            a: the first
        Returns:
            the sum.
        """
        return a + b

    assert [d.name for d in f.input_defs] == ["b", "a"]
    assert f.input_dict["a"].description == "the first"
    assert f.output_defs[0].description == "the sum."


def test_bad_scalar_default_and_nothing_parameter():
    """Scalar defaults are type checked; a Nothing input cannot be a parameter."""
    with pytest.raises(HeadwaterInvalidDefinitionError, match="default_value of InputDefinition x"):
        @hw.op(ins={"x": hw.In(int, default_value="no")})
        def f(x):
            return x
    with pytest.raises(HeadwaterInvalidDefinitionError, match="no data will be passed"):
        @hw.op(ins={"done": hw.In(hw.Nothing)})
        def f(done):
            pass


def test_configured_method_on_ops_and_graphs():
    """op.configured / graph.configured copy the node under a new name with fixed or mapped
    config; the original keeps its config schema and the same name is refused."""

    @hw.op(config_schema={"n": int})
    def number(context):
        return context.op_config["n"]

    @hw.graph(config=hw.ConfigMapping(lambda c: {"number": {"config": {"n": c["k"]}}},
                                      config_schema={"k": int}))
    def wrapped():
        return number()

    three = number.configured({"n": 3}, name="three", description="always 3")
    doubled = number.configured(lambda outer: {"n": outer["m"] * 2}, name="doubled",
                                config_schema={"m": int})
    five = wrapped.configured({"k": 5}, name="five")  # fixes the graph's mapping's config

    @hw.job
    def numbers():
        three()
        doubled()
        five()

    result = numbers.execute_in_process(run_config={"ops": {"doubled": {"config": {"m": 4}}}})
    assert [result.output_for_node(n) for n in ("three", "doubled", "five")] == [3, 8, 5]
    assert (three.description, number.name) == ("always 3", "number")
    with pytest.raises(hw.HeadwaterInvalidDefinitionError, match="needs a name for the copy"):
        number.configured({"n": 1}, name="number")
