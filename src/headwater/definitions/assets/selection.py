"""AssetSelection: which assets a job, schedule or sensor targets.

Owns the `AssetSelection` tree (built with `AssetSelection.keys(...)`,
`.groups(...)`, `.upstream()`, `|`, `&`, `-` ...), its resolution to a set
of `AssetKey`s against an `AssetGraphView` (graph_view.py), and the string
syntax below, which `AssetSelection.from_string` parses with selection_syntax.py.

Imports only the stdlib, `headwater.errors`, `headwater.definitions.key` and its two
helpers in this room. It must not import the asset or `Definitions` modules: they
import this one, and hand it a graph through the `AssetGraphView` protocol.

Resolution walks the graph breadth-first over plain sets, so an
upstream/downstream selection costs O(assets + edges) with no recursion.

The string syntax accepts both forms users write, and any mix of them::

    *a  a*  +a  ++a  a+  *a*  prefix/a        classic clauses (no spaces inside;
                                               each '+' is one level, '*' is all)
    key:a  key:"raw/*"  group:g  tag:k=v  tag:k  owner:"team:x"  kind:dbt
    +key:a  key:a+  2+key:a  key:a+1  +group:g+  (unbounded unless a number is given)
    not X   X and Y   X or Y   X, Y   X Y     (a comma or a space means or)
    roots(X)  sinks(X)  (X)  *
"""

from __future__ import annotations

import difflib
import re
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from headwater.definitions.assets.graph_view import AssetDefinitionsView, AssetGraphView
from headwater.definitions.assets.selection_syntax import parse_selection
from headwater.definitions.key import AssetCheckKey, AssetKey, to_asset_key
from headwater.errors import HeadwaterInvalidDefinitionError, HeadwaterInvalidSubsetError

__all__ = ["AssetGraphView", "AssetSelection"]




class _Context:
    """One resolution: the graph plus the unknown keys met along the way."""

    __slots__ = ("graph", "missing", "missing_checks")

    def __init__(self, graph: AssetGraphView):
        self.graph = graph
        self.missing: set[AssetKey] = set()
        self.missing_checks: set[AssetCheckKey] = set()

    def universe(self, include_sources: bool) -> frozenset[AssetKey]:
        return self.graph.all_keys if include_sources else self.graph.materializable_keys


def _walk(
    start: Iterable[AssetKey], step: Callable[[AssetKey], Iterable[AssetKey]], depth: int | None
) -> set[AssetKey]:
    """Keys reachable from `start` in at most `depth` steps (all when None), `start` included."""
    seen = set(start)
    frontier = list(seen)
    level = 0
    while frontier and (depth is None or level < depth):
        level += 1
        reached: list[AssetKey] = []
        for key in frontier:
            for nxt in step(key):
                if nxt not in seen:
                    seen.add(nxt)
                    reached.append(nxt)
        frontier = reached
    return seen


def _strict_reach(
    start: set[AssetKey], step: Callable[[AssetKey], Iterable[AssetKey]]
) -> set[AssetKey]:
    """Keys reachable from `start` in one step or more."""
    first = {nxt for key in start for nxt in step(key)}
    return _walk(first, step, None)


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


