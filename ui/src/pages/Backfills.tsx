// Backfills: the list (target, status, a progress bar of its partitions) and one backfill's
// page (its status with Cancel, progress counts, a grid of its partitions coloured by the
// status of each one's newest run, and its runs), both updated live while runs change.
import { useEffect, useMemo, useState } from "react";
import { Link, useParams, useSearchParams } from "react-router";
import { PartitionGrid } from "../components/PartitionGrid";
import { enc, post, type BackfillDetail, type BackfillPartitionStatus, type BackfillSummary, type Page, type Run } from "../api";
import { useOnReconnect, useRunChanges } from "../live";
import { usePermissions } from "../server";
import { useToast } from "../toast";
import { ago, assetPath, Empty, ErrorBox, fmtDuration, Loading, PageHeader, Time, useApi, useTitle } from "../util";
import { arrange } from "./asset/PartitionsTab";
import { RunsTable } from "./Runs";

const STATUSES = ["REQUESTED", "CANCELING", "CANCELED", "COMPLETED_SUCCESS", "COMPLETED_FAILED"];
const FINISHED = new Set(["CANCELED", "COMPLETED_SUCCESS", "COMPLETED_FAILED"]);
/** The order of the progress bar's segments and of the legend. */
const PARTS: [BackfillPartitionStatus, string][] = [
  ["succeeded", "Succeeded"], ["failed", "Failed"], ["in_progress", "In progress"],
  ["queued", "Queued"], ["canceled", "Canceled"], ["not_launched", "Not launched"],
];
const BADGE: Record<string, string> = {
  REQUESTED: "In progress", CANCELING: "Canceling", CANCELED: "Canceled",
  COMPLETED_SUCCESS: "Completed", COMPLETED_FAILED: "Completed with failures",
};

export const backfillPath = (id: string) => `/backfills/${enc(id)}`;

const TONE: Record<string, string> = {
  REQUESTED: "busy", CANCELING: "busy", CANCELED: "none", COMPLETED_SUCCESS: "ok", COMPLETED_FAILED: "bad",
};

function BackfillBadge({ status }: { status: string }) {
  return (
    <span className={`badge tone-${TONE[status] ?? "none"}`} data-status={status}>
      <span className="dot" aria-hidden />
      {BADGE[status] ?? status}
    </span>
  );
}

/** What a backfill runs: its assets (links) or its job. */
function Target({ b }: { b: BackfillSummary }) {
  if (b.job_name) return <>job <Link to={`/jobs/${enc(b.job_name)}`}>{b.job_name}</Link></>;
  return <>{b.asset_selection.map((k) => <Link key={k} className="chip mono" to={assetPath(k)}>{k}</Link>)}</>;
}

/** The counts in words: what succeeded, failed, runs, remains (once finished: was never
 * launched) and was canceled. */
function summary(counts: Record<BackfillPartitionStatus, number>, total: number, finished: boolean): string {
  const remaining = counts.queued + counts.not_launched;
  const parts = [`${counts.succeeded} succeeded`];
  if (counts.failed) parts.push(`${counts.failed} failed`);
  if (counts.in_progress) parts.push(`${counts.in_progress} in progress`);
  if (remaining || !finished) parts.push(finished ? `${remaining} not launched` : `${remaining} remaining`);
  if (counts.canceled) parts.push(`${counts.canceled} canceled`);
  return `${parts.join(" · ")} of ${total}`;
}

/** One bar, a segment per partition status, with the numbers beside it. */
export function ProgressBar({ counts, total, finished, wide }: {
  counts: Record<BackfillPartitionStatus, number>; total: number; finished: boolean; wide?: boolean;
}) {
  const done = counts.succeeded + counts.failed + counts.canceled;
  const label = PARTS.filter(([s]) => counts[s]).map(([s, l]) => `${counts[s]} ${l.toLowerCase()}`).join(", ");
  return (
    <div className={`backfill-progress${wide ? " wide" : ""}`}>
      <div className="bar" role="progressbar" aria-label={`Partitions: ${label || "none"}`} aria-valuemin={0} aria-valuemax={total} aria-valuenow={done}>
        {PARTS.map(([s]) => counts[s] > 0 && (
          <span key={s} className={`seg p-${s}`} data-segment={s} style={{ width: `${(100 * counts[s]) / Math.max(total, 1)}%` }} title={`${counts[s]} ${s.replace("_", " ")}`} />
        ))}
      </div>
      <span className="small muted counts">{summary(counts, total, finished)}</span>
    </div>
  );
}

