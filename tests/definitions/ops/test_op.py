"""The @op decorator: output types from annotations, declarations, and what it rejects."""

import pytest

import headwater as hw
from headwater.definitions.ops.dynamic import check_dynamic_fan_out


def test_tuple_annotation_types_each_output():
    """With several outputs, each entry of a tuple return annotation types one output."""

    @hw.op(out={"a": hw.Out(), "b": hw.Out()})
    def pair() -> tuple[int, str]:
        return 1, "x"

    assert [d.headwater_type.display_name for d in pair.output_defs] == ["Int", "String"]


def test_multi_output_annotation_must_be_a_matching_tuple():
    """A non-tuple, or a tuple of the wrong length, for several outputs is refused."""
    with pytest.raises(hw.HeadwaterInvariantViolationError, match="tuple"):

        @hw.op(out={"a": hw.Out(), "b": hw.Out()})
        def _not_tuple() -> int:
            return 1

    with pytest.raises(hw.HeadwaterInvariantViolationError, match="3 entries"):

        @hw.op(out={"a": hw.Out(), "b": hw.Out()})
        def _too_long() -> tuple[int, int, int]:
            return 1, 2, 3


def test_output_and_dynamic_output_annotations():
    """Output[T] types the output T; list[DynamicOutput[T]] makes a dynamic output of T."""

    @hw.op
    def wrapped() -> hw.Output[str]:
        return hw.Output("a")

    @hw.op
    def fanned() -> list[hw.DynamicOutput[int]]:
        return [hw.DynamicOutput(1, mapping_key="a"), hw.DynamicOutput(2, mapping_key="b")]

    assert wrapped.output_def_named("result").headwater_type.display_name == "String"
    out = fanned.output_def_named("result")
    assert out.is_dynamic and out.headwater_type.display_name == "Int"

    @hw.graph
    def g():
        fanned()

    assert g.execute_in_process().output_for_node("fanned") == {"a": 1, "b": 2}
    with pytest.raises(hw.HeadwaterInvariantViolationError, match="list"):

        @hw.op
        def _bare() -> hw.DynamicOutput[int]:  # type: ignore[empty-body]
            ...


def test_dynamic_output_returning_none_fails():
    """A DynamicOut op must return a list (empty for none) or yield; None is an error."""

    @hw.op(out=hw.DynamicOut())
    def nothing_returned():
        pass

    @hw.graph
    def g():
        nothing_returned()

    with pytest.raises(hw.HeadwaterInvariantViolationError, match="NoneType"):
        g.execute_in_process()
    with pytest.raises(hw.HeadwaterInvariantViolationError, match="None"):
        nothing_returned()


def test_direct_invocation_checks_returned_tuple():
    """Called directly, a multi-output op's tuple has one value per output, each type-checked."""

    @hw.op(out={"a": hw.Out(int), "b": hw.Out(int)})
    def two():
        return 1, 2, 3

    @hw.op(out={"a": hw.Out(int), "b": hw.Out(int)})
    def typed():
        return 1, "no"

    with pytest.raises(hw.HeadwaterInvariantViolationError, match="Length mismatch"):
        two()
    with pytest.raises(hw.HeadwaterTypeCheckDidNotPass, match='output "b"'):
        typed()


def test_in_and_out_compare_by_resolved_type():
    """In(int) equals In(Int); an op's ins/outs compare equal to what declares them."""

    @hw.op(ins={"a": hw.In(metadata={"k": 1})}, out=hw.Out(description="d"))
    def f(a: int) -> str:
        return str(a)

    assert f.ins == {"a": hw.In(int, metadata={"k": 1})}
    assert f.outs == {"result": hw.Out(str, description="d")}
    assert hw.In(int) != hw.In(str)


def test_op_code_version_is_the_default_for_its_outputs():
    """Outputs without a code_version take the op's."""

    @hw.op(code_version="v1", out={"a": hw.Out(), "b": hw.Out(code_version="v2")})
    def f():
        yield hw.Output(1, "a")
        yield hw.Output(2, "b")

    assert f.output_def_named("a").code_version == "v1"
    assert f.output_def_named("b").code_version == "v2"


