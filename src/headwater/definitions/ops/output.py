"""What user code returns or yields: Output, DynamicOutput, MaterializeResult, events.

Imports `headwater.errors`, `key`, `metadata` and this room's `data_version` only.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from headwater.definitions.key import AssetKey, to_asset_key
from headwater.definitions.metadata.value import MetadataValue, normalize_metadata
from headwater.definitions.ops.data_version import (
    DataProvenance,
    data_version_from_tags,
)
from headwater.definitions.ops.data_version import (
    DataVersion as DataVersion,
)
from headwater.errors import HeadwaterInvalidDefinitionError, HeadwaterInvariantViolationError

DEFAULT_OUTPUT = "result"
_MAPPING_KEY = re.compile(r"^[A-Za-z0-9_]+$")


def _metadata(value: Mapping[str, Any] | None) -> dict[str, MetadataValue]:
    return normalize_metadata(value) if value else {}


def _raw_metadata(value: Mapping[str, Any] | None) -> dict[str, Any]:
    """Metadata kept as the user wrote it (checked now, so a bad value fails at once)."""
    if value:
        normalize_metadata(value)
    return dict(value or {})


class Output:
    """A value an op or asset produces, wrapped to name its output or attach metadata.

    Returning a bare value is enough for one output; return or yield `Output` to add
    metadata, a data version or tags, or to pick one of several outputs by name.

    Args:
        value: the value the IO manager stores and downstream steps receive.
        output_name: which output the value is for; `"result"` by default.
        metadata: metadata recorded with the output (and the asset materialization).
        data_version: the `DataVersion` of the value, overriding the computed one.
        tags: tags recorded on the asset materialization.

    Example:
        ```python
        from headwater import Out, Output, job, op

        @op(out={"rows": Out(list), "count": Out(int)})
        def split():
            yield Output([4, 5], output_name="rows", metadata={"source": "api"})
            yield Output(2, output_name="count")

        @job
        def pipeline():
            split()

        assert pipeline.execute_in_process().output_for_node("split", "count") == 2
        ```
    """

    __slots__ = ("value", "output_name", "metadata", "data_version", "tags")

    def __class_getitem__(cls, item: Any) -> Any:
        # `-> Output[int]` annotates the value type; the class itself stands for it at runtime.
        import types

        return types.GenericAlias(cls, item)

    def __init__(
        self,
        value: Any,
        output_name: str = DEFAULT_OUTPUT,
        metadata: Mapping[str, Any] | None = None,
        data_version: Any = None,
        tags: Mapping[str, str] | None = None,
    ):
        self.value = value
        self.output_name = output_name
        self.metadata = _metadata(metadata)
        self.data_version = data_version
        self.tags = dict(tags or {})

    def __repr__(self) -> str:
        return f"Output(value={self.value!r}, output_name={self.output_name!r})"

    def __eq__(self, other: object) -> bool:
        return (
            type(other) is type(self)
            and self.value == other.value  # type: ignore[attr-defined]
            and self.output_name == other.output_name  # type: ignore[attr-defined]
            and self.metadata == other.metadata  # type: ignore[attr-defined]
            and self.tags == other.tags  # type: ignore[attr-defined]
        )

    __hash__ = None  # type: ignore[assignment]

    def with_metadata(self, metadata: Mapping[str, Any]) -> Output:
        return Output(self.value, self.output_name, metadata, self.data_version, self.tags)


class DynamicOutput(Output):
    """One element of a dynamic output (`DynamicOut`), which the downstream fan-out maps over.

    Each element runs its own copy of the mapped steps; `mapping_key` names that copy
    (letters, digits and `_` only) and must be unique within the output.

    Args:
        value: the element's value.
        mapping_key: names the element, and the steps mapped over it.
        output_name: which dynamic output the element belongs to; `"result"` by default.
        metadata: metadata recorded with the element.

    Example:
        ```python
        from headwater import DynamicOut, DynamicOutput, job, op

        @op(out=DynamicOut())
        def files():
            for name in ["a", "b"]:
                yield DynamicOutput(name, mapping_key=name)

        @op
        def size(name: str) -> int:
            return len(name * 3)

        @op
        def total(sizes: list[int]) -> int:
            return sum(sizes)

        @job
        def sizes():
            total(files().map(size).collect())

        assert sizes.execute_in_process().output_for_node("total") == 6
        ```
    """

    __slots__ = ("mapping_key",)

    def __init__(
        self,
        value: Any,
        mapping_key: str,
        output_name: str = DEFAULT_OUTPUT,
        metadata: Mapping[str, Any] | None = None,
    ):
        if not isinstance(mapping_key, str) or not _MAPPING_KEY.match(mapping_key):
            raise HeadwaterInvalidDefinitionError(
                f"DynamicOutput mapping_key {mapping_key!r} is invalid: use only letters, "
                "digits and underscores (it becomes part of step keys)."
            )
        super().__init__(value, output_name, metadata)
        self.mapping_key = mapping_key

    def __repr__(self) -> str:
        return (
            f"DynamicOutput(value={self.value!r}, mapping_key={self.mapping_key!r}, "
            f"output_name={self.output_name!r})"
        )

    def __eq__(self, other: object) -> bool:
        return super().__eq__(other) and self.mapping_key == other.mapping_key  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True, init=False)
class AssetMaterialization:
    """A record that an asset (or one of its partitions) was written, with its metadata.

    Assets record one automatically; an op that writes data headwater does not manage logs
    one with `context.log_event(...)` (or yields it), and the asset's history shows it.

    Args:
        asset_key: the asset written (an `AssetKey`, a string or a list of strings).
        description: a note shown with the record.
        metadata: metadata about what was written (row counts, paths, ...).
        partition: the partition written, for a partitioned asset.
        tags: tags recorded with the materialization.

    Example:
        ```python
        from headwater import AssetMaterialization, job, op

        @op
        def export(context):
            context.log_event(AssetMaterialization("exports/orders", metadata={"rows": 3}))

        @job
        def exporting():
            export()

        result = exporting.execute_in_process()
        [record] = result.asset_materializations_for_node("export")
        assert record.asset_key.path == ["exports", "orders"]
        ```
    """

    asset_key: AssetKey
    description: str | None
    metadata: dict[str, MetadataValue]
    partition: str | None
    tags: dict[str, str]

    def __init__(
        self,
        asset_key: Any,
        description: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        partition: str | None = None,
        tags: Mapping[str, str] | None = None,
    ):
        object.__setattr__(self, "asset_key", to_asset_key(asset_key))
        object.__setattr__(self, "description", description)
        object.__setattr__(self, "metadata", _metadata(metadata))
        object.__setattr__(self, "partition", partition)
        object.__setattr__(self, "tags", dict(tags or {}))

    @property
    def label(self) -> str:
        return " ".join(self.asset_key.path)

    @property
    def data_version(self) -> str | None:
        """The data version recorded with this materialization (its `headwater/data_version`)."""
        version = data_version_from_tags(self.tags)
        return None if version is None else version.value

    @property
    def data_provenance(self) -> DataProvenance | None:
        """The code version and input data versions it was computed with, if recorded."""
        return DataProvenance.from_tags(self.tags)

    @staticmethod
    def file(path: str, description: str | None = None, asset_key: Any = None) -> AssetMaterialization:
        return AssetMaterialization(
            asset_key=asset_key or path, description=description,
            metadata={"path": MetadataValue.path(path)},
        )

    def __hash__(self) -> int:
        return hash((self.asset_key, self.partition, self.description))


@dataclass(frozen=True, slots=True, init=False)
class AssetObservation:
    """A record that an asset was looked at, not written: its metadata at that time.

    Observable source assets record one per observation (see `observe`); an op can log
    one with `context.log_event(...)` to note the state of data it only reads.

    Args:
        asset_key: the asset observed (an `AssetKey`, a string or a list of strings).
        description: a note shown with the record.
        metadata: what was seen (row counts, last-modified times, ...).
        partition: the partition observed, for a partitioned asset.
        tags: tags recorded with the observation.

    Example:
        ```python
        from headwater import AssetObservation, job, op

        @op
        def check_source(context):
            context.log_event(AssetObservation("raw_orders", metadata={"rows": 120}))

        @job
        def watching():
            check_source()

        result = watching.execute_in_process()
        [seen] = result.asset_observations_for_node("check_source")
        assert seen.metadata["rows"].value == 120
        ```
    """

    asset_key: AssetKey
    description: str | None
    metadata: dict[str, MetadataValue]
    partition: str | None
    tags: dict[str, str]

    def __init__(
        self,
        asset_key: Any,
        description: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        partition: str | None = None,
        tags: Mapping[str, str] | None = None,
    ):
        object.__setattr__(self, "asset_key", to_asset_key(asset_key))
        object.__setattr__(self, "description", description)
        object.__setattr__(self, "metadata", _metadata(metadata))
        object.__setattr__(self, "partition", partition)
        object.__setattr__(self, "tags", dict(tags or {}))

    def __hash__(self) -> int:
        return hash((self.asset_key, self.partition, self.description))

    @property
    def data_version(self) -> str | None:
        """The data version this observation reported (its `headwater/data_version` tag)."""
        version = data_version_from_tags(self.tags)
        return None if version is None else version.value


@dataclass(frozen=True, slots=True, init=False)
class ExpectationResult:
    """The outcome of a data-quality expectation checked inside an op (an older form of checks).

    Log it with `context.log_event(...)`; it is recorded with the step and does not fail
    it. For checks of assets, prefer `@asset_check`.

    Args:
        success: whether the expectation held.
        label: a short name for the expectation.
        description: what was expected.
        metadata: details, such as the values that failed.

    Example:
        ```python
        from headwater import ExpectationResult, job, op

        @op
        def validate(context):
            rows = [1, 2, None]
            context.log_event(ExpectationResult(success=None not in rows, label="no_nulls"))

        @job
        def checked():
            validate()

        [outcome] = checked.execute_in_process().expectation_results_for_node("validate")
        assert outcome.label == "no_nulls" and outcome.success is False
        ```
    """

    success: bool
    label: str | None
    description: str | None
    metadata: dict[str, MetadataValue]

    def __init__(
        self,
        success: bool,
        label: str | None = None,
        description: str | None = None,
        metadata: Mapping[str, Any] | None = None,
    ):
        object.__setattr__(self, "success", success)
        object.__setattr__(self, "label", label)
        object.__setattr__(self, "description", description)
        object.__setattr__(self, "metadata", _metadata(metadata))


@dataclass(frozen=True, slots=True, init=False)
class MaterializeResult:
    """What an asset returns to report its materialization: metadata, check results, a value.

    Return it when the asset writes its data itself (no IO manager involved), or to attach
    metadata, data versions and check results. A multi-asset returns one per asset, each
    naming its `asset_key`. `value`, when given, is passed to the IO manager.

    Args:
        asset_key: the asset reported; needed only in a multi-asset.
        metadata: metadata recorded with the materialization.
        check_results: `AssetCheckResult`s of checks declared on the asset.
        data_version: the `DataVersion` of what was written.
        tags: tags recorded with the materialization.
        value: a value for the IO manager to store, if any.

    Example:
        ```python
        from headwater import MaterializeResult, asset, materialize

        @asset
        def report_file() -> MaterializeResult:
            with open("report.txt", "w") as f:
                f.write("ok")
            return MaterializeResult(metadata={"path": "report.txt"})

        result = materialize([report_file])
        [event] = result.get_asset_materialization_events()
        assert event.materialization.metadata["path"].value == "report.txt"
        ```
    """

    asset_key: AssetKey | None
    metadata: dict[str, Any]  # as given; the event recording it holds MetadataValues
    check_results: tuple[Any, ...]
    data_version: Any
    tags: dict[str, str]
    value: Any

    def __class_getitem__(cls, item: Any) -> Any:
        # `-> MaterializeResult[int]` types the value the result carries.
        import types

        return types.GenericAlias(cls, item)

    def __init__(
        self,
        *,
        asset_key: Any = None,
        metadata: Mapping[str, Any] | None = None,
        check_results: Any = None,
        data_version: Any = None,
        tags: Mapping[str, str] | None = None,
        value: Any = None,
    ):
        object.__setattr__(self, "asset_key", to_asset_key(asset_key) if asset_key else None)
        object.__setattr__(self, "metadata", _raw_metadata(metadata))
        object.__setattr__(self, "check_results", tuple(check_results or ()))
        object.__setattr__(self, "data_version", data_version)
        object.__setattr__(self, "tags", dict(tags or {}))
        object.__setattr__(self, "value", value)

    def __hash__(self) -> int:
        return hash((self.asset_key, self.data_version))


@dataclass(frozen=True, slots=True, init=False)
class ObserveResult:
    """What an observable source asset returns: the data version it saw, and metadata.

    An alternative to returning a bare `DataVersion`, which also records metadata. A
    multi-observation returns one per asset, each naming its `asset_key`.

    Args:
        asset_key: the asset reported; needed only when several are observed at once.
        metadata: what was seen (row counts, timestamps, ...).
        check_results: `AssetCheckResult`s of checks declared on the asset.
        data_version: the `DataVersion` observed.
        tags: tags recorded with the observation.

    Example:
        ```python
        from headwater import DataVersion, ObserveResult, observable_source_asset, observe

        @observable_source_asset
        def raw_events():
            return ObserveResult(data_version=DataVersion("42"), metadata={"rows": 42})

        result = observe([raw_events])
        [event] = result.get_asset_observation_events()
        assert event.asset_observation_data.asset_observation.metadata["rows"].value == 42
        ```
    """

    asset_key: AssetKey | None
    metadata: dict[str, Any]  # as given; the event recording it holds MetadataValues
    check_results: tuple[Any, ...]
    data_version: Any
    tags: dict[str, str]

    def __init__(
        self,
        *,
        asset_key: Any = None,
        metadata: Mapping[str, Any] | None = None,
        check_results: Any = None,
        data_version: Any = None,
        tags: Mapping[str, str] | None = None,
    ):
        object.__setattr__(self, "asset_key", to_asset_key(asset_key) if asset_key else None)
        object.__setattr__(self, "metadata", _raw_metadata(metadata))
        object.__setattr__(self, "check_results", tuple(check_results or ()))
        object.__setattr__(self, "data_version", data_version)
        object.__setattr__(self, "tags", dict(tags or {}))

    def __hash__(self) -> int:
        return hash((self.asset_key, self.data_version))


def dynamic_outputs_of(op: str, name: str, value: Any) -> list[DynamicOutput]:
    """The DynamicOutputs an op returned for its dynamic output `name` (those left with the
    default output name are taken to be for it)."""
    if not isinstance(value, (list, tuple, Iterator)):
        raise HeadwaterInvariantViolationError(
            f'op "{op}": dynamic output \'{name}\' expected a list of DynamicOutput objects, '
            f"but the op returned an object of type {type(value)}. Return "
            "[DynamicOutput(value, mapping_key=...), ...] (an empty list for none), or yield "
            "each one.")
    items = list(value)
    for index, item in enumerate(items):
        if not isinstance(item, DynamicOutput):
            raise HeadwaterInvariantViolationError(
                f'op "{op}": item {index} returned for dynamic output \'{name}\' is a '
                f"{type(item)}, not a DynamicOutput. Wrap each element: "
                "DynamicOutput(value, mapping_key=...).")
        if item.output_name == DEFAULT_OUTPUT and name != DEFAULT_OUTPUT:
            items[index] = DynamicOutput(item.value, item.mapping_key, name, item.metadata)
    return items



@dataclass(frozen=True, slots=True)
class _Nothing:
    """Marker for 'no value given' where None is a valid value."""


NO_VALUE: Any = _Nothing()


def multiple_outputs_error(op_name: str, outputs: Iterable[str], result: Any
                           ) -> HeadwaterInvariantViolationError:
    """The body of an op with several outputs returned one value (or nothing) for them all."""
    return HeadwaterInvariantViolationError(
        f'op "{op_name}" has multiple outputs, but only one output was returned (a '
        f"{type(result).__name__}); its outputs are {', '.join(outputs)}. Return a tuple with one "
        "value per output, or yield Output(value, name) for each; returning nothing fits only "
        "outputs that are all required and of type Nothing.")
