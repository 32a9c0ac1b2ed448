"""`headwater dev` marks the processes it starts as a development session."""

from __future__ import annotations

import os
from typing import Any

from click.testing import CliRunner

from headwater.cli import webserver


def test_dev_sets_headwater_is_dev_cli_for_what_it_starts(tmp_path, monkeypatch) -> None:
    """HEADWATER_IS_DEV_CLI=1 is in the environment the code servers inherit."""
    (tmp_path / "defs.py").write_text("from headwater import Definitions\ndefs = Definitions()\n")
    monkeypatch.delenv(webserver.DEV_CLI_ENV, raising=False)
    monkeypatch.setenv("HEADWATER_HOME", str(tmp_path / "home"))
    seen: dict[str, Any] = {}

    def fake_serve(*args: Any, **kwargs: Any) -> None:
        seen["flag"] = os.environ.get(webserver.DEV_CLI_ENV)

    monkeypatch.setattr(webserver, "_serve", lambda command: fake_serve)
    monkeypatch.chdir(tmp_path)
    try:
        result = CliRunner().invoke(webserver.dev, ["-f", "defs.py", "--no-daemon", "-p", "0"])
    finally:
        os.environ.pop(webserver.DEV_CLI_ENV, None)
    assert result.exit_code == 0, result.output
    assert seen["flag"] == "1"

