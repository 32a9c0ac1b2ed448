"""Calling ops, assets, hooks and loggers directly, as unit tests do."""

from __future__ import annotations

import asyncio
import logging

import pytest

import headwater as hw


def test_context_argument_is_required_when_the_body_takes_one():
    """A body with a context parameter called with nothing names the function and the fix."""

    @hw.op
    def needs_context(context):
        return 1

    with pytest.raises(hw.HeadwaterInvalidInvocationError, match="has context argument"):
        needs_context()
    assert needs_context(None) == 1
    assert needs_context(hw.build_op_context()) == 1


def test_context_is_dropped_for_a_body_without_one():
    """A context passed to a body without a context parameter is accepted and ignored."""

    @hw.op
    def plain():
        return 5

    assert plain(hw.build_op_context()) == 5
    with pytest.raises(hw.HeadwaterInvalidInvocationError, match="Too many input arguments"):
        plain(None)


def test_alias_names_itself_in_invocation_errors():
    """Errors of a directly called alias name the alias."""

    @hw.op
    def plain():
        return 5

    with pytest.raises(hw.HeadwaterInvalidInvocationError, match="'renamed'"):
        plain.alias("renamed")(None)


def test_too_many_and_nothing_inputs():
    """Extra arguments and values for Nothing inputs are refused with their own messages."""

    @hw.op(ins={"after": hw.In(hw.Nothing)})
    def ordered():
        return 1

    with pytest.raises(hw.HeadwaterInvalidInvocationError, match="nothing input 'after'"):
        ordered(after=1)
    with pytest.raises(hw.HeadwaterInvalidInvocationError, match="nothing dependency"):
        ordered(1)
    assert ordered() == 1


def test_var_kwargs_inputs_are_passed_by_name_only():
    """Inputs collected by **kwargs cannot be given positionally."""

    @hw.op(ins={"the_in": hw.In(str)})
    def collect(**kwargs):
        return kwargs["the_in"] + "!"

    assert collect(the_in="a") == "a!"
    with pytest.raises(hw.HeadwaterInvalidInvocationError, match="0 positional inputs"):
        collect("a")


def test_missing_resource_and_bad_config_name_the_op():
    """A context lacking a required resource or config fails before the body runs."""

    @hw.op(required_resource_keys={"db"}, config_schema={"n": int})
    def uses(context):
        return context.resources.db

    with pytest.raises(hw.HeadwaterInvalidDefinitionError, match="'db' required by op 'uses'"):
        uses(hw.build_op_context(op_config={"n": 1}))
    with pytest.raises(hw.HeadwaterInvalidConfigError, match="Error in config for op 'uses'"):
        uses(hw.build_op_context(resources={"db": 1}))
    assert uses(hw.build_op_context(resources={"db": 1}, op_config={"n": 1})) == 1


def test_run_config_of_a_test_context():
    """context.run_config shows the resources config and, once bound, the op's config."""

    @hw.op(config_schema={"a": int})
    def show(context):
        return context.run_config

    assert show(hw.build_op_context(op_config={"a": 1})) == {
        "resources": {}, "ops": {"show": {"config": {"a": 1}}},
    }


def test_output_metadata_is_kept_as_given_and_refused_after_yield():
    """get_output_metadata returns raw values; metadata after the output is yielded fails."""

    @hw.op(out={"a": hw.Out(), "b": hw.Out()})
    def two(context):
        context.add_output_metadata({"rows": 3}, output_name="a")
        yield hw.Output(1, "a")
        yield hw.Output(2, "b")
        context.add_output_metadata({"late": True}, output_name="a")

    ctx = hw.build_op_context()
    with pytest.raises(hw.HeadwaterInvariantViolationError, match="already been yielded"):
        list(two(ctx))
    assert ctx.get_output_metadata("a") == {"rows": 3}


def test_output_metadata_still_reaches_the_run_event():
    """Metadata added in a run is normalized on the STEP_OUTPUT event."""

    @hw.asset
    def counted(context):
        context.add_output_metadata({"rows": 3})
        return 1

    result = hw.materialize([counted])
    out = next(e for e in result.all_events if e.event_type_value == "STEP_OUTPUT")
    assert out.event_specific_data.metadata["rows"] == hw.MetadataValue.int(3)


