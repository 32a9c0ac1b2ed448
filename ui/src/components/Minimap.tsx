// The whole graph in a small corner box: every node a dot, the part in view a rectangle.
// Clicking or dragging in it centres the main view on that point. It draws on a canvas so
// 10,000 nodes cost one pass, and its view rectangle moves through a ref, not a re-render.
import { useEffect, useImperativeHandle, useRef, type Ref } from "react";
import type { LayoutResult } from "../layout";

export interface MinimapHandle {
  /** Move the view rectangle: the main view's translate (x, y), scale k and size (w, h). */
  show(x: number, y: number, k: number, w: number, h: number): void;
}

const MAX_W = 200;
const MAX_H = 140;
const MIN_SIDE = 28;

interface Props {
  layout: LayoutResult;
  fill?: (id: string) => string;
  /** Centre the main view on this point of the layout. */
  onPan: (x: number, y: number) => void;
  ref?: Ref<MinimapHandle>;
}

/** The scale and box of the minimap for a layout. */
function frame(layout: LayoutResult) {
  const lw = Math.max(layout.width, 1);
  const lh = Math.max(layout.height, 1);
  const s = Math.min(MAX_W / lw, MAX_H / lh);
  const w = Math.max(MIN_SIDE, Math.round(lw * s));
  const h = Math.max(MIN_SIDE, Math.round(lh * s));
  return { s, w, h, ox: (w - lw * s) / 2, oy: (h - lh * s) / 2 };
}

export function Minimap({ layout, fill, onPan, ref }: Props) {
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const viewRef = useRef<HTMLDivElement>(null);
  const f = frame(layout);

  useEffect(() => {
    const canvas = canvasRef.current;
    const ctx = canvas?.getContext("2d");
    if (!canvas || !ctx) return;
    const dpr = window.devicePixelRatio || 1;
    canvas.width = Math.round(f.w * dpr);
    canvas.height = Math.round(f.h * dpr);
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, f.w, f.h);
    for (const id in layout.nodes) {
      const n = layout.nodes[id];
      ctx.fillStyle = fill?.(id) ?? "#8a94a6";
      // A node never shrinks below a dot, or a long chain would vanish.
      ctx.fillRect(f.ox + n.x * f.s, f.oy + n.y * f.s, Math.max(1.5, n.width * f.s), Math.max(1.5, n.height * f.s));
    }
  }, [layout, fill, f.w, f.h, f.s, f.ox, f.oy]);

  useImperativeHandle(ref, () => ({
    show(x, y, k, w, h) {
      const el = viewRef.current;
      if (!el) return;
      const left = f.ox + (-x / k) * f.s;
      const top = f.oy + (-y / k) * f.s;
      el.style.left = `${left}px`;
      el.style.top = `${top}px`;
      el.style.width = `${Math.max(4, (w / k) * f.s)}px`;
      el.style.height = `${Math.max(4, (h / k) * f.s)}px`;
    },
  }), [f.ox, f.oy, f.s]);

  const panTo = (e: React.PointerEvent<HTMLDivElement>) => {
    const r = e.currentTarget.getBoundingClientRect();
    onPan((e.clientX - r.left - f.ox) / f.s, (e.clientY - r.top - f.oy) / f.s);
  };

  return (
    <div
      className="minimap"
      role="navigation"
      aria-label="Minimap: click or drag to move the view"
      style={{ width: f.w, height: f.h }}
      onPointerDown={(e) => {
        if (e.button !== 0) return;
        e.currentTarget.setPointerCapture(e.pointerId);
        panTo(e);
      }}
      onPointerMove={(e) => {
        if (e.currentTarget.hasPointerCapture(e.pointerId)) panTo(e);
      }}
      onPointerUp={(e) => e.currentTarget.releasePointerCapture(e.pointerId)}
    >
      <canvas ref={canvasRef} style={{ width: f.w, height: f.h }} aria-hidden />
      <div ref={viewRef} className="minimap-view" />
    </div>
  );
}
