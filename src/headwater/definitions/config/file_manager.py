"""File handles and the local file manager: ops that pass files around by reference.

`local_file_manager` (a resource, config `base_dir`) writes bytes or a stream to a new
uniquely named file under `base_dir` and returns a `LocalFileHandle`; downstream ops read it
back with `read_data(handle)` / `read(handle)`, or get a local copy with
`copy_handle_to_local_temp(handle)` (temporary copies are removed by `delete_local_temp()`
and when the resource is torn down). Imports this layer's `resource` and `schema`.
"""

from __future__ import annotations

import io
import os
import shutil
import tempfile
import uuid
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Any

from headwater.definitions.config.resource import resource
from headwater.definitions.config.schema import Field, StringSource


class FileHandle(ABC):
    """A reference to a file some file manager can read.

    Ops that pass files around hand each other handles rather than contents: one op
    writes through a file manager resource (`write_data`, `write`) and returns the handle,
    a later op reads it back through the same manager (`read_data`, `read`). A subclass
    says where its file is with `path_desc`; LocalFileHandle is the local one.

    Example:
        ```python
        from headwater import FileHandle, job, local_file_manager, op

        @op(required_resource_keys={"file_manager"})
        def write_report(context) -> FileHandle:
            return context.resources.file_manager.write_data(b"total: 3", ext="txt")

        @op(required_resource_keys={"file_manager"})
        def read_report(context, handle: FileHandle) -> bytes:
            return context.resources.file_manager.read_data(handle)

        @job(resource_defs={"file_manager": local_file_manager})
        def report():
            read_report(write_report())

        result = report.execute_in_process(
            run_config={"resources": {"file_manager": {"config": {"base_dir": "files"}}}}
        )
        assert result.output_for_node("read_report") == b"total: 3"
        assert result.output_for_node("write_report").path_desc.endswith(".txt")
        ```
    """

    @property
    @abstractmethod
    def path_desc(self) -> str:
        """A human-readable description of where the file is."""


class LocalFileHandle(FileHandle):
    """A file on this machine's filesystem, as the local file manager hands them out.

    Handles are equal when their paths are; `path` and `path_desc` give the path.

    Args:
        path: the file's path (a str or os.PathLike).

    Example:
        ```python
        from pathlib import Path

        from headwater import LocalFileHandle

        Path("data.csv").write_text("a,b\\n1,2\\n")
        handle = LocalFileHandle(Path("data.csv"))
        assert handle.path == "data.csv" and handle == LocalFileHandle("data.csv")
        assert Path(handle.path).read_text().startswith("a,b")
        ```
    """

    def __init__(self, path: str):
        self._path = os.fspath(path)

    @property
    def path(self) -> str:
        return self._path

    @property
    def path_desc(self) -> str:
        return self._path

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LocalFileHandle) and other.path == self.path

    def __hash__(self) -> int:
        return hash(self.path)

    def __repr__(self) -> str:
        return f"LocalFileHandle({self.path!r})"


class LocalFileManager:
    """Files under `base_dir`, one new file per write."""

    def __init__(self, base_dir: str):
        self.base_dir = os.path.abspath(base_dir)
        self._temp_files: list[str] = []

    def _local(self, handle: FileHandle) -> str:
        if not isinstance(handle, LocalFileHandle):
            raise TypeError(f"the local file manager reads LocalFileHandles; got "
                            f"{type(handle).__name__} ({handle.path_desc}).")
        return handle.path

    def write(self, file_obj: IO[Any], mode: str = "wb", ext: str | None = None) -> LocalFileHandle:
        """Copy the stream into a new file; its handle."""
        os.makedirs(self.base_dir, exist_ok=True)
        name = uuid.uuid4().hex + (f".{ext.lstrip('.')}" if ext else "")
        path = os.path.join(self.base_dir, name)
        with open(path, mode) as target:
            shutil.copyfileobj(file_obj, target)
        return LocalFileHandle(path)

    def write_data(self, data: bytes, ext: str | None = None) -> LocalFileHandle:
        if not isinstance(data, (bytes, bytearray)):
            raise TypeError(f"write_data takes bytes, got {type(data).__name__}; encode text "
                            "first (data.encode()).")
        return self.write(io.BytesIO(bytes(data)), "wb", ext)

    @contextmanager
    def read(self, file_handle: FileHandle, mode: str = "rb") -> Iterator[IO[Any]]:
        with open(self._local(file_handle), mode) as stream:
            yield stream

    def read_data(self, file_handle: FileHandle) -> bytes:
        with self.read(file_handle, "rb") as stream:
            return bytes(stream.read())

    def copy_handle_to_local_temp(self, file_handle: FileHandle) -> str:
        """A temporary copy of the file; removed by `delete_local_temp()`."""
        fd, path = tempfile.mkstemp(prefix="headwater-file-")
        os.close(fd)
        shutil.copyfile(self._local(file_handle), path)
        self._temp_files.append(path)
        return path

    def delete_local_temp(self) -> None:
        for path in self._temp_files:
            if os.path.exists(path):
                os.remove(path)
        self._temp_files.clear()


@resource(config_schema={"base_dir": Field(StringSource, is_required=False)},
          description="Writes files under base_dir and hands out LocalFileHandles.")
def local_file_manager(init_context: Any) -> Iterator[LocalFileManager]:
    """The local file manager; `base_dir` defaults to the instance's storage folder (or
    `.headwater/storage` under the working directory)."""
    base = (init_context.resource_config or {}).get("base_dir")
    if base is None:
        instance = getattr(init_context, "instance", None)
        storage = getattr(instance, "storage_directory", None)
        base = storage() if callable(storage) else os.path.join(".headwater", "storage")
    manager = LocalFileManager(base)
    try:
        yield manager
    finally:
        manager.delete_local_temp()
