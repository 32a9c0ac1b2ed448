// The launchpad of a job (pages/Jobs.tsx loads it on demand): a run-config editor
// (editor/ConfigEditor.tsx) validated live against the job's schema on the code server,
// scaffolded from its defaults (required values left empty) or prefilled from an earlier run
// (`?from_run=<id>`), tags, and for a partitioned job the partitions to launch: one (a run) or
// a range or the missing ones (a backfill of the job, whose page it then opens).
import { useEffect, useMemo, useRef, useState } from "react";
import { Link, useNavigate, useSearchParams } from "react-router";
import YAML from "yaml";
import { api, ApiError, enc, post, type JobDetail, type RunDetail } from "../api";
import { usePermissions } from "../server";
import { useToast } from "../toast";
import { chosenKeys, PartitionPicker, usePartitions, type PartitionChoice } from "./PartitionPicker";
import ConfigEditor from "../editor/ConfigEditor";
import { isSystemTag } from "./RunTags";

const NO_ERRORS: Validation["errors"] = [];

interface Validation { valid: boolean; errors: { path: string; message: string }[] }

function parseConfig(text: string): { value?: Record<string, unknown>; error?: string } {
  if (!text.trim()) return { value: {} };
  try {
    const value = YAML.parse(text);
    if (value === null || value === undefined) return { value: {} };
    if (typeof value !== "object" || Array.isArray(value)) return { error: "The run config must be a mapping (JSON object or YAML mapping) at the top level." };
    return { value: value as Record<string, unknown> };
  } catch (e) {
    return { error: `Not valid YAML or JSON: ${(e as Error).message.split("\n")[0]}` };
  }
}

/** The default config as YAML, a required value with no default left empty (`n:`), so that
 * validation says it is missing. */
function scaffoldText(config: unknown): string {
  const text = YAML.stringify(config ?? {});
  return text === "{}\n" ? "" : text.replace(/: null$/gm, ":");
}

/** The tags a person gave a run (not the engine's `headwater/...` nor its hidden `.` ones). */
const ownTags = (tags: Record<string, string>) => Object.entries(tags).filter(([k]) => !isSystemTag(k) && !k.startsWith("."));

