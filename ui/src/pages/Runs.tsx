// Runs, newest first, filtered by status, job, tag, asset, backfill and creation time;
// updated live.
import { useEffect, useState } from "react";
import { Link, useSearchParams } from "react-router";
import { api, type AssetSummary, type JobSummary, type Page, type Run } from "../api";
import { RunTags, SystemTagsToggle } from "../components/RunTags";
import { useOnReconnect, useRunChanges } from "../live";
import { Badge, Empty, ErrorBox, fmtDuration, Loading, PageHeader, RunLink, Time, unlessUnreachable, useApi, useTitle } from "../util";

const STATUSES = ["QUEUED", "STARTING", "STARTED", "SUCCESS", "FAILURE", "CANCELING", "CANCELED"];

/** A `datetime-local` value (the user's zone) as ISO 8601 UTC, and back. */
const toIso = (local: string) => (local ? new Date(local).toISOString() : "");
const toLocal = (iso: string | null) => {
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  const off = d.getTimezoneOffset() * 60000;
  return new Date(d.getTime() - off).toISOString().slice(0, 16);
};

export function RunsPage() {
  useTitle("Runs");
  const [params, setParams] = useSearchParams();
  const jobs = useApi<JobSummary[]>("/api/jobs");
  const assets = useApi<Page<AssetSummary>>("/api/assets");
  const [runs, setRuns] = useState<Run[]>();
  const [cursor, setCursor] = useState<string | null>(null);
  const [hasMore, setHasMore] = useState(false);
  const [error, setError] = useState<Error>();
  const [tagDraft, setTagDraft] = useState(params.get("tag") ?? "");
  const [assetDraft, setAssetDraft] = useState(params.get("asset") ?? "");
  const [backfillDraft, setBackfillDraft] = useState(params.get("backfill") ?? "");
  const query = params.toString();

  const load = (more = false) => {
    const q = new URLSearchParams(params);
    q.set("limit", "50");
    if (more && cursor) q.set("cursor", cursor);
    api<Page<Run>>(`/api/runs?${q}`)
      .then((p) => {
        setRuns((cur) => (more ? [...(cur ?? []), ...p.items] : p.items));
        setCursor(p.cursor === null ? null : String(p.cursor));
        setHasMore(p.has_more);
        setError(undefined);
      })
      .catch(unlessUnreachable(setError));
  };
  // eslint-disable-next-line react-hooks/exhaustive-deps
  useEffect(() => load(), [query]);
  useRunChanges(() => load());
  useOnReconnect(() => load());

  const setMany = (values: Record<string, string>) => {
    const next = new URLSearchParams(params);
    for (const [name, value] of Object.entries(values)) {
      if (value) next.set(name, value);
      else next.delete(name);
    }
    if (next.toString() !== params.toString()) setParams(next, { replace: true });
  };
  const set = (name: string, value: string) => setMany({ [name]: value });

  return (
    <div className="page">
      <PageHeader title="Runs" sub="Every run of every job, newest first. Updates live."
        actions={<Link to="/backfills">Backfills →</Link>} />
      <form className="filters" onSubmit={(e) => {
        e.preventDefault();
        setMany({ tag: tagDraft.trim(), asset: assetDraft.trim(), backfill: backfillDraft.trim() });
      }}>
        <label>Status
          <select value={params.get("status") ?? ""} onChange={(e) => set("status", e.target.value)}>
            <option value="">Any</option>
            {STATUSES.map((s) => <option key={s} value={s}>{s.toLowerCase()}</option>)}
          </select>
        </label>
        <label>Job
          <select value={params.get("job") ?? ""} onChange={(e) => set("job", e.target.value)}>
            <option value="">Any</option>
            {(jobs.data ?? []).map((j) => <option key={j.name} value={j.name}>{j.name}</option>)}
          </select>
        </label>
        <label>Tag
          <input placeholder="key=value" value={tagDraft} onChange={(e) => setTagDraft(e.target.value)}
            onBlur={() => set("tag", tagDraft.trim())} className="mono" />
        </label>
        <label>Asset
          <input placeholder="asset key, e.g. raw/orders" value={assetDraft} onChange={(e) => setAssetDraft(e.target.value)}
            onBlur={() => set("asset", assetDraft.trim())} className="mono" list="run-filter-assets" />
          <datalist id="run-filter-assets">
            {(assets.data?.items ?? []).map((a) => <option key={a.key} value={a.key} />)}
          </datalist>
        </label>
        <label>Backfill
          <input placeholder="backfill id" value={backfillDraft} onChange={(e) => setBackfillDraft(e.target.value)}
            onBlur={() => set("backfill", backfillDraft.trim())} className="mono" />
        </label>
        <label>Created after
          <input type="datetime-local" value={toLocal(params.get("since"))} onChange={(e) => set("since", toIso(e.target.value))} />
        </label>
        <label>Created before
          <input type="datetime-local" value={toLocal(params.get("until"))} onChange={(e) => set("until", toIso(e.target.value))} />
        </label>
        {query && <button type="button" className="ghost" onClick={() => {
          setTagDraft(""); setAssetDraft(""); setBackfillDraft("");
          setParams(new URLSearchParams(), { replace: true });
        }}>Clear filters</button>}
        <button type="submit">Apply</button>
        <span className="spacer" />
        <SystemTagsToggle />
      </form>
      <ErrorBox error={error} title="Could not load runs" />
      {!runs ? <Loading what="runs" /> : runs.length === 0 ? <Empty>No runs match these filters. Materialize an asset or launch a job to start one.</Empty> : (
        <RunsTable runs={runs} />
      )}
      {hasMore && <div className="row center"><button type="button" onClick={() => load(true)}>Load more</button></div>}
    </div>
  );
}

