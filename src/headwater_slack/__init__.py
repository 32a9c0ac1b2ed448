"""headwater_slack: Slack notifications, under the names Dagster's `dagster_slack` has.

- `SlackResource`, `slack_resource` (resource.py): a `slack_sdk.WebClient` for posting from
  assets, ops and hooks.
- `make_slack_on_run_failure_sensor` (sensor.py): a run failure sensor posting one message per
  failed run of the monitored jobs.
- `slack_on_failure`, `slack_on_success` (hooks.py): op hooks posting after a step fails or
  succeeds, through the `slack` resource.

Needs `slack_sdk` (`pip install 'headwater[slack]'`). Imports slack_sdk and headwater's public
names; `import headwater` never imports this package.
"""

from headwater._extras import needs_extra

with needs_extra("slack", "headwater_slack"):
    from headwater_slack.hooks import slack_on_failure, slack_on_success
    from headwater_slack.resource import SlackResource, slack_resource
    from headwater_slack.sensor import make_slack_on_run_failure_sensor

__all__ = ["SlackResource", "make_slack_on_run_failure_sensor", "slack_on_failure",
           "slack_on_success", "slack_resource"]
