// A partitioned asset's partitions as a grid of status cells: time partitions in rows along a
// date axis (a row per month of days, per day of hours, per year of weeks or months), static
// partitions as one block, two-dimensional partitions as a table of one dimension by the other.
// Cells select (click, shift-click for a range, ctrl-click to add) for a backfill, whose page
// opens once it is requested. `arrange` also lays out the backfill page's grid.
import { useMemo, useState } from "react";
import { Link, useNavigate } from "react-router";
import { PartitionGrid } from "../../components/PartitionGrid";
import { enc, post } from "../../api";
import { usePermissions } from "../../server";
import { useToast } from "../../toast";
import { ErrorBox, Loading, useApi } from "../../util";
import { apiPath } from "./common";

const PART_ORDER = ["materialized", "failed", "in_progress", "missing"];

interface Partitions { keys: string[]; status: Record<string, string> }

/** The row of a time partition on the date axis, from the shape of its key. */
export function timeRow(key: string): string {
  if (/^\d{4}-\d{2}-\d{2}-\d{2}:\d{2}/.test(key)) return key.slice(0, 10);
  if (/^\d{4}-\d{2}-\d{2}$/.test(key)) return key.slice(0, 7);
  return key.slice(0, 4);
}

/** How the keys are laid out: rows of [label, key indexes] (time), a table (multi), or one block. */
export function arrange(keys: string[], kind: string): { rows: [string, number[]][]; columns?: string[] } {
  if (kind.startsWith("MultiPartitions")) {
    const rowNames: string[] = [];
    const columns: string[] = [];
    for (const k of keys) {
      const [r, c] = k.split("|");
      if (!rowNames.includes(r)) rowNames.push(r);
      if (!columns.includes(c)) columns.push(c);
    }
    const at = new Map(keys.map((k, i) => [k, i]));
    return { columns, rows: rowNames.map((r) => [r, columns.map((c) => at.get(`${r}|${c}`) ?? -1)]) };
  }
  const isTime = /TimeWindow|Daily|Hourly|Weekly|Monthly/.test(kind) && keys.every((k) => /^\d{4}-\d{2}/.test(k));
  if (!isTime) return { rows: [["", keys.map((_, i) => i)]] };
  // Days line up under the day of the month, hours under the hour of the day.
  const daily = keys.every((k) => /^\d{4}-\d{2}-\d{2}$/.test(k));
  const hourly = keys.every((k) => /^\d{4}-\d{2}-\d{2}-\d{2}:\d{2}$/.test(k));
  const columns = daily ? Array.from({ length: 31 }, (_, d) => String(d + 1))
    : hourly ? Array.from({ length: 24 }, (_, h) => String(h).padStart(2, "0")) : undefined;
  const slot = (k: string) => daily ? Number(k.slice(8, 10)) - 1 : Number(k.slice(11, 13));
  const rows: [string, number[]][] = [];
  keys.forEach((k, i) => {
    const label = timeRow(k);
    if (!rows.length || rows[rows.length - 1][0] !== label) rows.push([label, columns ? columns.map(() => -1) : []]);
    const row = rows[rows.length - 1][1];
    if (columns) row[slot(k)] = i;
    else row.push(i);
  });
  return { rows, columns };
}

export function PartitionsTab({ assetKey, kind }: { assetKey: string; kind: string }) {
  const toast = useToast();
  const navigate = useNavigate();
  const { writeReason } = usePermissions();
  const parts = useApi<Partitions>(`${apiPath(assetKey)}/partitions`, 10000);
  const [picked, setPicked] = useState<Set<string>>(new Set());
  const [anchor, setAnchor] = useState<number | null>(null);
  const [busy, setBusy] = useState(false);
  const keys = useMemo(() => parts.data?.keys ?? [], [parts.data]);
  const layout = useMemo(() => arrange(keys, kind), [keys, kind]);
  if (parts.error) return <section className="card"><h2>Partitions</h2><ErrorBox error={parts.error} /></section>;
  if (!parts.data) return <section className="card"><h2>Partitions</h2><Loading /></section>;
  const { status } = parts.data;
  const statusOf = (k: string) => status[k] ?? "missing";
  const counts: Record<string, number> = {};
  for (const k of keys) counts[statusOf(k)] = (counts[statusOf(k)] ?? 0) + 1;

  const click = (i: number, e: React.MouseEvent) => {
    const k = keys[i];
    setPicked((cur) => {
      const next = new Set(e.metaKey || e.ctrlKey || e.shiftKey ? cur : []);
      if (e.shiftKey && anchor !== null) {
        const [lo, hi] = anchor < i ? [anchor, i] : [i, anchor];
        for (let j = lo; j <= hi; j++) next.add(keys[j]);
      } else if (next.has(k)) next.delete(k);
      else next.add(k);
      return next;
    });
    if (!e.shiftKey) setAnchor(i);
  };
  const pickStatus = (s: string) => setPicked(new Set(keys.filter((k) => statusOf(k) === s)));

  const backfill = async () => {
    setBusy(true);
    try {
      const { backfill_id } = await post<{ backfill_id: string }>("/api/backfills", { keys: [assetKey], partition_keys: [...picked] });
      toast("ok", <span>Backfill <Link className="mono" to={`/backfills/${enc(backfill_id)}`}>{backfill_id}</Link> requested for {picked.size} partitions.</span>);
      setPicked(new Set());
      navigate(`/backfills/${enc(backfill_id)}`);
    } catch (e) {
      toast("bad", <span>Backfill refused: {(e as Error).message}</span>);
    } finally {
      setBusy(false);
    }
  };

  const cell = (i: number, j: number) => {
    if (i < 0) return <span key={`gap-${j}`} className="cell gap" aria-hidden="true" />;
    const k = keys[i];
    const s = statusOf(k);
    return (
      <button key={k} type="button" role="gridcell" aria-selected={picked.has(k)} data-partition={k} data-status={s}
        className={`cell p-${s}${picked.has(k) ? " picked" : ""}`} title={`${k}: ${s.replace("_", " ")}`}
        aria-label={`${k}: ${s.replace("_", " ")}`} onClick={(e) => click(i, e)} />
    );
  };

  return (
    <section className="card" aria-label="Partitions">
      <h2>Partitions <span className="muted small">{keys.length.toLocaleString()} total</span></h2>
      <div className="row wrap">
        {PART_ORDER.map((s) => (
          <button key={s} type="button" className="ghost small" data-count={s} onClick={() => pickStatus(s)} title={`Select every ${s.replace("_", " ")} partition`}>
            <span className={`swatch p-${s}`} /> {s.replace("_", " ")} <b>{counts[s] ?? 0}</b>
          </button>
        ))}
        <button type="button" className="ghost small" onClick={() => setPicked(new Set(keys))}>Select all</button>
        {picked.size > 0 && <button type="button" className="ghost small" onClick={() => setPicked(new Set())}>Clear</button>}
        <span className="spacer" />
        <button type="button" className="primary" disabled={!picked.size || busy || !!writeReason} title={writeReason} onClick={backfill}>
          {picked.size ? `Launch backfill (${picked.size} partition${picked.size > 1 ? "s" : ""})` : "Launch backfill"}
        </button>
      </div>
      <PartitionGrid layout={layout} label="Partition status; click to select, shift-click for a range" cell={cell} />
      <p className="muted small">
        {keys.length > 0 && <>From <span className="mono">{keys[0]}</span> to <span className="mono">{keys[keys.length - 1]}</span>. </>}
        Click a partition to select it, shift-click to select a range, ctrl-click to add one.
      </p>
    </section>
  );
}
