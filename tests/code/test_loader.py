"""Finding code locations: -f, -m, -d, pyproject.toml, and the CLI on top of them."""

from __future__ import annotations

import json
import textwrap

import pytest
from click.testing import CliRunner

from headwater.cli.main import main
from headwater.code.loader import CodeLoadError, load_definitions
from headwater.code.location import (
    CodeLocation,
    CodeLocationOrigin,
    load_locations_from_pyproject,
    origins_from_options,
    origins_from_pyproject,
)


def _defs_source(*names: str) -> str:
    body = "".join(f"@asset\ndef {n}():\n    return 1\n\n" for n in names)
    return (f"from headwater import Definitions, asset\n\n{body}"
            f"defs = Definitions(assets=[{', '.join(names)}])\n")


def _project(tmp_path, pyproject: str, files: dict[str, str]):
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "pyproject.toml").write_text(textwrap.dedent(pyproject))
    for rel, text in files.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path


def test_relative_file_is_found_in_working_directory(tmp_path, monkeypatch):
    """-d dir -f rel.py loads dir/rel.py even when the current directory is elsewhere."""
    (tmp_path / "wd_rel_defs.py").write_text(_defs_source("x1"))
    monkeypatch.chdir("/")
    defs = load_definitions("wd_rel_defs.py", working_directory=str(tmp_path))
    assert [k.to_user_string() for k in defs.resolve_asset_graph().all_keys] == ["x1"]


def test_module_is_imported_from_working_directory(tmp_path):
    """-m pkg.mod -d dir imports the package from dir."""
    (tmp_path / "wdpkg_a").mkdir()
    (tmp_path / "wdpkg_a" / "__init__.py").write_text("")
    (tmp_path / "wdpkg_a" / "defs.py").write_text(_defs_source("m1"))
    defs = load_definitions(module_name="wdpkg_a.defs", working_directory=str(tmp_path))
    assert {k.to_user_string() for k in defs.resolve_asset_graph().all_keys} == {"m1"}


def test_broken_file_error_carries_file_line_and_traceback(tmp_path):
    """An exception at import becomes CodeLoadError with file, line, traceback, as JSON data."""
    path = tmp_path / "broken_loader_defs.py"
    path.write_text("x = 1\n\nraise ValueError('bad warehouse url')\n")
    with pytest.raises(CodeLoadError) as info:
        load_definitions(str(path))
    data = info.value.to_dict()
    assert data["kind"] == "load_error"
    assert data["file"] == str(path) and data["line"] == 3
    assert "ValueError: bad warehouse url" in data["message"]
    assert "Traceback" in data["traceback"]


def test_pyproject_single_location(tmp_path):
    """[tool.headwater] module_name/working_directory/attribute make one origin."""
    root = _project(tmp_path, """
        [tool.headwater]
        module_name = "pp_single.defs"
        working_directory = "src"
        attribute = "defs"
        code_location_name = "sales"
    """, {"src/pp_single/__init__.py": "", "src/pp_single/defs.py": _defs_source("s1")})
    [origin] = origins_from_pyproject(str(root / "pyproject.toml"))
    assert origin == CodeLocationOrigin(None, "pp_single.defs", str(root / "src"), "defs", "sales")
    [location] = load_locations_from_pyproject(str(root / "pyproject.toml"))
    assert location.name == "sales" and location.status == "unloaded"
    assert location.load().status == "loaded"
    assert location.definitions is not None


def test_pyproject_several_locations(tmp_path):
    """code_locations = [...] declares several; python_file is relative to the project root."""
    root = _project(tmp_path, """
        [tool.headwater]
        code_locations = [
            {python_file = "pp_one.py"},
            {module_name = "pp_two", location_name = "second"},
        ]
    """, {"pp_one.py": _defs_source("o1"), "pp_two.py": _defs_source("t1")})
    origins = origins_from_pyproject(str(root / "pyproject.toml"))
    assert [o.name for o in origins] == ["pp_one", "second"]
    assert origins[0].python_file == str(root / "pp_one.py")
    assert all(o.working_directory == str(root) for o in origins)
    loaded = [CodeLocation(o).load() for o in origins]
    assert [loc.status for loc in loaded] == ["loaded", "loaded"]


