"""headwater_slack against a real HTTP server on 127.0.0.1 answering Slack's Web API."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest
from slack_sdk.errors import SlackApiError

import headwater as hw
from headwater_slack import (
    SlackResource,
    make_slack_on_run_failure_sensor,
    slack_on_failure,
    slack_on_success,
    slack_resource,
)


class _Slack:
    """What the server received: (method, token, arguments) per call."""

    def __init__(self):
        self.calls: list[tuple[str, str, dict]] = []
        self.error: str | None = None


@pytest.fixture
def slack():
    state = _Slack()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's name
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
            if self.headers.get("Content-Type", "").startswith("application/json"):
                args = json.loads(body)
            else:
                args = {k: v[0] for k, v in parse_qs(body).items()}
            token = self.headers.get("Authorization", "").removeprefix("Bearer ")
            state.calls.append((self.path.rsplit("/", 1)[-1], token, args))
            answer = ({"ok": False, "error": state.error} if state.error
                      else {"ok": True, "channel": args.get("channel"), "ts": "1.0"})
            data = json.dumps(answer).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/api/"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@hw.op
def boom():
    raise ValueError("the warehouse is down")


@hw.job
def nightly():
    boom()


@hw.op
def fine():
    return 1


def _tick(sensor, instance, cursor=None):
    context = hw.build_sensor_context(instance=instance, cursor=cursor)
    sensor.evaluate_tick(context)
    return context.cursor


def test_a_failed_run_posts_once_with_its_run_id_and_job(slack):
    """The sensor posts one chat.postMessage per failed run, naming the job and the run."""
    sensor = make_slack_on_run_failure_sensor(
        "#alerts", "xoxb-test", monitored_jobs=[nightly],
        webserver_base_url="http://localhost:3000", slack_base_url=slack.url)
    instance = hw.HeadwaterInstance.ephemeral()
    cursor = _tick(sensor, instance)
    result = nightly.execute_in_process(instance=instance, raise_on_error=False)
    cursor = _tick(sensor, instance, cursor)
    _tick(sensor, instance, cursor)  # a second tick does not post again
    [(method, token, args)] = slack.calls
    assert (method, token, args["channel"]) == ("chat.postMessage", "xoxb-test", "#alerts")
    assert result.run_id in args["text"] and "nightly" in args["text"]
    assert "the warehouse is down" in args["text"]
    blocks = args["blocks"] if isinstance(args["blocks"], list) else json.loads(args["blocks"])
    assert blocks[-1]["elements"][0]["url"] == f"http://localhost:3000/runs/{result.run_id}"


def test_text_fn_and_blocks_fn_shape_the_message(slack):
    """text_fn gives the text and blocks_fn the blocks of the message."""
    sensor = make_slack_on_run_failure_sensor(
        "C012", "xoxb-test", text_fn=lambda c: f"down: {c.headwater_run.job_name}",
        blocks_fn=lambda c: [{"type": "section", "text": {"type": "mrkdwn", "text": "custom"}}],
        slack_base_url=slack.url)
    instance = hw.HeadwaterInstance.ephemeral()
    cursor = _tick(sensor, instance)
    nightly.execute_in_process(instance=instance, raise_on_error=False)
    _tick(sensor, instance, cursor)
    [(_, _, args)] = slack.calls
    assert args["text"] == "down: nightly"
    assert "custom" in json.dumps(args["blocks"])


def test_a_slack_error_fails_the_tick_with_slacks_message(slack):
    """Slack's error code (here an unknown channel) surfaces from the tick."""
    slack.error = "channel_not_found"
    sensor = make_slack_on_run_failure_sensor("#nope", "xoxb-test", slack_base_url=slack.url)
    instance = hw.HeadwaterInstance.ephemeral()
    cursor = _tick(sensor, instance)
    nightly.execute_in_process(instance=instance, raise_on_error=False)
    with pytest.raises(Exception, match="channel_not_found"):
        _tick(sensor, instance, cursor)


def test_a_missing_token_is_named_at_the_tick(slack):
    """An unset token (os.getenv gave None) loads, then fails the tick saying what to set."""
    sensor = make_slack_on_run_failure_sensor("#alerts", None, slack_base_url=slack.url)
    instance = hw.HeadwaterInstance.ephemeral()
    cursor = _tick(sensor, instance)
    nightly.execute_in_process(instance=instance, raise_on_error=False)
    with pytest.raises(Exception, match="Slack needs a token"):
        _tick(sensor, instance, cursor)
    assert slack.calls == []


def test_failure_and_success_hooks_post_through_the_resource(slack):
    """slack_on_failure posts when the op fails, slack_on_success when it succeeds."""

    @slack_on_failure("#ops", webserver_base_url="http://ui")
    @hw.job(resource_defs={"slack": SlackResource(token="xoxb-hook", base_url=slack.url)})
    def failing():
        boom()

    @hw.job(resource_defs={"slack": slack_resource.configured(
        {"token": "xoxb-fn", "base_url": slack.url})})
    def passing():
        fine.with_hooks({slack_on_success("#ops", message_fn=lambda c: f"ok {c.op.name}")})()

    failed = failing.execute_in_process(raise_on_error=False)
    passing.execute_in_process()
    [(_, token1, first), (_, token2, second)] = slack.calls
    assert token1 == "xoxb-hook" and "Op boom of job failing failed" in first["text"]
    assert failed.run_id in first["text"] and f"http://ui/runs/{failed.run_id}" in first["text"]
    assert (token2, second["text"], second["channel"]) == ("xoxb-fn", "ok fine", "#ops")


def test_the_resource_gives_a_web_client(slack):
    """SlackResource.get_client() is a WebClient that reaches the configured API."""
    client = SlackResource(token="xoxb-r", base_url=slack.url).get_client()
    client.chat_postMessage(channel="#x", text="hi")
    assert slack.calls[0][2]["text"] == "hi"
    slack.error = "invalid_auth"
    with pytest.raises(SlackApiError, match="invalid_auth"):
        client.chat_postMessage(channel="#x", text="hi")


def test_bad_channel_is_refused_at_definition():
    with pytest.raises(ValueError, match="channel is a channel name"):
        make_slack_on_run_failure_sensor("", "xoxb")