class AssetSelection:
    """A description of a set of assets, resolved against a graph with `resolve`.

    Jobs, schedules, sensors and automation take one to say which assets they target. Build
    one with the static constructors (`all`, `assets`, `groups`, `key_prefixes`, `tag`, ...),
    walk the graph with `upstream`/`downstream`, combine with `|` (union), `&` (intersection)
    and `-` (difference), or parse the string syntax with `from_string`. Resolving a
    selection that names unknown keys raises an error listing them.

    Example:
        ```python
        from headwater import AssetKey, AssetSelection, Definitions, asset

        @asset(group_name="raw")
        def orders() -> int:
            return 1

        @asset
        def revenue(orders: int) -> int:
            return orders

        @asset
        def unrelated() -> int:
            return 0

        graph = Definitions(assets=[orders, revenue, unrelated]).resolve_asset_graph()
        selection = AssetSelection.groups("raw").downstream()
        assert selection.resolve(graph) == {AssetKey("orders"), AssetKey("revenue")}
        assert AssetSelection.from_string("key:revenue").resolve(graph) == {AssetKey("revenue")}
        ```
    """

    __slots__ = ()

    # -- constructors ------------------------------------------------------

    @staticmethod
    def all(include_sources: bool = False) -> AllSelection:
        """Every materializable asset; external/source assets too with include_sources."""
        return AllSelection(include_sources)

    @staticmethod
    def assets(*assets_defs: Any) -> KeysAssetSelection:
        """The given assets: keys, "a/b" strings, lists of parts, or asset definitions (all their keys)."""
        keys: list[AssetKey] = []
        for item in assets_defs:
            many = getattr(item, "keys", None)
            if many is not None and not callable(many) and not isinstance(item, (str, list, tuple)):
                keys.extend(sorted(to_asset_key(k) for k in many))
            else:
                keys.append(to_asset_key(item))
        return KeysAssetSelection(tuple(keys))

    @staticmethod
    def keys(*asset_keys: Any) -> KeysAssetSelection:
        """The assets with these keys; resolving raises if one is not in the graph."""
        return KeysAssetSelection(tuple(to_asset_key(k) for k in asset_keys))

    @staticmethod
    def key_prefixes(
        *key_prefixes: str | Sequence[str], include_sources: bool = False
    ) -> KeyPrefixesAssetSelection:
        """Assets whose key starts with one of the prefixes; a string is one part ("a/b" is not split)."""
        prefixes = tuple((p,) if isinstance(p, str) else tuple(p) for p in key_prefixes)
        return KeyPrefixesAssetSelection(prefixes, include_sources)

    @staticmethod
    def key_substring(
        key_substring: str, include_sources: bool = False
    ) -> KeySubstringAssetSelection:
        """Assets whose "a/b" key string contains `key_substring`."""
        return KeySubstringAssetSelection(key_substring, include_sources)

    @staticmethod
    def groups(*group_strs: str, include_sources: bool = False) -> GroupsAssetSelection:
        """Assets in any of these groups (unset group is "default")."""
        return GroupsAssetSelection(tuple(group_strs), include_sources)

    @staticmethod
    def tag(key: str, value: str, include_sources: bool = False) -> TagAssetSelection:
        """Assets whose tag `key` equals `value` exactly (value "" matches only an empty value)."""
        return TagAssetSelection(key, value, include_sources)

    @staticmethod
    def tag_string(string: str, include_sources: bool = False) -> TagAssetSelection:
        """`tag` from "key=value" or "key" (empty value)."""
        if string.count("=") > 1:
            raise HeadwaterInvalidDefinitionError(
                f"Tag selection {string!r} has more than one '='. Write 'key=value' or 'key', "
                "or use AssetSelection.tag(key, value)."
            )
        key, _, value = string.partition("=")
        return TagAssetSelection(key, value, include_sources)

    @staticmethod
    def owner(owner: str | None) -> OwnerAssetSelection:
        """Assets owned by `owner` (a user email or "team:name"), external ones included."""
        return OwnerAssetSelection(owner)

    @staticmethod
    def kind(kind: str | None, include_sources: bool = False) -> KindAssetSelection:
        """Assets with this kind; None selects assets without any kind."""
        return KindAssetSelection(kind, include_sources)

    # The string syntax's `key:` (with wildcards) and `code_location:` have no constructor in
    # the public API; the parser (selection_syntax.py) builds them through these two.
    @staticmethod
    def _key_wildcard(pattern: str) -> KeyWildCardAssetSelection:
        return KeyWildCardAssetSelection(pattern)

    @staticmethod
    def _code_location(name: str) -> CodeLocationAssetSelection:
        return CodeLocationAssetSelection(name)

    @classmethod
    def from_string(cls, string: str, include_sources: bool = False) -> AssetSelection:
        """Parse the selection syntax described in this module's docstring."""
        return parse_selection(string, include_sources, cls)

    @classmethod
    def from_coercible(cls, selection: Any) -> AssetSelection:
        """A selection from a string, a list of strings/keys/asset definitions, or a selection."""
        if isinstance(selection, AssetSelection):
            return selection
        if isinstance(selection, str):
            return cls.from_string(selection)
        if isinstance(selection, (list, tuple, set, frozenset)):
            items = list(selection)
            if not any(isinstance(item, str) for item in items):
                return cls.assets(*items)
            parts = [cls.from_string(i) if isinstance(i, str) else cls.assets(i) for i in items]
            return _union(parts)
        if getattr(selection, "keys", None) is not None or isinstance(
            getattr(selection, "key", None), AssetKey
        ):
            return cls.assets(selection)
        raise HeadwaterInvalidDefinitionError(
            f"Cannot use {selection!r} (a {type(selection).__name__}) as an asset selection. Pass a "
            "selection string such as 'group:g or key:a+', a list of asset keys or asset definitions, "
            "or an AssetSelection."
        )

    # -- derived selections ------------------------------------------------

    def materializable(self) -> MaterializableAssetSelection:
        """This selection without external/source assets."""
        return MaterializableAssetSelection(self)

    def roots(self) -> RootsAssetSelection:
        """Selected assets with no selected ancestor, however far up."""
        return RootsAssetSelection(self)

    def sources(self) -> RootsAssetSelection:
        """Same as `roots()`, under its older, deprecated name."""
        warnings.warn(
            "AssetSelection.sources() is deprecated and will be removed; call .roots() instead "
            "(it selects the same assets).",
            DeprecationWarning,
            stacklevel=2,
        )
        return RootsAssetSelection(self)

    def sinks(self) -> SinksAssetSelection:
        """Selected assets with no selected descendant, however far down."""
        return SinksAssetSelection(self)

    def upstream(
        self, depth: int | None = None, include_self: bool = True
    ) -> UpstreamAssetSelection:
        """Ancestors up to `depth` levels (all when None); external/source assets are left out."""
        _check_depth(depth)
        return UpstreamAssetSelection(self, depth, include_self)

    def downstream(
        self, depth: int | None = None, include_self: bool = True
    ) -> DownstreamAssetSelection:
        """Descendants down to `depth` levels (all when None)."""
        _check_depth(depth)
        return DownstreamAssetSelection(self, depth, include_self)

    def upstream_source_assets(self) -> ParentSourcesAssetSelection:
        """The external/source assets that selected assets depend on, at any distance."""
        return ParentSourcesAssetSelection(self)

    def required_multi_asset_neighbors(self) -> RequiredNeighborsAssetSelection:
        """Add the assets that a selected asset's multi-asset cannot materialize without
        (every output of a multi-asset that is not `can_subset`)."""
        return RequiredNeighborsAssetSelection(self)

    def without_checks(self) -> AssetSelection:
        """The same assets, and none of their checks."""
        return WithoutChecksSelection(self)

    # -- checks ----------------------------------------------------------------
    # An asset selection holds its assets' checks too; these select checks alone.

    @staticmethod
    def checks(*assets_defs_or_check_keys: Any) -> AssetSelection:
        """These checks (AssetCheckKeys, or every check of the given checks definitions)."""
        keys: list[AssetCheckKey] = []
        for value in assets_defs_or_check_keys:
            if isinstance(value, AssetCheckKey):
                keys.append(value)
            elif getattr(value, "check_keys", None) is not None:
                keys.extend(sorted(value.check_keys))
            elif isinstance(getattr(value, "key", None), AssetCheckKey):
                keys.append(value.key)
            else:
                raise HeadwaterInvalidDefinitionError(
                    f"AssetSelection.checks() got {value!r}; pass AssetCheckKeys, AssetCheckSpecs "
                    "or @asset_check / @multi_asset_check definitions.")
        return ChecksSelection(tuple(keys))

    @staticmethod
    def checks_for_assets(*assets_defs: Any) -> AssetSelection:
        """Every check on the given assets, without the assets themselves."""
        return ChecksForAssetsSelection(AssetSelection.assets(*assets_defs))

    @staticmethod
    def all_asset_checks() -> AssetSelection:
        """Every check in the graph, without the assets."""
        return ChecksForAssetsSelection(AllSelection(include_sources=True))

    def resolve_checks(self, all_assets: Any, allow_missing: bool = False) -> set[AssetCheckKey]:
        """The check keys this selection holds in `all_assets` (a graph or definitions)."""
        graph = (
            all_assets if isinstance(all_assets, AssetGraphView) else AssetDefinitionsView(all_assets)
        )
        ctx = _Context(graph)
        selected = set(self._select_checks(ctx))
        if ctx.missing and not allow_missing:
            raise _missing_keys_error(ctx.missing, graph.all_keys)
        if ctx.missing_checks and not allow_missing:
            names = sorted(k.to_user_string() for k in ctx.missing_checks)
            known = sorted(k.to_user_string() for k in graph.check_keys())
            raise HeadwaterInvalidSubsetError(
                f"AssetCheckKey(s) {names} were selected, but no definitions supply these keys. "
                f"The checks defined are {known[:20]}{' ...' if len(known) > 20 else ''}; pass "
                "the missing ones in Definitions(asset_checks=[...]) or fix the names."
            )
        return selected

    def _select_checks(self, ctx: _Context) -> set[AssetCheckKey]:
        assets = self._select(ctx)
        return {k for k in ctx.graph.check_keys() if k.asset_key in assets}

    # -- operators -----------------------------------------------------------

    def __or__(self, other: object) -> AssetSelection:
        if not isinstance(other, AssetSelection):
            return NotImplemented
        return _union([self, other])

    def __and__(self, other: object) -> AssetSelection:
        if not isinstance(other, AssetSelection):
            return NotImplemented
        left = self.operands if isinstance(self, AndAssetSelection) else (self,)
        right = other.operands if isinstance(other, AndAssetSelection) else (other,)
        return AndAssetSelection(left + right)

    def __sub__(self, other: object) -> AssetSelection:
        if not isinstance(other, AssetSelection):
            return NotImplemented
        return SubtractAssetSelection(self, other)

    # -- resolution ----------------------------------------------------------

    def resolve(self, all_assets: Any, allow_missing: bool = False) -> set[AssetKey]:
        """The selected keys in `all_assets` (an AssetGraphView or an iterable of asset definitions).

        Raises HeadwaterInvalidSubsetError when `keys(...)` names a key that is
        not in the graph, unless `allow_missing`.
        """
        graph = (
            all_assets if isinstance(all_assets, AssetGraphView) else AssetDefinitionsView(all_assets)
        )
        ctx = _Context(graph)
        selected = set(self._select(ctx))
        if ctx.missing and not allow_missing:
            raise _missing_keys_error(ctx.missing, graph.all_keys)
        return selected

    def _select(self, ctx: _Context) -> set[AssetKey] | frozenset[AssetKey]:
        raise NotImplementedError

    # -- text ----------------------------------------------------------------

    def to_selection_str(self) -> str:
        """The selection in the string syntax (exact for everything the syntax can express)."""
        return self._to_str()

    def __str__(self) -> str:
        return self._to_str()

    def _to_str(self) -> str:
        return repr(self)

    def _needs_parens(self) -> bool:
        return False

    def _operand_str(self) -> str:
        text = self._to_str()
        return f"({text})" if self._needs_parens() else text


