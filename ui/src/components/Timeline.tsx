// The overview timeline: one row per job (grouped by code location) with its runs as bars
// on a time axis in the user's zone, a "now" line, and the runs whose bars would overlap
// merged into a bubble that counts them. Hovering shows a run; clicking opens it (a bubble
// lists its runs).
import { Fragment, useEffect, useLayoutEffect, useMemo, useRef, useState, type CSSProperties } from "react";
import { Link } from "react-router";
import type { LaunchedBy, TimelineRow, TimelineRun } from "../api";
import { Badge, fmtDuration, fmtTime, statusLabel } from "../util";

/** Bars narrower than this are drawn this wide, and bars closer than it are merged. */
const MIN_BAR_PX = 8;
const BUBBLE_MIN_PX = 24;

/** The colour family of a run on the timeline. */
export function family(run: Pick<TimelineRun, "status" | "queued">): string {
  if (run.queued) return "queued";
  switch (run.status) {
    case "SUCCESS": return "success";
    case "FAILURE": return "failure";
    case "CANCELED": return "canceled";
    case "CANCELING": return "canceling";
    default: return "running";
  }
}
const FAMILIES = ["success", "failure", "running", "queued", "canceling", "canceled"];

export interface Group {
  runs: TimelineRun[];
  left: number; // px from the track's start
  right: number;
}

/** Place a row's runs on a track `width` px wide showing [t0, t1], merging those that would
 * overlap (or be closer than MIN_BAR_PX) into one group. Runs outside the view are left out;
 * a run still going reaches `now`. */
export function place(runs: TimelineRun[], t0: number, t1: number, width: number, now: number): Group[] {
  const scale = width / (t1 - t0);
  const groups: Group[] = [];
  const sorted = [...runs].sort((a, b) => a.start - b.start);
  for (const run of sorted) {
    const end = run.ongoing ? Math.max(run.end, now) : run.end;
    if (end < t0 || run.start > t1) continue;
    // a bar at the end of the axis is drawn inside it, ending there
    const left = Math.min(Math.max(0, (run.start - t0) * scale), width - MIN_BAR_PX);
    const right = Math.max(left + MIN_BAR_PX, Math.min(width, (end - t0) * scale));
    const last = groups[groups.length - 1];
    if (last && left < last.right + 2) {
      last.runs.push(run);
      last.right = Math.max(last.right, right);
    } else {
      groups.push({ runs: [run], left, right });
    }
  }
  return groups;
}

const hourMinute = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });
const dayMonth = new Intl.DateTimeFormat(undefined, { month: "short", day: "numeric" });
const weekday = new Intl.DateTimeFormat(undefined, { weekday: "short", month: "short", day: "numeric" });
const STEPS_MIN = [1, 5, 10, 15, 30, 60, 120, 180, 360, 720, 1440];

/** Ticks at round times of the user's zone (so 6:00 means 6:00 on the wall clock). */
export function ticks(t0: number, t1: number, width: number): { t: number; label: string; day: boolean }[] {
  const wanted = Math.max(2, Math.floor(width / 110));
  const span = (t1 - t0) / 60;
  const step = STEPS_MIN.find((m) => span / m <= wanted) ?? 1440;
  const d = new Date(t0 * 1000);
  if (step >= 1440) {
    d.setHours(24, 0, 0, 0);
  } else {
    const minutes = d.getHours() * 60 + d.getMinutes() + (d.getSeconds() || d.getMilliseconds() ? 1 : 0);
    d.setHours(0, Math.ceil(minutes / step) * step, 0, 0);
  }
  const out: { t: number; label: string; day: boolean }[] = [];
  let previousDay = new Date(t0 * 1000).toDateString();
  while (d.getTime() / 1000 <= t1 && out.length < 200) {
    const t = d.getTime() / 1000;
    const dayName = d.toDateString();
    const newDay = dayName !== previousDay;
    previousDay = dayName;
    out.push({
      t,
      label: step >= 1440 ? weekday.format(d) : newDay ? `${dayMonth.format(d)} ${hourMinute.format(d)}` : hourMinute.format(d),
      day: newDay || step >= 1440,
    });
    if (step >= 1440) d.setDate(d.getDate() + step / 1440);
    else d.setMinutes(d.getMinutes() + step);
  }
  return out;
}

