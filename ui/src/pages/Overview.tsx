// The overview: a timeline of every job's runs over a time window (the last day by default),
// grouped by code location, live while it ends now. The window lives in the URL: `range`
// (1h, 6h, 12h, 24h, 7d), `end` (Unix seconds; absent: now) and `q` (a job name filter).
import { useCallback, useEffect, useRef, useState } from "react";
import { useSearchParams } from "react-router";
import { api, type Timeline as TimelineData } from "../api";
import { Timeline } from "../components/Timeline";
import { useOnReconnect, useRunChanges } from "../live";
import { Empty, ErrorBox, fmtTime, Loading, PageHeader, unlessUnreachable, useTitle, userZone } from "../util";

const RANGES: [string, number][] = [["1h", 3600], ["6h", 6 * 3600], ["12h", 12 * 3600], ["24h", 86400], ["7d", 7 * 86400]];
const DEFAULT_RANGE = "24h";

/** The current time in seconds, advancing every `everyMs`. */
function useNow(everyMs: number): number {
  const [now, setNow] = useState(() => Date.now() / 1000);
  useEffect(() => {
    const id = window.setInterval(() => setNow(Date.now() / 1000), everyMs);
    return () => window.clearInterval(id);
  }, [everyMs]);
  return now;
}

export function OverviewPage() {
  useTitle("Overview");
  const [params, setParams] = useSearchParams();
  const rangeName = RANGES.some(([n]) => n === params.get("range")) ? params.get("range")! : DEFAULT_RANGE;
  const range = RANGES.find(([n]) => n === rangeName)![1];
  const endParam = Number(params.get("end"));
  const pinnedEnd = params.get("end") && Number.isFinite(endParam) && endParam > 0 ? endParam : null;
  const filter = params.get("q") ?? "";
  const live = pinnedEnd === null;
  // The now line and the bars of running runs creep forward; about 200 steps across the view.
  const clock = useNow(Math.min(10000, Math.max(1000, (range * 1000) / 400)));
  const [data, setData] = useState<TimelineData>();
  // The later of this browser's clock and the server's answer: a run that has just started
  // is inside the window even when the clocks differ a little.
  const now = Math.max(clock, data?.now ?? 0);
  const t1 = pinnedEnd ?? now;
  const t0 = t1 - range;

  const [error, setError] = useState<Error>();
  const asked = useRef(0);
  const load = useCallback(() => {
    const ticket = ++asked.current;
    const end = pinnedEnd ?? Date.now() / 1000;
    api<TimelineData>(`/api/timeline?start=${end - range}&end=${end}`)
      .then((d) => {
        if (ticket !== asked.current) return; // an answer to an older window
        setData(d);
        setError(undefined);
      })
      .catch(unlessUnreachable((e) => ticket === asked.current && setError(e)));
  }, [pinnedEnd, range]);
  useEffect(load, [load]);
  useRunChanges(() => load());
  useOnReconnect(load);
  // While the window ends now, runs created before the last answer keep sliding in and out.
  useEffect(() => {
    if (!live) return;
    const id = window.setInterval(load, Math.max(15000, range * 1000 / 100));
    return () => window.clearInterval(id);
  }, [live, load, range]);

  const update = (values: Record<string, string | null>) => {
    const next = new URLSearchParams(params);
    for (const [name, value] of Object.entries(values)) {
      if (value) next.set(name, value);
      else next.delete(name);
    }
    setParams(next, { replace: true });
  };
  const shift = (direction: -1 | 1) => {
    const end = t1 + direction * range;
    update({ end: end >= Date.now() / 1000 ? null : String(Math.round(end)) });
  };

  const needle = filter.trim().toLowerCase();
  const rows = (data?.rows ?? []).filter((r) => !needle || r.job_name.toLowerCase().includes(needle)
    || (r.job_name.startsWith("__") && "asset materialization".includes(needle)));
  const shown = data && Math.abs(data.end - data.start - range) < 1 && (live || Math.abs(data.end - pinnedEnd) < 1);

  return (
    <div className="page page-wide">
      <PageHeader title="Overview" sub={<>The runs of every job over time, grouped by code location. Times in {userZone()}.{live && " Updates live."}</>} />
      <h2>Timeline</h2>
      <div className="filters tl-controls">
        <div className="segmented" role="group" aria-label="Time range">
          {RANGES.map(([name]) => (
            <button key={name} type="button" className={name === rangeName ? "active" : ""} aria-pressed={name === rangeName}
              onClick={() => update({ range: name === DEFAULT_RANGE ? null : name })}>{name}</button>
          ))}
        </div>
        <div className="segmented" role="group" aria-label="Move the window">
          <button type="button" onClick={() => shift(-1)} title="The window before this one" aria-label="Earlier">←</button>
          <button type="button" onClick={() => update({ end: null })} disabled={live} className={live ? "active" : ""}
            title="Back to a window ending now (live)">Now</button>
          <button type="button" onClick={() => shift(1)} disabled={live} title="The window after this one" aria-label="Later">→</button>
        </div>
        <span className="muted small tl-window">{fmtTime(t0)} – {live ? "now" : fmtTime(t1)}</span>
        <span className="spacer" />
        <input type="search" className="tl-filter" placeholder="Filter by job name" value={filter} aria-label="Filter jobs"
          onChange={(e) => update({ q: e.target.value })} />
      </div>
      <ErrorBox error={error} title="Could not load the timeline" />
      {data?.truncated && (
        <div className="callout warn">This window has more runs than the timeline places: the newest {data.run_count} are shown. Pick a shorter range to see them all.</div>
      )}
      {!data || !shown ? (error ? null : <Loading what="the timeline" />) : rows.length === 0 ? (
        <Empty>
          {needle && data.rows.length
            ? <>No job matching “{filter}” ran in this window.</>
            : <>No runs between {fmtTime(t0)} and {live ? "now" : fmtTime(t1)}. Launch a job or materialize an asset, or pick a longer range.</>}
        </Empty>
      ) : (
        <Timeline rows={rows} t0={t0} t1={t1} now={now} />
      )}
    </div>
  );
}