def _check_depth(depth: int | None) -> None:
    if depth is not None and depth < 0:
        raise HeadwaterInvalidDefinitionError(f"depth must be None or >= 0, got {depth}.")


def _union(parts: Sequence[AssetSelection]) -> AssetSelection:
    flat: list[AssetSelection] = []
    for part in parts:
        flat.extend(part.operands if isinstance(part, OrAssetSelection) else (part,))
    if not flat:
        return KeysAssetSelection(())
    return flat[0] if len(flat) == 1 else OrAssetSelection(tuple(flat))


def _missing_keys_error(
    missing: set[AssetKey], known: frozenset[AssetKey]
) -> HeadwaterInvalidSubsetError:
    names = sorted(k.to_user_string() for k in missing)
    lines = [
        f"AssetKey(s) {names} were selected, but the asset graph has no assets with these keys. "
        "Check the spelling, and that every asset is passed to Definitions(assets=...)."
    ]
    known_strings = {k.to_user_string(): k for k in known}
    for key in sorted(missing):
        close = {
            k.to_user_string()
            for k in known
            if len(k.path) != len(key.path)
            and (k.path[-len(key.path) :] == key.path or key.path[-len(k.path) :] == k.path)
        }
        close.update(
            difflib.get_close_matches(key.to_user_string(), list(known_strings), n=3, cutoff=0.8)
        )
        if close:
            lines.append(
                f"  - for {key.to_user_string()!r}, did you mean {' or '.join(map(repr, sorted(close)))}?"
            )
    return HeadwaterInvalidSubsetError("\n".join(lines))


