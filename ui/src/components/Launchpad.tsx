// The launchpad of a job: a run-config editor validated live against the job's schema on the
// code server, scaffolded from its defaults (required values left empty), tags, and for a
// partitioned job the partitions to launch: one (a run) or a range or the missing ones (a
// backfill of the job, whose page it then opens).
import { useEffect, useMemo, useRef, useState } from "react";
import { Link, useNavigate } from "react-router";
import YAML from "yaml";
import { ApiError, enc, post, type JobDetail } from "../api";
import { usePermissions } from "../server";
import { useToast } from "../toast";
import { chosenKeys, PartitionPicker, usePartitions, type PartitionChoice } from "./PartitionPicker";

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
      <label htmlFor="run-config" className="small muted">Run config (YAML or JSON)</label>
      <textarea
        id="run-config"
        className={`code-editor${parsed.error || (result && !result.valid) ? " invalid" : ""}`}
        spellCheck={false}
        value={text}
        onChange={(e) => setText(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === "Tab" && !e.shiftKey) {
            e.preventDefault();
            const el = e.currentTarget;
            const { selectionStart: s, selectionEnd: en } = el;
            const next = `${text.slice(0, s)}  ${text.slice(en)}`;
            setText(next);
            window.requestAnimationFrame(() => { el.selectionStart = el.selectionEnd = s + 2; });
          } else if (e.key === "Enter" && (e.metaKey || e.ctrlKey) && valid) {
            e.preventDefault();
            launch();
          }
        }}
        rows={14}
        aria-describedby="config-status"
      />
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
