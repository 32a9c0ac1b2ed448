// Schedules, sensors and automation condition sensors: list with on/off switches, next ticks,
// test ticks and sensor cursors; one instigator's ticks.
import { useState } from "react";
import { Link, useParams } from "react-router";
import { post, type Instigator, type Page, type Tick } from "../api";
import { CursorControl, TestTickButton } from "../components/TestTick";
import { usePermissions } from "../server";
import { useToast } from "../toast";
import { ago, assetPath, Badge, Empty, ErrorBox, fmtDuration, Loading, PageHeader, RunLink, Time, useApi, useTitle } from "../util";

type Kind = "schedules" | "sensors";

function Toggle({ kind, item, onDone }: { kind: Kind; item: Instigator; onDone: () => void }) {
  const toast = useToast();
  const { writeReason } = usePermissions();
  const [busy, setBusy] = useState(false);
  const on = item.status === "running";
  const flip = async () => {
    setBusy(true);
    try {
      await post(`/api/${kind}/${encodeURIComponent(item.name)}/${on ? "stop" : "start"}`);
      toast("ok", `${kind === "schedules" ? "Schedule" : "Sensor"} ${item.name} ${on ? "stopped" : "started"}.`);
      onDone();
    } catch (e) {
      toast("bad", <span>Could not {on ? "stop" : "start"} {item.name}: {(e as Error).message}</span>);
    } finally {
      setBusy(false);
    }
  };
  return (
    <button type="button" role="switch" aria-checked={on} aria-label={`${on ? "Stop" : "Start"} ${item.name}`}
      className={`switch${on ? " on" : ""}`} disabled={busy || !!writeReason || (!on && !!item.unloadable)}
      title={writeReason ?? (item.unloadable ? (on ? `No loaded code location defines ${item.name}: stop it` : `No loaded code location defines ${item.name}`) : undefined)} onClick={flip} data-instigator={item.name}>
      <span className="knob" />
    </button>
  );
}

function tickError(t: Tick | null | undefined): string | null {
  if (!t?.error) return null;
  if (typeof t.error === "string") return t.error;
  return (t.error as { message?: string }).message ?? JSON.stringify(t.error);
}

function LastTick({ tick }: { tick: Tick | null | undefined }) {
  if (!tick) return <span className="muted">no ticks yet</span>;
  return (
    <span>
      <Badge status={tick.status} /> <span className="muted small">{ago(tick.timestamp)}</span>
      {tick.skip_reason && <div className="small muted">{tick.skip_reason}</div>}
      {tickError(tick) && <div className="small bad-text">{tickError(tick)}</div>}
    </span>
  );
}

