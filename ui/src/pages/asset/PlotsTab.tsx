// Numeric metadata over time: one line plot per numeric metadata label of the asset's latest
// materializations and observations (each point one event, labelled with its partition).
import { useMemo } from "react";
import type { Page } from "../../api";
import { isNumeric } from "../../components/Metadata";
import { LinePlot, type Point } from "../../components/Plot";
import { Empty, ErrorBox, Loading, useApi } from "../../util";
import { apiPath, type AssetEvent } from "./common";

const LIMIT = 200;

export function PlotsTab({ assetKey }: { assetKey: string }) {
  const events = useApi<Page<AssetEvent>>(`${apiPath(assetKey)}/events?types=materialization,observation&limit=${LIMIT}`);
  const series = useMemo(() => {
    const out = new Map<string, Point[]>();
    for (const e of [...(events.data?.items ?? [])].reverse()) {
      for (const [label, item] of Object.entries(e.metadata)) {
        if (!isNumeric(item)) continue;
        const list = out.get(label) ?? [];
        list.push({ t: e.timestamp, v: item.value as number, label: e.partition ?? undefined });
        out.set(label, list);
      }
    }
    return [...out.entries()].sort(([a], [b]) => a.localeCompare(b));
  }, [events.data]);
  if (events.error) return <ErrorBox error={events.error} title="Could not load the asset's events" />;
  if (!events.data) return <Loading what="the metadata" />;
  return (
    <section className="card" aria-label="Plots">
      <h2>Numeric metadata over time</h2>
      {series.length === 0 ? <Empty>No numeric metadata in this asset's materializations or observations yet.</Empty> : (
        <div className="plots">
          {series.map(([label, points]) => (
            <div key={label} data-plot={label} data-points={points.length}>
              <LinePlot title={label} points={points} />
            </div>
          ))}
        </div>
      )}
      {events.data.has_more && <p className="muted small">Over the latest {LIMIT} materializations and observations.</p>}
    </section>
  );
}
