// A grid of partition cells: one row per partition (a flow of cells), or for multi-dimensional
// partitions a table of rows by columns (PartitionsTab's `arrange`). Each page draws its cells.
import type { ReactNode } from "react";

export interface PartitionLayout { rows: [string, number[]][]; columns?: string[] }

export function PartitionGrid({ layout, label, cell }: { layout: PartitionLayout; label: string; cell: (index: number, position: number) => ReactNode }) {
  return (
    <div className={`partition-rows ${layout.columns ? "table" : "rows"}`} role="grid" aria-label={label}
      style={layout.columns ? { gridTemplateColumns: `max-content repeat(${layout.columns.length}, minmax(14px, max-content))` } : undefined}>
      {layout.columns && (
        <div role="row" className="partition-row axis">
          <span className="row-label" />
          {layout.columns.map((c) => <span key={c} role="columnheader" className="col-label mono">{c}</span>)}
        </div>
      )}
      {layout.rows.map(([rowLabel, indexes]) => (
        <div key={rowLabel || "all"} role="row" className={`partition-row${rowLabel ? "" : " flow"}`}>
          {rowLabel && <span role="rowheader" className="row-label mono">{rowLabel}</span>}
          {indexes.map((i, j) => cell(i, j))}
        </div>
      ))}
    </div>
  );
}
