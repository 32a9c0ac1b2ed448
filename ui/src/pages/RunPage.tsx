// One run: its status and target, the step timeline, the live event log (Server-Sent
// Events), each step's stdout/stderr (compute logs), cancel, re-execute (all, from failure,
// selected steps), open in the job's launchpad (prefilled with its config, tags, partition)
// and delete.
import { useEffect, useMemo, useRef, useState } from "react";
import { Link, useNavigate, useParams } from "react-router";
import { api, ApiError, post, streamUrl, type LogEvent, type RunCheck, type RunDetail } from "../api";
import { RunTags, SystemTagsToggle } from "../components/RunTags";
import { CheckBadge } from "../components/Checks";
import { ComputeLogs } from "../components/ComputeLogs";
import { Gantt } from "../components/Gantt";
import { isChecksOnly, JobName } from "./Runs";
import { MetadataTable } from "../components/Metadata";
import { keepOpen } from "../live";
import { usePermissions } from "../server";
import { useToast } from "../toast";
import { AssetLink, Badge, ErrorBox, fmtDuration, fmtTime, Loading, PageHeader, RunLink, StackTrace, Time, unlessUnreachable, useTitle } from "../util";

const LEVELS = ["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"];
const FINISHED = new Set(["SUCCESS", "FAILURE", "CANCELED"]);
// The API re-executes failed and canceled runs from their failure.
const FROM_FAILURE = new Set(["FAILURE", "CANCELED"]);
const STEP_EVENTS = new Set(["ASSET_CHECK_EVALUATION", "STEP_START", "STEP_SUCCESS", "STEP_FAILURE", "STEP_SKIPPED", "STEP_UP_FOR_RETRY", "STEP_RESTARTED", "RUN_START", "RUN_SUCCESS", "RUN_FAILURE", "RUN_CANCELED"]);
const MAX_ROWS = 1500;
const STREAM_NOTES = {
  connecting: " · connecting…", live: " · streaming live", ended: "",
  down: " · connection lost, reconnecting…", reconnected: " · streaming live (reconnected)",
};

