// Deployment: code locations (load errors, last good definitions, the code version each
// process serves, a reload button), daemon heartbeats, and backfills.
import { useEffect, useState } from "react";
import { Link } from "react-router";
import { type Location, type Page } from "../api";
import { LocationCard } from "../components/LocationCard";
import { ago, assetPath, Badge, Empty, ErrorBox, Loading, PageHeader, Time, useApi, useTitle } from "../util";

interface Heartbeat { daemon: string; daemon_id: string; last: number; healthy: boolean; errors: unknown[] }
interface Backfill {
  backfill_id: string; status: string; timestamp: number; job_name?: string | null;
  asset_selection?: string[]; partition_keys?: string[]; partition_names?: string[];
  run_ids?: Record<string, string>;
}

export function DeploymentPage() {
  useTitle("Deployment");
  const [fast, setFast] = useState(false);
  // While a reload has not reached every process yet, ask every second and a half.
  const locations = useApi<Location[]>("/api/locations", fast ? 1500 : 10000);
  const behind = !!locations.data?.some((l) => l.in_sync === false);
  useEffect(() => setFast(behind), [behind]);
  const daemon = useApi<{ heartbeats: Heartbeat[] }>("/api/daemon", 10000);
  const backfills = useApi<Page<Backfill>>("/api/backfills?limit=50", 10000);
  return (
    <div className="page">
      <PageHeader title="Deployment" sub="Code locations, the daemon, and backfills." />
      <section className="card">
        <h2>Code locations</h2>
        <ErrorBox error={locations.error} />
        {!locations.data ? <Loading /> : locations.data.length === 0 ? <Empty>No code locations. Start with <code>headwater dev -f defs.py</code>.</Empty>
          : locations.data.map((l) => <LocationCard key={l.name} loc={l} reload={locations.reload} />)}
      </section>
      <section className="card">
        <h2>Daemon</h2>
        <ErrorBox error={daemon.error} />
        {!daemon.data ? <Loading /> : daemon.data.heartbeats.length === 0 ? (
          <Empty>No daemon heartbeat recorded. Schedules, sensors, queued runs and backfills need the daemon: <code>headwater dev</code> starts it, or run <code>headwater daemon</code>.</Empty>
        ) : (
          <table className="data">
            <thead><tr><th>Daemon</th><th>Health</th><th>Last heartbeat</th><th>Errors</th></tr></thead>
            <tbody>
              {daemon.data.heartbeats.map((h) => (
                <tr key={`${h.daemon}-${h.daemon_id}`}>
                  <td className="mono">{h.daemon}</td>
                  <td><Badge status={h.healthy ? "healthy" : "unhealthy"} /></td>
                  <td><Time value={h.last} /> <span className="muted small">({ago(h.last)})</span></td>
                  <td className="small">{h.errors.length ? h.errors.map((e, i) => <pre key={i} className="code">{typeof e === "string" ? e : JSON.stringify(e, null, 2)}</pre>) : <span className="muted">none</span>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      <section className="card" id="backfills">
        <h2>Backfills</h2>
        <ErrorBox error={backfills.error} />
        {!backfills.data ? <Loading /> : backfills.data.items.length === 0 ? <Empty>No backfills. Launch one from a partitioned asset's page.</Empty> : (
          <table className="data">
            <thead><tr><th>Backfill</th><th>Status</th><th>Requested</th><th>Assets</th><th>Partitions</th><th /></tr></thead>
            <tbody>
              {backfills.data.items.map((b) => {
                const parts = b.partition_keys ?? b.partition_names ?? [];
                const runs = Object.keys(b.run_ids ?? {}).length;
                return (
                <tr key={b.backfill_id}>
                  <td className="mono">{b.backfill_id}</td>
                  <td><Badge status={b.status} /></td>
                  <td><Time value={b.timestamp} /></td>
                  <td>{(b.asset_selection ?? []).map((k) => <Link key={k} className="chip mono" to={assetPath(k)}>{k}</Link>)}
                    {b.job_name && <Link className="chip" to={`/jobs/${encodeURIComponent(b.job_name)}`}>{b.job_name}</Link>}</td>
                  <td className="small">{parts.length} {parts.length ? <span className="muted">({parts[0]}{parts.length > 1 ? ` … ${parts[parts.length - 1]}` : ""})</span> : null}</td>
                  <td><Link to={`/runs?backfill=${encodeURIComponent(b.backfill_id)}`}>{runs ? `${runs} run${runs > 1 ? "s" : ""} →` : "Runs →"}</Link></td>
                </tr>
                );
              })}
            </tbody>
          </table>
        )}
      </section>
    </div>
  );
}
