"""How the context reaches the external process, and how its messages come back.

Injectors (`inject_context(data)`, a context manager yielding the parameters that tell the
external side where to look): `PipesTempFileContextInjector` (a JSON file in a temporary
folder, the default), `PipesFileContextInjector(path)` and `PipesEnvContextInjector` (the
context inside the parameter itself). Readers (`read_messages(handler)`, likewise yielding
parameters): `PipesTempFileMessageReader` (the default) and `PipesFileMessageReader(path)`,
which tail a JSON-lines file on a thread and hand each line to the session's handler as it
is written, with a last full read when the block ends. `PipesCompositeMessageReader` gathers
several readers, one per writer, into one session.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from typing import TYPE_CHECKING, Any

from headwater.errors import HeadwaterInvariantViolationError
from headwater_pipes import PIPES_COMPOSITE_WRITERS_KEY

if TYPE_CHECKING:
    from headwater.pipes.session import PipesMessageHandler


class PipesContextInjector(ABC):
    """How a Pipes session hands the step's context to the external process (the base class).

    `inject_context(data)` is a context manager: it puts the context somewhere the external
    process can read it and yields the parameters saying where, which travel in the
    bootstrap environment variable. Subclass it for another channel (a bucket, a table).

    Example:
        ```python
        import pathlib, sys
        from headwater import AssetExecutionContext, PipesSubprocessClient, asset, materialize
        from headwater import PipesContextInjector, PipesEnvContextInjector
        pathlib.Path("count_rows.py").write_text('''from headwater_pipes import open_headwater_pipes

        with open_headwater_pipes() as pipes:
            pipes.report_asset_materialization(metadata={"rows": 42})
        ''')  # the external script; written here to run on its own

        @asset
        def table(context: AssetExecutionContext, pipes_subprocess_client: PipesSubprocessClient):
            return pipes_subprocess_client.run(
                command=[sys.executable, "count_rows.py"], context=context
            ).get_materialize_result()

        client = PipesSubprocessClient(context_injector=PipesEnvContextInjector())
        assert isinstance(client.context_injector, PipesContextInjector)
        result = materialize([table], resources={"pipes_subprocess_client": client})
        [event] = result.get_asset_materialization_events()
        assert event.materialization.metadata["rows"].value == 42
        ```
    """
    @abstractmethod
    @contextmanager
    def inject_context(self, context_data: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
        """Make the context available; yield the parameters that say where."""

    def no_messages_debug_text(self) -> str:
        return ""


class PipesFileContextInjector(PipesContextInjector):
    """Hand the context to the external process as a JSON file at a path you choose.

    The file is written when the session opens and removed when it ends; use it when the
    process reads from a shared disk. `PipesTempFileContextInjector` picks the path itself.

    Args:
        path: where to write the context file.

    Example:
        ```python
        import pathlib, sys
        from headwater import AssetExecutionContext, PipesSubprocessClient, asset, materialize
        from headwater import PipesFileContextInjector
        pathlib.Path("count_rows.py").write_text('''from headwater_pipes import open_headwater_pipes

        with open_headwater_pipes() as pipes:
            pipes.report_asset_materialization(metadata={"rows": 42})
        ''')  # the external script; written here to run on its own

        @asset
        def table(context: AssetExecutionContext, pipes_subprocess_client: PipesSubprocessClient):
            return pipes_subprocess_client.run(
                command=[sys.executable, "count_rows.py"], context=context
            ).get_materialize_result()

        client = PipesSubprocessClient(context_injector=PipesFileContextInjector("context.json"))
        result = materialize([table], resources={"pipes_subprocess_client": client})
        [event] = result.get_asset_materialization_events()
        assert event.materialization.metadata["rows"].value == 42
        ```
    """

    def __init__(self, path: str | os.PathLike[str]):
        self._path = os.fspath(path)

    @contextmanager
    def inject_context(self, context_data: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
        with open(self._path, "w", encoding="utf-8") as f:
            json.dump(dict(context_data), f)
        try:
            yield {"path": self._path}
        finally:
            if os.path.exists(self._path):
                os.remove(self._path)

    def no_messages_debug_text(self) -> str:
        return f"the context was written to {self._path}"


class PipesTempFileContextInjector(PipesContextInjector):
    """Hand the context to the external process as a JSON file in a fresh temporary folder.

    The default injector of `PipesSubprocessClient`; the folder is removed when the
    session ends.

    Example:
        ```python
        import pathlib, sys
        from headwater import AssetExecutionContext, PipesSubprocessClient, asset, materialize
        from headwater import PipesTempFileContextInjector
        pathlib.Path("count_rows.py").write_text('''from headwater_pipes import open_headwater_pipes

        with open_headwater_pipes() as pipes:
            pipes.report_asset_materialization(metadata={"rows": 42})
        ''')  # the external script; written here to run on its own

        @asset
        def table(context: AssetExecutionContext, pipes_subprocess_client: PipesSubprocessClient):
            return pipes_subprocess_client.run(
                command=[sys.executable, "count_rows.py"], context=context
            ).get_materialize_result()

        client = PipesSubprocessClient(context_injector=PipesTempFileContextInjector())
        result = materialize([table], resources={"pipes_subprocess_client": client})
        [event] = result.get_asset_materialization_events()
        assert event.materialization.metadata["rows"].value == 42
        ```
    """

    @contextmanager
    def inject_context(self, context_data: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
        with tempfile.TemporaryDirectory(prefix="headwater-pipes-") as folder:
            path = os.path.join(folder, "context.json")
            with PipesFileContextInjector(path).inject_context(context_data) as params:
                yield params

    def no_messages_debug_text(self) -> str:
        return "the context was written to a temporary file"


class PipesEnvContextInjector(PipesContextInjector):
    """Hand the context to the external process inside its bootstrap environment variable.

    Needs no shared disk, which suits containers and remote launchers; the context must
    fit in an environment variable.

    Example:
        ```python
        import pathlib, sys
        from headwater import AssetExecutionContext, PipesSubprocessClient, asset, materialize
        from headwater import PipesEnvContextInjector
        pathlib.Path("count_rows.py").write_text('''from headwater_pipes import open_headwater_pipes

        with open_headwater_pipes() as pipes:
            pipes.report_asset_materialization(metadata={"rows": 42})
        ''')  # the external script; written here to run on its own

        @asset
        def table(context: AssetExecutionContext, pipes_subprocess_client: PipesSubprocessClient):
            return pipes_subprocess_client.run(
                command=[sys.executable, "count_rows.py"], context=context
            ).get_materialize_result()

        client = PipesSubprocessClient(context_injector=PipesEnvContextInjector())
        result = materialize([table], resources={"pipes_subprocess_client": client})
        [event] = result.get_asset_materialization_events()
        assert event.materialization.metadata["rows"].value == 42
        ```
    """

    @contextmanager
    def inject_context(self, context_data: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
        yield {"data": dict(context_data)}

    def no_messages_debug_text(self) -> str:
        return "the context was passed in the HEADWATER_PIPES_CONTEXT environment variable"


class PipesMessageReader(ABC):
    """How a Pipes session hears back from the external process (the base class).

    `read_messages(handler)` is a context manager: it listens where the process writes
    (handing each message to `handler`) and yields the parameters saying where. Subclass
    it for another channel.

    Example:
        ```python
        import pathlib, sys
        from headwater import AssetExecutionContext, PipesSubprocessClient, asset, materialize
        from headwater import PipesMessageReader, PipesTempFileMessageReader
        pathlib.Path("count_rows.py").write_text('''from headwater_pipes import open_headwater_pipes

        with open_headwater_pipes() as pipes:
            pipes.report_asset_materialization(metadata={"rows": 42})
        ''')  # the external script; written here to run on its own

        @asset
        def table(context: AssetExecutionContext, pipes_subprocess_client: PipesSubprocessClient):
            return pipes_subprocess_client.run(
                command=[sys.executable, "count_rows.py"], context=context
            ).get_materialize_result()

        client = PipesSubprocessClient(message_reader=PipesTempFileMessageReader())
        assert isinstance(client.message_reader, PipesMessageReader)
        result = materialize([table], resources={"pipes_subprocess_client": client})
        [event] = result.get_asset_materialization_events()
        assert event.materialization.metadata["rows"].value == 42
        ```
    """
    @abstractmethod
    @contextmanager
    def read_messages(self, handler: PipesMessageHandler) -> Iterator[dict[str, Any]]:
        """Listen for messages (handing each to `handler`); yield where to write them."""

    def no_messages_debug_text(self) -> str:
        return ""


class PipesFileMessageReader(PipesMessageReader):
    """Hear the external process through a JSON-lines file at a path you choose.

    The file is emptied when the session opens and read as it grows, so logs show while the
    process runs. `PipesTempFileMessageReader` picks the path itself.

    Args:
        path: the file the process writes its messages to.
        poll_interval: seconds between reads of the file.

    Example:
        ```python
        import pathlib, sys
        from headwater import AssetExecutionContext, PipesSubprocessClient, asset, materialize
        from headwater import PipesFileMessageReader
        pathlib.Path("count_rows.py").write_text('''from headwater_pipes import open_headwater_pipes

        with open_headwater_pipes() as pipes:
            pipes.report_asset_materialization(metadata={"rows": 42})
        ''')  # the external script; written here to run on its own

        @asset
        def table(context: AssetExecutionContext, pipes_subprocess_client: PipesSubprocessClient):
            return pipes_subprocess_client.run(
                command=[sys.executable, "count_rows.py"], context=context
            ).get_materialize_result()

        client = PipesSubprocessClient(message_reader=PipesFileMessageReader("messages.jsonl"))
        result = materialize([table], resources={"pipes_subprocess_client": client})
        [event] = result.get_asset_materialization_events()
        assert event.materialization.metadata["rows"].value == 42
        ```
    """

    def __init__(self, path: str | os.PathLike[str], poll_interval: float = 0.05):
        self._path = os.fspath(path)
        self._interval = poll_interval

    @contextmanager
    def read_messages(self, handler: PipesMessageHandler) -> Iterator[dict[str, Any]]:
        # Exists, and empty, before the process starts: a file reused by a rerun or a retry
        # must not hand the previous session's messages to this one.
        open(self._path, "w", encoding="utf-8").close()
        done = threading.Event()
        tail = threading.Thread(target=self._tail, args=(handler, done), daemon=True,
                                name="headwater-pipes-reader")
        tail.start()
        try:
            yield {"path": self._path}
        finally:
            done.set()
            tail.join()

    def _tail(self, handler: PipesMessageHandler, done: threading.Event) -> None:
        with open(self._path, encoding="utf-8") as stream:
            pending = ""
            while True:
                finishing = done.is_set()  # read once more after the block ended
                chunk = stream.read()
                if chunk:
                    pending += chunk
                    *lines, pending = pending.split("\n")
                    for line in lines:
                        handler.handle_line(line)
                if finishing:
                    if pending.strip():
                        handler.handle_line(pending)
                    return
                done.wait(self._interval)

    def no_messages_debug_text(self) -> str:
        return f"messages were expected in {self._path}"


class PipesTempFileMessageReader(PipesMessageReader):
    """Hear the external process through a JSON-lines file in a fresh temporary folder.

    The default reader of `PipesSubprocessClient`; the folder is removed when the session
    ends.

    Example:
        ```python
        import pathlib, sys
        from headwater import AssetExecutionContext, PipesSubprocessClient, asset, materialize
        from headwater import PipesTempFileMessageReader
        pathlib.Path("count_rows.py").write_text('''from headwater_pipes import open_headwater_pipes

        with open_headwater_pipes() as pipes:
            pipes.report_asset_materialization(metadata={"rows": 42})
        ''')  # the external script; written here to run on its own

        @asset
        def table(context: AssetExecutionContext, pipes_subprocess_client: PipesSubprocessClient):
            return pipes_subprocess_client.run(
                command=[sys.executable, "count_rows.py"], context=context
            ).get_materialize_result()

        client = PipesSubprocessClient(message_reader=PipesTempFileMessageReader())
        result = materialize([table], resources={"pipes_subprocess_client": client})
        [event] = result.get_asset_materialization_events()
        assert event.materialization.metadata["rows"].value == 42
        ```
    """

    @contextmanager
    def read_messages(self, handler: PipesMessageHandler) -> Iterator[dict[str, Any]]:
        with tempfile.TemporaryDirectory(prefix="headwater-pipes-") as folder:
            reader = PipesFileMessageReader(os.path.join(folder, "messages"))
            with reader.read_messages(handler) as params:
                yield params

    def no_messages_debug_text(self) -> str:
        return "messages were expected in a temporary file"


class PipesCompositeMessageReader(PipesMessageReader):
    """One session heard from several writers (processes or threads), each on its own channel.

    Launch each writer with its entry of `session.get_per_writer_bootstrap_env_vars()`;
    everything they report is gathered in the session, which is closed when every writer
    closed. With one reader it is that reader; none, or a nested composite, raises
    `HeadwaterInvariantViolationError`.

    Args:
        readers: one single-writer reader per writer.

    Example:
        ```python
        import os, pathlib, subprocess, sys
        from headwater import AssetExecutionContext, PipesCompositeMessageReader
        from headwater import PipesTempFileContextInjector, PipesTempFileMessageReader
        from headwater import asset, materialize, open_pipes_session

        pathlib.Path("count_shard.py").write_text('''from headwater_pipes import open_headwater_pipes

        with open_headwater_pipes() as pipes:
            pipes.log.info("shard done")
        ''')  # the external script; written here to run on its own

        @asset
        def table(context: AssetExecutionContext):
            reader = PipesCompositeMessageReader([PipesTempFileMessageReader() for _ in range(2)])
            with open_pipes_session(context, PipesTempFileContextInjector(), reader) as session:
                shards = [subprocess.Popen([sys.executable, "count_shard.py"], env={**os.environ, **env})
                          for env in session.get_per_writer_bootstrap_env_vars()]
                assert [shard.wait() for shard in shards] == [0, 0]
            yield from session.get_results()

        assert materialize([table]).success
        ```
    """

    readers: list[PipesMessageReader]

    def __init__(self, readers: Sequence[PipesMessageReader]):
        readers = list(readers)
        if not readers:
            raise HeadwaterInvariantViolationError(
                "PipesCompositeMessageReader needs at least one message reader, one per "
                "writer, e.g. [PipesTempFileMessageReader() for _ in range(3)].")
        for reader in readers:
            if isinstance(reader, PipesCompositeMessageReader) and len(reader.readers) > 1:
                raise HeadwaterInvariantViolationError(
                    "PipesCompositeMessageReader takes single-writer readers; a composite "
                    f"reader of {len(reader.readers)} readers cannot be nested in another. "
                    "List all the readers in one PipesCompositeMessageReader instead.")
        self.readers = readers

    @contextmanager
    def read_messages(self, handler: PipesMessageHandler) -> Iterator[dict[str, Any]]:
        if len(self.readers) == 1:
            with self.readers[0].read_messages(handler) as params:
                yield params
            return
        handler.writers = len(self.readers)
        with ExitStack() as stack:
            writers = [stack.enter_context(reader.read_messages(
                handler.for_writer(f"writer {number}")))
                for number, reader in enumerate(self.readers, start=1)]
            yield {PIPES_COMPOSITE_WRITERS_KEY: writers}

    def no_messages_debug_text(self) -> str:
        return "; ".join(f"writer {n}: {r.no_messages_debug_text()}"
                         for n, r in enumerate(self.readers, start=1))
