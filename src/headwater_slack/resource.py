"""`SlackResource` and `slack_resource`: an authenticated `slack_sdk.WebClient`."""

from __future__ import annotations

from typing import Any

from pydantic import Field
from slack_sdk import WebClient

from headwater import ConfigurableResource, resource

SLACK_API_URL = "https://slack.com/api/"


def build_client(token: str, base_url: str | None = None) -> WebClient:
    """A WebClient for `token`; `base_url` points it at another Slack API host
    (GovSlack's https://slack-gov.com/api/, or a test server)."""
    if not isinstance(token, str) or not token:
        raise ValueError(
            "Slack needs a token (a bot token 'xoxb-...' or a user token 'xoxp-...'); got "
            f"{token!r}. Read it from the environment: SlackResource(token=EnvVar('SLACK_TOKEN')).")
    return WebClient(token=token, base_url=base_url or SLACK_API_URL)


class SlackResource(ConfigurableResource):
    """Posts to Slack: `get_client()` is a `slack_sdk.WebClient` signed with `token`.

    ```python
    @asset
    def report(slack: SlackResource) -> None:
        slack.get_client().chat_postMessage(channel="#data", text="report is ready")
    ```
    """

    token: str = Field(description="A Slack bot or user token with the scopes your calls need "
                                   "(chat:write to post messages).")
    base_url: str = Field(default=SLACK_API_URL,
                          description="The Slack Web API address; change it only for GovSlack or "
                                      "a test server.")

    def get_client(self) -> WebClient:
        return build_client(self.token, self.base_url)


@resource(config_schema=SlackResource.to_config_schema(),
          description="A slack_sdk.WebClient signed with the configured token.")
def slack_resource(context: Any) -> WebClient:
    """The function-style Slack resource: ops get the `WebClient` itself as
    `context.resources.slack` (config `token`, optional `base_url`)."""
    return SlackResource.from_resource_context(context).get_client()