def test_a_context_serves_one_coroutine_at_a_time():
    """Two concurrent async bodies sharing one context are refused."""

    @hw.asset
    async def one(context):
        await asyncio.sleep(0)
        return 1

    @hw.asset
    async def two(context):
        return 2

    ctx = hw.build_asset_context()

    async def main():
        first = one(ctx)
        try:
            two(ctx)
        finally:
            await first

    with pytest.raises(hw.HeadwaterInvalidInvocationError, match="currently being used"):
        asyncio.run(main())
    assert asyncio.run(two(ctx)) == 2


def test_generator_resources_need_a_with_block():
    """A test context holding a generator resource must be entered; exit tears it down."""
    log = []

    @hw.resource
    def conn(_):
        yield "c"
        log.append("closed")

    @hw.op(required_resource_keys={"conn"})
    def uses(context):
        return context.resources.conn

    ctx = hw.build_op_context(resources={"conn": conn})
    with pytest.raises(hw.HeadwaterInvariantViolationError, match="with block"):
        uses(ctx)
    with hw.build_op_context(resources={"conn": conn}) as entered:
        assert uses(entered) == "c"
    assert "closed" in log


def test_unknown_resources_config_is_refused():
    """resources_config may only configure the resources given."""
    with pytest.raises(hw.HeadwaterInvalidConfigError, match='unexpected config entry "nope"'):
        hw.build_op_context(resources={"a": 1}, resources_config={"nope": {"config": 1}})


def test_graphs_and_jobs_are_not_called_directly():
    """Calling a graph or job outside a body points to execute_in_process."""

    @hw.op
    def noop():
        pass

    @hw.graph
    def g():
        noop()

    with pytest.raises(hw.HeadwaterInvariantViolationError, match="outside of a composition"):
        g()
    with pytest.raises(hw.HeadwaterInvariantViolationError, match="execute_in_process"):
        g.to_job()()


def test_hook_direct_invocation():
    """A hook takes its context positionally, by name, or None; nothing else."""
    seen = []

    @hw.success_hook
    def note(ctx):
        seen.append(ctx)

    note(None)
    note(ctx=hw.build_hook_context())
    with pytest.raises(hw.HeadwaterInvalidInvocationError, match="expects one parameter, ctx"):
        note()
    with pytest.raises(hw.HeadwaterInvalidInvocationError, match="expected argument 'ctx'"):
        note(other=None)
    assert len(seen) == 2


def test_logger_direct_invocation_applies_config_defaults():
    """A @logger called with a built context gets its processed config."""

    @hw.logger(hw.Field(str, default_value="dflt", is_required=False))
    def named(init_context):
        return logging.Logger(init_context.logger_config)

    assert named(None).name == "dflt"
    assert named(hw.build_init_logger_context(logger_config="x")).name == "x"
    with pytest.raises(hw.HeadwaterInvalidInvocationError, match="no context argument"):
        named()


class _PathConfig(hw.Config):
    path: str


class _Database(hw.ConfigurableResource):
    url: str = "real"

    def query(self) -> str:
        return f"rows from {self.url}"


def test_config_instance_binds_positionally_or_by_name():
    """A Config instance fills the config parameter by position or name, and the context
    reports it as op_config."""

    @hw.asset
    def report(config: _PathConfig):
        return config.path

    @hw.op
    def load(context, config: _PathConfig):
        return (config.path, context.op_config)

    assert report(_PathConfig(path="x")) == "x"
    assert report(config=_PathConfig(path="y")) == "y"
    assert load(hw.build_op_context(), _PathConfig(path="z")) == ("z", {"path": "z"})
    with pytest.raises(hw.HeadwaterInvalidInvocationError, match="got config twice"):
        load(hw.build_op_context(op_config={"path": "a"}), _PathConfig(path="b"))


def test_resource_instance_binds_positionally_or_by_name():
    """A resource object fills its parameter by position or name, between inputs in order."""

    @hw.asset
    def rows(context, database: _Database):
        return database.query()

    @hw.op
    def mixed(first: int, database: _Database, second: int):
        return (first, database.query(), second)

    fake = _Database(url="fake")
    assert rows(hw.build_asset_context(), database=fake) == "rows from fake"
    assert rows(hw.build_asset_context(), fake) == "rows from fake"
    assert mixed(1, fake, 2) == (1, "rows from fake", 2)
    with pytest.raises(hw.HeadwaterInvalidInvocationError, match="both positionally and by name"):
        mixed(1, fake, 2, database=fake)


