"""Automation: what starts runs without a person pressing a button.

Schedules (`schedule.py`) and sensors (`sensor.py`, `multi_asset_sensor.py`,
`run_status_sensor.py`) are definitions that, given a tick context (`tick_context.py`), return
run requests (`run_request.py`). Evaluating a tick is a plain function call on the definition;
the daemon decides *when* to call it and records what came back.

Declarative automation: `condition.py` holds `AutomationCondition` (the composable tree:
operators, operands such as missing / in progress / newly updated / cron ticks, the
conditions over an asset's dependencies, the composites eager / on_cron / on_missing) and the
older `AutoMaterializePolicy` mapped onto conditions; `condition_tree.py` the read-only base
of every condition (identity, text, the evaluate protocol); `subset.py` the sets of partitions a
condition is true for; `evaluate.py` one evaluation tick (`evaluate_automation_conditions`)
and its cursor. Evaluation narrows: an `&` evaluates its next child only on what is still
true, so `in_latest_time_window()` first keeps a daily asset of two years at one partition.
The instance is read through `instance.get_automation_state(...)` (storage builds that view).

May import: `headwater.errors` and the sibling subpackages `assets`, `ops`, `config`,
`partitions`, `metadata`; resources for a tick are built through `definitions._runtime`.
"""
