// Whether the webserver can be reached. A request that fails without an answer (the server
// stopped, the network dropped) marks the connection lost; from then on /api/health is probed
// with back-off (1 s, 2 s, 4 s … 15 s) until it answers. Every page reads the state through
// `useConnection`: one banner says the server is unreachable, lists keep what they showed
// (no per-list errors), and when the server is back `epoch` grows so that lists load again and
// event streams reopen.
import { useSyncExternalStore } from "react";
import { token } from "./api";

export interface Connection {
  online: boolean;
  /** How many times the connection came back; data hooks reload when it changes. */
  epoch: number;
  /** When the next probe runs (ms since the epoch), while offline. */
  retryAt: number | null;
}

const FIRST_DELAY = 1000;
const MAX_DELAY = 15000;

let state: Connection = { online: true, epoch: 0, retryAt: null };
const listeners = new Set<() => void>();
let waiters: (() => void)[] = [];
let probing = false;
let delay = FIRST_DELAY;
let timer = 0;

function publish(next: Connection) {
  state = next;
  listeners.forEach((l) => l());
}

async function answers(): Promise<boolean> {
  const headers: Record<string, string> = { Accept: "application/json" };
  const t = token();
  if (t) headers.Authorization = `Bearer ${t}`;
  try {
    const res = await fetch("/api/health", { headers, cache: "no-store" });
    // A proxy in front of a stopped server answers 502-504: still unreachable.
    return res.status < 502 || res.status > 504;
  } catch {
    return false;
  }
}

async function probe() {
  if (probing) return;
  probing = true;
  window.clearTimeout(timer);
  const ok = await answers();
  probing = false;
  if (ok) {
    delay = FIRST_DELAY;
    const wasOffline = !state.online;
    publish({ online: true, epoch: state.epoch + (wasOffline ? 1 : 0), retryAt: null });
    const waiting = waiters;
    waiters = [];
    waiting.forEach((w) => w());
    return;
  }
  const wait = delay;
  delay = Math.min(delay * 2, MAX_DELAY);
  publish({ online: false, epoch: state.epoch, retryAt: Date.now() + wait });
  timer = window.setTimeout(probe, wait);
}

/** A request got no answer: check the server (and keep checking while it is away). */
export function connectionLost() {
  if (state.online) void probe();
}

/** Probe now instead of waiting for the back-off (the banner's "Retry now"). */
export function retryNow() {
  void probe();
}

/** Resolves once the server answers (at once when it does now). */
export function whenReachable(): Promise<void> {
  return new Promise((resolve) => {
    waiters.push(resolve);
    if (state.online) void probe();
  });
}

export function isOnline(): boolean {
  return state.online;
}

function subscribe(listener: () => void) {
  listeners.add(listener);
  return () => {
    listeners.delete(listener);
  };
}

export function useConnection(): Connection {
  return useSyncExternalStore(subscribe, () => state);
}