const launchedByText = (by: LaunchedBy | null) => (by ? `${by.kind} ${by.name}` : "launched by hand");

function runLabel(job: string, run: TimelineRun, now: number): string {
  const end = run.ongoing ? Math.max(run.end, now) : run.end;
  const took = fmtDuration(end - run.start);
  if (run.queued) return `Run ${run.run_id.slice(0, 8)} of ${job}: queued since ${fmtTime(run.start)} (${took})`;
  return `Run ${run.run_id.slice(0, 8)} of ${job}: ${statusLabel(run.status).toLowerCase()}, started ${fmtTime(run.start)}, ${took}${run.ongoing ? " so far" : ""}`;
}

interface Tip { x: number; y: number; job: string; runs: TimelineRun[] }
/** A bubble's list: its runs by id, looked up in the latest data so that it stays live. */
interface Menu { x: number; y: number; job: string; row: TimelineRow; ids: string[] }

function Tooltip({ tip, now }: { tip: Tip; now: number }) {
  const style: CSSProperties = { left: Math.min(tip.x + 14, window.innerWidth - 330), top: tip.y + 16 };
  if (tip.runs.length > 1) {
    const counts = FAMILIES.map((f) => [f, tip.runs.filter((r) => family(r) === f).length] as const).filter(([, n]) => n);
    return (
      <div className="tl-tip" role="tooltip" style={style}>
        <div className="strong">{tip.runs.length} runs of {tip.job}</div>
        <div>{counts.map(([f, n]) => `${n} ${f}`).join(", ")}</div>
        <div className="muted">{fmtTime(tip.runs[0].start)} – {fmtTime(Math.max(...tip.runs.map((r) => (r.ongoing ? now : r.end))))}</div>
        <div className="muted small">Click to list them</div>
      </div>
    );
  }
  const run = tip.runs[0];
  const end = run.ongoing ? Math.max(run.end, now) : run.end;
  return (
    <div className="tl-tip" role="tooltip" style={style}>
      <div className="strong">{tip.job} <span className="mono muted">{run.run_id.slice(0, 8)}</span></div>
      <div><Badge status={run.queued ? "QUEUED" : run.status} /></div>
      <div>{run.queued ? "Queued since" : "Started"} {fmtTime(run.start)}</div>
      <div>{run.queued ? "Waiting" : "Duration"} {fmtDuration(end - run.start)}{run.ongoing && !run.queued ? " so far" : ""}</div>
      <div className="muted">{launchedByText(run.launched_by)}</div>
    </div>
  );
}

function RunMenu({ menu, runs, now, onClose }: { menu: Menu; runs: TimelineRun[]; now: number; onClose: () => void }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    ref.current?.querySelector("a")?.focus();
    const onKey = (e: KeyboardEvent) => e.key === "Escape" && onClose();
    const onDown = (e: MouseEvent) => !ref.current?.contains(e.target as Node) && onClose();
    window.addEventListener("keydown", onKey);
    window.addEventListener("mousedown", onDown);
    return () => {
      window.removeEventListener("keydown", onKey);
      window.removeEventListener("mousedown", onDown);
    };
  }, [onClose]);
  const style: CSSProperties = { left: Math.min(menu.x, window.innerWidth - 380), top: menu.y + 12 };
  return (
    <div className="tl-menu" role="dialog" aria-label={`${runs.length} runs of ${menu.job}`} style={style} ref={ref}>
      <div className="tl-menu-head">
        <strong>{runs.length} runs of {menu.job}</strong>
        <button type="button" className="ghost small" aria-label="Close" onClick={onClose}>×</button>
      </div>
      <ul>
        {[...runs].reverse().map((r) => (
          <li key={r.run_id}>
            <Link className="mono" to={`/runs/${r.run_id}`}>{r.run_id.slice(0, 8)}</Link>
            <Badge status={r.queued ? "QUEUED" : r.status} />
            <span className="muted small">{fmtTime(r.start, true)} · {fmtDuration((r.ongoing ? Math.max(now, r.end) : r.end) - r.start)}</span>
          </li>
        ))}
      </ul>
    </div>
  );
}

