"""`UPathIOManager`: an IO manager base class that stores each value at a path of any
filesystem universal_pathlib knows (local, s3://, gs://, memory://, ...).

A subclass says how to write and read one value:

```python
class JsonIOManager(UPathIOManager):
    extension = ".json"

    def dump_to_path(self, context, obj, path):
        path.write_text(json.dumps(obj))

    def load_from_path(self, context, path):
        return json.loads(path.read_text())
```

Paths: an asset at `base_path/<key parts><extension>`, a partition of it at
`base_path/<key parts>/<partition><extension>` (a multi-partition key is one folder per
dimension, in dimension-name order; a key that is not one plain name, such as '' or one
holding '/', is refused before anything is written), an op output at
`base_path/<run_id>/<step_key>/<output name><extension>`. An input that reads several
partitions gets `{partition_key: value}`; missing partitions are an error unless the input
has `allow_missing_partitions: True` in its metadata. universal_pathlib is imported only
when a path is built. Imports `metadata` and this layer's `io_manager`, `fs_io_manager`.
"""

from __future__ import annotations

from typing import Any

from headwater.definitions.config.fs_io_manager import partition_path_part
from headwater.definitions.config.io_manager import IOManager
from headwater.definitions.metadata.value import MetadataValue


def _upath(*parts: Any) -> Any:
    from upath import UPath

    return UPath(*parts)


class UPathIOManager(IOManager):
    """Base class of IO managers that store each value at a path (local, s3://, memory://).

    Implement `dump_to_path(context, obj, path)` and `load_from_path(context, path)`; set
    the class attribute `extension` (with its dot, else ValueError) if files have one. The
    layout is the module's: `base_path/<asset key parts><extension>`, one file per
    partition under the asset's folder. An input over several partitions gets a dict by
    partition key. A missing file raises FileNotFoundError naming the asset and path.
    Needs universal_pathlib (`upath`).

    Args:
        base_path: where values go: a path or URL (str, Path or UPath); None: the
            current directory.

    Example:
        ```python
        import json

        from headwater import UPathIOManager, asset, materialize

        class JsonIOManager(UPathIOManager):
            extension = ".json"

            def dump_to_path(self, context, obj, path) -> None:
                path.write_text(json.dumps(obj))

            def load_from_path(self, context, path):
                return json.loads(path.read_text())

        @asset
        def scores() -> dict:
            return {"ana": 3, "bo": 5}

        @asset
        def best(scores: dict) -> str:
            return max(scores, key=scores.get)

        manager = JsonIOManager(base_path="warehouse")
        result = materialize([scores, best], resources={"io_manager": manager})
        assert result.output_for_node("best") == "bo"
        assert json.loads(open("warehouse/scores.json").read()) == {"ana": 3, "bo": 5}
        ```
    """

    extension: str | None = None

    def __init__(self, base_path: Any = None):
        if self.extension is not None and self.extension and not self.extension.startswith("."):
            raise ValueError(f"{type(self).__name__}.extension must start with a dot, got "
                             f"{self.extension!r} (write '.{self.extension}').")
        self._base_path = base_path

    @property
    def base_path(self) -> Any:
        return _upath(self._base_path) if self._base_path is not None else _upath(".")

    # --- what a subclass implements -------------------------------------------------------
    def dump_to_path(self, context: Any, obj: Any, path: Any) -> None:
        raise NotImplementedError(f"{type(self).__name__} must implement "
                                  "dump_to_path(self, context, obj, path).")

    def load_from_path(self, context: Any, path: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must implement "
                                  "load_from_path(self, context, path).")

    def get_metadata(self, context: Any, obj: Any) -> dict[str, Any]:
        """Extra metadata recorded with each output (override to add some)."""
        return {}

    # --- filesystem operations, overridable -----------------------------------------------
    def path_exists(self, path: Any) -> bool:
        return bool(path.exists())

    def make_directory(self, path: Any) -> None:
        path.mkdir(parents=True, exist_ok=True)

    def unlink(self, path: Any) -> None:
        path.unlink()

    # --- paths ----------------------------------------------------------------------------
    def get_asset_relative_path(self, context: Any) -> Any:
        return _upath(*context.asset_key.path)

    def get_op_output_relative_path(self, context: Any) -> Any:
        return _upath(*context.get_identifier())

    def _with_extension(self, path: Any) -> Any:
        return path.with_name(path.name + self.extension) if self.extension else path

    def _path_without_extension(self, context: Any) -> Any:
        if context.has_asset_key:
            return self.base_path / self.get_asset_relative_path(context)
        return self.base_path / self.get_op_output_relative_path(context)

    def _get_path(self, context: Any) -> Any:
        return self._with_extension(self._path_without_extension(context))

    def get_path_for_partition(self, context: Any, path: Any, partition: str) -> Any:
        """`path` (without extension) for one partition key; override to lay out otherwise."""
        keys = getattr(partition, "keys_by_dimension", None)
        parts = ([keys[d] for d in sorted(keys)] if isinstance(keys, dict) else [partition])
        what = (f"asset '{context.asset_key.to_user_string()}'"
                if getattr(context, "has_asset_key", False) else "the output")
        return self._with_extension(path.joinpath(*[partition_path_part(p, what) for p in parts]))

    def _paths_for_partitions(self, context: Any) -> dict[str, Any]:
        base = self._path_without_extension(context)
        return {key: self.get_path_for_partition(context, base, key)
                for key in context.asset_partition_keys}

    def _partitioned(self, context: Any) -> bool:
        return bool(getattr(context, "has_asset_key", False)
                    and getattr(context, "has_asset_partitions", False))

    # --- the IOManager interface ----------------------------------------------------------
    def handle_output(self, context: Any, obj: Any) -> None:
        if self._partitioned(context):
            paths = self._paths_for_partitions(context)
            if len(paths) != 1:
                raise ValueError(
                    f"{type(self).__name__} writes one partition per output; "
                    f"'{context.asset_key.to_user_string()}' got {len(paths)} "
                    f"({', '.join(list(paths)[:5])}). Return a value per partition, or "
                    "override handle_output for a multi-partition run.")
            path = next(iter(paths.values()))
        else:
            path = self._get_path(context)
        self.make_directory(path.parent)
        self.dump_to_path(context, obj, path)
        metadata = {"path": MetadataValue.path(str(path)), **self.get_metadata(context, obj)}
        context.add_output_metadata(metadata)

    def load_input(self, context: Any) -> Any:
        if not self._partitioned(context):
            return self._load_one(context, self._get_path(context))
        paths = self._paths_for_partitions(context)
        wants_dict = getattr(getattr(context, "headwater_type", None), "typing_type", None)
        origin = getattr(wants_dict, "__origin__", wants_dict)
        if len(paths) == 1 and origin not in (dict,):
            return self._load_one(context, next(iter(paths.values())))
        allow_missing = bool(context.definition_metadata.get("allow_missing_partitions"))
        values = {}
        for key, path in paths.items():
            if allow_missing and not self.path_exists(path):
                context.log.debug(f"partition {key} of {context.asset_key.to_user_string()} "
                                  f"is missing at {path}; skipped (allow_missing_partitions)")
                continue
            values[key] = self._load_one(context, path)
        return values

    def _load_one(self, context: Any, path: Any) -> Any:
        try:
            return self.load_from_path(context, path)
        except FileNotFoundError as exc:
            what = (f"asset '{context.asset_key.to_user_string()}'" if context.has_asset_key
                    else f"input '{context.name}'")
            raise FileNotFoundError(
                f"{type(self).__name__} found no stored value for {what} at {path}: "
                "materialize it first (or check base_path).") from exc