@pytest.mark.parametrize("body, fragment", [
    ('[tool.headwater]\ncode_locations = [{module = "x"}]\n', "unknown key(s) module"),
    ('[tool.headwater]\ncode_locations = [{attribute = "defs"}]\n', "set module_name"),
    ('[tool.headwater]\ncode_locations = "x"\n', "must be a list"),
    ('[tool.headwater]\ncode_locations = [{module_name = "a"}, {module_name = "a"}]\n',
     "distinct location_name"),
    ('[tool.headwater\n', "Cannot read"),
])
def test_pyproject_mistakes_are_explained(tmp_path, body, fragment):
    """A wrong [tool.headwater] table names the key and the fix."""
    (tmp_path / "pyproject.toml").write_text(body)
    with pytest.raises(CodeLoadError) as info:
        origins_from_pyproject(str(tmp_path / "pyproject.toml"))
    assert fragment in str(info.value)


def test_options_fall_back_to_pyproject_and_default_file(tmp_path, monkeypatch):
    """Without -f/-m: [tool.headwater] above the cwd, or -d's pyproject, or -d/definitions.py."""
    root = _project(tmp_path / "p", '[tool.headwater]\nmodule_name = "fb_mod"\n',
                    {"fb_mod.py": _defs_source("f1"), "sub/x.txt": ""})
    monkeypatch.chdir(root / "sub")
    assert [o.module_name for o in origins_from_options()] == ["fb_mod"]
    assert [o.module_name for o in origins_from_options(working_directory=str(root))] == ["fb_mod"]
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "definitions.py").write_text(_defs_source("d1"))
    [origin] = origins_from_options(working_directory=str(plain))
    assert origin.python_file == "definitions.py" and origin.working_directory == str(plain)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(CodeLoadError, match="pass -f defs.py or -m pkg.defs"):
        origins_from_options(working_directory=str(empty))


def test_invalid_definitions_give_error_status_with_every_problem(tmp_path):
    """A location whose Definitions fail validation is 'error', listing each problem."""
    path = tmp_path / "invalid_loc_defs.py"
    path.write_text("from headwater import Definitions, asset\n\n@asset\ndef a(nope_one):\n"
                    "    return 1\n\n@asset\ndef b(nope_two):\n    return 1\n\n"
                    "defs = Definitions(assets=[a, b])\n")
    location = CodeLocation(CodeLocationOrigin(python_file=str(path))).load()
    assert location.status == "error" and location.definitions is None
    assert location.error is not None and location.error["kind"] == "definition_error"
    assert len(location.error["problems"]) == 2


def test_cli_uses_pyproject_and_location_option(tmp_path, monkeypatch):
    """CLI commands read [tool.headwater]; with several locations, --location picks one."""
    root = _project(tmp_path, """
        [tool.headwater]
        code_locations = [{python_file = "cli_one.py"}, {python_file = "cli_two.py"}]
    """, {"cli_one.py": _defs_source("c1"), "cli_two.py": _defs_source("c2", "c3")})
    monkeypatch.chdir(root)
    runner = CliRunner()
    ambiguous = runner.invoke(main, ["asset", "list"])
    assert ambiguous.exit_code == 1 and "--location NAME" in ambiguous.output
    listed = runner.invoke(main, ["asset", "list", "--location", "cli_two", "--json"])
    assert [r["key"] for r in json.loads(listed.output)] == ["c2", "c3"]
    validated = runner.invoke(main, ["definitions", "validate", "-d", str(root)])
    assert validated.exit_code == 0, validated.output
    assert "cli_one: Definitions are valid: 1 assets" in validated.output
    unknown = runner.invoke(main, ["asset", "list", "-l", "nope"])
    assert unknown.exit_code == 1 and "locations: cli_one, cli_two" in unknown.output


