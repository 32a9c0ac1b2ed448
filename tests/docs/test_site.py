"""The docs site builds: `mkdocs build --strict` with no warning (what `make docs` runs).

Strict mode turns every warning into a failure: a broken link or anchor, a page missing from
the nav, a `::: name` the API reference cannot resolve, a CLI or OpenAPI page that cannot be
generated. The build goes to a temporary directory and reads this checkout's src/ (the
mkdocstrings handler and the OpenAPI hook both put it first).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_site_builds_strict_without_warnings(tmp_path: Path) -> None:
    """The whole site builds in strict mode, prints no warning, and has its generated pages."""
    pytest.importorskip("mkdocs", reason="mkdocs is not installed: pip install 'headwater[docs]'")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1",
           "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")])}
    site = tmp_path / "site"
    build = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--config-file",
         str(ROOT / "mkdocs.yml"), "--site-dir", str(site)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=880)
    output = build.stdout + build.stderr
    problems = [line for line in output.splitlines() if line.startswith(("WARNING", "ERROR"))]
    assert build.returncode == 0 and not problems, "\n".join(problems) or output[-3000:]

    from headwater.server.app import create_app

    routes = create_app(None, [], start=False, launcher=None).openapi()["paths"]
    openapi = (site / "reference" / "webserver-openapi.html").read_text()
    missing = [path for path in routes if path not in openapi]
    assert routes and not missing, f"routes missing from the OpenAPI page: {missing}"
    cli = (site / "reference" / "cli.html").read_text()
    assert "headwater asset materialize" in cli and "headwater dev" in cli
    assert 'id="headwater.asset"' in (site / "reference" / "api" / "assets.html").read_text()
