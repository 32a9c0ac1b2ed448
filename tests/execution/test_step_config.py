"""Run config is validated once per run into each step's part; the schema once per job."""

from __future__ import annotations

import headwater as hw
from headwater.definitions.config.run_config import run_config_schema_type, validate_run_config
from headwater.execution.plan import build_plan


def test_plan_steps_carry_their_part_of_the_validated_run_config():
    """Each step, nested graphs included, gets its op config and IO config from one validation."""

    @hw.op(config_schema={"n": int, "label": hw.Field(str, default_value="x")})
    def inner(context):
        return context.op_config["n"]

    @hw.graph
    def wrapper():
        return inner()

    @hw.job
    def nested():
        wrapper()

    config = {"ops": {"wrapper": {"ops": {"inner": {"config": {"n": 2}}}}}}
    plan = build_plan(nested, None, validate_run_config(nested, config))
    step = plan.by_key["wrapper.inner"]
    assert step.config.config == {"n": 2, "label": "x"}
    assert dict(step.config.inputs) == {} and dict(step.config.outputs) == {}
    assert nested.execute_in_process(run_config=config).output_for_node("wrapper.inner") == 2


def test_config_schema_is_built_once_per_job():
    """Repeated execute_in_process() runs of one job share one job and one config schema."""

    @hw.op(config_schema={"n": int})
    def take(context):
        return context.op_config["n"]

    @hw.job
    def taking():
        take()

    first = taking.execute_in_process(run_config={"ops": {"take": {"config": {"n": 1}}}})
    second = taking.execute_in_process(run_config={"ops": {"take": {"config": {"n": 2}}}})
    assert first.job_def is second.job_def
    assert run_config_schema_type(first.job_def) is run_config_schema_type(second.job_def)
    assert [first.output_for_node("take"), second.output_for_node("take")] == [1, 2]
