"""Data versions and provenance: the values, the tags they are stored as, and the hashes.

A materialization records where its data came from in its tags: the asset's code version
(`headwater/code_version`; the run id when the asset declares none, so that such an asset
never looks unchanged), its data version (`headwater/data_version`), and for each parent
asset the parent's data version and the storage id of the parent's event it read
(`headwater/input_data_version/<key>`, `headwater/input_event_pointer/<key>`).

A data version is, in order of precedence: the one user code gave
(`Output(data_version=...)`, `MaterializeResult(data_version=...)`); a hash of the stored
content, for assets and IO managers that opt in (see docs/versions-and-staleness.md); else
the *logical* version, a hash of the code version and the input data versions, so that
recomputing with the same code from the same inputs yields the same version.

Imports `key` and `tags` only; hashing is hashlib's blake2b (fast, in the stdlib). The content
hash itself is computed where values are written (`config/io_manager.py` ContentHasher).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from headwater.definitions.key import AssetKey
from headwater.definitions.tags import (
    CODE_VERSION_TAG,
    DATA_VERSION_IS_USER_PROVIDED_TAG,
    DATA_VERSION_TAG,
    INPUT_DATA_VERSION_PREFIX,
    INPUT_EVENT_POINTER_PREFIX,
)
from headwater.errors import HeadwaterInvalidDefinitionError


@dataclass(frozen=True, slots=True)
class DataVersion:
    """The version of an asset's data: an opaque string that changes when the data does.

    Observable source assets return one from their observation function; assets may set one
    (`Output(data_version=...)`, `MaterializeResult(data_version=...)`), else headwater
    computes one from the code version and the inputs' versions. A non-string value raises
    `HeadwaterInvalidDefinitionError`.

    Args:
        value: the version string (a hash, a timestamp, a row count...).

    Example:
        ```python
        from headwater import DataVersion, observable_source_asset, observe

        @observable_source_asset
        def vendor_file():
            return DataVersion("2024-05-01T10:00")

        [event] = observe([vendor_file]).get_asset_observation_events()
        assert event.asset_observation_data.asset_observation.data_version == "2024-05-01T10:00"
        ```
    """

    value: str

    def __post_init__(self) -> None:
        if not isinstance(self.value, str):
            raise HeadwaterInvalidDefinitionError(
                f"DataVersion({self.value!r}): a data version is a string, got "
                f"{type(self.value).__name__}. Pass str(...) of it, e.g. DataVersion(str(n)).")


#: The data version of a source asset that was never observed.
DEFAULT_DATA_VERSION = DataVersion("INITIAL")
#: The data version of an asset that was never materialized (or was wiped).
NULL_DATA_VERSION = DataVersion("NULL")


class DataVersionsByPartition:
    """The data versions of several partitions, returned by a partitioned observable source asset.

    One observation is recorded per partition. Partition keys must be strings; versions may
    be strings or `DataVersion`s.

    Args:
        data_versions_by_partition: the version of each partition, by partition key.

    Example:
        ```python
        from headwater import DataVersionsByPartition, StaticPartitionsDefinition
        from headwater import observable_source_asset, observe

        @observable_source_asset(partitions_def=StaticPartitionsDefinition(["eu", "us"]))
        def regional_files():
            return DataVersionsByPartition({"eu": "v1", "us": "v2"})

        events = observe([regional_files]).get_asset_observation_events()
        assert len(events) == 2
        ```
    """

    __slots__ = ("data_versions_by_partition",)

    def __init__(self, data_versions_by_partition: Mapping[str, str | DataVersion]):
        versions: dict[str, DataVersion] = {}
        for partition, version in dict(data_versions_by_partition).items():
            if not isinstance(partition, str):
                raise HeadwaterInvalidDefinitionError(
                    f"DataVersionsByPartition: partition key {partition!r} is not a string.")
            versions[partition] = version if isinstance(version, DataVersion) \
                else DataVersion(version)
        self.data_versions_by_partition = versions

    def __repr__(self) -> str:
        plain = {k: v.value for k, v in self.data_versions_by_partition.items()}
        return f"DataVersionsByPartition({plain!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, DataVersionsByPartition) and \
            self.data_versions_by_partition == other.data_versions_by_partition

    __hash__ = None  # type: ignore[assignment]


@dataclass(frozen=True, slots=True)
class DataProvenance:
    """Where a materialization's data came from: the code version, and each parent's version.

    Recorded with each materialization of an asset that has a `code_version`; read it back
    as `AssetMaterialization.data_provenance` to tell whether an asset is stale.

    Args:
        code_version: the code version of the asset that computed the data.
        input_data_versions: the data version of each parent asset it read.
        input_storage_ids: the event (storage id) of each parent's materialization it read.
        is_user_provided: whether user code gave the data version itself.

    Example:
        ```python
        from headwater import asset, materialize

        @asset(code_version="1")
        def prices() -> list[int]:
            return [3, 5]

        @asset(code_version="2")
        def cheapest(prices: list[int]) -> int:
            return min(prices)

        result = materialize([prices, cheapest])
        events = {e.asset_key.to_user_string(): e for e in result.get_asset_materialization_events()}
        provenance = events["cheapest"].materialization.data_provenance
        assert provenance.code_version == "2"
        assert [k.to_user_string() for k in provenance.input_data_versions] == ["prices"]
        ```
    """

    code_version: str
    input_data_versions: Mapping[AssetKey, DataVersion] = field(default_factory=dict)
    input_storage_ids: Mapping[AssetKey, int | None] = field(default_factory=dict)
    is_user_provided: bool = False

    @staticmethod
    def from_tags(tags: Mapping[str, str]) -> DataProvenance | None:
        """The provenance recorded in a materialization's tags (None if it has no code version)."""
        code_version = tags.get(CODE_VERSION_TAG)
        if code_version is None:
            return None
        versions: dict[AssetKey, DataVersion] = {}
        pointers: dict[AssetKey, int | None] = {}
        for tag, value in tags.items():
            if tag.startswith(INPUT_DATA_VERSION_PREFIX):
                key = AssetKey.from_user_string(tag[len(INPUT_DATA_VERSION_PREFIX):])
                versions[key] = DataVersion(value)
            elif tag.startswith(INPUT_EVENT_POINTER_PREFIX):
                key = AssetKey.from_user_string(tag[len(INPUT_EVENT_POINTER_PREFIX):])
                pointers[key] = int(value) if value.isdigit() else None
        return DataProvenance(code_version, versions, pointers,
                              tags.get(DATA_VERSION_IS_USER_PROVIDED_TAG) == "true")

    def to_tags(self) -> dict[str, str]:
        tags = {CODE_VERSION_TAG: self.code_version}
        for key, version in self.input_data_versions.items():
            tags[INPUT_DATA_VERSION_PREFIX + key.to_user_string()] = version.value
        for key, storage_id in self.input_storage_ids.items():
            tags[INPUT_EVENT_POINTER_PREFIX + key.to_user_string()] = \
                "" if storage_id is None else str(storage_id)
        return tags