export function RunPage() {
  const { runId = "" } = useParams();
  useTitle(`Run ${runId.slice(0, 8)}`);
  const navigate = useNavigate();
  const toast = useToast();
  const { writeReason, launchReason } = usePermissions();
  const [run, setRun] = useState<RunDetail>();
  const [error, setError] = useState<Error>();
  const [events, setEvents] = useState<LogEvent[]>([]);
  const [stream, setStream] = useState<"connecting" | "live" | "down" | "reconnected" | "ended">("connecting");
  const [levels, setLevels] = useState<Set<string>>(new Set(LEVELS));
  const [typeFilter, setTypeFilter] = useState("");
  const [stepFilter, setStepFilter] = useState<string | null>(null);
  const [text, setText] = useState("");
  const [picked, setPicked] = useState<Set<string>>(new Set());
  const [follow, setFollow] = useState(true);
  const logRef = useRef<HTMLDivElement>(null);

  const loadRun = () => api<RunDetail>(`/api/runs/${encodeURIComponent(runId)}`).then((r) => { setRun(r); setError(undefined); })
    .catch(unlessUnreachable(setError));

  useEffect(() => {
    setEvents([]);
    setRun(undefined);
    setStream("connecting");
    loadRun();
    let buffer: LogEvent[] = [];
    let flush = 0;
    let stepTouched = false;
    let lastId = -1;
    let dropped = false;
    const drain = () => {
      flush = 0;
      const batch = buffer;
      buffer = [];
      setEvents((cur) => {
        const seen = cur.length ? cur[cur.length - 1].id : -1;
        return [...cur, ...batch.filter((e) => e.id > seen)];
      });
      if (stepTouched) {
        stepTouched = false;
        loadRun();
      }
    };
    // A reopened stream resumes after the last event received (the server's `cursor`).
    const stop = keepOpen(() => {
      const path = `/api/runs/${encodeURIComponent(runId)}/stream${lastId >= 0 ? `?cursor=${lastId}` : ""}`;
      const source = new EventSource(streamUrl(path));
      source.addEventListener("event", (e) => {
        const ev = JSON.parse((e as MessageEvent).data) as LogEvent;
        lastId = Math.max(lastId, ev.id);
        buffer.push(ev);
        if (STEP_EVENTS.has(ev.type)) stepTouched = true;
        if (!flush) flush = window.setTimeout(drain, 100);
      });
      source.addEventListener("status", () => {
        stop();
        setStream("ended");
        window.setTimeout(() => { drain(); loadRun(); }, 120);
      });
      return source;
    }, (state) => {
      if (state === "down") dropped = true;
      else if (dropped) loadRun();
      setStream(state === "down" ? "down" : dropped ? "reconnected" : "live");
    });
    return () => {
      stop();
      window.clearTimeout(flush);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [runId]);

  // While the run is going, refresh step stats and status now and then.
  useEffect(() => {
    if (!run || FINISHED.has(run.status)) return;
    const id = window.setInterval(loadRun, 2000);
    return () => window.clearInterval(id);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [run?.status]);

  const types = useMemo(() => [...new Set(events.map((e) => e.type))].sort(), [events]);
  const assetsByStep = useMemo(() => {
    const m = new Map<string, Set<string>>();
    for (const e of events) if (e.step_key && e.asset_key && e.type === "ASSET_MATERIALIZATION") {
      (m.get(e.step_key) ?? m.set(e.step_key, new Set()).get(e.step_key)!).add(e.asset_key);
    }
    return m;
  }, [events]);
  const checksByStep = useMemo(() => {
    const m = new Map<string, RunCheck[]>();
    for (const c of run?.checks ?? []) if (c.step_key) (m.get(c.step_key) ?? m.set(c.step_key, []).get(c.step_key)!).push(c);
    return m;
  }, [run?.checks]);
  const shown = useMemo(() => {
    const q = text.trim().toLowerCase();
    return events.filter((e) => levels.has(e.level) && (!typeFilter || e.type === typeFilter)
      && (!stepFilter || e.step_key === stepFilter) && (!q || e.message.toLowerCase().includes(q)));
  }, [events, levels, typeFilter, stepFilter, text]);

  useEffect(() => {
    const el = logRef.current;
    if (el && follow) el.scrollTop = el.scrollHeight;
  }, [shown.length, follow]);

  if (error && !run) return <div className="page"><PageHeader title={`Run ${runId}`} /><ErrorBox error={error} title="Could not load this run" /><Link to="/runs">All runs</Link></div>;
  if (!run) return <div className="page"><Loading what="the run" /></div>;

  const finished = FINISHED.has(run.status);
  const end = run.end_time ?? (run.start_time ? Date.now() / 1000 : null);
  const failedSteps = run.steps.filter((s) => s.status === "failure");
  const canceled = run.status === "CANCELED" || run.status === "CANCELING";

  const act = async (label: string, fn: () => Promise<unknown>) => {
    try {
      await fn();
    } catch (e) {
      toast("bad", <span>{label} failed: {(e as Error).message}</span>);
    }
  };
  const reexecute = (strategy: "all" | "from_failure" | "selected") => act("Re-execute", async () => {
    const body: { strategy: string; step_keys?: string[] } = { strategy };
    if (strategy === "selected") body.step_keys = [...picked];
    const { run_id } = await post<{ run_id: string }>(`/api/runs/${encodeURIComponent(runId)}/reexecute`, body);
    toast("ok", <span>Launched re-execution <Link className="mono" to={`/runs/${run_id}`}>{run_id.slice(0, 8)}</Link></span>);
    navigate(`/runs/${run_id}`);
  });
  const cancel = () => act("Cancel", async () => {
    await post(`/api/runs/${encodeURIComponent(runId)}/cancel`);
    toast("info", "Cancel requested.");
    loadRun();
  });
  // The job's launchpad, prefilled from this run; a job no longer loaded gets a clear answer.
  const implicitJob = run.job_name.startsWith("__");
  const openInLaunchpad = () => act("Open in launchpad", async () => {
    try {
      await api(`/api/jobs/${encodeURIComponent(run.job_name)}`);
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) {
        toast("bad", <span>Job <b>{run.job_name}</b> of this run is not defined by any loaded code location any more, so it has no launchpad. Its run config is under "Run config" on this page; reload the location that defines it, or launch the config from another job.</span>);
        return;
      }
      throw e;
    }
    navigate(`/jobs/${encodeURIComponent(run.job_name)}?from_run=${encodeURIComponent(runId)}`);
  });
  const remove = () => act("Delete", async () => {
    if (!window.confirm(`Delete run ${runId} and all its events? This cannot be undone.`)) return;
    await api(`/api/runs/${encodeURIComponent(runId)}`, { method: "DELETE" });
    toast("ok", `Run ${runId.slice(0, 8)} deleted.`);
    navigate("/runs");
  });

  return (
    <div className="page run-page">
      <nav className="crumbs" aria-label="Breadcrumb"><Link to="/runs">Runs</Link> / <span className="mono">{runId}</span></nav>
      <PageHeader
        title={<>Run <span className="mono">{runId.slice(0, 8)}</span></>}
        sub={<><Badge status={run.status} /> <span className="muted"><JobName name={run.job_name} checksOnly={isChecksOnly(run)} /> · {fmtDuration(run.start_time && end ? end - run.start_time : null)}{finished ? "" : <span data-stream={stream}>{STREAM_NOTES[stream]}</span>}</span></>}
        actions={<>
          <button type="button" onClick={openInLaunchpad} disabled={implicitJob}
            title={implicitJob ? "An asset materialization has no launchpad: materialize its assets again from the asset graph" : `Open job ${run.job_name}'s launchpad with this run's config, tags and partition`}>Open in launchpad</button>
          {!finished && <button type="button" className="danger" onClick={cancel} disabled={!!writeReason} title={writeReason}>Cancel run</button>}
          {finished && <>
            <button type="button" onClick={() => reexecute("all")} disabled={!!launchReason} title={launchReason ?? "Run every step again"}>Re-execute all</button>
            <button type="button" onClick={() => reexecute("from_failure")} disabled={!!launchReason || !FROM_FAILURE.has(run.status)}
              title={launchReason ?? "Re-run the failed, canceled and unfinished steps and what depends on them, reusing stored outputs"}>From failure</button>
            <button type="button" onClick={() => reexecute("selected")} disabled={!!launchReason || !picked.size} title={launchReason ?? "Tick steps in the timeline first"}>Selected ({picked.size})</button>
            <button type="button" className="ghost danger" onClick={remove} disabled={!!writeReason} title={writeReason}>Delete</button>
          </>}
        </>}
      />

      <section className="card">
        <dl className="facts inline">
          <dt>Run id</dt><dd className="mono">{run.run_id}</dd>
          <dt>Created</dt><dd><Time value={run.create_timestamp} /></dd>
          <dt>Started</dt><dd><Time value={run.start_time} /></dd>
          <dt>Ended</dt><dd><Time value={run.end_time} /></dd>
          {run.partition_key && <><dt>Partition</dt><dd className="mono">{run.partition_key}</dd></>}
          {run.asset_selection && run.asset_selection.length > 0 && <><dt>Assets</dt><dd>{run.asset_selection.map((k) => <span key={k} className="chip"><AssetLink k={k} /></span>)}</dd></>}
          {run.asset_check_selection && run.asset_check_selection.length > 0 && <><dt>Checks</dt><dd>{run.asset_check_selection.map((k) => <span key={k} className="chip mono">{k}</span>)}</dd></>}
          {run.parent_run_id && <><dt>Parent run</dt><dd><RunLink id={run.parent_run_id} /></dd></>}
          {run.root_run_id && run.root_run_id !== run.parent_run_id && <><dt>Root run</dt><dd><RunLink id={run.root_run_id} /></dd></>}
          {userTags(run.tags).length > 0 && <><dt>Tags</dt><dd className="run-tags"><RunTags tags={run.tags} /> <SystemTagsToggle /></dd></>}
        </dl>
        {Object.keys(run.run_config ?? {}).length > 0 && (
          <details><summary>Run config</summary><pre className="code">{JSON.stringify(run.run_config, null, 2)}</pre></details>
        )}
        {canceled && <CanceledNote run={run} onStep={setStepFilter} />}
        {!canceled && failedSteps.length > 0 && <p className="callout bad slim">Failed step{failedSteps.length > 1 ? "s" : ""}: {failedSteps.map((s) => <button key={s.step_key} type="button" className="link mono" onClick={() => setStepFilter(s.step_key)}>{s.step_key}</button>)}</p>}
      </section>

      <section className="card">
        <h2>Timeline</h2>
        {run.steps.length ? (
          <Gantt steps={run.steps} runStart={run.start_time} runEnd={run.end_time} selected={picked}
            onToggle={(k) => setPicked((cur) => { const n = new Set(cur); if (n.has(k)) n.delete(k); else n.add(k); return n; })}
            onFocus={setStepFilter} focused={stepFilter} assetsByStep={assetsByStep} checksByStep={checksByStep} />
        ) : <p className="muted">{finished ? "No step ran." : "Waiting for the first step…"}</p>}
      </section>

      {(run.checks?.length ?? 0) > 0 && <RunChecks checks={run.checks!} onStep={setStepFilter} />}

      <section className="card">
        <div className="row wrap log-controls">
          <h2>Event log <span className="muted small">{shown.length.toLocaleString()} of {events.length.toLocaleString()}</span></h2>
          <span className="spacer" />
          <fieldset className="levels" aria-label="Levels">
            {LEVELS.map((l) => (
              <label key={l} className={`lvl lvl-${l.toLowerCase()}`}>
                <input type="checkbox" checked={levels.has(l)} onChange={() => setLevels((cur) => { const n = new Set(cur); if (n.has(l)) n.delete(l); else n.add(l); return n; })} />
                {l.toLowerCase()}
              </label>
            ))}
          </fieldset>
          <select aria-label="Filter by event type" value={typeFilter} onChange={(e) => setTypeFilter(e.target.value)}>
            <option value="">All types</option>
            {types.map((t) => <option key={t} value={t}>{t}</option>)}
          </select>
          <select aria-label="Filter by step" value={stepFilter ?? ""} onChange={(e) => setStepFilter(e.target.value || null)}>
            <option value="">All steps</option>
            {run.steps.map((s) => <option key={s.step_key} value={s.step_key}>{s.step_key}</option>)}
          </select>
          <input type="search" placeholder="Filter messages" aria-label="Filter messages" value={text} onChange={(e) => setText(e.target.value)} />
          <label className="small"><input type="checkbox" checked={follow} onChange={(e) => setFollow(e.target.checked)} /> follow</label>
        </div>
        <div className="log" ref={logRef} role="log" aria-live="polite" aria-label="Run events">
          {shown.length > MAX_ROWS && <div className="muted small log-note">Showing the latest {MAX_ROWS} of {shown.length} matching events; narrow the filters to see older ones.</div>}
          {shown.slice(-MAX_ROWS).map((e) => <EventRow key={e.id} e={e} onStep={setStepFilter} />)}
          {!shown.length && <div className="muted log-note">{events.length ? "No event matches the filters." : stream !== "ended" ? "Waiting for events…" : "No events."}</div>}
        </div>
      </section>

      <ComputeLogs runId={runId} steps={run.steps.map((s) => s.step_key)} focused={stepFilter} live={!finished} />
    </div>
  );
}

/** Instead of a "failed step" banner: the run was canceled, by what, and what it stopped. */
function CanceledNote({ run, onStep }: { run: RunDetail; onStep: (s: string) => void }) {
  const how = run.cancellation;
  const stopped = run.steps.filter((s) => s.status === "canceled");
  const failed = run.steps.filter((s) => s.status === "failure");
  const notRun = run.steps.filter((s) => s.status === "skipped" && s.start === null && !s.end);
  return (
    <div className="callout warn slim" data-canceled>
      <strong>{run.status === "CANCELING" ? "Canceling" : "Canceled"}</strong>
      {how?.message && <>: {how.message}</>}
      {how?.requested && <> <span className="muted small">(requested <Time value={how.requested} />)</span></>}
      {stopped.length > 0 && <div>Stopped: {stopped.map((s) => <button key={s.step_key} type="button" className="link mono" onClick={() => onStep(s.step_key)}>{s.step_key}</button>)}</div>}
      {failed.length > 0 && <div>Failed before the cancel: {failed.map((s) => <button key={s.step_key} type="button" className="link mono" onClick={() => onStep(s.step_key)}>{s.step_key}</button>)}</div>}
      {notRun.length > 0 && <div className="small">Not executed: {notRun.map((s) => <span key={s.step_key} className="mono"> {s.step_key}</span>)}</div>}
    </div>
  );
}

function RunChecks({ checks, onStep }: { checks: RunCheck[]; onStep: (s: string) => void }) {
  const failed = checks.filter((c) => c.result === "failed" || c.result === "warn").length;
  return (
    <section className="card" aria-label="Check results">
      <h2>Checks <span className="muted small">{checks.length} evaluated{failed ? `, ${failed} failing` : ""}</span></h2>
      <table className="data compact">
        <thead><tr><th>Check</th><th>Result</th><th>Step</th><th>Partition</th><th>Details</th></tr></thead>
        <tbody>
          {checks.map((c) => (
            <tr key={`${c.key}|${c.partition ?? ""}`} data-check={c.key}>
              <td><AssetLink k={c.asset_key} /> <span className="mono">: {c.name}</span></td>
              <td><CheckBadge result={c.result} severity={c.severity} title={`${c.status}${c.severity ? `, severity ${c.severity}` : ""}`} /></td>
              <td>{c.step_key ? <button type="button" className="link mono" onClick={() => onStep(c.step_key!)}>{c.step_key}</button> : "—"}</td>
              <td className="mono">{c.partition ?? "—"}</td>
              <td className="small">
                {c.description && <div>{c.description}</div>}
                {Object.keys(c.metadata).length > 0 && <details><summary>metadata ({Object.keys(c.metadata).length})</summary><MetadataTable metadata={c.metadata} /></details>}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

/** Tags worth listing (headwater/... included; RunTags folds those); the engine's hidden
 * ".headwater/..." ones stay in the API. */
const userTags = (tags: Record<string, string>) => Object.entries(tags).filter(([k]) => !k.startsWith("."));

function EventRow({ e, onStep }: { e: LogEvent; onStep: (s: string) => void }) {
  const hasMeta = Object.keys(e.metadata ?? {}).length > 0;
  return (
    <div className={`ev lvl-${e.level.toLowerCase()} ev-${e.type.toLowerCase()}`} data-type={e.type}>
      <span className="ev-time mono" title={fmtTime(e.timestamp)}>{fmtTime(e.timestamp, true)}</span>
      <span className={`ev-type t-${e.type.toLowerCase()}`}>{e.type}</span>
      <span className="ev-step">{e.step_key && <button type="button" className="link mono" onClick={() => onStep(e.step_key!)}>{e.step_key}</button>}</span>
      <div className="ev-body">
        <span className="ev-msg">{e.message}</span>
        {e.asset_key && <> <AssetLink k={e.asset_key} />{e.partition && <span className="chip mono">{e.partition}</span>}</>}
        {e.error && <StackTrace error={e.error} />}
        {hasMeta && <details className="ev-meta"><summary>metadata ({Object.keys(e.metadata).length})</summary><MetadataTable metadata={e.metadata} /></details>}
      </div>
    </div>
  );
}
