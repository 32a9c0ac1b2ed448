"""Running asset checks: in the asset's step or their own, against the run's value or the
latest stored one, per partition, and the errors a check's result can raise."""

from __future__ import annotations

import pytest

import headwater as hw
from headwater import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetSelection,
    HeadwaterEventType,
    MaterializeResult,
    Output,
    asset,
    asset_check,
    materialize,
)


def _evaluations(result):
    return {(e.asset_key.to_user_string(), e.check_name): e
            for e in result.get_asset_check_evaluations()}


def test_check_specs_evaluated_in_the_assets_step():
    @asset(check_specs=[AssetCheckSpec("positive", asset="total"),
                        AssetCheckSpec("small", asset="total")])
    def total():
        yield Output(5)
        yield AssetCheckResult(check_name="positive", passed=True)
        yield AssetCheckResult(check_name="small", passed=False, severity=AssetCheckSeverity.WARN,
                               metadata={"limit": 3})

    result = materialize([total])
    assert result.success
    evaluations = _evaluations(result)
    assert evaluations["total", "positive"].passed
    small = evaluations["total", "small"]
    assert not small.passed and small.severity is AssetCheckSeverity.WARN
    assert small.metadata["limit"].value == 3
    steps = {e.step_key for e in result.all_events
             if e.event_type is HeadwaterEventType.ASSET_CHECK_EVALUATION}
    assert steps == {"total"}


def test_materialize_result_carries_check_results_and_blocking_fails_the_step():
    @asset(check_specs=[AssetCheckSpec("sane", asset="score", blocking=True)])
    def score():
        return MaterializeResult(metadata={"n": 1},
                                 check_results=[AssetCheckResult(passed=False)])

    @asset
    def ranking(score):
        return score

    result = materialize([score, ranking], raise_on_error=False)
    assert not result.success
    assert [e.asset_key.to_user_string() for e in result.get_asset_materialization_events()] == \
        ["score"]
    assert _evaluations(result)["score", "sane"].blocking
    with pytest.raises(hw.HeadwaterAssetCheckFailedError, match="score: sane"):
        materialize([score, ranking])


def test_a_declared_check_without_a_result_fails_the_step():
    @asset(check_specs=[AssetCheckSpec("forgotten", asset="thing")])
    def thing():
        return 1

    with pytest.raises(hw.HeadwaterStepOutputNotFoundError, match="'thing:forgotten'"):
        materialize([thing])


def test_a_result_for_an_undeclared_check_names_both():
    @asset(check_specs=[AssetCheckSpec("declared", asset="thing")])
    def thing():
        yield Output(1)
        yield AssetCheckResult(check_name="other", passed=True)

    with pytest.raises(hw.HeadwaterInvariantViolationError,
                       match="check 'other'.*it evaluates \\['thing:declared'\\]"):
        materialize([thing])


def test_a_check_returning_something_else_is_an_error():
    @asset
    def thing():
        return 1

    @asset_check(asset=thing)
    def sloppy(thing):
        return thing > 0

    with pytest.raises(hw.HeadwaterInvariantViolationError,
                       match="asset check op 'thing_sloppy' returned bool"):
        materialize([thing, sloppy])


def test_a_check_alone_evaluates_the_latest_stored_value(tmp_path):
    calls = []

    @asset
    def numbers():
        return [1, 2, 3]

    @asset_check(asset=numbers)
    def sums_to_six(numbers):
        calls.append(numbers)
        return AssetCheckResult(passed=sum(numbers) == 6)

    with hw.instance_for_test(temp_dir=str(tmp_path)) as instance:
        first = materialize([numbers], instance=instance)
        second = materialize([numbers, sums_to_six], instance=instance,
                             selection=AssetSelection.checks_for_assets(numbers))
        assert second.success and not second.get_asset_materialization_events()
        (evaluation,) = second.get_asset_check_evaluations()
        assert evaluation.passed and calls == [[1, 2, 3]]
        assert evaluation.target_materialization_data.run_id == first.run_id


def test_a_check_does_not_run_when_its_asset_failed():
    ran = []

    @asset
    def broken():
        raise ValueError("no")

    @asset_check(asset=broken)
    def after_broken():
        ran.append(1)
        return AssetCheckResult(passed=True)

    result = materialize([broken, after_broken], raise_on_error=False)
    assert not result.success and not ran
    planned = [e for e in result.all_events
               if e.event_type is HeadwaterEventType.ASSET_CHECK_EVALUATION_PLANNED]
    assert len(planned) == 1 and not result.get_asset_check_evaluations()