def data_version_of(value: Any, what: str) -> DataVersion:
    """A DataVersion from what user code passed as `data_version=` (a DataVersion or a str)."""
    if isinstance(value, DataVersion):
        return value
    if isinstance(value, str):
        return DataVersion(value)
    raise HeadwaterInvalidDefinitionError(
        f"{what}: data_version={value!r} is a {type(value).__name__}; pass "
        "DataVersion('...') (or a string).")


def data_version_from_tags(tags: Mapping[str, str]) -> DataVersion | None:
    value = tags.get(DATA_VERSION_TAG)
    return None if value is None else DataVersion(value)


def compute_logical_data_version(code_version: str,
                                 input_data_versions: Mapping[AssetKey, DataVersion]) -> DataVersion:
    """The version of data computed by `code_version` from these inputs: a hash of both,
    the same whenever code and inputs are the same."""
    digest = hashlib.blake2b(code_version.encode(), digest_size=16)
    for key in sorted(input_data_versions):
        digest.update(b"\x00" + key.to_user_string().encode() + b"\x01")
        digest.update(input_data_versions[key].value.encode())
    return DataVersion(digest.hexdigest())


def combine_data_versions(versions: Mapping[str, DataVersion]) -> DataVersion:
    """One version for an input that reads several partitions of a parent."""
    if len(versions) == 1:
        return next(iter(versions.values()))
    digest = hashlib.blake2b(digest_size=16)
    for partition in sorted(versions):
        digest.update(partition.encode() + b"\x00" + versions[partition].value.encode() + b"\x01")
    return DataVersion(digest.hexdigest())


def observed_version_tags(version: Any, what: str) -> dict[str, str]:
    """The data version tags of an observation or output that reported a version `what`
    names (none when it reported no version)."""
    if version is None:
        return {}
    value = data_version_of(version, what).value
    return {DATA_VERSION_TAG: value, DATA_VERSION_IS_USER_PROVIDED_TAG: "true"}
