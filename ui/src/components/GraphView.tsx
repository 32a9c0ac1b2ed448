// A pan-and-zoom SVG canvas that draws only what is in view.
// The transform is written straight to the DOM on every pointer move; React re-renders
// only when the view leaves the culling window (the viewport plus a margin) or the
// zoom crosses a level-of-detail step, so panning a 10,000-node graph stays smooth.
// Zoomed far out, nodes are plain colored boxes drawn on a canvas instead of SVG elements.
import { memo, useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState, type ReactNode } from "react";
import type { LayoutResult, Placed } from "../layout";
import { Minimap, type MinimapHandle } from "./Minimap";

export interface GraphEdge { from: string; to: string; dim?: boolean; hot?: boolean }

interface View { x: number; y: number; k: number }
interface Window { x0: number; y0: number; x1: number; y1: number; k: number }

export type Detail = "full" | "box";

interface Props {
  layout: LayoutResult;
  edges: GraphEdge[];
  renderNode: (node: Placed, detail: Detail) => ReactNode;
  /** The fill of a node drawn as a box when zoomed far out (and whether it is selected). */
  boxStyle?: (id: string) => { fill: string; selected?: boolean };
  onNodeClick?: (id: string, e: React.MouseEvent) => void;
  onNodeDoubleClick?: (id: string) => void;
  onBackgroundClick?: () => void;
  focus?: string | null;
  direction?: "LR" | "TB";
  label?: string;
}

const MIN_K = 0.02;
const MAX_K = 2.5;
const DETAIL_K = 0.3;
// The first view never opens below this zoom: 13px labels stay about 10px on screen.
export const READABLE_K = 0.8;
// Graphs this small keep full SVG nodes at any zoom.
const FEW_NODES = 200;

function viewWindow(v: View, w: number, h: number): Window {
  const x0 = -v.x / v.k;
  const y0 = -v.y / v.k;
  const mw = w / v.k / 2;
  const mh = h / v.k / 2;
  return { x0: x0 - mw, y0: y0 - mh, x1: x0 + w / v.k + mw, y1: y0 + h / v.k + mh, k: v.k };
}

const PAD = 40;

/** The node a first view starts from: a root (no incoming edge), leftmost then topmost in LR. */
function firstRoot(layout: LayoutResult, edges: GraphEdge[], direction: "LR" | "TB"): Placed | undefined {
  const targets = new Set(edges.map((e) => e.to));
  let best: Placed | undefined;
  for (const id in layout.nodes) {
    if (targets.has(id)) continue;
    const n = layout.nodes[id];
    const [a, b] = direction === "LR" ? [n.x, n.y] : [n.y, n.x];
    const [ba, bb] = best ? (direction === "LR" ? [best.x, best.y] : [best.y, best.x]) : [Infinity, Infinity];
    if (a < ba || (a === ba && b < bb)) best = n;
  }
  return best;
}

function edgePath(a: Placed, b: Placed, direction: "LR" | "TB"): string {
  if (direction === "LR") {
    const x1 = a.x + a.width;
    const y1 = a.y + a.height / 2;
    const x2 = b.x;
    const y2 = b.y + b.height / 2;
    const dx = Math.max(30, (x2 - x1) / 2);
    return `M${x1},${y1} C${x1 + dx},${y1} ${x2 - dx},${y2} ${x2},${y2}`;
  }
  const x1 = a.x + a.width / 2;
  const y1 = a.y + a.height;
  const x2 = b.x + b.width / 2;
  const y2 = b.y;
  const dy = Math.max(24, (y2 - y1) / 2);
  return `M${x1},${y1} C${x1},${y1 + dy} ${x2},${y2 - dy} ${x2},${y2}`;
}