# -- leaf selections -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AllSelection(AssetSelection):
    include_sources: bool = False

    def _select(self, ctx: _Context) -> frozenset[AssetKey]:
        return ctx.universe(self.include_sources)

    def _to_str(self) -> str:
        return "*"


@dataclass(frozen=True, slots=True)
class KeysAssetSelection(AssetSelection):
    selected_keys: tuple[AssetKey, ...]

    def _select(self, ctx: _Context) -> set[AssetKey]:
        known = ctx.graph.all_keys
        ctx.missing.update(k for k in self.selected_keys if k not in known)
        return {k for k in self.selected_keys if k in known}

    def _to_str(self) -> str:
        return " or ".join(f"key:{_quote(k.to_user_string())}" for k in self.selected_keys)

    def _needs_parens(self) -> bool:
        return len(self.selected_keys) > 1


@dataclass(frozen=True, slots=True)
class KeyPrefixesAssetSelection(AssetSelection):
    selected_key_prefixes: tuple[tuple[str, ...], ...]
    include_sources: bool = False

    def _select(self, ctx: _Context) -> set[AssetKey]:
        return {
            k
            for k in ctx.universe(self.include_sources)
            if any(k.has_prefix(p) for p in self.selected_key_prefixes)
        }


@dataclass(frozen=True, slots=True)
class KeySubstringAssetSelection(AssetSelection):
    selected_key_substring: str
    include_sources: bool = False

    def _select(self, ctx: _Context) -> set[AssetKey]:
        sub = self.selected_key_substring
        return {k for k in ctx.universe(self.include_sources) if sub in k.to_user_string()}

    def _to_str(self) -> str:
        return f"key_substring:{_quote(self.selected_key_substring)}"


