// "Materialize": launches a run for the given assets; asks for a partition when one is partitioned.
import { useState } from "react";
import { Link } from "react-router";
import { api, enc, post, type AssetSummary } from "../api";
import { usePermissions } from "../server";
import { useToast } from "../toast";

export function MaterializeButton({ keys, assets, label, className }: {
  keys: string[]; assets: Map<string, AssetSummary> | AssetSummary[]; label?: string; className?: string;
}) {
  const toast = useToast();
  const { launchReason } = usePermissions();
  const [busy, setBusy] = useState(false);
  const [partitionKeys, setPartitionKeys] = useState<string[] | null>(null);
  const [partition, setPartition] = useState("");
  const lookup = Array.isArray(assets) ? new Map(assets.map((a) => [a.key, a])) : assets;
  const partitioned = keys.map((k) => lookup.get(k)).find((a) => a?.partitions);
  const blocked = keys.map((k) => lookup.get(k)).find((a) => a && !a.is_executable);

  const launch = async (partitionKey?: string) => {
    setBusy(true);
    try {
      const body: { keys: string[]; partition_key?: string } = { keys };
      if (partitionKey) body.partition_key = partitionKey;
      const { run_id } = await post<{ run_id: string }>("/api/assets/materialize", body);
      toast("ok", <span>Launched run <Link className="mono" to={`/runs/${run_id}`}>{run_id.slice(0, 8)}</Link> for {keys.length} asset{keys.length > 1 ? "s" : ""}. <Link to={`/runs/${run_id}`}>View run →</Link></span>);
      setPartitionKeys(null);
    } catch (e) {
      toast("bad", <span>Could not materialize: {(e as Error).message}</span>);
    } finally {
      setBusy(false);
    }
  };

  const onClick = async () => {
    if (!partitioned) return launch();
    try {
      const reply = await api<{ keys: string[] }>(`/api/assets/${partitioned.key.split("/").map(enc).join("/")}/partitions`);
      setPartitionKeys(reply.keys);
      setPartition(reply.keys[reply.keys.length - 1] ?? "");
    } catch (e) {
      toast("bad", <span>Could not list partitions: {(e as Error).message}</span>);
    }
  };

  return (
    <>
      <button type="button" className={className ?? "primary"} disabled={!keys.length || busy || !!blocked || !!launchReason}
        title={launchReason ?? (blocked ? `${blocked.key} is a source asset and cannot be materialized` : keys.length ? `Materialize ${keys.join(", ")}` : "Select assets first (click, shift-click to add)")}
        onClick={onClick}>
        {busy ? "Launching…" : label ?? "Materialize"}
      </button>
      {partitionKeys && (
        <div className="modal-backdrop" role="presentation" onClick={() => setPartitionKeys(null)}>
          <div className="modal" role="dialog" aria-modal="true" aria-label="Choose a partition" onClick={(e) => e.stopPropagation()}
            onKeyDown={(e) => e.key === "Escape" && setPartitionKeys(null)}>
            <h2>Materialize a partition</h2>
            <p className="muted">{partitioned?.key} is partitioned: pick the partition to materialize, or launch a backfill from its asset page.</p>
            <select autoFocus value={partition} onChange={(e) => setPartition(e.target.value)} aria-label="Partition">
              {partitionKeys.map((k) => <option key={k} value={k}>{k}</option>)}
            </select>
            <div className="row end">
              <button type="button" className="ghost" onClick={() => setPartitionKeys(null)}>Cancel</button>
              <button type="button" className="primary" disabled={!partition || busy} onClick={() => launch(partition)}>Launch run</button>
            </div>
          </div>
        </div>
      )}
    </>
  );
}
