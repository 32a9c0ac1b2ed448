// Asset checks: result badges (asset page, run page, graph nodes), the Checks tab of an
// asset page (each check's latest result, metadata, history and a "Run check" button).
import { useEffect, useRef, useState } from "react";
import { Link } from "react-router";
import { enc, post, type AssetCheck, type CheckExecution, type CheckResult, type CheckSummary, type Page } from "../api";
import { usePermissions } from "../server";
import { useToast } from "../toast";
import { Empty, ErrorBox, Loading, RunLink, Time, useApi } from "../util";
import { MetadataTable } from "./Metadata";

const RESULT_LABEL: Record<CheckResult, string> = {
  passed: "Passed", warn: "Warning", failed: "Failed", in_progress: "Running", not_run: "Not run",
};
const RESULT_TONE: Record<CheckResult, string> = {
  passed: "ok", warn: "warn", failed: "bad", in_progress: "busy", not_run: "none",
};
// Worst first: a node's badge shows the worst result among its checks.
const WORST_FIRST: CheckResult[] = ["failed", "warn", "in_progress", "passed", "not_run"];

export const checkResultLabel = (r: CheckResult) => RESULT_LABEL[r] ?? r;

/** The result a set of checks shows as one badge, and a sentence saying every count. */
export function summarize(summary: CheckSummary): { result: CheckResult; text: string } {
  const result = WORST_FIRST.find((r) => summary[r] > 0) ?? "not_run";
  const parts = WORST_FIRST.filter((r) => summary[r] > 0).map((r) => `${summary[r]} ${RESULT_LABEL[r].toLowerCase()}`);
  return { result, text: `${summary.total} check${summary.total === 1 ? "" : "s"}: ${parts.join(", ")}` };
}

/** A check result as a colored badge with its name in words (color is never the only cue). */
export function CheckBadge({ result, severity, title, short }: {
  result: CheckResult; severity?: string | null; title?: string; short?: boolean;
}) {
  const label = result === "failed" && severity === "ERROR" && !short ? "Failed (error)" : RESULT_LABEL[result];
  return (
    <span className={`badge tone-${RESULT_TONE[result] ?? "none"}`} data-check-result={result} title={title}>
      <span className="dot" aria-hidden />
      {label}
    </span>
  );
}

/** A check summary as an SVG pill for a graph node, anchored at its top-right corner (x). */
export function CheckNodeBadge({ summary, x, y }: { summary: CheckSummary; x: number; y: number }) {
  const { result, text } = summarize(summary);
  const counts = result === "passed" ? `${summary.passed}/${summary.total}`
    : result === "not_run" ? `${summary.total}` : `${summary[result]}/${summary.total}`;
  const glyph = { passed: "✓", warn: "!", failed: "✕", in_progress: "…", not_run: "–" }[result];
  const width = 14 + counts.length * 7 + 12;
  return (
    <g className={`check-pill ck-${result}`} data-check-status={result} transform={`translate(${x - width},${y})`}
      role="img" aria-label={`Checks: ${text}`}>
      <title>{`Checks: ${text}`}</title>
      <rect width={width} height={16} rx={8} />
      <text x={width / 2} y={12} textAnchor="middle">{glyph} {counts}</text>
    </g>
  );
}

const apiBase = (assetKey: string) => `/api/assets/${assetKey.split("/").map(enc).join("/")}`;

export function RunChecksButton({ keys, label, className, disabledReason }: {
  keys: string[]; label?: string; className?: string; disabledReason?: string;
}) {
  const toast = useToast();
  const { launchReason } = usePermissions();
  const refused = disabledReason ?? launchReason;
  const [busy, setBusy] = useState(false);
  const run = async () => {
    setBusy(true);
    try {
      const { run_id } = await post<{ run_id: string }>("/api/checks/execute", { keys });
      toast("ok", <span>Launched run <Link className="mono" to={`/runs/${run_id}`}>{run_id.slice(0, 8)}</Link> for {keys.length} check{keys.length > 1 ? "s" : ""}. <Link to={`/runs/${run_id}`}>View run →</Link></span>);
    } catch (e) {
      toast("bad", <span>Could not run the check{keys.length > 1 ? "s" : ""}: {(e as Error).message}</span>);
    } finally {
      setBusy(false);
    }
  };
  return (
    <button type="button" className={className ?? ""} disabled={busy || !keys.length || !!refused} onClick={run}
      title={refused ?? `Launch a run that evaluates ${keys.join(", ")} without materializing the asset`}>
      {busy ? "Launching…" : label ?? "Run check"}
    </button>
  );
}

