"""make_email_on_run_failure_sensor against a real SMTP server (aiosmtpd) on 127.0.0.1."""

from __future__ import annotations

import socket

import pytest

import headwater as hw

aiosmtpd = pytest.importorskip("aiosmtpd.controller")


class _Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        self.messages.append(envelope)
        return "250 OK"


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def inbox():
    handler = _Inbox()
    controller = aiosmtpd.Controller(handler, hostname="127.0.0.1", port=_port())
    controller.start()
    try:
        yield handler, controller.port
    finally:
        controller.stop()


def test_a_failed_run_sends_an_email(inbox):
    handler, port = inbox

    @hw.op
    def boom():
        raise ValueError("the warehouse is down")

    @hw.job
    def nightly():
        boom()

    sensor = hw.make_email_on_run_failure_sensor(
        email_from="alerts@example.com", email_password=None, email_to=["team@example.com"],
        smtp_host="127.0.0.1", smtp_type="PLAIN", smtp_port=port,
        webserver_base_url="http://localhost:3000", monitored_jobs=[nightly])
    instance = hw.HeadwaterInstance.ephemeral()
    first = hw.build_sensor_context(instance=instance)
    sensor.evaluate_tick(first)
    result = nightly.execute_in_process(instance=instance, raise_on_error=False)
    sensor.evaluate_tick(hw.build_sensor_context(instance=instance, cursor=first.cursor))
    [mail] = handler.messages
    assert mail.rcpt_tos == ["team@example.com"]
    text = mail.content.decode()
    assert f"Headwater run {result.run_id}" in text and "nightly" in text
    assert "the warehouse is down" in text
    assert f"http://localhost:3000/runs/{result.run_id}" in text


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="smtp_type is one of SSL, STARTTLS, PLAIN"):
        hw.make_email_on_run_failure_sensor("a@b", "pw", ["c@d"], smtp_type="TLS")
    with pytest.raises(ValueError, match="email_to is a list"):
        hw.make_email_on_run_failure_sensor("a@b", "pw", "c@d")
