"""The rules of an asset's attributes: tag keys and values, group names, owners, the
automation condition (or the older policy) and freshness policy, each dependency listed once,
and check specs that target the asset's own keys.

Checked once, when an AssetSpec or AssetsDefinition is built (`definition.py`; AssetOut and
AssetCheckSpec reuse the automation rule). Imports `key`, `tags` and `errors` only; the
definitions of this room are named for annotations only, so any module of the room may
import this one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from headwater.definitions.key import AssetKey
from headwater.definitions.tags import KIND_PREFIX
from headwater.errors import HeadwaterInvalidDefinitionError, HeadwaterInvariantViolationError

if TYPE_CHECKING:
    from headwater.definitions.assets.definition import AssetDep

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


def add_unique_dep(deps: list[AssetDep], seen: set[AssetKey], dep: AssetDep, owner: str) -> None:
    """Append `dep` unless `seen` holds its asset already: the same dependency listed twice is
    harmless, the same asset with another partition mapping or metadata is an error."""
    if dep.asset_key in seen:
        if dep in deps:
            return
        raise HeadwaterInvariantViolationError(
            f"Cannot set a dependency on asset {dep.asset_key} more than once per asset: "
            f"{owner} lists it twice in deps with different partition_mapping or metadata. "
            "Keep one AssetDep for it."
        )
    seen.add(dep.asset_key)
    deps.append(dep)


def check_freshness_policy(policy: Any, key: AssetKey) -> Any:
    # FreshnessPolicy lives in the checks room, above this one: recognise it by what it does.
    if policy is None or callable(getattr(policy, "evaluate_freshness", None)):
        return policy
    raise HeadwaterInvalidDefinitionError(
        f"asset '{key.to_user_string()}': freshness_policy must be a FreshnessPolicy, built with "
        "FreshnessPolicy.time_window(fail_window=...) or FreshnessPolicy.cron(deadline_cron=..., "
        f"lower_bound_delta=...); got {type(policy).__name__} {policy!r}.")


def as_automation_condition(value: Any, owner: str) -> Any:
    """An AutomationCondition as given, or the one an AutoMaterializePolicy stands for; anything
    else is refused (the automation room, above this one, defines the class)."""
    if value is None:
        return None
    convert = getattr(value, "to_automation_condition", None)
    if convert is not None:
        value = convert()
    if not (hasattr(value, "unique_id") and callable(getattr(value, "evaluate", None))):
        raise HeadwaterInvalidDefinitionError(
            f"{owner}: automation_condition= got {type(value).__name__} ({value!r}); pass an "
            "AutomationCondition, e.g. AutomationCondition.eager() or "
            "AutomationCondition.on_cron('0 * * * *').")
    return value


def condition_or_policy(condition: Any, policy: Any, owner: str) -> Any:
    """automation_condition=, or the one auto_materialize_policy= stands for; not both."""
    if condition is not None and policy is not None:
        raise HeadwaterInvariantViolationError(
            f"{owner}: pass only one of `automation_condition` and `auto_materialize_policy`, not "
            "both `automation_condition` and `auto_materialize_policy` (a policy is the older "
            "name of a condition).")
    return condition if condition is not None else policy


def check_specs_by_key(check_specs: Sequence[Any] | None, specs_by_key: Mapping[AssetKey, Any],
                        node_def: Any) -> dict[Any, Any]:
    """check_specs= of an asset: each must target one of its assets, each key once."""
    result: dict[Any, Any] = {}
    for spec in check_specs or ():
        key = getattr(spec, "key", None)
        if key is None or not hasattr(spec, "blocking"):
            raise HeadwaterInvalidDefinitionError(
                f"check_specs=[...] got {type(spec).__name__} ({spec!r}); pass AssetCheckSpec("
                "name, asset=...) objects."
            )
        owner = getattr(node_def, "name", None) or "asset"
        if key.asset_key not in specs_by_key:
            raise HeadwaterInvalidDefinitionError(
                f"check_specs of '{owner}' has check '{key.to_user_string()}', whose asset "
                f"'{key.asset_key.to_user_string()}' is not an asset '{owner}' computes "
                f"({sorted(k.to_user_string() for k in specs_by_key)}). Point it at one of "
                "them, or declare it with @asset_check instead."
            )
        if key in result:
            raise HeadwaterInvalidDefinitionError(
                f"Duplicate check specs: '{owner}' declares check '{key.to_user_string()}' "
                "twice. Give each check a distinct name."
            )
        result[key] = spec
    return result
