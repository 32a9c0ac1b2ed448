// Small shared pieces: data loading hooks, time formatting in the user's zone, status badges.
import { useCallback, useEffect, useRef, useState, type ReactNode } from "react";
import { Link } from "react-router";
import { api, isUnreachable, type ErrorInfo } from "./api";
import { isOnline, useConnection } from "./connection";

/** A `.catch` for a request: keeps the error unless the server was unreachable (the
 * connection banner covers that, and the data reloads when it is back). */
export const unlessUnreachable = (setError: (e: Error) => void) => (e: Error) => {
  if (!isUnreachable(e)) setError(e);
};

export interface Loaded<T> {
  data: T | undefined;
  error: Error | undefined;
  loading: boolean;
  reload: () => void;
}

/** GET `path` (null: don't), re-fetched every `pollMs` when given and whenever the server
 * comes back after being unreachable. While it is unreachable the last data stays and no
 * error is set: the connection banner says what is wrong. */
export function useApi<T>(path: string | null, pollMs?: number): Loaded<T> {
  const { epoch } = useConnection();
  const [data, setData] = useState<T>();
  const [error, setError] = useState<Error>();
  const [loading, setLoading] = useState(path !== null);
  const [tick, setTick] = useState(0);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  const current = useRef(path);
  current.current = path;

  useEffect(() => {
    if (path === null) return;
    let cancelled = false;
    setLoading(true);
    api<T>(path)
      .then((d) => {
        if (!cancelled && current.current === path) {
          setData(d);
          setError(undefined);
        }
      })
      .catch((e: Error) => !cancelled && !isUnreachable(e) && setError(e))
      .finally(() => !cancelled && setLoading(false));
    return () => {
      cancelled = true;
    };
  }, [path, tick, epoch]);

  useEffect(() => {
    if (!pollMs || path === null) return;
    const id = window.setInterval(() => {
      if (document.visibilityState === "visible" && isOnline()) reload();
    }, pollMs);
    return () => window.clearInterval(id);
  }, [pollMs, path, reload]);

  return { data, error, loading, reload };
}

const ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone;
const dateTime = new Intl.DateTimeFormat(undefined, {
  year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", second: "2-digit",
});
const timeOnly = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit", second: "2-digit" });

export const userZone = () => ZONE;

/** Seconds since the epoch (or an ISO string) as a date and time in the user's zone. */
export function toDate(value: number | string | null | undefined): Date | null {
  if (value === null || value === undefined || value === "") return null;
  if (typeof value === "number") return new Date(value < 1e12 ? value * 1000 : value);
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? null : d;
}

export function fmtTime(value: number | string | null | undefined, short = false): string {
  const d = toDate(value);
  if (!d) return "—";
  return (short ? timeOnly : dateTime).format(d);
}

export function Time({ value, short }: { value: number | string | null | undefined; short?: boolean }) {
  const d = toDate(value);
  if (!d) return <span className="muted">—</span>;
  return (
    <time dateTime={d.toISOString()} title={`${d.toISOString()} (UTC) · shown in ${ZONE}`}>
      {fmtTime(value, short)}
    </time>
  );
}

export function ago(value: number | string | null | undefined): string {
  const d = toDate(value);
  if (!d) return "—";
  const s = Math.round((Date.now() - d.getTime()) / 1000);
  if (s < 0) return `in ${fmtDuration(-s)}`;
  if (s < 5) return "just now";
  return `${fmtDuration(s)} ago`;
}

export function fmtDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return "—";
  if (seconds < 1) return `${Math.round(seconds * 1000)} ms`;
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 2 : 1)} s`;
  const m = Math.floor(seconds / 60);
  if (m < 60) return `${m}m ${Math.round(seconds % 60)}s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h ${m % 60}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

/** The color family of a run, step, asset, tick or partition status. */
export function tone(status: string | null | undefined): string {
  const s = (status ?? "").toLowerCase();
  if (["success", "materialized", "loaded", "running", "healthy", "completed", "fresh", "on"].includes(s)) return "ok";
  if (["failure", "failed", "error", "canceled", "unhealthy"].includes(s)) return "bad";
  if (["started", "starting", "in_progress", "queued", "canceling", "requested"].includes(s)) return "busy";
  if (["stale", "skipped", "up_for_retry"].includes(s)) return "warn";
  return "none";
}

const LABELS: Record<string, string> = {
  never: "Never materialized", in_progress: "In progress", materialized: "Materialized",
  failed: "Failed", stale: "Stale", fresh: "Fresh", missing: "Missing",
};

export function statusLabel(status: string | null | undefined): string {
  if (!status) return "Unknown";
  const s = status.toLowerCase();
  return LABELS[s] ?? s.charAt(0).toUpperCase() + s.slice(1).replace(/_/g, " ");
}

export function Badge({ status, children }: { status: string | null | undefined; children?: ReactNode }) {
  return (
    <span className={`badge tone-${tone(status)}`} data-status={status ?? ""}>
      <span className="dot" aria-hidden />
      {children ?? statusLabel(status)}
    </span>
  );
}

export const assetPath = (key: string) => `/assets/${key.split("/").map(encodeURIComponent).join("/")}`;

export function AssetLink({ k }: { k: string }) {
  return <Link className="mono" to={assetPath(k)}>{k}</Link>;
}

export function RunLink({ id }: { id: string }) {
  return <Link className="mono" to={`/runs/${id}`} title={id}>{id.slice(0, 8)}</Link>;
}

export function ErrorBox({ error, title }: { error: Error | string | undefined | null; title?: string }) {
  if (!error) return null;
  return (
    <div className="callout bad" role="alert">
      {title && <strong>{title}: </strong>}
      {typeof error === "string" ? error : error.message}
    </div>
  );
}

export function Loading({ what }: { what?: string }) {
  return <div className="loading">Loading{what ? ` ${what}` : ""}…</div>;
}

export function Empty({ children }: { children: ReactNode }) {
  return <div className="empty">{children}</div>;
}

/** A Python traceback: message first, then frames, then its cause; collapsible. */
export function StackTrace({ error, open }: { error: ErrorInfo; open?: boolean }) {
  return (
    <div className="stack">
      <div className="stack-msg">{error.message}</div>
      {error.stack.length > 0 && (
        <details open={open}>
          <summary>Stack trace ({error.stack.length} frames)</summary>
          <pre>{error.stack.join("")}</pre>
        </details>
      )}
      {error.cause && (
        <div className="stack-cause">
          <div className="muted small">The above was caused by:</div>
          <StackTrace error={error.cause} open={open} />
        </div>
      )}
    </div>
  );
}

export function PageHeader({ title, sub, actions }: { title: ReactNode; sub?: ReactNode; actions?: ReactNode }) {
  return (
    <header className="page-header">
      <div>
        <h1>{title}</h1>
        {sub && <div className="sub">{sub}</div>}
      </div>
      {actions && <div className="actions">{actions}</div>}
    </header>
  );
}

/** Page title in the browser tab. */
export function useTitle(title: string) {
  useEffect(() => {
    document.title = title ? `${title} · headwater` : "headwater";
  }, [title]);
}
