"""AssetSelection: constructors, operators, resolution and the string syntax."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pytest

from headwater.definitions.assets.selection import AssetGraphView, AssetSelection
from headwater.definitions.key import AssetKey
from headwater.errors import HeadwaterInvalidDefinitionError, HeadwaterInvalidSubsetError


def k(text: str) -> AssetKey:
    return AssetKey.from_user_string(text)


class Graph:
    """A tiny AssetGraphView: `deps` maps "a/b" keys to their parents."""

    def __init__(
        self,
        deps: Mapping[str, list[str]],
        sources: tuple[str, ...] = (),
        groups: Mapping[str, str] | None = None,
        tags: Mapping[str, Mapping[str, str]] | None = None,
        kinds: Mapping[str, set[str]] | None = None,
        owners: Mapping[str, tuple[str, ...]] | None = None,
    ):
        names = set(deps) | set(sources) | {p for ps in deps.values() for p in ps}
        self.all_keys = frozenset(k(n) for n in names)
        self.materializable_keys = frozenset(k(n) for n in names if n not in sources)
        self._parents = {key: set() for key in self.all_keys}
        self._children: dict[AssetKey, set[AssetKey]] = {key: set() for key in self.all_keys}
        for child, parents in deps.items():
            for parent in parents:
                self._parents[k(child)].add(k(parent))
                self._children[k(parent)].add(k(child))
        self._groups = {k(n): g for n, g in (groups or {}).items()}
        self._tags = {k(n): t for n, t in (tags or {}).items()}
        self._kinds = {k(n): frozenset(v) for n, v in (kinds or {}).items()}
        self._owners = {k(n): o for n, o in (owners or {}).items()}

    def parents(self, key: AssetKey) -> frozenset[AssetKey]:
        return frozenset(self._parents.get(key, ()))

    def children(self, key: AssetKey) -> frozenset[AssetKey]:
        return frozenset(self._children.get(key, ()))

    def group_name(self, key: AssetKey) -> str:
        return self._groups.get(key, "default")

    def tags(self, key: AssetKey) -> Mapping[str, str]:
        return self._tags.get(key, {})

    def kinds(self, key: AssetKey) -> frozenset[str]:
        return self._kinds.get(key, frozenset())

    def owners(self, key: AssetKey) -> tuple[str, ...]:
        return self._owners.get(key, ())

    def code_version(self, key: AssetKey) -> str | None:
        return None

    def check_keys(self) -> frozenset:
        return frozenset()

    def required_neighbors(self, key: AssetKey) -> frozenset[AssetKey]:
        return frozenset((key,))


# src (source) -> a -> b -> p/c -> d ;  a -> e
GRAPH = Graph(
    {"a": ["src"], "b": ["a"], "p/c": ["b"], "d": ["p/c"], "e": ["a"]},
    sources=("src",),
    groups={"a": "g1", "b": "g1", "src": "g1"},
    tags={"a": {"t": "v", "flag": ""}, "src": {"t": "v"}},
    kinds={"a": {"python"}, "src": {"python"}},
    owners={"a": ("team:x",), "src": ("team:x",)},
)


def names(selection: AssetSelection, graph: AssetGraphView = GRAPH) -> list[str]:
    return sorted(key.to_user_string() for key in selection.resolve(graph))


def parsed(text: str, graph: AssetGraphView = GRAPH) -> list[str]:
    return names(AssetSelection.from_string(text), graph)


def test_graph_fixture_satisfies_protocol():
    """The in-test graph is an AssetGraphView."""
    assert isinstance(GRAPH, AssetGraphView)


# -- constructors ------------------------------------------------------------------


def test_all_leaves_out_sources_unless_asked():
    """all() is every materializable asset; include_sources adds source assets."""
    assert names(AssetSelection.all()) == ["a", "b", "d", "e", "p/c"]
    assert names(AssetSelection.all(include_sources=True)) == ["a", "b", "d", "e", "p/c", "src"]


def test_keys_accepts_strings_lists_and_asset_keys():
    """keys() takes "a/b" strings, lists of parts and AssetKeys, sources included."""
    assert names(AssetSelection.keys("p/c")) == ["p/c"]
    assert names(AssetSelection.keys(["p", "c"], AssetKey("a"))) == ["a", "p/c"]
    assert names(AssetSelection.keys("src")) == ["src"]
    assert names(AssetSelection.keys()) == []


@dataclass
class FakeAssetsDef:
    keys: set[AssetKey]


@dataclass
class FakeSpec:
    key: AssetKey


def test_assets_takes_every_key_of_a_definition():
    """assets() takes all the keys of objects with `.keys`, and `.key` objects."""
    selection = AssetSelection.assets(FakeAssetsDef({k("b"), k("a")}), FakeSpec(k("e")), "d")
    assert selection == AssetSelection.keys("a", "b", "e", "d")
    assert names(selection) == ["a", "b", "d", "e"]


def test_missing_keys_raise_naming_them_with_suggestions():
    """Resolving keys absent from the graph raises, names them and suggests near keys."""
    with pytest.raises(HeadwaterInvalidSubsetError) as info:
        AssetSelection.keys("zz", "c", "a").resolve(GRAPH)
    message = str(info.value)
    assert "AssetKey(s) ['c', 'zz'] were selected" in message
    assert "for 'c', did you mean 'p/c'?" in message
    assert "Definitions(assets=...)" in message


def test_missing_keys_inside_a_tree_and_allow_missing():
    """Missing keys deep in a tree still raise; allow_missing drops them instead."""
    selection = (AssetSelection.keys("d", "zz").upstream() - AssetSelection.keys("a")).roots()
    with pytest.raises(HeadwaterInvalidSubsetError, match=r"\['zz'\]"):
        selection.resolve(GRAPH)
    assert AssetSelection.keys("zz", "a").resolve(GRAPH, allow_missing=True) == {k("a")}


def test_typo_suggestion():
    """A near-miss spelling is suggested."""
    graph = Graph({"orders_clean": [], "customers": []})
    with pytest.raises(HeadwaterInvalidSubsetError, match="did you mean 'orders_clean'"):
        AssetSelection.keys("orders_cleen").resolve(graph)


def test_key_prefixes():
    """key_prefixes matches leading parts; a string prefix is one part."""
    graph = Graph({"p/q/a": [], "p/x": [], "pq": []}, sources=("p/ext",))
    assert names(AssetSelection.key_prefixes("p"), graph) == ["p/q/a", "p/x"]
    assert names(AssetSelection.key_prefixes(["p", "q"]), graph) == ["p/q/a"]
    assert names(AssetSelection.key_prefixes("p/q"), graph) == []
    assert names(AssetSelection.key_prefixes("p", include_sources=True), graph) == [
        "p/ext",
        "p/q/a",
        "p/x",
    ]
    assert names(AssetSelection.key_prefixes("zz", ["p", "x"]), graph) == ["p/x"]


def test_key_substring():
    """key_substring searches the "a/b" key string."""
    assert names(AssetSelection.key_substring("/c")) == ["p/c"]
    assert names(AssetSelection.key_substring("s")) == []
    assert names(AssetSelection.key_substring("s", include_sources=True)) == ["src"]


def test_groups():
    """groups() selects by group name; unset groups are "default"."""
    assert names(AssetSelection.groups("g1")) == ["a", "b"]
    assert names(AssetSelection.groups("g1", include_sources=True)) == ["a", "b", "src"]
    assert names(AssetSelection.groups("default")) == ["d", "e", "p/c"]
    assert names(AssetSelection.groups("g1", "default")) == ["a", "b", "d", "e", "p/c"]
    assert names(AssetSelection.groups("nope")) == []


def test_tag_and_tag_string():
    """tag() matches key and value exactly; an empty value matches only an empty value."""
    assert names(AssetSelection.tag("t", "v")) == ["a"]
    assert names(AssetSelection.tag("t", "v", include_sources=True)) == ["a", "src"]
    assert names(AssetSelection.tag("flag", "")) == ["a"]
    assert names(AssetSelection.tag("t", "")) == []
    assert AssetSelection.tag_string("t=v") == AssetSelection.tag("t", "v")
    assert AssetSelection.tag_string("flag") == AssetSelection.tag("flag", "")
    with pytest.raises(HeadwaterInvalidDefinitionError, match="more than one '='"):
        AssetSelection.tag_string("a=b=c")


def test_owner_and_kind():
    """owner() includes source assets; kind() does only with include_sources."""
    assert names(AssetSelection.owner("team:x")) == ["a", "src"]
    assert names(AssetSelection.owner(None)) == ["b", "d", "e", "p/c"]
    assert names(AssetSelection.kind("python")) == ["a"]
    assert names(AssetSelection.kind("python", include_sources=True)) == ["a", "src"]
    assert names(AssetSelection.kind(None)) == ["b", "d", "e", "p/c"]


# -- derived selections --------------------------------------------------------------


def test_materializable_drops_sources():
    """materializable() removes source and external assets."""
    assert names(AssetSelection.all(include_sources=True).materializable()) == [
        "a",
        "b",
        "d",
        "e",
        "p/c",
    ]
    assert names(AssetSelection.keys("src").materializable()) == []


def test_roots_and_sinks_are_transitive_within_the_selection():
    """roots/sinks look at ancestors/descendants at any distance, through unselected assets."""
    assert names(AssetSelection.all().roots()) == ["a"]
    assert names(AssetSelection.all().sinks()) == ["d", "e"]
    assert names(AssetSelection.keys("a", "p/c").roots()) == ["a"]
    assert names(AssetSelection.keys("a", "p/c").sinks()) == ["p/c"]
    assert names(AssetSelection.all(include_sources=True).roots()) == ["src"]
    assert names(AssetSelection.keys("d", "e").roots()) == ["d", "e"]


def test_sources_is_roots():
    """sources() is the older, deprecated name of roots()."""
    with pytest.warns(DeprecationWarning, match="roots"):
        assert AssetSelection.all().sources() == AssetSelection.all().roots()


def test_upstream_depth_and_include_self():
    """upstream walks parents to a depth; include_self=False drops the starting assets."""
    d = AssetSelection.keys("d")
    assert names(d.upstream()) == ["a", "b", "d", "p/c"]
    assert names(d.upstream(1)) == ["d", "p/c"]
    assert names(d.upstream(2, include_self=False)) == ["b", "p/c"]
    assert names(d.upstream(0)) == ["d"]
    assert names(d.upstream(0, include_self=False)) == []
    assert names(AssetSelection.keys("b", "d").upstream(include_self=False)) == ["a", "p/c"]


def test_upstream_leaves_out_sources_but_walks_through_them():
    """Upstream results are materializable only, even the starting source asset."""
    graph = Graph({"ext": ["a"], "f": ["ext"]}, sources=("ext",))
    assert names(AssetSelection.keys("f").upstream(), graph) == ["a", "f"]
    assert names(AssetSelection.keys("f").upstream(1), graph) == ["f"]
    assert names(AssetSelection.keys("f").upstream(2), graph) == ["a", "f"]
    assert names(AssetSelection.keys("src").upstream()) == []


def test_downstream_depth_and_include_self():
    """downstream walks children to a depth and keeps source assets."""
    a = AssetSelection.keys("a")
    assert names(a.downstream()) == ["a", "b", "d", "e", "p/c"]
    assert names(a.downstream(1)) == ["a", "b", "e"]
    assert names(a.downstream(1, include_self=False)) == ["b", "e"]
    assert names(AssetSelection.keys("src").downstream(1)) == ["a", "src"]


def test_negative_depth_is_rejected():
    """A negative depth is a definition error."""
    with pytest.raises(HeadwaterInvalidDefinitionError, match="depth"):
        AssetSelection.keys("a").upstream(-1)


def test_upstream_source_assets():
    """upstream_source_assets gives the source assets upstream of the selection, however far."""
    assert names(AssetSelection.all().upstream_source_assets()) == ["src"]
    assert names(AssetSelection.keys("b").upstream_source_assets()) == ["src"]
    assert names(AssetSelection.keys("src").upstream_source_assets()) == []


def test_neighbors_and_without_checks_keep_the_assets():
    """Single assets have no required neighbors; without_checks keeps the assets (the checks
    it drops are tested in tests/definitions/checks)."""
    selection = AssetSelection.groups("g1")
    assert names(selection.required_multi_asset_neighbors()) == names(selection)
    assert names(selection.without_checks()) == names(selection)
    assert str(selection.without_checks()) == str(selection)


# -- operators, equality, text ---------------------------------------------------------


def test_operators():
    """| is union, & intersection, - difference."""
    a, b, g1 = AssetSelection.keys("a"), AssetSelection.keys("b"), AssetSelection.groups("g1")
    assert names(a | b) == ["a", "b"]
    assert names(g1 & a) == ["a"]
    assert names(AssetSelection.all() - a) == ["b", "d", "e", "p/c"]
    assert names(a & (b | AssetSelection.keys("d"))) == []
    with pytest.raises(TypeError):
        a | "b"  # type: ignore[operator]


def test_or_and_flatten():
    """Chained | and & build one flat node."""
    a, b, d, e = (AssetSelection.keys(x) for x in "abde")
    assert (a | b) | d == a | (b | d)
    assert len(((a | b) | (d | e)).operands) == 4  # type: ignore[attr-defined]
    assert len(((a & b) & (d & e)).operands) == 4  # type: ignore[attr-defined]


def test_equality_and_hash():
    """Selections built the same way are equal and hash alike; order of keys matters."""
    assert AssetSelection.keys("a") == AssetSelection.assets(FakeSpec(k("a")))
    assert AssetSelection.keys("a").upstream(2) == AssetSelection.keys("a").upstream(2)
    assert AssetSelection.keys("a", "b") != AssetSelection.keys("b", "a")
    assert AssetSelection.keys("a").upstream() != AssetSelection.keys("a").downstream()
    assert len({AssetSelection.groups("g"), AssetSelection.groups("g")}) == 1


def test_repr_reads_like_a_constructor():
    """repr shows the node type and its fields."""
    text = repr(AssetSelection.keys("a").upstream(2))
    assert text.startswith("UpstreamAssetSelection(child=KeysAssetSelection(")
    assert "depth=2" in text


@pytest.mark.parametrize(
    "selection, text",
    [
        (AssetSelection.all(), "*"),
        (AssetSelection.keys("p/c", "a"), 'key:"p/c" or key:"a"'),
        (AssetSelection.groups("g1"), 'group:"g1"'),
        (AssetSelection.tag("t", "v") | AssetSelection.tag("f", ""), 'tag:"t"="v" or tag:"f"'),
        (AssetSelection.keys("d").upstream(), '+key:"d"'),
        (AssetSelection.keys("d").upstream(2, include_self=False), '2+key:"d" and not key:"d"'),
        (AssetSelection.keys("a").downstream(1), 'key:"a"+1'),
        (AssetSelection.keys("a").upstream().downstream(), '(+key:"a")+'),
        (AssetSelection.all() - AssetSelection.keys("a"), 'not key:"a"'),
        (
            AssetSelection.keys("a") | AssetSelection.groups("g") & AssetSelection.kind("k"),
            'key:"a" or (group:"g" and kind:"k")',
        ),
        (
            AssetSelection.groups("g") - (AssetSelection.keys("a") | AssetSelection.keys("b")),
            'group:"g" and not (key:"a" or key:"b")',
        ),
        (AssetSelection.keys("a", "b").roots(), 'roots(key:"a" or key:"b")'),
        (AssetSelection.owner("team:x").sinks(), 'sinks(owner:"team:x")'),
    ],
)
def test_str_is_the_selection_syntax(selection, text):
    """str() writes the string syntax, and parsing it back selects the same assets."""
    assert str(selection) == text
    assert selection.to_selection_str() == text
    try:
        expected = names(selection)
    except HeadwaterInvalidSubsetError:
        return
    assert parsed(text) == expected


# -- string syntax: classic clauses ----------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("a", ["a"]),
        ("p/c", ["p/c"]),
        ("*p/c", ["a", "b", "p/c"]),
        ("*d", ["a", "b", "d", "p/c"]),
        ("+d", ["d", "p/c"]),
        ("++d", ["b", "d", "p/c"]),
        ("a+", ["a", "b", "e"]),
        ("a++", ["a", "b", "e", "p/c"]),
        ("a*", ["a", "b", "d", "e", "p/c"]),
        ("*p/c*", ["a", "b", "d", "p/c"]),
        ("+p/c+", ["b", "d", "p/c"]),
        ("*src", []),
        ("src+", ["a", "src"]),
    ],
)
def test_classic_clauses(text, expected):
    """'+' is one level per sign and '*' is every level, on either side of a key."""
    assert parsed(text) == expected


def test_classic_clause_lists():
    """Comma- and space-separated clauses are a union."""
    assert parsed("*d, e") == ["a", "b", "d", "e", "p/c"]
    assert parsed("b+ +e") == ["a", "b", "e", "p/c"]
    assert parsed("  a\tb  ") == ["a", "b"]


def test_classic_unknown_key_raises_on_resolve():
    """A classic clause names exact keys, so an unknown one fails at resolve time."""
    selection = AssetSelection.from_string("zz+")
    with pytest.raises(HeadwaterInvalidSubsetError, match="zz"):
        selection.resolve(GRAPH)


def test_keys_spelled_like_keywords():
    """A lone 'not' or 'roots' is a key, as a classic clause."""
    assert AssetSelection.from_string("not") == AssetSelection.keys("not")
    assert AssetSelection.from_string("roots") == AssetSelection.keys("roots")
    graph = Graph({"and": [], "or": ["and"]})
    assert parsed("and+", graph) == ["and", "or"]


# -- string syntax: attributes -----------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("key:a", ["a"]),
        ('key:"a"', ["a"]),
        ("key:p/c", ["p/c"]),
        ("key:p/*", ["p/c"]),
        ("key:*c", ["p/c", "src"]),
        ("key:p*", ["p/c"]),
        ("key:*", ["a", "b", "d", "e", "p/c", "src"]),
        ("key:zz", []),
        ("key_substring:/c", ["p/c"]),
        ("*", ["a", "b", "d", "e", "p/c"]),
        ("group:g1", ["a", "b"]),
        ('group:"g1"', ["a", "b"]),
        ("tag:t=v", ["a"]),
        ('tag:"t"="v"', ["a"]),
        ('tag:t="v"', ["a"]),
        ("tag:flag", ["a"]),
        ("tag:t", []),
        ('owner:"team:x"', ["a", "src"]),
        ("owner:team:x", ["a", "src"]),
        ("kind:python", ["a"]),
    ],
)
def test_attribute_filters(text, expected):
    """key:, key_substring:, group:, tag:, owner:, kind: and '*' select by attribute."""
    assert parsed(text) == expected


def test_include_sources_reaches_attribute_filters():
    """from_string(include_sources=True) widens '*', not, group:, tag: and kind:."""
    assert names(AssetSelection.from_string("*", include_sources=True)) == [
        "a",
        "b",
        "d",
        "e",
        "p/c",
        "src",
    ]
    assert names(AssetSelection.from_string("group:g1", include_sources=True)) == ["a", "b", "src"]
    assert names(AssetSelection.from_string("not key:a", include_sources=True)) == [
        "b",
        "d",
        "e",
        "p/c",
        "src",
    ]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("+key:d", ["a", "b", "d", "p/c"]),
        ("2+key:d", ["b", "d", "p/c"]),
        ("key:a+", ["a", "b", "d", "e", "p/c"]),
        ("key:a+1", ["a", "b", "e"]),
        ("1+key:p/c+1", ["b", "d", "p/c"]),
        ("+group:g1", ["a", "b"]),
        ("2+group:g1+1", ["a", "b", "e", "p/c"]),
        ("+ key:d", ["a", "b", "d", "p/c"]),
        ("key:a +", ["a", "b", "d", "e", "p/c"]),
        ("+(key:d)", ["a", "b", "d", "p/c"]),
        ("(key:d)+", ["d"]),
        ("0+key:b", ["b"]),
        ("roots(*)+1", ["a", "b", "e"]),
        ("1+roots(*)", ["a"]),
    ],
)
def test_attribute_traversals(text, expected):
    """Around attributes a bare '+' is every level and 'N+' / '+N' is N levels."""
    assert parsed(text) == expected


def test_traversal_structure():
    """'+key:a+' is the union of the upstream and downstream selections."""
    wildcard = AssetSelection.from_string("key:a")
    assert AssetSelection.from_string("+key:a+") == wildcard.upstream() | wildcard.downstream()
    assert AssetSelection.from_string("2+key:a") == wildcard.upstream(2)
    assert AssetSelection.from_string("*a") == AssetSelection.keys("a").upstream()
    assert AssetSelection.from_string("++a") == AssetSelection.keys("a").upstream(2)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("key:a or key:b", ["a", "b"]),
        ("key:a OR key:b", ["a", "b"]),
        ("key:a and group:g1", ["a"]),
        ("key:a AND key:b", []),
        ("not key:a", ["b", "d", "e", "p/c"]),
        ("NOT key:a", ["b", "d", "e", "p/c"]),
        ("not not key:a", ["a"]),
        ("not (key:a or key:b)", ["d", "e", "p/c"]),
        ("not(key:a)", ["b", "d", "e", "p/c"]),
        ("key:a and key:b or key:d", ["d"]),
        ("key:a or key:b and key:d", ["a"]),
        ("not key:a and key:b", ["b"]),
        ("not key:a or key:b", ["b", "d", "e", "p/c"]),
        ("key:a and (key:b or key:d)", []),
        ("group:g1 and not key:a", ["b"]),
        ("key:a\tor\nkey:b", ["a", "b"]),
        ("roots(*)", ["a"]),
        ("sinks(*)", ["d", "e"]),
        ("roots (*)", ["a"]),
        ("sinks(group:g1)", ["b"]),
        ("roots(key:a or key:p/c)", ["a"]),
        ("sinks(key:a or key:b)", ["b"]),
        ("(key:a)", ["a"]),
    ],
)
def test_boolean_operators_and_functions(text, expected):
    """not binds tighter than and, and tighter than or; roots()/sinks() wrap a selection."""
    assert parsed(text) == expected


def test_forms_mix():
    """Classic clauses and attributes mix, joined by space, comma, or, and."""
    assert parsed("group:g1 d+ +e key:src") == ["a", "b", "d", "e", "src"]
    assert parsed("*d and group:g1") == ["a", "b"]
    assert parsed("key:a, a+") == ["a", "b", "e"]
    assert parsed("(a or b) and not b") == ["a"]


def test_space_before_plus_starts_a_new_clause():
    """In 'key:a +key:d' the '+' belongs to key:d."""
    assert parsed("key:d +key:b") == ["a", "b", "d"]


def test_wildcard_keys_cross_slashes():
    """'*' in key: matches any characters, '/' included."""
    graph = Graph({"raw/x/orders": [], "raw/users": [], "mart/orders": []})
    assert parsed("key:raw/*", graph) == ["raw/users", "raw/x/orders"]
    assert parsed("key:*/orders", graph) == ["mart/orders", "raw/x/orders"]
    assert parsed("key:raw/*/orders", graph) == ["raw/x/orders"]
    assert parsed('key:"r*s"', graph) == ["raw/users", "raw/x/orders"]


def test_quoted_values_keep_spaces_and_escapes():
    """Quoted values may hold spaces, '+' and escaped quotes."""
    graph = Graph({"a b": [], 'x"y': []}, groups={"a b": "my group"})
    assert parsed('key:"a b"', graph) == ["a b"]
    assert parsed('group:"my group"', graph) == ["a b"]
    assert parsed(r'key:"x\"y"', graph) == ['x"y']


def test_code_location_parses_but_cannot_resolve():
    """code_location: parses; resolving it inside one code location explains why not."""
    selection = AssetSelection.from_string("code_location:foo")
    assert str(selection) == 'code_location:"foo"'
    with pytest.raises(HeadwaterInvalidSubsetError, match="code location"):
        selection.resolve(GRAPH)


@pytest.mark.parametrize(
    "text, position, expected",
    [
        ("", 0, "expected an asset selection"),
        ("   ", 0, "expected an asset selection"),
        ("key:", 4, "expected a value after 'key:'"),
        ("(key:a", 6, "expected ')'"),
        ("key:a)", 5, "expected 'and', 'or' or the end"),
        ("key:a and", 9, "expected an asset selection"),
        ("key:a or or key:b", 9, "expected an asset selection"),
        ("+", 1, "expected an asset selection"),
        ("roots()", 6, "expected an asset selection"),
        ("group:g*", 6, "wildcards"),
        ("KEY:a", 0, "unknown attribute 'KEY'"),
        ("foo:x", 0, "expected one of key:"),
        ("status:x", 0, "not supported"),
        ('key:"d', 4, "closing '\"'"),
        ("*key:a", 1, "'*' stands alone"),
        ("key:a =", 6, "expected an asset selection"),
    ],
)
def test_parse_errors_name_position_and_expectation(text, position, expected):
    """A bad string raises with the position, what was expected and an example."""
    with pytest.raises(HeadwaterInvalidSubsetError) as info:
        AssetSelection.from_string(text)
    message = str(info.value)
    assert f"at position {position}:" in message
    assert expected in message
    assert "Selections look like" in message


def test_parse_error_points_at_the_token():
    """The message repeats the string with a caret under the bad token."""
    with pytest.raises(HeadwaterInvalidSubsetError) as info:
        AssetSelection.from_string("key:a or )")
    lines = str(info.value).splitlines()
    assert lines[1] == "    key:a or )"
    assert lines[2] == "    " + " " * 9 + "^"
    assert "found ')'" in lines[0]


# -- coercion ----------------------------------------------------------------------------


def test_from_coercible():
    """from_coercible takes strings, lists of strings/keys/definitions, and selections."""
    selection = AssetSelection.groups("g1")
    assert AssetSelection.from_coercible(selection) is selection
    assert AssetSelection.from_coercible("*d") == AssetSelection.from_string("*d")
    assert names(AssetSelection.from_coercible(["*d", "a+"])) == ["a", "b", "d", "e", "p/c"]
    assert names(AssetSelection.from_coercible(["key:a", "group:g1"])) == ["a", "b"]
    assert AssetSelection.from_coercible([k("a"), k("b")]) == AssetSelection.keys("a", "b")
    assert AssetSelection.from_coercible([FakeSpec(k("a"))]) == AssetSelection.keys("a")
    assert AssetSelection.from_coercible(("a",)) == AssetSelection.keys("a")
    assert names(AssetSelection.from_coercible([k("a"), "b"])) == ["a", "b"]
    assert names(AssetSelection.from_coercible([])) == []


def test_from_coercible_rejects_other_values():
    """Anything else raises with the accepted forms."""
    with pytest.raises(HeadwaterInvalidDefinitionError, match="selection string"):
        AssetSelection.from_coercible(3)


# -- resolving against plain asset definitions ---------------------------------------------


@dataclass
class FakeAsset:
    key: AssetKey
    deps: tuple[AssetKey, ...] = ()
    group_name: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    is_materializable: bool = True


def test_resolve_against_an_iterable_of_assets():
    """resolve() also takes asset definitions, reading keys, deps, groups and tags."""
    assets = [
        FakeAsset(k("src"), is_materializable=False),
        FakeAsset(k("a"), deps=(k("src"),), group_name="g", tags={"t": "v"}),
        FakeAsset(k("b"), deps=(k("a"),)),
    ]
    assert sorted(AssetSelection.keys("b").upstream().resolve(assets)) == [k("a"), k("b")]
    assert AssetSelection.groups("g").resolve(assets) == {k("a")}
    assert AssetSelection.groups("default").resolve(assets) == {k("b")}
    assert AssetSelection.tag("t", "v").resolve(assets) == {k("a")}
    assert AssetSelection.all().resolve(assets) == {k("a"), k("b")}
    assert AssetSelection.keys("src").downstream().resolve(assets) == {k("src"), k("a"), k("b")}


# -- scale -------------------------------------------------------------------------------------


def test_long_chains_resolve_without_recursion():
    """A 20,000-asset chain resolves end to end (breadth-first, no recursion limit)."""
    n = 20_000
    graph = Graph({f"n{i}": [f"n{i - 1}"] if i else [] for i in range(n)})
    assert len(AssetSelection.keys(f"n{n - 1}").upstream().resolve(graph)) == n
    assert len(AssetSelection.keys("n0").downstream().resolve(graph)) == n
    assert AssetSelection.all().roots().resolve(graph) == {k("n0")}
    assert AssetSelection.all().sinks().resolve(graph) == {k(f"n{n - 1}")}
    assert len(AssetSelection.keys("n100").upstream(10).resolve(graph)) == 11
