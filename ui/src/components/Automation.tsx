// An asset's Automation tab: its condition as a tree, its evaluations (newest first), and for
// the selected evaluation each node's truth (and partition counts) plus the runs it launched.
import { useState } from "react";
import { Link } from "react-router";
import { enc, type AssetAutomation, type AutomationEvaluation, type ConditionNode, type ResultNode } from "../api";
import { Badge, Empty, ErrorBox, Loading, RunLink, Time, useApi } from "../util";

const automationPath = (key: string) => `/api/assets/${key.split("/").map(enc).join("/")}/automation`;

function isResult(node: ConditionNode | ResultNode): node is ResultNode {
  return (node as ResultNode).true_count !== undefined;
}

function Truth({ node }: { node: ResultNode }) {
  // an `&` evaluates later parts only where earlier ones held: a node with no candidates was skipped
  if (node.candidate_count === 0) return <span className="truth skipped" data-truth="skipped" title="Not evaluated: an earlier part was already false">skipped</span>;
  const on = node.true_count > 0;
  const partitioned = node.true_partitions !== null;
  return (
    <span className={`truth ${on ? "is-true" : "is-false"}`} data-truth={on ? "true" : "false"}>
      {on ? "true" : "false"}
      {partitioned && <span className="muted small"> {node.true_count}/{node.candidate_count}</span>}
    </span>
  );
}

function Tree({ node, depth = 0 }: { node: ConditionNode | ResultNode; depth?: number }) {
  const result = isResult(node) ? node : null;
  return (
    <li role="treeitem" aria-level={depth + 1} aria-expanded={node.children.length ? true : undefined}
      data-condition={node.label ?? node.description}
      data-truth={result ? (result.candidate_count === 0 ? "skipped" : result.true_count > 0 ? "true" : "false") : undefined}>
      <div className="cond-node">
        {result && <Truth node={result} />}
        <span className="strong">{node.label ?? node.description}</span>
        <span className="mono muted small">{node.condition}</span>
        {result?.true_partitions && result.true_partitions.length > 0 && (
          <span className="muted small" title={result.true_partitions.join(", ")}>
            {result.true_partitions.slice(0, 3).join(", ")}{result.true_partitions.length > 3 ? " …" : ""}
          </span>
        )}
      </div>
      {node.children.length > 0 && (
        <ul role="group">{node.children.map((c, i) => <Tree key={i} node={c} depth={depth + 1} />)}</ul>
      )}
    </li>
  );
}

export function ConditionTree({ node, name }: { node: ConditionNode | ResultNode; name: string }) {
  return <ul className="cond-tree" role="tree" aria-label={name}><Tree node={node} /></ul>;
}

function Evaluation({ path, id }: { path: string; id: number }) {
  const ev = useApi<AutomationEvaluation>(`${path}/evaluations/${id}`);
  if (ev.error) return <ErrorBox error={ev.error} />;
  if (!ev.data) return <Loading what="the evaluation" />;
  const e = ev.data;
  return (
    <div data-evaluation={e.evaluation_id}>
      <p className="muted">
        <Time value={e.timestamp} /> · sensor <Link to={`/sensors/${encodeURIComponent(e.sensor)}`}>{e.sensor}</Link> ·{" "}
        {e.num_requested > 0 ? <b>requested {e.num_requested}</b> : "nothing requested"}
      </p>
      <ConditionTree node={e.result} name="Evaluation result" />
      <h3>Launched</h3>
      {e.runs.length === 0 && e.backfill_ids.length === 0 ? <p className="muted">No runs were launched by this evaluation.</p> : (
        <ul className="plain" aria-label="Launched runs">
          {e.runs.map((r) => <li key={r.run_id}><RunLink id={r.run_id} /> {r.status && <Badge status={r.status} />}</li>)}
          {e.backfill_ids.map((b) => <li key={b}>backfill <Link className="mono" to="/deployment#backfills">{b}</Link></li>)}
        </ul>
      )}
    </div>
  );
}

export function AutomationTab({ assetKey }: { assetKey: string }) {
  const path = automationPath(assetKey);
  const info = useApi<AssetAutomation>(path, 10000);
  const [picked, setPicked] = useState<number | null>(null);
  if (info.error) return <ErrorBox error={info.error} />;
  if (!info.data) return <Loading what="automation" />;
  const a = info.data;
  if (!a.condition) {
    return <Empty>This asset has no automation condition. Give it one with <span className="mono">automation_condition=AutomationCondition.eager()</span> (or on_cron, on_missing, …).</Empty>;
  }
  const items = a.evaluations.items;
  const selected = picked ?? items[0]?.evaluation_id ?? null;
  return (
    <div className="grid-2 automation-tab">
      <section className="card">
        <h2>Condition</h2>
        <p className="muted">
          {a.sensor ? <>Evaluated by <Link to={`/sensors/${encodeURIComponent(a.sensor.name)}`}>{a.sensor.name}</Link> ({a.sensor.status})</> : "No automation sensor evaluates it."}
        </p>
        {selected === null ? <ConditionTree node={a.condition} name="Automation condition" /> : <Evaluation key={selected} path={path} id={selected} />}
      </section>
      <section className="card">
        <h2>Evaluations</h2>
        {items.length === 0 ? <Empty>No evaluations yet: they appear once the daemon ticks the sensor.</Empty> : (
          <table className="data" aria-label="Automation evaluations">
            <thead><tr><th>Time</th><th>Requested</th><th>Runs</th></tr></thead>
            <tbody>
              {items.map((e) => (
                <tr key={e.evaluation_id} className={e.evaluation_id === selected ? "selected" : ""} aria-selected={e.evaluation_id === selected}>
                  <td><button type="button" className="ghost small" onClick={() => setPicked(e.evaluation_id)}><Time value={e.timestamp} /></button></td>
                  <td>{e.num_requested}</td>
                  <td>{e.run_ids.map((r) => <div key={r}><RunLink id={r} /></div>)}{e.backfill_ids.length > 0 && <span className="muted small">{e.backfill_ids.length} backfill(s)</span>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </div>
  );
}
