"""Resources at run time: pythonic and function style, lifecycle, nesting, errors."""

from contextlib import contextmanager

import pydantic
import pytest

import headwater as hw
from headwater import (
    ConfigurableIOManager,
    ConfigurableIOManagerFactory,
    ConfigurableResource,
    ConfigurableResourceFactory,
    EnvVar,
    ResourceDependency,
    ResourceParam,
)


class Recorder:
    def __init__(self):
        self.events = []


REC = Recorder()


class Client(ConfigurableResource):
    name: str
    retries: int = 1

    def setup_for_execution(self, context):
        REC.events.append(("setup", self.name))

    def teardown_after_execution(self, context):
        REC.events.append(("teardown", self.name))


class Service(ConfigurableResource):
    client: Client
    token: str

    def call(self):
        return f"{self.client.name}:{self.token}"


@pytest.fixture(autouse=True)
def _clear():
    REC.events.clear()


def _job_using(resource_key: str = "client"):
    @hw.op
    def use(client: Client):
        REC.events.append(("op", client.name, client.retries))

    @hw.job
    def pipeline():
        use()

    return pipeline


def test_resource_set_up_once_and_torn_down():
    """A ConfigurableResource is set up before the op and torn down after the run."""
    defs = hw.Definitions(jobs=[_job_using()], resources={"client": Client(name="c")})
    assert defs.get_job_def("pipeline").execute_in_process().success
    assert REC.events == [("setup", "c"), ("op", "c", 1), ("teardown", "c")]


def test_teardown_runs_after_a_failing_step():
    """Teardown happens even when a step fails, after the failure."""

    @hw.op
    def boom(client: Client):
        REC.events.append(("op", client.name))
        raise ValueError("boom")

    @hw.job(resource_defs={"client": Client(name="c")})
    def pipeline():
        boom()

    result = pipeline.execute_in_process(raise_on_error=False)
    assert not result.success
    assert REC.events == [("setup", "c"), ("op", "c"), ("teardown", "c")]


def test_run_config_overrides_template_values():
    """resources.<key>.config overrides the values the template was built with."""
    pipeline = _job_using()
    defs = hw.Definitions(jobs=[pipeline], resources={"client": Client(name="c")})
    defs.get_job_def("pipeline").execute_in_process(
        run_config={"resources": {"client": {"config": {"retries": 5}}}})
    assert ("op", "c", 5) in REC.events


class Aliased(ConfigurableResource):
    secret_options: dict = pydantic.Field(default_factory=dict, alias="options")
    name: str = "x"


def test_run_config_overrides_a_field_named_by_its_alias():
    """A field with an alias is set by that alias in run config, over a template value."""
    seen = []

    @hw.op
    def use(aliased: Aliased):
        seen.append((aliased.secret_options, aliased.name))

    @hw.job(resource_defs={"aliased": Aliased(options={"a": 1})})
    def pipeline():
        use()

    pipeline.execute_in_process()
    pipeline.execute_in_process(
        run_config={"resources": {"aliased": {"config": {"options": {"b": 2}}}}})
    assert seen == [({"a": 1}, "x"), ({"b": 2}, "x")]


def test_configure_at_launch_needs_run_config():
    """A partial resource takes its missing fields from run config, or fails naming them."""

    @hw.asset
    def a(client: Client):
        return client.name

    result = hw.materialize([a], resources={"client": Client.configure_at_launch()},
                            run_config={"resources": {"client": {"config": {"name": "late"}}}})
    assert result.output_for_node("a") == "late"
    with pytest.raises(hw.HeadwaterInvalidConfigError,
                       match="resources.client.config.name: missing required field"):
        hw.materialize([a], resources={"client": Client.configure_at_launch()})


def test_nested_resource_shared_with_top_level_key():
    """A nested resource bound at the top level too is initialised once and shared."""
    client = Client(name="shared")

    @hw.asset
    def a(service: Service, client: Client):
        return (service.call(), service.client is client)

    result = hw.materialize([a], resources={"service": Service(client=client, token="t"),
                                            "client": client})
    assert result.output_for_node("a") == ("shared:t", True)
    assert REC.events.count(("setup", "shared")) == 1


def test_private_nested_resource_torn_down_after_parent():
    """A nested resource not bound at the top level is built privately and torn down."""

    @hw.asset
    def a(service: Service):
        return service.call()

    result = hw.materialize([a], resources={"service": Service(client=Client(name="p"),
                                                               token="t")})
    assert result.output_for_node("a") == "p:t"
    assert REC.events == [("setup", "p"), ("teardown", "p")]


