"""What user code sees in `context.resources`: an op, a type check and a type loader see
the resources they declare, nothing else; a type loader builds inputs given in config."""

import pytest

import headwater as hw


def test_an_op_sees_only_the_resources_it_declares():
    """Another op's resource is not visible, even though the run initialised it."""
    seen = {}

    @hw.op(required_resource_keys={"a"})
    def uses_a(context):
        seen["a"] = context.resources.a
        seen["has_b"] = hasattr(context.resources, "b")

    @hw.op(required_resource_keys={"b"})
    def uses_b(context):
        return context.resources.b

    @hw.job(resource_defs={"a": hw.ResourceDefinition.hardcoded_resource(1),
                           "b": hw.ResourceDefinition.hardcoded_resource(2)})
    def both():
        uses_a()
        uses_b()

    assert both.execute_in_process().success
    assert seen == {"a": 1, "has_b": False}


def test_an_undeclared_resource_fails_with_unknown_resource_error():
    """Using a resource without declaring it raises HeadwaterUnknownResourceError."""

    @hw.op(required_resource_keys={"a"})
    def uses_a(context):
        return context.resources.a

    @hw.op
    def sneaky(context):
        return context.resources.a

    @hw.job(resource_defs={"a": hw.ResourceDefinition.hardcoded_resource(1)})
    def job():
        uses_a()
        sneaky()

    with pytest.raises(hw.HeadwaterUnknownResourceError):
        job.execute_in_process()


def _loader_job(keys):
    @hw.headwater_type_loader(hw.String, required_resource_keys=keys)
    def shout(context, text):
        return Loud(text + context.resources.suffix)

    @hw.usable_as_headwater_type(loader=shout)
    class Loud(str):
        pass

    @hw.op(ins={"word": hw.In(Loud)})
    def say(word):
        return word

    @hw.job(resource_defs={"suffix": hw.ResourceDefinition.hardcoded_resource("!")})
    def speak():
        say()

    return speak


def test_a_type_loader_builds_an_input_from_run_config_with_its_resources():
    """Input config goes through the type's loader, which sees the resources it declares."""
    result = _loader_job({"suffix"}).execute_in_process(
        {"ops": {"say": {"inputs": {"word": "hey"}}}})
    assert result.output_for_node("say") == "hey!"


def test_a_type_loader_without_the_resource_declared_fails():
    """A loader that uses a resource it did not declare gets HeadwaterUnknownResourceError."""
    with pytest.raises(hw.HeadwaterUnknownResourceError):
        _loader_job(set()).execute_in_process({"ops": {"say": {"inputs": {"word": "hey"}}}})


def test_a_resource_can_attach_another_object_to_context_resources():
    """IAttachDifferentObjectToOpContext: context.resources holds the attached object, a
    parameter typed with the resource class the resource itself."""

    class Client:
        pass

    client = Client()

    class ClientResource(hw.ConfigurableResource, hw.IAttachDifferentObjectToOpContext):
        def get_object_to_set_on_execution_context(self):
            return client

    seen = {}

    @hw.asset(required_resource_keys={"api"})
    def legacy(context):
        seen["legacy"] = context.resources.api

    @hw.asset
    def typed(api: ClientResource):
        seen["typed"] = api

    assert hw.materialize([legacy, typed], resources={"api": ClientResource()}).success
    assert seen["legacy"] is client
    assert isinstance(seen["typed"], ClientResource)


def test_a_pythonic_resource_sees_its_config_in_the_init_context():
    """setup_for_execution gets the config the resource was built from (enums as values)."""
    import enum

    class Mode(enum.Enum):
        FAST = "fast"
        SAFE = "safe"

    seen = {}

    class Engine(hw.ConfigurableResource):
        mode: Mode
        workers: int = 2

        def setup_for_execution(self, context):
            seen.update(context.resource_config)

    @hw.asset
    def run_it(engine: Engine):
        return engine.mode.value

    result = hw.materialize([run_it], resources={"engine": Engine(mode=Mode.FAST)},
                            run_config={"resources": {"engine": {"config": {"mode": "SAFE"}}}})
    assert result.output_for_node("run_it") == "safe"
    assert seen == {"mode": "safe", "workers": 2}
