// Jobs: the list, and one job's op graph with its launchpad (components/Launchpad.tsx, loaded
// on demand with its editor, so the other pages do not carry CodeMirror and yaml).
import { lazy, Suspense, useCallback, useEffect, useMemo, useState } from "react";
import { Link, useParams, useSearchParams } from "react-router";
import { type JobDetail, type JobNode, type JobSummary, type Page, type Run } from "../api";
import { GraphView, type Detail } from "../components/GraphView";
import { StaleLocationNotice } from "../components/LocationNotice";
import { layoutGraph, type LayoutResult, type Placed } from "../layout";
import { Empty, ErrorBox, Loading, PageHeader, useApi, useTitle } from "../util";
import { RunsTable } from "./Runs";

const Launchpad = lazy(() => import("../components/Launchpad").then((m) => ({ default: m.Launchpad })));

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
  const fromRun = useSearchParams()[0].get("from_run");
  if (job.error) {
    return (
      <div className="page">
        <PageHeader title={name} />
        <ErrorBox error={job.error} title="Could not load this job" />
        {fromRun && <p className="callout warn slim" data-missing-job>The launchpad cannot open run <Link className="mono" to={`/runs/${encodeURIComponent(fromRun)}`}>{fromRun.slice(0, 8)}</Link> here: its job {name} is not defined by any loaded code location. The run page keeps its config.</p>}
      </div>
    );
  }
  if (!job.data) return <div className="page"><Loading what="the job" /></div>;
  const j = job.data;
  return (
    <div className="page">
      <nav className="crumbs" aria-label="Breadcrumb"><Link to="/jobs">Jobs</Link> / <b>{name}</b></nav>
      <PageHeader title={name} sub={<>{j.description ?? ""} {j.location && <span className="muted">· location {j.location}</span>}</>} />
      {j.location_stale && j.location && <StaleLocationNotice location={j.location} what={`job ${name}`} />}
      {j.is_asset_job && j.asset_keys && j.asset_keys.length > 0 && (
        <p className="muted">Materializes {j.asset_keys.length} asset{j.asset_keys.length > 1 ? "s" : ""}: {j.asset_keys.slice(0, 12).map((k) => <Link key={k} className="chip mono" to={`/assets/${k}`}>{k}</Link>)}</p>
      )}
      <div className="job-layout">
        <section className="card job-graph">
          <h2>Graph</h2>
          <JobGraph nodes={j.graph.nodes} />
        </section>
        <Suspense fallback={<section className="card launchpad" aria-label="Launchpad"><h2>Launchpad</h2><Loading what="the launchpad" /></section>}>
          <Launchpad job={j} />
        </Suspense>
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