def test_decorated_definitions_keep_name_and_doc():
    """@op, @graph and @job keep the function's __name__ and __doc__."""

    @hw.op(name="renamed")
    def my_op():
        """Op doc."""

    @hw.graph
    def my_graph():
        """Graph doc."""
        my_op()

    @hw.job
    def my_job():
        """Job doc."""
        my_op()

    assert (my_op.__name__, my_op.__doc__, my_op.description) == ("my_op", "Op doc.", "Op doc.")
    assert (my_graph.__name__, my_graph.__doc__) == ("my_graph", "Graph doc.")
    assert (my_job.__name__, my_job.__doc__) == ("my_job", "Job doc.")


def test_returns_section_type_is_not_part_of_the_description():
    """'Returns: int: some int' describes the output as 'some int'."""

    @hw.op
    def f() -> int:
        """Do it.

        Returns:
            int: some int
        """
        return 1

    assert f.output_def_named("result").description == "some int"


def test_op_rejects_star_args_and_graph_rejects_functions():
    """*args has no input meaning; node_defs= takes definitions, not plain functions."""
    with pytest.raises(hw.HeadwaterInvalidDefinitionError, match=r"vararg parameter '\*args'"):

        @hw.op
        def _f(x, *args):
            pass

    with pytest.raises(hw.HeadwaterInvalidDefinitionError, match="lambda or function"):
        hw.GraphDefinition(name="g", node_defs=[lambda x: x])  # type: ignore[list-item]


def test_argument_given_twice_in_composition_is_an_invocation_error():
    """In a graph body, an input passed positionally and by name is refused, like Python."""

    @hw.op
    def one():
        return 1

    @hw.op
    def add(x, y):
        return x + y

    with pytest.raises(hw.HeadwaterInvalidInvocationError, match="multiple values for argument 'x'"):

        @hw.graph
        def _g():
            add(one(), x=one())


@hw.op(out=hw.DynamicOut())
def _numbers():
    yield hw.DynamicOutput(1, mapping_key="a")


@hw.op(out=hw.DynamicOut())
def _again(x):
    yield hw.DynamicOutput(x, mapping_key="b")


@hw.op
def _echo(x):
    return x


@hw.op
def _add(x, y):
    return x + y


def test_dynamic_fan_outs_may_not_meet_or_nest():
    """Two fan-outs meeting in one op, or a fan-out inside another, are definition errors."""
    with pytest.raises(hw.HeadwaterInvalidDefinitionError, match="more than one dynamic output"):

        @hw.job
        def _meet():
            _numbers().map(lambda x: _numbers().map(lambda y: _add(x, y)))

    with pytest.raises(hw.HeadwaterInvalidDefinitionError, match="more than one dynamic output"):

        @hw.job
        def _nested():
            _numbers().map(lambda x: _again(x).map(_echo))

    @hw.job
    def fine():
        _numbers().map(_again)

    assert fine.execute_in_process().success


def test_collect_and_per_element_in_one_op_is_refused():
    """An op may not both run per element of a dynamic output and collect it."""
    with pytest.raises(hw.HeadwaterInvalidDefinitionError, match="collect over"):

        @hw.job
        def _bad():
            x = _numbers()
            x.map(lambda y: _add(y, x.collect()))

    with pytest.raises(hw.HeadwaterInvalidDefinitionError, match="Problematic dependency"):

        @hw.job
        def _listed():
            items = []
            _numbers().map(items.append)
            _echo(items)


def test_graph_without_dynamic_ops_has_plain_outputs():
    """The check's fast path: a graph with no DynamicOut carries nothing dynamic."""

    @hw.graph
    def g():
        return _echo(_add(_echo.alias("a")(), _echo.alias("b")()))

    assert {k: (v.over, v.dynamic) for k, v in check_dynamic_fan_out(g).items()} == {
        "result": (None, None)}
