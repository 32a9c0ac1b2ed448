// The webserver's JSON API: fetch helpers, the access token, and the shapes the pages read.
import { connectionLost } from "./connection";

const TOKEN_KEY = "headwater.token";

/** The access token: from `?token=` on first load (then kept for the tab), else none. */
export function token(): string | null {
  const fromUrl = new URLSearchParams(window.location.search).get("token");
  if (fromUrl) sessionStorage.setItem(TOKEN_KEY, fromUrl);
  return fromUrl ?? sessionStorage.getItem(TOKEN_KEY);
}

export class ApiError extends Error {
  constructor(public status: number, message: string, public body: unknown) {
    super(message);
  }
}

/** The request got no answer at all (status 0): the connection banner speaks for it. */
export const isUnreachable = (e: unknown) => e instanceof ApiError && e.status === 0;

function messageOf(body: unknown, fallback: string): string {
  if (body && typeof body === "object") {
    const detail = (body as { detail?: unknown; message?: unknown }).detail
      ?? (body as { message?: unknown }).message;
    if (typeof detail === "string") return detail;
    if (Array.isArray(detail)) {
      return detail.map((d) => (typeof d === "object" && d && "msg" in d
        ? `${(d as { loc?: unknown[] }).loc?.join(".") ?? ""}: ${(d as { msg: string }).msg}`
        : String(d))).join("; ");
    }
    if (detail && typeof detail === "object" && "message" in detail) {
      return String((detail as { message: unknown }).message);
    }
  }
  return fallback;
}

/**
 * Sent on every request: the webserver refuses a change (POST, DELETE, ...) that carries
 * neither this header nor a JSON body, which is what keeps other sites' forms out.
 */
export const REQUEST_HEADER = "X-Headwater-Request";

export async function api<T>(path: string, init?: RequestInit & { json?: unknown }): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json", [REQUEST_HEADER]: "1" };
  const t = token();
  if (t) headers.Authorization = `Bearer ${t}`;
  let body = init?.body;
  if (init?.json !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(init.json);
  }
  let res: Response;
  let text: string;
  try {
    res = await fetch(path, { ...init, headers: { ...headers, ...(init?.headers ?? {}) }, body });
    text = await res.text();
  } catch {
    connectionLost();
    throw new ApiError(0, "The webserver cannot be reached; retrying until it answers.", null);
  }
  let data: unknown = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = text;
  }
  if (!res.ok) throw new ApiError(res.status, messageOf(data, `${res.status} ${res.statusText}`), data);
  return data as T;
}

export const post = <T>(path: string, json?: unknown) => api<T>(path, { method: "POST", json: json ?? {} });

/** A URL for EventSource, which cannot send headers: the token goes in the query string. */
export function streamUrl(path: string): string {
  const t = token();
  if (!t) return path;
  return `${path}${path.includes("?") ? "&" : "?"}token=${encodeURIComponent(t)}`;
}

export const enc = (key: string) => encodeURIComponent(key);

// ---- shapes -------------------------------------------------------------------------------

export interface Page<T> {
  items: T[];
  cursor: string | number | null;
  has_more: boolean;
}

export type AssetStatus = "never" | "materialized" | "failed" | "in_progress" | "stale" | "fresh";

export interface AssetSummary {
  key: string;
  group: string | null;
  kinds: string[];
  owners: string[];
  deps: string[];
  description: string | null;
  is_executable: boolean;
  partitions: { kind?: string; type?: string; count?: number | null; description?: string } | null;
  status: AssetStatus;
  latest: { run_id: string; timestamp: number; partition: string | null } | null;
  location: string | null;
  /** Counts of the asset's checks by their latest result; null when it has no checks. */
  check_summary?: CheckSummary | null;
  /** Its code location failed to load: this is its last good definition. */
  location_stale?: boolean;
  /** MISSING, STALE or FRESH (definitions/assets/staleness.py), with the causes in words. */
  stale_status?: "MISSING" | "STALE" | "FRESH";
  stale_causes?: StaleCause[];
}

/** One row of the asset catalog (GET /api/catalog). */
export interface CatalogRow {
  key: string;
  group: string | null;
  kinds: string[];
  owners: string[];
  tags: Record<string, string>;
  description: string | null;
  is_executable: boolean;
  location: string;
  status: AssetStatus;
  stale_status: "MISSING" | "STALE" | "FRESH";
  latest: { run_id: string; timestamp: number; partition: string | null } | null;
  partitions: { kind: string; count: number | null; materialized: number; failed: number;
    in_progress: number; missing: number | null } | null;
  check_summary: CheckSummary | null;
}

/** A page of the catalog: the filtered total, every asset's count and the filters' choices. */
export interface CatalogPage extends Page<CatalogRow> {
  total: number;
  all: number;
  facets: Record<"group" | "kind" | "owner" | "tag" | "location" | "status", Record<string, number>>;
}

