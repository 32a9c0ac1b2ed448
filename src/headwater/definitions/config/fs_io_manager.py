"""The filesystem IO manager: each output pickled to a file under a base directory.

Assets go to `base_dir/<asset key path>[/<partition>]`, op outputs to
`base_dir/<run_id>/<step_key>/<output_name>[/<mapping_key>]`. A write goes to a temporary
file in the target directory, is fsynced and then renamed over the target, so a crash
never leaves a half-written value and the previous value stays intact until the new one
is complete. Every path component is checked so that nothing lands outside `base_dir`
(a partition key must be one plain file name: '', '.', '..', '/', '\\' and NUL are refused
before anything is written). A stale file or directory where the other kind belongs (an
asset that changed between partitioned and not) is an error naming the path to remove.
The I/O happens only when a run calls the manager. Imports `errors` and this layer's
`io_manager`, `config`.
"""

from __future__ import annotations

import os
import pickle
import tempfile
from collections.abc import Sequence
from typing import Any

from headwater.definitions.config.io_manager import (
    ContentHasher,
    IOManager,
    io_manager,
    partition_keys_of,
)
from headwater.definitions.config.schema import Field, StringSource
from headwater.definitions.metadata.value import MetadataValue
from headwater.errors import HeadwaterInvalidDefinitionError, HeadwaterInvariantViolationError

DEFAULT_DIR_NAME = "storage"


def _what(context: Any) -> str:
    if getattr(context, "has_asset_key", False):
        return f"asset '{context.asset_key.to_user_string()}'"
    return f"output '{context.name}' of step '{context.step_key}'"


def check_path_parts(parts: Sequence[Any], what: str) -> list[str]:
    """The parts as strings, or an error naming the part that would escape the base dir."""
    checked = []
    for part in parts:
        text = str(part)
        problem = None
        if text in ("", ".", ".."):
            problem = "is empty, '.' or '..'"
        elif "\x00" in text:
            problem = "contains a NUL character"
        elif "/" in text or "\\" in text or (os.altsep and os.altsep in text):
            problem = "contains a path separator"
        elif os.path.isabs(text) or (len(text) > 1 and text[1] == ":"):
            problem = "is an absolute path"
        if problem:
            raise HeadwaterInvalidDefinitionError(
                f"Cannot store {what} on the filesystem: path component {text!r} {problem}, "
                "which could write outside the IO manager's base_dir. Rename the asset key or "
                "partition key so that each part is a plain name."
            )
        checked.append(text)
    return checked


def partition_path_part(partition_key: Any, what: str) -> str:
    """The file or directory name a partition key is stored under: the key itself, refused
    (naming the key, the asset and the fix) when it cannot be one plain name: empty, '.' or
    '..', or holding '/', '\\' or NUL. A '/' is not nested into directories (Dagster does):
    keys 'a' and 'a/b' would then need 'a' to be a file and a directory at once."""
    text = str(partition_key)
    problem = None
    if text in ("", ".", ".."):
        problem = "is empty" if not text else f"is {text!r}"
    elif "\x00" in text:
        problem = "contains a NUL character"
    elif "/" in text or "\\" in text or (os.altsep and os.altsep in text):
        problem = "contains a path separator ('/' or '\\')"
    elif os.name == "nt" and len(text) > 1 and text[1] == ":":
        problem = "looks like a drive letter"
    if problem:
        raise HeadwaterInvalidDefinitionError(
            f"Cannot store partition {text!r} of {what} on the filesystem: the key {problem}, "
            "and a partition key is one file name under the asset's directory. Nothing was "
            "written. Rename the partition (e.g. '2024-01' for '2024/01'; for dynamic "
            "partitions delete the key and add the new one), or store this asset with an IO "
            "manager that does not build paths from keys.")
    return text


