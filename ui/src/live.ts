// Live updates over Server-Sent Events.
import { useEffect, useRef } from "react";
import { streamUrl, type Run } from "./api";

/** Calls `onRun` (debounced by `delayMs`) whenever a run changes status anywhere. */
export function useRunChanges(onRun: (run: Run) => void, delayMs = 400) {
  const cb = useRef(onRun);
  cb.current = onRun;
  useEffect(() => {
    let timer = 0;
    let last: Run | null = null;
    const source = new EventSource(streamUrl("/api/stream"));
    source.addEventListener("run", (e) => {
      try {
        last = JSON.parse((e as MessageEvent).data) as Run;
      } catch {
        return;
      }
      window.clearTimeout(timer);
      timer = window.setTimeout(() => last && cb.current(last), delayMs);
    });
    return () => {
      window.clearTimeout(timer);
      source.close();
    };
  }, [delayMs]);
}