/** One reason an asset is stale. */
export interface StaleCause {
  key: string;
  partition: string | null;
  category: "CODE" | "DATA" | "DEPENDENCIES";
  kind: string;
  reason: string;
  dependency: string | null;
  dependency_partition: string | null;
  evidence: Record<string, string | null>;
  text: string;
}

/** `GET /api/assets/{key}/explain`: the sections of `headwater asset explain`. */
export interface Explanation {
  key: string;
  partition: string | null;
  sections: { title: string; lines: string[]; data: Record<string, unknown> }[];
}

/** Where a check's latest execution puts it (server/assets/checks.py). */
export type CheckResult = "passed" | "warn" | "failed" | "in_progress" | "not_run";

export type CheckSummary = Record<CheckResult, number> & { total: number };

export interface CheckExecution {
  id: number;
  run_id: string | null;
  status: string;
  result: CheckResult;
  partition: string | null;
  timestamp: number;
  update_timestamp: number | null;
  passed: boolean | null;
  severity: "WARN" | "ERROR" | null;
  description: string | null;
  metadata: Record<string, Typed>;
  target_materialization: { run_id: string; storage_id: number | null; timestamp: number | null } | null;
}

export interface AssetCheck {
  key: string;
  name: string;
  asset_key: string;
  description: string | null;
  blocking: boolean;
  additional_deps: string[];
  metadata: Record<string, Typed>;
  in_asset_step: boolean;
  result: CheckResult;
  latest: CheckExecution | null;
}

/** A check a run planned, and what it evaluated to. */
export interface RunCheck {
  key: string;
  asset_key: string;
  name: string;
  step_key: string | null;
  partition: string | null;
  status: string;
  result: CheckResult;
  passed: boolean | null;
  severity: "WARN" | "ERROR" | null;
  description: string | null;
  metadata: Record<string, Typed>;
  timestamp: number;
}

export interface Typed {
  type: string | null;
  value: unknown;
}

export interface Materialization {
  id: number;
  run_id: string;
  timestamp: number;
  partition: string | null;
  description?: string | null;
  tags?: Record<string, string>;
  metadata: Record<string, Typed>;
}

export interface AssetDetail extends AssetSummary {
  code_version: string | null;
  io_manager_key: string | null;
  resources: string[] | null;
  metadata: Record<string, Typed> | Record<string, unknown>;
  latest_materialization: Materialization | null;
  upstream: string[];
  downstream: string[];
  source?: { file: string; line: number; path?: string } | null;
  op_name?: string | null;
  jobs?: string[];
  tags?: Record<string, string>;
  checks: AssetCheck[];
  /** False for a key that no loaded code location defines but whose events are stored. */
  defined?: boolean;
}

export interface Run {
  run_id: string;
  job_name: string;
  status: string;
  tags: Record<string, string>;
  run_config: Record<string, unknown>;
  asset_selection: string[] | null;
  /** The checks a launched run evaluates, when it was launched with a check selection. */
  asset_check_selection?: string[] | null;
  step_keys_to_execute: string[] | null;
  partition_key: string | null;
  parent_run_id: string | null;
  root_run_id: string | null;
  create_timestamp: number | null;
  update_timestamp: number | null;
  start_time: number | null;
  end_time: number | null;
}

export interface StepInfo {
  step_key: string;
  status: string;
  start: number | null;
  end: number | null;
  attempts: number;
  /** asset: materializes assets; check: only evaluates checks; op: anything else. */
  kind?: "asset" | "check" | "op";
  checks?: string[];
  /** Why a step was skipped (or stopped by a cancel), when known. */
  reason?: string | null;
}

export interface RunDetail extends Run {
  steps: StepInfo[];
  /** Who or what canceled the run (its first cancel request), null when nobody did. */
  cancellation?: { requested: number; message: string; canceled: number | null } | null;
  checks?: RunCheck[];
  location?: string | null;
}

export interface ErrorInfo {
  message: string;
  cls_name: string | null;
  stack: string[];
  cause: ErrorInfo | null;
}

export interface LogEvent {
  id: number;
  run_id: string;
  timestamp: number;
  type: string;
  level: string;
  step_key: string | null;
  asset_key: string | null;
  partition: string | null;
  message: string;
  error: ErrorInfo | null;
  metadata: Record<string, Typed>;
  data: Record<string, unknown>;
}

/** Which generation of a location's code one process serves (code/generation.py). */
export interface LocationProcess {
  process: "webserver" | "daemon" | string;
  generation: number;
  snapshot_id: string | null;
  error: string | null;
  last: number | null;
  running: boolean;
  current: boolean;
}

