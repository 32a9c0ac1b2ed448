"""A `.env` file in the working directory supplies environment variables, as in Dagster."""

from __future__ import annotations

import os

import pytest

import headwater as hw
from headwater.definitions.config.dotenv import apply_dotenv, parse_dotenv


def test_parse_dotenv_reads_the_common_forms():
    """export prefixes, comments, quotes and escapes are read as shells and Dagster read them."""
    text = (
        "# a comment\n\n"
        "PLAIN=value\n"
        "export EXPORTED=yes\n"
        "SPACED = padded  # trailing comment\n"
        "SINGLE='lit # \\n eral'\n"
        'DOUBLE="two\\nlines \\"quoted\\""\n'
        "EMPTY=\n"
        "not a variable line\n"
    )
    assert parse_dotenv(text) == {
        "PLAIN": "value", "EXPORTED": "yes", "SPACED": "padded", "SINGLE": "lit # \\n eral",
        "DOUBLE": 'two\nlines "quoted"', "EMPTY": "",
    }


class _Settings(hw.ConfigurableResource):
    url: str
    real: str


def test_env_var_reads_dotenv_and_the_environment_wins(tmp_path, monkeypatch):
    """EnvVar, {"env": NAME} run config and get_value() see .env values; a variable set in the
    environment overrides the file."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("HW_DOTENV_URL=from-file\nHW_DOTENV_N=7\nHW_DOTENV_REAL=file\n")
    monkeypatch.setenv("HW_DOTENV_REAL", "environment")
    monkeypatch.delenv("HW_DOTENV_URL", raising=False)
    monkeypatch.delenv("HW_DOTENV_N", raising=False)

    @hw.asset
    def show(settings: _Settings):
        return (settings.url, settings.real)

    @hw.op(config_schema={"n": hw.IntSource})
    def count(context):
        return context.op_config["n"]

    @hw.job
    def counting():
        count()

    resource = _Settings(url=hw.EnvVar("HW_DOTENV_URL"), real=hw.EnvVar("HW_DOTENV_REAL"))
    result = hw.materialize([show], resources={"settings": resource})
    assert result.output_for_node("show") == ("from-file", "environment")
    assert hw.EnvVar("HW_DOTENV_URL").get_value() == "from-file"
    assert hw.EnvVar.int("HW_DOTENV_N").get_value() == 7
    config = {"ops": {"count": {"config": {"n": {"env": "HW_DOTENV_N"}}}}}
    assert counting.execute_in_process(run_config=config).output_for_node("count") == 7
    assert "HW_DOTENV_URL" not in os.environ  # reading never writes the environment


def test_missing_variable_names_dotenv_as_a_fix(tmp_path, monkeypatch):
    """A variable in neither the environment nor .env is refused, naming both places."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("HW_DOTENV_ABSENT", raising=False)

    class Needs(hw.Config):
        token: str

    with pytest.raises(hw.HeadwaterInvalidConfigError, match="HW_DOTENV_ABSENT.*\\.env file"):
        Needs._from_run_config({"token": {"env": "HW_DOTENV_ABSENT"}}, "ops.x.config")


def test_loading_code_applies_dotenv_without_overriding(tmp_path, monkeypatch):
    """Loading a code location puts the .env values the environment lacks into os.environ, so
    user code's os.getenv sees them; real variables stay."""
    from headwater.code.loader import load_definitions

    (tmp_path / ".env").write_text("HW_DOTENV_CODE=from-file\nHW_DOTENV_KEEP=file\n")
    (tmp_path / "defs_dotenv.py").write_text(
        "import os\nimport headwater as hw\n\n"
        "@hw.asset\ndef seen():\n    return 1\n\n"
        "SEEN_AT_IMPORT = os.getenv('HW_DOTENV_CODE')\n"
        "defs = hw.Definitions(assets=[seen])\n"
    )
    monkeypatch.delenv("HW_DOTENV_CODE", raising=False)
    monkeypatch.setenv("HW_DOTENV_KEEP", "environment")
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        load_definitions(python_file=str(tmp_path / "defs_dotenv.py"),
                         working_directory=str(tmp_path))
        import defs_dotenv  # type: ignore[import-not-found]

        assert defs_dotenv.SEEN_AT_IMPORT == "from-file"
        assert os.environ["HW_DOTENV_KEEP"] == "environment"
    finally:
        os.environ.pop("HW_DOTENV_CODE", None)
    assert apply_dotenv(str(tmp_path)) == ["HW_DOTENV_CODE"]
    os.environ.pop("HW_DOTENV_CODE", None)
