// Live updates over Server-Sent Events, surviving the webserver going away and coming back.
import { useEffect, useRef } from "react";
import { streamUrl, type Run } from "./api";
import { connectionLost, useConnection, whenReachable } from "./connection";

export type StreamState = "live" | "down";

/**
 * Keep an EventSource open: `open()` makes one (it may resume from where the last one
 * stopped). When it errors without having been closed by its owner, it is closed, the
 * connection monitor checks the server, and a new one is opened once the server answers,
 * with back-off while opening keeps failing. Returns the function that stops it for good.
 */
export function keepOpen(open: () => EventSource, onState?: (state: StreamState) => void): () => void {
  let source: EventSource | null = null;
  let stopped = false;
  let timer = 0;
  let delay = 250;
  const start = () => {
    if (stopped) return;
    const current = open();
    source = current;
    current.addEventListener("open", () => {
      delay = 250;
      onState?.("live");
    });
    current.addEventListener("error", () => {
      if (stopped || source !== current || current.readyState === EventSource.OPEN) return;
      current.close();
      source = null;
      onState?.("down");
      connectionLost();
      void whenReachable().then(() => {
        if (stopped) return;
        timer = window.setTimeout(start, delay);
        delay = Math.min(delay * 2, 10000);
      });
    });
  };
  start();
  return () => {
    stopped = true;
    window.clearTimeout(timer);
    source?.close();
  };
}

/** Calls `onRun` (debounced by `delayMs`) whenever a run changes status anywhere. */
export function useRunChanges(onRun: (run: Run) => void, delayMs = 400) {
  const cb = useRef(onRun);
  cb.current = onRun;
  useEffect(() => {
    let timer = 0;
    let last: Run | null = null;
    const stop = keepOpen(() => {
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
      return source;
    });
    return () => {
      window.clearTimeout(timer);
      stop();
    };
  }, [delayMs]);
}

/** Calls `onBack` each time the webserver answers again after being unreachable. */
export function useOnReconnect(onBack: () => void) {
  const cb = useRef(onBack);
  cb.current = onBack;
  const { epoch } = useConnection();
  const first = useRef(epoch);
  useEffect(() => {
    if (epoch !== first.current) cb.current();
  }, [epoch]);
}
