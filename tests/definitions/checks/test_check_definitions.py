"""Declaring asset checks: decorators, specs, selection, and the mistakes refused up front."""

from __future__ import annotations

import pytest

import headwater as hw
from headwater import (
    AssetCheckKey,
    AssetCheckResult,
    AssetCheckSpec,
    AssetKey,
    AssetSelection,
    Definitions,
    asset,
    asset_check,
    multi_asset_check,
)


@asset
def orders():
    return [1, 2]


@asset
def customers():
    return ["a"]


def test_asset_check_spec_from_the_decorator():
    @asset_check(asset=orders, blocking=True, metadata={"owner": "data"})
    def orders_not_empty(orders):
        """At least one order."""
        return AssetCheckResult(passed=bool(orders))

    key = AssetCheckKey(AssetKey("orders"), "orders_not_empty")
    spec = orders_not_empty.get_spec_for_check_key(key)
    assert (spec.name, spec.asset_key, spec.blocking, spec.description) == \
        ("orders_not_empty", AssetKey("orders"), True, "At least one order.")
    assert orders_not_empty.check_keys == {key}
    assert orders_not_empty.op.name == "orders_orders_not_empty"
    assert orders_not_empty.keys_by_input_name == {"orders": AssetKey("orders")}
    assert key.to_user_string() == "orders:orders_not_empty"
    assert AssetCheckKey.from_user_string("a/b:c") == AssetCheckKey(AssetKey(["a", "b"]), "c")


def test_a_check_without_the_asset_parameter_still_waits_for_it():
    @asset_check(asset="sales/orders", additional_deps=[customers])
    def fresh():
        return AssetCheckResult(passed=True)

    inputs = fresh.op.input_dict
    assert sorted(inputs) == ["customers", "sales__orders"]
    assert all(i.headwater_type.is_nothing for i in inputs.values())


def test_two_asset_parameters_are_refused():
    with pytest.raises(hw.HeadwaterInvalidDefinitionError, match="multiple assets provided"):
        @asset_check(asset=orders)
        def both(orders, customers):
            return AssetCheckResult(passed=True)


def test_multi_asset_check_parameters_must_name_a_target():
    specs = [AssetCheckSpec("a", asset=orders), AssetCheckSpec("b", asset=customers)]

    @multi_asset_check(specs=specs)
    def fine(orders, customers):
        yield AssetCheckResult(passed=True, asset_key="orders", check_name="a")
        yield AssetCheckResult(passed=True, asset_key="customers", check_name="b")

    assert fine.keys_by_input_name == {"orders": AssetKey("orders"),
                                       "customers": AssetKey("customers")}
    with pytest.raises(hw.HeadwaterInvalidDefinitionError, match="parameter 'nonsense'"):
        @multi_asset_check(specs=specs)
        def bad(nonsense):
            yield AssetCheckResult(passed=True)


def test_check_specs_must_target_the_assets_own_keys():
    with pytest.raises(hw.HeadwaterInvalidDefinitionError, match="is not an asset 'a' computes"):
        @asset(check_specs=[AssetCheckSpec("c", asset="elsewhere")])
        def a():
            return 1
    with pytest.raises(hw.HeadwaterInvalidDefinitionError, match="declares check 'b:c' twice"):
        @asset(check_specs=[AssetCheckSpec("c", asset="b"), AssetCheckSpec("c", asset="b")])
        def b():
            return 1


def test_two_checks_with_one_key_are_refused():
    def make():
        @asset_check(asset=orders)
        def rows():
            return AssetCheckResult(passed=True)
        return rows

    with pytest.raises(hw.HeadwaterInvalidDefinitionError,
                       match="Duplicate asset check key: orders:rows"):
        Definitions.validate_loadable(Definitions(assets=[orders], asset_checks=[make(), make()]))


def test_a_check_on_a_misspelled_asset_is_refused_but_an_external_one_is_allowed():
    @asset_check(asset="ordres")
    def typo():
        return AssetCheckResult(passed=True)

    with pytest.raises(hw.HeadwaterInvalidDefinitionError,
                       match="targets asset 'ordres', which is not defined. Did you mean 'orders'"):
        Definitions.validate_loadable(Definitions(assets=[orders], asset_checks=[typo]))

    @asset_check(asset="warehouse_table")
    def external():
        return AssetCheckResult(passed=True)

    Definitions.validate_loadable(Definitions(assets=[orders], asset_checks=[external]))


def test_a_blocking_check_reading_its_assets_downstream_is_a_cycle():
    @asset
    def summary(orders):
        return len(orders)

    @asset_check(asset=orders, blocking=True, additional_ins={"summary": hw.AssetIn("summary")})
    def matches_summary(orders, summary):
        return AssetCheckResult(passed=len(orders) == summary)

    with pytest.raises(hw.HeadwaterInvalidDefinitionError, match="a cycle"):
        Definitions.validate_loadable(
            Definitions(assets=[orders, summary], asset_checks=[matches_summary]))


def test_a_check_partitioned_unlike_its_asset_is_refused():
    daily = hw.DailyPartitionsDefinition("2024-01-01")

    @asset(partitions_def=daily)
    def events():
        return 1

    @asset_check(asset=events, partitions_def=hw.WeeklyPartitionsDefinition("2024-01-01"))
    def weekly():
        return AssetCheckResult(passed=True)

    with pytest.raises(hw.HeadwaterInvalidDefinitionError,
                       match="targets asset 'events' but has a different partitions definition"):
        Definitions.validate_loadable(Definitions(assets=[events], asset_checks=[weekly]))


def test_selection_of_checks():
    @asset_check(asset=orders)
    def o1():
        return AssetCheckResult(passed=True)

    @asset_check(asset=customers)
    def c1():
        return AssetCheckResult(passed=True)

    graph = Definitions(assets=[orders, customers], asset_checks=[o1, c1]).resolve_asset_graph()
    o1_key, c1_key = AssetCheckKey(AssetKey("orders"), "o1"), AssetCheckKey(AssetKey("customers"), "c1")

    def both(selection):
        return selection.resolve(graph), selection.resolve_checks(graph)

    assert both(AssetSelection.assets(orders)) == ({AssetKey("orders")}, {o1_key})
    assert both(AssetSelection.assets(orders).without_checks()) == ({AssetKey("orders")}, set())
    assert both(AssetSelection.checks(o1)) == (set(), {o1_key})
    assert both(AssetSelection.checks_for_assets(customers)) == (set(), {c1_key})
    assert both(AssetSelection.all_asset_checks()) == (set(), {o1_key, c1_key})
    assert both(AssetSelection.all() - AssetSelection.checks(o1_key))[1] == {c1_key}
    assert both(AssetSelection.from_string("key:customers"))[1] == {c1_key}
    with pytest.raises(hw.HeadwaterInvalidSubsetError, match=r"\['orders:nope'\]"):
        AssetSelection.checks(AssetCheckKey(AssetKey("orders"), "nope")).resolve_checks(graph)


def test_direct_invocation_of_a_check():
    @asset_check(asset=orders)
    def not_empty(orders):
        return AssetCheckResult(passed=bool(orders))

    assert not_empty([1]).passed
    assert not not_empty([]).passed

    @asset_check(asset=orders)
    def with_context(context, orders):
        assert context.selected_asset_check_keys == {AssetCheckKey(AssetKey("orders"), "with_context")}
        return AssetCheckResult(passed=True)

    assert with_context(hw.build_asset_check_context(), [1]).passed
