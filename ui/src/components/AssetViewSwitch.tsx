// The assets page's two views, graph and catalog, as a pair of tabs kept in the URL
// (?view=catalog); the filters both views share (group, checks) stay when switching.
import { useSearchParams } from "react-router";

export type AssetView = "graph" | "catalog";

export function AssetViewSwitch({ view }: { view: AssetView }) {
  const [params, setParams] = useSearchParams();
  const go = (next: AssetView) => {
    const p = new URLSearchParams(params);
    if (next === "catalog") p.set("view", "catalog");
    else p.delete("view");
    setParams(p);
  };
  return (
    <div className="view-switch" role="tablist" aria-label="Assets view">
      {(["graph", "catalog"] as const).map((v) => (
        <button key={v} type="button" role="tab" aria-selected={view === v} className={view === v ? "active" : ""}
          onClick={() => view !== v && go(v)}>
          {v === "graph" ? "Graph" : "Catalog"}
        </button>
      ))}
    </div>
  );
}