def test_partial_nested_resource_must_be_bound():
    """A configure_at_launch resource nested without a top-level key is an error naming it."""

    @hw.asset
    def a(service: Service):
        return 1

    with pytest.raises(hw.HeadwaterInvalidDefinitionError,
                       match="Resource 'service' holds 'client', a nested resource that is only "
                             "partly configured"):
        hw.materialize([a], resources={"service": Service(client=Client.configure_at_launch(),
                                                          token="t")})


def test_env_var_resolved_at_launch(monkeypatch):
    """EnvVar fields are read from the environment when the run initialises the resource."""
    monkeypatch.setenv("CLIENT_NAME", "from-env")

    @hw.asset
    def a(client: Client):
        return client.name

    result = hw.materialize([a], resources={"client": Client(name=EnvVar("CLIENT_NAME"))})
    assert result.output_for_node("a") == "from-env"
    assert "from-env" not in repr(result.run_config if hasattr(result, "run_config") else {})


def test_missing_env_var_names_resource_and_variable(monkeypatch):
    """An unset EnvVar fails with the resource key, the field and the variable."""
    monkeypatch.delenv("NOT_SET_HW", raising=False)

    @hw.asset
    def a(client: Client):
        return 1

    with pytest.raises(hw.HeadwaterInvalidConfigError,
                       match=r"resources.client.config.name: environment variable 'NOT_SET_HW'"):
        hw.materialize([a], resources={"client": Client(name=EnvVar("NOT_SET_HW"))})


def test_yield_for_execution_wraps_the_run():
    """yield_for_execution replaces setup/teardown with one context manager."""

    class Session(ConfigurableResource):
        @contextmanager
        def yield_for_execution(self, context):
            REC.events.append("open")
            yield self
            REC.events.append("close")

    @hw.asset
    def a(session: Session):
        REC.events.append("use")

    assert hw.materialize([a], resources={"session": Session()}).success
    assert REC.events == ["open", "use", "close"]


def test_factory_and_resource_param():
    """A ConfigurableResourceFactory's value reaches a ResourceParam[T] parameter."""

    class Conn:
        def __init__(self, url):
            self.url = url

    class ConnFactory(ConfigurableResourceFactory[Conn]):
        url: str

        def create_resource(self, context) -> Conn:
            return Conn(self.url)

    @hw.asset
    def a(conn: ResourceParam[Conn]):
        return conn.url

    assert hw.materialize([a], resources={"conn": ConnFactory(url="db://x")}).output_for_node(
        "a") == "db://x"


def test_resource_dependency_on_function_resource():
    """ResourceDependency[T] holds a function-style resource inside a pythonic one."""

    @hw.resource
    def prefix(_):
        return "pre"

    class Namer(ConfigurableResource):
        prefix: ResourceDependency[str]

        def name(self, x):
            return f"{self.prefix}-{x}"

    @hw.asset
    def a(namer: Namer):
        return namer.name("a")

    assert hw.materialize([a], resources={"namer": Namer(prefix=prefix), "prefix": prefix}
                          ).output_for_node("a") == "pre-a"


def test_configurable_io_manager_and_factory():
    """ConfigurableIOManager and ConfigurableIOManagerFactory store and load outputs."""
    store = {}

    class DictIO(ConfigurableIOManager):
        prefix: str

        def handle_output(self, context, obj):
            store[self.prefix + context.asset_key.to_user_string()] = obj

        def load_input(self, context):
            return store[self.prefix + context.asset_key.to_user_string()]

    class DictIOFactory(ConfigurableIOManagerFactory):
        prefix: str

        def create_io_manager(self, context):
            return DictIO(prefix=self.prefix)

    @hw.asset
    def up():
        return 2

    @hw.asset
    def down(up):
        return up + 1

    assert hw.materialize([up, down], resources={"io_manager": DictIO(prefix="x/")}).success
    assert store == {"x/up": 2, "x/down": 3}
    assert hw.materialize([up, down], resources={"io_manager": DictIOFactory(prefix="y/")}).success
    assert store["y/down"] == 3


def test_build_resources_tears_down_on_exit():
    """build_resources initialises resources for a block and tears them down after it."""
    with hw.build_resources({"client": Client(name="b")}) as resources:
        assert resources.client.name == "b"
        assert REC.events == [("setup", "b")]
    assert REC.events == [("setup", "b"), ("teardown", "b")]


