"""Assets: deps, source assets, observable and multi-observable source assets, tags."""

import pytest

import headwater as hw
from headwater.errors import HeadwaterInvariantViolationError


class _NoLoadIOManager(hw.IOManager):
    def handle_output(self, context, obj):
        pass

    def load_input(self, context):
        raise AssertionError("an ordering-only dep must not be loaded")


def test_input_names_lists_value_and_ordering_inputs():
    """input_names has one name per upstream asset, whether passed as a value or only a dep."""

    @hw.asset
    def up():
        return 1

    @hw.asset(deps=["other"])
    def down(up):
        return up

    assert sorted(down.input_names) == ["other", "up"]


def test_deps_are_not_loaded_through_the_io_manager():
    """An asset in deps= orders the run but its value is never loaded."""

    @hw.asset
    def up():
        return None

    @hw.asset(deps=[up])
    def down():
        return None

    result = hw.materialize([up, down], resources={"io_manager": _NoLoadIOManager()})
    assert result.success


def test_duplicate_identical_deps_collapse_and_conflicting_ones_raise():
    """Listing the same dep twice is fine; two different AssetDeps on one key are an error."""

    @hw.asset(deps=["a", "a"])
    def twice():
        return None

    assert twice.input_names == ["a"]
    with pytest.raises(HeadwaterInvariantViolationError, match="more than once"):
        hw.asset(deps=["a", hw.AssetDep("a", metadata={"x": "y"})])(lambda: None)


def test_asset_dep_rejects_a_multi_asset():
    """AssetDep(multi_asset) is ambiguous and names the fix."""

    @hw.multi_asset(specs=[hw.AssetSpec("x"), hw.AssetSpec("y")])
    def both():
        pass

    with pytest.raises(hw.HeadwaterInvalidDefinitionError, match="multi_asset AssetsDefinition"):
        hw.AssetDep(both)


def test_stub_asset_takes_dep_metadata_and_conflicts_are_reported():
    """An undeclared upstream gets its AssetDep metadata; two different ones are a problem."""

    @hw.asset(deps=[hw.AssetDep("missing", metadata={"k": "v"})])
    def one():
        return None

    @hw.asset(deps=[hw.AssetDep("missing", metadata={"k": "other"})])
    def two():
        return None

    graph = hw.Definitions(assets=[one]).resolve_asset_graph()
    assert graph.get(hw.AssetKey("missing")).metadata == {"k": "v"}
    with pytest.raises(hw.HeadwaterInvalidDefinitionError, match="Conflicting metadata"):
        hw.Definitions(assets=[one, two]).resolve_asset_graph()


def test_asset_tags_are_validated():
    """Tag keys and values are short identifiers; anything else names the bad tag."""
    with pytest.raises(hw.HeadwaterInvalidDefinitionError, match="Found invalid tag keys"):
        hw.AssetSpec("a", tags={"a%": "b"})
    with pytest.raises(hw.HeadwaterInvalidDefinitionError, match="which a tag cannot hold"):
        hw.AssetSpec("a", tags={"a": "hello world"})
    assert hw.AssetSpec("a", tags={"team/owner": "data-eng", "flag": ""}).tags["flag"] == ""


def test_source_asset_metadata_and_bare_resources():
    """SourceAsset.metadata is normalized; a bare resource object becomes a definition."""
    source = hw.SourceAsset("s", metadata={"n": 1, "obj": object()},
                            resource_defs={"thing": object()})
    assert source.metadata["n"] == hw.MetadataValue.int(1)
    assert source.metadata["obj"] == hw.MetadataValue.text("[object] (unserializable)")
    assert isinstance(source.resource_defs["thing"], hw.ResourceDefinition)