/** A job's name linking to its page; the implicit asset job reads "asset materialization". */
export function JobName({ name, bare, checksOnly }: { name: string; bare?: boolean; checksOnly?: boolean }) {
  if (name.startsWith("__")) return <span className="muted">{checksOnly ? "asset checks" : "asset materialization"}</span>;
  return <>{bare ? "" : "job "}<Link to={`/jobs/${encodeURIComponent(name)}`}>{name}</Link></>;
}

/** A run that evaluates checks and materializes nothing. */
export const isChecksOnly = (r: Run) => !!r.asset_check_selection?.length && !r.asset_selection?.length;

export function RunsTable({ runs, compact }: { runs: Run[]; compact?: boolean }) {
  return (
    <table className="data runs-table">
      <thead>
        <tr><th>Run</th><th>Status</th><th>Job</th>{!compact && <th>Target</th>}<th>Created</th><th>Duration</th>{!compact && <th>Tags</th>}</tr>
      </thead>
      <tbody>
        {runs.map((r) => {
          const end = r.end_time ?? (r.start_time ? Date.now() / 1000 : null);
          return (
            <tr key={r.run_id} data-run={r.run_id}>
              <td><RunLink id={r.run_id} /></td>
              <td><Badge status={r.status} /></td>
              <td><JobName name={r.job_name} bare checksOnly={isChecksOnly(r)} /></td>
              {!compact && (
                <td className="small">
                  {r.asset_selection?.length ? `${r.asset_selection.length} asset${r.asset_selection.length > 1 ? "s" : ""}: ${r.asset_selection.slice(0, 3).join(", ")}${r.asset_selection.length > 3 ? "…" : ""}` : ""}
                  {isChecksOnly(r) && `${r.asset_check_selection!.length} check${r.asset_check_selection!.length > 1 ? "s" : ""}: ${r.asset_check_selection!.slice(0, 3).join(", ")}${r.asset_check_selection!.length > 3 ? "…" : ""}`}
                  {r.partition_key && <span className="chip mono">{r.partition_key}</span>}
                </td>
              )}
              <td><Time value={r.create_timestamp} /></td>
              <td>{r.start_time && end ? fmtDuration(end - r.start_time) : "—"}</td>
              {!compact && (
                <td><RunTags tags={r.tags} limit={4} /></td>
              )}
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
