// The asset's events, newest first: materializations, observations and failures, each with
// its run and the run's status, filtered by type (kept in the URL) and paged ("Load older").
import { Fragment, useEffect, useState } from "react";
import { useSearchParams } from "react-router";
import { api, type ErrorInfo, type Page } from "../../api";
import { MetadataTable } from "../../components/Metadata";
import { Badge, Empty, ErrorBox, Loading, RunLink, Time, unlessUnreachable } from "../../util";
import { apiPath, type AssetEvent } from "./common";

const TYPES = ["materialization", "observation", "failure"] as const;
const PAGE = 25;
const LABEL: Record<AssetEvent["type"], string> = {
  materialization: "Materialized", observation: "Observed", failure: "Failed",
};

/** The user's own error under the engine's wrapping of it, first line. */
function rootCause(error: ErrorInfo): string {
  let e = error;
  while (e.cause) e = e.cause;
  return e.message.split("\n")[0];
}

export function EventsTab({ assetKey }: { assetKey: string }) {
  const [params, setParams] = useSearchParams();
  const shown = (params.get("types") ?? TYPES.join(",")).split(",").filter((t) => (TYPES as readonly string[]).includes(t));
  const types = shown.join(",");
  const [items, setItems] = useState<AssetEvent[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [hasMore, setHasMore] = useState(false);
  const [error, setError] = useState<Error>();
  const [open, setOpen] = useState<string | null>(null);

  const load = (after: string | null) => {
    const query = new URLSearchParams({ limit: String(PAGE), types });
    if (after) query.set("cursor", after);
    return api<Page<AssetEvent>>(`${apiPath(assetKey)}/events?${query}`).then((page) => {
      setItems((cur) => after && cur ? [...cur, ...page.items] : page.items);
      setCursor(page.cursor === null ? null : String(page.cursor));
      setHasMore(page.has_more);
      setError(undefined);
    }).catch(unlessUnreachable(setError));
  };
  useEffect(() => {
    setItems(null);
    if (types) load(null);
    else setItems([]);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [assetKey, types]);

  const toggle = (t: string) => {
    const next = new URLSearchParams(params);
    const set = shown.includes(t) ? shown.filter((x) => x !== t) : [...shown, t];
    if (set.length === TYPES.length) next.delete("types");
    else next.set("types", TYPES.filter((x) => set.includes(x)).join(",") || "none");
    setParams(next, { replace: true });
  };
  const rowId = (e: AssetEvent) => `${e.type}-${e.id ?? e.run_id}`;

  return (
    <section className="card" aria-label="Events">
      <h2>Events</h2>
      <div className="row wrap" role="group" aria-label="Event types">
        {TYPES.map((t) => (
          <label key={t} className="check">
            <input type="checkbox" checked={shown.includes(t)} onChange={() => toggle(t)} /> {t}s
          </label>
        ))}
      </div>
      {error && <ErrorBox error={error} />}
      {items === null && !error && <Loading what="the events" />}
      {items && items.length === 0 && <Empty>No {shown.length === TYPES.length ? "events" : shown.map((t) => `${t}s`).join(" or ") || "event types chosen"} yet.</Empty>}
      {items && items.length > 0 && (
        <table className="data events-table" aria-label="Asset events">
          <thead><tr><th>Time</th><th>Event</th><th>Partition</th><th>Run</th><th>Details</th></tr></thead>
          <tbody>
            {items.map((e) => {
              const id = rowId(e);
              const numbers = Object.entries(e.metadata).filter(([, v]) => ["int", "float", "text", "bool"].includes(v.type ?? "")).slice(0, 3);
              const more = Object.keys(e.metadata).length > 0;
              return (
                <Fragment key={id}>
                  <tr data-event-type={e.type}>
                    <td><Time value={e.timestamp} /></td>
                    <td><span className={`badge tone-${e.type === "failure" ? "bad" : e.type === "observation" ? "none" : "ok"}`}>{LABEL[e.type]}</span></td>
                    <td className="mono">{e.partition ?? "—"}</td>
                    <td><RunLink id={e.run_id} /> {e.run_status && <Badge status={e.run_status} />} {e.job_name && <span className="muted small mono">{e.job_name}</span>}</td>
                    <td className="small">
                      {e.error && <span className="bad-text">{rootCause(e.error)}</span>}
                      {numbers.map(([k, v]) => `${k}: ${String(v.value)}`).join(" · ")}
                      {more && <> <button type="button" className="link small" aria-expanded={open === id} onClick={() => setOpen(open === id ? null : id)}>{open === id ? "hide metadata" : "metadata"}</button></>}
                    </td>
                  </tr>
                  {open === id && (
                    <tr className="event-metadata"><td colSpan={5}><MetadataTable metadata={e.metadata} /></td></tr>
                  )}
                </Fragment>
              );
            })}
          </tbody>
        </table>
      )}
      {hasMore && <button type="button" className="ghost" onClick={() => load(cursor)}>Load older events</button>}
    </section>
  );
}
