"""`headwater asset explain`: why an asset is (not) stale, and what would run, in words.

`explain(key, partition, graph, instance)` returns a list of `Section`s, each a title, lines of
prose with the evidence, and the same facts as data (for the API and the UI panel). The
sections come from the functions in `EXPLAIN_SECTIONS`, in order; another part adds its own
with `register_explain_section(fn)`: `fn(context: ExplainContext) -> Section | None`, e.g. the
automation part ("why will or won't the condition request it on the next tick").

The graph is a `StalenessGraph`: the CLI passes one over the loaded definitions, the
webserver one over the code server's snapshot. Imports `definitions` only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from headwater.definitions.assets.staleness import (
    StalenessGraph,
    StalenessResolver,
    StaleStatus,
    VersionReader,
)
from headwater.definitions.key import AssetKey
from headwater.definitions.tags import CODE_VERSION_TAG, DATA_VERSION_TAG


@dataclass(frozen=True, slots=True)
class Section:
    """One part of an explanation: a title, sentences, and the facts behind them."""

    title: str
    lines: list[str]
    data: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"title": self.title, "lines": list(self.lines), "data": self.data}


@dataclass(frozen=True, slots=True)
class ExplainContext:
    """What a section function gets: the asset, its partition, and how to read versions."""

    key: AssetKey
    partition: str | None
    graph: StalenessGraph
    instance: VersionReader
    resolver: StalenessResolver


SectionFn = Callable[[ExplainContext], "Section | None"]


def _label(key: AssetKey, partition: str | None) -> str:
    return key.to_user_string() + (f" [{partition}]" if partition is not None else "")


def staleness_section(ctx: ExplainContext) -> Section:
    """Is it stale, and why (or why not), with the recorded versions as evidence."""
    key, partition, resolver = ctx.key, ctx.partition, ctx.resolver
    label = _label(key, partition)
    if ctx.graph.is_source(key):
        version, storage_id = resolver.current_data_version(key, partition)
        return Section("Staleness", [
            f"{label} is a source asset: nothing computes it, so it is never stale. Its data "
            f"version is {version.value!r}"
            + (f" (observation event {storage_id})." if storage_id else " (never observed).")],
            {"status": StaleStatus.FRESH.value, "causes": [], "data_version": version.value})
    status = resolver.status(key, partition)
    record = resolver.latest_record(key, partition)
    if status is StaleStatus.MISSING:
        return Section("Staleness", [f"{label} is MISSING: it was never materialized (or was "
                                     "wiped), so materializing it computes it for the first time."],
                       {"status": status.value, "causes": []})
    tags = record.asset_event.tags if record.asset_event is not None else {}
    evidence = (f"Its latest materialization is event {record.storage_id} of run "
                f"{record.run_id}, with code version {tags.get(CODE_VERSION_TAG)!r} and data "
                f"version {tags.get(DATA_VERSION_TAG)!r}.")
    causes = resolver.causes(key, partition)
    data = {"status": status.value, "causes": [c.to_json() for c in causes],
            "latest": {"storage_id": record.storage_id, "run_id": record.run_id,
                       "code_version": tags.get(CODE_VERSION_TAG),
                       "data_version": tags.get(DATA_VERSION_TAG)}}
    if causes:
        lines = [f"{label} is STALE, for {len(causes)} reason(s):"]
        lines += [f"  - {c.text}" for c in causes]
        return Section("Staleness", [*lines, evidence], data)
    lines = [f"{label} is FRESH: nothing it depends on changed since it was computed.", evidence]
    code_version = ctx.graph.code_version(key)
    if code_version is not None:
        lines.append(f"  - its code version {code_version!r} is the one recorded.")
    for parent, now in resolver.input_versions(key, partition).items():
        lines.append(f"  - {parent.to_user_string()} is at data version "
                     f"{now.data_version.value!r}, the one it was computed from.")
    return Section("Staleness", lines, data)


def _would_run(ctx: ExplainContext, key: AssetKey, partition: str | None) -> tuple[str, str]:
    """("run" | "skip" | "run_always", why) for one asset (partition) materialized now."""
    resolver = ctx.resolver
    status = resolver.status(key, partition)
    if status is StaleStatus.MISSING:
        return "run", "never materialized"
    own = resolver.own_causes(key, partition)
    if own:
        return "run", "; ".join(c.reason if c.dependency is None
                                else f"{c.dependency.to_user_string()} {c.reason}" for c in own)
    if ctx.graph.code_version(key) is None:
        return "run_always", ("no code_version declared, so headwater cannot tell that its "
                              "code did not change")
    if not list(ctx.graph.parents(key)):
        return "run_always", "it has no upstream assets: its data comes from outside"
    return "skip", "its code version and its inputs' data versions are unchanged"


def what_would_run_section(ctx: ExplainContext) -> Section:
    """What materializing the asset (and its stale upstream) now would run or skip."""
    order = _ancestors_first(ctx.graph, ctx.key)
    lines = [f"Materializing {_label(ctx.key, ctx.partition)} now (with upstream: "
             f"`--select '+{ctx.key.to_user_string()}'`):"]
    steps = []
    for key in order:
        if ctx.graph.is_source(key):
            continue
        partition = ctx.partition if key == ctx.key or (
            ctx.partition is not None and ctx.graph.is_partitioned(key)
            and list(ctx.graph.upstream_partitions(ctx.key, ctx.partition, key)) == [ctx.partition]
        ) else None
        if ctx.graph.is_partitioned(key) and partition is None:
            continue  # an unmapped partitioned ancestor: not one step to describe
        verdict, why = _would_run(ctx, key, partition)
        words = {"run": "runs", "run_always": "runs",
                 "skip": "would be skipped as unchanged with skip-unchanged on (runs without it)"}
        lines.append(f"  - {_label(key, partition)} {words[verdict]}: {why}.")
        steps.append({"key": key.to_user_string(), "partition": partition, "verdict": verdict,
                      "reason": why})
    lines.append("Skip-unchanged is opt-in: run tag headwater/skip_unchanged=true, or asset "
                 "metadata headwater/skip_unchanged: True.")
    return Section("What would run", lines, {"steps": steps})


def _ancestors_first(graph: StalenessGraph, key: AssetKey) -> list[AssetKey]:
    seen: set[AssetKey] = set()
    order: list[AssetKey] = []
    stack: list[tuple[AssetKey, bool]] = [(key, False)]
    while stack:
        node, done = stack.pop()
        if done:
            order.append(node)
            continue
        if node in seen:
            continue
        seen.add(node)
        stack.append((node, True))
        stack.extend((p, False) for p in sorted(graph.parents(node), reverse=True) if p not in seen)
    return order


EXPLAIN_SECTIONS: list[SectionFn] = [staleness_section, what_would_run_section]


def register_explain_section(fn: SectionFn) -> SectionFn:
    """Add a section to every explanation (after the existing ones); returns `fn`."""
    if fn not in EXPLAIN_SECTIONS:
        EXPLAIN_SECTIONS.append(fn)
    return fn


def explain(key: AssetKey, partition: str | None, graph: StalenessGraph,
            instance: VersionReader) -> list[Section]:
    """The explanation of one asset (partition), section by section."""
    ctx = ExplainContext(key, partition, graph, instance, StalenessResolver(graph, instance))
    return [s for s in (fn(ctx) for fn in EXPLAIN_SECTIONS) if s is not None]


def render(sections: list[Section]) -> str:
    return "\n\n".join(f"== {s.title} ==\n" + "\n".join(s.lines) for s in sections)