/** A bubble's colours: one band per status family, as wide as its share of the runs. */
function bands(runs: TimelineRun[]): string {
  let at = 0;
  const stops: string[] = [];
  for (const f of FAMILIES) {
    const n = runs.filter((r) => family(r) === f).length;
    if (!n) continue;
    const next = at + (n / runs.length) * 100;
    stops.push(`var(--tl-${f}) ${at}% ${next}%`);
    at = next;
  }
  return `linear-gradient(90deg, ${stops.join(", ")})`;
}

function Track({ row, t0, t1, width, now, onTip, onMenu }: {
  row: TimelineRow; t0: number; t1: number; width: number; now: number;
  onTip: (tip: Tip | null) => void; onMenu: (menu: Menu) => void;
}) {
  const job = row.job_name.startsWith("__") ? "asset materialization" : row.job_name;
  const groups = useMemo(() => place(row.runs, t0, t1, width, now), [row.runs, t0, t1, width, now]);
  return (
    <div className="tl-track" role="cell">
      {groups.map((g) => {
        const first = g.runs[0];
        if (g.runs.length === 1) {
          const end = first.ongoing ? Math.max(first.end, now) : first.end;
          return (
            <Link key={first.run_id} to={`/runs/${first.run_id}`} data-run={first.run_id} data-status={first.queued ? "QUEUED" : first.status}
              className={`tl-bar tl-${family(first)}${first.ongoing ? " tl-live" : ""}`}
              style={{ left: g.left, width: g.right - g.left }}
              aria-label={runLabel(job, first, now)}
              onMouseEnter={(e) => onTip({ x: e.clientX, y: e.clientY, job, runs: g.runs })}
              onMouseMove={(e) => onTip({ x: e.clientX, y: e.clientY, job, runs: g.runs })}
              onMouseLeave={() => onTip(null)}
              onFocus={(e) => {
                const box = e.currentTarget.getBoundingClientRect();
                onTip({ x: box.left, y: box.bottom - 10, job, runs: g.runs });
              }}
              onBlur={() => onTip(null)}>
              {g.right - g.left > 64 && <span>{fmtDuration(end - first.start)}</span>}
            </Link>
          );
        }
        const w = Math.max(BUBBLE_MIN_PX, g.right - g.left);
        return (
          <button key={`group-${first.run_id}`} type="button" className="tl-bubble" data-count={g.runs.length}
            data-runs={g.runs.map((r) => r.run_id).join(" ")}
            style={{ left: Math.min(g.left, width - w), width: w, background: bands(g.runs) }}
            aria-label={`${g.runs.length} runs of ${job} from ${fmtTime(first.start)}: list them`}
            onMouseEnter={(e) => onTip({ x: e.clientX, y: e.clientY, job, runs: g.runs })}
            onMouseMove={(e) => onTip({ x: e.clientX, y: e.clientY, job, runs: g.runs })}
            onMouseLeave={() => onTip(null)}
            onClick={(e) => {
              onTip(null);
              const box = e.currentTarget.getBoundingClientRect();
              onMenu({ x: box.left, y: box.bottom, job, row, ids: g.runs.map((r) => r.run_id) });
            }}>
            <span>{g.runs.length}</span>
          </button>
        );
      })}
    </div>
  );
}

function Automations({ items }: { items: LaunchedBy[] }) {
  if (!items.length) return null;
  return (
    <span className="tl-automations">
      {items.map((a) => (
        <Link key={`${a.kind}:${a.name}`} className={`tl-automation ${a.kind}`} to={`/${a.kind}s/${encodeURIComponent(a.name)}`}
          title={`Runs of this row were requested by the ${a.kind} ${a.name}`}>
          <svg viewBox="0 0 16 16" width="11" height="11" aria-hidden>
            {a.kind === "schedule"
              ? <><circle cx="8" cy="8" r="6.2" fill="none" stroke="currentColor" strokeWidth="1.6" /><path d="M8 4.5V8l2.4 1.6" fill="none" stroke="currentColor" strokeWidth="1.6" strokeLinecap="round" /></>
              : <><circle cx="8" cy="8" r="2" fill="currentColor" /><path d="M4.2 11.8a5.4 5.4 0 0 1 0-7.6M11.8 4.2a5.4 5.4 0 0 1 0 7.6" fill="none" stroke="currentColor" strokeWidth="1.6" strokeLinecap="round" /></>}
          </svg>
          {a.name}
        </Link>
      ))}
    </span>
  );
}

