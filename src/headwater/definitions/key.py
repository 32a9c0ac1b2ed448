"""AssetKey, the name of an asset (a path of strings), AssetCheckKey, the name of a
check on an asset (its asset's key and the check's name), and AssetJobKey, the name of a job
that targets assets.

Imports only `headwater.errors`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple, Union

_VALID_PART = re.compile(r"^[A-Za-z0-9_\-.@ ]*$")


class _KeyFields(NamedTuple):
    parts: tuple[str, ...]


class AssetKey(_KeyFields):
    """The key of an asset: a path of parts, written "a/b" as a string.

    Every asset, source asset and check target is named by one. Build it from a string
    (one part), a list of parts, or `AssetKey.from_user_string("a/b")`. Equality and
    hashing are those of the tuple of parts; `.path` gives the parts as a list. A key is
    one name, not a sequence: iterating or indexing it raises TypeError (use `.path`).

    Args:
        path: one part as a string, or the sequence of parts.

    Example:
        ```python
        from headwater import AssetKey

        key = AssetKey(["warehouse", "orders"])
        assert key.path == ["warehouse", "orders"]
        assert key.to_user_string() == "warehouse/orders"
        assert AssetKey.from_user_string("warehouse/orders") == key
        assert AssetKey("orders").with_prefix("warehouse") == key
        ```
    """

    __slots__ = ()

    @property
    def path(self) -> list[str]:
        return list(self.parts)

    def __iter__(self) -> Any:
        raise TypeError(
            f"Iteration is not allowed on an AssetKey ({self.to_user_string()!r}): it is one "
            "name; iterate over its parts with key.path.")

    def __getitem__(self, index: Any) -> Any:
        raise TypeError(
            f"Index access is not allowed on an AssetKey ({self.to_user_string()!r}): index its "
            "parts with key.path[...] instead.")

    def __getnewargs__(self) -> tuple[tuple[str, ...]]:  # pickling and copying (not iteration)
        return (self.parts,)

    def __new__(cls, path: str | Sequence[str]) -> AssetKey:  # type: ignore[misc]
        if isinstance(path, str):
            parts: tuple[str, ...] = (path,)
        else:
            parts = tuple(path)
        return super().__new__(cls, parts)

    def __repr__(self) -> str:
        return f"AssetKey({list(self.parts)!r})"

    def __str__(self) -> str:
        return f"AssetKey({list(self.parts)!r})"

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, AssetKey):
            return NotImplemented
        return self.parts < other.parts

    def to_user_string(self) -> str:
        return "/".join(self.parts)

    def to_string(self) -> str:
        import json

        return json.dumps(list(self.parts))

    def to_python_identifier(self, suffix: str | None = None) -> str:
        name = "__".join(self.parts).replace("-", "_").replace(".", "_").replace(" ", "_")
        return f"{name}_{suffix}" if suffix else name

    @staticmethod
    def from_user_string(value: str) -> AssetKey:
        return AssetKey(value.split("/"))

    @staticmethod
    def from_db_string(value: str | None) -> AssetKey | None:
        if not value:
            return None
        import json

        if value.startswith("["):
            return AssetKey(json.loads(value))
        return AssetKey(value.split("."))

    @staticmethod
    def get_db_prefix(path: Sequence[str]) -> str:
        import json

        return json.dumps(list(path))[:-2]

    @staticmethod
    def from_coercible(value: CoercibleToAssetKey) -> AssetKey:
        return to_asset_key(value)

    @staticmethod
    def from_graphql_input(value: dict[str, Any]) -> AssetKey:
        return AssetKey(value["path"])

    def with_prefix(self, prefix: CoercibleToAssetKeyPrefix) -> AssetKey:
        return AssetKey([*prefix_path(prefix), *self.parts])

    @property
    def parent(self) -> AssetKey:
        return AssetKey(self.parts[:-1])

    def has_prefix(self, prefix: Sequence[str]) -> bool:
        return len(self.parts) >= len(prefix) and self.parts[: len(prefix)] == tuple(prefix)

    def with_suffix(self, suffix: str) -> AssetKey:
        return AssetKey([*self.parts, suffix])


CoercibleToAssetKey = Union[AssetKey, str, Sequence[str]]
CoercibleToAssetKeyPrefix = Union[str, Sequence[str]]


def prefix_path(prefix: CoercibleToAssetKeyPrefix | None) -> tuple[str, ...]:
    if prefix is None:
        return ()
    if isinstance(prefix, str):
        return (prefix,)
    return tuple(prefix)


def to_asset_key(value: Any) -> AssetKey:
    """Coerce a string ("a/b" is two parts), a list of parts or anything with a `.key`."""
    if isinstance(value, AssetKey):
        return value
    if isinstance(value, str):
        return AssetKey(value.split("/")) if "/" in value else AssetKey(value)
    if isinstance(value, (list, tuple)):
        return AssetKey(value)
    key = getattr(value, "key", None)
    if isinstance(key, AssetKey):
        return key
    from headwater.errors import HeadwaterInvalidDefinitionError

    raise HeadwaterInvalidDefinitionError(
        f"Cannot turn {value!r} into an AssetKey: pass a string ('a/b'), a list of strings, "
        "an AssetKey, or an asset definition."
    )


def to_asset_keys(values: Iterable[Any]) -> tuple[AssetKey, ...]:
    return tuple(to_asset_key(v) for v in values)


def check_key_parts(key: AssetKey) -> str | None:
    """Return a problem with the key's parts, or None."""
    if not key.parts:
        return "an asset key must have at least one part"
    for part in key.parts:
        if not part:
            return f"asset key {key.to_user_string()!r} has an empty part"
    return None


