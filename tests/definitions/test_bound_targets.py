"""Jobs that schedules and sensors target run with the resources of their Definitions."""

import headwater as hw


class Greeter(hw.ConfigurableResource):
    prefix: str


def _defs(jobs_listed):
    said = []

    @hw.op
    def greet(greeter: Greeter):
        said.append(greeter.prefix + "hi")

    @hw.job
    def greeting():
        greet()

    @hw.sensor(job=greeting)
    def on_event():
        return None

    schedule = hw.ScheduleDefinition(name="hourly", cron_schedule="0 * * * *", job=greeting)
    defs = hw.Definitions(jobs=hw.BindResourcesToJobs([greeting]) if jobs_listed else [],
                          schedules=[schedule], sensors=[on_event],
                          resources={"greeter": Greeter(prefix="> ")})
    return defs, said


def test_a_sensors_job_runs_with_the_definitions_resources():
    """resolve_sensor_def(...).job is bound to Definitions(resources=...)."""
    for listed in (True, False):
        defs, said = _defs(listed)
        assert defs.resolve_sensor_def("on_event").job.execute_in_process().success
        assert said == ["> hi"]


def test_a_schedules_job_runs_with_the_definitions_resources():
    """resolve_schedule_def(...).job is bound to Definitions(resources=...)."""
    defs, said = _defs(False)
    assert defs.resolve_schedule_def("hourly").job.execute_in_process().success
    assert said == ["> hi"]