/** Prefill from `?from_run=<id>`: that run's config, own tags and partition. */
function usePrefill(job: JobDetail, apply: (run: RunDetail) => void): { runId: string | null; run?: RunDetail; error?: string } {
  const [params] = useSearchParams();
  const runId = params.get("from_run");
  const [state, setState] = useState<{ run?: RunDetail; error?: string }>({});
  const applied = useRef<string | null>(null);
  useEffect(() => {
    if (!runId || applied.current === runId) return;
    applied.current = runId;
    api<RunDetail>(`/api/runs/${enc(runId)}`).then((run) => {
      setState({ run });
      if (run.job_name === job.name) apply(run);
    }).catch((e: Error) => setState({ error: e.message }));
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [runId, job.name]);
  return { runId, ...state };
}

export function Launchpad({ job }: { job: JobDetail }) {
  const navigate = useNavigate();
  const toast = useToast();
  const { launchReason } = usePermissions();
  const initial = useMemo(() => scaffoldText(job.default_run_config), [job]);
  const [text, setText] = useState(initial);
  const partitioned = !!job.partitions;
  const { list: partitions, error: partitionsError } = usePartitions(partitioned ? `/api/jobs/${enc(job.name)}/partitions` : null);
  const [choice, setChoice] = useState<PartitionChoice>({ mode: "single", key: "" });
  const chosen = partitions ? chosenKeys(choice, partitions) : [];
  const backfill = partitioned && choice.mode !== "single";
  const [tags, setTags] = useState("");
  const [result, setResult] = useState<Validation | null>(null);
  const [checking, setChecking] = useState(false);
  const [launching, setLaunching] = useState(false);
  const [showSchema, setShowSchema] = useState(false);
  const parsed = useMemo(() => parseConfig(text), [text]);
  const seq = useRef(0);
  const prefill = usePrefill(job, (run) => {
    setText(Object.keys(run.run_config ?? {}).length ? YAML.stringify(run.run_config) : "");
    setTags(ownTags(run.tags).map(([k, v]) => `${k}=${v}`).join("\n"));
    if (run.partition_key) setChoice({ mode: "single", key: run.partition_key });
  });
  const editorErrors = useMemo(() => (result && !result.valid ? result.errors : NO_ERRORS), [result]);

  useEffect(() => {
    if (parsed.error) {
      setResult(null);
      return;
    }
    const id = ++seq.current;
    setChecking(true);
    const timer = window.setTimeout(() => {
      post<Validation>(`/api/jobs/${encodeURIComponent(job.name)}/validate`, { run_config: parsed.value })
        .then((r) => id === seq.current && setResult(r))
        .catch((e: Error) => id === seq.current && setResult({ valid: false, errors: [{ path: "", message: e.message }] }))
        .finally(() => id === seq.current && setChecking(false));
    }, 350);
    return () => window.clearTimeout(timer);
  }, [parsed, job.name]);

  const tagMap = (): Record<string, string> | string => {
    const out: Record<string, string> = {};
    for (const line of tags.split(/[\n,]/).map((l) => l.trim()).filter(Boolean)) {
      const i = line.indexOf("=");
      if (i <= 0) return `Tag '${line}' is not key=value.`;
      out[line.slice(0, i).trim()] = line.slice(i + 1).trim();
    }
    return out;
  };

  const launch = async () => {
    const t = tagMap();
    if (typeof t === "string") {
      toast("bad", t);
      return;
    }
    setLaunching(true);
    if (backfill) {
      try {
        const { backfill_id } = await post<{ backfill_id: string }>("/api/backfills", { job_name: job.name, partition_keys: chosen, tags: t });
        toast("ok", <span>Backfill <Link className="mono" to={`/backfills/${enc(backfill_id)}`}>{backfill_id}</Link> of {job.name} requested for {chosen.length} partition{chosen.length === 1 ? "" : "s"}; the daemon launches its runs.</span>);
        navigate(`/backfills/${enc(backfill_id)}`);
      } catch (e) {
        toast("bad", <span>Backfill refused: {(e as Error).message}</span>);
      } finally {
        setLaunching(false);
      }
      return;
    }
    try {
      const body: { run_config: Record<string, unknown>; tags: Record<string, string>; partition_key?: string } = { run_config: parsed.value ?? {}, tags: t };
      if (partitioned) body.partition_key = chosen[0];
      const { run_id } = await post<{ run_id: string }>(`/api/jobs/${encodeURIComponent(job.name)}/launch`, body);
      toast("ok", <span>Launched run <Link className="mono" to={`/runs/${run_id}`}>{run_id.slice(0, 8)}</Link></span>);
      navigate(`/runs/${run_id}`);
    } catch (e) {
      const body = e instanceof ApiError ? e.body as { errors?: Validation["errors"] } : undefined;
      if (body?.errors) setResult({ valid: false, errors: body.errors });
      toast("bad", <span>Launch refused: {(e as Error).message}</span>);
    } finally {
      setLaunching(false);
    }
  };

  const tagError = typeof tagMap() === "string" ? tagMap() as string : null;
  const configValid = !parsed.error && result?.valid === true && !tagError;
  const valid = !launchReason && (backfill ? chosen.length > 0 : configValid && (!partitioned || chosen.length === 1));
  return (
    <section className="card launchpad" aria-label="Launchpad">
      <div className="row">
        <h2>Launchpad</h2>
        <span className="spacer" />
        <button type="button" className="ghost small" onClick={() => setText(scaffoldText(job.default_run_config))} title="Replace the editor's content with every default, and each required field left empty">Scaffold default config</button>
        <button type="button" className="ghost small" onClick={() => setShowSchema((s) => !s)}>{showSchema ? "Hide" : "Show"} schema</button>
      </div>
      {prefill.runId && <PrefillNote job={job} runId={prefill.runId} run={prefill.run} error={prefill.error} />}
      <div className="row small muted">
        <span id="run-config-label">Run config (YAML or JSON)</span>
        <span className="spacer" />
        <span title="Tab accepts a suggestion or indents; Esc then Tab leaves the editor">Ctrl+Space suggests fields · hover a key for its type</span>
      </div>
      <div className={`config-editor-box${parsed.error || (result && !result.valid) ? " invalid" : ""}`}>
        <ConfigEditor id="run-config" label="Run config (YAML or JSON)" describedBy="config-status" value={text} onChange={setText}
          schema={job.run_config_schema} errors={editorErrors} onSubmit={() => { if (valid && !launching) launch(); }} />
      </div>
      <div id="config-status" className="validation" aria-live="polite">
        {parsed.error ? <div className="callout bad slim">{parsed.error}</div>
          : checking && !result ? <div className="muted small">Checking…</div>
          : result?.valid ? <div className="callout ok slim">Config is valid{checking ? " (re-checking…)" : ""}.</div>
          : result ? (
            <div className="callout bad slim" role="alert">
              <b>{result.errors.length} problem{result.errors.length === 1 ? "" : "s"} in the run config</b>
              <ul className="errors">
                {result.errors.map((err, i) => <li key={i}>{err.path && <code>{err.path}</code>} {err.message}</li>)}
              </ul>
            </div>
          ) : null}
      </div>
      {partitioned && partitionsError && <div className="callout bad slim">Could not list the partitions: {partitionsError}</div>}
      {partitioned && partitions && <PartitionPicker list={partitions} choice={choice} onChange={setChoice} subject={job.name} />}
      {backfill && <p className="muted small">The backfill runs each partition with the job's own config (the editor's is not used) and the tags below.</p>}
      <label htmlFor="run-tags" className="small muted">Tags (key=value, one per line)</label>
      <textarea id="run-tags" className={`code-editor tags${tagError ? " invalid" : ""}`} rows={2} value={tags} onChange={(e) => setTags(e.target.value)} spellCheck={false} />
      {tagError && <div className="callout bad slim">{tagError}</div>}
      <div className="row end">
        <span className="muted small">Ctrl+Enter launches</span>
        <button type="button" className="primary" disabled={!valid || launching} title={launchReason} onClick={launch}>
          {launching ? "Launching…" : backfill ? `Launch backfill (${chosen.length} partition${chosen.length === 1 ? "" : "s"})` : "Launch run"}
        </button>
      </div>
      {showSchema && <pre className="code schema">{JSON.stringify(job.run_config_schema, null, 2)}</pre>}
    </section>
  );
}

