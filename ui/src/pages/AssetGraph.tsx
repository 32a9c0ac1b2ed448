// The asset graph: every asset, its group, kinds and status; search, filters, selection and
// "Materialize selected". Above COLLAPSE_AT assets the groups start collapsed, and the canvas
// draws only what is in view, so 10,000 assets stay interactive.
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { Link, useNavigate, useSearchParams } from "react-router";
import { api, type AssetSummary, type Page, type StaleCause } from "../api";
import { AssetViewSwitch } from "../components/AssetViewSwitch";
import { CheckBadge, CheckNodeBadge, summarize } from "../components/Checks";
import { GraphView, type Detail, type GraphEdge } from "../components/GraphView";
import { MaterializeButton } from "../components/Materialize";
import { layoutGraph, type LayoutResult, type Placed } from "../layout";
import { useOnReconnect, useRunChanges } from "../live";
import { Selector } from "../selection";
import { ago, assetPath, Badge, ErrorBox, Loading, statusLabel, unlessUnreachable, useTitle } from "../util";

export const COLLAPSE_AT = 300;
const ASSET_W = 220;
const ASSET_H = 64;
const GROUP_W = 250;
const GROUP_H = 88;
const STATUSES = ["materialized", "stale", "failed", "in_progress", "never"] as const;
const GROUP_PREFIX = "group:";
const BOX_COLORS: Record<string, string> = {
  materialized: "#1a7f37", failed: "#cf222e", in_progress: "#1f6feb", stale: "#b7791f", never: "#a3acba",
};
const NO_GROUP = "default";
// The asset list's check filter (?checks=...): which assets each choice keeps.
const CHECK_FILTERS: [string, string, (a: AssetSummary) => boolean][] = [
  ["failed", "Failed checks", (a) => !!a.check_summary && a.check_summary.failed + a.check_summary.warn > 0],
  ["not_run", "Checks not run", (a) => !!a.check_summary && a.check_summary.not_run > 0],
  ["any", "With checks", (a) => !!a.check_summary && a.check_summary.total > 0],
];

async function loadAssets(): Promise<AssetSummary[]> {
  const items: AssetSummary[] = [];
  let cursor: string | number | null = null;
  for (let i = 0; i < 1000; i++) {
    const q: string = cursor === null ? "" : `?cursor=${encodeURIComponent(String(cursor))}`;
    const page: Page<AssetSummary> = await api<Page<AssetSummary>>(`/api/assets${q}`);
    items.push(...page.items);
    if (!page.has_more || page.cursor === null) break;
    cursor = page.cursor;
  }
  return items;
}

const groupOf = (a: AssetSummary) => a.group ?? NO_GROUP;
const shortName = (key: string) => key.split("/").pop() ?? key;

