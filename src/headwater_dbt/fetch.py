"""Row counts, column schemas and column lineage of the relations a dbt command built.

`DbtEventIterator.fetch_row_counts()` and `.fetch_column_metadata()` ask the warehouse about
the tables and views dbt just built. Both questions go into one SQL query run through
`dbt show --inline` (dbt's own connection, so any adapter works): a `count(*)` per relation
and the rows of `information_schema.columns` for the relations and their parents. The
answers are added to the metadata of each materialization:

    headwater/row_count       rows in the relation after the build
    headwater/column_schema   the relation's columns and types, as the warehouse says
    headwater/column_lineage  for each column, the parent columns it is computed from
                              (parsed from the compiled SQL with sqlglot)

Because the query runs once the build has finished, a stream that fetches metadata yields
its events at the end of the command rather than one by one.

Imports headwater's public names and this package's `manifest`, `translator`, `errors`.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from headwater import (
    AssetKey,
    AssetMaterialization,
    Output,
    TableColumn,
    TableColumnDep,
    TableColumnLineage,
    TableSchema,
)
from headwater_dbt.errors import HeadwaterDbtError
from headwater_dbt.manifest import node, parents
from headwater_dbt.translator import HeadwaterDbtTranslator


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _relation(props: Mapping[str, Any]) -> tuple[str, str, str] | None:
    name = props.get("identifier") if props.get("resource_type") == "source" else None
    name = name or props.get("alias") or props.get("name")
    if not (props.get("schema") and name):
        return None
    return (str(props.get("database") or ""), str(props["schema"]), str(name))


def build_query(relations: Mapping[str, str], columns_of: Iterable[tuple[str, str, str]],
                count: bool) -> str:
    """One query answering both questions, as rows (kind, key, a, b, c)."""
    parts = []
    if count:
        parts += [f"select 'rows' as kind, {_quote(uid)} as k, cast(count(*) as varchar) as a, "
                  f"'' as b, '' as c from {rel}" for uid, rel in relations.items()]
    wanted = sorted(set(columns_of))
    if wanted:
        tests = " or ".join(
            f"(lower(table_schema) = {_quote(s.lower())} and lower(table_name) = "
            f"{_quote(t.lower())})" for _d, s, t in wanted)
        parts.append("select 'column' as kind, lower(table_schema) || '.' || lower(table_name) "
                     "as k, column_name as a, data_type as b, "
                     "cast(ordinal_position as varchar) as c from information_schema.columns "
                     f"where {tests}")
    return "\nunion all\n".join(parts)


def run_query(invocation: Any, sql: str, limit: int) -> list[dict[str, Any]]:
    """The rows of `sql`, run by `dbt show` with the invocation's project and settings."""
    command = [*invocation.command_prefix, "show", "--inline", sql, "--output", "json",
               "--limit", str(limit)]
    # its own target folder, so that the command's run_results.json stays the build's
    target = invocation.target_path / "fetch"
    target.mkdir(parents=True, exist_ok=True)
    parsed = invocation.target_path / "partial_parse.msgpack"
    if parsed.exists():
        shutil.copyfile(parsed, target / "partial_parse.msgpack")
    env = {**invocation.env, "DBT_TARGET_PATH": str(target), "DBT_LOG_PATH": str(target)}
    done = subprocess.run(command, cwd=invocation.project_dir, env=env,
                          capture_output=True, text=True, check=False)
    rows: list[dict[str, Any]] | None = None
    errors = []
    for line in done.stdout.splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if event.get("info", {}).get("name") == "ShowNode":
            rows = json.loads(event["data"]["preview"])
        elif event.get("info", {}).get("level") == "error":
            errors.append(str(event["info"].get("msg", "")))
    if done.returncode != 0 or rows is None:
        raise HeadwaterDbtError(
            "fetching row counts / column metadata with `dbt show` failed in "
            f"{invocation.project_dir}:\n" + ("\n".join(errors) or done.stdout[-2000:]) +
            "\nDrop fetch_row_counts()/fetch_column_metadata() if the warehouse does not "
            "offer information_schema.columns.")
    return rows


