"""`S3FileHandle` and `S3FileManager`: ops that pass S3 objects around by reference.

A write stores the bytes under `s3://<bucket>/<base key>/<uuid>[.ext]` and returns a handle;
a read downloads the object once to a local temporary file (kept until `delete_local_temp()`
or the resource's teardown) and reads from there.
"""

from __future__ import annotations

import io
import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Any

from headwater import FileHandle, usable_as_headwater_type


@usable_as_headwater_type
class S3FileHandle(FileHandle):
    """An object in S3: `s3_bucket`, `s3_key`, and `s3_path` (`s3://bucket/key`)."""

    def __init__(self, s3_bucket: str, s3_key: str):
        if not s3_bucket or not s3_key:
            raise ValueError(f"S3FileHandle needs a bucket and a key; got bucket={s3_bucket!r}, "
                             f"key={s3_key!r}.")
        self._s3_bucket = s3_bucket
        self._s3_key = s3_key

    @property
    def s3_bucket(self) -> str:
        return self._s3_bucket

    @property
    def s3_key(self) -> str:
        return self._s3_key

    @property
    def s3_path(self) -> str:
        return f"s3://{self._s3_bucket}/{self._s3_key}"

    @property
    def path_desc(self) -> str:
        return self.s3_path

    def __eq__(self, other: object) -> bool:
        return isinstance(other, S3FileHandle) and other.s3_path == self.s3_path

    def __hash__(self) -> int:
        return hash(self.s3_path)

    def __repr__(self) -> str:
        return f"S3FileHandle({self._s3_bucket!r}, {self._s3_key!r})"


class S3FileManager:
    """Writes new objects under `s3_base_key` in `s3_bucket` and reads `S3FileHandle`s."""

    def __init__(self, s3_session: Any, s3_bucket: str, s3_base_key: str):
        self._s3 = s3_session
        self._bucket = s3_bucket
        self._base_key = s3_base_key.strip("/")
        self._local: dict[str, str] = {}  # s3 path -> downloaded temporary file

    def get_full_key(self, file_key: str) -> str:
        return f"{self._base_key}/{file_key}" if self._base_key else file_key

    def write(self, file_obj: IO[Any], mode: str = "wb", ext: str | None = None) -> S3FileHandle:
        """Upload the stream as a new object; its handle."""
        if mode != "wb":
            raise ValueError(f"S3FileManager.write stores bytes: mode is 'wb', got {mode!r}.")
        key = self.get_full_key(uuid.uuid4().hex + (f".{ext.lstrip('.')}" if ext else ""))
        self._s3.upload_fileobj(file_obj, self._bucket, key)
        return S3FileHandle(self._bucket, key)

    def write_data(self, data: bytes, ext: str | None = None) -> S3FileHandle:
        if not isinstance(data, (bytes, bytearray)):
            raise TypeError(f"write_data takes bytes, got {type(data).__name__}; encode text "
                            "first (data.encode()).")
        return self.write(io.BytesIO(bytes(data)), "wb", ext)

    def copy_handle_to_local_temp(self, file_handle: FileHandle) -> str:
        """A local copy of the object (downloaded once per manager)."""
        if not isinstance(file_handle, S3FileHandle):
            raise TypeError(f"S3FileManager reads S3FileHandles; got {type(file_handle).__name__} "
                            f"({file_handle.path_desc}).")
        if file_handle.s3_path not in self._local:
            fd, path = tempfile.mkstemp(prefix="headwater-s3-")
            os.close(fd)
            try:
                self._s3.download_file(file_handle.s3_bucket, file_handle.s3_key, path)
            except BaseException:
                os.remove(path)
                raise
            self._local[file_handle.s3_path] = path
        return self._local[file_handle.s3_path]

    @contextmanager
    def read(self, file_handle: FileHandle, mode: str = "rb") -> Iterator[IO[Any]]:
        if mode not in ("r", "rb"):
            raise ValueError(f"S3FileManager.read opens for reading: mode 'r' or 'rb', got "
                             f"{mode!r}.")
        with open(self.copy_handle_to_local_temp(file_handle), mode) as stream:
            yield stream

    def read_data(self, file_handle: FileHandle) -> bytes:
        with self.read(file_handle, "rb") as stream:
            return bytes(stream.read())

    def delete_local_temp(self) -> None:
        for path in self._local.values():
            if os.path.exists(path):
                os.remove(path)
        self._local.clear()
