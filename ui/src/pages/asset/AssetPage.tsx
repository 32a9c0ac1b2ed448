// One asset, as tabs kept in the URL (`?tab=partitions`): overview, partitions (for a
// partitioned asset), events, plots, definition, lineage, checks and automation.
import { Link, useSearchParams } from "react-router";
import type { AssetDetail, CheckSummary } from "../../api";
import { AutomationTab } from "../../components/Automation";
import { CheckBadge, ChecksTab, summarize } from "../../components/Checks";
import { StaleLocationNotice, UndefinedAssetNotice } from "../../components/LocationNotice";
import { MaterializeButton } from "../../components/Materialize";
import { useRunChanges } from "../../live";
import { ago, Badge, ErrorBox, Loading, PageHeader, RunLink, useApi, useTitle } from "../../util";
import { apiPath, useAssetKey } from "./common";
import { DefinitionTab } from "./DefinitionTab";
import { EventsTab } from "./EventsTab";
import { LineageTab } from "./LineageTab";
import { OverviewTab } from "./OverviewTab";
import { PartitionsTab } from "./PartitionsTab";
import { PlotsTab } from "./PlotsTab";

const TABS = ["overview", "partitions", "events", "plots", "definition", "lineage", "checks", "automation"] as const;
type Tab = (typeof TABS)[number];
const LABELS: Record<Tab, string> = {
  overview: "Overview", partitions: "Partitions", events: "Events", plots: "Plots",
  definition: "Definition", lineage: "Lineage", checks: "Checks", automation: "Automation",
};

export function AssetPage() {
  const key = useAssetKey();
  useTitle(key);
  const asset = useApi<AssetDetail>(apiPath(key));
  useRunChanges(() => asset.reload());
  const [params, setParams] = useSearchParams();
  const asked = params.get("tab") ?? "overview";
  const a = asset.data;
  const tabs = TABS.filter((t) => t !== "partitions" || !a || a.partitions);
  const tab: Tab = (tabs as readonly string[]).includes(asked) ? asked as Tab : "overview";
  const setTab = (t: Tab) => {
    // Each tab's own parameters (a lineage depth, an events filter) stay with that tab.
    const next = new URLSearchParams();
    if (t !== "overview") next.set("tab", t);
    setParams(next);
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
        {tabs.map((t) => (
          <button key={t} type="button" role="tab" id={`tab-${t}`} aria-selected={tab === t} aria-controls={`panel-${t}`}
            className={tab === t ? "active" : ""} onClick={() => setTab(t)}>
            {LABELS[t]}
            {t === "checks" && <> ({a.checks.length}){a.checks.length > 0 && <CheckBadge result={summarize(checkSummary(a.checks)).result} />}</>}
          </button>
        ))}
      </div>

      <div role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`}>
        {tab === "overview" && <OverviewTab assetKey={key} asset={a} />}
        {tab === "partitions" && <PartitionsTab assetKey={key} kind={a.partitions?.type ?? a.partitions?.kind ?? ""} />}
        {tab === "events" && <EventsTab assetKey={key} />}
        {tab === "plots" && <PlotsTab assetKey={key} />}
        {tab === "definition" && <DefinitionTab asset={a} />}
        {tab === "lineage" && <LineageTab assetKey={key} />}
        {tab === "checks" && <ChecksTab assetKey={key} checks={a.checks} />}
        {tab === "automation" && <AutomationTab assetKey={key} />}
      </div>
    </div>
  );
}

function checkSummary(checks: AssetDetail["checks"]): CheckSummary {
  const s: CheckSummary = { passed: 0, warn: 0, failed: 0, in_progress: 0, not_run: 0, total: checks.length };
  for (const c of checks) s[c.result] += 1;
  return s;
}