@dataclass(frozen=True, slots=True)
class KeyWildCardAssetSelection(AssetSelection):
    """`key:` in the string syntax: an "a/b" key where `*` matches any run of characters, '/' too."""

    selected_key_wildcard: str

    def _select(self, ctx: _Context) -> set[AssetKey]:
        pattern = self.selected_key_wildcard
        if "*" not in pattern:
            key = AssetKey.from_user_string(pattern)
            return {key} if key in ctx.graph.all_keys else set()
        regex = re.compile(".*".join(re.escape(part) for part in pattern.split("*")))
        return {k for k in ctx.graph.all_keys if regex.fullmatch(k.to_user_string())}

    def _to_str(self) -> str:
        return f"key:{_quote(self.selected_key_wildcard)}"


@dataclass(frozen=True, slots=True)
class GroupsAssetSelection(AssetSelection):
    selected_groups: tuple[str, ...]
    include_sources: bool = False

    def _select(self, ctx: _Context) -> set[AssetKey]:
        groups = set(self.selected_groups)
        return {k for k in ctx.universe(self.include_sources) if ctx.graph.group_name(k) in groups}

    def _to_str(self) -> str:
        return " or ".join(f"group:{_quote(g)}" for g in self.selected_groups)

    def _needs_parens(self) -> bool:
        return len(self.selected_groups) > 1


@dataclass(frozen=True, slots=True)
class TagAssetSelection(AssetSelection):
    key: str
    value: str
    include_sources: bool = False

    def _select(self, ctx: _Context) -> set[AssetKey]:
        return {
            k
            for k in ctx.universe(self.include_sources)
            if ctx.graph.tags(k).get(self.key) == self.value
        }

    def _to_str(self) -> str:
        value = f"={_quote(self.value)}" if self.value else ""
        return f"tag:{_quote(self.key)}{value}"


@dataclass(frozen=True, slots=True)
class OwnerAssetSelection(AssetSelection):
    selected_owner: str | None

    def _select(self, ctx: _Context) -> set[AssetKey]:
        if self.selected_owner is None:
            return {k for k in ctx.graph.all_keys if not ctx.graph.owners(k)}
        return {k for k in ctx.graph.all_keys if self.selected_owner in ctx.graph.owners(k)}

    def _to_str(self) -> str:
        return repr(self) if self.selected_owner is None else f"owner:{_quote(self.selected_owner)}"