export function BackfillsPage() {
  useTitle("Backfills");
  const [params, setParams] = useSearchParams();
  const status = params.get("status") ?? "";
  const path = `/api/backfills?limit=100${status ? `&status=${enc(status)}` : ""}`;
  const list = useApi<Page<BackfillSummary>>(path, 5000);
  useRunChanges(() => list.reload(), 800);
  useOnReconnect(() => list.reload());
  return (
    <div className="page">
      <PageHeader title="Backfills" sub="Partitions of assets or jobs launched as a set, newest first. Updates live." />
      <form className="filters" onSubmit={(e) => e.preventDefault()}>
        <label>Status
          <select value={status} onChange={(e) => setParams(e.target.value ? { status: e.target.value } : {}, { replace: true })}>
            <option value="">Any</option>
            {STATUSES.map((s) => <option key={s} value={s}>{BADGE[s].toLowerCase()}</option>)}
          </select>
        </label>
      </form>
      <ErrorBox error={list.error} title="Could not load backfills" />
      {!list.data ? <Loading what="backfills" /> : list.data.items.length === 0 ? (
        <Empty>{status ? "No backfill in this status." : "No backfills yet. Pick a range of partitions on a partitioned asset or job and launch it as a backfill."}</Empty>
      ) : (
        <table className="data backfills-table">
          <thead><tr><th>Backfill</th><th>Created</th><th>Target</th><th>Status</th><th>Progress</th></tr></thead>
          <tbody>
            {list.data.items.map((b) => (
              <tr key={b.backfill_id} data-backfill={b.backfill_id}>
                <td><Link className="mono" to={backfillPath(b.backfill_id)}>{b.backfill_id}</Link></td>
                <td><Time value={b.timestamp} /><div className="muted small">{ago(b.timestamp)}</div></td>
                <td><Target b={b} /><div className="muted small">{b.num_partitions} partition{b.num_partitions === 1 ? "" : "s"}{b.location ? ` · ${b.location}` : ""}</div></td>
                <td><BackfillBadge status={b.status} /></td>
                <td><ProgressBar counts={b.counts} total={b.num_partitions} finished={FINISHED.has(b.status)} /></td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

export function BackfillPage() {
  const { backfillId = "" } = useParams();
  useTitle(`Backfill ${backfillId}`);
  const toast = useToast();
  const { writeReason } = usePermissions();
  const [busy, setBusy] = useState(false);
  // While it runs: reloaded on every run change, and every 2 s for what no run announces
  // (the daemon launching runs, the backfill's own status); once finished it stays put.
  const [live, setLive] = useState(true);
  const detail = useApi<BackfillDetail>(`/api/backfills/${enc(backfillId)}`, live ? 2000 : undefined);
  const data = detail.data;
  const finished = data ? FINISHED.has(data.status) : false;
  useEffect(() => setLive(!finished), [finished]);
  const runs = useApi<Page<Run>>(`/api/runs?backfill=${enc(backfillId)}&limit=20`, live ? 2000 : undefined);
  const reload = () => {
    detail.reload();
    runs.reload();
  };
  useRunChanges(reload, 500);
  useOnReconnect(reload);

  const cancel = async () => {
    setBusy(true);
    try {
      await post(`/api/backfills/${enc(backfillId)}/cancel`);
      toast("info", `Cancel requested: backfill ${backfillId} launches no more runs and stops those in progress.`);
      reload();
    } catch (e) {
      toast("bad", <span>Could not cancel: {(e as Error).message}</span>);
    } finally {
      setBusy(false);
    }
  };

  if (detail.error && !data) {
    return <div className="page"><nav className="crumbs"><Link to="/backfills">Backfills</Link> / {backfillId}</nav><ErrorBox error={detail.error} title="Could not load the backfill" /></div>;
  }
  if (!data) return <div className="page"><Loading what="backfill" /></div>;
  const done = finished;
  const cancelReason = writeReason ?? (done ? "This backfill has finished: there is nothing to cancel." : data.status === "CANCELING" ? "Cancel already requested." : undefined);
  const duration = (data.end_timestamp ?? Date.now() / 1000) - data.timestamp;
  return (
    <div className="page backfill-page">
      <nav className="crumbs" aria-label="Breadcrumb"><Link to="/backfills">Backfills</Link> / <span className="mono">{backfillId}</span></nav>
      <PageHeader
        title={<>Backfill <span className="mono">{backfillId}</span></>}
        sub={<><BackfillBadge status={data.status} /> <span className="muted">{data.num_partitions} partition{data.num_partitions === 1 ? "" : "s"} · {fmtDuration(duration)}</span></>}
        actions={<button type="button" className="danger" onClick={cancel} disabled={busy || !!cancelReason} title={cancelReason}>Cancel backfill</button>}
      />
      <section className="card">
        <dl className="facts inline">
          <dt>Target</dt><dd><Target b={data} /></dd>
          <dt>Code location</dt><dd>{data.location ?? "—"}</dd>
          <dt>Created</dt><dd><Time value={data.timestamp} /></dd>
          <dt>Requested by</dt><dd>{data.requested_by ?? "—"}</dd>
          {done && <><dt>Ended</dt><dd><Time value={data.end_timestamp} /></dd></>}
          <dt>Runs</dt><dd>{data.single_run ? "one run over the whole range" : "one run per partition"} · <Link to={`/runs?backfill=${enc(backfillId)}`}>{data.runs.length} run{data.runs.length === 1 ? "" : "s"} →</Link></dd>
          {Object.keys(data.tags).length > 0 && <><dt>Tags</dt><dd>{Object.entries(data.tags).map(([k, v]) => <span key={k} className="chip mono">{k}={v}</span>)}</dd></>}
        </dl>
        <ProgressBar counts={data.counts} total={data.num_partitions} finished={done} wide />
        {data.status === "CANCELING" && <p className="callout warn slim">Canceling: no new run starts; the daemon marks the backfill canceled once its runs in progress have stopped.</p>}
      </section>
      <BackfillPartitions detail={data} />
      <section className="card">
        <div className="row"><h2>Runs</h2><span className="spacer" /><Link to={`/runs?backfill=${enc(backfillId)}`}>All runs of this backfill →</Link></div>
        <ErrorBox error={runs.error} />
        {!runs.data ? <Loading what="runs" /> : runs.data.items.length === 0 ? <Empty>No run launched yet: the daemon launches the backfill's runs (is <code>headwater daemon</code> running?).</Empty> : <RunsTable runs={runs.data.items} />}
      </section>
    </div>
  );
}

/** One cell per partition, coloured by its status, on a date axis for time partitions. */
function BackfillPartitions({ detail }: { detail: BackfillDetail }) {
  const keys = useMemo(() => detail.partitions.map((p) => p.key), [detail.partitions]);
  const kind = detail.partitions_type ?? (keys.every((k) => /^\d{4}-\d{2}/.test(k)) ? "TimeWindow" : "");
  const layout = useMemo(() => arrange(keys, kind), [keys, kind]);
  const cell = (i: number, j: number) => {
    if (i < 0) return <span key={`gap-${j}`} className="cell gap" aria-hidden="true" />;
    const p = detail.partitions[i];
    const text = `${p.key}: ${p.status.replace("_", " ")}${p.run_ids.length > 1 ? ` (${p.run_ids.length} runs)` : ""}`;
    return p.run_ids.length ? (
      <Link key={p.key} role="gridcell" to={`/runs/${p.run_ids[0]}`} className={`cell p-${p.status}`} data-partition={p.key} data-status={p.status} title={`${text}; open its run`} aria-label={text} />
    ) : <span key={p.key} role="gridcell" className={`cell p-${p.status}`} data-partition={p.key} data-status={p.status} title={text} aria-label={text} />;
  };
  return (
    <section className="card" aria-label="Partitions">
      <h2>Partitions</h2>
      <div className="row wrap small legend-row">
        {PARTS.map(([s, label]) => <span key={s} data-count={s}><span className={`swatch p-${s}`} /> {label} <b>{detail.counts[s]}</b></span>)}
      </div>
      <PartitionGrid layout={layout} label="Partition status; a partition with a run opens it" cell={cell} />
      {keys.length > 0 && <p className="muted small">From <span className="mono">{keys[0]}</span> to <span className="mono">{keys[keys.length - 1]}</span>. A partition shows the status of its newest run.</p>}
    </section>
  );
}
