// Jobs: the list, and one job's op graph with its launchpad (run-config editor validated live
// against the job's schema on the code server, scaffold from defaults, launch).
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { Link, useNavigate, useParams } from "react-router";
import YAML from "yaml";
import { ApiError, post, type JobDetail, type JobNode, type JobSummary, type Page, type Run } from "../api";
import { GraphView, type Detail } from "../components/GraphView";
import { layoutGraph, type LayoutResult, type Placed } from "../layout";
import { usePermissions } from "../server";
import { useToast } from "../toast";
import { Empty, ErrorBox, Loading, PageHeader, useApi, useTitle } from "../util";
import { RunsTable } from "./Runs";

export function JobsPage() {
  useTitle("Jobs");
  const jobs = useApi<JobSummary[]>("/api/jobs");
  return (
    <div className="page">
      <PageHeader title="Jobs" sub="Op and asset jobs of every loaded code location." />
      <ErrorBox error={jobs.error} title="Could not load jobs" />
      {!jobs.data ? <Loading what="jobs" /> : jobs.data.length === 0 ? <Empty>No jobs are defined.</Empty> : (
        <table className="data">
          <thead><tr><th>Job</th><th>Kind</th><th>Description</th><th>Location</th></tr></thead>
          <tbody>
            {jobs.data.map((j) => (
              <tr key={j.name}>
                <td><Link to={`/jobs/${encodeURIComponent(j.name)}`} className="strong">{j.name}</Link></td>
                <td>{j.is_asset_job ? <span className="chip">assets ({j.asset_keys?.length ?? 0})</span> : <span className="chip">ops</span>}</td>
                <td className="muted">{j.description ?? ""}</td>
                <td>{j.location ?? ""}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

export function JobPage() {
  const { name = "" } = useParams();
  useTitle(name);
  const job = useApi<JobDetail>(`/api/jobs/${encodeURIComponent(name)}`);
  const runs = useApi<Page<Run>>(`/api/runs?job=${encodeURIComponent(name)}&limit=10`, 5000);
  if (job.error) return <div className="page"><PageHeader title={name} /><ErrorBox error={job.error} title="Could not load this job" /></div>;
  if (!job.data) return <div className="page"><Loading what="the job" /></div>;
  const j = job.data;
  return (
    <div className="page">
      <nav className="crumbs" aria-label="Breadcrumb"><Link to="/jobs">Jobs</Link> / <b>{name}</b></nav>
      <PageHeader title={name} sub={<>{j.description ?? ""} {j.location && <span className="muted">· location {j.location}</span>}</>} />
      {j.is_asset_job && j.asset_keys && j.asset_keys.length > 0 && (
        <p className="muted">Materializes {j.asset_keys.length} asset{j.asset_keys.length > 1 ? "s" : ""}: {j.asset_keys.slice(0, 12).map((k) => <Link key={k} className="chip mono" to={`/assets/${k}`}>{k}</Link>)}</p>
      )}
      <div className="job-layout">
        <section className="card job-graph">
          <h2>Graph</h2>
          <JobGraph nodes={j.graph.nodes} />
        </section>
        <Launchpad job={j} />
      </div>
      <section className="card">
        <h2>Recent runs</h2>
        {runs.data?.items.length ? <RunsTable runs={runs.data.items} compact /> : <p className="muted">No runs of this job yet.</p>}
        <Link to={`/runs?job=${encodeURIComponent(name)}`}>All runs of {name} →</Link>
      </section>
    </div>
  );
}

function JobGraph({ nodes }: { nodes: JobNode[] }) {
  const [layout, setLayout] = useState<LayoutResult>();
  const [picked, setPicked] = useState<string | null>(null);
  const byName = useMemo(() => new Map(nodes.map((n) => [n.name, n])), [nodes]);
  const edges = useMemo(() => {
    const out: { from: string; to: string }[] = [];
    for (const n of nodes) for (const inp of n.inputs) {
      const sources = Array.isArray(inp.from) ? inp.from as string[] : [];
      for (const s of sources) {
        const from = s.split(".")[0];
        if (byName.has(from)) out.push({ from, to: n.name });
      }
    }
    return out;
  }, [nodes, byName]);
  useEffect(() => {
    layoutGraph({ nodes: nodes.map((n) => ({ id: n.name, width: 200, height: 58 })), edges, direction: "TB" }).then(setLayout);
  }, [nodes, edges]);
  const render = useCallback((p: Placed, detail: Detail) => {
    const n = byName.get(p.id)!;
    if (detail === "box") return <rect className="op-node" width={p.width} height={p.height} rx={8} />;
    return (
      <g className={`op-node${picked === p.id ? " selected" : ""}`} data-op={p.id}>
        <rect width={p.width} height={p.height} rx={8} className="op-bg" />
        <text x={12} y={22} className="asset-name">{n.name}</text>
        <text x={12} y={40} className="asset-sub">{n.op && n.op !== n.name ? `${n.op} · ` : ""}{n.kind === "graph" ? "graph · " : ""}{n.inputs.length} in · {n.outputs.length} out</text>
      </g>
    );
  }, [byName, picked]);
  if (!nodes.length) return <p className="muted">This job has no nodes.</p>;
  const sel = picked ? byName.get(picked) : undefined;
  return (
    <>
      <div className="graph-box">
        {layout ? <GraphView layout={layout} edges={edges} renderNode={render} direction="TB"
          onNodeClick={(id) => setPicked(id)} onBackgroundClick={() => setPicked(null)} label="Job graph" /> : <Loading />}
      </div>
      {sel && (
        <div className="node-detail">
          <h3 className="mono">{sel.name}</h3>
          <table className="data compact">
            <thead><tr><th>Input</th><th>Type</th><th>From</th></tr></thead>
            <tbody>{sel.inputs.map((i) => <tr key={i.name}><td className="mono">{i.name}</td><td className="mono muted">{i.type ?? "Any"}</td><td className="mono">{Array.isArray(i.from) ? (i.from as string[]).join(", ") : ""}{(i as { asset?: string }).asset ? <Link to={`/assets/${(i as { asset?: string }).asset}`}>{(i as { asset?: string }).asset}</Link> : null}</td></tr>)}</tbody>
          </table>
          <table className="data compact">
            <thead><tr><th>Output</th><th>Type</th><th>Asset</th></tr></thead>
            <tbody>{sel.outputs.map((o) => <tr key={o.name}><td className="mono">{o.name}</td><td className="mono muted">{o.type ?? "Any"}</td><td>{(o as { asset?: string }).asset ? <Link className="mono" to={`/assets/${(o as { asset?: string }).asset}`}>{(o as { asset?: string }).asset}</Link> : ""}</td></tr>)}</tbody>
          </table>
        </div>
      )}
    </>
  );
}

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

function Launchpad({ job }: { job: JobDetail }) {
  const navigate = useNavigate();
  const toast = useToast();
  const { launchReason } = usePermissions();
  const initial = useMemo(() => YAML.stringify(job.default_run_config ?? {}) === "{}\n" ? "" : YAML.stringify(job.default_run_config), [job]);
  const [text, setText] = useState(initial);
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
    try {
      const { run_id } = await post<{ run_id: string }>(`/api/jobs/${encodeURIComponent(job.name)}/launch`, { run_config: parsed.value ?? {}, tags: t });
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
  const valid = !parsed.error && result?.valid === true && !tagError && !launchReason;
  return (
    <section className="card launchpad" aria-label="Launchpad">
      <div className="row">
        <h2>Launchpad</h2>
        <span className="spacer" />
        <button type="button" className="ghost small" onClick={() => setText(YAML.stringify(job.default_run_config ?? {}))} title="Replace the editor's content with every default and a placeholder for each required field">Scaffold default config</button>
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
      <label htmlFor="run-tags" className="small muted">Tags (key=value, one per line)</label>
      <textarea id="run-tags" className={`code-editor tags${tagError ? " invalid" : ""}`} rows={2} value={tags} onChange={(e) => setTags(e.target.value)} spellCheck={false} />
      {tagError && <div className="callout bad slim">{tagError}</div>}
      <div className="row end">
        <span className="muted small">Ctrl+Enter launches</span>
        <button type="button" className="primary" disabled={!valid || launching} title={launchReason} onClick={launch}>{launching ? "Launching…" : "Launch run"}</button>
      </div>
      {showSchema && <pre className="code schema">{JSON.stringify(job.run_config_schema, null, 2)}</pre>}
    </section>
  );
}