def enrich(events: list[Any], invocation: Any, *, row_counts: bool, columns: bool,
           lineage: bool) -> list[Any]:
    """`events` with row counts / column schema / column lineage added to materializations."""
    manifest = invocation.manifest
    translator: HeadwaterDbtTranslator = invocation.headwater_dbt_translator
    built = {}
    for event in events:
        if isinstance(event, (Output, AssetMaterialization)):
            uid = _metadata_value(event.metadata.get("unique_id"))
            if uid and manifest is not None:
                built[str(uid)] = event
    if not built:
        return events
    relations = {uid: invocation.relation_names[uid] for uid in built
                 if uid in invocation.relation_names}
    wanted: set[tuple[str, str, str]] = set()
    if columns:
        for uid in built:
            for candidate in (uid, *parents(manifest, uid)):
                rel = _relation(node(manifest, candidate)) if not candidate.startswith(
                    ("test.", "macro.")) else None
                if rel:
                    wanted.add(rel)
    sql = build_query(relations, wanted, row_counts)
    rows = run_query(invocation, sql, limit=len(relations) + 100_000) if sql else []
    counts = {r["k"]: int(r["a"]) for r in rows if r["kind"] == "rows"}
    cols: dict[str, list[tuple[int, str, str]]] = {}
    for r in rows:
        if r["kind"] == "column":
            cols.setdefault(r["k"], []).append((int(r["c"] or 0), r["a"], r["b"]))
    compiled = _compiled_code(invocation.target_path) if lineage else {}
    result = []
    for event in events:
        uid = str(_metadata_value(event.metadata.get("unique_id")) or "") \
            if isinstance(event, (Output, AssetMaterialization)) else ""
        if uid not in built:
            result.append(event)
            continue
        extra: dict[str, Any] = {}
        if uid in counts:
            extra["headwater/row_count"] = counts[uid]
        rel = _relation(node(manifest, uid))
        own = sorted(cols.get(f"{rel[1].lower()}.{rel[2].lower()}", [])) if rel else []
        if columns and own:
            extra["headwater/column_schema"] = TableSchema(
                columns=[TableColumn(name=name, type=str(kind)) for _pos, name, kind in own])
            if lineage and uid in compiled:
                found = column_lineage(manifest, translator, uid, compiled[uid],
                                       [n for _p, n, _k in own], cols)
                if found is not None:
                    extra["headwater/column_lineage"] = found
        result.append(_with_metadata(event, extra))
    return result


def _metadata_value(value: Any) -> Any:
    return getattr(value, "value", value)


def _with_metadata(event: Any, extra: Mapping[str, Any]) -> Any:
    if not extra:
        return event
    metadata = {k: _metadata_value(v) for k, v in event.metadata.items()}
    metadata.update(extra)
    if isinstance(event, Output):
        return Output(event.value, output_name=event.output_name, metadata=metadata)
    return AssetMaterialization(asset_key=event.asset_key, metadata=metadata,
                                partition=event.partition)


def _compiled_code(target_path: Path) -> dict[str, str]:
    path = target_path / "run_results.json"
    if not path.exists():
        return {}
    results = json.loads(path.read_text()).get("results", [])
    return {r["unique_id"]: r["compiled_code"] for r in results if r.get("compiled_code")}


def column_lineage(manifest: Mapping[str, Any], translator: HeadwaterDbtTranslator, uid: str,
                   sql: str, column_names: list[str],
                   cols: Mapping[str, list[tuple[int, str, str]]]) -> TableColumnLineage | None:
    """Which parent columns each column of model `uid` is computed from, parsed by sqlglot."""
    try:
        from sqlglot import exp, lineage
    except ImportError as exc:
        raise HeadwaterDbtError(
            "column lineage needs sqlglot: pip install sqlglot, or call "
            "fetch_column_metadata(with_column_lineage=False).") from exc
    dialect = str((manifest.get("metadata") or {}).get("adapter_type") or "")
    by_table: dict[str, AssetKey] = {}
    schema: dict[str, dict[str, dict[str, str]]] = {}
    for parent in parents(manifest, uid):
        props = node(manifest, parent)
        rel = _relation(props)
        if rel is None:
            continue
        by_table[rel[2].lower()] = translator.get_asset_key(props)
        known = cols.get(f"{rel[1].lower()}.{rel[2].lower()}", [])
        schema.setdefault(rel[1], {})[rel[2]] = {name: str(kind) for _p, name, kind in known}
    deps: dict[str, list[TableColumnDep]] = {}
    for column in column_names:
        try:
            root = lineage.lineage(column, sql, schema=schema, dialect=dialect)
        except Exception:  # a construct sqlglot cannot follow: no lineage for this column
            continue
        found = []
        for leaf in root.walk():
            if leaf.downstream or not isinstance(leaf.expression, exp.Table):
                continue
            key = by_table.get(leaf.expression.name.lower())
            if key is not None:
                found.append(TableColumnDep(asset_key=key, column_name=leaf.name.split(".")[-1]))
        deps[column] = sorted(set(found), key=lambda d: (d.asset_key.to_user_string(),
                                                         d.column_name))
    return TableColumnLineage(deps_by_column=deps) if deps else None
