"""Each automation condition of the vocabulary, evaluated tick by tick against a real
(ephemeral) instance: materializations, runs in progress and failed runs are recorded for
real, and time is the evaluation_time given to each tick."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

import headwater as hw
from headwater import AssetKey, evaluate_automation_conditions
from headwater import AutomationCondition as AC

T0 = dt.datetime(2024, 3, 10, 9, 30, tzinfo=dt.timezone.utc)


class Scenario:
    """Definitions, an instance, and the cursor carried from one tick to the next."""

    def __init__(self, *assets, checks=()):
        self.defs = hw.Definitions(assets=list(assets), asset_checks=list(checks))
        self.instance = hw.HeadwaterInstance.ephemeral()
        self.cursor = None
        self.now = T0
        self.last = None

    def tick(self, minutes: float = 1):
        self.now = self.now + dt.timedelta(minutes=minutes)
        self.last = evaluate_automation_conditions(self.defs, self.instance, cursor=self.cursor,
                                                   evaluation_time=self.now)
        self.cursor = self.last.cursor
        return self.last

    def requested(self, minutes: float = 1) -> set[str]:
        result = self.tick(minutes)
        return {f"{k.to_user_string()}" + (f"[{p}]" if p else "")
                for k, p in result.requested_asset_partitions} | \
            {k.to_user_string() for k in result.requested_checks}

    def materialize(self, *keys: str, partition: str | None = None):
        for key in keys:
            self.instance.report_runless_asset_event(
                hw.AssetMaterialization(asset_key=key, partition=partition))

    def run(self, status: str, *keys: str, partition: str | None = None):
        tags = {"headwater/partition": partition} if partition else {}
        self.instance.add_run(hw.HeadwaterRun(
            job_name="__ASSET_JOB", run_id=str(uuid.uuid4()),
            asset_selection=frozenset(AssetKey(k) for k in keys),
            status=hw.HeadwaterRunStatus[status], tags=tags))


def asset_with(condition, name="target", deps=(), **kwargs):
    @hw.asset(name=name, deps=list(deps), automation_condition=condition, **kwargs)
    def _fn():
        return 1
    return _fn


def plain(name, **kwargs):
    @hw.asset(name=name, **kwargs)
    def _fn():
        return 1
    return _fn


# --- operands ---------------------------------------------------------------------------

def test_missing_and_initial_evaluation():
    s = Scenario(asset_with(AC.missing(), "a"), asset_with(AC.initial_evaluation(), "b"))
    assert s.requested() == {"a", "b"}
    assert s.requested() == {"a"}  # b: only the first evaluation
    s.materialize("a")
    assert s.requested() == set()


def test_newly_updated_is_one_tick_after_a_materialization():
    s = Scenario(asset_with(AC.newly_updated(), "a"))
    assert s.requested() == set()
    s.materialize("a")
    assert s.requested() == {"a"}
    assert s.requested() == set()


def test_newly_requested_follows_a_request():
    condition = AC.initial_evaluation() | AC.newly_requested()
    s = Scenario(asset_with(condition, "a"))
    assert s.requested() == {"a"}       # initial evaluation
    assert s.requested() == {"a"}       # requested on the previous tick
    assert s.requested() == {"a"}       # ... and so on while it keeps requesting


def test_in_progress_and_execution_failed_read_runs():
    s = Scenario(asset_with(AC.in_progress(), "a"), asset_with(AC.execution_failed(), "b"))
    assert s.requested() == set()
    s.run("STARTED", "a")
    s.run("FAILURE", "b")
    assert s.requested() == {"a", "b"}
    s.run("SUCCESS", "b")  # a later run of b succeeded
    assert "b" not in s.requested()


def test_cron_tick_passed_only_when_a_tick_fell_between_evaluations():
    s = Scenario(asset_with(AC.cron_tick_passed("0 * * * *"), "a"))
    assert s.requested(minutes=1) == set()     # 09:31, the first evaluation: no previous time
    assert s.requested(minutes=10) == set()    # 09:41
    assert s.requested(minutes=10) == set()    # 09:51
    assert s.requested(minutes=10) == {"a"}    # 10:01: 10:00 passed since 09:51
    assert s.requested(minutes=10) == set()


def test_in_latest_time_window_keeps_the_last_partition():
    daily = hw.DailyPartitionsDefinition("2024-01-01")
    s = Scenario(asset_with(AC.in_latest_time_window(), "a", partitions_def=daily),
                 asset_with(AC.in_latest_time_window(dt.timedelta(days=3)), "b",
                            partitions_def=daily),
                 asset_with(AC.in_latest_time_window(), "c"))
    assert s.requested() == {"a[2024-03-09]", "b[2024-03-07]", "b[2024-03-08]",
                             "b[2024-03-09]", "c"}


def test_code_version_changed_compares_with_the_previous_evaluation():
    s = Scenario(asset_with(AC.code_version_changed(), "a", code_version="1"))
    assert s.requested() == set()
    s.defs = hw.Definitions(assets=[asset_with(AC.code_version_changed(), "a", code_version="2")])
    # a new code version is a new definition; the condition itself is unchanged
    assert s.requested() == {"a"}
    assert s.requested() == set()


def test_will_be_requested_sees_parents_requested_in_the_same_tick():
    up = asset_with(AC.initial_evaluation(), "up")
    down = asset_with(AC.any_deps_match(AC.will_be_requested()), "down", deps=["up"])
    s = Scenario(up, down)
    assert s.requested() == {"up", "down"}
    assert s.requested() == set()


# --- operators ----------------------------------------------------------------------------

def test_and_or_not():
    s = Scenario(asset_with(AC.missing() & ~AC.in_progress(), "a"),
                 asset_with(AC.in_progress() | AC.execution_failed(), "b"))
    assert s.requested() == {"a"}
    s.run("STARTED", "a", "b")
    assert s.requested() == {"b"}


def test_newly_true_and_since():
    # newly_true: missing became true now (the first evaluation counts as a change)
    s = Scenario(asset_with(AC.missing().newly_true(), "a"),
                 asset_with(AC.newly_updated().since(AC.execution_failed()), "b"))
    assert s.requested() == {"a"}
    assert s.requested() == set()
    s.materialize("b")
    assert s.requested() == {"b"}
    assert s.requested() == {"b"}      # stays true ...
    s.run("FAILURE", "b")
    assert s.requested() == set()      # ... until the reset


def test_since_last_handled_resets_on_request():
    s = Scenario(asset_with(AC.newly_updated().since_last_handled(), "a"))
    s.tick()
    s.materialize("a")
    assert s.requested() == set()  # updated resets it too (it was handled by that update)
    cond = AC.cron_tick_passed("0 * * * *").since_last_handled()
    s = Scenario(asset_with(cond, "a"))
    s.tick(minutes=1)
    assert s.requested(minutes=40) == {"a"}   # 10:11 passed 10:00
    assert s.requested() == set()             # requested: handled


def test_labels_replace_and_without():
    eager = AC.eager()
    assert eager.get_label() == "eager"
    assert AC.missing().with_label("gone").name == "gone"
    replaced = eager.replace("handled", AC.missing())
    assert AC.missing() in replaced.operands
    shorter = eager.without(~AC.in_progress())
    assert len(shorter.operands) == len(eager.operands) - 1
    with pytest.raises(hw.HeadwaterInvalidDefinitionError, match="not an operand"):
        eager.without(AC.missing())
    with pytest.raises(hw.HeadwaterInvalidDefinitionError, match="combine AutomationCondition"):
        AC.missing() & "missing"


# --- dependencies ---------------------------------------------------------------------------

def test_any_deps_updated_and_missing_and_in_progress():
    ups = [plain("u1"), plain("u2")]
    s = Scenario(*ups,
                 asset_with(AC.any_deps_updated(), "updated", deps=["u1", "u2"]),
                 asset_with(AC.any_deps_missing(), "missing_dep", deps=["u1", "u2"]),
                 asset_with(AC.any_deps_in_progress(), "busy", deps=["u1", "u2"]))
    assert s.requested() == {"missing_dep"}
    s.materialize("u1")
    assert s.requested() == {"updated", "missing_dep"}
    s.materialize("u2")
    s.run("STARTED", "u2")
    assert s.requested() == {"updated", "busy"}


def test_all_deps_match_and_allow_ignore():
    ups = [plain("u1"), plain("u2")]
    every = AC.all_deps_match(AC.missing())
    s = Scenario(*ups,
                 asset_with(every, "all_missing", deps=["u1", "u2"]),
                 asset_with(every.ignore(hw.AssetSelection.assets("u2")), "u1_missing",
                            deps=["u1", "u2"]),
                 asset_with(AC.any_deps_match(AC.missing()).allow(hw.AssetSelection.assets("u2")),
                            "u2_missing", deps=["u1", "u2"]))
    assert s.requested() == {"all_missing", "u1_missing", "u2_missing"}
    s.materialize("u2")
    assert s.requested() == {"u1_missing"}


def test_all_deps_updated_since_cron():
    ups = [plain("u1"), plain("u2")]
    s = Scenario(*ups, asset_with(AC.all_deps_updated_since_cron("0 * * * *"), "a",
                                  deps=["u1", "u2"]))
    s.tick()
    s.tick(minutes=40)  # 10:11: the 10:00 tick passed
    s.materialize("u1")
    assert s.requested() == set()
    s.materialize("u2")
    assert s.requested() == {"a"}


def test_partitioned_dependencies_map_through_partitions():
    daily = hw.DailyPartitionsDefinition("2024-03-01")
    up = plain("up", partitions_def=daily)
    down = asset_with(AC.any_deps_updated(), "down", deps=["up"], partitions_def=daily)
    s = Scenario(up, down)
    s.tick()
    s.materialize("up", partition="2024-03-05")
    assert s.requested() == {"down[2024-03-05]"}


# --- composites ---------------------------------------------------------------------------

def test_eager():
    s = Scenario(plain("up"), asset_with(AC.eager(), "down", deps=["up"]))
    assert s.requested() == set()          # up is missing; and the first evaluation resets
    s.materialize("up")
    assert s.requested() == {"down"}
    assert s.requested() == set()          # requested: handled
    s.run("STARTED", "down")
    s.materialize("up")
    assert s.requested() == set()          # in progress: no second request
    s.instance.wipe()
    s.materialize("up")
    assert s.requested() == {"down"}


def test_on_cron_waits_for_the_tick_and_every_parent():
    s = Scenario(plain("u1"), plain("u2"),
                 asset_with(AC.on_cron("0 * * * *"), "hourly", deps=["u1", "u2"]))
    s.tick()
    assert s.requested(minutes=40) == set()   # 10:11: tick passed, parents not updated since
    s.materialize("u1")
    assert s.requested() == set()
    s.materialize("u2")
    assert s.requested() == {"hourly"}
    s.materialize("u1", "u2")
    assert s.requested() == set()             # once per tick


def test_on_missing_fires_for_partitions_that_become_missing():
    daily = hw.DailyPartitionsDefinition("2024-03-01")
    s = Scenario(asset_with(AC.on_missing(), "a", partitions_def=daily))
    assert s.requested() == set()             # missing before the condition was in place
    # the next day's partition appears (and is missing) after the condition is in place
    assert s.requested(minutes=24 * 60) == {"a[2024-03-10]"}
    assert s.requested() == set()


def test_auto_materialize_policy_maps_onto_a_condition():
    policy = hw.AutoMaterializePolicy.eager()
    s = Scenario(plain("up"), asset_with(None, "down", deps=["up"],
                                          auto_materialize_policy=policy))
    s.tick()
    s.materialize("up")
    assert s.requested() == {"down"}
    with pytest.raises(hw.HeadwaterInvalidDefinitionError, match="not enforced"):
        hw.AutoMaterializePolicy.eager(max_materializations_per_minute=5)


# --- checks ----------------------------------------------------------------------------------

def test_a_check_with_a_condition_runs_after_its_asset_updates():
    @hw.asset_check(asset="data", automation_condition=AC.any_deps_updated())
    def data_ok():
        return hw.AssetCheckResult(passed=True)

    s = Scenario(plain("data"), checks=[data_ok])
    s.tick()
    s.materialize("data")
    result = s.tick()
    assert result.requested_checks == {hw.AssetCheckKey(AssetKey("data"), "data_ok")}
    (request,) = result.run_requests
    assert request.asset_check_keys == [hw.AssetCheckKey(AssetKey("data"), "data_ok")]
    assert not request.asset_selection


# --- results and cursor ------------------------------------------------------------------------

def test_result_tree_and_run_requests():
    daily = hw.DailyPartitionsDefinition("2024-03-01")
    s = Scenario(plain("up"), asset_with(AC.eager(), "down", deps=["up"]),
                 asset_with(AC.missing() & AC.in_latest_time_window(), "p", partitions_def=daily))
    s.tick()
    s.materialize("up")
    result = s.tick()
    assert result.total_requested == 2
    assert result.get_requested_partitions("p") == {"2024-03-09"}  # the latest complete day
    tree = result.result_for("down").to_json()
    assert tree["label"] == "eager" and tree["true_count"] == 1
    deps = [n for n in tree["children"] if n["label"] == "~any_deps_missing" or
            n["description"] == "not"]
    assert deps
    by_partition = {r.partition_key: sorted(k.to_user_string() for k in r.asset_selection)
                    for r in result.run_requests}
    assert by_partition == {None: ["down"], "2024-03-09": ["p"]}
    again = hw.evaluate_automation_conditions(s.defs, s.instance,
                                              cursor=result.cursor.to_json(),
                                              evaluation_time=s.now + dt.timedelta(minutes=1))
    assert again.total_requested == 1  # p is still missing; down was handled
    with pytest.raises(hw.HeadwaterInvalidInvocationError, match="not an automation cursor"):
        hw.evaluate_automation_conditions(s.defs, s.instance, cursor="nonsense")


def test_check_conditions_and_blocking_checks_of_dependencies():
    @hw.asset_check(asset="up", blocking=True)
    def up_ok():
        return hw.AssetCheckResult(passed=True)

    gate = AC.all_deps_blocking_checks_passed()
    s = Scenario(plain("up"), asset_with(gate, "down", deps=["up"]),
                 asset_with(AC.any_checks_match(AC.check_failed()), "up2"), checks=[up_ok])
    assert s.requested() == set()     # up's blocking check never ran
    s.instance.report_runless_asset_event(hw.AssetCheckEvaluation(
        asset_key="up", check_name="up_ok", passed=True))
    assert s.requested() == {"down"}
    s.instance.report_runless_asset_event(hw.AssetCheckEvaluation(
        asset_key="up", check_name="up_ok", passed=False))
    assert s.requested() == set()


def test_only_changed_evaluations_are_worth_keeping():
    s = Scenario(plain("up"), asset_with(AC.eager(), "down", deps=["up"]))
    first = s.tick()
    assert [r.key for r in first.changed_results] == ["down"]     # nothing to compare with
    assert [r.key for r in s.tick().changed_results] == ["down"]  # no longer the first
    assert s.tick().changed_results == []                        # same as before
    s.materialize("up")
    assert [r.key for r in s.tick().changed_results] == ["down"]  # requested


@pytest.mark.parametrize("rule", ["skip_on_backfill_in_progress", "skip_on_run_in_progress"])
def test_in_progress_rules_refuse_all_partitions(rule):
    """AutoMaterializeRule.skip_on_*_in_progress(all_partitions=True) is refused with the fix;
    the default skips the partitions in progress."""
    build = getattr(hw.AutoMaterializeRule, rule)
    assert build().to_automation_condition().to_text() == \
        hw.AutomationCondition.in_progress().to_text()
    with pytest.raises(hw.HeadwaterInvalidDefinitionError,
                       match=rf"AutoMaterializeRule\.{rule}\(all_partitions=True\) is not "
                             r"supported: leave it False"):
        build(all_partitions=True)
