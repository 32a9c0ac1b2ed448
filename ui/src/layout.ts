// Graph layout, run in a Web Worker so the page stays responsive on big graphs.
// Small graphs get dagre's layered layout; big ones a linear-time layered layout
// (longest-path ranks, a few barycenter sweeps), because dagre grows super-linearly.

export interface LayoutNode { id: string; width: number; height: number }
export interface LayoutEdge { from: string; to: string }
export interface LayoutInput { nodes: LayoutNode[]; edges: LayoutEdge[]; direction?: "LR" | "TB" }
export interface Placed { id: string; x: number; y: number; width: number; height: number }
export interface LayoutResult { nodes: Record<string, Placed>; width: number; height: number; engine: string; ms: number }

export const DAGRE_LIMIT = 400;

let worker: Worker | null = null;
let seq = 0;
const pending = new Map<number, (r: LayoutResult) => void>();

/** Lay out a graph off the main thread. */
export function layoutGraph(input: LayoutInput): Promise<LayoutResult> {
  if (!worker) {
    worker = new Worker(new URL("./layout.worker.ts", import.meta.url), { type: "module" });
    worker.onmessage = (e: MessageEvent<{ id: number; result: LayoutResult }>) => {
      pending.get(e.data.id)?.(e.data.result);
      pending.delete(e.data.id);
    };
  }
  const id = ++seq;
  return new Promise((resolve) => {
    pending.set(id, resolve);
    worker!.postMessage({ id, input });
  });
}

const NODESEP = 16;
const RANKSEP = 72;

/** Linear-time layered layout: ranks by longest path, ordered by barycenters, ranks centered. */
export function fastLayout(input: LayoutInput): LayoutResult {
  const t0 = performance.now();
  const ids = input.nodes.map((n) => n.id);
  const index = new Map(ids.map((id, i) => [id, i]));
  const n = ids.length;
  const preds: number[][] = Array.from({ length: n }, () => []);
  const succs: number[][] = Array.from({ length: n }, () => []);
  for (const e of input.edges) {
    const a = index.get(e.from);
    const b = index.get(e.to);
    if (a === undefined || b === undefined || a === b) continue;
    succs[a].push(b);
    preds[b].push(a);
  }
  // Kahn's order; what a cycle leaves behind keeps rank 0.
  const indeg = preds.map((p) => p.length);
  const rank = new Array<number>(n).fill(0);
  const queue: number[] = [];
  for (let i = 0; i < n; i++) if (indeg[i] === 0) queue.push(i);
  for (let q = 0; q < queue.length; q++) {
    const v = queue[q];
    for (const w of succs[v]) {
      if (rank[v] + 1 > rank[w]) rank[w] = rank[v] + 1;
      if (--indeg[w] === 0) queue.push(w);
    }
  }
  // Pull sources next to their first consumer so that roots do not all pile into rank 0.
  for (let q = queue.length - 1; q >= 0; q--) {
    const v = queue[q];
    if (preds[v].length === 0 && succs[v].length > 0) {
      let min = Infinity;
      for (const w of succs[v]) min = Math.min(min, rank[w]);
      rank[v] = Math.max(0, min - 1);
    }
  }
  const layers: number[][] = [];
  for (let i = 0; i < n; i++) (layers[rank[i]] ??= []).push(i);
  const pos = new Float64Array(n);
  const reorder = (layer: number[], neighbours: number[][]) => {
    const key = new Float64Array(layer.length);
    layer.forEach((v, i) => {
      const ns = neighbours[v];
      if (ns.length === 0) key[i] = pos[v];
      else {
        let s = 0;
        for (const w of ns) s += pos[w];
        key[i] = s / ns.length;
      }
    });
    const order = layer.map((_, i) => i).sort((a, b) => key[a] - key[b]);
    const sorted = order.map((i) => layer[i]);
    sorted.forEach((v, i) => (pos[v] = i));
    return sorted;
  };
  for (const layer of layers) if (layer) layer.forEach((v, i) => (pos[v] = i));
  for (let sweep = 0; sweep < 4; sweep++) {
    for (let r = 1; r < layers.length; r++) if (layers[r]) layers[r] = reorder(layers[r], preds);
    for (let r = layers.length - 2; r >= 0; r--) if (layers[r]) layers[r] = reorder(layers[r], succs);
  }
  const lr = (input.direction ?? "LR") === "LR";
  // A very wide rank (a fan-out to thousands) wraps into several columns, keeping the
  // drawing roughly square instead of one endless strip.
  const perColumn = Math.max(40, Math.ceil(Math.sqrt(n) * 1.5));
  const nodes: Record<string, Placed> = {};
  let cursor = 0;
  let extent = 0;
  const columns: number[][] = [];
  const rankStarts: number[] = [];
  for (const layer of layers) {
    const list = layer ?? [];
    rankStarts.push(columns.length);
    for (let i = 0; i < Math.max(list.length, 1); i += perColumn) columns.push(list.slice(i, i + perColumn));
  }
  const spans = columns.map((col) => col.reduce((s, v) => s + (lr ? input.nodes[v].height : input.nodes[v].width) + NODESEP, 0));
  for (const s of spans) extent = Math.max(extent, s);
  columns.forEach((col, c) => {
    let thickness = 0;
    for (const v of col) thickness = Math.max(thickness, lr ? input.nodes[v].width : input.nodes[v].height);
    let along = (extent - spans[c]) / 2;
    for (const v of col) {
      const nd = input.nodes[v];
      nodes[nd.id] = { id: nd.id, x: lr ? cursor : along, y: lr ? along : cursor, width: nd.width, height: nd.height };
      along += (lr ? nd.height : nd.width) + NODESEP;
    }
    const lastOfRank = rankStarts.includes(c + 1) || c === columns.length - 1;
    cursor += thickness + (lastOfRank ? RANKSEP : NODESEP * 2);
  });
  const width = lr ? cursor : extent;
  const height = lr ? extent : cursor;
  return { nodes, width, height, engine: "layered", ms: performance.now() - t0 };
}