def test_build_resources_with_config_and_unknown_key():
    """resource_config configures function resources; an unknown key is refused."""

    @hw.resource(config_schema={"animal": str})
    def pet(init_context):
        return init_context.resource_config["animal"]

    with hw.build_resources({"pet": pet}, resource_config={"pet": {"config": {"animal": "cat"}}}
                            ) as resources:
        assert resources.pet == "cat"
    with pytest.raises(hw.HeadwaterInvalidConfigError, match="names \\['dog'\\]"), \
            hw.build_resources({"pet": pet}, resource_config={"dog": {"config": {}}}):
        pass


def test_build_op_context_with_pythonic_resource():
    """build_op_context(resources=...) initialises a ConfigurableResource for a direct call."""

    @hw.op
    def use(client: Client):
        return client.name

    assert use(hw.build_op_context(resources={"client": Client(name="ctx")})) == "ctx"
    assert use(client=Client(name="direct")) == "direct"


def test_resource_is_frozen():
    """Assigning a field of a resource fails, saying what to do instead."""
    with pytest.raises(hw.HeadwaterInvalidInvocationError, match="Pythonic resource"):
        Client(name="x").name = "y"


def test_setup_error_is_a_resource_function_error():
    """An exception in setup_for_execution is wrapped, naming the resource."""

    class Broken(ConfigurableResource):
        def setup_for_execution(self, context):
            raise RuntimeError("cannot connect")

    @hw.asset
    def a(broken: Broken):
        return 1

    with pytest.raises(hw.HeadwaterResourceFunctionError, match="broken"):
        hw.materialize([a], resources={"broken": Broken()})


def test_bad_resource_run_config_lists_problems():
    """Wrong types and unknown keys in resources.<key>.config are reported with paths."""
    pipeline = _job_using()
    with pytest.raises(hw.HeadwaterInvalidConfigError) as info:
        pipeline.execute_in_process(
            resources={"client": Client(name="c")},
            run_config={"resources": {"client": {"config": {"retries": "x", "nme": "y"}}}},
        ) if False else hw.Definitions(
            jobs=[pipeline], resources={"client": Client(name="c")}
        ).get_job_def("pipeline").execute_in_process(
            run_config={"resources": {"client": {"config": {"retries": "x", "nme": "y"}}}})
    message = str(info.value)
    assert "resources.client.config.retries: expected int, got 'x'" in message
    assert "Did you mean 'name'?" in message


def test_config_class_contract_for_resources():
    """A resource definition exposes config_class for run-config validation and JSON Schema."""
    definition = Service(client=Client(name="c"), token="t").get_resource_definition()
    errors: list[str] = []
    definition.config_class._validate_run_config({"token": 3}, "resources.s.config", errors)
    assert errors == ["resources.s.config.token: expected str, got 3."]
    schema = definition.config_class._json_schema()
    assert "client" not in schema["properties"]
    assert schema["properties"]["token"]["default"] == "t"
    assert hw.ResourceDefinition(lambda: 1).config_class is None


def test_missing_resource_in_definitions_names_asset_and_key():
    """Definitions refuses an asset whose resource is missing, naming both."""

    @hw.asset
    def a(client: Client):
        return 1

    with pytest.raises(hw.HeadwaterInvalidDefinitionError, match="'a'.*'client'"):
        hw.Definitions(assets=[a]).resolve_asset_graph() if hasattr(
            hw.Definitions, "resolve_asset_graph") else hw.Definitions(assets=[a])


def test_missing_resource_of_op_in_job_names_op_job_and_key():
    """Definitions refuses an op job whose op needs a resource nobody binds."""

    @hw.op(required_resource_keys={"warehouse"})
    def load(context):
        pass

    @hw.job
    def nightly():
        load()

    with pytest.raises(hw.DefinitionError, match="op 'load' in job 'nightly' needs resource "
                                                 "'warehouse'"):
        hw.Definitions(jobs=[nightly]).get_job_def("nightly")
    assert hw.Definitions(jobs=[nightly], resources={"warehouse": 1}).get_job_def("nightly")


def test_init_context_shows_the_run_it_builds_the_resource_for():
    """context.headwater_run is the instance's record of the run (job name, run id); None
    when the resource is built outside a run."""
    seen = []

    @hw.resource
    def tracker(context):
        seen.append(context.headwater_run)
        return object()

    @hw.op(required_resource_keys={"tracker"})
    def step():
        pass

    @hw.job(resource_defs={"tracker": tracker})
    def nightly():
        step()

    result = nightly.execute_in_process()
    assert (seen[0].job_name, seen[0].run_id) == ("nightly", result.run_id)
    with hw.build_resources({"tracker": tracker}):
        pass
    assert seen[1] is None