@dataclass(frozen=True, slots=True)
class KindAssetSelection(AssetSelection):
    kind_str: str | None
    include_sources: bool = False

    def _select(self, ctx: _Context) -> set[AssetKey]:
        universe = ctx.universe(self.include_sources)
        if self.kind_str is None:
            return {k for k in universe if not ctx.graph.kinds(k)}
        return {k for k in universe if self.kind_str in ctx.graph.kinds(k)}

    def _to_str(self) -> str:
        return repr(self) if self.kind_str is None else f"kind:{_quote(self.kind_str)}"


@dataclass(frozen=True, slots=True)
class CodeLocationAssetSelection(AssetSelection):
    """`code_location:` in the string syntax; only a server that sees every location can resolve it."""

    selected_code_location: str

    def _select(self, ctx: _Context) -> set[AssetKey]:
        raise HeadwaterInvalidSubsetError(
            f"Selection 'code_location:{self.selected_code_location}' cannot be resolved inside one code "
            "location: every asset a Definitions object holds is in the same location. Remove the "
            "code_location: clause, or select by key, group or tag."
        )

    def _to_str(self) -> str:
        return f"code_location:{_quote(self.selected_code_location)}"


# -- selections built from other selections -----------------------------------


@dataclass(frozen=True, slots=True)
class MaterializableAssetSelection(AssetSelection):
    child: AssetSelection

    def _select(self, ctx: _Context) -> set[AssetKey]:
        return set(self.child._select(ctx)) & ctx.graph.materializable_keys


@dataclass(frozen=True, slots=True)
class UpstreamAssetSelection(AssetSelection):
    child: AssetSelection
    depth: int | None = None
    include_self: bool = True

    def _select(self, ctx: _Context) -> set[AssetKey]:
        start = set(self.child._select(ctx))
        # Like Dagster: what an upstream selection returns is always materializable.
        found = _walk(start, ctx.graph.parents, self.depth) & ctx.graph.materializable_keys
        return found if self.include_self else found - start

    def _to_str(self) -> str:
        return _traversal_str(self.child, self.depth, self.include_self, upstream=True)

    def _needs_parens(self) -> bool:
        return not self.include_self


@dataclass(frozen=True, slots=True)
class DownstreamAssetSelection(AssetSelection):
    child: AssetSelection
    depth: int | None = None
    include_self: bool = True

    def _select(self, ctx: _Context) -> set[AssetKey]:
        start = set(self.child._select(ctx))
        found = _walk(start, ctx.graph.children, self.depth)
        return found if self.include_self else found - start

    def _to_str(self) -> str:
        return _traversal_str(self.child, self.depth, self.include_self, upstream=False)

    def _needs_parens(self) -> bool:
        return not self.include_self


def _traversal_str(
    child: AssetSelection, depth: int | None, include_self: bool, upstream: bool
) -> str:
    inner = child._operand_str()
    if isinstance(
        child, (UpstreamAssetSelection, DownstreamAssetSelection)
    ) and not inner.startswith("("):
        inner = f"({inner})"
    if depth == 0:
        text = inner
    elif upstream:
        text = f"{'' if depth is None else depth}+{inner}"
    else:
        text = f"{inner}+{'' if depth is None else depth}"
    return text if include_self else f"{text} and not {inner}"


@dataclass(frozen=True, slots=True)
class RootsAssetSelection(AssetSelection):
    child: AssetSelection

    def _select(self, ctx: _Context) -> set[AssetKey]:
        selected = set(self.child._select(ctx))
        return selected - _strict_reach(selected, ctx.graph.children)

    def _to_str(self) -> str:
        return f"roots({self.child._to_str()})"


@dataclass(frozen=True, slots=True)
class SinksAssetSelection(AssetSelection):
    child: AssetSelection

    def _select(self, ctx: _Context) -> set[AssetKey]:
        selected = set(self.child._select(ctx))
        return selected - _strict_reach(selected, ctx.graph.parents)

    def _to_str(self) -> str:
        return f"sinks({self.child._to_str()})"


@dataclass(frozen=True, slots=True)
class ParentSourcesAssetSelection(AssetSelection):
    child: AssetSelection

    def _select(self, ctx: _Context) -> set[AssetKey]:
        materializable = ctx.graph.materializable_keys
        ancestors = _strict_reach(set(self.child._select(ctx)), ctx.graph.parents)
        return {p for p in ancestors if p not in materializable and p in ctx.graph.all_keys}


