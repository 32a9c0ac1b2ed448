"""How the context reaches the external process, and how its messages come back.

Injectors (`inject_context(data)`, a context manager yielding the parameters that tell the
external side where to look): `PipesTempFileContextInjector` (a JSON file in a temporary
folder, the default), `PipesFileContextInjector(path)` and `PipesEnvContextInjector` (the
context inside the parameter itself). Readers (`read_messages(handler)`, likewise yielding
parameters): `PipesTempFileMessageReader` (the default) and `PipesFileMessageReader(path)`,
which tail a JSON-lines file on a thread and hand each line to the session's handler as it
is written, with a last full read when the block ends.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from headwater.pipes.session import PipesMessageHandler


class PipesContextInjector(ABC):
    @abstractmethod
    @contextmanager
    def inject_context(self, context_data: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
        """Make the context available; yield the parameters that say where."""

    def no_messages_debug_text(self) -> str:
        return ""


class PipesFileContextInjector(PipesContextInjector):
    """Writes the context as JSON to `path` (removed afterwards)."""

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
    """Writes the context to a JSON file in a fresh temporary folder."""

    @contextmanager
    def inject_context(self, context_data: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
        with tempfile.TemporaryDirectory(prefix="headwater-pipes-") as folder:
            path = os.path.join(folder, "context.json")
            with PipesFileContextInjector(path).inject_context(context_data) as params:
                yield params

    def no_messages_debug_text(self) -> str:
        return "the context was written to a temporary file"


class PipesEnvContextInjector(PipesContextInjector):
    """Puts the context inside the bootstrap parameter (so in the environment variable)."""

    @contextmanager
    def inject_context(self, context_data: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
        yield {"data": dict(context_data)}

    def no_messages_debug_text(self) -> str:
        return "the context was passed in the HEADWATER_PIPES_CONTEXT environment variable"


class PipesMessageReader(ABC):
    @abstractmethod
    @contextmanager
    def read_messages(self, handler: PipesMessageHandler) -> Iterator[dict[str, Any]]:
        """Listen for messages (handing each to `handler`); yield where to write them."""

    def no_messages_debug_text(self) -> str:
        return ""


class PipesFileMessageReader(PipesMessageReader):
    """Tails the JSON-lines file at `path` while the block runs."""

    def __init__(self, path: str | os.PathLike[str], poll_interval: float = 0.05):
        self._path = os.fspath(path)
        self._interval = poll_interval

    @contextmanager
    def read_messages(self, handler: PipesMessageHandler) -> Iterator[dict[str, Any]]:
        open(self._path, "a", encoding="utf-8").close()  # exists before the process starts
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
    """Like `PipesFileMessageReader`, on a file in a fresh temporary folder."""

    @contextmanager
    def read_messages(self, handler: PipesMessageHandler) -> Iterator[dict[str, Any]]:
        with tempfile.TemporaryDirectory(prefix="headwater-pipes-") as folder:
            reader = PipesFileMessageReader(os.path.join(folder, "messages"))
            with reader.read_messages(handler) as params:
                yield params

    def no_messages_debug_text(self) -> str:
        return "messages were expected in a temporary file"