function PrefillNote({ job, runId, run, error }: { job: JobDetail; runId: string; run?: RunDetail; error?: string }) {
  if (error) return <div className="callout bad slim">Could not read run <span className="mono">{runId}</span> to prefill the launchpad: {error}</div>;
  if (!run) return <div className="muted small">Reading run <span className="mono">{runId.slice(0, 8)}</span>…</div>;
  if (run.job_name !== job.name) {
    return <div className="callout warn slim">Run <Link className="mono" to={`/runs/${run.run_id}`}>{run.run_id.slice(0, 8)}</Link> is a run of {run.job_name}, not of {job.name}: the launchpad keeps this job's default config.</div>;
  }
  const subset = (run.asset_selection?.length ?? 0) > 0 && run.asset_selection!.length < (job.asset_keys?.length ?? 0);
  return (
    <div className="callout info slim" data-prefill={run.run_id}>
      Prefilled from run <Link className="mono" to={`/runs/${run.run_id}`}>{run.run_id.slice(0, 8)}</Link>: its config, its tags{run.partition_key ? <> and partition <span className="mono">{run.partition_key}</span></> : ""}. Edit, then launch a new run.
      {subset && <> That run materialized {run.asset_selection!.length} of the job's {job.asset_keys!.length} assets; a launch from here runs the whole job.</>}
    </div>
  );
}