@dataclass(frozen=True, slots=True)
class RequiredNeighborsAssetSelection(AssetSelection):
    child: AssetSelection

    def _select(self, ctx: _Context) -> set[AssetKey]:
        return {n for k in self.child._select(ctx) for n in ctx.graph.required_neighbors(k)}


@dataclass(frozen=True, slots=True)
class OrAssetSelection(AssetSelection):
    operands: tuple[AssetSelection, ...]

    def _select(self, ctx: _Context) -> set[AssetKey]:
        result: set[AssetKey] = set()
        for operand in self.operands:
            result |= operand._select(ctx)
        return result

    def _select_checks(self, ctx: _Context) -> set[AssetCheckKey]:
        result: set[AssetCheckKey] = set()
        for operand in self.operands:
            result |= operand._select_checks(ctx)
        return result

    def _to_str(self) -> str:
        # nested unions are flattened when built, so an operand needing parentheses is an
        # intersection, a difference, or a leaf that names several keys or groups
        return " or ".join(o._operand_str() for o in self.operands)

    def _needs_parens(self) -> bool:
        return True


@dataclass(frozen=True, slots=True)
class AndAssetSelection(AssetSelection):
    operands: tuple[AssetSelection, ...]

    def _select(self, ctx: _Context) -> set[AssetKey]:
        results = [set(o._select(ctx)) for o in self.operands]
        return set.intersection(*results) if results else set()

    def _select_checks(self, ctx: _Context) -> set[AssetCheckKey]:
        results = [o._select_checks(ctx) for o in self.operands]
        return set.intersection(*results) if results else set()

    def _to_str(self) -> str:
        return " and ".join(o._operand_str() for o in self.operands)

    def _needs_parens(self) -> bool:
        return True


@dataclass(frozen=True, slots=True)
class SubtractAssetSelection(AssetSelection):
    left: AssetSelection
    right: AssetSelection

    def _select(self, ctx: _Context) -> set[AssetKey]:
        return set(self.left._select(ctx)) - set(self.right._select(ctx))

    def _select_checks(self, ctx: _Context) -> set[AssetCheckKey]:
        return self.left._select_checks(ctx) - self.right._select_checks(ctx)

    def _to_str(self) -> str:
        if isinstance(self.left, AllSelection):
            return f"not {self.right._operand_str()}"
        return f"{self.left._operand_str()} and not {self.right._operand_str()}"

    def _needs_parens(self) -> bool:
        return True


# -- check selections ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WithoutChecksSelection(AssetSelection):
    inner: AssetSelection

    def _select(self, ctx: _Context) -> set[AssetKey] | frozenset[AssetKey]:
        return self.inner._select(ctx)

    def _select_checks(self, ctx: _Context) -> set[AssetCheckKey]:
        return set()

    def _to_str(self) -> str:
        return self.inner._to_str()

    def _needs_parens(self) -> bool:
        return self.inner._needs_parens()


@dataclass(frozen=True, slots=True)
class ChecksSelection(AssetSelection):
    selected_checks: tuple[AssetCheckKey, ...]

    def _select(self, ctx: _Context) -> set[AssetKey]:
        return set()

    def _select_checks(self, ctx: _Context) -> set[AssetCheckKey]:
        known = ctx.graph.check_keys()
        missing = [k for k in self.selected_checks if k not in known]
        if missing:
            ctx.missing_checks.update(missing)
        return {k for k in self.selected_checks if k in known}

    def __repr__(self) -> str:
        return f"AssetSelection.checks({', '.join(k.to_user_string() for k in self.selected_checks)})"


@dataclass(frozen=True, slots=True)
class ChecksForAssetsSelection(AssetSelection):
    targets: AssetSelection

    def _select(self, ctx: _Context) -> set[AssetKey]:
        return set()

    def _select_checks(self, ctx: _Context) -> set[AssetCheckKey]:
        targets = self.targets._select(ctx)
        return {k for k in ctx.graph.check_keys() if k.asset_key in targets}

    def __repr__(self) -> str:
        return f"AssetSelection.checks_for_assets({self.targets._to_str()})"