def test_mocks_are_resource_values_in_tests_and_runs():
    """A Mock or MagicMock given as a resource is the value the body sees, in a test context
    and in materialize()."""
    from unittest import mock

    @hw.asset(required_resource_keys={"db"})
    def by_key(context):
        return context.resources.db.query()

    @hw.asset
    def by_param(database: _Database):
        return database.query()

    magic = mock.MagicMock()
    magic.query.return_value = "magic"
    plain = mock.Mock()
    plain.query.return_value = "plain"
    assert by_key(hw.build_asset_context(resources={"db": magic})) == "magic"
    assert by_key(hw.build_asset_context(resources={"db": plain})) == "plain"
    result = hw.materialize([by_key, by_param], resources={"db": magic, "database": plain})
    assert result.output_for_node("by_key") == "magic"
    assert result.output_for_node("by_param") == "plain"
    assert plain.query.call_count == 2  # once directly, once in the run


class _Service(hw.ConfigurableResource):
    pass


class _Wrapper(hw.ConfigurableResource):
    inner: hw.ResourceDependency[_Service]


def test_mocks_of_the_mock_backport_are_resource_values_too():
    """A MagicMock of the `mock` package (the backport many suites import) is a resource value,
    for a ConfigurableResource parameter and in a nested resource, not probed as a definition."""
    backport = pytest.importorskip("mock")

    @hw.asset
    def uses_service(service: _Service):
        return service.ping()

    @hw.asset
    def uses_wrapper(wrapper: _Wrapper):
        return wrapper.inner.ping()

    magic = backport.MagicMock()
    magic.ping.return_value = "pong"
    result = hw.materialize_to_memory([uses_service, uses_wrapper],
                                      resources={"service": magic, "wrapper": _Wrapper(inner=magic)})
    assert result.success
    assert result.output_for_node("uses_service") == "pong"
    assert result.output_for_node("uses_wrapper") == "pong"


def test_configured_op_invoked_directly_uses_its_config():
    """A copy made by op.configured applies its fixed or mapped config when called directly."""

    @hw.op(config_schema={"foo": str})
    def needs_foo(context):
        return context.op_config["foo"]

    fixed = needs_foo.configured({"foo": "bar"}, name="fixed")
    mapped = needs_foo.configured(lambda outer: {"foo": outer["x"] * 2}, name="mapped",
                                  config_schema={"x": str})
    assert fixed(None) == "bar"
    assert fixed(hw.build_op_context()) == "bar"
    assert mapped(hw.build_op_context(op_config={"x": "ab"})) == "abab"
    with pytest.raises(hw.HeadwaterInvalidConfigError, match="Error in config for op 'needs_foo'"):
        needs_foo(hw.build_op_context())


def test_resources_an_asset_binds_itself_serve_runs_and_direct_calls():
    """@asset(resource_defs=...) requires those resources: a run provides them, a direct call
    builds them for the call only, and giving one in the context too is refused."""

    class _Bare:
        pass

    @hw.asset(resource_defs={"bare": _Bare()})
    def uses_bare(context):
        return type(context.resources.bare).__name__

    @hw.asset(resource_defs={"used": hw.ResourceDefinition.hardcoded_resource("foo")})
    def uses_own(context):
        return context.resources.used

    job = hw.Definitions(assets=[uses_bare]).resolve_implicit_global_asset_job_def()
    assert job.execute_in_process().output_for_node("uses_bare") == "_Bare"
    context = hw.build_asset_context()
    assert uses_own(context) == "foo"
    assert "used" not in context.resources._asdict()  # only for that call
    with pytest.raises(hw.HeadwaterInvalidInvocationError,
                       match="resource 'used' provided on both the definition and invocation"):
        uses_own(hw.build_asset_context(resources={"used": "mine"}))


def test_result_objects_returned_by_direct_invocation():
    """A multi-asset of specs (outputs typed Nothing) invoked directly may return a
    MaterializeResult or an ObserveResult; their metadata reads as written."""
    @hw.multi_observable_source_asset(specs=[hw.AssetSpec("seen")],
                                      partitions_def=hw.StaticPartitionsDefinition(["a", "b"]))
    def seen(context):
        return hw.ObserveResult(metadata={"key": context.partition_key})

    @hw.multi_asset(specs=[hw.AssetSpec("made")])
    def made():
        return hw.MaterializeResult(metadata={"rows": 3})

    assert seen(hw.build_op_context(partition_key="a")).metadata == {"key": "a"}
    assert made().metadata == {"rows": 3}
