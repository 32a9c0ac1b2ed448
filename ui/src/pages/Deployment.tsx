// Deployment: code locations (load errors, last good definitions, the code version each
// process serves, a reload button), daemon heartbeats, and how many backfills are in progress
// (their own page is /backfills).
import { useEffect, useState } from "react";
import { Link } from "react-router";
import { type BackfillSummary, type Location, type Page } from "../api";
import { LocationCard } from "../components/LocationCard";
import { ago, Badge, Empty, ErrorBox, Loading, PageHeader, Time, useApi, useTitle } from "../util";

interface Heartbeat { daemon: string; daemon_id: string; last: number; healthy: boolean; errors: unknown[] }

export function DeploymentPage() {
  useTitle("Deployment");
  const [fast, setFast] = useState(false);
  // While a reload has not reached every process yet, ask every second and a half.
  const locations = useApi<Location[]>("/api/locations", fast ? 1500 : 10000);
  const behind = !!locations.data?.some((l) => l.in_sync === false);
  useEffect(() => setFast(behind), [behind]);
  const daemon = useApi<{ heartbeats: Heartbeat[] }>("/api/daemon", 10000);
  const backfills = useApi<Page<BackfillSummary>>("/api/backfills?status=REQUESTED&limit=50", 10000);
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
        <p>{!backfills.data ? "…" : backfills.data.items.length === 0 ? "No backfill in progress." : `${backfills.data.items.length}${backfills.data.has_more ? "+" : ""} backfill${backfills.data.items.length === 1 ? "" : "s"} in progress.`}{" "}
          <Link to="/backfills">See every backfill, its progress and its partitions →</Link></p>
      </section>
    </div>
  );
}
