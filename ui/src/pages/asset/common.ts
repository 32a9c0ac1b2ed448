// What the asset page's tabs share: the asset key from the URL and the asset's API path.
import { useLocation } from "react-router";
import { enc, type ErrorInfo, type Typed } from "../../api";

/** The key of the asset page's URL, `/assets/a/b` -> "a/b". */
export function useAssetKey(): string {
  const { pathname } = useLocation();
  return pathname.replace(/^\/assets\/?/, "").replace(/\/$/, "").split("/").map(decodeURIComponent).join("/");
}

export const apiPath = (key: string) => `/api/assets/${key.split("/").map(enc).join("/")}`;

/** A link to a tab of an asset page (`extra` adds query parameters, e.g. a lineage depth). */
export function tabPath(key: string, tab: string, extra: Record<string, string> = {}): string {
  const params = new URLSearchParams(tab === "overview" ? extra : { tab, ...extra });
  const query = params.toString();
  return `/assets/${key.split("/").map(encodeURIComponent).join("/")}${query ? `?${query}` : ""}`;
}

/** One row of GET /api/assets/{key}/events. */
export interface AssetEvent {
  id: number | null;
  type: "materialization" | "observation" | "failure";
  run_id: string;
  timestamp: number;
  partition: string | null;
  description: string | null;
  metadata: Record<string, Typed>;
  error: ErrorInfo | null;
  run_status: string | null;
  job_name: string | null;
}
