// Metadata values by type: table schemas and tables as tables, markdown formatted (sanitised), JSON as text,
// URLs, paths, runs and assets as links.
import { Link } from "react-router";
import type { Typed } from "../api";
import { assetPath, fmtTime } from "../util";
import { Markdown } from "./Markdown";

interface Column { name: string; type: string; description?: string | null;
  constraints?: { nullable?: boolean; unique?: boolean; other?: string[] } }

export function SchemaTable({ schema }: { schema: { columns?: Column[] } }) {
  const cols = schema?.columns ?? [];
  return (
    <table className="data compact schema-table">
      <thead><tr><th>Column</th><th>Type</th><th>Description</th><th>Constraints</th></tr></thead>
      <tbody>
        {cols.map((c) => (
          <tr key={c.name}>
            <td className="mono">{c.name}</td>
            <td className="mono muted">{c.type}</td>
            <td>{c.description ?? ""}</td>
            <td className="small">
              {[c.constraints?.nullable === false ? "not null" : null, c.constraints?.unique ? "unique" : null,
                ...(c.constraints?.other ?? [])].filter(Boolean).join(", ")}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function RecordsTable({ value }: { value: { records?: Record<string, unknown>[]; schema?: { columns?: Column[] } } }) {
  const records = value.records ?? [];
  const names = value.schema?.columns?.length ? value.schema.columns.map((c) => c.name)
    : [...new Set(records.flatMap((r) => Object.keys(r)))];
  return (
    <table className="data compact">
      <thead><tr>{names.map((n) => <th key={n}>{n}</th>)}</tr></thead>
      <tbody>
        {records.slice(0, 200).map((r, i) => (
          <tr key={i}>{names.map((n) => <td key={n} className="mono">{String(r[n] ?? "")}</td>)}</tr>
        ))}
      </tbody>
    </table>
  );
}

interface CodeRef { kind: "local" | "url"; file_path?: string; line_number?: number | null;
  url?: string; label?: string | null }

// An asset's code references (LocalFileCodeReference, UrlCodeReference) as links: a URL opens
// in a new tab, a local file opens in the editor (vscode://file/PATH:LINE) and shows PATH:LINE.
export function CodeReferences({ value }: { value: { code_references?: CodeRef[] } }) {
  const refs = value?.code_references ?? [];
  if (!refs.length) return <span className="muted">none</span>;
  return (
    <ul className="plain code-references">
      {refs.map((r, i) => {
        if (r.kind === "url" && r.url) {
          return <li key={i}><a href={r.url} target="_blank" rel="noreferrer">{r.label || r.url}</a></li>;
        }
        const where = `${r.file_path ?? ""}${r.line_number ? `:${r.line_number}` : ""}`;
        return (
          <li key={i}>
            <a className="mono" href={`vscode://file/${where.replace(/^\//, "")}`} title="Open in the editor">{r.label || where}</a>
            {r.label && <span className="muted small mono"> {where}</span>}
          </li>
        );
      })}
    </ul>
  );
}

export function MetadataValue({ item }: { item: Typed }) {
  const v = item.value as never;
  switch (item.type) {
    case "table_schema": return <SchemaTable schema={v} />;
    case "table": return <RecordsTable value={v} />;
    case "code_references": return <CodeReferences value={v} />;
    case "json": return <pre className="code">{JSON.stringify(v, null, 2)}</pre>;
    case "md": return <Markdown text={String(v)} />;
    case "url": return <a href={String(v)} target="_blank" rel="noreferrer">{String(v)}</a>;
    case "path": case "notebook": return <span className="mono">{String(v)}</span>;
    case "headwater_run": return <Link className="mono" to={`/runs/${v}`}>{String(v)}</Link>;
    case "asset": return <Link className="mono" to={assetPath(String(v))}>{String(v)}</Link>;
    case "timestamp": return <span>{fmtTime(Number(v))}</span>;
    case "int": case "float": return <span className="num">{typeof v === "number" ? (v as number).toLocaleString() : String(v)}</span>;
    case "bool": return <span>{String(v)}</span>;
    case "null": return <span className="muted">null</span>;
    case "text": return <span>{String(v)}</span>;
    default: return <span className="mono small">{typeof v === "object" ? JSON.stringify(v) : String(v)}</span>;
  }
}

export function MetadataTable({ metadata }: { metadata: Record<string, Typed> }) {
  const entries = Object.entries(metadata);
  if (!entries.length) return <p className="muted">No metadata.</p>;
  return (
    <table className="data metadata">
      <tbody>
        {entries.map(([label, item]) => (
          <tr key={label}>
            <th scope="row">{label}<div className="muted small">{item.type}</div></th>
            <td><MetadataValue item={item} /></td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export const isNumeric = (item: Typed | undefined) =>
  !!item && (item.type === "int" || item.type === "float") && typeof item.value === "number";