def test_cli_validate_reports_the_broken_location_among_several(tmp_path, monkeypatch):
    """definitions validate over several locations exits 1 naming the broken one."""
    root = _project(tmp_path, """
        [tool.headwater]
        code_locations = [{python_file = "ok_loc.py"}, {python_file = "bad_loc.py"}]
    """, {"ok_loc.py": _defs_source("k1"), "bad_loc.py": "raise RuntimeError('boom')\n"})
    result = CliRunner().invoke(main, ["definitions", "validate", "-d", str(root)])
    assert result.exit_code == 1
    assert "ok_loc: Definitions are valid" in result.output
    assert "bad_loc: Error:" in result.output and "bad_loc.py:1" in result.output


def test_cli_snapshot_prints_json(tmp_path):
    """definitions snapshot prints the snapshot of the location as JSON."""
    path = tmp_path / "cli_snap_defs.py"
    path.write_text(_defs_source("p1", "p2"))
    result = CliRunner().invoke(main, ["definitions", "snapshot", "-f", str(path)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["location_name"] == "cli_snap_defs"
    assert [a["key_string"] for a in data["assets"]] == ["p1", "p2"]


def test_a_repository_decorated_function_is_a_code_location(tmp_path):
    """A file whose only entry point is a Dagster-style @repository list still loads."""
    path = tmp_path / "repo_defs.py"
    path.write_text(
        "from headwater import asset, repository\n\n"
        "@asset\ndef a():\n    return 1\n\n"
        "@repository\ndef my_repo():\n    return [a]\n"
    )
    defs = load_definitions(python_file=str(path))
    assert [k.to_user_string() for k in defs.resolve_asset_graph().all_keys] == ["a"]


_DG_DEFINITIONS = (
    "from pathlib import Path\n\nfrom headwater import definitions, load_from_defs_folder\n\n\n"
    "@definitions\ndef defs():\n"
    "    return load_from_defs_folder(project_root=Path(__file__).parent.parent.parent)\n"
)


def test_dg_project_table_names_a_components_location(tmp_path):
    """[tool.dg.project] makes one origin: <root_module>.definitions imported from src/, named
    by code_location_name; its @definitions function loads the defs folder."""
    root = _project(tmp_path / "p", """
        [project]
        name = "dg-loader-proj"
        [tool.dg]
        directory_type = "project"
        [tool.dg.project]
        root_module = "dg_loader_proj"
        code_location_name = "analytics"
    """, {
        "src/dg_loader_proj/__init__.py": "",
        "src/dg_loader_proj/definitions.py": _DG_DEFINITIONS,
        "src/dg_loader_proj/defs/__init__.py": "",
        "src/dg_loader_proj/defs/things.py": "from headwater import asset\n\n@asset\n"
                                             "def thing():\n    return 1\n",
    })
    [origin] = origins_from_pyproject(str(root / "pyproject.toml"))
    assert origin.module_name == "dg_loader_proj.definitions"
    assert origin.working_directory == str(root / "src")
    assert origin.name == "analytics"
    defs = origin.load()
    assert {k.to_user_string() for k in defs.resolve_asset_graph().all_keys} == {"thing"}


def test_dg_project_name_defaults_and_headwater_name_wins(tmp_path):
    """Without code_location_name the project name names the location; [tool.headwater]
    location_name overrides both; code_location_target_module moves the module."""
    root = _project(tmp_path / "q", """
        [project]
        name = "dg-named"
        [tool.dg.project]
        root_module = "dg_named"
        code_location_target_module = "dg_named.entry"
    """, {})
    [origin] = origins_from_pyproject(str(root / "pyproject.toml"))
    assert (origin.name, origin.module_name, origin.working_directory) == (
        "dg-named", "dg_named.entry", str(root))
    with open(root / "pyproject.toml", "a") as f:
        f.write('[tool.headwater]\nlocation_name = "mine"\n')
    [origin] = origins_from_pyproject(str(root / "pyproject.toml"))
    assert origin.name == "mine"


@pytest.mark.parametrize("table, words", [
    ("", "set root_module"),
    ('root_module = "x"\nautoload_defs = true\n', "autoload_defs is not supported"),
])
def test_dg_project_table_errors(tmp_path, table, words):
    root = _project(tmp_path / "r", f"[tool.dg.project]\n{table}", {})
    with pytest.raises(CodeLoadError, match=words):
        origins_from_pyproject(str(root / "pyproject.toml"))
