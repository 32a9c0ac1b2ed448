"""PipesCompositeMessageReader: several real processes writing to one session, each on its
own channel, with problems named by writer and line."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from headwater import (
    AssetExecutionContext,
    AssetSpec,
    HeadwaterInvariantViolationError,
    PipesCompositeMessageReader,
    PipesSubprocessClient,
    PipesTempFileContextInjector,
    PipesTempFileMessageReader,
    materialize,
    multi_asset,
    open_pipes_session,
)

WRITER = textwrap.dedent("""
    import sys
    from headwater_pipes import open_headwater_pipes

    key = sys.argv[1]
    with open_headwater_pipes() as pipes:
        pipes.log.info(f"writer for {key}")
        if key == sys.argv[2]:  # the writer told to send garbage
            print("not a message", file=open(pipes._stream.name, "a"), flush=True)
        pipes.report_asset_materialization(asset_key=key, metadata={"writer": key})
""")


def _three_writers(tmp_path, garbage_from: str = "none"):
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    seen = {}

    @multi_asset(specs=[AssetSpec("w0"), AssetSpec("w1"), AssetSpec("w2")])
    def writers(context: AssetExecutionContext):
        reader = PipesCompositeMessageReader([PipesTempFileMessageReader() for _ in range(3)])
        with open_pipes_session(context, PipesTempFileContextInjector(), reader) as session:
            envs = session.get_per_writer_bootstrap_env_vars()
            seen["distinct channels"] = len({e["HEADWATER_PIPES_MESSAGES"] for e in envs})
            seen["shared context"] = len({e["HEADWATER_PIPES_CONTEXT"] for e in envs})
            processes = [subprocess.Popen([sys.executable, str(script), f"w{n}", garbage_from],
                                          env={**os.environ, **env})
                         for n, env in enumerate(envs)]  # all three at once
            assert [p.wait() for p in processes] == [0, 0, 0]
        seen["closed"] = session.message_handler.closed
        session.check("the writers")
        yield from session.get_results()

    return writers, seen


def test_three_processes_report_through_one_session(tmp_path):
    """Each writer's materialization arrives; the session closes when all three closed."""
    writers, seen = _three_writers(tmp_path)
    result = materialize([writers])
    values = {m.metadata["writer"].value for m in result.asset_materializations_for_node("writers")}
    assert values == {"w0", "w1", "w2"}
    assert seen == {"distinct channels": 3, "shared context": 1, "closed": True}


def test_a_bad_line_names_the_writer_and_its_line(tmp_path):
    """Garbage from one writer fails the step naming that writer, its line and channel."""
    writers, _ = _three_writers(tmp_path, garbage_from="w1")
    result = materialize([writers], raise_on_error=False)
    [failure] = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    message = failure.event_specific_data.error.message
    assert "writer 2 line 3: not JSON (Expecting value at column 1): 'not a message'" in message
    assert "on its 3 message channels (writer 1: the message file " in message


def test_the_reader_refuses_no_readers_nested_composites_and_the_subprocess_client():
    """Empty, nested and one-process uses are refused with the fix."""
    with pytest.raises(HeadwaterInvariantViolationError, match="at least one message reader"):
        PipesCompositeMessageReader([])
    pair = PipesCompositeMessageReader([PipesTempFileMessageReader()] * 2)
    with pytest.raises(HeadwaterInvariantViolationError, match="single-writer readers"):
        PipesCompositeMessageReader([pair])
    with pytest.raises(HeadwaterInvariantViolationError, match="get_per_writer_bootstrap_env"):
        PipesSubprocessClient(message_reader=pair)


def test_one_reader_is_that_reader(tmp_path):
    """A composite of one reader gives the plain parameters, and one writer environment."""
    script = tmp_path / "one.py"
    script.write_text("from headwater_pipes import open_headwater_pipes\n"
                      "with open_headwater_pipes() as p:\n"
                      "    p.report_asset_materialization(metadata={'n': 1})\n")

    @multi_asset(specs=[AssetSpec("only")])
    def only(context: AssetExecutionContext):
        reader = PipesCompositeMessageReader([PipesTempFileMessageReader()])
        with open_pipes_session(context, PipesTempFileContextInjector(), reader) as session:
            [env] = session.get_per_writer_bootstrap_env_vars()
            assert env == session.get_bootstrap_env_vars()
            subprocess.run([sys.executable, str(script)], env={**os.environ, **env}, check=True)
        yield from session.get_results()

    [mat] = materialize([only]).asset_materializations_for_node("only")
    assert mat.metadata["n"].value == 1
