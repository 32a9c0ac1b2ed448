// Choosing partitions to launch: one partition (a run), a range, or every missing one (both
// become a backfill). Used by the materialize dialog and the launchpad of a partitioned job.
import { useEffect, useMemo, useState } from "react";
import { api } from "../api";

export type PartitionChoice =
  | { mode: "single"; key: string }
  | { mode: "range"; start: string; end: string }
  | { mode: "missing" };

export interface PartitionList { keys: string[]; status: Record<string, string> | null }

/** The partition keys a choice stands for, in the definition's order. */
export function chosenKeys(choice: PartitionChoice, list: PartitionList): string[] {
  if (choice.mode === "single") return choice.key ? [choice.key] : [];
  if (choice.mode === "missing") return list.keys.filter((k) => isMissing(list.status?.[k]));
  const a = list.keys.indexOf(choice.start);
  const b = list.keys.indexOf(choice.end);
  if (a < 0 || b < 0) return [];
  return list.keys.slice(Math.min(a, b), Math.max(a, b) + 1);
}

const isMissing = (status: string | undefined) => status === undefined || status === "missing" || status === "failed";

/** Fetches the partitions at `url` (`{keys, status}`); null while loading. */
export function usePartitions(url: string | null): { list: PartitionList | null; error: string | null } {
  const [list, setList] = useState<PartitionList | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    if (!url) return;
    let live = true;
    api<PartitionList>(url).then((r) => live && setList(r)).catch((e: Error) => live && setError(e.message));
    return () => { live = false; };
  }, [url]);
  return { list, error };
}

export function PartitionPicker({ list, choice, onChange, subject }: {
  list: PartitionList; choice: PartitionChoice; onChange: (c: PartitionChoice) => void; subject: string;
}) {
  const keys = list.keys;
  const missing = useMemo(() => chosenKeys({ mode: "missing" }, list).length, [list]);
  const count = chosenKeys(choice, list).length;
  const first = keys[0] ?? "";
  const last = keys[keys.length - 1] ?? "";
  return (
    <fieldset className="partition-picker" aria-label="Partitions">
      <legend>Partitions of {subject} <span className="muted small">({keys.length})</span></legend>
      <div className="row wrap">
        <label><input type="radio" name="partition-mode" checked={choice.mode === "single"} onChange={() => onChange({ mode: "single", key: "" })} /> One partition</label>
        <label><input type="radio" name="partition-mode" checked={choice.mode === "range"} onChange={() => onChange({ mode: "range", start: first, end: last })} /> A range</label>
        {list.status && <label title="Every partition not materialized yet (missing or failed)"><input type="radio" name="partition-mode" checked={choice.mode === "missing"} onChange={() => onChange({ mode: "missing" })} /> All missing ({missing})</label>}
      </div>
      {choice.mode === "single" && (
        <div className="row">
          <select aria-label="Partition" value={choice.key} onChange={(e) => onChange({ mode: "single", key: e.target.value })}>
            <option value="">Pick a partition…</option>
            {keys.map((k) => <option key={k} value={k}>{k}{list.status ? ` (${list.status[k] ?? "missing"})` : ""}</option>)}
          </select>
          {!choice.key && <span className="muted small">Pick a partition to launch.</span>}
        </div>
      )}
      {choice.mode === "range" && (
        <div className="row">
          <label className="small">From <select value={choice.start} onChange={(e) => onChange({ ...choice, start: e.target.value })}>
            {keys.map((k) => <option key={k} value={k}>{k}</option>)}
          </select></label>
          <label className="small">To <select value={choice.end} onChange={(e) => onChange({ ...choice, end: e.target.value })}>
            {keys.map((k) => <option key={k} value={k}>{k}</option>)}
          </select></label>
        </div>
      )}
      {choice.mode === "range" && <p className="muted small">{count} partition{count === 1 ? "" : "s"}, launched as a backfill.</p>}
      {choice.mode === "missing" && <p className="muted small">{missing ? `${missing} partition${missing === 1 ? "" : "s"} not materialized yet, launched as a backfill.` : "Every partition is materialized."}</p>}
    </fieldset>
  );
}