def test_observable_source_asset_arguments():
    """op_tags, io_manager_def and tags reach the source asset; key excludes name/prefix."""

    @hw.observable_source_asset(key_prefix="p", op_tags={"x": "y"}, tags={"t": "v"},
                                io_manager_key="m", io_manager_def=hw.mem_io_manager)
    def obs():
        return hw.DataVersion("1")

    assert obs.key == hw.AssetKey(["p", "obs"])
    assert obs.op.tags == {"x": "y"}
    assert obs.tags == {"t": "v"}
    assert obs.io_manager_def is hw.mem_io_manager
    job = hw.Definitions(assets=[obs]).resolve_implicit_global_asset_job_def()
    assert job.nodes[0].tags == {"x": "y"}
    with pytest.raises(hw.HeadwaterInvalidDefinitionError, match="Cannot specify a name"):
        hw.observable_source_asset(key="k", name="n")


def test_multi_observable_source_asset_emits_observations():
    """One function observes several source assets, one ASSET_OBSERVATION each."""

    @hw.multi_observable_source_asset(specs=[hw.AssetSpec("a"), hw.AssetSpec("b")])
    def observe_both():
        yield hw.ObserveResult(asset_key="a", data_version=hw.DataVersion("1"))
        yield hw.ObserveResult(asset_key="b")

    assert observe_both.is_observable
    result = hw.materialize([observe_both])
    keys = [e.asset_key for e in result.all_events if e.event_type_value == "ASSET_OBSERVATION"]
    assert keys == [hw.AssetKey("a"), hw.AssetKey("b")]


def test_with_resources_binds_resources_to_assets():
    """with_resources gives each asset the resources; materialize needs no resources= then."""

    @hw.asset(required_resource_keys={"greeting"})
    def hello(context):
        return context.resources.greeting

    bound = hw.with_resources([hello], {"greeting": "hi"})
    result = hw.materialize_to_memory(bound)
    assert result.output_for_node("hello") == "hi"


def test_assets_from_an_existing_graph_or_op():
    """from_graph/from_op make assets of a plain graph or op: inputs read the assets named
    like them, outputs become assets (a lone result takes the node's name), with per-output
    attributes; a mapping naming an unknown output is refused."""

    @hw.op
    def double(upstream):
        return upstream * 2

    @hw.op(out={"low": hw.Out(), "high": hw.Out()})
    def split(source):
        return source, source + 1

    @hw.graph
    def doubled(upstream):
        return double(upstream)

    @hw.asset
    def upstream():
        return 2

    from_graph = hw.AssetsDefinition.from_graph(doubled, group_name="math", key_prefix="pre")
    from_op = hw.AssetsDefinition.from_op(
        split, keys_by_input_name={"source": "upstream"},
        tags_by_output_name={"low": {"tier": "1"}})
    assert from_graph.keys == {hw.AssetKey(["pre", "doubled"])}
    assert from_graph.group_names_by_key == {hw.AssetKey(["pre", "doubled"]): "math"}
    assert from_op.keys == {hw.AssetKey("low"), hw.AssetKey("high")}
    assert from_op.tags_by_key[hw.AssetKey("low")] == {"tier": "1"}
    result = hw.materialize([upstream, from_graph, from_op])
    assert result.output_for_node("doubled") == 4
    assert (result.output_for_node("split", "low"), result.output_for_node("split", "high")) == (2, 3)
    with pytest.raises(hw.HeadwaterInvalidDefinitionError,
                       match=r"from_op\('split', tags_by_output_name=...\) names \['mid'\]"):
        hw.AssetsDefinition.from_op(split, tags_by_output_name={"mid": {}})


