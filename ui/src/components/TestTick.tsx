// Test ticks and sensor cursors. "Test" evaluates one tick of a schedule (at a tick time picked
// from the ticks around now, or typed) or of a sensor (from a cursor, prefilled with the stored
// one) in the code server, as the daemon would, and shows what it would do: run requests with
// their config as YAML, skip reason, new cursor, partitions, asset events, or the error with its
// stack. Nothing is stored until "Launch", which commits the tick as a manual tick. A sensor's
// cursor can be edited or cleared (with a confirmation).
import { useState, type ReactNode } from "react";
import YAML from "yaml";
import { post, type Instigator } from "../api";
import { usePermissions } from "../server";
import { useToast } from "../toast";
import { Badge, ErrorBox, fmtTime, Loading, useApi, userZone } from "../util";
import { launchedSummary } from "./Materialize";

type Kind = "schedules" | "sensors";

export interface TestRequest {
  run_key: string | null;
  job_name: string | null;
  run_config: Record<string, unknown>;
  tags: Record<string, string>;
  partition_key: string | null;
  asset_selection: string[] | null;
  asset_check_keys: string[] | null;
}

export interface TestResult {
  kind: "schedule" | "sensor";
  name: string;
  status: "SUCCESS" | "SKIPPED" | "FAILURE";
  run_requests: TestRequest[];
  skip_reason: string | null;
  error: { kind: string | null; message: string | null; traceback: string | null } | null;
  dynamic_partitions_requests: { kind: string; partitions_def_name: string; partition_keys: string[] }[];
  asset_events: { type: string; asset_key: string; partition: string | null; check_name?: string; passed?: boolean; metadata: Record<string, unknown> }[];
  backfills: { asset_selection: string[]; partition_keys: string[] }[];
  tick_time?: string;
  cursor_before?: string | null;
  cursor?: string | null;
  cursor_changed?: boolean;
}

interface Launched {
  status: string;
  run_ids: string[];
  backfill_ids: string[];
  skipped_run_keys: string[];
  skip_reason: string | null;
  error: { message?: string } | string | null;
  cursor?: string | null;
}

interface TickTimes { timezone: string; previous: string[]; next: string[] }

const path = (kind: Kind, name: string, rest: string) => `/api/${kind}/${encodeURIComponent(name)}/${rest}`;
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

function Modal({ label, wide, onClose, children }: { label: string; wide?: boolean; onClose: () => void; children: ReactNode }) {
  return (
    <div className="modal-backdrop" role="presentation" onClick={onClose}>
      <div className={`modal${wide ? " wide" : ""}`} role="dialog" aria-modal="true" aria-label={label}
        onClick={(e) => e.stopPropagation()} onKeyDown={(e) => e.key === "Escape" && onClose()}>
        {children}
      </div>
    </div>
  );
}

/** The "Test" button of a schedule or sensor, and its dialog. */
export function TestTickButton({ kind, item, onDone, className }: { kind: Kind; item: Instigator; onDone?: () => void; className?: string }) {
  const { writeReason } = usePermissions();
  const [open, setOpen] = useState(false);
  const what = kind === "schedules" ? "schedule" : "sensor";
  return (
    <>
      <button type="button" className={className ?? "small"} disabled={!!writeReason || !!item.unloadable}
        title={writeReason ?? (item.unloadable ? `No loaded code location defines ${item.name}` : `Evaluate one tick of this ${what} without launching anything`)}
        aria-label={`Test ${item.name}`} onClick={() => setOpen(true)}>Test</button>
      {open && <TestTickDialog kind={kind} item={item} onClose={() => setOpen(false)} onDone={onDone} />}
    </>
  );
}

