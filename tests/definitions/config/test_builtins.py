"""The small built-ins a migrating test suite reaches for: values resources, console loggers,
the custom-path IO manager, file_relative_path and the result and type-check names."""

from __future__ import annotations

import json
import logging
import os

import pytest

import headwater as hw


@hw.op(required_resource_keys={"values"})
def _show_values(context):
    return context.resources.values


def test_values_resource_hands_over_its_config():
    """make_values_resource(field=type) checks run config against the fields and gives the
    op the dict; without fields it takes any config."""

    @hw.job(resource_defs={"values": hw.make_values_resource(dir=str, n=hw.Field(int, default_value=3))})
    def typed():
        _show_values()

    @hw.job(resource_defs={"values": hw.make_values_resource()})
    def loose():
        _show_values()

    config = {"resources": {"values": {"config": {"dir": "/data"}}}}
    assert typed.execute_in_process(run_config=config).output_for_node("_show_values") == \
        {"dir": "/data", "n": 3}
    with pytest.raises(hw.HeadwaterInvalidConfigError, match="resources.values.config.dir"):
        typed.execute_in_process(run_config={"resources": {"values": {"config": {"dir": 1}}}})
    anything = {"resources": {"values": {"config": {"any": [1, 2]}}}}
    assert loose.execute_in_process(run_config=anything).output_for_node("_show_values") == \
        {"any": [1, 2]}
    with pytest.raises(TypeError, match="field 'dir' = '/tmp', which is not a config type"):
        hw.make_values_resource(dir="/tmp")


def test_console_loggers_write_at_their_level(capsys):
    """colored_console_logger and json_console_logger write what reaches their level to
    stderr; default_loggers() names the colored one 'console'."""
    colored = hw.colored_console_logger(hw.build_init_logger_context({"log_level": "WARNING",
                                                                      "name": "mine"}))
    colored.info("quiet")
    colored.warning("loud")
    err = capsys.readouterr().err
    assert "quiet" not in err and "mine - WARNING - loud" in err
    as_json = hw.json_console_logger(hw.build_init_logger_context())
    as_json.info("hello")
    line = json.loads(capsys.readouterr().err)
    assert (line["name"], line["level"], line["message"]) == ("headwater", "INFO", "hello")
    assert hw.default_loggers() == {"console": hw.colored_console_logger}
    with pytest.raises(hw.HeadwaterInvalidConfigError, match="log_level 'LOUD'"):
        hw.json_console_logger(hw.build_init_logger_context({"log_level": "LOUD"}))


def test_job_console_logger_receives_run_logs(capsys):
    """A job with a console logger writes its ops' log messages through it."""

    @hw.op
    def talk(context):
        context.log.warning("from the op")

    @hw.job(logger_defs={"console": hw.json_console_logger})
    def chatty():
        talk()

    chatty.execute_in_process()
    messages = [json.loads(line)["message"] for line in capsys.readouterr().err.splitlines()
                if line.startswith("{")]
    assert any("from the op" in m for m in messages)


def test_custom_path_io_manager_stores_at_the_output_path(tmp_path):
    """Each output is pickled to base_dir/<its path metadata> and its reader loads it there;
    an output without a path is refused with the fix."""

    @hw.op(out=hw.Out(metadata={"path": "stage/numbers.pkl"}))
    def numbers():
        return [1, 2, 3]

    @hw.op(out=hw.Out(metadata={"path": "stage/total.pkl"}))
    def total(values):
        return sum(values)

    @hw.op
    def unplaced():
        return 1

    io = hw.custom_path_fs_io_manager.configured({"base_dir": str(tmp_path)})

    @hw.job(resource_defs={"io_manager": io})
    def pipeline():
        total(numbers())

    assert pipeline.execute_in_process().output_for_node("total") == 6
    with open(tmp_path / "stage" / "total.pkl", "rb") as handle:
        import pickle

        assert pickle.load(handle) == 6

    @hw.job(resource_defs={"io_manager": io})
    def broken():
        unplaced()

    with pytest.raises(hw.HeadwaterInvalidDefinitionError, match="no 'path' metadata"):
        broken.execute_in_process()


def test_file_relative_path_and_public_names():
    """file_relative_path resolves against the module's directory; JobExecutionResult is
    what execute_job returns and TypeCheckContext is public."""
    here = hw.file_relative_path(__file__, "data/x.csv")
    assert here == os.path.join(os.path.dirname(__file__), "data/x.csv")
    assert issubclass(hw.ExecuteJobResult, hw.JobExecutionResult)
    context = hw.TypeCheckContext(log=logging.getLogger("t"), resources=None)
    assert context.log.name == "t"
