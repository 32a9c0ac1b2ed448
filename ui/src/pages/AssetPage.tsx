// One asset: definition, latest materialization's metadata, numeric metadata over time,
// history, lineage, and for partitioned assets a partition grid with a backfill launcher.
import { useMemo, useState } from "react";
import { Link, useLocation, useSearchParams } from "react-router";
import { enc, post, type AssetDetail, type CheckSummary, type Explanation, type Materialization, type Page, type Typed } from "../api";
import { AutomationTab } from "../components/Automation";
import { CheckBadge, ChecksTab, summarize } from "../components/Checks";
import { StaleLocationNotice, UndefinedAssetNotice } from "../components/LocationNotice";
import { MaterializeButton } from "../components/Materialize";
import { CodeReferences, isNumeric, MetadataTable } from "../components/Metadata";
import { LinePlot, type Point } from "../components/Plot";
import { useRunChanges } from "../live";
import { usePermissions } from "../server";
import { useToast } from "../toast";
import { ago, assetPath, Badge, Empty, ErrorBox, Loading, PageHeader, RunLink, Time, useApi, useTitle } from "../util";

function useAssetKey(): string {
  const { pathname } = useLocation();
  return pathname.replace(/^\/assets\/?/, "").replace(/\/$/, "").split("/").map(decodeURIComponent).join("/");
}

const apiPath = (key: string) => `/api/assets/${key.split("/").map(enc).join("/")}`;