export interface Location {
  name: string;
  status: "loaded" | "error" | string;
  error: { message: string; file?: string | null; line?: number | null; traceback?: string | string[] | null } | null;
  snapshot_id: string | null;
  /** The code failed to load: the definitions shown are the last good ones. */
  stale?: boolean;
  loaded_at?: number | null;
  failed_at?: number | null;
  generation?: number;
  requested_generation?: number;
  processes?: LocationProcess[];
  /** Every running process serves the requested generation. */
  in_sync?: boolean;
  [extra: string]: unknown;
}

export interface JobNodeInput {
  name: string;
  type: string | null;
  from?: unknown;
  depends_on?: unknown;
  asset_key?: string | null;
}

export interface JobNode {
  name: string;
  op?: string;
  definition?: string;
  kind?: string;
  inputs: JobNodeInput[];
  outputs: { name: string; type: string | null; asset_key?: string | null }[];
  nodes?: JobNode[];
}

export interface JobSummary {
  name: string;
  description?: string | null;
  location?: string | null;
  is_asset_job?: boolean;
  asset_keys?: string[];
  partitions?: unknown;
  [extra: string]: unknown;
}

export interface JobDetail extends JobSummary {
  graph: { nodes: JobNode[] };
  /** Its code location failed to load: this is its last good definition. */
  location_stale?: boolean;
  run_config_schema: unknown;
  default_run_config: unknown;
}

export interface Tick {
  tick_id?: string | number;
  id?: string | number;
  timestamp: number;
  status: string;
  run_ids?: string[];
  skip_reason?: string | null;
  error?: ErrorInfo | { message: string } | string | null;
  [extra: string]: unknown;
}

export interface Instigator {
  name: string;
  job: string | null;
  cron?: string | null;
  interval?: number | null;
  status: string;
  next_ticks?: number[];
  last_tick?: Tick | null;
  description?: string | null;
  location?: string | null;
  /** Running, but defined by no loaded code location: it can only be stopped. */
  unloadable?: boolean;
  /** Sensors: the stored cursor the next tick starts from. */
  cursor?: string | null;
  [extra: string]: unknown;
}

// Declarative automation: a condition tree (from the definitions) and an evaluation's result tree.
export interface ConditionNode {
  label: string | null;
  description: string;
  condition: string;
  children: ConditionNode[];
}

export interface ResultNode extends ConditionNode {
  key?: string | null;
  true_count: number;
  candidate_count: number;
  true_partitions: string[] | null;
  children: ResultNode[];
}

export interface AutomationEvaluationSummary {
  evaluation_id: number;
  key: string;
  timestamp: number;
  num_requested: number;
  run_ids: string[];
  backfill_ids: string[];
  sensor: string;
}

export interface AutomationEvaluation extends AutomationEvaluationSummary {
  result: ResultNode;
  runs: { run_id: string; status: string | null }[];
}

export interface AssetAutomation {
  key: string;
  condition: ConditionNode | null;
  sensor: { name: string; location: string; status: string; interval: number | null } | null;
  checks: { name: string; key: string; has_condition: boolean }[];
  evaluations: Page<AutomationEvaluationSummary>;
}

/** Where one partition of a backfill is, from its newest run (server/backfill.py). */
export type BackfillPartitionStatus = "not_launched" | "queued" | "in_progress" | "succeeded" | "failed" | "canceled";

/** A backfill with its progress (GET /api/backfills). */
export interface BackfillSummary {
  backfill_id: string;
  /** REQUESTED, CANCELING, CANCELED, COMPLETED_SUCCESS or COMPLETED_FAILED. */
  status: string;
  timestamp: number;
  end_timestamp: number | null;
  job_name: string | null;
  asset_selection: string[];
  location: string | null;
  requested_by: string | null;
  single_run: boolean;
  num_partitions: number;
  counts: Record<BackfillPartitionStatus, number>;
  tags: Record<string, string>;
}

/** One backfill: each partition's status and runs (GET /api/backfills/{id}). */
export interface BackfillDetail extends BackfillSummary {
  partitions_type: string | null;
  partitions: { key: string; status: BackfillPartitionStatus; run_ids: string[] }[];
  runs: { run_id: string; status: string; partition_key: string | null }[];
}

/** What requested a run: one of its schedule or sensor (none: launched by hand). */
export interface LaunchedBy {
  kind: "schedule" | "sensor";
  name: string;
}

/** One run on the overview timeline, from its start (its creation while queued) to its end
 * (for a run still going: the time of the answer, "now"). */
export interface TimelineRun {
  run_id: string;
  status: string;
  start: number;
  end: number;
  ongoing: boolean;
  queued: boolean;
  launched_by: LaunchedBy | null;
}

export interface TimelineRow {
  /** The code location the job's runs were launched from; null for runs executed in process. */
  location: string | null;
  job_name: string;
  automations: LaunchedBy[];
  runs: TimelineRun[];
}

export interface Timeline {
  start: number;
  end: number;
  now: number;
  rows: TimelineRow[];
  run_count: number;
  truncated: boolean;
}