class PickledObjectFilesystemIOManager(IOManager):
    """Pickles outputs to files under `base_dir`; loads inputs from the same paths.

    The IO manager behind FilesystemIOManager and `fs_io_manager`, as a plain IOManager
    (no pydantic config): an asset goes to `base_dir/<key path>[/<partition>]`, an op
    output to `base_dir/<run id>/<step key>/<output name>`. Writes are atomic.

    Args:
        base_dir: the folder files go under; None: the instance's storage directory.
        content_hash: True makes each asset's data version a hash of the bytes written.

    Example:
        ```python
        from pathlib import Path

        from headwater import PickledObjectFilesystemIOManager, asset, materialize

        @asset
        def greeting() -> str:
            return "hello"

        manager = PickledObjectFilesystemIOManager(base_dir="pickles")
        materialize([greeting], resources={"io_manager": manager})
        assert Path("pickles/greeting").exists()
        ```
    """

    def __init__(self, base_dir: str | None = None, content_hash: bool = False):
        self.base_dir = base_dir
        self.content_hash = content_hash

    def hashes_content(self) -> bool:
        return self.content_hash

    def _base(self, context: Any) -> str:
        if self.base_dir:
            return os.path.abspath(self.base_dir)
        instance = getattr(context, "instance", None)
        storage_directory = getattr(instance, "storage_directory", None)
        if callable(storage_directory):
            return os.path.abspath(storage_directory())
        return os.path.abspath(os.path.join(os.getcwd(), ".headwater", DEFAULT_DIR_NAME))

    def _parts(self, context: Any) -> list[str]:
        if context.has_asset_key:
            parts = list(context.asset_key.path)
            if context.has_asset_partitions:
                parts.append(partition_path_part(context.asset_partition_key, _what(context)))
        else:
            parts = [context.run_id, context.step_key, context.name]
            if getattr(context, "mapping_key", None):
                parts.append(context.mapping_key)
        return check_path_parts(parts, _what(context))

    def get_path(self, context: Any) -> str:
        base = self._base(context)
        path = os.path.join(base, *self._parts(context))
        if os.path.commonpath([base, os.path.abspath(path)]) != base:
            raise HeadwaterInvalidDefinitionError(
                f"Cannot store {_what(context)}: its path {path} is outside base_dir {base}."
            )
        return path

    def handle_output(self, context: Any, obj: Any) -> None:
        if obj is None and _is_nothing(context):
            return
        keys = partition_keys_of(context)
        if keys is not None and len(keys) != 1:
            # A run over a range of partitions writes one file per partition, as the
            # in-memory IO manager keeps one value per partition: a dict by partition key
            # is split, anything else is stored for every partition of the range.
            split = isinstance(obj, dict) and set(obj) == set(keys)
            paths = {key: self._partition_path(context, key) for key in keys}  # all checked first
            for key, path in paths.items():
                self._write(path, obj[key] if split else obj, self._durable(context),
                            what=_what(context))
            context.add_output_metadata({"path": MetadataValue.path(os.path.join(
                self._base(context), *check_path_parts(context.asset_key.path, _what(context))))})
            return
        path = self.get_path(context)
        hashed = getattr(context, "wants_content_hash", False)
        size = self._write(path, obj, self._durable(context), context if hashed else None,
                           what=_what(context))
        if obj is not None:  # as in Dagster, a None output is stored but not described
            context.add_output_metadata({"path": MetadataValue.path(path), "size_bytes": size})

    def _write(self, path: str, obj: Any, durable: bool = True, hash_for: Any = None,
               what: str = "the output") -> int:
        """Pickle `obj` to `path`; with `hash_for` (an output context), hash the bytes as they
        are written and report the hash as its content_hash (one pass, no second pickle)."""
        check_no_stale_path(path, what)
        os.makedirs(os.path.dirname(path), exist_ok=True)

        def write(handle: Any) -> None:
            target = handle if hash_for is None else ContentHasher(handle)
            pickle.dump(obj, target, pickle.HIGHEST_PROTOCOL)
            if hash_for is not None:
                hash_for.content_hash = target.hexdigest()

        write_atomically(path, write, durable)
        return os.path.getsize(path)

    def _durable(self, context: Any) -> bool:
        # An ephemeral instance's storage directory is temporary and dies with the process,
        # so surviving a machine crash buys nothing there and fsync costs milliseconds.
        instance = getattr(context, "instance", None)
        return bool(self.base_dir) or not getattr(instance, "is_ephemeral", False)

    def load_input(self, context: Any) -> Any:
        upstream = context.upstream_output
        if upstream is None:
            raise HeadwaterInvariantViolationError(
                f"Input '{context.name}' has no upstream output to load from; give it a value, a "
                "default, or an input manager (input_manager_key=...)."
            )
        source = context if context.has_asset_key else upstream
        keys = partition_keys_of(context)
        if keys is not None and not keys:
            # no upstream partition to read (e.g. the first partition reading the previous
            # one of its own asset): the input is None, as in Dagster
            return None
        if keys is not None and len(keys) != 1:
            # Several upstream partitions load as a dict {partition key: value}.
            return {key: self._load_file(self._partition_path(context, key), source)
                    for key in keys}
        if keys is not None:
            return self._load_file(self._partition_path(context, keys[0]), source)
        return self._load_file(self.get_path(source), source)

    def _partition_path(self, context: Any, partition_key: str) -> str:
        base = self._base(context)
        parts = check_path_parts([*context.asset_key.path,
                                  partition_path_part(partition_key, _what(context))],
                                 _what(context))
        return os.path.join(base, *parts)

    def _load_file(self, path: str, source: Any) -> Any:
        check_no_stale_path(path, _what(source))
        if not os.path.exists(path):
            raise FileNotFoundError(
                f"No stored value for {_what(source)} at {path}. Materialize it first (or run "
                "the upstream step in this run)."
            )
        with open(path, "rb") as handle:
            return pickle.load(handle)


