"""dbt's node selection syntax, evaluated against a manifest without starting dbt.

`select_unique_ids(manifest, select, exclude, selector)` returns the unique ids that
`dbt ls --select ... --exclude ...` would list, so that definitions load in milliseconds and
do not need dbt's Python API. Supported:

- set operators: spaces are unions, commas intersections (`tag:a,path:marts stg_x`);
- graph operators: `+x`, `x+`, `2+x`, `x+3`, `@x`;
- methods: `fqn:`, `tag:`, `path:`, `file:`, `source:`, `resource_type:`, `package:`,
  `config.<key>:`, `test_type:`, `test_name:`, `exposure:`, `group:`, `access:`, `version:`,
  `unique_id:` (headwater's own, used for subsets), and bare names (`fqn`, or `path` when the
  value looks like a path);
- `*`, `?` and `[...]` wildcards in values;
- YAML selectors (`selector=`) from the manifest's `selectors` section, with `union`,
  `intersection`, `exclude`, `parents`, `children`, `parents_depth`, `children_depth` and
  `childrens_parents`.

Methods that need state outside the manifest (`state:`, `result:`, `source_status:`) raise
a `HeadwaterDbtError` naming the method. Tests are selected the way dbt's default "eager"
indirect selection does: a test is in when any node it tests is in.

Imports the standard library and this package's `manifest` and `errors`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from fnmatch import fnmatchcase
from pathlib import PurePosixPath
from typing import Any

from headwater_dbt.errors import HeadwaterDbtError
from headwater_dbt.manifest import all_nodes, children_map, parents

_ATOM = re.compile(r"^(?P<at>@)?(?:(?P<up>\d*)\+)?(?P<body>.+?)(?:\+(?P<down>\d*))?$")
_UNSUPPORTED = {"state", "result", "source_status", "metric", "semantic_model", "saved_query",
                "unit_test"}


def select_unique_ids(manifest: Mapping[str, Any], select: str | None = "fqn:*",
                      exclude: str | None = None, selector: str | None = None) -> set[str]:
    """The unique ids of the nodes (models, seeds, snapshots, tests, sources...) selected."""
    graph = _Graph(manifest)
    if selector:
        if select not in (None, "", "fqn:*") or exclude:
            raise HeadwaterDbtError(
                f"selector='{selector}' cannot be combined with select= or exclude=: a YAML "
                "selector says both. Put the extra criteria into the selector in selectors.yml.")
        chosen = graph.yaml_selector(selector)
    else:
        chosen = graph.expression(select or "fqn:*")
        if exclude:
            chosen -= graph.expression(exclude)
    return chosen


class _Graph:
    def __init__(self, manifest: Mapping[str, Any]):
        self.manifest = manifest
        self.props = {uid: props for uid, props in all_nodes(manifest)
                      if props.get("resource_type") != "operation"}
        self._children = children_map(manifest)

    # --- expressions ------------------------------------------------------------------------
    def expression(self, text: str) -> set[str]:
        chosen: set[str] = set()
        for union_part in text.split():
            parts = [p for p in union_part.split(",") if p]
            found = self.atom(parts[0])
            for part in parts[1:]:
                found &= self.atom(part)
            chosen |= found
        return self._with_tests(chosen)

    def atom(self, text: str) -> set[str]:
        match = _ATOM.match(text)
        if match is None:
            raise HeadwaterDbtError(f"dbt selection '{text}' cannot be parsed.")
        body = match["body"]
        if ":" in body:
            method, _, value = body.partition(":")
        else:
            method, value = ("path" if "/" in body or body.endswith((".sql", ".py", ".csv"))
                             else "fqn"), body
        base = self.method(method, value)
        return self.expand(base, parents=match["up"] is not None, parents_depth=match["up"],
                           children=match["down"] is not None, children_depth=match["down"],
                           childrens_parents=bool(match["at"]))

    def expand(self, base: set[str], *, parents: bool, parents_depth: str | int | None,
               children: bool, children_depth: str | int | None,
               childrens_parents: bool) -> set[str]:
        found = set(base)
        if childrens_parents:
            down = self._walk(base, self._children_of, None)
            found |= down | self._walk(down, self._parents_of, None)
        if parents:
            found |= self._walk(base, self._parents_of, _depth(parents_depth))
        if children:
            found |= self._walk(base, self._children_of, _depth(children_depth))
        return found

    def method(self, method: str, value: str) -> set[str]:
        root = method.split(".")[0]
        if root in _UNSUPPORTED:
            raise HeadwaterDbtError(
                f"dbt selection method '{method}:' needs dbt's run state, which headwater does "
                "not evaluate when it loads definitions. Select with fqn:, tag:, path:, "
                "config.*:, source: and graph operators, or run dbt with that selection yourself "
                "(dbt.cli([...], context=None)).")
        match = _METHODS.get(root)
        if match is None:
            raise HeadwaterDbtError(
                f"'{method}:' is not a dbt selection method headwater knows. Known: "
                f"{', '.join(sorted([*_METHODS, 'config.<key>']))}.")
        return {uid for uid, props in self.props.items() if match(props, value, method)}

    # --- YAML selectors ---------------------------------------------------------------------
    def yaml_selector(self, name: str) -> set[str]:
        selectors = self.manifest.get("selectors") or {}
        if name not in selectors:
            known = ", ".join(sorted(selectors)) or "none"
            raise HeadwaterDbtError(
                f"dbt selector '{name}' is not defined in the project's selectors.yml "
                f"(defined: {known}).")
        return self._definition(selectors[name].get("definition"))

    def _definition(self, definition: Any) -> set[str]:
        if isinstance(definition, str):
            return self.expression(definition)
        if not isinstance(definition, Mapping):
            raise HeadwaterDbtError(f"dbt selector definition {definition!r} is not understood.")
        if "union" in definition or "intersection" in definition:
            op = "union" if "union" in definition else "intersection"
            sets, minus = [], set()
            for item in definition[op]:
                if isinstance(item, Mapping) and "exclude" in item and len(item) == 1:
                    for excluded in item["exclude"]:
                        minus |= self._definition(excluded)
                else:
                    sets.append(self._definition(item))
            found = set.union(*sets) if op == "union" and sets else \
                set.intersection(*sets) if sets else set()
            return found - minus
        if "method" not in definition:
            key, value = next(iter(definition.items()))
            return self._definition({"method": key, "value": value})
        base = self.method(str(definition["method"]), str(definition.get("value", "")))
        found = self.expand(
            base, parents=bool(definition.get("parents") or definition.get("parents_depth")),
            parents_depth=definition.get("parents_depth"),
            children=bool(definition.get("children") or definition.get("children_depth")),
            children_depth=definition.get("children_depth"),
            childrens_parents=bool(definition.get("childrens_parents")))
        found = self._with_tests(found)
        for excluded in definition.get("exclude") or ():
            found -= self._definition(excluded)
        return found

    # --- graph ------------------------------------------------------------------------------
    def _parents_of(self, uid: str) -> Iterable[str]:
        return parents(self.manifest, uid) if uid in self.props else ()

    def _children_of(self, uid: str) -> Iterable[str]:
        return self._children.get(uid, ())

    def _walk(self, start: set[str], step: Callable[[str], Iterable[str]],
              depth: int | None) -> set[str]:
        found: set[str] = set()
        frontier, level = set(start), 0
        while frontier and (depth is None or level < depth):
            nxt = {n for uid in frontier for n in step(uid) if n in self.props} - found
            found |= nxt
            frontier, level = nxt, level + 1
        return found

    def _with_tests(self, chosen: set[str]) -> set[str]:
        """Eager indirect selection: tests of any selected node come along."""
        tests = {uid for uid, props in self.props.items()
                 if props.get("resource_type") == "test"
                 and any(p in chosen for p in props.get("depends_on", {}).get("nodes", []))}
        return chosen | tests


def _depth(value: str | int | None) -> int | None:
    if value in (None, ""):
        return None
    return int(value)  # type: ignore[arg-type]


def _glob(value: str, candidate: Any) -> bool:
    return candidate is not None and fnmatchcase(str(candidate), value)


def _fqn(props: Mapping[str, Any], value: str, _method: str) -> bool:
    fqn = [str(p) for p in props.get("fqn") or ()]
    if not fqn:
        return False
    if value in ("*", fqn[-1]):
        return True
    flat = [piece for part in fqn for piece in part.split(".")]
    wanted = value.split(".")
    if len(wanted) > len(flat):
        return False
    for i, piece in enumerate(wanted):
        if any(ch in piece for ch in "*?[]"):
            return fnmatchcase(".".join(flat[i:]), ".".join(wanted[i:]))
        if flat[i] != piece:
            return False
    return True


def _path(props: Mapping[str, Any], value: str, _method: str) -> bool:
    path = str(props.get("original_file_path") or "")
    if not path:
        return False
    wanted = value.rstrip("/")
    return path == wanted or fnmatchcase(path, wanted) \
        or PurePosixPath(path).is_relative_to(wanted) if wanted else False


def _file(props: Mapping[str, Any], value: str, _method: str) -> bool:
    path = PurePosixPath(str(props.get("original_file_path") or ""))
    return fnmatchcase(path.name, value) or fnmatchcase(path.stem, value)


def _tag(props: Mapping[str, Any], value: str, _method: str) -> bool:
    return any(_glob(value, t) for t in props.get("tags") or ())


def _source(props: Mapping[str, Any], value: str, _method: str) -> bool:
    if props.get("resource_type") != "source":
        return False
    parts = value.split(".")
    if len(parts) > 3:
        return False
    names = [props.get("package_name"), props.get("source_name"), props.get("name")]
    names = names if len(parts) == 3 else names[1:1 + len(parts)]  # source[.table]
    return all(_glob(p, n) for p, n in zip(parts, names, strict=True))


def _config(props: Mapping[str, Any], value: str, method: str) -> bool:
    config: Any = props.get("config") or {}
    for part in method.split(".")[1:]:
        config = config.get(part) if isinstance(config, Mapping) else None
    if isinstance(config, (list, tuple)):
        return any(_glob(value, str(c)) for c in config)
    if isinstance(config, bool):
        return str(config).lower() == value.lower()
    return _glob(value, config)


def _test_type(props: Mapping[str, Any], value: str, _method: str) -> bool:
    if props.get("resource_type") != "test":
        return False
    kind = "generic" if props.get("test_metadata") else "singular"
    return value in (kind, "data") if value != "unit" else False


def _test_name(props: Mapping[str, Any], value: str, _method: str) -> bool:
    return props.get("resource_type") == "test" and \
        _glob(value, (props.get("test_metadata") or {}).get("name") or props.get("name"))


def _field(name: str) -> Callable[[Mapping[str, Any], str, str], bool]:
    def match(props: Mapping[str, Any], value: str, _method: str) -> bool:
        return _glob(value, props.get(name))
    return match


_METHODS: dict[str, Callable[[Mapping[str, Any], str, str], bool]] = {
    "fqn": _fqn, "tag": _tag, "path": _path, "file": _file, "source": _source,
    "config": _config, "test_type": _test_type, "test_name": _test_name,
    "resource_type": _field("resource_type"), "package": _field("package_name"),
    "group": _field("group"), "access": _field("access"), "version": _field("version"),
    "exposure": lambda p, v, m: p.get("resource_type") == "exposure" and _glob(v, p.get("name")),
    "unique_id": _field("unique_id"),
}
