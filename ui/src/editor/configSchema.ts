// What the run-config editor knows about the job's JSON schema and the YAML being typed: the
// key path at a position of block YAML (read from indentation, so it works on half-written
// text), the schema at a path, a type label and a description for hints, and where in the
// text a validation error's dotted path points.
import YAML, { isMap, isScalar, isSeq, type Node as YamlNode } from "yaml";

/** The subset of JSON Schema the server writes for run config (definitions/config/json_schema.py). */
export interface Schema {
  type?: string | string[];
  title?: string;
  description?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  items?: Schema;
  enum?: unknown[];
  anyOf?: Schema[];
  default?: unknown;
  minProperties?: number;
  maxProperties?: number;
}

/** A path segment standing for "an item of this list" (its index does not matter to the schema). */
export const ITEM = "[]";

const asSchema = (s: unknown): Schema | undefined => (s && typeof s === "object" && !Array.isArray(s) ? s as Schema : undefined);

/** The branch of `s` that describes a mapping, if any (a source type is "a value or {env: VAR}"). */
export function objectBranch(s: Schema | undefined): Schema | undefined {
  if (!s) return undefined;
  if (s.properties || s.type === "object" || (s.additionalProperties && typeof s.additionalProperties === "object")) return s;
  return s.anyOf?.map(objectBranch).find(Boolean);
}

function listBranch(s: Schema | undefined): Schema | undefined {
  if (!s) return undefined;
  if (s.type === "array" || s.items) return s;
  return s.anyOf?.map(listBranch).find(Boolean);
}

/** The schema of the value under `key` in a value described by `s`. */
export function childSchema(s: Schema | undefined, key: string): Schema | undefined {
  if (key === ITEM || /^\d+$/.test(key)) {
    const list = listBranch(s);
    if (list) return asSchema(list.items) ?? {};
    if (key === ITEM) return undefined;
  }
  const obj = objectBranch(s);
  if (!obj) return undefined;
  return asSchema(obj.properties?.[key]) ?? asSchema(obj.additionalProperties);
}

export function schemaAt(root: Schema | undefined, path: string[]): Schema | undefined {
  let s = root;
  for (const key of path) {
    s = childSchema(s, key);
    if (!s) return undefined;
  }
  return s;
}

/** Whether `key` must be given in a mapping described by `parent`. */
export const isRequired = (parent: Schema | undefined, key: string) => !!objectBranch(parent)?.required?.includes(key);

/** A short type: `integer`, `string or {env}`, `"a" | "b"`, `list of string`, `object`, `any`. */
export function typeLabel(s: Schema | undefined): string {
  if (!s) return "any";
  if (s.enum) return s.enum.map((v) => JSON.stringify(v)).join(" | ");
  if (s.anyOf) return [...new Set(s.anyOf.map(typeLabel))].join(" or ");
  if (s.properties && Object.keys(s.properties).length === 1 && s.properties.env) return "{env: VAR}";
  const type = Array.isArray(s.type) ? s.type.join(" or ") : s.type;
  if (type === "array") return s.items && Object.keys(s.items).length ? `list of ${typeLabel(s.items)}` : "list";
  if (type === "object" && s.additionalProperties && typeof s.additionalProperties === "object" && !s.properties) {
    return `map of ${typeLabel(s.additionalProperties)}`;
  }
  if (type) return type;
  return s.properties ? "object" : "any";
}

/** The values a field may take, when the schema lists them (enums, booleans). */
export function valueChoices(s: Schema | undefined): unknown[] {
  if (!s) return [];
  if (s.enum) return s.enum;
  if (s.anyOf) return s.anyOf.flatMap(valueChoices);
  if (s.type === "boolean") return [true, false];
  if (s.type === "null") return [null];
  return [];
}

/** A scalar as YAML writes it inline. */
export const yamlScalar = (v: unknown) => (v === null ? "null" : typeof v === "string" ? YAML.stringify(v).trimEnd() : JSON.stringify(v));

/** A mapping with named fields (completing its key opens a nested block, not a value). */
export const hasFields = (s: Schema | undefined) => !!s?.properties && Object.keys(s.properties).length > 0;

/** A list whose items are mappings with named fields (completing its key opens the first item). */
export const listOfFields = (s: Schema | undefined) => !s?.anyOf && hasFields(listBranch(s)?.items);

// ---- reading block YAML by its indentation ----

interface Line { text: string; start: number }