def check_no_stale_path(path: str, what: str) -> None:
    """Refuse, naming the path to remove, a directory where the value's file belongs or a
    file where one of its directories belongs. Either is left by an asset that changed
    between partitioned (a directory of partition files) and unpartitioned (one file), or
    by an older headwater that stored a partition of an unpartitioned asset; writing over
    it would fail with a bare IsADirectoryError (or NotADirectoryError) on every run."""
    if os.path.isdir(path):
        raise HeadwaterInvariantViolationError(
            f"Cannot store or load {what} at {path}: a directory is there, where the value's "
            "file belongs (left by partitioned runs of this asset, or by a partition given "
            "to it while it was unpartitioned). Move or remove that directory (its files are "
            f"values of partitions, e.g. `rm -r '{path}'`), then materialize the asset again.")
    parent = os.path.dirname(path)
    while parent and parent != os.path.dirname(parent):
        if os.path.isfile(parent):
            raise HeadwaterInvariantViolationError(
                f"Cannot store or load {what} at {path}: {parent} is a file, where a directory "
                "of partitions belongs (the asset was unpartitioned before). Move or remove "
                f"that file (e.g. `rm '{parent}'`), then materialize the asset again.")
        if os.path.isdir(parent):
            return
        parent = os.path.dirname(parent)


def _is_nothing(context: Any) -> bool:
    htype = getattr(context, "headwater_type", None)
    return bool(getattr(htype, "is_nothing", False))


def write_atomically(path: str, write: Any, durable: bool = True) -> None:
    """Write via `write(handle)` to a temp file beside `path`, fsync (when `durable`), then
    rename over it: readers never see half a value either way."""
    directory = os.path.dirname(path) or "."
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    if not durable:
        return
    try:  # make the rename itself durable
        dir_fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)


@io_manager(config_schema={"base_dir": Field(StringSource, is_required=False),
                           "content_hash": Field(bool, is_required=False, default_value=False)})
def fs_io_manager(init_context: Any) -> PickledObjectFilesystemIOManager:
    """Pickles each output to a file under base_dir (default: the instance's storage dir);
    with content_hash: true, each asset's data version is a hash of the bytes written."""
    config = init_context.resource_config or {}
    return PickledObjectFilesystemIOManager(base_dir=config.get("base_dir"),
                                            content_hash=bool(config.get("content_hash")))


class CustomPathPickledObjectFilesystemIOManager(IOManager):
    """Pickles each output to `base_dir/<path>`, the path taken from the output's metadata.

    Each output declares where it goes with `metadata={"path": "dir/file.pkl"}` (on
    `Out` or `@asset`); an input loads from its upstream output's path. An output without
    a `path` raises HeadwaterInvalidDefinitionError saying how to declare one. What
    `custom_path_fs_io_manager` (config `base_dir`) builds.

    Args:
        base_dir: the folder the metadata paths are relative to.

    Example:
        ```python
        import pickle
        from pathlib import Path

        from headwater import CustomPathPickledObjectFilesystemIOManager, asset, materialize

        @asset(metadata={"path": "exports/cities.pkl"})
        def cities() -> list[str]:
            return ["Lyon", "Oslo"]

        manager = CustomPathPickledObjectFilesystemIOManager(base_dir="data")
        materialize([cities], resources={"io_manager": manager})
        assert pickle.loads(Path("data/exports/cities.pkl").read_bytes()) == ["Lyon", "Oslo"]
        ```
    """

    def __init__(self, base_dir: str):
        self.base_dir = base_dir

    def _path(self, context: Any, what: str) -> str:
        metadata = getattr(context, "definition_metadata", None) or {}
        relative = metadata.get("path")
        if not isinstance(relative, str) or not relative:
            raise HeadwaterInvalidDefinitionError(
                f"custom_path_fs_io_manager cannot store {what}: its output has no 'path' "
                "metadata. Declare one: Out(metadata={'path': 'dir/file.pkl'}) (or "
                "@asset(metadata={'path': ...}))."
            )
        parts = check_path_parts(relative.replace("\\", "/").split("/"), what)
        return os.path.join(self.base_dir, *parts)

    def handle_output(self, context: Any, obj: Any) -> None:
        path = self._path(context, _what(context))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        write_atomically(path, lambda handle: pickle.dump(obj, handle, pickle.HIGHEST_PROTOCOL))
        context.add_output_metadata({"path": MetadataValue.path(path)})

    def load_input(self, context: Any) -> Any:
        upstream = context.upstream_output
        if upstream is None:
            raise HeadwaterInvariantViolationError(
                f"Input '{context.name}' has no upstream output to load from; "
                "custom_path_fs_io_manager loads from the upstream output's 'path' metadata."
            )
        path = self._path(upstream, _what(upstream))
        if not os.path.exists(path):
            raise FileNotFoundError(
                f"No stored value for {_what(upstream)} at {path}. Run the upstream step first.")
        with open(path, "rb") as handle:
            return pickle.load(handle)


@io_manager(config_schema={"base_dir": Field(StringSource)})
def custom_path_fs_io_manager(init_context: Any) -> CustomPathPickledObjectFilesystemIOManager:
    """Pickles each output to base_dir joined with the `path` in the output's metadata."""
    return CustomPathPickledObjectFilesystemIOManager(init_context.resource_config["base_dir"])
