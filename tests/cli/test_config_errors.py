"""A config file that cannot be read is one message naming the file, the line and column, and
what is wrong, with no traceback: -c run config files and the instance's headwater.yaml."""

from __future__ import annotations

import textwrap

import pytest
from click.testing import CliRunner, Result

from headwater.cli.main import main

DEFS = textwrap.dedent("""
    from headwater import Config, Definitions, asset, define_asset_job

    class Size(Config):
        n: int = 1

    @asset
    def sized(config: Size) -> int:
        return config.n

    defs = Definitions(assets=[sized], jobs=[define_asset_job("sized_job", "*")])
""")
UNCLOSED = "ops:\n  sized:\n    config: {n: 1\n  other: 2\n"  # the flow mapping never closes


def _error_line(result: Result) -> str:
    """The one `Error: ...` line of a failed command that printed no traceback."""
    assert result.exit_code != 0, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    errors = [line for line in result.output.splitlines() if line.startswith("Error")]
    assert len(errors) == 1, result.output
    return errors[0]


@pytest.fixture
def project(tmp_path, monkeypatch):
    (tmp_path / "defs.py").write_text(DEFS)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HEADWATER_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("HEADWATER_DATABASE_URL", raising=False)
    return tmp_path


@pytest.mark.parametrize("command", [["job", "execute", "-f", "defs.py", "-j", "sized_job"],
                                     ["asset", "materialize", "-f", "defs.py", "--select", "*"]])
def test_invalid_yaml_in_a_config_file_names_the_file_line_and_column(project, command):
    """-c with broken YAML: a usage error naming the file, where the parser stopped, and why."""
    (project / "run.yaml").write_text(UNCLOSED)
    line = _error_line(CliRunner().invoke(main, [*command, "-c", "run.yaml"]))
    assert "'-c' / '--config'" in line
    assert ("run.yaml is not valid YAML: line 4, column 8: expected ',' or '}', but got ':' "
            "(while parsing a flow mapping begun at line 3, column 13).") in line


def test_a_tab_in_a_config_file_says_to_use_spaces(project):
    """A tab where YAML wants spaces: the line, the column, and the fix."""
    (project / "run.yaml").write_text("ops:\n\tsized: {config: {n: 1}}\n")
    line = _error_line(CliRunner().invoke(
        main, ["job", "execute", "-f", "defs.py", "-j", "sized_job", "-c", "run.yaml"]))
    assert "run.yaml is not valid YAML: line 2, column 1: found character '\\t'" in line
    assert "use spaces instead of the tab" in line


@pytest.mark.parametrize(("text", "expected"), [
    ("- 1\n- 2\n", "run.yaml holds a YAML list; run config is a mapping"),
    ("just words\n", "run.yaml holds a YAML str; run config is a mapping"),
])
def test_a_config_file_that_is_not_a_mapping_says_what_it_holds(project, text, expected):
    """-c with a YAML list or scalar: what the file holds and what run config looks like."""
    (project / "run.yaml").write_text(text)
    line = _error_line(CliRunner().invoke(
        main, ["job", "execute", "-f", "defs.py", "-j", "sized_job", "-c", "run.yaml"]))
    assert expected in line and "ops:" in line


def test_a_missing_config_file_is_named(project):
    """-c naming no file: the file and the reason."""
    line = _error_line(CliRunner().invoke(
        main, ["job", "execute", "-f", "defs.py", "-j", "sized_job", "-c", "nope.yaml"]))
    assert "cannot read nope.yaml: No such file or directory" in line


def test_invalid_config_json_names_line_and_column(project):
    """--config-json that does not parse: where, why, and an example of a good value."""
    line = _error_line(CliRunner().invoke(
        main, ["job", "execute", "-f", "defs.py", "-j", "sized_job", "--config-json", '{"ops":']))
    assert "'--config-json'" in line and "line 1 column 8" in line and '{"ops":' in line


@pytest.mark.parametrize("command", [["run", "list"], ["instance", "info"],
                                     ["job", "execute", "-f", "defs.py", "-j", "sized_job"]])
def test_invalid_headwater_yaml_names_the_file_line_and_column(project, command):
    """A malformed headwater.yaml in the home: one line with the file, line, column and why."""
    home = project / "home"
    home.mkdir()
    (home / "headwater.yaml").write_text("retention:\n  schedule: {purge_after_days: 7\nx: 1\n")
    line = _error_line(CliRunner().invoke(main, command))
    assert line.startswith(f"Error: {home / 'headwater.yaml'} is not valid YAML: line 3, "
                           "column 2: expected ',' or '}', but got ':' (while parsing a flow "
                           "mapping begun at line 2, column 13)"), line
    assert "move the file aside" in line


@pytest.mark.parametrize(("write", "expected"), [
    (lambda path: path.write_bytes(b"storage:\n  url: \xff\xfe\n"), "is not UTF-8 text"),
    (lambda path: path.mkdir(), "cannot read"),
    (lambda path: path.write_text("- storage\n"), "must be a mapping of sections"),
])
def test_an_unreadable_headwater_yaml_is_one_line(project, write, expected):
    """headwater.yaml that is not UTF-8, not a file, or not a mapping: one line naming it."""
    home = project / "home"
    home.mkdir()
    write(home / "headwater.yaml")
    line = _error_line(CliRunner().invoke(main, ["run", "list"]))
    assert str(home / "headwater.yaml") in line and expected in line