function Table({ kind, items, reload }: { kind: Kind; items: Instigator[]; reload: () => void }) {
  return (
    <table className="data">
      <thead>
        <tr><th>On</th><th>Name</th><th>Job</th><th>{kind === "schedules" ? "Cron" : "Interval"}</th><th>{kind === "schedules" ? "Next ticks" : "Cursor"}</th><th>Last tick</th><th><span className="sr-only">Actions</span></th></tr>
      </thead>
      <tbody>
        {items.map((s) => (
          <tr key={s.name} data-name={s.name}>
            <td><Toggle kind={kind} item={s} onDone={reload} /></td>
            <td><Link className="strong" to={`/${kind}/${encodeURIComponent(s.name)}`}>{s.name}</Link>{s.description && <div className="muted small">{s.description}</div>}
              {s.unloadable && <div className="small warn-text" data-unloadable="true">Running, but no loaded code location defines it (location {s.location}): the daemon cannot tick it; stop it.</div>}</td>
            <td>{s.job ? <Link to={`/jobs/${encodeURIComponent(s.job)}`}>{s.job}</Link> : <span className="muted">—</span>}</td>
            <td className="mono">{kind === "schedules" ? <>{s.cron}{s.timezone ? <div className="muted small">{String(s.timezone)}</div> : null}</> : s.interval ? `every ${fmtDuration(s.interval)}` : "—"}</td>
            <td className="small">{kind === "schedules" ? (s.status !== "running" ? <span className="muted">stopped</span> : (s.next_ticks ?? []).slice(0, 2).map((t) => <div key={String(t)}><Time value={t} /></div>)) : <CursorControl item={s} onDone={reload} compact />}</td>
            <td><LastTick tick={s.last_tick} /></td>
            <td><TestTickButton kind={kind} item={s} onDone={reload} /></td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function AutomationSensors({ items, reload }: { items: Instigator[]; reload: () => void }) {
  return (
    <table className="data" aria-label="Automation condition sensors">
      <thead><tr><th>On</th><th>Name</th><th>Evaluates</th><th>Interval</th><th>Last tick</th><th><span className="sr-only">Actions</span></th></tr></thead>
      <tbody>
        {items.map((s) => {
          const keys = (s.evaluated_keys as string[] | undefined) ?? [];
          return (
            <tr key={s.name} data-name={s.name}>
              <td><Toggle kind="sensors" item={s} onDone={reload} /></td>
              <td><Link className="strong" to={`/sensors/${encodeURIComponent(s.name)}`}>{s.name}</Link>{s.description && <div className="muted small">{s.description}</div>}</td>
              <td className="small">{keys.slice(0, 5).map((k) => <Link key={k} className="chip mono" to={assetPath(k.split(":")[0]) + "?tab=automation"}>{k}</Link>)}{keys.length > 5 && <span className="muted"> and {keys.length - 5} more</span>}</td>
              <td className="mono">{s.interval ? `every ${fmtDuration(s.interval)}` : "—"}</td>
              <td><LastTick tick={s.last_tick} /></td>
              <td><TestTickButton kind="sensors" item={s} onDone={reload} /></td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

export function AutomationPage() {
  useTitle("Automation");
  const schedules = useApi<Instigator[]>("/api/schedules", 10000);
  const sensors = useApi<Instigator[]>("/api/sensors", 10000);
  const automation = sensors.data?.filter((s) => s.kind === "automation") ?? [];
  const plain = sensors.data?.filter((s) => s.kind !== "automation") ?? [];
  return (
    <div className="page">
      <PageHeader title="Schedules & sensors" sub="Turn automation on or off; the daemon evaluates what is on. Times in your time zone." />
      <section className="card">
        <h2>Schedules</h2>
        <ErrorBox error={schedules.error} />
        {!schedules.data ? <Loading /> : schedules.data.length ? <Table kind="schedules" items={schedules.data} reload={schedules.reload} /> : <Empty>No schedules are defined.</Empty>}
      </section>
      <section className="card">
        <h2>Sensors</h2>
        <ErrorBox error={sensors.error} />
        {!sensors.data ? <Loading /> : plain.length ? <Table kind="sensors" items={plain} reload={sensors.reload} /> : <Empty>No sensors are defined.</Empty>}
      </section>
      <section className="card">
        <h2>Declarative automation</h2>
        <p className="muted small">Automation condition sensors evaluate the conditions of their assets and checks each tick and launch what is true.</p>
        {!sensors.data ? <Loading /> : automation.length ? <AutomationSensors items={automation} reload={sensors.reload} /> : <Empty>No asset or check has an automation condition.</Empty>}
      </section>
    </div>
  );
}

export function InstigatorPage({ kind }: { kind: Kind }) {
  const { name = "" } = useParams();
  useTitle(name);
  const list = useApi<Instigator[]>(`/api/${kind}`, 10000);
  const ticks = useApi<Page<Tick>>(`/api/${kind}/${encodeURIComponent(name)}/ticks?limit=100`, 10000);
  const item = list.data?.find((s) => s.name === name);
  return (
    <div className="page">
      <nav className="crumbs" aria-label="Breadcrumb"><Link to="/automation">Automation</Link> / <b>{name}</b></nav>
      <PageHeader title={name} sub={kind === "schedules" ? "Schedule" : "Sensor"}
        actions={item && <><TestTickButton kind={kind} item={item} onDone={() => { list.reload(); ticks.reload(); }} className="ghost" /> <span className="muted">{item.status === "running" ? "Running" : "Stopped"}</span> <Toggle kind={kind} item={item} onDone={list.reload} /></>} />
      <ErrorBox error={list.error} />
      {item && (
        <section className="card">
          <dl className="facts inline">
            <dt>Job</dt><dd>{item.job ? <Link to={`/jobs/${encodeURIComponent(item.job)}`}>{item.job}</Link> : "—"}</dd>
            {kind === "schedules" ? <><dt>Cron</dt><dd className="mono">{item.cron}</dd></> : <><dt>Minimum interval</dt><dd>{item.interval ? fmtDuration(item.interval) : "—"}</dd></>}
            {item.description && <><dt>Description</dt><dd>{item.description}</dd></>}
            {item.location && <><dt>Location</dt><dd>{item.location}</dd></>}
            {kind === "sensors" && <><dt>Cursor</dt><dd><CursorControl item={item} onDone={list.reload} /></dd></>}
          </dl>
          {kind === "schedules" && (
            <>
              <h3>Next ticks</h3>
              {item.status === "running" && item.next_ticks?.length ? <ul className="plain">{item.next_ticks.map((t) => <li key={String(t)}><Time value={t} /></li>)}</ul> : <p className="muted">Start the schedule to see its next ticks.</p>}
            </>
          )}
        </section>
      )}
      <section className="card">
        <h2>Tick history</h2>
        <ErrorBox error={ticks.error} />
        {!ticks.data ? <Loading /> : ticks.data.items.length === 0 ? <Empty>No ticks yet. Ticks appear once the daemon evaluates this {kind === "schedules" ? "schedule" : "sensor"}.</Empty> : (
          <table className="data">
            <thead><tr><th>Time</th><th>Status</th><th>Runs</th><th>Skip reason / error</th></tr></thead>
            <tbody>
              {ticks.data.items.map((t, i) => (
                <tr key={String(t.tick_id ?? i)}>
                  <td><Time value={t.timestamp} />{t.manual ? <span className="chip small" title="Launched by hand from a test tick">manual</span> : null}</td>
                  <td><Badge status={t.status} /></td>
                  <td>{(t.run_ids ?? []).map((r) => <div key={r}><RunLink id={r} /></div>)}</td>
                  <td className="small">{t.skip_reason ?? ""}{tickError(t) && <pre className="code bad-text">{tickError(t)}</pre>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </div>
  );
}
