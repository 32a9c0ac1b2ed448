// What the webserver allows (from /api/health) and whether it can be reached: the
// permissions every action button reads, the read-only chip, and the connection banner.
import { createContext, useContext, useEffect, useState, type ReactNode } from "react";
import { retryNow, useConnection } from "./connection";
import { useApi } from "./util";

export interface Health {
  status: string;
  version: string;
  read_only: boolean;
  auth: boolean;
  can_write?: boolean;
  can_launch: boolean;
}

export interface Permissions {
  /** Whether the server accepts changes (cancel, delete, switches, backfills, reloads). */
  canWrite: boolean;
  /** Whether it launches runs (materialize, launch, re-execute, run checks). */
  canLaunch: boolean;
  readOnly: boolean;
  /** Why a refused action is disabled, for its tooltip. */
  writeReason: string | undefined;
  launchReason: string | undefined;
}

const READ_ONLY = "This webserver is read-only (started with --read-only): it shows everything and changes nothing.";
const NO_LAUNCHER = "This webserver cannot launch runs (it has no run launcher).";

// Until /api/health answers, offer everything: the server still refuses what it must.
const Ctx = createContext<Permissions>({ canWrite: true, canLaunch: true, readOnly: false, writeReason: undefined, launchReason: undefined });

export function ServerProvider({ children }: { children: ReactNode }) {
  const { data } = useApi<Health>("/api/health");
  const readOnly = data?.read_only ?? false;
  const canWrite = data ? (data.can_write ?? !data.read_only) : true;
  const canLaunch = data ? data.can_launch && canWrite : true;
  const value: Permissions = {
    canWrite, canLaunch, readOnly,
    writeReason: canWrite ? undefined : READ_ONLY,
    launchReason: canLaunch ? undefined : readOnly || !canWrite ? READ_ONLY : NO_LAUNCHER,
  };
  return <Ctx.Provider value={value}>{children}</Ctx.Provider>;
}

export const usePermissions = () => useContext(Ctx);

export function ReadOnlyChip() {
  const { readOnly } = usePermissions();
  if (!readOnly) return null;
  return <span className="chip read-only-chip" title={READ_ONLY}>Read-only</span>;
}

/** One banner for the whole page while the server cannot be reached. */
export function ConnectionBanner() {
  const { online, retryAt } = useConnection();
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (online) return;
    const id = window.setInterval(() => setNow(Date.now()), 500);
    return () => window.clearInterval(id);
  }, [online]);
  if (online) return null;
  const wait = retryAt ? Math.max(0, Math.ceil((retryAt - now) / 1000)) : 0;
  return (
    <div className="connection-banner" role="alert">
      <strong>Cannot reach the webserver.</strong>{" "}
      {wait > 0 ? `Retrying in ${wait} s…` : "Retrying…"} Pages will refresh once it answers.{" "}
      <button type="button" className="link" onClick={retryNow}>Retry now</button>
    </div>
  );
}