/** The start column of each "- " on a line and of the key after them, and that key. */
function shape(text: string): { dashes: number[]; col: number; key: string | null; rest: string } {
  const dashes: number[] = [];
  let i = 0;
  for (;;) {
    while (text[i] === " ") i++;
    if (text[i] === "-" && (text[i + 1] === " " || i + 1 === text.length)) {
      dashes.push(i);
      i++;
      continue;
    }
    break;
  }
  const m = /^((?:"[^"]*"|'[^']*'|[^\s#:'"{[][^:#]*?))\s*:(?:\s|$)/.exec(text.slice(i));
  if (!m) return { dashes, col: i, key: null, rest: text.slice(i) };
  return { dashes, col: i, key: m[1].replace(/^["']|["']$/g, ""), rest: text.slice(i + m[0].length) };
}

function linesOf(text: string): Line[] {
  const out: Line[] = [];
  let start = 0;
  for (const t of text.split("\n")) {
    out.push({ text: t, start });
    start += t.length + 1;
  }
  return out;
}

const blank = (t: string) => /^\s*(#.*)?$/.test(t);

/** The keys (and list items, as ITEM) that contain column `col` of line `index`. */
function ancestors(lines: Line[], index: number, col: number, ownDashes: number[]): string[] {
  const path: string[] = [];
  let limit = col;
  // A list may sit at its key's own column (`key:` then `- item` below it, not indented).
  let inList = false;
  const dashes = (ds: number[]) => {
    for (const d of [...ds].reverse()) if (d < limit) {
      path.unshift(ITEM);
      limit = d;
      inList = true;
    }
  };
  dashes(ownDashes);
  for (let i = index - 1; i >= 0 && (limit > 0 || inList); i--) {
    if (blank(lines[i].text)) continue;
    const s = shape(lines[i].text);
    const opens = s.key !== null && blank(s.rest);
    if (s.key !== null && (s.col < limit || (inList && opens && s.col === limit && !s.dashes.length))) {
      path.unshift(s.key);
      limit = s.col;
      inList = false;
    } else if (s.key === null && s.col < limit && !s.dashes.length) {
      break; // text YAML cannot nest under (a flow value or a stray scalar): give up
    }
    dashes(s.dashes);
  }
  return path;
}

function lineAt(lines: Line[], pos: number): number {
  let i = 0;
  while (i + 1 < lines.length && lines[i + 1].start <= pos) i++;
  return i;
}

export type Place =
  | { kind: "key"; path: string[]; from: number; col: number; siblings: Set<string> }
  | { kind: "value"; path: string[]; from: number };

/** What the cursor at `pos` is typing: a key of the mapping at `path`, or the value of `path`.
 * Null inside flow (JSON-style) collections and comments, which get no completion. */
export function placeAt(text: string, pos: number): Place | null {
  const lines = linesOf(text);
  const index = lineAt(lines, pos);
  const line = lines[index];
  const before = line.text.slice(0, pos - line.start);
  if (/[{}[\]#]/.test(before) || text.trimStart().startsWith("{")) return null;
  const s = shape(before);
  if (s.key !== null) {
    if (/["']/.test(s.rest) || /:\s/.test(s.rest)) return null;
    const word = /[^\s]*$/.exec(s.rest)![0];
    return { kind: "value", path: [...ancestors(lines, index, s.col, s.dashes), s.key], from: pos - word.length };
  }
  if (!/^[\w.-]*$/.test(s.rest)) return null;
  const path = ancestors(lines, index, s.col, s.dashes);
  return { kind: "key", path, from: pos - s.rest.length, col: s.col, siblings: siblingKeys(lines, index, s.col, s.dashes) };
}

/** Keys already written at column `col` around line `index` (the same mapping; a line that
 * starts a list item there starts its own mapping). */
function siblingKeys(lines: Line[], index: number, col: number, ownDashes: number[]): Set<string> {
  const out = new Set<string>();
  const outer = (s: ReturnType<typeof shape>) => s.col < col || s.dashes.some((d) => d < col);
  if (!ownDashes.some((d) => d < col)) {
    for (let i = index - 1; i >= 0; i--) {
      if (blank(lines[i].text)) continue;
      const s = shape(lines[i].text);
      if (s.key !== null && s.col === col) out.add(s.key);
      if (outer(s)) break;
    }
  }
  for (let i = index + 1; i < lines.length; i++) {
    if (blank(lines[i].text)) continue;
    const s = shape(lines[i].text);
    if (outer(s)) break;
    if (s.key !== null && s.col === col) out.add(s.key);
  }
  return out;
}

/** The key under `pos` (for hover): its path and where it is written. */
export function keyAt(text: string, pos: number): { path: string[]; from: number; to: number } | null {
  const lines = linesOf(text);
  const index = lineAt(lines, pos);
  const line = lines[index];
  if (text.trimStart().startsWith("{")) return null;
  const s = shape(line.text);
  if (s.key === null) return null;
  const from = line.start + s.col;
  const raw = /^("[^"]*"|'[^']*'|[^:#]*?)\s*:/.exec(line.text.slice(s.col));
  const to = from + (raw ? raw[1].length : s.key.length);
  if (pos < from || pos > to) return null;
  return { path: [...ancestors(lines, index, s.col, s.dashes), s.key], from, to };
}

// ---- where a validation error points ----

type Range = [number, number];

const nodeRange = (n: unknown): Range | null => {
  const r = (n as YamlNode | null)?.range;
  return r && r[1] > r[0] ? [r[0], r[1]] : null;
};

/** The text range a server error at dotted `path` (`ops.make.config.n`, `items[0]`) points to:
 * the offending value, the unexpected key its message names, or the deepest key written. */
export function errorRange(doc: YAML.Document.Parsed, path: string, message: string): Range | null {
  const segments = path.split(/\.|\[(\d+)\]/).filter((s) => s !== undefined && s !== "");
  let node: unknown = doc.contents;
  let last: Range | null = null;
  let complete = true;
  for (const seg of segments) {
    if (isMap(node)) {
      const pair = node.items.find((p) => String(isScalar(p.key) ? p.key.value : p.key) === seg);
      if (!pair) { complete = false; break; }
      last = nodeRange(pair.key) ?? last;
      node = pair.value;
    } else if (isSeq(node) && /^\d+$/.test(seg) && node.items[Number(seg)] !== undefined) {
      node = node.items[Number(seg)];
      last = nodeRange(node) ?? last;
    } else {
      complete = false;
      break;
    }
  }
  const unexpected = /unexpected config entr(?:y|ies) "([^"]+)"/i.exec(message);
  if (complete && unexpected && isMap(node)) {
    const pair = node.items.find((p) => String(isScalar(p.key) ? p.key.value : p.key) === unexpected[1]);
    if (pair) return nodeRange(pair.key);
  }
  if (complete && isScalar(node) && node.value !== null) return nodeRange(node) ?? last;
  return last;
}
