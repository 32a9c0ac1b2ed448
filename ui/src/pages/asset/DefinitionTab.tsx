// The asset's definition: where it lives (with links to its source), its kinds, owners,
// partitions, IO manager, resources, tags and definition metadata.
import { Link } from "react-router";
import type { AssetDetail, Typed } from "../../api";
import { CodeReferences, MetadataTable } from "../../components/Metadata";
import { Empty } from "../../util";

export function DefinitionTab({ asset: a }: { asset: AssetDetail }) {
  const refs = a.metadata?.["headwater/code_references"] as Typed | undefined;
  const metadata = Object.fromEntries(Object.entries(a.metadata ?? {}).filter(([k]) => k !== "headwater/code_references"));
  return (
    <section className="card" aria-label="Definition">
      <h2>Definition</h2>
      {a.defined === false ? <Empty>Not defined by any loaded code location.</Empty> : (
      <dl className="facts">
        <dt>Group</dt><dd><Link to={`/assets?group=${encodeURIComponent(a.group ?? "default")}`}>{a.group ?? "default"}</Link></dd>
        <dt>Kinds</dt><dd>{a.kinds.length ? a.kinds.map((k) => <span key={k} className="chip">{k}</span>) : <span className="muted">—</span>}</dd>
        <dt>Owners</dt><dd>{a.owners.length ? a.owners.join(", ") : <span className="muted">—</span>}</dd>
        <dt>Code version</dt><dd className="mono">{a.code_version ?? <span className="muted">—</span>}</dd>
        <dt>Partitions</dt><dd>{a.partitions ? (a.partitions.description ?? a.partitions.type ?? a.partitions.kind) : <span className="muted">not partitioned</span>}</dd>
        <dt>IO manager</dt><dd className="mono">{a.io_manager_key ?? "io_manager"}</dd>
        <dt>Resources</dt><dd>{a.resources?.length ? a.resources.map((r) => <span key={r} className="chip mono">{r}</span>) : <span className="muted">none</span>}</dd>
        {a.op_name && <><dt>Op</dt><dd className="mono">{a.op_name}</dd></>}
        {a.source && <><dt>Defined in</dt><dd className="defined-in">{a.source.path
          ? <CodeReferences value={{ code_references: [{ kind: "local", file_path: a.source.path, line_number: a.source.line }] }} />
          : <span className="mono">{a.source.file}:{a.source.line}</span>}</dd></>}
        {refs !== undefined && <><dt>Source</dt><dd><CodeReferences value={refs.value as never} /></dd></>}
        {a.location && <><dt>Code location</dt><dd><Link to="/deployment">{a.location}</Link></dd></>}
        {a.tags && Object.keys(a.tags).length > 0 && <><dt>Tags</dt><dd>{Object.entries(a.tags).map(([k, v]) => <span key={k} className="chip mono">{k}={v}</span>)}</dd></>}
      </dl>)}
      {Object.keys(metadata).length > 0 && (
        <>
          <h3>Definition metadata</h3>
          <MetadataTable metadata={metadata as never} />
        </>
      )}
    </section>
  );
}
