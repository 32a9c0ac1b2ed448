"""What a user does with the package, for real: build the wheel from this checkout, install it
in a clean virtualenv outside the repository (dependencies from PyPI), and run it.

The base install runs the CLI and materializes assets, and `headwater dev` says which extra it
needs; with the `ui` extra, `headwater dev` serves the web UI that the wheel carries, checked
in Chromium. The sdist carries the built UI too, so installing it needs no npm, and a build
that has neither the built UI nor npm fails in one line. One virtualenv serves every check.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import time
import urllib.request
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

# pip installs from PyPI: each step may take minutes on a loaded machine.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

ROOT = Path(__file__).resolve().parents[2]
STATIC = ROOT / "src" / "headwater" / "server" / "static"
CHROMIUM = "/usr/bin/chromium"
PACKAGES = sorted(p.name for p in (ROOT / "src").iterdir()
                  if p.name.startswith("headwater") and (p / "__init__.py").is_file())
DEFS = """\
from headwater import Definitions, asset


@asset
def raw_orders():
    return [3, 4, 5]


@asset
def order_total(raw_orders):
    return sum(raw_orders)


defs = Definitions(assets=[raw_orders, order_total])
"""

if not (STATIC / "index.html").is_file():
    pytest.skip("the UI is not built (src/headwater/server/static/index.html is missing): run "
                "`make ui` (the wheel's build hook would run npm ci, too slow for a test)",
                allow_module_level=True)


def clean_env(**extra: str) -> dict[str, str]:
    """This environment without what points Python at the checkout or at another venv."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME", "HEADWATER_HOME",
                        "HEADWATER_DATABASE_URL")}
    return {**env, **extra}


def check(command: list[str | Path], **kwargs: object) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([str(c) for c in command], capture_output=True, text=True,
                          timeout=600, **kwargs)  # type: ignore[call-overload]
    assert done.returncode == 0, f"{command} failed:\n{done.stdout}\n{done.stderr}"
    return done


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel, built from this checkout the way a user or a release would."""
    out = tmp_path_factory.mktemp("dist")
    check([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", out, ROOT],
          env=clean_env())
    return out


@pytest.fixture(scope="module")
def wheel(dist: Path) -> Path:
    (found,) = dist.glob("headwater-*.whl")
    return found


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory, wheel: Path) -> Path:
    """A clean virtualenv outside the repository with the wheel installed, no extra."""
    path = tmp_path_factory.mktemp("venv") / "venv"
    check([sys.executable, "-m", "venv", path], env=clean_env())
    check([path / "bin" / "python", "-m", "pip", "install", "-q", "--disable-pip-version-check",
           wheel], env=clean_env())
    return path


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A user's folder, outside the repository, with a small definitions file."""
    path = tmp_path_factory.mktemp("project")
    (path / "defs.py").write_text(DEFS)
    return path


def headwater(venv: Path, project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(venv / "bin" / "headwater"), *args], cwd=project,
                          capture_output=True, text=True, timeout=300,
                          env=clean_env(HEADWATER_HOME=str(project / ".headwater")))


def test_the_wheel_carries_the_ui_and_the_type_markers(wheel: Path) -> None:
    """The wheel holds the built UI (index.html and every file it loads) and a py.typed in
    every package."""
    names = set(zipfile.ZipFile(wheel).namelist())
    index = "headwater/server/static/index.html"
    assert index in names
    html = zipfile.ZipFile(wheel).read(index).decode()
    loaded = re.findall(r'(?:src|href)="/(assets/[^"]+)"', html)
    assert loaded, html
    assert [f for f in loaded if f"headwater/server/static/{f}" not in names] == []
    assert [p for p in PACKAGES if f"{p}/py.typed" not in names] == []