export function AssetPage() {
  const key = useAssetKey();
  useTitle(key);
  const asset = useApi<AssetDetail>(apiPath(key));
  const history = useApi<Page<Materialization>>(`${apiPath(key)}/materializations?limit=100`);
  useRunChanges(() => { asset.reload(); history.reload(); });
  const [params, setParams] = useSearchParams();
  const tab = ["checks", "automation"].includes(params.get("tab") ?? "") ? params.get("tab") as string : "overview";
  const setTab = (t: string) => {
    const next = new URLSearchParams(params);
    if (t === "overview") next.delete("tab");
    else next.set("tab", t);
    setParams(next, { replace: true });
  };

  if (asset.error) {
    return (
      <div className="page">
        <PageHeader title={<span className="mono">{key}</span>} />
        <ErrorBox error={asset.error} title="Could not load this asset" />
        <p><Link to="/assets">Back to the asset graph</Link></p>
      </div>
    );
  }
  const a = asset.data;
  if (!a) return <div className="page"><Loading what="the asset" /></div>;
  const parts = key.split("/");
  const latest = a.latest_materialization;

  return (
    <div className="page">
      <nav className="crumbs" aria-label="Breadcrumb">
        <Link to="/assets">Assets</Link>
        {parts.map((p, i) => <span key={i}> / {i === parts.length - 1 ? <b>{p}</b> : p}</span>)}
      </nav>
      <PageHeader
        title={<span className="mono">{key}</span>}
        sub={<>{/* a stale asset shows one badge, the one that carries its causes */}
          {!(a.status === "stale" && a.stale_status === "STALE") && <Badge status={a.status} />}
          {" "}{a.stale_status === "STALE" && (
          <span className="badge tone-warn stale-badge" data-stale-badge="true"
            title={`Stale:\n${(a.stale_causes ?? []).map((c) => c.text).join("\n")}`}>Stale</span>
        )} {latest && <span className="muted">materialized {ago(latest.timestamp)} by run <RunLink id={latest.run_id} /></span>}</>}
        actions={<>
          <Link className="button ghost" to={`/assets?select=${encodeURIComponent(`+key:"${key}"+`)}`}>View in graph</Link>
          {a.defined !== false && <MaterializeButton keys={[key]} assets={[a]} />}
        </>}
      />
      {a.location_stale && a.location && <StaleLocationNotice location={a.location} what={key} />}
      {a.defined === false && <UndefinedAssetNotice assetKey={key} />}
      {a.description && <p className="desc lead">{a.description}</p>}

      <div className="tabs" role="tablist" aria-label="Asset sections">
        <button type="button" role="tab" id="tab-overview" aria-selected={tab === "overview"} aria-controls="panel-overview"
          className={tab === "overview" ? "active" : ""} onClick={() => setTab("overview")}>Overview</button>
        <button type="button" role="tab" id="tab-checks" aria-selected={tab === "checks"} aria-controls="panel-checks"
          className={tab === "checks" ? "active" : ""} onClick={() => setTab("checks")}>
          Checks ({a.checks.length})
          {a.checks.length > 0 && <CheckBadge result={summarize(checkSummary(a.checks)).result} />}
        </button>
        <button type="button" role="tab" id="tab-automation" aria-selected={tab === "automation"} aria-controls="panel-automation"
          className={tab === "automation" ? "active" : ""} onClick={() => setTab("automation")}>Automation</button>
      </div>

      {tab === "automation" ? (
        <div role="tabpanel" id="panel-automation" aria-labelledby="tab-automation">
          <AutomationTab assetKey={key} />
        </div>
      ) : tab === "checks" ? (
        <div role="tabpanel" id="panel-checks" aria-labelledby="tab-checks">
          <ChecksTab assetKey={key} checks={a.checks} />
        </div>
      ) : (
      <div role="tabpanel" id="panel-overview" aria-labelledby="tab-overview">
      {a.stale_status === "STALE" && (
        <section className="card stale-panel" aria-label="Why stale">
          <h2>Why stale</h2>
          <ul className="plain stale-causes">
            {(a.stale_causes ?? []).map((c, i) => <li key={i} data-kind={c.kind}>{c.text}</li>)}
          </ul>
        </section>
      )}
      <ExplainPanel assetKey={key} />
      <div className="grid-2">
        <section className="card">
          <h2>Definition</h2>
          {a.defined === false ? <Empty>Not defined by any loaded code location.</Empty> : (
          <dl className="facts">
            <dt>Group</dt><dd><Link to={`/assets?group=${encodeURIComponent(a.group ?? "default")}`}>{a.group ?? "default"}</Link></dd>
            <dt>Kinds</dt><dd>{a.kinds.length ? a.kinds.map((k) => <span key={k} className="chip">{k}</span>) : <span className="muted">—</span>}</dd>
            <dt>Owners</dt><dd>{a.owners.length ? a.owners.join(", ") : <span className="muted">—</span>}</dd>
            <dt>Code version</dt><dd className="mono">{a.code_version ?? <span className="muted">—</span>}</dd>
            <dt>Partitions</dt><dd>{a.partitions ? (a.partitions.description ?? a.partitions.type ?? a.partitions.kind) : <span className="muted">not partitioned</span>}</dd>
            <dt>IO manager</dt><dd className="mono">{a.io_manager_key ?? "io_manager"}</dd>
            <dt>Resources</dt><dd>{a.resources?.length ? a.resources.map((r) => <span key={r} className="chip mono">{r}</span>) : <span className="muted">none</span>}</dd>
            {a.op_name && <><dt>Op</dt><dd className="mono">{a.op_name}</dd></>}
            {a.source && <><dt>Defined in</dt><dd className="mono">{a.source.file}:{a.source.line}</dd></>}
            {a.metadata?.["headwater/code_references"] !== undefined && <><dt>Code</dt><dd><CodeReferences value={(a.metadata["headwater/code_references"] as Typed).value as never} /></dd></>}
            {a.location && <><dt>Code location</dt><dd><Link to="/deployment">{a.location}</Link></dd></>}
            {a.tags && Object.keys(a.tags).length > 0 && <><dt>Tags</dt><dd>{Object.entries(a.tags).map(([k, v]) => <span key={k} className="chip mono">{k}={v}</span>)}</dd></>}
          </dl>)}
          {a.metadata && Object.keys(a.metadata).length > 0 && (
            <>
              <h3>Definition metadata</h3>
              <MetadataTable metadata={a.metadata as never} />
            </>
          )}
        </section>
        <section className="card">
          <h2>Lineage</h2>
          <div className="lineage">
            <div>
              <h3>Upstream ({a.upstream.length})</h3>
              {a.upstream.length ? <ul className="plain">{a.upstream.map((k) => <li key={k}><Link className="mono" to={assetPath(k)}>← {k}</Link></li>)}</ul> : <p className="muted">No upstream assets.</p>}
            </div>
            <div>
              <h3>Downstream ({a.downstream.length})</h3>
              {a.downstream.length ? <ul className="plain">{a.downstream.map((k) => <li key={k}><Link className="mono" to={assetPath(k)}>{k} →</Link></li>)}</ul> : <p className="muted">No downstream assets.</p>}
            </div>
          </div>
        </section>
      </div>

      <section className="card">
        <h2>Latest materialization</h2>
        {latest ? (
          <>
            <p className="muted">
              <Time value={latest.timestamp} /> · run <RunLink id={latest.run_id} />
              {latest.partition && <> · partition <span className="mono">{latest.partition}</span></>}
            </p>
            <MetadataTable metadata={latest.metadata} />
          </>
        ) : <Empty>This asset has never been materialized.</Empty>}
      </section>

      <Plots history={history.data?.items ?? []} />

      {a.partitions && <PartitionGrid assetKey={key} />}

      <section className="card">
        <h2>Materialization history</h2>
        {history.error && <ErrorBox error={history.error} />}
        {history.data && history.data.items.length === 0 && <Empty>No materializations yet.</Empty>}
        {history.data && history.data.items.length > 0 && (
          <table className="data">
            <thead><tr><th>Time</th><th>Run</th><th>Partition</th><th>Metadata</th></tr></thead>
            <tbody>
              {history.data.items.map((m) => (
                <tr key={m.id}>
                  <td><Time value={m.timestamp} /></td>
                  <td><RunLink id={m.run_id} /></td>
                  <td className="mono">{m.partition ?? "—"}</td>
                  <td className="small">{Object.entries(m.metadata).filter(([, v]) => ["int", "float", "text", "bool"].includes(v.type ?? "")).slice(0, 4).map(([k, v]) => `${k}: ${String(v.value)}`).join(" · ")}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {history.data?.has_more && <p className="muted small">Showing the latest {history.data.items.length}.</p>}
      </section>
      </div>
      )}
    </div>
  );
}

function checkSummary(checks: AssetDetail["checks"]): CheckSummary {
  const s: CheckSummary = { passed: 0, warn: 0, failed: 0, in_progress: 0, not_run: 0, total: checks.length };
  for (const c of checks) s[c.result] += 1;
  return s;
}

function Plots({ history }: { history: Materialization[] }) {
  const series = useMemo(() => {
    const out = new Map<string, Point[]>();
    for (const m of [...history].reverse()) {
      for (const [label, item] of Object.entries(m.metadata)) {
        if (!isNumeric(item)) continue;
        const list = out.get(label) ?? [];
        list.push({ t: m.timestamp, v: item.value as number, label: m.partition ?? undefined });
        out.set(label, list);
      }
    }
    return [...out.entries()];
  }, [history]);
  if (!series.length) return null;
  return (
    <section className="card">
      <h2>Numeric metadata over time</h2>
      <div className="plots">
        {series.map(([label, points]) => <LinePlot key={label} title={label} points={points} />)}
      </div>
    </section>
  );
}

const PART_ORDER = ["materialized", "failed", "in_progress", "missing"];

function PartitionGrid({ assetKey }: { assetKey: string }) {
  const toast = useToast();
  const { writeReason } = usePermissions();
  const parts = useApi<{ keys: string[]; status: Record<string, string> }>(`${apiPath(assetKey)}/partitions`, 10000);
  const [picked, setPicked] = useState<Set<string>>(new Set());
  const [anchor, setAnchor] = useState<number | null>(null);
  const [busy, setBusy] = useState(false);
  if (parts.error) return <section className="card"><h2>Partitions</h2><ErrorBox error={parts.error} /></section>;
  if (!parts.data) return <section className="card"><h2>Partitions</h2><Loading /></section>;
  const { keys, status } = parts.data;
  const counts: Record<string, number> = {};
  for (const k of keys) counts[status[k] ?? "missing"] = (counts[status[k] ?? "missing"] ?? 0) + 1;

  const click = (i: number, e: React.MouseEvent) => {
    const k = keys[i];
    setPicked((cur) => {
      const next = new Set(e.metaKey || e.ctrlKey || e.shiftKey ? cur : []);
      if (e.shiftKey && anchor !== null) {
        const [lo, hi] = anchor < i ? [anchor, i] : [i, anchor];
        for (let j = lo; j <= hi; j++) next.add(keys[j]);
      } else if (next.has(k)) next.delete(k);
      else next.add(k);
      return next;
    });
    if (!e.shiftKey) setAnchor(i);
  };
  const pickStatus = (s: string) => setPicked(new Set(keys.filter((k) => (status[k] ?? "missing") === s)));

  const backfill = async () => {
    setBusy(true);
    try {
      const { backfill_id } = await post<{ backfill_id: string }>("/api/backfills", { keys: [assetKey], partition_keys: [...picked] });
      toast("ok", <span>Backfill <b className="mono">{backfill_id}</b> requested for {picked.size} partitions. <Link to="/deployment#backfills">See backfills →</Link></span>);
      setPicked(new Set());
    } catch (e) {
      toast("bad", <span>Backfill refused: {(e as Error).message}</span>);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="card">
      <h2>Partitions <span className="muted small">{keys.length.toLocaleString()} total</span></h2>
      <div className="row wrap">
        {PART_ORDER.map((s) => (
          <button key={s} type="button" className="ghost small" onClick={() => pickStatus(s)} title={`Select every ${s} partition`}>
            <span className={`swatch p-${s}`} /> {s.replace("_", " ")} <b>{counts[s] ?? 0}</b>
          </button>
        ))}
        <button type="button" className="ghost small" onClick={() => setPicked(new Set(keys))}>Select all</button>
        {picked.size > 0 && <button type="button" className="ghost small" onClick={() => setPicked(new Set())}>Clear</button>}
        <span className="spacer" />
        <button type="button" className="primary" disabled={!picked.size || busy || !!writeReason} title={writeReason} onClick={backfill}>
          {picked.size ? `Launch backfill (${picked.size} partition${picked.size > 1 ? "s" : ""})` : "Launch backfill"}
        </button>
      </div>
      <div className="partition-grid" role="grid" aria-label="Partition status; click to select, shift-click for a range">
        {keys.map((k, i) => {
          const s = status[k] ?? "missing";
          return (
            <button key={k} type="button" role="gridcell" aria-selected={picked.has(k)}
              className={`cell p-${s}${picked.has(k) ? " picked" : ""}`} title={`${k}: ${s.replace("_", " ")}`}
              onClick={(e) => click(i, e)} />
          );
        })}
      </div>
      <p className="muted small">
        {keys.length > 0 && <>From <span className="mono">{keys[0]}</span> to <span className="mono">{keys[keys.length - 1]}</span>. </>}
        Click a partition to select it, shift-click to select a range, ctrl-click to add one.
      </p>
    </section>
  );
}


/** The sections of `headwater asset explain`: staleness with its evidence, what would run. */
function ExplainPanel({ assetKey }: { assetKey: string }) {
  const [open, setOpen] = useState(false);
  const explained = useApi<Explanation>(open ? `${apiPath(assetKey)}/explain` : null);
  return (
    <section className="card explain-panel">
      <h2>
        <button type="button" className="link" aria-expanded={open} onClick={() => setOpen(!open)}>
          {open ? "▾" : "▸"} Explain: why stale or not, what would run
        </button>
      </h2>
      {open && explained.error && <ErrorBox error={explained.error} title="Could not explain this asset" />}
      {open && explained.data && explained.data.sections.map((s) => (
        <div key={s.title} className="explain-section">
          <h3>{s.title}</h3>
          <pre className="explain-lines">{s.lines.join("\n")}</pre>
        </div>
      ))}
    </section>
  );
}