/** The Checks tab of an asset page. */
export function ChecksTab({ assetKey, checks }: { assetKey: string; checks: AssetCheck[] }) {
  if (!checks.length) {
    return <section className="card"><Empty>This asset has no checks. Define one with <span className="mono">@asset_check(asset=...)</span> or <span className="mono">check_specs=</span> on the asset.</Empty></section>;
  }
  // Checks evaluated in the asset's own step run only when the asset materializes.
  const separate = checks.filter((c) => !c.in_asset_step);
  return (
    <>
      <div className="row wrap checks-head">
        <span className="muted">{checks.length} check{checks.length > 1 ? "s" : ""}</span>
        <span className="spacer" />
        {separate.length > 0 && <RunChecksButton keys={separate.map((c) => c.key)} label={`Run all checks (${separate.length})`} />}
      </div>
      {checks.map((c) => <CheckCard key={c.key} assetKey={assetKey} check={c} />)}
    </>
  );
}

function CheckCard({ assetKey, check }: { assetKey: string; check: AssetCheck }) {
  const latest = check.latest;
  return (
    <section className="card check-card" data-check={check.name} aria-label={`Check ${check.name}`}>
      <div className="row wrap">
        <h2 className="mono">{check.name}</h2>
        <CheckBadge result={check.result} severity={latest?.severity} />
        {check.blocking && <span className="chip" title="A failed ERROR result stops the asset's downstream assets in the same run">blocking</span>}
        {check.in_asset_step && <span className="chip" title="Evaluated in the step that materializes the asset">in asset step</span>}
        <span className="spacer" />
        <RunChecksButton keys={[check.key]} disabledReason={check.in_asset_step
          ? "This check runs in the step that materializes the asset: materialize the asset to evaluate it" : undefined} />
      </div>
      {check.description && <p className="desc">{check.description}</p>}
      {check.additional_deps.length > 0 && <p className="muted small">Also reads: {check.additional_deps.map((d) => <span key={d} className="chip mono">{d}</span>)}</p>}
      <h3>Latest result</h3>
      {latest ? (
        <>
          <p className="muted">
            <Time value={latest.timestamp} />
            {latest.run_id ? <> · run <RunLink id={latest.run_id} /></> : " · reported without a run"}
            {latest.severity && <> · severity <b>{latest.severity}</b></>}
            {latest.partition && <> · partition <span className="mono">{latest.partition}</span></>}
          </p>
          {latest.description && <p className="desc">{latest.description}</p>}
          {Object.keys(latest.metadata).length > 0 && <MetadataTable metadata={latest.metadata} />}
        </>
      ) : <p className="muted">Never evaluated.</p>}
      {Object.keys(check.metadata).length > 0 && (
        <details><summary className="muted small">Definition metadata</summary><MetadataTable metadata={check.metadata} /></details>
      )}
      <CheckHistory assetKey={assetKey} name={check.name} latestId={latest?.id} />
    </section>
  );
}

function CheckHistory({ assetKey, name, latestId }: { assetKey: string; name: string; latestId?: number }) {
  const history = useApi<Page<CheckExecution>>(`${apiBase(assetKey)}/checks/${enc(name)}/executions?limit=20`);
  // The page reloads the asset when a run changes; a new latest execution means new history.
  const { reload } = history;
  const shown = useRef(latestId);
  useEffect(() => {
    if (shown.current === latestId) return;
    shown.current = latestId;
    reload();
  }, [latestId, reload]);
  return (
    <details className="check-history" open>
      <summary className="muted small">History</summary>
      {history.error && <ErrorBox error={history.error} />}
      {!history.data && !history.error && <Loading />}
      {history.data && history.data.items.length === 0 && <p className="muted small">No executions yet.</p>}
      {history.data && history.data.items.length > 0 && (
        <table className="data compact" aria-label={`History of check ${name}`}>
          <thead><tr><th>Time</th><th>Result</th><th>Run</th><th>Partition</th><th>Metadata</th></tr></thead>
          <tbody>
            {history.data.items.map((e) => (
              <tr key={e.id}>
                <td><Time value={e.timestamp} /></td>
                <td><CheckBadge result={e.result} severity={e.severity} /></td>
                <td>{e.run_id ? <RunLink id={e.run_id} /> : <span className="muted">—</span>}</td>
                <td className="mono">{e.partition ?? "—"}</td>
                <td className="small">{Object.entries(e.metadata).filter(([, v]) => ["int", "float", "text", "bool"].includes(v.type ?? "")).slice(0, 4).map(([k, v]) => `${k}: ${String(v.value)}`).join(" · ")}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {history.data?.has_more && <p className="muted small">Showing the latest {history.data.items.length}.</p>}
    </details>
  );
}