def test_the_base_install_runs_assets_and_names_the_ui_extra(venv: Path, project: Path) -> None:
    """Without extras: `headwater --help` and `asset materialize` work, and `headwater dev`
    is one line naming the `ui` extra."""
    python = venv / "bin" / "python"
    where = check([python, "-c", "import headwater; print(headwater.__file__)"], cwd=project,
                  env=clean_env()).stdout
    assert where.startswith(str(venv)), where
    assert check([python, "-c", "import importlib.util as u; print(u.find_spec('fastapi'))"],
                 env=clean_env()).stdout.strip() == "None"

    assert "materialize" in check([venv / "bin" / "headwater", "--help"], cwd=project,
                                  env=clean_env()).stdout
    done = headwater(venv, project, "asset", "materialize", "-f", "defs.py", "--select", "*")
    assert done.returncode == 0, done.stdout + done.stderr
    listed = headwater(venv, project, "asset", "list", "-f", "defs.py")
    assert "order_total" in listed.stdout, listed.stdout + listed.stderr

    done = headwater(venv, project, "dev", "-f", "defs.py", "-p", str(free_port()))
    assert done.returncode == 1
    assert done.stderr == ("Error: headwater dev needs the 'ui' extra: "
                           "pip install 'headwater[ui]'\n")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def dev_server(venv: Path, wheel: Path, project: Path) -> Iterator[str]:
    """`headwater dev` of the installed wheel with the `ui` extra, on a free port."""
    check([venv / "bin" / "python", "-m", "pip", "install", "-q", "--disable-pip-version-check",
           f"{wheel}[ui]"], env=clean_env())
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = (project / "dev.log").open("w")
    process = subprocess.Popen(
        [str(venv / "bin" / "headwater"), "dev", "-f", "defs.py", "-p", str(port)], cwd=project,
        env=clean_env(HEADWATER_HOME=str(project / ".headwater")), stdout=log,
        stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 90
        while not answers(url):
            assert process.poll() is None, (project / "dev.log").read_text()
            assert time.monotonic() < deadline, (project / "dev.log").read_text()
            time.sleep(0.2)
        yield url
    finally:
        process.send_signal(signal.SIGTERM)  # headwater dev stops its daemon, then itself
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} is missing")
def test_headwater_dev_of_the_installed_wheel_shows_the_asset_graph(dev_server: str) -> None:
    """With the `ui` extra, `headwater dev` serves the UI from the wheel: Chromium shows the
    asset graph with the definitions' assets."""
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                    args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page()
            page.goto(f"{dev_server}/assets")
            expect = playwright_api.expect
            expect(page.locator('[data-asset="raw_orders"]')).to_be_visible(timeout=30_000)
            expect(page.locator('[data-asset="order_total"]')).to_be_visible()
        finally:
            browser.close()


def test_the_sdist_carries_the_ui_and_installs_without_npm(
        tmp_path: Path, venv: Path, project: Path) -> None:
    """The sdist built from this checkout holds the built UI, so installing it works where
    there is no npm."""
    check([venv / "bin" / "python", "-m", "pip", "install", "-q", "--disable-pip-version-check",
           "hatchling"], env=clean_env())
    check([venv / "bin" / "hatchling", "build", "-t", "sdist", "-d", tmp_path], cwd=ROOT,
          env=clean_env())
    (sdist,) = tmp_path.glob("headwater-*.tar.gz")
    with tarfile.open(sdist) as tar:
        names = tar.getnames()
    assert any(n.endswith("/src/headwater/server/static/index.html") for n in names)

    no_npm = {**clean_env(), "PATH": str(venv / "bin")}
    check([venv / "bin" / "python", "-m", "pip", "install", "-q", "--disable-pip-version-check",
           "--no-deps", "--force-reinstall", sdist], env=no_npm)
    index = check([venv / "bin" / "python", "-c",
                   "import headwater.server.app as a, os; "
                   "print(os.path.isfile(os.path.join(a.STATIC_DIR, 'index.html')))"],
                  cwd=project, env=clean_env()).stdout
    assert index.strip() == "True"


def test_a_build_without_the_ui_and_without_npm_fails_in_one_line(tmp_path: Path) -> None:
    """No built UI and no npm: the wheel build stops with the message saying what to install,
    and no wheel is made."""
    source = tmp_path / "headwater"
    skip = shutil.ignore_patterns("static", "node_modules", "__pycache__", "*.pyc")
    source.mkdir()
    for name in ("pyproject.toml", "hatch_build.py", "README.md"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(ROOT / "src", source / "src", ignore=skip)
    shutil.copytree(ROOT / "ui", source / "ui", ignore=skip)
    out = tmp_path / "dist"
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", str(out), str(source)],
        capture_output=True, text=True, timeout=600,
        env={**clean_env(), "PATH": str(Path(sys.executable).parent)})
    assert done.returncode != 0
    assert ("headwater: the web UI is not built and npm is not installed: install Node.js 20 "
            "(with npm) or run `make ui` on a machine that has it, then build again."
            in done.stdout + done.stderr), done.stdout + done.stderr
    assert not list(out.glob("*.whl"))

