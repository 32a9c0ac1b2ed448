// The asset's lineage as a graph: its upstream assets in columns to the left (one column per
// step away), its downstream assets to the right, as deep as the depth controls say (kept in the
// URL as `up` and `down`). Each node links to its asset page and shows its status.
import { useMemo } from "react";
import { Link, useSearchParams } from "react-router";
import type { AssetSummary, Page } from "../../api";
import { ErrorBox, Loading, statusLabel, tone, useApi } from "../../util";
import { tabPath } from "./common";

const NODE_W = 160;
const NODE_H = 40;
const COL_GAP = 50;
const ROW_GAP = 14;

/** Distance of each asset reached from `start` through `next`, up to `depth` steps. */
function reach(start: string, next: (k: string) => string[], depth: number): Map<string, number> {
  const seen = new Map<string, number>([[start, 0]]);
  let frontier = [start];
  for (let d = 1; frontier.length && d <= depth; d++) {
    const found: string[] = [];
    for (const k of frontier) {
      for (const n of next(k)) {
        if (!seen.has(n)) { seen.set(n, d); found.push(n); }
      }
    }
    frontier = found;
  }
  seen.delete(start);
  return seen;
}

/** How many steps the lineage goes on in one direction (the most a depth control can show). */
function longest(start: string, next: (k: string) => string[]): number {
  return Math.max(0, ...reach(start, next, Number.MAX_SAFE_INTEGER).values());
}

function Depth({ label, name, value, max, set }: { label: string; name: string; value: number; max: number; set: (v: number) => void }) {
  return (
    <span className="depth-control" role="group" aria-label={label}>
      {label}:{" "}
      <button type="button" className="ghost small" aria-label={`Fewer ${name} levels`} disabled={value <= 0} onClick={() => set(value - 1)}>−</button>
      <output className="mono" aria-label={`${label} value`}>{value}</output>
      <button type="button" className="ghost small" aria-label={`More ${name} levels`} disabled={value >= max} onClick={() => set(value + 1)}>+</button>
      <span className="muted small"> of {max}</span>
    </span>
  );
}

export function LineageTab({ assetKey }: { assetKey: string }) {
  const assets = useApi<Page<AssetSummary>>("/api/assets");
  const [params, setParams] = useSearchParams();
  const depthParam = (name: string) => {
    const v = Number(params.get(name) ?? "1");
    return Number.isInteger(v) && v >= 0 ? v : 1;
  };
  const up = depthParam("up");
  const down = depthParam("down");

  const graph = useMemo(() => {
    const items = assets.data?.items ?? [];
    const byKey = new Map(items.map((a) => [a.key, a]));
    const children = new Map<string, string[]>();
    for (const a of items) for (const d of a.deps) children.set(d, [...(children.get(d) ?? []), a.key]);
    const parents = (k: string) => byKey.get(k)?.deps ?? [];
    const kids = (k: string) => children.get(k) ?? [];
    return { byKey, parents, kids, maxUp: longest(assetKey, parents), maxDown: longest(assetKey, kids) };
  }, [assets.data, assetKey]);

  const shown = useMemo(() => {
    const upstream = reach(assetKey, graph.parents, Math.min(up, graph.maxUp));
    const downstream = reach(assetKey, graph.kids, Math.min(down, graph.maxDown));
    const column = new Map<string, number>([[assetKey, 0]]);
    for (const [k, d] of upstream) column.set(k, -d);
    for (const [k, d] of downstream) if (!column.has(k)) column.set(k, d);
    const columns = new Map<number, string[]>();
    for (const [k, c] of column) columns.set(c, [...(columns.get(c) ?? []), k]);
    const lo = Math.min(...columns.keys());
    const hi = Math.max(...columns.keys());
    const tallest = Math.max(...[...columns.values()].map((c) => c.length));
    const place = new Map<string, { x: number; y: number }>();
    for (const [c, keys] of columns) {
      keys.sort();
      const offset = ((tallest - keys.length) * (NODE_H + ROW_GAP)) / 2;
      keys.forEach((k, i) => place.set(k, { x: (c - lo) * (NODE_W + COL_GAP), y: offset + i * (NODE_H + ROW_GAP) }));
    }
    const edges: [string, string][] = [];
    for (const k of column.keys()) for (const p of graph.parents(k)) if (column.has(p)) edges.push([p, k]);
    return { place, edges, width: (hi - lo + 1) * (NODE_W + COL_GAP) - COL_GAP, height: tallest * (NODE_H + ROW_GAP) - ROW_GAP,
      upCount: upstream.size, downCount: downstream.size };
  }, [assetKey, graph, up, down]);

  if (assets.error) return <ErrorBox error={assets.error} title="Could not load the asset graph" />;
  if (!assets.data) return <Loading what="the lineage" />;
  const setDepth = (name: string, v: number) => {
    const next = new URLSearchParams(params);
    next.set(name, String(v));
    setParams(next, { replace: true });
  };
  const pad = 8;
  return (
    <section className="card" aria-label="Lineage">
      <h2>Lineage <span className="muted small">{shown.upCount} upstream · {shown.downCount} downstream</span></h2>
      <div className="row wrap">
        <Depth label="Upstream depth" name="upstream" value={Math.min(up, graph.maxUp)} max={graph.maxUp} set={(v) => setDepth("up", v)} />
        <Depth label="Downstream depth" name="downstream" value={Math.min(down, graph.maxDown)} max={graph.maxDown} set={(v) => setDepth("down", v)} />
        <span className="spacer" />
        <Link className="button ghost" to={`/assets?select=${encodeURIComponent(`${up > 0 ? `${up}+` : ""}key:"${assetKey}"${down > 0 ? `+${down}` : ""}`)}`}>Open in the asset graph</Link>
      </div>
      <div className="lineage-graph">
        <svg width={shown.width + 2 * pad} height={shown.height + 2 * pad} role="img" aria-label={`Lineage of ${assetKey}`}>
          <g transform={`translate(${pad},${pad})`}>
            {shown.edges.map(([from, to]) => {
              const a = shown.place.get(from)!;
              const b = shown.place.get(to)!;
              const x1 = a.x + NODE_W, y1 = a.y + NODE_H / 2, x2 = b.x, y2 = b.y + NODE_H / 2;
              const dx = Math.max(24, (x2 - x1) / 2);
              return <path key={`${from}->${to}`} className="lineage-edge" data-edge={`${from}->${to}`}
                d={`M${x1},${y1} C${x1 + dx},${y1} ${x2 - dx},${y2} ${x2},${y2}`} />;
            })}
            {[...shown.place.entries()].map(([k, p]) => {
              const status = graph.byKey.get(k)?.status;
              const focus = k === assetKey;
              const node = (
                <g transform={`translate(${p.x},${p.y})`} className={`lineage-node${focus ? " focus" : ""}`} data-lineage-node={k}>
                  <rect width={NODE_W} height={NODE_H} rx={6} />
                  <circle cx={14} cy={NODE_H / 2} r={5} className={`dot tone-${tone(status)}`}><title>{statusLabel(status)}</title></circle>
                  <text x={26} y={NODE_H / 2 + 4} className="mono">{k.length > 19 ? `${k.slice(0, 18)}…` : k}<title>{k}</title></text>
                </g>
              );
              return focus ? <g key={k}>{node}</g> : <Link key={k} to={tabPath(k, "lineage", { up: String(up), down: String(down) })} aria-label={k}>{node}</Link>;
            })}
          </g>
        </svg>
      </div>
      <p className="muted small">Click an asset to see its own lineage.</p>
    </section>
  );
}
