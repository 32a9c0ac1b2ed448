// "Materialize": launches the runs for the given assets. When one is partitioned it asks for
// one partition (a run), a range or every missing one (a backfill); the server splits a
// selection mixing partitioned and unpartitioned assets into the runs it needs. After a
// backfill is requested, its page opens.
import { useState, type ReactNode } from "react";
import { Link, useNavigate } from "react-router";
import { enc, post, type AssetSummary } from "../api";
import { usePermissions } from "../server";
import { useToast } from "../toast";
import { chosenKeys, PartitionPicker, usePartitions, type PartitionChoice } from "./PartitionPicker";

interface Launched { run_id: string | null; run_ids?: string[]; backfill_id?: string | null }

const runLink = (id: string) => <Link key={id} className="mono" to={`/runs/${id}`}>{id.slice(0, 8)}</Link>;

/** What a launch started, as a toast's text: its runs as links, and its backfill. */
export function launchedSummary(reply: Launched, partitions: number): ReactNode {
  const runs = reply.run_ids ?? (reply.run_id ? [reply.run_id] : []);
  const parts: ReactNode[] = [];
  if (runs.length === 1) parts.push(<span key="r">Launched run {runLink(runs[0])}. <Link to={`/runs/${runs[0]}`}>View run →</Link></span>);
  else if (runs.length > 1) parts.push(<span key="r">Launched {runs.length} runs: {runs.map((id, i) => <span key={id}>{i ? ", " : ""}{runLink(id)}</span>)}.</span>);
  if (reply.backfill_id) parts.push(<span key="b"> Backfill <Link className="mono" to={`/backfills/${enc(reply.backfill_id)}`}>{reply.backfill_id}</Link> requested for {partitions} partition{partitions === 1 ? "" : "s"}.</span>);
  return <span>{parts}</span>;
}

/** What the button needs to know of an asset (an asset list entry or a catalog row). */
export type Launchable = Pick<AssetSummary, "key" | "is_executable" | "partitions"> & Partial<Pick<AssetSummary, "location" | "location_stale">>;

export function MaterializeButton({ keys, assets, label, className }: {
  keys: string[]; assets: Map<string, Launchable> | Launchable[]; label?: string; className?: string;
}) {
  const toast = useToast();
  const navigate = useNavigate();
  const { launchReason } = usePermissions();
  const [busy, setBusy] = useState(false);
  const [open, setOpen] = useState(false);
  const lookup = Array.isArray(assets) ? new Map(assets.map((a) => [a.key, a])) : assets;
  const partitioned = keys.map((k) => lookup.get(k)).find((a) => a?.partitions);
  const blocked = keys.map((k) => lookup.get(k)).find((a) => a && !a.is_executable);
  const stale = keys.map((k) => lookup.get(k)).find((a) => a?.location_stale);

  const launch = async (body: { partition_key?: string; partition_keys?: string[] }, partitions: number) => {
    setBusy(true);
    try {
      const reply = await post<Launched>("/api/assets/materialize", { keys, ...body });
      toast("ok", launchedSummary(reply, partitions));
      setOpen(false);
      if (reply.backfill_id) navigate(`/backfills/${enc(reply.backfill_id)}`);
    } catch (e) {
      toast("bad", <span>Could not materialize: {(e as Error).message}</span>);
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <button type="button" className={className ?? "primary"} disabled={!keys.length || busy || !!blocked || !!stale || !!launchReason}
        title={launchReason ?? (stale ? `The code location ${stale.location} of ${stale.key} failed to load: fix it and reload it (Deployment) to materialize` : blocked ? `${blocked.key} is a source asset and cannot be materialized` : keys.length ? `Materialize ${keys.slice(0, 5).join(", ")}${keys.length > 5 ? ` and ${keys.length - 5} more` : ""}` : "Select assets first (click, shift-click to add)")}
        onClick={() => (partitioned ? setOpen(true) : launch({}, 0))}>
        {busy ? "Launching…" : label ?? "Materialize"}
      </button>
      {open && partitioned && (
        <PartitionDialog asset={partitioned.key} others={keys.filter((k) => !lookup.get(k)?.partitions)} busy={busy}
          onClose={() => setOpen(false)} onLaunch={launch} />
      )}
    </>
  );
}

function PartitionDialog({ asset, others, busy, onClose, onLaunch }: {
  asset: string; others: string[]; busy: boolean; onClose: () => void;
  onLaunch: (body: { partition_key?: string; partition_keys?: string[] }, partitions: number) => void;
}) {
  const { list, error } = usePartitions(`/api/assets/${asset.split("/").map(enc).join("/")}/partitions`);
  const [choice, setChoice] = useState<PartitionChoice>({ mode: "single", key: "" });
  const chosen = list ? chosenKeys(choice, list) : [];
  const single = choice.mode === "single";
  return (
    <div className="modal-backdrop" role="presentation" onClick={onClose}>
      <div className="modal" role="dialog" aria-modal="true" aria-label="Choose partitions" onClick={(e) => e.stopPropagation()}
        onKeyDown={(e) => e.key === "Escape" && onClose()}>
        <h2>Materialize partitions</h2>
        <p className="muted">{asset} is partitioned: pick one partition (one run), a range or every missing partition (a backfill).
          {others.length > 0 && <> The unpartitioned asset{others.length > 1 ? "s" : ""} {others.join(", ")} run{others.length > 1 ? "" : "s"} once, in a run of {others.length > 1 ? "their" : "its"} own.</>}</p>
        {error && <div className="callout bad slim">Could not list the partitions: {error}</div>}
        {list ? <PartitionPicker list={list} choice={choice} onChange={setChoice} subject={asset} /> : !error && <p className="muted">Loading partitions…</p>}
        <div className="row end">
          <button type="button" className="ghost" onClick={onClose}>Cancel</button>
          <button type="button" className="primary" disabled={!chosen.length || busy}
            onClick={() => onLaunch(single ? { partition_key: chosen[0] } : { partition_keys: chosen }, chosen.length)}>
            {single ? "Launch run" : `Launch backfill (${chosen.length} partition${chosen.length === 1 ? "" : "s"})`}
          </button>
        </div>
      </div>
    </div>
  );
}
