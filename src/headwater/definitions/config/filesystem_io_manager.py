"""`FilesystemIOManager(base_dir=...)`: the pythonic-config face of the filesystem IO manager.

Loaded on first use (it builds on pydantic through `configurable`). Imports this layer's
`configurable` and `fs_io_manager`.
"""

from __future__ import annotations

from typing import Any

from headwater.definitions.config.configurable import ConfigurableIOManager
from headwater.definitions.config.fs_io_manager import PickledObjectFilesystemIOManager


class FilesystemIOManager(ConfigurableIOManager):
    """Pickles each output to `base_dir/<asset key path>[/<partition>]`, atomically.

    It stores as the default IO manager does (`fs_io_manager`), with typed config. Without
    `base_dir`, files go under the instance's storage directory (in HEADWATER_HOME). An op
    output that is not an asset goes to `<run id>/<step key>/<output name>`. A file is
    written to a temporary name and renamed, so a crash never leaves half a pickle. A
    partition key that cannot be a file name (empty, or holding '/') is refused before
    anything is written.

    Args:
        base_dir: the folder files go under; None: the instance's storage directory.
        content_hash: True makes each asset's data version a hash of the bytes written.

    Example:
        ```python
        import pickle
        from pathlib import Path

        from headwater import FilesystemIOManager, asset, materialize

        @asset
        def numbers() -> list[int]:
            return [1, 2, 3]

        @asset
        def total(numbers: list[int]) -> int:
            return sum(numbers)

        materialize([numbers, total], resources={"io_manager": FilesystemIOManager(base_dir="out")})
        assert pickle.loads(Path("out/total").read_bytes()) == 6
        ```
    """

    base_dir: str | None = None
    #: True: each asset's data version is a hash of the pickled bytes written for it.
    content_hash: bool = False

    def hashes_content(self) -> bool:
        return self.content_hash

    def _manager(self) -> PickledObjectFilesystemIOManager:
        return PickledObjectFilesystemIOManager(base_dir=self.base_dir, content_hash=self.content_hash)

    def handle_output(self, context: Any, obj: Any) -> None:
        self._manager().handle_output(context, obj)

    def load_input(self, context: Any) -> Any:
        return self._manager().load_input(context)
