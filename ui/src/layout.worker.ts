// Web Worker: lays out graphs with dagre (small) or the linear layered layout (large).
import dagre from "@dagrejs/dagre";
import { DAGRE_LIMIT, fastLayout, type LayoutInput, type LayoutResult, type Placed } from "./layout";

function dagreLayout(input: LayoutInput): LayoutResult {
  const t0 = performance.now();
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: input.direction ?? "LR", nodesep: 16, ranksep: 72, marginx: 0, marginy: 0 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const n of input.nodes) g.setNode(n.id, { width: n.width, height: n.height });
  for (const e of input.edges) if (g.hasNode(e.from) && g.hasNode(e.to) && e.from !== e.to) g.setEdge(e.from, e.to);
  dagre.layout(g);
  const nodes: Record<string, Placed> = {};
  let width = 0;
  let height = 0;
  for (const n of input.nodes) {
    const p = g.node(n.id);
    const x = p.x - n.width / 2;
    const y = p.y - n.height / 2;
    nodes[n.id] = { id: n.id, x, y, width: n.width, height: n.height };
    width = Math.max(width, x + n.width);
    height = Math.max(height, y + n.height);
  }
  return { nodes, width, height, engine: "dagre", ms: performance.now() - t0 };
}

self.onmessage = (e: MessageEvent<{ id: number; input: LayoutInput }>) => {
  const { id, input } = e.data;
  const small = input.nodes.length <= DAGRE_LIMIT && input.edges.length <= DAGRE_LIMIT * 3;
  const result = small ? dagreLayout(input) : fastLayout(input);
  (self as unknown as Worker).postMessage({ id, result });
};