export function AssetGraphPage() {
  useTitle("Assets");
  const navigate = useNavigate();
  const [params, setParams] = useSearchParams();
  const [assets, setAssets] = useState<AssetSummary[]>();
  const [error, setError] = useState<Error>();
  const [search, setSearch] = useState("");
  const [showResults, setShowResults] = useState(false);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [expanded, setExpanded] = useState<Set<string> | null>(null);
  const [layout, setLayout] = useState<LayoutResult>();
  const [laying, setLaying] = useState(false);
  const [focus, setFocus] = useState<string | null>(null);
  const searchRef = useRef<HTMLInputElement>(null);
  const group = params.get("group") ?? "";
  const selection = params.get("select") ?? "";
  const checkFilter = CHECK_FILTERS.find(([id]) => id === params.get("checks"));
  const [selectionDraft, setSelectionDraft] = useState(selection);

  const refresh = useCallback(() => {
    loadAssets().then((a) => { setAssets(a); setError(undefined); }).catch(unlessUnreachable(setError));
  }, []);
  useEffect(() => {
    refresh();
    const id = window.setInterval(() => document.visibilityState === "visible" && refresh(), 15000);
    return () => window.clearInterval(id);
  }, [refresh]);
  useRunChanges(refresh);
  useOnReconnect(refresh);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const el = e.target as HTMLElement;
      if (e.key === "/" && !el.closest("input, textarea, select")) {
        e.preventDefault();
        searchRef.current?.focus();
      } else if (e.key === "Escape" && !el.closest("input, textarea")) {
        setSelected(new Set());
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);

  const groups = useMemo(() => {
    const counts = new Map<string, number>();
    for (const a of assets ?? []) counts.set(groupOf(a), (counts.get(groupOf(a)) ?? 0) + 1);
    return [...counts.entries()].sort((a, b) => a[0].localeCompare(b[0]));
  }, [assets]);

  const selector = useMemo(() => new Selector(assets ?? []), [assets]);
  const [selectionError, picked] = useMemo((): [string | null, Set<string> | null] => {
    if (!selection.trim()) return [null, null];
    try {
      return [null, selector.select(selection)];
    } catch (e) {
      return [(e as Error).message, null];
    }
  }, [selector, selection]);

  const visible = useMemo(() => (assets ?? []).filter((a) =>
    (!group || groupOf(a) === group) && (!picked || picked.has(a.key)) && (!checkFilter || checkFilter[2](a))),
  [assets, group, picked, checkFilter]);
  const byKey = useMemo(() => new Map((assets ?? []).map((a) => [a.key, a])), [assets]);

  // Groups collapse by default when there are many assets; the user's choice then sticks.
  const collapsing = visible.length > COLLAPSE_AT && new Set(visible.map(groupOf)).size > 1;
  const isExpanded = useCallback((g: string) => !collapsing || (expanded?.has(g) ?? false),
    [collapsing, expanded]);

  const nodeOf = useCallback((a: AssetSummary) => isExpanded(groupOf(a)) ? a.key : GROUP_PREFIX + groupOf(a),
    [isExpanded]);

  // The layout depends on structure only (which nodes and edges), not on statuses.
  const structure = useMemo(() => {
    const nodes = new Map<string, { id: string; width: number; height: number }>();
    const edgeSet = new Set<string>();
    const inView = new Set(visible.map((a) => a.key));
    for (const a of visible) {
      const id = nodeOf(a);
      if (!nodes.has(id)) {
        const isGroup = id.startsWith(GROUP_PREFIX);
        nodes.set(id, { id, width: isGroup ? GROUP_W : ASSET_W, height: isGroup ? GROUP_H : ASSET_H });
      }
      for (const d of a.deps) {
        const dep = byKey.get(d);
        if (!dep || !inView.has(d)) continue;
        const from = nodeOf(dep);
        if (from !== id) edgeSet.add(`${from}\u0000${id}`);
      }
    }
    const edges = [...edgeSet].map((e) => {
      const [from, to] = e.split("\u0000");
      return { from, to };
    });
    return { nodes: [...nodes.values()], edges, signature: `${[...nodes.keys()].join("|")}#${edges.length}` };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [visible.map((a) => a.key).join("|"), nodeOf, byKey]);

  useEffect(() => {
    let cancelled = false;
    if (!structure.nodes.length) {
      setLayout({ nodes: {}, width: 0, height: 0, engine: "none", ms: 0 });
      return;
    }
    setLaying(true);
    layoutGraph({ nodes: structure.nodes, edges: structure.edges }).then((r) => {
      if (!cancelled) {
        setLayout(r);
        setLaying(false);
      }
    });
    return () => {
      cancelled = true;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [structure.signature]);

  const groupStats = useMemo(() => {
    const stats = new Map<string, Record<string, number>>();
    for (const a of visible) {
      const g = groupOf(a);
      const s = stats.get(g) ?? {};
      s[a.status] = (s[a.status] ?? 0) + 1;
      s.total = (s.total ?? 0) + 1;
      stats.set(g, s);
    }
    return stats;
  }, [visible]);

  const primary = selected.size === 1 ? byKey.get([...selected][0]) : undefined;
  const edges: GraphEdge[] = useMemo(() => structure.edges.map((e) => ({
    ...e,
    hot: selected.has(e.from) || selected.has(e.to),
    dim: selected.size > 0 && !(selected.has(e.from) || selected.has(e.to)),
  })), [structure.edges, selected]);

  const toggleGroup = (g: string) => {
    setExpanded((cur) => {
      const next = new Set(cur ?? []);
      if (next.has(g)) next.delete(g);
      else next.add(g);
      return next;
    });
  };

  const onNodeClick = useCallback((id: string, e: React.MouseEvent) => {
    if (id.startsWith(GROUP_PREFIX)) {
      const g = id.slice(GROUP_PREFIX.length);
      toggleGroup(g);
      // Center the opened group's first asset once the new layout lands.
      const first = (assets ?? []).find((a) => groupOf(a) === g);
      if (first) {
        setFocus(null);
        window.setTimeout(() => setFocus(first.key), 0);
      }
      return;
    }
    setSelected((cur) => {
      if (e.shiftKey || e.metaKey || e.ctrlKey) {
        const next = new Set(cur);
        if (next.has(id)) next.delete(id);
        else next.add(id);
        return next;
      }
      return cur.size === 1 && cur.has(id) ? new Set() : new Set([id]);
    });
  }, [assets]);

  const renderNode = useCallback((n: Placed, detail: Detail) => {
    if (n.id.startsWith(GROUP_PREFIX)) {
      const g = n.id.slice(GROUP_PREFIX.length);
      const s = groupStats.get(g) ?? {};
      return <GroupNode name={g} stats={s} width={n.width} height={n.height} detail={detail} />;
    }
    const a = byKey.get(n.id);
    if (!a) return null;
    return <AssetNode asset={a} width={n.width} height={n.height} detail={detail}
      selected={selected.has(a.key)} match={!!search && a.key.toLowerCase().includes(search.toLowerCase())} />;
  }, [byKey, groupStats, selected, search]);

  const boxStyle = useCallback((id: string) => {
    if (id.startsWith(GROUP_PREFIX)) return { fill: "#9fb3d1" };
    const a = byKey.get(id);
    return { fill: BOX_COLORS[a?.status ?? "never"] ?? BOX_COLORS.never, selected: selected.has(id) };
  }, [byKey, selected]);

  const matches = useMemo(() => {
    const q = search.trim().toLowerCase();
    if (!q) return [];
    // An exact name first, then names that start with the query, then the rest; shorter first.
    const rank = (a: AssetSummary) => {
      const key = a.key.toLowerCase();
      const name = shortName(key);
      if (key === q || name === q) return 0;
      if (key.startsWith(q) || name.startsWith(q)) return 1;
      return 2;
    };
    return visible.filter((a) => a.key.toLowerCase().includes(q))
      .map((a) => ({ a, r: rank(a) }))
      .sort((x, y) => x.r - y.r || x.a.key.length - y.a.key.length || x.a.key.localeCompare(y.a.key))
      .slice(0, 8).map((x) => x.a);
  }, [search, visible]);

  const goTo = (a: AssetSummary) => {
    setShowResults(false);
    if (!isExpanded(groupOf(a))) setExpanded((cur) => new Set([...(cur ?? []), groupOf(a)]));
    setSelected(new Set([a.key]));
    setFocus(null);
    window.setTimeout(() => setFocus(a.key), 50);
  };

  const applySelection = (text: string) => {
    const next = new URLSearchParams(params);
    if (text.trim()) next.set("select", text.trim());
    else next.delete("select");
    setParams(next, { replace: true });
  };

  const setChecks = (c: string) => {
    const next = new URLSearchParams(params);
    if (c) next.set("checks", c);
    else next.delete("checks");
    setParams(next, { replace: true });
  };

  const setGroup = (g: string) => {
    const next = new URLSearchParams(params);
    if (g) next.set("group", g);
    else next.delete("group");
    setParams(next, { replace: true });
  };

  // Every executable asset the filters keep, drawn or inside a collapsed group.
  const shownKeys = useMemo(() => visible.filter((a) => a.is_executable).map((a) => a.key), [visible]);

  const counts = useMemo(() => {
    const c: Record<string, number> = {};
    for (const a of visible) c[a.status] = (c[a.status] ?? 0) + 1;
    return c;
  }, [visible]);

  if (error && !assets) return <div className="page"><ErrorBox error={error} title="Could not load the assets" /></div>;

  return (
    <div className="graph-page">
      <div className="toolbar" role="toolbar" aria-label="Asset graph controls">
        <AssetViewSwitch view="graph" />
        <div className="search-box">
          <input
            ref={searchRef}
            type="search"
            placeholder="Search assets  ( / )"
            aria-label="Search assets"
            value={search}
            onChange={(e) => { setSearch(e.target.value); setShowResults(true); }}
            onKeyDown={(e) => {
              if (e.key === "Enter" && matches[0]) goTo(matches[0]);
              if (e.key === "Escape") { setSearch(""); setShowResults(false); }
            }}
          />
          {showResults && matches.length > 0 && (
            <ul className="search-results" role="listbox" aria-label="Matching assets">
              {matches.map((a) => (
                <li key={a.key} role="option" aria-selected={false}>
                  <button type="button" onClick={() => goTo(a)}>
                    <span className="mono">{a.key}</span>
                    <span className="muted small">{groupOf(a)}</span>
                  </button>
                </li>
              ))}
            </ul>
          )}
        </div>
        <select aria-label="Filter by group" value={group} onChange={(e) => setGroup(e.target.value)}>
          <option value="">All groups ({assets?.length ?? 0})</option>
          {groups.map(([g, n]) => <option key={g} value={g}>{g} ({n})</option>)}
        </select>
        <select aria-label="Filter by checks" value={checkFilter?.[0] ?? ""} onChange={(e) => setChecks(e.target.value)}>
          <option value="">All checks</option>
          {CHECK_FILTERS.map(([id, label, keep]) => <option key={id} value={id}>{label} ({(assets ?? []).filter(keep).length})</option>)}
        </select>
        <form className="selection-form" onSubmit={(e) => { e.preventDefault(); applySelection(selectionDraft); }}>
          <input
            className={`mono${selectionError ? " invalid" : ""}`}
            placeholder='Selection, e.g. group:sales or +orders*'
            aria-label="Asset selection"
            aria-invalid={!!selectionError}
            title="key:a/b  group:x  kind:x  owner:x  tag:k=v  +a (upstream)  a+ (downstream)  *a  a*  and  or  not"
            value={selectionDraft}
            onChange={(e) => setSelectionDraft(e.target.value)}
          />
          <button type="submit">Apply</button>
          {selection && <button type="button" className="ghost" onClick={() => { setSelectionDraft(""); applySelection(""); }}>Clear</button>}
        </form>
        <span className="spacer" />
        {collapsing && (
          <>
            <button type="button" className="ghost" onClick={() => setExpanded(new Set(groups.map(([g]) => g)))}>Expand all</button>
            <button type="button" className="ghost" onClick={() => setExpanded(new Set())}>Collapse all</button>
          </>
        )}
        <MaterializeButton keys={[...selected]} assets={byKey} label={selected.size ? `Materialize selected (${selected.size})` : "Materialize selected"} />
        <MaterializeButton keys={shownKeys} assets={byKey} className="" label={`Materialize all shown (${shownKeys.length})`} />
      </div>
      {selectionError && <div className="callout bad slim">Selection: {selectionError}</div>}
      <div className="graph-body">
        <div className="graph-main">
          {!assets || !layout ? <Loading what="the asset graph" /> : visible.length === 0 ? (
            <div className="empty">
              {assets.length === 0 ? <>No assets are defined in the loaded code locations. See <Link to="/deployment">Deployment</Link>.</> : "No asset matches these filters."}
            </div>
          ) : (
            <GraphView layout={layout} edges={edges} renderNode={renderNode} boxStyle={boxStyle} onNodeClick={onNodeClick}
              onNodeDoubleClick={(id) => !id.startsWith(GROUP_PREFIX) && navigate(assetPath(id))}
              onBackgroundClick={() => setSelected(new Set())} focus={focus} label="Asset graph" />
          )}
          {laying && <div className="graph-note">Laying out {structure.nodes.length.toLocaleString()} nodes…</div>}
          <div className="legend" aria-label="Status legend">
            {STATUSES.map((s) => (
              <span key={s} className={`legend-item st-${s}`}><i />{statusLabel(s)} <b>{(counts[s] ?? 0).toLocaleString()}</b></span>
            ))}
            <span className="muted small">
              {visible.length.toLocaleString()} assets{collapsing ? " · groups collapsed above " + COLLAPSE_AT + ", click a group to open it" : ""}
              {layout && layout.engine !== "none" ? ` · ${layout.engine} layout ${Math.round(layout.ms)} ms` : ""}
            </span>
          </div>
        </div>
        {selected.size > 0 && (
          <aside className="side-panel" aria-label="Selected assets">
            {primary ? <AssetSidePanel asset={primary} /> : (
              <>
                <h2>{selected.size} assets selected</h2>
                <ul className="plain">
                  {[...selected].slice(0, 50).map((k) => (
                    <li key={k}><Link className="mono" to={assetPath(k)}>{k}</Link> <Badge status={byKey.get(k)?.status} /></li>
                  ))}
                </ul>
                <p className="muted small">Shift-click to add or remove assets; Esc clears.</p>
              </>
            )}
          </aside>
        )}
      </div>
    </div>
  );
}

function AssetNode({ asset, width, height, detail, selected, match }: {
  asset: AssetSummary; width: number; height: number; detail: Detail; selected: boolean; match: boolean;
}) {
  const cls = `asset-node st-${asset.status}${selected ? " selected" : ""}${match ? " match" : ""}`;
  if (detail === "box") return <rect className={cls} width={width} height={height} rx={8} data-asset={asset.key} />;
  const sub = [asset.group ?? NO_GROUP, ...asset.kinds].join(" · ");
  return (
    <g className={cls} role="button" data-asset={asset.key}
      aria-label={`Asset ${asset.key}, ${statusLabel(asset.status)}${asset.check_summary?.total ? `; ${summarize(asset.check_summary).text}` : ""}`}>
      <title>{asset.key}{asset.description ? `\n${asset.description}` : ""}</title>
      <rect width={width} height={height} rx={8} className="asset-bg" />
      <rect width={6} height={height} rx={3} className="asset-bar" />
      <text x={16} y={22} className="asset-name">{clip(shortName(asset.key), 24)}</text>
      <text x={16} y={40} className="asset-sub">{clip(sub, 32)}</text>
      <circle cx={20} cy={53} r={4} className="asset-dot" />
      <text x={30} y={57} className="asset-status">
        {statusLabel(asset.status)}{asset.latest ? ` · ${ago(asset.latest.timestamp)}` : ""}
      </text>
      {asset.partitions && <text x={width - 12} y={22} textAnchor="end" className="asset-sub">▦ {asset.partitions.count ?? ""}</text>}
      {asset.check_summary && asset.check_summary.total > 0 && <CheckNodeBadge summary={asset.check_summary} x={width - 10} y={-8} />}
      {asset.stale_status === "STALE" && <StaleNodeBadge causes={asset.stale_causes ?? []} x={width - 58} y={height - 20} />}
    </g>
  );
}

function StaleNodeBadge({ causes, x, y }: { causes: StaleCause[]; x: number; y: number }) {
  return (
    <g className="stale-badge" transform={`translate(${x},${y})`} data-stale-badge="true">
      <title>{`Stale:\n${causes.map((c) => c.text).join("\n")}`}</title>
      <rect width={48} height={16} rx={8} />
      <text x={24} y={12} textAnchor="middle">Stale</text>
    </g>
  );
}

function GroupNode({ name, stats, width, height, detail }: {
  name: string; stats: Record<string, number>; width: number; height: number; detail: Detail;
}) {
  const total = stats.total ?? 0;
  if (detail === "box") return <rect className="group-node" width={width} height={height} rx={10} data-group={name} />;
  let x = 16;
  return (
    <g className="group-node" role="button" aria-label={`Group ${name}, ${total} assets, click to expand`} data-group={name}>
      <title>Group {name}: click to show its assets</title>
      <rect width={width} height={height} rx={10} className="group-bg" />
      <text x={16} y={26} className="group-name">▸ {clip(name, 24)}</text>
      <text x={16} y={46} className="asset-sub">{total.toLocaleString()} assets</text>
      {STATUSES.map((s) => {
        const w = total ? ((stats[s] ?? 0) / total) * (width - 32) : 0;
        const r = <rect key={s} x={x} y={62} width={w} height={8} className={`bar-${s}`} />;
        x += w;
        return r;
      })}
    </g>
  );
}

function AssetSidePanel({ asset }: { asset: AssetSummary }) {
  return (
    <>
      <div className="side-head">
        <h2 className="mono">{asset.key}</h2>
        <Badge status={asset.status} />
      </div>
      {asset.description && <p className="desc">{asset.description}</p>}
      <dl className="facts">
        <dt>Group</dt><dd><Link to={`/assets?group=${encodeURIComponent(groupOf(asset))}`}>{groupOf(asset)}</Link></dd>
        {asset.kinds.length > 0 && <><dt>Kinds</dt><dd>{asset.kinds.map((k) => <span key={k} className="chip">{k}</span>)}</dd></>}
        {asset.owners.length > 0 && <><dt>Owners</dt><dd>{asset.owners.join(", ")}</dd></>}
        {asset.partitions && <><dt>Partitions</dt><dd>{asset.partitions.kind ?? asset.partitions.type} {asset.partitions.count != null ? `(${asset.partitions.count})` : ""}</dd></>}
        {asset.stale_status === "STALE" && <><dt>Stale</dt><dd><ul className="plain stale-causes">{(asset.stale_causes ?? []).map((c, i) => <li key={i}>{c.text}</li>)}</ul></dd></>}
        <dt>Latest</dt>
        <dd>{asset.latest ? <><Link to={`/runs/${asset.latest.run_id}`}>{ago(asset.latest.timestamp)}</Link>{asset.latest.partition ? ` · ${asset.latest.partition}` : ""}</> : "never"}</dd>
        {asset.check_summary && asset.check_summary.total > 0 && <><dt>Checks</dt><dd><CheckBadge result={summarize(asset.check_summary).result} /> <span className="small muted">{summarize(asset.check_summary).text}</span></dd></>}
        <dt>Upstream</dt><dd>{asset.deps.length ? asset.deps.map((d) => <div key={d}><Link className="mono" to={assetPath(d)}>{d}</Link></div>) : <span className="muted">none</span>}</dd>
        {asset.location && <><dt>Location</dt><dd>{asset.location}</dd></>}
      </dl>
      <div className="row">
        <Link className="button" to={assetPath(asset.key)}>Open asset page</Link>
      </div>
    </>
  );
}

function clip(text: string, n: number) {
  return text.length > n ? `${text.slice(0, n - 1)}…` : text;
}