function TestTickDialog({ kind, item, onClose, onDone }: { kind: Kind; item: Instigator; onClose: () => void; onDone?: () => void }) {
  const toast = useToast();
  const { launchReason } = usePermissions();
  const [body, setBody] = useState<Record<string, unknown> | null>(null);
  const [result, setResult] = useState<TestResult | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const evaluate = async (request: Record<string, unknown>) => {
    setBusy(true);
    setError(null);
    try {
      setResult(await post<TestResult>(path(kind, item.name, "test_tick"), request));
      setBody(request);
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  const launch = async () => {
    if (!body) return;
    setBusy(true);
    try {
      const reply = await post<Launched>(path(kind, item.name, "test_tick"), { ...body, launch: true });
      if (reply.status === "FAILURE") {
        const message = typeof reply.error === "string" ? reply.error : reply.error?.message;
        toast("bad", <span>The tick of {item.name} failed when launched: {message}</span>);
      } else if (reply.run_ids.length || reply.backfill_ids.length) {
        toast("ok", <span>{launchedSummary({ run_id: reply.run_ids[0] ?? null, run_ids: reply.run_ids }, 0)}{reply.backfill_ids.length ? ` ${plural(reply.backfill_ids.length, "backfill")} requested.` : ""}</span>);
      } else {
        const keys = reply.skipped_run_keys.length ? ` (run keys used before: ${reply.skipped_run_keys.join(", ")})` : "";
        toast("ok", <span>Tick of {item.name} committed; no run launched{keys}.</span>);
      }
      onDone?.();
      onClose();
    } catch (e) {
      toast("bad", <span>Could not launch the tick of {item.name}: {(e as Error).message}</span>);
    } finally {
      setBusy(false);
    }
  };

  const title = `Test ${kind === "schedules" ? "schedule" : "sensor"} ${item.name}`;
  return (
    <Modal label={title} wide={!!result} onClose={onClose}>
      <h2>{title}</h2>
      {!result ? (
        kind === "schedules"
          ? <SchedulePick item={item} busy={busy} onEvaluate={evaluate} onClose={onClose} />
          : <SensorPick item={item} busy={busy} onEvaluate={evaluate} onClose={onClose} />
      ) : (
        <>
          <ResultView result={result} />
          <div className="row end">
            <button type="button" className="ghost" onClick={() => setResult(null)} disabled={busy}>Back</button>
            <button type="button" className="ghost" onClick={onClose}>Close</button>
            <LaunchButton result={result} busy={busy} reason={launchReason} onLaunch={launch} />
          </div>
        </>
      )}
      <ErrorBox error={error} title="Could not evaluate" />
    </Modal>
  );
}

function LaunchButton({ result, busy, reason, onLaunch }: { result: TestResult; busy: boolean; reason: string | undefined; onLaunch: () => void }) {
  const n = result.run_requests.length + result.backfills.length;
  const sensor = result.kind === "sensor";
  const commits = sensor && (result.cursor_changed || result.dynamic_partitions_requests.length > 0 || result.asset_events.length > 0);
  if (result.status === "FAILURE" || (!n && !commits)) return null;
  const label = n ? `Launch ${plural(n, result.backfills.length ? "request" : "run")}${sensor ? " & commit tick" : ""}` : "Commit tick";
  return (
    <button type="button" className="primary" disabled={busy || !!reason} title={reason ?? (sensor
      ? "Evaluate again, launch what it requests and store its new cursor, as the daemon would (a manual tick)"
      : "Evaluate this tick again and launch its runs (a manual tick; run keys are used once)")} onClick={onLaunch}>
      {busy ? "Launching…" : label}
    </button>
  );
}

function SchedulePick({ item, busy, onEvaluate, onClose }: { item: Instigator; busy: boolean; onEvaluate: (b: Record<string, unknown>) => void; onClose: () => void }) {
  const times = useApi<TickTimes>(path("schedules", item.name, "tick_times?count=5"));
  const [choice, setChoice] = useState<string>("");
  const [typed, setTyped] = useState("");
  const first = times.data?.next[0] ?? "";
  const picked = choice || first;
  const custom = picked === "custom";
  const tickTime = custom ? (typed ? new Date(typed).toISOString() : "") : picked;
  const zone = times.data?.timezone;
  const label = (iso: string, when: string) => `${fmtTime(iso)} — ${when}${zone && zone !== userZone() ? ` (${iso.slice(11, 16)} ${zone})` : ""}`;
  return (
    <>
      <p className="muted">Pick the tick time to evaluate the schedule at. Its function runs in the code server as the daemon would run it; nothing is launched or stored.</p>
      <ErrorBox error={times.error} />
      {!times.data ? <Loading what="tick times" /> : (
        <label className="field">Tick time
          <select aria-label="Tick time" value={picked} onChange={(e) => setChoice(e.target.value)}>
            {times.data.previous.map((t) => <option key={t} value={t}>{label(t, "past")}</option>)}
            {times.data.next.map((t, i) => <option key={t} value={t}>{label(t, i === 0 ? "next tick" : "future")}</option>)}
            <option value="custom">Another time…</option>
          </select>
        </label>
      )}
      {custom && (
        <label className="field">Time ({userZone()})
          <input type="datetime-local" step={1} aria-label="Custom tick time" value={typed} onChange={(e) => setTyped(e.target.value)} />
        </label>
      )}
      <div className="row end">
        <button type="button" className="ghost" onClick={onClose}>Cancel</button>
        <button type="button" className="primary" disabled={busy || !tickTime} onClick={() => onEvaluate({ tick_time: tickTime })}>
          {busy ? "Evaluating…" : "Evaluate"}
        </button>
      </div>
    </>
  );
}

function SensorPick({ item, busy, onEvaluate, onClose }: { item: Instigator; busy: boolean; onEvaluate: (b: Record<string, unknown>) => void; onClose: () => void }) {
  const [cursor, setCursor] = useState<string>(item.cursor ?? "");
  return (
    <>
      <p className="muted">The sensor is evaluated in the code server from this cursor, as the daemon would; nothing is launched and the stored cursor does not move. It is prefilled with the stored cursor; leave it empty to evaluate without one.</p>
      <label className="field">Cursor
        <textarea className="code-editor" rows={3} aria-label="Cursor" value={cursor} onChange={(e) => setCursor(e.target.value)} placeholder="no cursor" />
      </label>
      <div className="row end">
        <button type="button" className="ghost" onClick={onClose}>Cancel</button>
        <button type="button" className="primary" disabled={busy} onClick={() => onEvaluate({ cursor: cursor === "" ? null : cursor })}>
          {busy ? "Evaluating…" : "Evaluate"}
        </button>
      </div>
    </>
  );
}

function ResultView({ result }: { result: TestResult }) {
  const r = result;
  return (
    <div className="test-result" data-status={r.status} aria-label="Test result">
      <p>
        <Badge status={r.status} />{" "}
        {r.tick_time && <>tick at <b>{fmtTime(r.tick_time)}</b> · </>}
        {r.status === "FAILURE" ? "the evaluation failed" : r.run_requests.length ? `${plural(r.run_requests.length, "run request")}` : r.backfills.length ? "backfills requested" : "skipped"}
      </p>
      {r.error && (
        <div className="stack" role="alert">
          <div className="stack-msg">{r.error.message}</div>
          {r.error.traceback && <details open><summary>Stack trace</summary><pre>{r.error.traceback}</pre></details>}
        </div>
      )}
      {r.skip_reason && <p className="skip-reason">Skip reason: <b>{r.skip_reason}</b></p>}
      {r.kind === "sensor" && !r.error && (
        <dl className="facts inline">
          <dt>Cursor before</dt><dd className="mono">{r.cursor_before ?? <span className="muted">none</span>}</dd>
          <dt>New cursor</dt><dd className="mono" data-new-cursor={r.cursor ?? ""}>{r.cursor ?? <span className="muted">none</span>}{!r.cursor_changed && <span className="muted"> (unchanged)</span>}</dd>
        </dl>
      )}
      {r.run_requests.length > 0 && (
        <table className="data" aria-label="Run requests">
          <thead><tr><th>Run key</th><th>Target</th><th>Partition</th><th>Tags</th><th>Config</th></tr></thead>
          <tbody>
            {r.run_requests.map((q, i) => (
              <tr key={i} data-run-key={q.run_key ?? ""}>
                <td className="mono">{q.run_key ?? <span className="muted" title="The tick gives it a key of its own">none</span>}</td>
                <td>{q.job_name && <div className="mono">{q.job_name}</div>}{q.asset_selection && <div className="small">{q.asset_selection.join(", ")}</div>}{q.asset_check_keys && <div className="small muted">checks: {q.asset_check_keys.join(", ")}</div>}</td>
                <td className="mono">{q.partition_key ?? "—"}</td>
                <td className="small">{Object.entries(q.tags).map(([k, v]) => <div key={k} className="mono">{k}={v}</div>)}</td>
                <td>{Object.keys(q.run_config).length ? <details><summary>YAML</summary><pre className="code">{YAML.stringify(q.run_config)}</pre></details> : <span className="muted">empty</span>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {r.backfills.length > 0 && (
        <ul className="plain" aria-label="Backfills">
          {r.backfills.map((b, i) => <li key={i}>backfill of <span className="mono">{b.asset_selection.join(", ")}</span> over {plural(b.partition_keys.length, "partition")}</li>)}
        </ul>
      )}
      {r.dynamic_partitions_requests.length > 0 && (
        <>
          <h3>Dynamic partitions</h3>
          <ul className="plain">
            {r.dynamic_partitions_requests.map((d, i) => <li key={i}>{d.kind === "add" ? "add" : "delete"} <span className="mono">{d.partition_keys.join(", ")}</span> in <b>{d.partitions_def_name}</b></li>)}
          </ul>
        </>
      )}
      {r.asset_events.length > 0 && (
        <>
          <h3>Asset events</h3>
          <ul className="plain">
            {r.asset_events.map((e, i) => <li key={i}>{e.type} of <span className="mono">{e.asset_key}</span>{e.partition ? ` (${e.partition})` : ""}{e.check_name ? ` · check ${e.check_name}: ${e.passed ? "passed" : "failed"}` : ""}</li>)}
          </ul>
        </>
      )}
    </div>
  );
}

/** A sensor's stored cursor, with "Edit cursor" and "Clear cursor" (each confirmed). */
export function CursorControl({ item, onDone, compact }: { item: Instigator; onDone?: () => void; compact?: boolean }) {
  const toast = useToast();
  const { writeReason } = usePermissions();
  const [mode, setMode] = useState<"edit" | "clear" | null>(null);
  const current = item.cursor ?? null;
  const [value, setValue] = useState(current ?? "");
  const [busy, setBusy] = useState(false);
  const save = async (cursor: string | null) => {
    setBusy(true);
    try {
      await post(path("sensors", item.name, "cursor"), { cursor });
      toast("ok", cursor === null ? `Cleared the cursor of ${item.name}.` : `Set the cursor of ${item.name}.`);
      setMode(null);
      onDone?.();
    } catch (e) {
      toast("bad", <span>Could not change the cursor of {item.name}: {(e as Error).message}</span>);
    } finally {
      setBusy(false);
    }
  };
  const shown = current === null ? <span className="muted">none</span> : <span className="mono cursor-value" title={current}>{compact && current.length > 40 ? `${current.slice(0, 40)}…` : current}</span>;
  return (
    <span className="cursor-control" data-cursor={current ?? ""}>
      {shown}{" "}
      <button type="button" className="ghost small" disabled={!!writeReason} title={writeReason} onClick={() => { setValue(current ?? ""); setMode("edit"); }}
        aria-label={`Edit cursor of ${item.name}`}>Edit cursor</button>
      {current !== null && (
        <button type="button" className="ghost small" disabled={!!writeReason} title={writeReason} onClick={() => setMode("clear")}
          aria-label={`Clear cursor of ${item.name}`}>Clear cursor</button>
      )}
      {mode === "edit" && (
        <Modal label={`Edit cursor of ${item.name}`} onClose={() => setMode(null)}>
          <h2>Edit cursor</h2>
          <p className="muted">The next tick of {item.name} starts from this cursor. Leave it empty to clear it.</p>
          <textarea className="code-editor" rows={4} aria-label="New cursor" value={value} onChange={(e) => setValue(e.target.value)} />
          <div className="row end">
            <button type="button" className="ghost" onClick={() => setMode(null)}>Cancel</button>
            <button type="button" className="primary" disabled={busy} onClick={() => save(value === "" ? null : value)}>Save cursor</button>
          </div>
        </Modal>
      )}
      {mode === "clear" && (
        <Modal label={`Clear cursor of ${item.name}`} onClose={() => setMode(null)}>
          <h2>Clear cursor?</h2>
          <p>The next tick of <b>{item.name}</b> starts with no cursor, as on its first tick: it may request again what it requested before (run keys already used are still not launched twice).</p>
          <div className="row end">
            <button type="button" className="ghost" onClick={() => setMode(null)}>Cancel</button>
            <button type="button" className="danger" disabled={busy} onClick={() => save(null)}>Clear cursor</button>
          </div>
        </Modal>
      )}
    </span>
  );
}
