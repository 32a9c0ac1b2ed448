// The asset catalog's table: one row per asset with its status, last materialization,
// partition health and checks; sortable column headers (the server sorts) and a checkbox per
// row for bulk actions.
import { Link } from "react-router";
import type { CatalogRow } from "../api";
import { ago, assetPath, Badge, fmtTime } from "../util";
import { CheckBadge, summarize } from "./Checks";

export type SortColumn = "key" | "group" | "status" | "last_materialized" | "partitions_materialized"
  | "partitions_failed" | "partitions_missing" | "checks";

// A first click sorts text columns A to Z and the others biggest (or newest) first.
const FIRST_DESC = new Set<SortColumn>(["last_materialized", "partitions_materialized", "partitions_failed", "partitions_missing", "checks"]);

export function nextSort(current: { sort: SortColumn; desc: boolean }, col: SortColumn) {
  return current.sort === col ? { sort: col, desc: !current.desc } : { sort: col, desc: FIRST_DESC.has(col) };
}

function SortHeader({ col, label, sort, onSort, title }: {
  col: SortColumn; label: string; sort: { sort: SortColumn; desc: boolean }; onSort: (c: SortColumn) => void; title?: string;
}) {
  const active = sort.sort === col;
  return (
    <th aria-sort={active ? (sort.desc ? "descending" : "ascending") : "none"} title={title}>
      <button type="button" className="sort-button" onClick={() => onSort(col)}>
        {label}<span aria-hidden>{active ? (sort.desc ? " ▼" : " ▲") : ""}</span>
      </button>
    </th>
  );
}

export function CatalogTable({ rows, selected, onToggle, onToggleAll, sort, onSort }: {
  rows: CatalogRow[]; selected: Map<string, CatalogRow>;
  onToggle: (row: CatalogRow) => void; onToggleAll: (on: boolean) => void;
  sort: { sort: SortColumn; desc: boolean }; onSort: (c: SortColumn) => void;
}) {
  const allOn = rows.length > 0 && rows.every((r) => selected.has(r.key));
  const h = { sort, onSort };
  return (
    <table className="data catalog-table" aria-label="Asset catalog">
      <thead>
        <tr>
          <th className="check-col">
            <input type="checkbox" aria-label="Select all shown assets" checked={allOn} onChange={(e) => onToggleAll(e.target.checked)} />
          </th>
          <SortHeader col="key" label="Asset" {...h} />
          <SortHeader col="group" label="Group" {...h} />
          <th>Kinds · owners</th>
          <SortHeader col="status" label="Status" {...h} />
          <SortHeader col="last_materialized" label="Last materialized" {...h} />
          <SortHeader col="partitions_materialized" label="Healthy" {...h} title="Partitions materialized" />
          <SortHeader col="partitions_failed" label="Failed" {...h} title="Partitions failed" />
          <SortHeader col="partitions_missing" label="Missing" {...h} title="Partitions never materialized" />
          <SortHeader col="checks" label="Checks" {...h} title="Sorted by failed, then warning, then all checks" />
          <th>Location</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => <Row key={r.key} row={r} on={selected.has(r.key)} onToggle={onToggle} />)}
      </tbody>
    </table>
  );
}

function Row({ row: r, on, onToggle }: { row: CatalogRow; on: boolean; onToggle: (row: CatalogRow) => void }) {
  const p = r.partitions;
  return (
    <tr data-asset-row={r.key} className={on ? "selected" : undefined}>
      <td className="check-col">
        <input type="checkbox" aria-label={`Select ${r.key}`} checked={on} onChange={() => onToggle(r)} />
      </td>
      <td>
        <Link className="mono" to={assetPath(r.key)}>{r.key}</Link>
        {r.description && <div className="small muted clip-line" title={r.description}>{r.description}</div>}
      </td>
      <td>{r.group ?? "default"}</td>
      <td className="small">
        {r.kinds.map((k) => <span key={k} className="chip">{k}</span>)}
        {r.owners.length > 0 && <div className="muted">{r.owners.join(", ")}</div>}
      </td>
      <td>
        <Badge status={r.status} />
        {r.stale_status === "STALE" && r.status !== "stale" && <span className="chip" title="Stale">stale</span>}
      </td>
      <td className="small">
        {r.latest ? <Link to={`/runs/${r.latest.run_id}`} title={fmtTime(r.latest.timestamp)}>{ago(r.latest.timestamp)}</Link> : <span className="muted">never</span>}
      </td>
      {p ? (
        <>
          <td className="num" data-col="healthy">{p.materialized}</td>
          <td className={`num${p.failed ? " bad-text" : ""}`} data-col="failed">{p.failed}</td>
          <td className="num" data-col="missing" title={p.in_progress ? `${p.in_progress} in progress` : undefined}>{p.missing ?? "?"}</td>
        </>
      ) : <td colSpan={3} className="muted small center" title="Not partitioned">—</td>}
      <td>
        {r.check_summary && r.check_summary.total > 0
          ? <span title={summarize(r.check_summary).text}><CheckBadge result={summarize(r.check_summary).result} short /> <span className="small muted">{r.check_summary.total}</span></span>
          : <span className="muted small">—</span>}
      </td>
      <td className="small">{r.location}</td>
    </tr>
  );
}
