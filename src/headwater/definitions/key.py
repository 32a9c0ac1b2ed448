"""AssetKey: the name of an asset, a path of strings.

Imports only `headwater.errors`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple, Union

_VALID_PART = re.compile(r"^[A-Za-z0-9_\-.@ ]*$")


class _KeyFields(NamedTuple):
    path: tuple[str, ...]


class AssetKey(_KeyFields):
    """The key of an asset: a tuple of path parts, written "a/b" as a string.

    ``AssetKey("a")``, ``AssetKey(["a", "b"])`` and ``AssetKey.from_user_string("a/b")``.
    Equality and hashing are the tuple's own (fast, in C).
    """

    __slots__ = ()

    def __new__(cls, path: str | Sequence[str]) -> AssetKey:  # type: ignore[misc]
        if isinstance(path, str):
            parts: tuple[str, ...] = (path,)
        else:
            parts = tuple(path)
        return super().__new__(cls, parts)

    def __repr__(self) -> str:
        return f"AssetKey({list(self.path)!r})"

    def __str__(self) -> str:
        return f"AssetKey({list(self.path)!r})"

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, AssetKey):
            return NotImplemented
        return self.path < other.path

    def to_user_string(self) -> str:
        return "/".join(self.path)

    def to_string(self) -> str:
        import json

        return json.dumps(list(self.path))

    def to_python_identifier(self, suffix: str | None = None) -> str:
        name = "__".join(self.path).replace("-", "_").replace(".", "_").replace(" ", "_")
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
        return AssetKey([*prefix_path(prefix), *self.path])

    @property
    def parent(self) -> AssetKey:
        return AssetKey(self.path[:-1])

    def has_prefix(self, prefix: Sequence[str]) -> bool:
        return len(self.path) >= len(prefix) and self.path[: len(prefix)] == tuple(prefix)

    def with_suffix(self, suffix: str) -> AssetKey:
        return AssetKey([*self.path, suffix])


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
    if not key.path:
        return "an asset key must have at least one part"
    for part in key.path:
        if not part:
            return f"asset key {key.to_user_string()!r} has an empty part"
    return None
