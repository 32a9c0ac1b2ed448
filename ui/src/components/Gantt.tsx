// The step timeline of a run: one bar per step from its start to its end (or now). A step
// that only evaluates checks is labelled "check"; each step shows its checks' results. A step
// that never started (pending, or skipped once the run ended) shows its status and, on hover,
// why.
import type { RunCheck, StepInfo } from "../api";
import { fmtDuration, fmtTime, statusLabel, tone } from "../util";
import { CheckBadge } from "./Checks";

export function Gantt({ steps, runStart, runEnd, selected, onToggle, onFocus, focused, assetsByStep, checksByStep }: {
  steps: StepInfo[]; runStart: number | null; runEnd: number | null;
  selected: Set<string>; onToggle: (step: string) => void; onFocus: (step: string | null) => void;
  focused: string | null; assetsByStep: Map<string, Set<string>>; checksByStep?: Map<string, RunCheck[]>;
}) {
  const now = Date.now() / 1000;
  const starts = steps.map((s) => s.start).filter((t): t is number => t !== null);
  const t0 = runStart ?? (starts.length ? Math.min(...starts) : now);
  const ends = steps.map((s) => s.end ?? (s.start !== null ? now : null)).filter((t): t is number => t !== null);
  const t1 = Math.max(runEnd ?? now, ...ends, t0 + 0.001);
  const span = t1 - t0;
  const sorted = [...steps].sort((a, b) => (a.start ?? Infinity) - (b.start ?? Infinity));
  const ticks = [0, 0.25, 0.5, 0.75, 1];
  return (
    <div className="gantt" role="table" aria-label="Step timeline">
      <div className="gantt-row gantt-axis" role="row">
        <div className="gantt-label" role="columnheader">Step</div>
        <div className="gantt-track" role="columnheader">
          {ticks.map((f) => (
            <span key={f} className="gantt-tick" style={{ left: `${f * 100}%` }}>
              {f === 0 ? fmtTime(t0, true) : `+${fmtDuration(span * f)}`}
            </span>
          ))}
        </div>
      </div>
      {sorted.map((s) => {
        const start = s.start ?? null;
        const end = s.end ?? (start !== null ? now : null);
        const left = start !== null ? ((start - t0) / span) * 100 : 0;
        const width = start !== null && end !== null ? Math.max(0.4, ((end - start) / span) * 100) : 0;
        const assets = assetsByStep.get(s.step_key);
        const checks = checksByStep?.get(s.step_key) ?? [];
        return (
          <div key={s.step_key} className={`gantt-row${focused === s.step_key ? " focused" : ""}`} role="row"
            data-step={s.step_key} data-kind={s.kind ?? "op"} data-status={s.status}>
            <div className="gantt-label" role="cell">
              <input type="checkbox" aria-label={`Select step ${s.step_key} for re-execution`}
                checked={selected.has(s.step_key)} onChange={() => onToggle(s.step_key)} />
              <button type="button" className="link mono" title="Show this step's events"
                onClick={() => onFocus(focused === s.step_key ? null : s.step_key)}>{s.step_key}</button>
              {s.kind === "check" && <span className="gantt-kind" title="This step evaluates asset checks and materializes nothing">check</span>}
              {assets && assets.size > 0 && <span className="muted small"> → {[...assets].join(", ")}</span>}
              {checks.length > 0 && (
                <span className="gantt-checks">
                  {checks.map((c) => <CheckBadge key={`${c.key}|${c.partition ?? ""}`} result={c.result} severity={c.severity} short
                    title={`Check ${c.key}${c.partition ? ` [${c.partition}]` : ""}: ${c.status.toLowerCase().replace("_", " ")}`} />)}
                </span>
              )}
            </div>
            <div className="gantt-track" role="cell">
              {start !== null && (
                <div className={`gantt-bar tone-${tone(s.status)}${s.end === null ? " live" : ""}`}
                  style={{ left: `${left}%`, width: `${width}%` }}
                  title={`${s.step_key}: ${s.status}, ${fmtDuration(end !== null ? end - start : null)}${s.attempts > 1 ? `, ${s.attempts} attempts` : ""}${s.reason ? `. ${s.reason}` : ""}`}>
                  <span>{fmtDuration(end !== null ? end - start : null)}{s.attempts > 1 ? ` ×${s.attempts}` : ""}</span>
                </div>
              )}
              {start === null && <span className={`gantt-note tone-${tone(s.status)}`} title={s.reason ?? undefined}>{statusLabel(s.status)}</span>}
            </div>
          </div>
        );
      })}
    </div>
  );
}
