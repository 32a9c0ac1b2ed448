"""`slack_on_failure` / `slack_on_success`: hooks posting to a channel after an op's step.

Both post through the `slack` resource, which may be `slack_resource` (a WebClient) or a
`SlackResource`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from headwater import HookContext, failure_hook, success_hook
from headwater_slack.resource import SlackResource


def _status_text(context: HookContext, status: str) -> str:
    op_name = getattr(context.op, "name", context.step_key)
    return f"Op {op_name} of job {context.job_name} {status}.\nRun ID: {context.run_id}"


def _failed(context: HookContext) -> str:
    return _status_text(context, "failed")


def _succeeded(context: HookContext) -> str:
    return _status_text(context, "succeeded")


def post(client: Any, channel: str, text: str, blocks: list[dict[str, Any]] | None = None) -> None:
    """Post one message; a Slack error (bad token, unknown channel) raises slack_sdk's
    SlackApiError, whose message carries Slack's error code."""
    if isinstance(client, SlackResource):
        client = client.get_client()
    if blocks is None:
        client.chat_postMessage(channel=channel, text=text)
    else:
        client.chat_postMessage(channel=channel, text=text, blocks=blocks)


def _link(text: str, base_url: str | None, run_id: str | None) -> str:
    if not base_url:
        return text
    return f"{text}\n<{base_url.rstrip('/')}/runs/{run_id}|View this run in headwater>"


def _base_url(webserver_base_url: str | None, dagit_base_url: str | None) -> str | None:
    if webserver_base_url and dagit_base_url and webserver_base_url != dagit_base_url:
        raise ValueError("Give webserver_base_url only (dagit_base_url is its old name); got both "
                         f"{webserver_base_url!r} and {dagit_base_url!r}.")
    return webserver_base_url or dagit_base_url


def _posting_hook(decorator: Callable[..., Any], name: str, channel: str,
                  message_fn: Callable[[HookContext], str], base_url: str | None) -> Any:
    @decorator(name=name, required_resource_keys={"slack"})
    def _hook(context: HookContext) -> None:
        post(context.resources.slack, channel,
             _link(message_fn(context), base_url, context.run_id))

    return _hook


def slack_on_failure(channel: str, message_fn: Callable[[HookContext], str] = _failed,
                     dagit_base_url: str | None = None,
                     webserver_base_url: str | None = None) -> Any:
    """A failure hook posting `message_fn(context)` to `channel` when the op's step fails;
    with `webserver_base_url`, the message links the run in the web UI."""
    return _posting_hook(failure_hook, "slack_on_failure", channel, message_fn,
                         _base_url(webserver_base_url, dagit_base_url))


def slack_on_success(channel: str, message_fn: Callable[[HookContext], str] = _succeeded,
                     dagit_base_url: str | None = None,
                     webserver_base_url: str | None = None) -> Any:
    """A success hook posting `message_fn(context)` to `channel` when the op's step succeeds;
    with `webserver_base_url`, the message links the run in the web UI."""
    return _posting_hook(success_hook, "slack_on_success", channel, message_fn,
                         _base_url(webserver_base_url, dagit_base_url))