function GraphViewImpl({ layout, edges, renderNode, boxStyle, onNodeClick, onNodeDoubleClick, onBackgroundClick,
  focus, direction = "LR", label }: Props) {
  const svgRef = useRef<SVGSVGElement>(null);
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const drawRef = useRef<() => void>(() => {});
  const gRef = useRef<SVGGElement>(null);
  const view = useRef<View>({ x: 0, y: 0, k: 1 });
  const size = useRef({ w: 800, h: 600 });
  const [win, setWin] = useState<Window>({ x0: -1e9, y0: -1e9, x1: 1e9, y1: 1e9, k: 1 });
  const [zoomPct, setZoomPct] = useState(100);
  const few = useRef(true);
  few.current = Object.keys(layout.nodes).length <= FEW_NODES;
  const isBox = (k: number) => k < DETAIL_K && !few.current;

  const minimap = useRef<MinimapHandle>(null);
  const apply = useCallback((force = false) => {
    const v = view.current;
    gRef.current?.setAttribute("transform", `translate(${v.x},${v.y}) scale(${v.k})`);
    drawRef.current();
    const { w, h } = size.current;
    minimap.current?.show(v.x, v.y, v.k, w, h);
    const x0 = -v.x / v.k;
    const y0 = -v.y / v.k;
    const x1 = x0 + w / v.k;
    const y1 = y0 + h / v.k;
    setZoomPct(Math.round(v.k * 100));
    setWin((cur) => {
      const inside = x0 >= cur.x0 && y0 >= cur.y0 && x1 <= cur.x1 && y1 <= cur.y1;
      const sameDetail = isBox(cur.k) === isBox(v.k);
      const ratio = v.k / cur.k;
      if (!force && inside && sameDetail && ratio > 0.6 && ratio < 1.6) return cur;
      return viewWindow(v, w, h);
    });
  }, []);

  const fitK = useCallback(() => {
    const { w, h } = size.current;
    return Math.min(MAX_K, 1, Math.max(MIN_K, Math.min((w - PAD * 2) / Math.max(layout.width, 1),
      (h - PAD * 2) / Math.max(layout.height, 1))));
  }, [layout]);

  const fit = useCallback(() => {
    const { w, h } = size.current;
    const k = fitK();
    view.current = { k, x: (w - layout.width * k) / 2, y: (h - layout.height * k) / 2 };
    apply(true);
  }, [layout, apply, fitK]);

  // The first view: the whole graph if it fits at a readable zoom; otherwise a readable zoom
  // starting from the first root (leftmost, then topmost), the minimap showing the rest.
  const open = useCallback(() => {
    const k = fitK();
    if (k >= READABLE_K) return fit();
    const { w, h } = size.current;
    const anchor = firstRoot(layout, edges, direction);
    const rk = READABLE_K;
    const along = (size: number, extent: number, anchorAt: number, anchorMid: number, lead: boolean) => {
      if (extent * rk <= size - PAD * 2) return (size - extent * rk) / 2;
      // Put the anchor at the leading edge (the graph's flow starts there) or in the middle,
      // without showing empty space before the graph's start or after its end.
      const want = lead ? PAD - anchorAt * rk : size / 2 - anchorMid * rk;
      return Math.min(PAD, Math.max(size - PAD - extent * rk, want));
    };
    const ax = anchor?.x ?? 0;
    const ay = anchor?.y ?? 0;
    const mx = anchor ? anchor.x + anchor.width / 2 : 0;
    const my = anchor ? anchor.y + anchor.height / 2 : 0;
    view.current = {
      k: rk,
      x: along(w, layout.width, ax, mx, direction === "LR"),
      y: along(h, layout.height, ay, my, direction === "TB" || !anchor),
    };
    apply(true);
  }, [layout, edges, direction, apply, fit, fitK]);
  const panTo = useCallback((x: number, y: number) => {
    const { w, h } = size.current;
    const k = view.current.k;
    view.current = { k, x: w / 2 - x * k, y: h / 2 - y * k };
    apply();
  }, [apply]);

  useLayoutEffect(() => {
    const svg = svgRef.current;
    if (!svg) return;
    const measure = () => {
      const r = svg.getBoundingClientRect();
      size.current = { w: r.width || 800, h: r.height || 600 };
    };
    measure();
    const ro = new ResizeObserver(() => {
      measure();
      apply(true);
    });
    ro.observe(svg);
    return () => ro.disconnect();
  }, [apply]);

  // Re-open only when the layout changes, not when edges merely restyle (selection).
  const openRef = useRef(open);
  openRef.current = open;
  useLayoutEffect(() => openRef.current(), [layout]);

  useEffect(() => {
    if (!focus) return;
    const n = layout.nodes[focus];
    if (!n) return;
    const { w, h } = size.current;
    const k = Math.max(view.current.k, 0.8);
    view.current = { k, x: w / 2 - (n.x + n.width / 2) * k, y: h / 2 - (n.y + n.height / 2) * k };
    apply(true);
  }, [focus, layout, apply]);

  const zoomAt = useCallback((factor: number, cx: number, cy: number) => {
    const v = view.current;
    const k = Math.min(MAX_K, Math.max(MIN_K, v.k * factor));
    const f = k / v.k;
    view.current = { k, x: cx - (cx - v.x) * f, y: cy - (cy - v.y) * f };
    apply();
  }, [apply]);

  useEffect(() => {
    const svg = svgRef.current;
    if (!svg) return;
    const onWheel = (e: WheelEvent) => {
      e.preventDefault();
      const r = svg.getBoundingClientRect();
      if (e.ctrlKey || e.metaKey || Math.abs(e.deltaY) >= Math.abs(e.deltaX)) {
        zoomAt(Math.exp(-e.deltaY * (e.ctrlKey ? 0.01 : 0.0015)), e.clientX - r.left, e.clientY - r.top);
      } else {
        view.current = { ...view.current, x: view.current.x - e.deltaX };
        apply();
      }
    };
    svg.addEventListener("wheel", onWheel, { passive: false });
    return () => svg.removeEventListener("wheel", onWheel);
  }, [zoomAt, apply]);

  const drag = useRef<{ x: number; y: number; vx: number; vy: number; moved: boolean } | null>(null);
  const onPointerDown = (e: React.PointerEvent) => {
    if (e.button !== 0) return;
    drag.current = { x: e.clientX, y: e.clientY, vx: view.current.x, vy: view.current.y, moved: false };
  };
  const onPointerMove = (e: React.PointerEvent) => {
    const d = drag.current;
    if (!d) return;
    const dx = e.clientX - d.x;
    const dy = e.clientY - d.y;
    if (!d.moved && Math.abs(dx) + Math.abs(dy) < 4) return;
    if (!d.moved) svgRef.current?.setPointerCapture(e.pointerId);
    d.moved = true;
    view.current = { ...view.current, x: d.vx + dx, y: d.vy + dy };
    apply();
  };
  const nodeAt = (clientX: number, clientY: number): string | null => {
    const r = svgRef.current?.getBoundingClientRect();
    if (!r) return null;
    const v = view.current;
    const x = (clientX - r.left - v.x) / v.k;
    const y = (clientY - r.top - v.y) / v.k;
    for (const id in layout.nodes) {
      const n = layout.nodes[id];
      if (x >= n.x && x <= n.x + n.width && y >= n.y && y <= n.y + n.height) return id;
    }
    return null;
  };
  const onPointerUp = (e: React.PointerEvent) => {
    const d = drag.current;
    drag.current = null;
    if (d?.moved) {
      svgRef.current?.releasePointerCapture(e.pointerId);
      return;
    }
    const target = (e.target as Element).closest("[data-node]");
    if (target) return;
    const hit = isBox(view.current.k) ? nodeAt(e.clientX, e.clientY) : null;
    if (hit) onNodeClick?.(hit, e as unknown as React.MouseEvent);
    else onBackgroundClick?.();
  };

  const onKeyDown = (e: React.KeyboardEvent) => {
    const { w, h } = size.current;
    const step = 80;
    const v = view.current;
    if (e.key === "+" || e.key === "=") zoomAt(1.25, w / 2, h / 2);
    else if (e.key === "-") zoomAt(0.8, w / 2, h / 2);
    else if (e.key === "0") fit();
    else if (e.key === "ArrowLeft") view.current = { ...v, x: v.x + step };
    else if (e.key === "ArrowRight") view.current = { ...v, x: v.x - step };
    else if (e.key === "ArrowUp") view.current = { ...v, y: v.y + step };
    else if (e.key === "ArrowDown") view.current = { ...v, y: v.y - step };
    else return;
    e.preventDefault();
    apply();
  };

  const detail: Detail = isBox(win.k) ? "box" : "full";
  // Only a graph that does not fit at a readable zoom needs a map of itself.
  const showMinimap = Object.keys(layout.nodes).length > 1 && fitK() < READABLE_K;
  const minimapFill = useCallback((id: string) => boxStyle?.(id).fill ?? "#8a94a6", [boxStyle]);
  useEffect(() => {
    const v = view.current;
    minimap.current?.show(v.x, v.y, v.k, size.current.w, size.current.h);
  }, [showMinimap, layout]);

  // Far out: every node is a colored box on a canvas, redrawn on each move (cheap for 10k).
  drawRef.current = () => {
    const canvas = canvasRef.current;
    if (!canvas) return;
    const ctx = canvas.getContext("2d");
    if (!ctx) return;
    const v = view.current;
    const { w, h } = size.current;
    const dpr = window.devicePixelRatio || 1;
    if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
      canvas.width = Math.round(w * dpr);
      canvas.height = Math.round(h * dpr);
    }
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    if (!isBox(v.k)) return;
    ctx.setTransform(v.k * dpr, 0, 0, v.k * dpr, v.x * dpr, v.y * dpr);
    const x0 = -v.x / v.k;
    const y0 = -v.y / v.k;
    const x1 = x0 + w / v.k;
    const y1 = y0 + h / v.k;
    ctx.strokeStyle = "#b4bdca";
    ctx.lineWidth = 1 / v.k;
    ctx.beginPath();
    for (const e of edges) {
      const a = layout.nodes[e.from];
      const b = layout.nodes[e.to];
      if (!a || !b) continue;
      const ax = direction === "LR" ? a.x + a.width : a.x + a.width / 2;
      const ay = direction === "LR" ? a.y + a.height / 2 : a.y + a.height;
      const bx = direction === "LR" ? b.x : b.x + b.width / 2;
      const by = direction === "LR" ? b.y + b.height / 2 : b.y;
      if (Math.max(ax, bx) < x0 || Math.min(ax, bx) > x1 || Math.max(ay, by) < y0 || Math.min(ay, by) > y1) continue;
      ctx.moveTo(ax, ay);
      ctx.lineTo(bx, by);
    }
    ctx.stroke();
    let drawn = 0;
    for (const id in layout.nodes) {
      const n = layout.nodes[id];
      if (n.x + n.width < x0 || n.x > x1 || n.y + n.height < y0 || n.y > y1) continue;
      const style = boxStyle?.(id) ?? { fill: "#8a94a6" };
      ctx.fillStyle = style.fill;
      ctx.fillRect(n.x, n.y, n.width, n.height);
      if (style.selected) {
        ctx.strokeStyle = "#1f6feb";
        ctx.lineWidth = 3 / v.k;
        ctx.strokeRect(n.x, n.y, n.width, n.height);
      }
      drawn++;
    }
    svgRef.current?.setAttribute("data-rendered-nodes", String(drawn));
  };
  useEffect(() => drawRef.current());

  const visible = useMemo(() => {
    if (detail === "box") return [];
    const out: Placed[] = [];
    for (const id in layout.nodes) {
      const n = layout.nodes[id];
      if (n.x + n.width >= win.x0 && n.x <= win.x1 && n.y + n.height >= win.y0 && n.y <= win.y1) out.push(n);
    }
    return out;
  }, [layout, win, detail]);

  const visibleEdges = useMemo(() => {
    const out: { key: string; d: string; dim?: boolean; hot?: boolean }[] = [];
    if (detail === "box") return out;
    for (const e of edges) {
      const a = layout.nodes[e.from];
      const b = layout.nodes[e.to];
      if (!a || !b) continue;
      const x0 = Math.min(a.x, b.x);
      const x1 = Math.max(a.x + a.width, b.x + b.width);
      const y0 = Math.min(a.y, b.y);
      const y1 = Math.max(a.y + a.height, b.y + b.height);
      if (x1 < win.x0 || x0 > win.x1 || y1 < win.y0 || y0 > win.y1) continue;
      out.push({ key: `${e.from}>${e.to}`, d: edgePath(a, b, direction), dim: e.dim, hot: e.hot });
    }
    return out;
  }, [edges, layout, win, direction, detail]);

  return (
    <div className="graph-canvas">
      <svg
        ref={svgRef}
        className="graph-svg"
        tabIndex={0}
        role="application"
        aria-label={label ?? "Graph: drag to pan, scroll to zoom, + and - to zoom, 0 to fit"}
        onPointerDown={onPointerDown}
        onPointerMove={onPointerMove}
        onPointerUp={onPointerUp}
        onKeyDown={onKeyDown}
        data-rendered-nodes={detail === "box" ? undefined : visible.length}
        data-detail={detail}
      >
        <defs>
          <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
            <path d="M0,0 L10,5 L0,10 z" className="arrowhead" />
          </marker>
        </defs>
        <g ref={gRef}>
          <g className="edges">
            {visibleEdges.map((e) => (
              <path key={e.key} d={e.d} className={`edge${e.dim ? " dim" : ""}${e.hot ? " hot" : ""}`}
                markerEnd={detail === "full" ? "url(#arrow)" : undefined} />
            ))}
          </g>
          <g className="nodes">
            {visible.map((n) => (
              <g
                key={n.id}
                data-node={n.id}
                transform={`translate(${n.x},${n.y})`}
                onClick={(e) => onNodeClick?.(n.id, e)}
                onDoubleClick={() => onNodeDoubleClick?.(n.id)}
              >
                {renderNode(n, detail)}
              </g>
            ))}
          </g>
        </g>
      </svg>
      <canvas ref={canvasRef} className="graph-boxes" aria-hidden />
      {showMinimap && <Minimap ref={minimap} layout={layout} fill={minimapFill} onPan={panTo} />}
      <div className="zoom-controls" aria-label="Zoom">
        <button type="button" onClick={() => zoomAt(1.25, size.current.w / 2, size.current.h / 2)} title="Zoom in (+)">+</button>
        <button type="button" onClick={() => zoomAt(0.8, size.current.w / 2, size.current.h / 2)} title="Zoom out (-)">−</button>
        <button type="button" onClick={fit} title="Fit to screen (0)">Fit</button>
        <span className="muted small">{zoomPct}%</span>
      </div>
    </div>
  );
}

export const GraphView = memo(GraphViewImpl);
