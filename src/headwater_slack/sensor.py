"""`make_slack_on_run_failure_sensor`: a run failure sensor posting to a Slack channel.

Each failed run of a monitored job gets one message: by default a header naming the job and
the run, the error in a code block, and (with `webserver_base_url`) a button opening the run
in the web UI. The client is built at each tick, so a definitions file whose token variable is
unset still loads; the tick then fails with an error saying which token is missing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from headwater import DefaultSensorStatus, RunFailureSensorContext, run_failure_sensor
from headwater_slack.hooks import post
from headwater_slack.resource import build_client

_BLOCK_TEXT_LIMIT = 3000  # Slack refuses a section whose text is longer


def _default_text(context: RunFailureSensorContext) -> str:
    run = context.headwater_run
    lines = [f'Job "{run.job_name}" failed (run {run.run_id}).',
             f"Error: ```{context.failure_event.message}```"]
    for event in context.get_step_failure_events():
        lines.append(f"Step `{event.step_key}`: ```{_step_error(event)}```")
    return "\n".join(lines)


def _step_error(event: Any) -> str:
    """A step failure's error and the errors that caused it, one a line."""
    data = getattr(event, "event_specific_data", None)
    error = getattr(event, "error_info", None) or getattr(data, "error", None)
    messages: list[str] = []
    while error is not None and len(messages) < 5:
        messages.append(str(getattr(error, "message", error)).strip())
        error = getattr(error, "cause", None)
    return "\n".join(messages)


def _clip(text: str) -> str:
    return text if len(text) <= _BLOCK_TEXT_LIMIT else text[:_BLOCK_TEXT_LIMIT - 1] + "…"


def _blocks(context: RunFailureSensorContext, text: str,
            base_url: str | None) -> list[dict[str, Any]]:
    run = context.headwater_run
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn",
                                     "text": f'*Job "{run.job_name}" failed.* `{run.run_id}`'}},
        {"type": "section", "text": {"type": "mrkdwn", "text": _clip(text)}},
    ]
    if base_url:
        blocks.append({"type": "actions", "elements": [{
            "type": "button", "text": {"type": "plain_text", "text": "View in headwater"},
            "url": f"{base_url.rstrip('/')}/runs/{run.run_id}"}]})
    return blocks


def make_slack_on_run_failure_sensor(
        channel: str, slack_token: str,
        text_fn: Callable[[RunFailureSensorContext], str] = _default_text,
        blocks_fn: Callable[[RunFailureSensorContext], list[dict[str, Any]]] | None = None,
        name: str | None = None, dagit_base_url: str | None = None,
        minimum_interval_seconds: int | None = None,
        monitored_jobs: Sequence[Any] | None = None, job_selection: Sequence[Any] | None = None,
        monitor_all_code_locations: bool | None = None,
        default_status: DefaultSensorStatus = DefaultSensorStatus.STOPPED,
        webserver_base_url: str | None = None, monitor_all_repositories: bool | None = None,
        slack_base_url: str | None = None) -> Any:
    """A sensor posting to `channel` for each failed run of `monitored_jobs` (every job of the
    code location when not given; every location with `monitor_all_code_locations=True`).

    `text_fn(context)` is the message text (the notification's fallback when `blocks_fn` gives
    the blocks); `webserver_base_url` adds a link to the run; `slack_base_url` points the client
    at another Slack API host (headwater's addition, for GovSlack or a test server).
    """
    if not isinstance(channel, str) or not channel:
        raise ValueError("make_slack_on_run_failure_sensor: channel is a channel name or id "
                         f"such as '#alerts' or 'C0123456'; got {channel!r}.")
    if webserver_base_url and dagit_base_url and webserver_base_url != dagit_base_url:
        raise ValueError("make_slack_on_run_failure_sensor: give webserver_base_url only "
                         "(dagit_base_url is its old name), not both.")
    base_url = webserver_base_url or dagit_base_url

    @run_failure_sensor(name=name or "slack_on_run_failure",
                        minimum_interval_seconds=minimum_interval_seconds,
                        monitored_jobs=monitored_jobs, job_selection=job_selection,
                        monitor_all_code_locations=monitor_all_code_locations,
                        monitor_all_repositories=monitor_all_repositories,
                        default_status=default_status)
    def slack_on_run_failure(context: RunFailureSensorContext) -> None:
        text = text_fn(context)
        blocks = blocks_fn(context) if blocks_fn else _blocks(context, text, base_url)
        post(build_client(slack_token, slack_base_url), channel, text, blocks)

    return slack_on_run_failure
