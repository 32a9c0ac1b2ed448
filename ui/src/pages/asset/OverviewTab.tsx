// The asset page's first tab: why it is stale, the explain panel, its latest materialization,
// and a short summary that links to the other tabs.
import { useState } from "react";
import { Link } from "react-router";
import type { AssetDetail, Explanation, Typed } from "../../api";
import { CodeReferences, MetadataTable } from "../../components/Metadata";
import { assetPath, Empty, ErrorBox, RunLink, Time, useApi } from "../../util";
import { apiPath, tabPath } from "./common";

export function OverviewTab({ assetKey, asset: a }: { assetKey: string; asset: AssetDetail }) {
  const latest = a.latest_materialization;
  const refs = a.metadata?.["headwater/code_references"] as Typed | undefined;
  return (
    <>
      {a.stale_status === "STALE" && (
        <section className="card stale-panel" aria-label="Why stale">
          <h2>Why stale</h2>
          <ul className="plain stale-causes">
            {(a.stale_causes ?? []).map((c, i) => <li key={i} data-kind={c.kind}>{c.text}</li>)}
          </ul>
        </section>
      )}
      <ExplainPanel assetKey={assetKey} />
      <div className="grid-2">
        <section className="card">
          <h2>Latest materialization</h2>
          {latest ? (
            <>
              <p className="muted">
                <Time value={latest.timestamp} /> · run <RunLink id={latest.run_id} />
                {latest.partition && <> · partition <span className="mono">{latest.partition}</span></>}
              </p>
              <MetadataTable metadata={latest.metadata} />
              <p className="small"><Link to={tabPath(assetKey, "events")}>All events →</Link></p>
            </>
          ) : <Empty>This asset has never been materialized.</Empty>}
        </section>
        <section className="card" aria-label="About">
          <h2>About</h2>
          <dl className="facts">
            <dt>Group</dt><dd><Link to={`/assets?group=${encodeURIComponent(a.group ?? "default")}`}>{a.group ?? "default"}</Link></dd>
            <dt>Kinds</dt><dd>{a.kinds.length ? a.kinds.map((k) => <span key={k} className="chip">{k}</span>) : <span className="muted">—</span>}</dd>
            <dt>Owners</dt><dd>{a.owners.length ? a.owners.join(", ") : <span className="muted">—</span>}</dd>
            {a.partitions && <><dt>Partitions</dt><dd><Link to={tabPath(assetKey, "partitions")}>{a.partitions.description ?? a.partitions.type}</Link></dd></>}
            {refs !== undefined && <><dt>Code</dt><dd><CodeReferences value={refs.value as never} /></dd></>}
            <dt>Upstream</dt><dd>{a.upstream.length ? a.upstream.map((k) => <Link key={k} className="chip mono" to={assetPath(k)}>{k}</Link>) : <span className="muted">none</span>}</dd>
            <dt>Downstream</dt><dd>{a.downstream.length ? a.downstream.map((k) => <Link key={k} className="chip mono" to={assetPath(k)}>{k}</Link>) : <span className="muted">none</span>}</dd>
          </dl>
          <p className="small">
            <Link to={tabPath(assetKey, "definition")}>Full definition →</Link>{" · "}
            <Link to={tabPath(assetKey, "lineage")}>Lineage graph →</Link>
          </p>
        </section>
      </div>
    </>
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
