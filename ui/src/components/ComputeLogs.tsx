// A run's compute logs: what one step (or the whole run) wrote to stdout and stderr, read
// from a byte offset every second while the run is live, with a download link.
import { useEffect, useRef, useState } from "react";
import { api, enc, streamUrl } from "../api";

interface LogChunk { text: string; cursor: number; size: number; has_more: boolean; download: string }

const POLL_MS = 1000;
const MAX_CHARS = 2_000_000;
const IOS = ["stdout", "stderr"] as const;
type Io = (typeof IOS)[number];

export function ComputeLogs({ runId, steps, focused, live }: {
  runId: string; steps: string[]; focused: string | null; live: boolean;
}) {
  const [step, setStep] = useState<string>(focused ?? "");
  const [io, setIo] = useState<Io>("stdout");
  const [text, setText] = useState("");
  const [size, setSize] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [follow, setFollow] = useState(true);
  const liveRef = useRef(live);
  const boxRef = useRef<HTMLPreElement>(null);
  liveRef.current = live;

  // Clicking a step in the timeline shows its output here too.
  useEffect(() => { if (focused) setStep(focused); }, [focused]);

  useEffect(() => {
    let cancelled = false;
    let timer = 0;
    let cursor = 0;
    let lastRound = false;
    setText("");
    setSize(null);
    setError(null);
    const query = step ? `&step=${enc(step)}` : "";
    const tick = async () => {
      try {
        for (;;) {
          const chunk = await api<LogChunk>(`/api/runs/${enc(runId)}/compute_logs/${io}?cursor=${cursor}${query}`);
          if (cancelled) return;
          cursor = chunk.cursor;
          setSize(chunk.size);
          if (chunk.text) setText((cur) => (cur + chunk.text).slice(-MAX_CHARS));
          if (!chunk.has_more) break;
        }
        setError(null);
      } catch (e) {
        if (!cancelled) setError((e as Error).message);
      }
      if (cancelled) return;
      // One more read after the run ends picks up what its last step wrote.
      if (liveRef.current || !lastRound) {
        lastRound = !liveRef.current;
        timer = window.setTimeout(tick, POLL_MS);
      }
    };
    tick();
    return () => {
      cancelled = true;
      window.clearTimeout(timer);
    };
  }, [runId, step, io]);

  useEffect(() => {
    const el = boxRef.current;
    if (el && follow) el.scrollTop = el.scrollHeight;
  }, [text, follow]);

  const download = streamUrl(`/api/runs/${enc(runId)}/compute_logs/${io}/download${step ? `?step=${enc(step)}` : ""}`);
  const what = step ? `step ${step}` : "the whole run";
  return (
    <section className="card" aria-label="Compute logs">
      <div className="row wrap log-controls">
        <h2>Compute logs</h2>
        <div className="tabs" role="tablist" aria-label="Output stream">
          {IOS.map((name) => (
            <button key={name} type="button" role="tab" aria-selected={io === name} className={io === name ? "active" : ""}
              onClick={() => setIo(name)}>{name}</button>
          ))}
        </div>
        <span className="spacer" />
        <label className="small">Step{" "}
          <select value={step} onChange={(e) => setStep(e.target.value)}>
            <option value="">Whole run</option>
            {steps.map((s) => <option key={s} value={s}>{s}</option>)}
          </select>
        </label>
        <label className="small"><input type="checkbox" checked={follow} onChange={(e) => setFollow(e.target.checked)} /> follow</label>
        <a className="button ghost small" href={download} download>Download</a>
      </div>
      {error && <div className="callout bad slim">Could not read the {io} of {what}: {error}</div>}
      <pre className="log compute-log mono" ref={boxRef} role="log" aria-label={io} aria-live="polite">
        {text || <span className="muted">{size === null ? "Loading…" : live ? `Nothing on ${io} yet from ${what}.` : `${what[0].toUpperCase()}${what.slice(1)} wrote nothing to ${io}.`}</span>}
      </pre>
      <p className="muted small">What the step code wrote with print() or to sys.{io} (Python-level writes; {size ?? 0} bytes). Messages of context.log are in the event log.</p>
    </section>
  );
}
