"""SourceAsset: an asset produced outside headwater, loadable by downstream assets through an
IO manager, optionally observed by a function (`@observable_source_asset`). Imports this
room's `definition` and the `ops` and `metadata` rooms.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from headwater.definitions.assets.definition import DEFAULT_GROUP, AssetsDefinition, AssetSpec
from headwater.definitions.key import AssetKey
from headwater.definitions.metadata.annotation import resolve_headwater_type
from headwater.definitions.metadata.value import normalize_metadata
from headwater.definitions.ops.inout import OutputDefinition
from headwater.definitions.ops.op import OpDefinition, inspect_signature
from headwater.definitions.ops.output import DEFAULT_OUTPUT


def own_io_manager_key(key: AssetKey) -> str:
    """The resource key of an IO manager passed to an asset as a definition (io_manager_def=)
    rather than by key: the asset's own, `<asset>__io_manager`."""
    return f"{key.to_python_identifier()}__io_manager"


class SourceAsset(AssetsDefinition):
    """An asset produced outside headwater, loadable by downstream assets through an IO manager.

    A downstream asset that names a source asset as a parameter gets its value from the
    source's IO manager. Prefer AssetSpec for external data that is not loaded, and
    `@observable_source_asset` for a source that reports its version.

    Args:
        key: the asset key.
        metadata: static metadata, also handed to the IO manager.
        io_manager_key: the resource key of the IO manager that loads it ("io_manager").
        io_manager_def: an IO manager bound to this source only.
        description: shown in the UI.
        partitions_def: the partitions of the source.
        group_name: the group shown in the UI.
        resource_defs: resources bound to this source only.
        observe_fn: a function returning a DataVersion, making the source observable.
        op_tags: tags of the observing step.
        tags: tags of the source.
        owners: people or teams owning the source.
        kinds: technologies shown as badges.
        required_resource_keys: resources `observe_fn` reaches through `context.resources`.

    Example:
        ```python
        from headwater import IOManager, SourceAsset, asset, io_manager, materialize

        class Constant(IOManager):
            def handle_output(self, context, obj):
                pass

            def load_input(self, context):
                return [1, 2, 3]

        @io_manager
        def constant_io(_):
            return Constant()

        vendor = SourceAsset("vendor_file", io_manager_key="vendor_io")

        @asset
        def vendor_rows(vendor_file: list[int]) -> int:
            return len(vendor_file)

        result = materialize([vendor, vendor_rows], resources={"vendor_io": constant_io})
        assert result.output_for_node("vendor_rows") == 3
        ```
    """

    def __init__(
        self,
        key: Any,
        metadata: Mapping[str, Any] | None = None,
        io_manager_key: str | None = None,
        io_manager_def: Any = None,
        description: str | None = None,
        partitions_def: Any = None,
        group_name: str | None = None,
        resource_defs: Mapping[str, Any] | None = None,
        observe_fn: Callable[..., Any] | None = None,
        op_tags: Mapping[str, Any] | None = None,
        tags: Mapping[str, str] | None = None,
        owners: Sequence[str] | None = None,
        kinds: Iterable[str] | None = None,
        required_resource_keys: Iterable[str] | None = None,
    ):
        spec = AssetSpec(key, metadata=metadata, description=description, group_name=group_name,
                         partitions_def=partitions_def, tags=tags, owners=owners, kinds=kinds)
        res = dict(resource_defs or {})
        if io_manager_def is not None:
            io_manager_key = io_manager_key or own_io_manager_key(spec.key)
            res[io_manager_key] = io_manager_def
        io_manager_key = io_manager_key or "io_manager"
        node_def = None
        if observe_fn is not None:
            sig = inspect_signature(observe_fn, "@observable_source_asset")
            node_def = OpDefinition(
                observe_fn, name=spec.key.to_python_identifier(), tags=op_tags,
                required_resource_keys=sorted(required_resource_keys or ()),
                # downstream assets load this asset through its IO manager
                input_defs={}, output_defs={DEFAULT_OUTPUT: OutputDefinition(
                    DEFAULT_OUTPUT, resolve_headwater_type(None), io_manager_key=io_manager_key)},
                signature=sig,
            )
        super().__init__(
            specs=[spec],
            keys_by_output_name={DEFAULT_OUTPUT: spec.key} if node_def else {},
            node_def=node_def,
            resource_defs=res,
            partitions_def=partitions_def,
            execution_type="OBSERVATION" if observe_fn else "UNEXECUTABLE",
            io_manager_keys={spec.key: io_manager_key},
        )
        self.io_manager_key = io_manager_key
        self.observe_fn = observe_fn

    @property
    def io_manager_def(self) -> Any:
        return self.resource_defs.get(self.io_manager_key)

    def get_io_manager_key(self) -> str:
        """The resource key of the IO manager that loads this asset."""
        return self.io_manager_key

    @property
    def tags(self) -> Mapping[str, str]:
        return self.specs_by_key[self.key].tags

    @property
    def owners(self) -> Sequence[str]:
        return self.specs_by_key[self.key].owners

    @property
    def kinds(self) -> frozenset[str]:
        return self.specs_by_key[self.key].kinds

    @property
    def metadata(self) -> Mapping[str, Any]:
        # MetadataValues, never failing; IO managers still see the raw values
        return normalize_metadata(self.specs_by_key[self.key].metadata, allow_invalid=True)

    @property
    def group_name(self) -> str:
        return self.specs_by_key[self.key].group_name or DEFAULT_GROUP

    @property
    def description(self) -> str | None:
        return self.specs_by_key[self.key].description

    @property
    def is_observable(self) -> bool:
        return self.observe_fn is not None

    def _as_graph_input(self) -> AssetsDefinition:
        """Passed to an op inside a graph body: loaded with this asset's IO manager."""
        return self