class _CheckKeyFields(NamedTuple):
    asset_key: AssetKey
    name: str


class AssetCheckKey(_CheckKeyFields):
    """The key of an asset check: the key of the asset it checks and the check's name.

    Written "asset/path:check_name" as a string (`to_user_string`, `from_user_string`).
    An empty name raises HeadwaterInvalidDefinitionError.

    Args:
        asset_key: the checked asset, as an AssetKey or anything coercible to one.
        name: the check's name, unique among the checks of that asset.

    Example:
        ```python
        from headwater import AssetCheckKey, AssetKey

        key = AssetCheckKey(["sales", "orders"], "no_nulls")
        assert key.asset_key == AssetKey(["sales", "orders"])
        assert key.to_user_string() == "sales/orders:no_nulls"
        ```
    """

    __slots__ = ()

    def __new__(cls, asset_key: Any, name: str) -> AssetCheckKey:  # type: ignore[misc]
        if not isinstance(name, str) or not name:
            from headwater.errors import HeadwaterInvalidDefinitionError

            raise HeadwaterInvalidDefinitionError(
                f"AssetCheckKey needs a non-empty check name, got {name!r}.")
        return super().__new__(cls, to_asset_key(asset_key), name)

    def __repr__(self) -> str:
        return f"AssetCheckKey(asset_key={self.asset_key!r}, name={self.name!r})"

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, AssetCheckKey):
            return NotImplemented
        return (self.asset_key.path, self.name) < (other.asset_key.path, other.name)

    def to_user_string(self) -> str:
        return f"{self.asset_key.to_user_string()}:{self.name}"

    def to_python_identifier(self) -> str:
        return f"{self.asset_key.to_python_identifier()}_{self.name}"

    @staticmethod
    def from_user_string(value: str) -> AssetCheckKey:
        asset, sep, name = value.rpartition(":")
        if not sep or not asset or not name:
            from headwater.errors import HeadwaterInvalidDefinitionError

            raise HeadwaterInvalidDefinitionError(
                f"{value!r} is not an asset check key: write it as 'asset/path:check_name'.")
        return AssetCheckKey(AssetKey.from_user_string(asset), name)

    @staticmethod
    def from_db_string(value: str) -> AssetCheckKey:
        """The inverse of `to_db_string`: the asset key's JSON string, a colon, the name."""
        asset, _, name = value.rpartition("]:")
        return AssetCheckKey(AssetKey.from_db_string(asset + "]"), name)  # type: ignore[arg-type]

    def to_db_string(self) -> str:
        return f"{self.asset_key.to_string()}:{self.name}"


def to_check_key(value: Any) -> AssetCheckKey:
    """Coerce an AssetCheckKey, an "asset:check" string, or a spec with a `.key`."""
    if isinstance(value, AssetCheckKey):
        return value
    if isinstance(value, str):
        return AssetCheckKey.from_user_string(value)
    key = getattr(value, "key", None)
    if isinstance(key, AssetCheckKey):
        return key
    from headwater.errors import HeadwaterInvalidDefinitionError

    raise HeadwaterInvalidDefinitionError(
        f"Cannot turn {value!r} into an AssetCheckKey: pass AssetCheckKey(asset_key, name), a "
        "string 'asset/path:check_name' or an AssetCheckSpec."
    )


# Either kind of key, as APIs that take assets and checks alike spell it.
AssetOrCheckKey = AssetKey | AssetCheckKey


class _JobKeyFields(NamedTuple):
    job_name: str


class AssetJobKey(_JobKeyFields):
    """The key of a job as an entity beside assets and checks: the job's name.

    Its user string is the bare name; its storage string is a JSON object holding the name,
    so it cannot be mistaken for an asset key (a JSON list) or a check key.

    Args:
        job_name: the name of the job.

    Example:
        ```python
        from headwater import AssetJobKey

        key = AssetJobKey("daily_refresh")
        assert key.to_user_string() == "daily_refresh"
        assert AssetJobKey.from_db_string(key.to_db_string()) == key
        ```
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return f"AssetJobKey(job_name={self.job_name!r})"

    def __serdes_state__(self) -> dict[str, Any]:
        return {"job_name": self.job_name}

    def to_user_string(self) -> str:
        return self.job_name

    @staticmethod
    def from_user_string(value: str) -> AssetJobKey:
        return AssetJobKey(value)

    def to_db_string(self) -> str:
        import json

        return json.dumps({"job_name": self.job_name})

    @staticmethod
    def from_db_string(value: str | None) -> AssetJobKey | None:
        """The inverse of `to_db_string`; None for anything else (asset or check keys too)."""
        import json

        try:
            loaded = json.loads(value) if value else None
        except ValueError:
            return None
        if isinstance(loaded, dict) and set(loaded) == {"job_name"}:
            return AssetJobKey(str(loaded["job_name"]))
        return None

    @staticmethod
    def from_graphql_input(value: dict[str, Any]) -> AssetJobKey:
        return AssetJobKey(value["jobName"])