/** The runs a bubble's list names, as the latest data has them. */
function menuRuns(rows: TimelineRow[], menu: Menu): TimelineRun[] {
  const row = rows.find((r) => r.location === menu.row.location && r.job_name === menu.row.job_name) ?? menu.row;
  const ids = new Set(menu.ids);
  return row.runs.filter((r) => ids.has(r.run_id));
}

/** Rows of runs on a shared time axis [t0, t1]. */
export function Timeline({ rows, t0, t1, now }: { rows: TimelineRow[]; t0: number; t1: number; now: number }) {
  const axis = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(900);
  const [tip, setTip] = useState<Tip | null>(null);
  const [menu, setMenu] = useState<Menu | null>(null);
  useLayoutEffect(() => {
    const el = axis.current;
    if (!el) return;
    const measure = () => setWidth(Math.max(100, el.clientWidth));
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(el);
    return () => observer.disconnect();
  }, []);
  const marks = useMemo(() => ticks(t0, t1, width), [t0, t1, width]);
  const byLocation = useMemo(() => {
    const groups = new Map<string, TimelineRow[]>();
    for (const row of rows) {
      const key = row.location ?? "";
      groups.set(key, [...(groups.get(key) ?? []), row]);
    }
    return [...groups.entries()];
  }, [rows]);
  const x = (t: number) => ((t - t0) / (t1 - t0)) * 100;
  const nowVisible = now >= t0 && now <= t1;
  return (
    <div className="tl" role="table" aria-label="Run timeline">
      <div className="tl-row tl-axis" role="row">
        <div className="tl-label" role="columnheader">Job</div>
        <div className="tl-track" role="columnheader" ref={axis}>
          {marks.map((m) => (
            <span key={m.t} className={`tl-tick${m.day ? " day" : ""}`} style={{ left: `${x(m.t)}%` }}>{m.label}</span>
          ))}
        </div>
      </div>
      <div className="tl-body">
        <div className="tl-grid" aria-hidden>
          {marks.map((m) => <span key={m.t} className={`tl-gridline${m.day ? " day" : ""}`} style={{ left: `${x(m.t)}%` }} />)}
          {nowVisible && <span className="tl-now" style={{ left: `${x(now)}%` }} title={`Now: ${fmtTime(now)}`}><span>Now</span></span>}
        </div>
        {byLocation.map(([location, locationRows]) => (
          <Fragment key={location}>
            <div className="tl-row tl-location" role="row" data-location={location}>
              <div className="tl-label" role="rowheader">
                {location ? <><span className="muted small">Code location</span> <strong>{location}</strong></>
                  : <strong title="Runs executed in a Python process (materialize(), execute_in_process, the CLI), not launched from a code location">Executed in process</strong>}
              </div>
            </div>
            {locationRows.map((row) => (
              <div key={`${location}/${row.job_name}`} className="tl-row" role="row" data-job={row.job_name}>
                <div className="tl-label" role="rowheader">
                  {row.job_name.startsWith("__")
                    ? <span className="muted" title={row.job_name}>asset materialization</span>
                    : <Link to={`/jobs/${encodeURIComponent(row.job_name)}`}>{row.job_name}</Link>}
                  <span className="muted small num" title="Runs in this window">{row.runs.length}</span>
                  <Automations items={row.automations} />
                </div>
                <Track row={row} t0={t0} t1={t1} width={width} now={now} onTip={setTip} onMenu={setMenu} />
              </div>
            ))}
          </Fragment>
        ))}
      </div>
      <div className="tl-legend" aria-label="Legend">
        {FAMILIES.map((f) => <span key={f}><i className={`tl-swatch tl-${f}`} />{f === "running" ? "in progress" : f}</span>)}
        <span><i className="tl-swatch tl-bubble-swatch">3</i>runs merged (click to list)</span>
      </div>
      {tip && <Tooltip tip={tip} now={now} />}
      {menu && <RunMenu menu={menu} runs={menuRuns(rows, menu)} now={now} onClose={() => setMenu(null)} />}
    </div>
  );
}