def test_asset_in_deps_and_ins_may_only_be_keyed_by_ins():
    """An asset listed in deps may also be in ins only to give its key; anything more in the
    AssetIn is refused, for @asset and @multi_asset specs alike."""
    @hw.asset
    def upstream():
        return 1

    with pytest.raises(hw.HeadwaterInvalidDefinitionError, match="partition_mapping"):
        @hw.asset(deps=[upstream],
                  ins={"upstream": hw.AssetIn(partition_mapping=hw.IdentityPartitionMapping())})
        def mapped(upstream):
            return upstream

    with pytest.raises(hw.HeadwaterInvalidDefinitionError, match="metadata"):
        @hw.multi_asset(specs=[hw.AssetSpec("out", deps=[upstream])],
                        ins={"upstream": hw.AssetIn(metadata={"a": 1})})
        def multi(upstream):
            return None

    @hw.asset(deps=[upstream], ins={"renamed": hw.AssetIn(key=upstream.key)})
    def keyed(renamed):
        return renamed

    assert keyed.keys_by_input_name["renamed"] == upstream.key


def test_multi_asset_specs_declare_every_parameter():
    """With specs=, a parameter that reads no asset of the specs' deps is refused."""
    with pytest.raises(hw.HeadwaterInvalidDefinitionError, match="none of its AssetSpecs depends"):
        @hw.multi_asset(specs=[hw.AssetSpec("out")])
        def undeclared(upstream):
            return None


def test_from_graph_and_from_op_take_their_definitions_by_keyword():
    """AssetsDefinition.from_graph(graph_def=...) and .from_op(op_def=...) as in Dagster."""
    @hw.op
    def produce():
        return 1

    @hw.graph
    def produced():
        return produce()

    assert hw.AssetsDefinition.from_op(op_def=produce).keys == {hw.AssetKey("produce")}
    assert hw.AssetsDefinition.from_graph(graph_def=produced).keys == {hw.AssetKey("produced")}


def test_nothing_typed_asset_in_needs_no_parameter():
    """An AssetIn typed Nothing orders the asset after its upstream without a parameter."""
    @hw.asset
    def first():
        return 1

    @hw.asset(ins={"first": hw.AssetIn(headwater_type=hw.Nothing)})
    def after():
        return 2

    assert after.asset_deps == {after.key: {first.key}}
    assert hw.materialize([first, after]).success
    with pytest.raises(hw.HeadwaterInvalidDefinitionError, match="no parameter 'first'"):
        @hw.asset(ins={"first": hw.AssetIn()})
        def missing():
            return 2


def test_asset_taking_kwargs_receives_ins_it_does_not_name():
    """ins= of an asset whose function takes **kwargs arrive as keyword arguments."""

    @hw.asset
    def left():
        return 1

    @hw.asset
    def right():
        return 2

    @hw.asset(ins={"l": hw.AssetIn("left"), "r": hw.AssetIn("right")})
    def total(**kwargs):
        return kwargs["l"] + kwargs["r"]

    result = hw.materialize([left, right, total])
    assert result.output_for_node("total") == 3


def test_get_asset_spec_returns_the_spec_of_one_asset():
    """get_asset_spec() gives the only asset's spec, or the named one of a multi-asset; a spec
    passed to an op in a job body loads that asset as the op's input."""

    @hw.asset(description="to send")
    def emails(): ...

    @hw.multi_asset(specs=[hw.AssetSpec("left"), hw.AssetSpec("right", group_name="g")])
    def pair(): ...

    assert emails.get_asset_spec().description == "to send"
    assert pair.get_asset_spec("right").group_name == "g"
    assert pair.get_asset_spec(hw.AssetKey("left")).key == hw.AssetKey("left")
    with pytest.raises(hw.HeadwaterInvalidInvocationError, match="middle"):
        pair.get_asset_spec("middle")

    loaded = []

    class Store(hw.IOManager):
        def handle_output(self, context, obj): ...

        def load_input(self, context):
            loaded.append(context.asset_key)
            return ["a@example.com"]

    @hw.op
    def send(to) -> int:
        return len(to)

    @hw.job
    def send_job():
        send(emails.get_asset_spec())

    result = send_job.execute_in_process(resources={"io_manager": Store()})
    assert result.output_for_node("send") == 1
    assert loaded == [hw.AssetKey("emails")]
