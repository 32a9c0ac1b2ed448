"""The naming rules of an asset's attributes: tag keys and values, group names, owners.

Checked once, when an AssetSpec is built (`definition.py`). Imports `key`, `tags` and
`errors` only.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from headwater.definitions.key import AssetKey
from headwater.definitions.tags import KIND_PREFIX
from headwater.errors import HeadwaterInvalidDefinitionError

_TAG_PART = re.compile(r"^[A-Za-z0-9_.\-]{1,63}$")
_KIND = re.compile(r"^[A-Za-z0-9_.\-]{0,63}$")  # the name part of a kind tag may be empty


def check_asset_tags(tags: Mapping[str, Any], owner: str) -> None:
    """Asset tags are short identifiers (they become filters in the UI and selections)."""
    bad_keys = [k for k in tags if not (
        all(_TAG_PART.match(p) for p in k.split("/", 1))
        or (k.startswith(KIND_PREFIX) and _KIND.match(k[len(KIND_PREFIX):])))]
    if bad_keys:
        raise HeadwaterInvalidDefinitionError(
            f"Found invalid tag keys: {bad_keys} on {owner}. A tag key is one part, or two "
            "joined by '/' (a namespace and a name); each part is 1-63 letters, digits, '_', '-' "
            "or '.', e.g. 'team' or 'headwater/priority'."
        )
    for key, value in tags.items():
        if not isinstance(value, str):
            raise HeadwaterInvalidDefinitionError(
                f"Tag {key!r} on {owner} has a {type(value).__name__} value, but tag values are "
                "strings. Use str(...), or put the value in metadata= instead."
            )
        if value and not _TAG_PART.match(value):
            raise HeadwaterInvalidDefinitionError(
                f"Tag {key!r} on {owner} has value {value!r}, which a tag cannot hold: a tag value "
                "is at most 63 letters, digits, '_', '-' or '.'. Put longer or freer text in "
                "metadata= instead."
            )


def check_group_name(name: str) -> None:
    """A group name is one or more '/'-separated parts of letters, digits, '_' and '-'."""
    if name == "":
        raise HeadwaterInvalidDefinitionError(
            "Empty asset group name was provided, which is not permitted: give group_name a "
            "name such as 'sales', or leave it out for the default group.")
    parts = name.split("/")
    if not all(p and all(c.isalnum() or c in "_-" for c in p) for p in parts):
        raise HeadwaterInvalidDefinitionError(
            f"{name!r} is not a valid asset group name: use letters, digits, '_' and '-', "
            "optionally in '/'-separated levels such as 'marketing/emails'.")


_EMAIL = re.compile(r"^[^@\s]+@[A-Za-z0-9\-]+(\.[A-Za-z0-9\-]+)+$")
_TEAM = re.compile(r"^team:[A-Za-z0-9_\- .]+$")


def check_owner(owner: Any, key: AssetKey) -> None:
    if not isinstance(owner, str) or not (_EMAIL.match(owner) or _TEAM.match(owner)):
        raise HeadwaterInvalidDefinitionError(
            f"Invalid owner {owner!r} on asset '{key.to_user_string()}': an owner is an email "
            "address (data@example.com) or a team, written 'team:name'.")
