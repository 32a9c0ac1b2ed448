"""What resources a job needs: ops, IO and input managers, types, loaders, hooks, and the
resources those resources need; what Definitions says when one is missing."""

import pytest

import headwater as hw
from headwater.definitions.config.requirement import required_resource_keys


def _problems(job):
    with pytest.raises(hw.HeadwaterInvalidDefinitionError) as info:
        hw.Definitions(jobs=[job]).get_job_def(job.name)
    return str(info.value)


def test_an_output_io_manager_key_must_be_bound():
    """An output stored with an unbound io_manager_key is named with its op."""

    @hw.op(out=hw.Out(int, io_manager_key="lake"))
    def produce():
        return 1

    @hw.job
    def store():
        produce()

    assert "io manager with key 'lake' required by output 'result' of op 'produce'" in _problems(store)


def test_an_input_manager_key_must_be_bound():
    """An input loaded by an unbound input manager is named with its op."""

    @hw.op(ins={"rows": hw.In(input_manager_key="reader")})
    def consume(rows):
        return rows

    @hw.job
    def read():
        consume()

    assert "input manager with key 'reader' required by input 'rows' of op 'consume'" in _problems(read)


def test_types_and_their_loaders_need_their_resources():
    """A type's check and a type's loader declare resources the job must bind."""
    checked = hw.HeadwaterType(name="Checked", type_check_fn=lambda _c, _v: True,
                               required_resource_keys={"checker"})

    @hw.op(out=hw.Out(checked))
    def produce():
        return 1

    @hw.job
    def checks():
        produce()

    assert "required by type 'Checked'" in _problems(checks)

    @hw.headwater_type_loader(hw.String, required_resource_keys={"parser"})
    def parse(context, text):
        return text

    @hw.usable_as_headwater_type(loader=parse)
    class Parsed(str):
        pass

    @hw.op(ins={"value": hw.In(Parsed)})
    def consume(value):
        return value

    @hw.job
    def loads():
        consume()

    assert "required by the loader on type 'Parsed'" in _problems(loads)


def test_required_keys_follow_resources_into_their_own_needs():
    """A resource the ops need brings in the resources it needs; unused ones stay out."""

    @hw.resource(required_resource_keys={"credentials"})
    def client(context):
        return context.resources.credentials

    @hw.op(required_resource_keys={"client"})
    def fetch(context):
        return context.resources.client

    @hw.job(resource_defs={"client": client, "credentials": hw.ResourceDefinition.hardcoded_resource("k"),
                           "unused": hw.ResourceDefinition.hardcoded_resource(0)})
    def pull():
        fetch()

    assert required_resource_keys(pull) == {"client", "credentials", "io_manager"}


def test_config_of_an_unused_resource_may_be_left_out():
    """A resource no op uses needs no config; given config is still validated."""

    @hw.resource(config_schema={"url": str})
    def warehouse(context):
        raise AssertionError("an unused resource is never initialised")

    @hw.op
    def noop():
        return 1

    @hw.job(resource_defs={"warehouse": warehouse})
    def light():
        noop()

    assert light.execute_in_process().success
    with pytest.raises(hw.HeadwaterInvalidConfigError):
        hw.validate_run_config(light, {"resources": {"warehouse": {"config": {"url": 3}}}})
