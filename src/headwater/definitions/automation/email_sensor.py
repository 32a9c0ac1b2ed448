"""`make_email_on_run_failure_sensor`: a run failure sensor that sends an email per failed run.

The mail goes through SMTP with the standard library: `smtp_type="SSL"` (implicit TLS, port
465 by default), `"STARTTLS"` (port 587) or `"PLAIN"` (no encryption, port 25: a relay on a
trusted network). It logs in as `smtp_user` (default `email_from`) when a password is given.
The subject and the HTML body come from `email_subject_fn(context)` and
`email_body_fn(context)`, given the `RunFailureSensorContext`. Imports this room's
`run_status_sensor` and `sensor`.
"""

from __future__ import annotations

import html
import smtplib
import ssl
from collections.abc import Callable, Sequence
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from typing import Any

from headwater.definitions.automation.run_status_sensor import run_failure_sensor
from headwater.definitions.automation.sensor import DefaultSensorStatus

_PORTS = {"SSL": 465, "STARTTLS": 587, "PLAIN": 25}


def _default_subject(context: Any) -> str:
    return f'Headwater run {context.headwater_run.run_id} of job "{context.headwater_run.job_name}" failed'


def _default_body(context: Any) -> str:
    run = context.headwater_run
    lines = [f"<p>Job <b>{html.escape(run.job_name)}</b> failed (run "
             f"<code>{html.escape(run.run_id)}</code>).</p>"]
    message = getattr(context.failure_event, "message", None)
    if message:
        lines.append(f"<p>{html.escape(str(message))}</p>")
    for event in context.get_step_failure_events():
        lines.append(f"<p>Step <code>{html.escape(str(event.step_key))}</code>:</p>"
                     f"<pre>{html.escape(_error_text(event))}</pre>")
    return "\n".join(lines)


def _error_text(event: Any) -> str:
    """The error of a step failure and its causes, one message a line."""
    error = getattr(event, "error_info", None) or getattr(
        getattr(event, "event_specific_data", None), "error", None)
    messages: list[str] = []
    while error is not None and len(messages) < 10:
        messages.append(str(getattr(error, "message", error)).strip())
        error = getattr(error, "cause", None)
    return "\n".join(messages)


def send_email(*, email_from: str, email_password: str | None, email_to: Sequence[str],
               subject: str, body: str, smtp_host: str, smtp_type: str,
               smtp_port: int | None, smtp_user: str | None) -> None:
    """Send one HTML mail."""
    message = MIMEMultipart("alternative")
    message["From"], message["To"], message["Subject"] = email_from, ", ".join(email_to), subject
    message.attach(MIMEText(body, "html"))
    port = smtp_port or _PORTS[smtp_type]
    if smtp_type == "SSL":
        server: smtplib.SMTP = smtplib.SMTP_SSL(smtp_host, port,
                                                context=ssl.create_default_context())
    else:
        server = smtplib.SMTP(smtp_host, port)
    with server:
        if smtp_type == "STARTTLS":
            server.starttls(context=ssl.create_default_context())
        if email_password:
            server.login(smtp_user or email_from, email_password)
        server.sendmail(email_from, list(email_to), message.as_string())


def make_email_on_run_failure_sensor(
        email_from: str, email_password: str | None, email_to: Sequence[str],
        email_body_fn: Callable[[Any], str] = _default_body,
        email_subject_fn: Callable[[Any], str] = _default_subject,
        smtp_host: str = "smtp.gmail.com", smtp_type: str = "SSL",
        smtp_port: int | None = None, name: str | None = None,
        webserver_base_url: str | None = None, monitored_jobs: Sequence[Any] | None = None,
        job_selection: Sequence[Any] | None = None,
        monitor_all_code_locations: bool = False,
        default_status: DefaultSensorStatus = DefaultSensorStatus.STOPPED,
        monitor_all_repositories: bool = False, smtp_user: str | None = None) -> Any:
    """Build a run-failure sensor that emails `email_to` about each failed run.

    The mail goes through SMTP (SSL on port 465 by default, STARTTLS or plain); its subject
    and HTML body come from `email_subject_fn` / `email_body_fn` of the failure context. With
    `webserver_base_url`, the default body links the run in the UI. An unknown `smtp_type`
    raises ValueError.

    Args:
        email_from: the sender's address, also the SMTP login unless `smtp_user` is given.
        email_password: the SMTP password; None for a server without login.
        email_to: the recipients.
        email_body_fn: builds the HTML body from the RunFailureSensorContext.
        email_subject_fn: builds the subject from the RunFailureSensorContext.
        smtp_host: the SMTP server ("smtp.gmail.com").
        smtp_type: "SSL", "STARTTLS" or "PLAIN".
        smtp_port: the port; defaults by `smtp_type`.
        name: the sensor's name.
        webserver_base_url: the UI's address, for links to the failed run.
        monitored_jobs: jobs or selectors to watch; when empty, the jobs of the sensor's
            own code location.
        job_selection: older spelling of `monitored_jobs`.
        monitor_all_code_locations: True watches every run of the instance, whatever
            its code location; refused together with `monitored_jobs`.
        default_status: whether it runs from its first deployment (STOPPED by default).
        monitor_all_repositories: older spelling of `monitor_all_code_locations`.
        smtp_user: the SMTP login, when it is not `email_from`.

    Example:
        ```python
        from headwater import make_email_on_run_failure_sensor

        on_failure = make_email_on_run_failure_sensor(
            email_from="alerts@example.com", email_password=None, email_to=["data@example.com"],
            smtp_host="localhost", smtp_type="PLAIN", smtp_port=2525,
            webserver_base_url="http://localhost:3000")
        assert on_failure.sensor_type == "RUN_STATUS"
        ```
    """
    if smtp_type not in _PORTS:
        raise ValueError(f"make_email_on_run_failure_sensor: smtp_type is one of "
                         f"{', '.join(_PORTS)}, got {smtp_type!r}.")
    if isinstance(email_to, str) or not email_to:
        raise ValueError("make_email_on_run_failure_sensor: email_to is a list of addresses, "
                         f"got {email_to!r}.")

    def body(context: Any) -> str:
        text = email_body_fn(context)
        if webserver_base_url and email_body_fn is _default_body:
            link = f"{webserver_base_url.rstrip('/')}/runs/{context.headwater_run.run_id}"
            text += f'\n<p><a href="{html.escape(link)}">View the run</a></p>'
        return text

    @run_failure_sensor(name=name or "email_on_run_failure", monitored_jobs=monitored_jobs,
                        job_selection=job_selection,
                        monitor_all_code_locations=monitor_all_code_locations or None,
                        monitor_all_repositories=monitor_all_repositories or None,
                        default_status=default_status)
    def email_on_run_failure(context: Any) -> None:
        send_email(email_from=email_from, email_password=email_password, email_to=email_to,
                   subject=email_subject_fn(context), body=body(context), smtp_host=smtp_host,
                   smtp_type=smtp_type, smtp_port=smtp_port, smtp_user=smtp_user)

    return email_on_run_failure
