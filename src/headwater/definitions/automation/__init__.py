"""Automation: what starts runs without a person pressing a button.

Schedules (`schedule.py`) and sensors (`sensor.py`, `multi_asset_sensor.py`,
`run_status_sensor.py`) are definitions that, given a tick context (`tick_context.py`), return
run requests (`run_request.py`). Evaluating a tick is a plain function call on the definition;
the daemon decides *when* to call it and records what came back. Declarative automation
conditions will live here too.

May import: `headwater.errors` and the sibling subpackages `assets`, `ops`, `config`,
`partitions`, `metadata`; resources for a tick are built through `definitions._runtime`.
"""
