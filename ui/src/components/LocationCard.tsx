// One code location on the Deployment page: its load status and error, the last good
// definitions it still shows when its code fails to load, which generation of its code each
// process serves ("webserver v3, daemon v3"), and the Reload button.
import { useState } from "react";
import { post, type Location, type LocationProcess } from "../api";
import { usePermissions } from "../server";
import { useToast } from "../toast";
import { ago, Badge, Time } from "../util";

function ProcessVersion({ p, requested }: { p: LocationProcess; requested: number }) {
  const state = !p.running ? "stopped" : p.current ? "current" : "behind";
  const title = !p.running
    ? `The ${p.process} has not reported since ${p.last ? new Date(p.last * 1000).toLocaleString() : "ever"}: it is not running.`
    : p.current ? `The ${p.process} serves v${p.generation}, the latest code.`
      : `The ${p.process} still serves v${p.generation}; it reloads to v${requested} on its next pass.`;
  return (
    <span className={`chip process-version ${state}`} data-process={p.process} data-generation={p.generation} data-state={state} title={title}>
      {p.process} v{p.generation}
      {state === "behind" && <> (reloading to v{requested}…)</>}
      {state === "stopped" && <> (not running)</>}
      {p.running && p.error && <> (load error)</>}
    </span>
  );
}

/** "webserver v3, daemon v3": which code each process runs. */
function Versions({ loc }: { loc: Location }) {
  const processes = loc.processes ?? [];
  if (!processes.length) return null;
  const requested = loc.requested_generation ?? loc.generation ?? 0;
  const daemon = processes.some((p) => p.process === "daemon");
  return (
    <div className="row small location-versions" aria-label={`Code versions of ${loc.name}`} data-in-sync={loc.in_sync ? "true" : "false"}>
      <span className="muted">Code version:</span>
      {processes.map((p) => <ProcessVersion key={p.process} p={p} requested={requested} />)}
      {loc.in_sync ? <span className="muted">— every process serves v{requested}</span>
        : <span className="warn-text">— not every process serves v{requested} yet</span>}
      {!daemon && <span className="muted">(no daemon has reported: schedules and sensors need <code>headwater dev</code> or <code>headwater daemon run</code>)</span>}
      <span className="muted" title="Each run imports the code afresh when it starts">· run workers load the code afresh for each run</span>
    </div>
  );
}

export function LocationCard({ loc, reload }: { loc: Location; reload: () => void }) {
  const toast = useToast();
  const { writeReason } = usePermissions();
  const [busy, setBusy] = useState(false);
  const doReload = async () => {
    setBusy(true);
    try {
      const r = await post<Location>(`/api/locations/${encodeURIComponent(loc.name)}/reload`);
      toast(r?.status === "error" ? "bad" : "ok", `Location ${loc.name} reloaded${r?.status === "error" ? " with an error" : ""}.`);
      reload();
    } catch (e) {
      toast("bad", <span>Reload failed: {(e as Error).message}</span>);
    } finally {
      setBusy(false);
    }
  };
  const tb = loc.error?.traceback;
  return (
    <div className={`location${loc.status === "loaded" ? "" : " broken"}`} data-location={loc.name}>
      <div className="row">
        <h3 className="mono">{loc.name}</h3>
        <Badge status={loc.status} />
        {loc.stale && <span className="badge tone-warn" title="Its code fails to load: what it defined is shown from its last good load">stale</span>}
        <span className="spacer" />
        {loc.snapshot_id && <span className="muted small mono" title="Snapshot id: changes when the definitions change">{String(loc.snapshot_id).slice(0, 12)}</span>}
        <button type="button" onClick={doReload} disabled={busy || !!writeReason} title={writeReason ?? "Load the location's code again, in the webserver and the daemon"}>{busy ? "Reloading…" : "Reload"}</button>
      </div>
      <Versions loc={loc} />
      {loc.error && (
        <div className="callout bad">
          <div className="stack-msg">{loc.error.message}</div>
          {loc.error.file && <div className="mono small">{loc.error.file}{loc.error.line ? `:${loc.error.line}` : ""}</div>}
          {tb && <pre className="code">{Array.isArray(tb) ? tb.join("") : tb}</pre>}
        </div>
      )}
      {loc.stale && (
        <div className="callout warn stale-location" role="note">
          Showing the definitions of its last good load{loc.loaded_at ? <> (<Time value={loc.loaded_at} />, {ago(loc.loaded_at)})</> : null}:
          its assets, jobs, schedules and sensors stay visible and can be stopped, but nothing can be launched from them until the code loads again.
        </div>
      )}
    </div>
  );
}
