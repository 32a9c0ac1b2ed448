"""Resources bound to assets: an IO manager given as a definition gets the asset's own key,
with_resources checks what resources need, and two assets cannot bind one key differently."""

import pytest

import headwater as hw


class _Fixed(hw.IOManager):
    def handle_output(self, context, obj):
        pass

    def load_input(self, context):
        return 5


@hw.io_manager
def fixed_manager():
    return _Fixed()


def test_an_io_manager_def_is_bound_under_the_assets_own_key():
    """io_manager_def= binds the manager under '<asset>__io_manager', not 'io_manager'."""

    @hw.asset(io_manager_def=fixed_manager)
    def numbers():
        return 1

    assert numbers.get_io_manager_key_for_asset_key(hw.AssetKey("numbers")) == "numbers__io_manager"
    assert numbers.resource_defs["numbers__io_manager"] is fixed_manager
    source = hw.SourceAsset("raw", io_manager_def=fixed_manager)
    assert source.get_io_manager_key() == "raw__io_manager"
    assert source.io_manager_def is fixed_manager


def test_a_source_assets_own_io_manager_loads_it_beside_a_default_one():
    """A source asset's own IO manager is used even when the job binds another io_manager."""
    source = hw.SourceAsset("raw", io_manager_def=fixed_manager)

    @hw.asset
    def derived(raw):
        return raw + 1

    bound = hw.with_resources([source, derived], {"io_manager": hw.mem_io_manager})
    result = hw.materialize(bound, selection=[derived])
    assert result.output_for_node("derived") == 6


def test_two_assets_binding_one_key_to_different_resources_conflict():
    """Different resources under one key in two assets of a job are an error."""

    @hw.asset(required_resource_keys={"foo"})
    def one():
        pass

    @hw.asset(required_resource_keys={"foo"})
    def two():
        pass

    first = hw.with_resources([one], {"foo": hw.ResourceDefinition.hardcoded_resource(1)})
    second = hw.with_resources([two], {"foo": hw.ResourceDefinition.hardcoded_resource(1)})
    with pytest.raises(hw.HeadwaterInvalidDefinitionError, match="resource with key 'foo'"):
        hw.materialize([*first, *second])


def test_with_resources_checks_what_an_io_manager_needs_transitively():
    """A resource needed by a resource the asset's IO manager needs must be bound too."""

    @hw.io_manager(required_resource_keys={"store"})
    def needs_store():
        return _Fixed()

    @hw.resource(required_resource_keys={"credentials"})
    def store(context):
        return context.resources.credentials

    @hw.asset(io_manager_def=needs_store)
    def stored():
        return 1

    with pytest.raises(hw.HeadwaterInvalidDefinitionError, match="'stored__io_manager'"):
        hw.with_resources([stored], {})
    with pytest.raises(hw.HeadwaterInvalidDefinitionError,
                       match="'credentials' required by resource with key 'store'"):
        hw.with_resources([stored], {"store": store})


def test_an_asset_called_in_a_job_body_is_its_op():
    """In a job body an asset stands for its op, with the resources it takes."""

    class Store(hw.ConfigurableResource):
        name: str

    seen = []

    @hw.asset
    def tracked(store: Store):
        seen.append(store.name)

    @hw.job(resource_defs={"store": Store(name="s")})
    def op_job():
        tracked()

    assert op_job.execute_in_process().success
    assert seen == ["s"]


def test_an_observable_source_asset_is_loaded_by_its_own_io_manager():
    """Downstream of an observable source asset, the input comes from its io_manager_def."""

    @hw.observable_source_asset(io_manager_def=fixed_manager)
    def observed():
        return hw.DataVersion("v1")

    @hw.asset
    def downstream(observed):
        return observed + 1

    result = hw.Definitions(assets=[observed, downstream]) \
        .resolve_implicit_global_asset_job_def().execute_in_process()
    assert result.output_for_node("downstream") == 6
