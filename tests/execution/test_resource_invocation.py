"""Calling a resource's init function directly: None as the context, config checked with
defaults filled, required resources checked, configured() mapping checked."""

import pytest

import headwater as hw


def test_none_context_gets_default_config():
    """With None for the context, the init function sees its config's defaults."""

    @hw.resource(config_schema={"mode": hw.Field(str, default_value="fast")})
    def engine(context):
        return context.resource_config["mode"]

    @hw.resource(config_schema=hw.Noneable(dict))
    def maybe(context):
        return context.resource_config

    assert engine(None) == "fast"
    assert maybe(None) is None
    assert maybe(hw.build_init_resource_context()) is None


def test_config_from_the_context_is_checked_and_completed():
    """Config given in the context is validated and completed with defaults."""

    @hw.resource(config_schema={"mode": hw.Field(str, default_value="fast"), "n": int})
    def engine(context):
        return context.resource_config

    assert engine(hw.build_init_resource_context(config={"n": 2})) == {"mode": "fast", "n": 2}
    with pytest.raises(hw.HeadwaterInvalidConfigError, match="resource 'engine'"):
        engine(hw.build_init_resource_context())
    with pytest.raises(hw.HeadwaterInvalidInvocationError):
        engine(None)


def test_required_resources_must_be_in_the_context():
    """A resource needing other resources wants them in its context."""

    @hw.resource(required_resource_keys={"creds"})
    def client(context):
        return context.resources.creds

    with pytest.raises(hw.HeadwaterInvalidInvocationError, match="creds"):
        client(None)
    with pytest.raises(hw.HeadwaterInvalidDefinitionError, match="resource with key 'creds'"):
        client(hw.build_init_resource_context())
    assert client(hw.build_init_resource_context(resources={"creds": "k"})) == "k"


def test_configured_resource_checks_the_config_it_produces():
    """configured() config must fit the original schema; then None is a fine context."""

    @hw.resource(config_schema={"url": str})
    def db(context):
        return context.resource_config["url"]

    assert db.configured({"url": "sqlite://"})(None) == "sqlite://"
    with pytest.raises(hw.HeadwaterInvalidConfigError, match="config mapping for resource 'db'"):
        db.configured({"uri": "x"})(None)


def test_a_config_class_serves_as_a_function_resources_schema():
    """Config.to_config_schema() checks a function resource's config against the fields."""

    class Target(hw.ConfigurableResource):
        url: str
        retries: int = 1

    @hw.resource(config_schema=Target.to_config_schema())
    def target(context):
        return Target.from_resource_context(context)

    built = target(hw.build_init_resource_context({"url": "u"}))
    assert (built.url, built.retries) == ("u", 1)
    with pytest.raises(hw.HeadwaterInvalidConfigError):
        target(hw.build_init_resource_context({"retries": 3}))


def test_process_config_and_initialize_builds_a_pythonic_resource(monkeypatch):
    """A template is built as a run would: env vars read, missing ones reported."""

    class Api(hw.ConfigurableResource):
        token: str

    monkeypatch.setenv("HW_TEST_TOKEN", "t0k")
    assert Api(token=hw.EnvVar("HW_TEST_TOKEN")).process_config_and_initialize().token == "t0k"
    monkeypatch.delenv("HW_TEST_TOKEN")
    with pytest.raises(hw.HeadwaterInvalidConfigError, match="HW_TEST_TOKEN"):
        Api(token=hw.EnvVar("HW_TEST_TOKEN")).process_config_and_initialize()
