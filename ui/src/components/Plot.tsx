// A small SVG line chart of one numeric metadata value over materializations.
import { useState } from "react";
import { fmtTime } from "../util";

export interface Point { t: number; v: number; label?: string }

export function LinePlot({ title, points, width = 360, height = 140 }: { title: string; points: Point[]; width?: number; height?: number }) {
  const [hover, setHover] = useState<number | null>(null);
  const pad = { l: 48, r: 12, t: 10, b: 22 };
  const w = width - pad.l - pad.r;
  const h = height - pad.t - pad.b;
  const ts = points.map((p) => p.t);
  const vs = points.map((p) => p.v);
  const t0 = Math.min(...ts);
  const t1 = Math.max(...ts);
  let v0 = Math.min(...vs);
  let v1 = Math.max(...vs);
  if (v0 === v1) { v0 -= 1; v1 += 1; }
  const x = (t: number) => pad.l + (t1 === t0 ? w / 2 : ((t - t0) / (t1 - t0)) * w);
  const y = (v: number) => pad.t + h - ((v - v0) / (v1 - v0)) * h;
  const d = points.map((p, i) => `${i ? "L" : "M"}${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`).join(" ");
  const fmt = (v: number) => Math.abs(v) >= 1e4 ? v.toExponential(1) : Number(v.toPrecision(4)).toLocaleString();
  const last = points[points.length - 1];
  return (
    <figure className="plot">
      <figcaption><span>{title}</span> <b className="num">{last ? fmt(last.v) : ""}</b></figcaption>
      <svg width={width} height={height} role="img" aria-label={`${title} over ${points.length} events`}>
        <line x1={pad.l} x2={pad.l + w} y1={pad.t + h} y2={pad.t + h} className="axis" />
        <text x={pad.l - 6} y={pad.t + 8} textAnchor="end" className="tick">{fmt(v1)}</text>
        <text x={pad.l - 6} y={pad.t + h} textAnchor="end" className="tick">{fmt(v0)}</text>
        <text x={pad.l} y={height - 6} className="tick">{fmtTime(t0, true)}</text>
        <text x={pad.l + w} y={height - 6} textAnchor="end" className="tick">{fmtTime(t1, true)}</text>
        <path d={d} className="line" />
        {points.map((p, i) => (
          <circle key={i} cx={x(p.t)} cy={y(p.v)} r={hover === i ? 5 : 3} className="pt"
            onMouseEnter={() => setHover(i)} onMouseLeave={() => setHover(null)}>
            <title>{`${fmt(p.v)} at ${fmtTime(p.t)}${p.label ? ` (${p.label})` : ""}`}</title>
          </circle>
        ))}
      </svg>
    </figure>
  );
}