def test_checks_are_evaluated_per_partition():
    parts = hw.StaticPartitionsDefinition(["a", "b"])

    @asset(partitions_def=parts, check_specs=[AssetCheckSpec("inline", asset="part")])
    def part(context):
        yield Output(context.partition_key)
        yield AssetCheckResult(passed=True)

    @asset_check(asset=part, partitions_def=parts)
    def per_partition(part):
        return AssetCheckResult(passed=part in ("a", "b"))

    @asset_check(asset=part)
    def whole():
        return AssetCheckResult(passed=True)

    for key in ("a", "b"):
        result = materialize([part, per_partition, whole], partition_key=key)
        evaluations = _evaluations(result)
        assert evaluations["part", "inline"].partition == key
        assert evaluations["part", "per_partition"].partition == key
        assert evaluations["part", "whole"].partition is None
        planned = {(e.payload.check_name, e.partition) for e in result.all_events
                   if e.event_type is HeadwaterEventType.ASSET_CHECK_EVALUATION_PLANNED}
        assert planned == {("inline", key), ("per_partition", key), ("whole", None)}


def test_a_warn_check_fails_only_itself_and_an_error_in_a_check_fails_the_run():
    @asset
    def base():
        return 1

    @asset_check(asset=base, blocking=True)
    def crashes():
        raise RuntimeError("check code broke")

    @asset(deps=[base])
    def after():
        return 2

    result = materialize([base, crashes, after], raise_on_error=False)
    assert not result.success
    assert "after" not in [e.asset_key.path[-1] for e in result.get_asset_materialization_events()]


def test_a_blocking_check_blocks_per_partition():
    """A partitioned blocking check that fails for one partition holds back that partition's
    downstream only; another partition runs through."""
    parts = hw.StaticPartitionsDefinition(["good", "bad"])

    @asset(partitions_def=parts)
    def feed(context):
        return context.partition_key

    @asset_check(asset=feed, partitions_def=parts, blocking=True)
    def feed_is_good(feed):
        return AssetCheckResult(passed=feed == "good")

    @asset(partitions_def=parts)
    def cleaned(feed):
        return feed.upper()

    good = materialize([feed, feed_is_good, cleaned], partition_key="good")
    assert good.success
    assert {e.asset_key.path[-1] for e in good.get_asset_materialization_events()} == \
        {"feed", "cleaned"}
    bad = materialize([feed, feed_is_good, cleaned], partition_key="bad", raise_on_error=False)
    assert not bad.success
    assert {e.asset_key.path[-1] for e in bad.get_asset_materialization_events()} == {"feed"}
    (evaluation,) = bad.get_asset_check_evaluations()
    assert evaluation.partition == "bad" and not evaluation.passed


def test_a_subsettable_multi_asset_evaluates_only_the_selected_checks():
    seen = []

    @hw.multi_asset(
        specs=[hw.AssetSpec("left"), hw.AssetSpec("right")],
        check_specs=[AssetCheckSpec("left_ok", asset="left"),
                     AssetCheckSpec("right_ok", asset="right")],
        can_subset=True,
    )
    def pair(context):
        seen.append((set(context.selected_asset_keys), set(context.selected_asset_check_keys)))
        for key in sorted(context.selected_asset_keys):
            yield hw.MaterializeResult(asset_key=key)
        for check in sorted(context.selected_asset_check_keys):
            yield AssetCheckResult(asset_key=check.asset_key, check_name=check.name, passed=True)

    result = materialize([pair], selection=AssetSelection.assets("left"))
    assert result.success
    assert seen[-1] == ({hw.AssetKey("left")}, {hw.AssetCheckKey(hw.AssetKey("left"), "left_ok")})
    only_check = materialize([pair], selection=AssetSelection.checks(
        hw.AssetCheckKey(hw.AssetKey("right"), "right_ok")))
    assert only_check.success and not only_check.get_asset_materialization_events()
    assert [e.check_name for e in only_check.get_asset_check_evaluations()] == ["right_ok"]


def test_an_observation_with_an_undeclared_check_result_is_an_error():
    @hw.observable_source_asset
    def source_table():
        return hw.ObserveResult(check_results=[AssetCheckResult(passed=True)])

    with pytest.raises(hw.HeadwaterInvariantViolationError, match="evaluates no asset checks"):
        materialize([source_table])


def test_a_check_returning_none_records_no_evaluation_and_context_annotations():
    @asset
    def base():
        return 1

    @asset_check(asset=base)
    def silent(context):
        assert isinstance(context, hw.AssetCheckExecutionContext)

    @asset_check(asset=base)
    def plain_context(context: hw.OpExecutionContext):
        assert not isinstance(context, hw.AssetExecutionContext)
        return AssetCheckResult(passed=True)

    result = materialize([base, silent, plain_context])
    assert [e.check_name for e in result.get_asset_check_evaluations()] == ["plain_context"]

    @asset_check(asset=base)
    def wrong(context: hw.AssetExecutionContext):
        return AssetCheckResult(passed=True)

    with pytest.raises(hw.HeadwaterInvalidDefinitionError,
                       match="Cannot annotate @asset_check `context` parameter"):
        materialize([base, wrong])
