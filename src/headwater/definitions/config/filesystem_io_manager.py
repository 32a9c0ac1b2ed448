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

    Without `base_dir`, files go under the instance's storage directory.
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
